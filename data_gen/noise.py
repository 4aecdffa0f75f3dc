"""Noise declared as data: one ordered registry of small pure functions.

Each :class:`NoiseType` names the columns it touches, which cells are eligible
(the noise must be able to change them), its default rates on the IRS side and
the request side, and the source of those defaults.  One wrapper,
:func:`apply_noise`, picks the cells (``eligible & uniform < rate``), calls the
function on them only and logs every changed cell, so accuracy can later be
broken down by noise type.  Every noise function changes every cell it is
given, so a type's realised rate among eligible cells equals its configured
rate in expectation.

Noise functions have the signature ``fn(values, rng, **params) -> values``:
``values`` is a 1-D object array of ``str`` (names, addresses, TINs), a 1-D
``datetime64[D]`` array (dates of birth) or, for *joint* types, a 2-D object
array whose columns are the type's columns in order.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Callable, Mapping

import numpy as np
import pandas as pd

from data_gen import vocab
from data_gen.rng import substream

NAME_COLUMNS = ("first_name", "last_name")
ADDRESS_COLUMNS = ("house_number", "street", "unit", "city", "state", "zip")


# ----------------------------------------------------------------------------
# helpers


def _strings(values: np.ndarray) -> np.ndarray:
    """Boolean mask of cells holding a non-empty string."""
    return np.fromiter((isinstance(v, str) and v != "" for v in values), bool, len(values))


def _map(fn: Callable[[str], bool], values: np.ndarray) -> np.ndarray:
    """``fn`` of each string cell (False for any other cell), computed once per distinct value."""
    # names and streets repeat a lot: a national world has millions of cells but
    # tens of thousands of distinct values
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    done = np.fromiter((isinstance(v, str) and fn(v) for v in uniques), bool, len(uniques))
    return np.append(done, False)[codes]


def each_distinct(fn: Callable[[str], str], values: np.ndarray) -> np.ndarray:
    """``fn`` of each string cell, computed once per distinct value; missing cells stay None."""
    codes, uniques = pd.factorize(np.asarray(values, dtype=object), use_na_sentinel=True)
    done = np.array([fn(v) for v in uniques] + [None], dtype=object)
    return done[codes]


def fold_accents_each(values: np.ndarray) -> np.ndarray:
    """:func:`fold_accents` of each cell (once per distinct value); missing cells stay None."""
    return each_distinct(fold_accents, values)


def fold_accents(text: str) -> str:
    """Return ``text`` without diacritics (Muñoz → Munoz, Nguyễn → Nguyen)."""
    if text.isascii():  # most names: nothing to fold, and NFKD leaves ASCII as it is
        return text
    text = text.replace("Đ", "D").replace("đ", "d")
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _replace_one(text: str, pairs: tuple[tuple[str, str], ...], rng: np.random.Generator) -> str:
    """Replace one randomly chosen occurrence of one applicable pair's source."""
    spots = [(i, src, dst) for src, dst in pairs for i in _find_all(text, src)]
    i, src, dst = spots[rng.integers(len(spots))]
    return text[:i] + dst + text[i + len(src) :]


def _find_all(text: str, sub: str) -> list[int]:
    out, start = [], text.find(sub)
    while start != -1:
        out.append(start)
        start = text.find(sub, start + 1)
    return out


def _has_pair(pairs: tuple[tuple[str, str], ...]) -> Callable[[str], bool]:
    sources = tuple(src for src, _ in pairs)
    return lambda s: any(src in s for src in sources)


# ----------------------------------------------------------------------------
# name noise


def compound_surname(
    values: np.ndarray, rng: np.random.Generator, *, weights: Mapping[str, float]
) -> np.ndarray:
    """Re-record a two-part surname: drop maternal, hyphenate, swap, merge or keep maternal."""
    forms = list(weights)
    p = np.array([weights[f] for f in forms], float)
    picks = rng.choice(len(forms), size=len(values), p=p / p.sum())
    out = values.copy()
    for k, (v, pick) in enumerate(zip(values, picks, strict=True)):
        first, rest = v.split(" ", 1)
        form = forms[pick]
        if form == "drop_maternal":
            out[k] = first
        elif form == "hyphenate":
            out[k] = f"{first}-{rest.replace(' ', '-')}"
        elif form == "swap":
            out[k] = f"{rest} {first}"
        elif form == "merge":
            out[k] = first + rest.replace(" ", "")
        else:  # keep_maternal
            out[k] = rest
    return out


def _is_compound(s: str) -> bool:
    parts = s.split(" ")
    return len(parts) == 2 and parts[0] != parts[1] and all(parts)


def given_name_variant(values: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Record a double given name differently: José María → Jose / María / José M / Ma. ..."""
    out = values.copy()
    for k, v in enumerate(values):
        first, second = v.split(" ", 1)
        options = [first, second, f"{first} {second[0]}"]
        if fold_accents(first) == "MARIA":
            options.append(f"MA. {second}")
        options = [o for o in options if o != v]  # "JOSE L" must not stay "JOSE L"
        out[k] = options[rng.integers(len(options))]
    return out


def _is_double_given(s: str) -> bool:
    parts = s.split(" ")
    return len(parts) == 2 and all(parts) and parts[0] != parts[1]


@lru_cache(maxsize=1)
def nickname_table() -> dict[str, tuple[str, ...]]:
    """Return ``NAME -> nicknames`` from the `nicknames` package plus Spanish forms."""
    from nicknames import NickNamer

    table: dict[str, set[str]] = {}
    namer = NickNamer()
    for canonical, nicks in namer.nickname_lookup.items():
        if nicks:
            table.setdefault(canonical.upper(), set()).update(n.upper() for n in nicks)
    for name, spanish in vocab.SPANISH_NICKNAMES.items():
        table.setdefault(name, set()).update(spanish)
    return {k: tuple(sorted(v - {k})) for k, v in table.items() if v - {k}}


def nickname(values: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Replace the first given name by one of its nicknames (Francisco → Paco, William → Bill)."""
    table = nickname_table()
    out = values.copy()
    for k, v in enumerate(values):
        head, _, tail = v.partition(" ")
        choices = table[fold_accents(head)]
        new = choices[rng.integers(len(choices))]
        out[k] = f"{new} {tail}" if tail else new
    return out


def _has_nickname(s: str) -> bool:
    return fold_accents(s.partition(" ")[0]) in nickname_table()


@lru_cache(maxsize=1)
def transliteration_table() -> dict[str, tuple[str, ...]]:
    """Return ``NAME -> other spellings`` from :data:`vocab.TRANSLITERATION_GROUPS`."""
    table: dict[str, set[str]] = {}
    for group in vocab.TRANSLITERATION_GROUPS:
        for name in group:
            table.setdefault(name, set()).update(group)
    return {k: tuple(sorted(v - {k})) for k, v in table.items() if v - {k}}


def transliteration(values: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Spell a name in another romanisation (Zhang → Chang, Mohammed → Muhammad)."""
    table = transliteration_table()
    out = values.copy()
    for k, v in enumerate(values):
        choices = table[fold_accents(v)]
        out[k] = choices[rng.integers(len(choices))]
    return out


def _has_transliteration(s: str) -> bool:
    return fold_accents(s) in transliteration_table()


def accent_drop(values: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Fold diacritics to ASCII (Muñoz → Munoz)."""
    return fold_accents_each(values)


def _has_accent(s: str) -> bool:
    return fold_accents(s) != s


def phonetic(values: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Apply one sound-alike spelling change (Z↔S, V↔B, LL↔Y, CE→SE ...)."""
    return np.array([_replace_one(v, vocab.PHONETIC_PAIRS, rng) for v in values], dtype=object)


def ocr(values: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Apply one optical-character-recognition confusion (M→RN, D→CL, I→L ...)."""
    return np.array([_replace_one(v, vocab.OCR_PAIRS, rng) for v in values], dtype=object)


def typo(
    values: np.ndarray, rng: np.random.Generator, *, op_weights: Mapping[str, float]
) -> np.ndarray:
    """Apply one keyboard error: substitute, delete, insert or transpose a letter."""
    near = vocab.keyboard_neighbours()
    ops = list(op_weights)
    p = np.array([op_weights[o] for o in ops], float)
    picks = rng.choice(len(ops), size=len(values), p=p / p.sum())
    out = values.copy()
    for k, (v, pick) in enumerate(zip(values, picks, strict=True)):
        letters = [i for i, c in enumerate(v) if c in near]
        i = letters[rng.integers(len(letters))]
        op = ops[pick]
        if op == "transpose" and i + 1 < len(v) and v[i + 1] != v[i]:
            out[k] = v[:i] + v[i + 1] + v[i] + v[i + 2 :]
        elif op == "delete":
            out[k] = v[:i] + v[i + 1 :]
        elif op == "insert":
            out[k] = v[: i + 1] + near[v[i]][rng.integers(len(near[v[i]]))] + v[i + 1 :]
        else:  # substitute (also the fallback when a transpose would change nothing)
            out[k] = v[:i] + near[v[i]][rng.integers(len(near[v[i]]))] + v[i + 1 :]
    return out


def _typo_eligible(s: str) -> bool:
    near = vocab.keyboard_neighbours()
    return sum(c in near for c in s) >= 1 and len(s) >= 2


def name_swap(values: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Swap first and last name (family-name-first order read as given-name-first)."""
    return values[:, ::-1].copy()


def _swap_eligible(values: np.ndarray) -> np.ndarray:
    if values.shape[1] < 2:  # a table with one name column has nothing to swap
        return np.zeros(len(values), dtype=bool)
    a, b = values[:, 0], values[:, 1]
    return _strings(a) & _strings(b) & (a != b)


# ----------------------------------------------------------------------------
# date-of-birth noise (values are datetime64[D])


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


def _swap_dob_eligible(values: np.ndarray) -> np.ndarray:
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


def _not_jan1(values: np.ndarray) -> np.ndarray:
    ok = ~np.isnat(values)
    return ok & (values != values.astype("datetime64[Y]").astype("datetime64[D]"))


def dob_missing(values: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Blank the date of birth."""
    return np.full(len(values), np.datetime64("NaT"), dtype="datetime64[D]")


def _has_date(values: np.ndarray) -> np.ndarray:
    return ~np.isnat(values)


# ----------------------------------------------------------------------------
# address noise


def address_missing(values: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Blank every part of the address."""
    return np.full(values.shape, None, dtype=object)


def _any_part(values: np.ndarray) -> np.ndarray:
    return np.logical_or.reduce([_strings(values[:, j]) for j in range(values.shape[1])])


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
    full_to_abbr = {**vocab.STREET_TYPES, **vocab.DIRECTIONALS}
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


def _has_street_word(s: str) -> bool:
    full_to_abbr, abbr_to_full = _street_words()
    return any(w in full_to_abbr or w in abbr_to_full for w in s.split(" "))


def _digit_change(v: str, rng: np.random.Generator) -> str:
    i = int(rng.integers(len(v)))
    new = str((int(v[i]) + int(rng.integers(1, 10))) % 10)
    return v[:i] + new + v[i + 1 :]


def digit_substitution(values: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Change one digit to another digit."""
    return np.array([_digit_change(v, rng) for v in values], dtype=object)


def _all_digits(s: str) -> bool:
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


def _has_adjacent_pair(s: str) -> bool:
    return _all_digits(s) and any(s[i] != s[i + 1] for i in range(len(s) - 1))


# ----------------------------------------------------------------------------
# the registry


def _cells(pred: Callable[[str], bool]) -> Callable[[np.ndarray], np.ndarray]:
    return lambda values: _map(pred, values)


@dataclass(frozen=True)
class NoiseType:
    """One kind of recording error.

    Attributes
    ----------
    name : str
        Registry key, used in configs and in the noise log.
    family : str
        ``name``, ``dob``, ``address`` or ``tin``.
    columns : tuple of str
        Columns the type touches.  Each column is noised independently, unless
        ``joint`` is true, in which case the columns are passed together.
    fn : callable
        ``fn(values, rng, **params) -> values``; changes every cell it gets.
    eligible : callable
        ``eligible(values) -> bool array``: cells the type can change.
    irs_rate, request_rate : float
        Default probability that an eligible cell is noised, per side.
    source : str
        Where the defaults come from, or ``assumption``.
    params : mapping
        Extra keyword arguments for ``fn``.
    joint : bool
        Whether ``columns`` are noised together as one 2-D array.
    origin_multipliers : mapping
        Rate multipliers by origin group (rate is capped at 1).
    """

    name: str
    family: str
    columns: tuple[str, ...]
    fn: Callable[..., np.ndarray]
    eligible: Callable[[np.ndarray], np.ndarray]
    irs_rate: float
    request_rate: float
    source: str
    params: Mapping[str, object] = field(default_factory=dict)
    joint: bool = False
    origin_multipliers: Mapping[str, float] = field(default_factory=dict)


NOISE_TYPES: tuple[NoiseType, ...] = (
    # structural name changes first, character-level ones after, order swap last
    NoiseType(
        "compound_surname",
        "name",
        ("last_name",),
        compound_surname,
        _cells(_is_compound),
        0.60,
        0.30,
        "assumption: many foreign-born filers drop or rearrange the maternal surname on US tax forms; about 20% of Latino surnames are recorded compound in US files (NC voter file, via pseudopeople)",
        params={
            "weights": {
                "drop_maternal": 0.60,
                "hyphenate": 0.15,
                "swap": 0.05,
                "merge": 0.08,
                "keep_maternal": 0.12,
            }
        },
    ),
    NoiseType(
        "given_name_variant",
        "name",
        ("first_name",),
        given_name_variant,
        _cells(_is_double_given),
        0.0,
        0.30,
        "assumption; generators.md §4 row 6 (middle-name mismatch in 58% of duplicate pairs, Just et al. 2016)",
    ),
    NoiseType(
        "nickname",
        "name",
        ("first_name",),
        nickname,
        _cells(_has_nickname),
        0.03,
        0.06,
        "assumption; pseudopeople default 1% per cell (generators.md), raised for encounter records",
    ),
    NoiseType(
        "transliteration",
        "name",
        NAME_COLUMNS,
        transliteration,
        _cells(_has_transliteration),
        0.05,
        0.20,
        "assumption; generators.md §4 row 4 (Cantonese romanisation blocking recall 68.8%)",
    ),
    NoiseType(
        "accent_drop",
        "name",
        NAME_COLUMNS,
        accent_drop,
        _cells(_has_accent),
        0.95,
        0.60,
        "assumption: IRS name fields are upper-case ASCII; encounter records keep some accents",
    ),
    NoiseType(
        "phonetic",
        "name",
        NAME_COLUMNS,
        phonetic,
        _cells(_has_pair(vocab.PHONETIC_PAIRS)),
        0.01,
        0.03,
        "pseudopeople default 1% per cell (generators.md); request rate assumption",
    ),
    NoiseType(
        "ocr",
        "name",
        NAME_COLUMNS,
        ocr,
        _cells(_has_pair(vocab.OCR_PAIRS)),
        0.005,
        0.01,
        "pseudopeople default 1% per cell (generators.md)",
    ),
    NoiseType(
        "typo",
        "name",
        NAME_COLUMNS,
        typo,
        _cells(_typo_eligible),
        0.01,
        0.03,
        "pseudopeople default 1% per cell; Damerau: 80% of misspellings are single edits (generators.md)",
        params={
            "op_weights": {"substitute": 0.45, "delete": 0.2, "insert": 0.15, "transpose": 0.2}
        },
    ),
    NoiseType(
        "name_swap",
        "name",
        NAME_COLUMNS,
        name_swap,
        _swap_eligible,
        0.005,
        0.03,
        "splink_synthetic_data: 5% baseline, 20% PRC-born (generators.md §4 row 5); base rates assumption",
        joint=True,
        origin_multipliers={"api": 4.0},
    ),
    NoiseType(
        "dob_placeholder",
        "dob",
        ("dob",),
        dob_placeholder,
        _not_jan1,
        0.002,
        0.05,
        "splink_synthetic_data uses 10% Jan-1 corruption (generators.md §4 row 9); assumption",
    ),
    NoiseType(
        "dob_day_month_swap",
        "dob",
        ("dob",),
        dob_day_month_swap,
        _swap_dob_eligible,
        0.005,
        0.04,
        "pseudopeople default 1% of cells (generators.md §4 row 8); request rate assumption",
    ),
    NoiseType(
        "dob_year_off_by_one",
        "dob",
        ("dob",),
        dob_year_off_by_one,
        _has_date,
        0.002,
        0.02,
        "assumption",
    ),
    NoiseType("dob_missing", "dob", ("dob",), dob_missing, _has_date, 0.0, 0.08, "assumption"),
    NoiseType(
        "address_missing",
        "address",
        ADDRESS_COLUMNS,
        address_missing,
        _any_part,
        0.0,
        0.02,
        "assumption",
        joint=True,
    ),
    NoiseType(
        "unit_dropped",
        "address",
        ("unit",),
        unit_dropped,
        _strings,
        0.03,
        0.25,
        "assumption; pseudopeople blanks units at 1% (generators.md §4 row 11)",
    ),
    NoiseType("unit_format", "address", ("unit",), unit_format, _strings, 0.10, 0.20, "assumption"),
    NoiseType(
        "street_abbreviation",
        "address",
        ("street",),
        street_abbreviation,
        _cells(_has_street_word),
        0.70,
        0.50,
        "assumption; Tax Policy Center: 'North Street' vs 'N St.' (facts.md §4)",
    ),
    NoiseType(
        "house_number_typo",
        "address",
        ("house_number",),
        house_number_typo,
        _cells(_all_digits),
        0.005,
        0.02,
        "assumption",
    ),
    NoiseType(
        "zip_digit_error",
        "address",
        ("zip",),
        digit_substitution,
        _cells(_all_digits),
        0.002,
        0.02,
        "pseudopeople wrong ZIP digits 1% (generators.md); assumption",
    ),
    NoiseType(
        "tin_digit_error",
        "tin",
        ("tin",),
        digit_substitution,
        _cells(_all_digits),
        0.0,
        0.02,
        "assumption",
    ),
    NoiseType(
        "tin_transposition",
        "tin",
        ("tin",),
        tin_transposition,
        _cells(_has_adjacent_pair),
        0.0,
        0.01,
        "assumption",
    ),
)

NOISE_NAMES = tuple(nt.name for nt in NOISE_TYPES)
NOISE_BY_NAME = {nt.name: nt for nt in NOISE_TYPES}

LOG_COLUMNS = ("table", "record_key", "field", "noise", "old", "new")


def _column_values(series: pd.Series) -> np.ndarray:
    if series.name == "dob":
        return series.to_numpy().astype("datetime64[D]")
    return series.to_numpy(dtype=object, na_value=None)


def _as_text(values: np.ndarray) -> list:
    if values.dtype.kind == "M":
        return [None if np.isnat(v) else str(v) for v in values]
    return list(values)


def apply_noise(
    table: pd.DataFrame,
    *,
    table_name: str,
    key: str,
    rates: Mapping[str, float],
    seed: int,
    origin: np.ndarray | None = None,
    noise_types: tuple[NoiseType, ...] = NOISE_TYPES,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Apply every registered noise type to ``table`` in registry order.

    Parameters
    ----------
    table : DataFrame
        Records to noise; only the columns a noise type names are touched.
    table_name : str
        ``irs_filers`` or ``requests``; names the random streams and the log.
    key : str
        Column that identifies a record (``record_id`` or ``request_id``).
    rates : mapping
        Noise-type name → probability that an eligible cell is noised.
    seed : int
        Master seed; each (table, noise type, column) gets its own stream.
    origin : array, optional
        Origin group per row, for types with ``origin_multipliers``.
    noise_types : tuple of NoiseType
        The registry to apply (default: all).

    Returns
    -------
    noised : DataFrame
        A copy of ``table`` with noise applied.
    log : DataFrame
        One row per changed cell: table, record_key, field, noise, old, new.
    """
    out = table.copy()
    n = len(out)
    keys = out[key].to_numpy()
    logs = []
    # each column's values as an array, read once and changed in place; written back at the end
    current: dict[str, np.ndarray] = {}

    def values_of(col: str) -> np.ndarray:
        if col not in current:
            values = _column_values(out[col])
            current[col] = values if values.flags.writeable else values.copy()
        return current[col]

    changed_columns: set[str] = set()
    for nt in noise_types:
        rate = float(rates.get(nt.name, 0.0))
        cols = [c for c in nt.columns if c in out.columns]
        if rate <= 0.0 or not cols or n == 0:
            continue
        groups = [cols] if nt.joint else [[c] for c in cols]
        for group in groups:
            rng = substream(seed, "noise", table_name, nt.name, *group)
            if nt.joint:
                values = np.column_stack([values_of(c) for c in group])
            else:
                values = values_of(group[0])
            p = np.full(n, rate)
            if nt.origin_multipliers and origin is not None:
                for grp, mult in nt.origin_multipliers.items():
                    p[origin == grp] *= mult
                p = np.minimum(p, 1.0)
            # eligibility is only checked on the cells the draw picked: same
            # distribution as checking every cell first, and much faster
            picked = np.flatnonzero(rng.random(n) < p)
            idx = picked[nt.eligible(values[picked])]
            if len(idx) == 0:
                continue
            new = nt.fn(values[idx], rng, **nt.params)
            old = values[idx]
            for j, col in enumerate(group):
                o = old[:, j] if nt.joint else old
                w = new[:, j] if nt.joint else new
                if o.dtype.kind == "M":
                    changed = ~((o == w) | (np.isnat(o) & np.isnat(w)))
                else:
                    changed = np.array([a != b for a, b in zip(o, w, strict=True)], dtype=bool)
                if not changed.any():
                    continue
                rows = idx[changed]
                values_of(col)[rows] = w[changed]
                changed_columns.add(col)
                logs.append(
                    pd.DataFrame(
                        {
                            "table": table_name,
                            "record_key": keys[rows],
                            "field": col,
                            "noise": nt.name,
                            "old": _as_text(o[changed]),
                            "new": _as_text(w[changed]),
                        }
                    )
                )
    for col in out.columns:
        if col not in changed_columns:
            continue
        values = current[col]
        if values.dtype.kind == "M":
            out[col] = pd.Series(values.astype("datetime64[s]"), index=out.index)
        else:
            out.isetitem(
                out.columns.get_loc(col), pd.Series(values, index=out.index, dtype=out[col].dtype)
            )
    log = pd.concat(logs, ignore_index=True) if logs else pd.DataFrame(columns=list(LOG_COLUMNS))
    return out, log
