"""Residential moves: every household's address history.

Each household has its current address and one or more earlier ones.  Time at
each address is exponential with the yearly move rate of its tenure (renters
move about three times as often as owners), so a household that moved after the
filing date is still at its previous address in the IRS's records, and an
enforcement record made before the last move holds an outdated address.
Former addresses are real units of the world's housing stock, often occupied
by another household today.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from data_gen.config import Scenario
from data_gen.config_world import MovesConfig
from data_gen.rng import substream


def address_history(
    scenario: Scenario,
    addresses: pd.DataFrame,
    hh_address: np.ndarray,
    renter: np.ndarray,
    head_age: np.ndarray,
) -> pd.DataFrame:
    """Draw each household's earlier addresses and move dates.

    Former addresses are units of the world's housing stock.  A unit whose
    household lives there today is only used as a former address if that
    household moved in after the stint ended; otherwise a vacant unit of the
    same ZIP is used.  Histories start no earlier than the head's 18th birthday.

    Parameters
    ----------
    scenario : Scenario
        Uses ``moves`` and ``world.reference_date``.
    addresses : DataFrame
        The housing stock (needs address_id and zip_idx, sorted by zip_idx).
    hh_address : array of int
        Current address_id of each household.
    renter : array of bool
        Tenure of each household.
    head_age : array of int
        Age of each household's head.

    Returns
    -------
    DataFrame
        household_id, sequence (0 = current, 1 = the one before ...),
        address_id, moved_in, moved_out (NaT for the current address).
    """
    mc = scenario.moves
    rng = substream(scenario.seed, "moves", "history")
    ref = np.datetime64(scenario.world.reference_date, "D")
    moved_in, moved_out, k_prev = _stints(mc, rng, renter, head_age, ref)
    prev_zip, prev_addr = _former_units(mc, rng, addresses, hh_address)
    cand = _free_former_units(rng, addresses, hh_address, moved_in, prev_zip, prev_addr)

    addr = np.concatenate([hh_address[:, None], cand], axis=1)
    seqs = mc.max_previous_addresses + 1
    keep = np.arange(seqs)[None, :] <= k_prev[:, None]
    hh_ids, seq = np.nonzero(keep)
    return pd.DataFrame(
        {
            "household_id": hh_ids.astype(np.int64),
            "sequence": seq.astype(np.int64),
            "address_id": addr[hh_ids, seq].astype(np.int64),
            "moved_in": moved_in[hh_ids, seq].astype("datetime64[s]"),
            "moved_out": moved_out[hh_ids, seq].astype("datetime64[s]"),
        }
    )


def _stints(
    mc: MovesConfig,
    rng: np.random.Generator,
    renter: np.ndarray,
    head_age: np.ndarray,
    ref: np.datetime64,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Move-in and move-out dates of every stint (household × sequence) and the number kept.

    Returns ``moved_in``, ``moved_out`` (both ``(households, max_previous_addresses + 1)``
    dates, NaT for the current stint's move-out) and ``k_prev``, the earlier stints kept
    per household (at least one).
    """
    n_h = len(renter)
    rate = np.where(renter, mc.annual_move_rate_renter, mc.annual_move_rate_owner)
    rate = np.maximum(rate, 1e-3)
    seqs = mc.max_previous_addresses + 1
    # years at each address, capped so that histories stay within a working life
    durations = np.minimum(
        rng.exponential(1.0 / rate[:, None], size=(n_h, seqs)), mc.max_years_at_address
    )
    adult_years = np.maximum(head_age - 18, 0).astype(float)
    started = np.cumsum(durations, axis=1)  # years before ref at which each stint began
    started = np.minimum(started, np.maximum(adult_years, 0.1)[:, None] + np.arange(seqs) * 0.01)
    moved_in = ref - (started * 365.25).astype(np.int64)
    moved_out = np.concatenate(
        [np.full((n_h, 1), np.datetime64("NaT"), dtype="datetime64[D]"), moved_in[:, :-1]], axis=1
    )
    # earlier stints only while the head was an adult; every household keeps one
    k_prev = np.minimum(1 + rng.poisson(rate * 10), mc.max_previous_addresses)
    in_adult_life = np.cumsum(durations, axis=1)[:, 1:] <= adult_years[:, None]
    k_prev = np.clip(np.minimum(k_prev, in_adult_life.sum(axis=1)), 1, None)
    return moved_in, moved_out, k_prev


def _former_units(
    mc: MovesConfig, rng: np.random.Generator, addresses: pd.DataFrame, hh_address: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Draw a ZIP index and a unit of the housing stock for every stint.

    The ZIP is the current one with probability ``same_zip_share``, else one
    drawn in proportion to the households living there.
    """
    n_h = len(hh_address)
    seqs = mc.max_previous_addresses + 1
    address_ids = addresses["address_id"].to_numpy()
    zip_idx = addresses["zip_idx"].to_numpy()
    n_zip = int(zip_idx.max()) + 1
    zip_start = np.searchsorted(zip_idx, np.arange(n_zip), side="left")
    zip_count = np.bincount(zip_idx, minlength=n_zip)
    cur_zip = zip_idx[hh_address]
    hh_per_zip = np.bincount(cur_zip, minlength=n_zip).astype(float)
    prev_zip = np.where(
        rng.random((n_h, seqs)) < mc.same_zip_share,
        cur_zip[:, None],
        rng.choice(n_zip, size=(n_h, seqs), p=hh_per_zip / hh_per_zip.sum()),
    )
    offset = (rng.random((n_h, seqs)) * zip_count[prev_zip]).astype(np.int64)
    return prev_zip, address_ids[zip_start[prev_zip] + offset]


def _free_former_units(
    rng: np.random.Generator,
    addresses: pd.DataFrame,
    hh_address: np.ndarray,
    moved_in: np.ndarray,
    prev_zip: np.ndarray,
    prev_addr: np.ndarray,
) -> np.ndarray:
    """Former address of every earlier stint, replacing units that were not free then.

    A drawn unit is replaced by a vacant unit of the same ZIP when its household
    today already lived there during the stint, or when it repeats the address
    of the stint after it.
    """
    address_ids = addresses["address_id"].to_numpy()
    zip_idx = addresses["zip_idx"].to_numpy()
    n_zip = int(zip_idx.max()) + 1
    occupant = np.full(len(address_ids), -1, dtype=np.int64)
    occupant[hh_address] = np.arange(len(hh_address))
    vacant = address_ids[occupant < 0]
    vac_zip = zip_idx[vacant]
    vac_start = np.searchsorted(vac_zip, np.arange(n_zip), side="left")
    vac_count = np.bincount(vac_zip, minlength=n_zip)
    stint_end = moved_in[:, :-1]  # previous stint k+1 ends when stint k begins
    cand = prev_addr[:, :-1]
    occ = occupant[cand]
    occupied_then = (occ >= 0) & (moved_in[np.maximum(occ, 0), 0] < stint_end)
    before = np.concatenate([hh_address[:, None], cand[:, :-1]], axis=1)
    conflict = occupied_then | (cand == before) | (cand == hh_address[:, None])
    z = prev_zip[:, :-1]
    has_vacant = vac_count[z] > 0
    pick = vac_start[z] + (rng.random(cand.shape) * np.maximum(vac_count[z], 1)).astype(np.int64)
    replacement = vacant[np.minimum(pick, len(vacant) - 1)] if len(vacant) else cand
    cand = np.where(conflict & has_vacant, replacement, cand)
    # the replacement is vacant today; it must still differ from the stint after it
    before = np.concatenate([hh_address[:, None], cand[:, :-1]], axis=1)
    return np.where(
        cand == before,
        vacant[np.minimum(pick + 1, len(vacant) - 1)] if len(vacant) else cand,
        cand,
    )


def address_on(history: pd.DataFrame, n_households: int, date: str) -> np.ndarray:
    """address_id of every household on ``date``: the stint that had begun by then.

    A household whose whole kept history begins after ``date`` gets its oldest
    kept address.
    """
    when = np.datetime64(date, "s")
    h = history.sort_values(["household_id", "sequence"])
    begun = h["moved_in"].to_numpy() <= when
    # first (lowest sequence) stint that had begun by ``date``, else the last kept one
    hid = h["household_id"].to_numpy()
    first_row = np.searchsorted(hid, np.arange(n_households), side="left")
    last_row = np.searchsorted(hid, np.arange(n_households), side="right") - 1
    rows = np.where(begun, np.arange(len(h)), len(h))
    first_begun = np.minimum.reduceat(rows, first_row)
    chosen = np.where(first_begun <= last_row, first_begun, last_row)
    return h["address_id"].to_numpy()[chosen].astype(np.int64)
