"""Reading and checking a mapping file: which column of each user table holds each field.

A mapping names, for the request table and the filer table, which column holds
each field the strategies use::

    [requests]
    id = "case_no"
    first_name = "given"
    last_name = "family"
    dob = "birth_date"
    dob_format = "%m/%d/%Y"
    address = "last_known_address"   # one line; or house_number, street, unit, city, state, zip
    tin = "ssn_itin"
    entity_id = "person"             # optional ground truth, on both tables or neither

    [filers]
    id = "record_id"
    ...

Every check fails with one line naming the file and key
(:class:`~data_gen.errors.InputError`).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from data_gen.config import read_toml
from data_gen.errors import InputError

TABLES = ("requests", "filers")
ADDRESS_PARTS = ("house_number", "street", "unit", "city", "state", "zip")
# mapping keys naming a column, in the order errors list them
FIELDS = (
    "id",
    "first_name",
    "middle_name",
    "last_name",
    "dob",
    "address",
    *ADDRESS_PARTS,
    "tin",
    "entity_id",
)
REQUIRED = ("id", "first_name", "last_name")
OPTIONS = ("dob_format",)
DEFAULT_DOB_FORMAT = "%Y-%m-%d"


@dataclass(frozen=True)
class TableMapping:
    """Which column of one table holds each field (``None``: the table has no such column)."""

    table: str
    columns: dict[str, str]
    dob_format: str = DEFAULT_DOB_FORMAT

    def get(self, name: str) -> str | None:
        """The column mapped to ``name``, or ``None``."""
        return self.columns.get(name)


@dataclass(frozen=True)
class Mapping:
    """A mapping file: one :class:`TableMapping` per table."""

    requests: TableMapping
    filers: TableMapping
    source: str

    @property
    def has_truth(self) -> bool:
        """Whether both tables name a ground-truth entity id."""
        return self.requests.get("entity_id") is not None


def load_mapping(path: str | Path) -> Mapping:
    """Read and check a mapping file.

    Parameters
    ----------
    path : str or Path
        The TOML mapping (see the module docstring).

    Returns
    -------
    Mapping
        One :class:`TableMapping` per table.

    Raises
    ------
    InputError
        If the file is missing or not UTF-8 TOML, a table or a required key is
        missing, a key is unknown, a value is not a column name, one column is
        named twice in a table, a ``dob_format`` cannot read dates, or the
        entity id is given for one table only.
    """
    path = Path(path)
    data = read_toml(path, "mapping", InputError)
    for key in data:
        if key not in TABLES:
            raise InputError(f"{path}: unknown table [{key}]{suggest(key, TABLES)}")
    tables = {name: _table_mapping(path, name, data.get(name)) for name in TABLES}
    with_truth = [name for name in TABLES if tables[name].get("entity_id")]
    if len(with_truth) == 1:
        other = next(n for n in TABLES if n not in with_truth)
        raise InputError(
            f"{path}: entity_id is given for [{with_truth[0]}] but not [{other}]; "
            "give it for both tables or neither"
        )
    return Mapping(requests=tables["requests"], filers=tables["filers"], source=str(path))


def _table_mapping(path: Path, name: str, section: object) -> TableMapping:
    """Check one table's section of the mapping: known keys, column names, required fields."""
    where = f"{path}: [{name}]"
    if section is None:
        raise InputError(f"{path}: no [{name}] table (it names the {name} file's columns)")
    if not isinstance(section, dict):
        raise InputError(f'{where} must be a table of key = "column" lines')
    columns: dict[str, str] = {}
    for key, value in section.items():
        if key not in FIELDS and key not in OPTIONS:
            raise InputError(f"{where} unknown key {key!r}{suggest(key, FIELDS + OPTIONS)}")
        if not isinstance(value, str) or not value.strip():
            raise InputError(f"{where} {key} must be a column name in quotes, not {value!r}")
        if key in FIELDS:
            columns[key] = value
    for key in REQUIRED:
        if key not in columns:
            raise InputError(
                f"{where} lacks {key} (the column holding the {key.replace('_', ' ')})"
            )
    if "address" not in columns and not {"street", "zip"} <= set(columns):
        raise InputError(
            f"{where} needs address (a one-line address column) or at least street and zip"
        )
    seen: dict[str, str] = {}
    for key, column in columns.items():
        if column in seen:
            raise InputError(f"{where} {seen[column]} and {key} both name column {column!r}")
        seen[column] = key
    dob_format = section.get("dob_format", DEFAULT_DOB_FORMAT)
    if "dob_format" in section and "dob" not in columns:
        raise InputError(f"{where} dob_format is set but no dob column is named")
    _check_dob_format(where, dob_format)
    return TableMapping(table=name, columns=columns, dob_format=dob_format)


def _check_dob_format(where: str, fmt: str) -> None:
    """A format must read back the date it writes (so it has a year, a month and a day)."""
    probe = pd.Timestamp("1987-11-23")
    try:
        back = pd.to_datetime(pd.Series([probe.strftime(fmt)]), format=fmt).iloc[0]
    except (ValueError, TypeError):
        back = None
    if back != probe:
        raise InputError(
            f"{where} dob_format {fmt!r} cannot read dates (use strptime codes, e.g. %m/%d/%Y)"
        )


def suggest(word: str, choices: tuple[str, ...] | list[str]) -> str:
    """A "did you mean" hint naming the choice closest to a misspelt ``word``, or "".

    Parameters
    ----------
    word : str
        What the user wrote.
    choices : sequence of str
        What they may write.

    Returns
    -------
    str
        `` (did you mean 'x'?)``, to append to an error message, or ``""``.

    Examples
    --------
    >>> suggest("frist_name", FIELDS)
    " (did you mean 'first_name'?)"
    >>> suggest("colour", FIELDS)
    ''
    """
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""
