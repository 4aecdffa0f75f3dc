"""CI runs the README's test command only, so the linters run as tests: ruff and mypy on the
packages must pass."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(
    "command",
    [
        ["ruff", "check", "data_gen", "benchmark", "tests"],
        ["mypy", "data_gen", "benchmark"],
    ],
    ids=["ruff", "mypy"],
)
def test_linter_passes(command):
    pytest.importorskip(command[0])
    done = subprocess.run(
        [sys.executable, "-m", *command], cwd=ROOT, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stdout + done.stderr
