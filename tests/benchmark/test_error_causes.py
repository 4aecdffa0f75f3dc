"""Error causes: routes with the recording errors behind them, their counts, figure and section."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from benchmark.evaluation.error_causes import (
    CAUSE_COLUMNS,
    CAUSE_COUNT_COLUMNS,
    COLUMNS,
    CauseTables,
    cause_counts,
    error_causes,
    load_cause_tables,
    top_routes,
)
from benchmark.evaluation.error_routes import ROUTE_NAMES, ROUTES, wrong_person_routes
from benchmark.reporting.blocks import spans
from benchmark.reporting.figure_causes import NAME, error_causes_figure
from benchmark.reporting.render import to_markdown
from benchmark.reporting.section_causes import cause_blocks
from data_gen.dataset import read_table
from data_gen.errors import InputError

KEYS = ["strategy", "assignment", "operating_point"]


@pytest.fixture(scope="module")
def cause(smoke_world) -> CauseTables:
    return load_cause_tables(smoke_world)


def _wrong_joins(smoke_world: Path) -> dict[str, pd.DataFrame]:
    """Wrong-person pairs of two stand-in strategies: same surname, and same TIN digits."""
    requests = read_table(smoke_world, "requests", ["request_id", "last_name", "tin"])
    records = read_table(smoke_world, "irs_filers", ["record_id", "last_name", "tin"])
    requested = read_table(smoke_world, "request_truth").set_index("request_id")["person_id"]
    disclosed = read_table(smoke_world, "irs_truth").set_index("record_id")["person_id"]
    for table in (requests, records):
        table["digits"] = table["tin"].astype("string").str.replace(r"\D", "", regex=True)
    joins = {
        "surname": requests.merge(records, on="last_name"),
        "tin": requests[requests["digits"].str.len() > 0].merge(records, on="digits"),
    }
    out = {}
    for name, pairs in joins.items():
        wrong = pairs["request_id"].map(requested).to_numpy() != (
            pairs["record_id"].map(disclosed).to_numpy()
        )
        out[name] = pairs.loc[wrong, ["request_id", "record_id"]].reset_index(drop=True)
    return out


@pytest.fixture(scope="module")
def wrong(smoke_world) -> pd.DataFrame:
    """Wrong-person disclosures keyed by strategy, assignment and operating point."""
    parts = []
    for strategy, pairs in _wrong_joins(smoke_world).items():
        stricter = pairs.iloc[: len(pairs) // 2]
        for point, rows in (("natural", pairs), ("precision_0.99", stricter)):
            for assignment, chosen in (
                ("none", rows),
                ("one_to_one", rows.drop_duplicates("request_id").drop_duplicates("record_id")),
            ):
                parts.append(
                    chosen.assign(strategy=strategy, assignment=assignment, operating_point=point)
                )
    out = pd.concat(parts, ignore_index=True)[[*KEYS, "request_id", "record_id"]]
    assert (out["strategy"] == "surname").sum() > 50
    return out


@pytest.fixture(scope="module")
def per_disclosure(wrong, cause) -> pd.DataFrame:
    return error_causes(wrong, cause)


MAIN = pd.DataFrame(
    {
        "strategy": ["surname", "tin", "exact_rule"],
        "operating_point": ["precision_0.99", "natural", "natural"],
    }
)


def test_one_row_and_exactly_one_route_per_wrong_disclosure(wrong, cause, per_disclosure):
    assert list(per_disclosure.columns) == [*KEYS, *CAUSE_COLUMNS]
    assert len(per_disclosure) == len(wrong)
    cols = [*KEYS, "request_id", "record_id"]
    assert per_disclosure[cols].equals(wrong[cols])
    assert per_disclosure["route"].isin(ROUTE_NAMES).all()
    assert per_disclosure["route"].notna().all()
    # the same route as error_routes gives each pair directly
    direct = wrong_person_routes(wrong, cause.tables, cause.noise_log)
    assert per_disclosure["route"].tolist() == direct["route"].tolist()
    assert per_disclosure["carried_tin"].tolist() == direct["carried_tin"].tolist()
    assert per_disclosure["route"].nunique() >= 3


def test_rows_keep_their_order_and_index_does_not_matter(wrong, cause):
    shuffled = wrong.iloc[np.random.default_rng(3).permutation(len(wrong))]
    shuffled.index = shuffled.index * 5 + 2
    got = error_causes(shuffled, cause)
    assert got["request_id"].tolist() == shuffled["request_id"].tolist()
    assert got["strategy"].tolist() == shuffled["strategy"].tolist()
    # keys chosen explicitly: only those kept, and a key named like an output is refused
    only = error_causes(shuffled.assign(score=1.0), cause, keys=["strategy"])
    assert list(only.columns) == ["strategy", *CAUSE_COLUMNS]
    with pytest.raises(ValueError, match="route"):
        error_causes(shuffled.assign(route="x"), cause)
    with pytest.raises(ValueError, match="record_id"):
        error_causes(shuffled.drop(columns="record_id"), cause)


def _codes(noise_log: pd.DataFrame, table: str, key: int) -> str:
    rows = noise_log[(noise_log["table"] == table) & (noise_log["record_key"] == key)]
    return ";".join(sorted(set(rows["field"] + ":" + rows["noise"])))


def test_recording_errors_of_the_request_and_record_are_reported(smoke_world, cause):
    noise_log = read_table(smoke_world, "noise_log")
    on_requests = noise_log[noise_log["table"] == "requests"]
    # the request with most logged errors, paired with a record that is not that person's
    request = int(on_requests["record_key"].value_counts().index[0])
    person = cause.request_truth.set_index("request_id").loc[request, "person_id"]
    on_records = noise_log[noise_log["table"] == "irs_filers"]
    others = cause.irs_truth[cause.irs_truth["person_id"] != person]["record_id"]
    noised = int(others[others.isin(on_records["record_key"])].iloc[0])
    clean_request = int(
        cause.requests.loc[
            ~cause.requests["request_id"].isin(on_requests["record_key"]), "request_id"
        ].iloc[0]
    )
    clean_record = int(others[~others.isin(on_records["record_key"])].iloc[0])
    wrong = pd.DataFrame(
        {"request_id": [request, clean_request], "record_id": [noised, clean_record]}
    )
    got = error_causes(wrong, cause)
    expected = _codes(noise_log, "requests", request)
    assert expected != "" and got.loc[0, "request_errors"] == expected
    assert got.loc[0, "record_errors"] == _codes(noise_log, "irs_filers", noised) != ""
    assert got.loc[1, ["request_errors", "record_errors"]].tolist() == ["", ""]


def test_a_tin_error_is_reported_and_makes_the_number_mistyped():
    """Hand-built: request 0 carries person 1's number, borrowed; record 0 is person 1's."""
    tables = {
        "persons": pd.DataFrame({"person_id": [0, 1], "household_id": [0, 0]}),
        "addresses": pd.DataFrame({"address_id": [0], "building_id": [0], "zip": ["11111"]}),
        "requests": pd.DataFrame({"request_id": [0], "tin": ["900000001"]}),
        "request_truth": pd.DataFrame(
            {
                "request_id": [0],
                "person_id": [0],
                "tin_source": ["borrowed"],
                "tin_owner_person_id": [1],
                "address_kind": ["current"],
                "true_address_id": [0],
            }
        ),
        "irs_filers": pd.DataFrame({"record_id": [0], "tin": ["900000001"]}),
        "irs_truth": pd.DataFrame(
            {"record_id": [0], "person_id": [1], "household_id": [0], "address_id": [0]}
        ),
    }
    noise = pd.DataFrame(
        {
            "table": ["requests", "requests", "requests", "irs_dependents"],
            "record_key": [0, 0, 0, 0],
            "field": ["tin", "last_name", "tin", "tin"],
            "noise": ["tin_digit_error", "typo", "tin_digit_error", "tin_digit_error"],
            "old": ["1", "a", "1", "1"],
            "new": ["2", "b", "2", "2"],
        }
    )
    wrong = pd.DataFrame({"request_id": [0], "record_id": [0]})
    clean = error_causes(wrong, CauseTables.of(tables))
    assert clean[["route", "request_errors", "record_errors"]].iloc[0].tolist() == [
        "household_member_number",
        "",
        "",
    ]
    noisy = error_causes(wrong, CauseTables.of(tables, noise))
    assert noisy[["route", "request_errors", "record_errors"]].iloc[0].tolist() == [
        "mistyped_number",
        "last_name:typo;tin:tin_digit_error",
        "",
    ]
    with pytest.raises(ValueError, match="irs_truth.address_id"):
        CauseTables.of({**tables, "irs_truth": tables["irs_truth"].drop(columns="address_id")})


def test_counts_sum_to_the_disclosures_of_each_key_and_keep_zero_routes(per_disclosure):
    counts = cause_counts(per_disclosure, KEYS, combinations=MAIN.assign(assignment="none"))
    assert list(counts.columns) == [*KEYS, *CAUSE_COUNT_COLUMNS]
    sizes = per_disclosure.groupby(KEYS).size()
    summed = counts.groupby(KEYS)["disclosures"].sum()
    assert summed.loc[sizes.index].tolist() == sizes.tolist()
    # every combination has every route, in ROUTES order, and zero rows exist
    for _, group in counts.groupby(KEYS, sort=False):
        assert group["route"].tolist() == list(ROUTE_NAMES)
        assert group["label"].tolist() == [route.label for route in ROUTES]
    assert (counts["disclosures"] == 0).any()
    assert len(counts) == len(ROUTES) * (len(sizes) + 1)  # + exact_rule, with none
    empty = counts[counts["strategy"] == "exact_rule"]
    assert (empty["disclosures"] == 0).all() and empty["share"].isna().all()
    seen = counts[counts["strategy"] != "exact_rule"]
    assert seen.groupby(KEYS)["share"].sum().to_numpy() == pytest.approx(1.0)
    assert (seen["with_request_error"] <= seen["disclosures"]).all()
    hits = per_disclosure[per_disclosure["record_errors"] != ""].groupby(KEYS).size()
    assert counts.groupby(KEYS)["with_record_error"].sum().loc[hits.index].tolist() == hits.tolist()


def test_the_top_error_is_the_most_frequent_code(per_disclosure):
    counts = cause_counts(per_disclosure, KEYS)
    big = counts.sort_values("with_request_error", ascending=False).iloc[0]
    assert big["with_request_error"] > 0
    rows = per_disclosure[
        (per_disclosure[KEYS] == big[KEYS]).all(axis=1) & (per_disclosure["route"] == big["route"])
    ]
    tally = Counter(c for e in rows["request_errors"] if e for c in e.split(";"))
    most = max(tally.values())
    assert big["top_request_error"] == min(c for c, n in tally.items() if n == most)
    assert (counts.loc[counts["with_request_error"] == 0, "top_request_error"] == "").all()


def test_counts_without_keys_and_without_disclosures(per_disclosure):
    whole = cause_counts(per_disclosure, [])
    assert list(whole.columns) == list(CAUSE_COUNT_COLUMNS) and len(whole) == len(ROUTES)
    assert whole["disclosures"].sum() == len(per_disclosure)
    none = cause_counts(per_disclosure.iloc[:0], KEYS)
    assert list(none.columns) == [*KEYS, *CAUSE_COUNT_COLUMNS] and none.empty
    with pytest.raises(ValueError, match="unknown route"):
        cause_counts(per_disclosure.assign(route="by_magic"), KEYS)


def test_top_routes_are_the_largest_first(per_disclosure):
    counts = cause_counts(per_disclosure, KEYS)
    top = top_routes(counts, n=2)
    for key, group in top.groupby(KEYS):
        full = counts[(counts[KEYS] == pd.Series(key, index=KEYS)).all(axis=1)]
        assert len(group) <= 2 and (group["disclosures"] > 0).all()
        assert (
            group["disclosures"].tolist() == sorted(full["disclosures"], reverse=True)[: len(group)]
        )


def test_a_folder_without_noise_log_or_with_a_missing_column(smoke_world, wrong, tmp_path):
    bare = tmp_path / "bare"
    bare.mkdir()
    for name in COLUMNS:
        shutil.copy(smoke_world / f"{name}.parquet", bare / f"{name}.parquet")
    got = error_causes(wrong, load_cause_tables(bare))
    assert len(got) == len(wrong)
    assert (got["request_errors"] == "").all() and (got["record_errors"] == "").all()
    read_table(bare, "persons", ["person_id"]).to_parquet(bare / "persons.parquet")
    with pytest.raises(InputError, match="persons.household_id"):
        load_cause_tables(bare)


@pytest.fixture(scope="module")
def plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _main_counts(per_disclosure: pd.DataFrame) -> pd.DataFrame:
    return cause_counts(per_disclosure, KEYS, combinations=MAIN.assign(assignment="none"))


def test_the_figure_draws_every_strategy_and_saves(per_disclosure, plt, tmp_path):
    counts = _main_counts(per_disclosure)
    colours = {"surname": "#0072B2", "tin": "#D55E00"}  # exact_rule has none: a default
    fig = error_causes_figure(counts, MAIN, plt, colours)
    fig.savefig(tmp_path / f"{NAME}.png", dpi=80)
    fig.savefig(tmp_path / f"{NAME}.svg")
    assert (tmp_path / f"{NAME}.png").stat().st_size > 0
    assert (tmp_path / f"{NAME}.svg").stat().st_size > 0
    ax = fig.axes[0]
    texts = [t.get_text() for t in ax.texts]
    at_main = counts[
        (counts["assignment"] == "none")
        & (counts["strategy"] == "surname")
        & (counts["operating_point"] == "precision_0.99")
    ]
    assert f"n = {at_main['disclosures'].sum():,}" in texts
    assert "no wrong-person disclosures" in texts
    # the legend names exactly the routes the bars show
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    shown = counts.merge(MAIN, on=["strategy", "operating_point"])
    shown = shown[(shown["assignment"] == "none") & (shown["disclosures"] > 0)]
    assert set(legend) == set(shown["label"])
    plt.close(fig)


def test_the_figure_with_no_disclosures_at_all(per_disclosure, plt):
    counts = cause_counts(
        per_disclosure.iloc[:0], KEYS, combinations=MAIN.assign(assignment="none")
    )
    fig = error_causes_figure(counts, MAIN.assign(target_reached=[True, False, True]), plt, {})
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert texts == [
        "no wrong-person disclosures",
        "target not reached",
        "no wrong-person disclosures",
    ]
    assert not fig.legends
    plt.close(fig)


def test_the_section_blocks(per_disclosure):
    counts = _main_counts(per_disclosure)
    names = {"surname": "same `surname`", "tin": "same number"}
    blocks = cause_blocks(counts, MAIN, names)
    assert [b.kind for b in blocks] == ["h2", "p", "ul", "table", "figure"]
    assert blocks[-1].text == NAME and len(blocks[-1].items) == 1
    table = blocks[3]
    assert spans(table.header[1]) == [(False, "same `surname`")]
    assert table.header[3] == "exact_rule"  # no plain name: its own
    assert [row[0] for row in table.items[:-1]] == [route.label for route in ROUTES]
    main = counts[
        (counts["strategy"] == "surname")
        & (counts["assignment"] == "none")
        & (counts["operating_point"] == "precision_0.99")
    ]
    assert table.items[-1][1] == f"{int(main['disclosures'].sum()):,}"
    top = top_routes(main)
    first = top.iloc[0]
    assert f"{first['label']} ({int(first['disclosures']):,}," in blocks[2].items[0]
    assert "no wrong-person disclosures" in blocks[2].items[2]
    assert table.items[-1][3] == "0"
    markdown = to_markdown(blocks)
    assert "Why the wrong person was confirmed" in markdown and f"{NAME}.png" in markdown
