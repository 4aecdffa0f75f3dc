"""The report of ``itin-bench perf peers``: its printed lines and its results README."""

from __future__ import annotations

from typing import Any

import pandas as pd

from benchmark.perf.peer_generators import OBSERVED_TABLES

# the speed-up issue 6 asks of both the generator and the splink strategy
ACCEPTANCE_RATIO = 10.0


def _ratio(a: float, b: float) -> float:
    return a / b if b > 0 else float("inf")


def _yes(flag: bool) -> str:
    return "met" if flag else "NOT met"


def package_list(packages: dict) -> str:
    """Return package versions as one line.

    Parameters
    ----------
    packages : dict
        Package name to version.

    Returns
    -------
    str

    Examples
    --------
    >>> package_list({"splink": "5.0.0", "duckdb": "1.1"})
    'splink 5.0.0, duckdb 1.1'
    """
    return ", ".join(f"{k} {v}" for k, v in packages.items())


def generator_ratio(gens: pd.DataFrame) -> float:
    """Return our records per second over those of pseudopeople's fastest call.

    Parameters
    ----------
    gens : DataFrame
        :func:`~benchmark.perf.peer_generators.generator_summary`'s table.

    Returns
    -------
    float
        The speed-up (``inf`` if pseudopeople made no records).
    """
    ours = gens[gens["tool"] == "itin-bench"].iloc[0]
    peer = gens[gens["tool"] == "pseudopeople"].sort_values("records_per_s").iloc[-1]
    return _ratio(ours["records_per_s"], peer["records_per_s"])


def _generator_lines(gens: pd.DataFrame) -> list[str]:
    """The generators' table and how much faster ours is."""
    lines = [
        f"generators (in memory, nothing written; median of {int(gens['runs'].max())} run(s) "
        "after one untimed call):",
        f"  {'tool':13} {'call':36} {'records':>10} {'all rows':>10} {'seconds':>8} {'records/s':>10}",
    ]
    for _, g in gens.iterrows():
        call = (
            g["call"]
            if g["tool"] == "itin-bench"
            else f"{g['call']}, {g['datasets']} sample datasets"
        )
        lines.append(
            f"  {g['tool']:13} {call:36} {g['records']:>10,} {g['all_rows']:>10,} "
            f"{g['seconds']:>8.2f} {g['records_per_s']:>10,.0f}"
        )
    ours = gens[gens["tool"] == "itin-bench"].iloc[0]
    peer = gens[gens["tool"] == "pseudopeople"].sort_values("records_per_s").iloc[-1]
    lines.append(
        f"  generator / pseudopeople ({peer['call']}): {generator_ratio(gens):.1f}x in noised records per "
        f"second ({', '.join(OBSERVED_TABLES)} against pseudopeople's records); "
        f"{_ratio(ours['all_rows_per_s'], peer['all_rows_per_s']):.1f}x counting all rows of our 10 tables"
    )
    return lines


def _linkage_lines(link: dict[str, Any], about: dict, methods: pd.DataFrame) -> list[str]:
    """The linkage world, the candidate pairs and level checks, and the methods' table head."""
    sp, rl = methods.loc["splink"], methods.loc["recordlinkage"]
    lv = link["levels"]
    worst = lv.sort_values("identical_share").iloc[0]
    return [
        f"linkage: {about['scenario']} at scale {about['scale']:g} (seed {about['seed']}): "
        f"{about['requests']:,} requests x {about['records']:,} IRS records, {link['true_pairs']:,} true pairs",
        f"  candidate pairs: {int(sp['candidate_pairs']):,} from the splink strategy's "
        f"{link['rules']} blocking rules; recordlinkage's Index gives "
        f"{int(rl['candidate_pairs']):,}, the same set: {'yes' if link['same_pairs'] else 'NO'}; "
        f"{link['true_pairs_found'] / max(link['true_pairs'], 1):.1%} of true pairs among them",
        f"  comparison levels: recordlinkage's equal Splink's on "
        f"{lv['identical_share'].mean():.2%} of pair-comparisons "
        f"({len(lv)} comparisons; lowest {worst['comparison']} {worst['identical_share']:.2%})",
        f"  {'method':14} {'pairs':>10} {'normalise s':>11} {'train s':>8} {'scoring s':>9} "
        f"{'other s':>7} {'total s':>8} {'scoring pairs/s':>15} {'total pairs/s':>13} "
        f"{'precision':>9} {'recall':>7} {'recall@P.99':>11}",
    ]


def _method_rows(methods: pd.DataFrame) -> list[str]:
    """One line per method: pairs, stage seconds, pairs per second, accuracy."""
    return [
        f"  {name:14} {int(r['candidate_pairs']):>10,} {r['normalise_s']:>11.1f} "
        f"{r['train_s']:>8.1f} {r['scoring_s']:>9.1f} {r['other_s']:>7.1f} "
        f"{r['end_to_end_s']:>8.1f} {r['scoring_pairs_per_s']:>15,.0f} "
        f"{r['end_to_end_pairs_per_s']:>13,.0f} {r['precision']:>9.3f} {r['recall']:>7.3f} "
        f"{r['recall_at_precision_0.99']:>11.3f}"
        for name, r in methods.iterrows()
    ]


def _stage_notes(stages: dict[str, dict[str, float]]) -> list[str]:
    """What each stage column holds, with the seconds of the steps inside them."""
    return [
        "  normalise: the shared feature table (same code for both, timed once); scoring: "
        "candidate pairs, their comparisons and their scores",
        f"    splink: its predict step (blocking, comparisons, match weights, fetched as pairs) "
        f"{stages['splink']['predict_s']:.1f} s; train: the rest of the strategy (estimating lambda, "
        f"u and m); other: the model JSON and per-rule pair counts it also writes",
        f"    recordlinkage: Index {stages['recordlinkage']['index_s']:.1f} s + Compare "
        f"{stages['recordlinkage']['compare_s']:.1f} s + ECM prob "
        f"{stages['recordlinkage']['ecm_prob_s']:.1f} s; train: ECM fit",
        "    decisions at match probability >= 0.5 (splink: match weight >= 0); recall@P.99: "
        "the most recall at precision >= 0.99, threshold chosen with the truth (nan: not reached)",
    ]


def _encoding_lines(link: dict[str, Any]) -> list[str]:
    """recordlinkage's ECM under each feature encoding, and which one its row uses."""
    lines = [
        "  recordlinkage's ECM under each feature encoding of the same levels (its row above: "
        f"{link['encoding']}, the best complete fit by F1, chosen with the truth):",
    ]
    for _, e in link["encodings"].iterrows():
        broke = f"; {e['nan_scores']:,} NaN scores" if e["nan_scores"] else ""
        warn = f"; toolkit: {e['toolkit_warning']}" if e["toolkit_warning"] else ""
        lines.append(
            f"    {e['encoding']:21} {e['features']:>3} features, fit {e['fit_s']:.1f} s, match "
            f"share {e['match_share']:.4f}, precision {e['precision']:.3f}, recall "
            f"{e['recall']:.3f}{broke}{warn}"
        )
    return lines


def _acceptance_lines(gen_ratio: float, methods: pd.DataFrame) -> list[str]:
    """Whether the generator and the splink strategy are fast enough beside their peers."""
    sp, rl = methods.loc["splink"], methods.loc["recordlinkage"]
    link_ratio = _ratio(sp["scoring_pairs_per_s"], rl["scoring_pairs_per_s"])
    total_ratio = _ratio(sp["end_to_end_pairs_per_s"], rl["end_to_end_pairs_per_s"])
    as_good = sp["precision"] >= rl["precision"] and sp["recall"] >= rl["recall"]
    return [
        "acceptance (issue 6):",
        f"  generator >= {ACCEPTANCE_RATIO:g}x pseudopeople's records per second: "
        f"{_yes(gen_ratio >= ACCEPTANCE_RATIO)} ({gen_ratio:.1f}x)",
        f"  splink scores pairs >= {ACCEPTANCE_RATIO:g}x as fast as recordlinkage at equal or "
        f"better precision and recall: {_yes(link_ratio >= ACCEPTANCE_RATIO and as_good)} "
        f"({link_ratio:.1f}x scoring, {total_ratio:.1f}x end to end; precision "
        f"{sp['precision']:.3f} vs {rl['precision']:.3f}, recall {sp['recall']:.3f} vs "
        f"{rl['recall']:.3f})",
    ]


def report_lines(
    gens: pd.DataFrame, link: dict[str, Any], about: dict, machine: str, packages: dict
) -> list[str]:
    """Return the printed report: machine, generator throughput, linkage speed and accuracy, acceptance.

    Parameters
    ----------
    gens : DataFrame
        :func:`~benchmark.perf.peer_generators.generator_summary`'s table.
    link : dict
        What :func:`~benchmark.perf.peer_link_timing.link_peers` returns.
    about : dict
        :func:`~benchmark.perf.peer_link_timing.world_for_linkage`'s summary.
    machine : str
        The machine, as :func:`benchmark.resources.machine` describes it.
    packages : dict
        Package name to version.

    Returns
    -------
    list of str
        The report's lines.
    """
    methods = link["methods"].set_index("method")
    return [
        f"machine: {machine}",
        f"packages: {package_list(packages)}",
        *_generator_lines(gens),
        *_linkage_lines(link, about, methods),
        *_method_rows(methods),
        *_stage_notes(link["stages"]),
        *_encoding_lines(link),
        *_acceptance_lines(generator_ratio(gens), methods),
    ]


def readme_text(command: str, machine: str, packages: dict, lines: list[str]) -> str:
    """Return the results README: what was measured and how, then the printed report.

    Parameters
    ----------
    command : str
        The ``itin-bench perf peers`` command line that made the results.
    machine : str
        The machine, as :func:`benchmark.resources.machine` describes it.
    packages : dict
        Package name to version.
    lines : list of str
        The report (:func:`report_lines`).

    Returns
    -------
    str
        The Markdown text.
    """
    body = "\n".join(lines)
    return (
        "# The generator and the splink strategy beside their peers\n\n"
        f"Made by `{command}` on {machine}, with {package_list(packages)}.\n\n"
        "**Generators.** pseudopeople's `generate_<dataset>()` on its bundled sample data "
        "(default source, seed and noise), for its default year 2020 and for all years of the "
        "sample, against `data_gen.generate_world` on a world of the built-in scenario scaled to "
        "the given number of persons.  Both return noised records in memory; nothing is "
        "written.  pseudopeople noises a population simulated beforehand; our time includes "
        "simulating the population.  Our comparable count is the noised observation tables "
        f"({', '.join(OBSERVED_TABLES)}); all rows of all ten tables are shown beside it.  "
        "Imports are not timed; each tool makes one small untimed call first; figures are the "
        "median over runs (`generators.csv` has every call).\n\n"
        "**Linkage.** One generated world.  recordlinkage's candidate pairs come from the "
        "splink strategy's blocking rules, each translated to `Index.block` keys (substrings "
        "as key columns, a missing-value rule as two blocks), their union as Splink takes it; "
        "its `Compare` computes each Splink comparison level by level on the same normalised "
        "columns (jaro-winkler from recordlinkage, edit distances from jellyfish, dates and "
        "exact matches vectorised); its unsupervised `ECMClassifier` scores the pairs.  The "
        "splink strategy runs as `itin-bench link` runs it (training included).  The report "
        "says whether the two candidate-pair sets are identical, and `comparison_levels.csv` "
        "how often recordlinkage's level equals the one Splink computes for the same pair.  "
        "Splink's term-frequency adjustments have no recordlinkage equivalent.  Precision "
        "and recall count every true pair of the world (blocking losses are misses).  "
        "`ecm_encodings.csv` shows the ECM under three feature encodings of the same levels; "
        "the report's recordlinkage row uses the one with the best F1 at its own decision "
        "among those that scored every pair (chosen with the truth, in recordlinkage's favour)."
        "\n\n"
        "```\n" + body + "\n```\n"
    )
