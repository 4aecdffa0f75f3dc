"""The data a strategy may see: :class:`LinkData`, read from a generated dataset folder.

A strategy sees only what an agency would hold: the request file and the tax
records, never ``person_id``, ``household_id`` or the truth tables.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from data_gen.dataset import read_manifest, read_table
from data_gen.errors import InputError

REQUEST_COLUMNS = (
    "request_id",
    "first_name",
    "last_name",
    "dob",
    "address",
    "house_number",
    "street",
    "unit",
    "city",
    "state",
    "zip",
    "tin",
)
RECORD_COLUMNS = (
    "record_id",
    "return_id",
    "role",
    "tin",
    "tin_type",
    "first_name",
    "middle_name",
    "last_name",
    "dob",
    "house_number",
    "street",
    "unit",
    "city",
    "state",
    "zip",
)


@dataclass
class LinkData:
    """The two tables a strategy links: enforcement requests and IRS records.

    ``labels`` is only set on training data: the true (request_id, record_id)
    pairs, plus ``person_id`` columns on both tables for Splink's label-based
    estimation.

    Attributes
    ----------
    requests : DataFrame
        The :data:`REQUEST_COLUMNS` of the request file.
    records : DataFrame
        The :data:`RECORD_COLUMNS` of the tax records.
    name : str
        The scenario's name (or ``"user tables"``).
    labels : DataFrame, optional
        The true pairs, on training data only.
    """

    requests: pd.DataFrame
    records: pd.DataFrame
    name: str = "world"
    labels: pd.DataFrame | None = None


def load_link_data(folder: str | Path) -> LinkData:
    """Read the two tables a strategy may see from a dataset folder.

    Only ``requests`` and ``irs_filers`` are read, and only their public columns:
    ``person_id``, ``household_id`` and the truth tables stay behind.

    Parameters
    ----------
    folder : str or Path
        A dataset folder written by the generator.

    Returns
    -------
    LinkData
        Named after the manifest's scenario, without labels.

    Raises
    ------
    InputError
        If a table lacks a column or is empty, an id is not a unique whole
        number, or a TIN, ZIP or house number is stored as a number.
    """
    manifest = read_manifest(folder)
    requests = read_table(folder, "requests", list(REQUEST_COLUMNS))
    records = read_table(folder, "irs_filers", list(RECORD_COLUMNS))
    checks = (
        ("requests", REQUEST_COLUMNS, requests, "request_id"),
        ("irs_filers", RECORD_COLUMNS, records, "record_id"),
    )
    for table, cols, df, key in checks:
        missing = [c for c in cols if c not in df.columns]
        if missing:
            raise InputError(f"{folder}: {table}.parquet lacks column(s) {', '.join(missing)}")
        if df.empty:
            raise InputError(f"{folder}: {table}.parquet is empty")
        if not pd.api.types.is_integer_dtype(df[key]) or not df[key].is_unique:
            raise InputError(f"{folder}: {table}.{key} must be unique whole numbers")
        for col in ("tin", "zip", "house_number"):
            if pd.api.types.is_numeric_dtype(df[col]):
                raise InputError(
                    f"{folder}: {table}.{col} must be text (numbers lose leading zeros)"
                )
    return LinkData(
        requests=requests[list(REQUEST_COLUMNS)].copy(),
        records=records[list(RECORD_COLUMNS)].copy(),
        name=str(manifest.get("scenario", "world")),
    )
