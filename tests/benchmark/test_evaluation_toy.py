"""Hand-computed toy cases for every metric, outcome, harm count and disparity.

The toy world (six requests, four true pairs):

- r1: true pair (1, 101), scored 0.9.
- r2: true pair (2, 102), never proposed by blocking (a false negative everywhere).
- r3: a person who never filed, matched to record 103 at 0.7 (wrong person).
- r4: true pair (4, 104) and a wrong record 105, both scored 0.5 (a tie).
- r5: a person who never filed, no candidates (correctly unmatched).
- r6: true pair (6, 106) at 0.3, outranked by a wrong record 107 at 0.9.

Records 103 and 107 point at address 1 (household 1: 4 people, 3 US citizens,
2 of them children, mixed status); 105 at address 2 (household 2: 2 people, 1
LPR); 101 at address 3 (household 3: 1 person); 104 and 106 at address 9, where
nobody lives now.  The person of r6 lives in household 1, so the wrong record
107 lands on r6's own household; r1 lives in household 3.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from benchmark.evaluation.disparities import disparities, wilson_interval
from benchmark.evaluation.evaluate import evaluate_runs
from benchmark.evaluation.ground_truth import GroundTruth, frequency_deciles
from benchmark.evaluation.harm import harm_counts
from benchmark.evaluation.link_runs import LinkRun
from benchmark.evaluation.metrics import (
    choose_threshold,
    counts_at,
    label_pairs,
    threshold_sweep,
)
from benchmark.evaluation.operating_points import OperatingPoint
from benchmark.evaluation.outcomes import request_outcomes
from benchmark.strategies.assignment import one_to_one

PAIRS = pd.DataFrame(
    {
        "request_id": [1, 3, 4, 4, 6, 6],
        "record_id": [101, 103, 104, 105, 107, 106],
        "score": [0.9, 0.7, 0.5, 0.5, 0.9, 0.3],
    }
)
TRUTH = pd.DataFrame({"request_id": [1, 2, 4, 6], "record_id": [101, 102, 104, 106]})
REQUESTS = pd.DataFrame(
    {
        "request_id": [1, 2, 3, 4, 5, 6],
        "person_id": [11, 12, 13, 14, 15, 16],
        "household_id": [3, 4, 5, 6, 7, 1],
        "person_filed": [True, True, False, True, False, True],
        "has_true_pair": [True, True, False, True, False, True],
        "surname_decile": [1, 1, 10, 10, 10, 1],
        "surname_count": [5, 5, 900, 900, 900, 5],
        "origin": ["a", "a", "b", "b", "b", "a"],
        "building_size": ["1", "1", "50+", "50+", "50+", "1"],
        "state": ["CA", "CA", "TX", "TX", "TX", "CA"],
    }
)
RECORD_ADDRESS = pd.DataFrame(
    {"record_id": [101, 102, 103, 104, 105, 106, 107], "address_id": [3, 3, 1, 9, 2, 9, 1]}
)
RESIDENTS = pd.DataFrame(
    {
        "address_id": [1, 2, 3],
        "household_id": [1, 2, 3],
        "people": [4, 2, 1],
        "us_citizens": [3, 0, 1],
        "us_citizen_children": [2, 0, 0],
        "lprs": [0, 1, 0],
        "mixed_status": [True, False, False],
    }
)


def toy_truth() -> GroundTruth:
    return GroundTruth(
        requests=REQUESTS.copy(),
        truth=TRUTH.copy(),
        record_address=RECORD_ADDRESS.copy(),
        residents=RESIDENTS.copy(),
        manifest={"seed": 1, "config_sha256": "x"},
    )


def toy_run(natural: float | None = 0.5) -> LinkRun:
    return LinkRun(
        strategy="toy",
        natural_threshold=natural,
        pairs=PAIRS.copy(),
        manifest={"strategy": "toy", "natural_threshold": natural},
        blocking={"candidate_pairs": 6, "true_pairs_found": 3, "pair_completeness": 0.75},
        folder=Path("toy"),
    )


def test_labels_mark_exactly_the_true_pairs():
    assert label_pairs(PAIRS, TRUTH).tolist() == [True, False, True, False, False, True]
    assert label_pairs(PAIRS, TRUTH.iloc[:0]).tolist() == [False] * 6


def test_sweep_counts_blocking_losses_and_ties():
    sweep = threshold_sweep(PAIRS["score"], label_pairs(PAIRS, TRUTH), n_true=4)
    rows = sweep[["threshold", "accepted", "tp", "fp", "fn"]].values.tolist()
    # the 0.5 tie enters together; pair (2, 102) is never proposed, so fn >= 1 throughout
    assert rows == [[0.9, 2, 1, 1, 3], [0.7, 3, 1, 2, 3], [0.5, 5, 2, 3, 2], [0.3, 6, 3, 3, 1]]
    first, last = sweep.iloc[0], sweep.iloc[-1]
    assert first["precision"] == pytest.approx(1 / 2)
    assert first["recall"] == pytest.approx(1 / 4)
    assert first["f1"] == pytest.approx(2 * 1 / (2 * 1 + 1 + 3))
    assert first["f_star"] == pytest.approx(1 / (1 + 1 + 3))
    assert last["precision"] == pytest.approx(3 / 6)
    assert last["recall"] == pytest.approx(3 / 4)
    assert last["f1"] == pytest.approx(6 / 10)
    assert last["f_star"] == pytest.approx(3 / 7)


def test_sweep_of_nothing_and_of_an_empty_truth():
    empty = threshold_sweep(np.array([]), np.array([], dtype=bool), n_true=4)
    assert empty.empty
    assert counts_at(empty, 0.5, 4) == {
        "threshold": 0.5,
        "accepted": 0,
        "tp": 0,
        "fp": 0,
        "fn": 4,
        "precision": 1.0,
        "recall": 0.0,
        "f1": 0.0,
        "f_star": 0.0,
    }
    no_truth = threshold_sweep(np.array([0.2]), np.array([False]), n_true=0)
    assert np.isnan(no_truth["recall"].iloc[0]) and no_truth["precision"].iloc[0] == 0.0
    with pytest.raises(ValueError):
        threshold_sweep(np.array([0.2]), np.array([True]), n_true=0)


def test_counts_at_any_threshold_take_the_row_at_or_above_it():
    sweep = threshold_sweep(PAIRS["score"], label_pairs(PAIRS, TRUTH), n_true=4)
    assert counts_at(sweep, 0.6, 4)["tp"] == 1 and counts_at(sweep, 0.6, 4)["fp"] == 2
    assert counts_at(sweep, 0.5, 4)["accepted"] == 5
    assert counts_at(sweep, 0.95, 4)["accepted"] == 0
    assert counts_at(sweep, -1.0, 4)["accepted"] == 6


def test_one_to_one_keeps_the_best_pair_per_request_and_record():
    kept = one_to_one(PAIRS)
    # r4's tie goes to the lower record id; r6 keeps its wrong 0.9 record and loses 106
    assert sorted(zip(kept["request_id"], kept["record_id"], strict=True)) == [
        (1, 101),
        (3, 103),
        (4, 104),
        (6, 107),
    ]
    sweep = threshold_sweep(kept["score"], label_pairs(kept, TRUTH), n_true=4)
    assert sweep[["threshold", "tp", "fp", "fn"]].values.tolist() == [
        [0.9, 1, 1, 3],
        [0.7, 1, 2, 3],
        [0.5, 2, 2, 2],
    ]


@pytest.mark.parametrize(
    ("description", "point", "natural", "expected"),
    [
        ("natural decision", OperatingPoint("n", "natural"), 0.5, (0.5, True)),
        ("no natural threshold", OperatingPoint("n", "natural"), None, None),
        # precision never exceeds 0.5: the most precise thresholds are 0.9 and 0.3; take the one with more recall
        ("precision unreachable", OperatingPoint("p", "precision", 0.95), None, (0.3, False)),
        ("precision 0.5 reachable", OperatingPoint("p", "precision", 0.5), None, (0.3, True)),
        ("precision 0.4 reachable", OperatingPoint("p", "precision", 0.4), None, (0.3, True)),
        ("recall 0.5 reachable", OperatingPoint("r", "recall", 0.5), None, (0.5, True)),
        ("recall unreachable", OperatingPoint("r", "recall", 0.9), None, (0.3, False)),
    ],
)
def test_operating_points(description, point, natural, expected):
    sweep = threshold_sweep(PAIRS["score"], label_pairs(PAIRS, TRUTH), n_true=4)
    assert choose_threshold(sweep, point, natural) == expected


def test_precision_target_takes_the_most_recall_and_then_the_fewest_pairs():
    scores = np.array([0.9, 0.8, 0.7, 0.6, 0.5])
    is_true = np.array([True, True, False, False, True])
    sweep = threshold_sweep(scores, is_true, n_true=3)
    # precision: 1, 1, 2/3, 1/2, 3/5; at least 0.6 → 0.5 has the most recall
    assert choose_threshold(sweep, OperatingPoint("p", "precision", 0.6), None) == (0.5, True)
    # at least 0.9 → 0.9 and 0.8 qualify; 0.8 has more recall
    assert choose_threshold(sweep, OperatingPoint("p", "precision", 0.9), None) == (0.8, True)
    # equal recall at 0.8, 0.7 and 0.6: the recall target takes the highest of them
    assert choose_threshold(sweep, OperatingPoint("r", "recall", 0.6), None) == (0.8, True)


def test_request_outcomes_at_the_natural_threshold():
    accept = PAIRS["score"] >= 0.5
    decisions = PAIRS[accept].assign(is_true=label_pairs(PAIRS, TRUTH)[accept.to_numpy()])
    o = request_outcomes(decisions, REQUESTS)
    assert {k: o[k] for k in ("correct", "wrong_person", "missed", "correctly_unmatched")} == {
        "correct": 2,  # 1-101, 4-104
        "wrong_person": 3,  # 3-103 (never filed), 4-105, 6-107
        "missed": 1,  # r2
        "correctly_unmatched": 1,  # r5
    }
    assert o["requests_matched"] == 4
    assert o["requests_with_wrong_person"] == 3
    assert o["requests_wrong_person_only"] == 2  # r3 and r6
    assert o["wrong_person_never_filed"] == 1
    assert o["requests_with_multiple_disclosures"] == 1  # r4
    assert o["extra_disclosures"] == 1
    assert o["wrong_person_per_100k"] == pytest.approx(3 / 6 * 100_000)


HOME = REQUESTS.set_index("request_id")["household_id"]


def test_harm_counts_households_once_and_empty_addresses_apart():
    wrong = PAIRS.iloc[[1, 3, 4]]  # records 103, 105, 107
    totals, homes = harm_counts(wrong, RECORD_ADDRESS, RESIDENTS, HOME, n_requests=6)
    # household 1 gets two disclosures, one of them for r6, who lives there
    assert homes[["household_id", "disclosures", "own_disclosures"]].values.tolist() == [
        [1, 2, 1],
        [2, 1, 0],
    ]
    assert {
        k: totals[k]
        for k in (
            "households",
            "people",
            "us_citizens",
            "us_citizen_children",
            "lprs",
            "mixed_status_households",
            "at_empty_address",
        )
    } == {
        "households": 2,
        "people": 6,
        "us_citizens": 3,
        "us_citizen_children": 2,
        "lprs": 1,
        "mixed_status_households": 1,
        "at_empty_address": 0,
    }
    assert totals["households_per_100k"] == pytest.approx(2 / 6 * 100_000)
    assert totals["own_household_disclosures"] == 1
    assert (totals["unrelated_households"], totals["unrelated_people"]) == (2, 6)
    assert "name" not in " ".join(homes.columns)
    right = PAIRS.iloc[[0, 2]]  # records 101 and 104
    totals, homes = harm_counts(right, RECORD_ADDRESS, RESIDENTS, HOME, 6, prefix="correct_")
    assert totals["correct_households"] == 1 and totals["correct_people"] == 1
    assert totals["correct_unrelated_households"] == 0  # r1's own home
    assert totals["correct_at_empty_address"] == 1


def test_a_relatives_record_at_the_requested_persons_home_is_not_an_unrelated_household():
    only_own = PAIRS.iloc[[4]]  # r6 matched to 107, at r6's own household 1
    totals, _ = harm_counts(only_own, RECORD_ADDRESS, RESIDENTS, HOME, 6)
    assert (totals["households"], totals["unrelated_households"]) == (1, 0)
    assert (totals["us_citizen_children"], totals["unrelated_us_citizen_children"]) == (2, 0)
    assert totals["own_household_disclosures"] == 1


def test_every_household_at_a_shared_address_counts():
    two_homes = pd.concat(
        [RESIDENTS, RESIDENTS.iloc[[1]].assign(household_id=8, people=3, lprs=0)],
        ignore_index=True,
    )
    wrong = PAIRS.iloc[[3]]  # record 105 at address 2, now shared by households 2 and 8
    totals, homes = harm_counts(wrong, RECORD_ADDRESS, two_homes, HOME, 6)
    assert homes["household_id"].tolist() == [2, 8]
    assert (totals["households"], totals["people"], totals["lprs"]) == (2, 5, 1)
    assert totals["at_empty_address"] == 0


def test_disparities_by_group_with_counts():
    accept = PAIRS["score"] >= 0.5
    decisions = PAIRS[accept].assign(is_true=label_pairs(PAIRS, TRUTH)[accept.to_numpy()])
    d = disparities(decisions, REQUESTS).set_index(["dimension", "group"])
    a, b = d.loc[("origin", "a")], d.loc[("origin", "b")]
    assert (
        a["requests"],
        a["requests_with_wrong_person"],
        a["wrong_person"],
        a["correct"],
        a["missed"],
    ) == (3, 1, 1, 1, 1)
    assert (
        b["requests"],
        b["requests_with_wrong_person"],
        b["wrong_person"],
        b["correct"],
        b["missed"],
    ) == (3, 2, 2, 1, 0)
    assert a["wrong_person_rate"] == pytest.approx(1 / 3)
    assert b["wrong_share_of_disclosures"] == pytest.approx(2 / 3)
    assert a["rate_ci_low"] < 1 / 3 < a["rate_ci_high"]
    assert d.loc[("surname_decile", "10"), "requests_with_wrong_person"] == 2
    assert d.loc[("building_size", "50+"), "requests"] == 3
    assert d.loc[("state", "CA"), "wrong_person"] == 1
    assert list(d.index.get_level_values(0).unique()) == [
        "surname_decile",
        "origin",
        "building_size",
        "state",
    ]


def test_wilson_interval_matches_the_textbook_values():
    lo, hi = wilson_interval(np.array([0, 5, 10]), np.array([10, 10, 10]))
    assert lo[0] == 0.0 and hi[2] == 1.0
    # Wilson 95% for 5/10: 0.2366 to 0.7634
    assert (round(float(lo[1]), 4), round(float(hi[1]), 4)) == (0.2366, 0.7634)


def test_frequency_deciles_keep_equal_values_together():
    d = frequency_deciles(np.repeat([1, 2, 3, 4, 5], 20))
    assert sorted(set(d.tolist())) == [2, 4, 6, 8, 10]
    assert frequency_deciles([5, 1, 1, 9]).tolist() == [8, 4, 4, 10]


def test_evaluate_runs_puts_it_together_with_and_without_one_to_one():
    tables = evaluate_runs(toy_truth(), [toy_run()])
    ops = tables["operating_points"].set_index(["assignment", "operating_point"])
    assert ops.loc[("none", "natural"), ["tp", "fp", "fn"]].tolist() == [2, 3, 2]
    assert ops.loc[("one_to_one", "natural"), ["tp", "fp", "fn"]].tolist() == [2, 2, 2]
    assert not ops.loc[("none", "precision_0.95"), "target_reached"]
    out = tables["outcomes"].set_index(["assignment", "operating_point"])
    # no decision is reported where the target was not reached
    assert ("none", "precision_0.95") not in out.index
    assert ("none", "recall_0.90") not in out.index
    assert set(tables["harm_summary"]["operating_point"]) == {"natural"}
    assert out.loc[
        ("one_to_one", "natural"), ["correct", "wrong_person", "missed", "correctly_unmatched"]
    ].tolist() == [2, 2, 1, 1]
    harm = tables["harm_summary"].set_index(["assignment", "operating_point"])
    assert harm.loc[
        ("none", "natural"), ["wrong_person", "households", "people", "us_citizen_children"]
    ].tolist() == [3, 2, 6, 2]
    assert harm.loc[("none", "natural"), "unrelated_households"] == 2
    assert harm.loc[("none", "natural"), "own_household_disclosures"] == 1
    # one-to-one drops 4-105: household 2 is no longer endangered
    assert harm.loc[
        ("one_to_one", "natural"), ["wrong_person", "households", "people", "lprs"]
    ].tolist() == [2, 1, 4, 0]
    sweep = tables["threshold_sweep"]
    assert len(sweep[sweep["assignment"] == "none"]) == 4
    assert tables["blocking"]["pair_completeness"].tolist() == [0.75]
    homes = tables["harm_households"]
    assert set(homes["disclosure"]) == {"wrong_person", "correct"}


def test_a_strategy_given_twice_is_refused():
    from data_gen.errors import InputError

    with pytest.raises(InputError, match="given twice"):
        evaluate_runs(toy_truth(), [toy_run(), toy_run()])


def test_intervals_are_t_intervals_of_the_mean_clipped_to_the_range():
    from benchmark.evaluation.aggregate import intervals

    def one(metric, values):
        f = pd.DataFrame(
            {
                "replicate": range(len(values)),
                "strategy": "s",
                "assignment": "none",
                "operating_point": "p",
                "metric": metric,
                "value": values,
                "n_requests": 1000.0,
            }
        )
        return intervals(f).iloc[0]

    row = one("wrong_person", [4.0, 6.0, 8.0, 10.0, 12.0])
    # mean 8, sd sqrt(10), t(0.975, 4) = 2.776445
    half = 2.776445 * np.sqrt(10) / np.sqrt(5)
    assert row["mean"] == 8.0 and row["replicates"] == 5
    assert row["ci_low"] == pytest.approx(8 - half, abs=1e-5)
    assert row["ci_high"] == pytest.approx(8 + half, abs=1e-5)
    assert (row["min"], row["max"]) == (4.0, 12.0)
    assert one("wrong_person", [0.0, 0.0, 3.0])["ci_low"] == 0.0
    assert one("recall", [0.9, 1.0, 1.0])["ci_high"] == 1.0
    assert one("threshold", [-4.0, 0.0, 1.0])["ci_low"] < -4.0  # may be negative
    assert np.isnan(one("threshold", [3.0])["ci_low"])
    # counts: at least the exact Poisson interval of the pooled count
    zero = one("wrong_person", [0.0, 0.0, 0.0])
    assert zero["ci_low"] == 0.0 and zero["ci_high"] == pytest.approx(3.6889 / 3, abs=1e-4)
    single = one("wrong_person", [3.0])
    assert (single["ci_low"], single["ci_high"]) == pytest.approx((0.6187, 8.7673), abs=1e-4)
    # rates per 100,000 pool the events over all worlds' requests: 2 events in 2,000 requests
    rate = one("wrong_person_per_100k", [200.0, 0.0])
    assert rate["mean"] == 100.0
    assert rate["ci_high"] >= 7.2247 / 2000 * 100_000 - 1e-6


def test_replicate_seeds_are_stable_and_distinct():
    from benchmark.experiments.replicates import replicate_seed

    assert replicate_seed(20250627, 0) == 20250627
    seeds = [replicate_seed(20250627, k) for k in range(1, 50)]
    assert len(set(seeds)) == 49 and all(0 <= s < 2**31 for s in seeds)
    assert seeds == [replicate_seed(20250627, k) for k in range(1, 50)]


def test_scored_strategies_are_summarised_at_the_chosen_point_and_rules_at_their_own():
    from benchmark.reporting.summary import format_summary

    tables = evaluate_runs(toy_truth(), [toy_run()], main_point="recall_0.90")
    ops = tables["operating_points"]
    assert ops.loc[ops["main"], "operating_point"].unique().tolist() == ["recall_0.90"]
    rule = toy_run()
    rule.rule = True
    ops = evaluate_runs(toy_truth(), [rule])["operating_points"]
    assert ops.loc[ops["main"], "operating_point"].unique().tolist() == ["natural"]

    figures = pd.DataFrame(
        {
            "strategy": "toy",
            "assignment": "none",
            "operating_point": "natural",
            "metric": ["recall", "wrong_person_per_100k", "target_reached"],
            "mean": [0.5, 1234.0, 1.0],
            "ci_low": [0.4, 1000.0, 1.0],
            "ci_high": [0.6, 1500.0, 1.0],
        }
    )
    lines = format_summary(figures)
    assert lines[0].split()[:3] == ["strategy", "operating", "point"]
    assert "50.0% [40.0%-60.0%]" in lines[1] and "1,234 [1,000-1,500]" in lines[1]
    assert "n/a" in lines[1]  # no household figures were given (as for user tables)
    # a figure present but blank is "not reached", or "suppressed" when counts were blanked
    unreached = figures.assign(mean=[np.nan, np.nan, 0.0])
    assert format_summary(unreached)[1].count("not reached") == 2
    blanked = figures.assign(mean=[np.nan, np.nan, 1.0])
    assert format_summary(blanked, suppress_below=10)[1].count("suppressed") == 2
