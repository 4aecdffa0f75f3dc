"""The published evaluation figures as variables, the linear relations between them, and the
secondary-suppression solver that blanks cells until no blanked figure is determined.

:mod:`benchmark.evaluation.privacy` states the policy and applies it; this module holds the
bookkeeping (which cell shows which figure, which figures sum to which) and the
linear algebra (:func:`solve`).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.sparse.csgraph import connected_components

from benchmark.evaluation.outcomes import PER

# integer columns that number things rather than count people or records
NOT_COUNTS = frozenset(
    {"household_id", "address_id", "replicate", "replicates", "bin", "worlds"}
)
# totals the evaluation manifest publishes: known, never blanked
KNOWN = frozenset({"n_requests", "true_pairs"})
# figures computed from counts: blanked when any of their counts is
DERIVED = {
    "precision": ("tp", "fp"),
    "recall": ("tp", "fn"),
    "f1": ("tp", "fp", "fn"),
    "f_star": ("tp", "fp", "fn"),
    "wrong_person_rate": ("requests_with_wrong_person", "requests"),
    "rate_ci_low": ("requests_with_wrong_person", "requests"),
    "rate_ci_high": ("requests_with_wrong_person", "requests"),
    "per_100k_ci_low": ("wrong_person",),
    "per_100k_ci_high": ("wrong_person",),
    "rate_ratio": ("requests_with_wrong_person", "requests"),
    "rate_ratio_ci_low": ("requests_with_wrong_person", "requests"),
    "rate_ratio_ci_high": ("requests_with_wrong_person", "requests"),
    "precision_gap": ("tp", "fp"),
    "wrong_share_of_disclosures": ("wrong_person", "correct"),
    "pair_completeness": ("true_pairs_found",),
    "requests_matched_share": ("requests_matched",),
}
KEYS = ("strategy", "assignment", "operating_point")
# one count under several names
ALIAS = {
    "correct": "tp",
    "wrong_person": "fp",
    "candidate_pairs": "accepted",
    "true_pairs_found": "tp",
}
# within one decision: these cells, with these coefficients, sum to a known total
DECISION_RELATIONS = (
    {"accepted": 1, "tp": -1, "fp": -1},
    {"tp": 1, "fn": 1},
    {"missed": 1, "correctly_unmatched": 1, "requests_matched": 1},
    {"tp": 1, "fp": 1, "requests_matched": -1, "extra_disclosures": -1},
)
# disparity column -> the decision's count that each dimension's groups sum to
GROUP_TOTALS = {
    "requests_with_wrong_person": "requests_with_wrong_person",
    "wrong_person": "fp",
    "correct": "tp",
    "missed": "missed",
}
HOUSEHOLD = ("people", "us_citizens", "us_citizen_children", "lprs")
# harm totals that count rows of harm_households
ROW_COUNTS = (
    "households",
    "unrelated_households",
    "mixed_status_households",
    "unrelated_mixed_status_households",
)
SWEEP_COUNTS = ("accepted", "tp", "fp")
CUMULATIVE = ("pairs_at_or_above", "requests_at_or_above")


def bases(column: str) -> tuple[str, ...]:
    """The counts a figure is computed from: its count for a rate per 100k, a ratio's counts."""
    if column.endswith("_per_100k"):
        return (column.removesuffix("_per_100k"),)
    return DERIVED.get(column, ())


def small(values: pd.Series, below: int) -> np.ndarray:
    """Where ``values`` hold a count from 1 to ``below`` − 1 (blanks and zeros are not small)."""
    numbers = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
    return (numbers > 0) & (numbers < below)


def counts(table: pd.DataFrame) -> list[str]:
    """The columns of ``table`` that count people, records or pairs (integers, not ids or totals)."""
    return [
        c
        for c in table.columns
        if c not in NOT_COUNTS | KNOWN
        and pd.api.types.is_integer_dtype(table[c])
        and not pd.api.types.is_bool_dtype(table[c])
    ]


def alias(column: str) -> str:
    """The one name of a count shown under several (``correct`` is ``tp``)."""
    return ALIAS.get(column, column)


class Net:
    """The published figures as variables, where each is shown, and linear relations between them."""

    def __init__(self, below: int) -> None:
        self.below = below
        self.value: dict = {}
        self.kind: dict = {}  # count, figure (never primary), ratio (blanked with a base), hidden
        self.bases: dict = {}
        self.cells: dict = defaultdict(list)  # variable -> [(table, row, column)]
        self.relations: list[dict] = []
        self.order: dict = {}  # decision point -> rank along its nested chain
        self.main: set = set()  # variables of each strategy's main decision: blanked last
        self.hidden = 0

    def add(self, key, value, cell=None, kind="count", bases=()):
        if key not in self.value:
            self.value[key], self.kind[key] = float(value), kind
            if bases:
                self.bases[key] = tuple(bases)
        if cell is not None:
            self.cells[key].append(cell)
        return key

    def relate(self, coefs: dict) -> None:
        # a relation with a figure shown nowhere holds nothing the reader can use
        if coefs and all(k in self.value for k in coefs):
            self.relations.append(coefs)

    def secret(self, coefs: dict, value: float) -> None:
        """A count no table shows (a difference, a pooled total): protected when in 1..N−1."""
        if 0 < abs(value) < self.below and all(k in self.value for k in coefs):
            self.hidden += 1
            key = self.add(("hidden", self.hidden), value, kind="hidden")
            self.relate({key: 1.0, **{k: -c for k, c in coefs.items()}})

    def decisions(self, name: str, table: pd.DataFrame, points: list, family=lambda i, c: c):
        """A table's rows as decision points: counts, their rates per 100k, and ratios."""
        columns = counts(table)
        rates = [c for c in table if c.endswith("_per_100k") and c[:-9] in columns]
        ratios = [c for c in table if c in DERIVED]
        arrays = {c: table[c].to_numpy() for c in columns}
        ratio = {c: table[c].to_numpy(dtype=float) for c in ratios}
        main = table["main"].to_numpy(dtype=bool) if "main" in table else np.zeros(len(table), bool)
        for i, p in enumerate(points):
            if p is None:
                continue
            for c in columns:
                key = self.add(self.var(p, family(i, alias(c))), arrays[c][i], (name, i, c))
                if main[i]:
                    self.main.add(key)
            for c in rates:
                self.add(self.var(p, family(i, alias(c[:-9]))), 0, (name, i, c))
            for c in ratios:
                bases = [self.var(p, family(i, alias(b))) for b in DERIVED[c]]
                self.add(self.var(p, family(i, c)), ratio[c][i], (name, i, c), "ratio", bases)

    @staticmethod
    def var(point, family):
        # a group's requests are one figure at every decision
        if isinstance(family, tuple) and family[0] == "d" and family[3] == "requests":
            return ("requests", family[1], family[2])
        return (point, family)


def build_network(tables: dict[str, pd.DataFrame], below: int) -> tuple[Net, dict]:
    """Variables and relations of the evaluation tables written by ``evaluate``.

    Parameters
    ----------
    tables : dict of DataFrame
        The evaluation's tables by name, with a fresh 0..n−1 index.
    below : int
        Counts from 1 to ``below`` − 1 are small.

    Returns
    -------
    Net
        Every published figure as a variable with the cells that show it, and
        the linear relations between them.
    dict
        What :func:`benchmark.evaluation.privacy.suppress_small_counts` needs to apply the
        result: the tables handled, the sweep rows shown elsewhere, the
        intervals' rows and the household groups.
    """
    net = Net(below)
    plan: dict[str, Any] = {"handled": set(), "forced": defaultdict(set), "iv": [], "hh": []}
    sweep: Any = tables.get("threshold_sweep")
    rows: dict = {}
    if _has(sweep, ("strategy", "assignment", "threshold", *SWEEP_COUNTS, "fn")):
        plan["handled"].add("threshold_sweep")
        for sa, g in sweep.groupby(["strategy", "assignment"], sort=False):
            rows[sa] = (-g["threshold"].to_numpy(dtype=float), g.index.to_numpy())

    def point(s, a, t):
        if (s, a) not in rows:
            p = ("w0", s, a, ("t", float(t)))
            net.order[p] = -float(t)
            return p
        j = int(np.searchsorted(rows[(s, a)][0], -float(t), side="right")) - 1
        if j >= 0:
            plan["forced"][(s, a)].add(int(rows[(s, a)][1][j]))
        net.order[("w0", s, a, j)] = j
        return ("w0", s, a, j)

    opmap: dict[tuple, tuple] = {}
    for name in ("operating_points", "outcomes", "harm_summary"):
        t: Any = tables.get(name)
        if _has(t, (*KEYS, "threshold")):
            plan["handled"].add(name)
            pts = [point(*r) for r in t[["strategy", "assignment", "threshold"]].to_numpy()]
            opmap.update(zip(map(tuple, t[list(KEYS)].to_numpy().tolist()), pts, strict=True))
            plan[name] = pts
    blocking: Any = tables.get("blocking")
    if _has(blocking, ("strategy",)):
        plan["handled"].add("blocking")
        plan["blocking"] = [
            _blocking_point(sweep, rows, s, r, point) for s, r in blocking.iterrows()
        ]
    if "threshold_sweep" in plan["handled"]:
        forced = sorted(i for f in plan["forced"].values() for i in f)
        pts = [None] * len(sweep)
        for i in forced:
            pts[i] = point(
                sweep.at[i, "strategy"], sweep.at[i, "assignment"], sweep.at[i, "threshold"]
            )
        net.decisions("threshold_sweep", sweep, pts)
    for name in ("operating_points", "outcomes", "harm_summary", "blocking"):
        if name in plan:
            net.decisions(name, tables[name], plan[name])
    _groups(net, plan, tables, opmap)
    _worlds(net, plan, tables, opmap)
    _unlabelled(net, plan, tables)
    # relations within each decision, and differences along each nested chain
    chains = defaultdict(list)
    for key, kind in list(net.kind.items()):
        if key[0] in net.order:
            for rel in DECISION_RELATIONS if key[1] == "tp" else ():
                net.relate({(key[0], f): c for f, c in rel.items()})
            if kind == "count":
                chains[(key[0][:-1], key[1])].append((net.order[key[0]], key))
    for items in chains.values():
        items.sort()
        for i, (_, a) in enumerate(items):
            for _, b in items[i + 1 :]:
                net.secret({b: 1.0, a: -1.0}, net.value[b] - net.value[a])
    return net, plan


def _has(table: pd.DataFrame | None, columns) -> bool:
    return table is not None and not table.empty and all(c in table.columns for c in columns)


def _blocking_point(sweep, rows, index, row, point):
    """The last row of the strategy's sweep when the blocking report counts the same pairs."""
    sa = (row["strategy"], "none")
    if sa not in rows or pd.isna(row.get("true_pairs_found")):
        return ("blk", row["strategy"])
    last = rows[sa][1][-1]
    same = (sweep.at[last, "accepted"], sweep.at[last, "tp"]) == (
        row.get("candidate_pairs"),
        row["true_pairs_found"],
    )
    return point(*sa, sweep.at[last, "threshold"]) if same else ("blk", row["strategy"])


def _groups(net: Net, plan: dict, tables: dict, opmap: dict) -> None:
    """Disparities and harm_households: groups and households summing to their decision's totals."""
    disp: Any = tables.get("disparities")
    if _has(disp, (*KEYS, "dimension", "group")):
        plan["handled"].add("disparities")
        pts = [opmap.get(k) for k in map(tuple, disp[list(KEYS)].to_numpy().tolist())]
        dims, groups = disp["dimension"].to_numpy(), disp["group"].to_numpy()
        net.decisions("disparities", disp, pts, lambda i, c: ("d", dims[i], groups[i], c))
        members = defaultdict(set)
        for p, d, g in zip(pts, dims, groups, strict=True):
            members[(p, d)].add(g)
        for (p, d), gs in members.items():
            net.relate({("requests", d, g): 1.0 for g in gs})
            for col, sum_of in GROUP_TOTALS.items():
                net.relate({**{(p, ("d", d, g, alias(col))): 1.0 for g in gs}, (p, sum_of): -1.0})
    hh: Any = tables.get("harm_households")
    if not _has(hh, (*KEYS, "disclosure", "household_id", "disclosures", "own_disclosures")):
        return
    plan["handled"].add("harm_households")
    pts = [opmap.get(k) for k in map(tuple, hh[list(KEYS)].to_numpy().tolist())]
    kinds, ids = hh["disclosure"].to_numpy(), hh["household_id"].to_numpy()
    for c in HOUSEHOLD:
        for i, (p, h) in enumerate(zip(pts, ids, strict=True)):
            if c in hh and p is not None:
                net.add(("house", int(h), c), hh[c].iat[i], ("harm_households", i, c))
    rest = hh.drop(columns=[c for c in HOUSEHOLD if c in hh])
    net.decisions("harm_households", rest, pts, lambda i, c: ("h", kinds[i], int(ids[i]), c))
    unrelated = (hh["disclosures"] > hh["own_disclosures"]).to_numpy()
    for (*k, kind), g in hh.groupby([*KEYS, "disclosure"], sort=False):
        p, pre = opmap.get(tuple(k)), "" if kind == "wrong_person" else "correct_"
        if p is None:
            continue
        plan["hh"].append((g.index.to_numpy(), [(p, pre + c) for c in ROW_COUNTS]))
        homes = [int(h) for h in g["household_id"]]
        hit = [int(h) for h, u in zip(g["household_id"], unrelated[g.index], strict=True) if u]
        for c in HOUSEHOLD:
            net.relate({**{("house", h, c): 1.0 for h in homes}, (p, pre + c): -1.0})
            net.relate({**{("house", h, c): 1.0 for h in hit}, (p, pre + "unrelated_" + c): -1.0})
        own = {(p, ("h", kind, h, "own_disclosures")): 1.0 for h in homes}
        net.relate({**own, (p, pre + "own_household_disclosures"): -1.0})
        told = {(p, ("h", kind, h, "disclosures")): 1.0 for h in homes}
        total: tuple = (p, alias(kind))
        empty: tuple = (p, pre + "at_empty_address")
        # true when every occupied address has one household: then the reader can use it too
        if total in net.value and empty in net.value:
            if g["disclosures"].sum() == net.value[total] - net.value[empty]:
                net.relate({**told, total: -1.0, empty: 1.0})


def _worlds(net: Net, plan: dict, tables: dict, opmap: dict) -> None:
    """replicate_figures (world 0 is the other tables) and intervals over worlds."""
    rf: Any = tables.get("replicate_figures")
    if not _has(rf, ("replicate", *KEYS, "metric", "value", "n_requests")):
        return
    plan["handled"].add("replicate_figures")
    at = rf["metric"] == "threshold"
    thresholds = dict(
        zip(
            map(tuple, rf.loc[at, ["replicate", *KEYS]].to_numpy().tolist()),
            rf.loc[at, "value"],
            strict=True,
        )
    )
    members = defaultdict(list)
    columns = ["replicate", *KEYS, "metric", "value", "n_requests"]
    for i, (k, s, a, op, m, v, n) in enumerate(rf[columns].itertuples(index=False)):
        if m in ("threshold", "target_reached") or pd.isna(v):
            continue
        p = opmap.get((s, a, op)) if k == 0 else None
        if p is None:
            p = ("rep", k, s, a, float(thresholds.get((k, s, a, op), np.nan)))
            net.order[p] = -p[-1]
        cell, coef = ("replicate_figures", i, "value"), 1.0
        if m in DERIVED:
            key = net.add((p, m), v, cell, "ratio", [(p, alias(b)) for b in DERIVED[m]])
        elif m.endswith("_per_100k"):
            key, coef = net.add((p, alias(m[:-9])), round(v * n / PER), cell), PER / n
        else:
            key = net.add((p, alias(m)), v, cell)
        members[(s, a, op, m)].append((key, coef, v))
    iv: Any = tables.get("intervals")
    if not _has(iv, (*KEYS, "metric", "mean", "min", "max")):
        return
    plan["handled"].add("intervals")
    for i, (s, a, op, m, mean, low, high) in enumerate(
        iv[[*KEYS, "metric", "mean", "min", "max"]].itertuples(index=False)
    ):
        values = members.get((s, a, op, m))
        if not values or pd.isna(mean):
            continue
        figures = [k for k, _, _ in values]
        if m in DERIVED:
            # a ratio enters no linear relation: its row is shown only if every world's is
            plan["iv"].append((i, figures, ("mean", "sd", "ci_low", "ci_high", "min", "max")))
            continue
        stat = {
            c: net.add(("iv", s, a, op, m, c), x, ("intervals", i, c), "figure")
            for c, x in (("mean", mean), ("min", low), ("max", high))
        }
        net.relate({**{k: c for k, c, _ in values}, stat["mean"]: -float(len(values))})
        for k, c, v in values:
            for name, x in (("min", low), ("max", high)):
                if v == x:
                    net.relate({stat[name]: 1.0, k: -c})
        if len(values) > 1:
            net.secret(dict.fromkeys(figures, 1.0), sum(net.value[k] for k in figures))
        plan["iv"].append((i, [*figures, stat["mean"]], ("sd", "ci_low", "ci_high")))


def _unlabelled(net: Net, plan: dict, tables: dict) -> None:
    """match_counts and the totals of score_distribution (its bottom bin's cumulative counts)."""
    mc: Any = tables.get("match_counts")
    dist: Any = tables.get("score_distribution")
    if _has(mc, ("strategy", "assignment", "threshold")):
        plan["handled"].add("match_counts")
        net.decisions(
            "match_counts", mc, [("mc", s, a) for s, a in mc[["strategy", "assignment"]].to_numpy()]
        )
    if not _has(dist, ("strategy", "assignment", "bin", "score_low", *CUMULATIVE)):
        return
    plan["handled"].add("score_distribution")
    at = (
        {}
        if mc is None
        else {(s, a): t for s, a, t in mc[["strategy", "assignment", "threshold"]].to_numpy()}
    )
    for (s, a), g in dist.groupby(["strategy", "assignment"], sort=False):
        bottom = g.index[np.argmin(g["bin"].to_numpy())]
        t, low = at.get((s, a), np.inf), dist.at[bottom, "score_low"]
        for col, shown in zip(CUMULATIVE, ("pairs", "requests_matched"), strict=True):
            value, decision = dist.at[bottom, col], (("mc", s, a), shown)
            same = (pd.isna(t) or t <= low) and net.value.get(decision) == value
            key = decision if same else net.add(("total", s, a, col), value)
            net.add(key, value, ("score_distribution", bottom, col))
            net.secret({key: 1.0, decision: -1.0}, value - net.value.get(decision, value))


def solve(net: Net, below: int) -> set:
    """Blanked variables: small counts, then more until nothing blanked is determined.

    Each relation that alone determines a blanked non-zero figure gets one more
    cell blanked: its smallest non-zero published count (a zero only to protect
    a small count), the main decisions' last.  A blanked figure that is not
    small and still determined at the end is published again: it tells nothing
    new.

    Parameters
    ----------
    net : Net
        The variables and relations from :func:`build_network`.
    below : int
        Counts from 1 to ``below`` − 1 are small.

    Returns
    -------
    set
        The keys of the variables to blank.
    """
    keys = list(net.value)
    index = {k: i for i, k in enumerate(keys)}
    value = np.array([net.value[k] for k in keys])
    kind = np.array([net.kind[k] for k in keys])
    small = (kind == "hidden") | ((kind == "count") & (value > 0) & (value < below))
    blank = small.copy()
    free = np.isin(kind, ("count", "figure")) & np.array(
        [bool(net.cells.get(k)) for k in keys], dtype=bool
    )
    rank = np.where(value == 0, np.inf, np.abs(value))
    rank[[index[k] for k in net.main if k in index]] += 1e12
    rels = [
        (np.array([index[k] for k in r]), np.array(list(r.values()), float)) for r in net.relations
    ]
    ratios = [(index[k], [index[b] for b in bs if b in index]) for k, bs in net.bases.items()]

    protected = small.copy()

    def derive() -> None:
        for r, bs in ratios:
            blank[r] = bool(blank[bs].any())

    full, public = False, np.zeros(len(keys), dtype=bool)
    while True:
        derive()
        chosen, found = set(), _determined(rels, blank, full)
        for x, offending in found.items():
            if not protected[x] and value[x] == 0:
                continue  # a blanked zero tells no one anything
            # one cell per relation that determines x alone, else one among those combined
            groups = [rels[r][0] for r in offending] if full else [rels[offending[0]][0]]
            if full and len(groups) > 1:
                groups = [np.concatenate(groups)]
            for vs in groups:
                vs = vs[free[vs] & ~blank[vs] & (protected[x] | (value[vs] != 0))]
                if len(vs):
                    chosen.add(int(vs[np.argmin(rank[vs] + 1e15 * public[vs])]))
        if chosen:
            picked = np.array(sorted(chosen))
            # a cell published again and now needed blanked is protected from then on
            protected[picked] |= public[picked]
            blank[picked], public[picked], full = True, False, False
            continue
        if not full:
            full = True
            continue
        # nothing left to blank: publish again what is determined anyway; a ratio of
        # published counts is then published too, which may determine more
        release = [x for x in found if not protected[x]]
        if not release:
            break
        blank[release], public[release], full = False, True, False
    derive()
    return {k for k, b in zip(keys, blank, strict=True) if b}


def _determined(rels: list, blank: np.ndarray, full: bool) -> dict[int, list[int]]:
    """Blanked variables the published ones determine, each with the relations that do it.

    A blanked variable is determined when its unit vector lies in the row space
    of the relations restricted to the blanked variables (checked by SVD, one
    connected component at a time); the relations are those of the
    minimum-norm combination giving it.  Unless ``full``, relations with a
    single blanked variable are returned first, without the SVD.
    """
    rows = [(r, vs[blank[vs]], cs[blank[vs]]) for r, (vs, cs) in enumerate(rels)]
    rows = [row for row in rows if len(row[1])]
    found = defaultdict(list)
    for r, vs, _ in rows:
        if len(vs) == 1:
            found[int(vs[0])].append(r)
    if (found and not full) or not rows:
        return found
    unknowns = np.unique(np.concatenate([vs for _, vs, _ in rows]))
    column = np.full(len(blank), -1)
    column[unknowns] = np.arange(len(unknowns))
    r_idx = np.concatenate([np.full(len(vs), i) for i, (_, vs, _) in enumerate(rows)])
    c_idx = column[np.concatenate([vs for _, vs, _ in rows])]
    coefs = np.concatenate([cs / np.linalg.norm(cs) for _, _, cs in rows])
    matrix = sparse.csr_matrix((coefs, (r_idx, c_idx)), shape=(len(rows), len(unknowns)))
    _, label = connected_components(matrix.T @ matrix, directed=False)
    row_label = label[matrix.indices[matrix.indptr[:-1]]]
    origin = np.array([r for r, _, _ in rows])
    for part in np.unique(label):
        cols, part_rows = np.flatnonzero(label == part), np.flatnonzero(row_label == part)
        u, s, vt = np.linalg.svd(matrix[part_rows][:, cols].toarray(), full_matrices=False)
        k = int((s > 1e-9 * max(len(part_rows), len(cols))).sum())
        for j in np.flatnonzero((vt[:k] ** 2).sum(axis=0) > 1 - 1e-7):
            weights = u[:, :k] @ (vt[:k, j] / s[:k])
            found[int(unknowns[cols[j]])] = origin[part_rows[np.abs(weights) > 1e-9]].tolist()
    return found
