"""The perf command runs and prints its figures (not a timing test)."""

from __future__ import annotations

import subprocess
import sys


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
