"""Tables over worlds: each world's evaluation pooled into figures with intervals.

World 0's tables stay as they are (``outcomes``, ``harm_summary`` ... describe
one world).  Over all worlds evaluated together this adds:

- ``replicate_figures`` and ``intervals`` (:mod:`benchmark.evaluation.aggregate`):
  every headline figure per world, and its mean with a 95% interval; counts of
  people and households get household-cluster intervals;
- ``disparities``: world 0's groups with intervals and parity ratios, and
  ``disparities_pooled``: the groups' counts pooled over every world, likewise;
- ``error_causes_pooled``: the routes of every world's wrong-person disclosures;
- ``reliability``: claimed against realised match probability, pooled;
- ``paired_differences``: each pair of strategies on the same requests;
- ``blocking_by_group``: the blocking's pair completeness by group, pooled.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from benchmark.evaluation.aggregate import cluster_counts, headline_figures, intervals
from benchmark.evaluation.disparities import (
    pool_disparities,
    pool_pair_completeness,
    wilson_interval,
)
from benchmark.evaluation.error_causes import cause_counts
from benchmark.evaluation.paired import paired_differences

KEYS = ["strategy", "assignment", "operating_point"]
# the tables of a stored one-world evaluation that pooling reads
WORLD_TABLES = (
    "operating_points",
    "outcomes",
    "harm_summary",
    "harm_households",
    "disparities",
    "request_disclosures",
    "reliability",
    "error_cause_disclosures",
    "blocking_by_group",
)


def pooled_tables(worlds: Sequence[Mapping[str, pd.DataFrame]]) -> dict[str, pd.DataFrame]:
    """The over-worlds tables of the module docstring from each world's tables (world 0 first).

    Parameters
    ----------
    worlds : sequence of mapping
        Each world's evaluation tables (those of :data:`WORLD_TABLES` it has).

    Returns
    -------
    dict of DataFrame
    """
    figures = pd.concat(
        [headline_figures(dict(w), k) for k, w in enumerate(worlds)], ignore_index=True
    )
    clusters = [cluster_counts(dict(w), k) for k, w in enumerate(worlds)]
    clusters = [c for c in clusters if not c.empty]
    out = {
        "replicate_figures": figures,
        "intervals": intervals(figures, pd.concat(clusters, ignore_index=True) if clusters else None),
    }
    if "disparities" in worlds[0]:
        out["disparities"] = pool_disparities([worlds[0]["disparities"]])
        out["disparities_pooled"] = pool_disparities(
            [w["disparities"] for w in worlds if "disparities" in w]
        )
    blocking = [w["blocking_by_group"] for w in worlds if len(w.get("blocking_by_group", ()))]
    if blocking:
        out["blocking_by_group"] = pool_pair_completeness(blocking)
    reliability = [w["reliability"] for w in worlds if len(w.get("reliability", ()))]
    if reliability:
        out["reliability"] = pool_reliability(reliability)
    causes = [w["error_cause_disclosures"] for w in worlds if "error_cause_disclosures" in w]
    causes = [c for c in causes if "route" in c]
    if causes:
        decided = pd.concat([w["outcomes"][KEYS] for w in worlds], ignore_index=True)
        out["error_causes_pooled"] = cause_counts(
            pd.concat(causes, ignore_index=True), KEYS, combinations=decided.drop_duplicates()
        ).assign(worlds=len(causes))
    if all("request_disclosures" in w for w in worlds):
        out["paired_differences"] = paired_differences(
            [{**w, "n_requests": _n_requests(w)} for w in worlds]
        )
    return out


def _n_requests(world: Mapping[str, pd.DataFrame]) -> int:
    """A world's number of requests, as its outcomes record it."""
    outcomes = world["outcomes"]
    return int(outcomes["n_requests"].iloc[0]) if len(outcomes) else 0


def pool_reliability(tables: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """Reliability bins pooled over worlds: pairs summed, claims pair-weighted, Wilson again.

    Examples
    --------
    >>> t = pd.DataFrame({"strategy": "s", "assignment": "none", "bin_low": [0.9], "bin_high": [1.0],
    ...                   "pairs": [10], "true_pairs": [9], "claimed": [0.95]})
    >>> pool_reliability([t, t.assign(claimed=0.97)])[["pairs", "true_pairs", "claimed"]].values.tolist()
    [[20.0, 18.0, 0.96]]
    """
    keys = ["strategy", "assignment", "bin_low", "bin_high"]
    frame = pd.concat(tables, ignore_index=True)
    frame = frame.assign(weighted=frame["claimed"] * frame["pairs"])
    out = frame.groupby(keys, sort=False)[["pairs", "true_pairs", "weighted"]].sum().reset_index()
    out["claimed"] = out.pop("weighted") / out["pairs"]
    k, n = out["true_pairs"].to_numpy(float), out["pairs"].to_numpy(float)
    out["realised"] = np.divide(k, n, out=np.full(len(out), np.nan), where=n > 0)
    out["realised_ci_low"], out["realised_ci_high"] = wilson_interval(k, n)
    out["worlds"] = len(tables)
    # strategies in the order the evaluation gave them, bins from low to high
    order = {s: i for i, s in enumerate(pd.unique(frame["strategy"]))}
    out = out.assign(_order=out["strategy"].map(order))
    out = out.sort_values(["_order", "assignment", "bin_low"], kind="stable", ignore_index=True)
    return out.drop(columns="_order")
