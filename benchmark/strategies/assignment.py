"""One-to-one assignment of scored pairs."""

from __future__ import annotations

import numpy as np
import pandas as pd


def pair_keys(request_id: np.ndarray, record_id: np.ndarray) -> np.ndarray:
    """One int64 key per (request_id, record_id) pair, for fast membership tests.

    Ids must be non-negative and below 2**31 (true of every generated world).
    """
    req = np.asarray(request_id, dtype=np.int64)
    rec = np.asarray(record_id, dtype=np.int64)
    if len(req) and (req.min() < 0 or rec.min() < 0 or req.max() >= 2**31 or rec.max() >= 2**31):
        raise ValueError("request_id and record_id must lie in [0, 2**31)")
    return (req << 31) | rec


def one_to_one(pairs: pd.DataFrame) -> pd.DataFrame:
    """Keep each request's and each record's best pair, greedily, best score first.

    Pairs are taken in order of decreasing score; ties are broken by request_id,
    then record_id (ascending), so the result is deterministic.  A pair is kept
    when neither its request nor its record has been taken.

    Parameters
    ----------
    pairs : DataFrame
        request_id, record_id, score (and any other columns, kept).

    Returns
    -------
    DataFrame
        The kept pairs, in the input's column order, sorted by request_id, record_id.

    Examples
    --------
    >>> p = pd.DataFrame({"request_id": [1, 1, 2], "record_id": [7, 8, 7], "score": [0.9, 0.5, 0.9]})
    >>> one_to_one(p)[["request_id", "record_id"]].values.tolist()
    [[1, 7]]
    """
    if pairs.empty:
        return pairs.copy()
    # small dense codes keep the order of the ids, index flat flags, and fit pair_keys
    req = _codes(pairs["request_id"].to_numpy(dtype=np.int64))
    rec = _codes(pairs["record_id"].to_numpy(dtype=np.int64))
    # order: score descending, ties by (request_id, record_id); a stable sort by score of
    # pairs already in id order gives that without a slower three-key lexsort
    key = pair_keys(req, rec)
    by_id = None if bool(np.all(key[1:] > key[:-1])) else np.argsort(key, kind="stable")
    score = pairs["score"].to_numpy(dtype=float)
    if by_id is None:
        order = np.argsort(-score, kind="stable")
    else:
        order = by_id[np.argsort(-score[by_id], kind="stable")]
    q_codes, r_codes = req[order], rec[order]
    taken_req = bytearray(int(q_codes.max()) + 1)
    taken_rec = bytearray(int(r_codes.max()) + 1)
    keep = bytearray(len(order))
    for i, (q, r) in enumerate(zip(q_codes.tolist(), r_codes.tolist(), strict=True)):
        if not taken_req[q] and not taken_rec[r]:
            keep[i] = 1
            taken_req[q] = 1
            taken_rec[r] = 1
    kept = pairs.iloc[np.sort(order[np.frombuffer(keep, dtype=bool)])]
    return kept.sort_values(["request_id", "record_id"], ignore_index=True)


def _codes(ids: np.ndarray) -> np.ndarray:
    """Small non-negative integers in the order of ``ids`` (the ids themselves when they are small)."""
    if ids.min() >= 0 and ids.max() < 2**26:
        return ids
    return np.unique(ids, return_inverse=True)[1]
