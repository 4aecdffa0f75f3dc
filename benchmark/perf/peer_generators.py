"""The generator against pseudopeople: noised person records per second, in memory.

pseudopeople's records are those of its bundled sample datasets (the default
source), noised by its default configuration; it starts from a population
simulated beforehand, while ``generate_world`` builds its population as part
of the timed run.  The comparable count of our records is the noised
observation tables a linkage sees (:data:`OBSERVED_TABLES`); all rows of all
ten tables are reported beside it.  Timings exclude imports; each tool makes
one small untimed call first.
"""

from __future__ import annotations

import contextlib
import io
import logging
import statistics
import time
from typing import Any

import pandas as pd

log = logging.getLogger(__name__)

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


def time_pseudopeople(datasets: list[str], repeats: int) -> pd.DataFrame:
    """Time pseudopeople's generation of its bundled sample datasets.

    Every dataset is generated with the default source (the sample data), seed
    and noise configuration, once for pseudopeople's default year (2020) and
    once for all years of the sample.  One untimed call comes first.

    Parameters
    ----------
    datasets : list of str
        Names from :data:`PSEUDOPEOPLE_DATASETS`.
    repeats : int
        Timed runs over all of them.

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

    Parameters
    ----------
    persons : int
        Size of the world.
    repeats : int
        Timed runs.

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

    Parameters
    ----------
    runs : DataFrame
        The timed calls of :func:`time_pseudopeople` and :func:`time_generator`.

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
