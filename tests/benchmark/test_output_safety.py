"""Outputs that cannot attack their reader: no CSV cell a spreadsheet runs as a formula, no
name that becomes markup in the Markdown report, whatever a plug-in or a user's table holds."""

from __future__ import annotations

import csv
import json
import math
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from benchmark.evaluation.evaluate import evaluate
from benchmark.linking.link import run_link
from benchmark.reporting.blocks import Block
from benchmark.reporting.blocks import lit as _lit
from benchmark.reporting.render import to_html, to_markdown
from benchmark.safe_output import (
    FORMULA_STARTS,
    markdown_text,
    neutralise_cell,
    neutralise_formulas,
    write_csv,
)
from benchmark.tables.export import export_user_tables
from benchmark.tables.user_tables import load_user_tables

ROOT = Path(__file__).resolve().parents[2]
HOSTILE = '=HYPERLINK("http://x","y") <script>alert(1)</script> | `tick` [a](http://x)'
# an unescaped cell delimiter of a Markdown table row
PIPE = re.compile(r"(?<!\\)\|")


def csv_cells(path: Path) -> list[str]:
    """Every cell of a CSV file, the header included, as the file holds it."""
    with path.open(newline="", encoding="utf-8") as f:
        return [cell for row in csv.reader(f) for cell in row]


def formula_cells(paths: list[Path]) -> list[tuple[str, str]]:
    """Cells a spreadsheet would run: starting with a formula character and not a number."""
    bad = []
    for path in paths:
        for cell in csv_cells(path):
            if cell.startswith(FORMULA_STARTS):
                try:
                    float(cell)
                except ValueError:
                    bad.append((path.name, cell))
    return bad


# --------------------------------------------------------------------------- the neutraliser


@pytest.mark.parametrize("first", list(FORMULA_STARTS))
def test_every_formula_character_gets_a_quote(first):
    assert neutralise_cell(f"{first}cmd|' /C calc'!A0") == f"'{first}cmd|' /C calc'!A0"
    assert neutralise_cell(first) == f"'{first}"


@pytest.mark.parametrize(
    "value",
    [
        "irs_2025",
        "a=b",
        " =x",
        "'=already guarded",
        "",
        -1,
        -2.5,
        0,
        np.int64(-3),
        np.float64(-0.25),
        None,
        float("nan"),
        pd.NA,
    ],
)
def test_other_values_are_untouched(value):
    assert neutralise_cell(value) is value


def test_only_text_cells_change_and_the_input_is_left_alone():
    table = pd.DataFrame(
        {
            "text": ["=1+1", "ok", None, "-", "@x"],
            "number": [-1.5, -2.0, np.nan, 3.0, -0.0],
            "integer": [-1, -2, 3, 4, -5],
            "mixed": pd.Series([-1, "+1", None, np.nan, "=x"], dtype=object),
            "category": pd.Categorical(["-a", "b", "-a", "b", "b"]),
        }
    )
    before = table.copy()
    out = neutralise_formulas(table)
    pd.testing.assert_frame_equal(table, before)
    assert out["text"].tolist()[:2] == ["'=1+1", "ok"]
    assert out["text"].isna().tolist() == [False, False, True, False, False]
    assert out["text"].tolist()[3:] == ["'-", "'@x"]
    pd.testing.assert_series_equal(out["number"], table["number"])
    pd.testing.assert_series_equal(out["integer"], table["integer"])
    mixed = out["mixed"].tolist()
    assert mixed[0] == -1 and mixed[1] == "'+1" and mixed[2] is None and math.isnan(mixed[3])
    assert mixed[4] == "'=x"
    assert out["category"].astype(str).tolist() == ["'-a", "b", "'-a", "b", "b"]


def test_a_clean_table_is_returned_as_is():
    table = pd.DataFrame({"strategy": ["irs_2025", "splink"], "ci_low": [-0.5, -12.0]})
    assert neutralise_formulas(table) is table


def test_write_csv_guards_header_and_cells_and_keeps_numbers(tmp_path):
    table = pd.DataFrame(
        {
            "=name": ["=HYPERLINK(1)", "\tx", "\rz", "ok\r=HYPERLINK(2)", "a\r\nb"],
            "value": [-1.25, -3.0, 0.5, 1.0, 2.0],
        }
    )
    write_csv(table, tmp_path / "t.csv", index=False, float_format="%.2f")
    rows = list(csv.reader((tmp_path / "t.csv").open(newline="")))
    # a lone CR gains a LF, so the writer quotes the cell instead of letting it split the row
    assert rows == [
        ["'=name", "value"],
        ["'=HYPERLINK(1)", "-1.25"],
        ["'\tx", "-3.00"],
        ["'\r\nz", "0.50"],
        ["ok\r\n=HYPERLINK(2)", "1.00"],
        ["a\r\nb", "2.00"],
    ]


# --------------------------------------------------------------------------- Markdown


@pytest.mark.parametrize("name", ["irs_2025", "splink supervised", "v1.2", "Fuzzy_Rules 2"])
def test_ordinary_names_are_unchanged_in_markdown(name):
    assert markdown_text(name) == name
    blocks = [Block("p", f"{_lit(name)} (`{_lit(name)}`)"), Block("table", header=[name])]
    blocks[1].items = [[_lit(name)]]
    assert to_markdown(blocks) == f"{name} (`{name}`)\n\n| {name} |\n|---|\n| {name} |\n"


def test_markdown_text_escapes_markup():
    text = markdown_text("<script>alert(1)</script> | `x` [a](b) & \\\nnext")
    assert "<" not in text and ">" not in text and "\n" not in text
    assert PIPE.search(text) is None
    assert "&lt;script&gt;" in text and "\\`x\\`" in text and "\\[a\\](b)" in text
    assert "&amp;" in text


def test_a_hostile_name_stays_text_in_both_renderings():
    blocks = [
        Block("p", f"Method {_lit(HOSTILE)} (`{_lit(HOSTILE)}`) found 10%."),
        Block("table", header=["method", _lit(HOSTILE)], items=[[_lit(HOSTILE), "1%"]]),
    ]
    md = to_markdown(blocks)
    assert "<script>" not in md and "<a" not in md
    table = [line for line in md.splitlines() if line.startswith("|")]
    assert [len(PIPE.findall(line)) for line in table] == [3, 3, 3]
    page = to_html(blocks, Path("."))
    assert "<script>" not in page
    # the name shows as itself in HTML, its backticks included
    assert "<code>=HYPERLINK(&quot;http://x&quot;,&quot;y&quot;) &lt;script&gt;" in page
    assert "`tick`" in page


# --------------------------------------------------------------------------- end to end

PLUGIN = f"""
from benchmark.strategies import Strategy
from benchmark.strategies.features import prepare


class Hostile(Strategy):
    name = {HOSTILE!r}
    description = {HOSTILE!r}

    def link(self, data, backend):
        req, rec = prepare(data)
        pairs = req.merge(rec, on="tin", suffixes=("_q", "_r"))
        pairs = pairs[pairs["dob_year_q"] == pairs["dob_year_r"]]
        return pairs.assign(score=1.0)[["request_id", "record_id", "score"]]
"""


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory) -> Path:
    """``itin-bench run`` of the smoke scenario with the hostile plug-in and irs_2025."""
    tmp = tmp_path_factory.mktemp("hostile")
    (tmp / "hostile_plugin.py").write_text(textwrap.dedent(PLUGIN))
    text = (ROOT / "configs" / "smoke.toml").read_text().split("[run]")[0]
    strategies = ["hostile_plugin:Hostile", "irs_2025"]
    config = tmp / "hostile.toml"
    config.write_text(text + f"[run]\nreplicates = 1\nstrategies = {json.dumps(strategies)}\n")
    proc = subprocess.run(
        [sys.executable, "-m", "benchmark", "-q", "run", "--config", str(config)]
        + ["--out-root", str(tmp / "runs")],
        capture_output=True,
        text=True,
        cwd=tmp,
        env={**os.environ, "PYTHONPATH": str(tmp)},
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    return tmp / "runs" / "smoke"


def test_a_hostile_plugin_name_is_no_formula_in_any_csv(hostile_run):
    paths = sorted(hostile_run.rglob("*.csv"))
    assert paths
    assert formula_cells(paths) == []
    ops = pd.read_csv(hostile_run / "evaluation" / "operating_points.csv")
    assert f"'{HOSTILE}" in set(ops["strategy"])
    # the Parquet copy is data: it keeps the name as the plug-in gave it
    raw = pd.read_parquet(hostile_run / "evaluation" / "operating_points.parquet")
    assert HOSTILE in set(raw["strategy"])


def test_a_hostile_plugin_name_is_no_markup_in_the_report(hostile_run):
    md = (hostile_run / "report" / "report.md").read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in md
    assert "<script>" not in md
    lines = md.splitlines()
    named = [line for line in lines if "HYPERLINK" in line]
    assert named, "the strategy's name is missing from the report"
    for i, line in enumerate(lines):
        if line.startswith("|") and not line.startswith("|---"):
            start = i
            while start > 0 and lines[start - 1].startswith("|"):
                start -= 1
            # every row has as many cells as its table's header
            assert len(PIPE.findall(line)) == len(PIPE.findall(lines[start])), line
    page = (hostile_run / "report" / "report.html").read_text(encoding="utf-8")
    assert "<script>" not in page


def test_a_users_state_value_is_no_formula_in_the_evaluation(smoke_world, tmp_path):
    tables = export_user_tables(smoke_world, tmp_path / "tables")
    requests = pd.read_csv(tables / "requests.csv", dtype=str, keep_default_na=False)
    hostile = ['=HYPERLINK("http://x","y")', "+1+1", "-2+3", "@SUM(A1)"]
    requests.loc[: len(requests) // 2, "state"] = [
        hostile[i % len(hostile)] for i in range(len(requests) // 2 + 1)
    ]
    requests.to_csv(tables / "requests.csv", index=False)
    user = load_user_tables(
        tables / "requests.csv", tables / "filers.parquet", tables / "mapping.toml"
    )
    run_link(user, "irs_2025", tmp_path / "links" / "irs_2025")
    evaluate(user, [tmp_path / "links"], tmp_path / "evaluation")
    paths = sorted((tmp_path / "evaluation").glob("*.csv"))
    assert formula_cells(paths) == []
    disp = pd.read_csv(tmp_path / "evaluation" / "disparities.csv", dtype=str)
    groups = set(disp.loc[disp["dimension"] == "state", "group"])
    assert {f"'{h}" for h in hostile} <= groups
    raw = pd.read_parquet(tmp_path / "evaluation" / "disparities.parquet")
    assert set(hostile) <= set(raw["group"])
