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
from data_gen.rng import substream


def address_history(
    scenario: Scenario,
    addresses: pd.DataFrame,
    hh_address: np.ndarray,
    renter: np.ndarray,
) -> pd.DataFrame:
    """Draw each household's earlier addresses and move dates.

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

    Returns
    -------
    DataFrame
        household_id, sequence (0 = current, 1 = the one before ...),
        address_id, moved_in, moved_out (NaT for the current address).
    """
    mc = scenario.moves
    rng = substream(scenario.seed, "moves", "history")
    n_h = len(hh_address)
    rate = np.where(renter, mc.annual_move_rate_renter, mc.annual_move_rate_owner)
    rate = np.maximum(rate, 1e-3)
    k_prev = np.minimum(1 + rng.poisson(rate * 10), mc.max_previous_addresses)
    seqs = mc.max_previous_addresses + 1
    # years at each address, capped so that histories stay within a working life
    durations = np.minimum(
        rng.exponential(1.0 / rate[:, None], size=(n_h, seqs)), mc.max_years_at_address
    )
    ref = np.datetime64(scenario.world.reference_date, "D")
    ends_years = np.cumsum(durations, axis=1)  # years before ref at which each stint began
    moved_in = ref - (ends_years * 365.25).astype(np.int64)
    moved_out = np.concatenate(
        [np.full((n_h, 1), np.datetime64("NaT"), dtype="datetime64[D]"), moved_in[:, :-1]], axis=1
    )

    zip_idx = addresses["zip_idx"].to_numpy()
    zip_start = np.searchsorted(zip_idx, np.arange(zip_idx.max() + 1), side="left")
    zip_count = np.bincount(zip_idx, minlength=zip_idx.max() + 1)
    cur_zip = zip_idx[hh_address]
    hh_per_zip = np.bincount(cur_zip, minlength=len(zip_count)).astype(float)
    prev_zip = np.where(
        rng.random((n_h, seqs)) < mc.same_zip_share,
        cur_zip[:, None],
        rng.choice(len(zip_count), size=(n_h, seqs), p=hh_per_zip / hh_per_zip.sum()),
    )
    offset = (rng.random((n_h, seqs)) * zip_count[prev_zip]).astype(np.int64)
    prev_addr = addresses["address_id"].to_numpy()[zip_start[prev_zip] + offset]
    # a former address is never the current one
    clash = prev_addr == hh_address[:, None]
    prev_addr = np.where(
        clash,
        addresses["address_id"].to_numpy()[
            zip_start[prev_zip] + (offset + 1) % np.maximum(zip_count[prev_zip], 1)
        ],
        prev_addr,
    )
    addr = np.concatenate([hh_address[:, None], prev_addr[:, :-1]], axis=1)
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


def address_on(history: pd.DataFrame, n_households: int, date: str) -> np.ndarray:
    """address_id of every household on ``date`` (the current one if it moved in before)."""
    when = np.datetime64(date, "s")
    cur = history[history["sequence"] == 0].set_index("household_id")
    prev = history[history["sequence"] == 1].set_index("household_id")
    out = cur["address_id"].reindex(range(n_households)).to_numpy()
    moved_after = cur["moved_in"].reindex(range(n_households)).to_numpy() > when
    prev_addr = prev["address_id"].reindex(range(n_households)).to_numpy()
    return np.where(moved_after & ~np.isnan(prev_addr.astype(float)), prev_addr, out).astype(
        np.int64
    )
