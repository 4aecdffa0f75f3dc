"""The request-noise sweep as runner stages: each level's world, links and evaluation, resumable."""

from __future__ import annotations

from pathlib import Path

import pytest

import benchmark.experiments.runner as runner
from benchmark.experiments.runner import RunResult, run_stages
from benchmark.experiments.sensitivity import (
    scaled_request_noise,
    sensitivity_stages,
    sensitivity_table,
)
from data_gen import load_scenario

ROOT = Path(__file__).resolve().parents[2]
LEVELS = (0.5, 2.0)


def _stages(scenario, folder):
    return sensitivity_stages(scenario, ["irs_2025"], folder / "sensitivity", LEVELS)


def test_an_interrupted_sweep_resumes_at_the_unfinished_level(tmp_path, monkeypatch):
    scenario = load_scenario(ROOT / "configs" / "smoke.toml")
    real = runner._make

    def interrupt(stage, *args):
        if stage.name == "sensitivity/x2/irs_2025":
            raise KeyboardInterrupt
        return real(stage, *args)

    monkeypatch.setattr(runner, "_make", interrupt)
    with pytest.raises(KeyboardInterrupt):
        run_stages(_stages(scenario, tmp_path), RunResult(folder=tmp_path))
    monkeypatch.setattr(runner, "_make", real)
    result = RunResult(folder=tmp_path)
    run_stages(_stages(scenario, tmp_path), result)
    reused = {s["stage"]: s["reused"] for s in result.stages}
    assert reused == {
        "sensitivity/x0.5/data": True,
        "sensitivity/x0.5/irs_2025": True,
        "sensitivity/x0.5/evaluation": True,
        "sensitivity/x2/data": True,
        "sensitivity/x2/irs_2025": False,
        "sensitivity/x2/evaluation": False,
    }
    table = sensitivity_table(tmp_path / "sensitivity", LEVELS)
    assert list(table["noise_multiplier"]) == list(LEVELS)
    # a level's world has its own request noise, the same population
    noisy = scaled_request_noise(scenario, 2.0)
    assert noisy.noise.requests != scenario.noise.requests
    assert noisy.world == scenario.world
