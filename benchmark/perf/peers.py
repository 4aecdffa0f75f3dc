"""``itin-bench perf peers``: the generator and the ``splink`` strategy beside two peers.

Two measurements, in one process on one machine:

* **Generator against pseudopeople.**  Both tools return noised person records
  as DataFrames in memory (nothing is written).  pseudopeople's records are
  those of its bundled sample datasets (the default source), noised by its
  default configuration; it starts from a population simulated beforehand,
  while ``generate_world`` builds its population as part of the timed run.
  The comparable count of our records is the noised observation tables a
  linkage sees (``irs_filers``, ``irs_dependents`` and ``requests``); all rows
  of all ten tables are reported beside it.
* **``splink`` against the Python Record Linkage Toolkit.**  On one generated
  world, ``recordlinkage`` builds its candidate pairs from the ``splink``
  strategy's own blocking rules (each rule translated to ``Index.block`` keys,
  the union of the blocks as Splink takes it), computes the same comparison
  levels from the same normalised columns (each Splink comparison translated
  level by level, similarity functions from ``recordlinkage`` and its
  ``jellyfish``), and classifies with its unsupervised ``ECMClassifier``.
  The translation (:mod:`benchmark.perf.peer_linkage`) is checked on every run: the
  two candidate-pair sets are compared, and Splink's own comparison levels are
  read back and compared with recordlinkage's, pair by pair.

Timings exclude imports; each tool makes one small untimed call first, and the
generators report the median of several runs.  The linkage is timed once per
method.
"""

from __future__ import annotations

import contextlib
import io
import logging
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from benchmark.evaluation.metrics import (
    OperatingPoint,
    choose_threshold,
    counts_at,
    label_pairs,
    threshold_sweep,
)
from benchmark.perf.peer_linkage import (
    ENCODINGS,
    ecm_scores,
    encode,
    parse_blocking_rule,
    quiet_toolkit,
    recordlinkage_compare,
    recordlinkage_index,
    splink_blocking_sql,
    splink_comparisons,
)
from benchmark.safe_output import write_csv
from benchmark.strategies.assignment import pair_keys
from benchmark.strategies.base import RECORD_COLUMNS, REQUEST_COLUMNS, Backend, LinkData
from data_gen.errors import InputError

log = logging.getLogger(__name__)

PERF_EXTRA = "install the perf extra: pip install -e '.[perf]'"
PSEUDOPEOPLE_DATASETS = (
    "american_community_survey",
    "current_population_survey",
    "decennial_census",
    "social_security",
    "taxes_1040",
    "taxes_w2_and_1099",
    "women_infants_and_children",
)
# pseudopeople's default year, and every year of its sample (more records per call)
PSEUDOPEOPLE_YEARS: tuple[int | None, ...] = (2020, None)
# the noised tables a linkage reads: the comparable count to pseudopeople's records
OBSERVED_TABLES = ("irs_filers", "irs_dependents", "requests")
PEER_PACKAGES = ("pseudopeople", "recordlinkage", "splink", "duckdb", "pandas", "numpy")
# the decision both Fellegi-Sunter models take by themselves: match probability >= 0.5
# (a Splink match weight >= 0); and the project's main operating point
NATURAL = {"splink": 0.0, "recordlinkage": 0.5}
PRECISION_POINT = OperatingPoint("precision_0.99", "precision", 0.99)
ACCEPTANCE_RATIO = 10.0


def require_peers() -> None:
    """Check that the peers (the ``perf`` extra) can be imported.

    Raises
    ------
    InputError
        With the install command, if pseudopeople or recordlinkage is missing.
    """
    try:
        import pseudopeople  # noqa: F401
        import recordlinkage  # noqa: F401
    except ImportError:
        raise InputError(PERF_EXTRA) from None


def versions() -> dict[str, str]:
    """Installed versions of the peers and of what the ``splink`` strategy runs on.

    Returns
    -------
    dict
        Package name to version (``not installed`` if missing), in
        :data:`PEER_PACKAGES` order.
    """
    from data_gen.dataset import package_versions

    out = package_versions(PEER_PACKAGES)
    del out["python"]
    return out


# --------------------------------------------------------------------------- generators


def time_pseudopeople(datasets: list[str], repeats: int) -> pd.DataFrame:
    """Time pseudopeople's generation of its bundled sample datasets.

    Every dataset is generated with the default source (the sample data), seed
    and noise configuration, once for pseudopeople's default year (2020) and
    once for all years of the sample.  One untimed call comes first.

    Returns
    -------
    DataFrame
        One row per call: tool, call (``year 2020`` or ``all years``), dataset,
        run, records, seconds.
    """
    import pseudopeople

    def call(name: str, year: int | None) -> pd.DataFrame:
        # its progress bars go to stderr whatever `verbose` says
        with contextlib.redirect_stderr(io.StringIO()):
            return getattr(pseudopeople, f"generate_{name}")(year=year)

    call(datasets[0], 2020)
    rows = []
    for run in range(1, repeats + 1):
        for year in PSEUDOPEOPLE_YEARS:
            for name in datasets:
                t0 = time.perf_counter()
                df = call(name, year)
                seconds = time.perf_counter() - t0
                rows.append(
                    {
                        "tool": "pseudopeople",
                        "call": "all years" if year is None else f"year {year}",
                        "dataset": name,
                        "run": run,
                        "records": len(df),
                        "all_rows": len(df),
                        "seconds": seconds,
                    }
                )
        log.info("pseudopeople run %d of %d done", run, repeats)
    return pd.DataFrame(rows)


def time_generator(persons: int, repeats: int) -> pd.DataFrame:
    """Time ``generate_world`` on a world of ``persons`` people, in memory.

    The built-in scenario is scaled to ``persons`` at its own density (persons
    per ZIP code), as ``itin-bench perf generate`` does.  One untimed world of
    2,000 people comes first.

    Returns
    -------
    DataFrame
        One row per run: tool, call, dataset, run, records (rows of the noised
        observation tables :data:`OBSERVED_TABLES`), all_rows (of every table),
        seconds.
    """
    from data_gen import Scenario, generate_world

    base = Scenario()

    def sized(n: int) -> Any:
        n_zips = max(1, round(base.world.n_zips * n / max(base.world.persons, 1)))
        return base.with_overrides(scale=1.0, world={"persons": n, "n_zips": n_zips})

    generate_world(sized(2000))
    scenario = sized(persons)
    rows = []
    for run in range(1, repeats + 1):
        t0 = time.perf_counter()
        world = generate_world(scenario)
        seconds = time.perf_counter() - t0
        rows.append(
            {
                "tool": "itin-bench",
                "call": f"generate_world, {persons:,} persons",
                "dataset": "+".join(OBSERVED_TABLES),
                "run": run,
                "records": sum(len(world.tables[t]) for t in OBSERVED_TABLES),
                "all_rows": sum(len(t) for t in world.tables.values()),
                "seconds": seconds,
            }
        )
        del world
        log.info("generator run %d of %d: %.1f s", run, repeats, seconds)
    return pd.DataFrame(rows)


def generator_summary(runs: pd.DataFrame) -> pd.DataFrame:
    """Per tool and call: records and the median over runs of the seconds all datasets took.

    Returns
    -------
    DataFrame
        tool, call, datasets, records, all_rows, seconds (median), records_per_s,
        all_rows_per_s, runs.
    """
    per_run = runs.groupby(["tool", "call", "run"], sort=False, as_index=False).agg(
        datasets=("dataset", "nunique"),
        records=("records", "sum"),
        all_rows=("all_rows", "sum"),
        seconds=("seconds", "sum"),
    )
    out = per_run.groupby(["tool", "call"], sort=False, as_index=False).agg(
        datasets=("datasets", "first"),
        records=("records", "first"),
        all_rows=("all_rows", "first"),
        seconds=("seconds", statistics.median),
        runs=("run", "count"),
    )
    out["records_per_s"] = out["records"] / out["seconds"]
    out["all_rows_per_s"] = out["all_rows"] / out["seconds"]
    return out


# ------------------------------------------------------------------------------ linkage


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


def link_peers(
    data: LinkData, truth: pd.DataFrame, *, backend: Backend, n_jobs: int = 1
) -> dict[str, Any]:
    """Link ``data`` with the ``splink`` strategy and with recordlinkage; time and score both.

    Returns
    -------
    dict
        ``methods`` (one row per method: stage seconds, candidate pairs,
        pairs per second, accuracy), ``encodings`` (recordlinkage's ECM under
        each feature encoding), ``levels`` (per comparison, the share of pairs
        where recordlinkage's level equals Splink's) and ``same_pairs``.
    """
    from benchmark.strategies.features import prepare
    from benchmark.strategies.splink_models import comparison_features

    rules = [parse_blocking_rule(sql) for sql in splink_blocking_sql()]
    comparisons = splink_comparisons()

    log.info("recordlinkage: normalising, blocking, comparing")
    t0 = time.perf_counter()
    req, rec = prepare(data)
    t_norm = time.perf_counter() - t0
    req = req.set_index("unique_id")
    rec = rec.set_index("unique_id")
    with quiet_toolkit():
        t0 = time.perf_counter()
        index = recordlinkage_index(req, rec, rules)
        t_index = time.perf_counter() - t0
        t0 = time.perf_counter()
        levels = recordlinkage_compare(comparisons, n_jobs).compute(index, req, rec)
        t_compare = time.perf_counter() - t0
    del req, rec
    encodings = []
    fits: dict[str, dict[str, Any]] = {}
    for name in ENCODINGS:
        log.info("recordlinkage: ECM with %s features", name)
        features = encode(levels, comparisons, name)
        fitted = ecm_scores(features, name)
        acc = accuracy(_pairs_frame(levels.index, fitted["prob"]), truth, NATURAL["recordlinkage"])
        encodings.append(
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
    # the recordlinkage row: its best encoding by F1 at its own decision, chosen with the
    # truth (in recordlinkage's favour; the others stay in the encodings table), among the
    # fits that scored every pair (a fit that broke down into NaN scores only if all did)
    complete = [k for k in fits if not np.isnan(fits[k]["prob"]).any()] or list(fits)
    best = max(complete, key=lambda k: (np.nan_to_num(fits[k]["f1"], nan=-1.0), -fits[k]["fit_s"]))
    main = fits[best]
    n_rl = len(index)
    rl_scoring = t_index + t_compare + main["prob_s"]
    rl_total = t_norm + t_index + t_compare + main["fit_s"] + main["prob_s"]

    log.info("splink: linking")
    splink = _splink_timed()
    t0 = time.perf_counter()
    sp_pairs = splink.link(data, backend)
    sp_total = time.perf_counter() - t0
    sp_scoring = splink.predict_seconds
    if not splink.artifact_seconds > 0:
        raise RuntimeError("splink strategy: its artifacts were not timed; the split is unknown")
    sp_acc = accuracy(sp_pairs, truth, NATURAL["splink"])

    # the translation checks (untimed): same candidate pairs, same comparison levels
    rl_keys = np.sort(pair_keys(index.get_level_values(0), index.get_level_values(1)))
    sp_keys = np.sort(
        pair_keys(sp_pairs["request_id"].to_numpy(), sp_pairs["record_id"].to_numpy())
    )
    same_pairs = bool(len(rl_keys) == len(sp_keys) and (rl_keys == sp_keys).all())
    log.info("splink: reading back its comparison levels to check recordlinkage's")
    gammas, _ = comparison_features(data, backend)
    ours = levels.reset_index()
    ours.columns = ["request_id", "record_id", *levels.columns]
    both = gammas.merge(ours, on=["request_id", "record_id"], suffixes=("_splink", ""))
    level_rows = [
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
    true_found = int(label_pairs(sp_pairs, truth).sum())

    keep = ("accepted", "tp", "fp", "precision", "recall", "f1", "recall_at_precision_0.99")
    methods = pd.DataFrame(
        [
            {
                "method": "splink",
                "candidate_pairs": len(sp_pairs),
                "normalise_s": t_norm,
                "train_s": sp_total - t_norm - sp_scoring - splink.artifact_seconds,
                "scoring_s": sp_scoring,
                "other_s": splink.artifact_seconds,
                "end_to_end_s": sp_total,
                **{k: sp_acc[k] for k in keep},
                "decision": "match weight >= 0 (match probability >= 0.5)",
            },
            {
                "method": "recordlinkage",
                "candidate_pairs": n_rl,
                "normalise_s": t_norm,
                "train_s": main["fit_s"],
                "scoring_s": rl_scoring,
                "other_s": 0.0,
                "end_to_end_s": rl_total,
                **{k: main[k] for k in keep},
                "decision": f"ECM probability >= 0.5 ({best}: best complete fit by F1)",
            },
        ]
    )
    methods.insert(7, "scoring_pairs_per_s", methods["candidate_pairs"] / methods["scoring_s"])
    methods.insert(
        8, "end_to_end_pairs_per_s", methods["candidate_pairs"] / methods["end_to_end_s"]
    )
    stages = {
        "recordlinkage": {
            "index_s": t_index,
            "compare_s": t_compare,
            "ecm_fit_s": main["fit_s"],
            "ecm_prob_s": main["prob_s"],
        },
        "splink": {"predict_s": sp_scoring, "artifacts_s": splink.artifact_seconds},
    }
    return {
        "methods": methods,
        "encodings": pd.DataFrame(encodings),
        "levels": pd.DataFrame(level_rows),
        "same_pairs": same_pairs,
        "encoding": best,
        "rules": len(rules),
        "true_pairs": len(truth),
        "true_pairs_found": true_found,
        "stages": stages,
    }


def world_for_linkage(config: Path, scale: float | None) -> tuple[LinkData, pd.DataFrame, dict]:
    """Generate the linkage world in memory: the two tables a strategy sees, the truth, a summary.

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


# -------------------------------------------------------------------------- the command


def _ratio(a: float, b: float) -> float:
    return a / b if b > 0 else float("inf")


def _yes(flag: bool) -> str:
    return "met" if flag else "NOT met"


def _package_list(packages: dict) -> str:
    return ", ".join(f"{k} {v}" for k, v in packages.items())


def report_lines(
    gens: pd.DataFrame, link: dict[str, Any], about: dict, machine: str, packages: dict
) -> list[str]:
    """The printed report: machine, generator throughput, linkage speed and accuracy, acceptance.

    ``gens`` is :func:`generator_summary`'s table, ``link`` what
    :func:`link_peers` returns and ``about`` :func:`world_for_linkage`'s summary.

    Returns
    -------
    list of str
        The report's lines.
    """
    lines = [
        f"machine: {machine}",
        f"packages: {_package_list(packages)}",
        f"generators (in memory, nothing written; median of {int(gens['runs'].max())} run(s) "
        "after one untimed call):",
        f"  {'tool':13} {'call':36} {'records':>10} {'all rows':>10} {'seconds':>8} {'records/s':>10}",
    ]
    for _, g in gens.iterrows():
        call = (
            g["call"]
            if g["tool"] == "itin-bench"
            else f"{g['call']}, {g['datasets']} sample datasets"
        )
        lines.append(
            f"  {g['tool']:13} {call:36} {g['records']:>10,} {g['all_rows']:>10,} "
            f"{g['seconds']:>8.2f} {g['records_per_s']:>10,.0f}"
        )
    ours = gens[gens["tool"] == "itin-bench"].iloc[0]
    peer = gens[gens["tool"] == "pseudopeople"].sort_values("records_per_s").iloc[-1]
    gen_ratio = _ratio(ours["records_per_s"], peer["records_per_s"])
    lines.append(
        f"  generator / pseudopeople ({peer['call']}): {gen_ratio:.1f}x in noised records per "
        f"second ({', '.join(OBSERVED_TABLES)} against pseudopeople's records); "
        f"{_ratio(ours['all_rows_per_s'], peer['all_rows_per_s']):.1f}x counting all rows of our 10 tables"
    )
    m = link["methods"].set_index("method")
    sp, rl = m.loc["splink"], m.loc["recordlinkage"]
    lv = link["levels"]
    worst = lv.sort_values("identical_share").iloc[0]
    lines += [
        f"linkage: {about['scenario']} at scale {about['scale']:g} (seed {about['seed']}): "
        f"{about['requests']:,} requests x {about['records']:,} IRS records, {link['true_pairs']:,} true pairs",
        f"  candidate pairs: {int(sp['candidate_pairs']):,} from the splink strategy's "
        f"{link['rules']} blocking rules; recordlinkage's Index gives "
        f"{int(rl['candidate_pairs']):,}, the same set: {'yes' if link['same_pairs'] else 'NO'}; "
        f"{link['true_pairs_found'] / max(link['true_pairs'], 1):.1%} of true pairs among them",
        f"  comparison levels: recordlinkage's equal Splink's on "
        f"{lv['identical_share'].mean():.2%} of pair-comparisons "
        f"({len(lv)} comparisons; lowest {worst['comparison']} {worst['identical_share']:.2%})",
        f"  {'method':14} {'pairs':>10} {'normalise s':>11} {'train s':>8} {'scoring s':>9} "
        f"{'other s':>7} {'total s':>8} {'scoring pairs/s':>15} {'total pairs/s':>13} "
        f"{'precision':>9} {'recall':>7} {'recall@P.99':>11}",
    ]
    for name, r in m.iterrows():
        lines.append(
            f"  {name:14} {int(r['candidate_pairs']):>10,} {r['normalise_s']:>11.1f} "
            f"{r['train_s']:>8.1f} {r['scoring_s']:>9.1f} {r['other_s']:>7.1f} "
            f"{r['end_to_end_s']:>8.1f} {r['scoring_pairs_per_s']:>15,.0f} "
            f"{r['end_to_end_pairs_per_s']:>13,.0f} {r['precision']:>9.3f} {r['recall']:>7.3f} "
            f"{r['recall_at_precision_0.99']:>11.3f}"
        )
    st = link["stages"]
    lines += [
        "  normalise: the shared feature table (same code for both, timed once); scoring: "
        "candidate pairs, their comparisons and their scores",
        f"    splink: its predict step (blocking, comparisons, match weights, fetched as pairs) "
        f"{st['splink']['predict_s']:.1f} s; train: the rest of the strategy (estimating lambda, "
        f"u and m); other: the model JSON and per-rule pair counts it also writes",
        f"    recordlinkage: Index {st['recordlinkage']['index_s']:.1f} s + Compare "
        f"{st['recordlinkage']['compare_s']:.1f} s + ECM prob "
        f"{st['recordlinkage']['ecm_prob_s']:.1f} s; train: ECM fit",
        "    decisions at match probability >= 0.5 (splink: match weight >= 0); recall@P.99: "
        "the most recall at precision >= 0.99, threshold chosen with the truth (nan: not reached)",
        "  recordlinkage's ECM under each feature encoding of the same levels (its row above: "
        f"{link['encoding']}, the best complete fit by F1, chosen with the truth):",
    ]
    for _, e in link["encodings"].iterrows():
        broke = f"; {e['nan_scores']:,} NaN scores" if e["nan_scores"] else ""
        warn = f"; toolkit: {e['toolkit_warning']}" if e["toolkit_warning"] else ""
        lines.append(
            f"    {e['encoding']:21} {e['features']:>3} features, fit {e['fit_s']:.1f} s, match "
            f"share {e['match_share']:.4f}, precision {e['precision']:.3f}, recall "
            f"{e['recall']:.3f}{broke}{warn}"
        )
    link_ratio = _ratio(sp["scoring_pairs_per_s"], rl["scoring_pairs_per_s"])
    total_ratio = _ratio(sp["end_to_end_pairs_per_s"], rl["end_to_end_pairs_per_s"])
    as_good = sp["precision"] >= rl["precision"] and sp["recall"] >= rl["recall"]
    lines += [
        "acceptance (issue 6):",
        f"  generator >= {ACCEPTANCE_RATIO:g}x pseudopeople's records per second: "
        f"{_yes(gen_ratio >= ACCEPTANCE_RATIO)} ({gen_ratio:.1f}x)",
        f"  splink scores pairs >= {ACCEPTANCE_RATIO:g}x as fast as recordlinkage at equal or "
        f"better precision and recall: {_yes(link_ratio >= ACCEPTANCE_RATIO and as_good)} "
        f"({link_ratio:.1f}x scoring, {total_ratio:.1f}x end to end; precision "
        f"{sp['precision']:.3f} vs {rl['precision']:.3f}, recall {sp['recall']:.3f} vs "
        f"{rl['recall']:.3f})",
    ]
    return lines


def check_peers_arguments(
    *,
    persons: int,
    repeats: int,
    datasets: list[str],
    n_jobs: int,
    config: Path,
    scale: float | None,
    out: Path,
) -> None:
    """Refuse bad arguments before any work (and before the peers are imported).

    Raises
    ------
    InputError
        If a size, count or dataset name is out of range, the scenario cannot
        be loaded at ``scale``, or ``out`` exists and is not empty.
    """
    from data_gen import load_scenario
    from data_gen.dataset import check_output_folder

    if not 1 <= persons <= 20_000_000:
        raise InputError(f"--persons {persons}: must be between 1 and 20,000,000")
    if not 1 <= repeats <= 20:
        raise InputError(f"--repeats {repeats}: must be between 1 and 20")
    unknown = [d for d in datasets if d not in PSEUDOPEOPLE_DATASETS]
    if unknown or not datasets:
        raise InputError(
            f"--pseudopeople-datasets: {', '.join(unknown) or 'none given'}; choose from "
            + ", ".join(PSEUDOPEOPLE_DATASETS)
        )
    if not 1 <= n_jobs <= 64:
        raise InputError(f"--recordlinkage-jobs {n_jobs}: must be between 1 and 64")
    load_scenario(config).at_scale(scale)
    if out.is_dir() and any(out.iterdir()):
        raise InputError(f"{out}: folder exists and is not empty; give a new folder")
    check_output_folder(out, force=False, kind="perf")


def perf_peers(
    *,
    persons: int,
    repeats: int,
    datasets: list[str],
    config: Path,
    scale: float | None,
    n_jobs: int,
    out: Path,
    machine: str,
    command: str,
) -> list[str]:
    """Measure the generator and the ``splink`` strategy beside their peers; write ``out``.

    ``out`` gets ``generators.csv`` (every timed call), ``generators_summary.csv``,
    ``linkage.csv`` (one row per method), ``ecm_encodings.csv``,
    ``comparison_levels.csv`` and a ``README.md`` with the machine, the
    command, the package versions and the printed report.

    Returns
    -------
    list of str
        The report to print.

    Raises
    ------
    InputError
        On bad arguments or a missing ``perf`` extra, before any work.
    """
    from benchmark.resources import peak_rss_mb
    from data_gen.dataset import atomic_folder

    check_peers_arguments(
        persons=persons,
        repeats=repeats,
        datasets=datasets,
        n_jobs=n_jobs,
        config=config,
        scale=scale,
        out=out,
    )
    require_peers()
    packages = versions()
    log.info("timing pseudopeople on its sample datasets (%d run(s))", repeats)
    pp_runs = time_pseudopeople(datasets, repeats)
    log.info("timing the generator on %s persons (%d run(s))", f"{persons:,}", repeats)
    gen_runs = time_generator(persons, repeats)
    runs = pd.concat([gen_runs, pp_runs], ignore_index=True)
    gens = generator_summary(runs)
    log.info("generating the linkage world")
    data, truth, about = world_for_linkage(config, scale)
    link = link_peers(data, truth, backend=Backend(), n_jobs=n_jobs)
    lines = report_lines(gens, link, about, machine, packages)
    lines.append(f"peak RSS: {peak_rss_mb():,.0f} MiB")
    with atomic_folder(out, force=False, kind="perf") as folder:
        write_csv(runs, folder / "generators.csv", index=False, float_format="%.4f")
        write_csv(gens, folder / "generators_summary.csv", index=False, float_format="%.4f")
        write_csv(link["methods"], folder / "linkage.csv", index=False, float_format="%.6g")
        write_csv(link["encodings"], folder / "ecm_encodings.csv", index=False, float_format="%.6g")
        write_csv(
            link["levels"], folder / "comparison_levels.csv", index=False, float_format="%.6g"
        )
        (folder / "README.md").write_text(
            _readme(command, machine, packages, lines), encoding="utf-8"
        )
    lines.append(f"written: {out}")
    return lines


def _readme(command: str, machine: str, packages: dict, lines: list[str]) -> str:
    body = "\n".join(lines)
    return (
        "# The generator and the splink strategy beside their peers\n\n"
        f"Made by `{command}` on {machine}, with {_package_list(packages)}.\n\n"
        "**Generators.** pseudopeople's `generate_<dataset>()` on its bundled sample data "
        "(default source, seed and noise), for its default year 2020 and for all years of the "
        "sample, against `data_gen.generate_world` on a world of the built-in scenario scaled to "
        "the given number of persons.  Both return noised records in memory; nothing is "
        "written.  pseudopeople noises a population simulated beforehand; our time includes "
        "simulating the population.  Our comparable count is the noised observation tables "
        f"({', '.join(OBSERVED_TABLES)}); all rows of all ten tables are shown beside it.  "
        "Imports are not timed; each tool makes one small untimed call first; figures are the "
        "median over runs (`generators.csv` has every call).\n\n"
        "**Linkage.** One generated world.  recordlinkage's candidate pairs come from the "
        "splink strategy's blocking rules, each translated to `Index.block` keys (substrings "
        "as key columns, a missing-value rule as two blocks), their union as Splink takes it; "
        "its `Compare` computes each Splink comparison level by level on the same normalised "
        "columns (jaro-winkler from recordlinkage, edit distances from jellyfish, dates and "
        "exact matches vectorised); its unsupervised `ECMClassifier` scores the pairs.  The "
        "splink strategy runs as `itin-bench link` runs it (training included).  The report "
        "says whether the two candidate-pair sets are identical, and `comparison_levels.csv` "
        "how often recordlinkage's level equals the one Splink computes for the same pair.  "
        "Splink's term-frequency adjustments have no recordlinkage equivalent.  Precision "
        "and recall count every true pair of the world (blocking losses are misses).  "
        "`ecm_encodings.csv` shows the ECM under three feature encodings of the same levels; "
        "the report's recordlinkage row uses the one with the best F1 at its own decision "
        "among those that scored every pair (chosen with the truth, in recordlinkage's favour)."
        "\n\n"
        "```\n" + body + "\n```\n"
    )
