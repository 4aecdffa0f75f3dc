"""Text utilities shared by the generator's noise and the strategies' normalisation.

One home for three things both sides need to agree on: accent folding, the USPS
street-word tables, and applying a function once per distinct value.  Names,
streets and ZIP codes repeat a lot (a national table has millions of cells but
tens of thousands of distinct values), so every helper here works on the
distinct values and maps the results back.
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Callable

import numpy as np
import pandas as pd

# USPS Publication 28 standard abbreviations for the forms the generator writes.
STREET_TYPES = {
    "STREET": "ST",
    "AVENUE": "AVE",
    "BOULEVARD": "BLVD",
    "DRIVE": "DR",
    "ROAD": "RD",
    "LANE": "LN",
    "COURT": "CT",
    "PLACE": "PL",
    "WAY": "WAY",
    "CIRCLE": "CIR",
    "TERRACE": "TER",
    "PARKWAY": "PKWY",
    "HIGHWAY": "HWY",
    "TRAIL": "TRL",
}
DIRECTIONALS = {"NORTH": "N", "SOUTH": "S", "EAST": "E", "WEST": "W"}


def fold_accents(text: str) -> str:
    """Return ``text`` without diacritics.

    Parameters
    ----------
    text : str
        Any text.

    Returns
    -------
    str
        ``text`` with combining marks removed after NFKD decomposition; the
        Vietnamese Đ (which does not decompose) becomes D.

    Examples
    --------
    >>> fold_accents("Muñoz"), fold_accents("Nguyễn"), fold_accents("ĐẶNG")
    ('Munoz', 'Nguyen', 'DANG')
    """
    if text.isascii():  # most names: nothing to fold, and NFKD leaves ASCII as it is
        return text
    text = text.replace("Đ", "D").replace("đ", "d")
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _factorize(values: object) -> tuple[np.ndarray, np.ndarray]:
    """Codes of each cell (-1 for a missing one) and the distinct values, as objects."""
    codes, uniques = pd.factorize(np.asarray(values, dtype=object), use_na_sentinel=True)
    return codes, np.asarray(uniques, dtype=object)


def each_distinct(fn: Callable[[str], str], values: np.ndarray) -> np.ndarray:
    """Apply ``fn`` to each cell, computing it once per distinct value.

    Parameters
    ----------
    fn : callable
        ``fn(value) -> value``, called once for every distinct non-missing value.
    values : array-like
        1-D cells; missing ones (None, NaN) are not passed to ``fn``.

    Returns
    -------
    numpy.ndarray
        Object array of ``fn`` of each cell; missing cells stay None.

    Examples
    --------
    >>> each_distinct(str.lower, np.array(["A", None, "A"], dtype=object)).tolist()
    ['a', None, 'a']
    """
    codes, uniques = _factorize(values)
    done = np.array([fn(v) for v in uniques] + [None], dtype=object)
    return done[codes]


def mask_each_distinct(pred: Callable[[str], bool], values: np.ndarray) -> np.ndarray:
    """Evaluate ``pred`` on each string cell, once per distinct value.

    Parameters
    ----------
    pred : callable
        ``pred(text) -> bool``, called once for every distinct string.
    values : array-like
        1-D cells.

    Returns
    -------
    numpy.ndarray
        Boolean mask: ``pred`` of each string cell, False for any other cell.

    Examples
    --------
    >>> mask_each_distinct(str.isdigit, np.array(["12", "A", None], dtype=object)).tolist()
    [True, False, False]
    """
    codes, uniques = _factorize(values)
    done = np.fromiter((isinstance(v, str) and pred(v) for v in uniques), bool, len(uniques))
    return np.append(done, False)[codes]


def per_distinct(fn: Callable[[pd.Series], pd.Series]) -> Callable[[pd.Series], pd.Series]:
    """Make a Series-to-Series function run on the distinct non-missing values only.

    Parameters
    ----------
    fn : callable
        ``fn(series) -> series`` of the same length, vectorised over values.

    Returns
    -------
    callable
        ``wrapper(values) -> Series`` (object dtype, index of ``values``): ``fn``
        of each value, computed once per distinct value, so equal values share
        one result object.  Missing values stay missing (None) without being
        passed to ``fn``.

    Examples
    --------
    >>> upper = per_distinct(lambda s: s.str.upper())
    >>> upper(pd.Series(["a", None, "a"])).tolist()
    ['A', None, 'A']
    """

    @functools.wraps(fn)
    def wrapper(values: pd.Series) -> pd.Series:
        values = pd.Series(values)
        codes, uniques = _factorize(values.astype(object))
        done = fn(pd.Series(uniques)).to_numpy(dtype=object)
        # a trailing None stands for the missing values (code -1)
        done = np.append(done, np.array([None], dtype=object))
        return pd.Series(done[codes], index=values.index, dtype=object)

    return wrapper


def fold_accents_each(values: np.ndarray) -> np.ndarray:
    """:func:`fold_accents` of each cell (once per distinct value); missing cells stay None.

    Examples
    --------
    >>> fold_accents_each(np.array(["PEÑA", None], dtype=object)).tolist()
    ['PENA', None]
    """
    return each_distinct(fold_accents, values)


def has_text(values: np.ndarray) -> np.ndarray:
    """Boolean mask of cells holding a non-empty string.

    Examples
    --------
    >>> has_text(np.array(["A", "", None, 3], dtype=object)).tolist()
    [True, False, False, False]
    """
    return np.fromiter((isinstance(v, str) and v != "" for v in values), bool, len(values))
