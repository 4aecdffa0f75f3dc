"""Household harm: who lives where a disclosed record points.

A disclosure hands the requesting agency an address: the one on the matched
tax record.  Whoever lives there now is exposed to an enforcement visit.  For a
wrong-person disclosure that household had nothing to do with the request.
Households are counted once per strategy and operating point, however many
disclosures point at them.  Addresses where nobody lives now are counted
separately.
"""

from __future__ import annotations

import pandas as pd

from benchmark.ground_truth import HOUSEHOLD_COUNTS
from benchmark.outcomes import per_100k

HOUSEHOLD_COLUMNS = (
    "household_id",
    "address_id",
    "disclosures",
    *HOUSEHOLD_COUNTS,
    "mixed_status",
)
HARM_COUNTS = (
    "households",
    "people",
    "us_citizens",
    "us_citizen_children",
    "lprs",
    "mixed_status_households",
)


def disclosed_households(
    decisions: pd.DataFrame, record_address: pd.DataFrame, residents: pd.DataFrame
) -> pd.DataFrame:
    """The households living at the addresses of the disclosed records.

    Parameters
    ----------
    decisions : DataFrame
        Disclosures: request_id, record_id (one row each).
    record_address : DataFrame
        record_id, address_id.
    residents : DataFrame
        address_id, household_id, people, us_citizens, us_citizen_children,
        lprs, mixed_status.

    Returns
    -------
    DataFrame
        One row per household with :data:`HOUSEHOLD_COLUMNS`; ``disclosures``
        counts the disclosures pointing at it.  Ids and counts only, no names.
    """
    at = decisions[["record_id"]].merge(record_address, on="record_id", how="left")
    hits = at.groupby("address_id").size().rename("disclosures").reset_index()
    homes = hits.merge(residents, on="address_id", how="inner")
    homes["mixed_status"] = homes["mixed_status"].astype(bool)
    return homes[list(HOUSEHOLD_COLUMNS)].sort_values("household_id", ignore_index=True)


def harm_counts(
    decisions: pd.DataFrame,
    record_address: pd.DataFrame,
    residents: pd.DataFrame,
    n_requests: int,
    prefix: str = "",
) -> tuple[dict[str, float], pd.DataFrame]:
    """Totals of the households behind a set of disclosures, and the households themselves.

    Returns
    -------
    (dict, DataFrame)
        ``households``, ``people``, ``us_citizens``, ``us_citizen_children``,
        ``lprs``, ``mixed_status_households`` and ``at_empty_address``
        (disclosures pointing where nobody lives now), each also per 100,000
        requests (suffix ``_per_100k``), all names led by ``prefix``; and the
        table of :func:`disclosed_households`.

    Examples
    --------
    >>> dec = pd.DataFrame({"request_id": [1, 2], "record_id": [10, 11]})
    >>> addr = pd.DataFrame({"record_id": [10, 11], "address_id": [5, 5]})
    >>> res = pd.DataFrame({"address_id": [5], "household_id": [9], "people": [4],
    ...     "us_citizens": [2], "us_citizen_children": [2], "lprs": [0], "mixed_status": [True]})
    >>> totals, homes = harm_counts(dec, addr, res, 100_000)
    >>> totals["households"], totals["people"], int(homes["disclosures"].iloc[0])
    (1, 4, 2)
    """
    homes = disclosed_households(decisions, record_address, residents)
    occupied = set(residents["address_id"])
    at_empty = int(
        (
            ~decisions[["record_id"]]
            .merge(record_address, on="record_id", how="left")["address_id"]
            .isin(occupied)
        ).sum()
    )
    counts: dict[str, float] = {
        "households": int(homes["household_id"].nunique()),
        **{c: int(homes.drop_duplicates("household_id")[c].sum()) for c in HOUSEHOLD_COUNTS},
        "mixed_status_households": int(homes.drop_duplicates("household_id")["mixed_status"].sum()),
        "at_empty_address": at_empty,
    }
    out: dict[str, float] = {}
    for name, value in counts.items():
        out[prefix + name] = value
    for name, value in counts.items():
        out[f"{prefix}{name}_per_100k"] = per_100k(value, n_requests)
    return out, homes
