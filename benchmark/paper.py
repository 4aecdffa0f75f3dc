"""``itin-bench paper``: regenerate the figures and tables a paper would cite.

The full version runs the default scenario (reusing cached stages) and a
request-noise sensitivity sweep and writes ``results/paper/``.  The reduced
version does the same on a small scenario and writes ``results/paper_reduced/``;
both folders are committed, and a test regenerates the reduced one and checks
its tables against the committed copy.
"""

from __future__ import annotations

import logging
import shutil
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from benchmark.figures import FIGURES, draw_sensitivity
from benchmark.run import PACKAGE_ROOT, run
from benchmark.sensitivity import sensitivity_table
from benchmark.summary import main_figures
from data_gen.dataset import atomic_folder, read_table

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
)


@dataclass(frozen=True)
class PaperSpec:
    """What one version of the paper outputs is made from."""

    config: str
    out: str
    sensitivity_strategies: tuple[str, ...]
    multipliers: tuple[float, ...]


FULL = PaperSpec(
    config="configs/default.toml",
    out="results/paper",
    sensitivity_strategies=(
        "irs_2025",
        "exact_name_address",
        "fuzzy_rules",
        "splink",
        "classifier_logistic",
    ),
    multipliers=(0.0, 0.5, 1.0, 2.0, 3.0),
)
REDUCED = PaperSpec(
    config="configs/paper_reduced.toml",
    out="results/paper_reduced",
    sensitivity_strategies=("irs_2025", "fuzzy_rules", "splink"),
    multipliers=(0.5, 1.0, 2.0),
)
TABLES = ("headline", "operating_points", "disparities", "blocking", "sensitivity")


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
    main_ops = ops[(ops["assignment"] == "none") & ops["main"]][["strategy", "operating_point"]]
    disp = read_table(evaluation, "disparities")
    disp = disp[disp["assignment"] == "none"].merge(main_ops, on=["strategy", "operating_point"])
    sens = sensitivity_table(
        scenario,
        list(spec.sensitivity_strategies),
        spec.multipliers,
        main_point=scenario.run.operating_point,
        backend=backend,
    )
    return {
        "headline": headline.reset_index(drop=True),
        "operating_points": points.reset_index(drop=True),
        "disparities": disp.reset_index(drop=True),
        "blocking": read_table(evaluation, "blocking"),
        "sensitivity": sens,
    }


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
    spec = REDUCED if reduced else FULL
    out = Path(out) if out is not None else PACKAGE_ROOT / spec.out
    _check_paper_folder(out)
    config = PACKAGE_ROOT / spec.config
    if config.resolve().is_relative_to(Path.cwd().resolve()):
        # as a user would type it from the repository root (it is printed in the report)
        config = config.resolve().relative_to(Path.cwd().resolve())
    result = run(config, out_root=runs_root, backend=backend)
    tables = paper_tables(result.folder, spec, result.scenario, backend=backend)
    with atomic_folder(out, force=True) as tmp:
        for name, table in tables.items():
            table.to_csv(tmp / f"{name}.csv", index=False, float_format="%.10g")
        # figures are drawn from the tables as stored
        draw_sensitivity(pd.read_csv(tmp / "sensitivity.csv"), tmp)
        for name in FIGURES:
            for ext in ("png", "svg"):
                shutil.copy(result.folder / "figures" / f"{name}.{ext}", tmp / f"{name}.{ext}")
        (tmp / "README.md").write_text(_readme(spec, reduced), encoding="utf-8")
    return out


MARKER = "# Paper figures and tables"


def _check_paper_folder(out: Path) -> None:
    """Refuse, before any work, to replace a folder that is not a paper folder."""
    from data_gen.dataset import check_output_folder
    from data_gen.errors import InputError

    check_output_folder(out, force=True)
    if out.is_dir() and any(out.iterdir()):
        readme = out / "README.md"
        if not (readme.is_file() and readme.read_text(errors="replace").startswith(MARKER)):
            raise InputError(
                f"{out}: not empty and not a paper folder (no README.md written by "
                "`itin-bench paper`); give an empty or new folder"
            )


def _readme(spec: PaperSpec, reduced: bool) -> str:
    command = "itin-bench paper" + (" --reduced" if reduced else "")
    multipliers = ", ".join(f"{m:g}" for m in spec.multipliers)
    lines = [
        MARKER + (" (reduced version, for the regeneration test)" if reduced else ""),
        "",
        f"Everything in this folder is written by `{command}`, which runs",
        f"`itin-bench run --config {spec.config}` (reusing its cached stages) and a request-noise",
        f"sensitivity sweep (request noise x {multipliers}; strategies "
        f"{', '.join(spec.sensitivity_strategies)}). Do not edit by hand.",
        "",
        "| file | what it shows | made from |",
        "|---|---|---|",
        "| `headline.csv` | each strategy at its main operating point: mean, 95% interval, min, max over worlds | `evaluation/intervals` of the run |",
        "| `operating_points.csv` | every operating point, with and without one-to-one | `evaluation/intervals` |",
        "| `disparities.csv` | wrong-person rate by surname decile, origin, building size, state (first world) | `evaluation/disparities` |",
        "| `blocking.csv` | candidate pairs and pair completeness per strategy (first world) | `evaluation/blocking` |",
        "| `sensitivity.csv` | main-operating-point figures per request-noise level (one world each) | the sensitivity sweep |",
    ]
    for name, caption in FIGURES.items():
        lines.append(f"| `{name}.png`, `.svg` | {caption} | the run's `figures/` |")
    lines.append(
        "| `sensitivity.png`, `.svg` | recall and wrong-person disclosures against request noise | `sensitivity.csv` |"
    )
    return "\n".join(lines) + "\n"
