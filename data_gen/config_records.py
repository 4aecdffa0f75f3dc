"""Settings of the records drawn from the world: the request list's composition and
the noise rates of both sides (IRS tax records and enforcement requests).

Every default lives here or in the noise registry, next to its source or the
word *assumption*.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from data_gen.config_fields import setting
from data_gen.noise_registry import NOISE_TYPES

ADDRESS_KINDS = ("current", "outdated", "junk", "detention")
JUNK_FORMS = ("failed_to_provide_zip", "unknown_address_zip", "unknown_address", "na_na")


@dataclass(frozen=True)
class RequestConfig:
    """Composition of the enforcement request list."""

    count: int | None = setting(
        None,
        "count",
        "exact number of requests, multiplied by `scale` (facts.md: 1.28 million in the June 2025 "
        "file); when the world's final-order people who never filed are too few, the rest are "
        "people who left the area (persons with role 'absent'); unset: the largest list the "
        "final-order pool allows, times fraction_of_final_orders",
        maximum=20000000,
    )
    fraction_of_final_orders: float = setting(
        1.0,
        "probability",
        "share of the largest list the never-filed share allows that is drawn (people with final orders)",
    )
    never_filed_share: float = setting(
        0.50,
        "probability",
        "requests for people who never filed (assumption; calibrated in irs_ice_2025)",
    )
    left_area_share: float | None = setting(
        None,
        "probability",
        "requests for people who left the area (removed, abroad or living elsewhere: their last "
        "known address is their family's; they never filed); at most never_filed_share; unset: "
        "only the never-filed people the world's final-order pool cannot supply (assumption; the "
        "public record gives no figure)",
    )
    tin_share: float = setting(
        0.30,
        "probability",
        "requests carrying an SSN or ITIN (assumption; facts.md: 'SSN/ITIN for some records')",
    )
    borrowed_tin_share: float = setting(
        0.15,
        "probability",
        "TIN-carrying requests whose number belongs to someone else (assumption)",
    )
    own_tin_filer_share: float | None = setting(
        None,
        "probability",
        "requests carrying their own TIN whose person filed a return (ITINs mostly come from "
        "filing); unset: any TIN holder, filer or not, equally (assumption)",
    )
    borrowed_from_household_share: float = setting(
        0.50,
        "probability",
        "borrowed numbers taken from a household member rather than a stranger (assumption)",
    )
    address_kinds: dict = setting(
        {"current": 0.62, "outdated": 0.30, "junk": 0.05, "detention": 0.03},
        "distribution",
        "where the request's address comes from (junk: facts.md, about 5% of disclosures rested on junk fields; rest assumption)",
        choices=ADDRESS_KINDS,
    )
    junk_forms: dict = setting(
        {
            "failed_to_provide_zip": 0.50,
            "unknown_address_zip": 0.20,
            "unknown_address": 0.15,
            "na_na": 0.15,
        },
        "distribution",
        "forms of junk address (facts.md §1: 'Failed to Provide' + ZIP, 'Unknown Address', 'NA NA'; weights assumption)",
        choices=JUNK_FORMS,
    )
    most_recent_previous_share: float = setting(
        0.70,
        "probability",
        "outdated addresses that are the last one before the current (else an older one)",
    )


def _default_rates(side: str) -> dict[str, float]:
    return {nt.name: nt.default_rate(side) for nt in NOISE_TYPES}


@dataclass(frozen=True)
class NoiseConfig:
    """Noise rates per side; keys are noise-type names from ``data_gen.noise_registry``.

    Both tables always hold every registered type: a scenario file overrides
    some, the others keep the registry defaults.
    """

    irs: dict = field(
        default_factory=lambda: _default_rates("irs"),
        metadata={
            "check": "noise_rates",
            "doc": "rates on the IRS side (unlisted types take the registry default)",
        },
    )
    requests: dict = field(
        default_factory=lambda: _default_rates("requests"),
        metadata={
            "check": "noise_rates",
            "doc": "rates on the request side (unlisted types take the registry default)",
        },
    )
