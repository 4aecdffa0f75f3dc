"""Normalised matching columns, computed the same way for requests and records."""

from __future__ import annotations

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


def record_features(records: pd.DataFrame) -> pd.DataFrame:
    """The normalised matching columns of tax records."""
    return _features(records, "record_id")
