"""The experiment runner: stages as records, cached by what they read, and the code they run.

A :class:`Stage` names a folder, the settings and input folders it depends on,
the modules whose code decides its output and the function that writes it.
:func:`run_stages` makes each stage in order unless its folder already holds
the same stage made from the same inputs (see :func:`is_current`), so an
interrupted experiment resumes from the last finished stage, and one whose
setting changed redoes that stage and what reads it, nothing else.

A stage's code key is derived, not kept by hand: :func:`code_key` follows the
imports of the stage's modules (``import`` and ``from ... import`` anywhere in
the file, function bodies included) through the project's own packages and
hashes every file reached, plus the packaged data beside them (the Census
tables under ``data_gen/reference``).

Examples
--------
>>> files = {f.relative_to(PACKAGE_ROOT).as_posix() for f in module_closure(["benchmark.evaluation.metrics"])}
>>> "benchmark/evaluation/operating_points.py" in files  # imported by metrics
True
>>> any(f.startswith("benchmark/reporting/") for f in files)  # not imported
False
"""

from __future__ import annotations

import ast
import hashlib
import json
import logging
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from benchmark.resources import peak_rss_mb
from data_gen.errors import InputError
from data_gen.folders import MARKER, STAGE_FILE, check_output_folder, write_json_atomically

log = logging.getLogger(__name__)

PACKAGE_ROOT = Path(__file__).resolve().parents[2]
# the project's own top-level packages: imports of anything else are libraries
PROJECT_PACKAGES = ("benchmark", "data_gen")
# the kind of folder each stage writes, by the folder's name (link folders: under links/)
STAGE_KINDS = {
    "data": "dataset",
    "training": "dataset",
    "thresholds": "thresholds",
    "evaluation": "evaluation",
    "calibration": "calibration",
    "figures": "figures",
    "report": "report",
}


@dataclass(frozen=True)
class Stage:
    """One cached step of an experiment.

    Attributes
    ----------
    name : str
        What the run manifest calls it (``data``, ``irs_2025``, ``r1/data`` ...).
    label : str
        The log line's description (``generating the world``).
    folder : Path
        The folder it writes, atomically and entirely.
    compute : callable
        Writes ``folder`` (called with no arguments).
    settings : dict
        Everything besides its inputs' contents that decides its output (JSON-able).
    reads : tuple of Path
        The stage folders it reads; their keys are recorded and checked.
    code : tuple of str
        Modules whose code (with everything they import) decides its output.
    """

    name: str
    label: str
    folder: Path
    compute: Callable[[], object]
    settings: dict = field(default_factory=dict)
    reads: tuple[Path, ...] = ()
    code: tuple[str, ...] = ()

    @property
    def kind(self) -> str:
        """The kind of folder it writes (its marker's ``kind``): told by the folder's name."""
        return "link" if self.folder.parent.name == "links" else STAGE_KINDS[self.folder.name]

    def key(self, inputs: dict[str, str]) -> str:
        """The stage's key: its kind of work, settings, code and the keys of what it reads.

        The keys of its inputs are part of it, so a stage made again from
        changed inputs gets a new key and what reads it is made again too.
        """
        blob = json.dumps(
            {
                "stage": self.name,
                "settings": self.settings,
                "code": code_key(self.code),
                "inputs": inputs,
            },
            sort_keys=True,
            default=str,
        )
        return hashlib.sha256(blob.encode()).hexdigest()


@dataclass
class RunResult:
    """What a run did: its folder, and per stage whether it was reused and how long it took."""

    folder: Path
    scenario: Any = None
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


def run_stages(
    stages: Sequence[Stage], result: RunResult, *, force: bool = False, protect: Sequence[Path] = ()
) -> None:
    """Make every stage in order, reusing those already made from the same key and inputs.

    Parameters
    ----------
    stages : sequence of Stage
        In an order where each stage comes after the stages it reads.
    result : RunResult
        Collects what each stage did; its ``folder`` is the experiment's folder,
        the root of the input paths recorded in each ``stage.json``.
    force : bool
        Make every stage again.
    protect : sequence of Path
        Inputs no stage folder may be, contain or lie inside (the scenario file).

    Raises
    ------
    InputError
        Before any work, if a stage folder is not the tool's, holds files the
        stage did not write, or overlaps ``protect``.
    """
    # every folder is checked before any work, so a refusal leaves everything as it was
    for stage in stages:
        check_output_folder(stage.folder, force=True, kind=stage.kind, inputs=protect)
    for i, stage in enumerate(stages, start=1):
        _make(stage, f"[{i}/{len(stages)}] {stage.label}", result, force)


def _make(stage: Stage, label: str, result: RunResult, force: bool) -> None:
    before = fingerprints(stage.reads, result.folder)
    key = stage.key(before)
    if not force and is_current(stage.folder, key, before):
        log.info("%s: unchanged, reusing %s", label, stage.folder)
        seconds = float(stage_record(stage.folder).get("seconds", 0.0))
        result.record(stage.name, True, seconds, key)
        return
    log.info("%s ...", label)
    started = time.perf_counter()
    stage.compute()
    seconds = time.perf_counter() - started
    after = fingerprints(stage.reads, result.folder)
    if after != before:
        # an input was replaced while this stage read it: leave the stage unfinished, so
        # the next run makes it again from the inputs as they are then
        changed = ", ".join(name for name in before if after[name] != before[name])
        raise InputError(
            f"{stage.folder}: {changed} changed while this stage read it (another process "
            "wrote there); nothing is lost: run again to make it from the new inputs"
        )
    mark_done(stage.folder, stage.name, key, seconds, before)
    log.info("%s: done in %.1f s (peak memory so far %.0f MiB)", label, seconds, peak_rss_mb())
    result.record(stage.name, False, seconds, key)


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


def code_key(modules: Iterable[str], root: Path = PACKAGE_ROOT) -> str:
    """SHA-256 over the files of ``modules``, everything they import, and packaged data.

    Parameters
    ----------
    modules : iterable of str
        Dotted names of project modules (``benchmark.linking.link``); a
        module outside the project (a plug-in strategy) is hashed by its own
        file, found through the import system.
    root : Path
        The folder holding the project's packages.

    Returns
    -------
    str
        The hex digest; the same while none of those files changes.
    """
    h = hashlib.sha256()
    for path in module_closure(tuple(modules), root):
        inside = root in path.parents
        h.update(str(path.relative_to(root) if inside else path.name).encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def module_closure(modules: Iterable[str], root: Path = PACKAGE_ROOT) -> list[Path]:
    """Files of ``modules`` and of every project module they import, with their data files.

    Parameters
    ----------
    modules : iterable of str
        Dotted module names.
    root : Path
        The folder holding the project's packages.

    Returns
    -------
    list of Path
        Sorted; package ``__init__`` files included (they run on import).
    """
    seen: dict[str, Path] = {}
    todo = list(modules)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        path = _module_file(name, root)
        if path is None:
            continue
        seen[name] = path
        parts = name.split(".")
        todo += [".".join(parts[:i]) for i in range(1, len(parts))]  # parent packages
        todo += _imports(path, name)
    files = set(seen.values())
    for path in list(files):
        files.update(_data_files(path.parent))
    return sorted(files)


def _module_file(name: str, root: Path) -> Path | None:
    if name.split(".")[0] not in PROJECT_PACKAGES:
        return _outside_file(name)
    base = root.joinpath(*name.split("."))
    for path in (base.with_suffix(".py"), base / "__init__.py"):
        if path.is_file():
            return path
    return None


def _outside_file(name: str) -> Path | None:
    """A module outside the project (a plug-in): its own file, not what it imports."""
    import importlib.util

    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return None
    origin = getattr(spec, "origin", None)
    # libraries are keyed by their versions (in the manifests), not by their files
    if spec is None or not origin or "site-packages" in origin or not origin.endswith(".py"):
        return None
    return Path(origin)


def _imports(path: Path, name: str) -> list[str]:
    """Project modules ``path`` imports: ``import a.b``, ``from a import b`` (b may be a module)."""
    return _parsed_imports(path, name, path.stat().st_mtime_ns)


@cache
def _parsed_imports(path: Path, name: str, mtime_ns: int) -> list[str]:
    # keyed by modification time: a file edited since is read again
    tree = ast.parse(path.read_text(), filename=str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join([*base, *([node.module] if node.module else [])])
            else:
                module = node.module or ""
            found.append(module)
            found += [f"{module}.{a.name}" for a in node.names]
    return [m for m in found if m.split(".")[0] in PROJECT_PACKAGES]


def _data_files(folder: Path) -> list[Path]:
    """Packaged data below a module's folder: every file that is not Python (the Census tables)."""
    return [
        f
        for f in sorted(folder.rglob("*"))
        if f.is_file() and f.suffix not in (".py", ".pyc") and "__pycache__" not in f.parts
    ]
