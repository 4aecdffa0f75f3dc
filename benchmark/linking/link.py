"""The ``link`` stage: run one strategy on a dataset folder and write its scored pairs."""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from benchmark.linking.training import load_training, training_data
from benchmark.strategies import Backend, get_strategy, load_link_data
from benchmark.strategies.assignment import one_to_one as assign_one_to_one
from benchmark.strategies.link_data import RECORD_COLUMNS, REQUEST_COLUMNS, LinkData
from benchmark.tables.user_tables import UserTables
from data_gen.dataset import atomic_folder, package_versions, read_manifest, read_table, table_path
from data_gen.errors import InputError

log = logging.getLogger(__name__)


def run_link(
    data: str | Path | UserTables,
    strategy: str,
    out: str | Path,
    *,
    backend: Backend | None = None,
    one_to_one: bool = False,
    force: bool = False,
    write_records: bool = False,
    training: str | Path | None = None,
) -> dict:
    """Link a dataset folder (or user tables read through a mapping) with one strategy.

    Writes ``pairs.parquet`` (request_id, record_id, score, strategy; plus
    request_key and record_key, the original ids, when user tables had text
    ids), any strategy artifacts (e.g. ``model.json``), ``blocking_report.json``
    (pairs per blocking rule and pair completeness against the truth, when
    there is one) and ``link_manifest.json``.  With ``write_records`` it also
    writes ``records.parquet``: every pair with both sides' names, dates of
    birth, addresses and TINs, for clerical review.  It is left out by default
    because it is the one output that holds personal data.

    A supervised strategy learns from ``training``, a stored training world
    (:func:`benchmark.linking.training.write_training_world`), or else from the
    training world of ``data`` generated in memory.

    Returns
    -------
    dict
        The link manifest.

    Raises
    ------
    InputError
        On bad input, or a supervised strategy asked to link user tables (it
        learns from a generated training world of the same scenario).
    """
    backend = backend or Backend()
    cls = get_strategy(strategy)
    source = _source(data, cls)
    with atomic_folder(Path(out), force=force, kind="link", inputs=source.inputs) as tmp:
        started = time.perf_counter()
        instance = cls()
        timings = {}
        if instance.supervised and source.folder is not None:
            log.info("%s: training on a separately seeded world", cls.name)
            t0 = time.perf_counter()
            train = load_training(training) if training else training_data(source.folder)
            instance.fit(train, backend)
            timings["fit"] = time.perf_counter() - t0
        log.info(
            "%s: linking %d requests against %d records on %s",
            cls.name,
            len(source.link_data.requests),
            len(source.link_data.records),
            backend.kind,
        )
        t0 = time.perf_counter()
        pairs = _check_pairs(instance.link(source.link_data, backend), source.link_data, cls.name)
        timings["link"] = time.perf_counter() - t0
        candidates = len(pairs)
        # the blocking report describes the candidates, before any one-to-one assignment
        report = blocking_report(pairs, source.truth, instance.artifacts)
        if one_to_one:
            pairs = assign_one_to_one(pairs)
        pairs = pairs.assign(strategy=cls.name)[["request_id", "record_id", "score", "strategy"]]
        if source.user is not None:
            pairs = with_original_ids(pairs, source.user)
        _write_outputs(tmp, pairs, source.link_data if write_records else None, instance, report)
        link_manifest = {
            "strategy": cls.name,
            "strategy_class": f"{cls.__module__}:{cls.__qualname__}",
            "description": cls.description,
            **cls.style(),
            "natural_threshold": cls.natural_threshold,
            "supervised": cls.supervised,
            "rule": cls.rule,
            "score_scale": cls.score_scale,
            "one_to_one": one_to_one,
            "backend": backend.kind,
            **source.identity,
            "records_written": write_records,
            "candidate_pairs": candidates,
            "pairs": len(pairs),
            "pair_completeness": report["pair_completeness"],
            "timings_seconds": {
                k: round(v, 3)
                for k, v in {**timings, "total": time.perf_counter() - started}.items()
            },
            "packages": package_versions(),
        }
        (tmp / "link_manifest.json").write_text(json.dumps(link_manifest, indent=2) + "\n")
    return link_manifest


@dataclass
class _Source:
    """What a link reads: the tables, the true pairs if known, and what names them."""

    link_data: LinkData
    truth: pd.DataFrame | None
    identity: dict
    inputs: list[Path]
    folder: str | Path | None = None
    user: UserTables | None = None


def _source(data: str | Path | UserTables, cls) -> _Source:
    """Read and check the input (a dataset folder or user tables) before any training."""
    if isinstance(data, UserTables):
        if cls.supervised:
            raise InputError(
                f"strategy {cls.name} learns from a generated training world; user tables "
                "(--requests/--filers) can be linked with the unsupervised strategies only"
            )
        identity = {
            "data": data.describe(),
            "data_config_sha256": None,
            "data_seed": None,
            "data_inputs_sha256": data.inputs_sha256,
        }
        return _Source(data.link_data, data.true_pairs(), identity, data.input_paths, user=data)
    manifest = read_manifest(data)
    identity = {
        "data": str(data),
        "data_config_sha256": manifest.get("config_sha256"),
        "data_seed": manifest.get("seed"),
    }
    link_data = load_link_data(data)
    truth = read_table(data, "truth") if table_path(data, "truth").exists() else None
    return _Source(link_data, truth, identity, [Path(str(data))], folder=data)


def _write_outputs(
    tmp: Path, pairs: pd.DataFrame, records_of: LinkData | None, instance, report: dict
) -> None:
    """pairs.parquet, records.parquet (only when asked), the strategy's artifacts, the blocking report."""
    pq.write_table(pa.Table.from_pandas(pairs, preserve_index=False), tmp / "pairs.parquet")
    if records_of is not None:
        records = review_records(pairs, records_of)
        pq.write_table(pa.Table.from_pandas(records, preserve_index=False), tmp / "records.parquet")
    for name, artifact in instance.artifacts.items():
        if name != "blocking_rules.json":
            (tmp / name).write_text(json.dumps(artifact, indent=2, default=str) + "\n")
    (tmp / "blocking_report.json").write_text(json.dumps(report, indent=2) + "\n")


def with_original_ids(pairs: pd.DataFrame, user: UserTables) -> pd.DataFrame:
    """Add request_key / record_key (the user's own text ids) where ids had to be numbered."""
    out = pairs
    for keys, id_column, key_column in (
        (user.request_keys, "request_id", "request_key"),
        (user.record_keys, "record_id", "record_key"),
    ):
        if keys is not None:
            out = out.assign(**{key_column: keys.reindex(out[id_column]).to_numpy()})
    return out


def review_records(pairs: pd.DataFrame, data: LinkData) -> pd.DataFrame:
    """Each pair beside both sides' fields (``request_*`` and ``record_*`` columns)."""
    req = data.requests[list(REQUEST_COLUMNS)].rename(
        columns={c: f"request_{c}" for c in REQUEST_COLUMNS[1:]}
    )
    rec = data.records[list(RECORD_COLUMNS)].rename(
        columns={c: f"record_{c}" for c in RECORD_COLUMNS[1:]}
    )
    return pairs.merge(req, on="request_id", how="left").merge(rec, on="record_id", how="left")


def _check_pairs(pairs: pd.DataFrame, data, name: str) -> pd.DataFrame:
    """A strategy's output must be request_id, record_id, score with known ids and finite scores."""
    missing = [c for c in ("request_id", "record_id", "score") if c not in pairs.columns]
    if missing:
        raise InputError(f"strategy {name}: output lacks column(s) {', '.join(missing)}")
    out = pairs.copy()
    try:
        out["request_id"] = out["request_id"].astype("int64")
        out["record_id"] = out["record_id"].astype("int64")
        out["score"] = out["score"].astype("float64")
    except (TypeError, ValueError) as exc:
        raise InputError(
            f"strategy {name}: ids must be integers and scores numbers ({exc})"
        ) from None
    if not np.isfinite(out["score"]).all():
        raise InputError(f"strategy {name}: scores must be finite numbers")
    if not out["request_id"].isin(data.requests["request_id"]).all():
        raise InputError(f"strategy {name}: output names request ids that are not in the data")
    if not out["record_id"].isin(data.records["record_id"]).all():
        raise InputError(f"strategy {name}: output names record ids that are not in the data")
    if out["request_id"].isna().any() or out["record_id"].isna().any():
        raise InputError(f"strategy {name}: output has missing request or record ids")
    # a pair returned twice keeps its best score
    out = out.sort_values("score", ascending=False, kind="stable").drop_duplicates(
        ["request_id", "record_id"]
    )
    return out.sort_values(["request_id", "record_id"], ignore_index=True)


def blocking_report(pairs: pd.DataFrame, truth: pd.DataFrame | None, artifacts: dict) -> dict:
    """Candidate pairs per blocking rule and pair completeness against the truth (if there is one)."""
    if truth is None:
        return {
            "candidate_pairs": int(len(pairs)),
            "true_pairs": None,
            "true_pairs_found": None,
            "pair_completeness": None,
            "rules": artifacts.get("blocking_rules.json"),
        }
    true = truth.merge(
        pairs[["request_id", "record_id"]],
        on=["request_id", "record_id"],
        how="left",
        indicator=True,
    )
    found = int((true["_merge"] == "both").sum())
    report = {
        "candidate_pairs": int(len(pairs)),
        "true_pairs": int(len(truth)),
        "true_pairs_found": found,
        "pair_completeness": found / len(truth) if len(truth) else None,
    }
    rules = artifacts.get("blocking_rules.json")
    if rules:
        if "match_key" in pairs.columns:
            hit = pairs.merge(truth, on=["request_id", "record_id"])
            per_rule = hit.groupby("match_key").size()
            for rule in rules:
                rule["true_pairs_first_found"] = int(per_rule.get(rule["match_key"], 0))
        report["rules"] = rules
    return report
