"""Shared fixtures: one smoke-scenario world per test session."""

from __future__ import annotations

from pathlib import Path

import pytest

from data_gen import generate_world, load_scenario, write_dataset

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def smoke_world(tmp_path_factory) -> Path:
    """A dataset folder of the smoke scenario at its own seed (read-only for tests)."""
    scenario = load_scenario(ROOT / "configs" / "smoke.toml")
    return write_dataset(generate_world(scenario), tmp_path_factory.mktemp("smoke") / "world")
