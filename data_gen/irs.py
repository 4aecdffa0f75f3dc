"""The IRS side: taxpayer records from the latest return, and dependents."""

from __future__ import annotations

import numpy as np
import pandas as pd

from data_gen.noise import apply_noise
from data_gen.text import fold_accents_each


def _full_surname(persons: pd.DataFrame) -> np.ndarray:
    pat = persons["surname_paternal"].to_numpy(dtype=object)
    mat = persons["surname_maternal"].to_numpy(dtype=object, na_value=None)
    return np.array(
        [p if m is None else f"{p} {m}" for p, m in zip(pat, mat, strict=True)], dtype=object
    )


def irs_tables(
    persons: pd.DataFrame,
    addresses: pd.DataFrame,
    irs_address: np.ndarray,
    *,
    rates: dict[str, float],
    seed: int,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Build ``irs_filers`` and ``irs_dependents`` and noise the filers as filed.

    Parameters
    ----------
    persons : DataFrame
        Persons with filing columns (see ``filing.assign_tins_and_filing``).
    addresses : DataFrame
        The housing stock.
    irs_address : array of int
        Address on the latest return, per household.
    rates : dict
        IRS-side noise rates.
    seed : int
        Master seed.

    Returns
    -------
    filers, dependents, noise_log : DataFrame
    """
    filers = persons[persons["is_filer"]].copy()
    # primary before spouse within a return, returns in order of their primary filer
    filers["_order"] = np.where(filers["filing_role"] == "primary", 0, 1)
    filers = filers.sort_values(["return_head", "_order"], kind="stable")
    return_ids = pd.factorize(filers["return_head"].to_numpy(), sort=True)[0].astype(np.int64)
    head_to_return = dict(zip(filers["return_head"].to_numpy(), return_ids, strict=True))
    tin = np.where(filers["ssn"].notna(), filers["ssn"], filers["itin"])
    tin_type = np.where(filers["ssn"].notna(), "SSN", "ITIN").astype(object)
    middle = filers["middle_name"].to_numpy(dtype=object, na_value=None)
    addr = addresses.iloc[irs_address[filers["household_id"].to_numpy()]]
    out = pd.DataFrame(
        {
            "record_id": np.arange(len(filers), dtype=np.int64),
            "person_id": filers["person_id"].to_numpy(),
            "return_id": return_ids,
            "role": filers["filing_role"].to_numpy(dtype=object),
            "tin": tin.astype(object),
            "tin_type": tin_type,
            "first_name": filers["given_name"].to_numpy(dtype=object),
            # Form 1040 asks for the first name and middle initial
            "middle_name": fold_accents_each(pd.Series(middle, dtype=object).str[0].to_numpy()),
            "last_name": _full_surname(filers),
            "dob": filers["dob"].to_numpy(),
            "house_number": addr["house_number"].to_numpy(dtype=object),
            "street": addr["street"].to_numpy(dtype=object),
            "unit": addr["unit"].to_numpy(dtype=object),
            "city": addr["city"].to_numpy(dtype=object),
            "state": addr["state"].to_numpy(dtype=object),
            "zip": addr["zip"].to_numpy(dtype=object),
            "household_id": filers["household_id"].to_numpy(),
        }
    )
    noised, log = apply_noise(
        out,
        table_name="irs_filers",
        key="record_id",
        rates=rates,
        seed=seed,
        origin=filers["origin"].to_numpy(dtype=object),
    )
    return noised, _dependents(persons, head_to_return), log


def _dependents(persons: pd.DataFrame, head_to_return: dict) -> pd.DataFrame:
    """The ``irs_dependents`` table: children claimed on a return, as filed (accents folded)."""
    deps = persons[persons["is_dependent"]]
    dep_tin = np.where(deps["ssn"].notna(), deps["ssn"], deps["itin"])
    return pd.DataFrame(
        {
            "return_id": np.array(
                [head_to_return[h] for h in deps["dependent_of"].to_numpy()], dtype=np.int64
            ),
            "person_id": deps["person_id"].to_numpy(),
            "first_name": fold_accents_each(deps["given_name"].to_numpy(dtype=object)),
            "last_name": fold_accents_each(_full_surname(deps)),
            "tin": dep_tin.astype(object),
            "tin_type": np.where(deps["ssn"].notna(), "SSN", "ITIN").astype(object),
            "relationship": np.where(deps["sex"] == "M", "SON", "DAUGHTER").astype(object),
            "dob": deps["dob"].to_numpy(),
        }
    ).sort_values(["return_id", "person_id"], ignore_index=True)
