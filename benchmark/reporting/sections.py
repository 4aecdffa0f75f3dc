"""The report's content: its sections as blocks, built from a run folder's stored outputs only.

:func:`build_report` reads the run once (:class:`RunFacts`) and joins the
sections in reading order; each section builder below makes one of them.
Text from outside the package enters through :func:`~benchmark.reporting.blocks.lit`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from benchmark.evaluation.operating_points import BY_NAME, main_rows
from benchmark.reporting.blocks import Block, fmt, lit, pct, with_interval
from benchmark.reporting.figures import FIGURES
from benchmark.reporting.file_2025 import file_2025_blocks
from benchmark.reporting.section_causes import case_blocks, cause_blocks
from benchmark.reporting.section_points import paired_blocks, point_blocks
from benchmark.reporting.styles import StrategyStyle, styles_from_manifest
from benchmark.reporting.summary import HEADLINE, main_figures
from data_gen.dataset import read_manifest, read_table, table_path

POINT_WORDS = {
    "natural": "its own decision",
    "training_precision_0.99": "the threshold that gave 99% right matches on another labelled "
    "world of the same scenario",
    "training_precision_0.95": "the threshold that gave 95% right matches on another labelled "
    "world of the same scenario",
    "model_precision_0.99": "the threshold where the model itself estimates 99% of its matches "
    "are right",
    "precision_0.95": "the threshold where 95% of its matches are right",
    "precision_0.99": "the threshold where 99% of its matches are right",
    "recall_0.90": "the threshold where it finds 90% of the people who have a record",
}
DISPARITY_TITLES = {
    "surname_decile": "By surname frequency (decile 1 = rarest surnames, 10 = most common)",
    "building_size": "By units in the person’s building",
    "origin": "By origin group",
    "state": "By state",
}


@dataclass
class RunFacts:
    """What the report's sections read from a run folder, read once.

    Attributes
    ----------
    folder : Path
        The run folder (holding ``data/``, ``evaluation/`` and ``figures/``).
    data : dict
        The dataset's manifest.
    replicates : int
        How many worlds the headline figures are means over.
    point : str
        The scored methods' main operating point.
    config_hash : str
        The scenario configuration hash shown under *Reproduce*.
    config_path : str or Path
        The scenario file the run was made from ("" when unknown).
    figures : DataFrame
        Every main figure (:func:`~benchmark.reporting.summary.main_figures`).
    styles : dict
        Each strategy's plain-language name and colour, as the evaluation recorded them.
    """

    folder: Path
    data: dict
    replicates: int
    point: str
    config_hash: str
    config_path: str | Path
    figures: pd.DataFrame
    styles: dict[str, StrategyStyle]

    @classmethod
    def read(cls, run_folder: str | Path, scenario: Any, config_path: str | Path) -> RunFacts:
        """Read the manifests and main figures of ``run_folder``.

        ``scenario`` (the run's resolved scenario) supplies the configuration
        hash; without it the data's is used.
        """
        folder = Path(run_folder)
        data = read_manifest(folder / "data")
        evaluation = json.loads((folder / "evaluation" / "evaluation_manifest.json").read_text())
        return cls(
            folder=folder,
            data=data,
            replicates=int(evaluation.get("replicates", 1)),
            point=evaluation.get("main_operating_point", "precision_0.99"),
            config_hash=(scenario.config_hash() if scenario is not None else data["config_sha256"]),
            config_path=config_path,
            figures=main_figures(folder / "evaluation"),
            styles=styles_from_manifest(evaluation),
        )

    @property
    def config(self) -> dict:
        """The scenario configuration the world was generated from."""
        return self.data["config"]


def build_report(
    run_folder: str | Path, scenario: Any = None, config_path: str | Path = ""
) -> list[Block]:
    """The report's blocks for a run folder holding data/, evaluation/ and figures/.

    Parameters
    ----------
    run_folder : str or Path
        The run folder; a ``calibration/`` subfolder adds the 2025 file section.
    scenario : Scenario, optional
        The run's resolved scenario: it supplies the configuration hash shown
        under *Reproduce*; without it the data's is used.
    config_path : str or Path
        The scenario file, named in the command to rerun.

    Returns
    -------
    list of Block
        For :func:`~benchmark.reporting.render.to_markdown` and
        :func:`~benchmark.reporting.render.to_html`.
    """
    run = RunFacts.read(run_folder, scenario, config_path)
    blocks = [
        *_opening(run),
        *_in_short(run),
        *_headline(run),
        *point_blocks(run.folder / "evaluation"),
        *paired_blocks(run.folder / "evaluation"),
        *_causes(run),
        *case_blocks(run.folder / "figures"),
        *_simulated(run),
        *_assumptions(run),
        *_figures(),
        *file_2025_blocks(run.folder, run.figures),
        *_who_is_affected(run),
        *_limitations(),
        *_reproduce(run),
    ]
    # a figure whose table this evaluation lacks (or holds no rows) was not drawn
    figures = run.folder / "figures"
    return [b for b in blocks if b.kind != "figure" or (figures / f"{b.text}.png").is_file()]


def _causes(run: RunFacts) -> list[Block]:
    """Why the wrong person was confirmed, over every world, when the evaluation has the routes."""
    evaluation = run.folder / "evaluation"
    if not table_path(evaluation, "error_causes_pooled").is_file():
        return []
    ops = read_table(evaluation, "operating_points")
    names = {s: style.plain_name for s, style in run.styles.items()}
    return cause_blocks(read_table(evaluation, "error_causes_pooled"), main_rows(ops), names)


def _opening(run: RunFacts) -> list[Block]:
    """The title and what the report measures."""
    return [
        Block(
            "h1",
            "How often does matching confirm the wrong person? "
            f"Scenario “{lit(run.data['scenario'])}”",
        ),
        Block(
            "p",
            "An enforcement agency sends names and addresses; a tax agency matches them against "
            "taxpayer records and hands back the address on every record it matches. When the "
            "match is the wrong person, the address handed over is someone else’s home. This "
            "report measures how often that happens for several matching methods, and who lives "
            "at the addresses disclosed in error. Everything here is simulated: no real person’s "
            "data is used.",
        ),
    ]


def _in_short(run: RunFacts) -> list[Block]:
    """One plain sentence per method, and how to read its figures."""
    return [
        Block("h2", "In short"),
        Block("ul", items=_plain_sentences(run.figures, run.styles)),
        Block(
            "p",
            (
                f"Figures are means over {run.replicates} simulated worlds with 95% intervals in "
                "brackets, per 100,000 requests. "
                if run.replicates > 1
                else "Figures come from one simulated world, per 100,000 requests, with 95% "
                "intervals for counts in brackets. "
            )
            + "Rules are shown at their own decision. Probabilistic models and classifiers are "
            f"shown at {POINT_WORDS.get(run.point, run.point)}"
            + _point_caveat(run)
            + " Where a method reached that target in only some worlds, its figures are the mean "
            "over those worlds, and the table says in how many.",
        ),
    ]


def _point_caveat(run: RunFacts) -> str:
    """Whether the scored methods' main threshold is one an agency could set, and which they use."""
    points = sorted(set(run.figures["operating_point"]) - {"natural"}) if len(run.figures) else []
    if run.point in BY_NAME and not BY_NAME[run.point].deployable:
        return (
            ". That threshold was chosen knowing the true answers, which no agency has: it is "
            "the best case for those methods."
        )
    text = ", a threshold an agency could set without this world's true answers."
    others = [p for p in points if p != run.point]
    if others:
        words = "; ".join(f"{lit(p)} ({BY_NAME[p].selection})" for p in others if p in BY_NAME)
        text += f" Methods without a decision there are shown at {words}."
    return text


def _plain_sentences(figures: pd.DataFrame, styles: dict[str, StrategyStyle]) -> list[str]:
    """Each method's recall and harm in one sentence for a reader who is not a data scientist."""
    if figures.empty:
        return ["No method made a decision at its main operating point."]
    out = []
    for (strategy, _point), g in figures.groupby(["strategy", "operating_point"], sort=False):
        f = g.set_index("metric")
        style = styles.get(strategy)
        plain = lit(_sentence_start(style.plain_name if style else strategy))
        code = lit(strategy)
        if "recall" not in f.index:
            out.append(f"{plain} (`{code}`) never reached its target.")
            continue
        recall = with_interval(f.loc["recall"], "{:.0%}")
        wrong = with_interval(f.loc["wrong_person_per_100k"], "{:,.0f}")
        homes = with_interval(f.loc["unrelated_households_per_100k"], "{:,.0f}")
        kids = with_interval(f.loc["unrelated_us_citizen_children_per_100k"], "{:,.0f}")
        reached = f.loc["target_reached", "mean"] if "target_reached" in f.index else 1.0
        note = "" if reached == 1 else f" (It reached its target in {reached:.0%} of the worlds.)"
        out.append(
            f"{plain} (`{code}`) found {recall} of the requested people who have a tax "
            f"record. For every 100,000 requests it matched {wrong} to somebody else’s tax "
            f"record; the addresses handed over then led to {homes} households unrelated to the "
            f"request, with {kids} US-citizen children.{note}"
        )
    return out


def _sentence_start(text: str) -> str:
    return text[:1].upper() + text[1:]


def _headline(run: RunFacts) -> list[Block]:
    """The headline table and what its columns count."""
    return [
        Block("h2", "Headline table"),
        Block(
            "table",
            header=[
                "method",
                "decision",
                *(lbl + ("" if m == "recall" else " per 100,000") for lbl, m, _ in HEADLINE),
                "worlds reaching the target",
            ],
            items=_headline_rows(run.figures),
        ),
        Block(
            "p",
            "Recall: the share of requested people who have a tax record that the method finds. "
            "Wrong person: disclosures of somebody else’s record. Unrelated households: homes at "
            "the disclosed addresses where neither the requested person nor their household "
            "lives (a relative’s record at the person’s own address is a wrong record, but not "
            "an unrelated household).",
        ),
    ]


def _headline_rows(figures: pd.DataFrame) -> list[list[str]]:
    """One row per method at its main operating point: the headline figures, target reach."""
    rows = []
    for (strategy, point), g in figures.groupby(["strategy", "operating_point"], sort=False):
        f = g.set_index("metric")
        cells = [lit(strategy), POINT_WORDS.get(point, point)]
        for _, metric, pattern in HEADLINE:
            cells.append(
                with_interval(f.loc[metric], pattern) if metric in f.index else "not reached"
            )
        reached = f.loc["target_reached", "mean"] if "target_reached" in f.index else float("nan")
        cells.append(fmt(reached, "{:.0%}"))
        rows.append(cells)
    return rows


def _simulated(run: RunFacts) -> list[Block]:
    """The simulated population, tax file and request list, in one paragraph."""
    config, data = run.config, run.data
    group = config["world"].get("zip_selection_group", "hispanic")
    zips = (
        f"real ZIP codes chosen where many {group.capitalize()} residents live"
        if group != "all"
        else "real ZIP codes"
    )
    rows = {t: data["tables"][t]["rows"] for t in data["tables"]}
    req = data.get("realism", {}).get("request_list", {})
    return [
        Block("h2", "What was simulated"),
        Block(
            "p",
            f"A synthetic population of {rows.get('persons', 0):,} people in "
            f"{rows.get('households', 0):,} households, living in "
            f"{config['world']['n_zips']} {zips}. "
            f"The tax file holds {rows.get('irs_filers', 0):,} filers' records (with SSNs or "
            "ITINs; dependents are listed on returns but not matched). "
            f"The request list holds {rows.get('requests', 0):,} names: "
            f"{pct(req.get('never_filed_share'))} of them never filed a tax return, "
            f"{pct(req.get('tin_share'))} carry an SSN or ITIN "
            f"({pct(req.get('borrowed_tin_share'))} of those numbers belong to somebody else), "
            f"{pct(req.get('address_outdated_share'))} give an outdated address and "
            f"{pct(req.get('address_junk_share'))} a junk one such as “Failed to Provide”. "
            + (
                f"{pct(req['absent_share'])} of the requested people no longer live in the "
                "simulated area (removed, abroad or elsewhere); the list gives their family’s "
                "address. "
                if req.get("absent_share")
                else ""
            )
            + f"Both files carry realistic recording errors. Seed {data['seed']}; "
            f"{run.replicates} world(s).",
        ),
    ]


def _assumptions(run: RunFacts) -> list[Block]:
    """The scenario's main settings and its recording-error rates, as two tables."""
    return [
        Block("h2", "Assumptions and error rates"),
        Block("table", header=["setting", "value"], items=_assumption_rows(run.config)),
        Block(
            "table",
            header=["recording error", "rate in tax records", "rate in requests"],
            items=_noise_rows(run.config),
        ),
    ]


def _assumption_rows(config: dict) -> list[list[str]]:
    """The settings a reader needs to judge the world, each as (setting, value)."""
    r = config["requests"]
    status = config["status"]
    filing = config["filing"]
    kinds = ", ".join(f"{k} {v:.0%}" for k, v in r["address_kinds"].items())
    return [
        ["people in the world", f"{config['world']['persons']:,}"],
        ["requests for people who never filed", f"{r['never_filed_share']:.0%}"],
        ["requests carrying an SSN or ITIN", f"{r['tin_share']:.0%}"],
        ["… of which the number belongs to someone else", f"{r['borrowed_tin_share']:.0%}"],
        ["request addresses", kinds],
        ["children of non-citizen parents born in the US", f"{status['child_us_born_share']:.0%}"],
        [
            "undocumented adults who file taxes",
            f"{filing['filing_rate'].get('undocumented', 0):.0%}",
        ],
    ]


def _noise_rows(config: dict) -> list[list[str]]:
    """Each recording error used on either file, with its rate in each."""
    irs, requests = config["noise"]["irs"], config["noise"]["requests"]
    names = sorted(set(irs) | set(requests))
    return [
        [n.replace("_", " "), f"{irs.get(n, 0):.1%}", f"{requests.get(n, 0):.1%}"]
        for n in names
        if irs.get(n, 0) or requests.get(n, 0)
    ]


def _figures() -> list[Block]:
    """Every figure, with its caption."""
    return [
        Block("h2", "Figures"),
        *(Block("figure", text=name, items=[caption]) for name, caption in FIGURES.items()),
    ]


def _who_is_affected(run: RunFacts) -> list[Block]:
    """The wrong-person rate by a trait of the requested person, one table per trait."""
    return [
        Block("h2", "Who is affected: wrong-person rate by group"),
        Block(
            "p",
            "Share of requests that led to at least one wrong-person disclosure, by a trait of "
            "the requested person, for each method at its main operating point, pooled over "
            "every world. The number of requests in each group is shown with 95% intervals; "
            "small groups are uncertain.",
        ),
        *_disparity_tables(run.folder / "evaluation"),
    ]


def _disparity_tables(evaluation: Path) -> list[Block]:
    """A title and a table per trait the evaluation has: a row per group and method.

    Each row shows the wrong-person rate, recall and the two parity ratios
    (the group's rate and recall over those of all requests) with their 95%
    intervals, where the table has them (a first-world table has only the rate).
    """
    pooled = table_path(evaluation, "disparities_pooled").is_file()
    disp = read_table(evaluation, "disparities_pooled" if pooled else "disparities")
    ops = read_table(evaluation, "operating_points")
    main = main_rows(ops)[["strategy", "operating_point"]]
    disp = disp[disp["assignment"] == "none"].merge(main, on=["strategy", "operating_point"])
    blocks = []
    if "worlds" in disp and disp["worlds"].notna().any():
        blocks.append(Block("p", _pooling_note(int(disp["worlds"].max()))))
    columns = [c for c in DISPARITY_COLUMNS if c[1] in disp]
    # a strategy that did not reach its main target made no decisions to break down
    strategies = list(dict.fromkeys(disp["strategy"]))
    for dim, title in DISPARITY_TITLES.items():
        d = disp[disp["dimension"] == dim]
        if d.empty:
            continue
        rows = []
        for g in dict.fromkeys(d["group"]):
            by_strategy = d[d["group"] == g].set_index("strategy")
            for s in strategies:
                if s not in by_strategy.index:
                    continue
                row = by_strategy.loc[s]
                rows.append(
                    [
                        lit(g),
                        fmt(row["requests"], "{:,.0f}"),
                        lit(s),
                        *(_value_with_interval(row, col, pattern) for _, col, pattern in columns),
                    ]
                )
        blocks.append(Block("p", text=title))
        blocks.append(
            Block(
                "table",
                header=["group", "requests", "method", *(label for label, _, _ in columns)],
                items=rows,
            )
        )
    return blocks


# (header, column, format) of each figure of the tables by group, its interval in column_ci_*
DISPARITY_COLUMNS = (
    ("wrong-person rate", "wrong_person_rate", "{:.2%}"),
    ("rate ratio", "rate_ratio", "{:.2f}"),
    ("recall", "recall", "{:.1%}"),
    ("recall ratio", "recall_ratio", "{:.2f}"),
)


def _value_with_interval(row: pd.Series, column: str, pattern: str) -> str:
    """``row[column]`` with its 95% interval, when the table has one (rate_ci_* for the rate)."""
    prefix = "rate" if column == "wrong_person_rate" else column
    low, high = row.get(f"{prefix}_ci_low"), row.get(f"{prefix}_ci_high")
    return with_interval(
        pd.Series({"mean": row[column], "ci_low": low, "ci_high": high}, dtype=float), pattern
    )


def _pooling_note(worlds: int) -> str:
    """How to read the pooled tables by group."""
    return (
        f"Counts are pooled over {worlds} simulated worlds; every figure has its 95% interval "
        "in brackets. The rate ratio is the group's wrong-person rate divided by that of all "
        "requests, and the recall ratio the same for recall (the share of requested people who "
        "filed that are found): 1 is parity, above 1 the group is hit more often or found more "
        "often than requests overall."
    )


def _limitations() -> list[Block]:
    """What the simulation cannot say."""
    return [
        Block("h2", "Limitations"),
        Block(
            "ul",
            items=[
                "The world is synthetic. Its names, households and errors follow published "
                "figures where they exist and stated assumptions where they do not (see the "
                "table above and the project README).",
                "Thresholds tuned on another labelled world assume the agency has labelled "
                "data like the world it judges; the best-case thresholds, chosen with the true "
                "answers, are shown for comparison only.",
                "A world of this size has fewer people sharing a name than a national file, so "
                "wrong matches by name are likely undercounted.",
                "Each world holds few wrong-person disclosures, so the intervals are wide; "
                "counts of people get intervals on the households behind them.",
                "Harm counts who lives at a disclosed address today; it does not model what an "
                "enforcement visit does.",
            ],
        ),
    ]


def _reproduce(run: RunFacts) -> list[Block]:
    """The configuration hash, package versions and the command to rerun."""
    packages = run.data["packages"]
    return [
        Block("h2", "Reproduce"),
        Block(
            "p",
            f"Scenario configuration hash {run.config_hash[:12]}; world generated with itin-bench "
            f"{packages.get('itin-bench', '?')}, pandas "
            f"{packages.get('pandas', '?')}. Rerun with `itin-bench run --config "
            f"{lit(run.config_path) or '<scenario file>'}`; every table behind this report is in "
            "the run folder (evaluation/*.csv). The curves come from the first world; the headline "
            f"figures, the tables by group and the error routes from all {run.replicates}.",
        ),
    ]
