"""``itin-bench perf peers``: translation of the splink strategy for recordlinkage, the CLI.

Tests that need the peers (the ``perf`` extra) skip without them; the argument
checks, the missing-extra message and the rule translation run everywhere.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from benchmark.perf.peer_generators import generator_summary
from benchmark.perf.peer_linkage import (
    BlockKey,
    parse_blocking_rule,
    parse_comparison,
    splink_blocking_sql,
    splink_comparisons,
)

ROOT = Path(__file__).resolve().parents[2]
SMOKE = str(ROOT / "configs" / "smoke.toml")


def _itin(cwd: Path, *args: str, timeout: int = 300, block: str | None = None):
    """Run ``itin-bench ARGS`` in a fresh process; ``block`` makes that module unimportable."""
    code = "import sys\n"
    if block:
        code += f"sys.modules[{block!r}] = None\n"
    code += "from benchmark.cli import main\nsys.exit(main(sys.argv[1:]))\n"
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=timeout,
    )


def _errors(proc: subprocess.CompletedProcess) -> list[str]:
    return [line for line in proc.stderr.splitlines() if "error" in line]


# ------------------------------------------------------------------ translation, no peers


def test_every_splink_blocking_rule_translates_to_symmetric_keys():
    sqls = splink_blocking_sql()
    rules = [parse_blocking_rule(s) for s in sqls]
    assert len(rules) == len(sqls) >= 1
    for rule in rules:
        assert len(rule.left) == len(rule.right) >= 1
        assert sorted(map(repr, zip(rule.left, rule.right, strict=True))) == sorted(
            map(repr, zip(rule.right, rule.left, strict=True))
        )
    swapped = parse_blocking_rule("l.first1 = r.last1 AND l.last1 = r.first1")
    assert [k.name for k in swapped.left] == ["first1", "last1"]
    assert [k.name for k in swapped.right] == ["last1", "first1"]
    missing = parse_blocking_rule(
        "l.first1 = r.first1 AND l.last1 = r.last1 AND (l.dob IS NULL OR r.dob IS NULL)"
    )
    assert missing.either_missing == "dob"
    sub = parse_blocking_rule(
        '(l."dob" = r."dob") AND (SUBSTRING(l.x, 6, 5) = SUBSTRING(r.x, 6, 5))'
    )
    assert sub.left[1] == BlockKey("x", 6, 5)


@pytest.mark.parametrize(
    "sql",
    [
        "l.a = r.b",  # asymmetric
        "levenshtein(l.a, r.a) <= 1",
        "l.a = r.a OR l.b = r.b",
        "l.a = l.a",
        "l.a = r.a AND (l.b IS NULL OR r.b IS NULL) AND (l.c IS NULL OR r.c IS NULL)",
    ],
)
def test_blocking_rules_without_an_index_equivalent_are_refused(sql):
    with pytest.raises(ValueError, match="blocking rule"):
        parse_blocking_rule(sql)


def test_block_key_substring_is_one_based_and_keeps_missing_missing():
    frame = pd.DataFrame({"dob": ["1985-04-15", None, "19"]})
    assert BlockKey("dob", 6, 5).values(frame).tolist() == ["04-15", None, None]
    assert BlockKey("dob", 1, 2).values(frame).tolist() == ["19", None, "19"]


def test_every_splink_comparison_translates_level_by_level():
    comparisons = splink_comparisons()
    assert comparisons
    for c in comparisons:
        values = [lv.value for lv in c.levels]
        # Splink's comparison vector values: -1 for the null level, then top … 0 (ELSE)
        assert values[0] == -1 and values[-1] == 0
        assert values[1:] == list(range(c.top, -1, -1))
        assert c.levels[-1].test is None and all(lv.test for lv in c.levels[:-1])
    with pytest.raises(ValueError, match="no recordlinkage equivalent"):
        parse_comparison(
            {
                "output_column_name": "x",
                "comparison_levels": [{"sql_condition": 'soundex("x_l") = soundex("x_r")'}],
            }
        )


def test_generator_summary_takes_the_median_run_over_all_datasets():
    runs = pd.DataFrame(
        {
            "tool": ["p"] * 4,
            "call": ["c"] * 4,
            "dataset": ["a", "b", "a", "b"],
            "run": [1, 1, 2, 2],
            "records": [10, 30, 10, 30],
            "all_rows": [10, 30, 10, 30],
            "seconds": [1.0, 1.0, 3.0, 1.0],
        }
    )
    row = generator_summary(runs).iloc[0]
    assert (row["datasets"], row["records"], row["runs"]) == (2, 40, 2)
    assert row["seconds"] == pytest.approx(3.0)  # median of 2.0 and 4.0
    assert row["records_per_s"] == pytest.approx(40 / 3.0)


# ----------------------------------------------------------------------- CLI, no peers


def test_bad_arguments_fail_with_one_line_and_write_nothing(tmp_path):
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "keep.txt").write_text("mine")
    for args, words in (
        (["--persons", "0"], "--persons 0"),
        (["--repeats", "0"], "--repeats 0"),
        (["--pseudopeople-datasets", "census,taxes_1040"], "census"),
        (["--recordlinkage-jobs", "0"], "--recordlinkage-jobs"),
        (["--config", SMOKE, "--scale", "0"], "--scale"),
        (["--config", str(tmp_path / "nope.toml")], "nope.toml"),
        (["--config", SMOKE, "--out", str(busy)], "not empty"),
    ):
        out_args = [] if "--out" in args else ["--out", str(tmp_path / "new")]
        out = _itin(tmp_path, "perf", "peers", *args, *out_args, timeout=120)
        assert out.returncode == 2, (args, out.stderr)
        errors = _errors(out)
        assert len(errors) == 1 and words in errors[0], (args, out.stderr)
    assert (busy / "keep.txt").read_text() == "mine"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["busy"]


def test_missing_extra_names_the_install_command_and_writes_nothing(tmp_path):
    out = _itin(
        tmp_path,
        "perf",
        "peers",
        "--config",
        SMOKE,
        "--out",
        str(tmp_path / "peers"),
        block="recordlinkage",
        timeout=120,
    )
    assert out.returncode == 2, out.stderr
    assert out.stderr.strip().splitlines() == [
        "itin-bench: error: install the perf extra: pip install -e '.[perf]'"
    ]
    assert list(tmp_path.iterdir()) == []


# ------------------------------------------------------------------------ with the peers


def test_recordlinkage_finds_splinks_pairs_and_levels(smoke_world):
    pytest.importorskip("recordlinkage")
    from benchmark.perf.peer_link_timing import link_peers
    from benchmark.strategies import Backend, load_link_data
    from data_gen import read_table

    truth = read_table(smoke_world, "truth")
    result = link_peers(load_link_data(smoke_world), truth, backend=Backend())
    assert result["same_pairs"]
    levels = result["levels"]
    assert len(levels) == len(splink_comparisons())
    assert (levels["pairs_compared"] > 0).all()
    # recordlinkage's level is Splink's own for (nearly) every pair and comparison
    assert (levels["identical_share"] >= 0.999).all(), levels
    methods = result["methods"].set_index("method")
    assert (
        methods.loc["splink", "candidate_pairs"] == methods.loc["recordlinkage", "candidate_pairs"]
    )
    timings = methods[["normalise_s", "scoring_s", "end_to_end_s"]].to_numpy(dtype=float)
    assert (timings > 0).all() and np.isfinite(timings).all()
    for column in ("precision", "recall"):
        assert methods[column].between(0, 1).all()
    encodings = result["encodings"]
    assert set(encodings["encoding"]) == {
        "exact_agreement",
        "level_indicators",
        "levels_as_categories",
    }
    assert result["encoding"] in set(encodings["encoding"])
    # its row: the best F1 among the fits that scored every pair
    complete = encodings[encodings["nan_scores"] == 0]
    best = encodings.set_index("encoding").loc[result["encoding"]]
    assert best["nan_scores"] == 0 and best["f1"] == pytest.approx(complete["f1"].max())
    assert 0 < result["true_pairs_found"] <= result["true_pairs"] == len(truth)


def test_perf_peers_prints_and_records_every_figure(tmp_path):
    pytest.importorskip("recordlinkage")
    pytest.importorskip("pseudopeople")
    out_dir = tmp_path / "peers"
    out = _itin(
        tmp_path,
        "-q",
        "perf",
        "peers",
        "--persons",
        "3000",
        "--repeats",
        "1",
        "--pseudopeople-datasets",
        "current_population_survey",
        "--config",
        SMOKE,
        "--scale",
        "0.5",
        "--out",
        str(out_dir),
    )
    assert out.returncode == 0, out.stderr
    for words in (
        "machine:",
        "records/s",
        "pairs/s",
        "the same set: yes",
        "acceptance",
        "peak RSS",
    ):
        assert words in out.stdout, words
    gens = pd.read_csv(out_dir / "generators.csv")
    assert set(gens["tool"]) == {"itin-bench", "pseudopeople"}
    assert set(gens.loc[gens["tool"] == "pseudopeople", "call"]) == {"year 2020", "all years"}
    assert (gens["records"] > 0).all() and (gens["seconds"] > 0).all()
    linkage = pd.read_csv(out_dir / "linkage.csv")
    assert linkage["method"].tolist() == ["splink", "recordlinkage"]
    assert (linkage["scoring_pairs_per_s"] > 0).all()
    readme = (out_dir / "README.md").read_text()
    assert "itin-bench perf peers --persons 3000" in readme and "cores" in readme
    for name in ("generators_summary.csv", "ecm_encodings.csv", "comparison_levels.csv"):
        assert (out_dir / name).stat().st_size > 0
