"""The paired-differences and reliability figures, drawn from small synthetic tables."""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.container import ErrorbarContainer  # noqa: E402

from benchmark.evaluation.paired import METRICS, PAIRED_COLUMNS  # noqa: E402
from benchmark.evaluation.reliability import RELIABILITY_COLUMNS, reliability  # noqa: E402
from benchmark.reporting import figure_paired, figure_reliability  # noqa: E402
from benchmark.reporting.figure_paired import paired_differences_figure  # noqa: E402
from benchmark.reporting.figure_reliability import reliability_figure  # noqa: E402

COLOURS = {"exact": "#E69F00", "fuzzy": "#56B4E9", "splink": "#009E73"}


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def _errorbars(ax) -> list[ErrorbarContainer]:
    return [c for c in ax.containers if isinstance(c, ErrorbarContainer)]


def _paired_table(metrics=tuple(METRICS)) -> pd.DataFrame:
    """Three pairs: one resolved, one not, one without a common world."""
    pairs = [
        ("exact", "fuzzy", 40.0, 10.0, 70.0, True, 3),
        ("exact", "splink", -5.0, -20.0, 10.0, False, 3),
        ("fuzzy", "splink", np.nan, np.nan, np.nan, False, 0),
    ]
    rows = []
    for a, b, d, lo, hi, resolved, worlds in pairs:
        for m in metrics:
            rows.append(
                {
                    "strategy_a": a,
                    "strategy_b": b,
                    "operating_point_a": "natural",
                    "operating_point_b": "precision_0.99",
                    "metric": m,
                    "a_per_100k": 100.0 + (d if worlds else np.nan),
                    "b_per_100k": 100.0 if worlds else np.nan,
                    "difference": d,
                    "ci_low": lo,
                    "ci_high": hi,
                    "resolved": resolved,
                    "discordant": 12 if worlds else 0,
                    "worlds": worlds,
                    "requests": 30_000 if worlds else 0,
                    "dispersion": 1.0,
                }
            )
    return pd.DataFrame(rows, columns=list(PAIRED_COLUMNS))


def test_paired_figure_draws_every_pair():
    fig = paired_differences_figure({"paired_differences": _paired_table()}, plt, COLOURS)
    assert figure_paired.NAME == "paired_differences" and figure_paired.TITLE
    axes = fig.axes
    assert len(axes) == len(METRICS)
    for ax in axes:
        bars = _errorbars(ax)
        # resolved and unresolved drawn apart: one point each, the third pair has none
        assert len(bars) == 2
        assert sorted(len(b.lines[0].get_xdata()) for b in bars) == [1, 1]
        resolved = next(b for b in bars if b.get_label() == "interval excludes 0")
        assert resolved.lines[0].get_xdata()[0] == 40.0
        assert any(line.get_xdata()[0] == 0 for line in ax.get_lines())  # the line at 0
        assert any("no world" in t.get_text() for t in ax.texts)
    labels = [t.get_text() for t in axes[0].get_yticklabels()]
    assert len(labels) == 3 and labels[0].startswith("exact − fuzzy")
    fig.savefig(io.BytesIO(), format="png")


def test_paired_figure_one_metric_and_empty():
    table = _paired_table(metrics=("wrong_person_per_100k",))
    fig = paired_differences_figure({"paired_differences": table}, plt, COLOURS)
    assert len(fig.axes) == 1
    assert paired_differences_figure({}, plt, COLOURS) is None
    empty = pd.DataFrame(columns=list(PAIRED_COLUMNS))
    assert paired_differences_figure({"paired_differences": empty}, plt, COLOURS) is None


def _reliability_table() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    parts = []
    for s, bias in (("fuzzy", 0.0), ("splink", 0.04)):
        p = np.concatenate([rng.random(2000), 1 - rng.random(3000) ** 3 * 0.1])
        is_true = rng.random(len(p)) < np.clip(p - bias, 0, 1)
        for assignment in ("none", "one_to_one"):
            parts.append(reliability(p, is_true).assign(strategy=s, assignment=assignment))
    return pd.concat(parts, ignore_index=True)[["strategy", "assignment", *RELIABILITY_COLUMNS]]


def test_reliability_figure_draws_each_strategy():
    table = _reliability_table()
    fig = reliability_figure({"reliability": table}, plt, COLOURS)
    assert figure_reliability.NAME == "reliability"
    whole, near = fig.axes
    for ax in (whole, near):
        bars = _errorbars(ax)
        assert [b.get_label() for b in bars] == ["fuzzy", "splink"]
        for b in bars:
            assert b.lines[0].get_color() == COLOURS[b.get_label()]
    none = table[(table["assignment"] == "none") & (table["strategy"] == "fuzzy")]
    assert len(_errorbars(whole)[0].lines[0].get_xdata()) == len(none)
    high = none[none["claimed"] >= figure_reliability.ZOOM]
    assert len(_errorbars(near)[0].lines[0].get_xdata()) == len(high) >= 3
    assert near.get_xlim()[0] == figure_reliability.ZOOM
    assert any("matter most" in t.get_text() for t in near.texts)
    fig.savefig(io.BytesIO(), format="png")


def test_reliability_figure_empty():
    assert reliability_figure({}, plt, COLOURS) is None
    empty = pd.DataFrame(columns=["strategy", "assignment", *RELIABILITY_COLUMNS])
    assert reliability_figure({"reliability": empty}, plt, COLOURS) is None
    only_one_to_one = _reliability_table().assign(assignment="one_to_one")
    assert reliability_figure({"reliability": only_one_to_one}, plt, COLOURS) is None
