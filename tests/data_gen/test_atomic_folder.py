"""atomic_folder: temporary folders named after their writer, and the leftovers of writers
that died (SIGKILL) cleared, never those of a running one."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from data_gen import dataset, folders
from data_gen.dataset import atomic_folder
from data_gen.folders import MARKER, write_marker


def _dead_pid() -> int:
    """The PID of a real process that has exited (and been reaped)."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    assert not dataset.process_is_running(child.pid)
    return child.pid


def _leftover(parent: Path, name: str, *, marked: bool = True) -> Path:
    """A folder as a writer of ours leaves it (with the marker), or a user's look-alike."""
    folder = parent / name
    (folder / "sub").mkdir(parents=True)
    (folder / "sub" / "part.parquet").write_bytes(b"half written")
    if marked:
        write_marker(folder, "dataset", complete=name.split(".")[-1].startswith("old"))
    return folder


def test_the_temporary_folder_is_named_after_the_writing_process(tmp_path):
    out = tmp_path / "world"
    with atomic_folder(out, force=False) as tmp:
        assert tmp.parent == tmp_path
        assert tmp.name.startswith(f".world.tmp-{os.getpid()}-")
        (tmp / "a.txt").write_text("a")
    assert (out / "a.txt").read_text() == "a"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["world"]


def test_a_dead_writers_leftovers_are_removed_and_a_live_ones_kept(tmp_path):
    dead = _dead_pid()
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        out = tmp_path / "world"
        out.mkdir()  # the finished folder already there, replaced below
        (out / "stage.json").write_text("{}")
        write_marker(out, "dataset", complete=True)
        stale = [_leftover(tmp_path, f".world.tmp-{dead}-abc123")]
        # killed while removing the replaced one: complete, so kept aside, not deleted
        earlier = _leftover(tmp_path, f".world.old-{dead}")
        kept = [
            _leftover(tmp_path, f".world.tmp-{os.getpid()}-mine"),  # this process's own
            _leftover(tmp_path, f".world.tmp-{sleeper.pid}-busy"),  # another running writer
            _leftover(tmp_path, f".world.old-{sleeper.pid}"),
            _leftover(tmp_path, f".other.tmp-{dead}-x"),  # another folder's: not ours to clear
            _leftover(tmp_path, ".world.tmp-legacy"),  # no PID: its writer cannot be told
            _leftover(tmp_path, f".world.tmp-{dead}"),  # not a name atomic_folder gives
            _leftover(tmp_path, f".world.tmp-{dead}-user", marked=False),  # not written by us
        ]
        with atomic_folder(out, force=True) as tmp:
            for folder in stale:
                assert not folder.exists(), folder.name
            for folder in kept:
                assert (folder / "sub" / "part.parquet").read_bytes() == b"half written"
            assert not earlier.exists()
            aside = tmp_path / f"world.earlier-{dead}"
            assert (aside / "sub" / "part.parquet").read_bytes() == b"half written"
            (tmp / "new.txt").write_text("new")
        assert sorted(p.name for p in out.iterdir()) == [MARKER, "new.txt"]
        assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
            ["world", aside.name, *(f.name for f in kept)]
        )
    finally:
        sleeper.kill()
        sleeper.wait()


def test_a_writer_that_cannot_be_signalled_counts_as_running(tmp_path, monkeypatch):
    """os.kill(pid, 0) raising PermissionError means the process exists (another user's)."""
    dead = _dead_pid()
    leftover = _leftover(tmp_path, f".world.tmp-{dead}-theirs")

    def refuse(pid: int, sig: int) -> None:
        assert sig == 0
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(folders.os, "kill", refuse)
    with atomic_folder(tmp_path / "world", force=False) as tmp:
        (tmp / "a.txt").write_text("a")
    assert leftover.is_dir()


def test_a_failed_write_leaves_no_temporary_and_the_old_folder_intact(tmp_path):
    out = tmp_path / "world"
    out.mkdir()
    (out / "old.txt").write_text("old")
    write_marker(out, "dataset", complete=True)
    with pytest.raises(KeyboardInterrupt), atomic_folder(out, force=True) as tmp:
        (tmp / "new.txt").write_text("new")
        raise KeyboardInterrupt
    assert sorted(p.name for p in tmp_path.iterdir()) == ["world"]
    assert sorted(p.name for p in out.iterdir()) == [MARKER, "old.txt"]


def test_a_writer_killed_between_the_two_renames_gets_the_earlier_folder_back(tmp_path):
    """Killed after moving the finished folder aside and before moving its own in: no ``out``,
    only ``.old-<pid>``.  The next writer restores it."""
    dead = _dead_pid()
    out = tmp_path / "world"
    earlier = _leftover(tmp_path, f".world.old-{dead}")
    assert dataset.remove_stale_temporaries(out) == []
    assert not earlier.exists()
    assert (out / "sub" / "part.parquet").read_bytes() == b"half written"


def test_a_restored_folder_is_not_replaced_without_force(tmp_path):
    """The earlier dataset comes back and then counts as existing: a write without --force
    is refused instead of replacing what was just restored."""
    from data_gen.errors import InputError

    dead = _dead_pid()
    out = tmp_path / "world"
    _leftover(tmp_path, f".world.old-{dead}")
    with pytest.raises(InputError, match="not empty"), atomic_folder(out, force=False) as tmp:
        (tmp / "new.txt").write_text("new")
    assert (out / "sub" / "part.parquet").read_bytes() == b"half written"
    assert not (out / "new.txt").exists()
