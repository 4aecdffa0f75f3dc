"""Property-based tests (Hypothesis) for the noise registry and ``apply_noise``.

``test_noise.py`` checks every noise type on a realistic table; these tests feed
arbitrary input instead: Unicode text over the full range without surrogates
(empty strings, odd whitespace, combining marks, strings of a few hundred
characters), missing cells (``None``, ``NaN``), dates of birth over several
centuries, object and pandas ``str`` columns, and tables lacking some columns.
Each noise type also gets a strategy aimed at its eligible cells, so that its
function is exercised on every example.  Checked, table-driven over
``NOISE_TYPES``:

- eligibility: a boolean mask of the input's length, never true on a missing cell;
- the function, on its eligible cells: no exception, same shape, the input left
  alone, every cell changed (the registry's promise), the same output for the
  same seed, strings stay strings, dates stay valid dates (except
  ``dob_missing``), and the documented date arithmetic;
- ``apply_noise``: no exception, same shape, index and dtypes, the input left
  alone, missing cells stay missing, the same output and log for the same seed,
  and a log that replays, change by change, from the input to the output;
- the normalisers undo the noise they are designed to absorb (unit formats,
  street abbreviations, accents).

Settings are derandomised, so every run tests the same examples.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from benchmark.strategies import normalize
from data_gen import vocab
from data_gen.config import ORIGINS
from data_gen.noise import LOG_COLUMNS, apply_noise
from data_gen.noise_names import nickname_table, transliteration_table
from data_gen.noise_registry import NOISE_BY_NAME, NOISE_NAMES, NOISE_TYPES, NoiseType
from data_gen.text import DIRECTIONALS, STREET_TYPES, fold_accents, fold_accents_each

# budget: the whole file runs in about 30 seconds on two cores
PROPERTY = settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
TABLES = settings(PROPERTY, max_examples=60)
CHEAP = settings(PROPERTY, max_examples=100)

IDS = [nt.name for nt in NOISE_TYPES]
DOB_TYPES = [nt for nt in NOISE_TYPES if nt.family == "dob"]
BLANKING = {"unit_dropped", "address_missing", "dob_missing"}  # noise that empties cells
KEY = "record_id"
STRING_COLUMNS = (
    "first_name",
    "last_name",
    "house_number",
    "street",
    "unit",
    "city",
    "state",
    "zip",
    "tin",
)

# ----------------------------------------------------------------------------
# strategies: arbitrary text, and text aimed at each type's eligible cells

UNICODE = st.characters(exclude_categories=("Cs",))  # every code point but surrogates
NO_SPACE = st.characters(exclude_categories=("Cs",), exclude_characters=" ")
UPPER = st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
MARKS = st.characters(categories=("Mn", "Mc", "Me"))  # combining marks
SPACES = st.sampled_from([" ", "\t", "\n", "\u00a0", "\u3000", "\u200b"])
ACCENTED = st.one_of(
    st.sampled_from(list("ÁÉÍÓÚÑÜáéíóúñüĐđỄẶẰØÅ") + ["ﬁ", "ǅ", "①", "Ⅻ", "\u00a0", "ẞ"]),
    MARKS,
)
TEXT = st.one_of(
    st.text(UNICODE, max_size=20),
    st.text(st.one_of(UPPER, SPACES, ACCENTED, st.sampled_from("-'.#0123456789")), max_size=20),
    st.text(UNICODE, min_size=150, max_size=300),
)
MISSING = st.sampled_from([None, np.nan])
CELLS = st.one_of(TEXT, MISSING)

WORD = st.one_of(
    st.text(NO_SPACE, min_size=1, max_size=10),
    st.sampled_from(["JOSÉ", "MARIA", "MARÍA", "GARCÍA", "LÓPEZ", "NGUYỄN", "ĐẶNG", "LI"]),
)
WORDS = st.lists(WORD, min_size=1, max_size=4).map(" ".join)
TWO_WORDS = st.tuples(WORD, WORD).map(" ".join)


def _marked(words: list[str]) -> st.SearchStrategy[str]:
    """A vocabulary word, sometimes with a combining mark that folding removes."""
    return st.tuples(st.sampled_from(words), st.sampled_from(["", "\u0301", "\u0303"])).map("".join)


def _spliced(pieces: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """Arbitrary text with ``pieces`` inserted."""
    return st.tuples(TEXT, pieces, TEXT).map("".join)


NICKNAMED = st.tuples(
    _marked(sorted(nickname_table())), st.sampled_from(["", " "]), st.text(UNICODE, max_size=8)
).map("".join)
TRANSLITERABLE = _marked(sorted(transliteration_table()))
DIGITS = st.text(st.sampled_from("0123456789"), min_size=1, max_size=12)
STREET_WORDS = sorted({*STREET_TYPES, *STREET_TYPES.values(), *DIRECTIONALS})
STREET_WORDS += sorted(DIRECTIONALS.values())
UNIT_NUMBER = st.from_regex(r"[0-9][0-9A-Z]{0,4}", fullmatch=True)
UNIT_FORMS = ["APT {}", "#{}", "UNIT {}", "APT-{}", "{}"]
# the forms unit_format reads its number from (the generator writes "APT {}"); it
# takes all of "APT-4B" for the number and may write "UNIT APT-4B", which
# normalises to "APT4B"
PARSED_UNIT_FORMS = ["APT {}", "#{}", "UNIT {}", "{}"]

TARGETS: dict[str, st.SearchStrategy[str]] = {
    "compound_surname": TWO_WORDS,
    "given_name_variant": TWO_WORDS,
    "nickname": NICKNAMED,
    "transliteration": TRANSLITERABLE,
    "accent_drop": _spliced(ACCENTED),
    "phonetic": _spliced(st.sampled_from([src for src, _ in vocab.PHONETIC_PAIRS])),
    "ocr": _spliced(st.sampled_from([src for src, _ in vocab.OCR_PAIRS])),
    "typo": _spliced(UPPER),
    "unit_dropped": TEXT,
    "unit_format": st.one_of(
        TEXT, st.tuples(st.sampled_from(UNIT_FORMS), UNIT_NUMBER).map(lambda t: t[0].format(t[1]))
    ),
    "street_abbreviation": st.lists(
        st.one_of(st.sampled_from(STREET_WORDS), WORD), min_size=1, max_size=4
    ).map(" ".join),
    "house_number_typo": DIGITS,
    "zip_digit_error": DIGITS,
    "tin_digit_error": DIGITS,
    "tin_transposition": DIGITS,
    # joint types: one target per column
    "name_swap": WORDS,
    "address_missing": st.one_of(TEXT, DIGITS, WORDS),
}
DATES = st.dates(dt.date(1600, 1, 1), dt.date(2400, 12, 31))
DOB_CELLS = st.one_of(
    DATES,
    DATES.map(lambda d: d.replace(month=2, day=28)),
    st.sampled_from([dt.date(y, 2, 29) for y in (1600, 1904, 1996, 2000, 2024, 2400)]),
    DATES.map(lambda d: d.replace(day=1, month=1)),
    st.builds(dt.date, st.integers(1600, 2400), st.integers(1, 12), st.integers(1, 12)),
    st.none(),
)


def _dob_array(dates: list) -> np.ndarray:
    return np.array(
        [np.datetime64("NaT") if d is None else np.datetime64(d, "D") for d in dates],
        dtype="datetime64[D]",
    )


def _object_array(cells: list) -> np.ndarray:
    out = np.empty(len(cells), dtype=object)
    out[:] = cells
    return out


@st.composite
def type_values(draw, nt: NoiseType) -> np.ndarray:
    """What ``nt.eligible`` and ``nt.fn`` see: 1-D strings or dates, or 2-D rows (joint)."""
    n = draw(st.integers(1, 8))
    if nt.family == "dob":
        return _dob_array(draw(st.lists(DOB_CELLS, min_size=n, max_size=n)))
    target = TARGETS[nt.name]
    cell = st.one_of(target, CELLS)
    width = len(nt.columns) if nt.joint else 1
    rows = draw(st.lists(st.lists(cell, min_size=width, max_size=width), min_size=n, max_size=n))
    # one row of targeted cells, so that most examples have an eligible cell, and
    # one row of missing cells
    rows[draw(st.integers(0, n - 1))] = draw(st.lists(target, min_size=width, max_size=width))
    rows.insert(draw(st.integers(0, n)), draw(st.lists(MISSING, min_size=width, max_size=width)))
    n += 1
    if not nt.joint:
        return _object_array([row[0] for row in rows])
    out = np.empty((n, width), dtype=object)
    for i, row in enumerate(rows):
        out[i, :] = row
    return out


def is_missing(v) -> bool:
    return (
        v is None
        or (isinstance(v, float) and np.isnan(v))
        or (isinstance(v, np.datetime64) and np.isnat(v))
    )


def same(a: np.ndarray, b: np.ndarray) -> bool:
    """Element-wise identical arrays (NaT equal to NaT)."""
    if a.dtype.kind == "M":
        return a.shape == b.shape and a.dtype == b.dtype and np.array_equal(a, b, equal_nan=True)
    pairs = zip(a.ravel(), b.ravel(), strict=True)
    return a.shape == b.shape and all(x is y or x == y for x, y in pairs)


def test_every_registered_type_has_a_strategy():
    """A new noise type must get a strategy here before its properties are checked."""
    covered = set(TARGETS) | {nt.name for nt in DOB_TYPES}
    assert covered == set(NOISE_NAMES)


# ----------------------------------------------------------------------------
# eligibility and the noise functions


def _draw_values(data, nt: NoiseType) -> np.ndarray:
    return data.draw(type_values(nt), label="values")


@pytest.mark.parametrize("nt", NOISE_TYPES, ids=IDS)
@PROPERTY
@given(data=st.data())
def test_eligibility_is_a_mask_that_skips_missing_cells(nt, data):
    values = _draw_values(data, nt)
    before = values.copy()
    mask = nt.eligible(values)
    assert isinstance(mask, np.ndarray) and mask.dtype == bool and mask.shape == (len(values),)
    assert same(values, before), "eligibility must not modify its input"
    rows = values if values.ndim == 2 else values[:, None]
    for row, ok in zip(rows, mask, strict=True):
        if all(is_missing(v) for v in row):
            assert not ok, f"{nt.name}: a missing cell is eligible"
        if ok and not nt.joint and nt.family != "dob":
            assert isinstance(row[0], str) and row[0] != ""


@pytest.mark.parametrize("nt", NOISE_TYPES, ids=IDS)
@PROPERTY
@given(data=st.data())
def test_eligibility_of_a_cell_is_its_own(nt, data):
    # eligibility is computed once per distinct value: it must equal the cell-by-cell answer
    values = _draw_values(data, nt)
    alone = [bool(nt.eligible(values[i : i + 1])[0]) for i in range(len(values))]
    assert nt.eligible(values).tolist() == alone


# the noise functions that draw nothing, computed once per distinct value
RANDOM_FREE = ("accent_drop", "street_abbreviation")


@pytest.mark.parametrize("name", RANDOM_FREE)
@PROPERTY
@given(data=st.data())
def test_random_free_noise_of_a_cell_is_its_own(name, data):
    nt = NOISE_BY_NAME[name]
    values = _draw_values(data, nt)
    eligible = values[nt.eligible(values)]
    rng = np.random.default_rng(0)
    alone = [nt.fn(eligible[i : i + 1], rng, **nt.params)[0] for i in range(len(eligible))]
    assert nt.fn(eligible, rng, **nt.params).tolist() == alone


@CHEAP
@given(cells=st.lists(st.one_of(CELLS, _spliced(ACCENTED)), max_size=12))
def test_fold_accents_each_folds_every_text_cell_and_keeps_missing_ones(cells):
    values = np.array(cells + cells[:3], dtype=object)  # repeated values share one result
    expected = [fold_accents(v) if isinstance(v, str) else None for v in values]
    assert fold_accents_each(values).tolist() == expected


@pytest.mark.parametrize("nt", NOISE_TYPES, ids=IDS)
@PROPERTY
@given(data=st.data(), seed=st.integers(0, 2**32))
def test_function_changes_every_eligible_cell_deterministically(nt, data, seed):
    values = _draw_values(data, nt)
    eligible = values[nt.eligible(values)]
    assume(len(eligible) > 0)
    before = eligible.copy()
    out = nt.fn(eligible, np.random.default_rng(seed), **nt.params)
    again = nt.fn(eligible.copy(), np.random.default_rng(seed), **nt.params)
    assert same(eligible, before), f"{nt.name} modified its input"
    assert isinstance(out, np.ndarray) and out.shape == eligible.shape
    assert same(out, again), f"{nt.name} is not deterministic for seed {seed}"
    if nt.family == "dob":
        assert out.dtype == np.dtype("datetime64[D]")
        assert (out != eligible).all() if nt.name != "dob_missing" else np.isnat(out).all()
        return
    if nt.joint:  # a row changes as a whole; name_swap changes both names
        changed = out != eligible
        assert changed.any(axis=1).all(), f"{nt.name} left a row as it was"
        if nt.name == "name_swap":
            assert changed.all()
    else:
        unchanged = [v for v, w in zip(eligible, out, strict=True) if v == w]
        assert not unchanged, f"{nt.name} left {unchanged!r} as it was"
    for v in out.ravel():
        if nt.name in BLANKING:
            assert v is None
        else:
            assert isinstance(v, str), f"{nt.name} gave {v!r}"


@pytest.mark.parametrize("nt", DOB_TYPES, ids=[nt.name for nt in DOB_TYPES])
@PROPERTY
@given(dates=st.lists(DOB_CELLS, min_size=1, max_size=8), seed=st.integers(0, 2**32))
def test_dob_noise_gives_valid_dates_as_documented(nt, dates, seed):
    values = _dob_array(dates)
    eligible = values[nt.eligible(values)]
    out = nt.fn(eligible, np.random.default_rng(seed), **nt.params)
    for old, new in zip(eligible.astype(object), out.astype(object), strict=True):
        if nt.name == "dob_missing":
            assert new is None  # NaT
            continue
        assert isinstance(new, dt.date), f"{nt.name}: {old} -> {new!r}"
        if nt.name == "dob_placeholder":
            assert new == dt.date(old.year, 1, 1)
        elif nt.name == "dob_day_month_swap":
            assert old.day <= 12 and (new.year, new.month, new.day) == (
                old.year,
                old.day,
                old.month,
            )
        elif nt.name == "dob_year_off_by_one":
            assert abs(new.year - old.year) == 1 and new.month == old.month
            leap_day_lost = (old.month, old.day) == (2, 29) and new.day == 28
            assert new.day == old.day or leap_day_lost
        else:
            raise AssertionError(f"no documented property for {nt.name}")


@CHEAP
@given(text=st.one_of(TEXT, _spliced(ACCENTED)))
def test_fold_accents_is_idempotent_and_leaves_no_combining_marks(text):
    folded = fold_accents(text)
    assert fold_accents(folded) == folded
    assert not any(unicodedata.combining(c) for c in folded)


# ----------------------------------------------------------------------------
# the normalisers absorb the noise they are designed for


@CHEAP
@given(form=st.sampled_from(PARSED_UNIT_FORMS), number=UNIT_NUMBER, seed=st.integers(0, 2**32))
def test_unit_normalisation_undoes_unit_format(form, number, seed):
    unit = form.format(number)
    noised = NOISE_BY_NAME["unit_format"].fn(_object_array([unit]), np.random.default_rng(seed))
    got = normalize.unit(pd.Series([unit, noised[0]], dtype=object)).tolist()
    assert got == [number, number]


@CHEAP
@given(
    words=st.lists(
        st.one_of(st.sampled_from(STREET_WORDS), st.from_regex(r"[A-Z0-9]{1,8}", fullmatch=True)),
        min_size=1,
        max_size=5,
    ),
    seed=st.integers(0, 2**32),
)
def test_street_normalisation_undoes_street_abbreviation(words, seed):
    nt = NOISE_BY_NAME["street_abbreviation"]
    street = _object_array([" ".join(words)])
    assume(nt.eligible(street).all())
    noised = nt.fn(street, np.random.default_rng(seed))
    got = normalize.street(pd.Series([street[0], noised[0]], dtype=object)).tolist()
    assert got[0] == got[1]


@CHEAP
@given(text=_spliced(ACCENTED))
def test_name_normalisation_undoes_accent_drop(text):
    nt = NOISE_BY_NAME["accent_drop"]
    values = _object_array([text])
    assume(nt.eligible(values).all())
    noised = nt.fn(values, np.random.default_rng(0))
    got = normalize.name(pd.Series([text, noised[0]], dtype=object)).tolist()
    assert got[0] == got[1]


# ----------------------------------------------------------------------------
# apply_noise on arbitrary tables


def _cell_text(v) -> str | None:
    """A cell as the log writes it: ``None`` when missing, dates as YYYY-MM-DD."""
    if v is pd.NaT or v is pd.NA or is_missing(v):
        return None
    if isinstance(v, (pd.Timestamp, np.datetime64)):
        return str(np.datetime64(v, "D"))
    return v


def _half(target: st.SearchStrategy) -> st.SearchStrategy:
    """``target`` for about half the cells, arbitrary cells for the rest."""
    return st.booleans().flatmap(lambda aimed: target if aimed else CELLS)


@st.composite
def tables(draw) -> tuple[pd.DataFrame, dict, int, np.ndarray | None]:
    n = draw(st.integers(0, 8))
    name_cell = _half(
        st.one_of(
            TARGETS["compound_surname"],
            TARGETS["nickname"],
            TARGETS["transliteration"],
            TARGETS["accent_drop"],
            TARGETS["typo"],
        )
    )
    column_cells = {
        "first_name": name_cell,
        "last_name": name_cell,
        "house_number": _half(DIGITS),
        "street": _half(TARGETS["street_abbreviation"]),
        "unit": _half(TARGETS["unit_format"]),
        "city": CELLS,
        "state": CELLS,
        "zip": _half(DIGITS),
        "tin": _half(DIGITS),
    }
    kept = draw(st.lists(st.sampled_from(STRING_COLUMNS), unique=True, min_size=5))
    dtype = draw(st.sampled_from([object, None]))  # None: pandas infers (``str`` when it can)
    keys = np.array(draw(st.permutations(range(n))), dtype=np.int64) * 7 + 1000
    table = pd.DataFrame({KEY: keys}, index=pd.RangeIndex(n) * 3 + 5)
    for c in STRING_COLUMNS:
        if c in kept:
            cells = draw(st.lists(column_cells[c], min_size=n, max_size=n))
            table[c] = pd.Series(_object_array(cells), index=table.index, dtype=dtype)
    if draw(st.booleans()):
        dob = _dob_array(draw(st.lists(DOB_CELLS, min_size=n, max_size=n)))
        table["dob"] = pd.Series(dob.astype("datetime64[s]"), index=table.index)
    table["extra"] = np.arange(n)  # a column no noise type names
    # noise that blanks cells at low rates, or little is left for the types after it
    rates = draw(
        st.fixed_dictionaries(
            {
                name: st.sampled_from([0.0, 0.3] if name in BLANKING else [0.0, 0.5, 1.0])
                for name in NOISE_NAMES
            }
        )
    )
    seed = draw(st.integers(0, 2**32))
    origin = draw(st.none() | st.lists(st.sampled_from(ORIGINS), min_size=n, max_size=n))
    return table, rates, seed, None if origin is None else np.array(origin, dtype=object)


def _noise(table, rates, seed, origin):
    return apply_noise(table, table_name="requests", key=KEY, rates=rates, seed=seed, origin=origin)


@TABLES
@given(drawn=tables())
def test_apply_noise_keeps_shape_and_missing_cells_and_is_deterministic(drawn):
    table, rates, seed, origin = drawn
    pristine = table.copy(deep=True)
    out, log = _noise(table, rates, seed, origin)
    pd.testing.assert_frame_equal(table, pristine)  # the input is left alone
    assert list(out.columns) == list(table.columns) and out.index.equals(table.index)
    pd.testing.assert_series_equal(out.dtypes, table.dtypes)
    pd.testing.assert_series_equal(out[KEY], table[KEY])
    pd.testing.assert_series_equal(out["extra"], table["extra"])
    missing_before = table.isna().to_numpy()
    assert table.isna().to_numpy()[missing_before].all()
    assert out.isna().to_numpy()[missing_before].all(), "a missing cell was filled in"
    out2, log2 = _noise(table, rates, seed, origin)
    pd.testing.assert_frame_equal(out2, out)
    pd.testing.assert_frame_equal(log2, log)
    if not any(rates.values()) or len(table) == 0:
        pd.testing.assert_frame_equal(out, table)
        assert log.empty


@TABLES
@given(drawn=tables())
def test_apply_noise_log_replays_from_input_to_output(drawn):
    table, rates, seed, origin = drawn
    out, log = _noise(table, rates, seed, origin)
    assert list(log.columns) == list(LOG_COLUMNS)
    columns = [c for c in table.columns if c not in (KEY, "extra")]
    keys = table[KEY].tolist()
    current = {c: dict(zip(keys, map(_cell_text, table[c]), strict=True)) for c in columns}
    order = {name: i for i, name in enumerate(NOISE_NAMES)}
    last = -1
    for row in log.itertuples(index=False):
        assert row.table == "requests"
        assert row.field in NOISE_BY_NAME[row.noise].columns
        assert order[row.noise] >= last, "the log follows registry order"
        last = order[row.noise]
        old, new = _cell_text(row.old), _cell_text(row.new)
        assert old != new, "a logged change leaves the cell as it was"
        assert current[row.field][row.record_key] == old
        assert rates[row.noise] > 0
        current[row.field][row.record_key] = new
    for c in columns:
        assert list(current[c].values()) == [_cell_text(v) for v in out[c]], c
    dob_text = log.loc[log["field"] == "dob", ["old", "new"]].stack().dropna()
    assert all(re.fullmatch(r"\d{4}-\d{2}-\d{2}", v) for v in dob_text)


# ----------------------------------------------------------------------------
# the two crashes these properties found, pinned


def test_apply_noise_writes_into_an_object_column_without_missing_cells():
    # pandas 3 hands out a read-only view of such a column
    table = pd.DataFrame({KEY: [1, 2], "first_name": pd.Series(["JOSÉ", "ANA"], dtype=object)})
    out, log = _noise(table, {"accent_drop": 1.0}, 0, None)
    assert out["first_name"].tolist() == ["JOSE", "ANA"]
    assert table["first_name"].tolist() == ["JOSÉ", "ANA"]
    assert log[["record_key", "old", "new"]].values.tolist() == [[1, "JOSÉ", "JOSE"]]


def test_name_swap_skips_a_table_with_one_name_column():
    table = pd.DataFrame({KEY: [1], "first_name": ["ANA"]})
    out, log = _noise(table, {"name_swap": 1.0}, 0, None)
    pd.testing.assert_frame_equal(out, table)
    assert log.empty
