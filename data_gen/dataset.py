"""Write and read a dataset folder: Parquet tables, noise log and manifest.

A folder is written to a temporary sibling and moved into place only when
complete, and replaced only when it is ours (:mod:`data_gen.folders`).
"""

from __future__ import annotations

import hashlib
import json
import platform
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from data_gen.errors import InputError
from data_gen.folders import (  # noqa: F401 - the folder helpers' former home, kept for callers
    atomic_folder,
    check_output_folder,
    process_is_running,
    recover_interrupted,
    remove_stale_temporaries,
)
from data_gen.realism import realism_summary

if TYPE_CHECKING:
    # a type only: reading dataset folders does not load the generator
    from data_gen.world import World

TABLES = (
    "persons",
    "households",
    "addresses",
    "address_history",
    "irs_filers",
    "irs_dependents",
    "requests",
    "request_truth",
    "truth",
    "irs_truth",
)
PACKAGES = ("numpy", "pandas", "pyarrow", "faker", "zipcodes", "nicknames", "itin-bench")
FORMAT_VERSION = 1


def content_hash(df: pd.DataFrame) -> str:
    """SHA-256 of a table's contents: column names, value kinds and values, not file bytes.

    Text columns hash the same whether pandas holds them as ``object`` or as its
    ``str`` dtype, so the hash does not change with the pandas version.
    """
    h = hashlib.sha256()
    canonical = {}
    kinds = []
    for name in df.columns:
        col = df[name]
        if col.dtype == object or pd.api.types.is_string_dtype(col.dtype):
            col = col.astype(object).where(col.notna(), None)
            kinds.append([str(name), "text"])
        else:
            kinds.append([str(name), str(col.dtype)])
        canonical[name] = col
    h.update(json.dumps(kinds).encode())
    frame = pd.DataFrame(canonical, index=df.index)
    h.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return h.hexdigest()


def package_versions(names: tuple[str, ...] = PACKAGES) -> dict[str, str]:
    """Versions of Python and of ``names`` (default: the packages that shape the generated
    data); ``not installed`` for a missing one."""
    out = {"python": platform.python_version()}
    for name in names:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def _to_arrow(df: pd.DataFrame) -> pa.Table:
    table = pa.Table.from_pandas(df, preserve_index=False)
    # dates of birth and move dates are calendar dates
    fields = [
        pa.field(f.name, pa.date32()) if pa.types.is_timestamp(f.type) else f for f in table.schema
    ]
    return table.cast(pa.schema(fields))


def write_dataset(world: World, out: str | Path, *, force: bool = False) -> Path:
    """Write ``world`` to the dataset folder ``out``.

    Parameters
    ----------
    world : World
        Output of :func:`data_gen.world.generate_world`.
    out : str or Path
        Destination folder.  It must not exist (or be empty) unless ``force``.
    force : bool
        Replace an existing dataset folder.  The old folder is only removed
        after the new one is complete.

    Returns
    -------
    Path
        The written folder.

    Raises
    ------
    InputError
        If ``out`` exists, is not empty and ``force`` is false, or is a file.
    """
    out = Path(out)
    with atomic_folder(out, force=force) as tmp:
        manifest_tables = {}
        for name in TABLES:
            df = world.tables[name]
            pq.write_table(_to_arrow(df), tmp / f"{name}.parquet", compression="zstd")
            manifest_tables[name] = {"rows": len(df), "content_sha256": content_hash(df)}
        log = world.noise_log
        pq.write_table(
            _to_arrow(log.astype({"old": "object", "new": "object"})),
            tmp / "noise_log.parquet",
            compression="zstd",
        )
        manifest_tables["noise_log"] = {"rows": len(log), "content_sha256": content_hash(log)}
        manifest = {
            "format_version": FORMAT_VERSION,
            "scenario": world.scenario.name,
            "seed": world.scenario.seed,
            "config_sha256": world.scenario.config_hash(),
            "config": world.scenario.to_dict(),
            "packages": package_versions(),
            "tables": manifest_tables,
            "timings_seconds": {k: round(v, 3) for k, v in world.timings.items()},
            "realism": realism_summary(world.tables),
        }
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2, default=str) + "\n")
    return out


def read_manifest(folder: str | Path) -> dict:
    """Read a dataset folder's manifest.

    Raises
    ------
    InputError
        If the folder or its manifest is missing or unreadable.
    """
    path = Path(folder) / "manifest.json"
    if not path.is_file():
        raise InputError(f"{folder}: not a dataset folder (no manifest.json)")
    try:
        manifest = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: unreadable manifest ({exc})") from None
    if not isinstance(manifest, dict):
        raise InputError(f"{path}: expected a JSON object, not {type(manifest).__name__}")
    return manifest


def table_path(folder: str | Path, name: str) -> Path:
    """Where table ``name`` of a dataset folder lives: ``name.parquet``, or the folder
    ``name/`` of ``part-*.parquet`` files when the world was written in chunks."""
    folder = Path(folder)
    single = folder / f"{name}.parquet"
    parts = folder / name
    return parts if not single.exists() and parts.is_dir() else single


def table_parts(folder: str | Path, name: str) -> list[Path]:
    """The Parquet files of table ``name``, in order (one unless written in chunks).

    Raises
    ------
    InputError
        If the table is missing.
    """
    path = table_path(folder, name)
    files = sorted(path.glob("part-*.parquet")) if path.is_dir() else [path]
    if not files or not files[0].is_file():
        raise InputError(f"{folder}: table {name}.parquet is missing")
    return files


def read_table(folder: str | Path, name: str, columns: list[str] | None = None) -> pd.DataFrame:
    """Read one table of a dataset folder as a DataFrame.

    Parameters
    ----------
    folder : str or Path
        The dataset folder.
    name : str
        Table name (``persons``, ``requests`` ...).
    columns : list of str, optional
        Read only these of the table's columns (those it has; callers check
        for missing ones).  A national-size table is read far faster and in
        far less memory this way.
    """
    parts = []
    for path in table_parts(folder, name):
        try:
            if columns is None:
                parts.append(pq.read_table(path))
            else:
                have = set(pq.read_schema(path).names)
                parts.append(pq.read_table(path, columns=[c for c in columns if c in have]))
        except (OSError, pa.ArrowException) as exc:
            raise InputError(f"{path}: not a readable Parquet file ({exc})") from None
    table = parts[0] if len(parts) == 1 else pa.concat_tables(parts, promote_options="permissive")
    return table.to_pandas()
