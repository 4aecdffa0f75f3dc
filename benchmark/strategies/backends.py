"""Where Splink runs: the :class:`Backend` (embedded DuckDB or Spark) and its scratch folders."""

from __future__ import annotations

import atexit
import os
import shutil
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from data_gen.errors import InputError
from data_gen.folders import scratch_folder


def default_memory_limit() -> str:
    """A quarter of this machine's memory, as a DuckDB size.

    Returns
    -------
    str
        Whole gigabytes, at least one, e.g. ``"6GB"``.

    Examples
    --------
    >>> default_memory_limit().endswith("GB")
    True
    """
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
        The engine.
    threads : int, optional
        DuckDB threads (default: all cores).
    memory_limit : str, optional
        DuckDB memory limit, e.g. ``"8GB"``.  Default: a quarter of the
        machine's memory (DuckDB's own default is 80%, but the strategy's
        pandas tables share the machine); beyond it DuckDB spills to a
        temporary folder under ``TMPDIR``, removed when the process ends.
    spark_master : str
        Spark master URL (``local[2]`` by default; a cluster URL for real use).
    """

    kind: str = "duckdb"
    threads: int | None = None
    memory_limit: str | None = None
    spark_master: str = "local[2]"
    _spark: Any = field(default=None, repr=False)

    def db_api(self) -> Any:
        """A fresh Splink database API for one linkage job.

        Raises
        ------
        InputError
            If ``kind`` is neither backend, or Spark is asked for but not installed.
        """
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
        """The Spark session (created on first use, with Splink's similarity UDF jar).

        Raises
        ------
        InputError
            If pyspark is not installed or ``spark_master`` is not a master URL.
        """
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
