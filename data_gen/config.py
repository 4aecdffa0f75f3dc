"""Scenario configuration: validated, frozen dataclasses loaded from TOML.

Every default lives here, next to its source or the word *assumption*.  A
scenario file overrides any subset of them; unknown keys, probabilities outside
[0, 1], negative sizes and distributions that do not sum to one are rejected
with a :class:`~data_gen.errors.ConfigError` whose message names the key.

Sources cited below are the files in ``shared/reference`` (``facts.md``,
``generators.md``), summarised in the README's assumptions table.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import math
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from data_gen.errors import ConfigError, InputError
from data_gen.noise import NOISE_NAMES, NOISE_TYPES

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
ADDRESS_KINDS = ("current", "outdated", "junk", "detention")
JUNK_FORMS = ("failed_to_provide_zip", "unknown_address_zip", "unknown_address", "na_na")


def _f(default: Any, check: str, doc: str, **extra: Any) -> Any:
    """Declare a config field with its validation kind and documentation."""
    meta = {"check": check, "doc": doc, **extra}
    if isinstance(default, dict | list):
        return field(default_factory=lambda: json.loads(json.dumps(default)), metadata=meta)
    return field(default=default, metadata=meta)


@dataclass(frozen=True)
class WorldConfig:
    """Size, dates and geography of the synthetic world."""

    persons: int = _f(
        200_000,
        "count",
        "number of people in the world (whole households; last one truncated)",
        maximum=20000000,
    )
    n_zips: int = _f(
        120, "positive_int", "number of real ZIP codes the world occupies", maximum=30000
    )
    chunks: int = _f(
        1,
        "positive_int",
        "generate the world in this many chunks, one at a time, into partitioned Parquet (bounded "
        "memory for national-size worlds); each chunk is an independent world of 1/chunks of the "
        "people, ZIP codes and requests, its ZIP codes and SSN/ITINs disjoint from the others'; "
        "1: one world in memory",
        maximum=1000,
    )
    zip_selection_group: str = _f(
        "hispanic",
        "choice",
        "Census group whose share per ZCTA picks the ZIP codes (ITIN filers live where this group lives)",
        choices=ORIGINS,
    )
    reference_date: str = _f(
        "2025-06-27",
        "date",
        "date of the enforcement request file (facts.md: June 27, 2025 request)",
    )
    filing_date: str = _f(
        "2025-04-15",
        "date",
        "filing date of the latest tax return; the IRS holds the address as of this date",
    )


@dataclass(frozen=True)
class HousingConfig:
    """Housing stock: building types, tenure and occupancy."""

    occupancy: float = _f(
        0.92,
        "probability",
        "share of housing units occupied (assumption; ACS vacancy is about 10%)",
    )
    renter_share_noncitizen: float = _f(
        0.70, "probability", "renter share of households with a non-citizen adult (assumption)"
    )
    renter_share_citizen: float = _f(
        0.38, "probability", "renter share of other households (assumption; ACS about 35%)"
    )
    large_complex_share_of_renters: float = _f(
        0.45,
        "probability",
        "renters living in large complexes (50-300 units) rather than small multi-unit buildings (assumption)",
    )
    small_building_max_units: int = _f(
        9, "positive_int", "largest small multi-unit building (units)", maximum=49
    )
    large_complex_min_units: int = _f(
        50, "positive_int", "smallest large complex (units)", maximum=2000
    )
    large_complex_max_units: int = _f(
        300, "positive_int", "largest large complex (units)", maximum=2000
    )
    households_per_street: int = _f(
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

    type_shares: dict = _f(
        _TYPE_SHARES,
        "distributions",
        "household type shares by origin class (hispanic, api, other); assumption after ACS",
        choices=HOUSEHOLD_TYPES,
        keys=("hispanic", "api", "other"),
    )
    mean_extra_children: float = _f(
        0.9,
        "nonnegative",
        "children beyond the first in families with children: Poisson mean (assumption)",
        maximum=10,
    )
    second_given_name_share_hispanic: float = _f(
        0.45,
        "probability",
        "Hispanic people with two given names, e.g. Jose Luis (assumption; generators.md §4 row 6)",
    )
    middle_name_share_other: float = _f(
        0.60, "probability", "other people with a middle name (assumption)"
    )
    shared_surname_share: float = _f(
        0.75, "probability", "non-Hispanic spouses who share the head's surname (assumption)"
    )
    junior_share: float = _f(
        0.08, "probability", "sons given their father's first name (assumption)"
    )
    two_surnames_share_us_born: float = _f(
        0.25,
        "probability",
        "US-born Hispanic people whose legal name keeps both surnames (assumption; about 20% of Latino surnames are compound in US files, NC voter file via pseudopeople)",
    )
    single_parent_female_share: float = _f(
        0.80, "probability", "single-parent households headed by a woman (ACS: about 80%)"
    )
    native_spelling_share: float = _f(
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

    adult_status: dict = _f(
        _ADULT_STATUS,
        "distributions",
        "status shares among adults by origin (assumption after Pew 2023 and ACS)",
        choices=STATUSES,
        keys=ORIGINS,
    )
    spouse_same_status_share: float = _f(
        0.60, "probability", "spouses sharing the head's status (assumption)"
    )
    final_order_male_share: float = _f(
        0.80,
        "probability",
        "share of final orders among men when men and women are equally many (assumption: removals are overwhelmingly male)",
    )
    final_order_age65_multiplier: float = _f(
        0.25,
        "nonnegative",
        "final-order rate multiplier for people aged 65 and over (assumption)",
        maximum=10,
    )
    child_us_born_share: float = _f(
        0.82,
        "probability",
        "children of non-citizen parents who are US-born citizens (facts.md §3: MPI 79%, Urban/MPI 85%)",
    )
    final_order_rate: dict = _f(
        {"us_born": 0.0, "naturalized": 0.0, "lpr": 0.005, "temporary": 0.03, "undocumented": 0.20},
        "rates",
        "adults with a final removal order, by status (assumption; about 1.4M final orders among 11-14M unauthorized, raised so small worlds yield a request list)",
        keys=STATUSES,
    )


@dataclass(frozen=True)
class FilingConfig:
    """Who files a tax return and with which TIN."""

    filing_rate: dict = _f(
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
    joint_filing_share: float = _f(
        0.85, "probability", "filing couples who file jointly (assumption)"
    )
    dependent_claim_share: float = _f(
        0.90,
        "probability",
        "children claimed as dependents on a filing parent's return (assumption)",
    )
    temporary_ssn_share: float = _f(
        0.60, "probability", "temporary residents with a work-authorised SSN (assumption)"
    )
    itin_nonfiler_share: float = _f(
        0.30,
        "probability",
        "undocumented non-filers who still hold an ITIN from earlier filing (assumption; facts.md §2: 26M issued, 5.8M active)",
    )


@dataclass(frozen=True)
class MovesConfig:
    """Residential moves and address histories."""

    annual_move_rate_owner: float = _f(
        0.05,
        "probability",
        "yearly move rate of owners (assumption; facts.md: 9.3% of all people moved in 2020)",
    )
    annual_move_rate_renter: float = _f(
        0.16,
        "probability",
        "yearly move rate of renters (assumption; renters move about 3x as often)",
    )
    same_zip_share: float = _f(
        0.50,
        "probability",
        "moves within the same ZIP (assumption; 56-59% of moves stay in the county, CPS)",
    )
    max_previous_addresses: int = _f(
        3, "positive_int", "previous addresses kept per household", maximum=20
    )
    max_years_at_address: float = _f(
        15.0,
        "nonnegative",
        "longest stay drawn at one address, in years (assumption; keeps histories within a working life)",
        maximum=80,
    )


@dataclass(frozen=True)
class RequestConfig:
    """Composition of the enforcement request list."""

    count: int | None = _f(
        None,
        "count",
        "exact number of requests, multiplied by `scale` (facts.md: 1.28 million in the June 2025 "
        "file); when the world's final-order people who never filed are too few, the rest are "
        "people who left the area (persons with role 'absent'); unset: the largest list the "
        "final-order pool allows, times fraction_of_final_orders",
        maximum=20000000,
    )
    fraction_of_final_orders: float = _f(
        1.0,
        "probability",
        "share of the largest list the never-filed share allows that is drawn (people with final orders)",
    )
    never_filed_share: float = _f(
        0.50,
        "probability",
        "requests for people who never filed (assumption; calibrated in irs_ice_2025)",
    )
    tin_share: float = _f(
        0.30,
        "probability",
        "requests carrying an SSN or ITIN (assumption; facts.md: 'SSN/ITIN for some records')",
    )
    borrowed_tin_share: float = _f(
        0.15,
        "probability",
        "TIN-carrying requests whose number belongs to someone else (assumption)",
    )
    own_tin_filer_share: float | None = _f(
        None,
        "probability",
        "requests carrying their own TIN whose person filed a return (ITINs mostly come from "
        "filing); unset: any TIN holder, filer or not, equally (assumption)",
    )
    borrowed_from_household_share: float = _f(
        0.50,
        "probability",
        "borrowed numbers taken from a household member rather than a stranger (assumption)",
    )
    address_kinds: dict = _f(
        {"current": 0.62, "outdated": 0.30, "junk": 0.05, "detention": 0.03},
        "distribution",
        "where the request's address comes from (junk: facts.md, about 5% of disclosures rested on junk fields; rest assumption)",
        choices=ADDRESS_KINDS,
    )
    junk_forms: dict = _f(
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
    most_recent_previous_share: float = _f(
        0.70,
        "probability",
        "outdated addresses that are the last one before the current (else an older one)",
    )


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

    grid: dict = _f(
        {},
        "grid",
        "request settings to vary and their values (keys: never_filed_share, borrowed_tin_share, "
        "own_tin_filer_share, borrowed_from_household_share, current_address_share: the share of "
        "current addresses, the rest of current + outdated being outdated); empty: no calibration",
        keys=CALIBRATION_KEYS,
    )
    scale: float = _f(
        0.5,
        "probability",
        "size of each composition's world as a fraction of the run's (the compositions share one "
        "population)",
    )
    tolerance: float = _f(
        0.15,
        "probability",
        "largest relative distance from each published aggregate that counts as reproducing it",
    )


OPERATING_POINT_CHOICES = ("precision_0.95", "precision_0.99", "recall_0.90")


@dataclass(frozen=True)
class RunConfig:
    """Settings of ``itin-bench run`` (they do not change the generated world)."""

    strategies: list = _f(
        [],
        "names",
        "strategies to run (names from `itin-bench strategies`); empty: all of them",
    )
    replicates: int = _f(
        1,
        "positive_int",
        "worlds to evaluate (this seed plus derived ones) for means and 95% intervals",
        maximum=100,
    )
    operating_point: str = _f(
        "precision_0.99",
        "choice",
        "main operating point of scored strategies; rules are shown at their own decision",
        choices=OPERATING_POINT_CHOICES,
    )


def _default_rates(side: str) -> dict[str, float]:
    return {nt.name: nt.irs_rate if side == "irs" else nt.request_rate for nt in NOISE_TYPES}


@dataclass(frozen=True)
class NoiseConfig:
    """Noise rates per side; keys are noise-type names from ``data_gen.noise``.

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


@dataclass(frozen=True)
class Scenario:
    """A whole scenario: everything the generator needs besides the output folder."""

    name: str = _f("default", "name", "scenario name (used for output folders)")
    seed: int = _f(20250627, "count", "master seed; every random stream derives from it")
    scale: float = _f(
        1.0,
        "nonnegative",
        "size factor applied when the world is generated: multiplies world.persons, world.n_zips "
        "and requests.count (the density of people per ZIP code stays the same)",
        maximum=100,
    )
    world: WorldConfig = field(default_factory=WorldConfig)
    housing: HousingConfig = field(default_factory=HousingConfig)
    households: HouseholdConfig = field(default_factory=HouseholdConfig)
    status: StatusConfig = field(default_factory=StatusConfig)
    filing: FilingConfig = field(default_factory=FilingConfig)
    moves: MovesConfig = field(default_factory=MovesConfig)
    requests: RequestConfig = field(default_factory=RequestConfig)
    noise: NoiseConfig = field(default_factory=NoiseConfig)
    run: RunConfig = field(default_factory=RunConfig)
    calibration: CalibrationConfig = field(default_factory=CalibrationConfig)

    def scaled(self) -> "Scenario":
        """Return the scenario as generated: sizes multiplied by ``scale``, which becomes 1.

        Examples
        --------
        >>> s = Scenario().with_overrides(scale=0.5, requests={"count": 1000}).scaled()
        >>> (s.scale, s.world.persons, s.world.n_zips, s.requests.count)
        (1.0, 100000, 60, 500)
        """
        if self.scale == 1.0:
            return self
        w, rc = self.world, self.requests
        requests = {} if rc.count is None else {"count": max(1, round(rc.count * self.scale))}
        return self.with_overrides(
            scale=1.0,
            world={
                "persons": max(1, round(w.persons * self.scale)),
                "n_zips": max(1, round(w.n_zips * self.scale)),
            },
            requests=requests,
        )

    def at_scale(self, scale: float | None) -> "Scenario":
        """Return a copy with ``scale`` replaced (unchanged for None), as ``--scale`` asks.

        Raises
        ------
        ConfigError
            If ``scale`` is not greater than 0 and at most 100.
        """
        if scale is None:
            return self
        if not 0 < scale <= 100:
            raise ConfigError(f"--scale {scale}: must be greater than 0 and at most 100")
        return self.with_overrides(scale=scale)

    def to_dict(self) -> dict:
        """Return the resolved scenario as plain data (every setting filled in)."""
        return dataclasses.asdict(self)

    def config_hash(self) -> str:
        """Return a SHA-256 hex digest of the resolved scenario."""
        blob = json.dumps(self.to_dict(), sort_keys=True).encode("utf-8")
        return hashlib.sha256(blob).hexdigest()

    def with_overrides(self, **sections: Any) -> "Scenario":
        """Return a validated copy with some settings replaced.

        Tables merge into their section (``world={"persons": 10}``); scalars
        replace (``seed=3``).
        """
        data = _to_plain(self)
        for section, values in sections.items():
            if isinstance(values, Mapping):
                data.setdefault(section, {}).update(values)
            else:
                data[section] = values
        return _build(Scenario, data, "", "<overrides>")


def resolved_noise_rates(scenario: Scenario, side: str) -> dict[str, float]:
    """Return every registered noise type's rate on ``side`` ("irs" or "requests")."""
    return dict(getattr(scenario.noise, side))


def _to_plain(obj: Any) -> Any:
    if dataclasses.is_dataclass(obj):
        return {f.name: _to_plain(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, dict):
        return {k: _to_plain(v) for k, v in obj.items()}
    return obj


def _fail(source: str, key: str, problem: str) -> ConfigError:
    return ConfigError(f"{source}: {key}: {problem}")


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _check_probability(value: Any, key: str, source: str) -> float:
    if not _is_number(value):
        raise _fail(source, key, f"expected a number in [0, 1], got {value!r}")
    if not 0.0 <= value <= 1.0:
        raise _fail(source, key, f"probability {value!r} is outside [0, 1]")
    return float(value)


def _check_distribution(value: Any, key: str, source: str, choices: tuple) -> dict:
    if not isinstance(value, Mapping):
        raise _fail(source, key, "expected a table of shares")
    out = {}
    for name, share in value.items():
        if name not in choices:
            raise _fail(
                source, f"{key}.{name}", f"unknown key (expected one of {', '.join(choices)})"
            )
        out[name] = _check_probability(share, f"{key}.{name}", source)
    total = sum(out.values())
    if abs(total - 1.0) > 1e-6:
        raise _fail(source, key, f"shares sum to {total:.6g}, not 1")
    return {c: out.get(c, 0.0) for c in choices}


def _check_grid(value: Any, key: str, source: str, keys: tuple) -> dict[str, list[float]]:
    if not isinstance(value, Mapping):
        raise _fail(source, key, "expected a table of lists")
    out: dict[str, list[float]] = {}
    for name, values in value.items():
        if name not in keys:
            raise _fail(source, f"{key}.{name}", f"unknown key (expected one of {', '.join(keys)})")
        if not isinstance(values, list) or not values:
            raise _fail(source, f"{key}.{name}", "expected a non-empty list of values")
        out[name] = [
            _check_probability(v, f"{key}.{name}[{i}]", source) for i, v in enumerate(values)
        ]
        if len(set(out[name])) != len(out[name]):
            raise _fail(source, f"{key}.{name}", "lists a value twice")
    return out


def _check_maximum(f: dataclasses.Field, value: float, key: str, source: str) -> None:
    maximum = f.metadata.get("maximum")
    if maximum is not None and value > maximum:
        raise _fail(source, key, f"{value} is larger than the supported maximum {maximum:,}")


def _check_value(f: dataclasses.Field, value: Any, key: str, source: str, default: Any) -> Any:
    check = f.metadata["check"]
    if value is None and default is None:
        return None  # an optional setting left unset (TOML cannot say null; manifests can)
    if check == "probability":
        return _check_probability(value, key, source)
    if check in ("count", "positive_int"):
        if not isinstance(value, int) or isinstance(value, bool):
            raise _fail(source, key, f"expected a whole number, got {value!r}")
        if value < 0:
            raise _fail(source, key, f"size {value} is negative")
        if check == "positive_int" and value == 0:
            raise _fail(source, key, "must be at least 1")
        _check_maximum(f, value, key, source)
        return value
    if check == "nonnegative":
        if not _is_number(value):
            raise _fail(source, key, f"expected a number, got {value!r}")
        if value < 0:
            raise _fail(source, key, f"value {value} is negative")
        _check_maximum(f, value, key, source)
        return float(value)
    if check == "date":
        if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            raise _fail(source, key, f"{value!r} is not a date (YYYY-MM-DD)")
        try:
            day = dt.date.fromisoformat(value)
        except ValueError:
            raise _fail(source, key, f"{value!r} is not a date (YYYY-MM-DD)") from None
        if not 1990 <= day.year <= 2100:
            raise _fail(source, key, f"{value} is outside the supported years 1990-2100")
        return value
    if check == "choice":
        if value not in f.metadata["choices"]:
            raise _fail(source, key, f"{value!r} is not one of {', '.join(f.metadata['choices'])}")
        return value
    if check == "name":
        if (
            not isinstance(value, str)
            or not value
            or not value.replace("_", "").replace("-", "").isalnum()
        ):
            raise _fail(
                source, key, f"{value!r} must be a non-empty name of letters, digits, - and _"
            )
        return value
    if check == "names":
        if not isinstance(value, list) or not all(
            isinstance(v, str)
            and v
            and v.replace("_", "").replace(".", "").replace(":", "").isalnum()
            for v in value
        ):
            raise _fail(source, key, f"expected a list of names, got {value!r}")
        if len(set(value)) != len(value):
            raise _fail(source, key, "names a strategy twice")
        return list(value)
    if check == "grid":
        return _check_grid(value, key, source, f.metadata["keys"])
    if check == "distribution":
        return _check_distribution(value, key, source, f.metadata["choices"])
    if check == "distributions":
        if not isinstance(value, Mapping):
            raise _fail(source, key, "expected a table of tables")
        out = dict(default)
        for group, dist in value.items():
            if group not in f.metadata["keys"]:
                raise _fail(
                    source,
                    f"{key}.{group}",
                    f"unknown key (expected one of {', '.join(f.metadata['keys'])})",
                )
            out[group] = _check_distribution(dist, f"{key}.{group}", source, f.metadata["choices"])
        return out
    if check == "rates":
        if not isinstance(value, Mapping):
            raise _fail(source, key, "expected a table of rates")
        out = dict(default)
        for name, rate in value.items():
            if name not in f.metadata["keys"]:
                raise _fail(
                    source,
                    f"{key}.{name}",
                    f"unknown key (expected one of {', '.join(f.metadata['keys'])})",
                )
            out[name] = _check_probability(rate, f"{key}.{name}", source)
        return out
    if check == "noise_rates":
        if not isinstance(value, Mapping):
            raise _fail(source, key, "expected a table of noise rates")
        out = dict(default)
        for name, rate in value.items():
            if name not in NOISE_NAMES:
                raise _fail(
                    source,
                    f"{key}.{name}",
                    "unknown noise type (see `itin-bench generate --list-noise`)",
                )
            out[name] = _check_probability(rate, f"{key}.{name}", source)
        return out
    raise AssertionError(f"unknown check {check}")  # pragma: no cover


def _build(cls: type, data: Any, prefix: str, source: str) -> Any:
    if not isinstance(data, Mapping):
        raise _fail(source, prefix.rstrip(".") or "<top>", "expected a table")
    fields = {f.name: f for f in dataclasses.fields(cls)}
    for key in data:
        if key not in fields:
            raise _fail(source, f"{prefix}{key}", "unknown key")
    kwargs = {}
    defaults = cls()
    for name, f in fields.items():
        if name not in data:
            continue
        key = f"{prefix}{name}"
        if dataclasses.is_dataclass(f.type) or (
            isinstance(f.type, str) and f.type.endswith("Config")
        ):
            sub_cls = type(getattr(defaults, name))
            kwargs[name] = _build(sub_cls, data[name], f"{key}.", source)
        else:
            kwargs[name] = _check_value(f, data[name], key, source, getattr(defaults, name))
    obj = cls(**kwargs)
    _check_cross_field(obj, prefix, source)
    return obj


def _check_cross_field(obj: Any, prefix: str, source: str) -> None:
    if isinstance(obj, HousingConfig):
        if obj.occupancy <= 0:
            raise _fail(source, f"{prefix}occupancy", "must be greater than 0")
        if obj.large_complex_min_units > obj.large_complex_max_units:
            raise _fail(
                source, f"{prefix}large_complex_min_units", "is larger than large_complex_max_units"
            )
        if obj.small_building_max_units < 2:
            raise _fail(source, f"{prefix}small_building_max_units", "must be at least 2")
    if isinstance(obj, Scenario) and obj.scale <= 0:
        raise _fail(source, f"{prefix}scale", "must be greater than 0")
    if isinstance(obj, WorldConfig):
        if obj.filing_date > obj.reference_date:
            raise _fail(source, f"{prefix}filing_date", "is after reference_date")


def scenario_from_dict(data: Mapping[str, Any], source: str = "<dict>") -> Scenario:
    """Build and validate a :class:`Scenario` from plain data.

    Parameters
    ----------
    data : mapping
        Nested tables as read from TOML; missing keys take the defaults.
    source : str
        Name used in error messages (usually the file path).

    Raises
    ------
    ConfigError
        On an unknown key, a value of the wrong kind, a probability outside
        [0, 1], a negative size or shares that do not sum to one.
    """
    return _build(Scenario, data, "", source)


def load_scenario(path: str | Path) -> Scenario:
    """Load and validate a scenario TOML file.

    Parameters
    ----------
    path : str or Path
        The scenario file.

    Returns
    -------
    Scenario
        The validated scenario with defaults filled in.

    Raises
    ------
    ConfigError
        If the file is missing, is not valid TOML or fails validation.
    """
    return scenario_from_dict(read_toml(path, "config"), str(path))


# no scenario or mapping is near this size; a larger file is not one
MAX_TOML_BYTES = 16 << 20


def read_toml(path: str | Path, kind: str, error: type[InputError] = ConfigError) -> dict:
    """Read a UTF-8 TOML file; ``kind`` names it in errors ("config", "mapping").

    Raises
    ------
    InputError
        ``error``, with one line, if the file is missing, a folder, unreadable, larger
        than :data:`MAX_TOML_BYTES`, not UTF-8, not TOML or nested too deeply to parse.
    """
    path = Path(path)
    try:
        with path.open("rb") as f:
            raw = f.read(MAX_TOML_BYTES + 1)
    except FileNotFoundError:
        raise error(f"{path}: {kind} file not found") from None
    except IsADirectoryError:
        raise error(f"{path}: is a directory, not a {kind} file") from None
    except OSError as exc:
        raise error(f"{path}: cannot read the {kind} file ({exc.strerror or exc})") from None
    if len(raw) > MAX_TOML_BYTES:
        raise error(f"{path}: {kind} file larger than {MAX_TOML_BYTES >> 20} MB")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise error(f"{path}: {kind} file is not UTF-8 text") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise error(f"{path}: not valid TOML ({exc})") from None
    except RecursionError:
        # tomllib parses nested arrays and inline tables recursively
        raise error(f"{path}: not valid TOML (arrays or tables nested too deeply)") from None
