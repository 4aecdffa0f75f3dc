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
    """Generate and write a world of ``persons`` people; print throughput and peak RSS."""
    from data_gen import generate_world, load_scenario, write_dataset
    from data_gen.config import Scenario
    from data_gen.errors import InputError

    if persons <= 0:
        raise InputError(f"--persons {persons}: must be positive")
    base = load_scenario(config) if config else Scenario()
    # keep the default world's density (persons per ZIP) as the world grows
    n_zips = max(1, round(base.world.n_zips * persons / max(base.world.persons, 1)))
    scenario = base.with_overrides(world={"persons": persons, "n_zips": n_zips})
    out = keep or Path(tempfile.mkdtemp(prefix="itin-bench-perf-")) / "world"
    t0 = time.perf_counter()
    world = generate_world(scenario, seed=seed)
    t_gen = time.perf_counter() - t0
    write_dataset(world, out, force=keep is not None)
    total = time.perf_counter() - t0
    n = len(world.tables["persons"])
    rows = sum(len(t) for t in world.tables.values())
    print(f"machine: {machine()}")
    print(f"world: {n:,} persons in {n_zips} ZIPs; {rows:,} rows in {len(world.tables)} tables")
    for stage, secs in world.timings.items():
        print(f"  {stage:12} {secs:7.2f} s")
    print(f"generate: {t_gen:.1f} s; with Parquet writing: {total:.1f} s")
    print(f"persons per second: {n / total:,.0f}")
    print(f"peak RSS: {peak_rss_mb():,.0f} MiB")
    if keep is None:
        shutil.rmtree(out.parent, ignore_errors=True)
    return 0
