"""What the kept draws of the 2025 calibration allow: the estimate and what moves it.

The published totals pin the TIN share, the junk share and how stale the
addresses were, not the wrong-person count.  These functions read the table
of draws (:func:`benchmark.experiments.calibration_draws.run_draws`) and say
what the record still allows: the estimate over the kept draws, as a function
of the borrowed-number rate and whose numbers they were; the floor that name
collisions give when nobody borrows; which open settings move the estimate
most (partial rank correlations); and which single unpublished figure would
narrow the range most.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from data_gen.config import CALIBRATION_KEYS

OUTCOME = "wrong_person_file"
HARM = ("wrong_person", "households", "people", "us_citizens", "us_citizen_children")
BORROWED_ROUTES = ("route_household_member_number", "route_stranger_number")
BORROWED_BINS = (0.0, 0.1, 0.2, 0.3, 0.4)
HOUSEHOLD_BINS = (0.1, 0.4, 0.7, 1.0)
# unpublished figures a draw knows, and what each would tell a reader
FIGURES = {
    "tin_share": "how many of the requests carried an SSN or ITIN",
    "borrowed_disclosure_share": "how many disclosures went to a number belonging to somebody else",
    "borrowed_tin_share": "how many of the requests' numbers belonged to somebody else",
    "never_filed_share": "how many of the requested people had never filed a return",
    "left_area_share": "how many of the requested people had left the area",
    "current_address_share": "how many of the submitted addresses were current",
}


def kept(draws: pd.DataFrame) -> pd.DataFrame:
    """The draws that reproduce the record (an empty frame when none do)."""
    if "kept" not in draws.columns:
        return draws.iloc[:0]
    return draws[draws["kept"].astype("boolean").fillna(False).to_numpy(dtype=bool)]


def with_derived(draws: pd.DataFrame) -> pd.DataFrame:
    """The draws with the figures computed from their counts (borrowed-number share, floor)."""
    out = draws.copy()
    if all(c in out.columns for c in BORROWED_ROUTES):
        borrowed = out[list(BORROWED_ROUTES)].sum(axis=1)
        out["borrowed_disclosure_share"] = borrowed / out["disclosures"].where(
            out["disclosures"] > 0
        )
        out["collision_wrong_person_file"] = (out["wrong_person"] - borrowed) * (
            out["wrong_person_file"] / out["wrong_person"].where(out["wrong_person"] > 0)
        ).fillna(0.0)
    return out


def allowed_range(draws: pd.DataFrame) -> pd.DataFrame:
    """Low, median and high of each whole-file estimate over the kept draws.

    ``low``/``high`` are the smallest and largest point estimates;
    ``interval_low``/``interval_high`` also take each draw's own 95%
    interval, so they cover both the open composition and sampling noise.
    """
    ok = kept(draws)
    rows = []
    for c in HARM:
        col = f"{c}_file"
        if ok.empty or col not in ok.columns:
            rows.append({"measure": c, "draws": 0})
            continue
        rows.append(
            {
                "measure": c,
                "draws": len(ok),
                "low": float(ok[col].min()),
                "median": float(ok[col].median()),
                "high": float(ok[col].max()),
                "interval_low": float(ok[f"{col}_low"].min()),
                "interval_high": float(ok[f"{col}_high"].max()),
            }
        )
    return pd.DataFrame(rows)


def by_borrowing(draws: pd.DataFrame) -> pd.DataFrame:
    """The kept draws' whole-file wrong-person estimate by borrowed-number rate and household share."""
    ok = kept(draws)
    rows = []
    for lo, hi in zip(BORROWED_BINS[:-1], BORROWED_BINS[1:], strict=True):
        for hlo, hhi in zip(HOUSEHOLD_BINS[:-1], HOUSEHOLD_BINS[1:], strict=True):
            cell = ok[
                ok["borrowed_tin_share"].between(lo, hi, inclusive="left" if hi < 0.4 else "both")
                & ok["borrowed_from_household_share"].between(
                    hlo, hhi, inclusive="left" if hhi < 1.0 else "both"
                )
            ]
            est = cell[OUTCOME] if OUTCOME in cell.columns else pd.Series(dtype=float)
            rows.append(
                {
                    "borrowed_tin_share": f"{lo:g}-{hi:g}",
                    "borrowed_from_household_share": f"{hlo:g}-{hhi:g}",
                    "draws": len(cell),
                    "low": float(est.min()) if len(est) else np.nan,
                    "median": float(est.median()) if len(est) else np.nan,
                    "high": float(est.max()) if len(est) else np.nan,
                }
            )
    return pd.DataFrame(rows)


def collision_floor(draws: pd.DataFrame) -> dict[str, float]:
    """The wrong-person disclosures no borrowed number explains, over the kept draws.

    ``floor_low``/``floor_median``/``floor_high`` count, per draw, the
    wrong-person disclosures through every route but a borrowed number (name
    collisions, mistyped numbers, relatives, stale addresses), scaled to the
    file; ``unborrowed_draws`` and ``unborrowed_median`` are the kept draws
    in which at most 5% of numbers were borrowed, and their estimate.
    """
    ok = with_derived(kept(draws))
    if ok.empty or "collision_wrong_person_file" not in ok.columns:
        return {"draws": 0}
    floor = ok["collision_wrong_person_file"]
    few = ok[ok["borrowed_tin_share"] <= 0.05]
    return {
        "draws": len(ok),
        "floor_low": float(floor.min()),
        "floor_median": float(floor.median()),
        "floor_high": float(floor.max()),
        "unborrowed_draws": len(few),
        "unborrowed_median": float(few[OUTCOME].median()) if len(few) else np.nan,
    }


def rank_correlations(draws: pd.DataFrame, outcome: str = OUTCOME) -> pd.DataFrame:
    """Partial rank correlation of each open setting with ``outcome`` over the kept draws.

    Each setting and the outcome are rank-transformed, the other settings
    regressed out of both by least squares, and the residuals correlated.
    With fewer kept draws than settings + 3, every drawn composition is used
    (column ``over``).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> d = pd.DataFrame(rng.random((200, 3)), columns=["a", "b", "c"])
    >>> d["y"] = 3 * d["a"] - d["b"] + 0.1 * rng.random(200)
    >>> d["kept"] = True
    >>> r = rank_correlations(d, "y")
    >>> list(r["setting"])[:2], bool(r["prcc"].iloc[0] > 0.9)
    (['a', 'b'], True)
    """
    ok = kept(draws)
    over = "kept draws"
    settings = [c for c in draws.columns if c in CALIBRATION_KEYS] or [
        c for c in draws.columns if c not in (outcome, "kept", "draw")
    ]
    if len(ok) < len(settings) + 3:
        ok, over = draws.dropna(subset=[outcome]), "all drawn compositions"
    if len(ok) < len(settings) + 3:
        return pd.DataFrame(columns=["setting", "prcc", "over", "draws"])
    ranks = ok[[*settings, outcome]].rank().to_numpy(dtype=float)
    rows = []
    for j, name in enumerate(settings):
        others = np.column_stack([np.ones(len(ranks)), np.delete(ranks[:, : len(settings)], j, 1)])
        res = [
            ranks[:, col] - others @ np.linalg.lstsq(others, ranks[:, col], rcond=None)[0]
            for col in (j, len(settings))
        ]
        denom = np.linalg.norm(res[0]) * np.linalg.norm(res[1])
        rows.append(
            {
                "setting": name,
                "prcc": float(res[0] @ res[1] / denom) if denom else np.nan,
                "over": over,
                "draws": len(ok),
            }
        )
    table = pd.DataFrame(rows)
    order = table["prcc"].abs().sort_values(ascending=False, kind="stable").index
    return table.loc[order].reset_index(drop=True)


def value_of_information(draws: pd.DataFrame, bins: int = 4) -> pd.DataFrame:
    """How much knowing one unpublished figure would narrow the kept draws' estimate.

    For each figure of :data:`FIGURES`, the kept draws are split into
    ``bins`` equal-count groups by its value; ``variance_explained`` is one
    minus the mean within-group variance over the total (the correlation
    ratio), and ``span_known`` the mean within-group 5th-95th percentile span
    of the whole-file wrong-person estimate, against ``span_now`` over all
    kept draws.
    """
    ok = with_derived(kept(draws))
    rows = []
    if len(ok) < 2 * bins or OUTCOME not in ok.columns:
        return pd.DataFrame(
            columns=["figure", "means", "variance_explained", "span_now", "span_known"]
        )
    y = ok[OUTCOME].to_numpy(dtype=float)
    span_now = float(np.subtract(*np.percentile(y, [95, 5])))
    total = float(np.var(y))
    for name, means in FIGURES.items():
        if name not in ok.columns:
            continue
        x = ok[name].to_numpy(dtype=float)
        group = pd.qcut(pd.Series(x).rank(method="first"), bins, labels=False).to_numpy()
        within = [y[group == g] for g in range(bins)]
        var_within = float(np.mean([np.var(w) for w in within]))
        span = float(np.mean([np.subtract(*np.percentile(w, [95, 5])) for w in within]))
        rows.append(
            {
                "figure": name,
                "means": means,
                "variance_explained": 1 - var_within / total if total else np.nan,
                "span_now": span_now,
                "span_known": span,
            }
        )
    table = pd.DataFrame(rows)
    return table.sort_values("variance_explained", ascending=False, kind="stable").reset_index(
        drop=True
    )
