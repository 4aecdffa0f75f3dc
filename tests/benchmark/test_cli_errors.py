"""The real ``itin-bench`` CLI as a subprocess: exit codes, one-line errors, atomic writes."""

from __future__ import annotations

import errno
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from benchmark import cli
from benchmark.cli import linking
from benchmark.tables.reading import MAX_COLUMNS
from data_gen.dataset import TABLES
from data_gen.noise_registry import NOISE_NAMES

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


def one_line_error(proc: subprocess.CompletedProcess) -> str:
    """The single stderr line of a bad-input exit (code 2, no traceback)."""
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr, proc.stderr
    lines = error_lines(proc)
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("itin-bench: error: "), lines[0]
    return lines[0]


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        pytest.param(
            ["generate", "--config", "missing.toml", "--out", "out"],
            "config file not found",
            id="missing-config",
        ),
        pytest.param(
            ["generate", "--config", "."], "--config and --out are required", id="missing-out"
        ),
        pytest.param(
            ["generate", "--config", "tiny.toml", "--out", "out", "--seed", "-1"],
            "--seed -1",
            id="negative-seed",
        ),
    ],
)
def test_bad_arguments_exit_2(tmp_path, args, needle):
    (tmp_path / "tiny.toml").write_text(TINY)
    proc = run_cli(tmp_path, *args)
    assert needle in one_line_error(proc)
    assert not (tmp_path / "out").exists()
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize(
    ("args", "needle", "command"),
    [
        pytest.param(
            ["generate", "--config", "tiny.toml", "--out", "out", "--seed", "abc"],
            "argument --seed: invalid int value: 'abc'",
            "generate",
            id="bad-type",
        ),
        pytest.param(
            ["generate", "--config", "tiny.toml", "--out", "out", "--bogus"],
            "unrecognized arguments: --bogus",
            "generate",
            id="unknown-option",
        ),
        pytest.param(
            ["link", "--out", "out"],
            "the following arguments are required: --strategy",
            "link",
            id="missing-required",
        ),
        pytest.param(
            ["link", "--strategy", "irs_2025", "--out", "out", "--backend", "nope"],
            "argument --backend: invalid choice: 'nope'",
            "link",
            id="bad-choice",
        ),
        pytest.param(["evaluate", "--pairs"], "expected one argument", "evaluate", id="no-value"),
        pytest.param([], "the following arguments are required: COMMAND", "", id="no-command"),
        pytest.param(["frobnicate"], "invalid choice: 'frobnicate'", "", id="unknown-command"),
        pytest.param(["perf"], "required: BENCHMARK", "perf", id="no-benchmark"),
        pytest.param(["perf", "frob"], "invalid choice: 'frob'", "perf", id="unknown-benchmark"),
        pytest.param(
            ["perf", "generate", "--persons", "many"],
            "argument --persons: invalid int value",
            "perf generate",
            id="nested-bad-type",
        ),
        pytest.param(
            ["perf", "evaluate", "--bogus", "x"],
            "unrecognized arguments: --bogus x",
            "perf evaluate",
            id="nested-unknown-option",
        ),
        pytest.param(
            ["perf", "scaling", "--scales", "a,b"],
            "not a comma-separated list of numbers",
            "perf scaling",
            id="bad-list",
        ),
    ],
)
def test_argument_errors_are_one_line_with_the_help_to_read(tmp_path, args, needle, command):
    (tmp_path / "tiny.toml").write_text(TINY)
    line = one_line_error(run_cli(tmp_path, *args))
    assert needle in line, line
    assert line.endswith(f"(see {' '.join(['itin-bench', *command.split()])} --help)"), line
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tiny.toml"]


@pytest.mark.parametrize("args", [["--help"], ["link", "--help"], ["perf", "generate", "-h"]])
def test_help_still_prints_usage_and_exits_0(tmp_path, args):
    proc = run_cli(tmp_path, *args)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("usage: itin-bench"), proc.stdout
    assert proc.stderr == ""


# --------------------------------------------------------------------------- hostile inputs

MAPPING = "\n".join(
    f'[{table}]\nid = "id"\nfirst_name = "first"\nlast_name = "last"\naddress = "address"\n'
    for table in ("requests", "filers")
)
ROWS = "id,first,last,address\n1,Ana,Diaz,1 Main St\n"


def link_own(tmp_path: Path, requests: str, filers: str = "filers.csv", mapping: str = "map.toml"):
    return run_cli(
        tmp_path,
        "link",
        *("--requests", requests, "--filers", filers, "--mapping", mapping),
        *("--strategy", "exact_name_address", "--out", "out"),
    )


@pytest.mark.parametrize(
    "nested",
    [
        pytest.param("a = " + "[" * 5000 + "]" * 5000, id="arrays"),
        pytest.param("a = " + "{b = " * 5000 + "1" + "}" * 5000, id="inline-tables"),
    ],
)
def test_a_deeply_nested_config_or_mapping_is_bad_input(tmp_path, nested):
    (tmp_path / "deep.toml").write_text(nested + "\n")
    line = one_line_error(run_cli(tmp_path, "generate", "--config", "deep.toml", "--out", "out"))
    assert "deep.toml" in line and "nested too deeply" in line, line
    (tmp_path / "requests.csv").write_text(ROWS)
    line = one_line_error(link_own(tmp_path, "requests.csv", mapping="deep.toml"))
    assert "deep.toml" in line and "nested too deeply" in line, line
    assert not (tmp_path / "out").exists()


def test_a_deeply_nested_dataset_manifest_is_bad_input(tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "manifest.json").write_text("[" * 100_000 + "]" * 100_000)
    proc = run_cli(tmp_path, "link", "--data", "data", "--strategy", "irs_2025", "--out", "out")
    line = one_line_error(proc)
    assert "manifest.json" in line and "nested too deeply" in line, line
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        pytest.param("," * 1_000_000 + "\n", "1,000,001 columns", id="million-columns"),
        pytest.param(
            ROWS.splitlines()[0] + "\n1,Ana,Diaz,1 Main St" + "," * 1_000_000 + "\n",
            "line 2 has 1,000,004 cells, the header 4",
            id="million-cells-in-row-2",
        ),
        pytest.param("a" * (5 << 20) + "\n", "header row", id="header-of-5-MB"),
    ],
)
def test_a_csv_too_wide_is_refused_from_its_first_line(tmp_path, text, needle):
    (tmp_path / "map.toml").write_text(MAPPING)
    (tmp_path / "requests.csv").write_text(text)
    (tmp_path / "filers.csv").write_text(ROWS)
    # refused from the header, before pandas reads it (which took 55 s and then aborted)
    line = one_line_error(link_own(tmp_path, "requests.csv"))
    assert "requests.csv" in line and needle in line, line
    assert not (tmp_path / "out").exists()


def test_a_parquet_table_too_wide_is_refused_from_its_schema(tmp_path):
    (tmp_path / "map.toml").write_text(MAPPING)
    columns = {name: ["x"] for name in ("id", "first", "last", "address")}
    columns |= {f"extra_{i}": ["x"] for i in range(MAX_COLUMNS)}
    pq.write_table(pa.table(columns), tmp_path / "requests.parquet")
    (tmp_path / "filers.csv").write_text(ROWS)
    line = one_line_error(link_own(tmp_path, "requests.parquet"))
    assert "requests.parquet" in line and f"{MAX_COLUMNS + 4:,} columns" in line, line
    assert not (tmp_path / "out").exists()


# --------------------------------------------------------------------------- resources


def _raise(exc: BaseException):
    def command(args):
        raise exc

    return command


@pytest.mark.parametrize(
    "code",
    [
        errno.ENOSPC,
        errno.EROFS,
        errno.EACCES,
        *([errno.EDQUOT] if hasattr(errno, "EDQUOT") else []),
    ],
)
def test_a_full_read_only_or_forbidden_place_to_write_is_one_line_exit_2(monkeypatch, capsys, code):
    failure = OSError(code, os.strerror(code), "/results/runs/x/evaluation.tmp/outcomes.csv")
    monkeypatch.setattr(linking, "_cmd_strategies", _raise(failure))
    assert cli.main(["strategies"]) == 2
    assert capsys.readouterr().err.splitlines() == [
        f"itin-bench: error: /results/runs/x/evaluation.tmp/outcomes.csv: {os.strerror(code)}"
    ]


def test_a_full_disk_reported_by_pyarrow_is_one_line_exit_2(monkeypatch, capsys):
    # pyarrow gives no errno attribute, only the errno in its message
    failure = OSError(
        "Failed to write '/out/t.parquet'. Detail: [errno 28] No space left on device"
    )
    monkeypatch.setattr(linking, "_cmd_strategies", _raise(failure))
    assert cli.main(["strategies"]) == 2
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith("itin-bench: error: No space left on device (") and "/out/t" in line


def test_running_out_of_memory_while_reading_input_is_one_line_exit_2(
    monkeypatch, capsys, tmp_path
):
    import data_gen.config

    def huge(text):
        raise MemoryError

    (tmp_path / "tiny.toml").write_text(TINY)
    monkeypatch.setattr(data_gen.config.tomllib, "loads", huge)
    argv = ["generate", "--config", str(tmp_path / "tiny.toml"), "--out", str(tmp_path / "out")]
    assert cli.main(argv) == 2
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith(f"itin-bench: error: {tmp_path / 'tiny.toml'}: out of memory"), line
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    "failure",
    [
        pytest.param(MemoryError(), id="memory"),
        pytest.param(RecursionError("maximum recursion depth exceeded"), id="recursion"),
        pytest.param(OSError(errno.EIO, "Input/output error", "/x"), id="other-oserror"),
    ],
)
def test_the_same_failures_elsewhere_are_internal_errors(monkeypatch, capsys, failure):
    monkeypatch.setattr(linking, "_cmd_strategies", _raise(failure))
    assert cli.main(["strategies"]) == 1
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith(f"itin-bench: internal error: {type(failure).__name__}"), line


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

    # a file the user added is never deleted: --force is refused while it is there
    (out / "stray.txt").write_text("old")
    again = ("-q", "generate", "--config", "tiny.toml", "--out", out, "--seed", "4", "--force")
    proc = run_cli(tmp_path, *again)
    assert proc.returncode == 2 and "stray.txt" in proc.stderr, proc.stderr
    assert (out / "stray.txt").read_text() == "old"
    (out / "stray.txt").unlink()
    # a file of its own removed by hand proves the folder is replaced, not merged into
    (out / "noise_log.parquet").rename(out / "noise_log.kept")
    proc = run_cli(tmp_path, *again)
    assert proc.returncode == 2, proc.stderr  # a renamed file is not one it wrote either
    (out / "noise_log.kept").rename(out / "noise_log.parquet")
    (out / "truth.parquet").unlink()
    proc = run_cli(tmp_path, *again)
    assert proc.returncode == 0, proc.stderr
    assert (out / "truth.parquet").is_file()
    manifest2 = check_dataset(out)
    assert manifest2["seed"] == 4
    assert manifest2["config_sha256"] != manifest["config_sha256"]
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
