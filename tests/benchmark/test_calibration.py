"""The 2025 calibration: published aggregates, tolerances, the Sobol design, the exact TIN-share
solve, routes, and what the kept draws allow."""

from __future__ import annotations

import doctest
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import benchmark.experiments.calibration as calibration
import benchmark.experiments.calibration_analysis as analysis
import benchmark.experiments.calibration_draws as draws_module
from benchmark.evaluation.error_routes import ROUTES
from benchmark.experiments.calibration import (
    PUBLISHED,
    compare_with_published,
    irs_2025_aggregates,
    link_irs_2025,
    write_calibration,
)
from benchmark.experiments.calibration_draws import (
    TARGETS,
    Calibrator,
    design,
    dimensions,
    draw_scenario,
    run_draws,
)
from benchmark.facts import FACTS, FILE_REQUESTS
from benchmark.linking.link import run_link
from benchmark.strategies import Backend
from data_gen import load_scenario, write_dataset
from data_gen.config import CALIBRATION_KEYS, PRIORS
from data_gen.world import add_requests, build_population

ROOT = Path(__file__).resolve().parents[2]
FILE_2025 = load_scenario(ROOT / "configs" / "irs_ice_2025.toml")
# a world of 44,000 people and 5,120 requests; each draw 1,024 requests on half of it
SMALL = FILE_2025.with_overrides(scale=0.004, calibration={"draws": 16, "requests": 0.2})


def test_docstring_examples():
    import data_gen.config

    for module in (calibration, draws_module, analysis, data_gen.config):
        result = doctest.testmod(module)
        assert result.attempted > 0 and result.failed == 0, module.__name__


def test_published_aggregates_are_the_record():
    values = {a.name: a.value for a in PUBLISHED}
    assert values["match_rate"] == pytest.approx(47_289 / 1_280_000)
    assert values["tin_path_share"] == pytest.approx(0.903, abs=0.001)
    assert values["junk_share"] == pytest.approx(0.0497, abs=0.001)
    assert values["updated_share"] == pytest.approx(33_000 / 47_289)
    assert [t.soft for t in TARGETS] == [False, False, False, True]


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


def test_an_updated_address_is_one_the_record_gives_and_the_request_did_not():
    address = {"first_name": "ANA", "last_name": "RUIZ", "dob": "1980-01-01", "unit": None}
    requests = pd.DataFrame(
        [
            {"request_id": 0, "house_number": "12", "street": "MAIN ST", "zip": "60601"},
            {"request_id": 1, "house_number": "12", "street": "MAIN STREET", "zip": "60601"},
            {"request_id": 2, "house_number": None, "street": None, "zip": "60601"},
        ]
    ).assign(address="x", city="C", state="IL", tin=None, **address)
    records = pd.DataFrame(
        [{"record_id": 10, "house_number": "12", "street": "Main St", "zip": "60601"}]
    ).assign(city="C", state="IL", tin="9", **address)
    pairs = pd.DataFrame({"request_id": [0, 1, 2], "record_id": [10, 10, 10]})
    # the same street written two ways is the same address; a junk field is not
    assert calibration.updated_addresses(pairs, requests, records).tolist() == [False, False, True]


@pytest.mark.parametrize("disclosures", [500, 5_000, 50_000])
def test_tolerances_shrink_with_the_draws_sampling_noise(disclosures):
    tin = TARGETS[1]
    small, large = tin.tolerance(disclosures, 2.0, 0.1), tin.tolerance(4 * disclosures, 2.0, 0.1)
    p = tin.value
    se = lambda m: np.sqrt(p * (1 - p) / m)  # noqa: E731
    assert small == pytest.approx(2 * np.hypot(se(disclosures), se(FACTS["matches_2025"].value)))
    assert large < small
    # the soft target gets the extra width; a rounded figure half its rounding unit
    updated, junk = TARGETS[3], TARGETS[2]
    assert updated.tolerance(disclosures, 2.0, 0.1) - updated.tolerance(
        disclosures, 2.0, 0.0
    ) == pytest.approx(0.1)
    assert junk.tolerance(disclosures, 0.0, 0.0) == pytest.approx(25 / 47_289)


@pytest.mark.parametrize(("factor", "inside"), [(0.99, True), (1.01, False)])
def test_within_tolerance_is_the_distance_against_each_tolerance(factor, inside):
    measured = {"requests": 20_000, "disclosures": 700}
    for t in TARGETS:
        trials = 20_000 if t.name == "match_rate" else 700
        measured[t.name] = t.value + factor * t.tolerance(trials, 2.0, 0.1)
    table = compare_with_published(measured, 2.0, 0.1)
    assert list(table["aggregate"]) == [t.name for t in TARGETS]
    assert table["within_tolerance"].tolist() == [inside] * 4


def test_the_design_spans_every_prior_range_and_is_seeded():
    table = design({}, 256, seed=7)
    assert table.equals(design({}, 256, seed=7)) and not table.equals(design({}, 256, seed=8))
    for p in dimensions({}):
        col = table[p.name]
        width = p.high - p.low
        assert col.min() >= p.low - 1e-9 and col.max() <= p.high + 1e-9
        if p.name != "left_area_share":
            # a balanced Sobol design of 256 points reaches within 2% of both ends
            assert col.min() <= p.low + 0.02 * width and col.max() >= p.high - 0.02 * width
    assert (table["left_area_share"] <= table["never_filed_share"] + 1e-9).all()
    assert table["left_area_share"].max() >= 0.8
    narrowed = design({"never_filed_share": [0.6, 0.7]}, 64, seed=7)
    assert narrowed["never_filed_share"].between(0.6, 0.7).all()
    assert [p.name for p in PRIORS] == list(CALIBRATION_KEYS)
    assert all(p.source for p in PRIORS)


def test_a_draws_scenario_carries_every_setting():
    sized = SMALL.scaled()
    draw = design({}, 8, seed=1).iloc[3]
    s = draw_scenario(sized, draw, 500, 0.3)
    rc = s.requests
    assert rc.count == 500 and rc.tin_share == 0.3
    assert rc.never_filed_share == pytest.approx(draw["never_filed_share"])
    assert rc.left_area_share == pytest.approx(draw["left_area_share"])
    assert rc.borrowed_from_household_share == pytest.approx(draw["borrowed_from_household_share"])
    assert rc.most_recent_previous_share == pytest.approx(draw["previous_address_share"])
    kinds = rc.address_kinds
    assert kinds["junk"] == pytest.approx(draw["junk_address_share"])
    assert kinds["current"] == pytest.approx(draw["current_address_share"])
    assert sum(kinds.values()) == pytest.approx(1.0)
    base = sized.noise.requests
    assert s.noise.requests["typo"] == pytest.approx(min(1, base["typo"] * draw["name_noise"]))
    assert s.noise.requests["zip_digit_error"] == pytest.approx(
        min(1, base["zip_digit_error"] * draw["address_noise"])
    )
    assert s.noise.requests["tin_digit_error"] == base["tin_digit_error"]


@pytest.fixture(scope="module")
def calibrator():
    return Calibrator(SMALL)


@pytest.fixture(scope="module")
def measured(calibrator):
    table = design({}, 16, seed=3)
    return pd.DataFrame([calibrator.measure(row) for _, row in table.iterrows()])


def test_the_solved_disclosures_are_those_of_the_2025_strategy(calibrator):
    """One link per path and the nested TIN order give exactly what irs_2025 gives on the
    world drawn at the solved TIN share."""
    draw = design({}, 16, seed=3).iloc[0]
    world = add_requests(
        calibrator.population,
        draw_scenario(calibrator.sized, draw, calibrator.count, 0.3),
        nested_tins=True,
    )
    pairs, tin_share = calibrator._solve(world)
    # _solve leaves the world as drawn at the solved share: later ranks carry no TIN
    carriers = world.tables["requests"]["tin"].notna().sum()
    assert carriers == round(tin_share * len(world.tables["requests"]))
    direct = link_irs_2025(world, Backend())
    key = ["request_id", "record_id"]
    assert pairs[key].sort_values(key).to_numpy().tolist() == (
        direct[key].sort_values(key).to_numpy().tolist()
    )
    tin_path = world.tables["requests"].set_index("request_id")["tin"].notna()
    assert (pairs["path"] == "tin").tolist() == tin_path.reindex(pairs["request_id"]).tolist()


def test_the_solved_tin_share_is_the_closest_to_the_match_rate(measured):
    ok = measured[measured["status"] == "ok"]
    assert len(ok) >= 12
    p = TARGETS[0].value
    # one more or fewer TIN carrier moves the match rate by at most 1/n; the solve is exact
    # unless the nested order runs out of carriers (then the rate is below the target)
    reached = ok[ok["match_rate_ok"]]
    assert len(reached) >= 0.75 * len(ok)
    assert (np.abs(reached["match_rate"] - p) <= reached["match_rate_tolerance"]).all()
    assert ((ok["tin_share"] >= 0) & (ok["tin_share"] <= SMALL.calibration.tin_share_max)).all()


def test_kept_means_every_aggregate_within_its_tolerance(measured):
    ok = measured[measured["status"] == "ok"]
    flags = ok[[f"{t.name}_ok" for t in TARGETS]].all(axis=1)
    assert (ok["kept"] == flags).all()
    for t in TARGETS:
        assert (
            ok[f"{t.name}_ok"] == ((ok[t.name] - t.value).abs() <= ok[f"{t.name}_tolerance"])
        ).all()


def test_every_wrong_person_disclosure_of_a_draw_has_one_route(measured):
    ok = measured[measured["status"] == "ok"]
    routes = ok[[f"route_{r.name}" for r in ROUTES]].sum(axis=1)
    assert (routes == ok["wrong_person"]).all()
    assert ok["wrong_person"].sum() > 0


def test_file_estimates_scale_the_world_counts_with_intervals(measured):
    ok = measured[measured["status"] == "ok"]
    factor = FILE_REQUESTS / ok["requests"]
    for c in draws_module.HARM_COLUMNS:
        assert np.allclose(ok[f"{c}_file"], ok[c] * factor)
        assert (ok[f"{c}_file_low"] <= ok[f"{c}_file"] + 1e-9).all()
        assert (ok[f"{c}_file"] <= ok[f"{c}_file_high"] + 1e-9).all()


def test_the_calibration_folder_and_the_run_routes(tmp_path):
    """write_calibration on a world on disk: every table, and the run's routes sum to its
    wrong-person disclosures."""
    scenario = SMALL.with_overrides(calibration={"draws": 8})
    population = build_population(scenario)
    data = write_dataset(add_requests(population, scenario), tmp_path / "data")
    run_link(data, "irs_2025", tmp_path / "link")
    write_calibration(scenario, data, tmp_path / "link", tmp_path / "calibration")
    folder = tmp_path / "calibration"
    for name in (
        "published",
        "routes",
        "priors",
        "draws",
        "range",
        "allowed",
        "floor",
        "rank_correlations",
        "value_of_information",
    ):
        assert (folder / f"{name}.csv").is_file(), name
    table = pd.read_csv(folder / "draws.csv")
    assert len(table) == 8 and (table["wave"] == 1).all()
    routes = pd.read_csv(folder / "routes.csv")
    assert list(routes["route"]) == [r.name for r in ROUTES]
    pairs = pd.read_parquet(tmp_path / "link" / "pairs.parquet")
    truth = pd.read_parquet(data / "request_truth.parquet").set_index("request_id")["person_id"]
    owner = pd.read_parquet(data / "irs_truth.parquet").set_index("record_id")["person_id"]
    wrong = (
        truth.reindex(pairs["request_id"]).to_numpy()
        != owner.reindex(pairs["record_id"]).to_numpy()
    ).sum()
    assert routes["disclosures"].sum() == wrong


def test_the_second_wave_draws_where_the_first_does_not_rule_the_record_out():
    scenario = SMALL.with_overrides(calibration={"draws": 64, "second_wave": 32})
    table = run_draws(scenario)
    first, second = table[table["wave"] == 1], table[table["wave"] == 2]
    assert len(first) == 64 and 0 < len(second) <= 32
    assert list(table["draw"]) == list(range(len(table)))
    assert (second["implausibility"] <= 3).all()
    # the second wave is aimed: more of its draws reproduce the record than the first's
    assert second["kept"].mean() >= first["kept"].mean()


def _synthetic_draws(n: int = 200, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    d = pd.DataFrame({p.name: rng.uniform(p.low, p.high, n) for p in PRIORS})
    d["status"], d["kept"], d["requests"] = "ok", rng.random(n) < 0.6, 10_000
    d["disclosures"] = 370
    borrowed = np.round(60 * d["borrowed_tin_share"] * d["borrowed_from_household_share"])
    other = rng.poisson(3, n)
    for r in ROUTES:
        d[f"route_{r.name}"] = 0
    d["route_household_member_number"] = borrowed.astype(int)
    d["route_namesake_same_building"] = other
    d["wrong_person"] = borrowed + other
    d["tin_share"] = rng.uniform(0.03, 0.1, n)
    factor = FILE_REQUESTS / 10_000
    for c in draws_module.HARM_COLUMNS:
        d[f"{c}_file"] = d["wrong_person"] * factor
        d[f"{c}_file_low"], d[f"{c}_file_high"] = d[f"{c}_file"] * 0.5, d[f"{c}_file"] * 2
    return analysis.with_derived(d)


def test_what_the_kept_draws_allow_uses_only_kept_draws():
    d = _synthetic_draws()
    ok = d[d["kept"]]
    rng = analysis.allowed_range(d).set_index("measure")
    assert rng.loc["wrong_person", "draws"] == len(ok)
    assert rng.loc["wrong_person", "high"] == ok["wrong_person_file"].max()
    assert rng.loc["wrong_person", "interval_high"] == ok["wrong_person_file_high"].max()
    by = analysis.by_borrowing(d)
    assert by["draws"].sum() == len(ok)
    floor = analysis.collision_floor(d)
    collisions = ok["route_namesake_same_building"] * FILE_REQUESTS / 10_000
    assert floor["floor_median"] == pytest.approx(collisions.median())
    none = analysis.allowed_range(d.assign(kept=False))
    assert (none["draws"] == 0).all()


def test_the_ranking_and_the_value_of_information_find_what_drives_the_estimate():
    d = _synthetic_draws()
    prcc = analysis.rank_correlations(d)
    assert set(prcc["setting"].head(2)) == {"borrowed_tin_share", "borrowed_from_household_share"}
    assert (prcc["prcc"].head(2) > 0.5).all() and prcc["over"].iloc[0] == "kept draws"
    voi = analysis.value_of_information(d)
    assert voi["figure"].iloc[0] == "borrowed_disclosure_share"
    best = voi.iloc[0]
    assert best["variance_explained"] > 0.5 and best["span_known"] < best["span_now"]
    # a figure unrelated to the count explains little
    never = voi.set_index("figure").loc["never_filed_share"]
    assert never["variance_explained"] < 0.15


def test_the_report_states_the_ranking_and_the_value_of_information(tmp_path):
    from benchmark.reporting.file_2025 import _driver_blocks

    d = _synthetic_draws()
    analysis.rank_correlations(d).to_csv(tmp_path / "rank_correlations.csv", index=False)
    analysis.value_of_information(d).to_csv(tmp_path / "value_of_information.csv", index=False)
    ranking, voi = _driver_blocks(tmp_path)
    assert "TIN-carrying requests whose number belongs to somebody else" in ranking.text
    assert voi.text.startswith(
        "Which unpublished figure would narrow the range most: how many disclosures went to a "
        "number belonging to somebody else."
    )
