"""The calibration's second wave: history matching, so the kept region is well covered.

A first wave of draws over the whole prior (a Sobol design) finds where the
record can be reproduced; most of the prior cannot.  An emulator of each
aggregate (a quadratic ridge regression on the open settings, its error from
cross-validation) is fitted to the first wave, and a second Sobol design over
the prior keeps only the candidates whose predicted aggregates are not
implausible: within three standard deviations (the tolerance and the
emulator's error combined) of every published value (history matching:
Craig et al. 1997; Vernon, Goldstein and Bower 2010).  Both waves are uniform
over the prior where they reach, so the kept draws of both together are
uniform over the region the record allows.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

log = logging.getLogger(__name__)

CUTOFF = 3.0  # the usual implausibility cut-off (Pukelsheim's three-sigma rule)
CANDIDATES_PER_DRAW = 64


def emulators(first: pd.DataFrame, settings: list[str], targets: list[str]) -> dict:
    """A fitted emulator per aggregate, with its cross-validated error (one SD)."""
    from sklearn.linear_model import RidgeCV
    from sklearn.model_selection import cross_val_predict
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import PolynomialFeatures, StandardScaler

    ok = first[first["status"] == "ok"].dropna(subset=targets)
    x = ok[settings].to_numpy(dtype=float)
    out = {}
    for t in targets:
        y = ok[t].to_numpy(dtype=float)
        model = make_pipeline(
            StandardScaler(), PolynomialFeatures(2), RidgeCV(alphas=np.logspace(-3, 3, 13))
        )
        folds = min(5, len(y))
        predicted = cross_val_predict(model, x, y, cv=folds)
        out[t] = (model.fit(x, y), float(np.std(y - predicted)))
    return out


def implausibility(
    candidates: pd.DataFrame,
    models: dict,
    settings: list[str],
    published: dict[str, float],
    noise: dict[str, float],
) -> np.ndarray:
    """The largest standardised distance of any predicted aggregate from its published value.

    ``noise`` is each aggregate's standard deviation in one draw (its
    tolerance over z); the emulator's own error is added in quadrature.
    """
    x = candidates[settings].to_numpy(dtype=float)
    worst = np.zeros(len(candidates))
    for t, (model, sd) in models.items():
        distance = np.abs(model.predict(x) - published[t]) / np.hypot(noise[t], sd)
        worst = np.maximum(worst, distance)
    return worst


def second_wave(
    first: pd.DataFrame,
    candidates: pd.DataFrame,
    n: int,
    settings: list[str],
    published: dict[str, float],
    noise: dict[str, float],
) -> pd.DataFrame:
    """The first ``n`` candidates, in design order, that are not implausible.

    See :func:`implausibility` for ``noise``.  With too few drawn
    compositions to fit on, no second wave is drawn.
    """
    ok = first[first["status"] == "ok"]
    if len(ok) < 3 * len(settings):
        log.warning("calibration: %d drawn compositions, too few for a second wave", len(ok))
        return candidates.iloc[:0]
    models = emulators(first, settings, list(published))
    score = implausibility(candidates, models, settings, published, noise)
    chosen = candidates[score <= CUTOFF].head(n).copy()
    chosen["implausibility"] = score[score <= CUTOFF][: len(chosen)]
    log.info(
        "calibration: %d of %d candidates not implausible; drawing %d",
        int((score <= CUTOFF).sum()),
        len(candidates),
        len(chosen),
    )
    return chosen
