"""Worlds too large for memory: generated chunk by chunk into partitioned Parquet.

A scenario with ``world.chunks = k > 1`` is built as ``k`` independent worlds,
one at a time, each with ``1/k`` of the people, ZIP codes and requests.  The
ZIP codes are chosen once for the whole world and dealt out in turn (every
chunk is a sample of the same geography, at the same density); each chunk
draws SSNs and ITINs from its own part of the number space, so no number is
held twice.  Each chunk's ids are shifted past the previous chunks' and its
tables are written as ``<table>/part-<chunk>.parquet``.  Only one chunk is in
memory at a time.

Nothing links people across chunks: a borrowed number, a move or a relative
stays within its chunk, as it would within a region.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from data_gen.config import Scenario
from data_gen.dataset import (
    FORMAT_VERSION,
    TABLES,
    _to_arrow,
    atomic_folder,
    content_hash,
    package_versions,
    write_dataset,
)
from data_gen.errors import ConfigError
from data_gen.geography import Zips, choose_zips
from data_gen.realism import realism_summary
from data_gen.rng import stable_hash
from data_gen.world import World, add_requests, build_population, generate_world

log = logging.getLogger(__name__)

# every column holding an id of each kind; -1 means "none" and is not shifted
ID_COLUMNS: dict[str, tuple[tuple[str, str], ...]] = {
    "person": (
        ("persons", "person_id"),
        ("irs_filers", "person_id"),
        ("irs_dependents", "person_id"),
        ("requests", "person_id"),
        ("request_truth", "person_id"),
        ("request_truth", "tin_owner_person_id"),
        ("irs_truth", "person_id"),
    ),
    "household": (
        ("persons", "household_id"),
        ("households", "household_id"),
        ("address_history", "household_id"),
        ("irs_filers", "household_id"),
        ("irs_truth", "household_id"),
    ),
    "address": (
        ("households", "address_id"),
        ("addresses", "address_id"),
        ("address_history", "address_id"),
        ("request_truth", "true_address_id"),
        ("irs_truth", "address_id"),
    ),
    "building": (("addresses", "building_id"),),
    "record": (("irs_filers", "record_id"), ("truth", "record_id"), ("irs_truth", "record_id")),
    "return": (("irs_filers", "return_id"), ("irs_dependents", "return_id")),
    "request": (
        ("requests", "request_id"),
        ("request_truth", "request_id"),
        ("truth", "request_id"),
    ),
}
# the noise log's record_key is a record id or a request id, by table
NOISE_KEY_KIND = {"irs_filers": "record", "requests": "request"}


def generate_dataset(
    scenario: Scenario, out: str | Path, *, seed: int | None = None, force: bool = False
) -> Path:
    """Generate ``scenario``'s world and write it to the dataset folder ``out``.

    One world in memory (:func:`data_gen.world.generate_world`, then
    :func:`data_gen.dataset.write_dataset`) unless ``world.chunks > 1``, when
    it is generated and written chunk by chunk (see the module docstring).

    Parameters
    ----------
    scenario : Scenario
        The validated scenario (its ``scale`` is applied here).
    out : str or Path
        Destination folder; it must not exist (or be empty) unless ``force``.
    seed : int, optional
        Overrides ``scenario.seed``.
    force : bool
        Replace an existing folder, only once the new one is complete.

    Returns
    -------
    Path
        The written folder.

    Raises
    ------
    ConfigError
        If there are more chunks than ZIP codes, or too few people per chunk.
    InputError
        If ``out`` cannot be written.
    """
    if seed is not None:
        scenario = scenario.with_overrides(seed=seed)
    scenario = scenario.scaled()
    if scenario.world.chunks == 1:
        return write_dataset(generate_world(scenario), out, force=force)
    return _write_chunked(scenario, Path(out), force=force)


def chunk_scenarios(scenario: Scenario) -> list[Scenario]:
    """The scenarios of the chunks of a (scaled) ``scenario``: sizes split as evenly as
    whole numbers allow, seeds derived from the world's seed.

    Examples
    --------
    >>> s = Scenario().with_overrides(world={"persons": 2001, "n_zips": 10, "chunks": 2})
    >>> [c.world.persons for c in chunk_scenarios(s)]
    [1001, 1000]
    """
    k = scenario.world.chunks
    w, rc = scenario.world, scenario.requests
    if k > w.n_zips:
        raise ConfigError(
            f"world.chunks = {k}: more chunks than the world's {w.n_zips} ZIP codes at this scale"
        )
    if w.persons < 1000 * k:
        raise ConfigError(
            f"world.chunks = {k}: {w.persons:,} people are too few for {k} chunks "
            "(at least 1,000 a chunk)"
        )
    out = []
    for c in range(k):
        requests = {} if rc.count is None else {"count": _share(rc.count, k, c)}
        out.append(
            scenario.with_overrides(
                seed=stable_hash(f"chunk/{scenario.seed}/{c}") % (2**31),
                world={
                    "persons": _share(w.persons, k, c),
                    "n_zips": _share(w.n_zips, k, c),
                    "chunks": 1,
                },
                requests=requests,
            )
        )
    return out


def _share(total: int, k: int, c: int) -> int:
    """Chunk ``c``'s part of ``total`` split into ``k`` near-equal whole parts."""
    return total // k + (1 if c < total % k else 0)


def _deal_zips(zips: Zips, k: int, c: int) -> Zips:
    """Every ``k``-th of the world's ZIP codes (sorted), starting at ``c``."""
    rows = np.arange(c, len(zips.table), k)
    return Zips(zips.table.iloc[rows].reset_index(drop=True), zips.weights[rows])


def _write_chunked(scenario: Scenario, out: Path, *, force: bool) -> Path:
    k = scenario.world.chunks
    chunks = chunk_scenarios(scenario)
    zips = choose_zips(scenario)
    started = time.perf_counter()
    with atomic_folder(out, force=force) as tmp:
        offsets = dict.fromkeys(ID_COLUMNS, 0)
        rows: dict[str, int] = {}
        hashes: dict[str, list[str]] = {}
        schemas: dict[str, pa.Schema] = {}
        realism: list[dict] = []
        timings: dict[str, float] = {}
        for c, chunk in enumerate(chunks):
            t0 = time.perf_counter()
            try:
                population = build_population(chunk, zips=_deal_zips(zips, k, c), tin_part=(c, k))
                world = add_requests(population, chunk)
            except ConfigError as exc:
                raise ConfigError(f"world chunk {c + 1} of {k}: {exc}") from None
            realism.append(realism_summary(world.tables))
            next_offsets = _shift_ids(world, offsets)
            for name in (*TABLES, "noise_log"):
                df = world.noise_log if name == "noise_log" else world.tables[name]
                if name == "noise_log":
                    df = df.astype({"old": "object", "new": "object"})
                table = _to_arrow(df)
                if name in schemas and table.schema != schemas[name]:
                    table = table.cast(schemas[name])
                schemas.setdefault(name, table.schema)
                (tmp / name).mkdir(exist_ok=True)
                pq.write_table(table, tmp / name / f"part-{c:05d}.parquet", compression="zstd")
                rows[name] = rows.get(name, 0) + len(df)
                hashes.setdefault(name, []).append(content_hash(df))
            for stage, secs in world.timings.items():
                timings[stage] = timings.get(stage, 0.0) + secs
            offsets = next_offsets
            log.info(
                "chunk %d/%d: %d persons, %d IRS records, %d requests in %.1f s (%.0f s in all)",
                c + 1,
                k,
                len(world.tables["persons"]),
                len(world.tables["irs_filers"]),
                len(world.tables["requests"]),
                time.perf_counter() - t0,
                time.perf_counter() - started,
            )
            del population, world
        manifest = {
            "format_version": FORMAT_VERSION,
            "scenario": scenario.name,
            "seed": scenario.seed,
            "config_sha256": scenario.config_hash(),
            "config": scenario.to_dict(),
            "packages": package_versions(),
            "chunks": k,
            "tables": {
                name: {
                    "rows": rows[name],
                    "parts": k,
                    # a partitioned table's hash is the hash of its parts' hashes, in order
                    "content_sha256": hashlib.sha256("".join(hashes[name]).encode()).hexdigest(),
                }
                for name in rows
            },
            "timings_seconds": {name: round(v, 3) for name, v in timings.items()},
            "realism": _mean_of(realism),
            "realism_note": f"mean over the {k} chunks, each an independent world",
        }
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2, default=str) + "\n")
    return out


def _shift_ids(world: World, offsets: dict[str, int]) -> dict[str, int]:
    """Shift ``world``'s ids by ``offsets`` in place; return the offsets for the next chunk."""
    t = world.tables
    following = {}
    for kind, columns in ID_COLUMNS.items():
        largest = -1
        for table, column in columns:
            values = t[table][column].to_numpy()
            if len(values):
                largest = max(largest, int(values.max()))
            t[table][column] = np.where(values >= 0, values + offsets[kind], values)
        following[kind] = offsets[kind] + largest + 1
    log_ = world.noise_log
    key = log_["record_key"].to_numpy()
    shift = np.zeros(len(log_), dtype=np.int64)
    for table in log_["table"].unique():
        if table not in NOISE_KEY_KIND:
            raise ValueError(f"noise log: no id kind for table {table!r}")
        shift[(log_["table"] == table).to_numpy()] = offsets[NOISE_KEY_KIND[table]]
    log_["record_key"] = key + shift
    return following


def _mean_of(summaries: list[Any]) -> Any:
    """Element-wise mean of equally shaped nested dicts of numbers (other values: the first's)."""
    first = summaries[0]
    if isinstance(first, dict):
        keys = [key for key in first if all(isinstance(s, dict) and key in s for s in summaries)]
        return {key: _mean_of([s[key] for s in summaries]) for key in keys}
    if isinstance(first, bool) or not isinstance(first, int | float):
        return first
    return float(np.mean([float(s) for s in summaries]))
