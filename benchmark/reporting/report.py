"""The report: Markdown and one self-contained HTML file, for readers who are not data scientists.

The report is assembled as a list of blocks (headings, paragraphs, lists,
tables, figures) from the run's stored outputs only, then rendered twice: to
Markdown (figures linked) and to HTML (figures embedded as data URIs, inline
style, no script and no network access).

Block text marks code with backticks; a backslash makes the next backtick or
backslash literal.  Text from outside the package (strategy and scenario names,
groups, paths) enters through :func:`_lit`, and both renderers escape every
other part, so such text shows as itself and never becomes markup.
"""

from __future__ import annotations

import base64
import html
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from benchmark.reporting.figures import FIGURES
from benchmark.reporting.summary import HEADLINE, main_figures
from benchmark.safe_output import markdown_text
from data_gen.dataset import atomic_folder, read_manifest, read_table

STRATEGY_PLAIN = {
    "irs_2025": "the 2025 IRS matching script",
    "exact_name_address": "exact name and address",
    "name_dob": "exact name and date of birth",
    "fuzzy_rules": "fuzzy name rules",
    "splink": "a probabilistic model (Splink, no labels)",
    "splink_supervised": "a probabilistic model trained on labelled data",
    "classifier_logistic": "logistic regression",
    "classifier_boosted": "gradient-boosted trees",
}


@dataclass
class Block:
    """One piece of the report: kind is h1, h2, p, ul, table or figure."""

    kind: str
    text: str = ""
    items: list | None = None
    header: list | None = None


def _lit(text: object) -> str:
    """``text`` from outside the package as literal block text (its backticks make no code)."""
    return str(text).replace("\\", "\\\\").replace("`", "\\`")


_MARK = re.compile(r"\\([\\`])|`")


def _spans(text: str) -> list[tuple[bool, str]]:
    """Block text as (is code, literal text) parts, escapes resolved."""
    parts: list[tuple[bool, str]] = []
    code, pos, buf = False, 0, ""
    for m in _MARK.finditer(text):
        buf += text[pos : m.start()]
        if m.group(1):
            buf += m.group(1)
        else:
            parts.append((code, buf))
            code, buf = not code, ""
        pos = m.end()
    parts.append((code, buf + text[pos:]))
    return parts


def _fmt(value: float, pattern: str) -> str:
    return "n/a" if pd.isna(value) else pattern.format(value)


def _with_interval(row: pd.Series, pattern: str) -> str:
    """The mean with its 95% interval whenever there is one (even from a single world)."""
    text = _fmt(row["mean"], pattern)
    if not pd.isna(row["ci_low"]) and not pd.isna(row["ci_high"]):
        text += f" ({_fmt(row['ci_low'], pattern)} to {_fmt(row['ci_high'], pattern)})"
    return text


POINT_WORDS = {
    "natural": "its own decision",
    "precision_0.95": "the threshold where 95% of its matches are right",
    "precision_0.99": "the threshold where 99% of its matches are right",
    "recall_0.90": "the threshold where it finds 90% of the people who have a record",
}


def build_report(
    run_folder: str | Path, scenario: Any = None, config_path: str | Path = ""
) -> list[Block]:
    """The report's blocks for a run folder holding data/, evaluation/ and figures/.

    ``scenario`` (the run's resolved scenario) supplies the configuration hash
    shown under *Reproduce*; without it the data's is used.
    """
    folder = Path(run_folder)
    data = read_manifest(folder / "data")
    evaluation = json.loads((folder / "evaluation" / "evaluation_manifest.json").read_text())
    config = data["config"]
    replicates = int(evaluation.get("replicates", 1))
    several = replicates > 1
    point = evaluation.get("main_operating_point", "precision_0.99")
    config_hash = scenario.config_hash() if scenario is not None else data["config_sha256"]
    group = config["world"].get("zip_selection_group", "hispanic")
    zips = (
        f"real ZIP codes chosen where many {group.capitalize()} residents live"
        if group != "all"
        else "real ZIP codes"
    )
    figures = main_figures(folder / "evaluation")
    rows = {t: data["tables"][t]["rows"] for t in data["tables"]}
    realism = data.get("realism", {})
    req = realism.get("request_list", {})
    blocks: list[Block] = [
        Block(
            "h1",
            "How often does matching confirm the wrong person? "
            f"Scenario “{_lit(data['scenario'])}”",
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
        Block("h2", "In short"),
        Block("ul", items=_plain_sentences(figures)),
        Block(
            "p",
            (
                f"Figures are means over {replicates} simulated worlds with 95% intervals in "
                "brackets, per 100,000 requests. "
                if several
                else "Figures come from one simulated world, per 100,000 requests, with 95% "
                "intervals for counts in brackets. "
            )
            + "Rules are shown at their own decision. Probabilistic models and classifiers are "
            f"shown at {POINT_WORDS.get(point, point)}. That threshold was chosen knowing the "
            "true answers, which no agency has: it is the best case for those methods. Where a "
            "method reached that target in only some worlds, its figures are the mean over "
            "those worlds, and the table says in how many.",
        ),
        Block("h2", "Headline table"),
        Block(
            "table",
            header=[
                "method",
                "decision",
                *(lbl + ("" if m == "recall" else " per 100,000") for lbl, m, _ in HEADLINE),
                "worlds reaching the target",
            ],
            items=_headline_rows(figures),
        ),
        Block(
            "p",
            "Recall: the share of requested people who have a tax record that the method finds. "
            "Wrong person: disclosures of somebody else’s record. Unrelated households: homes at "
            "the disclosed addresses where neither the requested person nor their household "
            "lives (a relative’s record at the person’s own address is a wrong record, but not "
            "an unrelated household).",
        ),
        Block("h2", "What was simulated"),
        Block(
            "p",
            f"A synthetic population of {rows.get('persons', 0):,} people in "
            f"{rows.get('households', 0):,} households, living in "
            f"{config['world']['n_zips']} {zips}. "
            f"The tax file holds {rows.get('irs_filers', 0):,} filers' records (with SSNs or "
            "ITINs; dependents are listed on returns but not matched). "
            f"The request list holds {rows.get('requests', 0):,} names: "
            f"{_pct(req.get('never_filed_share'))} of them never filed a tax return, "
            f"{_pct(req.get('tin_share'))} carry an SSN or ITIN "
            f"({_pct(req.get('borrowed_tin_share'))} of those numbers belong to somebody else), "
            f"{_pct(req.get('address_outdated_share'))} give an outdated address and "
            f"{_pct(req.get('address_junk_share'))} a junk one such as “Failed to Provide”. "
            + (
                f"{_pct(req['absent_share'])} of the requested people no longer live in the "
                "simulated area (removed, abroad or elsewhere); the list gives their family’s "
                "address. "
                if req.get("absent_share")
                else ""
            )
            + f"Both files carry realistic recording errors. Seed {data['seed']}; "
            f"{replicates} world(s).",
        ),
        Block("h2", "Assumptions and error rates"),
        Block("table", header=["setting", "value"], items=_assumption_rows(config)),
        Block(
            "table",
            header=["recording error", "rate in tax records", "rate in requests"],
            items=_noise_rows(config),
        ),
        Block("h2", "Figures"),
    ]
    for name, caption in FIGURES.items():
        blocks.append(Block("figure", text=name, items=[caption]))
    blocks += [
        *_file_2025_blocks(folder, figures),
        Block("h2", "Who is affected: wrong-person rate by group"),
        Block(
            "p",
            "Share of requests that led to at least one wrong-person disclosure, by a trait of "
            "the requested person, for each method at its main operating point. The number of "
            "requests in each group is shown; small groups are uncertain.",
        ),
        *_disparity_tables(folder / "evaluation"),
        Block("h2", "Limitations"),
        Block(
            "ul",
            items=[
                "The world is synthetic. Its names, households and errors follow published "
                "figures where they exist and stated assumptions where they do not (see the "
                "table above and the project README).",
                "Thresholds for the scored methods were chosen with the true answers; a real "
                "deployment would do worse.",
                "A world of this size has fewer people sharing a name than a national file, so "
                "wrong matches by name are likely undercounted.",
                "Each world holds few wrong-person disclosures, so the intervals are wide.",
                "Harm counts who lives at a disclosed address today; it does not model what an "
                "enforcement visit does.",
            ],
        ),
        Block("h2", "Reproduce"),
        Block(
            "p",
            f"Scenario configuration hash {config_hash[:12]}; world generated with itin-bench "
            f"{data['packages'].get('itin-bench', '?')}, pandas "
            f"{data['packages'].get('pandas', '?')}. Rerun with `itin-bench run --config "
            f"{_lit(config_path) or '<scenario file>'}`; every table behind this report is in "
            "the run folder (evaluation/*.csv). The curves and the tables by group come from the first "
            f"world; the headline figures from all {replicates}.",
        ),
    ]
    return blocks


FILE_MEASURES = {
    "wrong_person": "wrong-person disclosures",
    "households": "households at those addresses",
    "unrelated_households": "… unrelated to the request",
    "us_citizens": "US citizens living there",
    "us_citizen_children": "US-citizen children living there",
}
RANGE_WORDS = {
    "wrong_person": "wrong-person disclosures",
    "households": "households at those addresses",
    "people": "people living there",
    "us_citizens": "US citizens living there",
    "us_citizen_children": "US-citizen children living there",
}


def _file_2025_blocks(folder: Path, figures: pd.DataFrame) -> list[Block]:
    """The 2025 request file: the record beside this world, and estimates for the whole file."""
    calibration = folder / "calibration"
    if not (calibration / "published.csv").is_file():
        return []
    published = pd.read_csv(calibration / "published.csv")
    manifest = json.loads((calibration / "calibration_manifest.json").read_text())
    blocks = [
        Block("h2", "The 2025 request file: what the record says, and what it does not"),
        Block(
            "p",
            "In August 2025 the tax agency matched 47,289 of the 1.28 million names on the "
            "enforcement agency's list. Court filings say how: requests carrying an SSN or ITIN "
            "were matched on the number and the first letters of the surname, with the address "
            "checked only for a ZIP-like number; the others on exact name and address. The "
            "record gives three totals of that match, and this simulation of the list "
            f"({manifest['run_requests']:,} requests, run through the same procedure, "
            "`irs_2025`) reproduces them:",
        ),
        Block(
            "table",
            header=["published total", "record", "this simulation", "difference", "source"],
            items=[
                [
                    r["label"],
                    f"{r['published']:.1%}",
                    f"{r['reproduced']:.1%}",
                    f"{r['relative_difference']:+.0%}"
                    + ("" if r["within_tolerance"] else " (outside the tolerance)"),
                    r["source"],
                ]
                for _, r in published.iterrows()
            ],
        ),
        Block(
            "p",
            "The record does not say how many of the 47,289 were the wrong person, or who "
            "lives at the addresses handed over. Scaled from this simulation to the whole file "
            "of 1.28 million requests (95% intervals in brackets), each method would have "
            "produced:",
        ),
        Block(
            "table",
            header=["method", *FILE_MEASURES.values()],
            items=_file_rows(figures),
        ),
    ]
    ranges = calibration / "range.csv"
    table = calibration / "compositions.csv"
    if ranges.is_file() and table.is_file():
        rng = pd.read_csv(ranges)
        comps = pd.read_csv(table)
        fit = int(comps["reproduces"].astype(bool).sum())
        blocks += [
            Block(
                "p",
                "Other request lists reproduce the same three totals: more or fewer people who "
                "never filed, more or fewer borrowed numbers, fresher or staler addresses. "
                f"{len(comps)} such compositions were simulated "
                f"(at {manifest['calibration_scale']:g} of the file's size), each with the share "
                f"carrying a number set to hit the published match rate; {fit} reproduce all "
                "three totals within "
                f"±{manifest['tolerance']:.0%}. Over those, the 2025 procedure's errors for the "
                "whole file range as follows (the wrong-person range includes each "
                "simulation's 95% interval):",
            ),
            *_leading_parameter(comps),
            Block(
                "table",
                header=["estimate for the 1.28 million file", "low", "median", "high"],
                items=[
                    [
                        RANGE_WORDS.get(r["measure"], r["measure"]),
                        _fmt(r["low"], "{:,.0f}"),
                        _fmt(r.get("median", float("nan")), "{:,.0f}"),
                        _fmt(r["high"], "{:,.0f}"),
                    ]
                    for _, r in rng.iterrows()
                ],
            ),
            Block(
                "table",
                header=[
                    *(c.replace("_", " ") for c in comps.columns if c.endswith("_share")),
                    "match rate",
                    "reproduces",
                    "wrong-person (file)",
                ],
                items=[
                    [
                        *(_fmt(r[c], "{:.3g}") for c in comps.columns if c.endswith("_share")),
                        _fmt(r.get("match_rate", float("nan")), "{:.2%}"),
                        "yes" if r["reproduces"] else "no",
                        _fmt(r.get("wrong_person_file", float("nan")), "{:,.0f}"),
                    ]
                    for _, r in comps.iterrows()
                ],
            ),
        ]
    return blocks


WOULD_TELL = {
    "never_filed_share": "the number of requested people who had filed a return",
    "borrowed_tin_share": "the number of disclosures whose SSN or ITIN belonged to somebody else",
    "own_tin_filer_share": "the number of requests carrying their own number who had filed",
    "borrowed_from_household_share": "knowing whose numbers the borrowed ones were",
    "current_address_share": "knowing how current the list's addresses were",
}


def _leading_parameter(comps: pd.DataFrame) -> list[Block]:
    """One sentence on the open parameter that moves the wrong-person estimate most."""
    from data_gen.config import CALIBRATION_KEYS

    fit = comps[comps["reproduces"].astype(bool)]
    spreads = {}
    for key in (k for k in CALIBRATION_KEYS if k in fit.columns):
        means = fit.groupby(key)["wrong_person_file"].mean()
        if len(means) > 1:
            spreads[key] = means
    if not spreads:
        return []
    key = max(spreads, key=lambda k: spreads[k].max() - spreads[k].min())
    means = spreads[key]
    steps = ", ".join(f"{means[v]:,.0f} at {v:g}" for v in means.index)
    return [
        Block(
            "p",
            f"The estimate moves most with {key.replace('_', ' ')}: averaged over the other "
            f"settings, the 2025 procedure's wrong-person disclosures for the whole file are "
            f"{steps}. The published totals cannot tell these apart; {WOULD_TELL[key]} would.",
        )
    ]


def _file_rows(figures: pd.DataFrame) -> list[list[str]]:
    from benchmark.reporting.summary import file_estimates

    table = file_estimates(figures).rename(columns={"estimate": "mean"})
    rows = []
    for strategy in dict.fromkeys(figures["strategy"]):
        found = table[table["strategy"] == strategy].set_index("measure")
        rows.append(
            [
                _lit(strategy),
                *(
                    _with_interval(found.loc[m], "{:,.0f}") if m in found.index else "not reached"
                    for m in FILE_MEASURES
                ),
            ]
        )
    return rows


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0%}"


def _plain_sentences(figures: pd.DataFrame) -> list[str]:
    if figures.empty:
        return ["No method made a decision at its main operating point."]
    out = []
    for (strategy, _point), g in figures.groupby(["strategy", "operating_point"], sort=False):
        f = g.set_index("metric")
        plain = _lit(_sentence_start(STRATEGY_PLAIN.get(strategy, strategy)))
        code = _lit(strategy)
        if "recall" not in f.index:
            out.append(f"{plain} (`{code}`) never reached its target.")
            continue
        recall = _with_interval(f.loc["recall"], "{:.0%}")
        wrong = _with_interval(f.loc["wrong_person_per_100k"], "{:,.0f}")
        homes = _with_interval(f.loc["unrelated_households_per_100k"], "{:,.0f}")
        kids = _with_interval(f.loc["unrelated_us_citizen_children_per_100k"], "{:,.0f}")
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


def _headline_rows(figures: pd.DataFrame) -> list[list[str]]:
    rows = []
    for (strategy, point), g in figures.groupby(["strategy", "operating_point"], sort=False):
        f = g.set_index("metric")
        cells = [_lit(strategy), POINT_WORDS.get(point, point)]
        for _, metric, pattern in HEADLINE:
            cells.append(
                _with_interval(f.loc[metric], pattern) if metric in f.index else "not reached"
            )
        reached = f.loc["target_reached", "mean"] if "target_reached" in f.index else float("nan")
        cells.append(_fmt(reached, "{:.0%}"))
        rows.append(cells)
    return rows


def _assumption_rows(config: dict) -> list[list[str]]:
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
    irs, requests = config["noise"]["irs"], config["noise"]["requests"]
    names = sorted(set(irs) | set(requests))
    return [
        [n.replace("_", " "), f"{irs.get(n, 0):.1%}", f"{requests.get(n, 0):.1%}"]
        for n in names
        if irs.get(n, 0) or requests.get(n, 0)
    ]


def _disparity_tables(evaluation: Path) -> list[Block]:
    disp = read_table(evaluation, "disparities")
    ops = read_table(evaluation, "operating_points")
    main = ops[(ops["assignment"] == "none") & ops["main"]][["strategy", "operating_point"]]
    disp = disp[disp["assignment"] == "none"].merge(main, on=["strategy", "operating_point"])
    blocks = []
    titles = {
        "surname_decile": "By surname frequency (decile 1 = rarest surnames, 10 = most common)",
        "building_size": "By units in the person’s building",
        "origin": "By origin group",
        "state": "By state",
    }
    # a strategy that did not reach its main target made no decisions to break down
    strategies = list(dict.fromkeys(disp["strategy"]))
    for dim, title in titles.items():
        d = disp[disp["dimension"] == dim]
        if d.empty:
            continue
        groups = list(dict.fromkeys(d["group"]))
        n = d.drop_duplicates("group").set_index("group")["requests"]
        rate = d.pivot(index="group", columns="strategy", values="wrong_person_rate")
        rows = [
            [_lit(g), f"{int(n[g]):,}", *(_fmt(rate.loc[g, s], "{:.1%}") for s in strategies)]
            for g in groups
        ]
        blocks.append(Block("p", text=title))
        blocks.append(
            Block("table", header=["group", "requests", *map(_lit, strategies)], items=rows)
        )
    return blocks


def _md(text: str) -> str:
    """Block text as Markdown, every part escaped but the code spans that need no escaping."""
    out = []
    for code, part in _spans(text):
        escaped = markdown_text(part)
        # a code span shows its text raw: one whose text needs escaping is written as text
        out.append(f"`{part}`" if code and escaped == part else escaped)
    return "".join(out)


def to_markdown(blocks: list[Block], figure_dir: str = "../figures") -> str:
    """Render blocks as Markdown; figures link to ``figure_dir``/NAME.png."""
    out = []
    for b in blocks:
        if b.kind == "h1":
            out.append(f"# {_md(b.text)}\n")
        elif b.kind == "h2":
            out.append(f"## {_md(b.text)}\n")
        elif b.kind == "p":
            out.append(f"{_md(b.text)}\n")
        elif b.kind == "ul":
            out.append("\n".join(f"- {_md(item)}" for item in b.items or []) + "\n")
        elif b.kind == "table":
            header = [_md(h) for h in b.header or []]
            lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
            lines += ["| " + " | ".join(_md(str(c)) for c in row) + " |" for row in b.items or []]
            out.append("\n".join(lines) + "\n")
        elif b.kind == "figure":
            caption = _md((b.items or [""])[0])
            out.append(f"![{caption}]({figure_dir}/{b.text}.png)\n\n*{caption}*\n")
    return "\n".join(out)


STYLE = """
body { font-family: system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem;
       line-height: 1.5; color: #111; }
table { border-collapse: collapse; margin: 1rem 0; font-size: 0.9rem; display: block;
        overflow-x: auto; }
th, td { border: 1px solid #ccc; padding: 0.25rem 0.5rem; text-align: left; }
th { background: #f2f2f2; }
figure { margin: 1.5rem 0; }
figure img { max-width: 100%; height: auto; }
figcaption { font-style: italic; font-size: 0.9rem; }
code { background: #f4f4f4; padding: 0 0.2rem; }
"""


def _inline(text: str) -> str:
    """Escape text for HTML, turning `code` spans into <code>."""
    return "".join(
        f"<code>{html.escape(p)}</code>" if code else html.escape(p) for code, p in _spans(text)
    )


def to_html(blocks: list[Block], figure_dir: Path) -> str:
    """Render blocks as one self-contained HTML page: figures embedded, no script, no links out."""
    body = []
    for b in blocks:
        if b.kind in ("h1", "h2"):
            body.append(f"<{b.kind}>{_inline(b.text)}</{b.kind}>")
        elif b.kind == "p":
            body.append(f"<p>{_inline(b.text)}</p>")
        elif b.kind == "ul":
            body.append("<ul>" + "".join(f"<li>{_inline(i)}</li>" for i in b.items or []) + "</ul>")
        elif b.kind == "table":
            head = "".join(f"<th>{_inline(h)}</th>" for h in b.header or [])
            rows = "".join(
                "<tr>" + "".join(f"<td>{_inline(str(c))}</td>" for c in row) + "</tr>"
                for row in b.items or []
            )
            body.append(f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>")
        elif b.kind == "figure":
            caption = (b.items or [""])[0]
            data = base64.b64encode((figure_dir / f"{b.text}.png").read_bytes()).decode()
            body.append(
                f'<figure><img alt="{html.escape(caption)}" src="data:image/png;base64,{data}">'
                f"<figcaption>{_inline(caption)}</figcaption></figure>"
            )
    title = next((b.text for b in blocks if b.kind == "h1"), "itin-bench report")
    title = "".join(part for _, part in _spans(title))
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title><style>{STYLE}</style></head><body>\n"
        + "\n".join(body)
        + "\n</body></html>\n"
    )


def write_report(
    run_folder: str | Path,
    out: str | Path,
    *,
    scenario: Any = None,
    config: str | Path = "",
    force: bool = False,
) -> Path:
    """Write ``report.md`` and ``report.html`` for a run folder into ``out``; return the HTML path."""
    run_folder = Path(run_folder)
    blocks = build_report(run_folder, scenario, config)
    with atomic_folder(Path(out), force=force, kind="report", inputs=[run_folder / "data"]) as tmp:
        (tmp / "report.md").write_text(to_markdown(blocks), encoding="utf-8")
        (tmp / "report.html").write_text(to_html(blocks, run_folder / "figures"), encoding="utf-8")
    return Path(out) / "report.html"
