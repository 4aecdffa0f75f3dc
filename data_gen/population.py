"""Households and persons: composition, ages, immigration status and names.

Everything is vectorised over households and persons.  Within a household the
members are stored in a fixed order (head, spouse, children, relatives,
roommates), so parents and children can be found by position.  Filing and
TINs are drawn afterwards (:mod:`data_gen.filing`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from data_gen import vocab
from data_gen.census import first_name_sampler, surname_sampler
from data_gen.config import Scenario
from data_gen.config_world import HOUSEHOLD_TYPES, ORIGINS, STATUSES, HouseholdConfig
from data_gen.errors import ConfigError
from data_gen.geography import Zips
from data_gen.rng import substream
from data_gen.text import each_distinct

ROLES = ("head", "spouse", "child", "relative", "roommate")
HEAD, SPOUSE, CHILD, RELATIVE, ROOMMATE = range(5)
CITIZEN = {"us_born", "naturalized"}
S = {name: i for i, name in enumerate(STATUSES)}
NONE = np.array(None, dtype=object)  # a typed missing value for np.where
ORIGIN_INDEX = {name: i for i, name in enumerate(ORIGINS)}


def _origin_class(origin: np.ndarray) -> np.ndarray:
    """0 = hispanic, 1 = api, 2 = other (the classes household-type shares are given for)."""
    return np.where(
        origin == ORIGIN_INDEX["hispanic"], 0, np.where(origin == ORIGIN_INDEX["api"], 1, 2)
    )


def _categorical(rng: np.random.Generator, probs: np.ndarray) -> np.ndarray:
    """One categorical draw per row of ``probs`` (rows sum to one)."""
    cdf = np.cumsum(probs, axis=1)
    u = rng.random(len(probs))[:, None]
    return np.minimum((u >= cdf).sum(axis=1), probs.shape[1] - 1)


def make_households(scenario: Scenario, zips: Zips) -> pd.DataFrame:
    """Draw households (ZIP, origin, type and member counts) until the world is full.

    Returns
    -------
    DataFrame
        One row per household: zip_idx, origin, htype, has_spouse, n_children,
        n_relatives, n_roommates, size.
    """
    rng = substream(scenario.seed, "households", "composition")
    target = scenario.world.persons
    # the smallest household has one person, so this many draws always fill the world
    n_draw = int(target) + 64
    w = zips.weights.ravel()
    cell = rng.choice(len(w), size=n_draw, p=w / w.sum())
    zip_idx, origin = np.divmod(cell, len(ORIGINS))
    cls = _origin_class(origin)
    ts = scenario.households.type_shares
    type_probs = np.array(
        [[ts[c][t] for t in HOUSEHOLD_TYPES] for c in ("hispanic", "api", "other")]
    )
    htype = _categorical(rng, type_probs[cls])
    t = {name: i for i, name in enumerate(HOUSEHOLD_TYPES)}
    lam = scenario.households.mean_extra_children
    extra = rng.poisson(lam, size=n_draw)
    has_spouse = (
        (htype == t["couple"])
        | (htype == t["couple_children"])
        | ((htype == t["extended"]) & (rng.random(n_draw) < 0.7))
    )
    n_children = np.where(
        (htype == t["couple_children"]) | (htype == t["single_parent"]),
        1 + extra,
        np.where((htype == t["extended"]) & (rng.random(n_draw) < 0.8), 1 + extra, 0),
    )
    n_children = np.minimum(n_children, 7)
    n_relatives = np.where(htype == t["extended"], rng.integers(1, 3, size=n_draw), 0)
    n_roommates = np.where(htype == t["roommates"], rng.integers(1, 4, size=n_draw), 0)
    size = 1 + has_spouse + n_children + n_relatives + n_roommates
    keep = np.cumsum(size) <= target
    hh = pd.DataFrame(
        {
            "zip_idx": zip_idx,
            "origin": origin,
            "htype": htype,
            "has_spouse": has_spouse,
            "n_children": n_children,
            "n_relatives": n_relatives,
            "n_roommates": n_roommates,
            "size": size,
        }
    )[keep].reset_index(drop=True)
    if len(hh) == 0:
        raise ConfigError(f"world.persons = {target}: too small for even one household")
    return hh


def make_persons(scenario: Scenario, hh: pd.DataFrame) -> pd.DataFrame:
    """Create the members of every household with roles, sex, age, status and names.

    Parameters
    ----------
    scenario : Scenario
        The scenario (household, status and filing settings).
    hh : DataFrame
        Output of :func:`make_households`.

    Returns
    -------
    DataFrame
        One row per person, ordered by household then role.
    """
    seed = scenario.seed
    n_h = len(hh)
    size = hh["size"].to_numpy()
    start = np.r_[0, np.cumsum(size)[:-1]].astype(np.int64)
    n = int(size.sum())
    hid = np.repeat(np.arange(n_h, dtype=np.int64), size)
    pos = np.arange(n) - start[hid]
    sp = hh["has_spouse"].to_numpy().astype(np.int64)[hid]
    nc = hh["n_children"].to_numpy()[hid]
    nr = hh["n_relatives"].to_numpy()[hid]
    role = np.select(
        [pos == 0, (sp == 1) & (pos == 1), pos < 1 + sp + nc, pos < 1 + sp + nc + nr],
        [HEAD, SPOUSE, CHILD, RELATIVE],
        ROOMMATE,
    )
    origin = hh["origin"].to_numpy()[hid]
    head = start[hid]
    spouse = np.where(sp == 1, head + 1, -1)

    # sex: spouses are of the other sex as the head (same-sex couples not modelled)
    rng = substream(seed, "persons", "sex")
    male = rng.random(n) < 0.5
    male = np.where(role == SPOUSE, ~male[head], male)
    single_parent = hh["htype"].to_numpy()[hid] == HOUSEHOLD_TYPES.index("single_parent")
    female_head = rng.random(n) < scenario.households.single_parent_female_share
    male = np.where((role == HEAD) & single_parent, ~female_head, male)

    ages = _ages(
        scenario,
        rng=substream(seed, "persons", "age"),
        role=role,
        head=head,
        spouse=spouse,
        htype=hh["htype"].to_numpy()[hid],
    )
    status = _statuses(scenario, substream(seed, "persons", "status"), role, origin, head, spouse)

    # date of birth: a uniformly random day of the year that gives exactly ``ages``
    ref = np.datetime64(scenario.world.reference_date, "D")
    rng = substream(seed, "persons", "dob")
    last_birthday = _years_before(ref, ages)
    previous = _years_before(ref, ages + 1)
    dob = (
        previous
        + 1
        + (rng.random(n) * (last_birthday - previous).astype(np.int64)).astype(np.int64)
    )

    names = _names(scenario, role, origin, male, head, spouse, hid, status)
    persons = pd.DataFrame(
        {
            "person_id": np.arange(n, dtype=np.int64),
            "household_id": hid,
            "role": np.array(ROLES, dtype=object)[role],
            **names,
            "sex": np.where(male, "M", "F").astype(object),
            "dob": dob.astype("datetime64[s]"),
            "origin": np.array(ORIGINS, dtype=object)[origin],
            "status": np.array(STATUSES, dtype=object)[status],
            "age": ages.astype(np.int64),
        }
    )
    return persons


def _ages(
    scenario: Scenario,
    *,
    rng: np.random.Generator,
    role: np.ndarray,
    head: np.ndarray,
    spouse: np.ndarray,
    htype: np.ndarray,
) -> np.ndarray:
    t = {name: i for i, name in enumerate(HOUSEHOLD_TYPES)}
    lo = np.select(
        [
            htype == t["couple_children"],
            htype == t["single_parent"],
            htype == t["extended"],
            htype == t["roommates"],
        ],
        [24, 20, 30, 18],
        18,
    )
    hi = np.select(
        [
            htype == t["couple_children"],
            htype == t["single_parent"],
            htype == t["extended"],
            htype == t["roommates"],
        ],
        [55, 55, 65, 50],
        85,
    )
    n = len(role)
    age = lo + rng.random(n) * (hi - lo)
    head_age = age[head]
    age = np.where(role == SPOUSE, np.clip(head_age + rng.normal(-1.5, 4.0, n), 18, 95), age)
    youngest_parent = np.where(
        spouse >= 0, np.minimum(head_age, age[np.maximum(spouse, 0)]), head_age
    )
    # children: the youngest parent's age at the birth is about 28 (clipped to 17-44)
    at_birth = np.clip(rng.normal(28.0, 5.5, n), 17, 44)
    child_age = youngest_parent - at_birth
    fallback = rng.random(n) * np.clip(youngest_parent - 17, 1, 18)
    child_age = np.where((child_age >= 0) & (child_age < 18), child_age, fallback)
    age = np.where(role == CHILD, child_age, age)
    elder = rng.random(n) < 0.5
    rel = np.where(
        elder,
        np.clip(head_age + rng.uniform(20, 32, n), 40, 98),
        np.clip(head_age + rng.normal(0, 7, n), 18, 90),
    )
    age = np.where(role == RELATIVE, rel, age)
    age = np.where(role == ROOMMATE, 18 + rng.random(n) * 35, age)
    return np.floor(age).astype(np.int64)


def _statuses(
    scenario: Scenario,
    rng: np.random.Generator,
    role: np.ndarray,
    origin: np.ndarray,
    head: np.ndarray,
    spouse: np.ndarray,
) -> np.ndarray:
    st = scenario.status
    probs = np.array([[st.adult_status[o][s] for s in STATUSES] for o in ORIGINS])
    n = len(role)
    own = _categorical(rng, probs[origin])
    status = own.copy()
    head_status = own[head]
    same = rng.random(n)
    status = np.where((role == SPOUSE) & (same < st.spouse_same_status_share), head_status, status)
    status = np.where((role == RELATIVE) & (same < 0.5), head_status, status)
    # children: US-born citizens unless born abroad to non-citizen parents
    spouse_status = np.where(spouse >= 0, status[np.maximum(spouse, 0)], S["us_born"])
    noncitizen = np.array([s not in CITIZEN for s in STATUSES])
    head_nc, spouse_nc = noncitizen[head_status], (spouse >= 0) & noncitizen[spouse_status]
    parent_status = np.where(head_nc, head_status, spouse_status)
    born_here = rng.random(n) < st.child_us_born_share
    child_status = np.where((head_nc | spouse_nc) & ~born_here, parent_status, S["us_born"])
    return np.where(role == CHILD, child_status, status)


def _names(
    scenario: Scenario,
    role: np.ndarray,
    origin: np.ndarray,
    male: np.ndarray,
    head: np.ndarray,
    spouse: np.ndarray,
    hid: np.ndarray,
    status: np.ndarray,
) -> dict[str, np.ndarray]:
    seed, hc = scenario.seed, scenario.households
    n = len(role)
    hisp = origin == ORIGIN_INDEX["hispanic"]
    given, middle, paternal, maternal = _drawn_names(scenario, origin, male)
    father, mother = _parents(male, head, spouse)
    rng = substream(seed, "persons", "family_names")
    u = rng.random((n, 3))
    paternal, maternal = _family_surnames(
        hc, u, role, hisp, head, father, mother, paternal, maternal
    )

    # juniors: some sons carry their father's first name
    junior = (role == CHILD) & male & (father >= 0) & (rng.random(n) < hc.junior_share)
    given = np.where(junior, given[np.maximum(father, 0)], given)

    # native spellings (accents) for Hispanic and Vietnamese-origin people
    # native spelling is a family trait: every member of a household writes it the same way
    native_hh = rng.random(int(hid.max()) + 1) < hc.native_spelling_share
    native = (hisp | (origin == ORIGIN_INDEX["api"])) & native_hh[hid]
    given, middle, paternal, maternal = (
        np.where(native, _accented(col), col) for col in (given, middle, paternal, maternal)
    )
    # most US-born Hispanic people carry one legal surname (compound surnames are about
    # 20% of Latino surnames in US files: NC voter file, via pseudopeople)
    one_surname = hisp & (status == S["us_born"]) & (rng.random(n) >= hc.two_surnames_share_us_born)
    maternal = np.where(one_surname, NONE, maternal)
    return {
        "given_name": given,
        "middle_name": middle,
        "surname_paternal": paternal,
        "surname_maternal": maternal,
    }


def _drawn_names(
    scenario: Scenario, origin: np.ndarray, male: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Draw everyone's own given, middle, paternal and maternal names from the Census tables.

    Middle names are a second given name; maternal surnames are drawn for
    Hispanic people only.  Family ties are applied afterwards.
    """
    seed, hc = scenario.seed, scenario.households
    n = len(origin)
    given = np.empty(n, dtype=object)
    middle = np.full(n, None, dtype=object)
    paternal = np.empty(n, dtype=object)
    maternal = np.full(n, None, dtype=object)
    hisp = origin == ORIGIN_INDEX["hispanic"]
    rng_mid = substream(seed, "persons", "middle")
    has_middle = rng_mid.random(n) < np.where(
        hisp, hc.second_given_name_share_hispanic, hc.middle_name_share_other
    )
    for o_name, o in ORIGIN_INDEX.items():
        rng = substream(seed, "persons", "surname", o_name)
        in_o = origin == o
        paternal[in_o] = surname_sampler(o_name).sample(rng, int(in_o.sum()))
        if o_name == "hispanic":
            maternal[in_o] = surname_sampler(o_name).sample(rng, int(in_o.sum()))
        for sex, mask in (("M", male), ("F", ~male)):
            sel = in_o & mask
            k = int(sel.sum())
            rng = substream(seed, "persons", "given", o_name, sex)
            given[sel] = first_name_sampler(o_name, sex).sample(rng, k)
            second = first_name_sampler(o_name, sex).sample(rng, k)
            middle[sel] = np.where(has_middle[sel] & (second != given[sel]), second, NONE)
    return given, middle, paternal, maternal


def _parents(
    male: np.ndarray, head: np.ndarray, spouse: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Row of the father and of the mother in each person's household (-1 for none).

    The parents are the head and the head's spouse, by sex.
    """
    has_sp = spouse >= 0
    sp = np.maximum(spouse, 0)
    father = np.where(male[head], head, np.where(has_sp, sp, -1))
    mother = np.where(~male[head], head, np.where(has_sp, sp, -1))
    return father, mother


def _family_surnames(
    hc: HouseholdConfig,
    u: np.ndarray,
    role: np.ndarray,
    hisp: np.ndarray,
    head: np.ndarray,
    father: np.ndarray,
    mother: np.ndarray,
    paternal: np.ndarray,
    maternal: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Pass surnames down the household: children, siblings and spouses of the head.

    ``u`` holds three uniform draws per person (single mothers, relatives,
    spouses).  Returns the new paternal and maternal surnames.
    """
    is_child, is_spouse, is_rel = role == CHILD, role == SPOUSE, role == RELATIVE
    f_ok, m_ok = father >= 0, mother >= 0
    f, m = np.maximum(father, 0), np.maximum(mother, 0)
    head_pat, head_mat = paternal[head].copy(), maternal[head].copy()
    mother_pat, mother_mat = paternal[m].copy(), maternal[m].copy()
    father_pat = paternal[f].copy()

    # Hispanic: children take father's paternal + mother's paternal surname; a
    # single mother passes on both of hers half the time; spouses keep their own.
    h_child = hisp & is_child
    pat_child = np.where(f_ok, father_pat, np.where(u[:, 0] < 0.5, mother_pat, paternal))
    mat_child = np.where(m_ok, np.where(f_ok | (u[:, 0] >= 0.5), mother_pat, mother_mat), maternal)
    paternal = np.where(h_child, pat_child, paternal)
    maternal = np.where(h_child, mat_child, maternal)
    h_sib = hisp & is_rel & (u[:, 1] < 0.5)
    paternal = np.where(h_sib, head_pat, paternal)
    maternal = np.where(h_sib, head_mat, maternal)
    # others: one family surname, shared by most spouses, all children, some relatives
    other = ~hisp
    paternal = np.where(other & is_spouse & (u[:, 2] < hc.shared_surname_share), head_pat, paternal)
    paternal = np.where(other & is_child, head_pat, paternal)
    paternal = np.where(other & is_rel & (u[:, 1] < 0.5), head_pat, paternal)
    return paternal, maternal


def _accented(values: np.ndarray) -> np.ndarray:
    table = vocab.ACCENTED
    return each_distinct(lambda v: table.get(v, v), values)


def _years_before(ref: np.datetime64, years: np.ndarray) -> np.ndarray:
    """The date ``years`` whole years before ``ref`` (29 February falls back to 28 February)."""
    ref_d = ref.astype("datetime64[D]")
    y = ref_d.astype("datetime64[Y]").astype(int) + 1970 - years
    m = ref_d.astype("datetime64[M]").astype(int) % 12 + 1
    d = (ref_d - ref_d.astype("datetime64[M]")).astype(int) + 1
    leap = (y % 4 == 0) & ((y % 100 != 0) | (y % 400 == 0))
    d = np.where((m == 2) & (d == 29) & ~leap, 28, d)
    base = (y - 1970).astype("datetime64[Y]").astype("datetime64[M]") + (m - 1)
    return base.astype("datetime64[D]") + (d - 1)


def household_summary(persons: pd.DataFrame, hh_address: np.ndarray) -> pd.DataFrame:
    """Return the ``households`` table: address, size, citizens, children, mixed status."""
    citizen = persons["status"].isin(list(CITIZEN)).to_numpy()
    child = persons["age"].to_numpy() < 18
    g = (
        pd.DataFrame(
            {
                "household_id": persons["household_id"].to_numpy(),
                "size": 1,
                "n_us_citizens": citizen.astype(np.int64),
                "n_children": child.astype(np.int64),
                "n_us_citizen_children": (citizen & child).astype(np.int64),
                "n_lpr": (persons["status"] == "lpr").to_numpy().astype(np.int64),
                "n_undocumented": (persons["status"] == "undocumented").to_numpy().astype(np.int64),
            }
        )
        .groupby("household_id", sort=True)
        .sum()
    )
    # mixed status: an undocumented member living with a US citizen or LPR (FWD.us definition)
    g["mixed_status"] = (g["n_undocumented"] > 0) & (g["n_us_citizens"] + g["n_lpr"] > 0)
    g = g.reset_index()
    g.insert(1, "address_id", hh_address[g["household_id"].to_numpy()])
    return g
