"""Small-count suppression for evaluation tables of runs on real data (``--suppress-below N``).

Every count from 1 to N − 1 is blanked, and so is every figure computed from a
blanked count (a rate per 100,000, a precision, a share), so that the count
cannot be recovered from it.  Zeros stay: they disclose no one.  Ids
(household_id, address_id) and counters of the method itself (replicate, bin)
are not counts of people and are kept.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

# integer columns that number things rather than count people or records
NOT_COUNTS = frozenset({"household_id", "address_id", "replicate", "replicates", "bin"})
# figures computed from counts: blanked when any of their counts is
DERIVED = {
    "precision": ("tp", "fp"),
    "recall": ("tp", "fn"),
    "f1": ("tp", "fp", "fn"),
    "f_star": ("tp", "fp", "fn"),
    "wrong_person_rate": ("requests_with_wrong_person",),
    "rate_ci_low": ("requests_with_wrong_person",),
    "rate_ci_high": ("requests_with_wrong_person",),
    "wrong_share_of_disclosures": ("wrong_person", "correct"),
    "pair_completeness": ("true_pairs_found",),
    "requests_matched_share": ("requests_matched",),
}
# long tables: one row per figure, in these value columns
LONG_VALUES = {
    "replicate_figures": ("value",),
    "intervals": ("mean", "sd", "ci_low", "ci_high", "min", "max"),
}


def _bases(column: str) -> tuple[str, ...]:
    if column.endswith("_per_100k"):
        return (column.removesuffix("_per_100k"),)
    return DERIVED.get(column, ())


def _small(values: pd.Series, below: int) -> np.ndarray:
    numbers = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
    return (numbers > 0) & (numbers < below)


def suppress_wide(table: pd.DataFrame, below: int) -> pd.DataFrame:
    """Blank counts in 1..below−1 and the figures computed from them, in a table of columns."""
    out = table.copy()
    counts = [
        c
        for c in out.columns
        if c not in NOT_COUNTS
        and pd.api.types.is_integer_dtype(out[c])
        and not pd.api.types.is_bool_dtype(out[c])
    ]
    blanked = {c: _small(out[c], below) for c in counts}
    for column in out.columns:
        hit = blanked.get(column)
        for base in _bases(column):
            if base in blanked:
                hit = blanked[base] if hit is None else hit | blanked[base]
        if hit is not None and hit.any():
            if column in blanked:
                out[column] = out[column].astype("Int64")
            out.loc[hit, column] = pd.NA
    return out


def suppress_long(table: pd.DataFrame, values: tuple[str, ...], below: int) -> pd.DataFrame:
    """The same for a long table (one row per metric): counts judged by their first value column."""
    if table.empty or "metric" not in table.columns:
        return table
    out = table.copy()
    keys = [c for c in ("replicate", "strategy", "assignment", "operating_point") if c in out]
    count_metrics = set(out["metric"]) - set(DERIVED) - {"threshold", "target_reached"}
    count_metrics = {m for m in count_metrics if not m.endswith("_per_100k")}
    is_count = out["metric"].isin(count_metrics).to_numpy()
    small = is_count & _small(out[values[0]], below)
    blanked_keys = set(
        map(tuple, out.loc[small, [*keys, "metric"]].astype(str).to_numpy().tolist())
    )
    derived = np.zeros(len(out), dtype=bool)
    for i, (row_keys, metric) in enumerate(
        zip(out[keys].astype(str).to_numpy().tolist(), out["metric"], strict=True)
    ):
        derived[i] = any((*row_keys, base) in blanked_keys for base in _bases(metric))
    out.loc[small | derived, list(values)] = np.nan
    return out


def suppress_small_counts(tables: dict[str, pd.DataFrame], below: int) -> dict[str, pd.DataFrame]:
    """Every evaluation table with counts under ``below`` blanked (see the module docstring).

    Examples
    --------
    >>> t = pd.DataFrame({"wrong_person": [3, 40, 0], "wrong_person_per_100k": [3.0, 40.0, 0.0]})
    >>> suppress_small_counts({"outcomes": t}, 10)["outcomes"]["wrong_person"].tolist()
    [<NA>, 40, 0]
    """
    out = {}
    for name, table in tables.items():
        if name in LONG_VALUES:
            out[name] = suppress_long(table, LONG_VALUES[name], below)
        else:
            out[name] = suppress_wide(table, below)
    return out
