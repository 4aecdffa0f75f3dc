"""Running Splink jobs on a backend and mapping its pairs back to request/record ids."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from benchmark.strategies.backends import Backend

REQUESTS = "requests"
RECORDS = "records"


def register(
    backend: Backend, req: pd.DataFrame, rec: pd.DataFrame, columns: list[str]
) -> tuple[Any, Any]:
    """Register the request and record feature tables with a fresh Splink database API."""
    db_api = backend.db_api()
    keep = ["unique_id", *[c for c in columns if c != "unique_id"]]
    # table names are unique per job: a Spark session outlives one job
    job = uuid.uuid4().hex[:12]
    sdf_req = db_api.register(
        req[keep], dataset_display_name=REQUESTS, table_name=f"requests_{job}"
    )
    sdf_rec = db_api.register(rec[keep], dataset_display_name=RECORDS, table_name=f"records_{job}")
    return sdf_req, sdf_rec


def to_pairs(df: pd.DataFrame, score: pd.Series | float) -> pd.DataFrame:
    """Map Splink's (l, r) output to request_id, record_id, score, match_key.

    In a link-only job Splink orders each pair by source dataset, so the
    request may be on either side; ``source_dataset_l`` says which.
    """
    left_is_request = df["source_dataset_l"].to_numpy() == REQUESTS
    request_id = df["unique_id_l"].where(left_is_request, df["unique_id_r"])
    record_id = df["unique_id_r"].where(left_is_request, df["unique_id_l"])
    out = pd.DataFrame(
        {
            "request_id": request_id.astype("int64").to_numpy(),
            "record_id": record_id.astype("int64").to_numpy(),
            # rounded: DuckDB's parallel sums make the last bits of EM weights vary run to run
            "score": np.round(score.to_numpy(dtype=float), 9)
            if isinstance(score, pd.Series)
            else score,
        }
    )
    if "match_key" in df.columns:
        out["match_key"] = df["match_key"].astype("int64").to_numpy()
    return out.sort_values(["request_id", "record_id"], ignore_index=True)


PAIR_COLUMNS = ("source_dataset_l", "unique_id_l", "unique_id_r", "match_key")


def select_columns(frame: Any, keep: Callable[[str], bool]) -> pd.DataFrame:
    """The columns of a Splink result that ``keep`` accepts, as pandas.

    The whole output of a large predict (both records' columns, weights and
    term frequencies for every candidate pair) would not fit in memory; only
    the chosen columns leave the backend.
    """
    names = frame.query_sql("SELECT * FROM {this} LIMIT 0").as_pandas_dataframe().columns
    chosen = [c for c in names if keep(c)]
    return frame.query_sql(f"SELECT {', '.join(chosen)} FROM {{this}}").as_pandas_dataframe()


def deterministic_pairs(
    backend: Backend, req: pd.DataFrame, rec: pd.DataFrame, rules: list, columns: list[str]
) -> pd.DataFrame:
    """Pairs satisfying any of ``rules`` (Splink blocking rules), via ``deterministic_link``."""
    from splink import Linker, SettingsCreator

    sdf_req, sdf_rec = register(backend, req, rec, columns)
    settings = SettingsCreator(
        link_type="link_only",
        unique_id_column_name="unique_id",
        blocking_rules_to_generate_predictions=rules,
        comparisons=[],
        retain_matching_columns=False,
    )
    linker = Linker([sdf_req, sdf_rec], settings, log_level=logging.ERROR)
    out = select_columns(linker.inference.deterministic_link(), lambda c: c in PAIR_COLUMNS)
    return to_pairs(out, 1.0)
