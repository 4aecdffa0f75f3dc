"""Paired comparisons of strategies over the same requests and worlds."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from benchmark.evaluation.paired import PAIRED_COLUMNS, paired_differences, pooled_interval

log = logging.getLogger(__name__)
Z = float(stats.norm.ppf(0.975))
KEYS = ("strategy", "assignment", "operating_point")


def _ops(rows: list[tuple[str, str, bool]]) -> pd.DataFrame:
    """Main rows (strategy, point, reached) and, behind them, a one-to-one copy."""
    main = pd.DataFrame(rows, columns=["strategy", "operating_point", "target_reached"])
    main = main.assign(assignment="none", main=True)
    return pd.concat([main, main.assign(assignment="one_to_one")], ignore_index=True)


def _requests(strategy: str, point: str, wrong: dict[int, int], assignment="none") -> pd.DataFrame:
    return pd.DataFrame(
        {
            "strategy": strategy,
            "assignment": assignment,
            "operating_point": point,
            "request_id": list(wrong),
            "wrong_person": list(wrong.values()),
            "correct": 0,
        }
    )


def _homes(strategy, point, homes, disclosure="wrong_person", assignment="none") -> pd.DataFrame:
    """Households (id, disclosures, own_disclosures, us_citizen_children)."""
    t = pd.DataFrame(
        homes, columns=["household_id", "disclosures", "own_disclosures", "us_citizen_children"]
    )
    return t.assign(
        strategy=strategy,
        assignment=assignment,
        operating_point=point,
        disclosure=disclosure,
        address_id=t["household_id"],
        people=4,
        us_citizens=2,
        lprs=0,
        mixed_status=True,
    )


def _hand_built() -> list[dict]:
    """Two worlds, strategies a, b (both reached) and c (unreached in world 1)."""
    ops0 = _ops([("a", "precision_0.99", True), ("b", "natural", True), ("c", "recall_0.90", True)])
    rd0 = pd.concat(
        [
            _requests("a", "precision_0.99", {1: 1, 2: 2, 3: 0}),
            _requests("b", "natural", {2: 1, 4: 1}),
            _requests("c", "recall_0.90", {1: 1}),
            # other points and one-to-one rows must not count
            _requests("a", "natural", {7: 5}),
            _requests("a", "precision_0.99", {8: 5}, assignment="one_to_one"),
        ],
        ignore_index=True,
    )
    hh0 = pd.concat(
        [
            # h3 is only reached for its own member's request: not unrelated
            _homes("a", "precision_0.99", [(1, 1, 0, 2), (2, 2, 1, 0), (3, 1, 1, 5)]),
            _homes("b", "natural", [(1, 1, 0, 2), (4, 1, 0, 1)]),
            _homes("b", "natural", [(5, 1, 0, 3)], disclosure="correct"),
            _homes("a", "precision_0.99", [(6, 1, 0, 3)], assignment="one_to_one"),
            _homes("c", "recall_0.90", [(1, 1, 0, 2)]),
        ],
        ignore_index=True,
    )
    ops1 = _ops(
        [("a", "precision_0.99", True), ("b", "natural", True), ("c", "recall_0.90", False)]
    )
    rd1 = pd.concat(
        [_requests("a", "precision_0.99", {1: 1, 5: 1}), _requests("b", "natural", {1: 1})],
        ignore_index=True,
    )
    hh1 = _homes("a", "precision_0.99", [(9, 1, 0, 1)], disclosure="correct")
    return [
        {"operating_points": ops0, "request_disclosures": rd0, "harm_households": hh0,
         "n_requests": 1000},
        {"operating_points": ops1, "request_disclosures": rd1, "harm_households": hh1,
         "n_requests": 3000},
    ]  # fmt: skip


def test_hand_built_sums():
    out = paired_differences(_hand_built())
    assert list(out.columns) == list(PAIRED_COLUMNS)
    assert list(zip(out["strategy_a"], out["strategy_b"], strict=True))[::3] == [
        ("a", "b"),
        ("a", "c"),
        ("b", "c"),
    ]
    rows = out.set_index(["strategy_a", "strategy_b", "metric"])

    # wrong person, a against b: d = +1 (r1), +1 (r2), -1 (r4) in world 0; +1 (r5) in world 1
    ab = rows.loc[("a", "b", "wrong_person_per_100k")]
    assert (ab["operating_point_a"], ab["operating_point_b"]) == ("precision_0.99", "natural")
    assert ab["a_per_100k"] == pytest.approx(5 / 4000 * 1e5)
    assert ab["b_per_100k"] == pytest.approx(3 / 4000 * 1e5)
    assert ab["difference"] == pytest.approx(2 / 4000 * 1e5)
    # Q = 0.5**2 / 1 + 0.5**2 / 3 < K - 1, so phi = 1 and V = 4
    assert ab["dispersion"] == 1.0
    assert ab["ci_low"] == pytest.approx((2 - Z * 2) * 25)
    assert ab["ci_high"] == pytest.approx((2 + Z * 2) * 25)
    assert (ab["discordant"], ab["worlds"], ab["requests"], ab["resolved"]) == (4, 2, 4000, False)

    # households: h2 only a's (+1), h4 only b's (-1), h1 both; world 1 has none unrelated
    hh = rows.loc[("a", "b", "unrelated_households_per_100k")]
    assert (hh["a_per_100k"], hh["b_per_100k"], hh["difference"]) == (50.0, 50.0, 0.0)
    assert hh["ci_high"] == pytest.approx(Z * np.sqrt(2) * 25)
    assert hh["discordant"] == 2
    # children: h4's one child is b's only, h2 has none: D = -1 in world 0 and 0 in world 1,
    # Q = 0.75**2 / 0.25 + 0.75**2 / 0.75 = 3, phi = 3
    ch = rows.loc[("a", "b", "unrelated_us_citizen_children_per_100k")]
    assert (ch["a_per_100k"], ch["b_per_100k"], ch["difference"]) == (50.0, 75.0, -25.0)
    assert ch["dispersion"] == pytest.approx(3.0)
    assert ch["ci_low"] == pytest.approx(-25 - Z * np.sqrt(3) * 25)
    assert ch["discordant"] == 1

    # c did not reach its target in world 1: that world is left out of its pairs
    ac = rows.loc[("a", "c", "wrong_person_per_100k")]
    assert (ac["worlds"], ac["requests"], ac["discordant"]) == (1, 1000, 1)
    assert ac["difference"] == pytest.approx(200.0)
    assert ac["ci_high"] == pytest.approx(200 + Z * 2 * 100)


def test_identical_strategies_differ_by_nothing():
    worlds = _hand_built()
    for w in worlds:
        for name in ("request_disclosures", "harm_households"):
            t = w[name]
            w[name] = pd.concat([t, t[t["strategy"] == "a"].assign(strategy="a2")])
        ops = w["operating_points"]
        w["operating_points"] = pd.concat([ops, ops[ops["strategy"] == "a"].assign(strategy="a2")])
    out = paired_differences(worlds)
    same = out[(out["strategy_a"] == "a") & (out["strategy_b"] == "a2")]
    assert len(same) == 3
    assert (same["difference"] == 0).all()
    assert (same["ci_low"] == 0).all() and (same["ci_high"] == 0).all()
    assert not same["resolved"].any()
    assert (same["discordant"] == 0).all()
    assert (same["a_per_100k"] == same["b_per_100k"]).all()


def test_unreached_everywhere_and_missing_household_tables():
    worlds = _hand_built()
    for w in worlds:
        del w["harm_households"]
        ops = w["operating_points"]
        w["operating_points"] = ops.assign(
            target_reached=ops["target_reached"] & (ops["strategy"] != "b")
        )
    out = paired_differences(worlds)
    assert set(out["metric"]) == {"wrong_person_per_100k"}
    ab = out.iloc[0]
    assert (ab["strategy_a"], ab["strategy_b"], ab["worlds"], ab["requests"]) == ("a", "b", 0, 0)
    assert np.isnan(ab["difference"]) and not ab["resolved"]
    assert paired_differences([]).empty


def test_one_to_one_rows():
    worlds = _hand_built()
    out = paired_differences(worlds, assignment="one_to_one")
    ab = out.set_index(["strategy_a", "strategy_b", "metric"]).loc[
        ("a", "b", "wrong_person_per_100k")
    ]
    # a's only one-to-one disclosure: 5 wrong records for request 8 in world 0
    assert ab["difference"] == pytest.approx(5 / 4000 * 1e5)


def _simulated_world(rng, n, shared, a_only, b_only, spread=0.0):
    """Two strategies that share most errors; a wrong disclosure sometimes comes in twos.

    A request's error reaches household ``request_id``, unrelated to it 80% of
    the time, with Poisson(0.7) US-citizen children.  ``spread`` varies a's
    own error rate from world to world (lognormal, mean 1).
    """
    factor = np.exp(rng.normal(0, spread) - spread**2 / 2)
    u = rng.random(n)
    both = u < shared
    only_a = (u >= shared) & (u < shared + a_only * factor)
    only_b = u >= 1 - b_only
    wrong = {
        "A": (both | only_a) * (1 + (rng.random(n) < 0.25)),
        "B": (both | only_b) * (1 + (rng.random(n) < 0.25)),
    }
    own = rng.random(n) >= 0.8
    children = rng.poisson(0.7, n)
    ids = np.arange(n)
    rd, hh = [], []
    for s, w in wrong.items():
        hit = w > 0
        rd.append(_requests(s, "p", dict(zip(ids[hit], w[hit], strict=True))))
        homes = np.column_stack([ids[hit], np.ones(hit.sum()), own[hit], children[hit]])
        hh.append(_homes(s, "p", homes.astype(int)))
    return {
        "operating_points": _ops([("A", "p", True), ("B", "p", True)]),
        "request_disclosures": pd.concat(rd, ignore_index=True),
        "harm_households": pd.concat(hh, ignore_index=True),
        "n_requests": n,
    }


def _unpaired_half_width(worlds) -> float:
    """The half-width of the difference if a and b were measured on different requests."""
    var = 0.0
    for s in ("A", "B"):
        per_world = [
            w["request_disclosures"].loc[lambda t, s=s: t["strategy"] == s, "wrong_person"]
            for w in worlds
        ]
        _, low, high, _ = pooled_interval(
            [float(x.sum()) for x in per_world],
            [float((x**2).sum()) for x in per_world],
            [w["n_requests"] for w in worlds],
        )
        var += ((high - low) / (2 * Z)) ** 2
    return Z * np.sqrt(var)


def test_coverage_correlated_strategies():
    """Coverage of the true difference over 240 sets of 3 worlds, and the gain from pairing."""
    rng = np.random.default_rng(20240518)
    n, shared, a_only, b_only, sets = 4000, 0.03, 0.006, 0.003, 240
    per = 1e5 * (a_only - b_only)
    truth = {
        "wrong_person_per_100k": 1.25 * per,  # 1 + 0.25 wrong records per error
        "unrelated_households_per_100k": 0.8 * per,
        "unrelated_us_citizen_children_per_100k": 0.8 * 0.7 * per,
    }
    covered = dict.fromkeys(truth, 0)
    narrower, ratios = 0, []
    for _ in range(sets):
        worlds = [_simulated_world(rng, n, shared, a_only, b_only) for _ in range(3)]
        out = paired_differences(worlds).set_index("metric")
        for metric, value in truth.items():
            covered[metric] += out.at[metric, "ci_low"] <= value <= out.at[metric, "ci_high"]
        paired = (out.at["wrong_person_per_100k", "ci_high"] - out.at["wrong_person_per_100k",
                  "ci_low"]) / 2 * 3 * n / 1e5  # fmt: skip
        unpaired = _unpaired_half_width(worlds)
        narrower += paired < unpaired
        ratios.append(paired / unpaired)
    coverage = {m: round(c / sets, 3) for m, c in covered.items()}
    log.info("coverage at nominal 95%%: %s; paired/unpaired width %.2f", coverage, np.mean(ratios))
    assert all(c >= 0.93 for c in coverage.values()), coverage
    assert narrower == sets
    assert np.mean(ratios) < 0.6


def test_world_without_disclosures():
    worlds = _hand_built()
    worlds.append(
        {
            "operating_points": worlds[1]["operating_points"],
            "request_disclosures": pd.DataFrame(),
            "harm_households": pd.DataFrame(),
            "n_requests": 1000,
        }
    )
    ab = paired_differences(worlds).set_index(["strategy_a", "strategy_b", "metric"])
    row = ab.loc[("a", "b", "wrong_person_per_100k")]
    assert (row["worlds"], row["requests"]) == (3, 5000)
    assert row["difference"] == pytest.approx(2 / 5000 * 1e5)
