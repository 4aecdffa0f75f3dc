"""The main job, ``itin-bench run``: generate → link every strategy → evaluate → figures → report.

Each stage writes its own folder below ``results/runs/<scenario>/`` and a
``stage.json`` holding the key of its inputs: a hash of the settings it depends
on, the keys of the stages it reads, and the source code that computes it.  A
rerun reuses every stage whose key is unchanged and redoes the rest (all of
them with ``force``).  Stage folders are written to a temporary sibling and
moved into place only when complete, so an interrupted run keeps earlier
results and the next run resumes from the last finished stage.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

from data_gen import Scenario, generate_world, load_scenario, write_dataset
from data_gen.dataset import package_versions
from data_gen.errors import InputError

log = logging.getLogger(__name__)

PACKAGE_ROOT = Path(__file__).resolve().parents[1]
# source files whose code decides each stage's output
STAGE_CODE = {
    "data": ["data_gen"],
    "link": [
        "benchmark/strategies",
        "benchmark/normalize.py",
        "benchmark/link.py",
        "benchmark/assignment.py",
    ],
    "evaluation": [
        "benchmark/evaluate.py",
        "benchmark/ground_truth.py",
        "benchmark/metrics.py",
        "benchmark/outcomes.py",
        "benchmark/harm.py",
        "benchmark/disparities.py",
        "benchmark/replicates.py",
    ],
    "figures": ["benchmark/figures.py"],
    "report": ["benchmark/report.py", "benchmark/summary.py"],
}
STAGE_FILE = "stage.json"


def code_digest(paths: list[str]) -> str:
    """SHA-256 over the Python sources below ``paths`` (relative to the repository root)."""
    h = hashlib.sha256()
    for rel in paths:
        root = PACKAGE_ROOT / rel
        files = sorted(root.rglob("*.py")) if root.is_dir() else [root]
        for f in files:
            h.update(str(f.relative_to(PACKAGE_ROOT)).encode())
            h.update(f.read_bytes())
    return h.hexdigest()


def stage_key(stage: str, **inputs: object) -> str:
    """The key of a stage: its inputs and its code, hashed."""
    blob = json.dumps(
        {"stage": stage, "code": code_digest(STAGE_CODE[stage]), **inputs},
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(blob.encode()).hexdigest()


def is_current(folder: Path, key: str) -> bool:
    """Whether ``folder`` holds a finished stage with this key."""
    try:
        return json.loads((folder / STAGE_FILE).read_text()).get("key") == key
    except (OSError, json.JSONDecodeError, UnicodeDecodeError, AttributeError):
        return False


def mark_done(folder: Path, stage: str, key: str, seconds: float) -> None:
    """Record that ``folder`` holds the finished stage ``stage`` with ``key``."""
    (folder / STAGE_FILE).write_text(
        json.dumps({"stage": stage, "key": key, "seconds": round(seconds, 3)}, indent=2) + "\n"
    )


@dataclass
class RunResult:
    """What a run did: its folder, and per stage whether it was reused and how long it took."""

    folder: Path
    scenario: Scenario
    stages: list[dict] = field(default_factory=list)

    def record(self, name: str, reused: bool, seconds: float) -> None:
        """Note one stage."""
        self.stages.append({"stage": name, "reused": reused, "seconds": round(seconds, 2)})

    @property
    def report(self) -> Path:
        """The HTML report."""
        return self.folder / "report" / "report.html"


def resolve_strategies(scenario: Scenario) -> list[str]:
    """The strategy names the run links with, checked against the registry."""
    from benchmark.strategies import STRATEGIES, get_strategy

    names = list(scenario.run.strategies) or list(STRATEGIES)
    for name in names:
        get_strategy(name)  # raises InputError naming an unknown strategy
    return names


def run(
    config: str | Path,
    *,
    out_root: str | Path = Path("results") / "runs",
    force: bool = False,
    backend=None,
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

    Returns
    -------
    RunResult
    """
    from benchmark.evaluate import evaluate
    from benchmark.figures import draw_figures
    from benchmark.link import run_link
    from benchmark.report import write_report
    from benchmark.strategies import Backend

    scenario = load_scenario(config)
    names = resolve_strategies(scenario)
    backend = backend or Backend()
    folder = Path(out_root) / scenario.name
    _check_run_folder(folder)
    result = RunResult(folder=folder, scenario=scenario)
    total = 3 + len(names) + 1

    # 1. the world
    data = folder / "data"
    data_key = stage_key("data", world=scenario.world_hash())
    _stage(
        result,
        f"[1/{total}] generating the world",
        data,
        data_key,
        force,
        lambda: write_dataset(generate_world(scenario), data, force=True),
    )

    # 2. one link folder per strategy
    link_keys = {}
    for i, name in enumerate(names, start=2):
        target = folder / "links" / name
        link_keys[name] = stage_key("link", data=data_key, strategy=name, backend=backend.kind)
        _stage(
            result,
            f"[{i}/{total}] linking with {name}",
            target,
            link_keys[name],
            force,
            lambda target=target, name=name: run_link(
                data, name, target, backend=backend, force=True
            ),
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
        lambda: evaluate(
            data,
            [folder / "links" / n for n in names],
            evaluation,
            replicates=scenario.run.replicates,
            main_point=scenario.run.operating_point,
            backend=backend,
            force=True,
        ),
    )

    # 4. figures, drawn from the stored tables only
    figures = folder / "figures"
    fig_key = stage_key("figures", evaluation=eval_key)
    _stage(
        result,
        f"[{step + 1}/{total}] drawing figures",
        figures,
        fig_key,
        force,
        lambda: draw_figures(evaluation, figures, force=True),
    )

    # 5. the report
    report = folder / "report"
    report_key = stage_key("report", figures=fig_key, data=data_key)
    _stage(
        result,
        f"[{step + 2}/{total}] writing the report",
        report,
        report_key,
        force,
        lambda: write_report(folder, report, force=True),
    )

    manifest = {
        "scenario": scenario.name,
        "config": str(config),
        "config_sha256": scenario.config_hash(),
        "seed": scenario.seed,
        "strategies": names,
        "stages": result.stages,
        "packages": package_versions(),
        "git_revision": _git_revision(),
    }
    (folder / "run_manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    return result


def _stage(result: RunResult, label: str, folder: Path, key: str, force: bool, work) -> None:
    if not force and is_current(folder, key):
        log.info("%s: unchanged, reusing %s", label, folder)
        result.record(folder.name, True, 0.0)
        return
    log.info("%s ...", label)
    started = time.perf_counter()
    work()
    seconds = time.perf_counter() - started
    mark_done(folder, folder.name, key, seconds)
    log.info("%s: done in %.1f s", label, seconds)
    result.record(folder.name, False, seconds)


def _check_run_folder(folder: Path) -> None:
    """Fail before any work if the run folder cannot be written."""
    from data_gen.dataset import check_output_folder

    # the run folder itself may exist (that is how stages are reused)
    check_output_folder(folder / "data", force=True)


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


def check_config(config: str | Path) -> Scenario:
    """Load and check a scenario for a run (config errors and unknown strategies)."""
    scenario = load_scenario(config)
    resolve_strategies(scenario)
    if scenario.run.replicates < 1:  # pragma: no cover - the config check refuses it first
        raise InputError(f"{config}: run.replicates: must be at least 1")
    return scenario
