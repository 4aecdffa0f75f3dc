"""Date-of-birth noise: swapped day and month, a year off, placeholders, blanks.

Each function has the registry's signature ``fn(values, rng) -> values`` over a
1-D ``datetime64[D]`` array and changes every date it is given; the predicate
next to each says which dates it can change.
"""

from __future__ import annotations

import numpy as np


def _ymd(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    years = values.astype("datetime64[Y]").astype(int) + 1970
    months = values.astype("datetime64[M]").astype(int) % 12 + 1
    days = (values - values.astype("datetime64[M]")).astype(int) + 1
    return years, months, days


def _from_ymd(years: np.ndarray, months: np.ndarray, days: np.ndarray) -> np.ndarray:
    base = (years - 1970).astype("datetime64[Y]").astype("datetime64[M]") + (months - 1)
    return base.astype("datetime64[D]") + (days - 1)


def dob_day_month_swap(values: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Read a DD/MM date as MM/DD (only dates with day ≤ 12 and day ≠ month are eligible)."""
    y, m, d = _ymd(values)
    return _from_ymd(y, d, m)


def swap_dob_eligible(values: np.ndarray) -> np.ndarray:
    """Dates whose day could be read as a month other than their own (day ≤ 12, day ≠ month)."""
    ok = ~np.isnat(values)
    _, m, d = _ymd(np.where(ok, values, np.datetime64("2000-01-01")))
    return ok & (d <= 12) & (d != m)


def dob_year_off_by_one(values: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Shift the birth year by one in either direction (29 February becomes 28 February)."""
    y, m, d = _ymd(values)
    y = y + rng.choice([-1, 1], size=len(values))
    leap = (y % 4 == 0) & ((y % 100 != 0) | (y % 400 == 0))
    d = np.where((m == 2) & (d == 29) & ~leap, 28, d)
    return _from_ymd(y, m, d)


def dob_placeholder(values: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Replace the date by the placeholder 1 January of the same year."""
    return values.astype("datetime64[Y]").astype("datetime64[D]")


def not_jan1(values: np.ndarray) -> np.ndarray:
    """Dates other than 1 January."""
    ok = ~np.isnat(values)
    return ok & (values != values.astype("datetime64[Y]").astype("datetime64[D]"))


def dob_missing(values: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Blank the date of birth."""
    return np.full(len(values), np.datetime64("NaT"), dtype="datetime64[D]")


def has_date(values: np.ndarray) -> np.ndarray:
    """Cells holding a date (not NaT)."""
    return ~np.isnat(values)
