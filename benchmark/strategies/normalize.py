"""Normalisation shared by every matching strategy, in one place.

Names: upper case, accents folded, punctuation removed, hyphenated compound
surnames split into words.  Streets: USPS abbreviations for street types and
directionals.  Units: the designator word dropped ("APT 4", "#4", "UNIT 4" →
"4").  The IRS "name control" is the first four letters of the normalised last
name.  All functions are vectorised over pandas Series and keep missing values
missing.

Each function normalises every distinct value once and maps the result back
(:func:`data_gen.text.per_distinct`, re-exported here for the strategies): a
national table repeats the same names, streets and ZIP codes millions of times,
and the repeated results share one string object.
"""

from __future__ import annotations

import re

import pandas as pd

# one home for the text rules the generator's noise also uses, so that a
# normaliser undoes exactly the forms the noise writes
from data_gen.text import DIRECTIONALS, STREET_TYPES, fold_accents, per_distinct

_NON_ALNUM = re.compile(r"[^A-Z0-9 ]+")
_SPACES = re.compile(r"\s+")
_ZIP_TOKEN = re.compile(r"(?<![0-9])[0-9]{5}(?:-?[0-9]{4})?(?![0-9])")
_UNIT_WORDS = re.compile(r"^(?:APT|APARTMENT|UNIT|STE|SUITE|#|NO)\s*")
_STREET_FORMS = {**STREET_TYPES, **DIRECTIONALS}


def _nullable(values: pd.Series) -> pd.Series:
    """Object dtype with ``None`` for missing values (what Splink and Arrow expect)."""
    out = values.astype(object)
    return out.where(out.notna(), None)


def _text(values: pd.Series) -> pd.Series:
    """Upper-case, accent-folded text with punctuation as spaces; missing stays missing."""
    s = values.astype("object")
    mask = s.notna()
    out = pd.Series(None, index=s.index, dtype="object")
    cleaned = [
        _SPACES.sub(" ", _NON_ALNUM.sub(" ", fold_accents(str(v)).upper())).strip() for v in s[mask]
    ]
    out[mask] = [c if c else None for c in cleaned]
    return out


@per_distinct
def name(values: pd.Series) -> pd.Series:
    """Normalise a name: "Muñoz-García" → "MUNOZ GARCIA", "Ma. José" → "MA JOSE"."""
    return _nullable(_text(values))


@per_distinct
def name_control(last_names: pd.Series) -> pd.Series:
    """IRS name control: the first four letters of the normalised last name.

    Spaces are ignored, so "DE LA CRUZ" → "DELA" and "GARCIA LOPEZ" → "GARC".
    """
    norm = _text(last_names)
    return _nullable(
        norm.map(lambda v: re.sub(r"[^A-Z]", "", v)[:4] or None if isinstance(v, str) else None)
    )


@per_distinct
def first_token(values: pd.Series) -> pd.Series:
    """First word of a normalised name ("GARCIA LOPEZ" → "GARCIA")."""
    return _nullable(
        _text(values).map(lambda v: v.split(" ", 1)[0] if isinstance(v, str) else None)
    )


@per_distinct
def street(values: pd.Series) -> pd.Series:
    """Normalise a street: USPS abbreviations, "North Main Street" → "N MAIN ST"."""
    norm = _text(values)
    return _nullable(
        norm.map(
            lambda v: (
                " ".join(_STREET_FORMS.get(w, w) for w in v.split(" "))
                if isinstance(v, str)
                else None
            )
        )
    )


@per_distinct
def unit(values: pd.Series) -> pd.Series:
    """Normalise a unit: "APT 4B", "#4B", "UNIT 4B", "APT-4B" → "4B"."""
    raw = values.astype("object").map(
        lambda v: fold_accents(str(v)).upper().strip() if isinstance(v, str) else None
    )
    return _nullable(
        raw.map(
            lambda v: (
                (_SPACES.sub("", _NON_ALNUM.sub("", _UNIT_WORDS.sub("", v))) or None)
                if isinstance(v, str)
                else None
            )
        )
    )


@per_distinct
def digits(values: pd.Series) -> pd.Series:
    """Keep the digits of a house number, ZIP or TIN ("123-45-6789" → "123456789")."""
    return _nullable(
        values.astype("object").map(
            lambda v: (re.sub(r"[^0-9]", "", v) or None) if isinstance(v, str) else None
        )
    )


@per_distinct
def zip5(values: pd.Series) -> pd.Series:
    """First five digits of a ZIP code."""
    return _nullable(
        digits(values).map(lambda v: v[:5] if isinstance(v, str) and len(v) >= 5 else None)
    )


def has_zip_token(addresses: pd.Series) -> pd.Series:
    """Whether a free-text address holds a 5- or 9-digit ZIP-like token (the 2025 TIN-path check)."""
    found = _zip_token_found(addresses)
    return found.where(found.notna(), False).astype(bool)


@per_distinct
def _zip_token_found(addresses: pd.Series) -> pd.Series:
    return addresses.map(lambda v: bool(_ZIP_TOKEN.search(v)))
