"""The report's section on the 2025 request file: the published record beside this world's
reproduction, estimates for the whole file, why the wrong persons were confirmed, and what the
record allows over the calibration's draws.

It reads the run's ``calibration/`` folder only, and is empty without one.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from benchmark.facts import FACTS
from benchmark.reporting.blocks import Block, fmt, lit, with_interval
from benchmark.reporting.figure_2025 import ALLOWED, TITLE

FILE_MEASURES = {
    "wrong_person": "wrong-person disclosures",
    "households": "households at those addresses",
    "unrelated_households": "… unrelated to the request",
    "us_citizens": "US citizens living there",
    "us_citizen_children": "US-citizen children living there",
}
RANGE_WORDS = {
    "wrong_person": "wrong-person disclosures",
    "households": "households at those addresses",
    "people": "people living there",
    "us_citizens": "US citizens living there",
    "us_citizen_children": "US-citizen children living there",
}


def file_2025_blocks(folder: Path, figures: pd.DataFrame) -> list[Block]:
    """The 2025 request file: the record beside this world, and what the record allows.

    Parameters
    ----------
    folder : Path
        The run folder; the section reads its ``calibration/`` subfolder and
        the figure ``figures/file_2025_allowed``.
    figures : DataFrame
        The main figures (:func:`~benchmark.reporting.summary.main_figures`),
        scaled here to the whole file.

    Returns
    -------
    list of Block
        Empty when the run made no calibration.
    """
    calibration = folder / "calibration"
    if not (calibration / "published.csv").is_file():
        return []
    published = pd.read_csv(calibration / "published.csv")
    manifest = json.loads((calibration / "calibration_manifest.json").read_text())
    blocks = _record_blocks(published, manifest, figures)
    if (calibration / "routes.csv").is_file():
        blocks += _route_blocks(pd.read_csv(calibration / "routes.csv"))
    if (calibration / "draws.csv").is_file():
        blocks += _allowed_blocks(calibration, manifest, (folder / "figures").is_dir())
    return blocks


def _record_blocks(published: pd.DataFrame, manifest: dict, figures: pd.DataFrame) -> list[Block]:
    """The published totals beside this simulation's, then each method scaled to the file."""
    matched, requests = FACTS["matches_2025"].value, FACTS["file_requests"].value
    return [
        Block("h2", "The 2025 request file: what the record says, and what it does not"),
        Block(
            "p",
            f"In August 2025 the tax agency matched {matched:,} of the {requests:,} names on the "
            "enforcement agency's list (sources in the table). Court filings say how: requests "
            "carrying an SSN or ITIN were matched on the number and the first letters of the "
            "surname, with the address checked only for a ZIP-like number; the others on exact "
            "name and address. The record gives four totals of that match (the last a soft one: "
            "it may count people, and its definition is not published), and this simulation of "
            f"the list ({manifest['run_requests']:,} requests, run through the same procedure, "
            "`irs_2025`) compares with them as follows (tolerance: two standard errors of this "
            "world's and the real file's sampling noise, plus the published figure's rounding):",
        ),
        Block(
            "table",
            header=["published total", "record", "this simulation", "tolerance", "source"],
            items=[
                [
                    r["label"],
                    f"{r['published']:.1%}",
                    f"{r['reproduced']:.1%}"
                    + ("" if r["within_tolerance"] else " (outside the tolerance)"),
                    f"±{r['tolerance']:.1%}",
                    r["source"],
                ]
                for _, r in published.iterrows()
            ],
        ),
        Block(
            "p",
            f"The record does not say how many of the {matched:,} were the wrong person, or who "
            "lives at the addresses handed over. Scaled from this simulation to the whole file "
            f"of {requests:,} requests (95% intervals in brackets), each method would have "
            "produced:",
        ),
        Block(
            "table",
            header=["method", *FILE_MEASURES.values()],
            items=_file_rows(figures),
        ),
    ]


def _route_blocks(routes: pd.DataFrame) -> list[Block]:
    """Why this world's wrong persons were confirmed, largest routes first."""
    total = int(routes["disclosures"].sum())
    if total == 0:
        return [Block("p", "In this simulation the 2025 procedure confirmed no wrong person.")]
    top = routes[routes["disclosures"] > 0].sort_values("disclosures", ascending=False)
    parts = [f"{r['label']} ({int(r['disclosures'])})" for _, r in top.iterrows()]
    return [
        Block(
            "p",
            f"Why the wrong person was confirmed: of this simulation's {total} wrong-person "
            f"disclosures by the 2025 procedure, the route was " + "; ".join(parts) + ". "
            "Each disclosure has exactly one route (the first that applies, in the order of "
            "the table `calibration/routes.csv`).",
        )
    ]


def _allowed_blocks(calibration: Path, manifest: dict, has_figures: bool) -> list[Block]:
    """What the record allows: the kept draws, the estimate, what moves it, what would pin it."""
    draws = pd.read_csv(calibration / "draws.csv")
    priors = pd.read_csv(calibration / "priors.csv")
    ranges = pd.read_csv(calibration / "range.csv")
    kept = draws[draws["kept"].astype("boolean").fillna(False).to_numpy(dtype=bool)]
    blocks = [
        Block("h2", "What the 2025 record allows"),
        Block(
            "p",
            "The published totals constrain the share of requests carrying a number, the share "
            "of junk addresses and how stale the addresses were; they do not constrain the "
            "number of wrong-person disclosures. Who was on the list is open, so the estimate "
            f"is drawn over it: {len(draws)} compositions of the request list (a scrambled "
            "Sobol design over the ranges below, each with its source or the word assumption), "
            f"each simulated with {manifest.get('draw_requests', 0):,} requests on one "
            "population, with the share carrying a number solved for the published match rate. "
            f"{len(kept)} of them reproduce the TIN-path, junk and updated-address shares "
            "within their own sampling noise. Every range below is conditional on these "
            "priors.",
        ),
        Block(
            "table",
            header=["open setting", "prior range", "source"],
            items=[
                [r["meaning"], f"{r['low']:g} to {r['high']:g}", r["source"]]
                for _, r in priors.iterrows()
            ],
        ),
    ]
    if kept.empty:
        blocks.append(Block("p", "No draw reproduces the record; there is no range to give."))
        return blocks
    low_nf = int((kept["never_filed_share"] < 0.7).sum())
    blocks += [
        Block(
            "p",
            "Over the kept draws, the 2025 procedure's errors for the whole file range as "
            "follows (low to high point estimate; in brackets the widest 95% bounds of any "
            f"kept draw). {low_nf} of the kept draws have fewer than 70% of requested people "
            "who never filed:",
        ),
        Block(
            "table",
            header=["estimate for the 1.28 million file", "low", "median", "high", "widest 95%"],
            items=[
                [
                    RANGE_WORDS.get(r["measure"], r["measure"]),
                    fmt(r.get("low"), "{:,.0f}"),
                    fmt(r.get("median"), "{:,.0f}"),
                    fmt(r.get("high"), "{:,.0f}"),
                    f"[{fmt(r.get('interval_low'), '{:,.0f}')}-"
                    f"{fmt(r.get('interval_high'), '{:,.0f}')}]",
                ]
                for _, r in ranges.iterrows()
            ],
        ),
    ]
    if has_figures:
        blocks.append(Block("figure", text=ALLOWED, items=[f"{TITLE}: every draw, kept or not"]))
    blocks += _borrowing_blocks(calibration)
    blocks += _driver_blocks(calibration)
    return blocks


def _borrowing_blocks(calibration: Path) -> list[Block]:
    """The estimate by borrowed-number rate and household share, and the collision floor."""
    table = pd.read_csv(calibration / "allowed.csv")
    floor = pd.read_csv(calibration / "floor.csv").iloc[0]
    blocks = [
        Block(
            "p",
            "The estimate as a function of how many numbers were borrowed and whose they were "
            "(kept draws; whole-file wrong-person disclosures):",
        ),
        Block(
            "table",
            header=["borrowed share", "from the household", "kept draws", "low", "median", "high"],
            items=[
                [
                    r["borrowed_tin_share"],
                    r["borrowed_from_household_share"],
                    str(int(r["draws"])),
                    fmt(r["low"], "{:,.0f}"),
                    fmt(r["median"], "{:,.0f}"),
                    fmt(r["high"], "{:,.0f}"),
                ]
                for _, r in table.iterrows()
            ],
        ),
    ]
    if floor.get("draws", 0):
        blocks.append(
            Block(
                "p",
                "Without borrowed numbers the errors do not vanish: name collisions, relatives "
                "at the family address, stale addresses and mistyped numbers alone give "
                f"{fmt(floor['floor_low'], '{:,.0f}')} to {fmt(floor['floor_high'], '{:,.0f}')} "
                f"wrong-person disclosures for the file (median {fmt(floor['floor_median'], '{:,.0f}')}) "
                f"over the kept draws; the {int(floor['unborrowed_draws'])} kept draws in which "
                "at most 5% of numbers were borrowed give a median of "
                f"{fmt(floor['unborrowed_median'], '{:,.0f}')}.",
            )
        )
    return blocks


def _driver_blocks(calibration: Path) -> list[Block]:
    """Which open settings move the estimate, and which unpublished figure would pin it."""
    from data_gen.config import PRIORS

    meaning = {p.name: p.meaning for p in PRIORS}
    prcc = pd.read_csv(calibration / "rank_correlations.csv")
    voi = pd.read_csv(calibration / "value_of_information.csv")
    blocks = []
    if len(prcc):
        top = prcc.head(3)
        parts = [
            f"{meaning.get(r['setting'], r['setting'])} ({r['prcc']:+.2f})"
            for _, r in top.iterrows()
        ]
        blocks.append(
            Block(
                "p",
                "The open settings that move the estimate most (partial rank correlation with "
                f"the whole-file wrong-person count over the {prcc['over'].iloc[0]}): "
                + "; ".join(parts)
                + ".",
            )
        )
    if len(voi):
        best = voi.iloc[0]
        blocks.append(
            Block(
                "p",
                f"Which unpublished figure would narrow the range most: {best['means']}. "
                f"Knowing it (to within a quarter of the kept draws' range) explains "
                f"{best['variance_explained']:.0%} of the estimate's variance over the kept "
                "draws and narrows its 5th-95th percentile span from "
                f"{best['span_now']:,.0f} to {best['span_known']:,.0f} wrong-person disclosures "
                "on average"
                + (
                    f"; the next best, {voi.iloc[1]['means']}, explains "
                    f"{voi.iloc[1]['variance_explained']:.0%}."
                    if len(voi) > 1
                    else "."
                ),
            )
        )
    return blocks


def _file_rows(figures: pd.DataFrame) -> list[list[str]]:
    """Each method's figures scaled to the whole file, "not reached" where it has none."""
    from benchmark.reporting.summary import file_estimates

    table = file_estimates(figures).rename(columns={"estimate": "mean"})
    rows = []
    for strategy in dict.fromkeys(figures["strategy"]):
        found = table[table["strategy"] == strategy].set_index("measure")
        rows.append(
            [
                lit(strategy),
                *(
                    with_interval(found.loc[m], "{:,.0f}") if m in found.index else "not reached"
                    for m in FILE_MEASURES
                ),
            ]
        )
    return rows
