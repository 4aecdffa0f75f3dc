"""``itin-bench paper``: regenerate the figures and tables a paper would cite.

The full version runs the default scenario (reusing cached stages), a
request-noise sensitivity sweep and the 2025 request file
(``configs/irs_ice_2025.toml`` at its own scale, with its calibration), and
writes ``results/paper/``.  The reduced version does the same on small
scenarios (the 2025 file at scale 0.003) and writes ``results/paper_reduced/``;
both folders are committed, and a test regenerates the reduced one and checks
its tables against the committed copy.  What each version runs is read from
``configs/paper.toml`` (:func:`paper_spec`).
"""

from __future__ import annotations

import logging
import shutil
from dataclasses import dataclass, fields
from pathlib import Path

import pandas as pd

from benchmark.evaluation.operating_points import main_rows
from benchmark.experiments.run import PACKAGE_ROOT, run
from benchmark.experiments.runner import RunResult, run_stages
from benchmark.experiments.sensitivity import sensitivity_stages, sensitivity_table
from benchmark.reporting.figures import FIGURES, draw_sensitivity
from benchmark.reporting.styles import read_styles
from benchmark.reporting.summary import main_figures
from benchmark.safe_output import write_csv
from data_gen.config import read_toml
from data_gen.dataset import atomic_folder, read_table
from data_gen.errors import ConfigError

log = logging.getLogger(__name__)

HEADLINE_METRICS = (
    "precision",
    "recall",
    "f_star",
    "wrong_person_per_100k",
    "households_per_100k",
    "people_per_100k",
    "us_citizens_per_100k",
    "us_citizen_children_per_100k",
    "mixed_status_households_per_100k",
    "own_household_disclosures_per_100k",
    "unrelated_households_per_100k",
    "unrelated_people_per_100k",
    "unrelated_us_citizen_children_per_100k",
    "target_reached",
)
POINT_METRICS = (
    "threshold",
    "precision",
    "recall",
    "f_star",
    "wrong_person_per_100k",
    "unrelated_households_per_100k",
    "target_reached",
    "claimed_precision",
    "precision_gap",
)


@dataclass(frozen=True)
class PaperSpec:
    """What one version of the paper outputs is made from."""

    config: str
    out: str
    sensitivity_strategies: tuple[str, ...]
    multipliers: tuple[float, ...]
    file_2025: str = "configs/irs_ice_2025.toml"
    file_2025_scale: float | None = None  # None: the scenario's own scale
    # settings replacing the 2025 scenario's [calibration] ones (the reduced paper draws fewer)
    file_2025_calibration: dict | None = None


SPEC_FILE = PACKAGE_ROOT / "configs" / "paper.toml"


def paper_spec(version: str, path: Path = SPEC_FILE) -> PaperSpec:
    """The spec of one version (``full`` or ``reduced``) of the paper, read from ``path``.

    Raises
    ------
    ConfigError
        If the file, the version's table or one of its keys is missing or wrong.

    Examples
    --------
    >>> paper_spec("reduced").multipliers
    (0.5, 1.0, 2.0)
    """
    table = read_toml(path, "paper spec").get(version)
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: no [{version}] table")
    known = {f.name for f in fields(PaperSpec)}
    if unknown := sorted(set(table) - known):
        raise ConfigError(f"{path}: [{version}]: unknown key {unknown[0]!r}")
    if missing := sorted({"config", "out", "sensitivity_strategies", "multipliers"} - set(table)):
        raise ConfigError(f"{path}: [{version}]: {missing[0]} is missing")
    try:
        return PaperSpec(
            config=str(table["config"]),
            out=str(table["out"]),
            sensitivity_strategies=tuple(str(s) for s in table["sensitivity_strategies"]),
            multipliers=tuple(float(m) for m in table["multipliers"]),
            file_2025=str(table.get("file_2025", PaperSpec.file_2025)),
            file_2025_scale=(
                None if table.get("file_2025_scale") is None else float(table["file_2025_scale"])
            ),
            file_2025_calibration=dict(table.get("file_2025_calibration") or {}) or None,
        )
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{path}: [{version}]: {exc}") from None


TABLES = (
    "headline",
    "operating_points",
    "disparities",
    "blocking",
    "paired_differences",
    "error_causes",
    "reliability",
    "sensitivity",
    "file_2025_published",
    "file_2025_estimates",
    "file_2025_routes",
    "file_2025_priors",
    "file_2025_draws",
    "file_2025_range",
    "file_2025_allowed",
    "file_2025_floor",
    "file_2025_rank_correlations",
    "file_2025_value_of_information",
)
# the calibration's tables, by the name of their file in the run's calibration/ folder
CALIBRATION_TABLES = {
    "file_2025_published": "published",
    "file_2025_routes": "routes",
    "file_2025_priors": "priors",
    "file_2025_draws": "draws",
    "file_2025_range": "range",
    "file_2025_allowed": "allowed",
    "file_2025_floor": "floor",
    "file_2025_rank_correlations": "rank_correlations",
    "file_2025_value_of_information": "value_of_information",
}
FILE_2025_FIGURES = ("file_2025_allowed",)
# figures of the main run shown in their own report sections (not in FIGURES)
RUN_FIGURES = {
    "paired_differences": "differences between strategies on the same requests, with 95% intervals",
    "error_causes": "the routes of each strategy's wrong-person disclosures, all worlds",
    "reliability": "each model's claimed against realised match probability, by bin",
}


def paper_tables(
    run_folder: Path, spec: PaperSpec, scenario, backend=None
) -> dict[str, pd.DataFrame]:
    """The tables of the paper, from a finished run plus the sensitivity sweep."""
    evaluation = run_folder / "evaluation"
    main = main_figures(evaluation)
    headline = main[main["metric"].isin(HEADLINE_METRICS)]
    iv = read_table(evaluation, "intervals")
    points = iv[iv["metric"].isin(POINT_METRICS)]
    ops = read_table(evaluation, "operating_points")
    main_ops = main_rows(ops)[["strategy", "operating_point"]]
    disp = read_table(evaluation, "disparities_pooled")
    disp = disp[disp["assignment"] == "none"].merge(main_ops, on=["strategy", "operating_point"])
    sweep = run_folder / "sensitivity"
    stages = sensitivity_stages(
        scenario,
        list(spec.sensitivity_strategies),
        sweep,
        spec.multipliers,
        main_point=scenario.run.operating_point,
        backend=backend,
    )
    run_stages(stages, RunResult(folder=run_folder, scenario=scenario))
    sens = sensitivity_table(sweep, spec.multipliers)
    causes = read_table(evaluation, "error_causes_pooled")
    causes = causes[causes["assignment"] == "none"].merge(
        main_ops, on=["strategy", "operating_point"]
    )
    reliability = read_table(evaluation, "reliability")
    return {
        "headline": headline.reset_index(drop=True),
        "operating_points": points.reset_index(drop=True),
        "disparities": disp.reset_index(drop=True),
        "blocking": read_table(evaluation, "blocking"),
        "paired_differences": read_table(evaluation, "paired_differences"),
        "error_causes": causes.reset_index(drop=True),
        "reliability": reliability[reliability["assignment"] == "none"].reset_index(drop=True),
        "sensitivity": sens,
    }


def file_2025_tables(run_folder: Path) -> dict[str, pd.DataFrame]:
    """The 2025 request file's tables, from a finished run of ``configs/irs_ice_2025.toml``."""
    from benchmark.reporting.summary import file_estimates

    calibration = run_folder / "calibration"
    tables = {
        name: pd.read_csv(calibration / f"{stem}.csv")
        # timings differ run to run; the paper's tables hold results only
        .drop(columns="seconds", errors="ignore")
        for name, stem in CALIBRATION_TABLES.items()
    }
    tables["file_2025_estimates"] = file_estimates(main_figures(run_folder / "evaluation"))
    return tables


def paper(
    *,
    reduced: bool = False,
    out: str | Path | None = None,
    runs_root: str | Path = Path("results") / "runs",
    backend=None,
) -> Path:
    """Regenerate the paper folder; returns its path.

    Parameters
    ----------
    reduced : bool
        Make the small version (``results/paper_reduced``) instead of the full one.
    out : path, optional
        Write here instead of the spec's folder.
    runs_root : path
        Where the underlying run is written (and reused when unchanged).
    """
    spec = paper_spec("reduced" if reduced else "full")
    out = Path(out) if out is not None else PACKAGE_ROOT / spec.out
    _check_paper_folder(out, Path(runs_root))
    config = _as_typed(PACKAGE_ROOT / spec.config)
    result = run(config, out_root=runs_root, backend=backend)
    tables = paper_tables(result.folder, spec, result.scenario, backend=backend)
    file_run = run(
        _as_typed(PACKAGE_ROOT / spec.file_2025),
        out_root=runs_root,
        backend=backend,
        scale=spec.file_2025_scale,
        calibration=spec.file_2025_calibration,
    )
    tables.update(file_2025_tables(file_run.folder))
    with atomic_folder(out, force=True, kind="paper", inputs=[runs_root]) as tmp:
        for name, table in tables.items():
            write_csv(table, tmp / f"{name}.csv", index=False, float_format="%.10g")
        # figures are drawn from the tables as stored
        draw_sensitivity(
            pd.read_csv(tmp / "sensitivity.csv"), tmp, read_styles(result.folder / "evaluation")
        )
        for name in (*FIGURES, *RUN_FIGURES):
            for ext in ("png", "svg"):
                shutil.copy(result.folder / "figures" / f"{name}.{ext}", tmp / f"{name}.{ext}")
        for name in FILE_2025_FIGURES:
            for ext in ("png", "svg"):
                shutil.copy(file_run.folder / "figures" / f"{name}.{ext}", tmp / f"{name}.{ext}")
        (tmp / "README.md").write_text(_readme(spec, reduced), encoding="utf-8")
    return out


MARKER = "# Paper figures and tables"


def _as_typed(config: Path) -> Path:
    """The config path as a user would type it from the repository root (the report prints it)."""
    if config.resolve().is_relative_to(Path.cwd().resolve()):
        return config.resolve().relative_to(Path.cwd().resolve())
    return config


def _check_paper_folder(out: Path, runs_root: Path) -> None:
    """Refuse, before any work, to replace a folder that is not a paper folder of ours."""
    from data_gen.dataset import check_output_folder

    check_output_folder(out, force=True, kind="paper", inputs=[runs_root])


def _readme(spec: PaperSpec, reduced: bool) -> str:
    command = "itin-bench paper" + (" --reduced" if reduced else "")
    multipliers = ", ".join(f"{m:g}" for m in spec.multipliers)
    lines = [
        MARKER + (" (reduced version, for the regeneration test)" if reduced else ""),
        "",
        f"Everything in this folder is written by `{command}`, which runs",
        f"`itin-bench run --config {spec.config}` (reusing its cached stages), a request-noise",
        f"sensitivity sweep (request noise x {multipliers}; strategies "
        f"{', '.join(spec.sensitivity_strategies)}) and `itin-bench run --config {spec.file_2025}`"
        + (f" --scale {spec.file_2025_scale:g}" if spec.file_2025_scale else "")
        + (
            " with calibration settings "
            + ", ".join(f"{k} = {v}" for k, v in spec.file_2025_calibration.items())
            if spec.file_2025_calibration
            else ""
        )
        + " (the 2025 request file). Do not edit by hand.",
        "",
        "| file | what it shows | made from |",
        "|---|---|---|",
        "| `headline.csv` | each strategy at its main operating point: mean, 95% interval, min, max over worlds | `evaluation/intervals` of the run |",
        "| `operating_points.csv` | every operating point, with and without one-to-one | `evaluation/intervals` |",
        "| `disparities.csv` | wrong-person rate, recall and parity ratios by surname decile, origin, building size, state, pooled over worlds, with 95% intervals | `evaluation/disparities_pooled` |",
        "| `blocking.csv` | candidate pairs and pair completeness per strategy (first world) | `evaluation/blocking` |",
        "| `paired_differences.csv` | every pair of strategies at their main points: difference per 100,000 requests on the same requests and households, 95% interval, resolved or not | `evaluation/paired_differences` |",
        "| `error_causes.csv` | each strategy's wrong-person disclosures at its main point by route, with the recording errors behind them, all worlds | `evaluation/error_causes_pooled` |",
        "| `reliability.csv` | claimed against realised match probability by bin, pooled over worlds | `evaluation/reliability` |",
        "| `sensitivity.csv` | main-operating-point figures per request-noise level (one world each) | the sensitivity sweep |",
        "| `file_2025_published.csv` | the four published aggregates of the 2025 match (the updated-address share a soft target) beside the simulated file's, with each tolerance | the 2025 run's `calibration/published.csv` |",
        "| `file_2025_estimates.csv` | each strategy's wrong-person disclosures and the people behind them, scaled to the 1.28-million file, with 95% intervals | the 2025 run's `evaluation/intervals` |",
        "| `file_2025_routes.csv` | the 2025 run's wrong-person disclosures by route (whose number, which address), in the world and scaled to the file | the 2025 run's `calibration/routes.csv` |",
        "| `file_2025_priors.csv` | the prior range of every open setting of the request list, with its source or the word assumption | the 2025 run's `calibration/priors.csv` |",
        "| `file_2025_draws.csv` | every calibration draw, kept or not: its settings, solved TIN share, the four aggregates with tolerances, kept flag, irs_2025's harm for the file with 95% intervals, wrong-person disclosures by route | the 2025 run's `calibration/draws.csv` |",
        "| `file_2025_range.csv` | irs_2025's whole-file estimates over the kept draws: low/median/high, and the widest 95% bounds | the 2025 run's `calibration/range.csv` |",
        "| `file_2025_allowed.csv` | the kept draws' wrong-person estimate by borrowed-number rate and household share | the 2025 run's `calibration/allowed.csv` |",
        "| `file_2025_floor.csv` | the wrong-person disclosures no borrowed number explains, over the kept draws | the 2025 run's `calibration/floor.csv` |",
        "| `file_2025_rank_correlations.csv` | partial rank correlation of each open setting with the estimate | the 2025 run's `calibration/rank_correlations.csv` |",
        "| `file_2025_value_of_information.csv` | how much knowing one unpublished figure would narrow the estimate | the 2025 run's `calibration/value_of_information.csv` |",
        "| `file_2025_allowed.png`, `.svg` | every draw's estimate against its borrowed-number rate, kept draws coloured by household share | the 2025 run's `figures/` |",
    ]
    for name, caption in {**FIGURES, **RUN_FIGURES}.items():
        lines.append(f"| `{name}.png`, `.svg` | {caption} | the run's `figures/` |")
    lines.append(
        "| `sensitivity.png`, `.svg` | recall and wrong-person disclosures against request noise | `sensitivity.csv` |"
    )
    return "\n".join(lines) + "\n"
