"""Property-based tests (Hypothesis) for the shared normalisation and the feature tables.

Every public normaliser in :mod:`benchmark.strategies.normalize`, the ``per_distinct``
decorator and ``features.prepare`` are run on arbitrary Unicode text (the full
range without surrogates: empty strings, odd whitespace, combining marks,
strings of a few hundred characters) mixed with missing cells (``None``,
``NaN``, ``pd.NA``), in object columns and in columns of the dtype pandas
infers (``str`` under pandas 3), and checked for:

- no exception, index and length kept, missing in -> ``None`` out
  (``has_zip_token``: ``False``);
- the documented output shape (``name``: upper-case ASCII words, ``zip5``: five
  digits, ``name_control``: at most four letters, ...);
- idempotence where the contract implies it, and the documented relations
  between normalisers (``first_token`` is the first word of ``name``, ...);
- per-value results: a cell's result depends on that cell only, and repeated
  values share one result object (the ``per_distinct`` promise);
- ``prepare``: each feature is its normaliser applied to its column, and equal
  raw values give equal features on the request side and the record side.

Settings are derandomised, so every run tests the same examples.
"""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from benchmark.strategies import normalize
from benchmark.strategies.features import FEATURE_COLUMNS, prepare
from benchmark.strategies.link_data import RECORD_COLUMNS, REQUEST_COLUMNS, LinkData
from data_gen.text import DIRECTIONALS, STREET_TYPES, fold_accents

# budget: the whole file runs in about 20 seconds on two cores
PROPERTY = settings(max_examples=40, deadline=None, derandomize=True)
CHEAP = settings(max_examples=100, deadline=None, derandomize=True)
PREPARE = settings(max_examples=25, deadline=None, derandomize=True)

# ----------------------------------------------------------------------------
# strategies

NULLS = st.sampled_from([None, np.nan, pd.NA])
UNICODE = st.characters(exclude_categories=("Cs",))  # every code point but surrogates
LATIN = st.characters(min_codepoint=0x20, max_codepoint=0x24F)  # ASCII, Latin-1, Latin Ext-A/B
MARKS = st.characters(categories=("Mn", "Mc", "Me"))  # combining marks
SPACES = st.sampled_from([" ", "  ", "\t", "\n", "\r\n", "\u00a0", "\u2003", "\u3000", "\u200b"])
ASCII_DIGITS = st.sampled_from("0123456789")
TOKENS = st.sampled_from(
    [
        # designators, street words and directionals, in several cases
        "APT",
        "Apt.",
        "#",
        "UNIT",
        "STE",
        "NO",
        "NORTH",
        "north",
        "Street",
        "ST.",
        "BOULEVARD",
        "WAY",
        # names with accents, hyphens, apostrophes, compatibility characters
        "Muñoz-García",
        "Nguyễn",
        "Đặng",
        "O'Brien",
        "Ma. José",
        "ß",
        "ı",
        "ﬁ",
        "Ⅻ",
        "①",
        # digit material: ZIP+4, TIN, fullwidth and Arabic-Indic digits
        "60639-1234",
        "123-45-6789",
        "１２３４５",
        "١٢٣٤٥",
    ]
)
PIECES = st.one_of(
    st.text(LATIN, min_size=1, max_size=8),
    st.text(MARKS, min_size=1, max_size=3),
    SPACES,
    TOKENS,
    st.text(ASCII_DIGITS, min_size=1, max_size=10),
    st.text(UNICODE, min_size=1, max_size=4),
)
TEXT = st.one_of(
    st.text(UNICODE, max_size=30),
    st.text(LATIN, max_size=30),
    st.lists(PIECES, max_size=8).map("".join),
    st.text(UNICODE, min_size=150, max_size=300),
)
CELLS = st.one_of(TEXT, NULLS)
STREET_FORMS = {**STREET_TYPES, **DIRECTIONALS}
UNIT_PREFIX = re.compile(r"(?:APT|APARTMENT|UNIT|STE|SUITE|#|NO)")


@st.composite
def columns(draw, cells=CELLS, max_size=10) -> pd.Series:
    """A text column: object or inferred dtype, shuffled non-default index, repeated values."""
    values = draw(st.lists(cells, max_size=max_size))
    if values and draw(st.booleans()):
        values += draw(st.lists(st.sampled_from(values), min_size=1, max_size=4))
    index = [100 + 3 * i for i in draw(st.permutations(range(len(values))))]
    dtype = draw(st.sampled_from([object, None]))  # None: pandas infers (``str`` when it can)
    return pd.Series(values, index=index, dtype=dtype)


def cells_of(values: pd.Series) -> list:
    """The raw cells, with every kind of missing value as ``None``."""
    return [None if pd.isna(v) else v for v in values]


def one(fn, value):
    """``fn`` applied to a single cell."""
    return fn(pd.Series([value], dtype=object)).iloc[0]


# ----------------------------------------------------------------------------
# every normaliser: no crash, index kept, missing stays missing, documented shape

NORMALISERS = {
    "name": normalize.name,
    "name_control": normalize.name_control,
    "first_token": normalize.first_token,
    "street": normalize.street,
    "unit": normalize.unit,
    "digits": normalize.digits,
    "zip5": normalize.zip5,
}
WORDS = r"[A-Z0-9]+(?: [A-Z0-9]+)*"
SHAPES = {
    "name": WORDS,  # upper case, accents folded, punctuation gone, single spaces
    "name_control": r"[A-Z]{1,4}",  # first four letters, spaces ignored
    "first_token": r"[A-Z0-9]+",
    "street": WORDS,
    "unit": r"[A-Z0-9]+",  # designator, punctuation and spaces dropped
    "digits": r"[0-9]+",
    "zip5": r"[0-9]{5}",
}
IDEMPOTENT = ("name", "name_control", "first_token", "street", "digits", "zip5")


@pytest.mark.parametrize("fn_name", list(NORMALISERS))
@PROPERTY
@given(values=columns())
def test_normaliser_keeps_index_and_missing_and_has_documented_shape(fn_name, values):
    out = NORMALISERS[fn_name](values)
    assert isinstance(out, pd.Series) and out.dtype == object
    assert out.index.equals(values.index)
    for raw, got in zip(cells_of(values), out, strict=True):
        if raw is None:
            assert got is None
        else:
            assert got is None or (isinstance(got, str) and re.fullmatch(SHAPES[fn_name], got)), (
                f"{fn_name}({raw!r}) = {got!r}"
            )


@pytest.mark.parametrize("fn_name", IDEMPOTENT)
@PROPERTY
@given(values=columns())
def test_normaliser_is_idempotent(fn_name, values):
    fn = NORMALISERS[fn_name]
    once = fn(values)
    assert fn(once).tolist() == once.tolist()


@pytest.mark.parametrize("fn_name", list(NORMALISERS))
@PROPERTY
@given(values=columns())
def test_normaliser_result_depends_on_the_cell_only(fn_name, values):
    """Same result alone, in reverse order, twice; repeated values share one result object."""
    fn = NORMALISERS[fn_name]
    out = fn(values)
    assert fn(values).tolist() == out.tolist()
    assert fn(values.iloc[::-1]).tolist() == out.tolist()[::-1]
    raw = cells_of(values)
    for v, got in zip(raw, out, strict=True):
        assert one(fn, v) == got
    first_result = {}
    for v, got in zip(raw, out, strict=True):
        if v is not None and got is not None:
            assert first_result.setdefault(v, got) is got


# ----------------------------------------------------------------------------
# documented relations between the normalisers


@PROPERTY
@given(values=columns())
def test_first_token_and_name_control_derive_from_name(values):
    names = normalize.name(values)
    for norm, first, control in zip(
        names, normalize.first_token(values), normalize.name_control(values), strict=True
    ):
        if norm is None:
            assert first is None and control is None
        else:
            assert first == norm.split(" ")[0]
            assert control == (re.sub(r"[^A-Z]", "", norm)[:4] or None)


@CHEAP
@given(text=TEXT)
def test_name_ignores_accents(text):
    assert one(normalize.name, fold_accents(text)) == one(normalize.name, text)


@CHEAP
@given(text=st.text(LATIN, max_size=30))
def test_name_ignores_case_of_latin_text(text):
    assert one(normalize.name, text.lower()) == one(normalize.name, text.upper())


@PROPERTY
@given(values=columns())
def test_street_is_name_with_usps_abbreviations(values):
    names = normalize.name(values)
    streets = normalize.street(values)
    assert normalize.street(names).tolist() == streets.tolist()
    for norm, got in zip(names, streets, strict=True):
        assert (norm is None) == (got is None)
        if got is not None:
            assert len(got.split(" ")) == len(norm.split(" "))
            long_forms = [w for w in got.split(" ") if STREET_FORMS.get(w, w) != w]
            assert not long_forms, f"{norm!r} -> {got!r} keeps {long_forms}"


@CHEAP
@given(
    number=st.from_regex(r"[0-9][0-9A-Z]{0,4}", fullmatch=True),
    form=st.sampled_from(
        ["APT {}", "#{}", "UNIT {}", "APT-{}", "{}", "apt {}", "Unit {}", "Suite {}", "STE {}"]
    ),
)
def test_unit_drops_every_designator_form(number, form):
    assert one(normalize.unit, form.format(number)) == number


@PROPERTY
@given(values=columns())
def test_unit_is_idempotent_when_no_designator_is_left(values):
    once = normalize.unit(values)
    again = normalize.unit(once)
    for a, b in zip(once, again, strict=True):
        if a is None or not UNIT_PREFIX.match(a):
            assert b == a


@PROPERTY
@given(values=columns())
def test_digits_keeps_exactly_the_ascii_digits(values):
    for raw, got in zip(cells_of(values), normalize.digits(values), strict=True):
        if raw is not None:
            assert got == ("".join(c for c in raw if c in "0123456789") or None)


@PROPERTY
@given(values=columns())
def test_zip5_is_the_first_five_digits(values):
    for d, z in zip(normalize.digits(values), normalize.zip5(values), strict=True):
        assert z == (d[:5] if d is not None and len(d) >= 5 else None)


# ----------------------------------------------------------------------------
# has_zip_token


@PROPERTY
@given(values=columns())
def test_has_zip_token_is_boolean_false_when_missing_and_per_value(values):
    out = normalize.has_zip_token(values)
    assert out.dtype == bool and out.index.equals(values.index)
    raw = cells_of(values)
    assert normalize.has_zip_token(values.iloc[::-1]).tolist() == out.tolist()[::-1]
    for v, got, d in zip(raw, out, normalize.digits(values), strict=True):
        if v is None:
            assert not got
        if got:  # a ZIP-like token needs at least five ASCII digits
            assert d is not None and len(d) >= 5
        assert bool(normalize.has_zip_token(pd.Series([v], dtype=object)).iloc[0]) == got


@CHEAP
@given(
    before=TEXT.filter(lambda s: not s or s[-1] not in "0123456789"),
    token=st.from_regex(r"[0-9]{5}(-?[0-9]{4})?", fullmatch=True),
    after=TEXT.filter(lambda s: not s or s[0] not in "0123456789"),
)
def test_has_zip_token_finds_a_planted_zip(before, token, after):
    assert normalize.has_zip_token(pd.Series([before + token + after])).tolist() == [True]


@CHEAP
@given(run=st.text(st.sampled_from("0123456789"), min_size=1, max_size=12), text=TEXT)
def test_has_zip_token_needs_a_run_of_exactly_five_or_nine_digits(run, text):
    # a digit run alone, or behind text that ends in no digit
    alone = len(run) in (5, 9)
    got = normalize.has_zip_token(pd.Series([run, f"{text} {run}"], dtype=object)).tolist()
    assert got[0] == alone
    if normalize.digits(pd.Series([text])).iloc[0] is None:  # text without digits
        assert got[1] == alone


# ----------------------------------------------------------------------------
# per_distinct


@PROPERTY
@given(values=columns(), as_list=st.booleans())
def test_per_distinct_calls_fn_once_on_distinct_present_values(values, as_list):
    calls: list[list] = []

    @normalize.per_distinct
    def probe(s: pd.Series) -> pd.Series:
        calls.append(list(s))
        # None for some values: a normaliser may map a value to missing
        return pd.Series(
            [None if len(v) % 3 == 0 else f"<{v}>" for v in s], index=s.index, dtype=object
        )

    raw = cells_of(values)
    out = probe(raw if as_list else values)
    assert len(calls) == 1
    present = [v for v in raw if v is not None]
    assert calls[0] == list(dict.fromkeys(present)), "distinct values, in order of appearance"
    expected_index = pd.RangeIndex(len(raw)) if as_list else values.index
    assert out.index.equals(expected_index) and out.dtype == object
    for v, got in zip(raw, out, strict=True):
        assert got == (None if v is None or len(v) % 3 == 0 else f"<{v}>")
    results = {}
    for v, got in zip(raw, out, strict=True):
        if got is not None:
            assert results.setdefault(v, got) is got, "repeated values share one object"


# ----------------------------------------------------------------------------
# features.prepare


FEATURE_SOURCES = {
    "first_norm": (normalize.name, "first_name"),
    "first1": (normalize.first_token, "first_name"),
    "last_norm": (normalize.name, "last_name"),
    "last1": (normalize.first_token, "last_name"),
    "name_control": (normalize.name_control, "last_name"),
    "house": (normalize.digits, "house_number"),
    "street_norm": (normalize.street, "street"),
    "unit_norm": (normalize.unit, "unit"),
    "zip5": (normalize.zip5, "zip"),
    "tin": (normalize.digits, "tin"),
}
SHORT_CELLS = st.one_of(
    st.text(UNICODE, max_size=20), st.lists(PIECES, max_size=5).map("".join), NULLS
)
DOBS = st.one_of(st.dates(dt.date(1900, 1, 1), dt.date(2030, 12, 31)), st.none())
TEXT_COLUMNS = [c for c in REQUEST_COLUMNS if c not in ("request_id", "dob")]


@st.composite
def link_data(draw) -> tuple[LinkData, np.ndarray]:
    """Requests from arbitrary cells; records hold the same people's raw values, shuffled."""
    n = draw(st.integers(1, 6))
    raw = {c: draw(st.lists(SHORT_CELLS, min_size=n, max_size=n)) for c in TEXT_COLUMNS}
    dob = np.array(
        [
            np.datetime64("NaT") if d is None else np.datetime64(d, "D")
            for d in draw(st.lists(DOBS, min_size=n, max_size=n))
        ],
        dtype="datetime64[D]",
    ).astype("datetime64[s]")
    dtype = draw(st.sampled_from([object, None]))  # None: pandas infers (``str`` when it can)
    requests = pd.DataFrame(
        {
            "request_id": np.arange(n, dtype=np.int64) * 5 + 11,
            **{c: pd.Series(raw[c], dtype=dtype) for c in TEXT_COLUMNS},
            "dob": dob,
        }
    )[list(REQUEST_COLUMNS)]
    perm = np.array(draw(st.permutations(range(n))), dtype=np.int64)
    records = pd.DataFrame(
        {
            "record_id": np.arange(n, dtype=np.int64) * 7 + 1000,
            "return_id": np.arange(n, dtype=np.int64),
            "role": "PRIMARY",
            "tin_type": "ITIN",
            "middle_name": pd.Series(draw(st.lists(SHORT_CELLS, min_size=n, max_size=n))),
            **{
                c: requests[c].iloc[perm].reset_index(drop=True)
                for c in RECORD_COLUMNS
                if c in requests.columns
            },
        }
    )[list(RECORD_COLUMNS)]
    labelled = draw(st.booleans())
    if labelled:
        requests["person_id"] = np.arange(n, dtype=np.int64)
        records["person_id"] = perm
    labels = pd.DataFrame({"request_id": requests["request_id"]}) if labelled else None
    return LinkData(requests=requests, records=records, labels=labels), perm


@PREPARE
@given(drawn=link_data())
def test_prepare_builds_each_feature_from_its_column_the_same_way_on_both_sides(drawn):
    data, perm = drawn
    req, rec = prepare(data)
    for table, feats, id_column in (
        (data.requests, req, "request_id"),
        (data.records, rec, "record_id"),
    ):
        assert len(feats) == len(table)
        assert set(FEATURE_COLUMNS) <= set(feats.columns)
        assert feats.index.equals(pd.RangeIndex(len(table)))
        ids = table[id_column].tolist()
        assert feats[id_column].tolist() == ids and feats["unique_id"].tolist() == ids
        assert ("person_id" in feats.columns) == (data.labels is not None)
        for feature, (fn, column) in FEATURE_SOURCES.items():
            assert feats[feature].tolist() == fn(table[column]).tolist(), feature
        for raw, dob, year in zip(table["dob"], feats["dob"], feats["dob_year"], strict=True):
            if pd.isna(raw):
                assert dob is None and year is None
            else:
                assert dob == raw.date().isoformat() and year == dob[:4]
        for norm, tokens in zip(feats["last_norm"], feats["last_tokens"], strict=True):
            assert (norm is None) == (tokens is None)
            if norm is not None:
                assert " ".join(tokens) == norm and all(tokens)
    expected = normalize.has_zip_token(data.requests["address"]).tolist()
    assert req["addr_has_zip"].dtype == bool and req["addr_has_zip"].tolist() == expected
    # the same raw values give the same features on both sides: record k holds
    # request perm[k]'s raw values
    shared = [c for c in FEATURE_COLUMNS if c != "unique_id"]
    expected_rec = req.loc[perm, shared].reset_index(drop=True)
    pd.testing.assert_frame_equal(rec[shared], expected_rec)
    # and the same LinkData gives the same tables again
    again = prepare(data)
    pd.testing.assert_frame_equal(again[0], req)
    pd.testing.assert_frame_equal(again[1], rec)


# a dob column of text (not what data_gen writes, but what a user's Parquet file may hold):
# each value is read on its own


def _text_dob_data(dobs: list[str]) -> LinkData:
    n = len(dobs)
    requests = pd.DataFrame({c: [None] * n for c in REQUEST_COLUMNS}, dtype=object)
    requests["request_id"] = np.arange(n, dtype=np.int64)
    requests["dob"] = pd.Series(dobs, dtype=object)
    records = pd.DataFrame({c: [None] * n for c in RECORD_COLUMNS}, dtype=object)
    records["record_id"] = np.arange(n, dtype=np.int64)
    records["dob"] = pd.Series(dobs, dtype=object)
    return LinkData(requests=requests, records=records)


def test_prepare_text_dob_with_mixed_utc_offsets():
    """Each date keeps its own calendar day (a vectorised parse refused mixed offsets)."""
    dob = prepare(_text_dob_data(["2020-01-01T00:00+01:00", "2020-01-01T00:00+02:00"]))[0]["dob"]
    assert dob.tolist() == ["2020-01-01", "2020-01-01"]


def test_prepare_text_dob_depends_on_the_cell_only():
    """A vectorised parse once guessed one format from the first cell and lost the others."""
    together = prepare(_text_dob_data(["01/02/2020", "2020-01-03"]))[0]["dob"].tolist()
    alone = prepare(_text_dob_data(["2020-01-03"]))[0]["dob"].tolist()
    assert together[1] == alone[0] == "2020-01-03"
