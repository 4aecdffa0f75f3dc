"""The ``itin-bench`` command line.

Exit codes: 0 on success, 2 on bad input (config, data files, arguments), 1 on
an internal failure.
"""

from __future__ import annotations

import argparse
import errno
import logging
import os
import re
import sys
import time
import traceback
from collections.abc import Iterable
from pathlib import Path
from typing import Any, NoReturn

from data_gen.errors import InputError

log = logging.getLogger("itin_bench")


def _add_generate(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("generate", help="generate a synthetic world into a dataset folder")
    p.add_argument("--config", type=Path, help="scenario TOML file (e.g. configs/smoke.toml)")
    p.add_argument("--seed", type=int, help="master seed (overrides the scenario's)")
    p.add_argument("--out", type=Path, help="dataset folder to write")
    p.add_argument("--force", action="store_true", help="replace an existing dataset folder")
    p.add_argument(
        "--scale",
        type=float,
        help="size factor replacing the scenario's `scale` (multiplies people, ZIP codes and "
        "requests.count)",
    )
    p.add_argument(
        "--list-noise",
        action="store_true",
        help="list the noise types with their default rates and exit",
    )
    p.set_defaults(func=_cmd_generate)


def _add_perf(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("perf", help="performance benchmarks that print their figures")
    psub = p.add_subparsers(dest="perf_command", required=True, metavar="BENCHMARK")
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
        type=_float_list,
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
    ev = psub.add_parser(
        "evaluate", help="time the threshold sweep and the full evaluation on N scored pairs"
    )
    ev.add_argument(
        "--pairs", type=int, default=10_000_000, help="scored pairs (default 10,000,000)"
    )
    ev.add_argument("--seed", type=int, default=0)
    ev.set_defaults(func=_cmd_perf_evaluate)
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


def _cmd_generate(args: argparse.Namespace) -> int:
    from data_gen import load_scenario, read_manifest
    from data_gen.chunks import generate_dataset
    from data_gen.dataset import check_output_folder

    if args.list_noise:
        from data_gen.noise import NOISE_TYPES

        print(f"{'noise type':22} {'family':8} {'irs':>6} {'requests':>8}  columns")
        for nt in NOISE_TYPES:
            print(
                f"{nt.name:22} {nt.family:8} {nt.irs_rate:6.3f} {nt.request_rate:8.3f}  {', '.join(nt.columns)}"
            )
        return 0
    if args.config is None or args.out is None:
        raise InputError("generate: --config and --out are required")
    if args.seed is not None and args.seed < 0:
        raise InputError(f"--seed {args.seed}: must be a non-negative integer")
    scenario = load_scenario(args.config).at_scale(args.scale)
    check_output_folder(args.out, force=args.force, kind="dataset", inputs=[args.config])
    started = time.perf_counter()
    generate_dataset(scenario, args.out, seed=args.seed, force=args.force)
    manifest = read_manifest(args.out)
    rows = {name: t["rows"] for name, t in manifest["tables"].items()}
    print(
        f"generated {scenario.name} (seed {manifest['seed']}) in {time.perf_counter() - started:.1f} s: "
        f"{rows['persons']:,} persons, {rows['households']:,} households, "
        f"{rows['irs_filers']:,} IRS records, {rows['requests']:,} requests, "
        f"{rows['truth']:,} true pairs, {rows['noise_log']:,} noised cells"
        + (f", in {manifest['chunks']} chunks" if manifest.get("chunks") else "")
    )
    req = manifest["realism"]["request_list"]
    print(
        f"request list: {req['tin_share']:.1%} with a TIN ({req['borrowed_tin_share']:.1%} of them borrowed), "
        f"{req['never_filed_share']:.1%} never filed, {req['address_outdated_share']:.1%} outdated and "
        f"{req['address_junk_share']:.1%} junk addresses"
        + (
            f"; {req['absent_share']:.1%} are people who left the area"
            if req.get("absent_share")
            else ""
        )
    )
    print(f"dataset: {args.out} (manifest.json lists every table with its content hash)")
    return 0


def _float_list(text: str) -> list[float]:
    try:
        return [float(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a comma-separated list of numbers"
        ) from None


def _cmd_perf_scaling(args: argparse.Namespace) -> int:
    from benchmark.perf.scaling import perf_scaling
    from benchmark.resources import machine
    from benchmark.strategies import get_strategy

    strategies = args.strategy or ["irs_2025", "exact_name_address", "splink"]
    for name in strategies:
        get_strategy(name)
    lines = perf_scaling(
        config=args.config,
        scales=args.scales,
        strategies=strategies,
        out=args.out,
        machine=machine(),
    )
    print("\n".join(lines))
    return 0


def _cmd_perf_generate(args: argparse.Namespace) -> int:
    from benchmark.perf.timing import perf_generate

    lines = perf_generate(persons=args.persons, config=args.config, seed=args.seed, keep=args.keep)
    print("\n".join(lines))
    return 0


def _cmd_perf_evaluate(args: argparse.Namespace) -> int:
    from benchmark.perf.timing import perf_evaluate

    print("\n".join(perf_evaluate(pairs=args.pairs, seed=args.seed)))
    return 0


def _cmd_perf_peers(args: argparse.Namespace) -> int:
    from benchmark.perf.peers import PSEUDOPEOPLE_DATASETS, perf_peers
    from benchmark.resources import machine

    given = args.pseudopeople_datasets
    datasets = (
        list(PSEUDOPEOPLE_DATASETS)
        if given is None
        else [d.strip() for d in given.split(",") if d.strip()]
    )
    command = (
        f"itin-bench perf peers --persons {args.persons} --repeats {args.repeats} "
        f"--pseudopeople-datasets {','.join(datasets)} --config {args.config} "
        f"--scale {args.scale:g} --recordlinkage-jobs {args.recordlinkage_jobs} --out {args.out}"
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
        command=command,
    )
    print("\n".join(lines))
    return 0


def _add_export(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "export",
        help="write a dataset folder as your own tables would look: requests.csv, "
        "filers.parquet and their mapping.toml",
    )
    p.add_argument("--data", type=Path, required=True, help="dataset folder written by generate")
    p.add_argument("--out", type=Path, required=True, help="folder to write")
    p.add_argument("--force", action="store_true", help="replace an existing folder")
    p.set_defaults(func=_cmd_export)


def _cmd_export(args: argparse.Namespace) -> int:
    from benchmark.tables.export import export_user_tables
    from data_gen.dataset import check_output_folder, read_manifest

    read_manifest(args.data)
    check_output_folder(args.out, force=args.force, kind="user tables", inputs=[args.data])
    out = export_user_tables(args.data, args.out, force=args.force)
    print(f"user tables: {out}/requests.csv, {out}/filers.parquet")
    print(
        f"mapping: {out}/mapping.toml (with the true person as entity_id; "
        "mapping_no_truth.toml without it)"
    )
    return 0


def _add_strategies(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("strategies", help="list the matching strategies")
    p.set_defaults(func=_cmd_strategies)


def _add_backend_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--backend",
        choices=("duckdb", "spark"),
        default="duckdb",
        help="where Splink runs (default: embedded DuckDB)",
    )
    p.add_argument("--threads", type=int, default=None, help="DuckDB threads (default: all cores)")
    p.add_argument("--memory-limit", default=None, help="DuckDB memory limit, e.g. 8GB")
    p.add_argument(
        "--spark-master",
        default="local[2]",
        help="Spark master URL (default local[2]; a cluster URL for real use)",
    )


def _add_data_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data", type=Path, help="dataset folder written by generate")
    own = p.add_argument_group(
        "your own tables (instead of --data; see the README, 'Your own data')"
    )
    own.add_argument("--requests", type=Path, help="request table, CSV (UTF-8) or Parquet")
    own.add_argument("--filers", type=Path, help="tax-record table, CSV (UTF-8) or Parquet")
    own.add_argument(
        "--mapping",
        type=Path,
        help="TOML file naming the columns of both tables (id, names, dob and its format, "
        "address, TIN, optional entity id)",
    )


def _data_source(args: argparse.Namespace):
    """The dataset folder, or the user tables read and checked through their mapping."""
    own = {"--requests": args.requests, "--filers": args.filers, "--mapping": args.mapping}
    given = [k for k, v in own.items() if v is not None]
    if args.data is not None and given:
        raise InputError(f"give either --data or {', '.join(own)}, not both")
    if args.data is None and not given:
        raise InputError(f"give --data DIR, or {', '.join(own)} for your own tables")
    if args.data is not None:
        from data_gen.dataset import read_manifest

        read_manifest(args.data)
        return args.data
    missing = [k for k, v in own.items() if v is None]
    if missing:
        raise InputError(f"{', '.join(given)} also need(s) {', '.join(missing)}")
    from benchmark.tables.user_tables import load_user_tables

    return load_user_tables(args.requests, args.filers, args.mapping)


def _input_paths(data) -> list[Path]:
    """The files and folders a command reads: its output may not overlap them."""
    paths = getattr(data, "input_paths", None)
    return list(paths) if paths is not None else [Path(data)]


def _add_link(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "link", help="run one matching strategy on a dataset folder or on your own tables"
    )
    _add_data_options(p)
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
    _add_backend_options(p)
    p.set_defaults(func=_cmd_link)


def _backend(args: argparse.Namespace):
    from benchmark.strategies import Backend

    if args.threads is not None and not 1 <= args.threads <= 1024:
        raise InputError(f"--threads {args.threads}: must be between 1 and 1024")
    if args.memory_limit is not None:
        import duckdb

        try:
            duckdb.connect(config={"memory_limit": args.memory_limit}).close()
        except duckdb.Error:
            raise InputError(
                f"--memory-limit {args.memory_limit}: not a size such as 8GB"
            ) from None
    return Backend(
        kind=args.backend,
        threads=args.threads,
        memory_limit=args.memory_limit,
        spark_master=args.spark_master,
    )


def _cmd_strategies(args: argparse.Namespace) -> int:
    from benchmark.strategies import STRATEGIES

    width = max(len(n) for n in STRATEGIES)
    for name, cls in STRATEGIES.items():
        print(f"{name:{width}}  {cls.description}")
    return 0


def _cmd_link(args: argparse.Namespace) -> int:
    from benchmark.linking.link import run_link
    from benchmark.strategies import get_strategy
    from data_gen.dataset import check_output_folder

    cls = get_strategy(args.strategy)
    if cls.supervised and args.data is None and args.requests is not None:
        raise InputError(
            f"strategy {cls.name} learns from a generated training world; user tables "
            "(--requests/--filers) can be linked with the unsupervised strategies only"
        )
    backend = _backend(args)
    data = _data_source(args)
    check_output_folder(args.out, force=args.force, kind="link", inputs=_input_paths(data))
    m = run_link(
        data,
        args.strategy,
        args.out,
        backend=backend,
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


def _add_evaluate(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "evaluate", help="score link folders against the ground truth: metrics, harm, disparities"
    )
    _add_data_options(p)
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
        default="precision_0.99",
        choices=("precision_0.95", "precision_0.99", "recall_0.90"),
        help="main operating point of scored strategies (rules use their own decision)",
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
    _add_backend_options(p)
    p.set_defaults(func=_cmd_evaluate)


def _cmd_evaluate(args: argparse.Namespace) -> int:
    from benchmark.experiments.replicates import evaluate_worlds
    from benchmark.reporting.summary import format_match_counts, format_summary, main_figures
    from data_gen.dataset import check_output_folder

    if args.replicates < 1:
        raise InputError(f"--replicates {args.replicates}: must be at least 1")
    if args.suppress_below is not None and args.suppress_below < 1:
        raise InputError(f"--suppress-below {args.suppress_below}: must be at least 1")
    backend = _backend(args)
    data = _data_source(args)
    inputs = [*_input_paths(data), *args.pairs]
    check_output_folder(args.out, force=args.force, kind="evaluation", inputs=inputs)
    m = evaluate_worlds(
        data,
        args.pairs,
        args.out,
        replicates=args.replicates,
        main_point=args.operating_point,
        backend=backend,
        force=args.force,
        suppress_below=args.suppress_below,
    )
    if not m["labelled"]:
        print(
            f"{m['n_requests']:,} requests, no ground truth (the mapping names no entity_id): "
            "match counts only, no accuracy. Each strategy at its own decision (scored "
            "strategies: every candidate pair; see score_distribution for thresholds):"
        )
        for line in format_match_counts(args.out / "match_counts.parquet"):
            print(line)
        print(f"evaluation: {args.out} (match_counts, score_distribution)")
        return 0
    several = m["replicates"] > 1
    print(
        f"{m['n_requests']:,} requests, {m['true_pairs']:,} true pairs, {m['replicates']} world(s). "
        "Each strategy at its main operating point (rules: their own decision; scored strategies: "
        "a threshold chosen with the ground truth), no one-to-one"
        + (", mean over worlds" if several else "")
        + " [95% interval]"
        + ", per 100,000 requests:"
    )
    for line in format_summary(main_figures(args.out), suppress_below=m["suppress_below"]):
        print(line)
    if not m["harm"]:
        print("harm: n/a (your tables say nothing of the households at an address)")
    tables = "threshold_sweep, outcomes, " + ("harm_summary, " if m["harm"] else "")
    print(f"evaluation: {args.out} ({tables}disparities ...)")
    return 0


def _add_run(sub: argparse._SubParsersAction) -> None:
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
    _add_backend_options(p)
    p.set_defaults(func=_cmd_run)


def _cmd_run(args: argparse.Namespace) -> int:
    from benchmark.experiments.run import check_config, run
    from benchmark.reporting.summary import format_summary, main_figures

    check_config(args.config, scale=args.scale)
    started = time.perf_counter()
    result = run(
        args.config,
        out_root=args.out_root,
        force=args.force,
        backend=_backend(args),
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


def _add_paper(sub: argparse._SubParsersAction) -> None:
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
    _add_backend_options(p)
    p.set_defaults(func=_cmd_paper)


def _cmd_paper(args: argparse.Namespace) -> int:
    from benchmark.experiments.paper import paper

    started = time.perf_counter()
    out = paper(reduced=args.reduced, out=args.out, runs_root=args.out_root, backend=_backend(args))
    print(f"paper figures and tables regenerated in {time.perf_counter() - started:.1f} s: {out}")
    return 0


def _cmd_perf_link(args: argparse.Namespace) -> int:
    from benchmark.perf.timing import perf_link
    from benchmark.strategies import get_strategy

    for name in args.strategy or []:
        get_strategy(name)
    lines = perf_link(
        data=args.data, config=args.config, strategies=args.strategy, backend=args.backend
    )
    print("\n".join(lines))
    return 0


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line: ``itin-bench: error: ... (see PROG --help)``."""

    def error(self, message: str) -> NoReturn:
        """Print ``message`` as the one-line error of bad arguments and exit with code 2."""
        self.exit(2, f"itin-bench: error: {_one_line(message)} (see {self.prog} --help)\n")


class _SubParser(_Parser):
    """A subcommand's parser: arguments it does not know are its own error.

    argparse would hand them up to ``itin-bench`` itself, whose --help does not
    list the subcommand's options.
    """

    def parse_known_args(
        self, args: Iterable[str] | None = None, namespace: Any = None
    ) -> tuple[Any, list[str]]:
        """Parse ``args``; exit with a one-line error if any is left unrecognised."""
        parsed, extras = super().parse_known_args(args, namespace)
        if extras:
            self.error(f"unrecognized arguments: {' '.join(extras)}")
        return parsed, extras


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of ``itin-bench``."""
    parser = _Parser(
        prog="itin-bench",
        description="Record-linkage accuracy benchmark for tax-record / enforcement-list matching.",
    )
    parser.add_argument(
        "-q", "--quiet", action="store_true", help="only print warnings and the summary"
    )
    parser.add_argument(
        "--debug", action="store_true", help="show the traceback of internal errors"
    )
    sub = parser.add_subparsers(
        dest="command", required=True, metavar="COMMAND", parser_class=_SubParser
    )
    _add_generate(sub)
    _add_export(sub)
    _add_strategies(sub)
    _add_link(sub)
    _add_evaluate(sub)
    _add_run(sub)
    _add_paper(sub)
    _add_perf(sub)
    return parser


# functions that read what the user gives, with the locals naming the file or folder read:
# running out of memory or stack below one of them is the input's doing, not a bug
_INPUT_READERS = {
    ("data_gen.config", "read_toml"): ("path",),
    ("data_gen.dataset", "read_manifest"): ("path", "folder"),
    ("data_gen.dataset", "read_table"): ("folder",),
    ("benchmark.evaluation.ground_truth", "load_ground_truth"): ("folder",),
    ("benchmark.strategies.base", "load_link_data"): ("folder",),
    ("benchmark.tables.user_tables", "load_mapping"): ("path",),
    ("benchmark.tables.user_tables", "read_user_table"): ("path",),
}
# parsers of files: nothing the package builds itself nests deeply enough to overflow them
_INPUT_PARSERS = ("json", "json.decoder", "tomllib._parser")
# failures of the place written to (or read from), which the user can mend
_STORAGE_ERRNOS = {
    errno.ENOSPC,
    errno.EROFS,
    errno.EACCES,
    *([errno.EDQUOT] if hasattr(errno, "EDQUOT") else []),
}


def _one_line(text: object) -> str:
    return " ".join(str(text).splitlines())


def _input_being_read(exc: BaseException) -> str | None:
    """The file being read when ``exc`` was raised (``"input"`` if unnamed), else ``None``."""
    found = None
    for frame, _ in traceback.walk_tb(exc.__traceback__):
        module = frame.f_globals.get("__name__", "")
        names = _INPUT_READERS.get((module, frame.f_code.co_name))
        if names is not None:
            values = [frame.f_locals.get(name) for name in names]
            found = next((str(v) for v in values if isinstance(v, str | Path)), "input")
        elif module in _INPUT_PARSERS and found is None:
            found = "input"
    return found


def _bad_input_message(exc: Exception) -> str | None:
    """The one-line error of a failure the user can mend (exit code 2), or ``None`` for a bug.

    That is running out of memory or stack while reading input (too large or
    too deeply nested), and a full, read-only or forbidden place to write.
    """
    if isinstance(exc, RecursionError | MemoryError):
        where = _input_being_read(exc)
        if where is None:
            return None
        if isinstance(exc, RecursionError):
            return f"{where}: nested too deeply to read"
        return f"{where}: out of memory while reading it; the input is too large for this machine"
    if isinstance(exc, OSError):
        code = exc.errno
        if code is None:  # pyarrow puts the errno in its message only
            found = re.search(r"\[errno (\d+)\]", str(exc), flags=re.IGNORECASE)
            code = int(found.group(1)) if found else None
        if code not in _STORAGE_ERRNOS:
            return None
        reason = os.strerror(code)
        return _one_line(f"{exc.filename}: {reason}" if exc.filename else f"{reason} ({exc})")
    return None


def main(argv: list[str] | None = None) -> int:
    """Run ``itin-bench`` with ``argv`` and return the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.WARNING if args.quiet else logging.INFO,
        format="%(asctime)s %(levelname)s %(message)s",
        datefmt="%H:%M:%S",
        stream=sys.stderr,
    )
    try:
        return int(args.func(args) or 0)
    except InputError as exc:
        print(f"itin-bench: error: {_one_line(exc)}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # the reader of our output went away (e.g. `| head`): not an error of ours
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        print("itin-bench: interrupted; nothing was half-written", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - last-resort handler for the exit code contract
        message = _bad_input_message(exc)
        if message is not None:
            print(f"itin-bench: error: {message}", file=sys.stderr)
            return 2
        if args.debug:
            raise
        print(
            f"itin-bench: internal error: {type(exc).__name__}: {_one_line(exc)}",
            file=sys.stderr,
        )
        return 1
