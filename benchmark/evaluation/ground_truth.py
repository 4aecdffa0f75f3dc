"""What the evaluation knows that no strategy may see: the truth about each request and address.

:func:`load_ground_truth` reads a dataset folder once and keeps only what the
evaluation needs: the true pairs, each request's person and the groups used for
disparities, the address each IRS record points to, and who lives at each
address now (the household an enforcement visit to that address would meet).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from benchmark.evaluation.groups import (
    BUILDING_SIZE_BINS,
    BUILDING_SIZE_LABELS,
    DIMENSIONS,
    USER_DIMENSIONS,
)
from data_gen.dataset import read_manifest, read_table
from data_gen.errors import InputError

if TYPE_CHECKING:
    from benchmark.tables.user_tables import UserTables

# ACS "units in structure" bands; the world builds 1, 2–9 and 50–300-unit buildings
HOUSEHOLD_COUNTS = ("people", "us_citizens", "us_citizen_children", "lprs")


@dataclass
class GroundTruth:
    """The evaluation's view of one dataset folder.

    Attributes
    ----------
    requests : DataFrame
        One row per request: request_id, person_id, household_id (the person's
        household now), person_filed, has_true_pair, surname_decile (1 = rarest tenth of requests' surnames, 10 = most
        common), surname_count (bearers of the person's first surname in the
        2010 Census), origin, building_size, state.
    truth : DataFrame
        request_id, record_id: every true pair.
    record_address : DataFrame
        record_id, address_id: the unit each IRS record's address refers to.
    residents : DataFrame
        address_id, household_id, people, us_citizens, us_citizen_children,
        lprs, mixed_status: the household living at each address now.
    manifest : dict
        The dataset manifest.
    labelled : bool
        Whether the true pairs are known (user tables without an entity id
        are not: only match counts and score distributions can be reported).
    households_known : bool
        Whether the households behind addresses are known (generated worlds
        only): without them there is no harm table.
    dimensions : tuple of str
        The request columns that disparities are broken down by.
    """

    requests: pd.DataFrame
    truth: pd.DataFrame
    record_address: pd.DataFrame
    residents: pd.DataFrame
    manifest: dict
    labelled: bool = True
    households_known: bool = True
    dimensions: tuple[str, ...] = DIMENSIONS

    @property
    def n_requests(self) -> int:
        """Number of requests in the file."""
        return len(self.requests)

    @property
    def n_true(self) -> int:
        """Number of true request–record pairs."""
        return len(self.truth)


def load_ground_truth(folder: str | Path) -> GroundTruth:
    """Read the truth tables of a dataset folder written by ``itin-bench generate``.

    Raises
    ------
    InputError
        If the folder lacks a table or a column the evaluation needs.
    """
    manifest = read_manifest(folder)
    tables = {name: read_table(folder, name, list(columns)) for name, columns in _NEEDED.items()}
    return ground_truth_from_tables(tables, manifest, str(folder))


def ground_truth_from_tables(
    tables: Mapping[str, pd.DataFrame], manifest: dict, folder: str = "<world>"
) -> GroundTruth:
    """Build the ground truth from a world's tables (``World.tables`` or read from a folder).

    Raises
    ------
    InputError
        If a table or a column the evaluation needs is missing.
    """
    missing = [name for name in _NEEDED if name not in tables]
    if missing:
        raise InputError(f"{folder}: missing table(s) {', '.join(missing)}")
    _require(folder, tables)
    if tables["requests"].empty:
        raise InputError(f"{folder}: requests.parquet has no rows")
    for name, key in (("requests", "request_id"), ("persons", "person_id")):
        ids = tables[name][key]
        if not pd.api.types.is_integer_dtype(ids) or not ids.is_unique:
            raise InputError(f"{folder}: {name}.{key} must be unique whole numbers")
    persons = tables["persons"]
    households = tables["households"]
    addresses = tables["addresses"]
    truth = tables["truth"][["request_id", "record_id"]].astype("int64").drop_duplicates()
    if not tables["requests"]["request_id"].isin(tables["request_truth"]["request_id"]).all():
        raise InputError(f"{folder}: some requests have no row in request_truth.parquet")

    home = (
        persons[["person_id", "household_id", "surname_paternal", "origin"]]
        .merge(households[["household_id", "address_id"]], on="household_id", how="left")
        .merge(addresses[["address_id", "state", "units_in_building"]], on="address_id", how="left")
    )
    req = (
        tables["requests"][["request_id", "person_id"]]
        .merge(tables["request_truth"][["request_id", "person_filed"]], on="request_id", how="left")
        .merge(home, on="person_id", how="left")
    )
    if req["household_id"].isna().any():
        raise InputError(f"{folder}: some requests name a person who is not in persons.parquet")
    req["has_true_pair"] = req["request_id"].isin(truth["request_id"])
    req["surname_count"] = surname_counts(req["surname_paternal"])
    req["surname_decile"] = frequency_deciles(req["surname_count"])
    req["building_size"] = pd.cut(
        req["units_in_building"],
        bins=list(BUILDING_SIZE_BINS),
        labels=list(BUILDING_SIZE_LABELS),
    ).astype(str)
    requests = req[
        [
            "request_id",
            "person_id",
            "household_id",
            "person_filed",
            "has_true_pair",
            "surname_decile",
            "surname_count",
            "origin",
            "building_size",
            "state",
        ]
    ].sort_values("request_id", ignore_index=True)
    requests["household_id"] = requests["household_id"].astype("int64")
    requests["person_filed"] = requests["person_filed"].astype(bool)

    residents = households.rename(
        columns={
            "size": "people",
            "n_us_citizens": "us_citizens",
            "n_us_citizen_children": "us_citizen_children",
            "n_lpr": "lprs",
        }
    )[["address_id", "household_id", *HOUSEHOLD_COUNTS, "mixed_status"]]
    return GroundTruth(
        requests=requests,
        truth=truth,
        record_address=tables["irs_truth"][["record_id", "address_id"]].astype("int64"),
        residents=residents,
        manifest=manifest,
    )


# what user tables can be broken down by: the request's own last name and state


def user_ground_truth(user: UserTables) -> GroundTruth:
    """The evaluation's view of user tables: true pairs from the entity ids, if any.

    A request's surname decile comes from the last name on the request (a
    generated world uses the person's true surname) and its state from the
    request's address; user tables say nothing of households, so there is no
    harm table.
    """
    ids = user.link_data.requests["request_id"].to_numpy()
    truth = user.true_pairs()
    labelled = truth is not None
    if truth is None:
        truth = pd.DataFrame(
            {"request_id": pd.Series(dtype="int64"), "record_id": pd.Series(dtype="int64")}
        )
    entity = user.request_entity
    has_pair = pd.Series(ids).isin(truth["request_id"]).to_numpy()
    last = user.link_data.requests["last_name"]
    requests = pd.DataFrame(
        {
            "request_id": ids,
            "person_id": (
                entity.reindex(ids).to_numpy() if entity is not None else np.full(len(ids), np.nan)
            ),
            "household_id": np.full(len(ids), -1, dtype=np.int64),
            # an entity with a filer record is a person who filed
            "person_filed": has_pair,
            "has_true_pair": has_pair,
            "surname_count": surname_counts(last),
            "state": user.link_data.requests["state"].fillna("unknown").to_numpy(),
        }
    )
    requests["surname_decile"] = frequency_deciles(requests["surname_count"])
    record_ids = user.link_data.records["record_id"].to_numpy()
    return GroundTruth(
        requests=requests.sort_values("request_id", ignore_index=True),
        truth=truth,
        record_address=pd.DataFrame(
            {"record_id": record_ids, "address_id": np.full(len(record_ids), -1, dtype=np.int64)}
        ),
        residents=pd.DataFrame(
            columns=["address_id", "household_id", *HOUSEHOLD_COUNTS, "mixed_status"]
        ),
        manifest={"config_sha256": None, "seed": None, "inputs_sha256": user.inputs_sha256},
        labelled=labelled,
        households_known=False,
        dimensions=USER_DIMENSIONS,
    )


def surname_counts(surnames: pd.Series) -> np.ndarray:
    """Bearers of each surname in the 2010 Census (0 for names the table lacks).

    Accents are folded and only the first word of a compound is looked up, as
    the Census table holds unaccented single surnames.
    """
    from data_gen.census import surname_table
    from data_gen.text import fold_accents

    table = surname_table()
    counts = dict(zip(table["name"], table["count"], strict=True))
    keys = surnames.fillna("").map(lambda s: fold_accents(str(s)).upper().split(" ")[0])
    return keys.map(counts).fillna(0).to_numpy(dtype=np.int64)


def frequency_deciles(values: np.ndarray | pd.Series) -> np.ndarray:
    """Deciles 1–10 of ``values`` among themselves; equal values share a decile.

    Decile ``d`` holds values whose average rank falls in the d-th tenth, so
    groups are near-equal in size except where one value is very common.

    Examples
    --------
    >>> frequency_deciles([5, 1, 1, 9]).tolist()
    [8, 4, 4, 10]
    """
    s = pd.Series(np.asarray(values, dtype=float))
    if s.empty:
        return np.array([], dtype=np.int64)
    rank = s.rank(method="average").to_numpy()
    return np.clip(np.ceil(10 * rank / len(s)), 1, 10).astype(np.int64)


_NEEDED = {
    "requests": ("request_id", "person_id"),
    "request_truth": ("request_id", "person_filed"),
    "truth": ("request_id", "record_id"),
    "persons": ("person_id", "household_id", "surname_paternal", "origin"),
    "households": (
        "household_id",
        "address_id",
        "size",
        "n_us_citizens",
        "n_us_citizen_children",
        "n_lpr",
        "mixed_status",
    ),
    "addresses": ("address_id", "state", "units_in_building"),
    "irs_truth": ("record_id", "address_id"),
}


def _require(folder: str | Path, tables: Mapping[str, pd.DataFrame]) -> None:
    for name, columns in _NEEDED.items():
        missing = [c for c in columns if c not in tables[name].columns]
        if missing:
            raise InputError(f"{folder}/{name}.parquet: missing column(s) {', '.join(missing)}")
