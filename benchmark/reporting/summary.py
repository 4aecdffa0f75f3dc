"""The headline table: each strategy at its main operating point, as the terminal and the report show it."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from benchmark.evaluation.operating_points import main_rows

# (column label, metric, format)
HEADLINE = (
    ("recall", "recall", "{:.1%}"),
    ("wrong person", "wrong_person_per_100k", "{:,.0f}"),
    ("unrelated households", "unrelated_households_per_100k", "{:,.0f}"),
    ("their US-citizen children", "unrelated_us_citizen_children_per_100k", "{:,.0f}"),
)


def main_figures(evaluation: str | Path) -> pd.DataFrame:
    """Every figure of each strategy at its main operating point, without one-to-one.

    Returns
    -------
    DataFrame
        The rows of ``intervals`` (strategy, operating_point, metric, mean,
        ci_low, ci_high, ...) for each strategy's main operating point, in the
        evaluation's strategy order.
    """
    folder = Path(evaluation)
    ops = pd.read_parquet(folder / "operating_points.parquet")
    iv = pd.read_parquet(folder / "intervals.parquet")
    if ops.empty or iv.empty:
        return iv.iloc[:0]
    main = main_rows(ops)[["strategy", "operating_point"]]
    out = iv[iv["assignment"] == "none"].merge(main, on=["strategy", "operating_point"])
    order = {s: i for i, s in enumerate(dict.fromkeys(ops["strategy"]))}
    return out.sort_values("strategy", key=lambda s: s.map(order), kind="stable", ignore_index=True)


def format_summary(figures: pd.DataFrame, suppress_below: int | None = None) -> list[str]:
    """The headline table as aligned text lines: recall, wrong-person disclosures, harm per 100,000.

    Each figure is followed by its 95% interval in brackets where there is one.
    A figure the evaluation does not have (harm, for user tables) shows as
    "n/a"; one blanked by ``--suppress-below`` as "suppressed".
    """
    if figures.empty:
        return ["no strategy has a decision at its main operating point"]
    keys = ["strategy", "operating_point"]
    # unstack keeps blank figures ("not reached" or "suppressed"), unlike pivot_table
    table = (
        figures.drop_duplicates([*keys, "metric"])
        .set_index([*keys, "metric"])[["mean", "ci_low", "ci_high"]]
        .unstack("metric")
        .reindex(pd.MultiIndex.from_frame(figures[keys].drop_duplicates()))
    )

    def cell(key: tuple, metric: str, pattern: str) -> str:
        if ("mean", metric) not in table.columns:
            return "n/a"
        if pd.isna(table.loc[key, ("mean", metric)]):
            reached = table.loc[key, ("mean", "target_reached")]
            return "suppressed" if suppress_below and reached == 1 else "not reached"
        text = pattern.format(table.loc[key, ("mean", metric)])
        if ("ci_low", metric) not in table.columns or ("ci_high", metric) not in table.columns:
            return text  # no interval for this figure (e.g. a share from one world)
        low, high = table.loc[key, ("ci_low", metric)], table.loc[key, ("ci_high", metric)]
        if not (pd.isna(low) or pd.isna(high)):
            text += f" [{pattern.format(low)}-{pattern.format(high)}]"
        return text

    header = ["strategy", "operating point", *(c[0] for c in HEADLINE)]
    rows = []
    notes = []
    for key in table.index:
        rows.append([key[0], key[1], *(cell(key, m, f) for _, m, f in HEADLINE)])
        reached = table.loc[key, ("mean", "target_reached")]
        notes.append("" if reached == 1 else f"  (target reached in {reached:.0%} of worlds)")
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]

    def line(cells: list[str]) -> str:
        return "  ".join(
            c.ljust(w) if i < 2 else c.rjust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        )

    return [line(header), *(line(r) + n for r, n in zip(rows, notes, strict=True))]


def format_match_counts(path: str | Path) -> list[str]:
    """The match counts of an evaluation without ground truth, as aligned text lines."""
    counts = pd.read_parquet(path)
    counts = counts[counts["assignment"] == "none"]
    header = ["strategy", "threshold", "pairs", "requests matched", "records matched"]

    def number(value: object, pattern: str = "{:,.0f}") -> str:
        return "suppressed" if pd.isna(value) else pattern.format(value)

    rows = [
        [
            str(r.strategy),
            "all candidates" if pd.isna(r.threshold) else f"{r.threshold:g}",
            number(r.pairs),
            number(r.requests_matched)
            + ("" if pd.isna(r.requests_matched_share) else f" ({r.requests_matched_share:.1%})"),
            number(r.records_matched),
        ]
        for r in counts.itertuples()
    ]
    widths = [
        max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(header)
    ]
    return [
        "  ".join(
            c.ljust(w) if i < 2 else c.rjust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        )
        for cells in (header, *rows)
    ]


# per-100k figures of a run that are scaled up to the whole file
FILE_METRICS = (
    "wrong_person_per_100k",
    "households_per_100k",
    "unrelated_households_per_100k",
    "us_citizens_per_100k",
    "us_citizen_children_per_100k",
    "unrelated_us_citizen_children_per_100k",
)


def file_estimates(figures: pd.DataFrame) -> pd.DataFrame:
    """A run's main figures per 100,000 requests, scaled to the whole 1.28-million file.

    Parameters
    ----------
    figures : DataFrame
        :func:`benchmark.reporting.summary.main_figures` of the run.

    Returns
    -------
    DataFrame
        strategy, operating_point, measure (the metric without ``_per_100k``),
        estimate, ci_low, ci_high: numbers of events for the whole file.
    """
    from benchmark.facts import FILE_REQUESTS

    rows = figures[figures["metric"].isin(FILE_METRICS)]
    factor = FILE_REQUESTS / 100_000
    out = pd.DataFrame(
        {
            "strategy": rows["strategy"].to_numpy(),
            "operating_point": rows["operating_point"].to_numpy(),
            "measure": rows["metric"].str.removesuffix("_per_100k").to_numpy(),
            "estimate": rows["mean"].to_numpy() * factor,
            "ci_low": rows["ci_low"].to_numpy() * factor,
            "ci_high": rows["ci_high"].to_numpy() * factor,
        }
    )
    return out.reset_index(drop=True)
