"""Normalised matching columns, computed the same way for requests and records.

The tax records' columns are the same for every strategy that links one world,
and normalising them is most of a rule's linking time, so
:func:`record_features` keeps the last few results in memory, keyed by a hash of
the records' content (a run links every strategy in one process).
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict

import pandas as pd

from benchmark.strategies import normalize
from benchmark.strategies.link_data import LinkData

FEATURE_COLUMNS = (
    "unique_id",
    "first_norm",
    "first1",
    "last_norm",
    "last1",
    "last_tokens",
    "name_control",
    "dob",
    "dob_year",
    "house",
    "street_norm",
    "unit_norm",
    "zip5",
    "tin",
)


def _one_dob(value: object) -> str | None:
    try:
        stamp = pd.Timestamp(value)  # type: ignore[arg-type]
    except (ValueError, TypeError, OverflowError):
        return None
    return None if pd.isna(stamp) else stamp.strftime("%Y-%m-%d")


@normalize.per_distinct
def _dob_text(values: pd.Series) -> pd.Series:
    out = pd.Series(None, index=values.index, dtype=object)
    text = values.map(lambda v: isinstance(v, str)).to_numpy(dtype=bool)
    dates = values[~text]
    try:
        parsed = pd.to_datetime(dates, errors="coerce")
        out[~text] = parsed.dt.strftime("%Y-%m-%d").astype(object).where(parsed.notna(), None)
    except (ValueError, TypeError):  # e.g. datetimes with mixed time zones
        out[~text] = [_one_dob(v) for v in dates]
    # text is read value by value: a vectorised parse guesses one format for all (from the
    # first value) and refuses mixed UTC offsets
    out[text] = [_one_dob(v) for v in values[text]]
    return out


@normalize.per_distinct
def _year_text(dob_text: pd.Series) -> pd.Series:
    return dob_text.str.slice(0, 4)


@normalize.per_distinct
def _tokens(names: pd.Series) -> pd.Series:
    return names.map(lambda v: v.split(" "))


def _features(df: pd.DataFrame, id_column: str) -> pd.DataFrame:
    last = normalize.name(df["last_name"])
    dob = _dob_text(df["dob"])
    out = pd.DataFrame(
        {
            id_column: df[id_column].to_numpy(),
            "unique_id": df[id_column].to_numpy(),
            "first_norm": normalize.name(df["first_name"]),
            "first1": normalize.first_token(df["first_name"]),
            "last_norm": last,
            "last1": normalize.first_token(df["last_name"]),
            "last_tokens": _tokens(last),
            "name_control": normalize.name_control(df["last_name"]),
            "dob": dob,
            "dob_year": _year_text(dob),
            "house": normalize.digits(df["house_number"]),
            "street_norm": normalize.street(df["street"]),
            "unit_norm": normalize.unit(df["unit"]),
            "zip5": normalize.zip5(df["zip"]),
            "tin": normalize.digits(df["tin"]),
        },
        index=df.index,
    )
    return out


def prepare(data: LinkData) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Normalised feature tables for requests and records.

    Requests also get ``addr_has_zip`` (the 2025 TIN-path address check: the
    free-text address holds a 5- or 9-digit ZIP-like token).  Training data
    keeps its ``person_id`` column for label-based estimation.
    """
    req = request_features(data.requests)
    rec = record_features(data.records)
    if "person_id" in data.requests.columns and data.labels is not None:
        req["person_id"] = data.requests["person_id"].to_numpy()
        rec["person_id"] = data.records["person_id"].to_numpy()
    return req.reset_index(drop=True), rec.reset_index(drop=True)


def request_features(requests: pd.DataFrame) -> pd.DataFrame:
    """The normalised matching columns of requests (with ``addr_has_zip``)."""
    req = _features(requests, "request_id")
    req["addr_has_zip"] = normalize.has_zip_token(requests["address"]).to_numpy()
    return req


# worlds (and training worlds) whose record features are kept, and the largest kept: a
# national file's features would hold gigabytes
CACHED_WORLDS = 2
CACHED_MAX_ROWS = 2_000_000
_CACHE: OrderedDict[str, pd.DataFrame] = OrderedDict()
_READ = ("record_id", "first_name", "last_name", "dob", "house_number", "street", "unit", "zip", "tin")


def content_key(table: pd.DataFrame, columns: tuple[str, ...] | None = None) -> str:
    """A hash of a table's content (``columns``, or all, and the index): equal tables, equal keys."""
    chosen = table if columns is None else table[list(columns)]
    hashed = pd.util.hash_pandas_object(chosen, index=True).to_numpy()
    return f"{len(table)}:{hashlib.blake2b(hashed.tobytes(), digest_size=16).hexdigest()}"


def record_features(records: pd.DataFrame) -> pd.DataFrame:
    """The normalised matching columns of tax records (a fresh copy; equal records, one computation).

    Examples
    --------
    >>> recs = pd.DataFrame({"record_id": [1], "first_name": ["Ana"], "last_name": ["Díaz"],
    ...     "dob": ["1990-01-02"], "house_number": ["12"], "street": ["Main St"], "unit": [None],
    ...     "zip": ["60601"], "tin": ["9XX"]})
    >>> first = record_features(recs)
    >>> first["last_norm"].tolist(), record_features(recs) is not first
    (['DIAZ'], True)
    """
    if len(records) > CACHED_MAX_ROWS:
        return _features(records, "record_id")
    key = content_key(records, _READ)
    if key not in _CACHE:
        _CACHE[key] = _features(records, "record_id")
        while len(_CACHE) > CACHED_WORLDS:
            _CACHE.popitem(last=False)
    _CACHE.move_to_end(key)
    # a copy: strategies add columns to their feature tables
    return _CACHE[key].copy()
