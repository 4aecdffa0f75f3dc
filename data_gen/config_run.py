"""Settings of ``itin-bench run`` and of its calibration stage (they do not change the
generated world).
"""

from __future__ import annotations

from dataclasses import dataclass

from data_gen.config_fields import setting

CALIBRATION_KEYS = (
    "never_filed_share",
    "borrowed_tin_share",
    "own_tin_filer_share",
    "borrowed_from_household_share",
    "current_address_share",
)


@dataclass(frozen=True)
class CalibrationConfig:
    """Compositions of the request list to test against the published 2025 aggregates.

    ``itin-bench run`` adds a calibration stage when ``grid`` is set: every
    combination of the listed request settings is drawn on one population,
    ``requests.tin_share`` is solved so that ``irs_2025`` hits the published
    match rate, and the compositions that reproduce all three published
    aggregates within ``tolerance`` give the range of the estimates.
    """

    grid: dict = setting(
        {},
        "grid",
        "request settings to vary and their values (keys: never_filed_share, borrowed_tin_share, "
        "own_tin_filer_share, borrowed_from_household_share, current_address_share: the share of "
        "current addresses, the rest of current + outdated being outdated); empty: no calibration",
        keys=CALIBRATION_KEYS,
    )
    scale: float = setting(
        0.5,
        "probability",
        "size of each composition's world as a fraction of the run's (the compositions share one "
        "population)",
    )
    tolerance: float = setting(
        0.15,
        "probability",
        "largest relative distance from each published aggregate that counts as reproducing it",
    )


OPERATING_POINT_CHOICES = ("precision_0.95", "precision_0.99", "recall_0.90")


@dataclass(frozen=True)
class RunConfig:
    """Settings of ``itin-bench run`` (they do not change the generated world)."""

    strategies: list = setting(
        [],
        "names",
        "strategies to run (names from `itin-bench strategies`); empty: all of them",
    )
    replicates: int = setting(
        1,
        "positive_int",
        "worlds to evaluate (this seed plus derived ones) for means and 95% intervals",
        maximum=100,
    )
    operating_point: str = setting(
        "precision_0.99",
        "choice",
        "main operating point of scored strategies; rules are shown at their own decision",
        choices=OPERATING_POINT_CHOICES,
    )
