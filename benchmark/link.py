"""The ``link`` stage: run one strategy on a dataset folder and write its scored pairs."""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from benchmark.assignment import one_to_one as assign_one_to_one
from benchmark.strategies import Backend, get_strategy, load_link_data, training_data
from data_gen.dataset import atomic_folder, package_versions, read_manifest, read_table, table_path
from data_gen.errors import InputError

log = logging.getLogger(__name__)


def run_link(
    data: str | Path,
    strategy: str,
    out: str | Path,
    *,
    backend: Backend | None = None,
    one_to_one: bool = False,
    force: bool = False,
) -> dict:
    """Link a dataset folder with one strategy and write the link folder.

    Writes ``pairs.parquet`` (request_id, record_id, score, strategy), any
    strategy artifacts (e.g. ``model.json``), ``blocking_report.json`` (pairs
    per blocking rule and pair completeness against the truth, computed here,
    after the strategy has run) and ``link_manifest.json``.

    Returns
    -------
    dict
        The link manifest.
    """
    backend = backend or Backend()
    out = Path(out)
    cls = get_strategy(strategy)
    manifest = read_manifest(data)
    with atomic_folder(out, force=force) as tmp:
        started = time.perf_counter()
        instance = cls()
        timings = {}
        link_data = load_link_data(data)  # validate the input before any training
        if instance.supervised:
            log.info("%s: training on a separately seeded world", cls.name)
            t0 = time.perf_counter()
            instance.fit(training_data(data), backend)
            timings["fit"] = time.perf_counter() - t0
        log.info(
            "%s: linking %d requests against %d records on %s",
            cls.name,
            len(link_data.requests),
            len(link_data.records),
            backend.kind,
        )
        t0 = time.perf_counter()
        pairs = _check_pairs(instance.link(link_data, backend), link_data, cls.name)
        timings["link"] = time.perf_counter() - t0
        candidates = len(pairs)
        truth_path = table_path(data, "truth")
        # the blocking report describes the candidates, before any one-to-one assignment
        report = blocking_report(
            pairs, read_table(data, "truth") if truth_path.exists() else None, instance.artifacts
        )
        if one_to_one:
            pairs = assign_one_to_one(pairs)
        pairs = pairs.assign(strategy=cls.name)[["request_id", "record_id", "score", "strategy"]]
        pq.write_table(pa.Table.from_pandas(pairs, preserve_index=False), tmp / "pairs.parquet")
        for name, artifact in instance.artifacts.items():
            if name != "blocking_rules.json":
                (tmp / name).write_text(json.dumps(artifact, indent=2, default=str) + "\n")
        (tmp / "blocking_report.json").write_text(json.dumps(report, indent=2) + "\n")
        link_manifest = {
            "strategy": cls.name,
            "strategy_class": f"{cls.__module__}:{cls.__qualname__}",
            "description": cls.description,
            "natural_threshold": cls.natural_threshold,
            "supervised": cls.supervised,
            "rule": cls.rule,
            "one_to_one": one_to_one,
            "backend": backend.kind,
            "data": str(data),
            "data_config_sha256": manifest.get("config_sha256"),
            "data_seed": manifest.get("seed"),
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
