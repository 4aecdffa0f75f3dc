"""The report's section on the 2025 request file: the published record beside this world's
reproduction, estimates for the whole file, and the range over request lists that fit.

It reads the run's ``calibration/`` folder only, and is empty without one.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from benchmark.reporting.blocks import Block, fmt, lit, with_interval

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
WOULD_TELL = {
    "never_filed_share": "the number of requested people who had filed a return",
    "borrowed_tin_share": "the number of disclosures whose SSN or ITIN belonged to somebody else",
    "own_tin_filer_share": "the number of requests carrying their own number who had filed",
    "borrowed_from_household_share": "knowing whose numbers the borrowed ones were",
    "current_address_share": "knowing how current the list's addresses were",
}


def file_2025_blocks(folder: Path, figures: pd.DataFrame) -> list[Block]:
    """The 2025 request file: the record beside this world, and estimates for the whole file.

    Parameters
    ----------
    folder : Path
        The run folder; the section reads its ``calibration/`` subfolder.
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
    ranges = calibration / "range.csv"
    table = calibration / "compositions.csv"
    if ranges.is_file() and table.is_file():
        blocks += _range_blocks(pd.read_csv(ranges), pd.read_csv(table), manifest)
    return blocks


def _record_blocks(published: pd.DataFrame, manifest: dict, figures: pd.DataFrame) -> list[Block]:
    """The published totals beside this simulation's, then each method scaled to the file."""
    return [
        Block("h2", "The 2025 request file: what the record says, and what it does not"),
        Block(
            "p",
            "In August 2025 the tax agency matched 47,289 of the 1.28 million names on the "
            "enforcement agency's list. Court filings say how: requests carrying an SSN or ITIN "
            "were matched on the number and the first letters of the surname, with the address "
            "checked only for a ZIP-like number; the others on exact name and address. The "
            "record gives three totals of that match, and this simulation of the list "
            f"({manifest['run_requests']:,} requests, run through the same procedure, "
            "`irs_2025`) reproduces them:",
        ),
        Block(
            "table",
            header=["published total", "record", "this simulation", "difference", "source"],
            items=[
                [
                    r["label"],
                    f"{r['published']:.1%}",
                    f"{r['reproduced']:.1%}",
                    f"{r['relative_difference']:+.0%}"
                    + ("" if r["within_tolerance"] else " (outside the tolerance)"),
                    r["source"],
                ]
                for _, r in published.iterrows()
            ],
        ),
        Block(
            "p",
            "The record does not say how many of the 47,289 were the wrong person, or who "
            "lives at the addresses handed over. Scaled from this simulation to the whole file "
            "of 1.28 million requests (95% intervals in brackets), each method would have "
            "produced:",
        ),
        Block(
            "table",
            header=["method", *FILE_MEASURES.values()],
            items=_file_rows(figures),
        ),
    ]


def _range_blocks(rng: pd.DataFrame, comps: pd.DataFrame, manifest: dict) -> list[Block]:
    """The other request lists that fit the record, and the range of the file's errors over them."""
    fit = int(comps["reproduces"].astype(bool).sum())
    return [
        Block(
            "p",
            "Other request lists reproduce the same three totals: more or fewer people who "
            "never filed, more or fewer borrowed numbers, fresher or staler addresses. "
            f"{len(comps)} such compositions were simulated "
            f"(at {manifest['calibration_scale']:g} of the file's size), each with the share "
            f"carrying a number set to hit the published match rate; {fit} reproduce all "
            "three totals within "
            f"±{manifest['tolerance']:.0%}. Over those, the 2025 procedure's errors for the "
            "whole file range as follows (the wrong-person range includes each "
            "simulation's 95% interval):",
        ),
        *_leading_parameter(comps),
        Block(
            "table",
            header=["estimate for the 1.28 million file", "low", "median", "high"],
            items=[
                [
                    RANGE_WORDS.get(r["measure"], r["measure"]),
                    fmt(r["low"], "{:,.0f}"),
                    fmt(r.get("median", float("nan")), "{:,.0f}"),
                    fmt(r["high"], "{:,.0f}"),
                ]
                for _, r in rng.iterrows()
            ],
        ),
        Block(
            "table",
            header=[
                *(c.replace("_", " ") for c in comps.columns if c.endswith("_share")),
                "match rate",
                "reproduces",
                "wrong-person (file)",
            ],
            items=[
                [
                    *(fmt(r[c], "{:.3g}") for c in comps.columns if c.endswith("_share")),
                    fmt(r.get("match_rate", float("nan")), "{:.2%}"),
                    "yes" if r["reproduces"] else "no",
                    fmt(r.get("wrong_person_file", float("nan")), "{:,.0f}"),
                ]
                for _, r in comps.iterrows()
            ],
        ),
    ]


def _leading_parameter(comps: pd.DataFrame) -> list[Block]:
    """One sentence on the open parameter that moves the wrong-person estimate most."""
    from data_gen.config import CALIBRATION_KEYS

    fit = comps[comps["reproduces"].astype(bool)]
    spreads = {}
    for key in (k for k in CALIBRATION_KEYS if k in fit.columns):
        means = fit.groupby(key)["wrong_person_file"].mean()
        if len(means) > 1:
            spreads[key] = means
    if not spreads:
        return []
    key = max(spreads, key=lambda k: spreads[k].max() - spreads[k].min())
    means = spreads[key]
    steps = ", ".join(f"{means[v]:,.0f} at {v:g}" for v in means.index)
    return [
        Block(
            "p",
            f"The estimate moves most with {key.replace('_', ' ')}: averaged over the other "
            f"settings, the 2025 procedure's wrong-person disclosures for the whole file are "
            f"{steps}. The published totals cannot tell these apart; {WOULD_TELL[key]} would.",
        )
    ]


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
