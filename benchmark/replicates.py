"""Replicate worlds: the same scenario under independent seeds, and intervals over them.

One world is one draw of names, households, noise and requests.  Figures such
as "wrong-person disclosures per 100,000 requests" vary from draw to draw, so
each headline figure is reported as the mean over K worlds with a 95% interval
for that mean (Student t with K − 1 degrees of freedom, clipped to the
figure's range), plus the spread (min, max) of the K values.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from benchmark.evaluate import LinkRun, evaluate_runs, load_link_run
from benchmark.ground_truth import load_ground_truth
from benchmark.link import run_link
from benchmark.strategies import Backend
from data_gen import generate_world, scenario_from_dict, write_dataset
from data_gen.dataset import read_manifest
from data_gen.errors import InputError
from data_gen.rng import stable_hash

log = logging.getLogger(__name__)

INTERVAL_KEYS = ["strategy", "assignment", "operating_point", "metric"]
SHARES = {"precision", "recall", "f1", "f_star", "target_reached"}
# numeric columns that are identifiers or settings, not results
_NOT_METRICS = {"target", "n_requests"}


def replicate_seed(seed: int, replicate: int) -> int:
    """The seed of replicate ``replicate`` of a world seeded ``seed`` (replicate 0 is the world itself).

    Examples
    --------
    >>> replicate_seed(7, 0)
    7
    >>> replicate_seed(7, 1) == replicate_seed(7, 1) != replicate_seed(7, 2)
    True
    """
    if replicate == 0:
        return seed
    return stable_hash(f"replicate/{seed}/{replicate}") % (2**31)


def headline_figures(tables: dict[str, pd.DataFrame], replicate: int) -> pd.DataFrame:
    """Every numeric figure at every operating point, one row per figure (long format).

    Figures come from ``operating_points``, ``outcomes`` and ``harm_summary``;
    a figure present in several tables is taken once.
    """
    keys = ["strategy", "assignment", "operating_point"]
    frames = []
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
    out = pd.concat(frames, ignore_index=True).drop_duplicates(keys + ["metric"])
    out.insert(0, "replicate", replicate)
    return out.reset_index(drop=True)


def intervals(figures: pd.DataFrame) -> pd.DataFrame:
    """Mean, standard deviation, 95% t-interval of the mean, min and max over replicates.

    Parameters
    ----------
    figures : DataFrame
        Rows of :func:`headline_figures` from several replicates.

    Returns
    -------
    DataFrame
        strategy, assignment, operating_point, metric, replicates, mean, sd,
        ci_low, ci_high, min, max.  With one replicate the interval is empty (NaN).
        The interval is clipped at 0 for figures that cannot be negative and
        at 1 for shares (precision, recall, F1, F*, share of worlds reaching
        the target).

    Examples
    --------
    >>> f = pd.DataFrame({"replicate": [0, 1, 2], "strategy": "s", "assignment": "none",
    ...                   "operating_point": "p", "metric": "m", "value": [1.0, 2.0, 3.0]})
    >>> row = intervals(f).iloc[0]
    >>> float(row["mean"]), round(float(row["ci_low"]), 3), round(float(row["ci_high"]), 3)
    (2.0, 0.0, 4.484)
    """
    from scipy import stats

    g = figures.groupby(INTERVAL_KEYS, sort=False)["value"]
    out = g.agg(replicates="count", mean="mean", sd="std", min="min", max="max").reset_index()
    n = out["replicates"].to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        t = np.where(n > 1, stats.t.ppf(0.975, np.maximum(n - 1, 1)), np.nan)
        half = t * out["sd"].to_numpy() / np.sqrt(n)
    # clipped to the figure's range: counts are never negative, shares never above one
    out["ci_low"] = np.where(out["min"] >= 0, np.maximum(out["mean"] - half, 0), out["mean"] - half)
    out["ci_high"] = np.where(
        out["metric"].isin(SHARES), np.minimum(out["mean"] + half, 1), out["mean"] + half
    )
    return out[[*INTERVAL_KEYS, "replicates", "mean", "sd", "ci_low", "ci_high", "min", "max"]]


def replicate_tables(
    data: Path, runs: list[LinkRun], replicate: int, backend: Backend
) -> dict[str, pd.DataFrame]:
    """Generate replicate ``replicate`` of ``data``'s world, link it like ``runs`` and evaluate it.

    Each strategy is rerun with the class and one-to-one setting its link
    manifest records.  The replicate's world and pairs live in a temporary
    folder that is removed afterwards: they regenerate from the seed.
    """
    manifest = read_manifest(data)
    if "config" not in manifest or "seed" not in manifest:
        raise InputError(f"{data}/manifest.json: no scenario config and seed to replicate")
    scenario = scenario_from_dict(manifest["config"], f"{data}/manifest.json")
    seed = replicate_seed(int(manifest["seed"]), replicate)
    scratch = Path(tempfile.mkdtemp(prefix=f"itin-bench-replicate-{replicate}-"))
    try:
        log.info("replicate %d: generating the world (seed %d)", replicate, seed)
        world_dir = scratch / "data"
        write_dataset(generate_world(scenario, seed=seed), world_dir)
        truth = load_ground_truth(world_dir)
        linked = []
        for run in runs:
            log.info("replicate %d: linking with %s", replicate, run.strategy)
            folder = scratch / "links" / run.strategy
            run_link(
                world_dir,
                run.manifest.get("strategy_class", run.strategy),
                folder,
                backend=backend,
                one_to_one=bool(run.manifest.get("one_to_one", False)),
            )
            linked.append(load_link_run(folder, truth))
        return evaluate_runs(truth, linked)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
