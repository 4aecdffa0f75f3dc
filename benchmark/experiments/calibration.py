"""The 2025 request file: the published aggregates, and the compositions that reproduce them.

The public record gives four aggregates of the tax agency's 2025 match
(``shared/reference/facts.md`` §1): how many requests were matched, how many of
the disclosures came through the TIN path, how many rested on junk address
fields, and (softly) how many gave the enforcement agency an address other than
its own.  It does not say who was on the list: how many never filed, how many
carried somebody else's number, how stale the addresses were.  This module
compares the run's own world with the record, attributes each of its
wrong-person disclosures to a route, and writes the calibration's draws
(:mod:`benchmark.experiments.calibration_draws`) with what the kept ones allow
(:mod:`benchmark.experiments.calibration_analysis`).
"""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path

import numpy as np
import pandas as pd

from benchmark.evaluation.error_routes import route_counts, wrong_person_routes
from benchmark.experiments import calibration_analysis as analysis
from benchmark.experiments.calibration_draws import (
    TARGETS,
    address_differs,
    dimensions,
    run_draws,
    wrong_person,
)
from benchmark.facts import FILE_REQUESTS
from benchmark.safe_output import write_csv
from benchmark.strategies import Backend, get_strategy
from benchmark.strategies.features import record_features, request_features
from benchmark.strategies.link_data import RECORD_COLUMNS, REQUEST_COLUMNS, LinkData
from data_gen.config import Scenario
from data_gen.dataset import atomic_folder, read_table
from data_gen.world import World

log = logging.getLogger(__name__)

PUBLISHED = TARGETS


def irs_2025_aggregates(
    pairs: pd.DataFrame,
    requests: pd.DataFrame,
    request_truth: pd.DataFrame,
    records: pd.DataFrame | None = None,
) -> dict[str, float]:
    """The published aggregates, measured on one world's ``irs_2025`` disclosures.

    A disclosure is one disclosed record (a request–record pair).  The two
    paths of the 2025 procedure are exclusive: a request carrying a TIN goes
    through the TIN path only, so a disclosure is on the TIN path when its
    request carries a TIN.  Junk addresses are those the generator wrote as
    junk (``request_truth.address_kind``).  With ``records``, a disclosure
    gives an *updated* address when the record's normalised house number,
    street or ZIP code differs from the request's.

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
    out = {
        "requests": n,
        "disclosures": k,
        "match_rate": k / n if n else float("nan"),
        "tin_path_share": float(facts["tin"].notna().mean()) if k else float("nan"),
        "junk_share": float((facts["address_kind"] == "junk").mean()) if k else float("nan"),
    }
    if records is not None:
        out["updated_share"] = (
            float(updated_addresses(pairs, requests, records).mean()) if k else float("nan")
        )
    return out


def updated_addresses(
    pairs: pd.DataFrame, requests: pd.DataFrame, records: pd.DataFrame
) -> np.ndarray:
    """Whether each disclosure's address differs from the request's (house, street or ZIP)."""
    req = request_features(requests[requests["request_id"].isin(pairs["request_id"])])
    rec = record_features(records[records["record_id"].isin(pairs["record_id"])])
    return address_differs(pairs, req, rec)


def compare_with_published(measured: dict[str, float], z: float, soft_extra: float) -> pd.DataFrame:
    """Each published aggregate beside its measured value, with its tolerance.

    The tolerance is :meth:`~benchmark.experiments.calibration_draws.Target.tolerance`
    at the world's own number of requests (match rate) or disclosures (shares).
    """
    rows = []
    for a in PUBLISHED:
        if a.name not in measured:
            continue
        value = measured[a.name]
        trials = measured["requests"] if a.name == "match_rate" else measured["disclosures"]
        tol = a.tolerance(int(trials), z, soft_extra)
        rows.append(
            {
                "aggregate": a.name,
                "label": a.label,
                "published": a.value,
                "reproduced": value,
                "relative_difference": value / a.value - 1,
                "tolerance": tol,
                "within_tolerance": bool(abs(value - a.value) <= tol),
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
    folder) with the record and ``routes.csv`` attributes its wrong-person
    disclosures; ``draws.csv`` holds every draw of the calibration, kept or
    not, and ``priors.csv`` the ranges they were drawn from; ``range.csv``,
    ``allowed.csv``, ``floor.csv``, ``rank_correlations.csv`` and
    ``value_of_information.csv`` say what the kept draws allow.
    """
    cal = scenario.calibration
    link_manifest = json.loads((Path(irs_link) / "link_manifest.json").read_text())
    pairs = decisions(
        pd.read_parquet(Path(irs_link) / "pairs.parquet"), link_manifest.get("natural_threshold")
    )
    tables = {
        name: read_table(data, name)
        for name in ("persons", "addresses", "irs_filers", "requests", "request_truth", "irs_truth")
    }
    measured = irs_2025_aggregates(
        pairs, tables["requests"], tables["request_truth"], tables["irs_filers"]
    )
    routes = run_routes(pairs, tables, read_table(data, "noise_log"))
    started = time.perf_counter()
    draws = analysis.with_derived(run_draws(scenario, backend=backend))
    seconds = time.perf_counter() - started
    priors = pd.DataFrame(
        [
            {
                "setting": p.name,
                "low": p.low,
                "high": p.high,
                "meaning": p.meaning,
                "source": p.source,
            }
            for p in dimensions(cal.priors)
        ]
    )
    with atomic_folder(Path(out), force=True, kind="calibration", inputs=[data]) as tmp:
        write_csv(
            compare_with_published(measured, cal.z, cal.updated_tolerance),
            tmp / "published.csv",
            index=False,
        )
        write_csv(routes, tmp / "routes.csv", index=False)
        write_csv(priors, tmp / "priors.csv", index=False)
        write_csv(draws, tmp / "draws.csv", index=False, float_format="%.10g")
        write_csv(analysis.allowed_range(draws), tmp / "range.csv", index=False)
        write_csv(analysis.by_borrowing(draws), tmp / "allowed.csv", index=False)
        write_csv(pd.DataFrame([analysis.collision_floor(draws)]), tmp / "floor.csv", index=False)
        write_csv(analysis.rank_correlations(draws), tmp / "rank_correlations.csv", index=False)
        write_csv(
            analysis.value_of_information(draws), tmp / "value_of_information.csv", index=False
        )
        summary = {
            "run_requests": measured["requests"],
            "run_disclosures": measured["disclosures"],
            "calibration_scale": scenario.scale * cal.scale,
            "draw_requests": int(draws["requests"].dropna().iloc[0])
            if "requests" in draws and draws["requests"].notna().any()
            else 0,
            "draws": len(draws),
            "kept": int(analysis.kept(draws).shape[0]),
            "z": cal.z,
            "updated_tolerance": cal.updated_tolerance,
            "seconds": round(seconds, 1),
            "file_requests": FILE_REQUESTS,
        }
        (tmp / "calibration_manifest.json").write_text(json.dumps(summary, indent=2) + "\n")


def run_routes(
    pairs: pd.DataFrame, tables: dict[str, pd.DataFrame], noise_log: pd.DataFrame
) -> pd.DataFrame:
    """The run's wrong-person ``irs_2025`` disclosures by route, in the world and for the file."""
    wrong = wrong_person(pairs, tables)
    counts = route_counts(wrong_person_routes(wrong, tables, noise_log))
    counts["file"] = counts["disclosures"] * (FILE_REQUESTS / len(tables["requests"]))
    return counts
