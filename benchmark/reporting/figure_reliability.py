"""The reliability figure: each model's claimed match probability against how often it is right.

Drawn from the ``reliability`` table (:func:`benchmark.evaluation.reliability.reliability`,
one row per strategy, assignment and bin).  The left panel spans every
claim; the right one zooms to claims of 0.9 and above, where thresholds for
enforcement use are set and where a claim of 0.99 against a realised 0.95 means
five times as many wrong people as promised.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

NAME = "reliability"
TITLE = (
    "Reliability of match probabilities: what each model claims against the share of true "
    "pairs (95% interval), no one-to-one assignment"
)
SIZE = (7.0, 4.2)  # as benchmark.reporting.figures.SIZE (not imported: figures may import this)
ZOOM = 0.9  # the right panel shows claims from here to 1


def _draw(ax, rows: pd.DataFrame, strategies: list[str], colours: dict[str, str]) -> None:
    """One series of points with error bars per strategy with rows, and the diagonal."""
    ax.plot([0, 1], [0, 1], color="#BBBBBB", lw=0.8, ls="--", zorder=0)
    for s in strategies:
        pts = rows[rows["strategy"] == s].sort_values("claimed")
        if pts.empty:
            continue
        realised = pts["realised"].to_numpy(dtype=float)
        ax.errorbar(
            pts["claimed"].to_numpy(dtype=float),
            realised,
            yerr=[
                np.clip(realised - pts["realised_ci_low"].to_numpy(dtype=float), 0, None),
                np.clip(pts["realised_ci_high"].to_numpy(dtype=float) - realised, 0, None),
            ],
            fmt="o-",
            ms=3.5,
            lw=0.9,
            elinewidth=0.8,
            capsize=2,
            color=colours.get(s, "#444444"),
            label=s,
        )


def reliability_figure(tables: dict[str, pd.DataFrame], plt, colours: dict[str, str]):
    """Claimed (x) against realised (y) probability per bin, every claim and claims near 1.

    Parameters
    ----------
    tables : dict of DataFrame
        The evaluation tables; draws ``tables["reliability"]`` (strategy,
        assignment, bin_low, bin_high, pairs, true_pairs, claimed, realised,
        realised_ci_low, realised_ci_high), its rows without one-to-one
        assignment.
    plt : module
        ``matplotlib.pyplot``, set up by the caller.
    colours : dict of str to str
        Each strategy's colour.

    Returns
    -------
    Figure or None
        Two panels: every bin (left) and the bins claiming at least
        :data:`ZOOM` (right), one series with error bars per strategy and the
        diagonal of a model that is right as often as it claims.  None when
        the table is missing or has no row without one-to-one assignment.
    """
    table = tables.get("reliability")
    if table is None or table.empty:
        return None
    rows = table[table["assignment"] == "none"]
    if rows.empty:
        return None
    strategies = list(dict.fromkeys(rows["strategy"]))
    fig, (whole, near) = plt.subplots(1, 2, figsize=(SIZE[0] * 1.3, SIZE[1]), layout="constrained")
    _draw(whole, rows, strategies, colours)
    whole.set_xlim(0, 1.01)  # room for a point at exactly 1
    whole.set_ylim(0, 1.02)
    whole.set_xlabel("claimed match probability (mean of the bin)")
    whole.set_ylabel("realised share of true pairs")
    whole.set_title("every claim", fontsize=8)
    whole.axvspan(ZOOM, 1, color="#EEEEEE", zorder=-1)  # the zoomed region

    high = rows[rows["claimed"] >= ZOOM]
    _draw(near, high, strategies, colours)
    bottom = min(ZOOM, float(np.nanmin(high["realised_ci_low"]))) if len(high) else ZOOM
    near.set_xlim(ZOOM, 1.002)
    near.set_ylim(max(0.0, bottom - 0.01), 1.005)
    near.set_xlabel("claimed match probability (mean of the bin)")
    near.set_title(f"claims of {ZOOM} and above: where thresholds are set", fontsize=8)
    near.text(
        0.02,
        0.98,
        "points near 1 matter most:\na claim of 0.99 realised at 0.95\nis 5 times the wrong people",
        transform=near.transAxes,
        va="top",
        fontsize=6.5,
        color="#444444",
    )
    if not len(high):
        near.text(
            0.5,
            0.5,
            f"no bin claims {ZOOM} or more",
            ha="center",
            fontsize=7,
            transform=near.transAxes,
        )
    whole.legend(loc="upper left", fontsize=7, frameon=False)
    return fig
