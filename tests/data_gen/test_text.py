"""Shared text utilities (``data_gen.text``) and the layout promises around them.

The generator's noise and the strategies' normalisation share one home for accent
folding, the USPS street words and the once-per-distinct-value helpers; ``data_gen``
imports nothing from ``benchmark``; the registry states each side's rate by keyword.
"""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from benchmark.strategies import normalize
from data_gen import noise_addresses, text
from data_gen.noise_registry import NOISE_TYPES, NoiseType

DATA_GEN = Path(text.__file__).resolve().parent


def test_each_distinct_calls_fn_once_per_distinct_value_and_keeps_missing_cells():
    calls = []

    def fn(v):
        calls.append(v)
        return v.lower()

    values = np.array(["A", None, "B", "A", float("nan"), "B"], dtype=object)
    assert text.each_distinct(fn, values).tolist() == ["a", None, "b", "a", None, "b"]
    assert sorted(calls) == ["A", "B"]


def test_mask_each_distinct_is_false_on_missing_and_non_text_cells():
    calls = []

    def pred(v):
        calls.append(v)
        return v.startswith("A")

    values = np.array(["AB", None, 3, "BA", "AB"], dtype=object)
    assert text.mask_each_distinct(pred, values).tolist() == [True, False, False, False, True]
    assert sorted(calls) == ["AB", "BA"]


def test_per_distinct_keeps_index_and_missing_values():
    seen = []

    @text.per_distinct
    def upper(s: pd.Series) -> pd.Series:
        seen.append(len(s))
        return s.str.upper()

    out = upper(pd.Series(["a", None, "a", "b"], index=[10, 11, 12, 13]))
    assert out.tolist() == ["A", None, "A", "B"]
    assert out.index.tolist() == [10, 11, 12, 13]
    assert seen == [2]


def test_noise_and_normalisation_share_one_home():
    assert normalize.per_distinct is text.per_distinct
    assert normalize.fold_accents is text.fold_accents
    assert normalize.STREET_TYPES is text.STREET_TYPES
    assert normalize.DIRECTIONALS is text.DIRECTIONALS
    assert noise_addresses.STREET_TYPES is text.STREET_TYPES
    assert noise_addresses.DIRECTIONALS is text.DIRECTIONALS


@pytest.mark.parametrize("path", sorted(DATA_GEN.glob("*.py")), ids=lambda p: p.name)
def test_data_gen_imports_nothing_from_benchmark(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            assert node.module.split(".")[0] != "benchmark", f"{path.name}:{node.lineno}"
        if isinstance(node, ast.Import):
            for alias in node.names:
                assert alias.name.split(".")[0] != "benchmark", f"{path.name}:{node.lineno}"


def test_noise_types_take_their_rates_by_keyword_and_name_the_side():
    nt = NOISE_TYPES[0]
    assert nt.default_rate("irs") == nt.irs_rate
    assert nt.default_rate("requests") == nt.request_rate
    with pytest.raises(ValueError, match="unknown side"):
        nt.default_rate("irs_filers")
    with pytest.raises(TypeError):
        NoiseType(nt.name, nt.family, nt.columns, nt.fn, nt.eligible, 0.1, 0.2, "x")  # type: ignore[misc]
