"""The training world of supervised strategies: same scenario, separately seeded, with labels."""

from __future__ import annotations

import json
import logging
from functools import lru_cache
from pathlib import Path

from benchmark.strategies.link_data import RECORD_COLUMNS, REQUEST_COLUMNS, LinkData
from data_gen.dataset import read_manifest
from data_gen.errors import InputError

log = logging.getLogger(__name__)

# a larger training world adds little to what a model learns and much to its memory
TRAINING_MAX_PERSONS = 300_000


def training_data(folder: str | Path) -> LinkData:
    """A labelled training world: same scenario as ``folder``, separately seeded.

    The seed is derived from the evaluated world's seed by hashing, so training
    and evaluation never share a world.  Worlds above
    :data:`TRAINING_MAX_PERSONS` people are scaled down to it for training (same
    density and composition).  The world is generated once per process and
    scenario; each call gets its own copies of the tables.

    Parameters
    ----------
    folder : str or Path
        The evaluated world's dataset folder (its manifest gives the scenario
        and seed).

    Returns
    -------
    LinkData
        With ``person_id`` on both tables and the true pairs as ``labels``.

    Raises
    ------
    InputError
        If the manifest holds no scenario config and seed.
    """
    from data_gen.rng import stable_hash

    manifest = read_manifest(folder)
    if "config" not in manifest or "seed" not in manifest:
        raise InputError(
            f"{folder}/manifest.json: no scenario config and seed to build a training world from"
        )
    seed = stable_hash(f"training/{manifest['seed']}") % (2**31)
    data = _training_world(
        json.dumps(manifest["config"], sort_keys=True), seed, f"{folder}/manifest.json"
    )
    return LinkData(
        requests=data.requests.copy(),
        records=data.records.copy(),
        name=data.name,
        labels=None if data.labels is None else data.labels.copy(),
    )


@lru_cache(maxsize=2)
def _training_world(config_json: str, seed: int, source: str) -> LinkData:
    """The training world of a scenario (as JSON, so that it can be cached) and seed."""
    from data_gen import generate_world, scenario_from_dict

    # one world in memory: the training world is small
    scenario = scenario_from_dict(json.loads(config_json), source).with_overrides(
        world={"chunks": 1}
    )
    scenario = scenario.scaled()
    if scenario.world.persons > TRAINING_MAX_PERSONS:
        scenario = scenario.with_overrides(scale=TRAINING_MAX_PERSONS / scenario.world.persons)
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
