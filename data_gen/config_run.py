"""Settings of ``itin-bench run`` and of its calibration stage (they do not change the
generated world).
"""

from __future__ import annotations

from dataclasses import dataclass

from data_gen.config_fields import setting


@dataclass(frozen=True)
class Prior:
    """One open setting of the 2025 request list, its prior range and where that comes from."""

    name: str
    low: float
    high: float
    meaning: str
    source: str
    probability: bool = True


# The settings the published record leaves open.  ``tin_share`` is not among them: each draw
# solves it for the published match rate.
PRIORS = (
    Prior(
        "never_filed_share",
        0.50,
        0.95,
        "requests for people who never filed a return",
        "assumption: the record says only that most requests found no match",
    ),
    Prior(
        "left_area_share",
        0.0,
        0.85,
        "requests for people who left the area (drawn up to the never-filed share: they never filed)",
        "assumption: no published figure",
    ),
    Prior(
        "borrowed_tin_share",
        0.0,
        0.40,
        "TIN-carrying requests whose number belongs to somebody else",
        "assumption: no published figure",
    ),
    Prior(
        "borrowed_from_household_share",
        0.10,
        1.0,
        "borrowed numbers that are a household member's rather than a stranger's",
        "assumption: no published figure",
    ),
    Prior(
        "own_tin_filer_share",
        0.60,
        1.0,
        "requests carrying their own number whose person filed a return",
        "assumption: ITINs are issued for filing (facts.md §3), so most holders filed",
    ),
    Prior(
        "current_address_share",
        0.05,
        0.70,
        "requests whose address is the person's current one (the rest of the located ones are "
        "outdated)",
        "assumption: about 70% of disclosed addresses differed from ICE's own (facts.md §1)",
    ),
    Prior(
        "previous_address_share",
        0.0,
        1.0,
        "outdated addresses that are the last one before the current (the rest are older; the "
        "tax record often still holds the last one)",
        "assumption: no published figure",
    ),
    Prior(
        "junk_address_share",
        0.05,
        0.12,
        "requests whose address field is junk",
        "assumption: about 5% of disclosures rested on junk fields (facts.md §1)",
    ),
    Prior(
        "name_noise",
        1.0,
        4.0,
        "multiplier of the request-side name and date-of-birth noise rates",
        "assumption",
        probability=False,
    ),
    Prior(
        "address_noise",
        1.0,
        4.0,
        "multiplier of the request-side address noise rates",
        "assumption",
        probability=False,
    ),
)
CALIBRATION_KEYS = tuple(p.name for p in PRIORS)


@dataclass(frozen=True)
class CalibrationConfig:
    """Compositions of the request list to test against the published 2025 aggregates.

    ``itin-bench run`` adds a calibration stage when ``draws`` is positive:
    that many compositions are drawn over the prior ranges (a scrambled Sobol
    design) on one population, ``requests.tin_share`` is solved in each so
    that ``irs_2025`` hits the published match rate, and the draws whose
    aggregates agree with the record within their sampling noise are kept.
    """

    draws: int = setting(
        0,
        "count",
        "compositions to draw over the whole prior ranges (a power of two balances the Sobol "
        "design); 0: no calibration",
        maximum=4096,
    )
    second_wave: int = setting(
        0,
        "count",
        "further draws where an emulator fitted to the first ones does not rule the record out "
        "(history matching); 0: none",
        maximum=4096,
    )
    priors: dict = setting(
        {},
        "ranges",
        "prior range [low, high] of an open setting, replacing its default (keys: "
        + ", ".join(CALIBRATION_KEYS)
        + ")",
        keys=CALIBRATION_KEYS,
        probability_keys=tuple(p.name for p in PRIORS if p.probability),
    )
    scale: float = setting(
        0.5,
        "probability",
        "size of the calibration's population as a fraction of the run's world (the draws share "
        "one population and tax file)",
    )
    requests: float = setting(
        0.15,
        "probability",
        "size of each draw's request list as a fraction of the run's (scaled) list",
    )
    final_order_rate: float = setting(
        0.90,
        "probability",
        "share of undocumented people with a final order in the calibration's population, "
        "raised from the run's so that every draw of the prior ranges can be drawn (it only "
        "changes who can be requested)",
    )
    tin_share_max: float = setting(
        0.30,
        "probability",
        "largest TIN-carrying share the solver may choose",
    )
    z: float = setting(
        2.0,
        "nonnegative",
        "a draw reproduces an aggregate when it is within z standard errors of the published "
        "value (the draw's binomial noise, the real file's and the published figure's rounding)",
    )
    updated_tolerance: float = setting(
        0.10,
        "probability",
        "extra tolerance of the soft target, the share of disclosures giving an updated address "
        "(about 70%: the figure may count people and its definition is not published)",
    )
    seed: int = setting(
        0,
        "count",
        "seed of the Sobol design (added to the scenario's seed)",
        maximum=2**31,
    )


OPERATING_POINT_CHOICES = (
    "training_precision_0.99",
    "training_precision_0.95",
    "model_precision_0.99",
    "precision_0.95",
    "precision_0.99",
    "recall_0.90",
)


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
        "training_precision_0.99",
        "choice",
        "main operating point of scored strategies (training_* and model_* are ones an agency "
        "could set; precision_* and recall_* are best cases chosen with the truth); rules are "
        "shown at their own decision",
        choices=OPERATING_POINT_CHOICES,
    )
