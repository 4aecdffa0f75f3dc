"""Scenario configuration: defaults, TOML loading, round trips, hashing, rejections."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from data_gen.config import (
    ADDRESS_KINDS,
    ORIGINS,
    STATUSES,
    Scenario,
    load_scenario,
    resolved_noise_rates,
    scenario_from_dict,
)
from data_gen.errors import ConfigError, InputError
from data_gen.noise_registry import NOISE_NAMES, NOISE_TYPES

OVERRIDES_TOML = """\
name = "small-test"
seed = 7

[world]
persons = 1234
n_zips = 3

[requests]
tin_share = 0.4

[requests.address_kinds]
current = 0.5
outdated = 0.5

[status.final_order_rate]
undocumented = 0.5

[noise.requests]
typo = 0.25
"""


def write(tmp_path: Path, text: str, name: str = "scenario.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# --------------------------------------------------------------------------- defaults


def test_defaults_build_and_are_valid():
    s = Scenario()
    assert s.name == "default"
    assert s.world.persons == 200_000
    assert s.world.filing_date <= s.world.reference_date
    assert abs(sum(s.requests.address_kinds.values()) - 1) < 1e-9
    for origin in ORIGINS:
        assert set(s.status.adult_status[origin]) == set(STATUSES)
        assert abs(sum(s.status.adult_status[origin].values()) - 1) < 1e-9
    defaults = {nt.name: (nt.irs_rate, nt.request_rate) for nt in NOISE_TYPES}
    assert s.noise.irs == {k: v[0] for k, v in defaults.items()}
    assert s.noise.requests == {k: v[1] for k, v in defaults.items()}
    # the defaults pass their own validation
    assert scenario_from_dict({}) == s


def test_default_dict_fields_are_not_shared_between_instances():
    a, b = Scenario(), Scenario()
    assert a.requests.address_kinds is not b.requests.address_kinds
    assert a.status.adult_status["hispanic"] is not b.status.adult_status["hispanic"]


def test_resolved_noise_rates_cover_every_noise_type():
    s = Scenario()
    for side in ("irs", "requests"):
        rates = resolved_noise_rates(s, side)
        assert set(rates) == set(NOISE_NAMES)
        assert all(0.0 <= r <= 1.0 for r in rates.values())


# --------------------------------------------------------------------------- loading


def test_load_scenario_applies_overrides_and_keeps_defaults(tmp_path):
    s = load_scenario(write(tmp_path, OVERRIDES_TOML))
    d = Scenario()
    # overridden
    assert s.name == "small-test"
    assert s.seed == 7
    assert s.world.persons == 1234
    assert s.world.n_zips == 3
    assert s.requests.tin_share == pytest.approx(0.4)
    assert s.requests.address_kinds == {
        "current": 0.5,
        "outdated": 0.5,
        "junk": 0.0,
        "detention": 0.0,
    }
    assert set(s.requests.address_kinds) == set(ADDRESS_KINDS)
    assert s.status.final_order_rate["undocumented"] == pytest.approx(0.5)
    assert s.noise.requests["typo"] == pytest.approx(0.25)
    assert {k: v for k, v in s.noise.requests.items() if k != "typo"} == {
        k: v for k, v in d.noise.requests.items() if k != "typo"
    }
    assert resolved_noise_rates(s, "requests")["typo"] == pytest.approx(0.25)
    # defaults elsewhere, including siblings inside overridden sections and tables
    assert s.world.reference_date == d.world.reference_date
    assert s.world.filing_date == d.world.filing_date
    assert s.world.zip_selection_group == d.world.zip_selection_group
    assert s.requests.never_filed_share == d.requests.never_filed_share
    assert s.requests.junk_forms == d.requests.junk_forms
    assert s.status.final_order_rate["temporary"] == d.status.final_order_rate["temporary"]
    assert s.status.adult_status == d.status.adult_status
    for section in ("housing", "households", "filing", "moves"):
        assert getattr(s, section) == getattr(d, section), section
    assert s.noise.irs == d.noise.irs


def test_load_scenario_accepts_str_path(tmp_path):
    assert load_scenario(str(write(tmp_path, "seed = 11\n"))).seed == 11


# configs/ also holds the spec of `itin-bench paper`, which names scenarios and is no scenario
NOT_SCENARIOS = {"paper.toml"}


def test_load_scenario_of_repo_configs():
    configs = Path(__file__).resolve().parents[2] / "configs"
    for path in sorted(configs.glob("*.toml")):
        if path.name not in NOT_SCENARIOS:
            assert isinstance(load_scenario(path), Scenario), path


# --------------------------------------------------------------------------- round trip


def _scenarios():
    return [
        pytest.param(lambda tmp: Scenario(), id="defaults"),
        pytest.param(lambda tmp: load_scenario(write(tmp, OVERRIDES_TOML)), id="toml-overrides"),
        pytest.param(
            lambda tmp: Scenario().with_overrides(
                seed=5, world={"persons": 3000}, noise={"irs": {"ocr": 0.1}}
            ),
            id="with_overrides",
        ),
    ]


@pytest.mark.parametrize("make", _scenarios())
def test_to_dict_round_trip_preserves_resolved_scenario(tmp_path, make):
    s = make(tmp_path)
    r = scenario_from_dict(s.to_dict())
    assert r.to_dict() == s.to_dict()
    assert r.config_hash() == s.config_hash()
    # and a second trip is a fixed point
    assert scenario_from_dict(r.to_dict()) == r


@pytest.mark.parametrize("make", _scenarios())
def test_to_dict_round_trip_gives_equal_scenario(tmp_path, make):
    s = make(tmp_path)
    assert scenario_from_dict(s.to_dict()) == s


# --------------------------------------------------------------------------- with_overrides


def test_with_overrides_replaces_and_validates():
    base = Scenario()
    s = base.with_overrides(world={"persons": 10}, seed=99, requests={"tin_share": 0.5})
    assert (s.world.persons, s.seed, s.requests.tin_share) == (10, 99, 0.5)
    assert s.world.n_zips == base.world.n_zips
    assert base.world.persons == 200_000  # original untouched
    with pytest.raises(ConfigError, match=r"world\.persons: size -1 is negative"):
        base.with_overrides(world={"persons": -1})
    with pytest.raises(ConfigError, match=r"world\.bogus: unknown key"):
        base.with_overrides(world={"bogus": 1})


# --------------------------------------------------------------------------- hashing


def test_config_hash_is_stable(tmp_path):
    h = Scenario().config_hash()
    assert re.fullmatch(r"[0-9a-f]{64}", h)
    assert Scenario().config_hash() == h
    assert scenario_from_dict({}).config_hash() == h
    path = write(tmp_path, OVERRIDES_TOML)
    assert load_scenario(path).config_hash() == load_scenario(path).config_hash()
    # spelling out a default value does not change the resolved scenario
    tin = Scenario().requests.tin_share
    assert Scenario().with_overrides(requests={"tin_share": tin}).config_hash() == h
    typo = resolved_noise_rates(Scenario(), "irs")["typo"]
    assert Scenario().with_overrides(noise={"irs": {"typo": typo}}).config_hash() == h


@pytest.mark.parametrize(
    "overrides",
    [
        pytest.param({"seed": 1}, id="seed"),
        pytest.param({"name": "other"}, id="name"),
        pytest.param({"world": {"persons": 199_999}}, id="world.persons"),
        pytest.param({"world": {"filing_date": "2025-04-16"}}, id="world.filing_date"),
        pytest.param({"housing": {"occupancy": 0.91}}, id="housing.occupancy"),
        pytest.param({"requests": {"tin_share": 0.31}}, id="requests.tin_share"),
        pytest.param(
            {
                "requests": {
                    "address_kinds": {
                        "current": 0.6,
                        "outdated": 0.32,
                        "junk": 0.05,
                        "detention": 0.03,
                    }
                }
            },
            id="requests.address_kinds",
        ),
        pytest.param(
            {"status": {"final_order_rate": {"lpr": 0.006}}}, id="status.final_order_rate"
        ),
        pytest.param({"noise": {"irs": {"typo": 0.5}}}, id="noise.irs.typo"),
        pytest.param({"noise": {"requests": {"typo": 0.5}}}, id="noise.requests.typo"),
    ],
)
def test_config_hash_changes_with_one_value(overrides):
    assert Scenario().with_overrides(**overrides).config_hash() != Scenario().config_hash()


# --------------------------------------------------------------------------- rejections

REJECTIONS = [
    # (toml text, offending dotted key, problem text)
    pytest.param('colour = "red"\n', "colour", "unknown key", id="unknown-top-level-key"),
    pytest.param(
        "[requests]\ntin_shar = 0.3\n", "requests.tin_shar", "unknown key", id="unknown-nested-key"
    ),
    pytest.param("[reqests]\ntin_share = 0.3\n", "reqests", "unknown key", id="unknown-section"),
    pytest.param(
        "[noise.census]\ntypo = 0.1\n", "noise.census", "unknown key", id="unknown-noise-side"
    ),
    pytest.param(
        "[requests]\ntin_share = 1.5\n",
        "requests.tin_share",
        "outside [0, 1]",
        id="probability-above-1",
    ),
    pytest.param(
        "[housing]\noccupancy = -0.1\n",
        "housing.occupancy",
        "outside [0, 1]",
        id="probability-below-0",
    ),
    pytest.param(
        "[status.final_order_rate]\nundocumented = 1.2\n",
        "status.final_order_rate.undocumented",
        "outside [0, 1]",
        id="rate-table-above-1",
    ),
    pytest.param(
        "[filing.filing_rate]\nmartian = 0.5\n",
        "filing.filing_rate.martian",
        "unknown key",
        id="rate-table-unknown-key",
    ),
    pytest.param("[world]\npersons = -5\n", "world.persons", "negative", id="negative-size"),
    pytest.param("seed = -1\n", "seed", "negative", id="negative-seed"),
    pytest.param("[world]\nn_zips = 0\n", "world.n_zips", "at least 1", id="zero-positive-int"),
    pytest.param(
        "[moves]\nmax_years_at_address = -1.0\n",
        "moves.max_years_at_address",
        "negative",
        id="negative-nonnegative",
    ),
    pytest.param(
        "[world]\npersons = 1500.5\n", "world.persons", "whole number", id="non-integer-size"
    ),
    pytest.param(
        '[world]\npersons = "1500"\n', "world.persons", "whole number", id="string-for-size"
    ),
    pytest.param("[world]\npersons = true\n", "world.persons", "whole number", id="bool-for-size"),
    pytest.param(
        '[requests]\ntin_share = "0.3"\n',
        "requests.tin_share",
        "expected a number",
        id="string-for-number",
    ),
    pytest.param(
        "[housing]\noccupancy = true\n",
        "housing.occupancy",
        "expected a number",
        id="bool-for-number",
    ),
    pytest.param(
        "[requests]\ntin_share = nan\n",
        "requests.tin_share",
        "expected a number",
        id="nan-for-number",
    ),
    pytest.param(
        "[moves]\nmax_years_at_address = inf\n",
        "moves.max_years_at_address",
        "expected a number",
        id="inf-for-number",
    ),
    pytest.param(
        "[requests.address_kinds]\ncurrent = 0.5\noutdated = 0.3\n",
        "requests.address_kinds",
        "sum to 0.8",
        id="distribution-not-summing-to-1",
    ),
    pytest.param(
        "[requests.address_kinds]\ncurrent = 0.9\nmoon = 0.1\n",
        "requests.address_kinds.moon",
        "unknown key",
        id="distribution-unknown-key",
    ),
    pytest.param(
        "[requests.address_kinds]\ncurrent = 1.5\noutdated = -0.5\n",
        "requests.address_kinds.current",
        "outside [0, 1]",
        id="distribution-share-out-of-range",
    ),
    pytest.param(
        "[requests]\naddress_kinds = 0.5\n",
        "requests.address_kinds",
        "table",
        id="distribution-not-a-table",
    ),
    pytest.param(
        "[status.adult_status.martian]\nus_born = 1.0\n",
        "status.adult_status.martian",
        "unknown key",
        id="adult-status-unknown-origin",
    ),
    pytest.param(
        "[status.adult_status.hispanic]\nus_born = 0.5\n",
        "status.adult_status.hispanic",
        "sum to 0.5",
        id="adult-status-not-summing-to-1",
    ),
    pytest.param(
        "[status.adult_status.white]\nus_born = 0.9\nalien = 0.1\n",
        "status.adult_status.white.alien",
        "unknown key",
        id="adult-status-unknown-status",
    ),
    pytest.param(
        "[noise.requests]\nnot_a_noise = 0.1\n",
        "noise.requests.not_a_noise",
        "unknown noise type",
        id="unknown-noise-type",
    ),
    pytest.param(
        "[noise.requests]\ntypo = 1.5\n",
        "noise.requests.typo",
        "outside [0, 1]",
        id="noise-rate-above-1",
    ),
    pytest.param(
        "[noise.irs]\nocr = -0.01\n", "noise.irs.ocr", "outside [0, 1]", id="noise-rate-below-0"
    ),
    pytest.param(
        '[noise.irs]\nocr = "high"\n', "noise.irs.ocr", "expected a number", id="noise-rate-string"
    ),
    pytest.param(
        '[world]\nreference_date = "2025-02-30"\n',
        "world.reference_date",
        "not a date",
        id="bad-date-day",
    ),
    pytest.param(
        '[world]\nfiling_date = "June 27"\n', "world.filing_date", "not a date", id="bad-date-text"
    ),
    pytest.param(
        '[world]\nreference_date = "2025-06-27T12:00:00"\n',
        "world.reference_date",
        "not a date",
        id="datetime-not-date",
    ),
    pytest.param(
        '[world]\nfiling_date = "2025-07-01"\n',
        "world.filing_date",
        "is after reference_date",
        id="filing-after-reference",
    ),
    pytest.param(
        '[world]\nfiling_date = "2025-04-15"\nreference_date = "2025-01-01"\n',
        "world.filing_date",
        "is after reference_date",
        id="reference-before-filing",
    ),
    pytest.param(
        '[world]\nzip_selection_group = "martian"\n',
        "world.zip_selection_group",
        "is not one of",
        id="bad-choice",
    ),
    pytest.param('name = "my scenario!"\n', "name", "non-empty name", id="bad-name"),
    pytest.param('name = ""\n', "name", "non-empty name", id="empty-name"),
    pytest.param(
        "[housing]\nlarge_complex_min_units = 400\n",
        "housing.large_complex_min_units",
        "larger than large_complex_max_units",
        id="min-units-above-max",
    ),
    pytest.param(
        "[housing]\nsmall_building_max_units = 1\n",
        "housing.small_building_max_units",
        "at least 2",
        id="small-building-1-unit",
    ),
    pytest.param(
        "world = 5\n",
        "world",
        "expected a table",
        id="section-not-a-table",
    ),
    pytest.param(
        '[world]\nreference_date = "20250627"\n',
        "world.reference_date",
        "not a date",
        id="compact-date-string",
    ),
    pytest.param(
        "[world]\nreference_date = 20250627\n",
        "world.reference_date",
        "not a date",
        id="integer-date",
    ),
    pytest.param(
        '[world]\nfiling_date = "2025-12-31"\nreference_date = "20250101"\n',
        "world.reference_date",
        "not a date",
        id="filing-after-compact-reference",
    ),
    pytest.param(
        '[world]\nreference_date = "2025-W01-1"\n',
        "world.reference_date",
        "not a date",
        id="iso-week-date",
    ),
    pytest.param("scale = 0\n", "scale", "greater than 0", id="scale-zero"),
    pytest.param("scale = -0.5\n", "scale", "negative", id="scale-negative"),
    pytest.param('scale = "big"\n', "scale", "expected a number", id="scale-text"),
    pytest.param("[requests]\ncount = 1.5\n", "requests.count", "whole number", id="count-float"),
    pytest.param("[requests]\ncount = -3\n", "requests.count", "negative", id="count-negative"),
    pytest.param(
        "[calibration]\npriors = { tin_share = [0.1, 0.2] }\n",
        "calibration.priors.tin_share",
        "unknown key",
        id="priors-solved-key",
    ),
    pytest.param(
        "[calibration]\npriors = { never_filed_share = [0.9] }\n",
        "calibration.priors.never_filed_share",
        "range [low, high]",
        id="priors-one-value",
    ),
    pytest.param(
        "[calibration]\npriors = { never_filed_share = [0.9, 1.2] }\n",
        "calibration.priors.never_filed_share[1]",
        "outside [0, 1]",
        id="priors-bad-probability",
    ),
    pytest.param(
        "[calibration]\npriors = { name_noise = [3, 1] }\n",
        "calibration.priors.name_noise",
        "above high",
        id="priors-reversed",
    ),
    pytest.param(
        "[calibration]\npriors = { name_noise = [-1, 2] }\n",
        "calibration.priors.name_noise[0]",
        "expected a number >= 0",
        id="priors-negative-multiplier",
    ),
    pytest.param(
        "[calibration]\npriors = [0.9]\n",
        "calibration.priors",
        "expected a table of [low, high] ranges",
        id="priors-not-a-table",
    ),
    pytest.param(
        "[calibration]\ngrid = { never_filed_share = [0.9] }\n",
        "calibration.grid",
        "unknown key",
        id="old-grid-key",
    ),
    pytest.param(
        "[requests]\nnever_filed_share = 0.5\nleft_area_share = 0.6\n",
        "requests.left_area_share",
        "more than never_filed_share",
        id="left-area-above-never-filed",
    ),
]


@pytest.mark.parametrize(("text", "key", "problem"), REJECTIONS)
def test_rejects_bad_value_naming_key_and_problem(tmp_path, text, key, problem):
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_scenario(path)
    message = str(info.value)
    assert message.startswith(f"{path}: "), message
    # the offending dotted key, followed by its problem
    assert f": {key}: " in message, message
    assert problem in message, message
    assert "\n" not in message


@pytest.mark.parametrize(
    ("data", "key", "problem"),
    [
        pytest.param(
            {"requests": {"tin_share": 2}}, "requests.tin_share", "outside [0, 1]", id="probability"
        ),
        pytest.param(
            {"world": {"persons": [1]}}, "world.persons", "whole number", id="list-for-size"
        ),
        pytest.param(
            {"housing": {"occupancy": None}},
            "housing.occupancy",
            "expected a number",
            id="none-for-number",
        ),
        pytest.param(
            {"world": {"persons": 10, "extra": 1}}, "world.extra", "unknown key", id="unknown-key"
        ),
    ],
)
def test_scenario_from_dict_names_source_and_key(data, key, problem):
    with pytest.raises(ConfigError) as info:
        scenario_from_dict(data, "my-source")
    message = str(info.value)
    assert message.startswith(f"my-source: {key}: "), message
    assert problem in message, message


def test_config_error_is_input_error():
    assert issubclass(ConfigError, InputError)


@pytest.mark.parametrize(
    ("setup", "problem"),
    [
        pytest.param(
            lambda p: p.write_text("[world\npersons = 1\n"), "not valid TOML", id="invalid-toml"
        ),
        pytest.param(lambda p: p.write_text("seed = \n"), "not valid TOML", id="missing-value"),
        pytest.param(
            lambda p: p.write_text("seed = 1\nseed = 2\n"), "not valid TOML", id="duplicate-key"
        ),
        pytest.param(lambda p: None, "config file not found", id="missing-file"),
        pytest.param(lambda p: p.write_bytes(b'name = "caf\xe9"\n'), "not UTF-8", id="non-utf8"),
        pytest.param(lambda p: p.mkdir(), "is a directory", id="directory"),
    ],
)
def test_rejects_unreadable_file(tmp_path, setup, problem):
    path = tmp_path / "scenario.toml"
    setup(path)
    with pytest.raises(ConfigError) as info:
        load_scenario(path)
    message = str(info.value)
    assert message.startswith(f"{path}: "), message
    assert problem in message, message
    assert "\n" not in message
