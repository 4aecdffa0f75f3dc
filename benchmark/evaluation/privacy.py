"""Small-count suppression for evaluation tables of runs on real data (``--suppress-below N``).

*Primary* suppression blanks every count from 1 to N − 1.  Zeros stay: they
disclose no one.  Ids (household_id, address_id), counters of the method
(replicate, bin) and the totals the evaluation manifest publishes (n_requests,
true_pairs) are not suppressed.

*Secondary* suppression then blanks more cells until no blanked count can be
rebuilt from the published ones, as statistical agencies do.  Every figure
shown in several places (tp is ``correct`` in outcomes and harm_summary, a
column of replicate world 0, a row of the sweep) is one variable, blanked
everywhere or nowhere, and the tables are tied by linear relations whose
constants are published or zero:

* within one decision: accepted = tp + fp, tp + fn = true pairs, missed +
  correctly_unmatched + requests_matched = requests, tp + fp = requests_matched
  + extra_disclosures (:data:`DECISION_RELATIONS`);
* disparities: the groups of each dimension sum to the outcome
  (:data:`GROUP_TOTALS`), the requests of a group are the same at every
  decision and sum to n_requests;
* harm_households: a group's households sum to its harm_summary totals (all and
  unrelated), and a household's own counts are the same in every row;
* replicate worlds: the same relations per world; K × mean is the sum of the
  K values and min and max are two of them;
* nested decisions: a lower threshold accepts a superset, so the difference of
  a count between two decisions of one strategy and assignment is itself a
  count (of the pairs, requests or households in between); one in 1..N − 1 is
  protected like a blanked cell, and so is a count pooled over worlds.

One engine (:func:`benchmark.evaluation.privacy_relations.solve`) takes these: while a linear combination of the
relations, with the published cells substituted, determines a blanked cell
(the unit vector of that cell lies in the row space of the unknowns' matrix),
it blanks one more cell of each offending relation: the smallest non-zero
published count.  Rates per 100,000 are their count; a ratio (precision,
recall, share, Wilson bounds) is blanked with any count it is computed from,
and an interval's sd and bounds with any of the world values behind it.

Cumulative tables are *coarsened* instead.  threshold_sweep keeps a row only
when each of accepted, tp and fp has moved by 0 or at least N since the
previous published point and before the next one, where published points are
the kept rows, the rows of operating points and of the last threshold (whose
published cells the engine settled), no pairs accepted, and tp = true pairs;
the counts being monotone, any two published points then differ by 0 or at
least N, and a band of scores holds either no pair or N or more.  A dropped row
is gone with its threshold (the count of distinct scores would bound the
band).  The CSV copy of the sweep is a subset of these rows.  score_distribution
merges adjacent bins until each holds 0 or N or more pairs and requests,
counting the match_counts decision as a published point; a merged bin keeps
the number of its lowest bin.  harm_households loses the rows of a disclosure
group whose number of (unrelated, mixed-status) households is blanked, as its
rows would count them.

A suppressed evaluation leaves out what these relations do not cover: the
per-request and per-disclosure tables (``request_disclosures``,
``error_cause_disclosures``), the tables pooled over worlds or pairs of
strategies (``disparities_pooled``, ``paired_differences``, ``error_causes*``,
``reliability``, ``blocking_by_group``) and the recall columns of
``disparities`` (:data:`benchmark.evaluation.evaluate.UNMODELLED_TABLES`).

Not protected: differences between the two assignments (one-to-one keeps a
subset of the pairs) and bounds from inequalities (a blanked count lies between
its published neighbours, which are 0 or N apart).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import numpy as np
import pandas as pd

from benchmark.evaluation.privacy_relations import (
    CUMULATIVE,
    DERIVED,
    KEYS,
    SWEEP_COUNTS,
    Net,
    bases,
    build_network,
    counts,
    small,
    solve,
)

# long tables: one row per figure, in these value columns
LONG_VALUES = {
    "replicate_figures": ("value",),
    "intervals": ("mean", "sd", "ci_low", "ci_high", "min", "max"),
}


def suppress_wide(table: pd.DataFrame, below: int) -> pd.DataFrame:
    """Primary suppression of one table of columns: counts in 1..below−1 and figures from them.

    No secondary suppression: :func:`suppress_small_counts` does that for an evaluation.
    """
    out = table.copy()
    blanked = {c: small(out[c], below) for c in counts(out)}
    for column in out.columns:
        hit = blanked.get(column)
        for base in bases(column):
            if base in blanked:
                hit = blanked[base] if hit is None else hit | blanked[base]
        if hit is not None and hit.any():
            if column in blanked:
                out[column] = out[column].astype("Int64")
            out.loc[hit, column] = pd.NA
    return out


def suppress_long(table: pd.DataFrame, values: tuple[str, ...], below: int) -> pd.DataFrame:
    """The same for a long table (one row per metric): counts judged by their first value column."""
    if table.empty or "metric" not in table.columns:
        return table
    out = table.copy()
    keys = [c for c in ("replicate", *KEYS) if c in out]
    count_metrics = set(out["metric"]) - set(DERIVED) - {"threshold", "target_reached"}
    count_metrics = {m for m in count_metrics if not m.endswith("_per_100k")}
    is_count = out["metric"].isin(count_metrics).to_numpy()
    hit = is_count & small(out[values[0]], below)
    blanked_keys = set(map(tuple, out.loc[hit, [*keys, "metric"]].astype(str).to_numpy().tolist()))
    derived = np.zeros(len(out), dtype=bool)
    for i, (row_keys, metric) in enumerate(
        zip(out[keys].astype(str).to_numpy().tolist(), out["metric"], strict=True)
    ):
        derived[i] = any((*row_keys, base) in blanked_keys for base in bases(metric))
    out.loc[hit | derived, list(values)] = np.nan
    return out


def _apply(tables: dict, net: Net, blanked: set, plan: dict) -> dict[str, pd.DataFrame]:
    """Blank the cells of blanked variables, then coarsen the cumulative tables."""
    masks: Any = defaultdict(lambda: defaultdict(lambda: None))
    for key in blanked:
        for name, i, col in net.cells.get(key, ()):
            if masks[name][col] is None:
                masks[name][col] = np.zeros(len(tables[name]), dtype=bool)
            masks[name][col][i] = True
    for i, figures, columns in plan["iv"]:
        if any(k in blanked for k in figures):
            for col in columns:
                if masks["intervals"][col] is None:
                    masks["intervals"][col] = np.zeros(len(tables["intervals"]), dtype=bool)
                masks["intervals"][col][i] = True
    out = {}
    for name in plan["handled"]:
        table = tables[name].copy()
        for col, mask in masks[name].items():
            if mask is not None and mask.any():
                if pd.api.types.is_integer_dtype(table[col]):
                    table[col] = table[col].astype("Int64")
                table[col] = table[col].mask(mask)
        out[name] = table
    if "harm_households" in out:
        drop = [rows for rows, totals in plan["hh"] if any(t in blanked for t in totals)]
        out["harm_households"] = (
            out["harm_households"]
            .drop(index=np.concatenate(drop) if drop else [])
            .reset_index(drop=True)
        )
    if "threshold_sweep" in out:
        out["threshold_sweep"] = _coarsen_sweep(out["threshold_sweep"], plan["forced"], net.below)
    if "score_distribution" in out:
        out["score_distribution"] = _merge_bins(
            out["score_distribution"], out.get("match_counts"), net.below
        )
    return out


def _keep(values: np.ndarray, anchors: list, below: int) -> np.ndarray:
    """Rows of a cumulative table that move by 0 or ``below`` or more from every published neighbour.

    ``values`` (rows × counts) never decrease down the rows.  ``anchors`` are
    the points published elsewhere, ``(position, values)`` with NaN for a
    blanked count; a row at an anchor's whole-number position is left out.
    """
    n, width = values.shape
    anchors = sorted(anchors, key=lambda a: a[0])
    ahead, nxt = [], np.full(width, np.nan)
    for _, vals in reversed(anchors):
        nxt = np.where(np.isnan(vals), nxt, vals)
        ahead.append(nxt)
    ahead.reverse()
    keep, last, r = np.zeros(n, dtype=bool), np.full(width, np.nan), 0
    for (pos, vals), nxt in zip(
        [*anchors, (np.inf, None)], [*ahead, np.full(width, np.nan)], strict=True
    ):
        hi = n if pos == np.inf else min(n, int(np.ceil(pos)))
        while r < hi:
            row = values[r]
            up, down = row - last, nxt - row
            behind = (up > 0) & (up < below)
            close = (down > 0) & (down < below)
            if not (behind.any() or close.any()):
                keep[r], last, r = True, row.copy(), r + 1
                continue
            # jump to the first row that has moved far enough (or reached the next point)
            target = r + 1
            for c in np.flatnonzero(behind):
                target = max(target, r + int(np.searchsorted(values[r:hi, c], last[c] + below)))
            for c in np.flatnonzero(close):
                target = max(target, r + int(np.searchsorted(values[r:hi, c], nxt[c])))
            r = target
        if vals is not None:
            last = np.where(np.isnan(vals), last, vals)
            r = max(r, int(np.floor(pos)) + 1)
    return keep


def _coarsen_sweep(sweep: pd.DataFrame, forced: dict, below: int) -> pd.DataFrame:
    """The sweep's rows of decisions shown elsewhere and the rows :func:`_keep` allows."""
    keep = np.zeros(len(sweep), dtype=bool)
    for (s, a), g in sweep.groupby(["strategy", "assignment"], sort=False):
        idx = g.index.to_numpy()
        counts = g[list(SWEEP_COUNTS)].astype(float).to_numpy()
        where = {int(i): k for k, i in enumerate(idx)}
        anchors = [(-1, np.zeros(len(SWEEP_COUNTS)))]
        anchors += [(where[i], counts[where[i]]) for i in forced.get((s, a), ()) if i in where]
        known = (g["tp"] + g["fn"]).dropna()
        if len(known):
            anchors.append((len(g), np.array([np.nan, float(known.iloc[0]), np.nan])))
        # forced rows are published already, with their cells blanked as the engine chose
        values = np.nan_to_num(counts, nan=0.0)
        keep[idx[_keep(values, anchors, below)]] = True
        keep[[i for i in forced.get((s, a), ()) if i in where]] = True
    return sweep[keep].reset_index(drop=True)


def _merge_bins(dist: pd.DataFrame, mc: pd.DataFrame | None, below: int) -> pd.DataFrame:
    """Adjacent score bins merged until each holds 0 or ``below`` or more pairs and requests."""
    at = {}
    if mc is not None and not mc.empty:
        for r in mc.itertuples(index=False):
            at[(r.strategy, r.assignment)] = (r.threshold, r.pairs, r.requests_matched)
    parts = []
    for (s, a), g in dist.groupby(["strategy", "assignment"], sort=False):
        g = g.sort_values("bin", ascending=False, ignore_index=True)  # from the top score down
        n, low = len(g), g["score_low"].to_numpy(dtype=float)
        cum = g[list(CUMULATIVE)].astype(float).to_numpy()
        anchors: list[tuple[float, Any]] = [(-1, np.zeros(2)), (n - 1, cum[-1])]
        t, pairs, requests = at.get((s, a), (np.nan, np.nan, np.nan))
        if not pd.isna(t) and low[-1] < t <= g["score_high"].iloc[0]:
            equal = np.flatnonzero(low == t)
            pos = float(equal[0]) if len(equal) else float(np.sum(low > t)) - 0.5
            shown = [np.nan if pd.isna(x) else float(x) for x in (pairs, requests)]
            anchors.append((pos, np.array(shown)))
        kept = _keep(np.nan_to_num(cum), anchors, below)
        kept[-1] = True
        ends = np.flatnonzero(kept)
        starts = np.r_[0, ends[:-1] + 1]
        merged = g.iloc[ends].reset_index(drop=True)
        merged["score_high"] = g["score_high"].to_numpy()[starts]
        for col in ("pairs", "requests_best"):
            sums = np.add.reduceat(g[col].astype(float).fillna(0).to_numpy(), starts)
            merged[col] = pd.array(sums.round().astype("int64"), dtype="Int64")
        # the bottom bin is its total minus the bins above: blank with the total
        for col, per_bin in zip(CUMULATIVE, ("pairs", "requests_best"), strict=True):
            if pd.isna(merged[col].iloc[-1]):
                merged.loc[len(merged) - 1, per_bin] = pd.NA
        parts.append(merged.sort_values("bin", ignore_index=True))
    if not parts:
        return dist
    out = pd.concat(parts, ignore_index=True)
    for col in ("pairs", "requests_best"):
        if not out[col].isna().any():
            out[col] = out[col].astype("int64")
    return out


def suppress_small_counts(tables: dict[str, pd.DataFrame], below: int) -> dict[str, pd.DataFrame]:
    """Every evaluation table with small counts and what rebuilds them blanked (module docstring).

    Parameters
    ----------
    tables : dict of DataFrame
        The tables of one evaluation, by name, as ``evaluate`` builds them.
        Tables without the columns the relations are stated on (and tables
        this module does not know) get primary suppression only.
    below : int
        Counts from 1 to ``below`` − 1 are small.

    Returns
    -------
    dict of DataFrame
        The same tables, counts blanked as ``pd.NA`` (integer columns become
        ``Int64``) and figures as NaN; threshold_sweep with fewer rows,
        score_distribution with merged bins, harm_households without the
        groups whose household counts are blanked.

    Examples
    --------
    >>> t = pd.DataFrame({"wrong_person": [3, 40, 0], "wrong_person_per_100k": [3.0, 40.0, 0.0]})
    >>> suppress_small_counts({"outcomes": t}, 10)["outcomes"]["wrong_person"].tolist()
    [<NA>, 40, 0]
    """
    tables = {name: t.reset_index(drop=True) for name, t in tables.items()}
    net, plan = build_network(tables, below)
    done = _apply(tables, net, solve(net, below), plan)
    out = {}
    for name, table in tables.items():
        if name in done:
            out[name] = done[name]
        elif name in LONG_VALUES:
            out[name] = suppress_long(table, LONG_VALUES[name], below)
        else:
            out[name] = suppress_wide(table, below)
    return out
