"""The Spark path (Splink's SparkAPI, local mode) gives the same decisions as DuckDB.

Needs the spark extra (``pip install -e '.[spark]'``) and Java 17; CI installs both.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmark.strategies import Backend, load_link_data
from benchmark.strategies.rules import ExactNameAddress, FuzzyRules, Irs2025, NameDob
from data_gen import load_scenario
from data_gen.chunks import generate_dataset

pytest.importorskip("pyspark")

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def spark_backend():
    backend = Backend(kind="spark", spark_master="local[2]")
    yield backend
    backend.spark_session().stop()


def test_deterministic_strategies_match_duckdb_on_spark(tmp_path, spark_backend):
    # written in two chunks, as the national world is: partitioned Parquet tables
    smoke = load_scenario(ROOT / "configs" / "smoke.toml")
    world = generate_dataset(smoke.with_overrides(world={"chunks": 2}), tmp_path / "w")
    assert (world / "irs_filers" / "part-00001.parquet").is_file()
    data = load_link_data(world)
    for cls in (Irs2025, ExactNameAddress, NameDob, FuzzyRules):
        duck = cls().link(data, Backend())[["request_id", "record_id", "score"]]
        spark = cls().link(data, spark_backend)[["request_id", "record_id", "score"]]
        assert len(duck) > 0, cls.name
        assert duck.reset_index(drop=True).equals(spark.reset_index(drop=True)), cls.name
