"""Sensitivity to the quality of the request list: the same world under scaled request noise.

Each level multiplies every request-side noise rate of the scenario (capped at
1) and leaves the population, the tax records and their noise as they are, so
the differences between levels come from the request list alone.  Every level
is generated, linked with the chosen strategies and evaluated; the result is
one tidy table of each strategy's main-operating-point figures per level.
"""

from __future__ import annotations

import logging
import shutil

import pandas as pd

from benchmark.evaluation.evaluate import evaluate
from benchmark.linking.link import run_link
from benchmark.strategies import Backend
from data_gen import Scenario, generate_world, write_dataset
from data_gen.errors import InputError
from data_gen.folders import scratch_folder

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


def sensitivity_table(
    scenario: Scenario,
    strategies: list[str],
    multipliers: tuple[float, ...] = DEFAULT_MULTIPLIERS,
    *,
    main_point: str = "precision_0.99",
    backend: Backend | None = None,
) -> pd.DataFrame:
    """Each strategy's figures at its main operating point for each request-noise level.

    Returns
    -------
    DataFrame
        noise_multiplier, strategy, operating_point, target_reached and the
        figures of :data:`FIGURES` (one world per level, no one-to-one).
    """
    backend = backend or Backend()
    rows = []
    scratch = scratch_folder("sensitivity")
    try:
        for level, multiplier in enumerate(multipliers):
            log.info("request noise x%g (%d of %d)", multiplier, level + 1, len(multipliers))
            base = scratch / f"level-{level}"
            data = write_dataset(
                generate_world(scaled_request_noise(scenario, multiplier)), base / "data"
            )
            for name in strategies:
                run_link(data, name, base / "links" / name, backend=backend)
            evaluate(data, [base / "links"], base / "evaluation", main_point=main_point)
            ops = pd.read_parquet(base / "evaluation" / "operating_points.parquet")
            harm = pd.read_parquet(base / "evaluation" / "harm_summary.parquet")
            main = ops[(ops["assignment"] == "none") & ops["main"]]
            merged = main.merge(
                harm[["strategy", "assignment", "operating_point", *FIGURES[2:]]],
                on=["strategy", "assignment", "operating_point"],
                how="left",
            )
            merged.insert(0, "noise_multiplier", float(multiplier))
            rows.append(
                merged[
                    ["noise_multiplier", "strategy", "operating_point", "target_reached", *FIGURES]
                ]
            )
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return pd.concat(rows, ignore_index=True)
