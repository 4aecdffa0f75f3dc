"""The operating points: the rules that pick a strategy's threshold, defined once.

Every consumer (the evaluation, the CLI's choices, the report's wording, the
figures, the paper, the sensitivity sweep) derives from :data:`OPERATING_POINTS`,
and :func:`main_rows` is the one filter for each strategy's main operating point.

Points differ in what their threshold is set with:

- ``natural``: the strategy's own decision;
- ``training_precision_*``: the threshold that reached the target precision on
  another labelled world of the same scenario (separately seeded), applied
  unchanged; an agency with a labelled sample could set it;
- ``model_precision_*``: the lowest threshold at which the model's own
  probabilities claim the target precision among accepted pairs (their mean);
  an agency without labels could set it;
- ``precision_*`` and ``recall_*``: chosen with the evaluated world's own truth,
  so a *best case* no agency can reach.

Examples
--------
>>> DEFAULT_MAIN
'training_precision_0.99'
>>> [p.name for p in OPERATING_POINTS if p.deployable]
['natural', 'training_precision_0.99', 'training_precision_0.95', 'model_precision_0.99']
>>> BY_NAME["precision_0.99"].selection
"best case: set with the evaluated world's truth"
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

SELECTION = {
    "natural": "the strategy's own decision",
    "training": "set on another labelled world of the scenario",
    "model": "the model's own estimate of precision, no labels",
    "precision": "best case: set with the evaluated world's truth",
    "recall": "best case: set with the evaluated world's truth",
}


@dataclass(frozen=True)
class OperatingPoint:
    """A rule for choosing a threshold.

    ``kind`` is ``"natural"`` (the strategy's own decision threshold),
    ``"precision"`` (the most recall with precision at least ``target`` on the
    evaluated world), ``"recall"`` (the fewest false positives with recall at
    least ``target``), ``"training"`` (the ``precision`` threshold of another
    labelled world, applied unchanged) or ``"model"`` (the lowest threshold
    whose accepted pairs' mean match probability is at least ``target``).
    """

    name: str
    kind: str
    target: float | None = None

    @property
    def deployable(self) -> bool:
        """Whether an agency, which lacks the evaluated world's truth, could set this threshold."""
        return self.kind in ("natural", "training", "model")

    @property
    def selection(self) -> str:
        """How the threshold is set, in words a report can print."""
        return SELECTION[self.kind]

    def describe(self) -> dict:
        """The point as the evaluation manifest records it."""
        return {
            "name": self.name,
            "kind": self.kind,
            "target": self.target,
            "deployable": self.deployable,
            "selection": self.selection,
        }


OPERATING_POINTS = (
    OperatingPoint("natural", "natural"),
    OperatingPoint("training_precision_0.99", "training", 0.99),
    OperatingPoint("training_precision_0.95", "training", 0.95),
    OperatingPoint("model_precision_0.99", "model", 0.99),
    OperatingPoint("precision_0.95", "precision", 0.95),
    OperatingPoint("precision_0.99", "precision", 0.99),
    OperatingPoint("recall_0.90", "recall", 0.90),
)
BY_NAME = {p.name: p for p in OPERATING_POINTS}
# the oracle point whose threshold a training point carries over from its tuning world
TUNED_FROM = {"training_precision_0.99": "precision_0.99", "training_precision_0.95": "precision_0.95"}

# the points a scored strategy can be reported at first (rules: always at their natural decision)
MAIN_CHOICES = tuple(p.name for p in OPERATING_POINTS if p.kind != "natural")
DEFAULT_MAIN = "training_precision_0.99"
# when a strategy has no decision at the chosen main point (no tuning world, no
# probabilities, target unreachable), the next of these that it has is its main point
MAIN_FALLBACK = ("model_precision_0.99", "precision_0.99")
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
