"""Case cards on a small run: the card's waterfall is the Splink model's own computation."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from benchmark.experiments.run import run
from benchmark.reporting.case_cards import case_cards, mask_tin, write_case_cards

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


def test_write_case_cards(run_folder, cards, tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    stems = write_case_cards(run_folder, tmp_path / "cards", plt)
    assert "case_splink_1" in stems
    for stem in stems:
        assert (tmp_path / "cards" / f"{stem}.png").stat().st_size > 1000
    summary = json.loads((tmp_path / "cards" / "case_cards.json").read_text())
    assert [s["figure"] for s in summary] == [f"{s}.png" for s in stems]
    assert "person_id" not in json.dumps(summary)
    with pytest.raises(ValueError):
        write_case_cards(run_folder, run_folder / "evaluation" / "cards", plt)


def test_mask_tin():
    assert mask_tin("912-70-1234") == "•••-••-1234"
    assert mask_tin(float("nan")) == "—"
