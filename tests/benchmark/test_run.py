"""The main job end to end on a small scenario: stages, caching, figures and the report."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from benchmark.cli import main
from benchmark.evaluation.operating_points import DEFAULT_MAIN
from benchmark.experiments.run import run
from benchmark.reporting.figures import FIGURES, draw_figures

ROOT = Path(__file__).resolve().parents[2]
STRATEGIES = ["irs_2025", "fuzzy_rules", "splink"]


def _config(
    tmp_path: Path, replicates: int = 2, name: str = "mini", point: str = DEFAULT_MAIN
) -> Path:
    text = (ROOT / "configs" / "smoke.toml").read_text()
    text = text.replace('name = "smoke"', f'name = "{name}"')
    text = text.split("[run]")[0] + (
        f"[run]\nreplicates = {replicates}\nstrategies = {json.dumps(STRATEGIES)}\n"
        f'operating_point = "{point}"\n'
    )
    path = tmp_path / f"{name}-{replicates}-{point}.toml"
    path.write_text(text)
    return path


@pytest.fixture(scope="module")
def first_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("run")
    config = _config(tmp)
    return run(config, out_root=tmp / "runs"), config, tmp


def _tables(folder: Path) -> dict[str, pd.DataFrame]:
    return {
        name: pd.read_parquet(folder / "evaluation" / f"{name}.parquet")
        for name in ("operating_points", "outcomes", "harm_summary", "intervals", "disparities")
    }


def test_run_writes_every_stage(first_run):
    result, _, _ = first_run
    folder = result.folder
    assert [s["stage"] for s in result.stages] == [
        "data",
        *STRATEGIES,
        "thresholds",
        "r1/data",
        *(f"r1/{name}" for name in STRATEGIES),
        "r1/thresholds",
        "r1/evaluation",
        "evaluation",
        "figures",
        "report",
    ]
    assert not any(s["reused"] for s in result.stages)
    for name in STRATEGIES:
        assert (folder / "links" / name / "pairs.parquet").is_file()
    for name in FIGURES:
        assert (folder / "figures" / f"{name}.png").stat().st_size > 1000
        assert (folder / "figures" / f"{name}.svg").is_file()
    report = (folder / "report" / "report.md").read_text()
    assert "## In short" in report and "irs_2025" in report and "95% intervals" in report
    manifest = json.loads((folder / "run_manifest.json").read_text())
    assert manifest["strategies"] == STRATEGIES and manifest["seed"] == result.scenario.seed


def test_deployable_points_and_error_routes_of_every_decision(first_run):
    """Acceptance of the deployable points and the error routes, on real Splink links."""
    result, _, _ = first_run
    evaluation = result.folder / "evaluation"
    ops = pd.read_csv(evaluation / "operating_points.csv")
    outcomes = pd.read_csv(evaluation / "outcomes.csv")
    keys = ["strategy", "assignment", "operating_point"]
    scored = ops.loc[~ops["strategy"].isin(["irs_2025"]), "strategy"].unique()
    for strategy in ("splink",):
        assert strategy in scored
        mine = ops[(ops["strategy"] == strategy) & (ops["assignment"] == "none")]
        points = set(mine["operating_point"])
        assert {"training_precision_0.99", "training_precision_0.95"} <= points
        assert "model_precision_0.99" in points
        deployable = mine[mine["operating_point"].str.startswith(("training_", "model_"))]
        assert deployable["claimed_precision"].between(0.9, 1).all()
        assert deployable["deployable"].all()
        gap = deployable["precision"] - deployable["claimed_precision"]
        assert (gap - deployable["precision_gap"]).abs().max() < 1e-12
        main = mine[mine["main"]]
        assert main["operating_point"].tolist() == [DEFAULT_MAIN]
        reached = deployable[deployable["target_reached"]]
        decided = outcomes[(outcomes["strategy"] == strategy) & (outcomes["assignment"] == "none")]
        assert set(reached["operating_point"]) <= set(decided["operating_point"])
    # the training thresholds of world 0 are world r1's oracle thresholds, applied unchanged
    tuned = pd.read_csv(result.folder / "replicates" / "r1" / "thresholds" / "thresholds.csv")
    other = pd.read_csv(result.folder / "replicates" / "r1" / "evaluation" / "operating_points.csv")
    row = tuned[(tuned["strategy"] == "splink") & (tuned["assignment"] == "none")]
    row = row.set_index("operating_point").loc["training_precision_0.99"]
    oracle = other[(other["strategy"] == "splink") & (other["assignment"] == "none")]
    assert row["threshold"] == oracle.set_index("operating_point").loc["precision_0.99", "threshold"]
    here = ops[(ops["strategy"] == "splink") & (ops["assignment"] == "none")]
    assert here.set_index("operating_point").loc["training_precision_0.99", "threshold"] == (
        row["threshold"]
    )
    # every wrong-person disclosure has exactly one route: routes sum to each decision's total
    causes = pd.read_csv(evaluation / "error_causes.csv")
    per = pd.read_csv(evaluation / "error_cause_disclosures.csv")
    sums = causes.groupby(keys)["disclosures"].sum()
    totals = outcomes.set_index(keys)["wrong_person"]
    assert len(totals) > 20 and totals.sum() > 0
    assert sums.reindex(totals.index).tolist() == totals.tolist()
    assert per["route"].notna().all()
    assert per.groupby(keys).size().reindex(totals.index, fill_value=0).tolist() == totals.tolist()
    # the paired differences and the report's deployable headline
    paired = pd.read_csv(evaluation / "paired_differences.csv")
    assert {"difference", "ci_low", "ci_high", "resolved"} <= set(paired.columns)
    assert len(paired) == 3 * 3  # three pairs of three strategies, three measures
    for name in ("paired_differences", "error_causes", "reliability"):
        assert (result.folder / "figures" / f"{name}.png").stat().st_size > 1000
    report = (result.folder / "report" / "report.md").read_text()
    if causes[(causes["strategy"] == "splink") & (causes["assignment"] == "none")].merge(
        ops[ops["main"]][keys]
    )["disclosures"].sum():
        assert (result.folder / "figures" / "case_splink_1.png").stat().st_size > 1000
        assert "## Example cases" in report and "case_splink_1.png" in report
    assert "a threshold an agency could set" in report
    assert "Thresholds an agency could set" in report and "Do the methods differ?" in report


def test_a_second_run_reuses_every_stage_with_identical_results(first_run):
    result, config, tmp = first_run
    before = _tables(result.folder)
    html = (result.folder / "report" / "report.html").read_bytes()
    again = run(config, out_root=tmp / "runs")
    assert all(s["reused"] for s in again.stages)
    for name, table in _tables(again.folder).items():
        pd.testing.assert_frame_equal(table, before[name])
    assert (again.folder / "report" / "report.html").read_bytes() == html


@pytest.mark.parametrize(
    ("description", "settings"),
    [("fewer worlds", {"replicates": 1}), ("another operating point", {"point": "recall_0.90"})],
)
def test_changing_a_run_setting_redoes_only_evaluation_onwards(
    first_run, tmp_path, description, settings
):
    result, _, _ = first_run
    copy = tmp_path / "runs"
    shutil.copytree(result.folder.parent, copy)
    redo = run(_config(tmp_path, **settings), out_root=copy)
    reused = {s["stage"]: s["reused"] for s in redo.stages}
    assert all(reused[s] for s in ["data", *STRATEGIES])
    assert not any(reused[s] for s in ["evaluation", "figures", "report"])
    # the world's manifest does not depend on [run]
    assert json.loads((copy / "mini" / "data" / "manifest.json").read_text())["config"]["run"] == {
        "strategies": [],
        "replicates": 1,
        "operating_point": DEFAULT_MAIN,
    }


def test_an_unfinished_or_damaged_stage_is_redone(first_run, tmp_path):
    result, config, _ = first_run
    copy = tmp_path / "runs"
    shutil.copytree(result.folder.parent, copy)
    (copy / "mini" / "figures" / "stage.json").unlink()  # as if interrupted before the end
    (copy / "mini" / "links" / "splink" / "pairs.parquet").unlink()  # a file gone
    redo = run(config, out_root=copy)
    redone = {s["stage"] for s in redo.stages if not s["reused"]}
    # the stages whose outputs were incomplete, and nothing else: their keys are unchanged
    assert redone == {"splink", "figures"}
    assert (copy / "mini" / "links" / "splink" / "pairs.parquet").is_file()


@pytest.mark.parametrize("interrupted", ["r1/splink", "r1/evaluation", "figures"])
def test_an_interrupted_run_resumes_from_the_last_finished_stage(
    first_run, tmp_path, monkeypatch, interrupted
):
    """Ctrl-C inside a stage (a replicate world's link, its evaluation, the figures): the
    rerun reuses every stage finished before it and makes it and the rest, as before."""
    import benchmark.experiments.runner as runner

    result, config, _ = first_run
    order = [s["stage"] for s in result.stages]
    real = runner._make

    def interrupt(stage, *args):
        if stage.name == interrupted:
            raise KeyboardInterrupt
        return real(stage, *args)

    monkeypatch.setattr(runner, "_make", interrupt)
    with pytest.raises(KeyboardInterrupt):
        run(config, out_root=tmp_path / "runs")
    monkeypatch.setattr(runner, "_make", real)
    resumed = run(config, out_root=tmp_path / "runs")
    reused = {s["stage"]: s["reused"] for s in resumed.stages}
    cut = order.index(interrupted)
    assert all(reused[name] for name in order[:cut])
    assert not any(reused[name] for name in order[cut:])
    for name, table in _tables(resumed.folder).items():
        pd.testing.assert_frame_equal(table, _tables(result.folder)[name])


def test_a_fresh_run_recomputes_the_same_results(first_run, tmp_path):
    result, config, _ = first_run
    again = run(config, out_root=tmp_path / "runs", force=True)
    assert not any(s["reused"] for s in again.stages)
    for name, table in _tables(again.folder).items():
        pd.testing.assert_frame_equal(table, _tables(result.folder)[name])
    assert (again.folder / "report" / "report.md").read_text() == (
        result.folder / "report" / "report.md"
    ).read_text()
    for name in FIGURES:
        assert (again.folder / "figures" / f"{name}.svg").read_bytes() == (
            result.folder / "figures" / f"{name}.svg"
        ).read_bytes()


def test_figures_redraw_identically_from_the_stored_tables(first_run, tmp_path):
    result, _, _ = first_run
    draw_figures(result.folder / "evaluation", tmp_path / "again")
    for name in FIGURES:
        for ext in ("png", "svg"):
            ours = (tmp_path / "again" / f"{name}.{ext}").read_bytes()
            assert ours == (result.folder / "figures" / f"{name}.{ext}").read_bytes(), name


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def test_the_html_report_shows_every_figure_in_headless_chromium(first_run, tmp_path):
    browser = _chromium()
    if browser is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed (.ci/run installs Debian's chromium package)")
        pytest.skip("chromium is not installed")
    result, _, _ = first_run
    page = (result.folder / "report" / "report.html").read_text()
    # self-contained: nothing is fetched from anywhere
    assert "http://" not in page and "https://" not in page and "<script" not in page
    # every figure the figures stage drew appears once (new kinds drawn when their tables exist)
    drawn = sorted((result.folder / "figures").glob("*.png"))
    assert {f.stem for f in drawn} >= set(FIGURES)
    assert page.count("<img ") == len(drawn)
    # a copy with a probe that records, after load, whether each image decoded
    probe = (
        "<script>window.addEventListener('load', () => {"
        "document.body.setAttribute('data-images', JSON.stringify("
        "[...document.images].map(i => i.complete && i.naturalWidth > 0)));});</script>"
    )
    copy = tmp_path / "report.html"
    copy.write_text(page.replace("</body>", probe + "</body>"))
    out = subprocess.run(
        [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--enable-logging=stderr",
            "--v=0",
            "--virtual-time-budget=5000",
            "--dump-dom",
            copy.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    marker = 'data-images="'
    assert marker in out.stdout
    images = json.loads(out.stdout.split(marker, 1)[1].split('"', 1)[0].replace("&quot;", '"'))
    assert images == [True] * len(drawn)
    console = [line for line in out.stderr.splitlines() if "CONSOLE" in line or "Uncaught" in line]
    assert console == []


def test_run_refuses_a_bad_config_before_writing(tmp_path, capsys):
    config = _config(tmp_path)
    config.write_text(config.read_text().replace('"irs_2025"', '"no_such_strategy"'))
    assert main(["run", "--config", str(config), "--out-root", str(tmp_path / "runs")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no_such_strategy" in err[0] and "run.strategies" in err[0]
    assert not (tmp_path / "runs").exists()
    bad = tmp_path / "bad.toml"
    bad.write_text("[run]\nreplicates = 0\n")
    assert main(["run", "--config", str(bad), "--out-root", str(tmp_path / "runs")]) == 2
    assert "run.replicates" in capsys.readouterr().err


def test_report_numbers_are_the_stored_figures(first_run):
    """The report's headline numbers are the intervals table's, formatted."""
    from benchmark.reporting.summary import main_figures

    result, _, _ = first_run
    report = (result.folder / "report" / "report.md").read_text()
    figures = main_figures(result.folder / "evaluation").set_index(["strategy", "metric"])
    for strategy in STRATEGIES:
        recall = figures.loc[(strategy, "recall")]
        wrong = figures.loc[(strategy, "wrong_person_per_100k")]
        row = next(line for line in report.splitlines() if line.startswith(f"| {strategy} |"))
        assert f"{recall['mean']:.1%} ({recall['ci_low']:.1%} to {recall['ci_high']:.1%})" in row
        assert f"{wrong['mean']:,.0f} ({wrong['ci_low']:,.0f} to {wrong['ci_high']:,.0f})" in row


def _config_2025(tmp_path: Path, strategies: list[str], draws: int) -> Path:
    text = (ROOT / "configs" / "irs_ice_2025.toml").read_text()
    text = text.split("[run]")[0] + (
        f"[run]\nreplicates = 1\nstrategies = {json.dumps(strategies)}\n\n"
        f"[calibration]\nscale = 0.5\nrequests = 0.5\ndraws = {draws}\n"
    )
    path = tmp_path / "file2025.toml"
    path.write_text(text)
    return path


def test_the_2025_file_run_reproduces_the_record_and_reports_it(tmp_path, capsys):
    config = _config_2025(
        tmp_path,
        ["irs_2025", "exact_name_address"],
        8,
    )
    argv = [
        "run",
        "--config",
        str(config),
        "--out-root",
        str(tmp_path / "runs"),
        "--scale",
        "0.005",
    ]
    assert main(argv) == 0
    folder = tmp_path / "runs" / "irs_ice_2025"
    manifest = json.loads((folder / "run_manifest.json").read_text())
    assert [s["stage"] for s in manifest["stages"]] == [
        "data",
        "irs_2025",
        "exact_name_address",
        "evaluation",
        "calibration",
        "figures",
        "report",
    ]
    assert manifest["resolved_scenario"]["scale"] == 0.005
    assert len(pd.read_parquet(folder / "data" / "requests.parquet")) == 6400
    published = pd.read_csv(folder / "calibration" / "published.csv")
    assert list(published["aggregate"]) == [
        "match_rate",
        "tin_path_share",
        "junk_share",
        "updated_share",
    ]
    draws = pd.read_csv(folder / "calibration" / "draws.csv")
    assert list(draws["draw"]) == list(range(8))
    assert (folder / "figures" / "file_2025_allowed.svg").is_file()
    report = (folder / "report" / "report.md").read_text()
    assert "## The 2025 request file" in report
    assert "## What the 2025 record allows" in report
    assert f"{len(draws)} compositions of the request list" in report
    for _, row in published.iterrows():
        assert f"| {row['label']} | {row['published']:.1%} | {row['reproduced']:.1%}" in report
    # the file estimates are the run's per-100k figures times 12.8
    harm = pd.read_parquet(folder / "evaluation" / "harm_summary.parquet")
    irs = harm[(harm["strategy"] == "irs_2025") & (harm["assignment"] == "none") & harm["main"]]
    per_file = irs["wrong_person_per_100k"].iloc[0] * 12.8
    assert f"| irs_2025 | {per_file:,.0f} (" in report

    capsys.readouterr()
    assert main(argv) == 0
    again = json.loads((folder / "run_manifest.json").read_text())
    assert all(s["reused"] for s in again["stages"])
    assert "reused unchanged" in capsys.readouterr().out


def test_a_calibration_without_irs_2025_is_refused(tmp_path, capsys):
    config = _config_2025(tmp_path, ["exact_name_address"], 4)
    assert main(["run", "--config", str(config), "--out-root", str(tmp_path / "runs")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "leaves out irs_2025" in err[0]
    assert not (tmp_path / "runs").exists()


@pytest.mark.parametrize("scale", ["0", "-1", "abc"])
def test_a_bad_scale_is_refused_before_writing(tmp_path, capsys, scale):
    config = _config(tmp_path)
    code = None
    try:
        code = main(
            ["run", "--config", str(config), "--out-root", str(tmp_path / "r"), "--scale", scale]
        )
    except SystemExit as exc:  # argparse refuses a non-number itself
        code = exc.code
    assert code == 2
    assert "scale" in capsys.readouterr().err
    assert not (tmp_path / "r").exists()


def test_the_training_world_is_a_stage_that_survives_an_interruption(tmp_path, monkeypatch):
    """A supervised strategy's training world is made once, stored in training/, read by
    its link, and kept when the run is interrupted while linking."""
    import benchmark.experiments.runner as runner

    text = (ROOT / "configs" / "smoke.toml").read_text().split("[run]")[0]
    config = tmp_path / "supervised.toml"
    config.write_text(text + '[run]\nstrategies = ["irs_2025", "classifier_logistic"]\n')
    real = runner._make

    def interrupt(stage, *args):
        if stage.name == "classifier_logistic":
            raise KeyboardInterrupt
        return real(stage, *args)

    monkeypatch.setattr(runner, "_make", interrupt)
    with pytest.raises(KeyboardInterrupt):
        run(config, out_root=tmp_path / "runs")
    monkeypatch.setattr(runner, "_make", real)
    resumed = run(config, out_root=tmp_path / "runs")
    reused = {s["stage"]: s["reused"] for s in resumed.stages}
    assert list(reused)[:4] == ["data", "training", "irs_2025", "classifier_logistic"]
    assert reused["data"] and reused["training"] and reused["irs_2025"]
    assert not reused["classifier_logistic"]
    folder = resumed.folder
    record = json.loads((folder / "links" / "classifier_logistic" / "stage.json").read_text())
    assert set(record["inputs"]) == {"data", "training"}
    assert json.loads((folder / "training" / ".itin-bench.json").read_text())["kind"] == "dataset"
