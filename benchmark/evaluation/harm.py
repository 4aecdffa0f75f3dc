"""Household harm: who lives where a disclosed record points.

A disclosure hands the requesting agency an address: the one on the matched
tax record.  Whoever lives there now is exposed to an enforcement visit.
Households are counted once per strategy and operating point, however many
disclosures point at them.  Addresses where nobody lives now are counted
separately, and so are wrong-person disclosures that land on the requested
person's own household (a relative's record at the same address): those
households are not *unrelated* to the request.
"""

from __future__ import annotations

import pandas as pd

from benchmark.evaluation.ground_truth import HOUSEHOLD_COUNTS
from benchmark.evaluation.outcomes import per_100k

HOUSEHOLD_COLUMNS = (
    "household_id",
    "address_id",
    "disclosures",
    "own_disclosures",
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
    decisions: pd.DataFrame,
    record_address: pd.DataFrame,
    residents: pd.DataFrame,
    requester_household: pd.Series,
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
    requester_household : Series
        The household of each request's person, indexed by request_id.

    Returns
    -------
    DataFrame
        One row per household with :data:`HOUSEHOLD_COLUMNS`: ``disclosures``
        counts the disclosures pointing at it and ``own_disclosures`` those
        made for a request about one of its own members.  Ids and counts only,
        no names.
    """
    at = decisions[["request_id", "record_id"]].merge(record_address, on="record_id", how="left")
    at = at.merge(residents[["address_id", "household_id"]], on="address_id", how="inner")
    at["own"] = (
        at["household_id"].to_numpy() == at["request_id"].map(requester_household).to_numpy()
    )
    hits = at.groupby("household_id").agg(
        disclosures=("own", "size"), own_disclosures=("own", "sum")
    )
    homes = hits.reset_index().merge(residents, on="household_id", how="inner")
    homes["mixed_status"] = homes["mixed_status"].astype(bool)
    homes["own_disclosures"] = homes["own_disclosures"].astype("int64")
    return homes[list(HOUSEHOLD_COLUMNS)].sort_values("household_id", ignore_index=True)


def harm_counts(
    decisions: pd.DataFrame,
    record_address: pd.DataFrame,
    residents: pd.DataFrame,
    requester_household: pd.Series,
    n_requests: int,
    prefix: str = "",
) -> tuple[dict[str, float], pd.DataFrame]:
    """Totals of the households behind a set of disclosures, and the households themselves.

    A household is *unrelated* when at least one disclosure reaches it for a
    request about somebody who does not live there; a wrong-person disclosure
    of a relative's record at the requested person's own address is not.

    Returns
    -------
    (dict, DataFrame)
        ``households``, ``people``, ``us_citizens``, ``us_citizen_children``,
        ``lprs``, ``mixed_status_households``, the same for unrelated
        households (``unrelated_*``), ``own_household_disclosures`` and
        ``at_empty_address`` (disclosures pointing where nobody lives now),
        each also per 100,000 requests (suffix ``_per_100k``), all names led by
        ``prefix``; and the table of :func:`disclosed_households`.

    Examples
    --------
    >>> dec = pd.DataFrame({"request_id": [1, 2], "record_id": [10, 11]})
    >>> addr = pd.DataFrame({"record_id": [10, 11], "address_id": [5, 5]})
    >>> res = pd.DataFrame({"address_id": [5], "household_id": [9], "people": [4],
    ...     "us_citizens": [2], "us_citizen_children": [2], "lprs": [0], "mixed_status": [True]})
    >>> own = pd.Series({1: 9, 2: 3})
    >>> totals, homes = harm_counts(dec, addr, res, own, 100_000)
    >>> totals["households"], totals["people"], totals["own_household_disclosures"]
    (1, 4, 1)
    """
    homes = disclosed_households(decisions, record_address, residents, requester_household)
    unrelated = homes[homes["disclosures"] > homes["own_disclosures"]]
    occupied = residents["address_id"]
    at_empty = int(
        (
            ~decisions[["record_id"]]
            .merge(record_address, on="record_id", how="left")["address_id"]
            .isin(occupied)
        ).sum()
    )
    counts: dict[str, float] = {}
    for label, table in (("", homes), ("unrelated_", unrelated)):
        counts[f"{label}households"] = int(len(table))
        for column in HOUSEHOLD_COUNTS:
            counts[f"{label}{column}"] = int(table[column].sum())
        counts[f"{label}mixed_status_households"] = int(table["mixed_status"].sum())
    counts["own_household_disclosures"] = int(homes["own_disclosures"].sum())
    counts["at_empty_address"] = at_empty
    out: dict[str, float] = {prefix + name: value for name, value in counts.items()}
    for name, value in counts.items():
        out[f"{prefix}{name}_per_100k"] = per_100k(value, n_requests)
    return out, homes
