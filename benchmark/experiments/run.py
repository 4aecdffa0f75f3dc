"""The main job, ``itin-bench run``: generate → link every strategy → evaluate → figures → report.

Each stage writes its own folder below ``results/runs/<scenario>/`` and a
``stage.json`` holding the key of its inputs: a hash of the settings it depends
on, the keys of the stages it reads, and the source code that computes it.  A
rerun reuses every stage whose key is unchanged and redoes the rest (all of
them with ``force``).  Stage folders are written to a temporary sibling and
moved into place only when complete, so an interrupted run (Ctrl-C or kill)
keeps earlier results and the next run resumes from the last finished stage.

``run_manifest.json`` describes the last run that finished: a new run replaces
it (atomically) only at its end, so an interrupted run leaves the previous
one's in place.  What each stage folder holds is said by its own
``stage.json``, written when the folder is complete.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import shutil
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from benchmark.resources import peak_rss_mb
from data_gen import Scenario, load_scenario
from data_gen.chunks import generate_dataset
from data_gen.config import CalibrationConfig, RunConfig
from data_gen.dataset import package_versions
from data_gen.errors import InputError
from data_gen.folders import MARKER, STAGE_FILE, check_output_folder, write_json_atomically

log = logging.getLogger(__name__)

PACKAGE_ROOT = Path(__file__).resolve().parents[2]
# source files whose code decides each stage's output
STAGE_CODE = {
    "data": ["data_gen"],
    "link": [
        "benchmark/strategies",
        "benchmark/strategies/normalize.py",
        "benchmark/linking/link.py",
        "benchmark/strategies/assignment.py",
    ],
    "evaluation": [
        "benchmark/evaluation/evaluate.py",
        "benchmark/evaluation/ground_truth.py",
        "benchmark/evaluation/metrics.py",
        "benchmark/evaluation/outcomes.py",
        "benchmark/evaluation/harm.py",
        "benchmark/evaluation/disparities.py",
        "benchmark/experiments/replicates.py",
        "benchmark/experiments/run.py",
    ],
    "calibration": [
        "data_gen",
        "benchmark/experiments/calibration.py",
        "benchmark/strategies",
        "benchmark/strategies/normalize.py",
        "benchmark/evaluation/ground_truth.py",
        "benchmark/evaluation/metrics.py",
        "benchmark/evaluation/harm.py",
    ],
    "figures": ["benchmark/reporting/figures.py"],
    "report": ["benchmark/reporting/report.py", "benchmark/reporting/summary.py"],
}


def code_digest(paths: Sequence[str | Path]) -> str:
    """SHA-256 over the files below ``paths`` (sources and packaged data such as the Census tables).

    Relative paths are taken from the repository root.
    """
    h = hashlib.sha256()
    for rel in paths:
        root = PACKAGE_ROOT / rel
        files = sorted(root.rglob("*")) if root.is_dir() else [root]
        for f in files:
            if not f.is_file() or "__pycache__" in f.parts or f.suffix == ".pyc":
                continue
            inside = PACKAGE_ROOT in f.resolve().parents
            h.update(str(f.resolve().relative_to(PACKAGE_ROOT) if inside else f.name).encode())
            h.update(f.read_bytes())
    return h.hexdigest()


def stage_key(stage: str, **inputs: object) -> str:
    """The key of a stage: its inputs (settings and the keys of the stages it reads) and its code."""
    blob = json.dumps(
        {"stage": stage, "code": code_digest(STAGE_CODE[stage]), **inputs},
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(blob.encode()).hexdigest()


def fingerprint(folder: Path) -> str:
    """What a stage folder holds, for the stages that read it: the key it was made with.

    A stage made again from the same key (the same inputs and code) holds the
    same results, so what reads it is reused.  A folder replaced by another
    run with other settings has another key; one replaced outside any run (by
    ``itin-bench generate --force``, say) has no ``stage.json`` of its own and
    is fingerprinted by its marker instead, which matches no key.
    """
    record = stage_record(folder)
    if isinstance(record.get("key"), str):
        return record["key"]
    try:
        return "unstaged:" + hashlib.sha256((folder / MARKER).read_bytes()).hexdigest()
    except OSError:
        return "missing"


def fingerprints(inputs: Sequence[Path], run_folder: Path) -> dict[str, str]:
    """The fingerprint of each input stage folder, by its path inside the run folder."""
    return {Path(p).relative_to(run_folder).as_posix(): fingerprint(Path(p)) for p in inputs}


def is_current(folder: Path, key: str, inputs: dict[str, str] | None = None) -> bool:
    """Whether ``folder`` holds a finished stage with this key and all the files it wrote,
    made from input stage folders with these fingerprints (:func:`fingerprints`)."""
    try:
        record = json.loads((folder / STAGE_FILE).read_text())
        if record.get("key") != key:
            return False
        if record.get("inputs", {}) != (inputs or {}):
            return False
        return all(
            (folder / name).is_file() and (folder / name).stat().st_size == size
            for name, size in record["files"].items()
        )
    except (OSError, json.JSONDecodeError, UnicodeDecodeError, AttributeError, KeyError, TypeError):
        return False


def stage_record(folder: Path) -> dict:
    """The stage.json of ``folder`` (empty if there is none)."""
    try:
        record = json.loads((folder / STAGE_FILE).read_text())
    except (OSError, json.JSONDecodeError, UnicodeDecodeError):
        return {}
    return record if isinstance(record, dict) else {}


def mark_done(
    folder: Path, stage: str, key: str, seconds: float, inputs: dict[str, str] | None = None
) -> None:
    """Record that ``folder`` holds the finished stage ``stage`` with ``key``, its files and
    the fingerprints of the stage folders it was made from."""
    files = {
        str(f.relative_to(folder)): f.stat().st_size
        for f in sorted(folder.rglob("*"))
        if f.is_file() and f.name != STAGE_FILE
    }
    record = {
        "stage": stage,
        "key": key,
        "seconds": round(seconds, 3),
        "files": files,
        "inputs": inputs or {},
    }
    write_json_atomically(folder / STAGE_FILE, record)


@dataclass
class RunResult:
    """What a run did: its folder, and per stage whether it was reused and how long it took."""

    folder: Path
    scenario: Scenario
    stages: list[dict] = field(default_factory=list)

    def record(self, name: str, reused: bool, seconds: float, key: str) -> None:
        """Note one stage (for a reused stage, ``seconds`` is how long it took when made).

        ``peak_rss_mib`` is this process's peak resident memory at the end of
        the stage: the largest value over the stages so far.
        """
        self.stages.append(
            {
                "stage": name,
                "reused": reused,
                "seconds": round(seconds, 2),
                "peak_rss_mib": round(peak_rss_mb()),
                "key": key,
            }
        )

    @property
    def report(self) -> Path:
        """The HTML report."""
        return self.folder / "report" / "report.html"


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


def _strategy_code(name: str) -> str:
    """Hash of the source of a strategy defined outside the package (its module file)."""
    import inspect

    from benchmark.strategies import STRATEGIES, get_strategy

    if name in STRATEGIES:
        return ""
    source = inspect.getsourcefile(get_strategy(name))
    return code_digest([Path(source)]) if source else ""


def run(
    config: str | Path,
    *,
    out_root: str | Path = Path("results") / "runs",
    force: bool = False,
    backend=None,
    scale: float | None = None,
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

    Returns
    -------
    RunResult
    """
    from benchmark.experiments.calibration import compositions, write_calibration
    from benchmark.experiments.replicates import evaluate_worlds
    from benchmark.linking.link import run_link
    from benchmark.reporting.figures import draw_figures
    from benchmark.reporting.report import write_report
    from benchmark.strategies import Backend

    scenario = check_config(config, scale=scale)
    names = resolve_strategies(scenario, config)
    backend = backend or Backend()
    folder = Path(out_root) / scenario.name
    _check_run_folder(folder, config, names)
    # run_manifest.json describes the last finished run: the previous one's stays until
    # this run finishes and replaces it, so an interrupted run changes no finished file
    result = RunResult(folder=folder, scenario=scenario)
    calibrating = bool(scenario.calibration.grid)
    total = 3 + len(names) + 1 + calibrating

    # 1. the world, from every setting except [run] and [calibration] (which do not change it)
    data = folder / "data"
    world_scenario = dataclasses.replace(scenario, run=RunConfig(), calibration=CalibrationConfig())
    data_key = stage_key("data", world=world_scenario.config_hash())
    _stage(
        result,
        f"[1/{total}] generating the world",
        data,
        data_key,
        force,
        lambda: generate_dataset(world_scenario, data, force=True),
        inputs=(),
    )

    # 2. one link folder per strategy
    link_keys = {}
    for i, name in enumerate(names, start=2):
        target = folder / "links" / name
        link_keys[name] = stage_key(
            "link", data=data_key, strategy=name, plugin=_strategy_code(name), backend=backend.kind
        )
        _stage(
            result,
            f"[{i}/{total}] linking with {name}",
            target,
            link_keys[name],
            force,
            lambda target=target, name=name: run_link(
                data, name, target, backend=backend, force=True
            ),
            inputs=(data,),
        )

    # 3. evaluation (with replicate worlds)
    evaluation = folder / "evaluation"
    eval_key = stage_key(
        "evaluation",
        links=link_keys,
        replicates=scenario.run.replicates,
        operating_point=scenario.run.operating_point,
    )
    step = len(names) + 2
    _stage(
        result,
        f"[{step}/{total}] evaluating ({scenario.run.replicates} world(s))",
        evaluation,
        eval_key,
        force,
        lambda: evaluate_worlds(
            data,
            [folder / "links" / n for n in names],
            evaluation,
            replicates=scenario.run.replicates,
            main_point=scenario.run.operating_point,
            backend=backend,
            force=True,
        ),
        inputs=(data, *(folder / "links" / n for n in names)),
    )

    # 4. the 2025 record: published aggregates reproduced, and the compositions that fit
    calibration_key = None
    if calibrating:
        step += 1
        calibration_key = stage_key(
            "calibration",
            data=data_key,
            link=link_keys["irs_2025"],
            calibration=dataclasses.asdict(scenario.calibration),
            scenario=world_scenario.config_hash(),
        )
        _stage(
            result,
            f"[{step}/{total}] calibrating against the 2025 record "
            f"({len(compositions(scenario.calibration.grid))} compositions)",
            folder / "calibration",
            calibration_key,
            force,
            lambda: write_calibration(
                dataclasses.replace(scenario, run=RunConfig()),
                data,
                folder / "links" / "irs_2025",
                folder / "calibration",
                backend=backend,
            ),
            inputs=(data, folder / "links" / "irs_2025"),
        )

    # 5. figures, drawn from the stored tables only
    figures = folder / "figures"
    fig_key = stage_key("figures", evaluation=eval_key)
    _stage(
        result,
        f"[{step + 1}/{total}] drawing figures",
        figures,
        fig_key,
        force,
        lambda: draw_figures(evaluation, figures, force=True),
        inputs=(evaluation,),
    )

    # 6. the report
    report = folder / "report"
    report_key = stage_key(
        "report",
        figures=fig_key,
        data=data_key,
        calibration=calibration_key,
        config=scenario.config_hash(),
        path=str(config),
    )
    _stage(
        result,
        f"[{step + 2}/{total}] writing the report",
        report,
        report_key,
        force,
        lambda: write_report(folder, report, scenario=scenario, config=config, force=True),
        inputs=(data, evaluation, figures, *([folder / "calibration"] if calibrating else [])),
    )

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


def _stage(
    result: RunResult,
    label: str,
    folder: Path,
    key: str,
    force: bool,
    work,
    *,
    inputs: Sequence[Path],
) -> None:
    before = fingerprints(inputs, result.folder)
    if not force and is_current(folder, key, before):
        log.info("%s: unchanged, reusing %s", label, folder)
        result.record(folder.name, True, float(stage_record(folder).get("seconds", 0.0)), key)
        return
    log.info("%s ...", label)
    started = time.perf_counter()
    work()
    seconds = time.perf_counter() - started
    after = fingerprints(inputs, result.folder)
    if after != before:
        # an input was replaced while this stage read it: leave the stage unfinished, so
        # the next run makes it again from the inputs as they are then
        changed = ", ".join(name for name in before if after[name] != before[name])
        raise InputError(
            f"{folder}: {changed} changed while this stage read it (another process wrote "
            "there); nothing is lost: run again to make it from the new inputs"
        )
    mark_done(folder, folder.name, key, seconds, before)
    log.info("%s: done in %.1f s (peak memory so far %.0f MiB)", label, seconds, peak_rss_mb())
    result.record(folder.name, False, seconds, key)


STAGE_KINDS = {
    "data": "dataset",
    "evaluation": "evaluation",
    "calibration": "calibration",
    "figures": "figures",
    "report": "report",
}


def _check_run_folder(folder: Path, config: str | Path, strategies: Sequence[str]) -> None:
    """Fail before any work if a stage folder cannot be written: not ours, holding files
    the run did not write, or overlapping the scenario file."""
    # the run folder itself may exist (that is how stages are reused)
    stages = [(folder / name, kind) for name, kind in STAGE_KINDS.items()]
    stages += [(folder / "links" / name, "link") for name in strategies]
    for path, kind in stages:
        check_output_folder(path, force=True, kind=kind, inputs=[config])


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
    if scenario.calibration.grid and "irs_2025" not in names:
        raise ConfigError(
            f"{config}: calibration.grid is set but run.strategies leaves out irs_2025, "
            "the procedure it calibrates"
        )
    return scenario
