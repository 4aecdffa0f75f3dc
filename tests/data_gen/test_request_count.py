"""An exact request count, people who left the area, the scale factor and shared populations."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from data_gen import generate_world, load_scenario
from data_gen.dataset import content_hash
from data_gen.errors import ConfigError
from data_gen.realism import realism_summary
from data_gen.world import add_requests, build_population

ROOT = Path(__file__).resolve().parents[2]
SMOKE = load_scenario(ROOT / "configs" / "smoke.toml")
# more never-filed requests than the smoke world's final-order pool holds
COUNTED = SMOKE.with_overrides(requests={"count": 1200, "never_filed_share": 0.9, "tin_share": 0.1})


@pytest.fixture(scope="module")
def counted():
    return generate_world(COUNTED)


def test_the_list_has_exactly_the_requested_count(counted):
    rt = counted.tables["request_truth"]
    assert len(counted.tables["requests"]) == 1200
    assert int((~rt["person_filed"]).sum()) == 1080  # exact never-filed share
    assert counted.tables["requests"]["request_id"].is_unique


def test_absent_people_fill_the_never_filed_shortfall(counted):
    persons = counted.tables["persons"]
    absent = persons[persons["role"] == "absent"]
    residents = persons[persons["role"] != "absent"]
    pool = residents[residents["has_final_order"] & ~residents["is_filer"]]
    requested = set(counted.tables["requests"]["person_id"])
    # every resident never-filer with a final order is requested before anybody absent
    assert set(pool["person_id"]) <= requested
    assert len(absent) == 1080 - len(pool) > 0
    assert set(absent["person_id"]) <= requested
    assert persons["person_id"].is_unique
    assert not absent["is_filer"].any() and absent["has_final_order"].all()
    assert absent["ssn"].isna().all() and absent["itin"].isna().all()
    assert (absent["age"] >= 18).all()
    # nobody absent appears in the IRS file or the truth
    assert not counted.tables["irs_filers"]["person_id"].isin(absent["person_id"]).any()
    truth_people = counted.tables["requests"].merge(counted.tables["truth"], on="request_id")
    assert not truth_people["person_id"].isin(absent["person_id"]).any()


def test_absent_people_are_siblings_of_a_household_head(counted):
    persons = counted.tables["persons"]
    absent = persons[persons["role"] == "absent"]
    heads = persons[persons["role"] == "head"].set_index("household_id")
    head = heads.loc[absent["household_id"]]
    assert (absent["surname_paternal"].to_numpy() == head["surname_paternal"].to_numpy()).all()
    assert (absent["origin"].to_numpy() == head["origin"].to_numpy()).all()
    # their family has a non-citizen adult
    members = persons[
        persons["household_id"].isin(absent["household_id"]) & (persons["role"] != "absent")
    ]
    noncitizen = members[
        (members["age"] >= 18) & ~members["status"].isin(["us_born", "naturalized"])
    ]
    assert set(absent["household_id"]) <= set(noncitizen["household_id"])


def test_absent_people_do_not_change_the_households(counted):
    """They are drawn after the household summary: sizes and the IRS file are the uncounted world's."""
    plain = generate_world(SMOKE)
    for name in ("households", "addresses", "irs_filers", "irs_dependents"):
        assert content_hash(plain.tables[name]) == content_hash(counted.tables[name]), name
    realism = realism_summary(counted.tables)
    assert realism["status_shares"] == realism_summary(plain.tables)["status_shares"]
    assert 0 < realism["request_list"]["absent_share"] < 0.9
    assert realism_summary(plain.tables)["request_list"]["absent_share"] == 0


def test_absent_requests_point_at_their_familys_addresses(counted):
    rt = counted.tables["request_truth"].merge(
        counted.tables["persons"][["person_id", "household_id", "role"]], on="person_id"
    )
    rt = rt[(rt["role"] == "absent") & rt["address_kind"].isin(["current", "outdated"])]
    history = counted.tables["address_history"]
    known = set(zip(history["household_id"], history["address_id"], strict=True))
    assert len(rt) > 0
    assert all(
        (h, a) in known for h, a in zip(rt["household_id"], rt["true_address_id"], strict=True)
    )


def test_counted_worlds_are_deterministic(counted):
    again = generate_world(COUNTED)
    for name, table in counted.tables.items():
        assert content_hash(table) == content_hash(again.tables[name]), name


def test_a_count_the_filed_pool_cannot_supply_is_refused():
    with pytest.raises(ConfigError, match=r"^requests.count: .* who filed, but the world has"):
        generate_world(SMOKE.with_overrides(requests={"count": 50_000, "tin_share": 0.0}))


def test_scale_multiplies_people_zips_and_requests():
    s = COUNTED.with_overrides(scale=0.5)
    world = generate_world(s)
    assert world.scenario.scale == 1.0
    assert world.scenario.world.persons == round(SMOKE.world.persons * 0.5)
    assert world.scenario.world.n_zips == round(SMOKE.world.n_zips * 0.5)
    assert len(world.tables["requests"]) == 600
    residents = world.tables["persons"]
    assert abs(int((residents["role"] != "absent").sum()) - SMOKE.world.persons * 0.5) < 50


@pytest.mark.parametrize("bad", [0, -1.0, "big", 1000])
def test_a_bad_scale_is_refused(bad):
    with pytest.raises(ConfigError, match="scale"):
        SMOKE.with_overrides(scale=bad)


def test_one_population_carries_several_request_lists():
    population = build_population(COUNTED)
    direct = generate_world(COUNTED)
    shared = add_requests(population, COUNTED)
    for name, table in direct.tables.items():
        assert content_hash(table) == content_hash(shared.tables[name]), name
    other = add_requests(population, COUNTED.with_overrides(requests={"tin_share": 0.05}))
    assert content_hash(other.tables["irs_filers"]) == content_hash(direct.tables["irs_filers"])
    assert not np.array_equal(
        other.tables["requests"]["tin"].notna(), direct.tables["requests"]["tin"].notna()
    )
    with pytest.raises(ValueError, match="more than the request list"):
        add_requests(population, COUNTED.with_overrides(world={"persons": 5000}))


@pytest.mark.parametrize("bad", [0, -0.5, 101])
def test_at_scale_refuses_what_scale_cannot_be(bad):
    with pytest.raises(
        ConfigError, match=rf"^--scale {bad}: must be greater than 0 and at most 100$"
    ):
        SMOKE.at_scale(bad)
    assert SMOKE.at_scale(None) is SMOKE
    assert SMOKE.at_scale(0.5).scale == 0.5
