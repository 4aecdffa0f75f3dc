"""Error causes: why a wrong person was confirmed, with the recording errors behind it.

:func:`error_causes` gives each wrong-person disclosure its route
(:func:`~benchmark.evaluation.error_routes.wrong_person_routes`) and the
``field:noise_type`` codes of the noise log's recording errors in the request
row and the disclosed record row; :func:`cause_counts` counts them per key
combination and route.  Ids and codes only, never names.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from benchmark.evaluation.error_routes import (
    COUNT_COLUMNS,
    ROUTE_NAMES,
    ROUTES,
    wrong_person_routes,
)
from data_gen.dataset import read_table, table_path
from data_gen.errors import InputError

log = logging.getLogger(__name__)

# the columns wrong_person_routes reads of each world table
COLUMNS: dict[str, tuple[str, ...]] = {
    "persons": ("person_id", "household_id"),
    "addresses": ("address_id", "building_id", "zip"),
    "irs_filers": ("record_id", "tin"),
    "requests": ("request_id", "tin"),
    "request_truth": ("request_id", "person_id", "tin_source", "tin_owner_person_id")
    + ("address_kind", "true_address_id"),
    "irs_truth": ("record_id", "person_id", "household_id", "address_id"),
}
# of data_gen.noise.LOG_COLUMNS (not imported: evaluation never loads the generator)
NOISE_COLUMNS = ("table", "record_key", "field", "noise")
PAIR = ["request_id", "record_id"]
CAUSE_COLUMNS = (*PAIR, "carried_tin", "route", "request_errors", "record_errors")
ERROR_COLUMNS = ("with_request_error", "with_record_error", "top_request_error", "top_record_error")
CAUSE_COUNT_COLUMNS = (*COUNT_COLUMNS, *ERROR_COLUMNS)


def _missing(tables: Mapping[str, pd.DataFrame]) -> list[str]:
    """``table.column`` for every needed column (noise log included) that is absent."""
    need = {**COLUMNS, "noise_log": NOISE_COLUMNS}
    return [f"{n}.{c}" for n, cols in need.items() for c in cols if c not in tables.get(n, ())]


@dataclass(frozen=True, eq=False)
class CauseTables:
    """The world tables the error causes are read from (only the columns they need).

    Attributes
    ----------
    persons, addresses, irs_filers, requests, request_truth, irs_truth : DataFrame
        The world's tables, with the columns of :data:`COLUMNS`.
    noise_log : DataFrame
        The recording errors of requests and irs_filers: table, record_key, field, noise.
    """

    persons: pd.DataFrame
    addresses: pd.DataFrame
    irs_filers: pd.DataFrame
    requests: pd.DataFrame
    request_truth: pd.DataFrame
    irs_truth: pd.DataFrame
    noise_log: pd.DataFrame

    @classmethod
    def of(
        cls, tables: Mapping[str, pd.DataFrame], noise_log: pd.DataFrame | None = None
    ) -> CauseTables:
        """The cause tables of in-memory world tables (a generated world's, say).

        Raises
        ------
        ValueError
            If a table or column is missing.
        """
        if noise_log is None:
            log.info("no noise log: no recording errors to report")
            noise_log = pd.DataFrame(columns=list(NOISE_COLUMNS))
        missing = _missing({**tables, "noise_log": noise_log})
        if missing:
            raise ValueError(f"error causes need {', '.join(missing)}")
        rows = noise_log["table"].isin(["requests", "irs_filers"]).to_numpy()
        picked = {name: tables[name][list(cols)] for name, cols in COLUMNS.items()}
        return cls(
            **picked, noise_log=noise_log.loc[rows, list(NOISE_COLUMNS)].reset_index(drop=True)
        )

    @property
    def tables(self) -> dict[str, pd.DataFrame]:
        """The world tables by name, as :func:`wrong_person_routes` takes them."""
        return {name: getattr(self, name) for name in COLUMNS}


def load_cause_tables(folder: str | Path) -> CauseTables:
    """Read the cause tables of a dataset folder.

    Parameters
    ----------
    folder : str or Path
        A dataset folder.  Without a ``noise_log`` table the noise log is empty.

    Raises
    ------
    InputError
        If a table or one of the columns it needs is missing or unreadable.
    """
    tables = {name: read_table(folder, name, list(cols)) for name, cols in COLUMNS.items()}
    logged = table_path(folder, "noise_log").exists()
    noise_log = read_table(folder, "noise_log", list(NOISE_COLUMNS)) if logged else None
    try:
        return CauseTables.of(tables, noise_log)
    except ValueError as exc:
        raise InputError(f"{folder}: {exc}") from None


def _errors(noise_log: pd.DataFrame, table: str, keys: np.ndarray) -> np.ndarray:
    """The sorted, ``;``-joined ``field:noise`` codes of the rows ``keys`` of ``table``."""
    rows = noise_log[(noise_log["table"] == table).to_numpy()]
    rows = rows[rows["record_key"].isin(pd.unique(keys)).to_numpy()]
    if rows.empty:
        return np.full(len(keys), "", dtype=object)
    code = rows["field"].astype(str) + ":" + rows["noise"].astype(str)
    codes = pd.DataFrame({"key": rows["record_key"].to_numpy(), "code": code.to_numpy()})
    codes = codes.drop_duplicates().sort_values(["key", "code"])
    joined = codes.groupby("key", sort=False)["code"].agg(";".join)
    return pd.Series(keys).map(joined).fillna("").to_numpy(dtype=object)


def error_causes(
    wrong: pd.DataFrame, cause: CauseTables, keys: Sequence[str] | None = None
) -> pd.DataFrame:
    """The route and recording errors of each wrong-person disclosure.

    Parameters
    ----------
    wrong : DataFrame
        One row per wrong-person disclosure: request_id, record_id and key
        columns (strategy, assignment, operating_point ...).
    cause : CauseTables
        The world's tables (:func:`load_cause_tables` or :meth:`CauseTables.of`).
    keys : sequence of str, optional
        The key columns to keep; by default every column of ``wrong`` other
        than request_id and record_id.

    Returns
    -------
    DataFrame
        One row per row of ``wrong``, in its order: the key columns, then
        :data:`CAUSE_COLUMNS`.  ``route`` is one of :data:`ROUTE_NAMES`;
        ``request_errors`` and ``record_errors`` are the distinct
        ``field:noise_type`` codes of the recording errors that changed the
        request row and the disclosed record row, sorted, ``;``-joined ("" if none).

    Raises
    ------
    ValueError
        If a column is missing, or a key is named like an output column.
    """
    keys = [c for c in wrong.columns if c not in PAIR] if keys is None else list(keys)
    missing = [c for c in (*PAIR, *keys) if c not in wrong.columns]
    if missing:
        raise ValueError(f"error_causes: missing {', '.join(missing)}")
    clash = [c for c in keys if c in CAUSE_COLUMNS]
    if clash:
        raise ValueError(f"error_causes: key(s) named like an output column: {', '.join(clash)}")
    pairs = wrong[PAIR].drop_duplicates().reset_index(drop=True)
    routes = wrong_person_routes(pairs, cause.tables, cause.noise_log)
    routes["request_errors"] = _errors(cause.noise_log, "requests", pairs["request_id"].to_numpy())
    routes["record_errors"] = _errors(cause.noise_log, "irs_filers", pairs["record_id"].to_numpy())
    out = wrong[[*keys, *PAIR]].reset_index(drop=True)
    out = out.merge(routes, on=PAIR, how="left", validate="many_to_one", sort=False)
    log.debug("causes of %d wrong-person disclosures (%d distinct pairs)", len(out), len(pairs))
    return out[[*keys, *CAUSE_COLUMNS]]


def _top(cell: np.ndarray, errors: pd.Series, size: int) -> np.ndarray:
    """The most frequent code of each cell among ``errors`` (ties: first in sort order)."""
    top = np.full(size, "", dtype=object)
    has = (errors != "").to_numpy()
    if not has.any():
        return top
    codes = pd.DataFrame({"cell": cell[has], "code": errors[has].str.split(";").to_numpy()})
    codes = codes.explode("code").groupby(["cell", "code"]).size().reset_index(name="n")
    codes = codes.sort_values(["cell", "n", "code"], ascending=[True, False, True])
    codes = codes.drop_duplicates("cell")  # the first, most frequent code of each cell
    top[codes["cell"].to_numpy(dtype=np.int64)] = codes["code"].to_numpy(dtype=object)
    return top


def cause_counts(
    per_disclosure: pd.DataFrame, keys: Sequence[str], combinations: pd.DataFrame | None = None
) -> pd.DataFrame:
    """The wrong-person disclosures of each key combination by route.

    Parameters
    ----------
    per_disclosure : DataFrame
        The table of :func:`error_causes` (needs ``keys``, route,
        request_errors and record_errors).
    keys : sequence of str
        The columns to count per (may be empty: one count over all rows).
    combinations : DataFrame, optional
        Key combinations to include even without a wrong-person disclosure
        (each strategy at its main point, say); their counts are zero.

    Returns
    -------
    DataFrame
        Per key combination (by first appearance, then those only in
        ``combinations``) one row per route of :data:`ROUTES`, in order, zeros
        included: the keys, then :data:`CAUSE_COUNT_COLUMNS`.  ``share`` is of
        the combination's wrong-person disclosures (NaN if none);
        ``with_request_error`` (``with_record_error``) counts those whose
        request (record) had a recording error, and ``top_request_error``
        (``top_record_error``) is their most frequent code ("" if none; ties
        go to the first in sort order).

    Examples
    --------
    >>> d = pd.DataFrame({"s": ["a", "a", "b"], "route": ["stranger_number"] * 2 + ["namesake_elsewhere"],
    ...                   "request_errors": ["tin:typo", "", ""], "record_errors": ""})
    >>> c = cause_counts(d, ["s"])
    >>> len(c), c.groupby("s")["disclosures"].sum().to_dict()
    (20, {'a': 2, 'b': 1})
    >>> row = c.iloc[1]  # a, stranger_number
    >>> int(row["disclosures"]), float(row["share"]), int(row["with_request_error"]), row["top_request_error"]
    (2, 1.0, 1, 'tin:typo')
    """
    keys = list(keys)
    df = per_disclosure.reset_index(drop=True)
    missing = [c for c in (*keys, "route", "request_errors", "record_errors") if c not in df]
    if missing:
        raise ValueError(f"cause_counts: missing {', '.join(missing)}")
    unknown = set(df["route"]) - set(ROUTE_NAMES)
    if unknown:
        raise ValueError(f"unknown route(s): {', '.join(sorted(map(str, unknown)))}")
    if keys:
        combo = df.groupby(keys, sort=False, dropna=False).ngroup().to_numpy(dtype=np.int64)
        combos = df.loc[~pd.Series(combo).duplicated().to_numpy(), keys]
        if combinations is not None:
            extra = combinations[keys].drop_duplicates()
            extra = extra.merge(combos, on=keys, how="left", indicator=True)
            combos = pd.concat([combos, extra.loc[extra["_merge"] == "left_only", keys]])
        combos = combos.reset_index(drop=True)
    else:
        combo = np.zeros(len(df), dtype=np.int64)
        combos = pd.DataFrame(index=range(1))
    n, r = len(combos), len(ROUTES)
    cell = combo * r + pd.Categorical(df["route"], categories=ROUTE_NAMES).codes.astype(np.int64)
    disclosures = np.bincount(cell, minlength=n * r).astype(np.int64)
    totals = np.repeat(disclosures.reshape(n, r).sum(axis=1), r)
    share = np.divide(disclosures, totals, out=np.full(n * r, np.nan), where=totals > 0)
    out = combos.iloc[np.repeat(np.arange(n), r)].reset_index(drop=True)
    out["route"] = np.tile(ROUTE_NAMES, n)
    out["label"] = np.tile([route.label for route in ROUTES], n)
    out["disclosures"] = disclosures
    out["share"] = share
    for side in ("request", "record"):
        errors = df[f"{side}_errors"].fillna("").astype(str)
        hit = (errors != "").to_numpy(dtype=float)
        out[f"with_{side}_error"] = np.bincount(cell, hit, minlength=n * r).astype(np.int64)
        out[f"top_{side}_error"] = _top(cell, errors, n * r)
    return out[[*keys, *CAUSE_COUNT_COLUMNS]]


def top_routes(counts: pd.DataFrame, n: int = 3) -> pd.DataFrame:
    """The ``n`` routes with most disclosures of each key combination of ``counts``.

    Parameters
    ----------
    counts : DataFrame
        The table of :func:`cause_counts`; its keys are the columns before ``route``.
    n : int
        How many routes to keep per combination.

    Returns
    -------
    DataFrame
        The rows of ``counts`` with at least one disclosure, at most ``n`` per
        combination, most disclosures first (ties in :data:`ROUTES` order).
    """
    keys = list(counts.columns[: list(counts.columns).index("route")])
    rows = counts[(counts["disclosures"] > 0).to_numpy()]
    combo = rows.groupby(keys, sort=False, dropna=False).ngroup() if keys else 0
    rows = rows.assign(_combo=combo, _route=rows["route"].map(ROUTE_NAMES.index))
    rows = rows.sort_values(["_combo", "disclosures", "_route"], ascending=[True, False, True])
    return rows.groupby("_combo", sort=False).head(n).drop(columns=["_combo", "_route"])
