"""Operating points an agency could set: tuned on another world, or from the model's own claims."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from test_evaluation_toy import toy_run, toy_truth

from benchmark.evaluation.evaluate import evaluate_runs
from benchmark.evaluation.metrics import match_probability, model_threshold
from benchmark.evaluation.operating_points import (
    BY_NAME,
    DEFAULT_MAIN,
    MAIN_FALLBACK,
    OPERATING_POINTS,
    TUNED_FROM,
)
from benchmark.evaluation.tuning import THRESHOLD_COLUMNS, read_thresholds, tuned_thresholds
from data_gen.errors import InputError

# probabilities a model might claim for the toy's six pairs (true: rows 0, 2, 5)
CONFIDENT = [0.999, 0.995, 0.9, 0.6, 0.3, 0.2]


def _scored(scale: str | None = "probability", scores=CONFIDENT):
    run = toy_run(natural=None)
    pairs = run.pairs.assign(score=scores)
    return dataclasses.replace(run, pairs=pairs, score_scale=scale)


def _thresholds(threshold: float, precision: float = 0.995, reached: bool = True) -> pd.DataFrame:
    rows = [
        {
            "strategy": "toy",
            "assignment": assignment,
            "operating_point": name,
            "threshold": threshold,
            "tuning_precision": precision,
            "tuning_recall": 0.5,
            "tuning_reached": reached,
        }
        for assignment in ("none", "one_to_one")
        for name in TUNED_FROM
    ]
    return pd.DataFrame(rows)


def test_the_default_main_point_is_deployable_and_its_fallbacks_too():
    assert BY_NAME[DEFAULT_MAIN].deployable
    assert all(BY_NAME[name].deployable for name in MAIN_FALLBACK[:-1])
    oracle = [p for p in OPERATING_POINTS if p.kind in ("precision", "recall")]
    assert oracle and not any(p.deployable for p in oracle)
    assert all(p.selection.startswith("best case") for p in oracle)


def test_training_points_apply_the_tuned_threshold_unchanged_and_report_the_gap():
    tables = evaluate_runs(toy_truth(), [_scored()], thresholds=_thresholds(0.9))
    ops = tables["operating_points"].set_index(["assignment", "operating_point"])
    row = ops.loc[("none", "training_precision_0.99")]
    # at 0.9 the toy accepts 0.999 (true), 0.995 (wrong) and 0.9 (true): precision 2/3
    assert row["threshold"] == 0.9 and row["tp"] == 2 and row["fp"] == 1
    assert row["claimed_precision"] == 0.995
    assert row["precision_gap"] == pytest.approx(2 / 3 - 0.995)
    assert bool(row["deployable"]) and "another labelled world" in row["selection"]
    assert bool(row["main"])  # the default main point, reached on its tuning world
    outcomes = tables["outcomes"].set_index(["assignment", "operating_point"])
    assert outcomes.loc[("none", "training_precision_0.99"), "wrong_person"] == 1


def test_model_point_is_the_lowest_threshold_whose_mean_claim_reaches_the_target():
    tables = evaluate_runs(toy_truth(), [_scored()])
    ops = tables["operating_points"].set_index(["assignment", "operating_point"])
    row = ops.loc[("none", "model_precision_0.99")]
    # 0.999 and 0.995 average 0.997; adding 0.9 drops the mean to 0.965
    assert row["threshold"] == 0.995 and bool(row["target_reached"])
    assert row["claimed_precision"] == pytest.approx(0.997)
    assert row["precision"] == 0.5 and row["precision_gap"] == pytest.approx(0.5 - 0.997)
    # no tuning thresholds: the training points are absent and the model point is main
    assert "training_precision_0.99" not in set(ops.index.get_level_values(1))
    assert bool(row["main"])


def test_without_probabilities_or_thresholds_the_main_point_falls_back_to_the_oracle():
    tables = evaluate_runs(toy_truth(), [_scored(scale=None)])
    ops = tables["operating_points"]
    none = ops[ops["assignment"] == "none"]
    assert not none["operating_point"].str.startswith(("model_", "training_")).any()
    assert none.loc[none["main"].astype(bool), "operating_point"].tolist() == [MAIN_FALLBACK[-1]]


def test_an_unreachable_tuned_target_is_reported_but_not_decided():
    tables = evaluate_runs(toy_truth(), [_scored()], thresholds=_thresholds(0.9, reached=False))
    ops = tables["operating_points"].set_index(["assignment", "operating_point"])
    assert not bool(ops.loc[("none", "training_precision_0.99"), "target_reached"])
    assert "training_precision_0.99" not in set(tables["outcomes"]["operating_point"])
    assert bool(ops.loc[("none", "model_precision_0.99"), "main"])


def test_rules_get_no_tuned_or_model_points():
    rule = dataclasses.replace(toy_run(natural=0.5), rule=True, score_scale="probability")
    tables = evaluate_runs(toy_truth(), [rule], thresholds=_thresholds(0.9))
    points = set(tables["operating_points"]["operating_point"])
    assert not {p for p in points if p.startswith(("training_", "model_"))}


def test_request_disclosures_add_up_to_the_outcomes():
    tables = evaluate_runs(toy_truth(), [_scored()], thresholds=_thresholds(0.3))
    per = tables["request_disclosures"].groupby(["assignment", "operating_point"])
    sums = per[["wrong_person", "correct"]].sum()
    outcomes = tables["outcomes"].set_index(["assignment", "operating_point"])
    assert len(outcomes) > 3
    for key, row in outcomes.iterrows():
        got = sums.loc[key] if key in sums.index else pd.Series({"wrong_person": 0, "correct": 0})
        assert (got["wrong_person"], got["correct"]) == (row["wrong_person"], row["correct"])


def test_tuned_thresholds_are_the_oracle_thresholds_of_the_tuning_world(tmp_path):
    run, truth = _scored(), toy_truth()
    tuned = tuned_thresholds(truth, [run])
    assert list(tuned.columns) == list(THRESHOLD_COLUMNS)
    ops = evaluate_runs(truth, [run])["operating_points"].set_index(["assignment", "operating_point"])
    for row in tuned.itertuples():
        oracle = ops.loc[(row.assignment, TUNED_FROM[row.operating_point])]
        assert row.threshold == oracle["threshold"]
        assert row.tuning_precision == oracle["precision"]
        assert row.tuning_reached == bool(oracle["target_reached"])
    # an evaluation folder of the tuning world gives the same thresholds
    folder = tmp_path / "evaluation"
    folder.mkdir()
    ops.reset_index().to_parquet(folder / "operating_points.parquet")
    again = read_thresholds(folder)
    key = ["assignment", "operating_point"]
    pd.testing.assert_frame_equal(
        again.sort_values(key, ignore_index=True)[tuned.columns],
        tuned.sort_values(key, ignore_index=True),
        check_dtype=False,
    )


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("strategy,threshold\ntoy,1\n", "missing column"),
        ("\x00\x01", "missing column"),
    ],
)
def test_bad_thresholds_files_are_refused_in_one_line(tmp_path, content, message):
    path = tmp_path / "thresholds.csv"
    path.write_text(content)
    with pytest.raises(InputError, match=message):
        read_thresholds(path)
    with pytest.raises(InputError, match="no such file"):
        read_thresholds(tmp_path / "nowhere")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(InputError, match="neither"):
        read_thresholds(empty)


def test_model_threshold_claims_fall_as_the_threshold_falls():
    rng = np.random.default_rng(5)
    for _ in range(50):
        scores = rng.normal(size=200)
        probs = match_probability(scores * 4, "match_weight")
        threshold, reached, claimed = model_threshold(scores, probs, 0.9)
        accepted = scores >= threshold
        if reached:
            assert probs[accepted].mean() == pytest.approx(claimed)
            assert claimed >= 0.9
            lower = scores[scores < threshold]
            if len(lower):
                # one more step down breaks the claim
                assert probs[scores >= lower.max()].mean() < 0.9
