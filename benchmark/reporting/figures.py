"""Figures, drawn only from the stored evaluation tables (PNG and SVG, fixed size and dpi).

Every figure is a pure function of the tables in an evaluation folder, so
``draw_figures`` can redraw them at any time without linking again.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd

from benchmark.evaluation.operating_points import main_rows
from benchmark.reporting import case_cards, figure_causes, figure_paired, figure_reliability
from benchmark.reporting.figure_2025 import draw_allowed
from benchmark.reporting.styles import StrategyStyle, colours_for, read_styles
from data_gen.dataset import atomic_folder

log = logging.getLogger(__name__)

SIZE = (7.0, 4.2)
DPI = 150
FIGURES = {
    "precision_recall": "Precision against recall, every threshold",
    "wrong_person_vs_recall": "Wrong-person disclosures against recall",
    "harm_by_strategy": "Who the wrong matches reach, at each strategy's main operating point",
    "disparity_surname": "Wrong-person rate by how common the surname is",
    "disparity_building": "Wrong-person rate by size of the building the person lives in",
}


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update(
        {
            "svg.hashsalt": "itin-bench",  # stable ids inside the SVG
            "font.size": 9,
            "axes.spines.top": False,
            "axes.spines.right": False,
        }
    )
    return plt


def _save(fig, out: Path, name: str) -> None:
    fig.savefig(out / f"{name}.png", dpi=DPI, metadata={"Software": None})
    fig.savefig(out / f"{name}.svg", metadata={"Date": None, "Creator": None})


def _main_points(ops: pd.DataFrame) -> pd.DataFrame:
    return main_rows(ops)[["strategy", "operating_point"]]


def _plot_sweeps(tables: dict[str, pd.DataFrame], plt, y, colours: dict[str, str]):
    """One curve per strategy along its sweep (no one-to-one): recall against ``y(curve)``.

    A strategy with a single threshold (a yes/no rule) is drawn as a point.
    """
    sweep = tables["threshold_sweep"]
    sweep = sweep[sweep["assignment"] == "none"]
    strategies = list(dict.fromkeys(tables["operating_points"]["strategy"]))
    fig, ax = plt.subplots(figsize=SIZE, layout="constrained")
    for s in strategies:
        curve = sweep[sweep["strategy"] == s]
        if curve.empty:
            continue
        style = "o" if len(curve) == 1 else "-"
        ax.plot(curve["recall"], y(curve), style, color=colours[s], label=s, lw=1.4)
    return fig, ax


def precision_recall(tables: dict[str, pd.DataFrame], plt, colours: dict[str, str]):
    """Precision against recall along each strategy's threshold sweep (first world)."""
    fig, ax = _plot_sweeps(tables, plt, lambda curve: curve["precision"], colours)
    ax.set_xlabel("recall (share of requested people who filed that are found)")
    ax.set_ylabel("precision (share of disclosures that are the right person)")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    ax.legend(loc="lower left", fontsize=7, frameon=False)
    return fig


def wrong_person_vs_recall(tables: dict[str, pd.DataFrame], plt, colours: dict[str, str]):
    """Wrong-person disclosures per 100,000 requests against recall (first world)."""
    n_requests = float(tables["outcomes"]["n_requests"].iloc[0])
    one = 100_000 / n_requests  # one disclosure, per 100,000 requests
    fig, ax = _plot_sweeps(tables, plt, lambda curve: curve["fp"] * one, colours)
    # linear below one disclosure, so that zero shows as zero; logarithmic above
    ax.set_yscale("symlog", linthresh=one)
    ax.set_ylim(bottom=0)
    ax.set_xlabel("recall")
    ax.set_ylabel("wrong-person disclosures per 100,000 requests")
    ax.set_xlim(0, 1)
    ax.legend(loc="upper left", fontsize=7, frameon=False)
    return fig


def harm_by_strategy(tables: dict[str, pd.DataFrame], plt, colours: dict[str, str]):
    """Disclosures, unrelated households, their people and US-citizen children per 100,000."""
    iv = tables["intervals"]
    main = _main_points(tables["operating_points"])
    iv = iv[iv["assignment"] == "none"].merge(main, on=["strategy", "operating_point"])
    metrics = (
        ("wrong_person_per_100k", "wrong-person disclosures"),
        ("unrelated_households_per_100k", "unrelated households"),
        ("unrelated_people_per_100k", "people living there"),
        ("unrelated_us_citizen_children_per_100k", "their US-citizen children"),
    )
    strategies = list(dict.fromkeys(main["strategy"]))
    fig, ax = plt.subplots(figsize=SIZE, layout="constrained")
    width = 0.8 / len(metrics)
    x = np.arange(len(strategies))
    greys = ("#222222", "#D55E00", "#E69F00", "#0072B2")
    for j, (metric, label) in enumerate(metrics):
        rows = iv[iv["metric"] == metric].set_index("strategy").reindex(strategies)
        mean = rows["mean"].to_numpy(dtype=float)
        low = np.nan_to_num(mean - rows["ci_low"].to_numpy(dtype=float))
        high = np.nan_to_num(rows["ci_high"].to_numpy(dtype=float) - mean)
        ax.bar(
            x + (j - 1.5) * width,
            np.nan_to_num(mean),
            width,
            label=label,
            color=greys[j],
            yerr=[low, high],
            capsize=2,
            error_kw={"lw": 0.8},
        )
    reached = iv[iv["metric"] == "wrong_person_per_100k"].set_index("strategy").reindex(strategies)
    for i, value in enumerate(reached["mean"].to_numpy(dtype=float)):
        if np.isnan(value):
            ax.text(x[i], 0, "target\nnot reached", ha="center", va="bottom", fontsize=6)
    labels = [
        f"{s}\n({p.replace('_', ' ')})"
        for s, p in zip(main["strategy"], main["operating_point"], strict=True)
    ]
    ax.set_xticks(x, labels, rotation=30, ha="right", fontsize=7)
    ax.set_ylabel("per 100,000 requests (mean, 95% interval)")
    ax.legend(fontsize=7, frameon=False)
    return fig


def _disparity(
    tables: dict[str, pd.DataFrame], plt, colours: dict[str, str], dimension: str, xlabel: str
):
    """Each strategy's wrong-person rate by group at its main point (no one-to-one).

    Pooled tables (with rate_ci_low, rate_ci_high and worlds) get 95% error
    bars and say how many worlds they pool; a first-world table without
    intervals is drawn as points only.
    """
    disp = tables.get("disparities_pooled", tables["disparities"])
    main = _main_points(tables["operating_points"])
    disp = disp[(disp["assignment"] == "none") & (disp["dimension"] == dimension)]
    disp = disp.merge(main, on=["strategy", "operating_point"])
    strategies = list(dict.fromkeys(main["strategy"]))
    intervals = {"rate_ci_low", "rate_ci_high"} <= set(disp.columns)
    fig, ax = plt.subplots(figsize=SIZE, layout="constrained")
    groups = list(dict.fromkeys(disp["group"]))
    x = np.arange(len(groups))
    # side by side within a group, so that the bars of close rates stay apart
    step = min(0.12, 0.6 / max(len(strategies), 1))
    for j, s in enumerate(strategies):
        rows = disp[disp["strategy"] == s].set_index("group").reindex(groups)
        if rows["wrong_person_rate"].isna().all():
            continue
        rate = 100 * rows["wrong_person_rate"].to_numpy(dtype=float)
        at = x + (j - (len(strategies) - 1) / 2) * step
        style = {"color": colours[s], "label": s, "lw": 1.2, "ms": 3}
        if intervals:
            low = np.clip(rate - 100 * rows["rate_ci_low"].to_numpy(dtype=float), 0, None)
            high = np.clip(100 * rows["rate_ci_high"].to_numpy(dtype=float) - rate, 0, None)
            yerr = [np.nan_to_num(low), np.nan_to_num(high)]
            ax.errorbar(at, rate, yerr=yerr, fmt="o-", capsize=2, elinewidth=0.8, **style)
        else:
            ax.plot(at, rate, "o-", **style)
    # a strategy that missed its target in some worlds pools fewer requests: show the most
    counts = disp.groupby("group", sort=False)["requests"].max().reindex(groups)
    ax.set_xticks(
        x,
        [
            f"{g}\n(n={'n/a' if pd.isna(n) else f'{int(n):,}'})"
            for g, n in zip(groups, counts, strict=True)
        ],
        fontsize=7,
    )
    ax.set_xlabel(xlabel)
    notes = []
    if "worlds" in disp and disp["worlds"].notna().any():
        notes.append(f"pooled over {int(disp['worlds'].max())} worlds")
    if intervals:
        notes.append("95% interval")
    ylabel = "requests with a wrong-person disclosure (%)"
    ax.set_ylabel("\n".join([ylabel, ", ".join(notes)]) if notes else ylabel)
    ax.set_ylim(bottom=0)
    ax.legend(fontsize=7, frameon=False)
    return fig


def disparity_surname(tables: dict[str, pd.DataFrame], plt, colours: dict[str, str]):
    """Wrong-person rate by surname-frequency decile (1 = rarest tenth of requests' surnames)."""
    return _disparity(
        tables,
        plt,
        colours,
        "surname_decile",
        "surname-frequency decile (1 = rarest, 10 = most common; Census 2010 counts)",
    )


def disparity_building(tables: dict[str, pd.DataFrame], plt, colours: dict[str, str]):
    """Wrong-person rate by the number of units in the requested person's building."""
    return _disparity(
        tables, plt, colours, "building_size", "units in the building where the person lives"
    )


def error_causes(tables: dict[str, pd.DataFrame], plt, colours: dict[str, str]):
    """The routes of the wrong-person disclosures at each strategy's main point, all worlds."""
    counts = tables.get("error_causes_pooled")
    if counts is None or counts.empty:
        return None
    main = main_rows(tables["operating_points"])
    return figure_causes.error_causes_figure(counts, main, plt, colours)


DRAW = {
    "precision_recall": precision_recall,
    "wrong_person_vs_recall": wrong_person_vs_recall,
    "harm_by_strategy": harm_by_strategy,
    "disparity_surname": disparity_surname,
    "disparity_building": disparity_building,
    # drawn when the evaluation has their tables; the report shows them in their own sections
    figure_causes.NAME: error_causes,
    figure_paired.NAME: figure_paired.paired_differences_figure,
    figure_reliability.NAME: figure_reliability.reliability_figure,
}
TABLES = ("threshold_sweep", "operating_points", "outcomes", "intervals", "disparities")
OPTIONAL_TABLES = (
    "disparities_pooled",
    "error_causes_pooled",
    "paired_differences",
    "reliability",
)


def read_tables(evaluation: str | Path) -> dict[str, pd.DataFrame]:
    """The evaluation tables the figures draw on (the optional ones when the folder has them)."""
    from data_gen.dataset import read_table, table_path

    tables = {name: read_table(evaluation, name) for name in TABLES}
    for name in OPTIONAL_TABLES:
        if table_path(evaluation, name).is_file():
            tables[name] = read_table(evaluation, name)
    return tables


def draw_figures(
    evaluation: str | Path,
    out: str | Path,
    *,
    force: bool = False,
    calibration: str | Path | None = None,
    cases_from: str | Path | None = None,
) -> list[str]:
    """Draw every figure of :data:`DRAW` the evaluation has tables for into ``out``.

    With a ``calibration`` folder, also the figure of what the 2025 record
    allows (:mod:`benchmark.reporting.figure_2025`); with ``cases_from`` (the
    run folder), example case cards of the Splink models' wrong-person
    disclosures (:mod:`benchmark.reporting.case_cards`), ``case_<strategy>_<k>``.

    Returns
    -------
    list of str
        The figure names written (each as ``name.png`` and ``name.svg``).
    """
    plt = _pyplot()
    tables = read_tables(evaluation)
    colours = colours_for(
        list(dict.fromkeys(tables["operating_points"]["strategy"])), read_styles(evaluation)
    )
    with atomic_folder(Path(out), force=force, kind="figures", inputs=[evaluation]) as tmp:
        drawn = []
        for name, draw in DRAW.items():
            fig = draw(tables, plt, colours)
            if fig is None:
                continue  # its table is absent or empty in this evaluation
            _save(fig, tmp, name)
            plt.close(fig)
            drawn.append(name)
            log.info("figure %s", name)
        extra = [] if calibration is None else draw_allowed(Path(calibration), tmp, plt, _save)
        if cases_from is not None:
            extra += _draw_cases(Path(cases_from), tmp, plt)
    return [*drawn, *extra]


def _draw_cases(run_folder: Path, out: Path, plt) -> list[str]:
    """The case cards of a run folder's Splink models, saved as ``case_<strategy>_<k>``."""
    cards = case_cards.case_cards(run_folder)
    names = case_cards.card_names(cards)
    for card, name in zip(cards, names, strict=True):
        fig = case_cards.draw_case_card(card, plt)
        _save(fig, out, name)
        plt.close(fig)
        log.info("figure %s", name)
    return names


def sensitivity(table: pd.DataFrame, plt, colours: dict[str, str]):
    """Recall and wrong-person disclosures against the request-noise multiplier, per strategy."""
    strategies = list(dict.fromkeys(table["strategy"]))
    fig, (left, right) = plt.subplots(1, 2, figsize=(SIZE[0] * 1.4, SIZE[1]), layout="constrained")
    for s in strategies:
        rows = table[(table["strategy"] == s) & table["target_reached"].astype(bool)]
        rows = rows.sort_values("noise_multiplier")
        left.plot(
            rows["noise_multiplier"], rows["recall"], "o-", color=colours[s], label=s, lw=1.2, ms=3
        )
        right.plot(
            rows["noise_multiplier"],
            rows["wrong_person_per_100k"],
            "o-",
            color=colours[s],
            label=s,
            lw=1.2,
            ms=3,
        )
    left.set_xlabel("request-list noise (x the scenario's rates)")
    left.set_ylabel("recall")
    left.set_ylim(0, 1)
    right.set_xlabel("request-list noise (x the scenario's rates)")
    right.set_ylabel("wrong-person disclosures per 100,000 requests")
    left.legend(fontsize=7, frameon=False)
    return fig


def draw_sensitivity(
    table: pd.DataFrame, out: str | Path, styles: dict[str, StrategyStyle]
) -> None:
    """Draw the sensitivity figure (``sensitivity.png`` and ``.svg``) into an existing folder.

    ``styles`` are the strategies' colours, as :func:`~benchmark.reporting.styles.read_styles`
    reads them from an evaluation of the same run.
    """
    plt = _pyplot()
    fig = sensitivity(
        table, plt, colours_for(list(dict.fromkeys(table["strategy"])), styles)
    )  # the caller passes the table as stored (read back from CSV)
    _save(fig, Path(out), "sensitivity")
    plt.close(fig)
