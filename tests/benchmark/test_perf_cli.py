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
