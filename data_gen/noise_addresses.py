"""Address and number noise: blanked addresses and units, unit formats, USPS
abbreviations, and digit errors in house numbers, ZIP codes and TINs.

Each function has the registry's signature ``fn(values, rng) -> values`` over a
1-D object array of strings (``address_missing``: a 2-D array of the address
parts) and changes every cell it is given; the predicate next to each says
which cells it can change.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from data_gen.text import DIRECTIONALS, STREET_TYPES, each_distinct, has_text


def address_missing(values: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Blank every part of the address."""
    return np.full(values.shape, None, dtype=object)


def any_part(values: np.ndarray) -> np.ndarray:
    """Rows of address parts with at least one non-empty part."""
    return np.logical_or.reduce([has_text(values[:, j]) for j in range(values.shape[1])])


def unit_dropped(values: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Drop the unit (apartment) designator."""
    return np.full(len(values), None, dtype=object)


def unit_format(values: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Write the unit another way: APT 4B → #4B, UNIT 4B, APT-4B, 4B."""
    out = values.copy()
    for k, v in enumerate(values):
        number = v.split(" ", 1)[1] if " " in v else v.lstrip("#")
        options = [o for o in (f"#{number}", f"UNIT {number}", f"APT-{number}", number) if o != v]
        out[k] = options[rng.integers(len(options))]
    return out


@lru_cache(maxsize=1)
def _street_words() -> tuple[dict[str, str], dict[str, str]]:
    """USPS street words: full form → abbreviation, and back (only words that change)."""
    full_to_abbr = {**STREET_TYPES, **DIRECTIONALS}
    changing = {k: v for k, v in full_to_abbr.items() if k != v}
    return changing, {v: k for k, v in changing.items()}


def _toggle_street_words(street: str) -> str:
    full_to_abbr, abbr_to_full = _street_words()
    words = street.split(" ")
    if any(w in full_to_abbr for w in words):
        return " ".join(full_to_abbr.get(w, w) for w in words)
    return " ".join(abbr_to_full.get(w, w) for w in words)


def street_abbreviation(values: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Toggle USPS abbreviations of the street type and directional (North Street ↔ N St)."""
    return each_distinct(_toggle_street_words, values)


def has_street_word(s: str) -> bool:
    """Whether ``s`` holds a street type or directional that has another USPS form."""
    full_to_abbr, abbr_to_full = _street_words()
    return any(w in full_to_abbr or w in abbr_to_full for w in s.split(" "))


def _digit_change(v: str, rng: np.random.Generator) -> str:
    i = int(rng.integers(len(v)))
    new = str((int(v[i]) + int(rng.integers(1, 10))) % 10)
    return v[:i] + new + v[i + 1 :]


def digit_substitution(values: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Change one digit to another digit."""
    return np.array([_digit_change(v, rng) for v in values], dtype=object)


def all_digits(s: str) -> bool:
    """Whether ``s`` is ASCII digits only."""
    return s.isascii() and s.isdigit()


def house_number_typo(values: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Change one digit of the house number, or swap two adjacent different digits."""
    out = values.copy()
    for k, v in enumerate(values):
        swaps = [i for i in range(len(v) - 1) if v[i] != v[i + 1]]
        if swaps and rng.random() < 0.3:
            i = swaps[rng.integers(len(swaps))]
            out[k] = v[:i] + v[i + 1] + v[i] + v[i + 2 :]
        else:
            out[k] = _digit_change(v, rng)
    return out


def tin_transposition(values: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Swap two adjacent different digits of the TIN."""
    out = values.copy()
    for k, v in enumerate(values):
        swaps = [i for i in range(len(v) - 1) if v[i] != v[i + 1]]
        i = swaps[rng.integers(len(swaps))]
        out[k] = v[:i] + v[i + 1] + v[i] + v[i + 2 :]
    return out


def has_adjacent_pair(s: str) -> bool:
    """Whether ``s`` is digits with two adjacent different ones."""
    return all_digits(s) and any(s[i] != s[i + 1] for i in range(len(s) - 1))
