"""The 2025 calibration's draws: compositions over the prior ranges, each solved and measured.

Every open setting of the request list (:data:`data_gen.config.PRIORS`) is a
dimension of a scrambled Sobol design.  All draws share one population and
tax file: the records' matching keys are computed once, and each draw
regenerates only its request list.  TIN carriers are drawn as a nested order
(:func:`data_gen.requests.request_list` with ``nested_tins``), so one link of
each path gives the disclosures at every TIN share, and the share is solved
exactly for the published match rate.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable

import numpy as np
import pandas as pd

from benchmark.evaluation.error_routes import ROUTES, route_counts, wrong_person_routes
from benchmark.evaluation.ground_truth import GroundTruth, ground_truth_from_tables
from benchmark.evaluation.harm import harm_counts
from benchmark.facts import FACTS, FILE_REQUESTS
from benchmark.strategies import Backend
from benchmark.strategies.features import record_features, request_features
from benchmark.strategies.rules import Irs2025
from benchmark.strategies.splink_jobs import deterministic_pairs
from data_gen.config import PRIORS, Prior, Scenario
from data_gen.errors import ConfigError
from data_gen.noise_registry import NOISE_TYPES
from data_gen.world import Population, World, add_requests, build_population

log = logging.getLogger(__name__)

HARM_COLUMNS = ("wrong_person", "households", "people", "us_citizens", "us_citizen_children")
# the request-side noise families each noise multiplier scales
NOISE_FAMILIES = {"name_noise": ("name", "dob"), "address_noise": ("address",)}
DETENTION_SHARE_KEY = "detention"
# settings are drawn to the hundredth: finer differences in a composition mean nothing, and the
# design then reaches both ends of every prior range
DECIMALS = 2


@dataclasses.dataclass(frozen=True)
class Target:
    """One published aggregate a draw is compared with."""

    name: str
    numerator: str
    denominator: str
    label: str
    soft: bool = False

    @property
    def value(self) -> float:
        """The published ratio."""
        return FACTS[self.numerator].value / FACTS[self.denominator].value

    @property
    def source(self) -> str:
        """What the numerator counts, its figure and where it was published."""
        fact = FACTS[self.numerator]
        return f"{fact.value:,}: {fact.counts} ({fact.source})"

    def tolerance(self, denominator: int, z: float, soft_extra: float) -> float:
        """Largest absolute distance that still reproduces the figure.

        ``z`` standard errors of the draw's binomial noise (``denominator``
        trials) and of the real file's (the published denominator), plus half
        the unit the figure was rounded to, plus ``soft_extra`` for a soft
        target.
        """
        p = self.value
        se_draw = np.sqrt(p * (1 - p) / denominator) if denominator else np.inf
        se_file = np.sqrt(p * (1 - p) / FACTS[self.denominator].value)
        rounding = FACTS[self.numerator].rounding / 2 / FACTS[self.denominator].value
        return float(z * np.hypot(se_draw, se_file) + rounding + (soft_extra if self.soft else 0))


TARGETS = (
    Target("match_rate", "matches_2025", "file_requests", "share of requests matched"),
    Target(
        "tin_path_share",
        "tin_path_disclosures",
        "matches_2025",
        "share of disclosures through the TIN path",
    ),
    Target(
        "junk_share",
        "junk_disclosures",
        "matches_2025",
        "share of disclosures resting on junk address fields",
    ),
    Target(
        "updated_share",
        "updated_addresses",
        "matches_2025",
        "share of disclosures giving an address other than the one submitted (soft target)",
        soft=True,
    ),
)


def dimensions(priors: dict[str, list[float]]) -> list[Prior]:
    """The open settings with their ranges, the scenario's ``[calibration.priors]`` applied."""
    return [
        dataclasses.replace(p, low=priors[p.name][0], high=priors[p.name][1])
        if p.name in priors
        else p
        for p in PRIORS
    ]


def design(priors: dict[str, list[float]], draws: int, seed: int) -> pd.DataFrame:
    """A scrambled Sobol design over the prior ranges, one row per draw.

    ``left_area_share`` is drawn between its low end and the smaller of its
    high end and the draw's never-filed share (people who left never filed).
    Every setting is rounded to :data:`DECIMALS` places.

    Examples
    --------
    >>> d = design({}, 8, seed=1)
    >>> len(d), bool((d["left_area_share"] <= d["never_filed_share"]).all())
    (8, True)
    """
    from scipy.stats import qmc

    dims = dimensions(priors)
    sampler = qmc.Sobol(d=len(dims), scramble=True, seed=seed)
    m = int(np.log2(draws)) if draws > 0 else 0
    u = sampler.random_base2(m) if 2**m == draws else sampler.random(draws)
    out = {"draw": np.arange(draws, dtype=np.int64)}
    for j, d in enumerate(dims):
        out[d.name] = np.round(d.low + u[:, j] * (d.high - d.low), DECIMALS)
    table = pd.DataFrame(out)
    j = next(j for j, d in enumerate(dims) if d.name == "left_area_share")
    left = dims[j]
    high = np.minimum(left.high, table["never_filed_share"])
    table["left_area_share"] = np.round(
        left.low + u[:, j] * np.maximum(high - left.low, 0.0), DECIMALS
    )
    return table


def draw_scenario(sized: Scenario, draw: pd.Series, count: int, tin_cap: float) -> Scenario:
    """The scenario of one draw: its request composition and request-side noise."""
    kinds = dict(sized.requests.address_kinds)
    junk = float(draw["junk_address_share"])
    located = 1.0 - junk - kinds[DETENTION_SHARE_KEY]
    current = min(float(draw["current_address_share"]), located)
    kinds.update(current=current, outdated=located - current, junk=junk)
    requests = {
        "count": count,
        "never_filed_share": float(draw["never_filed_share"]),
        "left_area_share": min(float(draw["left_area_share"]), float(draw["never_filed_share"])),
        "borrowed_tin_share": float(draw["borrowed_tin_share"]),
        "borrowed_from_household_share": float(draw["borrowed_from_household_share"]),
        "own_tin_filer_share": float(draw["own_tin_filer_share"]),
        "address_kinds": kinds,
        "most_recent_previous_share": float(draw["previous_address_share"]),
        "tin_share": tin_cap,
    }
    family = {nt.name: nt.family for nt in NOISE_TYPES}
    rates = dict(sized.noise.requests)
    for key, families in NOISE_FAMILIES.items():
        for name in rates:
            if family[name] in families:
                rates[name] = min(1.0, rates[name] * float(draw[key]))
    return sized.with_overrides(requests=requests, noise={"requests": rates})


class Calibrator:
    """One population and its tax file's matching keys, shared by every draw."""

    def __init__(self, scenario: Scenario, backend: Backend | None = None) -> None:
        cal = scenario.calibration
        self.backend = backend or Backend()
        rates = dict(scenario.status.final_order_rate)
        rates["undocumented"] = max(rates.get("undocumented", 0.0), cal.final_order_rate)
        # scaled: the scale becomes 1, so the draws' request counts are absolute
        self.sized = scenario.with_overrides(
            scale=scenario.scale * cal.scale, status={"final_order_rate": rates}
        ).scaled()
        run_count = scenario.scaled().requests.count
        self.count = max(1, round((run_count or 0) * cal.requests))
        self.cal = cal
        started = time.perf_counter()
        self.population: Population = build_population(self.sized)
        filers = self.population.filers
        self.records = Irs2025.record_keys(record_features(filers))
        self._truth: GroundTruth | None = None
        log.info(
            "calibration population: %s people, %s tax records, %s requests a draw (%.0f s)",
            f"{len(self.population.persons):,}",
            f"{len(filers):,}",
            f"{self.count:,}",
            time.perf_counter() - started,
        )

    def measure(self, draw: pd.Series) -> dict:
        """Solve and measure one draw; a draw that cannot be drawn gets its reason as status."""
        started = time.perf_counter()
        row: dict = draw.to_dict()
        try:
            world = add_requests(
                self.population,
                draw_scenario(self.sized, draw, self.count, self.cal.tin_share_max),
                nested_tins=True,
            )
        except ConfigError as exc:
            row.update(status=f"cannot be drawn: {exc}", kept=False)
            return row
        pairs, tin_share = self._solve(world)
        row.update(tin_share=tin_share, **self._aggregates(world, pairs))
        row.update(self._harm(world, pairs))
        row["seconds"] = round(time.perf_counter() - started, 2)
        return row

    def _solve(self, world: World) -> tuple[pd.DataFrame, float]:
        """The disclosures at the TIN share closest to the published match rate."""
        from splink import block_on

        req = request_features(world.tables["requests"])
        rank = world.tables["request_truth"].set_index("request_id")["tin_rank"]
        tin = deterministic_pairs(
            self.backend,
            Irs2025.request_keys(req),
            self.records,
            [block_on("tin_key")],
            ["tin_key"],
        )
        addr = deterministic_pairs(
            self.backend,
            Irs2025.request_keys(req.assign(tin=None)),
            self.records,
            [block_on("addr_key")],
            ["addr_key"],
        )
        r_tin = np.sort(rank.reindex(tin["request_id"]).to_numpy())
        r_addr = np.sort(rank.reindex(addr["request_id"]).to_numpy())
        n, top = len(req), int(rank.max()) + 1
        k = np.arange(top + 1)
        matched = np.searchsorted(r_tin, k, side="left") + (
            np.searchsorted(r_addr, 0, side="left")
            + len(r_addr)
            - np.searchsorted(r_addr, k, side="left")
        )
        best = int(np.argmin(np.abs(matched / n - TARGETS[0].value)))
        tin_rank = rank.reindex(tin["request_id"]).to_numpy()
        addr_rank = rank.reindex(addr["request_id"]).to_numpy()
        pairs = pd.concat(
            [
                tin[tin_rank < best].assign(path="tin"),
                addr[(addr_rank < 0) | (addr_rank >= best)].assign(path="address"),
            ],
            ignore_index=True,
        )
        pairs["updated"] = address_differs(pairs, req, self.records)
        # the world as drawn at the solved share: requests ranked past it carry no TIN
        requests = world.tables["requests"]
        beyond = rank.reindex(requests["request_id"]).to_numpy() >= best
        requests.loc[beyond, "tin"] = None
        return pairs[["request_id", "record_id", "path", "updated"]], best / n

    def _aggregates(self, world: World, pairs: pd.DataFrame) -> dict:
        truth = world.tables["request_truth"].set_index("request_id")
        n, k = len(truth), len(pairs)
        measured: dict = {
            "requests": n,
            "disclosures": k,
            "match_rate": k / n,
            "tin_path_share": float((pairs["path"] == "tin").mean()) if k else np.nan,
            "junk_share": float(
                (truth["address_kind"].reindex(pairs["request_id"]) == "junk").mean()
            )
            if k
            else np.nan,
            "updated_share": float(pairs["updated"].mean()) if k else np.nan,
        }
        kept = True
        for t in TARGETS:
            tol = t.tolerance(
                n if t.name == "match_rate" else k, self.cal.z, self.cal.updated_tolerance
            )
            ok = bool(abs(measured[t.name] - t.value) <= tol) if k else False
            measured[f"{t.name}_tolerance"] = tol
            measured[f"{t.name}_ok"] = ok
            kept &= ok
        measured.update(kept=kept, status="ok")
        return measured

    def _harm(self, world: World, pairs: pd.DataFrame) -> dict:
        if self._truth is None:
            self._truth = ground_truth_from_tables(world.tables, {"scenario": "calibration"})
        truth = self._truth
        tables = world.tables
        person = tables["request_truth"].set_index("request_id")["person_id"]
        wrong = wrong_person(pairs, tables)
        home = tables["persons"].set_index("person_id")["household_id"]
        requester = pd.Series(
            home.reindex(person.to_numpy()).to_numpy(), index=person.index
        ).astype("int64")
        n = len(person)
        counts, households = harm_counts(
            wrong[["request_id", "record_id"]],
            truth.record_address,
            truth.residents,
            requester,
            n,
        )
        factor = FILE_REQUESTS / n
        out: dict = {"wrong_person": len(wrong)}
        out.update({c: counts[c] for c in HARM_COLUMNS[1:]})
        for c in HARM_COLUMNS:
            out[f"{c}_file"] = out[c] * factor
        low, high = poisson_interval(len(wrong))
        out["wrong_person_file_low"], out["wrong_person_file_high"] = low * factor, high * factor
        for c in HARM_COLUMNS[1:]:
            # households are the clusters: a compound-Poisson normal interval of the sum
            x = np.ones(len(households)) if c == "households" else households[c].to_numpy(float)
            half = 1.96 * np.sqrt(np.sum(x**2))
            out[f"{c}_file_low"] = max(out[c] - half, 0.0) * factor
            out[f"{c}_file_high"] = (out[c] + half) * factor
        routes = route_counts(wrong_person_routes(wrong, tables, world.noise_log))
        for r in ROUTES:
            out[f"route_{r.name}"] = int(routes.set_index("route").at[r.name, "disclosures"])
        out["tin_path_wrong_person"] = int((wrong["path"] == "tin").sum())
        return out


ADDRESS_FEATURES = ("house", "street_norm", "zip5")


def address_differs(pairs: pd.DataFrame, req: pd.DataFrame, rec: pd.DataFrame) -> np.ndarray:
    """Whether each pair's record gives an address other than its request's.

    ``req`` and ``rec`` are feature tables (:mod:`benchmark.strategies.features`);
    the address is the normalised house number, street and ZIP code, and a
    part missing on either side counts as different.
    """
    cols = list(ADDRESS_FEATURES)
    both = (
        pairs[["request_id", "record_id"]]
        .merge(req[["request_id", *cols]], on="request_id", how="left")
        .merge(rec[["record_id", *cols]], on="record_id", how="left", suffixes=("", "_record"))
    )
    same = np.ones(len(both), dtype=bool)
    for c in cols:
        same &= (both[c] == both[f"{c}_record"]).fillna(False).to_numpy(dtype=bool)
    return ~same


def wrong_person(pairs: pd.DataFrame, tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The pairs whose record is not the requested person's (from the world's truth tables)."""
    person = tables["request_truth"].set_index("request_id")["person_id"]
    owner = tables["irs_truth"].set_index("record_id")["person_id"]
    return pairs[
        person.reindex(pairs["request_id"]).to_numpy()
        != owner.reindex(pairs["record_id"]).to_numpy()
    ]


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


def run_draws(
    scenario: Scenario,
    *,
    backend: Backend | None = None,
    progress: Callable[[int, int, dict], None] | None = None,
) -> pd.DataFrame:
    """Every draw of ``scenario.calibration``, kept or not, one row each (``draws.csv``).

    ``calibration.draws`` cover the whole prior; ``calibration.second_wave``
    more cover the part of it the first wave did not rule out
    (:mod:`benchmark.experiments.calibration_waves`); column ``wave`` says
    which.
    """
    from benchmark.experiments.calibration_waves import CANDIDATES_PER_DRAW, second_wave

    cal = scenario.calibration
    seed = scenario.seed + cal.seed
    first_n = cal.draws
    calibrator = Calibrator(scenario, backend)
    first = _measure_all(calibrator, design(cal.priors, first_n, seed), progress, wave=1)
    if cal.second_wave == 0:
        return first
    settings = [p.name for p in dimensions(cal.priors)]
    ok = first[first["status"] == "ok"]
    targets = [t for t in TARGETS if t.name != "match_rate"]
    # one draw's standard deviation of each aggregate: its typical tolerance over z
    noise = {t.name: float(ok[f"{t.name}_tolerance"].median()) / max(cal.z, 1.0) for t in targets}
    candidates = design(cal.priors, cal.second_wave * CANDIDATES_PER_DRAW, seed + 1)
    chosen = second_wave(
        first, candidates, cal.second_wave, settings, {t.name: t.value for t in targets}, noise
    )
    chosen = chosen.assign(draw=np.arange(first_n, first_n + len(chosen)))
    second = _measure_all(calibrator, chosen, progress, wave=2)
    return pd.concat([first, second], ignore_index=True)


def _measure_all(
    calibrator: Calibrator,
    table: pd.DataFrame,
    progress: Callable[[int, int, dict], None] | None,
    wave: int,
) -> pd.DataFrame:
    rows = []
    started = time.perf_counter()
    offset = int(table["draw"].iloc[0]) if len(table) else 0
    for i, (_, draw) in enumerate(table.iterrows(), start=1):
        row = {"wave": wave, **calibrator.measure(draw)}
        row["draw"] = int(row["draw"])
        rows.append(row)
        if progress is not None:
            progress(offset + i, offset + len(table), row)
        elif i % 32 == 0 or i == len(table):
            log.info(
                "calibration: %d/%d draws of wave %d, %d kept, %.0f s",
                i,
                len(table),
                wave,
                sum(bool(r.get("kept")) for r in rows),
                time.perf_counter() - started,
            )
    return pd.DataFrame(rows)
