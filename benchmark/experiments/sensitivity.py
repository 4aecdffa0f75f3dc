"""Sensitivity to the quality of the request list: the same world under scaled request noise.

Each level multiplies every request-side noise rate of the scenario (capped at
1) and leaves the population, the tax records and their noise as they are, so
the differences between levels come from the request list alone.  Every level
is generated, linked with the chosen strategies and evaluated, each step a
cached stage of the runner (:func:`sensitivity_stages`); the result is one tidy
table of each strategy's main-operating-point figures per level
(:func:`sensitivity_table`).
"""

from __future__ import annotations

import logging
from functools import partial
from pathlib import Path

import pandas as pd

from benchmark.evaluation.evaluate import evaluate
from benchmark.evaluation.operating_points import DEFAULT_MAIN, main_rows
from benchmark.experiments.runner import Stage
from benchmark.linking.link import run_link
from benchmark.strategies import Backend, get_strategy
from data_gen import Scenario, generate_world, write_dataset
from data_gen.errors import InputError

log = logging.getLogger(__name__)

DEFAULT_MULTIPLIERS = (0.0, 0.5, 1.0, 2.0, 3.0)
FIGURES = (
    "recall",
    "precision",
    "wrong_person_per_100k",
    "unrelated_households_per_100k",
    "unrelated_us_citizen_children_per_100k",
)


def scaled_request_noise(scenario: Scenario, multiplier: float) -> Scenario:
    """``scenario`` with every request-side noise rate multiplied by ``multiplier`` (capped at 1)."""
    if multiplier < 0:
        raise InputError(f"noise multiplier {multiplier}: must not be negative")
    rates = {k: min(1.0, v * multiplier) for k, v in scenario.noise.requests.items()}
    return scenario.with_overrides(noise={"requests": rates})


def sensitivity_stages(
    scenario: Scenario,
    strategies: list[str],
    folder: Path,
    multipliers: tuple[float, ...] = DEFAULT_MULTIPLIERS,
    *,
    main_point: str = DEFAULT_MAIN,
    backend: Backend | None = None,
) -> list[Stage]:
    """The runner stages of the sweep: per level, a world, its links and its evaluation.

    Level ``m`` lives in ``folder/x{m}/`` (``data``, ``links/<strategy>``,
    ``evaluation``), so an interrupted sweep resumes at the first level not
    finished and a rerun reuses every level whose settings are unchanged.
    """
    backend = backend or Backend()
    stages = []
    for multiplier in multipliers:
        level = scaled_request_noise(scenario, multiplier)
        base, tag = folder / f"x{multiplier:g}", f"sensitivity/x{multiplier:g}/"
        data, links = base / "data", [base / "links" / n for n in strategies]
        stages.append(
            Stage(
                f"{tag}data",
                f"generating the world at request noise x{multiplier:g}",
                data,
                partial(_write_world, level, data),
                settings={"world": level.config_hash()},
                code=("data_gen.world", "data_gen.dataset"),
            )
        )
        for name, target in zip(strategies, links, strict=True):
            stages.append(
                Stage(
                    f"{tag}{name}",
                    f"linking x{multiplier:g} with {name}",
                    target,
                    partial(run_link, data, name, target, backend=backend, force=True),
                    settings={"strategy": name, "backend": backend.kind},
                    reads=(data,),
                    code=("benchmark.linking.link", get_strategy(name).__module__),
                )
            )
        out = base / "evaluation"
        stages.append(
            Stage(
                f"{tag}evaluation",
                f"evaluating x{multiplier:g}",
                out,
                partial(evaluate, data, links, out, main_point=main_point, force=True),
                settings={"operating_point": main_point},
                reads=(data, *links),
                code=("benchmark.evaluation.evaluate",),
            )
        )
    return stages


def _write_world(scenario: Scenario, out: Path) -> None:
    write_dataset(generate_world(scenario), out, force=True)


def sensitivity_table(
    folder: Path, multipliers: tuple[float, ...] = DEFAULT_MULTIPLIERS
) -> pd.DataFrame:
    """Each strategy's figures at its main operating point for each request-noise level.

    Parameters
    ----------
    folder : Path
        Where :func:`sensitivity_stages` wrote the levels.
    multipliers : tuple of float
        The levels, in the order of the table.

    Returns
    -------
    DataFrame
        noise_multiplier, strategy, operating_point, target_reached and the
        figures of :data:`FIGURES` (one world per level, no one-to-one).
    """
    rows = []
    for multiplier in multipliers:
        evaluation = folder / f"x{multiplier:g}" / "evaluation"
        ops = pd.read_parquet(evaluation / "operating_points.parquet")
        harm = pd.read_parquet(evaluation / "harm_summary.parquet")
        main = main_rows(ops)
        merged = main.merge(
            harm[["strategy", "assignment", "operating_point", *FIGURES[2:]]],
            on=["strategy", "assignment", "operating_point"],
            how="left",
        )
        merged.insert(0, "noise_multiplier", float(multiplier))
        rows.append(
            merged[["noise_multiplier", "strategy", "operating_point", "target_reached", *FIGURES]]
        )
    return pd.concat(rows, ignore_index=True)
