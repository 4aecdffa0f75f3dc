"""Nothing a user owns is ever lost: every command against decoys, overlaps, symlinks, leftovers.

Each case runs the real ``itin-bench`` command line (in this process, through
``benchmark.cli.main``), checks its exit code and its one-line message, and
compares a hash of every file that must survive.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from benchmark.cli import main
from data_gen.folders import MARKER, read_marker, scratch_folder

ROOT = Path(__file__).resolve().parents[2]
SMOKE = ROOT / "configs" / "smoke.toml"


def hashes(folder: Path) -> dict[str, str]:
    """sha256 of every file below ``folder`` (symlinks by their target text), by relative path."""
    out = {}
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder).as_posix()
        if path.is_symlink():
            out[rel] = "link:" + os.readlink(path)
        elif path.is_file():
            out[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def cli(capsys, *args) -> tuple[int, list[str]]:
    """Exit code and stderr lines of ``itin-bench -q ARGS``."""
    capsys.readouterr()
    code = main(["-q", *map(str, args)])
    return code, capsys.readouterr().err.splitlines()


def refused(capsys, *args, says: str) -> None:
    code, err = cli(capsys, *args)
    assert code == 2, err
    assert len(err) == 1 and err[0].startswith("itin-bench: error: "), err
    assert says in err[0], err


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """A smoke dataset D, its irs_2025 link folder in L, and an evaluation E."""
    root = tmp_path_factory.mktemp("owned")
    data, links, evaluation = root / "D", root / "L", root / "E"
    assert main(["-q", "generate", "--config", str(SMOKE), "--out", str(data)]) == 0
    link = ["link", "--data", str(data), "--strategy", "irs_2025", "--out", str(links / "irs_2025")]
    assert main(["-q", *link]) == 0
    assert (
        main(
            ["-q", "evaluate", "--data", str(data), "--pairs", str(links), "--out", str(evaluation)]
        )
        == 0
    )
    return data, links, evaluation


@pytest.fixture
def decoy(tmp_path):
    """A folder of the user's own files, and a git repository with a commit."""
    mine = tmp_path / "mine"
    (mine / "sub").mkdir(parents=True)
    (mine / "thesis.tex").write_text("years of work")
    (mine / "sub" / "data.csv").write_text("a,b\n1,2\n")
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "README.md").write_text("a project\n")
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@t",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@t",
    }
    for cmd in (["init", "-q"], ["add", "."], ["commit", "-q", "-m", "first"]):
        subprocess.run(["git", "-C", str(repo), *cmd], check=True, env=env, capture_output=True)
    return mine, repo


def _commands(world, out: Path) -> list[list[str]]:
    """Every subcommand that writes a folder, aimed at ``out`` with --force where it has one."""
    data, links, _ = world
    return [
        ["generate", "--config", SMOKE, "--out", out, "--force"],
        ["export", "--data", data, "--out", out, "--force"],
        ["link", "--data", data, "--strategy", "irs_2025", "--out", out, "--force"],
        ["evaluate", "--data", data, "--pairs", links, "--out", out, "--force"],
        ["paper", "--reduced", "--out", out, "--out-root", out.parent / "paper-runs"],
        ["perf", "generate", "--persons", "2000", "--keep", out],
        ["perf", "scaling", "--config", SMOKE, "--scales", "0.1,0.2", "--out", out],
    ]


@pytest.mark.parametrize("target", ["mine", "repo", "repo/."])
@pytest.mark.parametrize(
    "command", ["generate", "export", "link", "evaluate", "paper", "perf generate", "perf scaling"]
)
def test_no_command_replaces_a_folder_it_did_not_write(world, decoy, capsys, target, command):
    """Reproductions 1 (``--force`` deletes any folder, ``$PWD/.`` included) for every command."""
    mine, repo = decoy
    out = Path(str(mine if target == "mine" else repo) + ("/." if target.endswith("/.") else ""))
    args = next(c for c in _commands(world, out) if " ".join(map(str, c)).startswith(command))
    before = {"mine": hashes(mine), "repo": hashes(repo)}
    code, err = cli(capsys, *args)
    assert code == 2, err
    assert len(err) == 1 and err[0].startswith("itin-bench: error: "), err
    assert {"mine": hashes(mine), "repo": hashes(repo)} == before
    assert not (mine.parent / "paper-runs").exists()  # refused before any work


def test_a_run_never_empties_a_stage_folder_holding_the_users_files(tmp_path, capsys):
    """Reproduction 3: files the user put in data/ or report/ survive ``run``, with and without
    --force; the run is refused with one line naming the folder."""
    root = tmp_path / "R"
    assert main(["-q", "run", "--config", str(SMOKE), "--out-root", str(root)]) == 0
    run_folder = root / "smoke"
    (run_folder / "data" / "mine.txt").write_text("my notes")
    (run_folder / "report" / "notes.txt").write_text("more notes")
    before = hashes(run_folder)
    for force in ([], ["--force"]):
        refused(capsys, "run", "--config", SMOKE, "--out-root", root, *force, says="mine.txt")
        assert hashes(run_folder) == before
    (run_folder / "data" / "mine.txt").unlink()
    refused(capsys, "run", "--config", SMOKE, "--out-root", root, "--force", says="notes.txt")
    assert (run_folder / "report" / "notes.txt").read_text() == "more notes"


@pytest.mark.parametrize(
    "case",
    [
        "link-into-data",
        "evaluate-into-links",
        "export-into-data",
        "link-inside-data",
        "evaluate-around-links",
    ],
)
def test_an_output_that_overlaps_an_input_is_refused(world, tmp_path, capsys, case):
    """Reproduction 2: output equal to, inside or around an input, even through a symlink."""
    data, links, _ = world
    alias = tmp_path / "alias"
    alias.symlink_to(data)
    before = {"D": hashes(data), "L": hashes(links)}
    args = {
        "link-into-data": [
            "link",
            "--data",
            alias,
            "--strategy",
            "name_dob",
            "--out",
            data,
            "--force",
        ],
        "evaluate-into-links": [
            "evaluate",
            "--data",
            data,
            "--pairs",
            links,
            "--out",
            links,
            "--force",
        ],
        "export-into-data": ["export", "--data", data, "--out", Path(f"{data}/."), "--force"],
        "link-inside-data": [
            "link",
            "--data",
            data,
            "--strategy",
            "name_dob",
            "--out",
            alias / "x",
        ],
        "evaluate-around-links": [
            "evaluate",
            "--data",
            data,
            "--pairs",
            links / "irs_2025",
            "--out",
            links,
            "--force",
        ],
    }[case]
    refused(capsys, *args, says="input")
    assert {"D": hashes(data), "L": hashes(links)} == before


def test_a_symlinked_output_is_followed_and_never_half_written(world, tmp_path, capsys):
    """Reproduction 4: ``--out LINK --force`` writes the folder the link points to and leaves
    the link and no leftover; a link to a folder of the user's is refused, untouched."""
    data, _, _ = world
    real = tmp_path / "real"
    shutil.copytree(data, real)
    link = tmp_path / "link"
    link.symlink_to(real)
    code, err = cli(capsys, "export", "--data", data, "--out", tmp_path / "x")
    assert code == 0, err
    assert (
        main(
            ["-q", "generate", "--config", str(SMOKE), "--seed", "5", "--out", str(link), "--force"]
        )
        == 0
    )
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert json.loads((real / "manifest.json").read_text())["seed"] == 5
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link", "real", "x"]
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "a.txt").write_text("a")
    link.unlink()
    link.symlink_to(mine)
    refused(
        capsys, "generate", "--config", SMOKE, "--out", link, "--force", says="not a dataset folder"
    )
    assert hashes(mine) == {"a.txt": hashlib.sha256(b"a").hexdigest()}


def test_a_dead_writers_replaced_folder_is_restored_and_then_kept(world, tmp_path, capsys):
    """Reproduction 5: with only ``K/.x.old-<dead pid>``, the earlier dataset comes back and a
    write without --force is refused; with both, the newer stays and the older is kept aside."""
    data, _, _ = world
    dead = _dead_pid()
    parent = tmp_path / "K"
    parent.mkdir()
    earlier = parent / f".x.old-{dead}"
    shutil.copytree(data, earlier)
    before = hashes(earlier)
    refused(capsys, "generate", "--config", SMOKE, "--out", parent / "x", says="not empty")
    assert hashes(parent / "x") == before and not earlier.exists()

    shutil.copytree(data, earlier)
    assert (
        main(
            [
                "-q",
                "generate",
                "--config",
                str(SMOKE),
                "--seed",
                "8",
                "--out",
                str(parent / "x"),
                "--force",
            ]
        )
        == 0
    )
    kept = parent / f"x.earlier-{dead}"
    assert hashes(kept) == before  # the older copy kept aside, not deleted
    assert json.loads((parent / "x" / "manifest.json").read_text())["seed"] == 8


def test_a_stage_whose_input_changed_while_it_ran_is_made_again(tmp_path, capsys, monkeypatch):
    """Reproduction 6: the world replaced (another seed) while the run links: that run stops
    with one line, and the next one relinks on the new world instead of refusing for ever."""
    import benchmark.linking.link
    from data_gen import load_scenario
    from data_gen.chunks import generate_dataset

    root = tmp_path / "R"
    data = root / "smoke" / "data"
    real_link = benchmark.linking.link.run_link
    calls = []

    def link_while_the_world_is_replaced(folder, name, *args, **kwargs):
        if not calls:
            other = load_scenario(SMOKE).with_overrides(seed=99)
            generate_dataset(other, data, force=True)  # what a second process does meanwhile
        calls.append(name)
        return real_link(folder, name, *args, **kwargs)

    monkeypatch.setattr(benchmark.linking.link, "run_link", link_while_the_world_is_replaced)
    refused(
        capsys,
        "run",
        "--config",
        SMOKE,
        "--out-root",
        root,
        says="changed while this stage read it",
    )
    monkeypatch.setattr(benchmark.linking.link, "run_link", real_link)
    code, err = cli(capsys, "run", "--config", SMOKE, "--out-root", root)
    assert code == 0, err
    manifest = json.loads((root / "smoke" / "evaluation" / "evaluation_manifest.json").read_text())
    assert manifest["data_seed"] == load_scenario(SMOKE).seed
    code, err = cli(capsys, "run", "--config", SMOKE, "--out-root", root)
    assert code == 0, err  # and it stays healed: everything reused


def test_a_full_disk_at_the_run_manifest_is_one_line_and_leaves_no_temporary(
    tmp_path, capsys, monkeypatch
):
    """Reproduction 9 (disk part): ENOSPC while writing run_manifest.json or stage.json."""
    import errno

    root = tmp_path / "R"
    assert main(["-q", "run", "--config", str(SMOKE), "--out-root", str(root)]) == 0
    run_folder = root / "smoke"
    before = (run_folder / "run_manifest.json").read_bytes()
    real_write = Path.write_text

    def full_disk(self, *args, **kwargs):
        if self.name.startswith((".run_manifest.json.tmp", ".stage.json.tmp")):
            real_write(self, "{", encoding="utf-8")  # part of it reached the disk
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_write(self, *args, **kwargs)

    monkeypatch.setattr(Path, "write_text", full_disk)
    refused(capsys, "run", "--config", SMOKE, "--out-root", root, says="No space left on device")
    assert (run_folder / "run_manifest.json").read_bytes() == before
    assert [p.name for p in run_folder.rglob(".*.tmp*")] == []
    refused(capsys, "run", "--config", SMOKE, "--out-root", root, "--force", says="No space left")
    assert [p.name for p in run_folder.rglob(".*.tmp*")] == []


def test_a_dead_writers_scratch_is_removed_and_others_kept(tmp_path, monkeypatch):
    """Reproduction 10: scratch folders under TMPDIR carry their writer's PID; a dead writer's
    (with the marker) are removed by the next start, a live one's and a user's are kept."""
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    dead = _dead_pid()
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        stale = tmp_path / f"itin-bench-{dead}-replicate-1-abc"
        live = tmp_path / f"itin-bench-{sleeper.pid}-duckdb-def"
        user = tmp_path / f"itin-bench-{dead}-mine"
        for folder in (stale, live, user):
            folder.mkdir()
            (folder / "x.parquet").write_bytes(b"x")
        for folder in (stale, live):
            (folder / MARKER).write_text(
                json.dumps({"tool": "itin-bench", "kind": "scratch", "files": []})
            )
        mine = scratch_folder("replicate-2")
        assert mine.name.startswith(f"itin-bench-{os.getpid()}-replicate-2-")
        assert read_marker(mine)["kind"] == "scratch"
        assert not stale.exists() and live.is_dir() and (user / "x.parquet").is_file()
    finally:
        sleeper.kill()
        sleeper.wait()


def test_every_folder_written_carries_its_marker(world):
    data, links, evaluation = world
    for folder, kind in (
        (data, "dataset"),
        (links / "irs_2025", "link"),
        (evaluation, "evaluation"),
    ):
        marker = read_marker(folder)
        assert marker is not None and marker["kind"] == kind
        listed = set(marker["files"])
        assert listed == {
            p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()
        } - {MARKER}
