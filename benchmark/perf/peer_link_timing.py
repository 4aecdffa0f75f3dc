"""``splink`` against recordlinkage on one world: both timed, scored and cross-checked.

recordlinkage builds its candidate pairs from the ``splink`` strategy's own
blocking rules and computes the same comparison levels from the same
normalised columns (:mod:`benchmark.perf.peer_linkage`), then its ECM scores
them under each feature encoding (:mod:`benchmark.perf.peer_ecm`).  The
``splink`` strategy runs as ``itin-bench link`` runs it.  Untimed, the two
candidate-pair sets are compared, and Splink's own comparison levels are read
back and compared with recordlinkage's, pair by pair.  Each method is timed
once.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from benchmark.evaluation.metrics import (
    choose_threshold,
    counts_at,
    label_pairs,
    threshold_sweep,
)
from benchmark.evaluation.operating_points import OperatingPoint
from benchmark.perf.peer_ecm import ENCODINGS, ecm_scores, encode, quiet_toolkit
from benchmark.perf.peer_linkage import (
    BlockRule,
    ComparisonLevels,
    parse_blocking_rule,
    recordlinkage_compare,
    recordlinkage_index,
    splink_blocking_sql,
    splink_comparisons,
)
from benchmark.strategies.assignment import pair_keys
from benchmark.strategies.backends import Backend
from benchmark.strategies.link_data import RECORD_COLUMNS, REQUEST_COLUMNS, LinkData

log = logging.getLogger(__name__)

# the decision both Fellegi-Sunter models take by themselves: match probability >= 0.5
# (a Splink match weight >= 0); and the project's main operating point
NATURAL = {"splink": 0.0, "recordlinkage": 0.5}
PRECISION_POINT = OperatingPoint("precision_0.99", "precision", 0.99)
# the accuracy columns of each method's row
_ACCURACY = ("accepted", "tp", "fp", "precision", "recall", "f1", "recall_at_precision_0.99")


def _splink_timed() -> Any:
    """The ``splink`` strategy, unchanged, noting how long its prediction step takes.

    ``predict_seconds`` is the strategy's ``_predict`` (Splink's predict: blocking,
    comparisons and match weights, fetched as pairs) less the artifacts it also
    writes there (the model JSON and the pair count of each blocking rule),
    whose time is ``artifact_seconds``.
    """
    from benchmark.strategies.splink_models import SplinkEM

    class TimedSplink(SplinkEM):
        predict_seconds = float("nan")
        artifact_seconds = 0.0

        def _predict(self, linker: Any) -> pd.DataFrame:
            def timed(fn: Callable[..., Any]) -> Callable[..., Any]:
                def call(*args: Any, **kwargs: Any) -> Any:
                    t0 = time.perf_counter()
                    try:
                        return fn(*args, **kwargs)
                    finally:
                        self.artifact_seconds += time.perf_counter() - t0

                return call

            misc, blocking = linker.misc, linker.blocking_analysis
            misc.save_model_to_json = timed(misc.save_model_to_json)
            blocking.count_comparisons_from_blocking_rules = timed(
                blocking.count_comparisons_from_blocking_rules
            )
            t0 = time.perf_counter()
            out = super()._predict(linker)
            self.predict_seconds = time.perf_counter() - t0 - self.artifact_seconds
            return out

    return TimedSplink()


def accuracy(pairs: pd.DataFrame, truth: pd.DataFrame, natural: float) -> dict[str, Any]:
    """Precision and recall at the natural decision and at precision 0.99 (threshold from truth).

    Pairs with a non-finite score are left out (as unscored); every true pair
    of ``truth`` counts toward recall.

    Parameters
    ----------
    pairs : DataFrame
        Scored pairs: request_id, record_id, score.
    truth : DataFrame
        The true pairs (request_id, record_id).
    natural : float
        The score from which the method itself accepts a pair.

    Returns
    -------
    dict
        scored_pairs, accepted, tp, fp, precision, recall, f1 (at score >=
        ``natural``) and recall_at_precision_0.99 (NaN if not reached).
    """
    scores = pairs["score"].to_numpy(dtype=float)
    ok = np.isfinite(scores)
    pairs = pairs[ok]
    sweep = threshold_sweep(scores[ok], label_pairs(pairs, truth), len(truth))
    nat = counts_at(sweep, natural, len(truth))
    chosen = choose_threshold(sweep, PRECISION_POINT, None)
    assert chosen is not None
    p99 = counts_at(sweep, chosen[0], len(truth))
    return {
        "scored_pairs": int(ok.sum()),
        "accepted": nat["accepted"],
        "tp": nat["tp"],
        "fp": nat["fp"],
        "precision": nat["precision"],
        "recall": nat["recall"],
        "f1": nat["f1"],
        "recall_at_precision_0.99": p99["recall"] if chosen[1] else float("nan"),
    }


def _pairs_frame(index: Any, score: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "request_id": index.get_level_values(0).to_numpy(dtype=np.int64),
            "record_id": index.get_level_values(1).to_numpy(dtype=np.int64),
            "score": score,
        }
    )


@dataclass
class _RecordLinkageLevels:
    """recordlinkage's candidate pairs and their Splink levels, with the time of each stage."""

    index: Any  # pandas.MultiIndex of (request id, record id)
    levels: pd.DataFrame
    normalise_s: float
    index_s: float
    compare_s: float


@dataclass
class _SplinkRun:
    """The ``splink`` strategy's pairs, their accuracy and the time of each stage."""

    pairs: pd.DataFrame
    accuracy: dict[str, Any]
    total_s: float
    predict_s: float
    artifact_s: float


def _recordlinkage_levels(
    data: LinkData, rules: list[BlockRule], comparisons: list[ComparisonLevels], n_jobs: int
) -> _RecordLinkageLevels:
    """Normalise ``data``, block with recordlinkage's ``Index`` and compute each level."""
    from benchmark.strategies.features import prepare

    log.info("recordlinkage: normalising, blocking, comparing")
    t0 = time.perf_counter()
    req, rec = prepare(data)
    normalise_s = time.perf_counter() - t0
    req = req.set_index("unique_id")
    rec = rec.set_index("unique_id")
    with quiet_toolkit():
        t0 = time.perf_counter()
        index = recordlinkage_index(req, rec, rules)
        index_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        levels = recordlinkage_compare(comparisons, n_jobs).compute(index, req, rec)
        compare_s = time.perf_counter() - t0
    return _RecordLinkageLevels(index, levels, normalise_s, index_s, compare_s)


def _ecm_fits(
    levels: pd.DataFrame, comparisons: list[ComparisonLevels], truth: pd.DataFrame
) -> tuple[list[dict[str, Any]], dict[str, dict[str, Any]]]:
    """Fit and score recordlinkage's ECM under every encoding: the table rows and the fits."""
    rows = []
    fits: dict[str, dict[str, Any]] = {}
    for name in ENCODINGS:
        log.info("recordlinkage: ECM with %s features", name)
        features = encode(levels, comparisons, name)
        fitted = ecm_scores(features, name)
        acc = accuracy(_pairs_frame(levels.index, fitted["prob"]), truth, NATURAL["recordlinkage"])
        rows.append(
            {
                "encoding": name,
                "features": features.shape[1],
                "fit_s": fitted["fit_s"],
                "prob_s": fitted["prob_s"],
                "match_share": fitted["lambda"],
                "nan_scores": int(np.isnan(fitted["prob"]).sum()),
                "toolkit_warning": "; ".join(dict.fromkeys(fitted["messages"])),
                **acc,
                "description": ENCODINGS[name],
            }
        )
        fits[name] = {**fitted, **acc}
    return rows, fits


def _best_fit(fits: dict[str, dict[str, Any]]) -> str:
    """The encoding of recordlinkage's row: the best F1 among the fits that scored every pair."""
    # chosen with the truth, in recordlinkage's favour (the others stay in the encodings
    # table); a fit that broke down into NaN scores is taken only if all did
    complete = [k for k in fits if not np.isnan(fits[k]["prob"]).any()] or list(fits)
    return max(complete, key=lambda k: (np.nan_to_num(fits[k]["f1"], nan=-1.0), -fits[k]["fit_s"]))


def _link_splink(data: LinkData, backend: Backend, truth: pd.DataFrame) -> _SplinkRun:
    """Link ``data`` with the ``splink`` strategy as ``itin-bench link`` does; time and score it."""
    log.info("splink: linking")
    splink = _splink_timed()
    t0 = time.perf_counter()
    pairs = splink.link(data, backend)
    total_s = time.perf_counter() - t0
    if not splink.artifact_seconds > 0:
        raise RuntimeError("splink strategy: its artifacts were not timed; the split is unknown")
    return _SplinkRun(
        pairs=pairs,
        accuracy=accuracy(pairs, truth, NATURAL["splink"]),
        total_s=total_s,
        predict_s=splink.predict_seconds,
        artifact_s=splink.artifact_seconds,
    )


def _same_pairs(index: Any, pairs: pd.DataFrame) -> bool:
    """Whether recordlinkage's candidate pairs are exactly the ``splink`` strategy's."""
    rl_keys = np.sort(pair_keys(index.get_level_values(0), index.get_level_values(1)))
    sp_keys = np.sort(pair_keys(pairs["request_id"].to_numpy(), pairs["record_id"].to_numpy()))
    return bool(len(rl_keys) == len(sp_keys) and (rl_keys == sp_keys).all())


def _level_agreement(
    data: LinkData, backend: Backend, levels: pd.DataFrame, comparisons: list[ComparisonLevels]
) -> list[dict[str, Any]]:
    """Per comparison, the share of pairs where recordlinkage's level is the one Splink computes."""
    from benchmark.strategies.splink_models import comparison_features

    log.info("splink: reading back its comparison levels to check recordlinkage's")
    gammas, _ = comparison_features(data, backend)
    ours = levels.reset_index()
    ours.columns = ["request_id", "record_id", *levels.columns]
    both = gammas.merge(ours, on=["request_id", "record_id"], suffixes=("_splink", ""))
    return [
        {
            "comparison": c.name,
            "levels": len(c.levels),
            "pairs_compared": len(both),
            "identical_share": float(
                (both[f"gamma_{c.name}"].to_numpy() == both[c.name].to_numpy()).mean()
            )
            if len(both)
            else float("nan"),
        }
        for c in comparisons
    ]


def _methods_table(
    rl: _RecordLinkageLevels, sp: _SplinkRun, main: dict[str, Any], best: str
) -> pd.DataFrame:
    """One row per method: stage seconds, candidate pairs, pairs per second, accuracy."""
    rl_scoring = rl.index_s + rl.compare_s + main["prob_s"]
    rl_total = rl.normalise_s + rl.index_s + rl.compare_s + main["fit_s"] + main["prob_s"]
    methods = pd.DataFrame(
        [
            {
                "method": "splink",
                "candidate_pairs": len(sp.pairs),
                "normalise_s": rl.normalise_s,
                "train_s": sp.total_s - rl.normalise_s - sp.predict_s - sp.artifact_s,
                "scoring_s": sp.predict_s,
                "other_s": sp.artifact_s,
                "end_to_end_s": sp.total_s,
                **{k: sp.accuracy[k] for k in _ACCURACY},
                "decision": "match weight >= 0 (match probability >= 0.5)",
            },
            {
                "method": "recordlinkage",
                "candidate_pairs": len(rl.index),
                "normalise_s": rl.normalise_s,
                "train_s": main["fit_s"],
                "scoring_s": rl_scoring,
                "other_s": 0.0,
                "end_to_end_s": rl_total,
                **{k: main[k] for k in _ACCURACY},
                "decision": f"ECM probability >= 0.5 ({best}: best complete fit by F1)",
            },
        ]
    )
    methods.insert(7, "scoring_pairs_per_s", methods["candidate_pairs"] / methods["scoring_s"])
    methods.insert(
        8, "end_to_end_pairs_per_s", methods["candidate_pairs"] / methods["end_to_end_s"]
    )
    return methods


def link_peers(
    data: LinkData, truth: pd.DataFrame, *, backend: Backend, n_jobs: int = 1
) -> dict[str, Any]:
    """Link ``data`` with the ``splink`` strategy and with recordlinkage; time and score both.

    Parameters
    ----------
    data : LinkData
        The requests and records to link.
    truth : DataFrame
        The true pairs (request_id, record_id); every one counts toward recall.
    backend : Backend
        Where the ``splink`` strategy runs.
    n_jobs : int
        recordlinkage ``Compare`` jobs.

    Returns
    -------
    dict
        ``methods`` (one row per method: stage seconds, candidate pairs,
        pairs per second, accuracy), ``encodings`` (recordlinkage's ECM under
        each feature encoding), ``levels`` (per comparison, the share of pairs
        where recordlinkage's level equals Splink's), ``same_pairs``,
        ``encoding`` (that of recordlinkage's row), ``rules``, ``true_pairs``,
        ``true_pairs_found`` and ``stages`` (seconds of each method's steps).
    """
    rules = [parse_blocking_rule(sql) for sql in splink_blocking_sql()]
    comparisons = splink_comparisons()
    rl = _recordlinkage_levels(data, rules, comparisons, n_jobs)
    encodings, fits = _ecm_fits(rl.levels, comparisons, truth)
    best = _best_fit(fits)
    main = fits[best]
    sp = _link_splink(data, backend, truth)
    # the translation checks (untimed): same candidate pairs, same comparison levels
    same_pairs = _same_pairs(rl.index, sp.pairs)
    level_rows = _level_agreement(data, backend, rl.levels, comparisons)
    stages = {
        "recordlinkage": {
            "index_s": rl.index_s,
            "compare_s": rl.compare_s,
            "ecm_fit_s": main["fit_s"],
            "ecm_prob_s": main["prob_s"],
        },
        "splink": {"predict_s": sp.predict_s, "artifacts_s": sp.artifact_s},
    }
    return {
        "methods": _methods_table(rl, sp, main, best),
        "encodings": pd.DataFrame(encodings),
        "levels": pd.DataFrame(level_rows),
        "same_pairs": same_pairs,
        "encoding": best,
        "rules": len(rules),
        "true_pairs": len(truth),
        "true_pairs_found": int(label_pairs(sp.pairs, truth).sum()),
        "stages": stages,
    }


def world_for_linkage(config: Path, scale: float | None) -> tuple[LinkData, pd.DataFrame, dict]:
    """Generate the linkage world in memory: the two tables a strategy sees, the truth, a summary.

    Parameters
    ----------
    config : Path
        Scenario TOML.
    scale : float, optional
        Replaces the scenario's ``scale``.

    Returns
    -------
    tuple
        The :class:`LinkData` (requests, IRS filer records), the truth pairs
        (request_id, record_id) and a dict: scenario, scale, seed, requests,
        records.
    """
    from data_gen import generate_world, load_scenario

    scenario = load_scenario(config).at_scale(scale)
    world = generate_world(scenario)
    t = world.tables
    data = LinkData(
        requests=t["requests"][list(REQUEST_COLUMNS)].copy(),
        records=t["irs_filers"][list(RECORD_COLUMNS)].copy(),
        name=world.scenario.name,
    )
    about = {
        "scenario": scenario.name,
        "scale": scenario.scale,
        "seed": world.scenario.seed,
        "requests": len(data.requests),
        "records": len(data.records),
    }
    return data, t["truth"][["request_id", "record_id"]].copy(), about
