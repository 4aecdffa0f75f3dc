"""Bring your own data: two tables (CSV or Parquet) and a TOML mapping, checked and read for linking.

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

Every check runs before any work starts and fails with one line naming the
file, column or row (:class:`~data_gen.errors.InputError`).  The tables become
the same :class:`~benchmark.strategies.base.LinkData` a generated dataset folder
gives, so every unsupervised strategy and the evaluation run on them unchanged.
"""

from __future__ import annotations

import csv
import difflib
import hashlib
import io
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from benchmark.strategies.base import RECORD_COLUMNS, REQUEST_COLUMNS, LinkData
from data_gen.config import read_toml
from data_gen.errors import InputError

log = logging.getLogger(__name__)

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
# no name, date, number or address line is this long; a longer cell is a broken file
MAX_FIELD_CHARS = 500
# no table the strategies read has this many columns; a header this wide is a broken or
# hostile file (a million empty columns exhausts pandas' memory after a minute)
MAX_COLUMNS = 1_000
# the header row is read from at most this many bytes before any parser sees the file
MAX_HEADER_BYTES = 4 << 20
# the one-line address the generator writes; used when only parts are given
_LINE_PARTS = ("house_number", "street", "unit")


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


@dataclass
class UserTables:
    """Two user tables read through a mapping, ready to link and evaluate.

    Attributes
    ----------
    link_data : LinkData
        The columns strategies see, under the generated tables' names.
    request_entity, record_entity : Series or None
        The ground-truth entity of each request and record (indexed by their
        ids), when the mapping names one.
    request_keys, record_keys : Series or None
        The original ids, when they were text and had to be numbered (index:
        the number used in outputs).
    inputs_sha256 : str
        Hash of the two files and the mapping: the identity of this data in
        link and evaluation manifests.
    """

    requests_path: Path
    filers_path: Path
    mapping: Mapping
    link_data: LinkData
    inputs_sha256: str
    request_entity: pd.Series | None = None
    record_entity: pd.Series | None = None
    request_keys: pd.Series | None = None
    record_keys: pd.Series | None = None
    files: dict[str, str] = field(default_factory=dict)

    @property
    def has_truth(self) -> bool:
        """Whether the tables carry a ground-truth entity id."""
        return self.request_entity is not None

    @property
    def input_paths(self) -> list[Path]:
        """The files read: both tables and the mapping (outputs must not overlap them)."""
        return [self.requests_path, self.filers_path, Path(self.mapping.source)]

    def true_pairs(self) -> pd.DataFrame | None:
        """Every (request_id, record_id) of the same entity, or ``None`` without truth."""
        if self.request_entity is None or self.record_entity is None:
            return None
        req = self.request_entity.dropna().rename("entity").reset_index()
        rec = self.record_entity.dropna().rename("entity").reset_index()
        pairs = req.merge(rec, on="entity")[["request_id", "record_id"]]
        return pairs.sort_values(["request_id", "record_id"], ignore_index=True)

    def describe(self) -> dict:
        """What a manifest records about these inputs (paths and hashes)."""
        return {
            "requests": str(self.requests_path),
            "filers": str(self.filers_path),
            "mapping": self.mapping.source,
            "inputs_sha256": self.inputs_sha256,
            "files_sha256": self.files,
        }


def load_mapping(path: str | Path) -> Mapping:
    """Read and check a mapping file.

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
            raise InputError(f"{path}: unknown table [{key}]{_suggest(key, TABLES)}")
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
    where = f"{path}: [{name}]"
    if section is None:
        raise InputError(f"{path}: no [{name}] table (it names the {name} file's columns)")
    if not isinstance(section, dict):
        raise InputError(f'{where} must be a table of key = "column" lines')
    columns: dict[str, str] = {}
    for key, value in section.items():
        if key not in FIELDS and key not in OPTIONS:
            raise InputError(f"{where} unknown key {key!r}{_suggest(key, FIELDS + OPTIONS)}")
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


def _suggest(word: str, choices: tuple[str, ...] | list[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def load_user_tables(requests: str | Path, filers: str | Path, mapping: str | Path) -> UserTables:
    """Read and check a request table and a filer table through a mapping file.

    Parameters
    ----------
    requests, filers : path
        CSV (UTF-8, header row) or Parquet files.
    mapping : path
        The TOML mapping (see the module docstring).

    Returns
    -------
    UserTables

    Raises
    ------
    InputError
        On any problem listed in :func:`load_mapping` or :func:`read_user_table`.
    """
    spec = load_mapping(mapping)
    paths = {"requests": Path(requests), "filers": Path(filers)}
    if paths["requests"].resolve() == paths["filers"].resolve():
        raise InputError(f"{requests}: given as both --requests and --filers")
    frames = {
        name: read_user_table(paths[name], getattr(spec, name), spec.source) for name in TABLES
    }
    req, rec = frames["requests"], frames["filers"]
    request_ids, request_keys = _numbered_ids(req["id"])
    record_ids, record_keys = _numbered_ids(rec["id"])
    requests_table = _with_columns(request_ids, "request_id", req, REQUEST_COLUMNS[1:])
    records_table = _with_columns(record_ids, "record_id", rec, RECORD_COLUMNS[1:])
    records_table["tin_type"] = _tin_type(records_table["tin"])
    files = {name: _sha256(paths[name]) for name in TABLES}
    files["mapping"] = _sha256(Path(mapping))
    digest = hashlib.sha256(
        "\n".join(f"{k}={v}" for k, v in sorted(files.items())).encode()
    ).hexdigest()
    tables = UserTables(
        requests_path=paths["requests"],
        filers_path=paths["filers"],
        mapping=spec,
        link_data=LinkData(requests=requests_table, records=records_table, name="user tables"),
        inputs_sha256=digest,
        request_keys=request_keys,
        record_keys=record_keys,
        files=files,
    )
    if spec.has_truth:
        entities = pd.concat([req["entity_id"], rec["entity_id"]], ignore_index=True)
        codes = pd.Series(pd.factorize(entities)[0], dtype="int64").where(entities.notna())
        tables.request_entity = pd.Series(
            codes.iloc[: len(req)].to_numpy(), index=pd.Index(request_ids, name="request_id")
        )
        tables.record_entity = pd.Series(
            codes.iloc[len(req) :].to_numpy(), index=pd.Index(record_ids, name="record_id")
        )
    log.info(
        "read %d requests from %s and %d records from %s%s",
        len(req),
        paths["requests"],
        len(rec),
        paths["filers"],
        " with ground truth" if spec.has_truth else " (no ground truth)",
    )
    return tables


def _with_columns(
    ids: np.ndarray, id_column: str, fields: pd.DataFrame, columns: tuple[str, ...]
) -> pd.DataFrame:
    """The table a strategy sees: ids, then each column (null where the mapping names none)."""
    out = {id_column: ids}
    for column in columns:
        if column in fields:
            out[column] = fields[column].reset_index(drop=True)
        elif column == "dob":
            out[column] = pd.Series([None] * len(ids), dtype=object)
        else:
            out[column] = pd.Series(pd.NA, index=range(len(ids)), dtype="str")
    return pd.DataFrame(out)


def read_user_table(path: Path, mapping: TableMapping, source: str) -> pd.DataFrame:
    """Read one user table and return its mapped fields under their own names.

    Text cells are stripped and empty ones become nulls; dates are parsed with
    the mapping's format; a one-line address without parts is split into parts
    with ``usaddress`` (and a request table with parts only gets its line
    composed from them).

    Raises
    ------
    InputError
        If the file is missing, not CSV or Parquet, not UTF-8, unreadable or
        empty; if a mapped column is missing; if an id is missing or repeated;
        if a date does not match the format; or if a cell is absurdly long.
    """
    raw, names = _read_file(path, list(mapping.columns.values()))
    for key, column in mapping.columns.items():
        if column not in names:
            raise InputError(
                f"{path}: no column {column!r} (named by {source} [{mapping.table}] {key})"
                + _suggest(column, names)
            )
    if raw.empty:
        raise InputError(f"{path}: the table has no rows")
    out = pd.DataFrame(index=raw.index)
    for key, column in mapping.columns.items():
        values = raw[column]
        if key == "dob":
            out[key] = _dates(path, column, values, mapping.dob_format)
        elif key == "id" and pd.api.types.is_integer_dtype(values):
            out[key] = values
        elif key == "id" and pd.api.types.is_float_dtype(values):
            raise InputError(f"{path}: column {column!r}: ids must be whole numbers or text")
        elif key == "entity_id":
            out[key] = _entity_text(path, column, values)
        else:
            out[key] = _text(path, column, values)
    _check_ids(path, mapping.columns["id"], out["id"])
    parts = [p for p in ADDRESS_PARTS if p in mapping.columns]
    if "address" in out and not parts:
        parsed = parse_addresses(out["address"])
        for part in ADDRESS_PARTS:
            out[part] = parsed[part].astype("str")
    elif "address" not in out and mapping.table == "requests":
        out["address"] = compose_addresses(out)
    return out


def _read_file(path: Path, columns: list[str]) -> tuple[pd.DataFrame, list[str]]:
    """The file's ``columns`` (those it has, all of a CSV's) and the names of all its columns."""
    suffix = path.suffix.lower()
    if not path.exists():
        raise InputError(f"{path}: no such file")
    if path.is_dir():
        raise InputError(f"{path}: is a directory; give a .csv or .parquet file")
    if suffix == ".csv":
        _check_csv_header(path)
        data = path.read_bytes()
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1
            raise InputError(
                f"{path}: line {line} is not UTF-8 text (byte 0x{data[exc.start]:02x}); "
                "save the file as UTF-8"
            ) from None
        try:
            frame = pd.read_csv(
                path,
                dtype=str,
                keep_default_na=False,
                encoding="utf-8-sig",
                skip_blank_lines=True,
            )
            return frame, [str(c) for c in frame.columns]
        except pd.errors.EmptyDataError:
            raise InputError(f"{path}: the file is empty (not even a header row)") from None
        except (pd.errors.ParserError, ValueError) as exc:
            reason = " ".join(str(exc).split())
            raise InputError(f"{path}: not a readable CSV file ({reason})") from None
    if suffix in (".parquet", ".pq"):
        try:
            schema = pq.read_schema(path)
            _check_width(path, len(schema.names))
            present = [c for c in columns if c in schema.names]
            table = pq.read_table(path, columns=present)
        except (OSError, pa.ArrowException) as exc:
            raise InputError(f"{path}: not a readable Parquet file ({exc})") from None
        return table.to_pandas(), list(schema.names)
    raise InputError(f"{path}: expected a .csv or .parquet file, not {suffix or 'no extension'}")


def _check_csv_header(path: Path) -> None:
    """Refuse a CSV wider than MAX_COLUMNS from its first MAX_HEADER_BYTES, before pandas.

    The first data row is counted too: pandas reads cells beyond the header's as
    an index of its own, silently and, for a million of them, for minutes.
    """
    with path.open("rb") as f:
        head = f.read(MAX_HEADER_BYTES)
        whole = not f.read(1)
    text = io.StringIO(head.decode("utf-8-sig", errors="replace"), newline="")
    rows = csv.reader(text)
    try:
        header = next(rows, [])
    except csv.Error as exc:
        raise InputError(f"{path}: not a readable CSV header row ({exc})") from None
    _check_width(path, len(header), " (is the delimiter right?)")
    if not whole and text.tell() == len(text.getvalue()) and not head.endswith((b"\n", b"\r")):
        raise InputError(
            f"{path}: the header row is longer than {MAX_HEADER_BYTES >> 20} MB; "
            "is this a CSV file?"
        )
    try:
        first = next((row for row in rows if row), [])
    except csv.Error:  # an overlong cell: refused with its row once pandas has read the file
        return
    if len(first) > len(header):
        raise InputError(
            f"{path}: line {rows.line_num} has {len(first):,} cells, the header "
            f"{len(header):,}; is the delimiter or quoting broken?"
        )


def _check_width(path: Path, columns: int, hint: str = "") -> None:
    if columns > MAX_COLUMNS:
        raise InputError(
            f"{path}: {columns:,} columns, more than the {MAX_COLUMNS:,} a table may have{hint}"
        )


def _text(path: Path, column: str, values: pd.Series) -> pd.Series:
    """Cells as stripped text (pandas' string dtype, as in a dataset folder), empty ones null.

    Numbers are refused where they lose leading zeros.
    """
    if pd.api.types.is_float_dtype(values) or pd.api.types.is_integer_dtype(values):
        raise InputError(
            f"{path}: column {column!r} holds numbers; store it as text "
            "(numbers lose leading zeros in ZIP codes and TINs)"
        )
    if pd.api.types.is_bool_dtype(values) or pd.api.types.is_datetime64_any_dtype(values):
        raise InputError(f"{path}: column {column!r} must hold text, not {values.dtype}")
    if values.dtype == object:  # a Parquet column of mixed or binary cells
        not_text = values.map(lambda v: not (v is None or isinstance(v, str)), na_action="ignore")
        bad = not_text.fillna(False).astype(bool).to_numpy()
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise InputError(
                f"{path}: data row {row + 1}, column {column!r}: "
                f"{type(values.iloc[row]).__name__} value where text was expected"
            )
    text = values.astype("str").str.strip()
    lengths = text.str.len()
    text = text.where(lengths > 0)
    longest = lengths.fillna(0).to_numpy(dtype=np.int64)
    if len(longest) and longest.max() > MAX_FIELD_CHARS:
        row = int(np.argmax(longest))
        raise InputError(
            f"{path}: data row {row + 1}, column {column!r}: {longest[row]:,} characters "
            f"(at most {MAX_FIELD_CHARS}; is the delimiter or quoting broken?)"
        )
    return text


def _entity_text(path: Path, column: str, values: pd.Series) -> pd.Series:
    """Entity ids as text, so that 779 in a Parquet file and "779" in a CSV are one entity."""
    if pd.api.types.is_float_dtype(values):
        whole = values.dropna()
        if not (whole == whole.round()).all():
            raise InputError(f"{path}: column {column!r}: entity ids must be whole numbers or text")
        values = values.astype("Int64")
    if pd.api.types.is_integer_dtype(values):
        return values.astype("str").where(values.notna())
    return _text(path, column, values)


def _dates(path: Path, column: str, values: pd.Series, fmt: str) -> pd.Series:
    """Dates of birth as ``datetime.date`` (or null), read with the mapping's format."""
    if pd.api.types.is_datetime64_any_dtype(values):
        parsed = pd.to_datetime(values)
    elif values.map(lambda v: hasattr(v, "year") and hasattr(v, "month")).any():
        parsed = pd.to_datetime(values, errors="coerce")
    else:
        text = _text(path, column, values)
        parsed = pd.to_datetime(text, format=fmt, errors="coerce")
        bad = text.notna() & parsed.isna()
        if bad.any():
            rows = np.flatnonzero(bad.to_numpy())
            more = f" (and {len(rows) - 1:,} more rows)" if len(rows) > 1 else ""
            raise InputError(
                f"{path}: data row {rows[0] + 1}, column {column!r}: {text.iloc[rows[0]]!r} "
                f"is not a date in the format {fmt!r}{more}"
            )
    dates = parsed.dt.date.astype(object)
    return dates.where(parsed.notna(), None)


def _check_ids(path: Path, column: str, ids: pd.Series) -> None:
    missing = ids.isna().to_numpy()
    if missing.any():
        row = int(np.flatnonzero(missing)[0])
        raise InputError(f"{path}: data row {row + 1}, column {column!r}: the record id is empty")
    repeated = ids.duplicated(keep=False).to_numpy()
    if repeated.any():
        rows = np.flatnonzero(repeated)
        first = ids.iloc[rows[0]]
        same = rows[(ids.iloc[rows] == first).to_numpy()]
        raise InputError(
            f"{path}: column {column!r}: id {first!r} appears on data rows "
            f"{same[0] + 1} and {same[1] + 1} (ids must be unique)"
        )


_INTEGER = re.compile(r"-?\d{1,18}")


def _numbered_ids(ids: pd.Series) -> tuple[np.ndarray, pd.Series | None]:
    """Whole-number ids as they are; text ids numbered in sorted order (with the originals kept)."""
    if pd.api.types.is_integer_dtype(ids):
        return ids.to_numpy(dtype=np.int64), None
    text = ids.astype("str")
    if text.str.fullmatch(_INTEGER.pattern).all():
        numbers = text.astype(np.int64)
        if numbers.astype(str).eq(text).all():  # "007" would not survive the round trip
            return numbers.to_numpy(), None
    order = np.argsort(text.to_numpy(), kind="stable")
    numbers = np.empty(len(text), dtype=np.int64)
    numbers[order] = np.arange(len(text), dtype=np.int64)
    return numbers, pd.Series(text.to_numpy(), index=numbers).sort_index()


def _tin_type(tins: pd.Series) -> pd.Series:
    """ITIN or SSN by the number's form (ITINs begin with a 9), as on the generated records."""
    digits = tins.astype("str").str.replace(r"\D", "", regex=True)
    kind = pd.Series(np.where(digits.str.startswith("9", na=False), "ITIN", "SSN"), dtype="str")
    return kind.where((digits.str.len() > 0).to_numpy())


# usaddress labels → our address parts, in the order they are written
_LABELS = {
    "house_number": ("AddressNumberPrefix", "AddressNumber", "AddressNumberSuffix"),
    "street": (
        "StreetNamePreDirectional",
        "StreetNamePreModifier",
        "StreetNamePreType",
        "StreetName",
        "StreetNamePostType",
        "StreetNamePostModifier",
        "StreetNamePostDirectional",
    ),
    "unit": ("OccupancyType", "OccupancyIdentifier", "SubaddressType", "SubaddressIdentifier"),
    "city": ("PlaceName",),
    "state": ("StateName",),
    "zip": ("ZipCode",),
}


def parse_addresses(lines: pd.Series) -> pd.DataFrame:
    """Split one-line US addresses into house_number, street, unit, city, state, zip.

    Uses ``usaddress`` (a conditional random field trained on US addresses),
    once per distinct line.  A part the parser cannot find is null.

    Examples
    --------
    >>> parse_addresses(pd.Series(["12 N MAIN ST APT 4, YUMA, AZ 85364"])).iloc[0].tolist()
    ['12', 'N MAIN ST', 'APT 4', 'YUMA', 'AZ', '85364']
    """
    import usaddress

    def parse(line: str) -> tuple:
        tokens: dict[str, list[str]] = {}
        for token, label in usaddress.parse(line):
            tokens.setdefault(label, []).append(token.strip(",;"))
        return tuple(
            " ".join(t for label in labels for t in tokens.get(label, []) if t) or None
            for labels in _LABELS.values()
        )

    distinct = lines.dropna().unique()
    table = pd.DataFrame(
        [parse(str(v)) for v in distinct], columns=list(_LABELS), index=distinct, dtype=object
    )
    out = table.reindex(lines.to_numpy())
    out.index = lines.index
    return out.astype(object).where(out.notna(), None)


def compose_addresses(parts: pd.DataFrame) -> pd.Series:
    """The one-line address (``12 MAIN ST APT 4, YUMA, AZ 85364``) from its parts.

    Examples
    --------
    >>> parts = pd.DataFrame({"house_number": ["12", None], "street": ["MAIN ST", None],
    ...                       "city": ["YUMA", "ALAMO"], "state": ["AZ", "TX"], "zip": [None, "78516"]})
    >>> compose_addresses(parts).tolist()
    ['12 MAIN ST, YUMA, AZ', 'ALAMO, TX 78516']
    """

    def joined(columns: list[pd.Series], sep: str) -> pd.Series:
        text = pd.Series("", index=parts.index, dtype="str")
        for column in columns:
            value = column.astype("str").fillna("")
            gap = pd.Series(np.where((text != "") & (value != ""), sep, ""), index=parts.index)
            text = text + gap + value
        return text

    def present(names: tuple[str, ...]) -> list[pd.Series]:
        return [parts[n] for n in names if n in parts]

    line = joined(
        [
            joined(present(_LINE_PARTS), " "),
            joined(present(("city",)), " "),
            joined(present(("state", "zip")), " "),
        ],
        ", ",
    )
    return line.where(line != "")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
