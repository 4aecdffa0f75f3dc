"""The subcommands that write datasets: ``generate`` a world, ``export`` it as user tables."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from data_gen.errors import InputError


def add_generate(sub: argparse._SubParsersAction) -> None:
    """Add the ``generate`` subcommand to ``sub``.

    Parameters
    ----------
    sub : argparse._SubParsersAction
        The subcommands of ``itin-bench``.
    """
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


def _print_noise_types() -> None:
    from data_gen.noise_registry import NOISE_TYPES

    print(f"{'noise type':22} {'family':8} {'irs':>6} {'requests':>8}  columns")
    for nt in NOISE_TYPES:
        print(
            f"{nt.name:22} {nt.family:8} {nt.irs_rate:6.3f} {nt.request_rate:8.3f}  {', '.join(nt.columns)}"
        )


def _print_dataset_summary(name: str, manifest: dict, seconds: float, out: Path) -> None:
    """Print the table sizes and the request list's realism figures of a written dataset."""
    rows = {table: t["rows"] for table, t in manifest["tables"].items()}
    print(
        f"generated {name} (seed {manifest['seed']}) in {seconds:.1f} s: "
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
    print(f"dataset: {out} (manifest.json lists every table with its content hash)")


def _cmd_generate(args: argparse.Namespace) -> int:
    from data_gen import load_scenario, read_manifest
    from data_gen.chunks import generate_dataset
    from data_gen.dataset import check_output_folder

    if args.list_noise:
        _print_noise_types()
        return 0
    if args.config is None or args.out is None:
        raise InputError("generate: --config and --out are required")
    # the scenario's own check says "<overrides>: seed", not the option given
    if args.seed is not None and args.seed < 0:
        raise InputError(f"--seed {args.seed}: must be a non-negative integer")
    scenario = load_scenario(args.config).at_scale(args.scale)
    # generate_dataset checks the folder only once the world is made; refuse before that
    check_output_folder(args.out, force=args.force, kind="dataset", inputs=[args.config])
    started = time.perf_counter()
    generate_dataset(scenario, args.out, seed=args.seed, force=args.force)
    manifest = read_manifest(args.out)
    _print_dataset_summary(scenario.name, manifest, time.perf_counter() - started, args.out)
    return 0


def add_export(sub: argparse._SubParsersAction) -> None:
    """Add the ``export`` subcommand to ``sub``.

    Parameters
    ----------
    sub : argparse._SubParsersAction
        The subcommands of ``itin-bench``.
    """
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

    # export_user_tables checks the folder only once it has read both tables
    read_manifest(args.data)
    check_output_folder(args.out, force=args.force, kind="user tables", inputs=[args.data])
    out = export_user_tables(args.data, args.out, force=args.force)
    print(f"user tables: {out}/requests.csv, {out}/filers.parquet")
    print(
        f"mapping: {out}/mapping.toml (with the true person as entity_id; "
        "mapping_no_truth.toml without it)"
    )
    return 0
