"""One-to-one assignment and the shared normalisation."""

from __future__ import annotations

import pandas as pd
import pytest

from benchmark.strategies import normalize
from benchmark.strategies.assignment import one_to_one


def pairs(rows):
    return pd.DataFrame(rows, columns=["request_id", "record_id", "score"])


@pytest.mark.parametrize(
    ("description", "rows", "expected"),
    [
        (
            "best score first",
            [(1, 7, 0.9), (1, 8, 0.5), (2, 7, 0.8), (2, 8, 0.7)],
            {(1, 7), (2, 8)},
        ),
        ("record taken by a better request", [(1, 7, 0.9), (2, 7, 0.95)], {(2, 7)}),
        ("ties go to the lower request id", [(2, 7, 0.9), (1, 7, 0.9)], {(1, 7)}),
        ("ties go to the lower record id", [(1, 8, 0.9), (1, 7, 0.9)], {(1, 7)}),
        ("greedy, not optimal", [(1, 7, 0.9), (1, 8, 0.85), (2, 7, 0.8)], {(1, 7)}),
        ("empty", [], set()),
    ],
)
def test_one_to_one(description, rows, expected):
    got = one_to_one(pairs(rows))
    assert set(zip(got["request_id"], got["record_id"], strict=True)) == expected
    assert got["request_id"].is_unique and got["record_id"].is_unique


def test_one_to_one_is_deterministic_under_row_order():
    p = pairs(
        [
            (q, r, s)
            for q in range(20)
            for r in range(15)
            for s in [round(((q * 7 + r * 3) % 5) / 5, 1)]
        ]
    )
    a = one_to_one(p)
    b = one_to_one(p.sample(frac=1.0, random_state=3))
    pd.testing.assert_frame_equal(a, b)


@pytest.mark.parametrize(
    ("fn", "raw", "expected"),
    [
        (normalize.name, "Muñoz-García", "MUNOZ GARCIA"),
        (normalize.name, "  ma. josé ", "MA JOSE"),
        (normalize.name, "Nguyễn", "NGUYEN"),
        (normalize.name, "O'Brien", "O BRIEN"),
        (normalize.name_control, "de la Cruz", "DELA"),
        (normalize.name_control, "García López", "GARC"),
        (normalize.name_control, "Li", "LI"),
        (normalize.street, "North Main Street", "N MAIN ST"),
        (normalize.street, "n. main st.", "N MAIN ST"),
        (normalize.street, "West Cesar Chavez Boulevard", "W CESAR CHAVEZ BLVD"),
        (normalize.unit, "APT 4B", "4B"),
        (normalize.unit, "#4B", "4B"),
        (normalize.unit, "Unit 4-B", "4B"),
        (normalize.digits, "123-45-6789", "123456789"),
        (normalize.zip5, "60639-1234", "60639"),
        (normalize.zip5, "6063", None),
    ],
)
def test_normalize(fn, raw, expected):
    assert fn(pd.Series([raw, None], dtype=object)).tolist() == [expected, None]


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("FAILED TO PROVIDE 12345", True),
        ("UNKNOWN 60639-1234", True),
        ("12 ELM ST, CHICAGO, IL 606391234", True),
        ("UNKNOWN ADDRESS", False),
        ("NA NA", False),
        ("APT 1234", False),
        ("123456", False),
        (None, False),
    ],
)
def test_zip_token(address, expected):
    assert normalize.has_zip_token(pd.Series([address], dtype=object)).tolist() == [expected]
