"""recordlinkage's unsupervised ``ECMClassifier`` on the translated Splink levels.

The comparison levels (:func:`benchmark.perf.peer_linkage.recordlinkage_compare`)
become features under one of several encodings (:data:`ENCODINGS`), the ECM is
fitted and scores every pair, and the toolkit's log messages and numpy's
warnings are kept out of the output (:func:`quiet_toolkit`).  Used by
``itin-bench perf peers``.
"""

from __future__ import annotations

import contextlib
import logging
import time
import warnings
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from benchmark.perf.peer_linkage import ComparisonLevels

ENCODINGS = {
    "exact_agreement": "one 0/1 feature per comparison: its exact level (missing = disagree); init 'jaro'",
    "level_indicators": "one 0/1 feature per comparison and level: at least that level; init 'jaro'",
    "levels_as_categories": "one categorical feature per comparison: its Splink level; init 'random' (seed 0)",
}


def encode(
    levels: pd.DataFrame, comparisons: list[ComparisonLevels], encoding: str
) -> pd.DataFrame:
    """Comparison levels as the features an ``ECMClassifier`` takes (see :data:`ENCODINGS`).

    Returns
    -------
    DataFrame
        int8 features on the index of ``levels``.

    Raises
    ------
    ValueError
        If ``encoding`` is not a key of :data:`ENCODINGS`.
    """
    if encoding == "exact_agreement":
        cols = {c.name: (levels[c.name] == c.top).astype(np.int8) for c in comparisons}
    elif encoding == "level_indicators":
        cols = {
            f"{c.name}>={k}": (levels[c.name] >= k).astype(np.int8)
            for c in comparisons
            for k in range(1, c.top + 1)
        }
    elif encoding == "levels_as_categories":
        cols = {c.name: (levels[c.name] + 1).astype(np.int8) for c in comparisons}
    else:
        raise ValueError(f"unknown encoding {encoding!r}")
    return pd.DataFrame(cols, index=levels.index)


class _ToolkitMessages(logging.Filter):
    """Keeps recordlinkage's log messages out of the output; its warnings are kept as data."""

    def __init__(self) -> None:
        super().__init__()
        self.messages: list[str] = []

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name == "recordlinkage" or "recordlinkage" in record.pathname:
            if record.levelno >= logging.WARNING:
                self.messages.append(record.getMessage())
            return False
        return True


@contextlib.contextmanager
def quiet_toolkit() -> Iterator[_ToolkitMessages]:
    """Silence recordlinkage's log messages and numpy's warnings, keeping its warnings as data.

    recordlinkage logs progress (and its ECM's convergence, on the root logger)
    and numpy warns of log(0) in its ECM; the report states both outcomes instead.

    Yields
    ------
    logging.Filter
        Its ``messages``: the toolkit's warnings logged inside the block.
    """
    loggers = (logging.getLogger(), logging.getLogger("recordlinkage"))
    keep = _ToolkitMessages()
    for lg in loggers:
        lg.addFilter(keep)
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            yield keep
    finally:
        for lg in loggers:
            lg.removeFilter(keep)


def ecm_scores(features: pd.DataFrame, encoding: str) -> dict[str, Any]:
    """Fit recordlinkage's ``ECMClassifier`` on ``features`` and score every pair.

    Returns
    -------
    dict
        ``prob`` (match probability per pair; NaN where the fit broke down),
        ``fit_s``, ``prob_s``, ``lambda`` (the fitted match share) and
        ``messages`` (the toolkit's own warnings, e.g. "might not converged").
    """
    import recordlinkage

    state = np.random.get_state()
    try:
        with quiet_toolkit() as notes:
            if encoding == "levels_as_categories":
                np.random.seed(0)
            ecm = recordlinkage.ECMClassifier(
                init="random" if encoding == "levels_as_categories" else "jaro"
            )
            t0 = time.perf_counter()
            ecm.fit(features)
            fit_s = time.perf_counter() - t0
            t0 = time.perf_counter()
            prob = np.asarray(ecm.prob(features), dtype=float)
            prob_s = time.perf_counter() - t0
    finally:
        np.random.set_state(state)
    return {
        "prob": prob,
        "fit_s": fit_s,
        "prob_s": prob_s,
        "lambda": float(np.exp(ecm.kernel.class_log_prior_[1])),
        "messages": notes.messages,
    }
