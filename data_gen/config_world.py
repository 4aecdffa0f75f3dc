"""Settings of the synthetic world: its size and dates, housing, households, status,
filing and moves.

Every default lives here, next to its source or the word *assumption*.  Sources
cited are the files in ``shared/reference`` (``facts.md``, ``generators.md``),
summarised in the README's assumptions table.
"""

from __future__ import annotations

from dataclasses import dataclass

from data_gen.config_fields import setting

ORIGINS = ("hispanic", "white", "black", "api", "native", "multiple")
STATUSES = ("us_born", "naturalized", "lpr", "temporary", "undocumented")
HOUSEHOLD_TYPES = (
    "single",
    "couple",
    "couple_children",
    "single_parent",
    "extended",
    "roommates",
)


@dataclass(frozen=True)
class WorldConfig:
    """Size, dates and geography of the synthetic world."""

    persons: int = setting(
        200_000,
        "count",
        "number of people in the world (whole households; last one truncated)",
        maximum=20000000,
    )
    n_zips: int = setting(
        120, "positive_int", "number of real ZIP codes the world occupies", maximum=30000
    )
    chunks: int = setting(
        1,
        "positive_int",
        "generate the world in this many chunks, one at a time, into partitioned Parquet (bounded "
        "memory for national-size worlds); each chunk is an independent world of 1/chunks of the "
        "people, ZIP codes and requests, its ZIP codes and SSN/ITINs disjoint from the others'; "
        "1: one world in memory",
        maximum=1000,
    )
    zip_selection_group: str = setting(
        "hispanic",
        "choice",
        "Census group whose share per ZCTA picks the ZIP codes (ITIN filers live where this group lives)",
        choices=ORIGINS,
    )
    reference_date: str = setting(
        "2025-06-27",
        "date",
        "date of the enforcement request file (facts.md: June 27, 2025 request)",
    )
    filing_date: str = setting(
        "2025-04-15",
        "date",
        "filing date of the latest tax return; the IRS holds the address as of this date",
    )


@dataclass(frozen=True)
class HousingConfig:
    """Housing stock: building types, tenure and occupancy."""

    occupancy: float = setting(
        0.92,
        "probability",
        "share of housing units occupied (assumption; ACS vacancy is about 10%)",
    )
    renter_share_noncitizen: float = setting(
        0.70, "probability", "renter share of households with a non-citizen adult (assumption)"
    )
    renter_share_citizen: float = setting(
        0.38, "probability", "renter share of other households (assumption; ACS about 35%)"
    )
    large_complex_share_of_renters: float = setting(
        0.45,
        "probability",
        "renters living in large complexes (50-300 units) rather than small multi-unit buildings (assumption)",
    )
    small_building_max_units: int = setting(
        9, "positive_int", "largest small multi-unit building (units)", maximum=49
    )
    large_complex_min_units: int = setting(
        50, "positive_int", "smallest large complex (units)", maximum=2000
    )
    large_complex_max_units: int = setting(
        300, "positive_int", "largest large complex (units)", maximum=2000
    )
    households_per_street: int = setting(
        30,
        "positive_int",
        "average occupied units per street, sizing each ZIP's street pool (assumption)",
        maximum=10000,
    )


_TYPE_SHARES = {
    # assumption, shaped after ACS household-type tables: immigrant-origin households
    # are larger, more often families with children, extended, or unrelated adults.
    "hispanic": {
        "single": 0.14,
        "couple": 0.14,
        "couple_children": 0.38,
        "single_parent": 0.12,
        "extended": 0.13,
        "roommates": 0.09,
    },
    "api": {
        "single": 0.20,
        "couple": 0.22,
        "couple_children": 0.33,
        "single_parent": 0.06,
        "extended": 0.11,
        "roommates": 0.08,
    },
    "other": {
        "single": 0.30,
        "couple": 0.28,
        "couple_children": 0.20,
        "single_parent": 0.10,
        "extended": 0.05,
        "roommates": 0.07,
    },
}


@dataclass(frozen=True)
class HouseholdConfig:
    """Household composition and naming conventions."""

    type_shares: dict = setting(
        _TYPE_SHARES,
        "distributions",
        "household type shares by origin class (hispanic, api, other); assumption after ACS",
        choices=HOUSEHOLD_TYPES,
        keys=("hispanic", "api", "other"),
    )
    mean_extra_children: float = setting(
        0.9,
        "nonnegative",
        "children beyond the first in families with children: Poisson mean (assumption)",
        maximum=10,
    )
    second_given_name_share_hispanic: float = setting(
        0.45,
        "probability",
        "Hispanic people with two given names, e.g. Jose Luis (assumption; generators.md §4 row 6)",
    )
    middle_name_share_other: float = setting(
        0.60, "probability", "other people with a middle name (assumption)"
    )
    shared_surname_share: float = setting(
        0.75, "probability", "non-Hispanic spouses who share the head's surname (assumption)"
    )
    junior_share: float = setting(
        0.08, "probability", "sons given their father's first name (assumption)"
    )
    two_surnames_share_us_born: float = setting(
        0.25,
        "probability",
        "US-born Hispanic people whose legal name keeps both surnames (assumption; about 20% of Latino surnames are compound in US files, NC voter file via pseudopeople)",
    )
    single_parent_female_share: float = setting(
        0.80, "probability", "single-parent households headed by a woman (ACS: about 80%)"
    )
    native_spelling_share: float = setting(
        0.70,
        "probability",
        "Hispanic and Vietnamese-origin people whose true name carries accents (Muñoz, Nguyễn) (assumption)",
    )


_ADULT_STATUS = {
    # assumption, shaped after Pew 2023 (14M unauthorized, about three quarters from
    # Latin America) and ACS nativity: shares among adults of each origin group.
    "hispanic": {
        "us_born": 0.42,
        "naturalized": 0.14,
        "lpr": 0.14,
        "temporary": 0.04,
        "undocumented": 0.26,
    },
    "api": {
        "us_born": 0.30,
        "naturalized": 0.36,
        "lpr": 0.17,
        "temporary": 0.09,
        "undocumented": 0.08,
    },
    "white": {
        "us_born": 0.93,
        "naturalized": 0.04,
        "lpr": 0.015,
        "temporary": 0.01,
        "undocumented": 0.005,
    },
    "black": {
        "us_born": 0.86,
        "naturalized": 0.07,
        "lpr": 0.03,
        "temporary": 0.01,
        "undocumented": 0.03,
    },
    "native": {
        "us_born": 0.97,
        "naturalized": 0.015,
        "lpr": 0.005,
        "temporary": 0.005,
        "undocumented": 0.005,
    },
    "multiple": {
        "us_born": 0.90,
        "naturalized": 0.05,
        "lpr": 0.02,
        "temporary": 0.01,
        "undocumented": 0.02,
    },
}


@dataclass(frozen=True)
class StatusConfig:
    """Immigration status and final removal orders."""

    adult_status: dict = setting(
        _ADULT_STATUS,
        "distributions",
        "status shares among adults by origin (assumption after Pew 2023 and ACS)",
        choices=STATUSES,
        keys=ORIGINS,
    )
    spouse_same_status_share: float = setting(
        0.60, "probability", "spouses sharing the head's status (assumption)"
    )
    final_order_male_share: float = setting(
        0.80,
        "probability",
        "share of final orders among men when men and women are equally many (assumption: removals are overwhelmingly male)",
    )
    final_order_age65_multiplier: float = setting(
        0.25,
        "nonnegative",
        "final-order rate multiplier for people aged 65 and over (assumption)",
        maximum=10,
    )
    child_us_born_share: float = setting(
        0.82,
        "probability",
        "children of non-citizen parents who are US-born citizens (facts.md §3: MPI 79%, Urban/MPI 85%)",
    )
    final_order_rate: dict = setting(
        {"us_born": 0.0, "naturalized": 0.0, "lpr": 0.005, "temporary": 0.03, "undocumented": 0.20},
        "rates",
        "adults with a final removal order, by status (assumption; about 1.4M final orders among 11-14M unauthorized, raised so small worlds yield a request list)",
        keys=STATUSES,
    )


@dataclass(frozen=True)
class FilingConfig:
    """Who files a tax return and with which TIN."""

    filing_rate: dict = setting(
        {
            "us_born": 0.85,
            "naturalized": 0.85,
            "lpr": 0.80,
            "temporary": 0.60,
            "undocumented": 0.50,
        },
        "rates",
        "adults filing a return, by status (undocumented: facts.md §2, 50-75% of households file; others assumption)",
        keys=STATUSES,
    )
    joint_filing_share: float = setting(
        0.85, "probability", "filing couples who file jointly (assumption)"
    )
    dependent_claim_share: float = setting(
        0.90,
        "probability",
        "children claimed as dependents on a filing parent's return (assumption)",
    )
    temporary_ssn_share: float = setting(
        0.60, "probability", "temporary residents with a work-authorised SSN (assumption)"
    )
    itin_nonfiler_share: float = setting(
        0.30,
        "probability",
        "undocumented non-filers who still hold an ITIN from earlier filing (assumption; facts.md §2: 26M issued, 5.8M active)",
    )


@dataclass(frozen=True)
class MovesConfig:
    """Residential moves and address histories."""

    annual_move_rate_owner: float = setting(
        0.05,
        "probability",
        "yearly move rate of owners (assumption; facts.md: 9.3% of all people moved in 2020)",
    )
    annual_move_rate_renter: float = setting(
        0.16,
        "probability",
        "yearly move rate of renters (assumption; renters move about 3x as often)",
    )
    same_zip_share: float = setting(
        0.50,
        "probability",
        "moves within the same ZIP (assumption; 56-59% of moves stay in the county, CPS)",
    )
    max_previous_addresses: int = setting(
        3, "positive_int", "previous addresses kept per household", maximum=20
    )
    max_years_at_address: float = setting(
        15.0,
        "nonnegative",
        "longest stay drawn at one address, in years (assumption; keeps histories within a working life)",
        maximum=80,
    )
