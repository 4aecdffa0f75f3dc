"""Every strategy on a small generated world, the truth guard, and user-defined strategies."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from benchmark.linking.link import run_link
from benchmark.linking.training import training_data
from benchmark.strategies import STRATEGIES, Backend, get_strategy, load_link_data
from data_gen import generate_world, load_scenario, write_dataset
from data_gen.errors import InputError

ROOT = Path(__file__).resolve().parents[2]
TRUTH_TABLES = (
    "persons",
    "households",
    "truth",
    "request_truth",
    "irs_truth",
    "address_history",
    "noise_log",
)


@pytest.fixture(scope="module")
def world_dir(tmp_path_factory):
    scenario = load_scenario(ROOT / "configs" / "smoke.toml")
    return write_dataset(generate_world(scenario), tmp_path_factory.mktemp("w") / "world")


@pytest.fixture(scope="module")
def blind_dir(world_dir, tmp_path_factory):
    """The same world with every truth table removed and person/household ids scrambled."""
    out = tmp_path_factory.mktemp("blind") / "world"
    out.mkdir()
    shutil.copy(world_dir / "manifest.json", out / "manifest.json")
    rng = np.random.default_rng(0)
    for name in ("requests", "irs_filers"):
        df = pq.read_table(world_dir / f"{name}.parquet").to_pandas()
        for col in ("person_id", "household_id"):
            if col in df.columns:
                df[col] = rng.permutation(df[col].to_numpy())
        df.to_parquet(out / f"{name}.parquet")
    return out


@pytest.fixture(scope="module")
def links(world_dir, tmp_path_factory):
    root = tmp_path_factory.mktemp("links")
    return {name: (run_link(world_dir, name, root / name), root / name) for name in STRATEGIES}


@pytest.mark.parametrize("name", list(STRATEGIES))
def test_every_strategy_writes_scored_pairs(links, world_dir, name):
    manifest, folder = links[name]
    pairs = pd.read_parquet(folder / "pairs.parquet")
    assert list(pairs.columns) == ["request_id", "record_id", "score", "strategy"]
    assert (pairs["strategy"] == name).all()
    assert not pairs.duplicated(["request_id", "record_id"]).any()
    assert np.isfinite(pairs["score"]).all()
    truth = pd.read_parquet(world_dir / "truth.parquet")
    decided = (
        pairs
        if manifest["natural_threshold"] is None
        else pairs[pairs["score"] >= manifest["natural_threshold"]]
    )
    hits = decided.merge(truth, on=["request_id", "record_id"])
    # every strategy finds some true pairs; none is trivially everything
    assert len(hits) > 0.1 * len(truth)
    report = json.loads((folder / "blocking_report.json").read_text())
    assert report["true_pairs"] == len(truth)
    assert report["pair_completeness"] == pytest.approx(pairs.merge(truth).shape[0] / len(truth))


@pytest.mark.parametrize("name", ["splink", "splink_supervised"])
def test_splink_writes_model_and_blocking_report(links, name):
    manifest, folder = links[name]
    model = json.loads((folder / "model.json").read_text())
    assert model["link_type"] == "link_only" and len(model["comparisons"]) == 8
    report = json.loads((folder / "blocking_report.json").read_text())
    assert [r["match_key"] for r in report["rules"]] == list(range(len(report["rules"])))
    assert sum(r["marginal_pairs"] for r in report["rules"]) == report["candidate_pairs"]
    assert sum(r["true_pairs_first_found"] for r in report["rules"]) == report["true_pairs_found"]
    assert report["pair_completeness"] >= 0.95


def test_training_world_is_separately_seeded(world_dir):
    train = training_data(world_dir)
    assert train.labels is not None and len(train.labels) > 0
    evaluated = load_link_data(world_dir)
    assert (
        "person_id" not in evaluated.requests.columns
        and "person_id" not in evaluated.records.columns
    )

    def people(df):
        return set(zip(df["first_name"], df["last_name"], df["dob"], strict=True))

    # another world: (almost) no requested or taxpaying person appears in both
    assert len(people(train.requests) & people(evaluated.requests)) <= 0.01 * len(
        evaluated.requests
    )
    assert len(people(train.records) & people(evaluated.records)) <= 0.01 * len(evaluated.records)


@pytest.mark.parametrize("name", list(STRATEGIES))
def test_strategies_never_read_person_ids_or_truth(world_dir, blind_dir, name):
    """Same output on a folder without truth tables and with scrambled person and household ids."""
    cls = STRATEGIES[name]
    outputs = []
    for folder in (world_dir, blind_dir):
        strategy = cls()
        if strategy.supervised:
            strategy.fit(training_data(folder), Backend())
        outputs.append(
            strategy.link(load_link_data(folder), Backend())[["request_id", "record_id", "score"]]
        )
    pd.testing.assert_frame_equal(outputs[0], outputs[1])
    assert not any((blind_dir / f"{t}.parquet").exists() for t in TRUTH_TABLES)


def test_link_data_holds_no_truth_columns(world_dir):
    data = load_link_data(world_dir)
    for df in (data.requests, data.records):
        assert not {"person_id", "household_id"} & set(df.columns)
    assert data.labels is None


CUSTOM = """
from benchmark.strategies import Strategy
from benchmark.strategies.features import prepare


class TinAndBirthYear(Strategy):
    name = "tin_and_birth_year"
    description = "TIN equal and same year of birth"

    def link(self, data, backend):
        req, rec = prepare(data)
        pairs = req.merge(rec, on="tin", suffixes=("_q", "_r"))
        pairs = pairs[pairs["dob_year_q"] == pairs["dob_year_r"]]
        return pairs.assign(score=1.0)[["request_id", "record_id", "score"]]
"""


def test_user_strategy_runs_through_the_cli(world_dir, tmp_path):
    (tmp_path / "my_rules.py").write_text(textwrap.dedent(CUSTOM))
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    out = tmp_path / "link"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmark",
            "-q",
            "link",
            "--data",
            str(world_dir),
            "--strategy",
            "my_rules:TinAndBirthYear",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    pairs = pd.read_parquet(out / "pairs.parquet")
    assert len(pairs) > 0 and (pairs["strategy"] == "tin_and_birth_year").all()
    truth = pd.read_parquet(world_dir / "truth.parquet")
    assert len(pairs.merge(truth)) > 0


@pytest.mark.parametrize(
    ("spec", "problem"),
    [
        ("no_such_strategy", "unknown strategy"),
        ("no_such_module:Thing", "cannot import"),
        ("json:dumps", "not a Strategy subclass"),
    ],
)
def test_bad_strategy_names(spec, problem):
    with pytest.raises(InputError, match=problem):
        get_strategy(spec)


def test_link_cli_rejects_a_bad_strategy_without_writing(world_dir, tmp_path):
    out = tmp_path / "link"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmark",
            "link",
            "--data",
            str(world_dir),
            "--strategy",
            "nope",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1
    assert not out.exists()


def test_link_one_to_one(world_dir, tmp_path):
    m = run_link(world_dir, "splink", tmp_path / "l", one_to_one=True)
    pairs = pd.read_parquet(tmp_path / "l" / "pairs.parquet")
    assert m["one_to_one"] and pairs["request_id"].is_unique and pairs["record_id"].is_unique
    assert m["pairs"] < m["candidate_pairs"]


def test_one_to_one_keeps_the_blocking_report_of_all_candidates(world_dir, tmp_path):
    run_link(world_dir, "splink", tmp_path / "l", one_to_one=True)
    report = json.loads((tmp_path / "l" / "blocking_report.json").read_text())
    assert report["candidate_pairs"] == sum(r["marginal_pairs"] for r in report["rules"])


def test_splink_scores_are_identical_across_runs(world_dir, tmp_path):
    a = run_link(world_dir, "splink", tmp_path / "a")
    b = run_link(world_dir, "splink", tmp_path / "b")
    assert a["pairs"] == b["pairs"]
    pd.testing.assert_frame_equal(
        pd.read_parquet(tmp_path / "a" / "pairs.parquet"),
        pd.read_parquet(tmp_path / "b" / "pairs.parquet"),
    )


@pytest.mark.parametrize(
    "extra",
    [["--memory-limit", "lots"], ["--threads", "0"], ["--strategy", ":X"]],
    ids=["memory-limit", "threads", "empty-module"],
)
def test_link_cli_bad_options(world_dir, tmp_path, extra):
    args = ["--strategy", "irs_2025", *extra] if extra[0] != "--strategy" else extra
    out = tmp_path / "link"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmark",
            "link",
            "--data",
            str(world_dir),
            *args,
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert proc.returncode == 2, proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    assert not out.exists()


def test_duplicate_pairs_keep_the_best_score():
    from benchmark.linking.link import _check_pairs
    from benchmark.strategies import LinkData

    d = LinkData(
        requests=pd.DataFrame({"request_id": [0]}), records=pd.DataFrame({"record_id": [1]})
    )
    got = _check_pairs(
        pd.DataFrame({"request_id": [0, 0], "record_id": [1, 1], "score": [0.1, 0.9]}), d, "x"
    )
    assert got["score"].tolist() == [0.9]


def _setting(api, name: str):
    from splink import DuckDBAPI

    assert isinstance(api, DuckDBAPI)
    return api._con.execute(f"SELECT current_setting('{name}')").fetchone()[0]


def test_duckdb_spills_beyond_a_quarter_of_the_machine_to_a_private_folder():
    import os
    import tempfile

    from benchmark.strategies.backends import default_memory_limit

    quarter = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 4 / 2**30
    assert int(default_memory_limit().removesuffix("GB")) == max(1, int(quarter))
    api = Backend().db_api()
    folder = _setting(api, "temp_directory")
    # a scratch folder named after this process (a dead one's is cleared by the next start)
    assert folder.startswith(
        os.path.join(tempfile.gettempdir(), f"itin-bench-{os.getpid()}-duckdb-")
    )
    assert os.path.isdir(folder)
    # one folder per process, however many jobs
    assert _setting(Backend().db_api(), "temp_directory") == folder
    # a given limit replaces the default (DuckDB reports it in GiB: 2 GB = 1.8 GiB)
    assert _setting(Backend(memory_limit="2GB").db_api(), "memory_limit") == "1.8 GiB"


def test_plug_ins_find_the_interface_in_base():
    """Plug-ins import ``benchmark.strategies.base``: its names stay those of the package."""
    import benchmark.strategies as strategies
    from benchmark.strategies import base

    for name in ("Strategy", "LinkData", "Backend"):
        assert getattr(base, name) is getattr(strategies, name)
    assert base.PAIR_COLUMNS == ("request_id", "record_id", "score")
    assert base.REQUEST_COLUMNS[0] == "request_id" and base.RECORD_COLUMNS[0] == "record_id"
