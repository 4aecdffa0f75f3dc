"""Intervals for counts of people that arrive in clusters (households, requests).

A wrong-person disclosure exposes a whole household: one disclosure adds 1 to
8 people to "people exposed", not one.  Counting each person as an
independent Poisson event (the Garwood interval of the pooled count) makes the
interval too narrow by the square root of the variance ratio, which is 1.4 to
5.0 for person counts in these worlds.

The count is instead treated as a weighted sum of Poisson events, the event
being the cluster (a disclosed household, or a request with disclosures) and
its weight the cluster's value (its people, citizens, ...):

* pooled over the K worlds, the total is ``T = Σ w`` with estimated variance
  ``Σ w²`` (each cluster a Poisson event of weight ``w``);
* worlds differ by more than their sampling noise when the rate itself varies
  from world to world.  The dispersion ``φ = max(1, Q / (K − 1))`` scales the
  variance, where ``Q`` is the Pearson statistic of the world totals against
  their shares of the world's requests, each term divided by that world's
  share of ``Σ w²`` (the compound-Poisson variance of a world total; for
  weight-1 clusters that is the expected count and ``Q`` is the ordinary
  Pearson chi-square).  Dividing by the expected *total* instead would count
  the cluster sizes twice: once in ``Σ w²``, once in ``Q``;
* the interval of the total is the gamma interval of Fay and Feuer (1997,
  *Statistics in Medicine* 16:791), built for weighted sums of Poisson counts
  (age-adjusted rates): a gamma with the total's mean and variance for the
  lower bound, and one with an extra event of the largest weight for the
  upper bound, so a total of 0 still gets an upper bound.  With one event of
  weight 1 per cluster it is exactly the Garwood interval.

The interval of the pooled total becomes an interval of the mean per world
(divided by K) and of the rate per 100,000 requests (times 100,000 / N, N the
requests of the K worlds).

The gamma interval takes φ as known, but with 3 to 5 worlds it is estimated on
2 to 4 degrees of freedom: when the rate really varies between worlds (30% in
simulation, 40 households a world) the interval alone covers the mean about
87% of the time at 3 worlds and 90% at 5.
:func:`benchmark.evaluation.aggregate.intervals` therefore joins it with the
t-interval over worlds, which carries that uncertainty (and fails for rare
events, where the gamma interval does not): 95-99.7% over the simulations of
``tests/benchmark/test_cluster_intervals.py``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np
import pandas as pd

log = logging.getLogger(__name__)

PER = 100_000

# columns of pooled_cluster_intervals, after the keys
RESULT_COLUMNS = [
    "replicates",
    "requests",
    "total",
    "variance",
    "phi",
    "max_weight",
    "total_low",
    "total_high",
    "mean_low",
    "mean_high",
    "per_100k_low",
    "per_100k_high",
]


def gamma_interval(
    total: float | np.ndarray,
    variance: float | np.ndarray,
    max_weight: float | np.ndarray,
    level: float = 0.95,
) -> tuple[np.ndarray, np.ndarray]:
    """The Fay–Feuer gamma interval of a weighted sum of Poisson counts.

    Parameters
    ----------
    total : float or array
        The weighted sum ``Σ w``.
    variance : float or array
        Its estimated variance (``Σ w²``, possibly scaled by a dispersion).
    max_weight : float or array
        The largest weight an event may carry; the upper bound adds one such
        event, so that a total of 0 still gets an upper bound.
    level : float
        Coverage of the two-sided interval.

    Returns
    -------
    (array, array)
        Lower and upper bounds (broadcast over the inputs).  The lower bound is
        0 at a total of 0; the upper bound there is
        ``max_weight · chi2(level', 2) / 2``, ``level' = (1 + level) / 2``.

    Examples
    --------
    Weight-1 events give the Garwood interval of a Poisson count:

    >>> low, high = gamma_interval(3.0, 3.0, 1.0)
    >>> round(float(low), 4), round(float(high), 4)
    (0.6187, 8.7673)
    >>> [round(float(b), 4) for b in gamma_interval(0.0, 0.0, 2.0)]
    [0.0, 7.3778]
    """
    from scipy import stats

    alpha = 1.0 - level
    total, variance, max_weight = np.broadcast_arrays(
        np.asarray(total, dtype=float),
        np.asarray(variance, dtype=float),
        np.asarray(max_weight, dtype=float),
    )
    seen = (total > 0) & (variance > 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        low = np.where(
            seen,
            stats.gamma.ppf(
                alpha / 2,
                np.where(seen, total**2 / variance, 1.0),
                scale=np.where(seen, variance / total, 1.0),
            ),
            0.0,
        )
        up_total = total + max_weight
        up_variance = variance + max_weight**2
        high = stats.gamma.ppf(
            1 - alpha / 2, up_total**2 / up_variance, scale=up_variance / up_total
        )
    low = np.where(np.isnan(total), np.nan, low)
    return low, high


def dispersion(
    world_totals: np.ndarray, shares: np.ndarray, sum_squares: float
) -> tuple[float, float]:
    """The Pearson statistic Q of one figure's world totals and the dispersion φ.

    Parameters
    ----------
    world_totals : array
        The figure's total in each of K worlds (0 where a world had no cluster).
    shares : array
        Each world's share of the requests (summing to 1).
    sum_squares : float
        ``Σ w²`` over all clusters of all worlds.

    Returns
    -------
    (float, float)
        ``Q = Σ (T_k − T s_k)² / (s_k Σ w²)`` and ``φ = max(1, Q / (K − 1))``;
        φ is 1 with one world or no events.

    Examples
    --------
    >>> dispersion(np.array([10.0, 10.0]), np.array([0.5, 0.5]), 20.0)
    (0.0, 1.0)
    >>> q, phi = dispersion(np.array([2.0, 18.0]), np.array([0.5, 0.5]), 20.0)
    >>> round(q, 2), round(phi, 2)
    (12.8, 12.8)
    """
    world_totals = np.asarray(world_totals, dtype=float)
    shares = np.asarray(shares, dtype=float)
    k = len(world_totals)
    total = world_totals.sum()
    if k < 2 or total <= 0 or sum_squares <= 0:
        return 0.0, 1.0
    q = float(np.sum((world_totals - total * shares) ** 2 / (shares * sum_squares)))
    return q, max(1.0, q / (k - 1))


def pooled_cluster_intervals(
    clusters: pd.DataFrame,
    worlds: pd.DataFrame,
    keys: Sequence[str],
    max_weight: float | pd.Series | None = None,
    level: float = 0.95,
) -> pd.DataFrame:
    """Cluster intervals of many figures at once, pooled over worlds.

    Parameters
    ----------
    clusters : DataFrame
        One row per cluster: ``keys``, ``replicate``, ``value`` (the cluster's
        contribution to the figure).  Rows with value 0 may be left out.
    worlds : DataFrame
        The worlds each figure is measured in: ``keys``, ``replicate``,
        ``n_requests`` (one row per figure and world).  A world listed here
        without clusters counts as a world with total 0; clusters of a world
        not listed for their figure are ignored (e.g. an operating point whose
        target that world did not reach).
    keys : list of str
        Columns naming a figure.
    max_weight : float or Series, optional
        The largest weight one more event could carry, for the upper bound: a
        number, or a Series indexed like the figures' keys (a MultiIndex for
        several keys).  It is raised to the largest cluster value of the
        figure; by default that value alone, or 1 without clusters.
    level : float
        Coverage of the two-sided intervals.

    Returns
    -------
    DataFrame
        One row per figure of ``worlds``: ``keys``, then ``replicates`` (K),
        ``requests`` (N), ``total``, ``variance`` (φ Σ w²), ``phi``,
        ``max_weight``, and the bounds of the pooled total (``total_low``,
        ``total_high``), of the mean per world (÷ K) and of the rate per
        100,000 requests (× 100,000 / N; NaN without requests).

    Examples
    --------
    Two worlds of 1,000 requests; households of 4 and 2 people in the first,
    one of 3 in the second:

    >>> c = pd.DataFrame({"metric": "people", "replicate": [0, 0, 1], "value": [4, 2, 3]})
    >>> w = pd.DataFrame({"metric": "people", "replicate": [0, 1], "n_requests": 1000})
    >>> r = pooled_cluster_intervals(c, w, ["metric"], max_weight=8).iloc[0]
    >>> int(r["replicates"]), float(r["total"]), float(r["variance"]), float(r["phi"])
    (2, 9.0, 29.0, 1.0)
    >>> round(float(r["mean_low"]), 3), round(float(r["mean_high"]), 3)
    (0.856, 20.227)
    """
    keys = list(keys)
    world_keys = [*keys, "replicate"]
    worlds = worlds[[*world_keys, "n_requests"]].drop_duplicates(world_keys)
    values = clusters["value"].astype(float)
    per_world = (
        clusters[world_keys]
        .assign(value=values, square=values**2)
        .groupby(world_keys, sort=False, dropna=False)
        .agg(total=("value", "sum"), square=("square", "sum"), biggest=("value", "max"))
        .reset_index()
    )
    at = worlds.merge(per_world, on=world_keys, how="left", validate="one_to_one")
    dropped = len(per_world) - int(at["biggest"].notna().sum())
    if dropped:
        log.debug("%d figure-worlds with clusters but no figure ignored", dropped)
    at[["total", "square"]] = at[["total", "square"]].fillna(0.0)
    at["n_requests"] = at["n_requests"].astype(float)
    g = at.groupby(keys, sort=False, dropna=False)
    # a world without a request count gives every world of the figure the same share
    n = at["n_requests"]
    at["known"] = (
        (np.isfinite(n) & (n > 0)).groupby([at[c] for c in keys], dropna=False).transform("all")
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(
            at["known"],
            n / g["n_requests"].transform("sum"),
            1.0 / g["replicate"].transform("size"),
        )
        expected = g["total"].transform("sum") * share
        square = g["square"].transform("sum")
        at["q"] = np.where(square > 0, (at["total"] - expected) ** 2 / (share * square), 0.0)
    out = g.agg(
        replicates=("replicate", "size"),
        requests=("n_requests", "sum"),
        known=("known", "all"),
        total=("total", "sum"),
        square=("square", "sum"),
        biggest=("biggest", "max"),
        q=("q", "sum"),
    )
    out.loc[~out["known"], "requests"] = np.nan
    k = out["replicates"].to_numpy(dtype=float)
    events = (out["total"] > 0).to_numpy()
    out["phi"] = np.where(
        (k > 1) & events, np.maximum(1.0, out["q"].to_numpy() / np.maximum(k - 1, 1)), 1.0
    )
    out["variance"] = out["phi"] * out["square"]
    if max_weight is None:
        floor = pd.Series(1.0, index=out.index).where(out["biggest"].isna(), 0.0)
    elif isinstance(max_weight, pd.Series):
        floor = max_weight.reindex(out.index).astype(float).fillna(1.0)
    else:
        floor = pd.Series(float(max_weight), index=out.index)
    out["max_weight"] = np.fmax(out["biggest"].to_numpy(dtype=float), floor.to_numpy())
    low, high = gamma_interval(out["total"], out["variance"], out["max_weight"], level)
    out["total_low"], out["total_high"] = low, high
    out["mean_low"], out["mean_high"] = low / k, high / k
    requests = out["requests"].to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        scale = np.where(requests > 0, PER / requests, np.nan)
    out["per_100k_low"], out["per_100k_high"] = low * scale, high * scale
    return out.reset_index()[[*keys, *RESULT_COLUMNS]]


def pooled_cluster_interval(
    values_by_world: Sequence[Sequence[float]],
    n_requests: Sequence[float] | None = None,
    max_weight: float | None = None,
    level: float = 0.95,
) -> dict[str, float]:
    """The cluster interval of one figure from its cluster values in each world.

    Parameters
    ----------
    values_by_world : list of array
        For each of K worlds, the values of its clusters (an empty list for a
        world without any).
    n_requests : list of float, optional
        Each world's number of requests (equal shares, and no rate, without).
    max_weight : float, optional
        The largest weight one more event could carry (see
        :func:`pooled_cluster_intervals`).
    level : float
        Coverage of the two-sided interval.

    Returns
    -------
    dict
        The columns of :func:`pooled_cluster_intervals` (no keys).

    Examples
    --------
    Weight-1 clusters as likely in either world: the Garwood interval.

    >>> r = pooled_cluster_interval([[1, 1], [1]], n_requests=[500, 500])
    >>> r["total"], r["phi"], round(r["total_low"], 4), round(r["total_high"], 4)
    (3.0, 1.0, 0.6187, 8.7673)
    >>> round(r["mean_high"], 3), round(r["per_100k_high"], 1)
    (4.384, 876.7)

    All in one world of two: overdispersed, so wider.

    >>> r = pooled_cluster_interval([[1, 1, 1], []])
    >>> r["phi"], round(r["total_high"], 2)
    (3.0, 12.15)
    """
    k = len(values_by_world)
    if k == 0:
        raise ValueError("no worlds")
    n = [np.nan] * k if n_requests is None else list(n_requests)
    if len(n) != k:
        raise ValueError(f"{len(n)} request counts for {k} worlds")
    clusters = pd.DataFrame(
        {
            "figure": 0,
            "replicate": np.repeat(np.arange(k), [len(v) for v in values_by_world]),
            "value": np.concatenate([np.asarray(v, dtype=float) for v in values_by_world]),
        }
    )
    worlds = pd.DataFrame({"figure": 0, "replicate": np.arange(k), "n_requests": n})
    row = pooled_cluster_intervals(clusters, worlds, ["figure"], max_weight, level).iloc[0]
    return {c: float(row[c]) for c in RESULT_COLUMNS}
