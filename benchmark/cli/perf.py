"""The ``perf`` subcommands: benchmarks of speed and memory that print their figures."""

from __future__ import annotations

import argparse
from pathlib import Path

from benchmark.cli.options import float_list


def add_perf(sub: argparse._SubParsersAction) -> None:
    """Add ``perf`` and its benchmarks (generate, link, scaling, evaluate, peers, calibrate).

    Parameters
    ----------
    sub : argparse._SubParsersAction
        The subcommands of ``itin-bench``.
    """
    p = sub.add_parser("perf", help="performance benchmarks that print their figures")
    psub = p.add_subparsers(dest="perf_command", required=True, metavar="BENCHMARK")
    _add_perf_generate(psub)
    _add_perf_link(psub)
    _add_perf_scaling(psub)
    _add_perf_evaluate(psub)
    _add_perf_peers(psub)
    _add_perf_calibrate(psub)


def _add_perf_calibrate(psub: argparse._SubParsersAction) -> None:
    ca = psub.add_parser(
        "calibrate", help="time and peak memory of the whole 2025 calibration (every draw)"
    )
    ca.add_argument(
        "--config",
        type=Path,
        default=Path("configs") / "irs_ice_2025.toml",
        help="scenario with a [calibration] table (default configs/irs_ice_2025.toml)",
    )
    ca.add_argument(
        "--draws", type=int, default=None, help="replace calibration.draws (default: the config's)"
    )
    ca.add_argument(
        "--out",
        type=Path,
        default=Path("results") / "perf" / "calibrate",
        help="new folder for the figures (default results/perf/calibrate)",
    )
    ca.set_defaults(func=_cmd_perf_calibrate)


def _cmd_perf_calibrate(args: argparse.Namespace) -> int:
    from benchmark.perf.calibrate import perf_calibrate
    from benchmark.resources import machine

    command = f"itin-bench perf calibrate --config {args.config} --out {args.out}" + (
        f" --draws {args.draws}" if args.draws is not None else ""
    )
    lines = perf_calibrate(
        args.config, draws=args.draws, out=args.out, command=command, machine=machine()
    )
    print("\n".join(lines))
    return 0


def _add_perf_generate(psub: argparse._SubParsersAction) -> None:
    g = psub.add_parser(
        "generate", help="time the generator on a world of N persons and report peak memory"
    )
    g.add_argument("--persons", type=int, default=1_000_000, help="world size (default 1,000,000)")
    g.add_argument(
        "--config",
        type=Path,
        default=None,
        help="scenario to scale to --persons (default: the built-in defaults, as in configs/default.toml)",
    )
    g.add_argument("--seed", type=int, default=None)
    g.add_argument(
        "--keep", type=Path, default=None, help="write the dataset to this new folder and keep it"
    )
    g.set_defaults(func=_cmd_perf_generate)


def _add_perf_link(psub: argparse._SubParsersAction) -> None:
    lk = psub.add_parser(
        "link", help="time every strategy on one world (default: configs/default.toml)"
    )
    lk.add_argument(
        "--data", type=Path, default=None, help="an existing dataset folder (default: generate one)"
    )
    lk.add_argument(
        "--config",
        type=Path,
        default=None,
        help="scenario to generate (default configs/default.toml)",
    )
    lk.add_argument(
        "--strategy", action="append", default=None, help="only this strategy (repeatable)"
    )
    lk.add_argument("--backend", choices=("duckdb", "spark"), default="duckdb")
    lk.set_defaults(func=_cmd_perf_link)


def _add_perf_scaling(psub: argparse._SubParsersAction) -> None:
    sc = psub.add_parser(
        "scaling",
        help="time and peak memory of every stage at several sizes, with growth exponents",
    )
    sc.add_argument(
        "--config",
        type=Path,
        default=Path("configs") / "national.toml",
        help="scenario whose `scale` is varied (default configs/national.toml, where 1.0 "
        "is the national 1.28-million-request file)",
    )
    sc.add_argument(
        "--scales",
        type=float_list,
        default=[0.01, 0.03, 0.1, 0.3, 1.0],
        help="comma-separated sizes (default 0.01,0.03,0.1,0.3,1: up to the national run, "
        "about 50 minutes on 2 cores)",
    )
    sc.add_argument(
        "--strategy",
        action="append",
        default=None,
        help="strategy to time (repeatable; default irs_2025, exact_name_address, splink)",
    )
    sc.add_argument(
        "--out",
        type=Path,
        default=Path("results") / "perf" / "scaling",
        help="new folder for the table, exponents and figure (default results/perf/scaling)",
    )
    sc.set_defaults(func=_cmd_perf_scaling)


def _add_perf_evaluate(psub: argparse._SubParsersAction) -> None:
    ev = psub.add_parser(
        "evaluate", help="time the threshold sweep and the full evaluation on N scored pairs"
    )
    ev.add_argument(
        "--pairs", type=int, default=10_000_000, help="scored pairs (default 10,000,000)"
    )
    ev.add_argument("--seed", type=int, default=0)
    ev.set_defaults(func=_cmd_perf_evaluate)


def _add_perf_peers(psub: argparse._SubParsersAction) -> None:
    pe = psub.add_parser(
        "peers",
        help="the generator against pseudopeople and the splink strategy against recordlinkage "
        "(needs the perf extra)",
    )
    pe.add_argument(
        "--persons",
        type=int,
        default=1_000_000,
        help="size of our generator's world (default 1,000,000)",
    )
    pe.add_argument(
        "--repeats", type=int, default=3, help="timed runs of each generator (default 3)"
    )
    pe.add_argument(
        "--pseudopeople-datasets",
        default=None,
        help="comma-separated pseudopeople datasets to generate (default: all seven)",
    )
    pe.add_argument(
        "--config",
        type=Path,
        default=Path("configs") / "irs_ice_2025.toml",
        help="scenario of the linkage world (default configs/irs_ice_2025.toml)",
    )
    pe.add_argument(
        "--scale",
        type=float,
        default=0.1,
        help="size factor of the linkage world (default 0.1: 128,000 requests)",
    )
    pe.add_argument(
        "--recordlinkage-jobs",
        type=int,
        default=1,
        help="recordlinkage Compare n_jobs (default 1, its own default)",
    )
    pe.add_argument(
        "--out",
        type=Path,
        default=Path("results") / "perf" / "peers",
        help="new folder for the tables and README (default results/perf/peers)",
    )
    pe.set_defaults(func=_cmd_perf_peers)


def _cmd_perf_generate(args: argparse.Namespace) -> int:
    from benchmark.perf.timing import perf_generate

    lines = perf_generate(persons=args.persons, config=args.config, seed=args.seed, keep=args.keep)
    print("\n".join(lines))
    return 0


def _cmd_perf_link(args: argparse.Namespace) -> int:
    from benchmark.perf.timing import perf_link

    lines = perf_link(
        data=args.data, config=args.config, strategies=args.strategy, backend=args.backend
    )
    print("\n".join(lines))
    return 0


def _cmd_perf_scaling(args: argparse.Namespace) -> int:
    from benchmark.perf.scaling import perf_scaling
    from benchmark.resources import machine

    lines = perf_scaling(
        config=args.config,
        scales=args.scales,
        strategies=args.strategy or ["irs_2025", "exact_name_address", "splink"],
        out=args.out,
        machine=machine(),
    )
    print("\n".join(lines))
    return 0


def _cmd_perf_evaluate(args: argparse.Namespace) -> int:
    from benchmark.perf.timing import perf_evaluate

    print("\n".join(perf_evaluate(pairs=args.pairs, seed=args.seed)))
    return 0


def _peers_command(args: argparse.Namespace, datasets: list[str]) -> str:
    """The ``itin-bench perf peers`` command line the results README names, every option given."""
    return (
        f"itin-bench perf peers --persons {args.persons} --repeats {args.repeats} "
        f"--pseudopeople-datasets {','.join(datasets)} --config {args.config} "
        f"--scale {args.scale:g} --recordlinkage-jobs {args.recordlinkage_jobs} --out {args.out}"
    )


def _cmd_perf_peers(args: argparse.Namespace) -> int:
    from benchmark.perf.peer_generators import PSEUDOPEOPLE_DATASETS
    from benchmark.perf.peers import perf_peers
    from benchmark.resources import machine

    given = args.pseudopeople_datasets
    datasets = (
        list(PSEUDOPEOPLE_DATASETS)
        if given is None
        else [d.strip() for d in given.split(",") if d.strip()]
    )
    lines = perf_peers(
        persons=args.persons,
        repeats=args.repeats,
        datasets=datasets,
        config=args.config,
        scale=args.scale,
        n_jobs=args.recordlinkage_jobs,
        out=args.out,
        machine=machine(),
        command=_peers_command(args, datasets),
    )
    print("\n".join(lines))
    return 0
