"""Error routes: why a wrong person was confirmed.

Every wrong-person disclosure (a disclosed tax record whose person is not the
requested person) is put down to exactly one *route*, read off the world's
truth tables.  The routes are tried in the order of :data:`ROUTES` and the
first that applies wins; the last, ``namesake_elsewhere``, always applies.

1. ``household_member_number``: the request carried a borrowed number, the
   record's TIN is that number, the record is the lender's and the lender
   lives in the requested person's household.
2. ``stranger_number``: the same, with a lender from another household.
3. ``mistyped_number``: any other record whose TIN equals the request's: a
   recording error changed the request's or the record's TIN cell (the noise
   log says which), or the number is shared some other way.  A lent number
   with such an error counts here, not under 1-2: it agrees by mistake.
4. ``relative_at_family_address``: the record's person lives in the requested
   person's household.
5. ``outdated_address_now_someone_elses``: the request gave an outdated
   address and the record is at that address.
6. ``junk_or_detention_address``: the request's address was junk or a
   detention facility.
7. ``namesake_same_address``: the record is at the request's true address.
8. ``namesake_same_building`` and ``namesake_same_zip``: the record's address
   is in the same building, or the same ZIP code, as the request's.
9. ``namesake_elsewhere``: everything else.

Routes 1-3 need a request that carried a TIN.  People who left the area are in
``persons`` (role ``absent``) with the household they left, so a relative at
the family address is found for them too.  Ids and counts only, no names.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Route:
    """One way a wrong person gets confirmed.

    Attributes
    ----------
    name : str
        Machine name, as in the ``route`` column.
    label : str
        A plain-English phrase for a report ("a stranger's number").
    """

    name: str
    label: str


ROUTES: tuple[Route, ...] = (
    Route("household_member_number", "a household member's number"),
    Route("stranger_number", "a stranger's number"),
    Route("mistyped_number", "a mistyped number"),
    Route("relative_at_family_address", "a relative at the family address"),
    Route("outdated_address_now_someone_elses", "an outdated address now someone else's"),
    Route("junk_or_detention_address", "a junk or detention address"),
    Route("namesake_same_address", "a namesake at the same address"),
    Route("namesake_same_building", "a namesake in the same building"),
    Route("namesake_same_zip", "a namesake in the same ZIP code"),
    Route("namesake_elsewhere", "a namesake elsewhere"),
)
ROUTE_NAMES = tuple(route.name for route in ROUTES)
ROUTE_COLUMNS = ("request_id", "record_id", "carried_tin", "route")
COUNT_COLUMNS = ("route", "label", "disclosures", "share")
TABLES = ("persons", "addresses", "irs_filers", "requests", "request_truth", "irs_truth")


def _at(keys: np.ndarray, table: pd.DataFrame, key: str) -> np.ndarray:
    """The row of ``table`` holding each key in its ``key`` column; -1 where none does."""
    return pd.Index(table[key]).get_indexer(keys)


def _take(codes: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """``codes`` at ``rows``; -1 where the row is -1."""
    if len(codes) == 0:
        return np.full(len(rows), -1, dtype=np.int64)
    return np.where(rows >= 0, codes[np.maximum(rows, 0)], -1)


def _ids(column: pd.Series, rows: np.ndarray) -> np.ndarray:
    """The (non-negative) ids of ``column`` at ``rows``; -1 where missing."""
    ids = pd.to_numeric(column).fillna(-1).to_numpy(dtype=np.int64)
    return _take(ids, rows)


def _text(column: pd.Series, rows: np.ndarray) -> np.ndarray:
    """The values of ``column`` at ``rows``, as objects; None where the row is -1."""
    values = np.full(len(rows), None, dtype=object)
    found = rows >= 0
    values[found] = column.to_numpy(dtype=object)[rows[found]]
    return values


def _same(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Element-wise equality of codes; False wherever either is missing (-1)."""
    return (a == b) & (a >= 0)


def _tin_codes(request_tins: np.ndarray, record_tins: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Codes of the TINs' digits, equal where the numbers are; -1 where there is none."""
    text = pd.Series(np.concatenate([request_tins, record_tins]), dtype="string")
    digits = text.str.replace(r"\D", "", regex=True)
    codes = pd.factorize(digits.where(digits.str.len() > 0))[0].astype(np.int64)
    return codes[: len(request_tins)], codes[len(request_tins) :]


def _changed(noise_log: pd.DataFrame, table: str, keys: np.ndarray) -> np.ndarray:
    """Whether a recording error changed the ``tin`` cell of each key of ``table``."""
    if noise_log.empty:
        return np.zeros(len(keys), dtype=bool)
    rows = (noise_log["table"] == table) & (noise_log["field"] == "tin")
    return np.isin(keys, noise_log.loc[rows, "record_key"].to_numpy())


def wrong_person_routes(
    wrong: pd.DataFrame, tables: Mapping[str, pd.DataFrame], noise_log: pd.DataFrame
) -> pd.DataFrame:
    """The route of each wrong-person disclosure.

    Parameters
    ----------
    wrong : DataFrame
        The wrong-person disclosures: request_id, record_id (other columns
        are ignored).
    tables : mapping of str to DataFrame
        The world's tables; uses persons, addresses, irs_filers, requests,
        request_truth and irs_truth.  Ids are non-negative (-1 means none).
    noise_log : DataFrame
        The recording errors: table, record_key, field, ... (record_key is a
        request id for ``requests`` and a record id for ``irs_filers``).

    Returns
    -------
    DataFrame
        One row per row of ``wrong``, in its order, with
        :data:`ROUTE_COLUMNS`: ``carried_tin`` says whether the request
        carried a TIN and ``route`` is one of :data:`ROUTE_NAMES`.

    Raises
    ------
    ValueError
        If a table, or request_id or record_id of ``wrong``, is missing.
    """
    missing = [name for name in TABLES if name not in tables]
    if missing or not {"request_id", "record_id"} <= set(wrong.columns):
        raise ValueError(
            f"wrong_person_routes needs request_id, record_id and the tables {', '.join(TABLES)}"
            + (f"; missing {', '.join(missing)}" if missing else "")
        )
    out = wrong[["request_id", "record_id"]].reset_index(drop=True)
    req, rec = out["request_id"].to_numpy(), out["record_id"].to_numpy()
    truth, irs, persons, addresses = (
        tables[name] for name in ("request_truth", "irs_truth", "persons", "addresses")
    )
    fact_rows, record_rows = _at(req, truth, "request_id"), _at(rec, irs, "record_id")

    request_tin, record_tin = _tin_codes(
        _text(tables["requests"]["tin"], _at(req, tables["requests"], "request_id")),
        _text(tables["irs_filers"]["tin"], _at(rec, tables["irs_filers"], "record_id")),
    )
    same_tin = _same(request_tin, record_tin)
    tin_changed = _changed(noise_log, "requests", req) | _changed(noise_log, "irs_filers", rec)

    def home(people: np.ndarray) -> np.ndarray:
        return _ids(persons["household_id"], _at(people, persons, "person_id"))

    owner = _ids(truth["tin_owner_person_id"], fact_rows)
    kind = _text(truth["address_kind"], fact_rows)
    requested_household = home(_ids(truth["person_id"], fact_rows))
    true_address = _ids(truth["true_address_id"], fact_rows)
    record_address = _ids(irs["address_id"], record_rows)
    lent = (
        same_tin
        & (_text(truth["tin_source"], fact_rows) == "borrowed")
        & _same(_ids(irs["person_id"], record_rows), owner)
        & ~tin_changed
    )
    lender_at_home = _same(home(owner), requested_household)

    def same_place(column: str) -> np.ndarray:
        codes = pd.factorize(addresses[column])[0].astype(np.int64)
        return _same(
            _take(codes, _at(record_address, addresses, "address_id")),
            _take(codes, _at(true_address, addresses, "address_id")),
        )

    at_true_address = _same(record_address, true_address)
    conditions = [
        lent & lender_at_home,
        lent & ~lender_at_home,
        same_tin,
        _same(_ids(irs["household_id"], record_rows), requested_household),
        (kind == "outdated") & at_true_address,
        (kind == "junk") | (kind == "detention"),
        at_true_address,
        same_place("building_id"),
        same_place("zip"),
    ]
    out["carried_tin"] = request_tin >= 0
    out["route"] = np.select(conditions, ROUTE_NAMES[:-1], default=ROUTE_NAMES[-1])
    log.debug("routed %d wrong-person disclosures", len(out))
    return out[list(ROUTE_COLUMNS)]


def route_counts(routes: pd.DataFrame) -> pd.DataFrame:
    """How many wrong-person disclosures took each route.

    Parameters
    ----------
    routes : DataFrame
        The table of :func:`wrong_person_routes` (needs ``route``).

    Returns
    -------
    DataFrame
        One row per route of :data:`ROUTES`, in that order, zero counts
        included, with :data:`COUNT_COLUMNS`: ``share`` is the share of all
        wrong-person disclosures (NaN when there are none).

    Examples
    --------
    >>> r = pd.DataFrame({"route": ["stranger_number", "stranger_number", "namesake_elsewhere"]})
    >>> c = route_counts(r).set_index("route")
    >>> int(c.loc["stranger_number", "disclosures"]), float(round(c.loc["stranger_number", "share"], 3))
    (2, 0.667)
    >>> int(c["disclosures"].sum()), len(c)
    (3, 10)
    """
    unknown = set(routes["route"]) - set(ROUTE_NAMES)
    if unknown:
        raise ValueError(f"unknown route(s): {', '.join(sorted(map(str, unknown)))}")
    counts = routes["route"].value_counts().reindex(ROUTE_NAMES, fill_value=0).astype("int64")
    total = int(counts.sum())
    return pd.DataFrame(
        {
            "route": list(ROUTE_NAMES),
            "label": [route.label for route in ROUTES],
            "disclosures": counts.to_numpy(),
            "share": counts.to_numpy() / total if total else np.full(len(ROUTES), np.nan),
        }
    )
