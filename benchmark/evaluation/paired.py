"""Paired comparisons of strategies: how much one wrongs fewer people than another.

Every strategy links the same requests in the same worlds, so two strategies
mostly err on the same hard requests.  Comparing their rates with two separate
intervals ignores that and calls many real differences unresolved; comparing
them request by request (matched clusters) cancels the shared errors.

For strategies A and B at their main operating points (no one-to-one
assignment), each cluster contributes the difference of its values:

* wrong-person disclosures: the cluster is the request, ``d_i = wrong_A(i) -
  wrong_B(i)`` over every request either strategy disclosed anything for;
* unrelated households and their US-citizen children: the cluster is the
  household reached by a wrong-person disclosure for a request about someone
  who does not live there, ``d_h = value_A(h) - value_B(h)`` with value 1 (a
  household) or its US-citizen children, 0 when the strategy does not reach it.

The pooled difference is ``D = sum d`` over the worlds and clusters, with
variance ``phi * sum d**2`` (see :func:`pooled_interval`), and the normal 95%
interval on ``D`` is scaled per 100,000 requests by ``100000 / N`` (``N`` the
requests of the worlds used).  Worlds where either main point did not reach
its target are left out of that pair (column ``worlds``).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from itertools import combinations

import numpy as np
import pandas as pd

from benchmark.evaluation.harm import HOUSEHOLD_COLUMNS
from benchmark.evaluation.operating_points import KEYS, main_rows
from benchmark.evaluation.outcomes import PER

log = logging.getLogger(__name__)

# metric name (as the headline figures name it) -> the cluster it is counted on
METRICS = {
    "wrong_person_per_100k": "request",
    "unrelated_households_per_100k": "household",
    "unrelated_us_citizen_children_per_100k": "household",
}
METRIC_LABELS = {
    "wrong_person_per_100k": "wrong-person disclosures",
    "unrelated_households_per_100k": "unrelated households",
    "unrelated_us_citizen_children_per_100k": "US-citizen children in unrelated households",
}
PAIRED_COLUMNS = (
    "strategy_a",
    "strategy_b",
    "operating_point_a",
    "operating_point_b",
    "metric",
    "a_per_100k",
    "b_per_100k",
    "difference",
    "ci_low",
    "ci_high",
    "resolved",
    "discordant",
    "worlds",
    "requests",
    "dispersion",
)
# the table each metric's clusters come from
_SOURCE = {"request": "request_disclosures", "household": "harm_households"}


def pooled_interval(
    sums: Sequence[float],
    squares: Sequence[float],
    requests: Sequence[float],
    level: float = 0.95,
) -> tuple[float, float, float, float]:
    """The pooled total of cluster differences over worlds, with its normal interval.

    Clusters (requests, households) are independent given the world, so the
    variance of the total is estimated by ``V = sum d**2`` (slightly
    conservative: it does not subtract the mean).  Worlds may differ by more
    than their clusters do (a world drawn with more common surnames), so the
    variance is inflated by the dispersion ``phi = max(1, Q / (K - 1))``,
    Pearson's statistic over the ``K`` worlds::

        Q = sum_k (D_k - D * n_k / N)**2 / (V * n_k / N)

    which compares each world's total ``D_k`` with its share of the pooled one
    (``n_k`` its requests), in units of the variance it would have if the
    worlds differed only by their clusters.  The pooled ``V * n_k / N`` is
    used rather than the world's own ``V_k``: ``V_k`` is 0 in a world without
    a discordant cluster, and noisy in small ones.  With one world, or no
    discordant cluster, ``phi`` is 1.  ``phi`` is floored at 1 because fewer
    than a handful of worlds cannot show that the worlds vary *less* than
    their clusters; with few worlds it is itself uncertain (``K - 1`` degrees
    of freedom) and the interval keeps the normal quantile, so large
    world-to-world differences are only partly covered: in simulations where
    one strategy's own error rate varies by 30% between worlds, 95% intervals
    covered the true difference 90-93% of the time with 3 or 10 worlds (97%
    when the worlds differ only by their requests).

    Parameters
    ----------
    sums : sequence of float
        Each world's total difference ``D_k``.
    squares : sequence of float
        Each world's sum of squared cluster differences ``V_k``.
    requests : sequence of float
        Each world's number of requests ``n_k``.
    level : float
        Coverage of the interval.

    Returns
    -------
    (float, float, float, float)
        ``D``, the interval's low and high ends (same units as ``D``) and ``phi``.

    Examples
    --------
    >>> pooled_interval([4, 4], [4, 4], [100, 100])[0]
    8.0
    >>> d, low, high, phi = pooled_interval([10, 0], [10, 10], [100, 100])
    >>> round(phi, 3), round(low, 2), round(high, 2)
    (5.0, -9.6, 29.6)
    """
    from scipy import stats

    d_k = np.asarray(sums, dtype=float)
    v_k = np.asarray(squares, dtype=float)
    n_k = np.asarray(requests, dtype=float)
    total, var, n = float(d_k.sum()), float(v_k.sum()), float(n_k.sum())
    phi = 1.0
    if len(d_k) > 1 and var > 0 and n > 0:
        share = n_k / n
        q = float(np.sum((d_k - total * share) ** 2 / (var * share)))
        phi = max(1.0, q / (len(d_k) - 1))
    half = float(stats.norm.ppf(0.5 + level / 2) * np.sqrt(phi * var))
    return total, total - half, total + half, phi


def _main_points(world: Mapping[str, object], assignment: str) -> dict[str, tuple[str, bool]]:
    """Each strategy's main operating point in one world, and whether it reached its target."""
    main = main_rows(_table(world, "operating_points"), assignment)
    reached = main["target_reached"].fillna(False).astype(bool)
    return {
        s: (str(p), bool(r))
        for s, p, r in zip(main["strategy"], main["operating_point"], reached, strict=True)
    }


def _table(world: Mapping[str, object], name: str) -> pd.DataFrame:
    table = world.get(name)
    if not isinstance(table, pd.DataFrame):
        raise KeyError(f"a world for paired_differences has no table {name!r}")
    return table


def _cluster_values(
    world: Mapping[str, object], assignment: str, main: dict[str, tuple[str, bool]]
) -> dict[str, dict[str, pd.Series]]:
    """Per metric, each reached strategy's value per cluster (request or household id).

    A metric whose table the world lacks (no households known) is left out.
    """
    out: dict[str, dict[str, pd.Series]] = {}
    tables: dict[str, pd.DataFrame] = {}
    if isinstance(world.get("request_disclosures"), pd.DataFrame):
        rd = _table(world, "request_disclosures")
        if rd.empty:  # a world without a disclosure may come without columns
            rd = pd.DataFrame(columns=[*KEYS, "request_id", "wrong_person"])
        tables["request"] = rd[rd["assignment"] == assignment]
    if isinstance(world.get("harm_households"), pd.DataFrame):
        hh = _table(world, "harm_households")
        if hh.empty:
            hh = pd.DataFrame(columns=[*KEYS, "disclosure", *HOUSEHOLD_COLUMNS])
        # unrelated: reached for a request about someone who does not live there
        tables["household"] = hh[
            (hh["assignment"] == assignment)
            & (hh["disclosure"] == "wrong_person")
            & (hh["disclosures"] > hh["own_disclosures"])
        ]
    for metric, cluster in METRICS.items():
        if cluster not in tables:
            continue
        table = tables[cluster]
        out[metric] = {}
        for strategy, (point, reached) in main.items():
            if not reached:
                continue
            rows = table[(table["strategy"] == strategy) & (table["operating_point"] == point)]
            if cluster == "request":
                values = rows.groupby("request_id")["wrong_person"].sum().astype(float)
            else:
                # one row per household and decision; the guard keeps a household counted once
                rows = rows.drop_duplicates("household_id").set_index("household_id")
                if metric == "unrelated_households_per_100k":
                    values = pd.Series(1.0, index=rows.index)
                else:
                    values = rows["us_citizen_children"].astype(float)
            out[metric][strategy] = values
    return out


def _strategy_order(worlds: Sequence[Mapping[str, object]]) -> list[str]:
    order: dict[str, None] = {}
    for world in worlds:
        order.update(dict.fromkeys(_table(world, "operating_points")["strategy"]))
    return list(order)


def paired_differences(
    worlds: Sequence[Mapping[str, object]], assignment: str = "none", level: float = 0.95
) -> pd.DataFrame:
    """Differences between every pair of strategies, paired over the same requests and worlds.

    Parameters
    ----------
    worlds : sequence of mapping
        One mapping per world with the tables ``operating_points`` (strategy,
        assignment, operating_point, main, target_reached),
        ``request_disclosures`` (strategy, assignment, operating_point,
        request_id, wrong_person, correct: one row per request with any
        disclosure), optionally ``harm_households`` (as the evaluation writes
        it; without it, the household metrics are left out) and
        ``n_requests`` (int).
    assignment : str
        ``none`` (the default) or ``one_to_one``.
    level : float
        Coverage of the intervals.

    Returns
    -------
    DataFrame
        :data:`PAIRED_COLUMNS`: every unordered pair of strategies once, in the
        order the strategies first appear in ``operating_points``, and for each
        the metrics of :data:`METRICS` held by every world.  ``a_per_100k`` and
        ``b_per_100k`` are each strategy's pooled rate over the worlds used,
        ``difference`` is their difference (A − B) with the interval
        ``ci_low``, ``ci_high`` (:func:`pooled_interval`); ``resolved`` says
        the interval excludes 0; ``discordant`` counts the clusters where the
        two differ; ``worlds`` and ``requests`` are the worlds used (those
        where both main points reached their target) and their requests, and
        ``dispersion`` is the ``phi`` of :func:`pooled_interval`.  A pair with
        no world used has NaN rates.

    Examples
    --------
    >>> ops = pd.DataFrame({"strategy": ["a", "b"], "assignment": "none",
    ...     "operating_point": "natural", "main": True, "target_reached": True})
    >>> rd = pd.DataFrame({"strategy": ["a", "a", "b"], "assignment": "none",
    ...     "operating_point": "natural", "request_id": [1, 2, 2],
    ...     "wrong_person": [1, 1, 1], "correct": 0})
    >>> world = {"operating_points": ops, "request_disclosures": rd, "n_requests": 1000}
    >>> row = paired_differences([world]).iloc[0]
    >>> float(row["difference"]), int(row["discordant"]), int(row["worlds"])
    (100.0, 1, 1)
    """
    if not worlds:
        return pd.DataFrame(columns=list(PAIRED_COLUMNS))
    strategies = _strategy_order(worlds)
    mains: list[dict[str, tuple[str, bool]]] = []
    values: list[dict[str, dict[str, pd.Series]]] = []
    requests: list[float] = []
    for world in worlds:
        main = _main_points(world, assignment)
        mains.append(main)
        values.append(_cluster_values(world, assignment, main))
        requests.append(float(world["n_requests"]))  # type: ignore[arg-type]
    metrics = [m for m in METRICS if all(m in v for v in values)]
    points = {s: next((m[s][0] for m in mains if s in m), None) for s in strategies}
    rows = []
    for a, b in combinations(strategies, 2):
        used = [
            k
            for k, main in enumerate(mains)
            if main.get(a, ("", False))[1] and main.get(b, ("", False))[1]
        ]
        n = float(sum(requests[k] for k in used))
        if len(used) < len(worlds):
            log.info(
                "%s against %s: %d of %d worlds reach both targets", a, b, len(used), len(worlds)
            )
        for metric in metrics:
            row = _pair_row(
                a, b, [values[k][metric] for k in used], [requests[k] for k in used], level
            )
            rows.append(
                {
                    "strategy_a": a,
                    "strategy_b": b,
                    "operating_point_a": points[a],
                    "operating_point_b": points[b],
                    "metric": metric,
                    **row,
                    "worlds": len(used),
                    "requests": int(n),
                }
            )
    return pd.DataFrame(rows, columns=list(PAIRED_COLUMNS))


def _pair_row(
    a: str, b: str, worlds: list[dict[str, pd.Series]], requests: list[float], level: float
) -> dict[str, object]:
    """The figures of one pair and metric over the worlds where both were reached."""
    sums, squares, total_a, total_b, discordant = [], [], 0.0, 0.0, 0
    for by_strategy in worlds:
        va, vb = by_strategy[a], by_strategy[b]
        d = va.sub(vb, fill_value=0.0)
        sums.append(float(d.sum()))
        squares.append(float((d**2).sum()))
        discordant += int((d != 0).sum())
        total_a += float(va.sum())
        total_b += float(vb.sum())
    n = float(sum(requests))
    if not worlds or n <= 0:
        nan = float("nan")
        return {
            "a_per_100k": nan,
            "b_per_100k": nan,
            "difference": nan,
            "ci_low": nan,
            "ci_high": nan,
            "resolved": False,
            "discordant": 0,
            "dispersion": nan,
        }
    total, low, high, phi = pooled_interval(sums, squares, requests, level)
    scale = PER / n
    return {
        "a_per_100k": total_a * scale,
        "b_per_100k": total_b * scale,
        "difference": total * scale,
        "ci_low": low * scale,
        "ci_high": high * scale,
        "resolved": bool(low > 0 or high < 0),
        "discordant": discordant,
        "dispersion": phi,
    }
