"""Thresholds an agency could set with a labelled sample: tuned on one world, used on another.

The ``training_precision_*`` operating points take the threshold that reached
the target precision on a *tuning world* (another world of the same scenario,
separately seeded, with its own truth) and apply it unchanged to the
evaluated world.  :func:`tuned_thresholds` finds them on a labelled world;
:func:`write_thresholds` stores them; :func:`read_thresholds` reads them back,
from that file or from any evaluation folder's ``operating_points`` (whose
oracle ``precision_*`` rows are exactly these thresholds for its world).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from benchmark.evaluation.ground_truth import GroundTruth, load_ground_truth
from benchmark.evaluation.link_runs import LinkRun, find_link_folders, load_link_run
from benchmark.evaluation.metrics import choose_threshold, counts_at, label_pairs, threshold_sweep
from benchmark.evaluation.operating_points import BY_NAME, TUNED_FROM
from benchmark.safe_output import write_csv
from benchmark.strategies.assignment import one_to_one
from data_gen.dataset import atomic_folder, check_output_folder
from data_gen.errors import InputError

THRESHOLD_COLUMNS = (
    "strategy",
    "assignment",
    "operating_point",
    "threshold",
    "tuning_precision",
    "tuning_recall",
    "tuning_reached",
)
FILE = "thresholds.csv"


def tuned_thresholds(truth: GroundTruth, runs: list[LinkRun]) -> pd.DataFrame:
    """The threshold of every training point for each run, with and without one-to-one.

    Parameters
    ----------
    truth : GroundTruth
        The tuning world's truth.
    runs : list of LinkRun
        Its link runs.

    Returns
    -------
    DataFrame
        :data:`THRESHOLD_COLUMNS`: the threshold the oracle point behind each
        ``training_*`` point chose on this world, and the precision and recall
        it had here.  Rules (natural decision only) have no rows.
    """
    rows = []
    for run in runs:
        if run.rule:
            continue
        for assignment in ("none", "one_to_one"):
            pairs = run.pairs if assignment == "none" else one_to_one(run.pairs)
            is_true = label_pairs(pairs, truth.truth)
            sweep = threshold_sweep(pairs["score"].to_numpy(), is_true, truth.n_true)
            for name, oracle in TUNED_FROM.items():
                picked = choose_threshold(sweep, BY_NAME[oracle], None)
                assert picked is not None  # only natural points can have no threshold
                threshold, reached = picked
                at = counts_at(sweep, threshold, truth.n_true)
                rows.append(
                    {
                        "strategy": run.strategy,
                        "assignment": assignment,
                        "operating_point": name,
                        "threshold": threshold,
                        "tuning_precision": at["precision"],
                        "tuning_recall": at["recall"],
                        "tuning_reached": bool(reached),
                    }
                )
    return pd.DataFrame(rows, columns=list(THRESHOLD_COLUMNS))


def write_thresholds(data: str | Path, pairs: list[Path], out: str | Path, *, force: bool = False) -> Path:
    """Tune on the world ``data`` linked as ``pairs`` and write ``out/thresholds.csv``.

    Returns
    -------
    Path
        The file written.
    """
    out = Path(out)
    inputs = [Path(str(data)), *map(Path, pairs)]
    check_output_folder(out, force=force, kind="thresholds", inputs=inputs)
    truth = load_ground_truth(data)
    runs = [load_link_run(folder, truth) for folder in find_link_folders(list(map(Path, pairs)))]
    table = tuned_thresholds(truth, runs)
    with atomic_folder(out, force=force, kind="thresholds", inputs=inputs) as tmp:
        write_csv(table, tmp / FILE, index=False)
    return out / FILE


def read_thresholds(path: str | Path) -> pd.DataFrame:
    """Training thresholds from a thresholds file or folder, or another world's evaluation folder.

    An evaluation folder's ``operating_points`` give theirs through its oracle
    ``precision_*`` rows (only those whose target was reached there are kept
    as reached).

    Raises
    ------
    InputError
        If the path holds neither, or the table lacks columns.
    """
    path = Path(path)
    if not path.exists():
        raise InputError(f"--thresholds {path}: no such file or folder")
    if path.is_dir() and (path / FILE).is_file():
        path = path / FILE
    if path.is_dir():
        ops_path = path / "operating_points.parquet"
        if not ops_path.is_file():
            raise InputError(
                f"--thresholds {path}: neither a {FILE} nor an evaluation folder "
                "(no operating_points.parquet)"
            )
        return _from_operating_points(pd.read_parquet(ops_path), path)
    try:
        table = pd.read_csv(path)
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise InputError(f"--thresholds {path}: unreadable ({exc})") from None
    if "tuning_precision" not in table.columns and "precision" in table.columns:
        return _from_operating_points(table, path)
    missing = [c for c in THRESHOLD_COLUMNS if c not in table.columns]
    if missing:
        raise InputError(f"--thresholds {path}: missing column(s) {', '.join(missing)}")
    if not pd.api.types.is_numeric_dtype(table["threshold"]):
        raise InputError(f"--thresholds {path}: threshold must be numeric")
    return table[list(THRESHOLD_COLUMNS)].astype({"tuning_reached": bool})


def _from_operating_points(ops: pd.DataFrame, source: Path) -> pd.DataFrame:
    """The training thresholds a world's operating_points imply (its oracle precision rows)."""
    missing = [
        c
        for c in ("strategy", "assignment", "operating_point", "threshold", "precision", "recall")
        if c not in ops.columns
    ]
    if missing:
        raise InputError(f"--thresholds {source}: missing column(s) {', '.join(missing)}")
    parts = []
    for name, oracle in TUNED_FROM.items():
        rows = ops[ops["operating_point"] == oracle]
        parts.append(
            pd.DataFrame(
                {
                    "strategy": rows["strategy"].to_numpy(),
                    "assignment": rows["assignment"].to_numpy(),
                    "operating_point": name,
                    "threshold": rows["threshold"].to_numpy(dtype=float),
                    "tuning_precision": rows["precision"].to_numpy(dtype=float),
                    "tuning_recall": rows["recall"].to_numpy(dtype=float),
                    "tuning_reached": (
                        rows["target_reached"].to_numpy(dtype=bool)
                        if "target_reached" in rows
                        else True
                    ),
                }
            )
        )
    return pd.concat(parts, ignore_index=True).astype({"tuning_reached": bool})
