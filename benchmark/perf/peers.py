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

This module is the command: it checks the arguments, runs both measurements
(:mod:`benchmark.perf.peer_generators`, :mod:`benchmark.perf.peer_link_timing`)
and writes their tables and README (:mod:`benchmark.perf.peer_report`).

Timings exclude imports; each tool makes one small untimed call first, and the
generators report the median of several runs.  The linkage is timed once per
method.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pandas as pd

from benchmark.perf.peer_generators import (
    PSEUDOPEOPLE_DATASETS,
    generator_summary,
    time_generator,
    time_pseudopeople,
)
from benchmark.perf.peer_link_timing import link_peers, world_for_linkage
from benchmark.perf.peer_report import readme_text, report_lines
from benchmark.safe_output import write_csv
from benchmark.strategies.backends import Backend
from data_gen.errors import InputError

log = logging.getLogger(__name__)

PERF_EXTRA = "install the perf extra: pip install -e '.[perf]'"
PEER_PACKAGES = ("pseudopeople", "recordlinkage", "splink", "duckdb", "pandas", "numpy")


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

    Parameters
    ----------
    persons, repeats, datasets, n_jobs, config, scale, out
        As for :func:`perf_peers`.

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

    Parameters
    ----------
    persons : int
        Size of our generator's world (1 to 20,000,000).
    repeats : int
        Timed runs of each generator (1 to 20).
    datasets : list of str
        pseudopeople datasets to generate (from ``PSEUDOPEOPLE_DATASETS``).
    config : Path
        Scenario of the linkage world.
    scale : float, optional
        Size factor of the linkage world.
    n_jobs : int
        recordlinkage ``Compare`` jobs (1 to 64).
    out : Path
        New folder for the tables and README.
    machine : str
        The machine, as :func:`benchmark.resources.machine` describes it.
    command : str
        The command line, for the README.

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
    _write_results(out, runs, gens, link, readme_text(command, machine, packages, lines))
    lines.append(f"written: {out}")
    return lines


def _write_results(
    out: Path, runs: pd.DataFrame, gens: pd.DataFrame, link: dict[str, Any], readme: str
) -> None:
    """Write the timed calls, the summaries, the linkage tables and the README to ``out``."""
    from data_gen.dataset import atomic_folder

    with atomic_folder(out, force=False, kind="perf") as folder:
        write_csv(runs, folder / "generators.csv", index=False, float_format="%.4f")
        write_csv(gens, folder / "generators_summary.csv", index=False, float_format="%.4f")
        write_csv(link["methods"], folder / "linkage.csv", index=False, float_format="%.6g")
        write_csv(link["encodings"], folder / "ecm_encodings.csv", index=False, float_format="%.6g")
        write_csv(
            link["levels"], folder / "comparison_levels.csv", index=False, float_format="%.6g"
        )
        (folder / "README.md").write_text(readme, encoding="utf-8")
