"""Performance benchmarks: they print their figures (speed and peak memory)."""

from __future__ import annotations

import os
import platform
import resource
import shutil
import tempfile
import time
from pathlib import Path


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far, in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def machine() -> str:
    """One-line description of this machine."""
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{platform.machine()}, {os.cpu_count()} cores, {mem:.0f} GiB RAM, Python {platform.python_version()}"


def perf_generate(*, persons: int, config: Path | None, seed: int | None, keep: Path | None) -> int:
    """Generate and write a world of ``persons`` people; print throughput and peak RSS.

    The scenario (``config``, or the built-in defaults) is scaled to ``persons``
    at the same density (persons per ZIP code).  The world is written to a
    temporary folder that is removed afterwards, or to ``keep``.
    """
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
    scratch = None if keep is not None else Path(tempfile.mkdtemp(prefix="itin-bench-perf-"))
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
    print(f"machine: {machine()}")
    print(f"world: {n:,} persons in {n_zips} ZIPs; {rows:,} rows in {len(world.tables)} tables")
    for stage, secs in world.timings.items():
        print(f"  {stage:12} {secs:7.2f} s")
    print(
        f"generate: {t_gen:.1f} s; with realism figures, hashing and Parquet writing: {total:.1f} s"
    )
    print(f"persons per second: {n / total:,.0f}")
    print(f"peak RSS: {peak_rss_mb():,.0f} MiB")
    if keep is not None:
        print(f"dataset: {keep}")
    return 0


def perf_link(
    *, data: Path | None, config: Path | None, strategies: list[str] | None, backend: str
) -> int:
    """Run every strategy on one world; print wall time, candidate pairs and pairs per second."""
    from benchmark.link import run_link
    from benchmark.strategies import STRATEGIES, Backend
    from data_gen import generate_world, load_scenario, write_dataset
    from data_gen.dataset import read_manifest

    names = strategies or list(STRATEGIES)
    scratch = Path(tempfile.mkdtemp(prefix="itin-bench-perf-link-"))
    try:
        if data is None:
            default = Path(__file__).resolve().parents[1] / "configs" / "default.toml"
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
    print(f"machine: {machine()}")
    print(
        f"world: {manifest['scenario']} (seed {manifest['seed']}): {n_req:,} requests x {n_rec:,} IRS records; backend {backend}"
    )
    print(
        f"{'strategy':22} {'wall s':>7} {'of which fit s':>14} {'candidate pairs':>16} {'pairs/s':>10} {'pair completeness':>18}"
    )
    for name, wall, pairs, pc, fit in rows:
        pcs = "n/a" if pc is None else f"{pc:.1%}"
        print(f"{name:22} {wall:7.1f} {fit:14.1f} {pairs:16,} {pairs / wall:10,.0f} {pcs:>18}")
    print(f"all strategies: {total:.1f} s")
    print(f"peak RSS: {peak_rss_mb():,.0f} MiB")
    return 0
