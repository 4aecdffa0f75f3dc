"""The operating points: the rules that pick a strategy's threshold, defined once.

Every consumer (the evaluation, the CLI's choices, the report's wording, the
figures, the paper, the sensitivity sweep) derives from :data:`OPERATING_POINTS`,
and :func:`main_rows` is the one filter for each strategy's main operating point.

Examples
--------
>>> MAIN_CHOICES
('precision_0.95', 'precision_0.99', 'recall_0.90')
>>> DEFAULT_MAIN
'precision_0.99'
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class OperatingPoint:
    """A rule for choosing a threshold from a sweep.

    ``kind`` is ``"natural"`` (the strategy's own decision threshold),
    ``"precision"`` (the most recall with precision at least ``target``) or
    ``"recall"`` (the fewest false positives with recall at least ``target``).
    """

    name: str
    kind: str
    target: float | None = None


OPERATING_POINTS = (
    OperatingPoint("natural", "natural"),
    OperatingPoint("precision_0.95", "precision", 0.95),
    OperatingPoint("precision_0.99", "precision", 0.99),
    OperatingPoint("recall_0.90", "recall", 0.90),
)

# the points a scored strategy can be reported at first (rules: always at their natural decision)
MAIN_CHOICES = tuple(p.name for p in OPERATING_POINTS if p.kind != "natural")
DEFAULT_MAIN = "precision_0.99"
KEYS = ["strategy", "assignment", "operating_point"]


def main_rows(operating_points: pd.DataFrame, assignment: str = "none") -> pd.DataFrame:
    """Each strategy's row at its main operating point (``main`` column), without one-to-one.

    Parameters
    ----------
    operating_points : DataFrame
        The evaluation's ``operating_points`` table.
    assignment : str
        ``none`` (the default) or ``one_to_one``.

    Returns
    -------
    DataFrame
        One row per strategy, in the table's order.
    """
    ops = operating_points
    return ops[(ops["assignment"] == assignment) & ops["main"].astype(bool)]
