"""The ``itin-bench`` command line: parse the arguments, run the library, map errors to exit codes.

Exit codes: 0 on success, 2 on bad input (config, data files, arguments), 1 on
an internal failure.  The parser and the error mapping are in
:mod:`benchmark.cli.face`; the subcommands in :mod:`~benchmark.cli.datasets`
(generate, export), :mod:`~benchmark.cli.linking` (strategies, link,
evaluate), :mod:`~benchmark.cli.runs` (run, paper) and :mod:`~benchmark.cli.perf`.
"""

from __future__ import annotations

from benchmark.cli.face import build_parser, main

__all__ = ["build_parser", "main"]
