"""Disparities: how the wrong-person rate differs between groups of requested people.

Groups are attributes of the person a request is about, taken from the ground
truth: how common their surname is, their origin group, the size of the
building they live in and their state.  Every rate comes with the counts behind
it and a Wilson 95% interval, so small groups are visibly uncertain.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from benchmark.evaluation.groups import BUILDING_SIZE_LABELS, DIMENSIONS

Z95 = 1.959963984540054


def wilson_interval(k: np.ndarray, n: np.ndarray, z: float = Z95) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for the proportions ``k / n`` (NaN where ``n`` is 0).

    Examples
    --------
    >>> lo, hi = wilson_interval(np.array([0]), np.array([10]))
    >>> float(lo[0]), round(float(hi[0]), 4)
    (0.0, 0.2775)
    """
    k = np.asarray(k, dtype=float)
    n = np.asarray(n, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = k / n
        denom = 1 + z**2 / n
        centre = (p + z**2 / (2 * n)) / denom
        half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / denom
    # exact at the edges, where rounding would leave 1e-17 instead of 0
    low = np.where(k == 0, 0.0, np.clip(centre - half, 0, 1))
    high = np.where(k == n, 1.0, np.clip(centre + half, 0, 1))
    return low, high


def disparities(
    decisions: pd.DataFrame,
    requests: pd.DataFrame,
    dimensions: tuple[str, ...] = DIMENSIONS,
) -> pd.DataFrame:
    """Wrong-person rate per group of requests, for each dimension (default :data:`DIMENSIONS`).

    Parameters
    ----------
    decisions : DataFrame
        The accepted pairs: request_id, record_id, is_true.
    requests : DataFrame
        Every request with has_true_pair and the group columns.
    dimensions : tuple of str
        The group columns of ``requests`` to break the rate down by.

    Returns
    -------
    DataFrame
        dimension, group, requests, requests_with_wrong_person, wrong_person
        (disclosures), correct, missed, wrong_person_rate
        (= requests_with_wrong_person / requests) with its Wilson interval
        (rate_ci_low, rate_ci_high), and wrong_share_of_disclosures.
    """
    per_request = decisions.groupby("request_id")["is_true"].agg(["size", "sum"])
    req = requests.set_index("request_id")
    disclosures = per_request["size"].reindex(req.index, fill_value=0)
    correct = per_request["sum"].reindex(req.index, fill_value=0)
    flags = pd.DataFrame(
        {
            "wrong_person": disclosures - correct,
            "correct": correct,
            "with_wrong": (disclosures - correct) > 0,
            "missed": (disclosures == 0) & req["has_true_pair"].astype(bool),
        },
        index=req.index,
    )
    frames = []
    for dim in dimensions:
        g = flags.groupby(req[dim].astype(str), sort=True)
        t = pd.DataFrame(
            {
                "requests": g.size(),
                "requests_with_wrong_person": g["with_wrong"].sum(),
                "wrong_person": g["wrong_person"].sum(),
                "correct": g["correct"].sum(),
                "missed": g["missed"].sum(),
            }
        )
        t.index.name = "group"
        t = t.reset_index()
        t.insert(0, "dimension", dim)
        frames.append(t)
    out = pd.concat(frames, ignore_index=True)
    out = _sort_groups(out)
    k, n = out["requests_with_wrong_person"].to_numpy(), out["requests"].to_numpy()
    out["wrong_person_rate"] = k / n
    out["rate_ci_low"], out["rate_ci_high"] = wilson_interval(k, n)
    disclosed = out["wrong_person"] + out["correct"]
    out["wrong_share_of_disclosures"] = np.where(
        disclosed > 0, out["wrong_person"] / disclosed.where(disclosed > 0, 1), np.nan
    )
    return out


def _sort_groups(table: pd.DataFrame) -> pd.DataFrame:
    """Deciles in numeric order and building sizes from small to large; others alphabetically."""

    order = {str(d): d for d in range(1, 11)}
    order.update({label: i for i, label in enumerate(BUILDING_SIZE_LABELS)})
    table = table.assign(
        _dim=table["dimension"].map({d: i for i, d in enumerate(DIMENSIONS)}),
        _group=table["group"].map(lambda g: order.get(g, 0)),
    )
    return table.sort_values(["_dim", "_group", "group"], ignore_index=True).drop(
        columns=["_dim", "_group"]
    )
