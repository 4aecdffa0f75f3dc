"""Geography, housing and names of a generated world."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import zipcodes

from data_gen import generate_world, load_scenario
from data_gen.census import first_name_sampler, surname_sampler
from data_gen.rng import stable_hash, substream
from data_gen.text import fold_accents

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def world():
    return generate_world(load_scenario(ROOT / "configs" / "smoke.toml"))


def test_addresses_are_real_zip_city_state(world):
    addr = world.tables["addresses"]
    for z, city, state in addr[["zip", "city", "state"]].drop_duplicates().itertuples(index=False):
        info = zipcodes.matching(z)
        assert info, z
        assert info[0]["state"] == state and info[0]["city"].upper() == city


def test_buildings_have_the_configured_sizes_and_units(world):
    addr = world.tables["addresses"]
    h = load_scenario(ROOT / "configs" / "smoke.toml").housing
    by_kind = addr.groupby("building_kind")["units_in_building"]
    assert (by_kind.min()["single_family"], by_kind.max()["single_family"]) == (1, 1)
    assert (
        2 <= by_kind.min()["small_multi"]
        and by_kind.max()["small_multi"] <= h.small_building_max_units
    )
    assert h.large_complex_min_units <= by_kind.min()["large_complex"]
    assert by_kind.max()["large_complex"] <= h.large_complex_max_units
    # every unit of a multi-unit building has a distinct unit label; houses have none
    multi = addr[addr["units_in_building"] > 1]
    assert multi["unit"].notna().all()
    assert not multi.duplicated(["building_id", "unit"]).any()
    assert addr.loc[addr["units_in_building"] == 1, "unit"].isna().all()
    # a street address (number, street, ZIP) belongs to exactly one building
    buildings = addr.drop_duplicates("building_id")
    assert not buildings.duplicated(["house_number", "street", "zip"]).any()
    assert (
        addr.groupby("building_id").size()
        == addr.groupby("building_id")["units_in_building"].first()
    ).all()


def test_households_live_in_their_zip_streets(world):
    addr = world.tables["addresses"]
    streets_per_zip = addr.groupby("zip")["street"].nunique()
    assert (streets_per_zip >= 3).all()
    # streets are a finite pool: many buildings share each street
    assert addr.drop_duplicates("building_id").groupby(["zip", "street"]).size().median() >= 2


def test_hispanic_naming(world):
    p = world.tables["persons"]
    hisp = p[p["origin"] == "hispanic"]
    other = p[p["origin"] != "hispanic"]
    assert other["surname_maternal"].isna().all()
    # foreign-born Hispanic people carry both surnames; most US-born ones only one
    assert hisp.loc[hisp["status"] != "us_born", "surname_maternal"].notna().all()
    us_born = hisp[hisp["status"] == "us_born"]
    share = load_scenario(ROOT / "configs" / "smoke.toml").households.two_surnames_share_us_born
    n = len(us_born)
    k = int(us_born["surname_maternal"].notna().sum())
    assert abs(k - n * share) <= 4.5 * (n * share * (1 - share)) ** 0.5 + 1
    # children of a couple take father's paternal and mother's paternal surname
    heads = p[p["role"] == "head"].set_index("household_id")
    spouses = p[p["role"] == "spouse"].set_index("household_id")
    kids = hisp[(hisp["role"] == "child") & hisp["household_id"].isin(spouses.index)]
    assert len(kids) > 50
    h, s = heads.loc[kids["household_id"]], spouses.loc[kids["household_id"]]
    father_pat = np.where(h["sex"] == "M", h["surname_paternal"], s["surname_paternal"])
    mother_pat = np.where(h["sex"] == "F", h["surname_paternal"], s["surname_paternal"])
    assert (kids["surname_paternal"].to_numpy() == father_pat).all()
    has_mat = kids["surname_maternal"].notna().to_numpy()
    assert (kids["surname_maternal"].to_numpy()[has_mat] == mother_pat[has_mat]).all()
    # some Hispanic people have two given names, and some native spellings carry accents
    assert 0.2 < hisp["middle_name"].notna().mean() < 0.6
    assert (hisp["surname_paternal"].map(fold_accents) != hisp["surname_paternal"]).any()


def test_name_frequencies_follow_census_by_group():
    rng = np.random.default_rng(0)
    hisp = surname_sampler("hispanic").sample(rng, 20_000)
    white = surname_sampler("white").sample(rng, 20_000)
    assert (hisp == "GARCIA").mean() > 0.015 and (white == "GARCIA").mean() < 0.005
    assert (white == "SMITH").mean() > 0.005
    maria = first_name_sampler("hispanic", "F").sample(rng, 20_000)
    assert (maria == "MARIA").mean() > 0.02
    assert (first_name_sampler("hispanic", "M").sample(rng, 20_000) == "MARIA").mean() < 0.005


def test_streams_are_stable_and_independent():
    # hashlib-based: the same on every machine and process (pinned value)
    assert stable_hash("persons/sex") == int.from_bytes(
        __import__("hashlib").sha256(b"persons/sex").digest()[:8], "little"
    )
    a = substream(5, "persons", "sex").random(4)
    assert (a == substream(5, "persons", "sex").random(4)).all()
    assert not (a == substream(5, "persons", "age").random(4)).any()
    assert not (a == substream(6, "persons", "sex").random(4)).any()
    with pytest.raises(ValueError):
        substream(-1, "x")
