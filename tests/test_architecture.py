"""The layout keeps its promises (ARCHITECTURE.md): one-way imports, no circles, small modules."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# lowest first: a module may import only from its own floor or below
FLOORS = [
    ["data_gen"],
    ["benchmark.safe_output", "benchmark.facts", "benchmark.resources"],
    ["benchmark.strategies"],
    ["benchmark.tables"],
    ["benchmark.linking"],
    ["benchmark.evaluation"],
    ["benchmark.reporting"],
    ["benchmark.experiments"],
    ["benchmark.perf"],
    ["benchmark.cli"],
    ["benchmark.__main__"],
]
# the parts of data_gen that build a world (evaluation and reporting never load them)
GENERATION = [
    "data_gen.world",
    "data_gen.chunks",
    "data_gen.population",
    "data_gen.filing",
    "data_gen.moves",
    "data_gen.irs",
    "data_gen.requests",
    "data_gen.geography",
    "data_gen.noise",
]


def _modules() -> dict[str, Path]:
    out = {}
    for package in ("benchmark", "data_gen"):
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            out[name] = path
    return out


MODULES = _modules()


def _imports(name: str, path: Path) -> set[str]:
    """Project modules ``name`` imports anywhere in its file (function bodies included)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, *([node.module] if node.module else [])])
            found.add(base)
            found |= {f"{base}.{a.name}" for a in node.names}
    return {m for m in found if m in MODULES and m != name}


GRAPH = {name: _imports(name, path) for name, path in MODULES.items()}


def _floor(module: str) -> int:
    for i, prefixes in enumerate(FLOORS):
        if any(module == p or module.startswith(p + ".") for p in prefixes):
            return i
    return -1  # a package face (benchmark/__init__.py): imports nothing


def test_every_module_has_a_floor():
    assert [m for m in MODULES if _floor(m) < 0] == ["benchmark"]


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_import_runs_up_the_floors(module):
    up = sorted(m for m in GRAPH[module] if _floor(m) > _floor(module))
    assert not up, f"{module} imports from a higher floor: {up}"


def test_no_import_circle():
    # Tarjan-free check: a depth-first search that meets a module on its own path
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(module: str) -> None:
        state[module] = 1
        path.append(module)
        for other in sorted(GRAPH[module]):
            # a package imports its own face's names from its modules: not a circle
            if other.startswith(module + "."):
                continue
            if state.get(other) == 1:
                cycle = path[path.index(other) :] + [other]
                raise AssertionError(f"import circle: {' -> '.join(cycle)}")
            if other not in state:
                visit(other)
        path.pop()
        state[module] = 2

    for module in sorted(GRAPH):
        if module not in state:
            visit(module)


def test_evaluation_and_reporting_never_load_the_generator():
    modules = [m for m in MODULES if m.startswith(("benchmark.evaluation", "benchmark.reporting"))]
    code = (
        "import importlib, json, sys\n"
        f"for m in {modules!r}: importlib.import_module(m)\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    loaded = json.loads(
        subprocess.run(
            [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout
    )
    assert not [m for m in GENERATION if m in loaded]


def test_a_small_top_level_and_small_modules():
    top = [p.name for p in (ROOT / "benchmark").glob("*.py")]
    assert len(top) <= 8, top
    long = {
        str(p.relative_to(ROOT)): n
        for p in MODULES.values()
        if (n := len(p.read_text().splitlines())) > 600
    }
    assert not long


def test_the_run_settings_offer_exactly_the_defined_operating_points():
    # [run] is parsed in data_gen, which cannot import benchmark: its list must follow the home
    from benchmark.evaluation.operating_points import DEFAULT_MAIN, MAIN_CHOICES
    from data_gen.config_run import OPERATING_POINT_CHOICES, RunConfig

    assert OPERATING_POINT_CHOICES == MAIN_CHOICES
    assert RunConfig().operating_point == DEFAULT_MAIN
