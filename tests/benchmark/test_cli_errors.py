"""The real ``itin-bench`` CLI as a subprocess: exit codes, one-line errors, atomic writes."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from data_gen.dataset import TABLES
from data_gen.noise import NOISE_NAMES

TINY = 'name = "tiny"\nseed = 3\n\n[world]\npersons = 1500\nn_zips = 4\n'


def run_cli(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "benchmark", *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=180,
    )


def error_lines(proc: subprocess.CompletedProcess) -> list[str]:
    return proc.stderr.splitlines()


def leftovers(parent: Path) -> list[str]:
    """Temporary or trash folders a dataset write may leave next to its target."""
    return sorted(p.name for p in parent.iterdir() if re.match(r"^\..*\.(tmp|old)-", p.name))


def snapshot(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


# --------------------------------------------------------------------------- bad configs


@pytest.mark.parametrize(
    ("config", "key", "problem"),
    [
        pytest.param(
            "[requests]\ntin_shar = 0.3\n", "requests.tin_shar", "unknown key", id="unknown-key"
        ),
        pytest.param(
            "[requests]\ntin_share = 1.5\n",
            "requests.tin_share",
            "outside [0, 1]",
            id="probability-above-1",
        ),
        pytest.param(
            "[housing]\noccupancy = -0.1\n",
            "housing.occupancy",
            "outside [0, 1]",
            id="probability-below-0",
        ),
        pytest.param("[world]\npersons = -5\n", "world.persons", "negative", id="negative-size"),
        pytest.param(
            "[requests.address_kinds]\ncurrent = 0.5\noutdated = 0.3\n",
            "requests.address_kinds",
            "sum to 0.8",
            id="distribution-sum",
        ),
        pytest.param(
            "[noise.requests]\nnot_a_noise = 0.1\n",
            "noise.requests.not_a_noise",
            "unknown noise type",
            id="unknown-noise",
        ),
        pytest.param("[world\npersons = 1\n", "bad.toml", "not valid TOML", id="invalid-toml"),
    ],
)
def test_bad_config_exits_2_with_one_line_and_writes_nothing(tmp_path, config, key, problem):
    (tmp_path / "bad.toml").write_text(config)
    out = tmp_path / "out"
    proc = run_cli(tmp_path, "generate", "--config", "bad.toml", "--out", out)
    assert proc.returncode == 2, proc.stderr
    lines = error_lines(proc)
    assert len(lines) == 1, proc.stderr
    assert key in lines[0] and problem in lines[0], lines[0]
    assert lines[0].startswith("itin-bench: error: ")
    assert proc.stdout == ""
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.toml"]


def test_bad_config_with_force_leaves_existing_folder_untouched(tmp_path):
    (tmp_path / "bad.toml").write_text("[requests]\ntin_share = 1.5\n")
    out = tmp_path / "out"
    out.mkdir()
    (out / "manifest.json").write_bytes(b'{"seed": 1}\n')
    before = snapshot(out)
    proc = run_cli(tmp_path, "generate", "--config", "bad.toml", "--out", out, "--force")
    assert proc.returncode == 2, proc.stderr
    assert len(error_lines(proc)) == 1, proc.stderr
    assert "requests.tin_share" in proc.stderr
    assert snapshot(out) == before
    assert leftovers(tmp_path) == []


# --------------------------------------------------------------------------- output folder


def test_existing_nonempty_out_without_force_is_refused(tmp_path):
    (tmp_path / "tiny.toml").write_text(TINY)
    out = tmp_path / "out"
    out.mkdir()
    precious = out / "precious.bin"
    payload = bytes(range(256)) * 4
    precious.write_bytes(payload)
    proc = run_cli(tmp_path, "generate", "--config", "tiny.toml", "--out", out)
    assert proc.returncode == 2, proc.stderr
    lines = error_lines(proc)
    assert len(lines) == 1, proc.stderr
    assert "not empty" in lines[0] and "--force" in lines[0], lines[0]
    assert str(out) in lines[0]
    assert precious.read_bytes() == payload
    assert [p.name for p in out.iterdir()] == ["precious.bin"]
    assert leftovers(tmp_path) == []


def test_out_that_is_a_file_is_refused(tmp_path):
    (tmp_path / "tiny.toml").write_text(TINY)
    out = tmp_path / "out"
    out.write_bytes(b"not a folder")
    proc = run_cli(tmp_path, "generate", "--config", "tiny.toml", "--out", out, "--force")
    assert proc.returncode == 2, proc.stderr
    assert len(error_lines(proc)) == 1, proc.stderr
    assert "not a folder" in proc.stderr
    assert out.read_bytes() == b"not a folder"
    assert leftovers(tmp_path) == []


# --------------------------------------------------------------------------- bad arguments


@pytest.mark.parametrize(
    ("args", "needle", "one_line"),
    [
        pytest.param(
            ["generate", "--config", "missing.toml", "--out", "out"],
            "config file not found",
            True,
            id="missing-config",
        ),
        pytest.param(
            ["generate", "--config", "."], "--config and --out are required", True, id="missing-out"
        ),
        pytest.param(
            ["generate", "--config", "tiny.toml", "--out", "out", "--seed", "-1"],
            "--seed -1",
            True,
            id="negative-seed",
        ),
        pytest.param(
            ["generate", "--config", "tiny.toml", "--out", "out", "--seed", "abc"],
            "invalid int value",
            False,
            id="seed-not-int",
        ),
        pytest.param(
            ["generate", "--config", "tiny.toml", "--out", "out", "--bogus"],
            "unrecognized arguments",
            False,
            id="unknown-option",
        ),
        pytest.param([], "required", False, id="no-command"),
        pytest.param(["frobnicate"], "invalid choice", False, id="unknown-command"),
    ],
)
def test_bad_arguments_exit_2(tmp_path, args, needle, one_line):
    (tmp_path / "tiny.toml").write_text(TINY)
    proc = run_cli(tmp_path, *args)
    assert proc.returncode == 2, proc.stderr
    assert needle in proc.stderr, proc.stderr
    if one_line:
        assert len(error_lines(proc)) == 1, proc.stderr
    assert not (tmp_path / "out").exists()
    assert leftovers(tmp_path) == []


# --------------------------------------------------------------------------- list-noise


def test_list_noise_lists_every_noise_type(tmp_path):
    proc = run_cli(tmp_path, "generate", "--list-noise")
    assert proc.returncode == 0, proc.stderr
    for name in NOISE_NAMES:
        assert re.search(rf"(?m)^\s*{re.escape(name)}\s", proc.stdout), name
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------- a real run


def check_dataset(out: Path) -> dict:
    manifest = json.loads((out / "manifest.json").read_text())
    expected = set(TABLES) | {"noise_log"}
    for name in expected:
        assert (out / f"{name}.parquet").is_file(), name
    assert set(manifest["tables"]) == expected
    for name in expected:
        rows = pq.read_metadata(out / f"{name}.parquet").num_rows
        assert manifest["tables"][name]["rows"] == rows, name
    assert manifest["tables"]["persons"]["rows"] > 0
    return manifest


def test_tiny_run_then_force_rerun_replaces_folder(tmp_path):
    (tmp_path / "tiny.toml").write_text(TINY)
    out = tmp_path / "data" / "tiny"
    proc = run_cli(tmp_path, "-q", "generate", "--config", "tiny.toml", "--out", out)
    assert proc.returncode == 0, proc.stderr
    manifest = check_dataset(out)
    assert manifest["seed"] == 3
    assert manifest["scenario"] == "tiny"
    assert leftovers(out.parent) == []
    assert [p.name for p in out.parent.iterdir()] == ["tiny"]

    # a stray file proves the folder is replaced, not merged into
    (out / "stray.txt").write_text("old")
    proc = run_cli(
        tmp_path, "-q", "generate", "--config", "tiny.toml", "--out", out, "--seed", "4", "--force"
    )
    assert proc.returncode == 0, proc.stderr
    manifest2 = check_dataset(out)
    assert manifest2["seed"] == 4
    assert manifest2["config_sha256"] != manifest["config_sha256"]
    assert not (out / "stray.txt").exists()
    assert leftovers(out.parent) == []
    assert [p.name for p in out.parent.iterdir()] == ["tiny"]


@pytest.mark.parametrize(
    "make_out",
    [
        pytest.param(lambda tmp: ".", id="dot"),
        pytest.param(lambda tmp: str(_file_in(tmp) / "world"), id="parent-is-a-file"),
    ],
)
def test_unusable_out_path_is_rejected_before_work(tmp_path, make_out):
    cfg = tmp_path / "ok.toml"
    cfg.write_text("[world]\npersons = 1500\nn_zips = 4\n")
    out = make_out(tmp_path)
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmark",
            "generate",
            "--config",
            str(cfg),
            "--out",
            out,
            "--force",
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert proc.returncode == 2, proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def _file_in(tmp):
    f = tmp / "a_file"
    f.write_text("keep me")
    return f


def test_perf_keep_refuses_a_non_empty_folder(tmp_path):
    keep = tmp_path / "keep"
    keep.mkdir()
    (keep / "notes.txt").write_text("mine")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmark",
            "perf",
            "generate",
            "--persons",
            "2000",
            "--keep",
            str(keep),
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert proc.returncode == 2
    assert (keep / "notes.txt").read_text() == "mine"
    assert sorted(p.name for p in keep.iterdir()) == ["notes.txt"]
