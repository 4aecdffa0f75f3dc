"""The 2025 request file: the published aggregates, and the compositions that reproduce them.

The public record gives three aggregates of the tax agency's 2025 match
(``shared/reference/facts.md`` §1): how many requests were matched, how many of
the disclosures came through the TIN path, and how many rested on junk address
fields.  It does not say who was on the list: how many never filed, how many
carried somebody else's number, how stale the addresses were.  This module
measures the aggregates of ``irs_2025`` on a generated world and, for a grid of
request-list compositions drawn on one population, solves ``tin_share`` for the
published match rate, checks all three aggregates, and estimates the
wrong-person disclosures and the people behind them for the whole file.  The
compositions that reproduce the record give the range of those estimates.
"""

from __future__ import annotations

import itertools
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from benchmark.evaluation.ground_truth import ground_truth_from_tables
from benchmark.evaluation.harm import harm_counts
from benchmark.evaluation.metrics import label_pairs
from benchmark.facts import FACTS, FILE_REQUESTS
from benchmark.safe_output import write_csv
from benchmark.strategies import Backend, get_strategy
from benchmark.strategies.link_data import RECORD_COLUMNS, REQUEST_COLUMNS, LinkData
from data_gen.config import CALIBRATION_KEYS, Scenario
from data_gen.dataset import atomic_folder, read_table
from data_gen.errors import ConfigError
from data_gen.world import World, add_requests, build_population

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Aggregate:
    """One published aggregate of the 2025 match: a ratio of two published counts."""

    name: str
    numerator: str
    denominator: str
    label: str

    @property
    def value(self) -> float:
        """The published ratio."""
        return FACTS[self.numerator].value / FACTS[self.denominator].value

    @property
    def source(self) -> str:
        """What the numerator counts, its figure and where it was published."""
        fact = FACTS[self.numerator]
        return f"{fact.value:,}: {fact.counts} ({fact.source})"


PUBLISHED = (
    Aggregate("match_rate", "matches_2025", "file_requests", "share of requests matched"),
    Aggregate(
        "tin_path_share",
        "tin_path_disclosures",
        "matches_2025",
        "share of disclosures through the TIN path",
    ),
    Aggregate(
        "junk_share",
        "junk_disclosures",
        "matches_2025",
        "share of disclosures resting on junk address fields",
    ),
)
HARM_COLUMNS = ("wrong_person", "households", "people", "us_citizens", "us_citizen_children")


def irs_2025_aggregates(
    pairs: pd.DataFrame, requests: pd.DataFrame, request_truth: pd.DataFrame
) -> dict[str, float]:
    """The published aggregates, measured on one world's ``irs_2025`` disclosures.

    A disclosure is one disclosed record (a request–record pair).  The two
    paths of the 2025 procedure are exclusive: a request carrying a TIN goes
    through the TIN path only, so a disclosure is on the TIN path when its
    request carries a TIN.  Junk addresses are those the generator wrote as
    junk (``request_truth.address_kind``).

    Examples
    --------
    >>> req = pd.DataFrame({"request_id": [0, 1, 2, 3], "tin": ["1", None, "2", None]})
    >>> rt = pd.DataFrame({"request_id": [0, 1, 2, 3],
    ...                    "address_kind": ["junk", "current", "current", "current"]})
    >>> pairs = pd.DataFrame({"request_id": [0, 1], "record_id": [5, 6]})
    >>> irs_2025_aggregates(pairs, req, rt)
    {'requests': 4, 'disclosures': 2, 'match_rate': 0.5, 'tin_path_share': 0.5, 'junk_share': 0.5}
    """
    facts = (
        pairs[["request_id"]]
        .merge(requests[["request_id", "tin"]], on="request_id", how="left")
        .merge(request_truth[["request_id", "address_kind"]], on="request_id", how="left")
    )
    n, k = len(requests), len(facts)
    return {
        "requests": n,
        "disclosures": k,
        "match_rate": k / n if n else float("nan"),
        "tin_path_share": float(facts["tin"].notna().mean()) if k else float("nan"),
        "junk_share": float((facts["address_kind"] == "junk").mean()) if k else float("nan"),
    }


def compare_with_published(measured: dict[str, float], tolerance: float) -> pd.DataFrame:
    """Each published aggregate beside its measured value, with the relative difference."""
    rows = []
    for a in PUBLISHED:
        value = measured[a.name]
        rel = value / a.value - 1
        rows.append(
            {
                "aggregate": a.name,
                "label": a.label,
                "published": a.value,
                "reproduced": value,
                "relative_difference": rel,
                "within_tolerance": bool(abs(rel) <= tolerance),
                "source": a.source,
            }
        )
    return pd.DataFrame(rows)


def link_irs_2025(world: World, backend: Backend) -> pd.DataFrame:
    """The disclosures of the ``irs_2025`` strategy on a world held in memory."""
    data = LinkData(
        requests=world.tables["requests"][list(REQUEST_COLUMNS)].copy(),
        records=world.tables["irs_filers"][list(RECORD_COLUMNS)].copy(),
        name=world.scenario.name,
    )
    strategy = get_strategy("irs_2025")
    return decisions(strategy().link(data, backend), strategy.natural_threshold)


def decisions(pairs: pd.DataFrame, natural_threshold: float | None) -> pd.DataFrame:
    """The pairs a rule strategy decides are matches (score at least its natural threshold)."""
    if natural_threshold is None:
        return pairs
    return pairs[pairs["score"].to_numpy() >= natural_threshold].reset_index(drop=True)


def write_calibration(
    scenario: Scenario,
    data: str | Path,
    irs_link: str | Path,
    out: str | Path,
    *,
    backend: Backend | None = None,
) -> None:
    """Write the calibration folder of a run.

    ``published.csv`` compares the run's own world (its ``irs_2025`` link
    folder) with the record; ``compositions.csv`` is :func:`calibrate`'s table
    and ``range.csv`` its :func:`plausible_range`.
    """
    link_manifest = json.loads((Path(irs_link) / "link_manifest.json").read_text())
    pairs = decisions(
        pd.read_parquet(Path(irs_link) / "pairs.parquet"), link_manifest.get("natural_threshold")
    )
    measured = irs_2025_aggregates(
        pairs, read_table(data, "requests"), read_table(data, "request_truth")
    )
    table = calibrate(scenario, backend=backend)
    with atomic_folder(Path(out), force=True, kind="calibration", inputs=[data]) as tmp:
        write_csv(
            compare_with_published(measured, scenario.calibration.tolerance),
            tmp / "published.csv",
            index=False,
        )
        write_csv(table, tmp / "compositions.csv", index=False)
        write_csv(plausible_range(table), tmp / "range.csv", index=False)
        summary = {
            "run_requests": measured["requests"],
            "run_disclosures": measured["disclosures"],
            "calibration_scale": scenario.scale * scenario.calibration.scale,
            "tolerance": scenario.calibration.tolerance,
            "grid": scenario.calibration.grid,
            "file_requests": FILE_REQUESTS,
        }
        (tmp / "calibration_manifest.json").write_text(json.dumps(summary, indent=2) + "\n")


def wrong_person_harm(world: World, pairs: pd.DataFrame) -> dict[str, float]:
    """Wrong-person disclosures among ``pairs`` and the people at their addresses.

    Returns counts in this world (``wrong_person``, ``households``, ``people``,
    ``us_citizens``, ``us_citizen_children``) and each scaled to the whole
    1.28-million file (suffix ``_file``), with the exact Poisson 95% interval
    of the scaled wrong-person count (``wrong_person_file_low``/``_high``).
    """
    truth = ground_truth_from_tables(world.tables, {"scenario": world.scenario.name})
    wrong = pairs[~label_pairs(pairs, truth.truth)]
    n = truth.n_requests
    counts, _ = harm_counts(
        wrong,
        truth.record_address,
        truth.residents,
        truth.requests.set_index("request_id")["household_id"],
        n,
    )
    out: dict[str, float] = {"wrong_person": len(wrong)}
    out.update({c: counts[c] for c in HARM_COLUMNS[1:]})
    factor = FILE_REQUESTS / n
    for c in HARM_COLUMNS:
        out[f"{c}_file"] = out[c] * factor
    low, high = poisson_interval(len(wrong))
    out["wrong_person_file_low"] = low * factor
    out["wrong_person_file_high"] = high * factor
    return out


def poisson_interval(k: int) -> tuple[float, float]:
    """Exact (Garwood) 95% interval of a Poisson mean from ``k`` events.

    Examples
    --------
    >>> [round(x, 2) for x in poisson_interval(0)]
    [0.0, 3.69]
    """
    from scipy import stats

    low = stats.chi2.ppf(0.025, 2 * k) / 2 if k > 0 else 0.0
    return float(low), float(stats.chi2.ppf(0.975, 2 * k + 2) / 2)


def compositions(grid: dict[str, list[float]]) -> list[dict[str, float]]:
    """Every combination of the grid's values, in a fixed order.

    Examples
    --------
    >>> compositions({"borrowed_tin_share": [0.1, 0.2], "never_filed_share": [0.9]})
    [{'never_filed_share': 0.9, 'borrowed_tin_share': 0.1}, {'never_filed_share': 0.9, 'borrowed_tin_share': 0.2}]
    """
    keys = [k for k in CALIBRATION_KEYS if k in grid]
    return [
        dict(zip(keys, values, strict=True))
        for values in itertools.product(*(grid[k] for k in keys))
    ]


def request_overrides(scenario: Scenario, composition: dict[str, float], tin_share: float) -> dict:
    """The ``requests`` settings of one composition (``current_address_share`` moves
    requests between current and outdated addresses; junk and detention stay)."""
    out: dict = {k: v for k, v in composition.items() if k != "current_address_share"}
    out["tin_share"] = tin_share
    if "current_address_share" in composition:
        kinds = dict(scenario.requests.address_kinds)
        located = kinds["current"] + kinds["outdated"]
        current = composition["current_address_share"]
        if current > located + 1e-9:
            raise ConfigError(
                f"calibration.grid.current_address_share: {current} is more than current + "
                f"outdated ({located:.4g}) in requests.address_kinds"
            )
        kinds["current"], kinds["outdated"] = current, max(located - current, 0.0)
        out["address_kinds"] = kinds
    return out


def calibrate(
    scenario: Scenario,
    *,
    backend: Backend | None = None,
    progress: Callable[[str], None] | None = None,
) -> pd.DataFrame:
    """Test every composition of ``scenario.calibration.grid`` against the published record.

    One population is generated at ``calibration.scale`` times the scenario's
    size; each composition draws its request list on it.  ``tin_share`` is
    solved for the published match rate: the TIN path's disclosures grow in
    proportion to ``tin_share`` and the address path's do not, so one run at
    the scenario's ``tin_share`` fixes the line and a second run at the solved
    value is measured.  A composition *reproduces* the record when all three
    aggregates are within ``calibration.tolerance`` of the published values.

    Returns
    -------
    DataFrame
        One row per composition: its settings, the solved ``tin_share``,
        ``requests``, ``disclosures``, the three aggregates, ``reproduces``,
        the harm of :func:`wrong_person_harm`, ``seconds`` and ``status``
        (``ok`` or why the composition cannot be drawn).
    """
    cal = scenario.calibration
    backend = backend or Backend()
    say = progress or log.info
    sized = scenario.with_overrides(scale=scenario.scale * cal.scale)
    t0 = time.perf_counter()
    population = build_population(sized)
    say(
        f"calibration population: {len(population.persons):,} people in {time.perf_counter() - t0:.0f} s"
    )
    target = PUBLISHED[0].value
    rows = []
    combos = compositions(cal.grid)
    for i, composition in enumerate(combos, start=1):
        started = time.perf_counter()
        row: dict = {**composition}
        try:
            first = _measure(population, sized, composition, sized.requests.tin_share, backend)
            tin_share = _solve_tin_share(first, sized.requests.tin_share, target)
            world, pairs, measured = _run(population, sized, composition, tin_share, backend)
        except ConfigError as exc:
            row.update(status=f"cannot be drawn: {exc}", reproduces=False)
            rows.append(row)
            say(f"[{i}/{len(combos)}] {_describe(composition)}: cannot be drawn")
            continue
        within = compare_with_published(measured, cal.tolerance)["within_tolerance"].all()
        row.update(tin_share=tin_share, **measured, reproduces=bool(within))
        row.update(wrong_person_harm(world, pairs))
        row.update(seconds=round(time.perf_counter() - started, 1), status="ok")
        rows.append(row)
        say(
            f"[{i}/{len(combos)}] {_describe(composition)}: tin_share {tin_share:.4f}, match "
            f"{measured['match_rate']:.2%}, TIN path {measured['tin_path_share']:.1%}, junk "
            f"{measured['junk_share']:.1%} -> {'reproduces' if within else 'does not reproduce'}"
        )
    return pd.DataFrame(rows)


def plausible_range(table: pd.DataFrame) -> pd.DataFrame:
    """Smallest and largest whole-file estimate over the compositions that reproduce the record.

    The low end also takes the lowest Poisson bound of the wrong-person count,
    and the high end the highest, so the range covers both the open
    composition and the sampling noise of each world.
    """
    ok = table[table.get("reproduces", pd.Series(False, index=table.index)).astype(bool)]
    rows = []
    for c in HARM_COLUMNS:
        col = f"{c}_file"
        if ok.empty:
            rows.append({"measure": c, "compositions": 0, "low": np.nan, "high": np.nan})
            continue
        low, high = ok[col].min(), ok[col].max()
        if c == "wrong_person":
            low, high = ok["wrong_person_file_low"].min(), ok["wrong_person_file_high"].max()
        rows.append(
            {
                "measure": c,
                "compositions": len(ok),
                "low": float(low),
                "median": float(ok[col].median()),
                "high": float(high),
            }
        )
    return pd.DataFrame(rows)


def _describe(composition: dict[str, float]) -> str:
    return ", ".join(f"{k} {v:g}" for k, v in composition.items())


def _solve_tin_share(first: dict[str, float], tin_share: float, target: float) -> float:
    on_tin = first["match_rate"] * first["tin_path_share"]
    off_tin = first["match_rate"] - on_tin
    if on_tin <= 0 or tin_share <= 0:
        return tin_share
    return float(np.clip(tin_share * (target - off_tin) / on_tin, 0.0, 1.0))


def _run(
    population, scenario: Scenario, composition: dict, tin_share: float, backend: Backend
) -> tuple[World, pd.DataFrame, dict[str, float]]:
    variant = scenario.with_overrides(requests=request_overrides(scenario, composition, tin_share))
    world = add_requests(population, variant)
    pairs = link_irs_2025(world, backend)
    measured = irs_2025_aggregates(pairs, world.tables["requests"], world.tables["request_truth"])
    return world, pairs, measured


def _measure(population, scenario, composition, tin_share, backend) -> dict[str, float]:
    return _run(population, scenario, composition, tin_share, backend)[2]
