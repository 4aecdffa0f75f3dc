"""One-to-one assignment of scored pairs."""

from __future__ import annotations

import numpy as np
import pandas as pd


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
    order = np.lexsort(
        (pairs["record_id"].to_numpy(), pairs["request_id"].to_numpy(), -pairs["score"].to_numpy())
    )
    req = pairs["request_id"].to_numpy()[order]
    rec = pairs["record_id"].to_numpy()[order]
    taken_req: set = set()
    taken_rec: set = set()
    keep = np.zeros(len(order), dtype=bool)
    for i, (q, r) in enumerate(zip(req.tolist(), rec.tolist(), strict=True)):
        if q not in taken_req and r not in taken_rec:
            keep[i] = True
            taken_req.add(q)
            taken_rec.add(r)
    kept = pairs.iloc[order[keep]]
    return kept.sort_values(["request_id", "record_id"], ignore_index=True)
