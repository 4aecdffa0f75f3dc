"""The face of ``itin-bench``: its parser, one-line errors and the exit code of every failure.

Exit codes: 0 on success, 2 on bad input (config, data files, arguments), 1 on
an internal failure, 130 when interrupted.
"""

from __future__ import annotations

import argparse
import errno
import logging
import os
import re
import sys
import traceback
from collections.abc import Iterable
from pathlib import Path
from typing import Any, NoReturn

from benchmark.cli.datasets import add_export, add_generate
from benchmark.cli.linking import add_evaluate, add_link, add_strategies
from benchmark.cli.perf import add_perf
from benchmark.cli.runs import add_paper, add_run
from data_gen.errors import InputError

# functions that read what the user gives, with the locals naming the file or folder read:
# running out of memory or stack below one of them is the input's doing, not a bug
_INPUT_READERS = {
    ("data_gen.config", "read_toml"): ("path",),
    ("data_gen.dataset", "read_manifest"): ("path", "folder"),
    ("data_gen.dataset", "read_table"): ("folder",),
    ("benchmark.evaluation.ground_truth", "load_ground_truth"): ("folder",),
    ("benchmark.strategies.link_data", "load_link_data"): ("folder",),
    ("benchmark.tables.mapping", "load_mapping"): ("path",),
    ("benchmark.tables.reading", "read_user_table"): ("path",),
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


def one_line(text: object) -> str:
    """Return ``text`` as one line, its line breaks turned into spaces.

    Parameters
    ----------
    text : object
        A message (anything with a ``str``).

    Returns
    -------
    str
        The message on one line.

    Examples
    --------
    >>> one_line("bad value\\nin line 2")
    'bad value in line 2'
    """
    return " ".join(str(text).splitlines())


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line: ``itin-bench: error: ... (see PROG --help)``."""

    def error(self, message: str) -> NoReturn:
        """Print ``message`` as the one-line error of bad arguments and exit with code 2."""
        self.exit(2, f"itin-bench: error: {one_line(message)} (see {self.prog} --help)\n")


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
    """Return the argument parser of ``itin-bench``.

    Returns
    -------
    argparse.ArgumentParser
        The parser; each subcommand sets ``func``, the command to run with the
        parsed arguments.
    """
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
    for add in (
        add_generate,
        add_export,
        add_strategies,
        add_link,
        add_evaluate,
        add_run,
        add_paper,
        add_perf,
    ):
        add(sub)
    return parser


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


def _storage_message(exc: OSError) -> str | None:
    """The one-line error of a full, read-only or forbidden place, or ``None`` for another."""
    code = exc.errno
    if code is None:  # pyarrow puts the errno in its message only
        found = re.search(r"\[errno (\d+)\]", str(exc), flags=re.IGNORECASE)
        code = int(found.group(1)) if found else None
    if code not in _STORAGE_ERRNOS:
        return None
    reason = os.strerror(code)
    return one_line(f"{exc.filename}: {reason}" if exc.filename else f"{reason} ({exc})")


def bad_input_message(exc: Exception) -> str | None:
    """Return the one-line error of a failure the user can mend, or ``None`` for a bug.

    That is running out of memory or stack while reading input (too large or
    too deeply nested), and a full, read-only or forbidden place to write.

    Parameters
    ----------
    exc : Exception
        A failure that is not an :class:`~data_gen.errors.InputError`.

    Returns
    -------
    str or None
        The message of an exit with code 2, or ``None`` (an internal error).

    Examples
    --------
    >>> import errno
    >>> bad_input_message(OSError(errno.ENOSPC, "No space left on device", "/out/x"))
    '/out/x: No space left on device'
    >>> bad_input_message(ValueError("a bug")) is None
    True
    """
    if isinstance(exc, RecursionError | MemoryError):
        where = _input_being_read(exc)
        if where is None:
            return None
        if isinstance(exc, RecursionError):
            return f"{where}: nested too deeply to read"
        return f"{where}: out of memory while reading it; the input is too large for this machine"
    if isinstance(exc, OSError):
        return _storage_message(exc)
    return None


def main(argv: list[str] | None = None) -> int:
    """Run ``itin-bench`` with ``argv`` and return the exit code.

    Parameters
    ----------
    argv : list of str, optional
        The arguments (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        0 on success, 2 on bad input, 1 on an internal failure, 130 when
        interrupted.  Bad arguments exit from the parser with code 2.
    """
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
        print(f"itin-bench: error: {one_line(exc)}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # the reader of our output went away (e.g. `| head`): not an error of ours
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        print("itin-bench: interrupted; nothing was half-written", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - last-resort handler for the exit code contract
        message = bad_input_message(exc)
        if message is not None:
            print(f"itin-bench: error: {message}", file=sys.stderr)
            return 2
        if args.debug:
            raise
        print(
            f"itin-bench: internal error: {type(exc).__name__}: {one_line(exc)}",
            file=sys.stderr,
        )
        return 1
