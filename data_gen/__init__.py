"""Synthetic world generator: population, IRS records, enforcement requests, noise, truth."""

from data_gen.config import Scenario, load_scenario, scenario_from_dict
from data_gen.dataset import TABLES, read_manifest, read_table, write_dataset
from data_gen.errors import BenchmarkError, ConfigError, InputError
from data_gen.noise import apply_noise
from data_gen.noise_registry import NOISE_TYPES, NoiseType
from data_gen.world import World, generate_world

__all__ = [
    "NOISE_TYPES",
    "TABLES",
    "BenchmarkError",
    "ConfigError",
    "InputError",
    "NoiseType",
    "Scenario",
    "World",
    "apply_noise",
    "generate_world",
    "load_scenario",
    "read_manifest",
    "read_table",
    "scenario_from_dict",
    "write_dataset",
]
