"""Geography and housing: real ZIP codes, streets per ZIP, buildings and units.

Households are placed by the Census share of their origin group per ZCTA, in a
set of ZIP codes chosen where the selection group (by default Hispanic
residents) lives.  The housing stock is then built from demand: owners live in
single-family homes, renters in small multi-unit buildings or large complexes
with unit numbers; some units stay vacant and serve as former addresses.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

from data_gen import vocab
from data_gen.census import GROUP_TOTALS_2010, zip_table
from data_gen.config import Scenario
from data_gen.config_world import ORIGINS, HousingConfig
from data_gen.rng import substream
from data_gen.text import DIRECTIONALS

BUILDING_KINDS = ("single_family", "small_multi", "large_complex")


@dataclass(frozen=True)
class Zips:
    """The world's ZIP codes and the joint weight of (ZIP, origin group)."""

    table: pd.DataFrame  # zip, city, state, county
    weights: np.ndarray  # (n_zips, n_origins): residents of each group per ZIP


def choose_zips(scenario: Scenario) -> Zips:
    """Pick the world's ZIP codes, weighted by the selection group's share per ZCTA.

    Parameters
    ----------
    scenario : Scenario
        Uses ``world.n_zips`` and ``world.zip_selection_group``.

    Returns
    -------
    Zips
        The chosen ZIP codes (sorted) and residents per (ZIP, group).
    """
    z = zip_table()
    rng = substream(scenario.seed, "geography", "zips")
    share = z[scenario.world.zip_selection_group].to_numpy(dtype=float)
    n = min(scenario.world.n_zips, int((share > 0).sum()))
    chosen = np.sort(rng.choice(len(z), size=n, replace=False, p=share / share.sum()))
    table = z.iloc[chosen].reset_index(drop=True)
    weights = np.column_stack(
        [table[g].to_numpy(dtype=float) * GROUP_TOTALS_2010[g] for g in ORIGINS]
    )
    return Zips(table[["zip", "city", "state", "county"]], weights)


def _group_cumcount(keys: np.ndarray) -> np.ndarray:
    """0, 1, 2 ... within runs of equal consecutive ``keys``."""
    n = len(keys)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    starts = np.r_[0, np.flatnonzero(keys[1:] != keys[:-1]) + 1]
    run = np.repeat(starts, np.diff(np.r_[starts, n]))
    return np.arange(n) - run


def _buildings_to_cover(
    rng: np.random.Generator, demand: np.ndarray, lo: int, hi: int
) -> tuple[np.ndarray, np.ndarray]:
    """Draw buildings of ``lo..hi`` units per group until each group's demand is covered.

    Returns the group index and size of every building.
    """
    upper = np.where(demand > 0, np.ceil(demand / lo).astype(np.int64) + 1, 0)
    group = np.repeat(np.arange(len(demand)), upper)
    sizes = rng.integers(lo, hi + 1, size=len(group))
    before = np.cumsum(sizes) - sizes
    first = np.r_[0, np.cumsum(upper)[:-1]]
    base = np.zeros(len(demand), dtype=np.int64)
    has = upper > 0
    base[has] = before[first[has]]
    keep = before - base[group] < demand[group]
    return group[keep], sizes[keep]


def build_housing(
    scenario: Scenario, zips: Zips, hh_zip: np.ndarray, hh_kind: np.ndarray
) -> tuple[pd.DataFrame, np.ndarray]:
    """Build the housing stock and give each household a unit.

    Parameters
    ----------
    scenario : Scenario
        Uses the ``housing`` settings.
    zips : Zips
        The world's ZIP codes.
    hh_zip : array of int
        ZIP index of each household.
    hh_kind : array of int
        Building kind wanted by each household (index into ``BUILDING_KINDS``).

    Returns
    -------
    addresses : DataFrame
        One row per housing unit: address_id, house_number, street, unit, city,
        state, zip, building_id, units_in_building, building_kind.
    hh_address : array of int
        address_id of each household.
    """
    h = scenario.housing
    rng = substream(scenario.seed, "geography", "buildings")
    n_zip, n_kind = len(zips.table), len(BUILDING_KINDS)
    demand_hh = np.bincount(hh_zip * n_kind + hh_kind, minlength=n_zip * n_kind)
    demand_units = np.ceil(demand_hh / h.occupancy).astype(np.int64)
    buildings = _buildings(rng, h, demand_units)
    streets = _street_pools(scenario, zips, demand_hh.reshape(n_zip, n_kind).sum(axis=1))
    b_zip = buildings["zip_idx"].to_numpy()
    n_streets = streets["n"][b_zip]
    street_idx = streets["start"][b_zip] + (rng.random(len(buildings)) * n_streets).astype(np.int64)
    buildings["street"] = streets["names"][street_idx]
    buildings["house_number"] = _house_numbers(
        rng, buildings["kind"].to_numpy(), street_idx, len(streets["names"])
    )
    units = buildings.loc[buildings.index.repeat(buildings["units"])].reset_index(drop=True)
    addresses = _unit_addresses(units, zips.table)
    hh_address = _assign_units(rng, addresses, hh_zip, hh_kind)
    return addresses, hh_address


def _buildings(
    rng: np.random.Generator, h: HousingConfig, demand_units: np.ndarray
) -> pd.DataFrame:
    """Draw buildings of each kind until every (ZIP, kind) demand for units is covered."""
    n_kind = len(BUILDING_KINDS)
    parts = []
    sizes_by_kind = {
        0: (1, 1),
        1: (2, h.small_building_max_units),
        2: (h.large_complex_min_units, h.large_complex_max_units),
    }
    for kind, (lo, hi) in sizes_by_kind.items():
        demand = demand_units[kind::n_kind]
        group, sizes = _buildings_to_cover(rng, demand, lo, hi)
        parts.append(pd.DataFrame({"zip_idx": group, "kind": kind, "units": sizes}))
    buildings = pd.concat(parts, ignore_index=True).sort_values(
        ["zip_idx", "kind"], kind="stable", ignore_index=True
    )
    buildings["building_id"] = np.arange(len(buildings), dtype=np.int64)
    return buildings


def _house_numbers(
    rng: np.random.Generator, kind: np.ndarray, street_idx: np.ndarray, n_streets: int
) -> np.ndarray:
    """House number of each building, rising along its street with realistic gaps."""
    order = np.lexsort((rng.random(len(kind)), street_idx))
    # big complexes take more frontage
    gaps = rng.integers(1, 10, size=len(kind)) * 2 + np.where(kind == 2, 40, 0)
    sorted_street = street_idx[order]
    start_numbers = rng.integers(1, 60, size=n_streets) * 100 + rng.integers(0, 2, size=n_streets)
    cum = np.cumsum(gaps[order])
    run_start = np.r_[0, np.flatnonzero(sorted_street[1:] != sorted_street[:-1]) + 1]
    run_offset = np.repeat(
        cum[run_start] - gaps[order][run_start], np.diff(np.r_[run_start, len(order)])
    )
    numbers = np.empty(len(kind), dtype=np.int64)
    numbers[order] = start_numbers[sorted_street] + cum - run_offset
    return numbers


def _unit_labels(units: pd.DataFrame) -> np.ndarray:
    """Unit designator of each unit (None in single-family homes).

    Small buildings number their units APT 1, APT 2 ...; large complexes by
    floor and door (APT 204, or APT 2004 with more than 99 doors a floor).
    """
    within = _group_cumcount(units["building_id"].to_numpy())
    kind = units["kind"].to_numpy()
    unit_label = np.full(len(units), None, dtype=object)
    small = kind == 1
    unit_label[small] = np.char.add("APT ", (within[small] + 1).astype(str)).astype(object)
    large = kind == 2
    # large complexes have at most about eight floors
    per_floor = np.maximum(12, np.ceil(units["units"].to_numpy()[large] / 8)).astype(np.int64)
    floor, door = within[large] // per_floor + 1, within[large] % per_floor + 1
    unit_label[large] = np.char.add(
        "APT ", (floor * np.where(per_floor > 99, 1000, 100) + door).astype(str)
    ).astype(object)
    return unit_label


def _unit_addresses(units: pd.DataFrame, zt: pd.DataFrame) -> pd.DataFrame:
    """The address table: one row per housing unit, with its building and ZIP code."""
    kind = units["kind"].to_numpy()
    uz = units["zip_idx"].to_numpy()
    return pd.DataFrame(
        {
            "address_id": np.arange(len(units), dtype=np.int64),
            "house_number": units["house_number"].astype(str).to_numpy(dtype=object),
            "street": units["street"].to_numpy(dtype=object),
            "unit": _unit_labels(units),
            "city": zt["city"].to_numpy(dtype=object)[uz],
            "state": zt["state"].to_numpy(dtype=object)[uz],
            "zip": zt["zip"].to_numpy(dtype=object)[uz],
            "building_id": units["building_id"].to_numpy(),
            "units_in_building": units["units"].to_numpy(),
            "building_kind": np.array(BUILDING_KINDS, dtype=object)[kind],
            "zip_idx": uz,
            "kind_idx": kind,
        }
    )


def _assign_units(
    rng: np.random.Generator, addresses: pd.DataFrame, hh_zip: np.ndarray, hh_kind: np.ndarray
) -> np.ndarray:
    """Match households to distinct random units of their ZIP and building kind."""
    n_kind = len(BUILDING_KINDS)
    u_key = addresses["zip_idx"].to_numpy() * n_kind + addresses["kind_idx"].to_numpy()
    u_order = np.lexsort((rng.random(len(u_key)), u_key))
    h_key = hh_zip * n_kind + hh_kind
    h_order = np.lexsort((rng.random(len(h_key)), h_key))
    h_rank = _group_cumcount(h_key[h_order])
    # position of (key, rank) among sorted units: start of key's run + rank
    u_sorted_keys = u_key[u_order]
    start = np.searchsorted(u_sorted_keys, h_key[h_order], side="left")
    out = np.empty(len(h_key), dtype=np.int64)
    out[h_order] = addresses["address_id"].to_numpy()[u_order[start + h_rank]]
    return out


@lru_cache(maxsize=1)
def street_base_names() -> tuple[str, ...]:
    """Street base names: common US street words plus the 300 commonest surnames in Faker's en_US table."""
    from faker.providers.person.en_US import Provider

    surnames = sorted(Provider.last_names.items(), key=lambda kv: (-kv[1], kv[0]))[:300]
    extra = [name.upper() for name, _ in surnames if name.upper() not in vocab.STREET_BASE_NAMES]
    return tuple(vocab.STREET_BASE_NAMES) + tuple(extra)


def _street_pools(scenario: Scenario, zips: Zips, households_per_zip: np.ndarray) -> dict:
    """Draw a finite pool of distinct street names for every ZIP."""
    rng = substream(scenario.seed, "geography", "streets")
    n = np.maximum(3, np.ceil(households_per_zip / scenario.housing.households_per_street)).astype(
        np.int64
    )
    types = list(vocab.STREET_TYPE_WEIGHTS)
    tw = np.array([vocab.STREET_TYPE_WEIGHTS[t] for t in types])
    dirs = ["", *DIRECTIONALS]
    draws = n * 3 + 10
    zip_of = np.repeat(np.arange(len(n)), draws)
    bases = street_base_names()
    base = rng.integers(len(bases), size=len(zip_of))
    typ = rng.choice(len(types), size=len(zip_of), p=tw / tw.sum())
    dr = np.where(rng.random(len(zip_of)) < 0.15, rng.integers(1, len(dirs), size=len(zip_of)), 0)
    code = (dr * len(bases) + base) * len(types) + typ
    frame = pd.DataFrame({"zip": zip_of, "code": code, "dr": dr, "base": base, "typ": typ})
    frame = frame.drop_duplicates(["zip", "code"])
    frame = frame[_group_cumcount(frame["zip"].to_numpy()) < n[frame["zip"].to_numpy()]]
    counts = np.bincount(frame["zip"].to_numpy(), minlength=len(n))
    names = [
        (f"{dirs[d]} " if d else "") + f"{bases[b]} {types[t]}"
        for d, b, t in zip(frame["dr"], frame["base"], frame["typ"], strict=True)
    ]
    return {
        "names": np.array(names, dtype=object),
        "n": counts,
        "start": np.r_[0, np.cumsum(counts)[:-1]],
    }
