"""The training world of supervised strategies: same scenario, separately seeded, with labels.

The link stage hands a supervised strategy its training world: read from a
stored training dataset folder (the ``training`` stage of a run,
:func:`write_training_world`), or, for a one-off ``itin-bench link``, generated
in memory (:func:`training_data`).  Strategies never generate worlds.
"""

from __future__ import annotations

import json
import logging
from functools import lru_cache
from pathlib import Path

from benchmark.strategies.link_data import RECORD_COLUMNS, REQUEST_COLUMNS, LinkData
from data_gen.dataset import read_manifest, read_table, write_dataset
from data_gen.errors import InputError

log = logging.getLogger(__name__)

# a larger training world adds little to what a model learns and much to its memory
TRAINING_MAX_PERSONS = 300_000


def training_scenario(folder: str | Path):
    """The training world's scenario and seed for the evaluated world in ``folder``.

    The seed is derived from the evaluated world's seed by hashing; worlds above
    :data:`TRAINING_MAX_PERSONS` people are scaled down to it (same density and
    composition), and the world is generated in one piece.

    Raises
    ------
    InputError
        If the manifest holds no scenario config and seed.
    """
    from data_gen import scenario_from_dict
    from data_gen.rng import stable_hash

    manifest = read_manifest(folder)
    if "config" not in manifest or "seed" not in manifest:
        raise InputError(
            f"{folder}/manifest.json: no scenario config and seed to build a training world from"
        )
    seed = stable_hash(f"training/{manifest['seed']}") % (2**31)
    scenario = scenario_from_dict(manifest["config"], f"{folder}/manifest.json")
    scenario = scenario.with_overrides(world={"chunks": 1}).scaled()
    if scenario.world.persons > TRAINING_MAX_PERSONS:
        scenario = scenario.with_overrides(scale=TRAINING_MAX_PERSONS / scenario.world.persons)
    return scenario, seed


def write_training_world(folder: str | Path, out: str | Path) -> Path:
    """Generate the training world of the evaluated world in ``folder`` into the dataset folder ``out``."""
    from data_gen import generate_world

    scenario, seed = training_scenario(folder)
    log.info("generating the training world (seed %d) for supervised strategies", seed)
    return write_dataset(generate_world(scenario, seed=seed), out, force=True)


def load_training(folder: str | Path) -> LinkData:
    """A stored training world (:func:`write_training_world`) as labelled link data.

    Returns
    -------
    LinkData
        With ``person_id`` on both tables and the true pairs as ``labels``.
    """
    manifest = read_manifest(folder)
    return LinkData(
        requests=read_table(folder, "requests", [*REQUEST_COLUMNS, "person_id"]),
        records=read_table(folder, "irs_filers", [*RECORD_COLUMNS, "person_id"]),
        name=f"{manifest.get('scenario', 'world')}-training",
        labels=read_table(folder, "truth"),
    )


def training_data(folder: str | Path) -> LinkData:
    """The training world of the evaluated world in ``folder``, generated in memory.

    Generated once per process and scenario (:func:`training_scenario`); each
    call gets its own copies of the tables.

    Returns
    -------
    LinkData
        With ``person_id`` on both tables and the true pairs as ``labels``.
    """
    scenario, seed = training_scenario(folder)
    data = _training_world(json.dumps(scenario.to_dict(), sort_keys=True), seed)
    return LinkData(
        requests=data.requests.copy(),
        records=data.records.copy(),
        name=data.name,
        labels=None if data.labels is None else data.labels.copy(),
    )


@lru_cache(maxsize=2)
def _training_world(config_json: str, seed: int) -> LinkData:
    """The training world of a scenario (as JSON, so that it can be cached) and seed."""
    from data_gen import generate_world, scenario_from_dict

    scenario = scenario_from_dict(json.loads(config_json), "training world")
    log.info("generating the training world (seed %d) for supervised strategies", seed)
    world = generate_world(scenario, seed=seed)
    req = world.tables["requests"]
    rec = world.tables["irs_filers"]
    return LinkData(
        requests=req[[*REQUEST_COLUMNS, "person_id"]].copy(),
        records=rec[[*RECORD_COLUMNS, "person_id"]].copy(),
        name=f"{scenario.name}-training",
        labels=world.tables["truth"].copy(),
    )
