"""``itin-bench run`` interrupted mid-stage, as real processes: killed (SIGKILL) or stopped with
Ctrl-C (SIGINT) while linking.  The previous results stay byte-identical and the next run
resumes from the finished stages."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[2]
PLUGIN = "held_plugin:HeldSplink"  # run.strategies entry, and so the name of its link folder
STRATEGIES = ["irs_2025", PLUGIN]
HOLD_ENV = "ITIN_TEST_HOLD"
# reused (True) or redone (False) by the run after the interrupted one
RESUMED = {
    "data": True,
    "irs_2025": True,
    PLUGIN: False,
    "evaluation": False,
    "figures": False,
    "report": False,
}
TEMP = re.compile(r"^\..+\.(tmp|old)-")  # temporary and replaced folders of atomic_folder

# A strategy defined outside the package: the real Splink strategy under its own name.  Its
# source file is part of its link stage's key, so editing it redoes only that link and what
# follows.  With $ITIN_TEST_HOLD set, `link` does the real work and then waits until the file
# it names exists: this holds the stage open so that the test's kill lands mid-stage however
# fast the link is or however slowly the test polls (without it, a link that finished between
# two polls would make the test pass without testing anything).  The test never creates that
# file in a run it kills, and runs that must finish do not set the variable; either way `link`
# returns the real strategy's result.
PLUGIN_SOURCE = """\
import os
import time
from pathlib import Path

from benchmark.strategies import STRATEGIES


class HeldSplink(STRATEGIES["splink"]):
    name = "held_splink"

    def link(self, data, backend):
        # held before the work, in Python: a signal then lands here, not inside a DuckDB query
        hold = os.environ.get("ITIN_TEST_HOLD")
        deadline = time.monotonic() + 300
        while hold and not Path(hold).exists() and time.monotonic() < deadline:
            time.sleep(0.02)
        return super().link(data, backend)
"""


def _config(folder: Path) -> Path:
    text = (ROOT / "configs" / "smoke.toml").read_text()
    text = text.replace('name = "smoke"', 'name = "interrupted"')
    text = (
        text.split("[run]")[0] + f"[run]\nreplicates = 1\nstrategies = {json.dumps(STRATEGIES)}\n"
    )
    path = folder / "interrupted.toml"
    path.write_text(text)
    return path


def _setup(folder: Path) -> Path:
    """The plugin module and the config in ``folder``; returns the config."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "held_plugin.py").write_text(PLUGIN_SOURCE)
    (folder / "work").mkdir(exist_ok=True)
    return _config(folder)


def _start(folder: Path, out_root: Path, *, hold: Path | None = None) -> subprocess.Popen:
    """Start ``itin-bench run`` (the real CLI, as ``python -m benchmark``) on ``folder``'s config,
    its output going to ``folder/run.log``."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(folder), str(ROOT), env.get("PYTHONPATH", "")) if p
    )
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env.pop(HOLD_ENV, None)
    if hold is not None:
        env[HOLD_ENV] = str(hold)
    with (folder / "run.log").open("w") as out:
        argv = ["run", "--config", str(folder / "interrupted.toml"), "--out-root", str(out_root)]
        proc = subprocess.Popen(
            [sys.executable, "-m", "benchmark", *argv],
            cwd=folder / "work",  # anything a library drops in its working folder stays here
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            # a suite started in the background of a shell without job control inherits an
            # ignored SIGINT, and Python then never raises KeyboardInterrupt: give the run the
            # default, as a terminal would
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        )
    return proc


def _output(folder: Path) -> str:
    """The end of the output of the last run started in ``folder``."""
    return (folder / "run.log").read_text()[-4000:]


def _finish(folder: Path, out_root: Path) -> tuple[subprocess.Popen, str]:
    """Run to the end; returns the process and its output."""
    proc = _start(folder, out_root)
    try:
        code = proc.wait(timeout=300)
    finally:
        if proc.poll() is None:
            proc.kill()
    out = _output(folder)
    assert code == 0, out
    return proc, out


def _kill_while_linking(folder: Path, out_root: Path, sig: signal.Signals) -> subprocess.Popen:
    """Start a run that holds the plugin's link stage open, wait until its temporary folder
    exists and carries its marker (the stage is under way), send ``sig`` and wait for the
    process to end.  A folder killed before its marker is written is not provably ours, and
    the next run rightly leaves it; waiting for the marker keeps a loaded machine from
    killing the writer in that instant."""
    from data_gen.folders import read_marker

    links = out_root / "interrupted" / "links"
    prefix = f".{PLUGIN}.tmp-"
    proc = _start(folder, out_root, hold=folder / "never-created")

    def marked() -> bool:
        return links.is_dir() and any(
            p.name.startswith(prefix) and read_marker(p) is not None for p in links.iterdir()
        )

    try:
        deadline = time.monotonic() + 180
        while not marked():
            if proc.poll() is not None:
                pytest.fail(
                    f"the run ended (exit {proc.returncode}) before linking with {PLUGIN} "
                    f"began:\n{_output(folder)}"
                )
            if time.monotonic() > deadline:
                pytest.fail(
                    f"no {prefix}* folder appeared in {links} within 180 s:\n{_output(folder)}"
                )
            time.sleep(0.02)
        proc.send_signal(sig)
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return proc


def _snapshot(folder: Path) -> dict[str, str]:
    """sha256 of every file below ``folder`` outside temporary folders, by relative path."""
    out = {}
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder)
        if path.is_file() and not any(TEMP.match(part) for part in rel.parts):
            out[rel.as_posix()] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def _temporaries(folder: Path) -> list[str]:
    return sorted(
        p.relative_to(folder).as_posix() for p in folder.rglob(".*") if TEMP.match(p.name)
    )


def _writers(run_folder: Path) -> list[int]:
    """The PIDs named by the temporary folders of plugin links (one per folder)."""
    pattern = re.compile(rf"^links/\.{re.escape(PLUGIN)}\.tmp-(\d+)-[^/]+$")
    found = [pattern.match(p) for p in _temporaries(run_folder)]
    assert all(found), f"unexpected temporary folders: {_temporaries(run_folder)}"
    return [int(m.group(1)) for m in found if m]


def _stages(run_folder: Path) -> dict[str, bool]:
    manifest = json.loads((run_folder / "run_manifest.json").read_text())
    return {s["stage"]: s["reused"] for s in manifest["stages"]}


def _evaluation(run_folder: Path, strategy: str) -> dict[str, pd.DataFrame]:
    tables = {}
    for path in sorted((run_folder / "evaluation").glob("*.parquet")):
        table = pd.read_parquet(path)
        if "strategy" in table.columns:
            tables[path.stem] = table[table["strategy"] == strategy].reset_index(drop=True)
    return tables


@pytest.fixture(scope="module")
def finished(tmp_path_factory) -> Path:
    """A finished run (data, irs_2025 and plugin links, evaluation, figures, report)."""
    folder = tmp_path_factory.mktemp("finished")
    _setup(folder)
    _finish(folder, folder / "runs")
    return folder / "runs"


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT], ids=["SIGKILL", "SIGINT"])
def test_a_run_stopped_while_linking_keeps_the_previous_results_and_the_next_resumes(
    finished, tmp_path, sig
):
    out_root = tmp_path / "runs"
    shutil.copytree(finished, out_root)
    run_folder = out_root / "interrupted"
    _setup(tmp_path)
    before = _snapshot(run_folder)
    assert _temporaries(run_folder) == []
    assert f"links/{PLUGIN}/pairs.parquet" in before and "run_manifest.json" in before
    first_keys = {
        s["stage"]: s["key"]
        for s in json.loads((run_folder / "run_manifest.json").read_text())["stages"]
    }

    # a change to the plugin's source only: its link stage (and what follows) is out of date
    plugin = tmp_path / "held_plugin.py"
    plugin.write_text(plugin.read_text() + "# edited: the link stage key changes\n")

    # (a) stopped while linking with the plugin: every earlier file is as it was
    proc = _kill_while_linking(tmp_path, out_root, sig)
    if sig == signal.SIGINT:
        assert proc.returncode == 130, _output(tmp_path)
        assert "interrupted" in _output(tmp_path)
        assert _temporaries(run_folder) == []  # Ctrl-C cleans up after itself
    else:
        assert proc.returncode == -signal.SIGKILL
        # what a killed writer leaves: its temporary folder, named after its PID
        assert _writers(run_folder) == [proc.pid]
    after = _snapshot(run_folder)
    assert sorted(after) == sorted(before), "files were added or removed outside temp folders"
    changed = [name for name in before if after[name] != before[name]]
    assert changed == [], f"changed by the interrupted run: {changed}"

    # (b) the next run (no --force) resumes: the data and irs_2025 links are reused untouched,
    # the plugin's link and everything after it are redone, and no temporary folder is left
    _, out = _finish(tmp_path, out_root)
    assert _stages(run_folder) == RESUMED
    assert "reused unchanged: data, irs_2025" in out
    assert _temporaries(run_folder) == []
    resumed = _snapshot(run_folder)
    for name, digest in before.items():
        if name.startswith(("data/", "links/irs_2025/")):
            assert resumed[name] == digest, name
    assert resumed["run_manifest.json"] != before["run_manifest.json"]
    new_keys = {
        s["stage"]: s["key"]
        for s in json.loads((run_folder / "run_manifest.json").read_text())["stages"]
    }
    assert new_keys["irs_2025"] == first_keys["irs_2025"]
    assert new_keys[PLUGIN] != first_keys[PLUGIN]
    # the unchanged strategy evaluates exactly as before
    first, again = (
        _evaluation(finished / "interrupted", "irs_2025"),
        _evaluation(run_folder, "irs_2025"),
    )
    assert first.keys() == again.keys() and len(first) >= 5
    for name, table in first.items():
        # irs_2025 may confirm nobody wrongly in this small world, and claims no probabilities
        assert len(table) > 0 or name in ("error_cause_disclosures", "reliability"), name
        pd.testing.assert_frame_equal(again[name], table, obj=name)


def test_a_first_run_killed_while_linking_is_resumed_by_the_next(tmp_path):
    out_root = tmp_path / "runs"
    run_folder = out_root / "interrupted"
    _setup(tmp_path)

    # (c) killed during its plugin link in a fresh out-root: the world and the irs_2025 links
    # are finished, the plugin's link is a leftover temporary folder, and there is no manifest
    proc = _kill_while_linking(tmp_path, out_root, signal.SIGKILL)
    assert proc.returncode == -signal.SIGKILL
    assert (run_folder / "data" / "stage.json").is_file()
    assert (run_folder / "links" / "irs_2025" / "stage.json").is_file()
    assert not (run_folder / "links" / PLUGIN).exists()
    assert not (run_folder / "run_manifest.json").exists()
    assert _writers(run_folder) == [proc.pid]
    kept = _snapshot(run_folder)

    _, out = _finish(tmp_path, out_root)
    assert _stages(run_folder) == RESUMED
    assert "reused unchanged: data, irs_2025" in out
    assert _temporaries(run_folder) == []  # the dead run's folder is cleared
    resumed = _snapshot(run_folder)
    assert all(resumed[name] == digest for name, digest in kept.items())
    assert (run_folder / "links" / PLUGIN / "pairs.parquet").is_file()
    assert (run_folder / "report" / "report.html").is_file()
