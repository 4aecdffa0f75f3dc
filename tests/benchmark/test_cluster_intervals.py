"""Cluster intervals: Garwood for one-event clusters, coverage over simulated worlds, and their
use in ``aggregate.intervals``.

The coverage tests simulate many evaluations of K worlds, each disclosing a
Poisson number of households of 1 to 8 people (mean about 3), and count how
often the 95% interval of the mean people per world holds the true mean.  The
bounds asserted are below the nominal 95% by about three simulation standard
errors; the measured coverage is logged (``pytest -o log_cli=true --log-cli-level=INFO``).
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from benchmark.evaluation.aggregate import (
    HOUSEHOLD_METRICS,
    REQUEST_METRICS,
    cluster_counts,
    intervals,
)
from benchmark.evaluation.cluster_intervals import (
    dispersion,
    gamma_interval,
    pooled_cluster_interval,
    pooled_cluster_intervals,
)
from benchmark.evaluation.harm import harm_counts

log = logging.getLogger(__name__)
KEYS = ["strategy", "assignment", "operating_point"]
# household sizes 1..8, mean 3.07
SIZE_PMF = np.array([0.20, 0.25, 0.20, 0.15, 0.10, 0.05, 0.03, 0.02])
SIZES = np.arange(1, 9)
MEAN_SIZE = float(SIZE_PMF @ SIZES)
SIMULATIONS = 1000


def garwood(events):
    events = np.asarray(events, dtype=float)
    low = np.where(events > 0, stats.chi2.ppf(0.025, 2 * events) / 2, 0.0)
    return low, stats.chi2.ppf(0.975, 2 * events + 2) / 2


# (a) one event of weight 1 per cluster: the Garwood interval


def test_gamma_interval_of_weight_one_events_is_garwood():
    events = np.arange(0, 200, dtype=float)
    low, high = gamma_interval(events, events, 1.0)
    g_low, g_high = garwood(events)
    np.testing.assert_allclose(low, g_low, rtol=1e-12, atol=0)
    np.testing.assert_allclose(high, g_high, rtol=1e-12, atol=0)
    assert low[0] == 0.0 and high[0] == pytest.approx(stats.chi2.ppf(0.975, 2) / 2, rel=1e-12)


def test_pooled_interval_of_one_event_clusters_is_garwood_of_the_pooled_count():
    # one world: no dispersion to estimate
    r = pooled_cluster_interval([[1.0] * 7], n_requests=[1000])
    g_low, g_high = garwood(7)
    assert (r["phi"], r["replicates"]) == (1.0, 1.0)
    assert r["total_low"] == pytest.approx(float(g_low), rel=1e-12)
    assert r["total_high"] == pytest.approx(float(g_high), rel=1e-12)
    assert r["per_100k_high"] == pytest.approx(float(g_high) * 100, rel=1e-12)
    # three worlds whose counts match their requests exactly: Q = 0
    r = pooled_cluster_interval([[1] * 2, [1] * 4, [1] * 6], n_requests=[100, 200, 300])
    assert r["phi"] == 1.0 and r["replicates"] == 3.0
    assert r["total_low"] == pytest.approx(float(garwood(12)[0]), rel=1e-12)
    assert r["mean_high"] == pytest.approx(float(garwood(12)[1]) / 3, rel=1e-12)
    # nothing anywhere: the Garwood bound at zero, scaled by the largest weight
    r = pooled_cluster_interval([[], []], max_weight=3)
    assert r["total_low"] == 0.0 and r["total_high"] == pytest.approx(3 * 3.688879, rel=1e-6)


def test_dispersion_is_the_pearson_chi_square_for_weight_one_events():
    totals = np.array([3.0, 9.0, 12.0])
    shares = np.array([0.2, 0.3, 0.5])
    expected = totals.sum() * shares
    q, phi = dispersion(totals, shares, totals.sum())
    assert q == pytest.approx(float(np.sum((totals - expected) ** 2 / expected)))
    assert phi == max(1.0, q / 2)
    assert dispersion(np.array([0.0, 0.0]), np.array([0.5, 0.5]), 0.0) == (0.0, 1.0)
    assert dispersion(np.array([5.0]), np.array([1.0]), 9.0) == (0.0, 1.0)


def test_heavier_clusters_widen_the_interval():
    # 12 people in 3 households against 12 people in 12
    wide = pooled_cluster_interval([[4, 4, 4]])
    narrow = pooled_cluster_interval([[1] * 12])
    assert wide["total_low"] < narrow["total_low"] and wide["total_high"] > narrow["total_high"]


# (b), (c) coverage over simulated evaluations


def simulate(rng, households_per_world, worlds, heterogeneity=0.0, n_requests=None):
    """``SIMULATIONS`` evaluations of ``worlds`` worlds as figures and clusters (one strategy each)."""
    n = np.full(worlds, 100_000.0) if n_requests is None else np.asarray(n_requests, float)
    rate = np.ones((SIMULATIONS, worlds))
    if heterogeneity:
        shape = 1 / heterogeneity**2
        rate = rng.gamma(shape, 1 / shape, size=rate.shape)
    counts = rng.poisson(households_per_world * rate * n / n.mean())
    sim = np.repeat(np.arange(SIMULATIONS), worlds)
    world = np.tile(np.arange(worlds), SIMULATIONS)
    size = rng.choice(SIZES, p=SIZE_PMF, size=int(counts.sum()))
    clusters = pd.DataFrame(
        {
            "replicate": np.repeat(world, counts.ravel()),
            "strategy": np.repeat(sim, counts.ravel()).astype(str),
            "assignment": "none",
            "operating_point": "p",
            "metric": "people",
            "cluster": np.arange(len(size)),
            "value": size,
        }
    )
    people = np.zeros(SIMULATIONS * worlds)
    np.add.at(people, np.repeat(np.arange(SIMULATIONS * worlds), counts.ravel()), size)
    requests = np.tile(n, SIMULATIONS)
    head = pd.DataFrame(
        {
            "replicate": world,
            "strategy": sim.astype(str),
            "assignment": "none",
            "operating_point": "p",
            "n_requests": requests,
        }
    )
    figures = pd.concat(
        [
            head.assign(metric="people", value=people),
            head.assign(metric="people_per_100k", value=people * 100_000 / requests),
        ],
        ignore_index=True,
    )[["replicate", *KEYS, "metric", "value", "n_requests"]]
    return figures, clusters


def coverage(rows, truth):
    return float(((rows["ci_low"] <= truth) & (truth <= rows["ci_high"])).mean())


@pytest.mark.parametrize("households", [2, 10, 40])
def test_coverage_of_mean_people_per_world_at_three_homogeneous_worlds(households):
    rng = np.random.default_rng(1000 + households)
    figures, clusters = simulate(rng, households, worlds=3)
    truth = households * MEAN_SIZE
    got = intervals(figures, clusters)
    people = got[got["metric"] == "people"]
    assert set(people["interval_method"]) == {"cluster"}
    used = coverage(people, truth)
    # the gamma interval on its own (no t-interval joined)
    worlds = figures[figures["metric"] == "people"]
    alone = pooled_cluster_intervals(clusters, worlds, KEYS, max_weight=8)
    alone = coverage(alone.rename(columns={"mean_low": "ci_low", "mean_high": "ci_high"}), truth)
    person_events = coverage(intervals(figures)[lambda t: t["metric"] == "people"], truth)
    log.info(
        "3 worlds, %d households/world: coverage %.3f (gamma alone %.3f; t ∪ Garwood %.3f)",
        *(households, used, alone, person_events),
    )
    assert used >= 0.93
    assert alone >= 0.93
    assert used < 1.0  # not trivially wide


def test_coverage_of_the_rate_per_100k_with_unequal_worlds():
    rng = np.random.default_rng(7)
    # 10 households per 100,000 requests, in worlds of 50k, 100k and 150k requests
    figures, clusters = simulate(rng, 10, worlds=3, n_requests=[50_000, 100_000, 150_000])
    got = intervals(figures, clusters)
    rate = got[got["metric"] == "people_per_100k"]
    assert set(rate["interval_method"]) == {"cluster"}
    measured = coverage(rate, 10 * MEAN_SIZE)
    log.info("rate per 100k, unequal worlds: coverage %.3f", measured)
    assert measured >= 0.93


@pytest.mark.parametrize(("worlds", "bound"), [(5, 0.93), (3, 0.90)])
@pytest.mark.parametrize("households", [2, 10, 40])
def test_coverage_with_30_percent_heterogeneity_between_worlds(worlds, bound, households):
    rng = np.random.default_rng(2000 + 10 * worlds + households)
    figures, clusters = simulate(rng, households, worlds, heterogeneity=0.3)
    truth = households * MEAN_SIZE
    people = intervals(figures, clusters)[lambda t: t["metric"] == "people"]
    measured = coverage(people, truth)
    width = float(((people["ci_high"] - people["ci_low"]) / truth).median())
    log.info(
        "%d worlds, %d households/world, 30%% heterogeneity: coverage %.3f, median width %.2f × mean",
        *(worlds, households, measured, width),
    )
    assert measured >= bound


# (d) cluster_counts gives the sums harm_counts gives


def tiny_world():
    """Four households; wrong-person and correct disclosures of every kind harm_counts counts."""
    residents = pd.DataFrame(
        {
            "address_id": [10, 11, 12, 13],
            "household_id": [1, 2, 3, 4],
            "people": [2, 5, 3, 1],
            "us_citizens": [1, 3, 0, 1],
            "us_citizen_children": [1, 2, 0, 0],
            "lprs": [0, 1, 2, 0],
            "mixed_status": [True, True, False, False],
        }
    )
    record_address = pd.DataFrame(
        {"record_id": range(100, 107), "address_id": [11, 11, 12, 99, 13, 10, 12]}
    )
    requester = pd.Series({1: 1, 2: 4, 3: 3, 4: 1, 5: 4, 6: 2, 7: 3})
    # requests 1, 2 both reach household 2 (unrelated), request 3 its own household 3,
    # request 4 an empty address; the correct ones reach households 4 and 3 (own) and 1 (own for
    # request 1, unrelated for request 6)
    decisions = pd.DataFrame(
        {
            "request_id": [1, 2, 3, 4, 5, 6, 7, 1],
            "record_id": [100, 101, 102, 103, 104, 105, 106, 105],
            "is_true": [False, False, False, False, True, True, True, True],
        }
    )
    key = {"strategy": "s", "assignment": "none", "operating_point": "p"}
    summary, homes = {}, []
    for kind, chosen, prefix in (
        ("wrong_person", decisions[~decisions["is_true"]], ""),
        ("correct", decisions[decisions["is_true"]], "correct_"),
    ):
        counts, table = harm_counts(chosen, record_address, residents, requester, 1000, prefix)
        summary.update(counts)
        homes.append(table.assign(**key, disclosure=kind)[[*KEYS, "disclosure", *table.columns]])
    g = decisions.groupby("request_id")["is_true"]
    per_request = pd.DataFrame({"correct": g.sum().astype(int), "n": g.size()})
    per_request["wrong_person"] = per_request.pop("n") - per_request["correct"]
    request_disclosures = per_request.reset_index().assign(**key)[
        [*KEYS, "request_id", "wrong_person", "correct"]
    ]
    summary["wrong_person"] = int((~decisions["is_true"]).sum())
    summary["correct"] = int(decisions["is_true"].sum())
    tables = {
        "harm_households": pd.concat(homes, ignore_index=True),
        "request_disclosures": request_disclosures,
    }
    return tables, summary


def test_cluster_counts_sum_to_the_harm_counts():
    tables, summary = tiny_world()
    clusters = cluster_counts(tables, 3)
    assert list(clusters.columns) == [
        "replicate", *KEYS, "metric", "cluster", "value",
    ]  # fmt: skip
    assert (clusters["replicate"] == 3).all() and (clusters["value"] != 0).all()
    totals = clusters.groupby("metric")["value"].sum()
    for metric in (*HOUSEHOLD_METRICS, *REQUEST_METRICS):
        assert totals.get(metric, 0) == summary[metric], metric
    # the example reaches every kind: unrelated, own, mixed status, both disclosure kinds
    assert summary["unrelated_people"] == 5 and summary["own_household_disclosures"] == 1
    assert summary["correct_unrelated_households"] == 1 and summary["correct_people"] == 6
    # households are the clusters of the person counts, requests those of disclosures
    people = clusters[clusters["metric"] == "people"]
    assert sorted(people["cluster"]) == [2, 3]
    assert sorted(clusters.loc[clusters["metric"] == "wrong_person", "cluster"]) == [1, 2, 3, 4]


def test_cluster_counts_returns_what_the_tables_present_allow():
    tables, _ = tiny_world()
    only_requests = cluster_counts({"request_disclosures": tables["request_disclosures"]}, 0)
    assert set(only_requests["metric"]) == set(REQUEST_METRICS)
    only_homes = cluster_counts({"harm_households": tables["harm_households"]}, 0)
    assert set(only_homes["metric"]) <= set(HOUSEHOLD_METRICS)
    empty = cluster_counts({"harm_households": pd.DataFrame()}, 0)
    assert empty.empty and list(empty.columns) == list(only_homes.columns)


# (e) intervals with clusters


def two_worlds():
    """Figures and clusters of two worlds of 1,000 requests; strategy "none" exposes nobody."""
    homes = {0: [(1, 4), (2, 6)], 1: [(3, 1), (4, 8), (5, 2)]}  # (household, people)
    figures, clusters = [], []
    for k, rows in homes.items():
        people = sum(p for _, p in rows)
        harm = pd.DataFrame(
            {
                "strategy": ["s", "t"],
                "assignment": "none",
                "operating_point": "p",
                "people": [people, 0],
                "people_per_100k": [people * 100.0, 0.0],
                "households": [len(rows), 0],
                "mixed_status_households": [0, 0],
                "wrong_person": [len(rows), 0],
                "wrong_person_per_100k": [len(rows) * 100.0, 0.0],
                "at_empty_address": [k, 0],
                "recall": [0.8 + 0.1 * k, 0.5],
            }
        )
        long = harm.melt(id_vars=KEYS, var_name="metric", value_name="value")
        figures.append(long.assign(replicate=k, n_requests=1000.0))
        table = pd.DataFrame(
            {
                "strategy": "s",
                "assignment": "none",
                "operating_point": "p",
                "disclosure": "wrong_person",
                "household_id": [h for h, _ in rows],
                "address_id": [h for h, _ in rows],
                "disclosures": 1,
                "own_disclosures": 0,
                "people": [p for _, p in rows],
                "us_citizens": 0,
                "us_citizen_children": 0,
                "lprs": 0,
                "mixed_status": False,
            }
        )
        requests = pd.DataFrame(
            {
                "strategy": "s",
                "assignment": "none",
                "operating_point": "p",
                "request_id": range(len(rows)),
                "wrong_person": 1,
                "correct": 0,
            }
        )
        clusters.append(
            cluster_counts({"harm_households": table, "request_disclosures": requests}, k)
        )
    figures = pd.concat(figures, ignore_index=True)[
        ["replicate", *KEYS, "metric", "value", "n_requests"]
    ]
    return figures, pd.concat(clusters, ignore_index=True)


def test_intervals_take_cluster_intervals_for_counts_of_clusters():
    figures, clusters = two_worlds()
    got = intervals(figures, clusters).set_index(["strategy", "metric"])
    plain = intervals(figures).set_index(["strategy", "metric"])
    assert list(intervals(figures, clusters).columns) == list(intervals(figures).columns)
    method = got["interval_method"]
    for m in ("people", "people_per_100k", "households", "wrong_person", "wrong_person_per_100k"):
        assert method[("s", m)] == "cluster" and method[("t", m)] == "cluster", m
    assert method[("s", "at_empty_address")] == "t_poisson"
    assert method[("s", "recall")] == "t"
    assert set(plain["interval_method"]) == {"t_poisson", "t"}
    # figures not clustered keep their interval
    for m in ("at_empty_address", "recall"):
        pd.testing.assert_series_equal(got.loc[("s", m)], plain.loc[("s", m)])
    # the same means; 21 people in 5 households are less certain than 21 independent people
    assert got.loc[("s", "people"), "mean"] == 10.5
    assert got.loc[("s", "people"), "ci_high"] > plain.loc[("s", "people"), "ci_high"]
    # the interval at least the cluster interval of the pooled total, per world and per 100k
    r = pooled_cluster_interval([[4, 6], [1, 8, 2]], n_requests=[1000, 1000], max_weight=8)
    assert got.loc[("s", "people"), "ci_high"] >= r["mean_high"] - 1e-9
    assert got.loc[("s", "people_per_100k"), "ci_high"] >= r["per_100k_high"] - 1e-9
    assert got.loc[("s", "people_per_100k"), "ci_high"] == pytest.approx(
        got.loc[("s", "people"), "ci_high"] * 100, rel=1e-9
    )
    # nobody exposed in either world: bounded by one household as large as the largest seen (8)
    zero = got.loc[("t", "people")]
    assert zero["ci_low"] == 0.0
    assert zero["ci_high"] == pytest.approx(8 * stats.chi2.ppf(0.975, 2) / 2 / 2, rel=1e-9)
    # counts of disclosures and of households at zero: one more of weight 1, the Garwood bound
    for m in ("wrong_person", "households", "mixed_status_households"):
        assert got.loc[("t", m), "ci_high"] == pytest.approx(3.688879 / 2, rel=1e-6), m


def test_a_world_without_the_figure_adds_no_clusters():
    figures, clusters = two_worlds()
    # world 1 did not reach the target at strategy s: it has no harm figures there
    reached = ~((figures["replicate"] == 1) & (figures["strategy"] == "s"))
    got = intervals(figures[reached], clusters).set_index(["strategy", "metric"])
    alone = pooled_cluster_interval([[4, 6]], n_requests=[1000], max_weight=8)
    row = got.loc[("s", "people")]
    assert row["replicates"] == 1 and row["mean"] == 10.0
    assert row["interval_method"] == "cluster"
    assert (row["ci_low"], row["ci_high"]) == pytest.approx(
        (alone["mean_low"], alone["mean_high"]), rel=1e-12
    )


def test_weight_one_clusters_in_even_worlds_give_the_poisson_rule():
    figures, clusters = two_worlds()
    wrong = clusters[clusters["metric"] == "wrong_person"]
    # 2 and 3 disclosures in equal worlds: φ = 1, so cluster and Garwood agree
    got = intervals(figures, wrong).set_index(["strategy", "metric"])
    plain = intervals(figures).set_index(["strategy", "metric"])
    for m in ("wrong_person", "wrong_person_per_100k"):
        assert got.loc[("s", m), "interval_method"] == "cluster"
        assert got.loc[("s", m), "ci_low"] == pytest.approx(
            plain.loc[("s", m), "ci_low"], rel=1e-12
        )
        assert got.loc[("s", m), "ci_high"] == pytest.approx(
            plain.loc[("s", m), "ci_high"], rel=1e-12
        )
