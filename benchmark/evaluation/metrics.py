"""Pairwise linkage metrics: the threshold sweep and the operating points chosen from it.

Every count is over request–record pairs.  The universe of positives is *all*
true pairs, so a true pair that blocking never proposed is a false negative at
every threshold.  Nothing here needs true negatives: their number depends on
the blocking choice, so accuracy, specificity and ROC are deliberately absent.

A pair is accepted at threshold ``t`` when ``score >= t`` (Splink's convention),
so pairs with equal scores are accepted or rejected together.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from benchmark.evaluation.operating_points import OperatingPoint
from benchmark.strategies.assignment import pair_keys

SWEEP_COLUMNS = (
    "threshold",
    "accepted",
    "tp",
    "fp",
    "fn",
    "precision",
    "recall",
    "f1",
    "f_star",
)


def label_pairs(pairs: pd.DataFrame, truth: pd.DataFrame) -> np.ndarray:
    """Whether each scored pair is a true pair.

    Parameters
    ----------
    pairs : DataFrame
        request_id, record_id (and anything else).
    truth : DataFrame
        request_id, record_id: every true pair.

    Returns
    -------
    ndarray of bool, one per row of ``pairs``.
    """
    keys = pair_keys(pairs["request_id"].to_numpy(), pairs["record_id"].to_numpy())
    true_keys = np.sort(pair_keys(truth["request_id"].to_numpy(), truth["record_id"].to_numpy()))
    if len(true_keys) == 0:
        return np.zeros(len(keys), dtype=bool)
    pos = np.searchsorted(true_keys, keys)
    pos[pos == len(true_keys)] = 0
    return true_keys[pos] == keys


def _ratios(tp: ArrayLike, fp: ArrayLike, fn: ArrayLike) -> dict[str, np.ndarray]:
    tp, fp, fn = (np.atleast_1d(np.asarray(x, dtype=float)) for x in (tp, fp, fn))
    return {
        # precision of an empty decision is 1 (nothing wrongly accepted), as in Splink
        "precision": _divide(tp, tp + fp, empty=1.0),
        "recall": _divide(tp, tp + fn, empty=np.nan),
        "f1": _divide(2 * tp, 2 * tp + fp + fn, empty=np.nan),
        "f_star": _divide(tp, tp + fp + fn, empty=np.nan),
    }


def _divide(num: np.ndarray, den: np.ndarray, *, empty: float) -> np.ndarray:
    out = np.full(num.shape, empty, dtype=float)
    np.divide(num, den, out=out, where=den > 0)
    return out


def threshold_sweep(scores: np.ndarray, is_true: np.ndarray, n_true: int) -> pd.DataFrame:
    """Counts and ratios at every distinct score, in one sort and one cumulative sum.

    Parameters
    ----------
    scores : ndarray of float
        One score per candidate pair.
    is_true : ndarray of bool
        Whether each candidate pair is a true pair.
    n_true : int
        Number of true pairs in the whole universe, including those blocking
        never proposed (they are false negatives at every threshold).

    Returns
    -------
    DataFrame
        One row per distinct score, highest first, with the columns
        :data:`SWEEP_COLUMNS`.  Row ``t`` describes the decision ``score >= t``.

    Examples
    --------
    >>> s = threshold_sweep(np.array([0.9, 0.5, 0.5]), np.array([True, False, True]), 3)
    >>> s[["threshold", "tp", "fp", "fn"]].values.tolist()
    [[0.9, 1.0, 0.0, 2.0], [0.5, 2.0, 1.0, 1.0]]
    """
    scores = np.asarray(scores, dtype=float)
    is_true = np.asarray(is_true, dtype=bool)
    if scores.shape != is_true.shape:
        raise ValueError("scores and is_true must have the same length")
    if int(is_true.sum()) > n_true:
        raise ValueError("more true candidate pairs than true pairs in the universe")
    # order within a run of equal scores does not matter: only run ends are read
    order = np.argsort(-scores)
    s = scores[order]
    cum_tp = np.cumsum(is_true[order], dtype=np.int64)
    # the last index of each run of equal scores: everything up to it is accepted
    last = np.flatnonzero(np.append(s[1:] != s[:-1], True)) if len(s) else np.array([], int)
    tp = cum_tp[last]
    accepted = last + 1
    fp = accepted - tp
    fn = n_true - tp
    return pd.DataFrame(
        {
            "threshold": s[last],
            "accepted": accepted,
            "tp": tp,
            "fp": fp,
            "fn": fn,
            **_ratios(tp, fp, fn),
        },
        copy=False,  # the columns are fresh arrays; consolidating them costs more than the sweep
    )


def counts_at(sweep: pd.DataFrame, threshold: float, n_true: int) -> dict:
    """The sweep's row for the decision ``score >= threshold`` at any threshold.

    A threshold above every score accepts nothing.
    """
    at = sweep[sweep["threshold"] >= threshold]
    row: dict[str, float]
    if at.empty:
        row = {"accepted": 0, "tp": 0, "fp": 0, "fn": n_true}
        row.update({k: float(v[0]) for k, v in _ratios(0, 0, n_true).items()})
        return {"threshold": float(threshold), **row}
    last = at.iloc[-1]
    row = {c: int(last[c]) for c in ("accepted", "tp", "fp", "fn")}
    row.update({c: float(last[c]) for c in ("precision", "recall", "f1", "f_star")})
    return {"threshold": float(threshold), **row}


def choose_threshold(
    sweep: pd.DataFrame, point: OperatingPoint, natural_threshold: float | None
) -> tuple[float, bool] | None:
    """The threshold ``point`` selects from ``sweep``, and whether its target was reached.

    When a target cannot be reached the nearest achievable point is returned,
    flagged unreached, so its counts can be shown: for precision the most
    precise threshold, for recall the highest threshold with the most recall.
    The evaluation reports no decisions (outcomes, harm) at unreached points.
    An empty sweep gives an infinite threshold (accept nothing), unreached.
    Returns None when the strategy has no natural threshold.

    The thresholds are chosen with this world's ground truth, so they are an
    upper bound on what an agency, which has no ground truth, could achieve.
    """
    if point.kind == "natural":
        return None if natural_threshold is None else (float(natural_threshold), True)
    if sweep.empty:
        return float("inf"), False  # nothing to accept: no target is reached
    assert point.target is not None
    if point.kind == "precision":
        ok = sweep[sweep["precision"] >= point.target]
        if ok.empty:
            # best achievable precision; among equals, the most recall
            best = sweep[sweep["precision"] == sweep["precision"].max()]
            return float(best["threshold"].iloc[-1]), False
        # the most true pairs; among equals, the fewest accepted (highest threshold)
        best = ok[ok["tp"] == ok["tp"].max()]
        return float(best["threshold"].iloc[0]), True
    if point.kind == "recall":
        ok = sweep[sweep["recall"] >= point.target]
        if ok.empty:
            # the most recall there is, with the fewest pairs accepted
            best = sweep[sweep["tp"] == sweep["tp"].max()]
            return float(best["threshold"].iloc[0]), False
        return float(ok["threshold"].iloc[0]), True
    raise ValueError(f"unknown operating point kind {point.kind!r}")


def match_probability(scores: np.ndarray, scale: str | None) -> np.ndarray | None:
    """The model's match probability behind each score, or None when the scores are not one.

    ``scale`` is a strategy's ``score_scale``: ``"probability"`` (the score is
    P(match)) or ``"match_weight"`` (Splink's log2 odds, prior included).

    Examples
    --------
    >>> match_probability(np.array([0.0, 1.0]), "match_weight").tolist()
    [0.5, 0.6666666666666666]
    >>> match_probability(np.array([0.2]), None) is None
    True
    """
    scores = np.asarray(scores, dtype=float)
    if scale == "probability":
        return np.clip(scores, 0.0, 1.0)
    if scale == "match_weight":
        # 1 / (1 + 2^-w), computed without overflow for large |w|
        return np.exp2(-np.logaddexp2(0.0, -scores))
    return None


def model_threshold(
    scores: np.ndarray, probabilities: np.ndarray, target: float
) -> tuple[float, bool, float]:
    """The lowest threshold whose accepted pairs' mean match probability is at least ``target``.

    This is the precision the model itself claims for a decision, with no
    labels: an agency could set it.  Pairs with equal scores are accepted
    together, as everywhere in the sweep.

    Returns
    -------
    (threshold, reached, claimed_precision)
        When even the most probable pairs fall short of ``target``, the
        highest score, unreached, with its claim.  No pairs: ``inf``,
        unreached, NaN.

    Examples
    --------
    >>> model_threshold(np.array([3.0, 2.0, 1.0]), np.array([1.0, 0.99, 0.5]), 0.99)
    (2.0, True, 0.995)
    """
    scores = np.asarray(scores, dtype=float)
    if len(scores) == 0:
        return float("inf"), False, float("nan")
    order = np.argsort(-scores, kind="stable")
    s = scores[order]
    last = np.flatnonzero(np.append(s[1:] != s[:-1], True))
    claimed = np.cumsum(np.asarray(probabilities, dtype=float)[order])[last] / (last + 1)
    # the claim falls as the threshold falls (probability rises with score): a prefix reaches it
    ok = np.flatnonzero(claimed >= target)
    if len(ok) == 0:
        return float(s[last[0]]), False, float(claimed[0])
    i = ok[-1]
    return float(s[last[i]]), True, float(claimed[i])
