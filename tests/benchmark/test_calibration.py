"""The 2025 calibration: published aggregates, the tin_share solve and the range over compositions."""

from __future__ import annotations

import doctest
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import benchmark.experiments.calibration as calibration
from benchmark.evaluation.metrics import label_pairs
from benchmark.experiments.calibration import (
    PUBLISHED,
    calibrate,
    compare_with_published,
    irs_2025_aggregates,
    plausible_range,
    request_overrides,
)
from benchmark.facts import FILE_REQUESTS
from benchmark.linking.link import run_link
from data_gen import generate_world, load_scenario, read_table, write_dataset
from data_gen.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]
FILE_2025 = load_scenario(ROOT / "configs" / "irs_ice_2025.toml")
# 5,120 requests against a world of 44,000 people; the compositions on the same population
SMALL = FILE_2025.with_overrides(
    scale=0.004,
    calibration={
        "scale": 1.0,
        "grid": {"never_filed_share": [0.93, 0.95, 0.5], "borrowed_tin_share": [0.15]},
    },
)


def test_docstring_examples():
    import data_gen.config

    for module in (calibration, data_gen.config):
        result = doctest.testmod(module)
        assert result.attempted > 0 and result.failed == 0, module.__name__


def test_published_aggregates_are_the_record():
    values = {a.name: a.value for a in PUBLISHED}
    assert values["match_rate"] == pytest.approx(47_289 / 1_280_000)
    assert values["tin_path_share"] == pytest.approx(0.903, abs=0.001)
    assert values["junk_share"] == pytest.approx(0.0497, abs=0.001)


def test_aggregates_count_disclosed_records_and_paths():
    requests = pd.DataFrame({"request_id": range(5), "tin": ["9", None, "8", None, None]})
    truth = pd.DataFrame(
        {"request_id": range(5), "address_kind": ["junk", "current", "current", "junk", "outdated"]}
    )
    # request 1 discloses two records (namesakes at one address), request 2 one
    pairs = pd.DataFrame({"request_id": [0, 1, 1, 2], "record_id": [10, 11, 12, 13]})
    got = irs_2025_aggregates(pairs, requests, truth)
    assert got == {
        "requests": 5,
        "disclosures": 4,
        "match_rate": 0.8,
        "tin_path_share": 0.5,
        "junk_share": 0.25,
    }
    empty = irs_2025_aggregates(pairs.iloc[:0], requests, truth)
    assert empty["match_rate"] == 0 and math.isnan(empty["tin_path_share"])


@pytest.mark.parametrize(
    ("factor", "inside"), [(1.0, True), (1.149, True), (0.851, True), (1.151, False), (0.84, False)]
)
def test_tolerance_is_relative_to_each_published_value(factor, inside):
    measured = {a.name: a.value * factor for a in PUBLISHED}
    table = compare_with_published(measured, 0.15)
    assert list(table["aggregate"]) == [a.name for a in PUBLISHED]
    assert table["within_tolerance"].tolist() == [inside] * 3
    assert np.allclose(table["relative_difference"], factor - 1)


def test_current_address_share_moves_requests_between_current_and_outdated():
    out = request_overrides(
        FILE_2025, {"current_address_share": 0.25, "never_filed_share": 0.9}, 0.06
    )
    kinds = out["address_kinds"]
    base = FILE_2025.requests.address_kinds
    assert kinds["current"] == 0.25
    assert kinds["current"] + kinds["outdated"] == pytest.approx(base["current"] + base["outdated"])
    assert kinds["junk"] == base["junk"] and kinds["detention"] == base["detention"]
    assert out["tin_share"] == 0.06 and out["never_filed_share"] == 0.9
    with pytest.raises(ConfigError, match="current_address_share"):
        request_overrides(FILE_2025, {"current_address_share": 0.95}, 0.06)


@pytest.fixture(scope="module")
def table():
    return calibrate(SMALL)


def test_every_composition_gets_a_row(table):
    assert len(table) == 3
    assert table["status"].tolist()[:2] == ["ok", "ok"]
    # half of 5,120 requests cannot be people who filed: reported, not fatal
    assert table["status"].iloc[2].startswith("cannot be drawn: requests.count")
    assert not table["reproduces"].iloc[2]


def test_the_solved_tin_share_hits_the_published_match_rate(table):
    ok = table[table["status"] == "ok"]
    p = PUBLISHED[0].value
    n = ok["requests"].to_numpy()
    sd = np.sqrt(p * (1 - p) / n)
    # binomial noise of one world, plus the slack of the one-step linear solve
    assert (np.abs(ok["match_rate"] - p) <= 4.5 * sd + 0.1 * p).all(), ok[
        ["match_rate", "requests"]
    ]
    assert (ok["tin_share"] > 0).all() and (ok["tin_share"] < 0.2).all()


def test_reproduces_means_all_three_within_tolerance(table):
    ok = table[table["status"] == "ok"]
    for _, row in ok.iterrows():
        inside = all(
            abs(row[a.name] / a.value - 1) <= SMALL.calibration.tolerance for a in PUBLISHED
        )
        assert row["reproduces"] == inside


def test_file_estimates_scale_the_world_counts(table):
    ok = table[table["status"] == "ok"]
    factor = FILE_REQUESTS / ok["requests"]
    for c in ("wrong_person", "households", "us_citizens", "us_citizen_children"):
        assert np.allclose(ok[f"{c}_file"], ok[c] * factor)
    assert (ok["wrong_person_file_low"] <= ok["wrong_person_file"]).all()
    assert (ok["wrong_person_file"] <= ok["wrong_person_file_high"]).all()


def test_in_memory_calibration_equals_the_folder_pipeline(table, tmp_path):
    """The calibration's world and irs_2025 decisions are those of generate → link on disk."""
    row = table.iloc[0]
    scenario = SMALL.with_overrides(
        requests=request_overrides(
            SMALL,
            {
                "never_filed_share": row["never_filed_share"],
                "borrowed_tin_share": row["borrowed_tin_share"],
            },
            row["tin_share"],
        )
    )
    data = write_dataset(generate_world(scenario), tmp_path / "data")
    run_link(data, "irs_2025", tmp_path / "link")
    pairs = pd.read_parquet(tmp_path / "link" / "pairs.parquet")
    assert len(pairs) == row["disclosures"]
    wrong = ~label_pairs(pairs, read_table(data, "truth"))
    assert int(wrong.sum()) == row["wrong_person"]


def test_range_covers_only_compositions_that_reproduce():
    table = pd.DataFrame(
        {
            "reproduces": [True, True, False],
            **{f"{c}_file": [10.0, 30.0, 1000.0] for c in calibration.HARM_COLUMNS},
            "wrong_person_file_low": [5.0, 20.0, 900.0],
            "wrong_person_file_high": [20.0, 45.0, 1100.0],
        }
    )
    got = plausible_range(table).set_index("measure")
    assert got.loc["households", ["low", "median", "high"]].tolist() == [10.0, 20.0, 30.0]
    assert got.loc["wrong_person", ["low", "high"]].tolist() == [5.0, 45.0]
    assert (got["compositions"] == 2).all()
    none = plausible_range(table.assign(reproduces=False))
    assert (none["compositions"] == 0).all() and none["low"].isna().all()


def test_the_report_names_the_parameter_that_moves_the_estimate_most():
    from benchmark.reporting.file_2025 import _leading_parameter

    comps = pd.DataFrame(
        {
            "never_filed_share": [0.9, 0.9, 0.95, 0.95, 0.95],
            "borrowed_tin_share": [0.05, 0.3, 0.05, 0.3, 0.3],
            "reproduces": [True, True, True, True, False],
            "wrong_person_file": [100.0, 900.0, 140.0, 1000.0, 99999.0],
        }
    )
    (block,) = _leading_parameter(comps)
    assert "moves most with borrowed tin share" in block.text
    # means over the reproducing compositions only
    assert "120 at 0.05, 950 at 0.3" in block.text
    assert "belonged to somebody else" in block.text
    assert _leading_parameter(comps.assign(reproduces=False)) == []
