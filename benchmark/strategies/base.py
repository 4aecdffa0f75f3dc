"""The strategy interface, the data a strategy may see, and the execution backend.

A strategy sees only what an agency would hold: the request file and the tax
records (:class:`LinkData`), never ``person_id``, ``household_id`` or the truth
tables.  Supervised strategies also get a separately seeded training world of
the same scenario, with labels, through :meth:`Strategy.fit`.
"""

from __future__ import annotations

import atexit
import json
import logging
import os
import shutil
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, ClassVar

import pandas as pd

from data_gen.dataset import read_manifest, read_table
from data_gen.errors import InputError
from data_gen.folders import scratch_folder

log = logging.getLogger(__name__)

REQUEST_COLUMNS = (
    "request_id",
    "first_name",
    "last_name",
    "dob",
    "address",
    "house_number",
    "street",
    "unit",
    "city",
    "state",
    "zip",
    "tin",
)
RECORD_COLUMNS = (
    "record_id",
    "return_id",
    "role",
    "tin",
    "tin_type",
    "first_name",
    "middle_name",
    "last_name",
    "dob",
    "house_number",
    "street",
    "unit",
    "city",
    "state",
    "zip",
)
PAIR_COLUMNS = ("request_id", "record_id", "score")


@dataclass
class LinkData:
    """The two tables a strategy links: enforcement requests and IRS records.

    ``labels`` is only set on training data: the true (request_id, record_id)
    pairs, plus ``person_id`` columns on both tables for Splink's label-based
    estimation.
    """

    requests: pd.DataFrame
    records: pd.DataFrame
    name: str = "world"
    labels: pd.DataFrame | None = None


def default_memory_limit() -> str:
    """A quarter of this machine's memory, as a DuckDB size (e.g. ``"6GB"``)."""
    total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    return f"{max(1, total // 4 // 2**30)}GB"


@lru_cache(maxsize=1)
def _spill_folder() -> str:
    """This process's folder for DuckDB's spilled data (concurrent processes never share one)."""
    folder = str(scratch_folder("duckdb"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder


@lru_cache(maxsize=1)
def _spark_checkpoints() -> str:
    """This process's folder for Spark's checkpoints (removed when the process ends)."""
    folder = str(scratch_folder("spark"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder


@dataclass
class Backend:
    """Where Splink runs: embedded DuckDB (default) or Spark.

    Parameters
    ----------
    kind : {"duckdb", "spark"}
    threads : int, optional
        DuckDB threads (default: all cores).
    memory_limit : str, optional
        DuckDB memory limit, e.g. ``"8GB"``.  Default: a quarter of the
        machine's memory (DuckDB's own default is 80%, but the strategy's
        pandas tables share the machine); beyond it DuckDB spills to a
        temporary folder under ``TMPDIR``, removed when the process ends.
    spark_master : str
        Spark master URL (``local[*]`` by default; a cluster URL for real use).
    """

    kind: str = "duckdb"
    threads: int | None = None
    memory_limit: str | None = None
    spark_master: str = "local[2]"
    _spark: Any = field(default=None, repr=False)

    def db_api(self) -> Any:
        """A fresh Splink database API for one linkage job."""
        if self.kind == "duckdb":
            import duckdb
            from splink import DuckDBAPI

            config: dict[str, Any] = {
                "memory_limit": self.memory_limit or default_memory_limit(),
                "temp_directory": _spill_folder(),
            }
            if self.threads:
                config["threads"] = self.threads
            return DuckDBAPI(connection=duckdb.connect(config=config))
        if self.kind == "spark":
            session = self.spark_session()  # checks that pyspark is installed first
            from splink import SparkAPI

            return SparkAPI(spark_session=session)
        raise InputError(f"--backend {self.kind}: expected duckdb or spark")

    def spark_session(self) -> Any:
        """The Spark session (created on first use, with Splink's similarity UDF jar)."""
        if self._spark is None:
            try:
                from pyspark.sql import SparkSession
            except ImportError:
                raise InputError(
                    "--backend spark needs the spark extra: pip install -e '.[spark]'"
                ) from None
            from splink.backends.spark import similarity_jar_location

            master = self.spark_master or ""
            if not (master.startswith(("local", "yarn")) or "://" in master):
                raise InputError(
                    f"--spark-master {master}: expected local[N], yarn, or a URL such as spark://host:7077"
                )
            self._spark = (
                SparkSession.builder.master(self.spark_master)
                .appName("itin-bench")
                .config("spark.jars", similarity_jar_location())
                .config("spark.sql.shuffle.partitions", "8")
                .config("spark.default.parallelism", "8")
                .config("spark.ui.enabled", "false")
                .config("spark.ui.showConsoleProgress", "false")
                .getOrCreate()
            )
            self._spark.sparkContext.setLogLevel("ERROR")
            # Splink breaks long query lineages with checkpoints
            self._spark.sparkContext.setCheckpointDir(_spark_checkpoints())
        return self._spark


class Strategy(ABC):
    """A matching strategy: turns :class:`LinkData` into scored candidate pairs.

    Subclasses set ``name`` and ``description`` and implement :meth:`link`.
    ``natural_threshold`` is the score at which the strategy itself decides
    "match" (1.0 for yes/no rules; ``None`` when only a sweep makes sense).
    ``rule`` says the strategy is a decision rule: reports show it at its
    natural threshold rather than at a threshold chosen from a sweep.
    Supervised strategies set ``supervised = True`` and implement :meth:`fit`.
    After :meth:`link`, ``artifacts`` may hold extra outputs to save, e.g.
    ``{"model.json": {...}}``.

    Examples
    --------
    A custom rule, defined outside the package::

        from benchmark.strategies import Strategy, features

        class SameTinAndYear(Strategy):
            name = "tin_and_birth_year"
            description = "TIN equal and same year of birth"

            def link(self, data, backend):
                req, rec = features.prepare(data)
                pairs = req.merge(rec, on="tin", suffixes=("_q", "_r"))
                pairs = pairs[pairs["dob_year_q"] == pairs["dob_year_r"]]
                return pairs.assign(score=1.0)[["request_id", "record_id", "score"]]
    """

    name: ClassVar[str] = ""
    description: ClassVar[str] = ""
    supervised: ClassVar[bool] = False
    natural_threshold: ClassVar[float | None] = 1.0
    rule: ClassVar[bool] = True

    def __init__(self) -> None:
        self.artifacts: dict[str, Any] = {}

    def fit(self, train: LinkData, backend: Backend) -> "Strategy":
        """Learn from a labelled training world (supervised strategies only)."""
        return self

    @abstractmethod
    def link(self, data: LinkData, backend: Backend) -> pd.DataFrame:
        """Return scored candidate pairs: request_id, record_id, score (higher = more alike).

        An optional ``match_key`` column names the blocking rule that found the pair.
        """


def load_link_data(folder: str | Path) -> LinkData:
    """Read the two tables a strategy may see from a dataset folder.

    Only ``requests`` and ``irs_filers`` are read, and only their public columns:
    ``person_id``, ``household_id`` and the truth tables stay behind.
    """
    manifest = read_manifest(folder)
    requests = read_table(folder, "requests", list(REQUEST_COLUMNS))
    records = read_table(folder, "irs_filers", list(RECORD_COLUMNS))
    checks = (
        ("requests", REQUEST_COLUMNS, requests, "request_id"),
        ("irs_filers", RECORD_COLUMNS, records, "record_id"),
    )
    for table, cols, df, key in checks:
        missing = [c for c in cols if c not in df.columns]
        if missing:
            raise InputError(f"{folder}: {table}.parquet lacks column(s) {', '.join(missing)}")
        if df.empty:
            raise InputError(f"{folder}: {table}.parquet is empty")
        if not pd.api.types.is_integer_dtype(df[key]) or not df[key].is_unique:
            raise InputError(f"{folder}: {table}.{key} must be unique whole numbers")
        for col in ("tin", "zip", "house_number"):
            if pd.api.types.is_numeric_dtype(df[col]):
                raise InputError(
                    f"{folder}: {table}.{col} must be text (numbers lose leading zeros)"
                )
    return LinkData(
        requests=requests[list(REQUEST_COLUMNS)].copy(),
        records=records[list(RECORD_COLUMNS)].copy(),
        name=str(manifest.get("scenario", "world")),
    )


# a larger training world adds little to what a model learns and much to its memory
TRAINING_MAX_PERSONS = 300_000


def training_data(folder: str | Path) -> LinkData:
    """A labelled training world: same scenario as ``folder``, separately seeded.

    The seed is derived from the evaluated world's seed by hashing, so training
    and evaluation never share a world.  Worlds above
    :data:`TRAINING_MAX_PERSONS` people are scaled down to it for training (same
    density and composition).  The world is generated once per process and
    scenario; each call gets its own copies of the tables.
    """
    from data_gen.rng import stable_hash

    manifest = read_manifest(folder)
    if "config" not in manifest or "seed" not in manifest:
        raise InputError(
            f"{folder}/manifest.json: no scenario config and seed to build a training world from"
        )
    seed = stable_hash(f"training/{manifest['seed']}") % (2**31)
    data = _training_world(
        json.dumps(manifest["config"], sort_keys=True), seed, f"{folder}/manifest.json"
    )
    return LinkData(
        requests=data.requests.copy(),
        records=data.records.copy(),
        name=data.name,
        labels=None if data.labels is None else data.labels.copy(),
    )


@lru_cache(maxsize=2)
def _training_world(config_json: str, seed: int, source: str) -> LinkData:
    from data_gen import generate_world, scenario_from_dict

    # one world in memory: the training world is small
    scenario = scenario_from_dict(json.loads(config_json), source).with_overrides(
        world={"chunks": 1}
    )
    scenario = scenario.scaled()
    if scenario.world.persons > TRAINING_MAX_PERSONS:
        scenario = scenario.with_overrides(scale=TRAINING_MAX_PERSONS / scenario.world.persons)
    log.info("generating the training world (seed %d) for supervised strategies", seed)
    world = generate_world(scenario, seed=seed)
    req = world.tables["requests"]
    rec = world.tables["irs_filers"]
    return LinkData(
        requests=req[[*REQUEST_COLUMNS, "person_id"]].copy(),
        records=rec[[*RECORD_COLUMNS, "person_id"]].copy(),
        name=f"{scenario.name}-training",
        labels=world.tables["truth"].copy(),
    )
