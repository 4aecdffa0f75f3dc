"""The experiment runner's code key: derived from what a stage's modules really import."""

from __future__ import annotations

from pathlib import Path

from benchmark.experiments.runner import PACKAGE_ROOT, code_key, module_closure


def _package(root: Path) -> Path:
    pkg = root / "benchmark"
    (pkg / "inner").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "inner" / "__init__.py").write_text("")
    (pkg / "stage.py").write_text(
        "import json\n\n\ndef work():\n    from benchmark.inner import helper\n\n    return helper.x\n"
    )
    (pkg / "inner" / "helper.py").write_text("from . import leaf\n\nx = leaf.y\n")
    (pkg / "inner" / "leaf.py").write_text("y = 1\n")
    (pkg / "unrelated.py").write_text("z = 2\n")
    return pkg


def test_imports_inside_functions_and_relative_imports_are_followed(tmp_path):
    pkg = _package(tmp_path)
    files = {p.relative_to(pkg).as_posix() for p in module_closure(["benchmark.stage"], tmp_path)}
    assert files == {
        "__init__.py",
        "stage.py",
        "inner/__init__.py",
        "inner/helper.py",
        "inner/leaf.py",
    }


def test_the_key_changes_with_imported_code_and_only_with_it(tmp_path):
    pkg = _package(tmp_path)
    before = code_key(["benchmark.stage"], tmp_path)
    (pkg / "unrelated.py").write_text("z = 3\n")
    assert code_key(["benchmark.stage"], tmp_path) == before
    (pkg / "inner" / "leaf.py").write_text("y = 2\n")
    assert code_key(["benchmark.stage"], tmp_path) != before


def test_the_real_stages_reach_their_code_and_the_census_tables():
    evaluation = {
        p.relative_to(PACKAGE_ROOT).as_posix()
        for p in module_closure(["benchmark.evaluation.evaluate"])
    }
    # imported inside a function body: still part of the stage's code
    assert "benchmark/evaluation/aggregate.py" in evaluation
    assert "benchmark/evaluation/privacy.py" in evaluation
    assert not any(f.startswith("benchmark/reporting/") for f in evaluation)
    data = {p.relative_to(PACKAGE_ROOT).as_posix() for p in module_closure(["data_gen.chunks"])}
    assert "data_gen/reference/census2010_surnames.csv.gz" in data
    assert not any(f.startswith("benchmark/") for f in data)
