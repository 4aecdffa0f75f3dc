"""The figure of why the wrong person was confirmed: each strategy's wrong-person disclosures
split by route (:mod:`benchmark.evaluation.error_routes`), at its main operating point."""

from __future__ import annotations

import numpy as np
import pandas as pd

from benchmark.evaluation.error_routes import ROUTE_NAMES, ROUTES

NAME = "error_causes"
CAPTION = (
    "Why the wrong person was confirmed: each method's wrong-person disclosures by route, "
    "at its main operating point"
)
SIZE = (7.0, 4.2)  # as benchmark.reporting.figures.SIZE (not imported: figures imports this)
# one fixed colour per route, in ROUTES order: numbers warm, addresses blue, namesakes green-grey
ROUTE_COLOURS = dict(
    zip(
        ROUTE_NAMES,
        (
            "#D55E00",  # a household member's number
            "#E69F00",  # a stranger's number
            "#F0E442",  # a mistyped number
            "#CC79A7",  # a relative at the family address
            "#0072B2",  # an outdated address now someone else's
            "#56B4E9",  # a junk or detention address
            "#009E73",  # a namesake at the same address
            "#7FCDBB",  # a namesake in the same building
            "#999999",  # a namesake in the same ZIP code
            "#444444",  # a namesake elsewhere
        ),
        strict=True,
    )
)


def at_main_points(counts: pd.DataFrame, main: pd.DataFrame) -> pd.DataFrame:
    """The rows of ``counts`` without one-to-one assignment at each strategy's main point.

    Parameters
    ----------
    counts : DataFrame
        The table of :func:`~benchmark.evaluation.error_causes.cause_counts`
        with keys strategy, assignment and operating_point.
    main : DataFrame
        One (strategy, operating_point) row per strategy: its main point.

    Returns
    -------
    DataFrame
        Those rows of ``counts``, in the order of ``main`` and then of the routes.
    """
    rows = counts[(counts["assignment"] == "none").to_numpy()]
    return (
        main[["strategy", "operating_point"]]
        .drop_duplicates("strategy")
        .merge(rows, on=["strategy", "operating_point"], how="inner", sort=False)
    )


def empty_words(main: pd.DataFrame) -> list[str]:
    """What to say of each strategy of ``main`` that made no wrong-person disclosure."""
    if "target_reached" not in main:
        return ["no wrong-person disclosures"] * len(main)
    reached = main["target_reached"].fillna(False).astype(bool)
    return ["no wrong-person disclosures" if r else "target not reached" for r in reached]


def error_causes_figure(counts: pd.DataFrame, main: pd.DataFrame, plt, colours: dict[str, str]):
    """One horizontal bar per strategy, split into the shares of its wrong-person routes.

    Parameters
    ----------
    counts : DataFrame
        The table of :func:`~benchmark.evaluation.error_causes.cause_counts`
        with keys strategy, assignment and operating_point.
    main : DataFrame
        Each strategy's main operating point (strategy, operating_point), in
        the order to draw them, top to bottom; an optional boolean
        ``target_reached`` column marks the strategies that never got there.
    plt : module
        ``matplotlib.pyplot``, set up by the caller.
    colours : dict of str to str
        Each strategy's colour, given to its label (the routes have :data:`ROUTE_COLOURS`).

    Returns
    -------
    Figure
        Bars of shares (0 to 100%), each with its number of disclosures; a
        strategy with none reads "no wrong-person disclosures" (or "target
        not reached").
    """
    rows = at_main_points(counts, main)
    main = main.drop_duplicates("strategy")
    strategies = list(main["strategy"])
    share = rows.pivot_table(index="strategy", columns="route", values="share", aggfunc="sum")
    share = share.reindex(index=strategies, columns=list(ROUTE_NAMES)).fillna(0.0)
    total = rows.groupby("strategy")["disclosures"].sum().reindex(strategies).fillna(0)
    height = max(SIZE[1], 1.8 + 0.45 * len(strategies))
    fig, ax = plt.subplots(figsize=(SIZE[0], height), layout="constrained")
    y = np.arange(len(strategies))
    left = np.zeros(len(strategies))
    for route in ROUTES:
        width = share[route.name].to_numpy(dtype=float)
        if (width > 0).any():
            ax.barh(
                y,
                width,
                left=left,
                height=0.6,
                color=ROUTE_COLOURS[route.name],
                label=route.label,
                edgecolor="white",
                linewidth=0.5,
            )
        left += width
    for i, (n, why) in enumerate(zip(total.to_numpy(dtype=float), empty_words(main), strict=True)):
        if n > 0:
            ax.text(1.01, y[i], f"n = {n:,.0f}", va="center", fontsize=7)
        else:
            ax.text(0.01, y[i], why, va="center", fontsize=7)
    labels = [
        f"{s}\n({p.replace('_', ' ')})"
        for s, p in zip(strategies, main["operating_point"].astype(str), strict=True)
    ]
    ax.set_yticks(y, labels, fontsize=7)
    for tick, s in zip(ax.get_yticklabels(), strategies, strict=True):
        tick.set_color(colours.get(s, "#222222"))
    ax.set_ylim(len(strategies) - 0.5, -0.5)  # the first strategy on top
    ax.set_xlim(0, 1.12)
    ax.set_xticks([0, 0.25, 0.5, 0.75, 1], ["0%", "25%", "50%", "75%", "100%"])
    ax.set_xlabel("share of the method's wrong-person disclosures (no one-to-one assignment)")
    if ax.get_legend_handles_labels()[0]:
        fig.legend(loc="outside lower center", ncol=3, fontsize=7, frameon=False)
    return fig
