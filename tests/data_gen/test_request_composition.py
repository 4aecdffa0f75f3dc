"""The share of requested people who left the area, and the nested order of TIN carriers the
2025 calibration solves its TIN share on."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from data_gen import load_scenario
from data_gen.errors import ConfigError
from data_gen.requests import exact_counts
from data_gen.world import add_requests, build_population

ROOT = Path(__file__).resolve().parents[2]
SMOKE = load_scenario(ROOT / "configs" / "smoke.toml")
# a smoke world with most undocumented people under a final order
RICH = SMOKE.with_overrides(status={"final_order_rate": {"undocumented": 0.9}})


@pytest.fixture(scope="module")
def population():
    return build_population(RICH)


@pytest.mark.parametrize(("never", "left"), [(0.9, 0.0), (0.9, 0.5), (0.6, 0.6), (0.5, 0.2)])
def test_left_area_share_is_exact(population, never, left):
    s = RICH.with_overrides(
        requests={
            "count": 150,
            "never_filed_share": never,
            "left_area_share": left,
            "tin_share": 0.05,
        }
    )
    world = add_requests(population, s)
    persons = world.tables["persons"].set_index("person_id")
    rt = world.tables["request_truth"]
    role = persons["role"].reindex(rt["person_id"]).to_numpy()
    want = exact_counts(150, {"absent": left, "never": never - left, "filed": 1 - never})
    assert int((role == "absent").sum()) == want["absent"]
    assert int((~rt["person_filed"]).sum()) == want["absent"] + want["never"]
    # people who left never filed and are nobody's household member
    assert not rt["person_filed"].to_numpy()[role == "absent"].any()


def test_left_area_share_beyond_the_pool_is_refused_with_its_reason(population):
    s = RICH.with_overrides(
        requests={"count": 2000, "never_filed_share": 0.95, "left_area_share": 0.0}
    )
    with pytest.raises(ConfigError, match=r"^requests.left_area_share: .* but the world has"):
        add_requests(population, s)


def test_a_plain_list_is_deterministic_and_has_no_tin_rank(population):
    s = RICH.with_overrides(requests={"count": 150, "never_filed_share": 0.9, "tin_share": 0.05})
    a, b = add_requests(population, s), add_requests(population, s)
    assert a.tables["requests"].equals(b.tables["requests"])
    assert "tin_rank" not in a.tables["request_truth"].columns


@pytest.mark.parametrize(("borrowed", "filer"), [(0.0, 1.0), (0.3, 0.8), (0.6, 0.6)])
def test_nested_tin_carriers_keep_their_proportions_at_every_prefix(population, borrowed, filer):
    s = RICH.with_overrides(
        requests={
            "count": 400,
            "never_filed_share": 0.6,
            "tin_share": 0.25,
            "borrowed_tin_share": borrowed,
            "own_tin_filer_share": filer,
        }
    )
    world = add_requests(population, s, nested_tins=True)
    rt = world.tables["request_truth"].sort_values("tin_rank")
    carriers = rt[rt["tin_rank"] >= 0]
    # ranks are 0..k-1, each once; every carrier has a TIN, nobody else does
    assert carriers["tin_rank"].tolist() == list(range(len(carriers)))
    tin = world.tables["requests"].set_index("request_id")["tin"]
    assert tin.reindex(carriers["request_id"]).notna().all()
    assert tin.drop(carriers["request_id"]).isna().all()
    assert 0 < len(carriers) <= 100
    shares = {
        "own_filed": (1 - borrowed) * filer,
        "own_not": (1 - borrowed) * (1 - filer),
        "borrowed": borrowed,
    }
    kind = np.where(
        carriers["tin_source"] == "borrowed",
        "borrowed",
        np.where(carriers["person_filed"], "own_filed", "own_not"),
    )
    for k in range(1, len(carriers) + 1):
        for name, share in shares.items():
            assert abs((kind[:k] == name).sum() - share * k) <= 1.0 + 1e-9, (k, name)
    own = carriers[carriers["tin_source"] == "own"]
    assert (own["tin_owner_person_id"] == own["person_id"]).all()
    lent = carriers[carriers["tin_source"] == "borrowed"]
    assert (lent["tin_owner_person_id"] != lent["person_id"]).all()


def test_nested_order_is_deterministic(population):
    s = RICH.with_overrides(requests={"count": 300, "never_filed_share": 0.7, "tin_share": 0.2})
    a = add_requests(population, s, nested_tins=True).tables["request_truth"]
    b = add_requests(population, s, nested_tins=True).tables["request_truth"]
    assert a.equals(b)
