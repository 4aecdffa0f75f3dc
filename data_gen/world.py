"""Assemble the whole synthetic world from a scenario."""

from __future__ import annotations

import dataclasses
import logging
import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from data_gen.config import Scenario, resolved_noise_rates
from data_gen.errors import ConfigError
from data_gen.filing import assign_tins_and_filing
from data_gen.geography import Zips, build_housing, choose_zips
from data_gen.irs import irs_tables
from data_gen.moves import address_history, address_on
from data_gen.population import household_summary, make_households, make_persons
from data_gen.requests import request_list
from data_gen.rng import substream

log = logging.getLogger(__name__)

PERSON_COLUMNS = (
    "person_id",
    "household_id",
    "given_name",
    "middle_name",
    "surname_paternal",
    "surname_maternal",
    "sex",
    "dob",
    "origin",
    "status",
    "ssn",
    "itin",
    "is_filer",
    "has_final_order",
    "age",
    "role",
    "is_dependent",
)
ADDRESS_COLUMNS_OUT = (
    "address_id",
    "house_number",
    "street",
    "unit",
    "city",
    "state",
    "zip",
    "building_id",
    "units_in_building",
    "building_kind",
)


@dataclass
class World:
    """All tables of one generated world, keyed by table name, plus the noise log."""

    scenario: Scenario
    tables: dict[str, pd.DataFrame]
    noise_log: pd.DataFrame
    timings: dict[str, float] = field(default_factory=dict)


@dataclass
class Population:
    """Everything of a world before its request list: people, housing and IRS tables.

    Request settings do not touch any of it, so one population can carry many
    request lists (:func:`add_requests`), as the 2025 calibration does.
    """

    scenario: Scenario
    zips_table: pd.DataFrame
    persons: pd.DataFrame
    addresses: pd.DataFrame
    history: pd.DataFrame
    hh_address: np.ndarray
    irs_address: np.ndarray
    renter: np.ndarray
    filers: pd.DataFrame
    dependents: pd.DataFrame
    irs_log: pd.DataFrame
    timings: dict[str, float] = field(default_factory=dict)


class _Laps:
    """Stage timer that logs each lap."""

    def __init__(self, timings: dict[str, float]) -> None:
        self.timings = timings
        self.t0 = time.perf_counter()

    def __call__(self, stage: str) -> None:
        now = time.perf_counter()
        self.timings[stage] = now - self.t0
        log.info("generated %s in %.2f s", stage, now - self.t0)
        self.t0 = now


def generate_world(scenario: Scenario, seed: int | None = None) -> World:
    """Generate every table of the world described by ``scenario``.

    Parameters
    ----------
    scenario : Scenario
        The validated scenario.
    seed : int, optional
        Overrides ``scenario.seed``.

    Returns
    -------
    World
        The scenario as generated (``Scenario.scaled``) and tables ``persons``
        (with role ``absent`` for requested people who left the area),
        ``households``, ``addresses``, ``address_history``, ``irs_filers``,
        ``irs_dependents``, ``requests``, ``request_truth``, ``truth`` and
        ``irs_truth``, and the noise log.

    Examples
    --------
    >>> from data_gen.config import Scenario
    >>> w = generate_world(Scenario().with_overrides(world={"persons": 2000, "n_zips": 5}))
    >>> sorted(w.tables)[:3]
    ['address_history', 'addresses', 'households']
    """
    if seed is not None:
        scenario = scenario.with_overrides(seed=seed)
    if scenario.world.chunks > 1:
        raise ConfigError(
            f"world.chunks = {scenario.world.chunks}: a chunked world is written chunk by chunk "
            "(data_gen.chunks.generate_dataset), not held in memory"
        )
    population = build_population(scenario)
    return add_requests(population, population.scenario)


def build_population(
    scenario: Scenario, *, zips: Zips | None = None, tin_part: tuple[int, int] = (0, 1)
) -> Population:
    """Generate the people, their housing and the IRS tables of ``scenario`` (scaled).

    ``zips`` (default: chosen from ``scenario``) and ``tin_part`` (see
    :func:`data_gen.filing.assign_tins_and_filing`) let the chunks of one
    large world share out its ZIP codes and number space.
    """
    scenario = scenario.scaled()
    timings: dict[str, float] = {}
    lap = _Laps(timings)
    if zips is None:
        zips = choose_zips(scenario)
    hh = make_households(scenario, zips)
    persons = make_persons(scenario, hh)
    persons = assign_tins_and_filing(scenario, persons, tin_part)
    lap("population")

    noncitizen_adult = (~persons["status"].isin(["us_born", "naturalized"])) & (
        persons["age"] >= 18
    )
    hh_noncitizen = noncitizen_adult.groupby(persons["household_id"]).any().to_numpy()
    hc = scenario.housing
    rng = substream(scenario.seed, "households", "tenure")
    renter = rng.random(len(hh)) < np.where(
        hh_noncitizen, hc.renter_share_noncitizen, hc.renter_share_citizen
    )
    kind = np.where(
        renter, np.where(rng.random(len(hh)) < hc.large_complex_share_of_renters, 2, 1), 0
    )
    addresses, hh_address = build_housing(scenario, zips, hh["zip_idx"].to_numpy(), kind)
    head_age = persons.loc[persons["role"] == "head", "age"].to_numpy()
    history = address_history(scenario, addresses, hh_address, renter, head_age)
    irs_address = address_on(history, len(hh), scenario.world.filing_date)
    lap("housing")

    filers, dependents, irs_log = irs_tables(
        persons,
        addresses,
        irs_address,
        rates=resolved_noise_rates(scenario, "irs"),
        seed=scenario.seed,
    )
    lap("irs")
    return Population(
        scenario=scenario,
        zips_table=zips.table,
        persons=persons,
        addresses=addresses,
        history=history,
        hh_address=hh_address,
        irs_address=irs_address,
        renter=renter,
        filers=filers,
        dependents=dependents,
        irs_log=irs_log,
        timings=timings,
    )


def add_requests(population: Population, scenario: Scenario, *, nested_tins: bool = False) -> World:
    """Draw ``scenario``'s request list on a population and assemble the world.

    ``nested_tins`` ranks the TIN carriers instead of fixing their share (see
    :func:`data_gen.requests.request_list`).

    Raises
    ------
    ValueError
        If ``scenario`` differs from the population's in anything but the
        ``requests`` table and the request-side noise.
    """
    scenario = scenario.scaled()
    base = population.scenario
    comparable = dataclasses.replace(
        scenario,
        requests=base.requests,
        noise=dataclasses.replace(scenario.noise, requests=base.noise.requests),
        run=base.run,
        calibration=base.calibration,
    )
    if comparable != base:
        raise ValueError("add_requests: the scenario changes more than the request list")
    timings = dict(population.timings)
    lap = _Laps(timings)
    persons, filers = population.persons, population.filers
    requests, request_truth, req_log, absent = request_list(
        scenario,
        persons,
        population.addresses,
        population.history,
        population.zips_table,
        nested_tins=nested_tins,
    )
    lap("requests")

    truth = (
        requests[["request_id", "person_id"]]
        .merge(filers[["record_id", "person_id"]], on="person_id", how="inner")[
            ["request_id", "record_id"]
        ]
        .sort_values(["request_id", "record_id"], ignore_index=True)
    )
    # the unit each return's address refers to (ground truth for harm analysis: who
    # lives at a disclosed address today may not be the filer's household)
    irs_truth = pd.DataFrame(
        {
            "record_id": filers["record_id"].to_numpy(),
            "person_id": filers["person_id"].to_numpy(),
            "household_id": filers["household_id"].to_numpy(),
            "address_id": population.irs_address[filers["household_id"].to_numpy()],
        }
    )
    households = household_summary(persons, population.hh_address)
    households.insert(2, "renter", population.renter)
    if len(absent):
        # after the household summary: people who left are not counted as members
        persons = pd.concat([persons, absent], ignore_index=True)
    tables = {
        "persons": persons[list(PERSON_COLUMNS)],
        "households": households,
        "addresses": population.addresses[list(ADDRESS_COLUMNS_OUT)],
        "address_history": population.history,
        "irs_filers": filers,
        "irs_dependents": population.dependents,
        "requests": requests,
        "request_truth": request_truth,
        "truth": truth,
        "irs_truth": irs_truth,
    }
    noise_log = pd.concat([population.irs_log, req_log], ignore_index=True)
    lap("assembly")
    return World(scenario, tables, noise_log, timings)
