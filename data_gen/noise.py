"""Applying noise: the one wrapper that runs the registry over a table.

:func:`apply_noise` goes through :data:`~data_gen.noise_registry.NOISE_TYPES`
in order, picks the cells (``eligible & uniform < rate``), calls the type's
function on them only and logs every changed cell, so accuracy can later be
broken down by noise type.  Every noise function changes every cell it is
given, so a type's realised rate among eligible cells equals its configured
rate in expectation.

Noise functions have the signature ``fn(values, rng, **params) -> values``:
``values`` is a 1-D object array of ``str`` (names, addresses, TINs), a 1-D
``datetime64[D]`` array (dates of birth) or, for *joint* types, a 2-D object
array whose columns are the type's columns in order.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from data_gen.noise_registry import NOISE_NAMES, NOISE_TYPES, NoiseType
from data_gen.rng import substream

__all__ = ["LOG_COLUMNS", "NOISE_NAMES", "NOISE_TYPES", "apply_noise"]

LOG_COLUMNS = ("table", "record_key", "field", "noise", "old", "new")


def _column_values(series: pd.Series) -> np.ndarray:
    if series.name == "dob":
        return series.to_numpy().astype("datetime64[D]")
    return series.to_numpy(dtype=object, na_value=None)


def _as_text(values: np.ndarray) -> list:
    if values.dtype.kind == "M":
        return [None if np.isnat(v) else str(v) for v in values]
    return list(values)


def _changed_cells(old: np.ndarray, new: np.ndarray) -> np.ndarray:
    """Cells whose value the noise changed (two missing dates count as equal)."""
    if old.dtype.kind == "M":
        return ~((old == new) | (np.isnat(old) & np.isnat(new)))
    return np.array([a != b for a, b in zip(old, new, strict=True)], dtype=bool)


def _cell_rates(nt: NoiseType, rate: float, n: int, origin: np.ndarray | None) -> np.ndarray:
    """Probability that each row's cell is noised: ``rate``, times the origin multipliers."""
    p = np.full(n, rate)
    if nt.origin_multipliers and origin is not None:
        for grp, mult in nt.origin_multipliers.items():
            p[origin == grp] *= mult
        p = np.minimum(p, 1.0)
    return p


class _NoiseRun:
    """One table being noised: its columns as arrays, changed in place, and the log.

    Each column is read once, when a noise type first needs it, and written back
    by :meth:`finish`, so a table goes through pandas twice, not once per type.
    """

    def __init__(self, table: pd.DataFrame, *, table_name: str, key: str, seed: int) -> None:
        self.table = table
        self.table_name = table_name
        self.seed = seed
        self.keys = table[key].to_numpy()
        self.current: dict[str, np.ndarray] = {}
        self.changed_columns: set[str] = set()
        self.logs: list[pd.DataFrame] = []

    def values(self, col: str) -> np.ndarray:
        """The current (possibly already noised) values of ``col``."""
        if col not in self.current:
            values = _column_values(self.table[col])
            self.current[col] = values if values.flags.writeable else values.copy()
        return self.current[col]

    def apply(self, nt: NoiseType, group: list[str], p: np.ndarray) -> None:
        """Noise the columns ``group`` (one column, or all of a joint type's) with rates ``p``."""
        rng = substream(self.seed, "noise", self.table_name, nt.name, *group)
        if nt.joint:
            values = np.column_stack([self.values(c) for c in group])
        else:
            values = self.values(group[0])
        # eligibility is only checked on the cells the draw picked: same
        # distribution as checking every cell first, and much faster
        picked = np.flatnonzero(rng.random(len(p)) < p)
        idx = picked[nt.eligible(values[picked])]
        if len(idx) == 0:
            return
        new = nt.fn(values[idx], rng, **nt.params)
        old = values[idx]
        for j, col in enumerate(group):
            o = old[:, j] if nt.joint else old
            w = new[:, j] if nt.joint else new
            changed = _changed_cells(o, w)
            if changed.any():
                self._record(nt, col, idx[changed], o[changed], w[changed])

    def _record(
        self, nt: NoiseType, col: str, rows: np.ndarray, old: np.ndarray, new: np.ndarray
    ) -> None:
        self.values(col)[rows] = new
        self.changed_columns.add(col)
        self.logs.append(
            pd.DataFrame(
                {
                    "table": self.table_name,
                    "record_key": self.keys[rows],
                    "field": col,
                    "noise": nt.name,
                    "old": _as_text(old),
                    "new": _as_text(new),
                }
            )
        )

    def finish(self) -> pd.DataFrame:
        """Write the changed columns back into the table and return the log."""
        out = self.table
        for col in out.columns:
            if col not in self.changed_columns:
                continue
            values = self.current[col]
            if values.dtype.kind == "M":
                out[col] = pd.Series(values.astype("datetime64[s]"), index=out.index)
            else:
                out.isetitem(
                    out.columns.get_loc(col),
                    pd.Series(values, index=out.index, dtype=out[col].dtype),
                )
        if not self.logs:
            return pd.DataFrame(columns=list(LOG_COLUMNS))
        return pd.concat(self.logs, ignore_index=True)


def apply_noise(
    table: pd.DataFrame,
    *,
    table_name: str,
    key: str,
    rates: Mapping[str, float],
    seed: int,
    origin: np.ndarray | None = None,
    noise_types: tuple[NoiseType, ...] = NOISE_TYPES,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Apply every registered noise type to ``table`` in registry order.

    Parameters
    ----------
    table : DataFrame
        Records to noise; only the columns a noise type names are touched.
    table_name : str
        ``irs_filers`` or ``requests``; names the random streams and the log.
    key : str
        Column that identifies a record (``record_id`` or ``request_id``).
    rates : mapping
        Noise-type name → probability that an eligible cell is noised.
    seed : int
        Master seed; each (table, noise type, column) gets its own stream.
    origin : array, optional
        Origin group per row, for types with ``origin_multipliers``.
    noise_types : tuple of NoiseType
        The registry to apply (default: all).

    Returns
    -------
    noised : DataFrame
        A copy of ``table`` with noise applied.
    log : DataFrame
        One row per changed cell: table, record_key, field, noise, old, new.
    """
    run = _NoiseRun(table.copy(), table_name=table_name, key=key, seed=seed)
    n = len(table)
    for nt in noise_types:
        rate = float(rates.get(nt.name, 0.0))
        cols = [c for c in nt.columns if c in table.columns]
        if rate <= 0.0 or not cols or n == 0:
            continue
        p = _cell_rates(nt, rate, n, origin)
        for group in [cols] if nt.joint else [[c] for c in cols]:
            run.apply(nt, group, p)
    log = run.finish()
    return run.table, log
