"""The figure of paired differences between strategies: a forest plot, one row per pair.

Drawn from the ``paired_differences`` table (:func:`benchmark.evaluation.paired.paired_differences`):
each pair's difference per 100,000 requests (first strategy minus second) with
its 95% interval, for wrong-person disclosures and, where the table holds them,
unrelated households and their US-citizen children, side by side.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from benchmark.evaluation.paired import METRIC_LABELS, METRICS

NAME = "paired_differences"
TITLE = (
    "Paired differences between methods on the same requests, per 100,000 requests "
    "(first minus second, 95% interval; filled: the interval excludes 0)"
)
SIZE = (7.0, 4.2)  # as benchmark.reporting.figures.SIZE (not imported: figures may import this)
RESOLVED = "#222222"
UNRESOLVED = "#888888"


def pair_labels(table: pd.DataFrame) -> list[str]:
    """One label per pair of ``table``, in its order: "a − b" with the operating points."""
    pairs = table.drop_duplicates(["strategy_a", "strategy_b"])
    return [
        f"{a} − {b}\n({str(pa).replace('_', ' ')} vs {str(pb).replace('_', ' ')})"
        for a, b, pa, pb in zip(
            pairs["strategy_a"],
            pairs["strategy_b"],
            pairs["operating_point_a"],
            pairs["operating_point_b"],
            strict=True,
        )
    ]


def paired_differences_figure(tables: dict[str, pd.DataFrame], plt, colours: dict[str, str]):
    """Forest plot of every pair's difference, one panel per metric, a line at 0.

    Parameters
    ----------
    tables : dict of DataFrame
        The evaluation tables; draws ``tables["paired_differences"]``.
    plt : module
        ``matplotlib.pyplot``, set up by the caller.
    colours : dict of str to str
        Each strategy's colour (unused: a row is a pair, drawn in greys).

    Returns
    -------
    Figure or None
        One panel per metric of :data:`~benchmark.evaluation.paired.METRICS`
        the table holds (wrong-person disclosures first), rows top to bottom
        in the table's order; a filled point when the interval excludes 0, an
        open one otherwise, and "no world reaches both targets" for a pair
        without a value.  None when the table is missing or empty.
    """
    table = tables.get("paired_differences")
    if table is None or table.empty:
        return None
    metrics = [m for m in METRICS if (table["metric"] == m).any()]
    if not metrics:
        return None
    pairs = table.drop_duplicates(["strategy_a", "strategy_b"])[["strategy_a", "strategy_b"]]
    labels = pair_labels(table)
    y = np.arange(len(pairs))
    height = max(SIZE[1], 1.6 + 0.42 * len(pairs))
    width = SIZE[0] if len(metrics) == 1 else SIZE[0] * 1.45
    fig, axes = plt.subplots(
        1, len(metrics), figsize=(width, height), sharey=True, layout="constrained", squeeze=False
    )
    for ax, metric in zip(axes[0], metrics, strict=True):
        rows = pairs.merge(table[table["metric"] == metric], how="left", sort=False)
        diff = rows["difference"].to_numpy(dtype=float)
        low = rows["ci_low"].to_numpy(dtype=float)
        high = rows["ci_high"].to_numpy(dtype=float)
        resolved = rows["resolved"].fillna(False).astype(bool).to_numpy()
        known = ~np.isnan(diff)
        ax.axvline(0, color="#BBBBBB", lw=0.8, zorder=0)
        for mask, face, edge, label in (
            (known & resolved, RESOLVED, RESOLVED, "interval excludes 0"),
            (known & ~resolved, "white", UNRESOLVED, "interval includes 0"),
        ):
            if not mask.any():
                continue
            ax.errorbar(
                diff[mask],
                y[mask],
                xerr=[diff[mask] - low[mask], high[mask] - diff[mask]],
                fmt="o",
                ms=4.5,
                mfc=face,
                mec=edge,
                color=edge,
                elinewidth=1.0,
                capsize=2,
                label=label,
            )
        for i in np.flatnonzero(~known):
            ax.text(0, y[i], " no world reaches both targets", va="center", fontsize=6)
        ax.set_title(METRIC_LABELS[metric], fontsize=8)
        ax.set_xlabel("difference per 100,000 requests")
    first = axes[0][0]
    first.set_yticks(y, labels, fontsize=7)
    first.set_ylim(len(pairs) - 0.5, -0.5)  # the first pair on top
    legend: dict[str, object] = {}
    for ax in axes[0]:
        for handle, name in zip(*ax.get_legend_handles_labels(), strict=True):
            legend.setdefault(name, handle)
    if legend:
        fig.legend(
            list(legend.values()),
            list(legend),
            loc="outside lower center",
            ncol=2,
            fontsize=7,
            frameon=False,
        )
    return fig
