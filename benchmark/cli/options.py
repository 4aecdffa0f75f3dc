"""Options several subcommands share: where Splink runs, which data is read, lists of numbers."""

from __future__ import annotations

import argparse
from pathlib import Path

from data_gen.errors import InputError


def float_list(text: str) -> list[float]:
    """Parse a comma-separated list of numbers (an argparse ``type``).

    Parameters
    ----------
    text : str
        The option's value, e.g. ``0.01,0.1,1``.

    Returns
    -------
    list of float
        The numbers, empty items left out.

    Raises
    ------
    argparse.ArgumentTypeError
        If an item is not a number.

    Examples
    --------
    >>> float_list("0.01, 0.1,,1")
    [0.01, 0.1, 1.0]
    """
    try:
        return [float(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a comma-separated list of numbers"
        ) from None


def add_backend_options(p: argparse.ArgumentParser) -> None:
    """Add ``--backend``, ``--threads``, ``--memory-limit`` and ``--spark-master`` to ``p``.

    Parameters
    ----------
    p : argparse.ArgumentParser
        A subcommand's parser.
    """
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


def add_data_options(p: argparse.ArgumentParser) -> None:
    """Add ``--data`` and, as the alternative, ``--requests``, ``--filers`` and ``--mapping``.

    Parameters
    ----------
    p : argparse.ArgumentParser
        A subcommand's parser.
    """
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


def backend(args: argparse.Namespace):
    """Return the :class:`~benchmark.strategies.Backend` the backend options ask for.

    Parameters
    ----------
    args : argparse.Namespace
        Parsed arguments of a parser given :func:`add_backend_options`.

    Returns
    -------
    Backend

    Raises
    ------
    InputError
        If ``--threads`` is outside 1 to 1024 or ``--memory-limit`` is not a size.
    """
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


def data_source(args: argparse.Namespace):
    """Return the dataset folder, or the user tables read and checked through their mapping.

    Parameters
    ----------
    args : argparse.Namespace
        Parsed arguments of a parser given :func:`add_data_options`.

    Returns
    -------
    Path or UserTables
        ``--data`` (its manifest read), or the tables of ``--requests`` and
        ``--filers`` read through ``--mapping``.

    Raises
    ------
    InputError
        If both or neither kind of input is given, or a user table lacks its
        companions.
    """
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


def input_paths(data) -> list[Path]:
    """Return the files and folders a command reads: its output may not overlap them.

    Parameters
    ----------
    data : Path or UserTables
        What :func:`data_source` returned.

    Returns
    -------
    list of Path

    Examples
    --------
    >>> [str(p) for p in input_paths(Path("data/smoke"))]
    ['data/smoke']
    """
    paths = getattr(data, "input_paths", None)
    return list(paths) if paths is not None else [Path(data)]
