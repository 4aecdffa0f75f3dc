"""The whole world: determinism, structure, request-list composition and realism."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from data_gen import Scenario, generate_world, load_scenario, read_table, write_dataset
from data_gen.dataset import TABLES, content_hash
from data_gen.realism import realism_summary

ROOT = Path(__file__).resolve().parents[2]
SMOKE = load_scenario(ROOT / "configs" / "smoke.toml")
SEEDS = (11, 2024)


def hashes(world) -> dict[str, str]:
    out = {name: content_hash(df) for name, df in world.tables.items()}
    out["noise_log"] = content_hash(world.noise_log)
    return out


@pytest.fixture(scope="module")
def smoke_world():
    return generate_world(SMOKE)


@pytest.mark.parametrize("seed", SEEDS)
def test_same_seed_gives_identical_tables(seed):
    a = hashes(generate_world(SMOKE, seed=seed))
    b = hashes(generate_world(SMOKE, seed=seed))
    assert a == b


def test_other_seed_changes_every_table():
    a = hashes(generate_world(SMOKE, seed=SEEDS[0]))
    b = hashes(generate_world(SMOKE, seed=SEEDS[1]))
    assert set(a) == set(TABLES) | {"noise_log"}
    assert all(a[name] != b[name] for name in a), [n for n in a if a[n] == b[n]]


def test_request_settings_leave_population_and_irs_unchanged():
    """Named random streams: changing the request list does not move other draws."""
    a = generate_world(SMOKE)
    b = generate_world(SMOKE.with_overrides(requests={"tin_share": 0.5, "borrowed_tin_share": 0.3}))
    for name in ("persons", "households", "addresses", "irs_filers", "irs_dependents"):
        assert content_hash(a.tables[name]) == content_hash(b.tables[name]), name
    assert content_hash(a.tables["requests"]) != content_hash(b.tables["requests"])


def test_written_folder_matches_manifest(tmp_path, smoke_world):
    out = write_dataset(smoke_world, tmp_path / "world")
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["seed"] == SMOKE.seed
    assert manifest["config"]["world"]["persons"] == SMOKE.world.persons
    for name in TABLES:
        df = read_table(out, name)
        assert len(df) == manifest["tables"][name]["rows"]
        assert len(df) > 0, name
    # reading back gives the same content as was generated (dates become calendar dates)
    back = read_table(out, "truth")
    pd.testing.assert_frame_equal(
        back, smoke_world.tables["truth"].reset_index(drop=True), check_dtype=False
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["world"]


def test_structure_and_keys(smoke_world):
    t = smoke_world.tables
    persons, hh, addr, irs = t["persons"], t["households"], t["addresses"], t["irs_filers"]
    assert (
        persons["person_id"].is_unique
        and irs["record_id"].is_unique
        and t["requests"]["request_id"].is_unique
    )
    assert set(persons["household_id"]) == set(hh["household_id"])
    assert hh["address_id"].isin(addr["address_id"]).all()
    # one household per unit
    assert hh["address_id"].is_unique
    assert (hh.set_index("household_id")["size"] == persons.groupby("household_id").size()).all()
    # IRS: filers are adults with a TIN; a return has one primary and at most one spouse
    filers = persons.set_index("person_id").loc[irs["person_id"]]
    assert (filers["age"] >= 18).all()
    assert irs["tin"].notna().all() and irs["tin"].is_unique
    roles = irs.groupby("return_id")["role"].agg(list)
    assert roles.map(lambda r: sorted(r) in (["primary"], ["primary", "spouse"])).all()
    assert (irs.groupby("return_id")["household_id"].nunique() == 1).all()
    assert set(irs.loc[irs["tin_type"] == "ITIN", "tin"].str[0]) == {"9"}
    # dependents are children on an existing return, each with a TIN
    deps = t["irs_dependents"]
    assert deps["return_id"].isin(irs["return_id"]).all() and deps["tin"].notna().all()
    assert (persons.set_index("person_id").loc[deps["person_id"], "age"] < 18).all()


def test_truth_links_each_request_to_its_person(smoke_world):
    t = smoke_world.tables
    truth = t["truth"].merge(t["requests"][["request_id", "person_id"]], on="request_id")
    truth = truth.merge(
        t["irs_filers"][["record_id", "person_id"]], on="record_id", suffixes=("_req", "_irs")
    )
    assert (truth["person_id_req"] == truth["person_id_irs"]).all()
    rt = t["request_truth"].set_index("request_id")
    has_truth = rt.index.isin(t["truth"]["request_id"])
    # never-filed people have no true record; people who filed have exactly one
    assert not has_truth[~rt["person_filed"].to_numpy()].any()
    assert has_truth[rt["person_filed"].to_numpy()].all()
    assert t["truth"]["request_id"].is_unique


def test_requests_carry_the_designed_tins_and_addresses(smoke_world):
    t = smoke_world.tables
    req = t["requests"].set_index("request_id")
    rt = t["request_truth"].set_index("request_id")
    persons = t["persons"].set_index("person_id")
    own = rt["tin_source"] == "own"
    borrowed = rt["tin_source"] == "borrowed"
    assert req.loc[rt["tin_source"] == "none", "tin"].isna().all()
    owner = persons.loc[rt.loc[borrowed, "tin_owner_person_id"]]
    assert (
        rt.loc[borrowed, "tin_owner_person_id"].to_numpy()
        != rt.loc[borrowed, "person_id"].to_numpy()
    ).all()
    owner_tins = np.where(owner["ssn"].notna(), owner["ssn"], owner["itin"])
    noised = t["noise_log"] if "noise_log" in t else smoke_world.noise_log
    tin_noised = set(
        noised.loc[(noised["table"] == "requests") & (noised["field"] == "tin"), "record_key"]
    )
    clean = ~rt.loc[borrowed].index.isin(tin_noised)
    assert (req.loc[borrowed, "tin"].to_numpy()[clean] == owner_tins[clean]).all()
    me = persons.loc[rt.loc[own, "person_id"]]
    assert (
        (req.loc[own, "tin"].to_numpy() == me["itin"].to_numpy())
        | (req.loc[own, "tin"].to_numpy() == me["ssn"].to_numpy())
        | rt.loc[own].index.isin(tin_noised)
    ).all()
    junk = rt["address_kind"] == "junk"
    lines = req.loc[junk, "address"]
    expected = {
        "failed_to_provide_zip": "FAILED TO PROVIDE",
        "unknown_address_zip": "UNKNOWN ADDRESS",
        "unknown_address": "UNKNOWN ADDRESS",
        "na_na": "NA NA",
    }
    for rid, line in lines.items():
        assert line.startswith(expected[rt.at[rid, "junk_form"]]), line
    assert req.loc[junk, "house_number"].isna().all() and req.loc[junk, "street"].isna().all()
    # outdated addresses are real former addresses of the household, not the current one
    outdated = rt["address_kind"] == "outdated"
    hist = t["address_history"]
    current = hist[hist["sequence"] == 0].set_index("household_id")["address_id"]
    hh = persons.loc[rt.loc[outdated, "person_id"], "household_id"].to_numpy()
    assert (rt.loc[outdated, "true_address_id"].to_numpy() != current.loc[hh].to_numpy()).all()
    former = set(zip(hist["household_id"], hist["address_id"], strict=True))
    assert all(
        (h, a) in former for h, a in zip(hh, rt.loc[outdated, "true_address_id"], strict=True)
    )


@pytest.mark.parametrize(
    "overrides",
    [
        {},
        {"tin_share": 0.55, "borrowed_tin_share": 0.4, "never_filed_share": 0.3},
        {
            "tin_share": 0.1,
            "borrowed_tin_share": 0.0,
            "never_filed_share": 0.7,
            "address_kinds": {"current": 0.4, "outdated": 0.4, "junk": 0.15, "detention": 0.05},
        },
    ],
    ids=["defaults", "many-tins", "mostly-never-filed"],
)
def test_request_list_shares_equal_configured(overrides):
    scenario = SMOKE.with_overrides(requests=overrides)
    world = generate_world(scenario)
    got = realism_summary(world.tables)["request_list"]
    rc = scenario.requests
    n = got["requests"]
    assert n > 100
    # composition is allocated exactly: shares equal the configured ones up to rounding
    assert abs(got["tin_share"] - rc.tin_share) <= 1 / n
    assert abs(got["never_filed_share"] - rc.never_filed_share) <= 1 / n
    assert abs(got["borrowed_tin_share"] - rc.borrowed_tin_share) <= 1 / max(
        1, round(n * rc.tin_share)
    )
    for kind, share in rc.address_kinds.items():
        assert abs(got[f"address_{kind}_share"] - share) <= 1 / n, kind


def test_default_world_is_realistic():
    """Issue acceptance 4, measured on the default world (about 800,000 people)."""
    world = generate_world(load_scenario(ROOT / "configs" / "default.toml"))
    r = realism_summary(world.tables)
    assert 0.08 <= r["hispanic_surnames"]["top5_share"] <= 0.12
    assert 0.22 <= r["hispanic_surnames"]["top26_share"] <= 0.30
    assert 0.75 <= r["children_of_undocumented"]["us_citizen_share"] <= 0.90
    assert r["shared_addresses"]["itin_shared_share"] >= 0.20
    assert 790_000 <= len(world.tables["persons"]) <= 800_000


def test_world_size_follows_config():
    small = generate_world(Scenario().with_overrides(world={"persons": 1500, "n_zips": 3}))
    assert 1400 <= len(small.tables["persons"]) <= 1500
    assert small.tables["addresses"]["zip"].nunique() <= 3


def test_irs_truth_points_at_the_filed_address(smoke_world):
    t = smoke_world.tables
    irs = t["irs_filers"].set_index("record_id")
    truth = t["irs_truth"].set_index("record_id").loc[irs.index]
    assert (truth["person_id"] == irs["person_id"]).all()
    log = smoke_world.noise_log
    noised = set(
        log.loc[
            (log["table"] == "irs_filers")
            & log["field"].isin(["house_number", "street", "unit", "zip", "city", "state"]),
            "record_key",
        ]
    )
    clean = ~irs.index.isin(noised)
    assert clean.sum() > 100
    addr = t["addresses"].set_index("address_id").loc[truth.loc[clean, "address_id"]]
    for col in ("house_number", "street", "unit", "city", "state", "zip"):
        a = irs.loc[clean, col].to_numpy(dtype=object, na_value=None)
        b = addr[col].to_numpy(dtype=object, na_value=None)
        assert (a == b).all(), col
    # most filers are at their household's current address; movers since filing are not
    current = t["households"].set_index("household_id")["address_id"]
    at_current = (
        truth["address_id"].to_numpy() == current.loc[truth["household_id"]].to_numpy()
    ).mean()
    assert 0.9 < at_current < 1.0


def test_tin_settings_leave_request_addresses_unchanged():
    """Each request component draws from its own stream."""
    a = generate_world(SMOKE).tables["request_truth"]
    b = generate_world(
        SMOKE.with_overrides(requests={"tin_share": 0.2, "borrowed_tin_share": 0.4})
    ).tables["request_truth"]
    assert (a["person_id"] == b["person_id"]).all()
    for col in ("address_kind", "true_address_id"):
        assert (a[col] == b[col]).all(), col
    assert not (a["tin_source"] == b["tin_source"]).all()


def test_world_fills_to_the_requested_size_with_small_households():
    singles = {
        "single": 1.0,
        "couple": 0.0,
        "couple_children": 0.0,
        "single_parent": 0.0,
        "extended": 0.0,
        "roommates": 0.0,
    }
    scenario = SMOKE.with_overrides(
        world={"persons": 3000},
        households={"type_shares": {"hispanic": singles, "api": singles, "other": singles}},
        status={"final_order_rate": {"undocumented": 0.9}},
    )
    assert len(generate_world(scenario).tables["persons"]) == 3000


def test_address_histories_are_consistent(smoke_world):
    t = smoke_world.tables
    hist = t["address_history"].sort_values(["household_id", "sequence"])
    # consecutive stints are at different units and move dates go back in time
    same = hist.groupby("household_id")["address_id"].diff() == 0
    assert not same.any()
    prev_in = hist.groupby("household_id")["moved_in"].shift(1)
    assert (hist.loc[prev_in.notna(), "moved_in"] < prev_in[prev_in.notna()]).all()
    assert (hist.loc[hist["sequence"] > 0, "moved_out"] == prev_in[hist["sequence"] > 0]).all()
    # a former address was not another household's home at the time
    current = hist[hist["sequence"] == 0].set_index("address_id")["moved_in"]
    former = hist[hist["sequence"] > 0]
    occupant_since = current.reindex(former["address_id"]).to_numpy()
    occupied = ~pd.isna(occupant_since)
    assert (occupant_since[occupied] >= former["moved_out"].to_numpy()[occupied]).all()
    # histories start once the head is an adult
    heads = t["persons"][t["persons"]["role"] == "head"].set_index("household_id")
    first = hist.groupby("household_id")["moved_in"].min()
    adult_on = heads["dob"] + pd.to_timedelta(18 * 365, unit="D")
    assert (
        first.to_numpy() >= adult_on.loc[first.index].to_numpy() - np.timedelta64(30, "D")
    ).mean() > 0.99


def test_irs_address_is_the_one_on_the_filing_date(smoke_world):
    t = smoke_world.tables
    when = np.datetime64(SMOKE.world.filing_date)
    hist = t["address_history"]
    began = hist[hist["moved_in"] <= when].sort_values(["household_id", "sequence"])
    on_date = began.groupby("household_id")["address_id"].first()
    truth = t["irs_truth"]
    has = truth["household_id"].isin(on_date.index)
    # young heads whose whole adult history began after the filing date are the exception
    assert has.mean() > 0.97
    expected = on_date.loc[truth.loc[has, "household_id"]].to_numpy()
    assert (truth.loc[has, "address_id"].to_numpy() == expected).all()
    oldest = hist.sort_values("sequence").groupby("household_id")["address_id"].last()
    rest = truth.loc[~has]
    assert (rest["address_id"].to_numpy() == oldest.loc[rest["household_id"]].to_numpy()).all()


def test_tin_numbers_are_distinct_at_national_scale():
    from data_gen.filing import _numbers
    from data_gen.rng import substream

    itins = _numbers(substream(1, "t"), 4_500_000, kind="itin")
    assert len(itins) == 4_500_000 and len(pd.unique(itins)) == 4_500_000
    assert all(len(v) == 9 and v[0] == "9" for v in itins[:1000])


def test_content_hash_ignores_the_text_dtype():
    a = pd.DataFrame({"x": ["A", None, "C"], "n": [1, 2, 3]})
    b = a.astype({"x": "object"})
    c = a.astype({"x": "string"})
    assert content_hash(a) == content_hash(b) == content_hash(c)
    assert content_hash(a) != content_hash(a.assign(x=["A", None, "D"]))


@pytest.mark.parametrize("share", [0.0, 0.5, 1.0])
def test_own_tins_go_to_filers_in_the_configured_share(share):
    scenario = SMOKE.with_overrides(requests={"tin_share": 0.12, "own_tin_filer_share": share})
    rt = generate_world(scenario).tables["request_truth"]
    own = rt[rt["tin_source"] == "own"]
    # allocated exactly (largest remainder), not drawn
    assert own["person_filed"].sum() == round(share * len(own))
    assert len(own) > 10


def test_an_impossible_own_tin_filer_share_is_refused():
    from data_gen.errors import ConfigError

    scenario = SMOKE.with_overrides(
        requests={"never_filed_share": 0.9, "tin_share": 0.3, "own_tin_filer_share": 1.0}
    )
    with pytest.raises(ConfigError, match="own_tin_filer_share"):
        generate_world(scenario)
