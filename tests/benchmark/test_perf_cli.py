"""The perf command runs and prints its figures (not a timing test)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np


def test_perf_generate_prints_throughput_and_memory(tmp_path):
    out = subprocess.run(
        [sys.executable, "-m", "benchmark", "-q", "perf", "generate", "--persons", "3000"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    assert "persons per second:" in out.stdout
    assert "peak RSS:" in out.stdout and "MiB" in out.stdout
    assert "machine:" in out.stdout
    # the temporary world is removed afterwards
    assert list(tmp_path.iterdir()) == []


def test_perf_generate_rejects_non_positive_size(tmp_path):
    out = subprocess.run(
        [sys.executable, "-m", "benchmark", "perf", "generate", "--persons", "0"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert out.returncode == 2
    assert out.stderr.strip().count("\n") == 0 and "--persons" in out.stderr


def test_perf_link_prints_per_strategy_figures(tmp_path):
    from data_gen import Scenario, generate_world, write_dataset

    world = write_dataset(
        generate_world(
            Scenario().with_overrides(
                world={"persons": 3000, "n_zips": 3},
                status={"final_order_rate": {"undocumented": 0.6}},
            )
        ),
        tmp_path / "w",
    )
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmark",
            "-q",
            "perf",
            "link",
            "--data",
            str(world),
            "--strategy",
            "irs_2025",
            "--strategy",
            "name_dob",
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    lines = {line.split()[0]: line for line in out.stdout.splitlines() if line.strip()}
    assert "irs_2025" in lines and "name_dob" in lines and "splink" not in lines
    assert "pairs/s" in out.stdout and "all strategies:" in out.stdout


def test_perf_evaluate_prints_the_sweep_time(tmp_path):
    out = subprocess.run(
        [sys.executable, "-m", "benchmark", "-q", "perf", "evaluate", "--pairs", "20000"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    assert "full sweep:" in out.stdout and "pairs/s" in out.stdout
    assert "distinct thresholds" in out.stdout and "peak RSS:" in out.stdout
    bad = subprocess.run(
        [sys.executable, "-m", "benchmark", "perf", "evaluate", "--pairs", "0"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert bad.returncode == 2 and "--pairs 0" in bad.stderr


CONFIG_2025 = str(Path(__file__).resolve().parents[2] / "configs" / "irs_ice_2025.toml")


def _itin(cwd: Path, *args: str, timeout: int = 600) -> subprocess.CompletedProcess:
    """Run ``itin-bench ARGS`` in a fresh process from ``cwd``."""
    return subprocess.run(
        [sys.executable, "-m", "benchmark", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=timeout,
    )


def test_perf_scaling_writes_table_exponents_and_figure(tmp_path):
    import pandas as pd

    out = _itin(
        tmp_path,
        "-q",
        "perf",
        "scaling",
        "--config",
        CONFIG_2025,
        "--scales",
        "0.004,0.002",
        "--strategy",
        "irs_2025",
        "--out",
        str(tmp_path / "sc"),
    )
    assert out.returncode == 0, out.stderr
    assert "growth exponents" in out.stdout and "machine:" in out.stdout
    table = pd.read_csv(tmp_path / "sc" / "scaling.csv")
    assert table["stage"].tolist() == ["startup"] + ["generate", "irs_2025", "evaluate"] * 2
    assert table.loc[table["stage"] == "generate", "requests"].tolist() == [2560, 5120]
    # every stage was measured: a positive, finite reading (no speed or memory target here;
    # those are the command's printed output)
    readings = table[["seconds", "peak_rss_mib"]].to_numpy(dtype=float)
    assert (readings > 0).all() and np.isfinite(readings).all()
    totals = pd.read_csv(tmp_path / "sc" / "scaling_totals.csv")
    work = table[table["stage"] != "startup"]
    assert totals["requests"].tolist() == [2560, 5120]
    np.testing.assert_allclose(
        totals["seconds"], work.groupby("scale")["seconds"].sum().to_numpy(), rtol=1e-3
    )
    np.testing.assert_allclose(
        totals["peak_rss_mib"], work.groupby("scale")["peak_rss_mib"].max().to_numpy(), rtol=1e-3
    )
    assert "whole pipeline" in out.stdout
    exponents = pd.read_csv(tmp_path / "sc" / "scaling_exponents.csv")
    assert exponents["stage"].tolist() == ["generate", "irs_2025", "evaluate"]
    assert exponents["time_exponent"].notna().all()
    for name in ("scaling.png", "scaling.svg", "README.md"):
        assert (tmp_path / "sc" / name).stat().st_size > 0
    assert "perf scaling" in (tmp_path / "sc" / "README.md").read_text()


def test_perf_scaling_refuses_bad_sizes_and_a_full_folder_before_work(tmp_path):
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "keep.txt").write_text("mine")
    for args, words in (
        (["--scales", "0.01"], "at least two"),
        (["--scales", "0.01,0"], "greater than 0"),
        (["--scales", "a,b"], "comma-separated"),
        (["--config", CONFIG_2025, "--scales", "0.01,0.02", "--out", str(busy)], "not empty"),
    ):
        out = _itin(tmp_path, "perf", "scaling", *args, timeout=120)
        assert out.returncode == 2, (args, out.stderr)
        # one error line (argparse also prints its usage for a malformed option)
        errors = [line for line in out.stderr.splitlines() if "error" in line]
        assert len(errors) == 1 and words in errors[0], out.stderr
    assert (busy / "keep.txt").read_text() == "mine"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["busy"]


def test_perf_calibrate_records_time_memory_and_every_draw(tmp_path, capsys):
    import json

    from benchmark.cli import main

    root = Path(__file__).resolve().parents[2]
    text = (
        (root / "configs" / "irs_ice_2025.toml")
        .read_text()
        .replace("scale = 0.1\n", "scale = 0.003\n", 1)
    )
    config = tmp_path / "small.toml"
    config.write_text(text)
    out = tmp_path / "perf"
    assert (
        main(["perf", "calibrate", "--config", str(config), "--draws", "4", "--out", str(out)]) == 0
    )
    printed = capsys.readouterr().out
    figures = json.loads((out / "calibrate.json").read_text())
    # 4 draws over the prior are too few to fit the second wave's emulator on
    assert figures["draws"] == 4 and figures["peak_rss_mib"] > 0 and figures["machine"]
    assert f"{figures['draws']} draws" in printed and "peak memory" in printed
    assert len((out / "draws.csv").read_text().splitlines()) == figures["draws"] + 1
    # a second run refuses the folder it would overwrite
    assert (
        main(["perf", "calibrate", "--config", str(config), "--draws", "4", "--out", str(out)]) == 2
    )
    assert "not empty" in capsys.readouterr().err
