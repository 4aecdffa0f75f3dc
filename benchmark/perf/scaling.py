"""``itin-bench perf scaling``: time and peak memory of each pipeline stage at several sizes.

Every stage runs as its own ``itin-bench`` process (generate, one link per
strategy, evaluate), so its wall time and peak resident memory are its own
(``os.wait4`` reports the child's peak).  The growth exponent of a stage is the
least-squares slope of log(seconds) — and of log(peak memory) — against
log(requests), after subtracting what an ``itin-bench`` process costs before it
does any work (``itin-bench strategies``: interpreter and imports), so that
start-up does not flatten the slope at small sizes: 1 is linear growth, about
1.1 over these ranges is n·log n.
"""

from __future__ import annotations

import logging
import os
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from benchmark.safe_output import write_csv
from data_gen import load_scenario, read_manifest
from data_gen.dataset import atomic_folder, check_output_folder
from data_gen.errors import InputError
from data_gen.folders import scratch_folder

log = logging.getLogger(__name__)

COLUMNS = ("stage", "scale", "requests", "records", "seconds", "peak_rss_mib")


def run_stage(args: list[str], workdir: Path) -> tuple[float, float]:
    """Run ``itin-bench ARGS`` as a child process; return (seconds, peak RSS in MiB).

    Raises
    ------
    RuntimeError
        If the stage fails (with the last line it wrote to stderr).
    """
    command = [sys.executable, "-m", "benchmark", "--quiet", *args]
    err_path = workdir / "stderr.txt"
    started = time.perf_counter()
    with open(err_path, "wb") as err:
        child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=err)
        _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        lines = err_path.read_text(errors="replace").strip().splitlines() or ["(no message)"]
        raise RuntimeError(f"`{shlex.join(command[2:])}` failed: {lines[-1]}")
    return seconds, usage.ru_maxrss / 1024  # Linux reports KiB


def measure(
    config: Path, scales: list[float], strategies: list[str], workdir: Path
) -> pd.DataFrame:
    """Run generate → link (each strategy) → evaluate at every scale; one row per stage and scale."""
    seconds, rss = run_stage(["strategies"], workdir)
    rows = [
        {
            "stage": "startup",
            "scale": 0.0,
            "requests": 0,
            "records": 0,
            "seconds": seconds,
            "peak_rss_mib": rss,
        }
    ]
    for scale in scales:
        data = workdir / f"data-{scale:g}"
        links = workdir / f"links-{scale:g}"
        seconds, rss = run_stage(
            ["generate", "--config", str(config), "--scale", f"{scale:g}", "--out", str(data)],
            workdir,
        )
        tables = read_manifest(data)["tables"]
        size = {"requests": tables["requests"]["rows"], "records": tables["irs_filers"]["rows"]}
        rows.append(
            {"stage": "generate", "scale": scale, **size, "seconds": seconds, "peak_rss_mib": rss}
        )
        log.info(
            "scale %g: generated %s requests in %.1f s", scale, f"{size['requests']:,}", seconds
        )
        for name in strategies:
            seconds, rss = run_stage(
                ["link", "--data", str(data), "--strategy", name, "--out", str(links / name)],
                workdir,
            )
            rows.append(
                {"stage": name, "scale": scale, **size, "seconds": seconds, "peak_rss_mib": rss}
            )
            log.info("scale %g: %s in %.1f s, peak %.0f MiB", scale, name, seconds, rss)
        seconds, rss = run_stage(
            [
                "evaluate",
                "--data",
                str(data),
                "--pairs",
                str(links),
                "--out",
                str(workdir / f"eval-{scale:g}"),
            ],
            workdir,
        )
        rows.append(
            {"stage": "evaluate", "scale": scale, **size, "seconds": seconds, "peak_rss_mib": rss}
        )
        log.info("scale %g: evaluated in %.1f s", scale, seconds)
    return pd.DataFrame(rows, columns=list(COLUMNS))


def pipeline_totals(table: pd.DataFrame) -> pd.DataFrame:
    """The pipeline at each size: stages run one after another, so its time is their sum
    and its peak memory the largest of theirs."""
    work = table[table["stage"] != "startup"]
    return (
        work.groupby(["scale", "requests", "records"], as_index=False)
        .agg(seconds=("seconds", "sum"), peak_rss_mib=("peak_rss_mib", "max"))
        .sort_values("scale", ignore_index=True)
    )


def growth_exponents(table: pd.DataFrame) -> pd.DataFrame:
    """Least-squares slope of log(seconds) and log(peak RSS) on log(requests), per stage.

    A ``startup`` row, if present, is subtracted from every stage first (and
    gets no exponent of its own); values are floored at 1% of the stage's
    largest so a stage no costlier than start-up cannot take the log of zero.

    Examples
    --------
    >>> t = pd.DataFrame({"stage": ["startup", "s", "s", "s"], "requests": [0, 10, 100, 1000],
    ...                   "seconds": [2.0, 3.0, 12.0, 102.0], "peak_rss_mib": [100.0, 105, 105, 105]})
    >>> row = growth_exponents(t).iloc[0]
    >>> row["stage"], round(float(row["time_exponent"]), 3), abs(round(float(row["memory_exponent"]), 3))
    ('s', 1.0, 0.0)
    """
    base = table[table["stage"] == "startup"]
    base_s = float(base["seconds"].iloc[0]) if len(base) else 0.0
    base_m = float(base["peak_rss_mib"].iloc[0]) if len(base) else 0.0
    rows = []
    for stage, g in table[table["stage"] != "startup"].groupby("stage", sort=False):
        x = np.log(g["requests"].to_numpy(dtype=float))
        row = {"stage": stage, "sizes": len(g)}
        for column, name, b in (
            ("seconds", "time_exponent", base_s),
            ("peak_rss_mib", "memory_exponent", base_m),
        ):
            above = g[column].to_numpy(dtype=float) - b
            y = np.log(np.maximum(above, 0.01 * max(above.max(), 1e-9)))
            row[name] = float(np.polyfit(x, y, 1)[0]) if len(g) > 1 and np.ptp(x) > 0 else np.nan
        rows.append(row)
    return pd.DataFrame(rows)


def draw_scaling(table: pd.DataFrame, out: Path) -> None:
    """Log–log figure of seconds and peak memory against requests, one line per stage."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(9, 4), dpi=150)
    for stage, g in table[table["stage"] != "startup"].groupby("stage", sort=False):
        for ax, column in zip(axes, ("seconds", "peak_rss_mib"), strict=True):
            ax.plot(g["requests"], g[column], marker="o", label=stage)
    from matplotlib.ticker import NullFormatter

    for ax, label in zip(axes, ("wall time (s)", "peak resident memory (MiB)"), strict=True):
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.xaxis.set_minor_formatter(NullFormatter())  # minor labels overlap on short ranges
        ax.set_xlabel("requests")
        ax.set_ylabel(label)
        ax.grid(True, which="both", alpha=0.3)
    axes[0].legend(fontsize=7)
    fig.tight_layout()
    for ext in ("png", "svg"):
        fig.savefig(out / f"scaling.{ext}", metadata={"Date": None} if ext == "svg" else None)
    plt.close(fig)


def check_scaling_arguments(
    *, config: Path, scales: list[float], strategies: list[str], out: Path
) -> None:
    """Refuse bad arguments of :func:`perf_scaling` before any work.

    Parameters
    ----------
    config, scales, strategies, out
        As for :func:`perf_scaling`.

    Raises
    ------
    InputError
        If a strategy is unknown, the sizes are out of range or fewer than two
        different ones, the scenario cannot be loaded, or ``out`` exists and is
        not empty.
    """
    from benchmark.strategies import get_strategy

    for name in strategies:
        get_strategy(name)
    if not scales or any(not 0 < s <= 100 for s in scales):
        raise InputError(f"--scales {scales}: give sizes greater than 0 and at most 100")
    if len(set(scales)) < 2:
        raise InputError("--scales: at least two different sizes are needed for a growth exponent")
    load_scenario(config)
    if out.is_dir() and any(out.iterdir()):
        raise InputError(f"{out}: folder exists and is not empty; give a new folder")
    check_output_folder(out, force=False, kind="perf")


def _write_results(
    out: Path,
    table: pd.DataFrame,
    exponents: pd.DataFrame,
    totals: pd.DataFrame,
    *,
    command: str,
    machine: str,
) -> None:
    """Write the tables, the figure and the README of a scaling run to the new folder ``out``."""
    with atomic_folder(out, force=False, kind="perf") as folder:
        write_csv(table, folder / "scaling.csv", index=False, float_format="%.4g")
        write_csv(exponents, folder / "scaling_exponents.csv", index=False, float_format="%.4g")
        write_csv(totals, folder / "scaling_totals.csv", index=False, float_format="%.4g")
        draw_scaling(table, folder)
        (folder / "README.md").write_text(
            "# Pipeline scaling\n\n"
            f"Made by `{command}` on {machine}.\n\n"
            "`scaling.csv`: wall time and peak resident memory of each stage (its own process) "
            "at each size; `scaling_exponents.csv`: least-squares slope of log(time) and "
            "log(memory) against log(requests) (1 = linear, about 1.1 = n log n over these "
            "ranges); `scaling_totals.csv`: the whole pipeline at each size (stages run one "
            "after another: the sum of their times, the largest of their peaks); "
            "`scaling.png`/`.svg`: the same on log–log axes.\n",
            encoding="utf-8",
        )


def _report_lines(
    table: pd.DataFrame, exponents: pd.DataFrame, totals: pd.DataFrame, machine: str
) -> list[str]:
    """The printed report: start-up cost, each stage at each size, totals and exponents."""
    work = table[table["stage"] != "startup"]
    start = table[table["stage"] == "startup"].iloc[0]
    lines = [
        f"machine: {machine}",
        f"an itin-bench process before any work: {start['seconds']:.1f} s, "
        f"{start['peak_rss_mib']:.0f} MiB (subtracted before fitting exponents)",
        f"{'stage':20} "
        + " ".join(f"{f'{r:,} req':>16}" for r in work.drop_duplicates("scale")["requests"]),
    ]
    for stage, g in work.groupby("stage", sort=False):
        cells = " ".join(
            f"{s:>7.1f}s {m:>6.0f}M" for s, m in zip(g["seconds"], g["peak_rss_mib"], strict=True)
        )
        lines.append(f"{stage:20} {cells}")
    lines.append("whole pipeline (sum of stage times, largest stage peak):")
    for _, r in totals.iterrows():
        lines.append(
            f"  {int(r['requests']):>9,} requests: {r['seconds'] / 60:6.1f} min, "
            f"{r['peak_rss_mib'] / 1024:5.1f} GiB"
        )
    lines.append("growth exponents (time, memory) against requests:")
    for _, r in exponents.iterrows():
        lines.append(f"  {r['stage']:20} {r['time_exponent']:5.2f} {r['memory_exponent']:5.2f}")
    return lines


def perf_scaling(
    *, config: Path, scales: list[float], strategies: list[str], out: Path, machine: str
) -> list[str]:
    """Measure every stage at every scale, write ``out`` and return the printed report.

    ``out`` gets ``scaling.csv`` (one row per stage and size),
    ``scaling_exponents.csv``, ``scaling_totals.csv``, ``scaling.png``/``.svg``
    and a ``README.md`` naming the machine and the command.

    Parameters
    ----------
    config : Path
        Scenario whose ``scale`` is varied.
    scales : list of float
        Sizes (at least two different ones, each in (0, 100]).
    strategies : list of str
        Strategies to time (registry names or ``package.module:ClassName``).
    out : Path
        New folder for the results.
    machine : str
        The machine, as :func:`benchmark.resources.machine` describes it.

    Returns
    -------
    list of str
        The report to print.

    Raises
    ------
    InputError
        On bad arguments, before any work (:func:`check_scaling_arguments`).
    """
    check_scaling_arguments(config=config, scales=scales, strategies=strategies, out=out)
    scales = sorted(scales)
    scratch = scratch_folder("scaling")
    try:
        table = measure(config, scales, strategies, scratch)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    exponents = growth_exponents(table)
    totals = pipeline_totals(table)
    command = "itin-bench perf scaling --config {} --scales {} {}--out {}".format(
        config,
        ",".join(f"{s:g}" for s in scales),
        "".join(f"--strategy {s} " for s in strategies),
        out,
    )
    _write_results(out, table, exponents, totals, command=command, machine=machine)
    return [*_report_lines(table, exponents, totals, machine), f"written: {out}"]
