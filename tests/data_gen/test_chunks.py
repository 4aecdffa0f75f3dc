"""Worlds generated in chunks into partitioned Parquet: consistent ids, disjoint ZIP codes and
numbers, determinism, refusal of impossible chunkings, and folders that read like one file."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from benchmark.cli import main
from benchmark.evaluation.evaluate import evaluate
from benchmark.linking.link import run_link
from data_gen import generate_world, load_scenario, read_manifest, read_table, write_dataset
from data_gen.chunks import ID_COLUMNS, chunk_scenarios, generate_dataset
from data_gen.dataset import TABLES, table_parts
from data_gen.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]
SMOKE = load_scenario(ROOT / "configs" / "smoke.toml")
CHUNKED = SMOKE.with_overrides(
    world={"persons": 9000, "n_zips": 9, "chunks": 3}, requests={"count": 300}
)


@pytest.fixture(scope="module")
def chunked(tmp_path_factory) -> Path:
    return generate_dataset(CHUNKED, tmp_path_factory.mktemp("chunked") / "world")


def _tables(folder: Path) -> dict[str, pd.DataFrame]:
    return {name: read_table(folder, name) for name in (*TABLES, "noise_log")}


def test_every_table_is_partitioned_one_part_per_chunk(chunked):
    manifest = read_manifest(chunked)
    assert manifest["chunks"] == 3
    for name in (*TABLES, "noise_log"):
        parts = table_parts(chunked, name)
        assert [p.name for p in parts] == [f"part-{c:05d}.parquet" for c in range(3)]
        assert manifest["tables"][name]["rows"] == sum(pq.read_metadata(p).num_rows for p in parts)


def test_ids_are_unique_and_every_reference_resolves(chunked):
    t = _tables(chunked)
    keys = {
        "person": ("persons", "person_id"),
        "household": ("households", "household_id"),
        "address": ("addresses", "address_id"),
        "record": ("irs_filers", "record_id"),
        "request": ("requests", "request_id"),
    }
    for table, column in keys.values():
        assert t[table][column].is_unique, f"{table}.{column}"
    for kind, columns in ID_COLUMNS.items():
        if kind not in keys:
            continue
        table, column = keys[kind]
        known = set(t[table][column])
        for other, col in columns:
            values = t[other][col]
            assert set(values[values >= 0]) <= known, f"{other}.{col} names unknown {kind}s"
    # a true pair is the same person on both sides
    pairs = (
        t["truth"]
        .merge(t["requests"][["request_id", "person_id"]])
        .merge(
            t["irs_filers"][["record_id", "person_id"]], on="record_id", suffixes=("_req", "_rec")
        )
    )
    assert len(pairs) == len(t["truth"]) > 0
    assert (pairs["person_id_req"] == pairs["person_id_rec"]).all()
    log = t["noise_log"]
    for table, ids in (("irs_filers", "record_id"), ("requests", "request_id")):
        assert set(log.loc[log["table"] == table, "record_key"]) <= set(t[table][ids])


def test_chunks_share_no_zip_code_and_no_number(chunked):
    zips, numbers = [], []
    for part in table_parts(chunked, "addresses"):
        zips.append(set(pq.read_table(part, columns=["zip"]).column("zip").to_pylist()))
    for part in table_parts(chunked, "persons"):
        p = pq.read_table(part, columns=["ssn", "itin"]).to_pandas()
        numbers.append(set(p["ssn"].dropna()) | set(p["itin"].dropna()))
    for i in range(3):
        for j in range(i + 1, 3):
            assert not zips[i] & zips[j]
            assert not numbers[i] & numbers[j]
    assert sum(len(z) for z in zips) == 9


def test_sizes_add_up_to_the_scenario(chunked):
    t = _tables(chunked)
    assert len(t["requests"]) == 300
    residents = t["persons"][t["persons"]["role"] != "absent"]
    # whole households: each chunk's last household may be truncated, never exceeded
    assert 9000 - 3 * 10 <= len(residents) <= 9000
    assert [c.world.persons for c in chunk_scenarios(CHUNKED)] == [3000, 3000, 3000]
    assert len({c.seed for c in chunk_scenarios(CHUNKED)}) == 3


def test_same_seed_same_tables_and_another_seed_differs(chunked, tmp_path):
    again = generate_dataset(CHUNKED, tmp_path / "again")
    first, second = read_manifest(chunked), read_manifest(again)
    assert first["tables"] == second["tables"]
    other = generate_dataset(CHUNKED, tmp_path / "other", seed=CHUNKED.seed + 1)
    assert (
        read_manifest(other)["tables"]["persons"]["content_sha256"]
        != first["tables"]["persons"]["content_sha256"]
    )


def test_one_chunk_is_the_in_memory_world(tmp_path):
    via = read_manifest(generate_dataset(SMOKE, tmp_path / "via"))
    direct = read_manifest(write_dataset(generate_world(SMOKE), tmp_path / "direct"))
    assert via["tables"] == direct["tables"]
    assert "chunks" not in via


@pytest.mark.parametrize(
    ("world", "message"),
    [
        ({"persons": 9000, "n_zips": 2, "chunks": 3}, "more chunks than the world's 2 ZIP codes"),
        ({"persons": 2500, "n_zips": 9, "chunks": 3}, "too few for 3 chunks"),
    ],
)
def test_impossible_chunkings_are_refused_before_anything_is_written(tmp_path, world, message):
    out = tmp_path / "w"
    with pytest.raises(ConfigError, match=message):
        generate_dataset(SMOKE.with_overrides(world=world), out)
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []


def test_the_in_memory_generator_refuses_a_chunked_scenario():
    with pytest.raises(ConfigError, match="world.chunks = 3"):
        generate_world(CHUNKED)


def test_the_generate_command_writes_chunks_and_says_so(tmp_path, capsys):
    config = tmp_path / "chunked.toml"
    config.write_text(
        (ROOT / "configs" / "smoke.toml")
        .read_text()
        .replace("n_zips = 6", "n_zips = 6\nchunks = 2")
    )
    assert main(["generate", "--config", str(config), "--out", str(tmp_path / "w")]) == 0
    assert "in 2 chunks" in capsys.readouterr().out
    assert len(table_parts(tmp_path / "w", "irs_filers")) == 2


def test_reading_columns_reads_only_those(chunked):
    df = read_table(chunked, "persons", ["person_id", "origin", "no_such_column"])
    assert list(df.columns) == ["person_id", "origin"]
    assert len(df) == read_manifest(chunked)["tables"]["persons"]["rows"]


def _single_file_copy(folder: Path, out: Path) -> Path:
    """The same tables as one Parquet file each, with the same manifest."""
    out.mkdir()
    for name in (*TABLES, "noise_log"):
        table = pa.concat_tables([pq.read_table(p) for p in table_parts(folder, name)])
        pq.write_table(table, out / f"{name}.parquet")
    shutil.copy(folder / "manifest.json", out / "manifest.json")
    return out


def test_a_partitioned_folder_links_and_evaluates_like_single_files(chunked, tmp_path):
    single = _single_file_copy(chunked, tmp_path / "single")
    results = {}
    for label, data in (("parts", chunked), ("single", single)):
        link = tmp_path / f"link-{label}"
        run_link(data, "irs_2025", link)
        evaluation = evaluate(data, [link], tmp_path / f"eval-{label}")
        results[label] = (
            pd.read_parquet(link / "pairs.parquet"),
            json.loads((link / "blocking_report.json").read_text()),
            evaluation,
        )
    pd.testing.assert_frame_equal(results["parts"][0], results["single"][0])
    assert results["parts"][1] == results["single"][1]
    assert results["parts"][1]["true_pairs"] > 0
    ops = {
        label: pd.read_parquet(tmp_path / f"eval-{label}" / "operating_points.parquet")
        for label in results
    }
    pd.testing.assert_frame_equal(ops["parts"], ops["single"])
