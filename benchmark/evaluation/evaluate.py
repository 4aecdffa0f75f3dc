"""The ``evaluate`` stage: scored pairs + ground truth → metrics, outcomes, harm, disparities.

For every strategy, with and without one-to-one assignment, it computes the
threshold sweep, picks the operating points of :data:`benchmark.evaluation.operating_points.OPERATING_POINTS`
and, at each, the request outcomes, the households behind the disclosures and
the wrong-person rate by group.  The tables are written as CSV and Parquet.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from benchmark.evaluation.disparities import disparities, pair_completeness_by_group
from benchmark.evaluation.error_causes import CauseTables, cause_counts, error_causes
from benchmark.evaluation.ground_truth import GroundTruth, load_ground_truth
from benchmark.evaluation.harm import harm_counts
from benchmark.evaluation.link_runs import LinkRun, find_link_folders, load_link_run, registry_order
from benchmark.evaluation.metrics import (
    choose_threshold,
    counts_at,
    label_pairs,
    match_probability,
    model_threshold,
    threshold_sweep,
)
from benchmark.evaluation.operating_points import (
    DEFAULT_MAIN,
    MAIN_CHOICES,
    MAIN_FALLBACK,
    OPERATING_POINTS,
)
from benchmark.evaluation.outcomes import per_100k, request_outcomes
from benchmark.evaluation.reliability import reliability
from benchmark.evaluation.writing import write_tables
from benchmark.strategies.assignment import one_to_one
from benchmark.tables.user_tables import UserTables
from data_gen.dataset import check_output_folder, package_versions
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
    "request_disclosures",
    "reliability",
    "blocking_by_group",
)
# tables with a row per request or disclosure, or figures the small-count
# suppression does not model: left out of suppressed evaluations
UNMODELLED_TABLES = (
    "request_disclosures",
    "error_cause_disclosures",
    "error_causes",
    "error_causes_pooled",
    "paired_differences",
    "reliability",
    "blocking_by_group",
    "disparities_pooled",
)
# disparity columns whose counts the suppression's relations do not cover (recall by group)
UNMODELLED_DISPARITIES = (
    "with_true_pair",
    "found",
    "recall",
    "recall_ci_low",
    "recall_ci_high",
    "recall_ratio",
    "recall_ratio_ci_low",
    "recall_ratio_ci_high",
)
# tables built by concatenating per-run frames (the others from one dict per row)
CONCATENATED = (
    "threshold_sweep",
    "harm_households",
    "disparities",
    "request_disclosures",
    "reliability",
    "blocking_by_group",
)


def evaluate_runs(
    truth: GroundTruth,
    runs: list[LinkRun],
    main_point: str = DEFAULT_MAIN,
    *,
    thresholds: pd.DataFrame | None = None,
    causes: CauseTables | None = None,
) -> dict[str, pd.DataFrame]:
    """Evaluate every link run against the ground truth.

    Each strategy's *main* operating point (column ``main``) is its natural
    decision for rules and ``main_point`` for scored strategies, or when it
    has no decision there the first of :data:`MAIN_FALLBACK` it has.

    Parameters
    ----------
    truth : GroundTruth
        The evaluated world's truth.
    runs : list of LinkRun
        Its link runs, one per strategy.
    main_point : str
        The scored strategies' main operating point.
    thresholds : DataFrame, optional
        The ``training_*`` points' thresholds, tuned on another labelled world
        (:func:`benchmark.evaluation.tuning.read_thresholds`); without them
        those points are absent.
    causes : CauseTables, optional
        The world tables behind the error causes (generated worlds); with
        them ``error_causes`` and ``error_cause_disclosures`` are added.

    Returns
    -------
    dict of DataFrame
        One table per name in :data:`TABLE_NAMES` (the error-cause tables
        only with ``causes``).
    """
    names = [r.strategy for r in runs]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise InputError(f"strategy {dupes[0]} is given twice; pass one link folder per strategy")
    parts: dict[str, list] = {name: [] for name in (*TABLE_NAMES, "wrong")}
    for run in runs:
        t0 = time.perf_counter()
        for assignment in ASSIGNMENTS:
            _evaluate_one(truth, run, assignment, parts, main_point, thresholds)
        log.info("evaluated %s in %.1f s", run.strategy, time.perf_counter() - t0)
        parts["blocking_by_group"].append(
            pair_completeness_by_group(
                run.pairs, truth.truth, truth.requests, truth.dimensions
            ).assign(strategy=run.strategy)
        )
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
    wrong = parts.pop("wrong")
    tables = {}
    for name, rows in parts.items():
        if name in CONCATENATED:
            tables[name] = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()
        else:
            tables[name] = pd.DataFrame(rows)
    if causes is not None and truth.households_known:
        tables.update(cause_tables(wrong, causes, tables["outcomes"]))
    return tables


def cause_tables(
    wrong: list[pd.DataFrame], causes: CauseTables, outcomes: pd.DataFrame
) -> dict[str, pd.DataFrame]:
    """``error_cause_disclosures`` (one row per wrong-person disclosure) and ``error_causes``.

    ``error_causes`` has every route of every reported decision, zeros
    included, so its counts sum to each decision's wrong-person total.
    """
    columns = [*KEYS, "request_id", "record_id"]
    frame = pd.concat(wrong, ignore_index=True) if wrong else pd.DataFrame(columns=columns)
    per = error_causes(frame[columns], causes, KEYS)
    decisions = outcomes[KEYS] if len(outcomes) else pd.DataFrame(columns=KEYS)
    return {
        "error_cause_disclosures": per,
        "error_causes": cause_counts(per, KEYS, combinations=decisions),
    }


def _choices(
    run: LinkRun,
    assignment: str,
    pairs: pd.DataFrame,
    sweep: pd.DataFrame,
    probabilities: np.ndarray | None,
    thresholds: pd.DataFrame | None,
) -> dict[str, tuple[float, bool, float]]:
    """Each operating point's (threshold, target reached, claimed precision) for one run."""
    tuned = {}
    if thresholds is not None and not run.rule:
        rows = thresholds[
            (thresholds["strategy"] == run.strategy) & (thresholds["assignment"] == assignment)
        ]
        tuned = {r.operating_point: r for r in rows.itertuples(index=False)}
    chosen = {}
    for point in OPERATING_POINTS:
        if point.kind == "training":
            row = tuned.get(point.name)
            if row is not None:
                claim = float(row.tuning_precision)
                chosen[point.name] = (float(row.threshold), bool(row.tuning_reached), claim)
        elif point.kind == "model":
            if probabilities is not None and not run.rule:
                assert point.target is not None
                chosen[point.name] = model_threshold(
                    pairs["score"].to_numpy(), probabilities, point.target
                )
        else:
            picked = choose_threshold(sweep, point, run.natural_threshold)
            if picked is not None:
                chosen[point.name] = (*picked, float("nan"))
    return chosen


def _main_point(run: LinkRun, chosen: dict, main_point: str) -> str:
    """The run's main point: natural for rules, else the first reached of the chain."""
    if run.rule:
        return "natural"
    for name in (main_point, *MAIN_FALLBACK):
        if name in chosen and chosen[name][1]:
            return name
    return main_point


def _evaluate_one(
    truth: GroundTruth,
    run: LinkRun,
    assignment: str,
    parts: dict,
    main_point: str,
    thresholds: pd.DataFrame | None,
) -> None:
    pairs = run.pairs if assignment == "none" else one_to_one(run.pairs)
    is_true = label_pairs(pairs, truth.truth)
    sweep = threshold_sweep(pairs["score"].to_numpy(), is_true, truth.n_true)
    parts["threshold_sweep"].append(
        sweep.assign(strategy=run.strategy, assignment=assignment)[
            ["strategy", "assignment", *sweep.columns]
        ]
    )
    probabilities = match_probability(pairs["score"].to_numpy(), run.score_scale)
    if probabilities is not None and len(pairs):
        table = reliability(probabilities, is_true)
        parts["reliability"].append(
            table.assign(strategy=run.strategy, assignment=assignment)[
                ["strategy", "assignment", *table.columns]
            ]
        )
    chosen = _choices(run, assignment, pairs, sweep, probabilities, thresholds)
    main_name = _main_point(run, chosen, main_point)
    requester_household = truth.requests.set_index("request_id")["household_id"]
    for point in OPERATING_POINTS:
        if point.name not in chosen:
            continue
        threshold, reached, claimed = chosen[point.name]
        key = {"strategy": run.strategy, "assignment": assignment, "operating_point": point.name}
        main = point.name == main_name
        row = counts_at(sweep, threshold, truth.n_true)
        parts["operating_points"].append(
            {
                **key,
                "main": main,
                "target": point.target,
                "target_reached": reached,
                "deployable": point.deployable,
                "selection": point.selection,
                **row,
                "claimed_precision": claimed,
                "precision_gap": row["precision"] - claimed,
            }
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
        per_request = _request_disclosures(decisions)
        parts["request_disclosures"].append(
            per_request.assign(**key)[[*KEYS, *per_request.columns]]
        )
        if not truth.households_known:
            continue
        wrong = decisions[~decisions["is_true"]]
        right = decisions[decisions["is_true"]]
        parts["wrong"].append(wrong[["request_id", "record_id"]].assign(**key))
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


def _request_disclosures(decisions: pd.DataFrame) -> pd.DataFrame:
    """Wrong-person and correct disclosures per request with any: the clusters of the intervals."""
    g = decisions.groupby("request_id", sort=True)["is_true"]
    out = pd.DataFrame({"correct": g.sum().astype("int64"), "disclosed": g.size()})
    out["wrong_person"] = (out.pop("disclosed") - out["correct"]).astype("int64")
    return out.reset_index()[["request_id", "wrong_person", "correct"]]


def evaluate(
    data: str | Path | UserTables,
    pairs: list[Path],
    out: str | Path,
    *,
    replicates: int = 1,
    replicate_world: Callable[[list[LinkRun], int], dict[str, pd.DataFrame]] | None = None,
    main_point: str = DEFAULT_MAIN,
    thresholds: str | Path | pd.DataFrame | None = None,
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
    thresholds : path or DataFrame, optional
        Thresholds tuned on another labelled world of the scenario: a
        ``thresholds.csv`` (or its folder) or another world's evaluation
        folder (:func:`benchmark.evaluation.tuning.read_thresholds`).  They
        set the ``training_*`` operating points of every world evaluated
        here; without them those points are absent and the main point falls
        back along :data:`~benchmark.evaluation.operating_points.MAIN_FALLBACK`.
    suppress_below : int, optional
        Blank every count from 1 to this number minus one, and the figures
        computed from them (:mod:`benchmark.evaluation.privacy`), for runs on real data.

    Returns
    -------
    dict
        The evaluation manifest.
    """
    from benchmark.evaluation.error_causes import load_cause_tables
    from benchmark.evaluation.ground_truth import user_ground_truth
    from benchmark.evaluation.tuning import read_thresholds

    user = data if isinstance(data, UserTables) else None
    _check_options(user, replicates, replicate_world, main_point, suppress_below)
    out = Path(out)
    inputs = [*(user.input_paths if user is not None else [Path(str(data))]), *map(Path, pairs)]
    check_output_folder(out, force=force, kind="evaluation", inputs=inputs)
    tuned = (
        thresholds
        if thresholds is None or isinstance(thresholds, pd.DataFrame)
        else read_thresholds(thresholds)
    )
    started = time.perf_counter()
    truth = user_ground_truth(data) if isinstance(data, UserTables) else load_ground_truth(data)
    runs = sorted(
        (load_link_run(folder, truth) for folder in find_link_folders(pairs)),
        key=registry_order,
    )
    causes = (
        load_cause_tables(Path(str(data))) if user is None and truth.households_known else None
    )
    tables = _tables(
        truth,
        runs,
        replicates,
        replicate_world,
        main_point,
        suppress_below,
        thresholds=tuned,
        causes=causes,
    )
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
        "operating_points": [p.describe() for p in OPERATING_POINTS],
        "thresholds": None if thresholds is None else str(thresholds),
        "threshold_selection": (
            "training_*: tuned on another labelled world of the scenario; model_*: from the "
            "model's own probabilities; precision_* and recall_*: best case, chosen with "
            "each world's ground truth"
        ),
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
    *,
    thresholds: pd.DataFrame | None = None,
    causes: CauseTables | None = None,
) -> dict[str, pd.DataFrame]:
    """The tables of one evaluation: world 0's, figures over worlds, small counts suppressed."""
    from benchmark.evaluation.pooled import pooled_tables
    from benchmark.evaluation.privacy import suppress_small_counts
    from benchmark.evaluation.score_distribution import unlabelled_tables

    if truth.labelled:
        tables = evaluate_runs(truth, runs, main_point, thresholds=thresholds, causes=causes)
        worlds = [tables]
        for k in range(1, replicates):
            assert replicate_world is not None  # checked by _check_options
            log.info("replicate %d of %d", k + 1, replicates)
            worlds.append(replicate_world(runs, k))
        tables = {**tables, **pooled_tables(worlds)}
        if not truth.households_known:
            for name in ("harm_summary", "harm_households"):
                del tables[name]
    else:
        tables = unlabelled_tables(runs, truth.n_requests)
    if suppress_below is not None:
        # per-request tables are microdata on ids, and the relations of the others are not
        # modelled: a suppressed evaluation keeps the one-world tables it can protect
        if "disparities" in tables:
            disp = tables["disparities"]
            tables["disparities"] = disp.drop(
                columns=[c for c in UNMODELLED_DISPARITIES if c in disp]
            )
        for name in UNMODELLED_TABLES:
            tables.pop(name, None)
        tables = suppress_small_counts(tables, suppress_below)
    return tables
