"""Name noise: the recording errors of given names and surnames.

Each function has the registry's signature ``fn(values, rng, **params) ->
values`` over a 1-D object array of names (``name_swap``: a 2-D array of first
and last names) and changes every cell it is given; the ``is_*``/``has_*``
predicates next to each say which names it can change.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import lru_cache

import numpy as np

from data_gen import vocab
from data_gen.text import fold_accents, fold_accents_each, has_text


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


def has_pair(pairs: tuple[tuple[str, str], ...]) -> Callable[[str], bool]:
    """Return a predicate: whether a text holds the source of one of ``pairs``."""
    sources = tuple(src for src, _ in pairs)
    return lambda s: any(src in s for src in sources)


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


def is_compound(s: str) -> bool:
    """Whether ``s`` is a two-part surname of two different words."""
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


def is_double_given(s: str) -> bool:
    """Whether ``s`` is two different given names (José Luis)."""
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


def has_nickname(s: str) -> bool:
    """Whether the first word of ``s`` has a nickname."""
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


def has_transliteration(s: str) -> bool:
    """Whether ``s`` has another romanisation."""
    return fold_accents(s) in transliteration_table()


def accent_drop(values: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Fold diacritics to ASCII (Muñoz → Munoz)."""
    return fold_accents_each(values)


def has_accent(s: str) -> bool:
    """Whether ``s`` carries a diacritic."""
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


def typo_eligible(s: str) -> bool:
    """Whether ``s`` has at least two characters, one of them a keyboard letter."""
    near = vocab.keyboard_neighbours()
    return sum(c in near for c in s) >= 1 and len(s) >= 2


def name_swap(values: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Swap first and last name (family-name-first order read as given-name-first)."""
    return values[:, ::-1].copy()


def swap_eligible(values: np.ndarray) -> np.ndarray:
    """Rows (first name, last name) with two different non-empty names."""
    if values.shape[1] < 2:  # a table with one name column has nothing to swap
        return np.zeros(len(values), dtype=bool)
    a, b = values[:, 0], values[:, 1]
    return has_text(a) & has_text(b) & (a != b)
