"""Probabilistic (Fellegi-Sunter) strategies with Splink, and supervised classifiers.

All three families share one Splink model shape: the same comparisons on the
normalised columns and the same blocking rules, chosen to keep at least 98% of
true request-record pairs at a pair count that grows about linearly with the
world (see :func:`blocking_rules`).
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from benchmark.strategies.base import Backend, LinkData, Strategy
from benchmark.strategies.features import (
    CACHED_MAX_ROWS,
    CACHED_WORLDS,
    FEATURE_COLUMNS,
    content_key,
    prepare,
)
from benchmark.strategies.splink_jobs import PAIR_COLUMNS, register, select_columns, to_pairs

log = logging.getLogger(__name__)

MODEL_COLUMNS = [c for c in FEATURE_COLUMNS if c != "unique_id"]
SEED = 20250627  # fixes Splink's u sampling; the data's own seed varies per world
# EM blocked on the date of birth alone sees blocks that grow with the world: above this many
# pairs Splink trains on a hashed sample of records (no sampling below it, so worlds up to the
# 2025 file at scale 0.1 train on every pair)
EM_MAX_PAIRS = 10_000_000


def blocking_rules() -> list:
    """Candidate pairs: any of these rules (OR).

    They keep about 98% of true pairs: 98.5% on the 2025 file at every size,
    98.2% on the default world.
    No rule joins on a single common value: a date of birth, or a first and
    last name, alone makes blocks that grow with the world, so candidate pairs
    would grow with the square of its size (at the national size, 400 million
    pairs from the date of birth alone).  Each such key is paired with a name
    prefix, a birth year or date, or a ZIP code.
    """
    from splink import block_on

    return [
        block_on("tin"),
        block_on("dob", "substr(first_norm, 1, 2)"),
        block_on("dob", "substr(last_norm, 1, 2)"),
        block_on("first1", "last1", "dob_year"),
        # a typo in the birth year
        block_on("first1", "last1", "substr(dob, 6, 5)"),
        block_on("first1", "last1", "zip5"),
        # no date of birth on one side
        "l.first1 = r.first1 AND l.last1 = r.last1 AND (l.dob IS NULL OR r.dob IS NULL)",
        block_on("dob", "zip5"),
        block_on("last1", "zip5"),
        block_on("zip5", "house", "substr(first_norm, 1, 1)"),
        block_on("name_control", "dob_year", "zip5"),
        # first and last name swapped
        "l.first1 = r.last1 AND l.last1 = r.first1",
    ]


def comparisons() -> list:
    """Comparisons on names (with term-frequency adjustments), date of birth, address and TIN."""
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl

    surname = cl.CustomComparison(
        output_column_name="last_name",
        comparison_description="surname, with compound-surname levels",
        comparison_levels=[
            cll.NullLevel("last_norm"),
            cll.ExactMatchLevel("last_norm").configure(tf_adjustment_column="last_norm"),
            cll.ExactMatchLevel("last1").configure(tf_adjustment_column="last1"),
            cll.ArrayIntersectLevel("last_tokens", min_intersection=1),
            cll.JaroWinklerLevel("last_norm", 0.9),
            cll.JaroWinklerLevel("last_norm", 0.8),
            cll.ElseLevel(),
        ],
    )
    return [
        cl.NameComparison("first_norm").configure(term_frequency_adjustments=True),
        surname,
        cl.DateOfBirthComparison("dob", input_is_string=True),
        cl.LevenshteinAtThresholds("house", [1]),
        cl.JaroWinklerAtThresholds("street_norm", [0.9]),
        cl.LevenshteinAtThresholds("zip5", [1]),
        cl.ExactMatch("unit_norm"),
        cl.DamerauLevenshteinAtThresholds("tin", [1]),
    ]


def settings(retain: list[str] | None = None, *, keep_levels: bool = False) -> Any:
    """The Splink settings shared by the Splink strategies and the classifiers."""
    from splink import SettingsCreator

    return SettingsCreator(
        link_type="link_only",
        unique_id_column_name="unique_id",
        comparisons=comparisons(),
        blocking_rules_to_generate_predictions=blocking_rules(),
        retain_matching_columns=keep_levels,
        retain_intermediate_calculation_columns=keep_levels,
        additional_columns_to_retain=retain or [],
        probability_two_random_records_match=1e-4,
    )


def _linker(backend: Backend, data: LinkData, model: Any, extra: list[str] | None = None) -> Any:
    from splink import Linker

    req, rec = prepare(data)
    sdf_req, sdf_rec = register(backend, req, rec, MODEL_COLUMNS + (extra or []))
    return Linker([sdf_req, sdf_rec], model, log_level=logging.ERROR)


def _blocking_counts(linker: Any) -> list[dict]:
    rows = linker.blocking_analysis.count_comparisons_from_blocking_rules(
        record_sample_proportion=1.0
    )
    return [
        {
            "match_key": i,
            "rule": r["blocking_rule"],
            "marginal_pairs": int(r["marginal_comparison_count"]),
            "cumulative_pairs": int(r["cumulative_comparison_count"]),
        }
        for i, r in enumerate(rows)
    ]


class SplinkEM(Strategy):
    """Unsupervised Fellegi-Sunter: u by random sampling, m and λ by EM, TF on names."""

    name = "splink"
    plain_name = "a probabilistic model (Splink, no labels)"
    colour = "#0072B2"
    description = "Splink Fellegi-Sunter model trained without labels (u by sampling, m by EM, name TF); score = match weight"
    natural_threshold: ClassVar[float | None] = None
    rule: ClassVar[bool] = False
    score_scale: ClassVar[str | None] = "match_weight"

    def link(self, data: LinkData, backend: Backend) -> pd.DataFrame:
        from splink import block_on

        linker = _linker(backend, data, settings())
        t = linker.training
        t.estimate_probability_two_random_records_match(
            [block_on("first_norm", "last_norm", "dob")], recall=0.5
        )
        t.estimate_u_using_random_sampling(max_pairs=2e6, seed=SEED)
        # two passes whose blocked pairs are mostly true matches but not all: blocking on
        # address or surname alone lets EM learn "same household" instead of "same person"
        for columns in (("dob",), ("first_norm", "last_norm")):
            session = t.estimate_parameters_using_expectation_maximisation(
                block_on(*columns), max_pairs=EM_MAX_PAIRS
            )
            lam = session.core_model_settings.probability_two_random_records_match
            if lam > 0.95:
                log.warning(
                    "splink: EM blocked on %s converged to λ = %.4f; its m estimates are suspect",
                    " + ".join(columns),
                    lam,
                )
        return self._predict(linker)

    def _predict(self, linker: Any) -> pd.DataFrame:
        pred = select_columns(
            linker.inference.predict(warning_mode="never"),
            lambda c: c in PAIR_COLUMNS or c == "match_weight",
        )
        self.artifacts["model.json"] = linker.misc.save_model_to_json()
        self.artifacts["blocking_rules.json"] = _blocking_counts(linker)
        return to_pairs(pred, pred["match_weight"])


class SplinkSupervised(SplinkEM):
    """Fellegi-Sunter with m-probabilities (and λ) estimated from labels of a training world."""

    name = "splink_supervised"
    plain_name = "a probabilistic model trained on labelled data"
    colour = "#D55E00"
    description = "Splink model with m and λ from the labels of a separately seeded training world; score = match weight"
    supervised = True

    def __init__(self) -> None:
        super().__init__()
        self._model: dict | None = None

    def fit(self, train: LinkData, backend: Backend) -> "SplinkSupervised":
        linker = _linker(backend, train, settings(), extra=["person_id"])
        linker.training.estimate_u_using_random_sampling(max_pairs=2e6, seed=SEED)
        linker.training.estimate_m_from_label_column("person_id")
        model = linker.misc.save_model_to_json()
        assert train.labels is not None
        n_pairs = len(train.requests) * len(train.records)
        model["probability_two_random_records_match"] = max(len(train.labels), 1) / n_pairs
        model.pop("additional_columns_to_retain", None)
        self._model = model
        return self

    def link(self, data: LinkData, backend: Backend) -> pd.DataFrame:
        if self._model is None:
            raise RuntimeError("splink_supervised: call fit() on a training world first")
        linker = _linker(backend, data, self._model)
        return self._predict(linker)


# both classifiers read the same comparison levels of a world (and of its training world)
_LEVELS: OrderedDict[str, tuple[pd.DataFrame, list[str]]] = OrderedDict()


def comparison_features(data: LinkData, backend: Backend) -> tuple[pd.DataFrame, list[str]]:
    """Candidate pairs from the shared blocking rules with their comparison levels (gamma_*).

    The last two worlds' levels are kept in memory (keyed by the tables' content
    and the backend) and handed out as copies: a run's classifiers compute them once.
    """
    if len(data.records) > CACHED_MAX_ROWS:
        return _comparison_features(data, backend)
    key = "|".join(
        (
            backend.kind,
            content_key(data.requests),
            content_key(data.records),
            str(data.labels is None),
        )
    )
    if key not in _LEVELS:
        _LEVELS[key] = _comparison_features(data, backend)
        while len(_LEVELS) > CACHED_WORLDS:
            _LEVELS.popitem(last=False)
    _LEVELS.move_to_end(key)
    feats, gammas = _LEVELS[key]
    return feats.copy(), list(gammas)


def _comparison_features(data: LinkData, backend: Backend) -> tuple[pd.DataFrame, list[str]]:
    linker = _linker(backend, data, settings(keep_levels=True))
    pred = select_columns(
        linker.inference.predict(warning_mode="never"),
        lambda c: c in PAIR_COLUMNS or c.startswith("gamma_"),
    )
    gammas = sorted(c for c in pred.columns if c.startswith("gamma_"))
    feats = pred[gammas].astype("int64").reset_index(drop=True)
    left = pred["source_dataset_l"].to_numpy() == "requests"
    req_id = np.where(left, pred["unique_id_l"], pred["unique_id_r"]).astype("int64")
    rec_id = np.where(left, pred["unique_id_r"], pred["unique_id_l"]).astype("int64")
    feats.insert(0, "request_id", req_id)
    feats.insert(1, "record_id", rec_id)
    feats = feats.sort_values(["request_id", "record_id"], ignore_index=True)
    return feats, gammas


class _Classifier(SplinkEM):
    supervised = True
    natural_threshold = 0.5
    score_scale = "probability"

    def _model(self) -> Any:  # pragma: no cover - defined by subclasses
        raise NotImplementedError

    def fit(self, train: LinkData, backend: Backend) -> "_Classifier":
        feats, self._gammas = comparison_features(train, backend)
        assert train.labels is not None
        truth = set(zip(train.labels["request_id"], train.labels["record_id"], strict=True))
        y = np.fromiter(
            ((q, r) in truth for q, r in zip(feats["request_id"], feats["record_id"], strict=True)),
            bool,
            len(feats),
        )
        self._clf = self._model().fit(feats[self._gammas], y)
        log.info("%s trained on %d candidate pairs (%d true)", self.name, len(y), int(y.sum()))
        return self

    def link(self, data: LinkData, backend: Backend) -> pd.DataFrame:
        feats, _ = comparison_features(data, backend)
        score = self._clf.predict_proba(feats[self._gammas])[:, 1]
        return pd.DataFrame(
            {"request_id": feats["request_id"], "record_id": feats["record_id"], "score": score}
        )


class LogisticClassifier(_Classifier):
    """Logistic regression on one-hot comparison levels."""

    name = "classifier_logistic"
    plain_name = "logistic regression"
    colour = "#CC79A7"
    description = "scikit-learn logistic regression on one-hot Splink comparison levels, trained on a separate world; score = P(match)"

    def _model(self) -> Any:
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import OneHotEncoder

        return make_pipeline(
            OneHotEncoder(handle_unknown="ignore"),
            LogisticRegression(max_iter=2000, C=1.0, random_state=0),
        )


class BoostedClassifier(_Classifier):
    """Gradient-boosted trees on comparison levels."""

    name = "classifier_boosted"
    plain_name = "gradient-boosted trees"
    colour = "#F0E442"
    description = "scikit-learn gradient-boosted trees on Splink comparison levels, trained on a separate world; score = P(match)"

    def _model(self) -> Any:
        from sklearn.ensemble import HistGradientBoostingClassifier

        return HistGradientBoostingClassifier(max_iter=200, learning_rate=0.1, random_state=0)
