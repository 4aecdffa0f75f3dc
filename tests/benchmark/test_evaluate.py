"""The evaluate stage on a generated world: agreement with Splink, the CLI, replicates, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from benchmark.cli import main
from benchmark.evaluation.evaluate import TABLE_NAMES, evaluate
from benchmark.evaluation.metrics import counts_at, label_pairs, threshold_sweep
from benchmark.experiments.replicates import evaluate_worlds
from benchmark.linking.link import run_link
from benchmark.strategies import Backend, LinkData, load_link_data
from benchmark.strategies.splink_models import SplinkEM, _linker
from data_gen import generate_world, load_scenario, write_dataset
from data_gen.dataset import read_table

ROOT = Path(__file__).resolve().parents[2]

DESIGN_COLUMNS = {
    "threshold_sweep": [
        "strategy",
        "threshold",
        "tp",
        "fp",
        "fn",
        "precision",
        "recall",
        "f1",
        "f_star",
    ],
    "outcomes": [
        "strategy",
        "operating_point",
        "correct",
        "wrong_person",
        "missed",
        "correctly_unmatched",
    ],
    "harm_summary": [
        "strategy",
        "operating_point",
        "wrong_person",
        "households",
        "people",
        "us_citizens",
        "us_citizen_children",
        "mixed_status_households",
        "wrong_person_per_100k",
        "households_per_100k",
        "people_per_100k",
        "us_citizens_per_100k",
        "us_citizen_children_per_100k",
        "mixed_status_households_per_100k",
    ],
    "disparities": [
        "strategy",
        "operating_point",
        "dimension",
        "group",
        "requests",
        "wrong_person_rate",
    ],
}


@pytest.fixture(scope="module")
def links(smoke_world, tmp_path_factory):
    root = tmp_path_factory.mktemp("links")
    for name in ("irs_2025", "fuzzy_rules"):
        run_link(smoke_world, name, root / name)
    return root


def test_sweep_agrees_with_splink_truth_table(smoke_world):
    public = load_link_data(smoke_world)
    strategy = SplinkEM()
    pairs = strategy.link(public, Backend())
    truth = read_table(smoke_world, "truth")
    sweep = threshold_sweep(pairs["score"].to_numpy(), label_pairs(pairs, truth), len(truth))

    requests = read_table(smoke_world, "requests")
    records = read_table(smoke_world, "irs_filers")
    labelled = LinkData(
        requests=public.requests.assign(
            person_id=public.requests["request_id"].map(
                requests.set_index("request_id")["person_id"]
            )
        ),
        records=public.records.assign(
            person_id=public.records["record_id"].map(records.set_index("record_id")["person_id"])
        ),
        labels=truth,
    )
    # the fitted model, with the label column carried through predict
    model = {**strategy.artifacts["model.json"], "additional_columns_to_retain": ["person_id"]}
    linker = _linker(Backend(), labelled, model, extra=["person_id"])
    table = linker.evaluation.accuracy_analysis_from_labels_column(
        "person_id",
        output_type="table",
        match_weight_round_to_nearest=None,
        positives_not_captured_by_blocking_rules_scored_as_zero=True,
    ).as_pandas_dataframe()
    # Splink counts the same universe: every same-person pair, found by blocking or not
    assert set(table["p"]) == {len(truth)}
    scored = table[table["truth_threshold"] > -999].sort_values("truth_threshold", ascending=False)
    # Splink's thresholds are its own predict()'s raw weights; ours are rounded to 1e-9, so we
    # compare just below each threshold, which is exact while distinct weights are further apart
    gaps = np.diff(np.sort(sweep["threshold"].to_numpy()))
    assert gaps.min() > 2e-7
    assert len(scored) == len(sweep)
    ours = pd.DataFrame([counts_at(sweep, t - 1e-7, len(truth)) for t in scored["truth_threshold"]])
    for column in ("tp", "fp", "fn"):
        assert ours[column].tolist() == scored[column].astype(int).tolist(), column
    assert np.allclose(ours["precision"], scored["precision"])
    assert np.allclose(ours["recall"], scored["recall"])


def test_evaluate_cli_writes_the_design_tables(smoke_world, links, tmp_path, capsys):
    out = tmp_path / "eval"
    assert (
        main(
            ["-q", "evaluate", "--data", str(smoke_world), "--pairs", str(links), "--out", str(out)]
        )
        == 0
    )
    printed = capsys.readouterr().out
    assert "irs_2025" in printed and str(out) in printed
    for name in TABLE_NAMES:
        assert (out / f"{name}.csv").is_file() and (out / f"{name}.parquet").is_file()
    for name, columns in DESIGN_COLUMNS.items():
        table = pd.read_csv(out / f"{name}.csv")
        assert not table.empty
        assert [c for c in columns if c not in table.columns] == []
    homes = pd.read_parquet(out / "harm_households.parquet")
    # ids and counts only: no column may hold text other than the labels of the evaluation
    text = [
        c
        for c in homes.columns
        if homes[c].dtype == object or pd.api.types.is_string_dtype(homes[c])
    ]
    assert sorted(text) == ["assignment", "disclosure", "operating_point", "strategy"]
    ops = pd.read_csv(out / "operating_points.csv")
    assert set(ops["assignment"]) == {"none", "one_to_one"}
    assert set(ops["operating_point"]) == {
        "natural",
        "precision_0.95",
        "precision_0.99",
        "recall_0.90",
    }
    # the irs_2025 numbers equal a direct count from its pairs
    pairs = pd.read_parquet(links / "irs_2025" / "pairs.parquet")
    truth = read_table(smoke_world, "truth")
    tp = int(label_pairs(pairs, truth).sum())
    natural = ops[
        (ops["strategy"] == "irs_2025")
        & (ops["assignment"] == "none")
        & (ops["operating_point"] == "natural")
    ].iloc[0]
    assert (natural["tp"], natural["fp"], natural["fn"]) == (tp, len(pairs) - tp, len(truth) - tp)
    # rules are reported at their own decision
    main_points = ops[ops["main"] & (ops["assignment"] == "none")]
    assert set(zip(main_points["strategy"], main_points["operating_point"], strict=True)) == {
        ("irs_2025", "natural"),
        ("fuzzy_rules", "natural"),
    }
    manifest = json.loads((out / "evaluation_manifest.json").read_text())
    assert manifest["replicates"] == 1 and set(manifest["links"]) == {"irs_2025", "fuzzy_rules"}


def test_replicates_are_deterministic_and_differ_between_worlds(smoke_world, links, tmp_path):
    kwargs = {"replicates": 2}
    evaluate_worlds(smoke_world, [links / "irs_2025"], tmp_path / "a", **kwargs)
    evaluate_worlds(smoke_world, [links / "irs_2025"], tmp_path / "b", **kwargs)
    for name in ("replicate_figures", "intervals", "harm_summary", "disparities"):
        a = pd.read_parquet(tmp_path / "a" / f"{name}.parquet")
        b = pd.read_parquet(tmp_path / "b" / f"{name}.parquet")
        pd.testing.assert_frame_equal(a, b)
    figures = pd.read_parquet(tmp_path / "a" / "replicate_figures.parquet")
    assert sorted(figures["replicate"].unique()) == [0, 1]
    tp = figures[
        (figures["metric"] == "tp")
        & (figures["assignment"] == "none")
        & (figures["operating_point"] == "natural")
    ].set_index("replicate")["value"]
    assert tp.loc[0] != tp.loc[1]  # another world, another count
    iv = pd.read_parquet(tmp_path / "a" / "intervals.parquet")
    row = iv[
        (iv["metric"] == "tp") & (iv["assignment"] == "none") & (iv["operating_point"] == "natural")
    ].iloc[0]
    assert row["replicates"] == 2 and row["mean"] == pytest.approx(tp.mean())
    assert row["ci_low"] < row["mean"] < row["ci_high"]
    # replicate 0 is the given world: same figures as a one-world evaluation
    evaluate(smoke_world, [links / "irs_2025"], tmp_path / "one")
    one = pd.read_parquet(tmp_path / "one" / "replicate_figures.parquet")
    pd.testing.assert_frame_equal(one, figures[figures["replicate"] == 0].reset_index(drop=True))


def _fails(capsys, argv, needle):
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("itin-bench: error:") and needle in err[0], err


def test_bad_input_is_refused_before_anything_is_written(smoke_world, links, tmp_path, capsys):
    out = tmp_path / "eval"
    base = ["evaluate", "--data", str(smoke_world), "--out", str(out)]
    (tmp_path / "nolinks").mkdir()
    _fails(capsys, [*base, "--pairs", str(tmp_path / "nolinks")], "not a link folder")
    # an output inside a folder it reads is refused (it would be read as input next time)
    _fails(
        capsys,
        [*base[:-1], str(tmp_path / "nolinks" / "e"), "--pairs", str(tmp_path / "nolinks")],
        "lies inside the input",
    )
    _fails(capsys, [*base, "--pairs", str(links), "--replicates", "0"], "--replicates 0")
    _fails(
        capsys,
        [*base, "--pairs", str(links / "irs_2025"), "--pairs", str(links / "irs_2025")],
        "given twice",
    )
    assert not out.exists()
    # pairs linked on another world
    other = write_dataset(
        generate_world(load_scenario(ROOT / "configs" / "smoke.toml"), seed=5), tmp_path / "other"
    )
    run_link(other, "irs_2025", tmp_path / "other_links" / "irs_2025")
    _fails(capsys, [*base, "--pairs", str(tmp_path / "other_links")], "another dataset")
    assert not out.exists()
    # an existing evaluation is kept byte for byte
    out.mkdir()
    (out / "keep.txt").write_text("earlier results")
    _fails(capsys, [*base, "--pairs", str(links)], "not empty")
    assert (out / "keep.txt").read_text() == "earlier results" and len(list(out.iterdir())) == 1
    # a damaged pairs file
    broken = tmp_path / "broken" / "irs_2025"
    broken.mkdir(parents=True)
    (broken / "link_manifest.json").write_text(
        (links / "irs_2025" / "link_manifest.json").read_text()
    )
    (broken / "pairs.parquet").write_text("not parquet")
    _fails(
        capsys,
        [
            "evaluate",
            "--data",
            str(smoke_world),
            "--out",
            str(tmp_path / "e2"),
            "--pairs",
            str(broken),
        ],
        "not a readable Parquet file",
    )


def test_fuzzy_rules_figures_equal_an_independent_count(smoke_world, links, tmp_path):
    """Outcomes and harm at fuzzy_rules' natural threshold, recounted with plain merges."""
    out = tmp_path / "eval"
    evaluate(smoke_world, [links / "fuzzy_rules"], out)
    pairs = pd.read_parquet(links / "fuzzy_rules" / "pairs.parquet")
    truth = read_table(smoke_world, "truth")
    requests = read_table(smoke_world, "requests")
    persons = read_table(smoke_world, "persons")
    households = read_table(smoke_world, "households")
    irs_truth = read_table(smoke_world, "irs_truth")

    accepted = pairs[pairs["score"] >= 0.9].merge(
        truth.assign(true=True), on=["request_id", "record_id"], how="left"
    )
    accepted["true"] = accepted["true"].fillna(False).astype(bool)
    wrong = accepted[~accepted["true"]]
    matched = set(accepted["request_id"])
    has_truth = set(truth["request_id"])
    expected = {
        "correct": int(accepted["true"].sum()),
        "wrong_person": len(wrong),
        "missed": len(has_truth - matched),
        "correctly_unmatched": len(set(requests["request_id"]) - has_truth - matched),
    }
    outcomes = pd.read_csv(out / "outcomes.csv")
    row = outcomes[(outcomes["assignment"] == "none") & (outcomes["operating_point"] == "natural")]
    assert row[list(expected)].iloc[0].to_dict() == expected

    homes = (
        wrong.merge(irs_truth[["record_id", "address_id"]], on="record_id")
        .merge(households, on="address_id")
        .drop_duplicates("household_id")
    )
    requester_home = requests.merge(persons[["person_id", "household_id"]], on="person_id")
    own = wrong.merge(irs_truth[["record_id", "address_id"]], on="record_id").merge(
        households[["address_id", "household_id"]], on="address_id"
    )
    own = own.merge(
        requester_home[["request_id", "household_id"]], on="request_id", suffixes=("", "_req")
    )
    harm = pd.read_csv(out / "harm_summary.csv")
    h = harm[(harm["assignment"] == "none") & (harm["operating_point"] == "natural")].iloc[0]
    assert h["households"] == len(homes)
    assert h["people"] == homes["size"].sum()
    assert h["us_citizen_children"] == homes["n_us_citizen_children"].sum()
    assert h["mixed_status_households"] == homes["mixed_status"].sum()
    assert h["own_household_disclosures"] == (own["household_id"] == own["household_id_req"]).sum()
    assert len(wrong) > 0 and len(homes) > 0  # the check above is not vacuous


def _copy_link(links, tmp_path, name="irs_2025"):
    folder = tmp_path / "bad" / name
    folder.mkdir(parents=True)
    for f in (links / name).iterdir():
        (folder / f.name).write_bytes(f.read_bytes())
    return folder


@pytest.mark.parametrize(
    ("description", "damage", "needle"),
    [
        ("repeated pair", lambda p: pd.concat([p, p.iloc[:1]]), "more than once"),
        ("unknown record", lambda p: p.assign(record_id=p["record_id"] + 10**9), "record ids"),
        ("unknown request", lambda p: p.assign(request_id=-1), "request ids"),
        ("text score", lambda p: p.assign(score="high"), "scores numbers"),
        ("missing score", lambda p: p.drop(columns="score"), "missing column"),
        ("infinite score", lambda p: p.assign(score=float("inf")), "finite"),
    ],
)
def test_damaged_pairs_are_refused(
    smoke_world, links, tmp_path, capsys, description, damage, needle
):
    folder = _copy_link(links, tmp_path)
    pairs = pd.read_parquet(folder / "pairs.parquet")
    damage(pairs).to_parquet(folder / "pairs.parquet", index=False)
    out = tmp_path / "eval"
    _fails(
        capsys,
        ["evaluate", "--data", str(smoke_world), "--pairs", str(folder), "--out", str(out)],
        needle,
    )
    assert not out.exists()


@pytest.mark.parametrize(
    ("description", "file", "text", "needle"),
    [
        ("manifest is a list", "link_manifest.json", "[1, 2]", "JSON object"),
        ("manifest is not JSON", "link_manifest.json", "{", "unreadable"),
        ("threshold is text", "link_manifest.json", None, "natural_threshold"),
        ("blocking report is not JSON", "blocking_report.json", "{", "unreadable"),
    ],
)
def test_damaged_link_files_are_refused(
    smoke_world, links, tmp_path, capsys, description, file, text, needle
):
    folder = _copy_link(links, tmp_path)
    if text is None:
        manifest = json.loads((folder / file).read_text())
        manifest["natural_threshold"] = "high"
        text = json.dumps(manifest)
    (folder / file).write_text(text)
    out = tmp_path / "eval"
    _fails(
        capsys,
        ["evaluate", "--data", str(smoke_world), "--pairs", str(folder), "--out", str(out)],
        needle,
    )
    assert not out.exists()


def test_a_strategy_without_pairs_is_evaluated_as_accepting_nothing(
    smoke_world, links, tmp_path, capsys
):
    folder = _copy_link(links, tmp_path)
    pd.read_parquet(folder / "pairs.parquet").iloc[:0].to_parquet(folder / "pairs.parquet")
    out = tmp_path / "eval"
    assert (
        main(
            [
                "-q",
                "evaluate",
                "--data",
                str(smoke_world),
                "--pairs",
                str(folder),
                "--out",
                str(out),
            ]
        )
        == 0
    )
    printed = capsys.readouterr().out
    assert "irs_2025" in printed and "0.0%" in printed  # its own decision: nothing accepted
    ops = pd.read_csv(out / "operating_points.csv").set_index(["assignment", "operating_point"])
    truth = read_table(smoke_world, "truth")
    assert ops.loc[("none", "natural"), ["tp", "fp", "fn"]].tolist() == [0, 0, len(truth)]
    assert not ops.loc[("none", "precision_0.99"), "target_reached"]
    outcomes = pd.read_csv(out / "outcomes.csv")
    assert outcomes["operating_point"].tolist() == ["natural", "natural"]
    assert (outcomes["missed"] == truth["request_id"].nunique()).all()
