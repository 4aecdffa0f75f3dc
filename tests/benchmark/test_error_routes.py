"""Error routes: one route per wrong-person disclosure, on a real world and on hand-built tables."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from benchmark.evaluation.error_routes import (
    COUNT_COLUMNS,
    ROUTE_COLUMNS,
    ROUTE_NAMES,
    ROUTES,
    route_counts,
    wrong_person_routes,
)
from benchmark.strategies import Backend, get_strategy
from benchmark.strategies.link_data import RECORD_COLUMNS, REQUEST_COLUMNS, LinkData
from data_gen.config import load_scenario
from data_gen.world import add_requests, build_population

ROOT = Path(__file__).resolve().parents[2]
BORROWED = ("household_member_number", "stranger_number")


@pytest.fixture(scope="module")
def world_and_wrong():
    """A smoke world with more TINs and borrowing, and irs_2025's wrong-person disclosures.

    At the smoke scenario's 6000 people irs_2025 confirms at most a couple of wrong people,
    so the world is larger (20000 people).
    """
    scenario = load_scenario(ROOT / "configs" / "smoke.toml").with_overrides(
        world={"persons": 20000}, requests={"borrowed_tin_share": 0.5, "tin_share": 0.6}
    )
    world = add_requests(build_population(scenario), scenario)
    data = LinkData(
        requests=world.tables["requests"][list(REQUEST_COLUMNS)].copy(),
        records=world.tables["irs_filers"][list(RECORD_COLUMNS)].copy(),
        name=scenario.name,
    )
    strategy = get_strategy("irs_2025")
    pairs = strategy().link(data, Backend())
    if strategy.natural_threshold is not None:
        pairs = pairs[pairs["score"].to_numpy() >= strategy.natural_threshold]
    requested = world.tables["request_truth"].set_index("request_id")["person_id"]
    disclosed = world.tables["irs_truth"].set_index("record_id")["person_id"]
    is_wrong = (
        pairs["request_id"].map(requested).to_numpy()
        != pairs["record_id"].map(disclosed).to_numpy()
    )
    return world, pairs[is_wrong].reset_index(drop=True)


def test_every_wrong_disclosure_of_irs_2025_gets_one_route(world_and_wrong):
    world, wrong = world_and_wrong
    assert len(wrong) > 0
    routes = wrong_person_routes(wrong, world.tables, world.noise_log)
    assert list(routes.columns) == list(ROUTE_COLUMNS)
    assert len(routes) == len(wrong)
    assert routes[["request_id", "record_id"]].equals(wrong[["request_id", "record_id"]])
    assert routes["route"].isin(ROUTE_NAMES).all()
    counts = route_counts(routes)
    assert list(counts["route"]) == list(ROUTE_NAMES)
    assert counts["disclosures"].sum() == len(wrong)
    assert counts["share"].sum() == pytest.approx(1.0)
    assert counts.set_index("route").loc[list(BORROWED), "disclosures"].sum() > 0
    # irs_2025's TIN path confirms only equal TINs, so every TIN-carrying request takes 1-3
    number_routes = (*BORROWED, "mistyped_number")
    assert routes.loc[routes["carried_tin"], "route"].isin(number_routes).all()
    assert not routes.loc[~routes["carried_tin"], "route"].isin(number_routes).any()
    # a borrowed route's record is the lender's
    truth = world.tables["request_truth"].set_index("request_id")
    lent = routes[routes["route"].isin(BORROWED)]
    assert (truth.loc[lent["request_id"], "tin_source"] == "borrowed").all()
    owners = truth.loc[lent["request_id"], "tin_owner_person_id"].to_numpy()
    record_person = world.tables["irs_truth"].set_index("record_id")["person_id"]
    assert (record_person.loc[lent["record_id"]].to_numpy() == owners).all()


def test_100000_random_pairs_all_get_a_route(world_and_wrong):
    world, _ = world_and_wrong
    rng = np.random.default_rng(0)
    many = pd.DataFrame(
        {
            "request_id": rng.choice(world.tables["requests"]["request_id"], 100_000),
            "record_id": rng.choice(world.tables["irs_filers"]["record_id"], 100_000),
        }
    )
    routes = wrong_person_routes(many, world.tables, world.noise_log)
    assert len(routes) == 100_000
    assert routes["route"].nunique() >= 5


# hand-built world: household 0 (persons 0, 1 and 4, who left the area), 1 (person 2), 2 (3)
PERSONS = pd.DataFrame(
    {
        "person_id": [0, 1, 2, 3, 4],
        "household_id": [0, 0, 1, 2, 0],
        "role": ["head", "spouse", "head", "head", "absent"],
    }
)
TIN = {0: "900000000", 1: "100000001", 2: "200000002", 3: "300000003"}
# 0: family home; 1 and 2: units of one building; 3: same ZIP as 0; 4: elsewhere; 5: old home
ADDRESSES = pd.DataFrame(
    {
        "address_id": [0, 1, 2, 3, 4, 5],
        "building_id": [0, 1, 1, 3, 4, 5],
        "zip": ["11111", "11111", "11111", "11111", "22222", "33333"],
    }
)
NO_TIN = (None, "none", -1)
# case: (person, (request tin, tin_source, owner), address kind, true address),
#       (record's person, record's tin, record's address), expected route
CASES = {
    "household number at the family address": (
        (0, (TIN[1], "borrowed", 1), "current", 0),
        (1, TIN[1], 0),
        "household_member_number",
    ),
    "stranger's number": (
        (0, (TIN[2], "borrowed", 2), "current", 0),
        (2, TIN[2], 4),
        "stranger_number",
    ),
    "stranger's number, written with dashes": (
        (0, ("200-00-0002", "borrowed", 2), "current", 0),
        (2, TIN[2], 4),
        "stranger_number",
    ),
    "own number equal to a stranger's": (
        (0, (TIN[3], "own", 0), "current", 0),
        (3, TIN[3], 4),
        "mistyped_number",
    ),
    "borrowed number on someone not the lender": (
        (0, (TIN[1], "borrowed", 1), "current", 0),
        (3, TIN[1], 0),
        "mistyped_number",
    ),
    "own number not on the record": (
        (0, (TIN[0], "own", 0), "current", 0),
        (3, TIN[3], 3),
        "namesake_same_zip",
    ),
    "relative at the family address": (
        (0, NO_TIN, "current", 0),
        (1, TIN[1], 0),
        "relative_at_family_address",
    ),
    "relative of someone who left": (
        (4, NO_TIN, "outdated", 0),
        (1, TIN[1], 0),
        "relative_at_family_address",
    ),
    "relative, junk address": (
        (0, NO_TIN, "junk", -1),
        (1, TIN[1], 4),
        "relative_at_family_address",
    ),
    "outdated address": (
        (0, NO_TIN, "outdated", 5),
        (3, TIN[3], 5),
        "outdated_address_now_someone_elses",
    ),
    "outdated address, other unit": (
        (0, NO_TIN, "outdated", 1),
        (3, TIN[3], 2),
        "namesake_same_building",
    ),
    "junk address": ((0, NO_TIN, "junk", -1), (3, TIN[3], 0), "junk_or_detention_address"),
    "detention address": (
        (0, NO_TIN, "detention", -1),
        (3, TIN[3], 4),
        "junk_or_detention_address",
    ),
    "namesake at the address": ((0, NO_TIN, "current", 1), (3, TIN[3], 1), "namesake_same_address"),
    "namesake in the building": (
        (0, NO_TIN, "current", 1),
        (3, TIN[3], 2),
        "namesake_same_building",
    ),
    "namesake in the ZIP": ((0, NO_TIN, "current", 0), (3, TIN[3], 3), "namesake_same_zip"),
    "namesake elsewhere": ((0, NO_TIN, "current", 0), (3, TIN[3], 4), "namesake_elsewhere"),
    "no TIN on either side": ((0, NO_TIN, "current", 0), (3, None, 4), "namesake_elsewhere"),
}


def built_world() -> tuple[dict[str, pd.DataFrame], pd.DataFrame, list[str]]:
    """Tables with one request and one record per case (ids 100 + case number)."""
    ids = 100 + np.arange(len(CASES))
    requests, records = zip(*((r, d) for r, d, _ in CASES.values()), strict=True)
    household = PERSONS.set_index("person_id")["household_id"]
    tables = {
        "persons": PERSONS,
        "addresses": ADDRESSES,
        "requests": pd.DataFrame({"request_id": ids, "tin": [r[1][0] for r in requests]}),
        "request_truth": pd.DataFrame(
            {
                "request_id": ids,
                "person_id": [r[0] for r in requests],
                "tin_source": [r[1][1] for r in requests],
                "tin_owner_person_id": [r[1][2] for r in requests],
                "address_kind": [r[2] for r in requests],
                "true_address_id": [r[3] for r in requests],
            }
        ),
        "irs_filers": pd.DataFrame({"record_id": ids, "tin": [d[1] for d in records]}),
        "irs_truth": pd.DataFrame(
            {
                "record_id": ids,
                "person_id": [d[0] for d in records],
                "household_id": [household[d[0]] for d in records],
                "address_id": [d[2] for d in records],
            }
        ),
    }
    wrong = pd.DataFrame({"request_id": ids, "record_id": ids})
    return tables, wrong, [expected for _, _, expected in CASES.values()]


NO_NOISE = pd.DataFrame(columns=["table", "record_key", "field", "noise", "old", "new"])


def test_each_route_and_its_precedence_on_built_tables():
    tables, wrong, expected = built_world()
    routes = wrong_person_routes(wrong, tables, NO_NOISE)
    got = dict(zip(CASES, routes["route"], strict=True))
    assert got == dict(zip(CASES, expected, strict=True))
    assert set(expected) == set(ROUTE_NAMES)
    carried = [r[1][0] is not None for r, _, _ in CASES.values()]
    assert routes["carried_tin"].tolist() == carried


def test_rows_keep_their_order_and_other_columns_are_ignored():
    tables, wrong, expected = built_world()
    order = np.random.default_rng(1).permutation(len(wrong))
    shuffled = wrong.iloc[order].assign(score=1.0, match_key=0)
    shuffled.index = shuffled.index * 7 + 3
    routes = wrong_person_routes(shuffled, tables, NO_NOISE)
    assert routes["request_id"].tolist() == shuffled["request_id"].tolist()
    assert routes["route"].tolist() == [expected[i] for i in order]


def noise(table: str, key: int, field: str = "tin") -> pd.DataFrame:
    return pd.DataFrame(
        {
            "table": [table],
            "record_key": [key],
            "field": [field],
            "noise": ["x"],
            "old": ["1"],
            "new": ["2"],
        }
    )


@pytest.mark.parametrize(
    ("log", "route"),
    [
        (NO_NOISE, "household_member_number"),
        (noise("requests", 100), "mistyped_number"),
        (noise("irs_filers", 100), "mistyped_number"),
        (noise("requests", 100, field="last_name"), "household_member_number"),
        (noise("irs_filers", 101), "household_member_number"),
    ],
    ids=["none", "request tin", "record tin", "request name", "other record's tin"],
)
def test_a_recording_error_on_a_tin_makes_the_number_mistyped(log, route):
    tables, wrong, _ = built_world()
    first = wrong.iloc[[0]]  # a household member's number at the family address
    assert wrong_person_routes(first, tables, log)["route"].tolist() == [route]


def test_no_disclosures():
    tables, wrong, _ = built_world()
    routes = wrong_person_routes(wrong.iloc[:0], tables, NO_NOISE)
    assert list(routes.columns) == list(ROUTE_COLUMNS) and len(routes) == 0
    counts = route_counts(routes)
    assert list(counts.columns) == list(COUNT_COLUMNS)
    assert counts["route"].tolist() == [route.name for route in ROUTES]
    assert (counts["disclosures"] == 0).all() and counts["share"].isna().all()


def test_a_missing_table_or_unknown_route_is_an_error():
    tables, wrong, _ = built_world()
    with pytest.raises(ValueError, match="irs_truth"):
        wrong_person_routes(wrong, {k: v for k, v in tables.items() if k != "irs_truth"}, NO_NOISE)
    with pytest.raises(ValueError, match="unknown route"):
        route_counts(pd.DataFrame({"route": ["by_magic"]}))
