"""Realism checks: figures of a generated world to compare with published ones."""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np
import pandas as pd

from data_gen.text import fold_accents


def surname_concentration(persons: pd.DataFrame, origin: str = "hispanic") -> dict[str, float]:
    """Share of ``origin`` people carrying the 5 and the 26 most common (paternal) surnames.

    Accents are folded first, so GARCÍA and GARCIA count as one name, as in the
    Census tables.  Census 2010: about 9.7% and 25% of Hispanic residents.
    """
    names = persons.loc[persons["origin"] == origin, "surname_paternal"].map(fold_accents)
    shares = names.value_counts(normalize=True)
    return {
        "top5_share": float(shares.iloc[:5].sum()),
        "top26_share": float(shares.iloc[:26].sum()),
    }


def citizen_children_of_undocumented(persons: pd.DataFrame) -> dict[str, float]:
    """Among children (< 18) living with at least one undocumented parent, the share who are US citizens.

    Parents are the household's head and spouse.  Published: 79% (MPI), 85% (Urban/MPI).
    """
    parents = persons[persons["role"].isin(["head", "spouse"])]
    undoc_hh = parents.loc[parents["status"] == "undocumented", "household_id"].unique()
    kids = persons[
        (persons["role"] == "child")
        & (persons["age"] < 18)
        & persons["household_id"].isin(undoc_hh)
    ]
    citizen = kids["status"].isin(["us_born", "naturalized"])
    return {
        "children": int(len(kids)),
        "us_citizen_share": float(citizen.mean()) if len(kids) else float("nan"),
    }


def shared_street_address(
    households: pd.DataFrame, addresses: pd.DataFrame, irs_filers: pd.DataFrame
) -> dict[str, float]:
    """Share of ITIN-filer households whose street address (house number, street, ZIP) has another household.

    A household is an ITIN-filer household when any of its members filed with an ITIN.
    """
    addr = addresses.set_index("address_id").loc[
        households["address_id"], ["house_number", "street", "zip"]
    ]
    key = pd.Series(
        list(zip(addr["house_number"], addr["street"], addr["zip"], strict=True)),
        index=households["household_id"],
    )
    counts = key.map(key.value_counts())
    itin_hh = irs_filers.loc[irs_filers["tin_type"] == "ITIN", "household_id"].unique()
    shared = counts.loc[itin_hh] > 1
    all_shared = counts > 1
    return {
        "itin_households": int(len(itin_hh)),
        "itin_shared_share": float(shared.mean()) if len(itin_hh) else float("nan"),
        "all_shared_share": float(all_shared.mean()),
    }


def namesakes(
    persons: pd.DataFrame,
    households: pd.DataFrame,
    addresses: pd.DataFrame,
    request_truth: pd.DataFrame,
) -> dict[str, float]:
    """How often a requested person shares first name and (paternal) surname with another filer.

    Names are compared without accents, on the true (noise-free) names; "same ZIP"
    uses current addresses.  These namesakes are the people a name-based match can
    confuse with the requested person.
    """
    zip_of_hh = (
        addresses.set_index("address_id")["zip"].reindex(households["address_id"]).to_numpy()
    )
    hh_zip = pd.Series(zip_of_hh, index=households["household_id"])
    key = (
        persons["given_name"].map(fold_accents)
        + " "
        + persons["surname_paternal"].map(fold_accents)
    )
    frame = pd.DataFrame(
        {
            "person_id": persons["person_id"],
            "key": key,
            "zip": hh_zip.reindex(persons["household_id"]).to_numpy(),
        }
    )
    filers = frame[persons["is_filer"].to_numpy()]
    by_name = filers.groupby("key").size()
    by_name_zip = filers.groupby(["key", "zip"]).size()
    req = frame.set_index("person_id").loc[request_truth["person_id"]]
    self_filer = request_truth["person_filed"].to_numpy().astype(int)
    anywhere = by_name.reindex(req["key"]).fillna(0).to_numpy() - self_filer
    same_zip = (
        by_name_zip.reindex(pd.MultiIndex.from_arrays([req["key"], req["zip"]]))
        .fillna(0)
        .to_numpy()
        - self_filer
    )
    return {
        "requests_with_namesake_filer_anywhere": float(np.mean(anywhere > 0)),
        "requests_with_namesake_filer_same_zip": float(np.mean(same_zip > 0)),
    }


def request_shares(request_truth: pd.DataFrame) -> dict[str, float]:
    """Realised composition of the request list (compare with the ``requests`` config)."""
    n = len(request_truth)
    with_tin = request_truth["tin_source"] != "none"
    return {
        "requests": n,
        "tin_share": float(with_tin.mean()),
        "borrowed_tin_share": float(
            (request_truth.loc[with_tin, "tin_source"] == "borrowed").mean()
        )
        if with_tin.any()
        else 0.0,
        "never_filed_share": float((~request_truth["person_filed"]).mean()),
        **{
            f"address_{k}_share": float((request_truth["address_kind"] == k).mean())
            for k in ("current", "outdated", "junk", "detention")
        },
    }


def realism_summary(tables: Mapping[str, pd.DataFrame]) -> dict[str, Any]:
    """All realism figures of a world (``World.tables`` or tables read from a dataset folder)."""
    # people who left the area (requested, role "absent") are not residents
    residents = tables["persons"][tables["persons"]["role"] != "absent"]
    return {
        "hispanic_surnames": surname_concentration(residents),
        "children_of_undocumented": citizen_children_of_undocumented(residents),
        "shared_addresses": shared_street_address(
            tables["households"], tables["addresses"], tables["irs_filers"]
        ),
        "request_list": {
            **request_shares(tables["request_truth"]),
            "absent_share": float(
                tables["request_truth"]["person_id"]
                .isin(tables["persons"].loc[tables["persons"]["role"] == "absent", "person_id"])
                .mean()
            ),
        },
        "namesakes": namesakes(
            tables["persons"], tables["households"], tables["addresses"], tables["request_truth"]
        ),
        "status_shares": {
            k: float(v) for k, v in residents["status"].value_counts(normalize=True).items()
        },
        "mixed_status_household_share": float(np.mean(tables["households"]["mixed_status"])),
    }
