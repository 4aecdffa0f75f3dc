"""Which requests carry an SSN or ITIN, and whose number it is.

A fixed share of carriers (:func:`tins`), or a nested order of carriers whose
share is chosen later (:func:`nested_tins`, for the 2025 calibration).
Borrowed numbers are a household member's or a stranger's (:func:`_lenders`).
Counts are allocated exactly (:func:`exact_counts`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from data_gen.config import Scenario
from data_gen.errors import ConfigError


def exact_counts(n: int, shares: dict[str, float]) -> dict[str, int]:
    """Split ``n`` into integer counts proportional to ``shares`` (largest remainder).

    Examples
    --------
    >>> exact_counts(10, {"a": 0.55, "b": 0.45})
    {'a': 6, 'b': 4}
    """
    raw = {k: n * v for k, v in shares.items()}
    counts = {k: int(np.floor(v)) for k, v in raw.items()}
    rest = n - sum(counts.values())
    for k in sorted(raw, key=lambda k: (-(raw[k] - counts[k]), k))[:rest]:
        counts[k] += 1
    return counts


def tins(
    scenario: Scenario, rng: np.random.Generator, p: pd.DataFrame, persons: pd.DataFrame
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rc = scenario.requests
    n = len(p)
    n_tin = exact_counts(n, {"tin": rc.tin_share, "none": 1 - rc.tin_share})["tin"]
    n_borrowed = exact_counts(n_tin, {"b": rc.borrowed_tin_share, "o": 1 - rc.borrowed_tin_share})[
        "b"
    ]
    n_own = n_tin - n_borrowed
    own_tin = np.where(p["itin"].notna(), p["itin"], p["ssn"]).astype(object)
    has_own = p["itin"].notna().to_numpy() | p["ssn"].notna().to_numpy()
    eligible = np.flatnonzero(has_own)
    if len(eligible) < n_own:
        raise ConfigError(
            f"requests.tin_share: {rc.tin_share} × (1 - borrowed_tin_share) needs {n_own} requested people "
            f"holding a TIN, but only {len(eligible)} of {n} do"
        )
    if rc.own_tin_filer_share is None:
        own_idx = rng.choice(eligible, size=n_own, replace=False)
    else:
        own_idx = _own_tin_people(rng, p, eligible, n_own, rc.own_tin_filer_share)
    rest = np.setdiff1d(np.arange(n), own_idx)
    borrow_idx = rng.choice(rest, size=n_borrowed, replace=False)
    source = np.full(n, "none", dtype=object)
    source[own_idx] = "own"
    source[borrow_idx] = "borrowed"
    tin = np.full(n, None, dtype=object)
    tin[own_idx] = own_tin[own_idx]
    owner = np.full(n, -1, dtype=np.int64)
    owner[own_idx] = p["person_id"].to_numpy()[own_idx]
    tin[borrow_idx], owner[borrow_idx] = _lenders(
        rng, p, persons, borrow_idx, rc.borrowed_from_household_share
    )
    return source, tin, owner


def _lenders(
    rng: np.random.Generator,
    p: pd.DataFrame,
    persons: pd.DataFrame,
    borrow_idx: np.ndarray,
    household_share: float,
) -> tuple[np.ndarray, np.ndarray]:
    """The borrowed number of each request in ``borrow_idx`` and whose it is.

    A household member's number (with probability ``household_share``, when
    a member holds one), else a stranger's SSN.
    """
    n_borrowed = len(borrow_idx)
    tin = np.full(n_borrowed, None, dtype=object)
    owner = np.full(n_borrowed, -1, dtype=np.int64)
    all_tin = np.where(persons["ssn"].notna(), persons["ssn"], persons["itin"]).astype(object)
    has_tin = persons["ssn"].notna().to_numpy() | persons["itin"].notna().to_numpy()
    hid = persons["household_id"].to_numpy()
    # strangers' numbers come from adults (bought or borrowed from a working adult)
    ssn_holders = np.flatnonzero(
        persons["ssn"].notna().to_numpy() & (persons["age"] >= 18).to_numpy()
    )
    hh_start = np.searchsorted(hid, p["household_id"].to_numpy()[borrow_idx], side="left")
    hh_end = np.searchsorted(hid, p["household_id"].to_numpy()[borrow_idx], side="right")
    from_household = rng.random(n_borrowed) < household_share
    for j, i in enumerate(borrow_idx):
        me = int(p["person_id"].iat[i])
        members = [m for m in range(hh_start[j], hh_end[j]) if m != me and has_tin[m]]
        if from_household[j] and members:
            lender = members[int(rng.integers(len(members)))]
        else:
            lender = int(ssn_holders[rng.integers(len(ssn_holders))])
            while lender == me:
                lender = int(ssn_holders[rng.integers(len(ssn_holders))])
        tin[j] = all_tin[lender]
        owner[j] = lender
    return tin, owner


def nested_tins(
    scenario: Scenario, rng: np.random.Generator, p: pd.DataFrame, persons: pd.DataFrame
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """TINs for a list whose TIN share is chosen later: a nested order of carriers.

    Requests are ranked so that the first ``k`` carry a TIN, for every ``k``
    up to ``requests.tin_share`` times the list (or until a pool runs out),
    with own-number filers, own-number non-filers and borrowed numbers in the
    configured proportions at every prefix (within one request).  Returns
    source, tin, owner and rank (-1 for requests that never carry one).
    """
    rc = scenario.requests
    n = len(p)
    cap = exact_counts(n, {"tin": rc.tin_share, "none": 1 - rc.tin_share})["tin"]
    has_own = p["itin"].notna().to_numpy() | p["ssn"].notna().to_numpy()
    filed = p["is_filer"].to_numpy(dtype=bool)
    f = rc.own_tin_filer_share
    if f is None:
        f = float(filed[has_own].mean()) if has_own.any() else 0.0
    b = rc.borrowed_tin_share
    shares = {"own_filed": (1 - b) * f, "own_not": (1 - b) * (1 - f), "borrowed": b}
    pools = {
        "own_filed": rng.permutation(np.flatnonzero(has_own & filed)),
        "own_not": rng.permutation(np.flatnonzero(has_own & ~filed)),
        "borrowed": rng.permutation(n),
    }
    taken = np.zeros(n, dtype=bool)
    rank = np.full(n, -1, dtype=np.int64)
    kind = np.full(n, None, dtype=object)
    counts = dict.fromkeys(shares, 0)
    cursor = dict.fromkeys(shares, 0)
    for j in range(cap):
        c = max((k for k in shares if shares[k] > 0), key=lambda k: shares[k] * (j + 1) - counts[k])
        pool = pools[c]
        while cursor[c] < len(pool) and taken[pool[cursor[c]]]:
            cursor[c] += 1
        if cursor[c] == len(pool):
            break
        i = pool[cursor[c]]
        taken[i], rank[i], kind[i] = True, j, c
        counts[c] += 1
    own = np.flatnonzero((kind == "own_filed") | (kind == "own_not"))
    borrow_idx = np.flatnonzero(kind == "borrowed")
    source = np.full(n, "none", dtype=object)
    source[own] = "own"
    source[borrow_idx] = "borrowed"
    tin = np.full(n, None, dtype=object)
    tin[own] = np.where(p["itin"].notna(), p["itin"], p["ssn"]).astype(object)[own]
    owner = np.full(n, -1, dtype=np.int64)
    owner[own] = p["person_id"].to_numpy()[own]
    tin[borrow_idx], owner[borrow_idx] = _lenders(
        rng, p, persons, borrow_idx, rc.borrowed_from_household_share
    )
    return source, tin, owner, rank


def _own_tin_people(
    rng: np.random.Generator, p: pd.DataFrame, eligible: np.ndarray, n_own: int, filer_share: float
) -> np.ndarray:
    """Pick the requests that carry their own TIN, an exact share of them people who filed."""
    filed = p["is_filer"].to_numpy()[eligible]
    counts = exact_counts(n_own, {"filed": filer_share, "not": 1 - filer_share})
    pools = {"filed": eligible[filed], "not": eligible[~filed]}
    for kind, pool in pools.items():
        if len(pool) < counts[kind]:
            raise ConfigError(
                f"requests.own_tin_filer_share: {filer_share} needs {counts[kind]} requested "
                f"TIN holders who {'filed' if kind == 'filed' else 'never filed'}, but only "
                f"{len(pool)} are in the list"
            )
    return np.concatenate(
        [rng.choice(pool, size=counts[kind], replace=False) for kind, pool in pools.items()]
    )
