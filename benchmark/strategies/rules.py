"""Deterministic and fuzzy rule strategies, run through Splink's ``deterministic_link``.

Rules are expressed on symmetric keys computed beforehand (a key is null where
a rule does not apply), so the same Splink job gives the same pairs on DuckDB
and on Spark.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from rapidfuzz.distance import JaroWinkler

from benchmark.strategies.base import Backend, LinkData, Strategy
from benchmark.strategies.features import prepare
from benchmark.strategies.splink_jobs import deterministic_pairs


def _join(*cols: pd.Series) -> pd.Series:
    """Join parts with '|'; null if any part is missing."""
    arrays = [c.to_numpy(dtype=object) for c in cols]
    joined = [
        "|".join(parts) if all(isinstance(p, str) for p in parts) else None
        for parts in zip(*arrays, strict=True)
    ]
    return pd.Series(joined, index=cols[0].index, dtype=object)


class Irs2025(Strategy):
    """The 2025 two-path protocol as court filings describe it."""

    name = "irs_2025"
    plain_name = "the 2025 IRS matching script"
    colour = "#000000"
    description = (
        "2025 IRS script: TIN path (TIN + name control equal, address only checked for a "
        "ZIP-like token) for requests with a TIN; exact name + house number + street + ZIP otherwise"
    )

    def link(self, data: LinkData, backend: Backend) -> pd.DataFrame:
        req, rec = prepare(data)
        from splink import block_on

        return deterministic_pairs(
            backend,
            self.request_keys(req),
            self.record_keys(rec),
            [block_on("tin_key"), block_on("addr_key")],
            list(self.KEYS),
        )

    KEYS = ("tin_key", "addr_key")

    @staticmethod
    def request_keys(req: pd.DataFrame) -> pd.DataFrame:
        """Request features with the two paths' keys (``tin_key``, ``addr_key``)."""
        has_tin = req["tin"].notna()
        # TIN path: the request's address field must hold a 5- or 9-digit token
        req = req.assign(
            tin_key=_join(req["tin"], req["name_control"]).where(
                has_tin & req["addr_has_zip"], None
            )
        )
        # address path: only requests without a TIN (the two paths are mutually exclusive)
        req["addr_key"] = _join(
            req["first_norm"], req["last_norm"], req["house"], req["street_norm"], req["zip5"]
        ).where(~has_tin, None)
        return req

    @staticmethod
    def record_keys(rec: pd.DataFrame) -> pd.DataFrame:
        """Record features with the keys the two paths compare."""
        rec = rec.assign(tin_key=_join(rec["tin"], rec["name_control"]))
        rec["addr_key"] = _join(
            rec["first_norm"], rec["last_norm"], rec["house"], rec["street_norm"], rec["zip5"]
        )
        return rec


class ExactNameAddress(Strategy):
    """Exact normalised first and last name, house number, street and ZIP."""

    name = "exact_name_address"
    plain_name = "exact name and address"
    colour = "#E69F00"
    description = "exact normalised first name, last name, house number, street and ZIP"

    def link(self, data: LinkData, backend: Backend) -> pd.DataFrame:
        from splink import block_on

        req, rec = prepare(data)
        cols = ["first_norm", "last_norm", "house", "street_norm", "zip5"]
        return deterministic_pairs(backend, req, rec, [block_on(*cols)], cols)


class NameDob(Strategy):
    """The voter-roll "Crosscheck" rule."""

    name = "name_dob"
    plain_name = "exact name and date of birth"
    colour = "#56B4E9"
    description = "exact first name, last name and date of birth (the Crosscheck rule)"

    def link(self, data: LinkData, backend: Backend) -> pd.DataFrame:
        from splink import block_on

        req, rec = prepare(data)
        cols = ["first_norm", "last_norm", "dob"]
        return deterministic_pairs(backend, req, rec, [block_on(*cols)], cols)


class FuzzyRules(Strategy):
    """String similarity on names with address or TIN agreement.

    Candidates share a ZIP code, a TIN, or a house number and street; the
    score is the mean Jaro-Winkler similarity of first (first word) and last
    name (best of full name and first surname), counted only where the ZIP
    and house number, or the TIN, agree.  The natural decision is score ≥ 0.9.
    """

    name = "fuzzy_rules"
    plain_name = "fuzzy name rules"
    colour = "#009E73"
    description = (
        "Jaro-Winkler ≥ 0.9 on first and last name, with ZIP + house number or TIN agreeing"
    )
    natural_threshold = 0.9

    def link(self, data: LinkData, backend: Backend) -> pd.DataFrame:
        from splink import block_on

        req, rec = prepare(data)
        cols = ["zip5", "house", "street_norm", "tin"]
        cand = deterministic_pairs(
            backend,
            req,
            rec,
            [block_on("zip5", "house"), block_on("tin"), block_on("house", "street_norm")],
            cols,
        )
        q = req.set_index("request_id").loc[cand["request_id"]]
        r = rec.set_index("record_id").loc[cand["record_id"]]
        first = _jw(q["first1"], r["first1"])
        last = np.maximum(_jw(q["last_norm"], r["last_norm"]), _jw(q["last1"], r["last1"]))
        same_place = (q["zip5"].to_numpy() == r["zip5"].to_numpy()) & (
            q["house"].to_numpy() == r["house"].to_numpy()
        )
        same_tin = q["tin"].notna().to_numpy() & (q["tin"].to_numpy() == r["tin"].to_numpy())
        score = np.where(same_place | same_tin, (first + last) / 2, 0.0)
        return cand.assign(score=score)


def _jw(a: pd.Series, b: pd.Series) -> np.ndarray:
    return np.array(
        [
            JaroWinkler.similarity(x, y) if isinstance(x, str) and isinstance(y, str) else 0.0
            for x, y in zip(a.to_numpy(), b.to_numpy(), strict=True)
        ]
    )
