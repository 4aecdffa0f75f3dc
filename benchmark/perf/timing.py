"""Performance benchmarks: each returns the lines of its report (speed and peak memory),
which ``itin-bench perf`` prints."""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import TYPE_CHECKING

from benchmark.resources import machine, peak_rss_mb
from data_gen.folders import scratch_folder

if TYPE_CHECKING:
    import pandas as pd

    from benchmark.evaluation.ground_truth import GroundTruth


def perf_generate(
    *, persons: int, config: Path | None, seed: int | None, keep: Path | None
) -> list[str]:
    """Generate and write a world of ``persons`` people; report throughput and peak RSS.

    The scenario (``config``, or the built-in defaults) is scaled to ``persons``
    at the same density (persons per ZIP code).  The world is written to a
    temporary folder that is removed afterwards, or to ``keep``.
    """
    lines: list[str] = []
    from data_gen import generate_world, load_scenario, write_dataset
    from data_gen.config import Scenario
    from data_gen.dataset import check_output_folder
    from data_gen.errors import InputError

    if persons <= 0:
        raise InputError(f"--persons {persons}: must be positive")
    if seed is not None and seed < 0:
        raise InputError(f"--seed {seed}: must be a non-negative integer")
    if keep is not None:
        check_output_folder(keep, force=False)
    base = load_scenario(config) if config else Scenario()
    # keep the scenario's density (persons per ZIP) as the world grows
    n_zips = max(1, round(base.world.n_zips * persons / max(base.world.persons, 1)))
    scenario = base.with_overrides(world={"persons": persons, "n_zips": n_zips})
    scratch = None if keep is not None else scratch_folder("perf")
    try:
        out = keep if keep is not None else Path(str(scratch)) / "world"
        t0 = time.perf_counter()
        world = generate_world(scenario, seed=seed)
        t_gen = time.perf_counter() - t0
        write_dataset(world, out)
        total = time.perf_counter() - t0
    finally:
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)
    n = len(world.tables["persons"])
    rows = sum(len(t) for t in world.tables.values())
    lines.append(f"machine: {machine()}")
    lines.append(
        f"world: {n:,} persons in {n_zips} ZIPs; {rows:,} rows in {len(world.tables)} tables"
    )
    for stage, secs in world.timings.items():
        lines.append(f"  {stage:12} {secs:7.2f} s")
    lines.append(
        f"generate: {t_gen:.1f} s; with realism figures, hashing and Parquet writing: {total:.1f} s"
    )
    lines.append(f"persons per second: {n / total:,.0f}")
    lines.append(f"peak RSS: {peak_rss_mb():,.0f} MiB")
    if keep is not None:
        lines.append(f"dataset: {keep}")
    return lines


def perf_link(
    *, data: Path | None, config: Path | None, strategies: list[str] | None, backend: str
) -> list[str]:
    """Run every strategy on one world; report wall time, candidate pairs and pairs per second.

    Raises
    ------
    InputError
        If a strategy in ``strategies`` is unknown, before any work.
    """
    lines: list[str] = []
    from benchmark.linking.link import run_link
    from benchmark.strategies import STRATEGIES, Backend, get_strategy
    from data_gen import generate_world, load_scenario, write_dataset
    from data_gen.dataset import read_manifest

    names = strategies or list(STRATEGIES)
    for name in names:
        get_strategy(name)
    scratch = scratch_folder("perf-link")
    try:
        if data is None:
            default = Path(__file__).resolve().parents[2] / "configs" / "default.toml"
            scenario = load_scenario(config or default)
            data = write_dataset(generate_world(scenario), scratch / "world")
        manifest = read_manifest(data)
        n_req = manifest["tables"]["requests"]["rows"]
        n_rec = manifest["tables"]["irs_filers"]["rows"]
        rows: list[tuple[str, float, int, float | None, float]] = []
        started = time.perf_counter()
        for name in names:
            t0 = time.perf_counter()
            m = run_link(data, name, scratch / f"link-{len(rows)}", backend=Backend(kind=backend))
            wall = time.perf_counter() - t0
            rows.append(
                (
                    name,
                    wall,
                    m["candidate_pairs"],
                    m["pair_completeness"],
                    m["timings_seconds"].get("fit", 0.0),
                )
            )
        total = time.perf_counter() - started
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    lines.append(f"machine: {machine()}")
    lines.append(
        f"world: {manifest['scenario']} (seed {manifest['seed']}): {n_req:,} requests x {n_rec:,} IRS records; backend {backend}"
    )
    lines.append(
        f"{'strategy':22} {'wall s':>7} {'of which fit s':>14} {'candidate pairs':>16} {'pairs/s':>10} {'pair completeness':>18}"
    )
    for name, wall, pairs, pc, fit in rows:
        pcs = "n/a" if pc is None else f"{pc:.1%}"
        lines.append(
            f"{name:22} {wall:7.1f} {fit:14.1f} {pairs:16,} {pairs / wall:10,.0f} {pcs:>18}"
        )
    lines.append(f"all strategies: {total:.1f} s")
    lines.append(f"peak RSS: {peak_rss_mb():,.0f} MiB")
    return lines


def synthetic_scored_pairs(
    n_pairs: int, *, seed: int = 0
) -> tuple["pd.DataFrame", "pd.DataFrame", "GroundTruth"]:
    """Scored pairs, true pairs and a matching ground truth of a given size, for timing.

    One true pair per 20 candidate pairs, one request per 10 pairs and one
    record per 2; true pairs score higher on average, with overlap, so every
    threshold has both kinds of pair.
    """
    import numpy as np
    import pandas as pd

    from benchmark.evaluation.ground_truth import GroundTruth
    from benchmark.evaluation.groups import BUILDING_SIZE_LABELS

    rng = np.random.default_rng(seed)
    n_req, n_rec = max(n_pairs // 10, 1), max(n_pairs // 2, 1)
    n_true = max(n_pairs // 20, 1)
    true_req = rng.permutation(n_req)[: min(n_true, n_req)]
    true_rec = rng.choice(n_rec, len(true_req), replace=False)
    truth = pd.DataFrame({"request_id": true_req, "record_id": true_rec})
    n_false = n_pairs - len(truth)
    pairs = pd.DataFrame(
        {
            "request_id": np.concatenate([true_req, rng.integers(0, n_req, n_false)]),
            "record_id": np.concatenate([true_rec, rng.integers(0, n_rec, n_false)]),
            # match-weight-like scores, rounded to 1e-9 as the Splink strategies round them
            "score": np.round(
                np.concatenate([rng.normal(12, 4, len(truth)), rng.normal(-8, 6, n_false)]), 9
            ),
        }
    ).drop_duplicates(["request_id", "record_id"])
    pairs = pairs.sort_values(["request_id", "record_id"], ignore_index=True)
    requests = pd.DataFrame(
        {
            "request_id": np.arange(n_req),
            "person_id": np.arange(n_req),
            "household_id": rng.integers(0, max(n_rec // 2, 1), n_req),
            "person_filed": rng.random(n_req) < 0.5,
            "has_true_pair": np.isin(np.arange(n_req), true_req),
            "surname_decile": rng.integers(1, 11, n_req),
            "surname_count": rng.integers(0, 10**6, n_req),
            "origin": rng.choice(["hispanic", "white", "api", "black"], n_req),
            "building_size": rng.choice(list(BUILDING_SIZE_LABELS), n_req),
            "state": rng.choice(["CA", "TX", "NY", "FL", "IL"], n_req),
        }
    )
    n_homes = max(n_rec // 2, 1)
    residents = pd.DataFrame(
        {
            "address_id": np.arange(n_homes),
            "household_id": np.arange(n_homes),
            "people": rng.integers(1, 8, n_homes),
            "us_citizens": rng.integers(0, 4, n_homes),
            "us_citizen_children": rng.integers(0, 3, n_homes),
            "lprs": rng.integers(0, 2, n_homes),
            "mixed_status": rng.random(n_homes) < 0.3,
        }
    )
    record_address = pd.DataFrame(
        {"record_id": np.arange(n_rec), "address_id": rng.integers(0, int(n_homes * 1.05), n_rec)}
    )
    truth_obj = GroundTruth(
        requests=requests,
        truth=truth,
        record_address=record_address,
        residents=residents,
        manifest={"seed": seed, "config_sha256": "synthetic"},
    )
    return pairs, truth, truth_obj


def perf_evaluate(*, pairs: int, seed: int) -> list[str]:
    """Time the evaluation of ``pairs`` scored pairs; report each step and peak RSS.

    The sweep (label every pair, sort, cumulative sums at every distinct
    threshold) is the headline figure; one-to-one assignment and the full
    evaluation (both assignments, all operating points with outcomes, harm and
    disparities) are timed after it.
    """
    lines: list[str] = []
    from benchmark.evaluation.evaluate import ASSIGNMENTS, evaluate_runs
    from benchmark.evaluation.link_runs import LinkRun
    from benchmark.evaluation.metrics import label_pairs, threshold_sweep
    from benchmark.evaluation.operating_points import OPERATING_POINTS
    from benchmark.evaluation.writing import write_tables
    from benchmark.strategies.assignment import one_to_one
    from data_gen.errors import InputError

    if not 1 <= pairs <= 200_000_000:
        raise InputError(f"--pairs {pairs}: must be between 1 and 200,000,000")
    t0 = time.perf_counter()
    scored, truth, ground = synthetic_scored_pairs(pairs, seed=seed)
    t_make = time.perf_counter() - t0
    lines.append(f"machine: {machine()}")
    lines.append(
        f"{len(scored):,} scored pairs ({len(truth):,} true pairs, {ground.n_requests:,} requests; "
        f"made in {t_make:.1f} s)"
    )
    t0 = time.perf_counter()
    is_true = label_pairs(scored, truth)
    t_label = time.perf_counter() - t0
    t0 = time.perf_counter()
    sweep = threshold_sweep(scored["score"].to_numpy(), is_true, len(truth))
    t_sweep = time.perf_counter() - t0
    lines.append(f"  label pairs        {t_label:6.2f} s")
    lines.append(f"  sweep              {t_sweep:6.2f} s  ({len(sweep):,} distinct thresholds)")
    lines.append(
        f"full sweep: {t_label + t_sweep:.2f} s ({len(scored) / (t_label + t_sweep):,.0f} pairs/s)"
    )
    t0 = time.perf_counter()
    kept = one_to_one(scored)
    t_assign = time.perf_counter() - t0
    lines.append(f"one-to-one assignment: {t_assign:.2f} s ({len(kept):,} pairs kept)")
    run = LinkRun("synthetic", None, scored, {"strategy": "synthetic"}, {}, Path("synthetic"))
    t0 = time.perf_counter()
    tables = evaluate_runs(ground, [run])
    t_all = time.perf_counter() - t0
    lines.append(
        f"full evaluation ({len(ASSIGNMENTS)} assignments x {len(OPERATING_POINTS)} operating points "
        f"where the strategy has them, outcomes, harm, disparities): {t_all:.1f} s"
    )
    scratch = scratch_folder("perf-evaluate")
    try:
        t0 = time.perf_counter()
        write_tables(tables, scratch / "evaluation", {}, started=t0, force=False)
        t_write = time.perf_counter() - t0
        size = sum(f.stat().st_size for f in (scratch / "evaluation").iterdir()) / 2**20
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    lines.append(f"writing the tables (CSV and Parquet): {t_write:.1f} s, {size:,.0f} MiB")
    lines.append(f"peak RSS: {peak_rss_mb():,.0f} MiB")
    return lines
