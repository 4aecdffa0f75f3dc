"""The subcommands of whole jobs: the main ``run`` of a scenario and the ``paper`` figures."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from benchmark.cli.options import add_backend_options, backend


def add_run(sub: argparse._SubParsersAction) -> None:
    """Add the ``run`` subcommand to ``sub``.

    Parameters
    ----------
    sub : argparse._SubParsersAction
        The subcommands of ``itin-bench``.
    """
    p = sub.add_parser(
        "run", help="the main job: generate, link every strategy, evaluate, draw, report"
    )
    p.add_argument(
        "--config",
        type=Path,
        default=Path("configs") / "default.toml",
        help="scenario TOML (default configs/default.toml); its [run] table sets strategies, "
        "replicates and the main operating point",
    )
    p.add_argument(
        "--out-root",
        type=Path,
        default=Path("results") / "runs",
        help="runs are written to OUT_ROOT/<scenario name> (default results/runs)",
    )
    p.add_argument("--force", action="store_true", help="redo every stage, even unchanged ones")
    p.add_argument(
        "--scale",
        type=float,
        help="size factor replacing the scenario's `scale` (e.g. 0.01 for a quick look at "
        "configs/irs_ice_2025.toml, where 1.0 is the whole 1.28-million-request file)",
    )
    add_backend_options(p)
    p.set_defaults(func=_cmd_run)


def _cmd_run(args: argparse.Namespace) -> int:
    from benchmark.experiments.run import run
    from benchmark.reporting.summary import format_summary, main_figures

    chosen = backend(args)
    started = time.perf_counter()
    # run checks the scenario (check_config) before any stage
    result = run(
        args.config,
        out_root=args.out_root,
        force=args.force,
        backend=chosen,
        scale=args.scale,
    )
    reused = [s["stage"] for s in result.stages if s["reused"]]
    replicates = result.scenario.run.replicates
    print(
        f"{result.scenario.name}: {len(result.stages)} stages in {time.perf_counter() - started:.1f} s"
        + (f" ({len(reused)} reused unchanged: {', '.join(reused)})" if reused else "")
    )
    print(
        "Each strategy at its main operating point, no one-to-one"
        + (f", mean over {replicates} worlds" if replicates > 1 else "")
        + " [95% interval]"
        + ", per 100,000 requests:"
    )
    for line in format_summary(main_figures(result.folder / "evaluation")):
        print(line)
    print(f"report: {result.report}")
    return 0


def add_paper(sub: argparse._SubParsersAction) -> None:
    """Add the ``paper`` subcommand to ``sub``.

    Parameters
    ----------
    sub : argparse._SubParsersAction
        The subcommands of ``itin-bench``.
    """
    p = sub.add_parser("paper", help="regenerate results/paper/ (figures and tables a paper cites)")
    p.add_argument(
        "--reduced",
        action="store_true",
        help="the small version in results/paper_reduced/ (a minute; checked by a test)",
    )
    p.add_argument("--out", type=Path, default=None, help="write here instead")
    p.add_argument(
        "--out-root",
        type=Path,
        default=Path("results") / "runs",
        help="where the underlying run is written and reused (default results/runs)",
    )
    add_backend_options(p)
    p.set_defaults(func=_cmd_paper)


def _cmd_paper(args: argparse.Namespace) -> int:
    from benchmark.experiments.paper import paper

    started = time.perf_counter()
    out = paper(reduced=args.reduced, out=args.out, runs_root=args.out_root, backend=backend(args))
    print(f"paper figures and tables regenerated in {time.perf_counter() - started:.1f} s: {out}")
    return 0
