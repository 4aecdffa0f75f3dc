"""The enforcement request list: who is requested, and what the file says about them.

Requests are drawn from people with final removal orders, mixing people who
filed a return and people who never did (any match for those is a false
positive by construction).  The list's composition (share carrying a TIN,
share of those TINs borrowed, address kinds) is allocated exactly, so the
realised shares equal the configured ones up to rounding; cell-level noise is
then applied with the request-side rates.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from data_gen import request_tins
from data_gen.config import Scenario, resolved_noise_rates
from data_gen.config_records import ADDRESS_KINDS, JUNK_FORMS, RequestConfig
from data_gen.errors import ConfigError
from data_gen.noise import apply_noise
from data_gen.noise_registry import ADDRESS_COLUMNS
from data_gen.request_tins import exact_counts
from data_gen.rng import substream

__all__ = ["JUNK_TEXT", "exact_counts", "request_list"]

JUNK_TEXT = {
    "failed_to_provide_zip": "FAILED TO PROVIDE {zip}",
    "unknown_address_zip": "UNKNOWN ADDRESS {zip}",
    "unknown_address": "UNKNOWN ADDRESS",
    "na_na": "NA NA",
}


def _assign(rng: np.random.Generator, n: int, counts: dict[str, int]) -> np.ndarray:
    labels = (
        np.concatenate([np.full(c, k, dtype=object) for k, c in counts.items()])
        if n
        else np.array([], dtype=object)
    )
    return labels[rng.permutation(n)]


def request_list(
    scenario: Scenario,
    persons: pd.DataFrame,
    addresses: pd.DataFrame,
    history: pd.DataFrame,
    zips_table: pd.DataFrame,
    *,
    nested_tins: bool = False,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Draw the request list and noise it.

    With ``requests.count`` set, the list has exactly that many requests; the
    never-filed ones the world's final-order pool cannot supply are people who
    left the area (see ``_absent_people``), unless ``requests.left_area_share``
    sets their share.  With ``nested_tins``, ``requests.tin_share`` is the
    largest share of TIN carriers and ``request_truth`` gets ``tin_rank``: the
    first ``k`` requests by rank carry a TIN (the calibration solves ``k``).

    Returns
    -------
    requests : DataFrame
        request_id, person_id, first_name, last_name, dob, address (one line),
        house_number, street, unit, city, state, zip, tin.
    request_truth : DataFrame
        Ground truth about each request's construction: person_filed,
        tin_source (none/own/borrowed), tin_owner_person_id, address_kind,
        junk_form, true_address_id.
    noise_log : DataFrame
        Changed cells.
    absent : DataFrame
        The requested people who left the area, with the columns of ``persons``
        (empty unless ``requests.count`` exceeds what the world supplies).
    """
    seed = scenario.seed
    p, absent = _requested_people(scenario, persons)
    # separate streams: changing the TIN settings leaves the addresses unchanged
    tin_rng = substream(seed, "requests", "tins")
    if nested_tins:
        tin_source, tin, tin_owner, tin_rank = request_tins.nested_tins(
            scenario, tin_rng, p, persons
        )
    else:
        tin_source, tin, tin_owner = request_tins.tins(scenario, tin_rng, p, persons)
    kind, junk_form, addr_id = _addresses(
        scenario, substream(seed, "requests", "addresses"), p, history
    )
    detention = _detention_facilities(scenario, zips_table)
    fac = substream(seed, "requests", "facility").integers(len(detention), size=len(p))
    facility = {c: detention[c].to_numpy(dtype=object)[fac] for c in detention.columns}
    parts = _address_parts(addresses, history, p, kind, junk_form, addr_id, facility)
    first_name, last_name = _recorded_names(p)
    raw = pd.DataFrame(
        {
            "request_id": np.arange(len(p), dtype=np.int64),
            "person_id": p["person_id"].to_numpy(),
            "first_name": first_name,
            "last_name": last_name,
            "dob": p["dob"].to_numpy(),
            **parts,
            "tin": tin,
        }
    )
    noised, log = apply_noise(
        raw,
        table_name="requests",
        key="request_id",
        rates=resolved_noise_rates(scenario, "requests"),
        seed=seed,
        origin=p["origin"].to_numpy(dtype=object),
    )
    line = _address_lines(noised, kind, junk_form, facility["name"])
    noised.insert(noised.columns.get_loc("house_number"), "address", line)
    truth = pd.DataFrame(
        {
            "request_id": noised["request_id"].to_numpy(),
            "person_id": noised["person_id"].to_numpy(),
            "person_filed": p["is_filer"].to_numpy(),
            "tin_source": tin_source,
            "tin_owner_person_id": tin_owner,
            "address_kind": kind,
            "junk_form": junk_form,
            "true_address_id": np.where(np.isin(kind, ["current", "outdated"]), addr_id, -1),
        }
    )
    if nested_tins:
        truth["tin_rank"] = tin_rank
    return noised, truth, log, absent


def _requested_people(
    scenario: Scenario, persons: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Draw the requested people in list order, and the absent ones among them.

    Returns the requested people (one row per request, with the columns of
    ``persons``) and the absent people added to the world for them.
    """
    rc, seed = scenario.requests, scenario.seed
    rng = substream(seed, "requests", "people")
    pool = persons[persons["has_final_order"]]
    filed = pool[pool["is_filer"]]["person_id"].to_numpy()
    never = pool[~pool["is_filer"]]["person_id"].to_numpy()
    n, n_never, n_absent = _list_size(rc, len(filed), len(never))
    chosen = np.concatenate(
        [
            rng.choice(never, size=n_never, replace=False),
            rng.choice(filed, size=n - n_never - n_absent, replace=False),
        ]
    )
    absent = _absent_people(scenario, persons, n_absent)
    # only the chosen rows are gathered (the world's tables can hold millions)
    present = persons.set_index("person_id", drop=False).index.get_indexer(chosen)
    everyone = pd.concat([persons.take(present), absent], ignore_index=True)
    chosen = np.concatenate([chosen, absent["person_id"].to_numpy()])
    order = rng.permutation(n)
    picked = everyone.take(order).reset_index(drop=True)
    return picked, absent


def _address_parts(
    addresses: pd.DataFrame,
    history: pd.DataFrame,
    p: pd.DataFrame,
    kind: np.ndarray,
    junk_form: np.ndarray,
    addr_id: np.ndarray,
    facility: dict[str, np.ndarray],
) -> dict[str, np.ndarray]:
    """The address columns of each request, before noise.

    Current and outdated addresses are the unit's parts; junk addresses are
    blank but for the current ZIP code when the junk form names one; detention
    addresses hold the facility's city, state and ZIP code.
    """
    addr = addresses.set_index("address_id").reindex(addr_id)
    parts = {c: addr[c].to_numpy(dtype=object, na_value=None) for c in ADDRESS_COLUMNS}
    zip_known = np.array([f.endswith("_zip") for f in junk_form.astype(str)], dtype=bool)
    current_zip = addresses["zip"].to_numpy(dtype=object)[
        history[history["sequence"] == 0]
        .set_index("household_id")["address_id"]
        .reindex(p["household_id"])
        .to_numpy()
    ]
    junk, detained = kind == "junk", kind == "detention"
    for c in ADDRESS_COLUMNS:
        col = parts[c]
        col[junk] = None
        col[detained] = None
        if c == "zip":
            col[junk & zip_known] = current_zip[junk & zip_known]
        if c in ("city", "state", "zip"):
            col[detained] = facility[c][detained]
    return parts


def _recorded_names(p: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """First and last name of each request, before noise.

    Encounter records hold the full given names (both of a Hispanic double
    given name) and both surnames.
    """
    hisp_double = p["middle_name"].notna().to_numpy() & (p["origin"] == "hispanic").to_numpy()
    given = p["given_name"].to_numpy(dtype=object)
    middle = p["middle_name"].to_numpy(dtype=object, na_value=None)
    pat = p["surname_paternal"].to_numpy(dtype=object)
    mat = p["surname_maternal"].to_numpy(dtype=object, na_value=None)
    first = np.array(
        [f"{g} {m}" if d else g for g, m, d in zip(given, middle, hisp_double, strict=True)],
        dtype=object,
    )
    last = np.array(
        [a if b is None else f"{a} {b}" for a, b in zip(pat, mat, strict=True)], dtype=object
    )
    return first, last


def _list_size(rc: RequestConfig, n_filed: int, n_never: int) -> tuple[int, int, int]:
    """Return (requests, never-filed people from the world, absent people)."""
    s = rc.never_filed_share
    if rc.left_area_share is not None:
        return _list_size_with_absent(rc, n_filed, n_never)
    if rc.count is None:
        cap_f = n_filed / (1 - s) if s < 1 else np.inf
        cap_n = n_never / s if s > 0 else np.inf
        n = int(np.floor(min(cap_f, cap_n) * rc.fraction_of_final_orders))
        _check_not_empty(n, n_filed, n_never, s)
        return n, exact_counts(n, {"never": s, "filed": 1 - s})["never"], 0
    n = rc.count
    if n == 0:
        raise ConfigError("requests.count: must be at least 1")
    wanted_never = exact_counts(n, {"never": s, "filed": 1 - s})["never"]
    _check_filed_pool(n, wanted_never, n_filed, s)
    from_world = min(wanted_never, n_never)
    return n, from_world, wanted_never - from_world


def _list_size_with_absent(rc: RequestConfig, n_filed: int, n_never: int) -> tuple[int, int, int]:
    """List size when the share of people who left the area is set of its own."""
    s, left = rc.never_filed_share, float(rc.left_area_share or 0.0)
    present_never = s - left
    if rc.count is None:
        cap_f = n_filed / (1 - s) if s < 1 else np.inf
        cap_n = n_never / present_never if present_never > 0 else np.inf
        n = int(np.floor(min(cap_f, cap_n) * rc.fraction_of_final_orders))
        _check_not_empty(n, n_filed, n_never, s)
    else:
        n = rc.count
        if n == 0:
            raise ConfigError("requests.count: must be at least 1")
    counts = exact_counts(n, {"absent": left, "never": present_never, "filed": 1 - s})
    _check_filed_pool(n, n - counts["filed"], n_filed, s)
    if counts["never"] > n_never:
        raise ConfigError(
            f"requests.left_area_share: {n:,} requests with never_filed_share {s} and "
            f"left_area_share {left} need {counts['never']:,} never-filed people with a final "
            f"order living in the area, but the world has {n_never:,}; raise world.persons (or "
            "scale) or status.final_order_rate, or lower requests.count"
        )
    return n, counts["never"], counts["absent"]


def _check_not_empty(n: int, n_filed: int, n_never: int, s: float) -> None:
    if n == 0:
        raise ConfigError(
            f"the request list is empty: {n_filed + n_never} people have a final order "
            f"({n_filed} filed, {n_never} never filed) and requests.never_filed_share = {s}; "
            "raise world.persons or status.final_order_rate"
        )


def _check_filed_pool(n: int, wanted_never: int, n_filed: int, s: float) -> None:
    if n - wanted_never > n_filed:
        raise ConfigError(
            f"requests.count: {n:,} requests with never_filed_share {s} need {n - wanted_never:,} "
            f"people with a final order who filed, but the world has {n_filed:,}; raise "
            "world.persons (or scale) or status.final_order_rate"
        )


def _absent_people(scenario: Scenario, persons: pd.DataFrame, n: int) -> pd.DataFrame:
    """People with a final order who once lived in a household of the world and left it.

    They stand for the bulk of a national request file: people removed, gone
    abroad or living elsewhere, whose last address known to the enforcement
    agency is their family's.  Each is a sibling of a household head with a
    non-citizen adult (the head's surnames), with a given name and a birth date
    taken from two adults of the same origin drawn independently, so a
    resident's name and birth date are seldom copied together.  They never filed, hold no number the
    IRS knows, and are not counted among the household's members.
    """
    columns = list(persons.columns)
    if n == 0:
        return persons.iloc[:0].copy()
    rng = substream(scenario.seed, "requests", "absent")
    # only the columns used are gathered (the world's tables can hold millions of rows)
    is_adult = (persons["age"] >= 18).to_numpy()
    adults = persons.loc[is_adult, ["given_name", "middle_name", "sex", "dob", "origin", "age"]]
    noncitizen = is_adult & ~persons["status"].isin(["us_born", "naturalized"]).to_numpy()
    homes = np.unique(persons["household_id"].to_numpy()[noncitizen])
    heads = persons.loc[
        (persons["role"] == "head").to_numpy(),
        ["household_id", "origin", "surname_paternal", "surname_maternal"],
    ].set_index("household_id")
    hh = np.sort(rng.choice(homes, size=n, replace=True))
    head = heads.loc[hh]
    origin = head["origin"].to_numpy(dtype=object)
    sex = np.where(rng.random(n) < scenario.status.final_order_male_share, "M", "F").astype(object)
    name_donor = np.empty(n, dtype=np.int64)
    age_donor = np.empty(n, dtype=np.int64)
    adult_origin = adults["origin"].to_numpy(dtype=object)
    adult_sex = adults["sex"].to_numpy(dtype=object)
    for o in np.unique(origin):
        same_origin = adult_origin == o
        for sx in ("M", "F"):
            rows = np.flatnonzero((origin == o) & (sex == sx))
            if not len(rows):
                continue
            named = np.flatnonzero(same_origin & (adult_sex == sx))
            named = named if len(named) else np.flatnonzero(same_origin)
            name_donor[rows] = rng.choice(named, size=len(rows))
            age_donor[rows] = rng.choice(np.flatnonzero(same_origin), size=len(rows))
    out = pd.DataFrame(
        {
            "person_id": persons["person_id"].max() + 1 + np.arange(n, dtype=np.int64),
            "household_id": hh,
            "given_name": adults["given_name"].take(name_donor).to_numpy(dtype=object),
            "middle_name": adults["middle_name"].take(name_donor).to_numpy(dtype=object),
            "surname_paternal": head["surname_paternal"].to_numpy(dtype=object),
            "surname_maternal": head["surname_maternal"].to_numpy(dtype=object),
            "sex": sex,
            "dob": adults["dob"].to_numpy()[age_donor],
            "origin": origin,
            "status": "undocumented",
            "ssn": None,
            "itin": None,
            "is_filer": False,
            "has_final_order": True,
            "age": adults["age"].to_numpy()[age_donor],
            "role": "absent",
            "is_dependent": False,
        }
    )
    return out.reindex(columns=columns)


def _addresses(
    scenario: Scenario, rng: np.random.Generator, p: pd.DataFrame, history: pd.DataFrame
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rc = scenario.requests
    n = len(p)
    kind = _assign(rng, n, exact_counts(n, {k: rc.address_kinds[k] for k in ADDRESS_KINDS}))
    forms = list(JUNK_FORMS)
    fw = np.array([rc.junk_forms[f] for f in forms])
    junk_form = np.where(
        kind == "junk",
        np.array(forms, dtype=object)[rng.choice(len(forms), size=n, p=fw / fw.sum())],
        np.array(None, dtype=object),
    )

    h = history.set_index(["household_id", "sequence"])["address_id"]
    hid = p["household_id"].to_numpy()
    n_prev = history.groupby("household_id")["sequence"].max().reindex(hid).to_numpy()
    older = rng.random(n) >= rc.most_recent_previous_share
    seq = np.where(
        older & (n_prev >= 2), 2 + (rng.random(n) * np.maximum(n_prev - 1, 1)).astype(np.int64), 1
    )
    seq = np.minimum(seq, n_prev)
    seq = np.where(kind == "outdated", seq, 0)
    addr_id = h.reindex(pd.MultiIndex.from_arrays([hid, seq])).to_numpy().astype(np.int64)
    addr_id = np.where(np.isin(kind, ["current", "outdated"]), addr_id, -1)
    return kind, junk_form, addr_id


def _detention_facilities(scenario: Scenario, zips_table: pd.DataFrame) -> pd.DataFrame:
    """A few synthetic detention facilities in the world's ZIP codes (no street address)."""
    rng = substream(scenario.seed, "requests", "detention")
    k = max(3, len(zips_table) // 15)
    rows = zips_table.iloc[rng.choice(len(zips_table), size=min(k, len(zips_table)), replace=False)]
    names = [
        f"{county.replace(' COUNTY', '')} COUNTY DETENTION CENTER"
        if county and i % 2
        else f"{city} PROCESSING CENTER"
        for i, (city, county) in enumerate(zip(rows["city"], rows["county"], strict=True))
    ]
    return pd.DataFrame(
        {
            "name": names,
            "city": rows["city"].to_numpy(),
            "state": rows["state"].to_numpy(),
            "zip": rows["zip"].to_numpy(),
        }
    )


def _address_lines(
    df: pd.DataFrame, kind: np.ndarray, junk_form: np.ndarray, facility: np.ndarray
) -> np.ndarray:
    """Compose the one-line address an enforcement file holds, from the (noised) parts."""
    cols = {c: df[c].to_numpy(dtype=object, na_value=None) for c in ADDRESS_COLUMNS}
    out = np.empty(len(df), dtype=object)
    for i in range(len(df)):
        hn, st, un, ci, sa, zp = (cols[c][i] for c in ADDRESS_COLUMNS)
        k = kind[i]
        if k == "junk":
            text = JUNK_TEXT[junk_form[i]]
            out[i] = text.format(zip=zp) if "{zip}" in text and zp else text.replace(" {zip}", "")
        elif k == "detention":
            tail = " ".join(x for x in (sa, zp) if x)
            out[i] = (
                ", ".join(x for x in (facility[i], ci, tail) if x) if any((ci, sa, zp)) else None
            )
        else:
            street = " ".join(x for x in (hn, st, un) if x)
            tail = " ".join(x for x in (sa, zp) if x)
            parts = [x for x in (street, ci, tail) if x]
            out[i] = ", ".join(parts) if parts else None
    return out
