"""Bring your own data: two tables (CSV or Parquet) and a TOML mapping, made ready for linking.

This module builds the inputs of linking and evaluation from the tables:
the :class:`~benchmark.strategies.link_data.LinkData` strategies see (ids
numbered, TIN types derived), the ground-truth entities when the mapping names
them, and the hash that identifies the inputs.  The mapping is read by
:mod:`benchmark.tables.mapping` and each table by :mod:`benchmark.tables.reading`;
every check runs before any work starts and fails with one line naming the
file, column or row (:class:`~data_gen.errors.InputError`).  The tables become
the same ``LinkData`` a generated dataset folder gives, so every unsupervised
strategy and the evaluation run on them unchanged.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from benchmark.strategies.link_data import RECORD_COLUMNS, REQUEST_COLUMNS, LinkData
from benchmark.tables.mapping import TABLES, Mapping, load_mapping
from benchmark.tables.reading import read_user_table
from data_gen.errors import InputError

log = logging.getLogger(__name__)


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


def load_user_tables(requests: str | Path, filers: str | Path, mapping: str | Path) -> UserTables:
    """Read and check a request table and a filer table through a mapping file.

    Parameters
    ----------
    requests, filers : path
        CSV (UTF-8, header row) or Parquet files.
    mapping : path
        The TOML mapping (see :mod:`benchmark.tables.mapping`).

    Returns
    -------
    UserTables

    Raises
    ------
    InputError
        If both paths name one file, or on any problem listed in
        :func:`~benchmark.tables.mapping.load_mapping` or
        :func:`~benchmark.tables.reading.read_user_table`.
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
    files = {name: _sha256(paths[name]) for name in TABLES}
    files["mapping"] = _sha256(Path(mapping))
    tables = UserTables(
        requests_path=paths["requests"],
        filers_path=paths["filers"],
        mapping=spec,
        link_data=_link_data(req, request_ids, rec, record_ids),
        inputs_sha256=_inputs_digest(files),
        request_keys=request_keys,
        record_keys=record_keys,
        files=files,
    )
    if spec.has_truth:
        tables.request_entity, tables.record_entity = _entities(req, request_ids, rec, record_ids)
    log.info(
        "read %d requests from %s and %d records from %s%s",
        len(req),
        paths["requests"],
        len(rec),
        paths["filers"],
        " with ground truth" if spec.has_truth else " (no ground truth)",
    )
    return tables


def _link_data(
    req: pd.DataFrame, request_ids: np.ndarray, rec: pd.DataFrame, record_ids: np.ndarray
) -> LinkData:
    """The tables strategies see, under the generated tables' column names."""
    requests_table = _with_columns(request_ids, "request_id", req, REQUEST_COLUMNS[1:])
    records_table = _with_columns(record_ids, "record_id", rec, RECORD_COLUMNS[1:])
    records_table["tin_type"] = _tin_type(records_table["tin"])
    return LinkData(requests=requests_table, records=records_table, name="user tables")


def _inputs_digest(files: dict[str, str]) -> str:
    """One hash over the files' hashes, in the order of their names."""
    return hashlib.sha256(
        "\n".join(f"{k}={v}" for k, v in sorted(files.items())).encode()
    ).hexdigest()


def _entities(
    req: pd.DataFrame, request_ids: np.ndarray, rec: pd.DataFrame, record_ids: np.ndarray
) -> tuple[pd.Series, pd.Series]:
    """Each request's and record's entity as a number shared across the tables (null: none)."""
    entities = pd.concat([req["entity_id"], rec["entity_id"]], ignore_index=True)
    codes = pd.Series(pd.factorize(entities)[0], dtype="int64").where(entities.notna())
    request_entity = pd.Series(
        codes.iloc[: len(req)].to_numpy(), index=pd.Index(request_ids, name="request_id")
    )
    record_entity = pd.Series(
        codes.iloc[len(req) :].to_numpy(), index=pd.Index(record_ids, name="record_id")
    )
    return request_entity, record_entity


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


def _sha256(path: Path) -> str:
    """The file's SHA-256, read a megabyte at a time."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
