"""Replicate worlds: the same scenario under independent seeds, each linked and evaluated.

The evaluation judges one world at a time; this module makes the other worlds
(generation and linking live here, not under :mod:`benchmark.evaluation`) and
hands them to :func:`benchmark.evaluation.evaluate.evaluate`, whose
:mod:`benchmark.evaluation.aggregate` turns them into intervals.
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import pandas as pd

from benchmark.evaluation.error_causes import load_cause_tables
from benchmark.evaluation.evaluate import evaluate, evaluate_runs
from benchmark.evaluation.ground_truth import load_ground_truth
from benchmark.evaluation.link_runs import LinkRun, load_link_run
from benchmark.evaluation.operating_points import DEFAULT_MAIN
from benchmark.linking.link import run_link
from benchmark.strategies import Backend
from data_gen import scenario_from_dict
from data_gen.chunks import generate_dataset
from data_gen.dataset import read_manifest
from data_gen.errors import InputError
from data_gen.folders import scratch_folder
from data_gen.rng import stable_hash

log = logging.getLogger(__name__)


def replicate_seed(seed: int, replicate: int) -> int:
    """The seed of replicate ``replicate`` of a world seeded ``seed`` (replicate 0 is the world itself).

    Examples
    --------
    >>> replicate_seed(7, 0)
    7
    >>> replicate_seed(7, 1) == replicate_seed(7, 1) != replicate_seed(7, 2)
    True
    """
    if replicate == 0:
        return seed
    return stable_hash(f"replicate/{seed}/{replicate}") % (2**31)


def replicate_tables(
    data: Path,
    runs: list[LinkRun],
    replicate: int,
    backend: Backend,
    main_point: str,
    thresholds: pd.DataFrame | None = None,
) -> dict[str, pd.DataFrame]:
    """Generate replicate ``replicate`` of ``data``'s world, link it like ``runs`` and evaluate it.

    Each strategy is rerun with the class and one-to-one setting its link
    manifest records; ``thresholds`` set its training points, as for world 0.  The replicate's world and pairs live in a temporary
    folder that is removed afterwards: they regenerate from the seed.
    """
    manifest = read_manifest(data)
    if "config" not in manifest or "seed" not in manifest:
        raise InputError(f"{data}/manifest.json: no scenario config and seed to replicate")
    scenario = scenario_from_dict(manifest["config"], f"{data}/manifest.json")
    seed = replicate_seed(int(manifest["seed"]), replicate)
    scratch = scratch_folder(f"replicate-{replicate}")
    try:
        log.info("replicate %d: generating the world (seed %d)", replicate, seed)
        world_dir = scratch / "data"
        generate_dataset(scenario, world_dir, seed=seed)
        truth = load_ground_truth(world_dir)
        linked = []
        for run in runs:
            log.info("replicate %d: linking with %s", replicate, run.strategy)
            folder = scratch / "links" / run.strategy
            run_link(
                world_dir,
                run.manifest.get("strategy_class", run.strategy),
                folder,
                backend=backend,
                one_to_one=bool(run.manifest.get("one_to_one", False)),
            )
            linked.append(load_link_run(folder, truth))
        causes = load_cause_tables(world_dir)
        return evaluate_runs(truth, linked, main_point, thresholds=thresholds, causes=causes)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def evaluate_worlds(
    data: str | Path,
    pairs: list[Path],
    out: str | Path,
    *,
    replicates: int = 1,
    backend: Backend | None = None,
    main_point: str = DEFAULT_MAIN,
    thresholds: str | Path | None = None,
    **options,
) -> dict:
    """Evaluate ``data`` and ``replicates - 1`` replicate worlds linked like ``pairs``.

    Parameters
    ----------
    data, pairs, out, main_point, thresholds
        As for :func:`benchmark.evaluation.evaluate.evaluate`; the thresholds
        set the training points of every world.
    replicates : int
        Number of worlds, ``data`` itself included.
    backend : Backend, optional
        Where replicate worlds are linked (default: DuckDB).
    **options
        Passed on to :func:`~benchmark.evaluation.evaluate.evaluate` (``force``,
        ``suppress_below``).

    Returns
    -------
    dict
        The evaluation manifest.
    """

    from benchmark.evaluation.tuning import read_thresholds

    tuned = None if thresholds is None else read_thresholds(thresholds)

    def world(runs: list[LinkRun], k: int) -> dict[str, pd.DataFrame]:
        return replicate_tables(Path(str(data)), runs, k, backend or Backend(), main_point, tuned)

    return evaluate(
        data,
        pairs,
        out,
        replicates=replicates,
        replicate_world=world,
        main_point=main_point,
        thresholds=tuned,
        **options,
    )
