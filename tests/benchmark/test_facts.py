"""Every published figure the calibration uses comes from one table with its source."""

from __future__ import annotations

import ast
import inspect
import re

import pytest

from benchmark.experiments import (
    calibration,
    calibration_analysis,
    calibration_draws,
    calibration_waves,
)
from benchmark.facts import FACTS


@pytest.mark.parametrize("aggregate", calibration.PUBLISHED, ids=lambda a: a.name)
def test_published_aggregate_is_a_ratio_of_two_facts_and_cites_its_numerator(aggregate):
    numerator, denominator = FACTS[aggregate.numerator], FACTS[aggregate.denominator]
    assert aggregate.value == pytest.approx(numerator.value / denominator.value, rel=1e-12)
    assert f"{numerator.value:,}" in aggregate.source
    assert numerator.source in aggregate.source


def test_source_labels_follow_the_shared_facts():
    # shared/reference/facts.md §7 "Source labels"
    assert FACTS["tin_path_disclosures"].value == 42_695
    assert "Kollar-Kotelly" in FACTS["tin_path_disclosures"].source
    assert "26 Feb 2026" in FACTS["tin_path_disclosures"].source
    assert FACTS["junk_disclosures"].value == 2_350
    assert "Romo declaration" in FACTS["junk_disclosures"].source
    assert "11 Feb 2026" in FACTS["junk_disclosures"].source
    assert FACTS["matches_2025"].value == 47_289
    assert "Romo declaration" in FACTS["matches_2025"].source
    for fact in FACTS.values():
        assert fact.url.startswith("https://") and fact.counts and fact.source


@pytest.mark.parametrize(
    "module",
    [calibration, calibration_draws, calibration_analysis, calibration_waves],
    ids=lambda m: m.__name__.rsplit(".", 1)[-1],
)
def test_calibration_modules_write_no_published_figure_of_their_own(module):
    """Numbers of 1,000 or more in the modules' code or text must come from FACTS."""
    tree = ast.parse(inspect.getsource(module))
    known = {f"{f.value:,}" for f in FACTS.values()}
    scales = {10**k for k in range(3, 7)}  # per-1,000 ... per-1,000,000 scalings
    for node in ast.walk(tree):
        if not isinstance(node, ast.Constant):
            continue
        value = node.value
        if isinstance(value, int) and not isinstance(value, bool):
            assert abs(value) < 1_000 or value in scales, f"literal {value} at line {node.lineno}"
        if isinstance(value, str):
            for figure in re.findall(r"\d{1,3}(?:,\d{3})+", value):
                assert figure in known, f"figure {figure} at line {node.lineno}"
