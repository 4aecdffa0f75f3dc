"""Tax filing and identification numbers: who files a return, who is claimed as a
dependent, who holds an SSN or an ITIN, and (drawn with them) final removal orders.

Persons come from :mod:`data_gen.population`, members of a household stored in
a fixed order (head, spouse, children ...), so a spouse is the row after the
head.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from data_gen.config import Scenario
from data_gen.config_world import STATUSES
from data_gen.errors import ConfigError
from data_gen.population import CHILD, NONE, ROLES, SPOUSE, S
from data_gen.rng import substream


def assign_tins_and_filing(
    scenario: Scenario, persons: pd.DataFrame, tin_part: tuple[int, int] = (0, 1)
) -> pd.DataFrame:
    """Decide who files, who is a dependent, and give out SSNs and ITINs.

    Adds columns ssn, itin, is_filer, filing_role (primary/spouse/None),
    return_head (person_id of the return's primary filer), is_dependent and
    has_final_order.  ``tin_part = (c, k)`` draws numbers only from part ``c``
    of ``k`` disjoint parts of the number space (chunks of one world).
    """
    seed, fc = scenario.seed, scenario.filing
    rng = substream(seed, "persons", "filing")
    n = len(persons)
    role = pd.Categorical(persons["role"], categories=ROLES).codes
    status = pd.Categorical(persons["status"], categories=STATUSES).codes
    age = persons["age"].to_numpy()
    hid = persons["household_id"].to_numpy()
    size_start = np.r_[0, np.flatnonzero(hid[1:] != hid[:-1]) + 1]
    head = np.repeat(size_start, np.diff(np.r_[size_start, n]))
    has_spouse = np.zeros(n, dtype=bool)
    spouse_rows = np.flatnonzero(role == SPOUSE)
    has_spouse[spouse_rows - 1] = True  # spouse directly follows the head
    spouse_of_head = np.where(has_spouse[head], head + 1, -1)

    rate = np.array([fc.filing_rate[s] for s in STATUSES])[status]
    adult = age >= 18
    files_own = adult & (rng.random(n) < rate)
    head_files = files_own[head]
    joint = (role == SPOUSE) & head_files & (rng.random(n) < fc.joint_filing_share)
    primary = files_own & ~joint
    is_filer = primary | joint
    filing_role = np.where(primary, "primary", np.where(joint, "spouse", NONE)).astype(object)
    return_head = np.where(primary, persons["person_id"].to_numpy(), np.where(joint, head, -1))

    # dependents: children claimed by the head if the head files, else by a spouse filing alone
    spouse_alone = np.where(spouse_of_head >= 0, primary[np.maximum(spouse_of_head, 0)], False)
    claimer = np.where(head_files, head, np.where(spouse_alone, spouse_of_head, -1))
    is_dependent = (role == CHILD) & (claimer >= 0) & (rng.random(n) < fc.dependent_claim_share)
    dep_return_head = np.where(is_dependent, claimer, -1)

    # TINs: SSN for citizens, LPRs and most temporary residents; ITIN for those who
    # file or are claimed without an SSN, and for some undocumented non-filers.
    has_ssn = np.isin(status, [S["us_born"], S["naturalized"], S["lpr"]]) | (
        (status == S["temporary"]) & (rng.random(n) < fc.temporary_ssn_share)
    )
    needs_itin = ~has_ssn & (is_filer | is_dependent)
    keeps_itin = (
        (status == S["undocumented"]) & adult & ~is_filer & (rng.random(n) < fc.itin_nonfiler_share)
    )
    has_itin = needs_itin | keeps_itin
    ssn = np.full(n, None, dtype=object)
    ssn[has_ssn] = _numbers(
        substream(seed, "persons", "ssn"), int(has_ssn.sum()), kind="ssn", part=tin_part
    )
    itin = np.full(n, None, dtype=object)
    itin[has_itin] = _numbers(
        substream(seed, "persons", "itin"), int(has_itin.sum()), kind="itin", part=tin_part
    )

    has_final_order = _final_orders(scenario, status, (persons["sex"] == "M").to_numpy(), age)

    out = persons.copy()
    out["ssn"] = ssn
    out["itin"] = itin
    out["is_filer"] = is_filer
    out["filing_role"] = filing_role
    out["return_head"] = return_head
    out["is_dependent"] = is_dependent
    out["dependent_of"] = dep_return_head
    out["has_final_order"] = has_final_order
    return out


def _final_orders(
    scenario: Scenario, status: np.ndarray, male: np.ndarray, age: np.ndarray
) -> np.ndarray:
    """Draw who has a final removal order: adults, by status, more often men, seldom the old."""
    st = scenario.status
    fo_rate = np.array([st.final_order_rate[s] for s in STATUSES])[status]
    # removals are mostly male: the male share applies when men and women are equally many
    fo_rate = fo_rate * np.where(
        male, 2 * st.final_order_male_share, 2 * (1 - st.final_order_male_share)
    )
    fo_rate = fo_rate * np.where(age >= 65, st.final_order_age65_multiplier, 1.0)
    fo_rate = np.minimum(fo_rate, 1.0)
    draws = substream(scenario.seed, "persons", "final_order").random(len(status))
    return (age >= 18) & (draws < fo_rate)


def _numbers(
    rng: np.random.Generator, n: int, *, kind: str, part: tuple[int, int] = (0, 1)
) -> np.ndarray:
    """``n`` distinct 9-digit SSNs (area 001-899 except 666) or ITINs (9XX, groups 50-65/70-88/90-92/94-99).

    With ``part = (c, k)`` the 4-digit serial is one of those with
    ``(serial - 1) % k == c``, so the ``k`` parts never share a number.

    Raises
    ------
    ConfigError
        If more numbers are needed than the (part of the) number space holds.
    """
    groups = np.r_[50:66, 70:89, 90:93, 94:100]
    c, k = part
    serials = len(range(1 + c, 10_000, k))
    space = (898 * 99 if kind == "ssn" else 100 * len(groups)) * serials
    if n > space // 2:
        raise ConfigError(
            f"world.persons: the world needs {n:,} {kind.upper()}s, more than its number space allows"
        )
    found = np.zeros(0, dtype=np.int64)
    while len(found) < n:
        m = int((n - len(found)) * 1.1) + 100
        if kind == "ssn":
            area = rng.integers(1, 900, size=m)
            area = np.where(area == 666, 667, area)
            middle = rng.integers(1, 100, size=m)
        else:
            area = rng.integers(900, 1000, size=m)
            middle = groups[rng.integers(len(groups), size=m)]
        if k == 1:
            serial = rng.integers(1, 10_000, size=m)
        else:
            serial = 1 + c + k * rng.integers(0, serials, size=m)
        found = pd.unique(np.concatenate([found, area * 1_000_000 + middle * 10_000 + serial]))
    return np.char.zfill(found[:n].astype(str), 9).astype(object)
