"""Writing an evaluation folder: every table as CSV and Parquet, and its manifest, atomically."""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from benchmark.safe_output import write_csv
from data_gen.dataset import atomic_folder

SWEEP_CSV_ROWS = 10_000


def thin_sweep(
    sweep: pd.DataFrame, operating_points: pd.DataFrame, max_rows: int = SWEEP_CSV_ROWS
) -> pd.DataFrame:
    """At most about ``max_rows`` thresholds per strategy and assignment, for the CSV copy.

    Keeps evenly spaced rows (by rank), the first and last, and every
    operating point's threshold; the Parquet copy keeps every threshold.
    """
    parts = []
    for (strategy, assignment), group in sweep.groupby(["strategy", "assignment"], sort=False):
        if len(group) <= max_rows:
            parts.append(group)
            continue
        keep = np.zeros(len(group), dtype=bool)
        keep[np.linspace(0, len(group) - 1, max_rows).round().astype(int)] = True
        ops = operating_points[
            (operating_points["strategy"] == strategy)
            & (operating_points["assignment"] == assignment)
        ]
        keep |= group["threshold"].isin(ops["threshold"]).to_numpy()
        parts.append(group[keep])
    return pd.concat(parts, ignore_index=True)


def write_tables(
    tables: dict[str, pd.DataFrame],
    out: Path,
    manifest: dict,
    *,
    started: float,
    force: bool,
    inputs: list[Path] | tuple = (),
) -> None:
    """Write each table as CSV and Parquet plus ``evaluation_manifest.json``, atomically.

    ``threshold_sweep.csv`` is thinned by :func:`thin_sweep` when a strategy
    has more than :data:`SWEEP_CSV_ROWS` distinct scores; the Parquet copy
    holds every threshold.
    """
    with atomic_folder(out, force=force, kind="evaluation", inputs=inputs) as tmp:
        for name, table in tables.items():
            csv = table
            if name == "threshold_sweep" and not table.empty:
                csv = thin_sweep(table, tables["operating_points"])
            write_csv(csv, tmp / f"{name}.csv", index=False)
            pq.write_table(
                pa.Table.from_pandas(table, preserve_index=False), tmp / f"{name}.parquet"
            )
        manifest = {
            **manifest,
            "tables": sorted(tables),
            "seconds": round(time.perf_counter() - started, 3),
        }
        (tmp / "evaluation_manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
