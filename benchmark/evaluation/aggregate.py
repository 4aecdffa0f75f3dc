"""Figures over worlds: each world's headline figures in long form, and intervals over worlds.

One world is one draw of names, households, noise and requests.  Figures such
as "wrong-person disclosures per 100,000 requests" vary from draw to draw, so
each headline figure is reported as the mean over K worlds with a 95% interval
(see :func:`intervals`), plus the spread (min, max) of the K values.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from benchmark.evaluation.outcomes import PER

# the tables headline figures are taken from
HEADLINE_TABLES = ("operating_points", "outcomes", "harm_summary")

INTERVAL_KEYS = ["strategy", "assignment", "operating_point", "metric"]
SHARES = {"precision", "recall", "f1", "f_star", "target_reached"}
# numeric columns that are identifiers or settings, not results
_NOT_METRICS = {"target", "n_requests", "main"}


def headline_figures(tables: dict[str, pd.DataFrame], replicate: int) -> pd.DataFrame:
    """Every numeric figure at every operating point, one row per figure (long format).

    Figures come from ``operating_points``, ``outcomes`` and ``harm_summary``;
    a figure present in several tables is taken once.  At an operating point
    whose target was not reached only ``target_reached`` (0) is kept, so means
    over worlds describe the worlds where the target was reached.  Each row
    carries the world's number of requests.
    """
    keys = ["strategy", "assignment", "operating_point"]
    frames = []
    ops = tables["operating_points"]
    n_requests = (
        float(tables["outcomes"]["n_requests"].iloc[0]) if len(tables["outcomes"]) else np.nan
    )
    if not ops.empty:
        reached = ops["target_reached"].astype(bool)
        frames.append(
            ops[keys + ["target_reached"]]
            .astype({"target_reached": float})
            .melt(id_vars=keys, var_name="metric", value_name="value")
        )
        tables = {**tables, "operating_points": ops[reached]}
    for name in ("operating_points", "outcomes", "harm_summary"):
        table = tables[name]
        if table.empty:
            continue
        numeric = [
            c
            for c in table.columns
            if c not in keys
            and c not in _NOT_METRICS
            and (pd.api.types.is_numeric_dtype(table[c]) or pd.api.types.is_bool_dtype(table[c]))
        ]
        long = (
            table[keys + numeric]
            .astype({c: float for c in numeric})
            .melt(id_vars=keys, var_name="metric", value_name="value")
        )
        frames.append(long)
    columns = ["replicate", *keys, "metric", "value", "n_requests"]
    if not frames:
        return pd.DataFrame(columns=columns)
    out = pd.concat(frames, ignore_index=True).drop_duplicates(keys + ["metric"])
    out.insert(0, "replicate", replicate)
    out["n_requests"] = n_requests
    return out.reset_index(drop=True)[columns]


def intervals(figures: pd.DataFrame) -> pd.DataFrame:
    """Mean, standard deviation, 95% interval, min and max of every figure over worlds.

    The interval is the t-interval of the mean over worlds (Student t, K − 1
    degrees of freedom), widened for counts to cover the exact Poisson
    (Garwood) interval of the count pooled over worlds, so that rare events
    seen in no world still get an upper bound (3.7 / K events per world at
    zero).  Rates per 100,000 requests pool the counts over all worlds'
    requests.  Intervals are clipped at 0, and at 1 for shares (precision,
    recall, F1, F*, share of worlds reaching the target); thresholds are not
    clipped.

    Parameters
    ----------
    figures : DataFrame
        Rows of :func:`headline_figures` from several replicates.

    Returns
    -------
    DataFrame
        strategy, assignment, operating_point, metric, replicates (worlds with
        a value), mean, sd, ci_low, ci_high, min, max.  With one world only the
        Poisson part of the interval remains (NaN for non-counts).

    Examples
    --------
    >>> f = pd.DataFrame({"replicate": [0, 1, 2], "strategy": "s", "assignment": "none",
    ...                   "operating_point": "p", "metric": "recall", "value": [0.1, 0.2, 0.3],
    ...                   "n_requests": 100.0})
    >>> row = intervals(f).iloc[0]
    >>> round(float(row["mean"]), 3), round(float(row["ci_low"]), 3), round(float(row["ci_high"]), 3)
    (0.2, 0.0, 0.448)
    """
    from scipy import stats

    columns = [*INTERVAL_KEYS, "replicates", "mean", "sd", "ci_low", "ci_high", "min", "max"]
    if figures.empty:
        return pd.DataFrame(columns=columns)
    figures = figures.assign(
        events=np.where(
            figures["metric"].str.endswith("_per_100k"),
            figures["value"] * figures["n_requests"] / PER,
            figures["value"],
        )
    )
    g = figures.groupby(INTERVAL_KEYS, sort=False)
    out = g["value"].agg(replicates="count", mean="mean", sd="std", min="min", max="max")
    out["events"] = g["events"].sum()
    out["requests"] = g["n_requests"].sum()
    out = out.reset_index()
    n = out["replicates"].to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        t = np.where(n > 1, stats.t.ppf(0.975, np.maximum(n - 1, 1)), np.nan)
        half = t * out["sd"].to_numpy() / np.sqrt(n)
    low = out["mean"].to_numpy() - half
    high = out["mean"].to_numpy() + half
    metric = out["metric"]
    rate = metric.str.endswith("_per_100k").to_numpy()
    count = ~rate & ~metric.isin(SHARES | {"threshold"}).to_numpy()
    events = np.round(out["events"].to_numpy())
    with np.errstate(invalid="ignore", divide="ignore"):
        p_low = np.where(events > 0, stats.chi2.ppf(0.025, 2 * events) / 2, 0.0)
        p_high = stats.chi2.ppf(0.975, 2 * events + 2) / 2
    scale = np.where(rate, PER / out["requests"].to_numpy(), 1 / n)
    poisson = rate | count
    low = np.where(poisson, np.fmin(low, p_low * scale), low)
    high = np.where(poisson, np.fmax(high, p_high * scale), high)
    out["ci_low"] = np.where(metric == "threshold", low, np.maximum(low, 0))
    out["ci_high"] = np.where(metric.isin(SHARES), np.minimum(high, 1), high)
    return out[columns]


def read_tables(folder: Path, names: tuple[str, ...] = HEADLINE_TABLES) -> dict[str, pd.DataFrame]:
    """The tables ``names`` of a stored one-world evaluation folder (those it holds)."""
    return {
        n: pd.read_parquet(folder / f"{n}.parquet")
        for n in names
        if (folder / f"{n}.parquet").is_file()
    }
