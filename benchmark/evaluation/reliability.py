"""Reliability of a model's match probabilities: what it claims against what is true.

A model that says "0.99" should be right 99 times in 100.  The candidate pairs
are binned by their claimed probability and each bin's share of true pairs is
set against the bin's mean claim, with a Wilson 95% interval.  The pairs are
those the strategy scored (after its blocking), so the lowest bins describe
the candidates it proposed, not every possible pair.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from benchmark.evaluation.disparities import wilson_interval

# finer bins near 1, where thresholds for enforcement use are set
BIN_EDGES = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99, 0.999, 1.0)
RELIABILITY_COLUMNS = ("bin_low", "bin_high", "pairs", "true_pairs", "claimed", "realised",
                       "realised_ci_low", "realised_ci_high")


def reliability(probabilities: np.ndarray, is_true: np.ndarray) -> pd.DataFrame:
    """Claimed against realised match probability per bin of :data:`BIN_EDGES`.

    Parameters
    ----------
    probabilities : ndarray of float
        Each candidate pair's claimed match probability.
    is_true : ndarray of bool
        Whether each pair is a true pair.

    Returns
    -------
    DataFrame
        :data:`RELIABILITY_COLUMNS`, one row per bin holding any pair: the bin's
        edges, its pairs and true pairs, the mean claim and the realised
        share of true pairs with its Wilson interval.

    Examples
    --------
    >>> t = reliability(np.array([0.05, 0.97, 0.98]), np.array([False, True, False]))
    >>> t[["bin_low", "pairs", "true_pairs"]].values.tolist()
    [[0.0, 1.0, 0.0], [0.95, 2.0, 1.0]]
    """
    p = np.asarray(probabilities, dtype=float)
    y = np.asarray(is_true, dtype=bool)
    edges = np.asarray(BIN_EDGES)
    # the top bin is closed: a claim of exactly 1 belongs to it
    bins = np.clip(np.searchsorted(edges, p, side="right") - 1, 0, len(edges) - 2)
    frame = pd.DataFrame({"bin": bins, "p": p, "y": y})
    g = frame.groupby("bin", sort=True)
    out = pd.DataFrame(
        {"pairs": g.size(), "true_pairs": g["y"].sum(), "claimed": g["p"].mean()}
    ).reset_index()
    out.insert(0, "bin_low", edges[out["bin"].to_numpy()])
    out.insert(1, "bin_high", edges[out["bin"].to_numpy() + 1])
    k, n = out["true_pairs"].to_numpy(float), out["pairs"].to_numpy(float)
    out["realised"] = k / n
    out["realised_ci_low"], out["realised_ci_high"] = wilson_interval(k, n)
    return out[list(RELIABILITY_COLUMNS)]
