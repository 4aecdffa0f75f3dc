"""``itin-bench perf calibrate``: the time and peak memory of the whole 2025 calibration.

The calibration runs as the main job runs it (one population, every draw of
``[calibration]``), in this process; the figures are printed and written with
the machine and the command to a new folder under ``results/perf/``.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import numpy as np

from benchmark.resources import peak_rss_mb
from benchmark.safe_output import write_csv
from data_gen.dataset import atomic_folder, check_output_folder
from data_gen.errors import InputError


def perf_calibrate(
    config: Path, *, draws: int | None, out: Path, command: str, machine: str
) -> list[str]:
    """Run the calibration of ``config`` and record its time and memory in ``out`` (new).

    Returns
    -------
    list of str
        The printed report.
    """
    from benchmark.experiments.calibration_draws import run_draws
    from data_gen.config import load_scenario

    if out.is_dir() and any(out.iterdir()):
        raise InputError(f"{out}: folder exists and is not empty; give a new folder")
    check_output_folder(out, force=False, kind="perf")
    scenario = load_scenario(config)
    if draws is not None:
        scenario = scenario.with_overrides(calibration={"draws": draws})
    if scenario.calibration.draws == 0:
        raise InputError(f"{config}: calibration.draws is 0; there is nothing to time")
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    table = run_draws(scenario)
    total = time.perf_counter() - started
    per_draw = table["seconds"].dropna().to_numpy(dtype=float)
    figures = {
        "config": str(config),
        "draws": len(table),
        "drawn": int((table["status"] == "ok").sum()),
        "kept": int(table["kept"].fillna(False).astype(bool).sum()),
        "requests_per_draw": int(table["requests"].dropna().iloc[0]) if len(per_draw) else 0,
        "seconds_total": round(total, 1),
        "seconds_setup": round(total - float(per_draw.sum()), 1),
        "seconds_per_draw_median": round(float(np.median(per_draw)), 2) if len(per_draw) else None,
        "peak_rss_mib": round(peak_rss_mb()),
        "load_average_before": round(load_before, 2),
        "machine": machine,
        "command": command,
    }
    with atomic_folder(out, force=False, kind="perf") as folder:
        (folder / "calibrate.json").write_text(json.dumps(figures, indent=2) + "\n")
        write_csv(table, folder / "draws.csv", index=False, float_format="%.10g")
        (folder / "README.md").write_text(
            "# The 2025 calibration: time and memory\n\n"
            f"Made by `{command}` on {machine}.\n\n"
            "`calibrate.json`: the whole calibration (one population and tax file, then every "
            "draw) in one process: total wall time, the set-up (population, record keys) and the "
            "median draw, the process's peak resident memory, and the load average before it "
            "started; `draws.csv`: every draw as the run's `calibration/draws.csv` holds it, "
            "with its time (`seconds`).\n",
            encoding="utf-8",
        )
    return [
        f"machine: {machine}",
        f"{figures['draws']} draws ({figures['drawn']} drawn, {figures['kept']} kept), "
        f"{figures['requests_per_draw']:,} requests each",
        f"total {total / 60:.1f} min (set-up {figures['seconds_setup']:.0f} s, median draw "
        f"{figures['seconds_per_draw_median']} s); peak memory {figures['peak_rss_mib']:,} MiB",
        f"written to {out}",
    ]
