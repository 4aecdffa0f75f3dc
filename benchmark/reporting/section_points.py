"""Report sections on thresholds an agency could set, and on whether two methods differ.

:func:`point_blocks` compares, for each scored method, what a threshold
claims with what it delivers: the training points (tuned on another labelled
world), the model's own claim, and the best case chosen with the truth.
:func:`paired_blocks` shows the paired differences between methods.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from benchmark.evaluation.operating_points import BY_NAME
from benchmark.reporting.blocks import Block, lit, with_interval
from data_gen.dataset import read_table, table_path

POINT_ORDER = (
    "training_precision_0.99",
    "training_precision_0.95",
    "model_precision_0.99",
    "precision_0.99",
)
POINT_LABELS = {
    "training_precision_0.99": "99% precision on another labelled world",
    "training_precision_0.95": "95% precision on another labelled world",
    "model_precision_0.99": "99% precision as the model itself estimates it",
    "precision_0.99": "99% precision with this world's truth (best case)",
}
PAIRED_METRICS = {
    "wrong_person_per_100k": "wrong person",
    "unrelated_households_per_100k": "unrelated households",
    "unrelated_us_citizen_children_per_100k": "their US-citizen children",
}
RELIABILITY_CAPTION = (
    "What each model's match probability claims against how often it is right, pooled over "
    "worlds, by bin of claimed probability (95% intervals). Points below the diagonal are "
    "claims that overstate: near 1 they decide who is confirmed."
)
PAIRED_CAPTION = (
    "Differences between methods on the same requests, per 100,000 requests, with 95% "
    "intervals; a difference whose interval excludes zero is resolved."
)


def _share(row: pd.Series | None) -> str:
    return "–" if row is None or pd.isna(row["mean"]) else with_interval(row, "{:.1%}")


def point_blocks(evaluation: str | Path) -> list[Block]:
    """How each scored method's thresholds were set, what they claim and what they deliver.

    Parameters
    ----------
    evaluation : path
        The evaluation folder (``operating_points`` and ``intervals``).

    Returns
    -------
    list of Block
        An h2, a paragraph, a table (method × point: claimed and realised
        precision, wrong person per 100,000) and the reliability figure when
        the evaluation has one; nothing when no method is scored.
    """
    folder = Path(evaluation)
    ops = read_table(folder, "operating_points")
    iv = read_table(folder, "intervals")
    ops = ops[(ops["assignment"] == "none") & ops["operating_point"].isin(POINT_ORDER)]
    # methods with a threshold an agency could set besides their own decision (not the rules)
    settable = ops.loc[ops["operating_point"] != "precision_0.99", "strategy"]
    ops = ops[ops["strategy"].isin(set(settable))]
    if ops.empty:
        return []
    iv = iv[iv["assignment"] == "none"].set_index(["strategy", "operating_point", "metric"])

    def figure(strategy: str, point: str, metric: str) -> pd.Series | None:
        key = (strategy, point, metric)
        return iv.loc[key] if key in iv.index else None

    rows = []
    for strategy in dict.fromkeys(ops["strategy"]):
        for point in POINT_ORDER:
            if not ((ops["strategy"] == strategy) & (ops["operating_point"] == point)).any():
                continue
            reached = figure(strategy, point, "target_reached")
            wrong = figure(strategy, point, "wrong_person_per_100k")
            claimed = figure(strategy, point, "claimed_precision")
            rows.append(
                [
                    lit(strategy),
                    POINT_LABELS[point],
                    "–" if claimed is None or pd.isna(claimed["mean"]) else f"{claimed['mean']:.1%}",
                    _share(figure(strategy, point, "precision")),
                    "not reached"
                    if wrong is None or pd.isna(wrong["mean"])
                    else with_interval(wrong, "{:,.0f}"),
                    "–" if reached is None else f"{reached['mean']:.0%}",
                ]
            )
    blocks = [
        Block("h2", "Thresholds an agency could set, and what they deliver"),
        Block(
            "p",
            "A threshold chosen knowing the true answers is a best case no agency can reach. "
            "Two thresholds an agency could set: one tuned to a precision target on another "
            "labelled world of the same scenario (separately seeded: each world's threshold "
            "comes from the next world) and applied unchanged, and one where the model's own "
            "probabilities claim the target (no labels needed). The table sets what each "
            "claims against the precision it reaches and the wrong-person disclosures that "
            "follow. The headline uses each method's first row here (the threshold "
            f"{BY_NAME[POINT_ORDER[0]].selection}) where it has one.",
        ),
        Block(
            "table",
            header=[
                "method",
                "threshold set for",
                "claimed precision",
                "realised precision",
                "wrong person per 100,000",
                "worlds reaching the target",
            ],
            items=rows,
        ),
    ]
    if table_path(folder, "reliability").is_file():
        blocks.append(Block("figure", "reliability", items=[RELIABILITY_CAPTION]))
    return blocks


def paired_blocks(evaluation: str | Path) -> list[Block]:
    """The paired differences between methods at their main points, when the evaluation has them.

    Returns
    -------
    list of Block
        An h2, a paragraph, a table of every pair's wrong-person difference
        and the figure; nothing without ``paired_differences``.
    """
    folder = Path(evaluation)
    if not table_path(folder, "paired_differences").is_file():
        return []
    paired = read_table(folder, "paired_differences")
    paired = paired[paired["metric"].isin(PAIRED_METRICS)]
    if paired.empty:
        return []
    rows = [
        [
            f"{lit(r.strategy_a)} − {lit(r.strategy_b)}",
            PAIRED_METRICS[r.metric],
            f"{r.difference:+,.0f} [{r.ci_low:+,.0f} to {r.ci_high:+,.0f}]",
            "yes" if r.resolved else "not resolved",
        ]
        for r in paired.itertuples()
    ]
    worlds = int(paired["worlds"].max())
    return [
        Block("h2", "Do the methods differ?"),
        Block(
            "p",
            f"Every method was run on the same requests of the same {worlds} world(s), so two "
            "methods can be compared request by request (and household by household): errors "
            "both make cancel out, and the interval of the difference is narrower than the "
            "two intervals side by side suggest. Each method at its main operating point, per "
            "100,000 requests; “not resolved” means the data cannot tell the two apart.",
        ),
        Block("table", header=["methods", "measure", "difference [95% interval]", "resolved"],
              items=rows),
        Block("figure", "paired_differences", items=[PAIRED_CAPTION]),
    ]
