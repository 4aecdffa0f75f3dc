"""Synthetic world generator: population, IRS records, enforcement requests, noise, truth.

The names below load on first use, so reading a dataset folder
(``data_gen.dataset``) does not import the generator.
"""

from __future__ import annotations

import importlib

_HOMES = {
    "Scenario": "data_gen.config",
    "load_scenario": "data_gen.config",
    "scenario_from_dict": "data_gen.config",
    "TABLES": "data_gen.dataset",
    "read_manifest": "data_gen.dataset",
    "read_table": "data_gen.dataset",
    "write_dataset": "data_gen.dataset",
    "BenchmarkError": "data_gen.errors",
    "ConfigError": "data_gen.errors",
    "InputError": "data_gen.errors",
    "apply_noise": "data_gen.noise",
    "NOISE_TYPES": "data_gen.noise_registry",
    "NoiseType": "data_gen.noise_registry",
    "World": "data_gen.world",
    "generate_world": "data_gen.world",
}

__all__ = sorted(_HOMES)


def __getattr__(name: str):
    if name not in _HOMES:
        raise AttributeError(f"module 'data_gen' has no attribute {name!r}")
    return getattr(importlib.import_module(_HOMES[name]), name)
