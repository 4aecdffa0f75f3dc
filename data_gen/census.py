"""Census reference tables as fast samplers (loaded once per process)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import numpy as np
import pandas as pd

# Census 2010 SF1 national counts by group (non-Hispanic races + Hispanic), used to
# turn P(ZCTA | group) into people per ZCTA and group.
GROUP_TOTALS_2010 = {
    "white": 196_817_552,
    "black": 37_685_848,
    "api": 14_946_700,
    "native": 2_247_098,
    "multiple": 5_966_481,
    "hispanic": 50_477_594,
}
# Puerto Rico and other territories: their residents are citizens (or nationals) by birth
# and much of their income has no federal filing duty, so the world uses the 50 states and DC.
TERRITORIES = frozenset({"PR", "VI", "GU", "AS", "MP", "FM", "MH", "PW", "AA", "AE", "AP"})
# column suffix of each origin group in the Census name tables
NAME_COLUMN = {
    "white": "pctwhite",
    "black": "pctblack",
    "api": "pctapi",
    "native": "pctaian",
    "multiple": "pct2prace",
    "hispanic": "pcthispanic",
}


def _read(name: str, **kwargs) -> pd.DataFrame:
    with resources.files("data_gen.reference").joinpath(name).open("rb") as fh:
        return pd.read_csv(fh, compression="gzip", keep_default_na=False, **kwargs)


@dataclass(frozen=True)
class Sampler:
    """Draw items with fixed weights by inverse-CDF lookup (fast for large vocabularies)."""

    items: np.ndarray
    cdf: np.ndarray

    @classmethod
    def from_weights(cls, items: np.ndarray, weights: np.ndarray) -> "Sampler":
        """Build a sampler from items and non-negative weights (zero-weight items dropped)."""
        keep = weights > 0
        cdf = np.cumsum(weights[keep], dtype=float)
        return cls(np.asarray(items, dtype=object)[keep], cdf / cdf[-1])

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """Return ``n`` items drawn with replacement."""
        idx = np.searchsorted(self.cdf, rng.random(n), side="right")
        return self.items[np.minimum(idx, len(self.items) - 1)]


@lru_cache(maxsize=1)
def surname_table() -> pd.DataFrame:
    """Census 2010 surnames with per-group percentages."""
    return _read("census2010_surnames.csv.gz", dtype={"name": str})


@lru_cache(maxsize=1)
def first_name_table() -> pd.DataFrame:
    """Census 2020 first names with per-group and per-sex percentages."""
    return _read("census2020_first_names.csv.gz", dtype={"name": str})


@lru_cache(maxsize=None)
def surname_sampler(origin: str) -> Sampler:
    """Surnames weighted by count × share of ``origin`` among the name's bearers."""
    t = surname_table()
    return Sampler.from_weights(
        t["name"].to_numpy(), t["count"].to_numpy() * t[NAME_COLUMN[origin]].to_numpy()
    )


@lru_cache(maxsize=None)
def first_name_sampler(origin: str, sex: str) -> Sampler:
    """First names weighted by count × share of ``origin`` × share of ``sex`` ("F"/"M")."""
    t = first_name_table()
    sex_col = "pctmale" if sex == "M" else "pctfemale"
    weights = t["count"].to_numpy() * t[NAME_COLUMN[origin]].to_numpy() * t[sex_col].to_numpy()
    return Sampler.from_weights(t["name"].to_numpy(), weights)


@lru_cache(maxsize=1)
def zip_table() -> pd.DataFrame:
    """ZCTAs that are active standard ZIP codes of the 50 states and DC, with city, state, county and group shares."""
    import zipcodes

    z = pd.DataFrame(
        [
            (r["zip_code"], r["city"].upper(), r["state"], (r["county"] or "").upper())
            for r in zipcodes.list_all()
            if r["zip_code_type"] == "STANDARD" and r["active"] and r["state"] not in TERRITORIES
        ],
        columns=["zip", "city", "state", "county"],
    )
    shares = _read("zcta2010_share_of_group.csv.gz", dtype={"zcta5": str}).rename(
        columns={"zcta5": "zip"}
    )
    for group in GROUP_TOTALS_2010:
        shares[group] = pd.to_numeric(shares[group], errors="coerce").fillna(0.0)
    out = shares.merge(z, on="zip", how="inner")
    return out.sort_values("zip", ignore_index=True)
