"""What can be said of scored pairs without ground truth: match counts and score distributions.

Used by ``itin-bench evaluate`` on user tables whose mapping names no entity
id: no precision or recall can be computed, but how many requests each
strategy would answer, and at which scores, can.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from benchmark.strategies.assignment import one_to_one

BINS = 20


def match_counts(pairs: pd.DataFrame, threshold: float | None, n_requests: int) -> dict:
    """Disclosures a strategy makes at ``threshold`` (every candidate pair when ``None``).

    Returns
    -------
    dict
        threshold, pairs, requests_matched (with their share of all
        requests), records_matched, requests_with_multiple_pairs.

    Examples
    --------
    >>> p = pd.DataFrame({"request_id": [1, 1, 2], "record_id": [7, 8, 7], "score": [0.9, 0.4, 1.0]})
    >>> c = match_counts(p, 0.5, 4)
    >>> [c[k] for k in ("pairs", "requests_matched", "records_matched")]
    [2, 2, 1]
    """
    chosen = pairs if threshold is None else pairs[pairs["score"] >= threshold]
    per_request = chosen.groupby("request_id").size()
    return {
        "threshold": np.nan if threshold is None else float(threshold),
        "pairs": int(len(chosen)),
        "requests_matched": int(len(per_request)),
        "requests_matched_share": len(per_request) / n_requests if n_requests else np.nan,
        "records_matched": int(chosen["record_id"].nunique()),
        "requests_with_multiple_pairs": int((per_request > 1).sum()),
    }


def score_distribution(pairs: pd.DataFrame, bins: int = BINS) -> pd.DataFrame:
    """Pairs per score bin, and how many pairs and requests a threshold at each bin keeps.

    Bins are equal-width over the strategy's own score range (one bin when all
    scores are equal).

    Returns
    -------
    DataFrame
        bin, score_low, score_high, pairs, requests_best (requests whose best
        score falls in the bin), pairs_at_or_above and requests_at_or_above
        (what a threshold at ``score_low`` keeps).
    """
    scores = pairs["score"].to_numpy(dtype=float)
    if len(scores) == 0:
        return pd.DataFrame(
            columns=[
                "bin",
                "score_low",
                "score_high",
                "pairs",
                "requests_best",
                "pairs_at_or_above",
                "requests_at_or_above",
            ]
        )
    low, high = float(scores.min()), float(scores.max())
    n = 1 if low == high else bins
    edges = np.linspace(low, high, n + 1) if n > 1 else np.array([low, high])
    which = np.clip(np.searchsorted(edges, scores, side="right") - 1, 0, n - 1)
    best = pairs.groupby("request_id")["score"].max().to_numpy(dtype=float)
    best_bin = np.clip(np.searchsorted(edges, best, side="right") - 1, 0, n - 1)
    per_bin = np.bincount(which, minlength=n)
    best_per_bin = np.bincount(best_bin, minlength=n)
    return pd.DataFrame(
        {
            "bin": np.arange(n),
            "score_low": edges[:-1],
            "score_high": edges[1:],
            "pairs": per_bin,
            "requests_best": best_per_bin,
            "pairs_at_or_above": per_bin[::-1].cumsum()[::-1],
            "requests_at_or_above": best_per_bin[::-1].cumsum()[::-1],
        }
    )


def unlabelled_tables(runs: list, n_requests: int) -> dict[str, pd.DataFrame]:
    """``match_counts`` and ``score_distribution`` of every link run, with and without one-to-one.

    Parameters
    ----------
    runs : list of LinkRun
        The link folders read by :func:`benchmark.evaluation.link_runs.load_link_run`.
    n_requests : int
        Requests in the file (for the matched share).
    """
    counts, distributions = [], []
    for run in runs:
        for assignment in ("none", "one_to_one"):
            pairs = run.pairs if assignment == "none" else one_to_one(run.pairs)
            key = {"strategy": run.strategy, "assignment": assignment}
            counts.append({**key, **match_counts(pairs, run.natural_threshold, n_requests)})
            dist = score_distribution(pairs)
            distributions.append(dist.assign(**key)[[*key, *dist.columns]])
    return {
        "match_counts": pd.DataFrame(counts),
        "score_distribution": pd.concat(distributions, ignore_index=True)
        if distributions
        else pd.DataFrame(),
    }
