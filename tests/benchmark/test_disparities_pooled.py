"""Disparities pooled over worlds: summed counts, intervals, parity ratios, pair completeness."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from benchmark.evaluation.disparities import (
    COUNTS,
    disparities,
    pair_completeness_by_group,
    pool_disparities,
    pool_pair_completeness,
    ratio_to_whole,
)

KEY = {"strategy": "s", "assignment": "none", "operating_point": "natural"}

# r1 found, r2 missed, r3 (no record) wrong, r4 found and wrong, r5 unmatched, r6 only wrong
REQUESTS = pd.DataFrame(
    {
        "request_id": [1, 2, 3, 4, 5, 6],
        "has_true_pair": [True, True, False, True, False, True],
        "origin": ["a", "a", "b", "b", "b", "a"],
        "state": ["CA", "CA", "CA", "TX", "TX", "TX"],
    }
)
DECISIONS = pd.DataFrame(
    {
        "request_id": [1, 3, 4, 4, 6],
        "record_id": [101, 103, 104, 105, 107],
        "is_true": [True, False, True, False, False],
    }
)
DIMS = ("origin", "state")


def _world(decisions: pd.DataFrame = DECISIONS, **key) -> pd.DataFrame:
    d = disparities(decisions, REQUESTS, DIMS)
    return d.assign(**{**KEY, **key})[[*KEY, *d.columns]]


def test_disparities_count_requests_with_a_true_pair_and_those_found():
    d = _world().set_index(["dimension", "group"])
    a, b = d.loc[("origin", "a")], d.loc[("origin", "b")]
    assert (a["with_true_pair"], a["found"]) == (3, 1)
    assert (b["with_true_pair"], b["found"]) == (1, 1)
    assert (d.loc[("state", "TX"), "with_true_pair"], d.loc[("state", "TX"), "found"]) == (2, 1)
    assert (d["found"] <= d["with_true_pair"]).all()


def test_pooled_counts_are_the_sums_over_worlds():
    fewer = DECISIONS[DECISIONS["request_id"] != 4]
    worlds = [_world(), _world(fewer), _world(DECISIONS.iloc[:0])]
    pooled = pool_disparities(worlds).set_index(["strategy", "dimension", "group"])
    summed = pd.concat(worlds).groupby(["strategy", "dimension", "group"])[list(COUNTS)].sum()
    pd.testing.assert_frame_equal(
        pooled[list(COUNTS)].sort_index(), summed.sort_index(), check_dtype=False
    )
    assert (pooled["worlds"] == 3).all()
    a = pooled.loc[("s", "origin", "a")]
    assert a["wrong_person_rate"] == pytest.approx(a["requests_with_wrong_person"] / 9)
    assert a["rate_ci_low"] < a["wrong_person_rate"] < a["rate_ci_high"]
    assert a["per_100k_ci_low"] < a["wrong_person_per_100k"] < a["per_100k_ci_high"]
    assert a["wrong_person_per_100k"] == pytest.approx(a["wrong_person"] * 100_000 / 9)


def test_pooling_counts_only_the_worlds_that_have_the_row():
    other = _world(strategy="t")
    pooled = pool_disparities([_world(), pd.concat([_world(), other])])
    worlds = pooled.groupby("strategy")["worlds"].unique()
    assert worlds["s"].tolist() == [2] and worlds["t"].tolist() == [1]
    assert pooled["strategy"].tolist() == ["s"] * 4 + ["t"] * 4
    assert pool_disparities([]).empty


def test_pooled_recall_and_its_ratio():
    pooled = pool_disparities([_world(), _world()]).set_index(["dimension", "group"])
    a, b = pooled.loc[("origin", "a")], pooled.loc[("origin", "b")]
    assert a["recall"] == pytest.approx(2 / 6)
    assert b["recall"] == pytest.approx(1.0)
    assert a["recall_ci_low"] < a["recall"] < a["recall_ci_high"]
    # recall of the whole origin dimension: 4 found of 8
    assert a["recall_ratio"] == pytest.approx((2 / 6) / (4 / 8))
    assert b["recall_ratio"] == pytest.approx(1.0 / (4 / 8))
    assert a["recall_ratio_ci_low"] <= a["recall_ratio"] <= a["recall_ratio_ci_high"]


def test_no_true_pair_no_recall_and_no_events_no_ratio():
    requests = REQUESTS.assign(has_true_pair=REQUESTS["origin"] == "a")
    d = disparities(DECISIONS.iloc[:0], requests, ("origin",)).assign(**KEY)
    pooled = pool_disparities([d]).set_index("group")
    assert np.isnan(pooled.loc["b", "recall"]) and np.isnan(pooled.loc["b", "recall_ci_low"])
    # nobody wrongly matched: the overall rate is 0, the ratio to it undefined
    assert pooled["rate_ratio"].isna().all()
    assert (pooled["wrong_person_rate"] == 0).all()
    assert (pooled["per_100k_ci_low"] == 0).all() and (pooled["per_100k_ci_high"] > 0).all()


def test_ratio_at_zero_counts_keeps_its_estimate_inside_the_interval():
    # group 0 has no event, the rest has all of them: R = 0; group 2 holds all events
    r, lo, hi = ratio_to_whole(
        np.array([0, 5, 5]), np.array([50, 50, 50]), np.array([5, 5, 5]), np.array([100, 100, 50])
    )
    assert (r[0], lo[0]) == (0.0, 0.0) and 0 < hi[0] < np.inf
    assert r[1] == pytest.approx(2.0) and hi[1] == pytest.approx(2.0) and 0 < lo[1] < 2
    # a group that is the whole is at parity exactly
    assert (r[2], lo[2], hi[2]) == (1.0, 1.0, 1.0)


def _simulated(rng, n, p, replicates):
    """``replicates`` worlds of binomial events per group, as one table keyed by replicate."""
    k = rng.binomial(n, p, size=(replicates, len(n)))
    return pd.DataFrame(
        {
            "strategy": np.repeat(np.arange(replicates).astype(str), len(n)),
            "assignment": "none",
            "operating_point": "natural",
            "dimension": "origin",
            "group": np.tile([f"g{i}" for i in range(len(n))], replicates),
            "requests": np.tile(n, replicates),
            "requests_with_wrong_person": k.ravel(),
            "wrong_person": k.ravel(),
            "correct": 0,
            "missed": 0,
            # recall: the same requests, found with another set of rates
            "with_true_pair": np.tile(n, replicates),
            "found": rng.binomial(n, 1 - p * 10, size=(replicates, len(n))).ravel(),
        }
    )


@pytest.mark.parametrize("scale", [1, 5])
def test_parity_ratio_intervals_cover_the_true_ratio(scale):
    rng = np.random.default_rng(20250 + scale)
    n = np.array([400, 1500, 800, 3000]) * scale
    p = np.array([0.01, 0.02, 0.005, 0.03])
    replicates = 1000
    pooled = pool_disparities([_simulated(rng, n, p, replicates)])
    true_rate = p / (n @ p / n.sum())
    q = 1 - 10 * p
    true_recall = q / (n @ q / n.sum())
    for column, truth in (("rate_ratio", true_rate), ("recall_ratio", true_recall)):
        lo = pooled[f"{column}_ci_low"].to_numpy().reshape(replicates, len(n))
        hi = pooled[f"{column}_ci_high"].to_numpy().reshape(replicates, len(n))
        coverage = ((lo <= truth) & (truth <= hi)).mean(axis=0)
        assert (coverage >= 0.93).all(), (column, coverage)
        # and the intervals are not trivially wide
        assert np.median(hi - lo) < 2


def test_pair_completeness_by_group_on_a_tiny_example():
    truth = pd.DataFrame({"request_id": [1, 2, 4, 4, 6], "record_id": [101, 102, 104, 108, 106]})
    pairs = pd.DataFrame({"request_id": [1, 3, 4, 6, 6], "record_id": [101, 103, 104, 107, 106]})
    pc = pair_completeness_by_group(pairs, truth, REQUESTS, DIMS).set_index(["dimension", "group"])
    a, b = pc.loc[("origin", "a")], pc.loc[("origin", "b")]
    assert (a["true_pairs_in_group"], a["true_pairs_in_candidates"]) == (3, 2)
    assert (b["true_pairs_in_group"], b["true_pairs_in_candidates"]) == (2, 1)
    assert a["pair_completeness"] == pytest.approx(2 / 3)
    assert a["pc_ci_low"] < 2 / 3 < a["pc_ci_high"]
    assert pc["true_pairs_in_group"].groupby(level="dimension").sum().tolist() == [5, 5]
    pooled = pool_pair_completeness(
        [pc.reset_index().assign(strategy="s"), pc.reset_index().assign(strategy="s")]
    ).set_index(["strategy", "dimension", "group"])
    assert pooled.loc[("s", "origin", "a"), "true_pairs_in_candidates"] == 4
    assert pooled.loc[("s", "origin", "a"), "pair_completeness"] == pytest.approx(2 / 3)
    assert (pooled["worlds"] == 2).all()


def test_a_group_without_true_pairs_has_no_completeness():
    truth = pd.DataFrame({"request_id": [1], "record_id": [101]})
    pc = pair_completeness_by_group(truth, truth, REQUESTS, ("origin",)).set_index("group")
    assert pc.loc["b", "true_pairs_in_group"] == 0
    assert np.isnan(pc.loc["b", "pair_completeness"]) and np.isnan(pc.loc["b", "pc_ci_low"])


def _figure_tables(pooled: pd.DataFrame) -> dict[str, pd.DataFrame]:
    ops = pd.DataFrame(
        {
            "strategy": ["s", "t", "s"],
            "assignment": ["none", "none", "one_to_one"],
            "operating_point": ["natural"] * 3,
            "main": [True, True, True],
        }
    )
    return {"disparities": pooled, "operating_points": ops}


def _pooled_two_strategies() -> pd.DataFrame:
    requests = REQUESTS.assign(surname_decile=["1", "1", "2", "2", "10", "10"], building_size="1")
    dims = ("surname_decile", "building_size")
    worlds = []
    for decisions in (DECISIONS, DECISIONS.iloc[:3]):
        for s, a in (("s", "none"), ("t", "none"), ("s", "one_to_one")):
            d = disparities(decisions, requests, dims)
            worlds.append(d.assign(strategy=s, assignment=a, operating_point="natural"))
    return pool_disparities([pd.concat(worlds[:3]), pd.concat(worlds[3:])])


def test_disparity_figure_has_error_bars_and_pooled_labels():
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.container import ErrorbarContainer

    from benchmark.reporting.figures import disparity_building, disparity_surname

    pooled = _pooled_two_strategies()
    colours = {"s": "#000000", "t": "#D55E00"}
    fig = disparity_surname(_figure_tables(pooled), plt, colours)
    ax = fig.axes[0]
    bars = [c for c in ax.containers if isinstance(c, ErrorbarContainer)]
    assert len(bars) == 2  # one per strategy, none for one-to-one
    xs = [c.lines[0].get_xdata() for c in bars]
    assert not np.allclose(xs[0], xs[1])  # offset so that the bars do not overlap
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert labels == ["1\n(n=4)", "2\n(n=4)", "10\n(n=4)"]
    assert "pooled over 2 worlds" in ax.get_ylabel()
    plt.close(fig)
    fig = disparity_building(_figure_tables(pooled), plt, colours)
    plt.close(fig)


def test_disparity_figure_draws_a_table_without_intervals():
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.container import ErrorbarContainer

    from benchmark.reporting.figures import disparity_surname

    old = _pooled_two_strategies().drop(
        columns=["rate_ci_low", "rate_ci_high", "worlds", "with_true_pair", "found"]
    )
    fig = disparity_surname(_figure_tables(old), plt, {"s": "#000000", "t": "#D55E00"})
    ax = fig.axes[0]
    assert not [c for c in ax.containers if isinstance(c, ErrorbarContainer)]
    assert len(ax.lines) == 2 and "pooled" not in ax.get_ylabel()
    plt.close(fig)


def test_report_tables_show_intervals_and_ratios(tmp_path, monkeypatch):
    from benchmark.reporting import sections

    pooled = _pooled_two_strategies()
    tables = _figure_tables(pooled)
    monkeypatch.setattr(sections, "read_table", lambda folder, name: tables[name])
    blocks = sections._disparity_tables(tmp_path)
    assert blocks[0].kind == "p" and "2 simulated worlds" in blocks[0].text
    table = next(b for b in blocks if b.kind == "table")
    assert table.header == [
        "group",
        "requests",
        "method",
        "wrong-person rate",
        "rate ratio",
        "recall",
        "recall ratio",
    ]
    assert len(table.items) == 3 * 2  # a row per decile and strategy
    assert all(" to " in cell for row in table.items for cell in row[3:] if cell != "n/a")
    old = pooled[["strategy", "assignment", "operating_point", "dimension", "group"]].assign(
        requests=4, wrong_person_rate=0.25
    )
    tables["disparities"] = old
    blocks = sections._disparity_tables(tmp_path)
    table = next(b for b in blocks if b.kind == "table")
    assert table.header[3:] == ["wrong-person rate"] and table.items[0][3] == "25.00%"
