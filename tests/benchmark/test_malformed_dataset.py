"""A damaged dataset folder, through the loaders of ``link`` and ``evaluate``: exit code 2, one
line naming the file and the problem, nothing written."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from benchmark.cli import main
from benchmark.linking.link import run_link


@pytest.fixture(scope="module")
def intact_links(smoke_world, tmp_path_factory) -> Path:
    links = tmp_path_factory.mktemp("intact") / "links"
    run_link(smoke_world, "irs_2025", links / "irs_2025")
    return links


def _rewrite(table: str, edit):
    def damage(folder: Path) -> None:
        path = folder / f"{table}.parquet"
        frame = pq.read_table(path).to_pandas()
        frame = edit(frame)
        pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), path)

    return damage


def _write(name: str, data: bytes):
    return lambda folder: (folder / name).write_bytes(data)


def _remove(name: str):
    return lambda folder: (folder / name).unlink()


def _duplicate_first_id(frame: pd.DataFrame) -> pd.DataFrame:
    frame.loc[1, "request_id"] = frame.loc[0, "request_id"]
    return frame


def _zip_as_number(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.assign(zip=pd.to_numeric(frame["zip"], errors="coerce"))


# damage, what `link` says, what `evaluate` says (None: the command does not read it)
CASES = [
    pytest.param(
        _remove("manifest.json"), "not a dataset folder", "not a dataset folder", id="no-manifest"
    ),
    pytest.param(
        _write("manifest.json", b"{not json"),
        "unreadable manifest",
        "unreadable manifest",
        id="manifest-not-json",
    ),
    pytest.param(
        _write("manifest.json", b"[1, 2]"),
        "expected a JSON object",
        "expected a JSON object",
        id="manifest-not-object",
    ),
    pytest.param(
        _write("manifest.json", b"\xff\xfe{}"),
        "unreadable manifest",
        "unreadable manifest",
        id="manifest-not-utf8",
    ),
    pytest.param(
        _remove("requests.parquet"),
        "requests.parquet is missing",
        "requests.parquet is missing",
        id="requests-missing",
    ),
    pytest.param(
        _write("requests.parquet", b"PAR1 damaged"),
        "not a readable Parquet file",
        "not a readable Parquet file",
        id="requests-corrupt",
    ),
    pytest.param(
        _write("irs_filers.parquet", b""),
        "not a readable Parquet file",
        None,
        id="filers-empty-file",
    ),
    pytest.param(
        _rewrite("requests", lambda f: f.drop(columns=["last_name", "person_id"])),
        "lacks column(s) last_name",
        "missing column(s) person_id",
        id="requests-columns-missing",
    ),
    pytest.param(
        _rewrite("requests", lambda f: f.iloc[:0]),
        "requests.parquet is empty",
        "requests.parquet has no rows",
        id="requests-no-rows",
    ),
    pytest.param(
        _rewrite("requests", _duplicate_first_id),
        "requests.request_id must be unique",
        "requests.request_id must be unique",
        id="requests-duplicate-id",
    ),
    pytest.param(
        _rewrite("irs_filers", _zip_as_number),
        "irs_filers.zip must be text",
        None,
        id="filers-zip-number",
    ),
    pytest.param(_remove("truth.parquet"), None, "truth.parquet is missing", id="truth-missing"),
    pytest.param(
        _rewrite("households", lambda f: f.drop(columns=["n_us_citizen_children"])),
        None,
        "households.parquet: missing column(s) n_us_citizen_children",
        id="households-column-missing",
    ),
]


PER_COMMAND = [
    pytest.param(command, case.values[0], says, id=f"{command}-{case.id}")
    for case in CASES
    for command, says in zip(("link", "evaluate"), case.values[1:], strict=True)
    if says is not None  # the command does not read this part of the folder
]


@pytest.mark.parametrize(("command", "damage", "needle"), PER_COMMAND)
def test_damaged_dataset_exits_2_with_one_line_and_writes_nothing(
    smoke_world, intact_links, tmp_path, capsys, command, damage, needle
):
    folder = tmp_path / "world"
    shutil.copytree(smoke_world, folder)
    damage(folder)
    out = tmp_path / "out"
    argv = [command, "--data", str(folder), "--out", str(out)]
    argv += ["--strategy", "irs_2025"] if command == "link" else ["--pairs", str(intact_links)]
    before = sorted(p.name for p in tmp_path.iterdir())
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("itin-bench: error:"), err
    assert needle in err[0], err
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == before
