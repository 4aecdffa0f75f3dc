"""The ``evaluate`` stage: scored pairs + ground truth → metrics, outcomes, harm, disparities.

For every strategy, with and without one-to-one assignment, it computes the
threshold sweep, picks the operating points of :data:`benchmark.evaluation.operating_points.OPERATING_POINTS`
and, at each, the request outcomes, the households behind the disclosures and
the wrong-person rate by group.  The tables are written as CSV and Parquet.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from benchmark.evaluation.disparities import disparities
from benchmark.evaluation.ground_truth import GroundTruth, load_ground_truth
from benchmark.evaluation.harm import harm_counts
from benchmark.evaluation.link_runs import LinkRun, find_link_folders, load_link_run, registry_order
from benchmark.evaluation.metrics import (
    choose_threshold,
    counts_at,
    label_pairs,
    threshold_sweep,
)
from benchmark.evaluation.operating_points import DEFAULT_MAIN, MAIN_CHOICES, OPERATING_POINTS
from benchmark.evaluation.outcomes import per_100k, request_outcomes
from benchmark.safe_output import write_csv
from benchmark.strategies.assignment import one_to_one
from benchmark.tables.user_tables import UserTables
from data_gen.dataset import atomic_folder, check_output_folder, package_versions
from data_gen.errors import InputError

log = logging.getLogger(__name__)

ASSIGNMENTS = ("none", "one_to_one")
KEYS = ["strategy", "assignment", "operating_point"]
# tables written by evaluate; the per-household table holds ids and counts only
TABLE_NAMES = (
    "threshold_sweep",
    "operating_points",
    "outcomes",
    "harm_summary",
    "harm_households",
    "disparities",
    "blocking",
)


def evaluate_runs(
    truth: GroundTruth, runs: list[LinkRun], main_point: str = DEFAULT_MAIN
) -> dict[str, pd.DataFrame]:
    """Evaluate every link run against the ground truth.

    Each strategy's *main* operating point (column ``main``) is its natural
    decision for rules and ``main_point`` for scored strategies.

    Returns
    -------
    dict of DataFrame
        One table per name in :data:`TABLE_NAMES`.
    """
    names = [r.strategy for r in runs]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise InputError(f"strategy {dupes[0]} is given twice; pass one link folder per strategy")
    parts: dict[str, list] = {name: [] for name in TABLE_NAMES}
    for run in runs:
        t0 = time.perf_counter()
        for assignment in ASSIGNMENTS:
            _evaluate_one(truth, run, assignment, parts, main_point)
        log.info("evaluated %s in %.1f s", run.strategy, time.perf_counter() - t0)
        parts["blocking"].append(
            {
                "strategy": run.strategy,
                "candidate_pairs": run.blocking.get("candidate_pairs", len(run.pairs)),
                "true_pairs": truth.n_true,
                "true_pairs_found": run.blocking.get("true_pairs_found"),
                "pair_completeness": run.blocking.get("pair_completeness"),
                "link_one_to_one": bool(run.manifest.get("one_to_one", False)),
            }
        )
    tables = {}
    for name, rows in parts.items():
        if name in ("threshold_sweep", "harm_households", "disparities"):
            tables[name] = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()
        else:
            tables[name] = pd.DataFrame(rows)
    return tables


def _evaluate_one(
    truth: GroundTruth, run: LinkRun, assignment: str, parts: dict, main_point: str
) -> None:
    pairs = run.pairs if assignment == "none" else one_to_one(run.pairs)
    is_true = label_pairs(pairs, truth.truth)
    sweep = threshold_sweep(pairs["score"].to_numpy(), is_true, truth.n_true)
    parts["threshold_sweep"].append(
        sweep.assign(strategy=run.strategy, assignment=assignment)[
            ["strategy", "assignment", *sweep.columns]
        ]
    )
    requester_household = truth.requests.set_index("request_id")["household_id"]
    for point in OPERATING_POINTS:
        chosen = choose_threshold(sweep, point, run.natural_threshold)
        if chosen is None:
            continue
        threshold, reached = chosen
        key = {"strategy": run.strategy, "assignment": assignment, "operating_point": point.name}
        main = point.name == ("natural" if run.rule else main_point)
        row = counts_at(sweep, threshold, truth.n_true)
        parts["operating_points"].append(
            {**key, "main": main, "target": point.target, "target_reached": reached, **row}
        )
        if not reached:
            # no decision is reported at a target the strategy cannot reach
            continue
        accept = pairs["score"].to_numpy() >= threshold
        decisions = pairs.loc[accept, ["request_id", "record_id"]].assign(is_true=is_true[accept])
        head = {**key, "main": main, "threshold": threshold}
        parts["outcomes"].append({**head, **request_outcomes(decisions, truth.requests)})
        disp = disparities(decisions, truth.requests, truth.dimensions)
        parts["disparities"].append(disp.assign(**key)[[*KEYS, *disp.columns]])
        if not truth.households_known:
            continue
        wrong = decisions[~decisions["is_true"]]
        right = decisions[decisions["is_true"]]
        homes = {}
        harm: dict[str, float] = {"n_requests": truth.n_requests}
        for kind, chosen_pairs, prefix in (
            ("wrong_person", wrong, ""),
            ("correct", right, "correct_"),
        ):
            counts, homes[kind] = harm_counts(
                chosen_pairs,
                truth.record_address,
                truth.residents,
                requester_household,
                truth.n_requests,
                prefix=prefix,
            )
            harm[kind] = len(chosen_pairs)
            harm[f"{kind}_per_100k"] = per_100k(len(chosen_pairs), truth.n_requests)
            harm.update(counts)
        parts["harm_summary"].append({**head, **harm})
        for kind, table in homes.items():
            parts["harm_households"].append(
                table.assign(**key, disclosure=kind)[[*KEYS, "disclosure", *table.columns]]
            )


def evaluate(
    data: str | Path | UserTables,
    pairs: list[Path],
    out: str | Path,
    *,
    replicates: int = 1,
    replicate_world: Callable[[list[LinkRun], int], dict[str, pd.DataFrame]] | None = None,
    main_point: str = DEFAULT_MAIN,
    force: bool = False,
    suppress_below: int | None = None,
) -> dict:
    """Evaluate link folders against a dataset folder and write the evaluation folder.

    Parameters
    ----------
    data : path or UserTables
        Dataset folder written by ``itin-bench generate``, or user tables read
        through a mapping (:func:`benchmark.tables.user_tables.load_user_tables`).
        User tables with an entity id get every table but the harm tables
        (nothing is known of households); without one, only ``match_counts``
        and ``score_distribution``
        (:mod:`benchmark.evaluation.score_distribution`).
    pairs : list of path
        Link folders (or folders of link folders) written by ``itin-bench link``.
    out : path
        Evaluation folder to write (atomically; an existing one only with ``force``).
    replicates : int
        Number of worlds: ``data`` itself and ``replicates - 1`` more of the same
        scenario under derived seeds, each linked with the same strategies.
        Adds ``replicate_figures`` (every headline figure per world) and
        ``intervals`` (mean and 95% interval per figure).
    replicate_world : callable, optional
        ``replicate_world(runs, k)`` returns the tables of world ``k``, linked
        like ``runs``; needed when ``replicates`` > 1.  The evaluation judges
        worlds and makes none: :func:`benchmark.experiments.replicates.evaluate_worlds`
        supplies it.
    main_point : str
        The operating point reported first for scored strategies (rules are
        reported at their natural decision).
    suppress_below : int, optional
        Blank every count from 1 to this number minus one, and the figures
        computed from them (:mod:`benchmark.evaluation.privacy`), for runs on real data.

    Returns
    -------
    dict
        The evaluation manifest.
    """
    from benchmark.evaluation.ground_truth import user_ground_truth

    user = data if isinstance(data, UserTables) else None
    _check_options(user, replicates, replicate_world, main_point, suppress_below)
    out = Path(out)
    inputs = [*(user.input_paths if user is not None else [Path(str(data))]), *map(Path, pairs)]
    check_output_folder(out, force=force, kind="evaluation", inputs=inputs)
    started = time.perf_counter()
    truth = user_ground_truth(data) if isinstance(data, UserTables) else load_ground_truth(data)
    runs = sorted(
        (load_link_run(folder, truth) for folder in find_link_folders(pairs)),
        key=registry_order,
    )
    tables = _tables(truth, runs, replicates, replicate_world, main_point, suppress_below)
    manifest = {
        "data": user.describe() if user is not None else str(data),
        "labelled": truth.labelled,
        "harm": truth.households_known,
        "suppress_below": suppress_below,
        "data_config_sha256": truth.manifest.get("config_sha256"),
        "data_seed": truth.manifest.get("seed"),
        "replicates": replicates,
        "main_operating_point": main_point,
        "n_requests": truth.n_requests,
        "true_pairs": truth.n_true if truth.labelled else None,
        "links": {r.strategy: str(r.folder) for r in runs},
        "strategies": [{"name": r.strategy, **r.style} for r in runs],
        "operating_points": [
            {"name": p.name, "kind": p.kind, "target": p.target} for p in OPERATING_POINTS
        ],
        "threshold_selection": "oracle: chosen with each world's ground truth",
        "packages": package_versions(),
    }
    write_tables(tables, out, manifest, started=started, force=force, inputs=inputs)
    return manifest


def _check_options(
    user: UserTables | None,
    replicates: int,
    replicate_world: Callable | None,
    main_point: str,
    suppress_below: int | None,
) -> None:
    """Refuse bad options before anything is read or written."""
    if replicates < 1:
        raise InputError(f"--replicates {replicates}: must be at least 1")
    if suppress_below is not None and suppress_below < 1:
        raise InputError(f"--suppress-below {suppress_below}: must be at least 1")
    if replicates > 1 and replicate_world is None:
        raise ValueError("replicates > 1 needs replicate_world (see evaluate_worlds)")
    if user is not None and replicates > 1:
        raise InputError(
            f"--replicates {replicates}: user tables are one world; replicate worlds "
            "need a generated dataset (--data)"
        )
    if main_point not in MAIN_CHOICES:
        raise InputError(
            f"--operating-point {main_point}: expected one of {', '.join(MAIN_CHOICES)}"
        )


def _tables(
    truth: GroundTruth,
    runs: list[LinkRun],
    replicates: int,
    replicate_world: Callable | None,
    main_point: str,
    suppress_below: int | None,
) -> dict[str, pd.DataFrame]:
    """The tables of one evaluation: world 0's, figures over worlds, small counts suppressed."""
    from benchmark.evaluation.aggregate import headline_figures, intervals
    from benchmark.evaluation.privacy import suppress_small_counts
    from benchmark.evaluation.score_distribution import unlabelled_tables

    if truth.labelled:
        tables = evaluate_runs(truth, runs, main_point)
        figures = [headline_figures(tables, 0)]
        for k in range(1, replicates):
            assert replicate_world is not None  # checked by _check_options
            log.info("replicate %d of %d", k + 1, replicates)
            figures.append(headline_figures(replicate_world(runs, k), k))
        tables["replicate_figures"] = pd.concat(figures, ignore_index=True)
        tables["intervals"] = intervals(tables["replicate_figures"])
        if not truth.households_known:
            for name in ("harm_summary", "harm_households"):
                del tables[name]
    else:
        tables = unlabelled_tables(runs, truth.n_requests)
    if suppress_below is not None:
        tables = suppress_small_counts(tables, suppress_below)
    return tables


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
