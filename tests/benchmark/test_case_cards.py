"""Case cards on a small run: the card's waterfall is the Splink model's own computation."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from benchmark.experiments.run import run
from benchmark.reporting.case_cards import card_names, case_cards, mask_tin

ROOT = Path(__file__).resolve().parents[2]
STRATEGIES = ["irs_2025", "splink"]


def _config(tmp_path: Path) -> Path:
    text = (ROOT / "configs" / "smoke.toml").read_text()
    text = text.replace('name = "smoke"', 'name = "cards"')
    run_table = f"[run]\nreplicates = 2\nstrategies = {json.dumps(STRATEGIES)}\n"
    text = text.split("[run]")[0] + run_table
    path = tmp_path / "cards.toml"
    path.write_text(text)
    return path


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("cards")
    return run(_config(tmp), out_root=tmp / "runs").folder


@pytest.fixture(scope="module")
def cards(run_folder) -> list[dict]:
    found = [c for c in case_cards(run_folder) if c["strategy"] == "splink"]
    if not found:
        pytest.skip("the smoke world gave splink no wrong-person disclosure at its main point")
    return found


def test_cards_are_the_models_computation(run_folder, cards):
    pairs = pd.read_parquet(run_folder / "links" / "splink" / "pairs.parquet")
    assert 1 <= len(cards) <= 2
    assert len({c["route"] for c in cards}) == len(cards)
    for card in cards:
        parts = card["prior_weight"] + sum(w for _, _, w in card["contributions"])
        assert parts == pytest.approx(card["match_weight"], abs=1e-9)
        score = pairs.loc[
            (pairs["request_id"] == card["request_id"]) & (pairs["record_id"] == card["record_id"]),
            "score",
        ]
        assert len(score) == 1
        assert card["match_weight"] == pytest.approx(float(score.iloc[0]), abs=1e-6)
        # accepted at the main point, and the record is not the requested person's
        assert card["match_weight"] >= card["threshold"] - 1e-9
        for side in ("request", "record"):
            tin = card[side]["tin"]
            assert tin == "—" or (tin.startswith("•••-••-") and len(tin) == 11)


def test_cards_are_deterministic(run_folder, cards):
    again = [c for c in case_cards(run_folder) if c["strategy"] == "splink"]
    assert [(c["request_id"], c["record_id"]) for c in again] == [
        (c["request_id"], c["record_id"]) for c in cards
    ]


def test_the_figures_stage_draws_every_card(run_folder, cards, tmp_path):
    from benchmark.reporting.figures import draw_figures

    drawn = draw_figures(run_folder / "evaluation", tmp_path / "figures", cases_from=run_folder)
    names = card_names(case_cards(run_folder))
    assert "case_splink_1" in names and set(names) <= set(drawn)
    for name in names:
        assert (tmp_path / "figures" / f"{name}.png").stat().st_size > 1000


def test_mask_tin():
    assert mask_tin("912-70-1234") == "•••-••-1234"
    assert mask_tin(float("nan")) == "—"
