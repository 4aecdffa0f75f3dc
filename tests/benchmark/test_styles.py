"""A strategy's plain-language name and colour travel through stored files only.

The strategy class declares them, ``link_manifest.json`` records them, the
evaluation copies them into its manifest, and figures and the report read them
from there: a plug-in's colour appears in the figures although no registry knows it.
"""

from __future__ import annotations

import json
import sys

import pytest

from benchmark.evaluation.evaluate import evaluate
from benchmark.linking.link import run_link
from benchmark.reporting.figures import draw_figures
from benchmark.reporting.sections import _plain_sentences
from benchmark.reporting.styles import SPARE_COLOURS, read_styles
from benchmark.reporting.summary import main_figures
from benchmark.strategies import STRATEGIES
from data_gen.errors import InputError

PLUGIN = """
from benchmark.strategies import Strategy
from benchmark.strategies.features import prepare


class TinOnly(Strategy):
    name = "tin_only"
    description = "TIN equal"
    plain_name = "the taxpayer number alone"
    colour = "#123456"

    def link(self, data, backend):
        req, rec = prepare(data)
        pairs = req.merge(rec, on="tin", suffixes=("_q", "_r"))
        return pairs.assign(score=1.0)[["request_id", "record_id", "score"]]


class Plain(TinOnly):
    name = "plain_rule"
    plain_name = ""
    colour = None
"""


@pytest.fixture(scope="module")
def plugin(tmp_path_factory):
    folder = tmp_path_factory.mktemp("plugin")
    (folder / "style_plugin.py").write_text(PLUGIN)
    sys.path.insert(0, str(folder))
    yield "style_plugin"
    sys.path.remove(str(folder))
    sys.modules.pop("style_plugin", None)


def test_every_built_in_strategy_has_its_own_plain_name_and_colour():
    styles = [cls.style() for cls in STRATEGIES.values()]
    assert all(
        s["plain_name"] and s["plain_name"] != n for s, n in zip(styles, STRATEGIES, strict=True)
    )
    colours = [s["colour"] for s in styles]
    assert len(set(colours)) == len(colours) and not set(colours) & set(SPARE_COLOURS)


def test_styles_go_from_class_to_manifest_to_figures_and_report(smoke_world, plugin, tmp_path):
    links = tmp_path / "links"
    m = run_link(smoke_world, f"{plugin}:TinOnly", links / "tin_only")
    assert (m["plain_name"], m["colour"]) == ("the taxpayer number alone", "#123456")
    m = run_link(smoke_world, f"{plugin}:Plain", links / "plain_rule")
    assert (m["plain_name"], m["colour"]) == ("plain_rule", None)
    run_link(smoke_world, "irs_2025", links / "irs_2025")

    evaluate(smoke_world, [links], tmp_path / "evaluation")
    styles = read_styles(tmp_path / "evaluation")
    assert styles["tin_only"].colour == "#123456"
    assert styles["plain_rule"].colour == SPARE_COLOURS[0]
    assert styles["irs_2025"].colour == STRATEGIES["irs_2025"].colour

    draw_figures(tmp_path / "evaluation", tmp_path / "figures")
    svg = (tmp_path / "figures" / "precision_recall.svg").read_text().lower()
    for colour in ("#123456", SPARE_COLOURS[0], STRATEGIES["irs_2025"].colour):
        assert colour.lower() in svg

    sentences = _plain_sentences(main_figures(tmp_path / "evaluation"), styles)
    assert any(s.startswith("The taxpayer number alone (`tin_only`)") for s in sentences)


def test_a_link_manifest_with_a_bad_colour_is_refused(smoke_world, tmp_path):
    folder = tmp_path / "links" / "irs_2025"
    run_link(smoke_world, "irs_2025", folder)
    manifest = json.loads((folder / "link_manifest.json").read_text())
    (folder / "link_manifest.json").write_text(json.dumps({**manifest, "colour": "red"}))
    with pytest.raises(InputError, match="colour must be a hex code"):
        evaluate(smoke_world, [tmp_path / "links"], tmp_path / "evaluation")
    assert not (tmp_path / "evaluation").exists()
