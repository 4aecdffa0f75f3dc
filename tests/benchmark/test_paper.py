"""`itin-bench paper --reduced` regenerates the committed reduced tables, the same each time."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from benchmark.experiments.paper import TABLES, paper

ROOT = Path(__file__).resolve().parents[2]
COMMITTED = ROOT / "results" / "paper_reduced"


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("paper")
    first = paper(reduced=True, out=tmp / "first", runs_root=tmp / "runs")
    # a second regeneration from scratch (its own run folder, nothing reused)
    second = paper(reduced=True, out=tmp / "second", runs_root=tmp / "runs2")
    return first, second


def test_two_regenerations_give_identical_tables(regenerated):
    first, second = regenerated
    for name in TABLES:
        assert (first / f"{name}.csv").read_bytes() == (second / f"{name}.csv").read_bytes(), name


@pytest.mark.parametrize("name", TABLES)
def test_regenerated_tables_equal_the_committed_copies(regenerated, name):
    ours = pd.read_csv(regenerated[0] / f"{name}.csv")
    committed = pd.read_csv(COMMITTED / f"{name}.csv")
    assert list(ours.columns) == list(committed.columns)
    assert len(ours) == len(committed)
    for column in ours.columns:
        a, b = ours[column], committed[column]
        if pd.api.types.is_float_dtype(a) or pd.api.types.is_float_dtype(b):
            # Splink's EM sums may differ in the last bits between machines
            assert np.allclose(
                a.astype(float), b.astype(float), rtol=1e-6, atol=1e-9, equal_nan=True
            ), column
        else:
            assert a.astype(str).tolist() == b.astype(str).tolist(), column


def test_paper_refuses_to_replace_a_folder_it_did_not_write(tmp_path):
    from data_gen.errors import InputError

    precious = tmp_path / "mine"
    precious.mkdir()
    (precious / "thesis.tex").write_text("years of work")
    with pytest.raises(InputError, match="not a paper folder"):
        paper(reduced=True, out=precious, runs_root=tmp_path / "runs")
    assert (precious / "thesis.tex").read_text() == "years of work"
    assert not (tmp_path / "runs").exists()  # refused before any work


def test_the_reduced_folder_has_every_figure_and_a_readme(regenerated):
    folder = regenerated[0]
    readme = (folder / "README.md").read_text()
    assert "itin-bench paper --reduced" in readme
    for png in sorted(COMMITTED.glob("*.png")):
        assert (folder / png.name).stat().st_size > 1000
        assert png.name in readme
