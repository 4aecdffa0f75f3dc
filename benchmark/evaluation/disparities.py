"""Disparities: how the wrong-person rate differs between groups of requested people.

Groups are attributes of the person a request is about, taken from the ground
truth: how common their surname is, their origin group, the size of the
building they live in and their state.  Every rate comes with the counts behind
it and a Wilson 95% interval, so small groups are visibly uncertain.

One world holds few wrong-person disclosures per group, so
:func:`pool_disparities` sums the counts of replicate worlds and puts an
interval on every figure: the wrong-person rate (Wilson), wrong-person
disclosures per 100,000 requests (Garwood exact Poisson), recall (Wilson) and
two parity ratios, the group's wrong-person rate and recall relative to the
whole (:func:`ratio_to_whole`).  :func:`pair_completeness_by_group` says
whether the blocking already loses some groups' true pairs.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from benchmark.evaluation.groups import BUILDING_SIZE_LABELS, DIMENSIONS

Z95 = 1.959963984540054
PER = 100_000
# decision keys of a disparities table as evaluate writes it
KEYS = ("strategy", "assignment", "operating_point")
# the counts of a disparities table: these add up over worlds
COUNTS = (
    "requests",
    "requests_with_wrong_person",
    "wrong_person",
    "correct",
    "missed",
    "with_true_pair",
    "found",
)
PC_COUNTS = ("true_pairs_in_group", "true_pairs_in_candidates")


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
    empty = n == 0
    return np.where(empty, np.nan, low), np.where(empty, np.nan, high)


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
        (disclosures), correct, missed, with_true_pair (requests whose person
        has a true record), found (of those, requests with a true pair among
        the decisions: a correct disclosure; recall = found / with_true_pair),
        wrong_person_rate (= requests_with_wrong_person / requests) with its
        Wilson interval (rate_ci_low, rate_ci_high), and
        wrong_share_of_disclosures.
    """
    per_request = decisions.groupby("request_id")["is_true"].agg(["size", "sum"])
    req = requests.set_index("request_id")
    disclosures = per_request["size"].reindex(req.index, fill_value=0)
    correct = per_request["sum"].reindex(req.index, fill_value=0)
    has_true = req["has_true_pair"].astype(bool)
    flags = pd.DataFrame(
        {
            "wrong_person": disclosures - correct,
            "correct": correct,
            "with_wrong": (disclosures - correct) > 0,
            "missed": (disclosures == 0) & has_true,
            "with_true_pair": has_true,
            "found": has_true & (correct > 0),
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
                "with_true_pair": g["with_true_pair"].sum(),
                "found": g["found"].sum(),
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


def _sort_groups(table: pd.DataFrame, keys: Sequence[str] = ()) -> pd.DataFrame:
    """Deciles in numeric order and building sizes from small to large; others alphabetically.

    Rows of different ``keys`` (decisions) keep the order in which they first appear.
    """
    order = {str(d): d for d in range(1, 11)}
    order.update({label: i for i, label in enumerate(BUILDING_SIZE_LABELS)})
    keys = list(keys)
    rank = table.groupby(keys, sort=False).ngroup() if keys else pd.Series(0, index=table.index)
    table = table.assign(
        _key=rank,
        _dim=table["dimension"].map({d: i for i, d in enumerate(DIMENSIONS)}),
        _group=table["group"].map(lambda g: order.get(g, 0)),
    )
    return table.sort_values(
        ["_key", "_dim", "dimension", "_group", "group"], ignore_index=True, kind="stable"
    ).drop(columns=["_key", "_dim", "_group"])


def poisson_interval(
    k: np.ndarray, exposure: np.ndarray, z: float = Z95
) -> tuple[np.ndarray, np.ndarray]:
    """Garwood exact interval for a Poisson count ``k``, divided by ``exposure``.

    NaN where ``exposure`` is 0; the lower bound is 0 where ``k`` is 0.

    Examples
    --------
    >>> lo, hi = poisson_interval(np.array([0, 10]), np.array([1, 1]))
    >>> round(float(hi[0]), 3), round(float(lo[1]), 3), round(float(hi[1]), 3)
    (3.689, 4.795, 18.39)
    """
    k = np.asarray(k, dtype=float)
    exposure = np.asarray(exposure, dtype=float)
    alpha = 2 * stats.norm.sf(z)
    low = np.where(k > 0, stats.chi2.ppf(alpha / 2, 2 * np.maximum(k, 1)) / 2, 0.0)
    high = stats.chi2.ppf(1 - alpha / 2, 2 * k + 2) / 2
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = np.where(exposure > 0, 1 / exposure, np.nan)
    return low * scale, high * scale


def ratio_to_whole(
    k: np.ndarray,
    n: np.ndarray,
    total_k: np.ndarray,
    total_n: np.ndarray,
    z: float = Z95,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A group's proportion ``k / n`` relative to the whole's ``total_k / total_n``, with an interval.

    The interval is Katz's log interval for the risk ratio RR of the group
    against the rest (``total_k − k`` of ``total_n − n``), mapped to the ratio
    to the whole.  With w = n / total_n the group's share, the whole's
    proportion is w·p_group + (1 − w)·p_rest, so

        R = p_group / p_whole = RR / (w·RR + 1 − w),

    which rises with RR, so the bounds of RR map to bounds of R.  The group is
    part of the whole, so the two proportions are not independent; RR compares
    independent counts, which is why the interval is made on RR.

    Where the group or the rest has no event, log RR is infinite: 0.5 is then
    added to every count and every denominator for the log-centre and the
    variance (Haldane), and the bound on the side of the boundary is the
    estimate itself (0 for a group without events, 1 / w when the rest has
    none).  The estimate R always uses the counts as they are.

    Parameters
    ----------
    k, n : array_like
        The group's events and trials.
    total_k, total_n : array_like
        The whole's events and trials (the group included).
    z : float
        Normal quantile of the interval (95% by default).

    Returns
    -------
    ratio, low, high : ndarray
        R and its interval; NaN where n or total_k is 0.  A group that is the
        whole has R = 1 exactly.

    Examples
    --------
    >>> r, lo, hi = ratio_to_whole(np.array([20]), np.array([100]), np.array([30]), np.array([200]))
    >>> round(float(r[0]), 3), bool(lo[0] < r[0] < hi[0])
    (1.333, True)
    """
    k1, n1 = np.asarray(k, dtype=float), np.asarray(n, dtype=float)
    kt, nt = np.asarray(total_k, dtype=float), np.asarray(total_n, dtype=float)
    k0, n0 = kt - k1, nt - n1
    with np.errstate(divide="ignore", invalid="ignore"):
        w = n1 / nt
        ratio = (k1 / n1) / (kt / nt)
        c = np.where((k1 == 0) | (k0 == 0), 0.5, 0.0)
        log_rr = np.log((k1 + c) / (n1 + c)) - np.log((k0 + c) / (n0 + c))
        se = np.sqrt(1 / (k1 + c) - 1 / (n1 + c) + 1 / (k0 + c) - 1 / (n0 + c))
        bounds = []
        for rr in (np.exp(log_rr - z * se), np.exp(log_rr + z * se)):
            bounds.append(rr / (w * rr + 1 - w))
        low, high = bounds
    low = np.where(k1 == 0, 0.0, low)
    with np.errstate(divide="ignore"):
        high = np.where(k0 == 0, 1 / w, high)
    whole = n0 == 0
    low, high = np.where(whole, 1.0, low), np.where(whole, 1.0, high)
    undefined = (n1 == 0) | (kt == 0)
    nan = np.full_like(ratio, np.nan)
    return (
        np.where(undefined, nan, np.where(whole, 1.0, ratio)),
        np.where(undefined, nan, low),
        np.where(undefined, nan, high),
    )


def pool_disparities(worlds: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """Disparities pooled over replicate worlds, with an interval on every figure.

    The counts of each (strategy, assignment, operating_point, dimension,
    group) are summed over the worlds that have the row (a strategy that did
    not reach its target in a world has none there), and every figure is
    recomputed from the sums.

    Parameters
    ----------
    worlds : sequence of DataFrame
        One :func:`disparities` table per world, with the decision keys
        (strategy, assignment, operating_point) that ``evaluate`` adds.
        Tables from before with_true_pair and found existed pool to NaN recall.

    Returns
    -------
    DataFrame
        The keys, dimension, group, worlds (how many worlds contributed), the
        summed counts (requests, requests_with_wrong_person, wrong_person,
        correct, missed, with_true_pair, found), then

        * wrong_person_rate = requests_with_wrong_person / requests, Wilson
          interval rate_ci_low, rate_ci_high;
        * wrong_person_per_100k = wrong_person disclosures per 100,000 of the
          group's requests, Garwood interval per_100k_ci_low, per_100k_ci_high;
        * recall = found / with_true_pair, Wilson interval recall_ci_low,
          recall_ci_high;
        * rate_ratio (ci rate_ratio_ci_low, rate_ratio_ci_high): the group's
          wrong-person rate over the rate of all requests of the decision and
          dimension (:func:`ratio_to_whole`, w = the group's share of
          requests); 1 is parity;
        * recall_ratio (recall_ratio_ci_low, recall_ratio_ci_high): the same
          for recall (w = the group's share of requests with a true pair);
        * wrong_share_of_disclosures = wrong_person / (wrong_person + correct).

        NaN where a figure's denominator is 0.
    """
    frames = [w for w in worlds if w is not None and not w.empty]
    if not frames:
        return pd.DataFrame(columns=[*KEYS, "dimension", "group", "worlds", *COUNTS])
    keys = [k for k in KEYS if all(k in f for f in frames)]
    by = [*keys, "dimension", "group"]
    counts = [c for c in COUNTS if all(c in f for f in frames)]
    carried = ["main"] if all("main" in f for f in frames) else []
    stacked = pd.concat(
        [f[[*by, *carried, *counts]].assign(_world=i) for i, f in enumerate(frames)],
        ignore_index=True,
    )
    stacked["group"] = stacked["group"].astype(str)
    g = stacked.groupby(by, sort=False, dropna=False)
    out = g[counts].sum()
    out.insert(0, "worlds", g["_world"].nunique())
    for c in carried:
        out.insert(0, c, g[c].first())
    out = _sort_groups(out.reset_index(), keys)
    for c in COUNTS:
        if c not in out:
            out[c] = np.nan
    return _pooled_figures(out, [*keys, "dimension"])


def _pooled_figures(out: pd.DataFrame, within: list[str]) -> pd.DataFrame:
    """Rates, intervals and parity ratios from the summed counts (``within`` = one dimension)."""
    totals = out.groupby(within, sort=False, dropna=False)[
        ["requests", "requests_with_wrong_person", "with_true_pair", "found"]
    ].transform("sum", min_count=1)
    n = out["requests"].to_numpy(dtype=float)
    k = out["requests_with_wrong_person"].to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        out["wrong_person_rate"] = np.where(n > 0, k / n, np.nan)
        out["rate_ci_low"], out["rate_ci_high"] = wilson_interval(k, n)
        wrong = out["wrong_person"].to_numpy(dtype=float)
        out["wrong_person_per_100k"] = np.where(n > 0, wrong * PER / n, np.nan)
        lo, hi = poisson_interval(wrong, n)
        out["per_100k_ci_low"], out["per_100k_ci_high"] = lo * PER, hi * PER
        t = out["with_true_pair"].to_numpy(dtype=float)
        f = out["found"].to_numpy(dtype=float)
        out["recall"] = np.where(t > 0, f / t, np.nan)
        out["recall_ci_low"], out["recall_ci_high"] = wilson_interval(f, t)
        for name, (kk, nn, tk, tn) in {
            "rate_ratio": (k, n, totals["requests_with_wrong_person"], totals["requests"]),
            "recall_ratio": (f, t, totals["found"], totals["with_true_pair"]),
        }.items():
            r, lo, hi = ratio_to_whole(kk, nn, tk.to_numpy(float), tn.to_numpy(float))
            out[name], out[f"{name}_ci_low"], out[f"{name}_ci_high"] = r, lo, hi
        disclosed = wrong + out["correct"].to_numpy(dtype=float)
        out["wrong_share_of_disclosures"] = np.where(disclosed > 0, wrong / disclosed, np.nan)
    return out


def pair_completeness_by_group(
    pairs: pd.DataFrame,
    truth_pairs: pd.DataFrame,
    requests: pd.DataFrame,
    dimensions: tuple[str, ...] = DIMENSIONS,
) -> pd.DataFrame:
    """The blocking's pair completeness per group of requests.

    Parameters
    ----------
    pairs : DataFrame
        The candidate pairs a strategy scored: request_id, record_id.
    truth_pairs : DataFrame
        Every true pair: request_id, record_id.
    requests : DataFrame
        Every request with request_id and the group columns.
    dimensions : tuple of str
        The group columns of ``requests`` to break completeness down by.

    Returns
    -------
    DataFrame
        dimension, group, true_pairs_in_group (true pairs of the group's
        requests), true_pairs_in_candidates (of those, how many are candidate
        pairs), pair_completeness (their share; NaN for a group without true
        pairs) with its Wilson interval (pc_ci_low, pc_ci_high).  Every group
        of ``requests`` has a row.

    Examples
    --------
    >>> reqs = pd.DataFrame({"request_id": [1, 2], "state": ["CA", "TX"]})
    >>> truth = pd.DataFrame({"request_id": [1, 2], "record_id": [10, 20]})
    >>> cand = pd.DataFrame({"request_id": [1, 2], "record_id": [10, 21]})
    >>> t = pair_completeness_by_group(cand, truth, reqs, ("state",))
    >>> t["true_pairs_in_candidates"].tolist()
    [1, 0]
    """
    keys = ["request_id", "record_id"]
    true = (
        truth_pairs[keys]
        .drop_duplicates()
        .merge(pairs[keys].drop_duplicates(), on=keys, how="left", indicator=True)
    )
    true["in_candidates"] = true["_merge"] == "both"
    req = requests.set_index("request_id")
    true = true[true["request_id"].isin(req.index)]
    frames = []
    for dim in dimensions:
        groups = req[dim].astype(str)
        g = true.groupby(true["request_id"].map(groups), sort=True)["in_candidates"]
        index = pd.Index(sorted(groups.unique()), name="group")
        t = pd.DataFrame(
            {
                "true_pairs_in_group": g.size().reindex(index, fill_value=0),
                "true_pairs_in_candidates": g.sum().reindex(index, fill_value=0),
            }
        ).astype("int64")
        t = t.reset_index()
        t.insert(0, "dimension", dim)
        frames.append(t)
    out = _sort_groups(pd.concat(frames, ignore_index=True))
    return _completeness(out)


def pool_pair_completeness(worlds: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """Pair completeness by group summed over replicate worlds.

    Parameters
    ----------
    worlds : sequence of DataFrame
        :func:`pair_completeness_by_group` tables, one per world and strategy,
        each with a ``strategy`` column the caller added (without it, all rows
        of a group pool together).

    Returns
    -------
    DataFrame
        strategy (when given), dimension, group, worlds, the summed
        true_pairs_in_group and true_pairs_in_candidates, pair_completeness
        and its Wilson interval (pc_ci_low, pc_ci_high).
    """
    frames = [w for w in worlds if w is not None and not w.empty]
    if not frames:
        return pd.DataFrame(columns=["strategy", "dimension", "group", "worlds", *PC_COUNTS])
    keys = ["strategy"] if all("strategy" in f for f in frames) else []
    by = [*keys, "dimension", "group"]
    stacked = pd.concat(
        [f[[*by, *PC_COUNTS]].assign(_world=i) for i, f in enumerate(frames)], ignore_index=True
    )
    stacked["group"] = stacked["group"].astype(str)
    g = stacked.groupby(by, sort=False)
    out = g[list(PC_COUNTS)].sum()
    out.insert(0, "worlds", g["_world"].nunique())
    return _completeness(_sort_groups(out.reset_index(), keys))


def _completeness(out: pd.DataFrame) -> pd.DataFrame:
    k = out["true_pairs_in_candidates"].to_numpy(dtype=float)
    n = out["true_pairs_in_group"].to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        out["pair_completeness"] = np.where(n > 0, k / n, np.nan)
    out["pc_ci_low"], out["pc_ci_high"] = wilson_interval(k, n)
    return out
