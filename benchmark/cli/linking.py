"""The subcommands of linkage: list the ``strategies``, ``link`` with one, ``evaluate`` links."""

from __future__ import annotations

import argparse
from pathlib import Path

from benchmark.cli.options import (
    add_backend_options,
    add_data_options,
    backend,
    data_source,
    input_paths,
)
from benchmark.evaluation.operating_points import DEFAULT_MAIN, MAIN_CHOICES
from data_gen.errors import InputError


def add_strategies(sub: argparse._SubParsersAction) -> None:
    """Add the ``strategies`` subcommand to ``sub``.

    Parameters
    ----------
    sub : argparse._SubParsersAction
        The subcommands of ``itin-bench``.
    """
    p = sub.add_parser("strategies", help="list the matching strategies")
    p.set_defaults(func=_cmd_strategies)


def _cmd_strategies(args: argparse.Namespace) -> int:
    from benchmark.strategies import STRATEGIES

    width = max(len(n) for n in STRATEGIES)
    for name, cls in STRATEGIES.items():
        print(f"{name:{width}}  {cls.description}")
    return 0


def add_link(sub: argparse._SubParsersAction) -> None:
    """Add the ``link`` subcommand to ``sub``.

    Parameters
    ----------
    sub : argparse._SubParsersAction
        The subcommands of ``itin-bench``.
    """
    p = sub.add_parser(
        "link", help="run one matching strategy on a dataset folder or on your own tables"
    )
    add_data_options(p)
    p.add_argument(
        "--strategy",
        required=True,
        help="a name from `itin-bench strategies`, or package.module:ClassName",
    )
    p.add_argument("--out", type=Path, required=True, help="link folder to write")
    p.add_argument(
        "--one-to-one", action="store_true", help="keep each request's and record's best pair only"
    )
    p.add_argument("--force", action="store_true", help="replace an existing link folder")
    p.add_argument(
        "--write-records",
        action="store_true",
        help="also write records.parquet: every pair with both sides' names, dates of birth, "
        "addresses and TINs (personal data; off by default)",
    )
    add_backend_options(p)
    p.set_defaults(func=_cmd_link)


def _cmd_link(args: argparse.Namespace) -> int:
    from benchmark.linking.link import run_link
    from benchmark.strategies import get_strategy
    from data_gen.dataset import check_output_folder

    cls = get_strategy(args.strategy)
    # run_link refuses these too, but only once the user tables have been read
    if cls.supervised and args.data is None and args.requests is not None:
        raise InputError(
            f"strategy {cls.name} learns from a generated training world; user tables "
            "(--requests/--filers) can be linked with the unsupervised strategies only"
        )
    chosen = backend(args)
    data = data_source(args)
    # run_link checks the folder only once it has read the tables it links
    check_output_folder(args.out, force=args.force, kind="link", inputs=input_paths(data))
    m = run_link(
        data,
        args.strategy,
        args.out,
        backend=chosen,
        one_to_one=args.one_to_one,
        force=args.force,
        write_records=args.write_records,
    )
    pc = m["pair_completeness"]
    print(
        f"{m['strategy']}: {m['pairs']:,} pairs ({m['candidate_pairs']:,} candidates, "
        f"{'n/a' if pc is None else f'{pc:.1%}'} of true pairs among them) in {m['timings_seconds']['total']:.1f} s on {m['backend']}"
    )
    print(f"pairs: {args.out / 'pairs.parquet'}")
    if args.write_records:
        print(f"records with names (personal data): {args.out / 'records.parquet'}")
    return 0


def add_evaluate(sub: argparse._SubParsersAction) -> None:
    """Add the ``evaluate`` subcommand to ``sub``.

    Parameters
    ----------
    sub : argparse._SubParsersAction
        The subcommands of ``itin-bench``.
    """
    p = sub.add_parser(
        "evaluate", help="score link folders against the ground truth: metrics, harm, disparities"
    )
    add_data_options(p)
    p.add_argument(
        "--pairs",
        type=Path,
        action="append",
        required=True,
        help="a link folder written by link, or a folder of them (repeatable)",
    )
    p.add_argument("--out", type=Path, required=True, help="evaluation folder to write")
    p.add_argument(
        "--replicates",
        type=int,
        default=1,
        help="worlds to evaluate: this one plus K-1 more of the same scenario under derived "
        "seeds, each linked with the same strategies (default 1)",
    )
    p.add_argument(
        "--operating-point",
        default=DEFAULT_MAIN,
        choices=MAIN_CHOICES,
        help="main operating point of scored strategies (rules use their own decision); "
        "training_* needs --thresholds, else the first of model_precision_0.99, "
        "precision_0.99 the strategy has is used",
    )
    p.add_argument(
        "--thresholds",
        type=Path,
        default=None,
        metavar="PATH",
        help="thresholds tuned on another labelled world of the scenario: its evaluation "
        "folder, or a thresholds.csv; they set the training_* operating points",
    )
    p.add_argument("--force", action="store_true", help="replace an existing evaluation folder")
    p.add_argument(
        "--suppress-below",
        type=int,
        default=None,
        metavar="N",
        help="blank every reported count from 1 to N-1, and the figures computed from them "
        "(for runs on real data)",
    )
    add_backend_options(p)
    p.set_defaults(func=_cmd_evaluate)


def _print_match_counts(m: dict, out: Path) -> None:
    """Print what an evaluation without ground truth found: match counts only."""
    from benchmark.reporting.summary import format_match_counts

    print(
        f"{m['n_requests']:,} requests, no ground truth (the mapping names no entity_id): "
        "match counts only, no accuracy. Each strategy at its own decision (scored "
        "strategies: every candidate pair; see score_distribution for thresholds):"
    )
    for line in format_match_counts(out / "match_counts.parquet"):
        print(line)
    print(f"evaluation: {out} (match_counts, score_distribution)")


def _print_figures(m: dict, out: Path) -> None:
    """Print the main figures of an evaluation against the ground truth."""
    from benchmark.reporting.summary import format_summary, main_figures

    several = m["replicates"] > 1
    print(
        f"{m['n_requests']:,} requests, {m['true_pairs']:,} true pairs, {m['replicates']} world(s). "
        "Each strategy at its main operating point (rules: their own decision; scored strategies: "
        "the point named after them), no one-to-one"
        + (", mean over worlds" if several else "")
        + " [95% interval]"
        + ", per 100,000 requests:"
    )
    for line in format_summary(main_figures(out), suppress_below=m["suppress_below"]):
        print(line)
    if not m["harm"]:
        print("harm: n/a (your tables say nothing of the households at an address)")
    tables = "threshold_sweep, outcomes, " + ("harm_summary, " if m["harm"] else "")
    print(f"evaluation: {out} ({tables}disparities ...)")


def _cmd_evaluate(args: argparse.Namespace) -> int:
    from benchmark.experiments.replicates import evaluate_worlds

    chosen = backend(args)
    data = data_source(args)
    # evaluate_worlds refuses a bad --replicates, --suppress-below or --out before any work
    m = evaluate_worlds(
        data,
        args.pairs,
        args.out,
        replicates=args.replicates,
        main_point=args.operating_point,
        thresholds=args.thresholds,
        backend=chosen,
        force=args.force,
        suppress_below=args.suppress_below,
    )
    if m["labelled"]:
        _print_figures(m, args.out)
    else:
        _print_match_counts(m, args.out)
    return 0
