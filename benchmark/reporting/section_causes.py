"""The report section on why the wrong person was confirmed: the wrong-person disclosures of
each strategy at its main operating point, by route (:mod:`benchmark.evaluation.error_routes`)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from benchmark.evaluation.error_causes import top_routes
from benchmark.evaluation.error_routes import ROUTES
from benchmark.reporting.blocks import Block, fmt, lit
from benchmark.reporting.figure_causes import CAPTION, NAME, at_main_points, empty_words

TITLE = "Why the wrong person was confirmed"


def _intro() -> str:
    order = ", ".join(route.label for route in ROUTES[:-1])
    return (
        "Every wrong-person disclosure (a confirmed tax record that belongs to someone other "
        "than the requested person) is put down to exactly one route, read off the simulated "
        "world’s truth: who lent whose number, who lives where and which recording errors "
        "changed a number. The routes are tried in a fixed order and the first that applies "
        f"wins: {order}, and else {ROUTES[-1].label}. So each method’s routes add up to all of "
        "its wrong-person disclosures. Counts are at each method’s main operating point, "
        "without one-to-one assignment."
    )


def _sentence(name: str, point: str, rows: pd.DataFrame, top: pd.DataFrame, empty: str) -> str:
    """One strategy's largest routes, with counts and shares, as a sentence."""
    total = int(rows["disclosures"].sum())
    where = f"at its main operating point (`{lit(point)}`)"
    if total == 0:
        return f"{lit(name)}: {empty} {where}."
    parts = [
        f"{route.label} ({int(route.disclosures):,}, {fmt(route.share, '{:.0%}')})"
        for route in top.itertuples()
    ]
    largest = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    errors = int(rows["with_request_error"].sum())
    return (
        f"{lit(name)}: {total:,} wrong-person disclosure{'s' * (total != 1)} {where}; "
        f"the largest route{'s' * (len(parts) > 1)}: {largest}. In {errors:,} of them "
        "the request had at least one recording error."
    )


def _cell(disclosures: float, share: float) -> str:
    if pd.isna(disclosures):
        return "n/a"
    return f"{int(disclosures):,}" + (f" ({fmt(share, '{:.0%}')})" if disclosures > 0 else "")


def cause_blocks(
    counts: pd.DataFrame, main: pd.DataFrame, plain_names: dict[str, str]
) -> list[Block]:
    """The section's blocks: title, how routes are read, a sentence per strategy, table, figure.

    Parameters
    ----------
    counts : DataFrame
        The table of :func:`~benchmark.evaluation.error_causes.cause_counts`
        with keys strategy, assignment and operating_point.
    main : DataFrame
        Each strategy's main operating point (strategy, operating_point), in
        report order; an optional boolean ``target_reached`` column marks the
        strategies that never got there.
    plain_names : dict of str to str
        Each strategy's plain-language name (the strategy's own name where missing).

    Returns
    -------
    list of Block
        An h2, a paragraph, a list of one sentence per strategy, a table
        (route × strategy: disclosures and share) and the figure
        :data:`~benchmark.reporting.figure_causes.NAME`.
    """
    rows = at_main_points(counts, main)
    main = main.drop_duplicates("strategy")
    strategies = list(main["strategy"])
    names = [plain_names.get(s, s) for s in strategies]
    top = top_routes(rows, n=3)
    sentences = [
        _sentence(name, str(point), rows[rows["strategy"] == s], top[top["strategy"] == s], empty)
        for s, name, point, empty in zip(
            strategies, names, main["operating_point"], empty_words(main), strict=True
        )
    ]
    grid = pd.MultiIndex.from_product([[r.name for r in ROUTES], strategies])
    cells = rows.set_index(["route", "strategy"])[["disclosures", "share"]].reindex(grid)
    cells["disclosures"] = cells["disclosures"].fillna(0)
    table = [
        [route.label, *(_cell(*cells.loc[(route.name, s)]) for s in strategies)] for route in ROUTES
    ]
    totals = cells.groupby(level=1)["disclosures"].sum()
    table.append(["all wrong-person disclosures", *(f"{int(totals[s]):,}" for s in strategies)])
    return [
        Block("h2", TITLE),
        Block("p", _intro()),
        Block("ul", items=sentences),
        Block("table", header=["route", *map(lit, names)], items=table),
        Block("figure", NAME, items=[CAPTION]),
    ]


def case_blocks(figures: Path) -> list[Block]:
    """Example wrong-person disclosures of the Splink models, as the figures stage drew them.

    Parameters
    ----------
    figures : Path
        The run's figures folder; its ``case_*.png`` are the cards.

    Returns
    -------
    list of Block
        An h2, a paragraph and a figure per card; nothing without cards.
    """
    cards = sorted(figures.glob("case_*.png"))
    if not cards:
        return []
    return [
        Block("h2", "Example cases"),
        Block(
            "p",
            "A few wrong-person disclosures of the Splink models at their main operating point, "
            "one per common route: the synthetic request and the tax record it was matched to, "
            "side by side (numbers masked), and how each comparison moved the model's match "
            "weight from its prior to the total that crossed the threshold. The people are "
            "simulated.",
        ),
        *(
            Block("figure", card.stem, items=[f"Case card {card.stem.removeprefix('case_')}."])
            for card in cards
        ),
    ]
