"""The main job, ``itin-bench run``: generate → link every strategy → evaluate → figures → report.

The job is a list of stages of the experiment runner (:func:`main_job`,
:mod:`benchmark.experiments.runner`): world 0 (``data/``, ``links/<strategy>``),
each replicate world (``replicates/r{k}/`` with its data, links and one-world
evaluation), the evaluation over worlds, the calibration when the scenario asks
for one, figures and the report, each in its own folder below
``results/runs/<scenario>/`` with a ``stage.json`` holding its key.  A rerun
reuses every stage whose key and inputs are unchanged and redoes the rest (all
of them with ``force``).  Stage folders are written to a temporary sibling and
moved into place only when complete, so an interrupted run (Ctrl-C or kill)
keeps earlier results and the next run resumes from the last finished stage.

``run_manifest.json`` describes the last run that finished: a new run replaces
it (atomically) only at its end, so an interrupted run leaves the previous
one's in place.
"""

from __future__ import annotations

import dataclasses
import logging
import shutil
from collections.abc import Sequence
from functools import partial
from pathlib import Path

from benchmark.evaluation.aggregate import read_tables
from benchmark.evaluation.evaluate import evaluate
from benchmark.evaluation.pooled import WORLD_TABLES
from benchmark.experiments.replicates import replicate_seed
from benchmark.experiments.runner import PACKAGE_ROOT, RunResult, Stage, run_stages
from data_gen import Scenario, load_scenario
from data_gen.chunks import generate_dataset
from data_gen.config import CalibrationConfig, RunConfig
from data_gen.dataset import package_versions
from data_gen.errors import InputError
from data_gen.folders import write_json_atomically

log = logging.getLogger(__name__)


def resolve_strategies(scenario: Scenario, source: str | Path = "<scenario>") -> list[str]:
    """The strategy names the run links with, checked against the registry (or importable)."""
    from benchmark.strategies import STRATEGIES, get_strategy

    names = list(scenario.run.strategies) or list(STRATEGIES)
    for name in names:
        try:
            get_strategy(name)
        except InputError:
            raise InputError(
                f"{source}: run.strategies: {name!r} is not a strategy "
                "(see `itin-bench strategies`, or give package.module:ClassName)"
            ) from None
    return names


def run(
    config: str | Path,
    *,
    out_root: str | Path = Path("results") / "runs",
    force: bool = False,
    backend=None,
    scale: float | None = None,
    calibration: dict | None = None,
) -> RunResult:
    """Run the main job for one scenario file; see the module docstring.

    Parameters
    ----------
    config : path
        Scenario TOML (its ``[run]`` table sets strategies, replicates and the
        main operating point).
    out_root : path
        Runs are written to ``out_root / <scenario name>``.
    force : bool
        Redo every stage even when its inputs are unchanged.
    backend : Backend, optional
        Where Splink runs (default: embedded DuckDB).
    scale : float, optional
        Replaces the scenario's ``scale`` (size of the world and request list).
    calibration : dict, optional
        Replaces settings of ``[calibration]`` (the reduced paper draws fewer).

    Returns
    -------
    RunResult
    """
    from benchmark.strategies import Backend

    scenario = check_config(config, scale=scale)
    if calibration:
        scenario = scenario.with_overrides(calibration=calibration)
    names = resolve_strategies(scenario, config)
    backend = backend or Backend()
    folder = Path(out_root) / scenario.name
    stages = main_job(scenario, config, folder, names, backend)
    # run_manifest.json describes the last finished run: the previous one's stays until
    # this run finishes and replaces it, so an interrupted run changes no finished file
    result = RunResult(folder=folder, scenario=scenario)
    run_stages(stages, result, force=force, protect=[Path(config)])
    manifest = {
        "scenario": scenario.name,
        "config": str(config),
        "config_sha256": scenario.config_hash(),
        "seed": scenario.seed,
        "strategies": names,
        "stages": result.stages,
        "resolved_scenario": scenario.to_dict(),
        "packages": package_versions(),
        "git_revision": _git_revision(),
    }
    # written aside and renamed over the previous run's: a reader sees one or the other
    write_json_atomically(folder / "run_manifest.json", manifest)
    return result


def main_job(
    scenario: Scenario, config: str | Path, folder: Path, names: Sequence[str], backend
) -> list[Stage]:
    """The stages of the main job, in order: worlds, links, evaluations, calibration, figures, report.

    World 0 is ``data/`` with ``links/<strategy>``; replicate world ``k`` is
    ``replicates/r{k}/`` with its own ``data``, ``links`` and one-world
    ``evaluation``, which the main evaluation aggregates into intervals.
    """
    from benchmark.experiments.calibration import write_calibration
    from benchmark.reporting.figures import draw_figures
    from benchmark.reporting.report import write_report

    # the worlds, from every setting except [run] and [calibration] (which do not change them)
    world = dataclasses.replace(scenario, run=RunConfig(), calibration=CalibrationConfig())
    point = scenario.run.operating_point
    data, evaluation = folder / "data", folder / "evaluation"
    worlds = [folder / "replicates" / f"r{k}" for k in range(1, scenario.run.replicates)]
    bases = [folder, *worlds]
    stages = []
    for k, base in enumerate(bases):
        prefix = f"r{k}/" if k else ""
        stages += world_stages(world, base, prefix, k, names, backend)
        if len(bases) > 1:
            stages.append(threshold_stage(base, prefix, names))
    # each world's training_* thresholds come from the next world (cross-fitting): tuned on
    # a separately seeded labelled world of the scenario, never on the world they judge
    tuning = [bases[(k + 1) % len(bases)] / "thresholds" if len(bases) > 1 else None
              for k in range(len(bases))]
    for k, base in enumerate(worlds, start=1):
        stages.append(world_evaluation(base, f"r{k}/", names, point, tuning[k]))
    links = [folder / "links" / n for n in names]
    stages.append(
        Stage(
            "evaluation",
            f"evaluating ({scenario.run.replicates} world(s))",
            evaluation,
            lambda: evaluate(
                data,
                links,
                evaluation,
                replicates=scenario.run.replicates,
                replicate_world=lambda runs, k: read_tables(
                    worlds[k - 1] / "evaluation", WORLD_TABLES
                ),
                main_point=point,
                thresholds=tuning[0],
                force=True,
            ),
            settings={"replicates": scenario.run.replicates, "operating_point": point},
            reads=(
                data,
                *links,
                *(w / "evaluation" for w in worlds),
                *([tuning[0]] if tuning[0] else []),
            ),
            code=("benchmark.evaluation.evaluate", "benchmark.evaluation.pooled"),
        )
    )
    calibration = folder / "calibration"
    calibrated = scenario.calibration.draws > 0
    if calibrated:
        # the 2025 record: published aggregates reproduced, and the compositions that fit
        stages.append(
            Stage(
                "calibration",
                f"calibrating against the 2025 record ({scenario.calibration.draws} draws)",
                calibration,
                lambda: write_calibration(
                    dataclasses.replace(scenario, run=RunConfig()),
                    data,
                    folder / "links" / "irs_2025",
                    calibration,
                    backend=backend,
                ),
                settings={
                    "calibration": dataclasses.asdict(scenario.calibration),
                    "scenario": world.config_hash(),
                    "backend": backend.kind,
                },
                reads=(data, folder / "links" / "irs_2025"),
                code=(
                    "benchmark.experiments.calibration",
                    "benchmark.experiments.calibration_draws",
                ),
            )
        )
    figures, report = folder / "figures", folder / "report"
    stages.append(
        Stage(
            "figures",
            "drawing figures",
            figures,
            lambda: draw_figures(
                evaluation,
                figures,
                force=True,
                calibration=calibration if calibrated else None,
                cases_from=folder,
            ),
            # the case cards read world 0 and the Splink models' links
            reads=(evaluation, data, *links, *([calibration] if calibrated else [])),
            code=("benchmark.reporting.figures",),
        )
    )
    stages.append(
        Stage(
            "report",
            "writing the report",
            report,
            lambda: write_report(folder, report, scenario=scenario, config=config, force=True),
            settings={"config": scenario.config_hash(), "path": str(config)},
            reads=(
                data,
                evaluation,
                figures,
                *([calibration] if calibrated else []),
            ),
            code=("benchmark.reporting.report",),
        )
    )
    return stages


def world_stages(
    world: Scenario, base: Path, prefix: str, replicate: int, names: Sequence[str], backend
) -> list[Stage]:
    """Generate one world under ``base/data`` and link it with every strategy under ``base/links``.

    Replicate ``k`` > 0 is the same scenario under :func:`replicate_seed`.  When
    a strategy is supervised, the world's training world (same scenario,
    separately seeded) is a stage of its own, ``base/training``, which the
    supervised strategies' links read.
    """
    from benchmark.linking.link import run_link
    from benchmark.linking.training import write_training_world
    from benchmark.strategies import get_strategy

    data, training = base / "data", base / "training"
    seed = replicate_seed(world.seed, replicate)
    stages = [
        Stage(
            f"{prefix}data",
            "generating the world"
            + (f" (replicate {replicate}, seed {seed})" if replicate else ""),
            data,
            partial(generate_dataset, world, data, seed=seed, force=True),
            settings={"world": world.config_hash(), "seed": seed},
            code=("data_gen.chunks",),
        )
    ]
    if any(get_strategy(name).supervised for name in names):
        stages.append(
            Stage(
                f"{prefix}training",
                f"generating the training world{' of ' + prefix.rstrip('/') if prefix else ''}",
                training,
                partial(write_training_world, data, training),
                reads=(data,),
                code=("benchmark.linking.training",),
            )
        )
    for name in names:
        supervised = get_strategy(name).supervised
        target = base / "links" / name
        stages.append(
            Stage(
                f"{prefix}{name}",
                f"linking {'world ' + prefix.rstrip('/') + ' ' if prefix else ''}with {name}",
                target,
                partial(
                    run_link,
                    data,
                    name,
                    target,
                    backend=backend,
                    force=True,
                    training=training if supervised else None,
                ),
                settings={"strategy": name, "backend": backend.kind},
                reads=(data, training) if supervised else (data,),
                code=("benchmark.linking.link", get_strategy(name).__module__),
            )
        )
    return stages


def _world_inputs(base: Path, names: Sequence[str]) -> tuple[Path, list[Path]]:
    """A world's dataset folder and its link folders, one per strategy."""
    return base / "data", [base / "links" / n for n in names]


def threshold_stage(base: Path, prefix: str, names: Sequence[str]) -> Stage:
    """The thresholds that reach each training target on this world, for another world to use."""
    from benchmark.evaluation.tuning import write_thresholds

    data, links = _world_inputs(base, names)
    out = base / "thresholds"
    return Stage(
        f"{prefix}thresholds",
        f"tuning thresholds on world {prefix.rstrip('/') or '0'}",
        out,
        partial(write_thresholds, data, links, out, force=True),
        reads=(data, *links),
        code=("benchmark.evaluation.tuning",),
    )


def world_evaluation(
    base: Path, prefix: str, names: Sequence[str], point: str, thresholds: Path | None
) -> Stage:
    """The one-world evaluation of a replicate world (read by the main evaluation)."""
    data, links = _world_inputs(base, names)
    out = base / "evaluation"
    return Stage(
        f"{prefix}evaluation",
        f"evaluating world {prefix.rstrip('/')}",
        out,
        lambda: evaluate(data, links, out, main_point=point, thresholds=thresholds, force=True),
        settings={"operating_point": point},
        reads=(data, *links, *([thresholds] if thresholds else [])),
        code=("benchmark.evaluation.evaluate",),
    )


def _git_revision() -> str | None:
    git = shutil.which("git")
    if git is None or not (PACKAGE_ROOT / ".git").exists():
        return None
    import subprocess

    out = subprocess.run(
        [git, "-C", str(PACKAGE_ROOT), "rev-parse", "HEAD"],
        capture_output=True,
        text=True,
        check=False,
    )
    return out.stdout.strip() or None


def check_config(config: str | Path, scale: float | None = None) -> Scenario:
    """Load and check a scenario for a run (config errors, unknown strategies, a bad scale).

    Raises
    ------
    ConfigError
        If ``scale`` is not positive, or the scenario asks for a calibration
        without the ``irs_2025`` strategy it calibrates.
    """
    from data_gen.errors import ConfigError

    scenario = load_scenario(config).at_scale(scale)
    names = resolve_strategies(scenario, config)
    if scenario.calibration.draws and "irs_2025" not in names:
        raise ConfigError(
            f"{config}: calibration.draws is set but run.strategies leaves out irs_2025, "
            "the procedure it calibrates"
        )
    return scenario
