"""Reading one user table (CSV or Parquet) through its mapping, checking every cell on the way.

Every check fails with one line naming the file, column or row
(:class:`~data_gen.errors.InputError`).  Files are guarded before any parser
sees them: a header too wide or too long is refused from its first bytes.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from benchmark.tables.addresses import compose_addresses, parse_addresses
from benchmark.tables.mapping import ADDRESS_PARTS, TableMapping, suggest
from data_gen.errors import InputError

# no name, date, number or address line is this long; a longer cell is a broken file
MAX_FIELD_CHARS = 500
# no table the strategies read has this many columns; a header this wide is a broken or
# hostile file (a million empty columns exhausts pandas' memory after a minute)
MAX_COLUMNS = 1_000
# the header row is read from at most this many bytes before any parser sees the file
MAX_HEADER_BYTES = 4 << 20


def read_user_table(path: Path, mapping: TableMapping, source: str) -> pd.DataFrame:
    """Read one user table and return its mapped fields under their own names.

    Text cells are stripped and empty ones become nulls; dates are parsed with
    the mapping's format; a one-line address without parts is split into parts
    with ``usaddress`` (and a request table with parts only gets its line
    composed from them).

    Parameters
    ----------
    path : Path
        The CSV (UTF-8, header row) or Parquet file.
    mapping : TableMapping
        Which of its columns holds each field.
    source : str
        The mapping file, named in errors about a column it names.

    Returns
    -------
    DataFrame
        One column per mapped field (``id``, ``first_name``, ...), plus the
        address parts or line derived from the other.

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
                + suggest(column, names)
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
        return _read_csv(path)
    if suffix in (".parquet", ".pq"):
        return _read_parquet(path, columns)
    raise InputError(f"{path}: expected a .csv or .parquet file, not {suffix or 'no extension'}")


def _read_csv(path: Path) -> tuple[pd.DataFrame, list[str]]:
    """Every column of a UTF-8 CSV file as text, once its header and encoding pass."""
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


def _read_parquet(path: Path, columns: list[str]) -> tuple[pd.DataFrame, list[str]]:
    """The ``columns`` a Parquet file has, once its width passes, and all its column names."""
    try:
        schema = pq.read_schema(path)
        _check_width(path, len(schema.names))
        present = [c for c in columns if c in schema.names]
        table = pq.read_table(path, columns=present)
    except (OSError, pa.ArrowException) as exc:
        raise InputError(f"{path}: not a readable Parquet file ({exc})") from None
    return table.to_pandas(), list(schema.names)


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
    """Refuse a table of more than MAX_COLUMNS columns."""
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
    """Refuse an empty or repeated id, naming the data rows."""
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
