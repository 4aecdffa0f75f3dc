"""``--suppress-below``: no blanked cell, and no small count hidden in a difference, can be rebuilt.

The smoke pipeline runs once per module, with and without suppression, on a
generated world (two replicate worlds), on user tables with ground truth (one
world, no harm) and on user tables without it.  The relations between the
written tables are stated here from what each column means, independently of
:mod:`benchmark.evaluation.privacy`: cells that must be equal are merged, every other
relation is a row of a linear system with the published cells substituted, and
a blanked cell (or a small difference of two decisions, or a count pooled over
worlds) is rebuilt iff its unit vector lies in the row space of the unknowns.
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import sparse
from scipy.sparse.csgraph import connected_components

from benchmark.cli import main

ROOT = Path(__file__).resolve().parents[2]
log = logging.getLogger(__name__)
N = 10
STRATEGIES = ("irs_2025", "splink", "fuzzy_rules")
KEYS = ["strategy", "assignment", "operating_point"]
IDS = {"household_id", "address_id", "replicate", "replicates", "bin", "worlds"}
TOTALS = {"n_requests", "true_pairs"}
SAME = {"correct": "tp", "wrong_person": "fp", "candidate_pairs": "accepted"}
RATIOS = {"precision", "recall", "f1", "f_star"}
HOUSEHOLD = ("people", "us_citizens", "us_citizen_children", "lprs")
NOT_COUNT_METRICS = RATIOS | {"threshold", "target_reached"}
TABLES = (
    "threshold_sweep",
    "operating_points",
    "outcomes",
    "harm_summary",
    "disparities",
    "harm_households",
    "blocking",
    "replicate_figures",
    "intervals",
    "match_counts",
    "score_distribution",
)


def _run(*argv) -> None:
    assert main(["-q", *map(str, argv)]) == 0, argv


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, tuple[Path, Path]]:
    """(unsuppressed, suppressed) evaluation folders of the three kinds of run."""
    tmp = tmp_path_factory.mktemp("privacy")
    data, own = tmp / "data", tmp / "own"
    _run("generate", "--config", ROOT / "configs" / "smoke.toml", "--out", data)
    _run("export", "--data", data, "--out", own)
    tables = ["--requests", own / "requests.csv", "--filers", own / "filers.parquet"]
    sources = {
        "world": (["--data", data], ["--replicates", "2"]),
        "user": ([*tables, "--mapping", own / "mapping.toml"], []),
        "no_truth": ([*tables, "--mapping", own / "mapping_no_truth.toml"], []),
    }
    out = {}
    for name, (source, extra) in sources.items():
        for strategy in STRATEGIES:
            _run("link", *source, "--strategy", strategy, "--out", tmp / name / strategy)
        for tag, suppress in (("plain", []), ("suppressed", ["--suppress-below", N])):
            _run(
                "evaluate",
                *source,
                "--pairs",
                tmp / name,
                "--out",
                tmp / f"{name}_{tag}",
                *extra,
                *suppress,
            )
        out[name] = (tmp / f"{name}_plain", tmp / f"{name}_suppressed")
    return out


def _read(folder: Path) -> dict[str, pd.DataFrame]:
    return {p.stem: pd.read_parquet(p) for p in sorted(folder.glob("*.parquet"))}


def _count_columns(table: pd.DataFrame) -> list[str]:
    return [
        c
        for c in table.columns
        if c not in IDS | TOTALS
        and (pd.api.types.is_integer_dtype(table[c]) and not pd.api.types.is_bool_dtype(table[c]))
    ]


# --------------------------------------------------------------------------- the linear system


class System:
    """Cells (published or not), cells known to be equal, and linear relations with known totals."""

    def __init__(self) -> None:
        self.parent: dict = {}
        self.shown: dict = {}  # cell -> published?
        self.relations: list[dict] = []
        self.secrets: dict = {}  # hidden small quantity -> what it is
        self.violations: list[str] = []  # rebuilds that are not linear (bounds, row counts)

    def cell(self, key, shown: bool):
        self.parent.setdefault(key, key)
        self.shown[key] = self.shown.get(key, False) or shown
        return key

    def root(self, key):
        while self.parent[key] != key:
            self.parent[key] = self.parent[self.parent[key]]
            key = self.parent[key]
        return key

    def same(self, a, b) -> None:
        self.parent[self.root(a)] = self.root(b)

    def relate(self, coefs: dict) -> None:
        if all(k in self.parent for k in coefs):
            self.relations.append(coefs)

    def secret(self, coefs: dict, what: str) -> None:
        key = self.cell(("secret", len(self.secrets)), False)
        self.secrets[key] = what
        self.relate({key: 1.0, **{k: -c for k, c in coefs.items()}})

    def rebuilt(self) -> list:
        """Unknown cells (blanked or secret) that the published cells determine."""
        known = defaultdict(bool)
        for key, shown in self.shown.items():
            known[self.root(key)] |= shown
        rows = []
        for rel in self.relations:
            row = defaultdict(float)
            for k, c in rel.items():
                if not known[self.root(k)]:
                    row[self.root(k)] += c
            row = {k: c for k, c in row.items() if abs(c) > 1e-12}
            if row:
                rows.append(row)
        unknown = sorted({k for row in rows for k in row}, key=repr)
        column = {k: i for i, k in enumerate(unknown)}
        determined = {k for k in known if known[k]}
        if rows:
            r = [i for i, row in enumerate(rows) for _ in row]
            c = [column[k] for row in rows for k in row]
            v = [x / np.linalg.norm(list(row.values())) for row in rows for x in row.values()]
            m = sparse.csr_matrix((v, (r, c)), shape=(len(rows), len(unknown)))
            _, label = connected_components(m.T @ m, directed=False)
            first = label[m.indices[m.indptr[:-1]]]
            for part in np.unique(label):
                cols = np.flatnonzero(label == part)
                block = m[np.flatnonzero(first == part)][:, cols].toarray()
                _, s, vt = np.linalg.svd(block, full_matrices=False)
                basis = vt[: int((s > 1e-9 * max(block.shape)).sum())]
                determined |= {
                    unknown[cols[j]] for j in np.flatnonzero((basis**2).sum(0) > 1 - 1e-7)
                }
        return [
            k
            for k in self.shown
            if not self.shown[k]
            and self.root(k) in determined
            and (k in self.secrets or k[0] in TABLES)
        ]


# --------------------------------------------------------------------------- the relations


def _point(sweeps: dict, s, a, t):
    """The decision ``score >= t``: the index of the last row of the full sweep at or above ``t``."""
    return ("w0", s, a, int(np.searchsorted(-sweeps[(s, a)], -t, side="right")) - 1)


def _decision(sys_: System, p) -> None:
    """Relations within one decision (one world, strategy, assignment and threshold)."""
    sys_.relate({(p, "accepted"): 1, (p, "tp"): -1, (p, "fp"): -1})
    sys_.relate({(p, "tp"): 1, (p, "fn"): 1})  # = true pairs
    sys_.relate({(p, "missed"): 1, (p, "correctly_unmatched"): 1, (p, "requests_matched"): 1})
    sys_.relate(
        {(p, "tp"): 1, (p, "fp"): 1, (p, "requests_matched"): -1, (p, "extra_disclosures"): -1}
    )


def _ratio(sys_: System, p, name: str, r: float) -> None:
    """A published ratio is a linear relation between its counts: r × (tp + fp) = tp, ..."""
    tp, fp, fn = (p, "tp"), (p, "fp"), (p, "fn")
    for key in (tp, fp, fn):
        sys_.cell(key, False)
    sys_.relate(
        {
            "precision": {tp: r - 1, fp: r},
            "recall": {tp: r - 1, fn: r},
            "f1": {tp: 2 * r - 2, fp: r, fn: r},
            "f_star": {tp: r - 1, fp: r, fn: r},
        }[name]
    )


def build(plain: dict, shown: dict, n_requests: int) -> tuple[System, dict]:
    """The system of one suppressed evaluation, and the true value of each decision's counts."""
    sys_, truth = System(), {}
    sweeps = {}
    if "threshold_sweep" in plain:
        for sa, g in plain["threshold_sweep"].groupby(["strategy", "assignment"]):
            sweeps[sa] = g["threshold"].to_numpy()
    at, points_seen = {}, set()
    for name in ("threshold_sweep", "operating_points", "outcomes", "harm_summary"):
        if name not in shown:
            continue
        counts = _count_columns(plain[name])
        for table, is_shown in ((plain[name], False), (shown[name], True)):
            points = [
                _point(sweeps, s, a, t)
                for s, a, t in table[["strategy", "assignment", "threshold"]].to_numpy()
            ]
            if not is_shown:
                for c in counts:
                    truth.update(
                        {(p, SAME.get(c, c)): v for p, v in zip(points, table[c], strict=True)}
                    )
                continue
            if name != "threshold_sweep":
                at.update(zip(map(tuple, table[KEYS].to_numpy().tolist()), points, strict=True))
            for col in table.columns:
                if not pd.api.types.is_numeric_dtype(table[col]) or pd.api.types.is_bool_dtype(
                    table[col]
                ):
                    continue
                values = table[col].to_numpy(dtype=float, na_value=np.nan)
                for i, p in enumerate(points):
                    key = sys_.cell((name, i, col), not np.isnan(values[i]))
                    points_seen.add(p)
                    if col in counts:
                        sys_.same(key, sys_.cell((p, SAME.get(col, col)), False))
                    elif col.endswith("_per_100k"):  # count × 100,000 / requests
                        base = col.removesuffix("_per_100k")
                        sys_.relate({key: 1, (p, SAME.get(base, base)): -1e5 / n_requests})
                    elif col in RATIOS and not np.isnan(values[i]):
                        _ratio(sys_, p, col, values[i])
    _blocking(sys_, shown, plain, sweeps)
    _disparities(sys_, shown, plain, at, truth)
    _households(sys_, shown, plain, at, truth)
    _worlds(sys_, shown, plain, at, truth)
    _unlabelled(sys_, shown, plain)
    for p in points_seen | {k[0] for k in truth if k[0][0] == "rep"}:
        _decision(sys_, p)
    _chains(sys_, truth)
    return sys_, truth


def _blocking(sys_: System, shown: dict, plain: dict, sweeps: dict) -> None:
    """The blocking report counts the pairs of the last sweep row without one-to-one."""
    if "blocking" not in shown:
        return
    full = plain["threshold_sweep"]
    for i, row in shown["blocking"].iterrows():
        for col in ("candidate_pairs", "true_pairs_found"):
            sys_.cell(("blocking", i, col), not pd.isna(row[col]))
        last = full[(full["strategy"] == row["strategy"]) & (full["assignment"] == "none")].iloc[-1]
        p = _point(sweeps, row["strategy"], "none", last["threshold"])
        if (last["accepted"], last["tp"]) == tuple(
            plain["blocking"].loc[i, ["candidate_pairs", "true_pairs_found"]]
        ):
            sys_.same(("blocking", i, "candidate_pairs"), sys_.cell((p, "accepted"), False))
            sys_.same(("blocking", i, "true_pairs_found"), sys_.cell((p, "tp"), False))
        if not pd.isna(row["pair_completeness"]):  # = found / true pairs
            sys_.relate({("blocking", i, "true_pairs_found"): 1})


def _disparities(sys_: System, shown: dict, plain: dict, at: dict, truth: dict) -> None:
    """Each dimension's groups sum to the decision's counts, their requests to n_requests."""
    if "disparities" not in shown:
        return
    t, full = shown["disparities"], plain["disparities"]
    groups = defaultdict(list)
    for i, k in enumerate(map(tuple, t[KEYS].to_numpy().tolist())):
        p, d, g = at[k], t.at[i, "dimension"], t.at[i, "group"]
        groups[(p, d)].append(g)
        fams = {}
        for col in ("requests", "requests_with_wrong_person", "wrong_person", "correct", "missed"):
            fams[col] = ("req", d, g) if col == "requests" else (p, ("d", d, g, col))
            sys_.same(
                sys_.cell(("disparities", i, col), not pd.isna(t.at[i, col])),
                sys_.cell(fams[col], False),
            )
            truth[fams[col]] = full.at[i, col]
        rate, share = t.at[i, "wrong_person_rate"], t.at[i, "wrong_share_of_disclosures"]
        if not pd.isna(rate):  # rate × requests = requests with a wrong person
            sys_.relate({fams["requests_with_wrong_person"]: 1, fams["requests"]: -rate})
        if not pd.isna(share):  # share × (wrong + correct) = wrong
            sys_.relate({fams["wrong_person"]: 1 - share, fams["correct"]: -share})
        # the Wilson bounds are not linear in their counts: shown only with both
        for col in ("rate_ci_low", "rate_ci_high"):
            if not pd.isna(t.at[i, col]) and (
                pd.isna(t.at[i, "requests"]) or pd.isna(t.at[i, "requests_with_wrong_person"])
            ):
                sys_.violations.append(f"disparities row {i}: {col} shown with a blanked count")
    for (p, d), gs in groups.items():
        sys_.relate({("req", d, g): 1 for g in gs})  # = n_requests
        for col, total in (
            ("requests_with_wrong_person", "requests_with_wrong_person"),
            ("wrong_person", "fp"),
            ("correct", "tp"),
            ("missed", "missed"),
        ):
            sys_.relate({**{(p, ("d", d, g, col)): 1 for g in gs}, (p, total): -1})


def _households(sys_: System, shown: dict, plain: dict, at: dict, truth: dict) -> None:
    """A group's households sum to its harm totals; a household's own counts are one figure."""
    if "harm_households" not in shown:
        return
    t, full = shown["harm_households"], plain["harm_households"]
    index = [*KEYS, "disclosure", "household_id"]
    unrelated = dict(
        zip(
            map(tuple, full[index].to_numpy().tolist()),
            full["disclosures"] > full["own_disclosures"],
            strict=True,
        )
    )
    told = dict(zip(map(tuple, full[index].to_numpy().tolist()), full["disclosures"], strict=True))
    own = dict(
        zip(map(tuple, full[index].to_numpy().tolist()), full["own_disclosures"], strict=True)
    )
    members = defaultdict(list)
    for i, row in enumerate(t[index].itertuples(index=False)):
        p, kind, h = at[tuple(row[:3])], row[3], int(row[4])
        members[(p, kind)].append((h, unrelated[tuple(row)], told[tuple(row)]))
        for col in ("disclosures", "own_disclosures", *HOUSEHOLD):
            fam = ("house", h, col) if col in HOUSEHOLD else (p, ("h", kind, h, col))
            sys_.same(
                sys_.cell(("harm_households", i, col), not pd.isna(t.at[i, col])),
                sys_.cell(fam, False),
            )
        truth[(p, ("h", kind, h, "disclosures"))] = told[tuple(row)]
        truth[(p, ("h", kind, h, "own_disclosures"))] = own[tuple(row)]
    for (p, kind), homes in members.items():
        pre = "" if kind == "wrong_person" else "correct_"
        for c in HOUSEHOLD:
            sys_.relate({**{("house", h, c): 1 for h, _, _ in homes}, (p, pre + c): -1})
            sys_.relate(
                {**{("house", h, c): 1 for h, u, _ in homes if u}, (p, pre + "unrelated_" + c): -1}
            )
        sys_.relate(
            {
                **{(p, ("h", kind, h, "own_disclosures")): 1 for h, _, _ in homes},
                (p, pre + "own_household_disclosures"): -1,
            }
        )
        # the rows count the households (and, read with their flags, the unrelated and mixed ones)
        for total in (
            "households",
            "unrelated_households",
            "mixed_status_households",
            "unrelated_mixed_status_households",
        ):
            sys_.relate({(p, pre + total): 1})
        total, empty = (p, SAME.get(kind, kind)), (p, pre + "at_empty_address")
        if truth.get(total, np.nan) - truth.get(empty, np.nan) == sum(d for _, _, d in homes):
            sys_.relate(
                {
                    **{(p, ("h", kind, h, "disclosures")): 1 for h, _, _ in homes},
                    total: -1,
                    empty: 1,
                }
            )


def _worlds(sys_: System, shown: dict, plain: dict, at: dict, truth: dict) -> None:
    """replicate_figures (world 0 is the other tables) and intervals: K × mean = sum, min, max."""
    if "replicate_figures" not in shown:
        return
    rf, full = shown["replicate_figures"], plain["replicate_figures"]
    where = full["metric"] == "threshold"
    thr = dict(
        zip(
            map(tuple, full.loc[where, ["replicate", *KEYS]].to_numpy().tolist()),
            full.loc[where, "value"],
            strict=True,
        )
    )
    worlds = defaultdict(list)
    columns = ["replicate", *KEYS, "metric", "value", "n_requests"]
    for i, (k, s, a, op, m, v, n) in enumerate(rf[columns].itertuples(index=False)):
        key = sys_.cell(("replicate_figures", i, "value"), not pd.isna(v))
        if m in ("threshold", "target_reached"):
            continue
        p = at[(s, a, op)] if k == 0 else ("rep", k, s, a, thr[(k, s, a, op)])
        worlds[(s, a, op, m)].append((key, full.at[i, "value"]))
        if m.endswith("_per_100k"):
            base = m.removesuffix("_per_100k")
            sys_.relate({key: 1, (p, SAME.get(base, base)): -1e5 / n})
        elif m in RATIOS:
            if not pd.isna(v):
                _ratio(sys_, p, m, v)
        else:
            sys_.same(key, sys_.cell((p, SAME.get(m, m)), False))
            truth[(p, SAME.get(m, m))] = full.at[i, "value"]
    iv, full_iv = shown["intervals"], plain["intervals"]
    for j, (s, a, op, m) in enumerate(iv[[*KEYS, "metric"]].itertuples(index=False)):
        values = worlds.get((s, a, op, m))
        if not values:
            continue
        cells = [key for key, _ in values]
        stats = {
            c: sys_.cell(("intervals", j, c), not pd.isna(iv.at[j, c]))
            for c in ("mean", "sd", "ci_low", "ci_high", "min", "max")
        }
        blanked = any(not sys_.shown[c] for c in cells)
        # sd and the bounds are not linear in the values, nor is a ratio's row: shown only whole
        for c in stats if m in RATIOS else ("sd", "ci_low", "ci_high"):
            if blanked and sys_.shown[stats[c]]:
                sys_.violations.append(f"intervals row {j} ({m}): {c} shown with a blanked world")
        sys_.relate({**dict.fromkeys(cells, 1.0), stats["mean"]: -float(len(cells))})
        # a published minimum or maximum is one of the worlds' values: assume the reader
        # knows which (a blanked one ties nothing: the reader does not know it is equal)
        for key, v in values:
            for c in ("min", "max"):
                if v == full_iv.at[j, c] and sys_.shown[stats[c]]:
                    sys_.relate({stats[c]: 1, key: -1})
        total = sum(v for _, v in values)
        if m not in NOT_COUNT_METRICS and len(values) > 1 and 0 < total < N:
            per = [key for key, _ in values] if not m.endswith("_per_100k") else None
            if per:
                sys_.secret(dict.fromkeys(per, 1.0), f"{m} pooled over worlds, {s} {a} {op}")


def _unlabelled(sys_: System, shown: dict, plain: dict) -> None:
    """score_distribution: bins are differences of the cumulative columns; the match counts."""
    if "match_counts" not in shown:
        return
    mc, mc_full = shown["match_counts"], plain["match_counts"]
    for i in range(len(mc)):
        for col in ("pairs", "requests_matched", "records_matched", "requests_with_multiple_pairs"):
            sys_.cell(("match_counts", i, col), not pd.isna(mc.at[i, col]))
        if not pd.isna(mc.at[i, "requests_matched_share"]):  # share × n_requests
            sys_.relate({("match_counts", i, "requests_matched"): 1})
    sd, sd_full = shown["score_distribution"], plain["score_distribution"]
    for col in ("pairs", "requests_best", "pairs_at_or_above", "requests_at_or_above"):
        for i in range(len(sd)):
            sys_.cell(("score_distribution", i, col), not pd.isna(sd.at[i, col]))
    pairs = (
        ("pairs", "pairs_at_or_above", "pairs"),
        ("requests_best", "requests_at_or_above", "requests_matched"),
    )
    for (s, a), g in sd.groupby(["strategy", "assignment"]):
        idx = g.sort_values("bin").index.to_numpy()
        row = int(np.flatnonzero((mc["strategy"] == s) & (mc["assignment"] == a))[0])
        t = mc.at[row, "threshold"]
        bins = sd_full[(sd_full["strategy"] == s) & (sd_full["assignment"] == a)].set_index("bin")
        for per_bin, cum, counted in pairs:
            for lo, hi in zip(idx, [*idx[1:], None], strict=True):
                rel = {("score_distribution", lo, per_bin): 1, ("score_distribution", lo, cum): -1}
                if hi is not None:
                    rel[("score_distribution", hi, cum)] = 1
                sys_.relate(rel)
            if pd.isna(t) or t <= g["score_low"].min():
                sys_.same(("score_distribution", idx[0], cum), ("match_counts", row, counted))
            # the decision at t against every bin edge: the pairs (requests) in between
            for i in idx:
                diff = bins.at[sd.at[i, "bin"], cum] - mc_full.at[row, counted]
                if 0 < abs(diff) < N:
                    sys_.secret(
                        {("score_distribution", i, cum): 1, ("match_counts", row, counted): -1},
                        f"{cum} at bin {sd.at[i, 'bin']} against match_counts, {s} {a}",
                    )


def _chains(sys_: System, truth: dict) -> None:
    """A lower threshold accepts a superset: small differences between decisions stay hidden."""
    series = defaultdict(list)
    for key in list(sys_.parent):
        if key in truth and isinstance(key[0], tuple) and key[0][0] in ("w0", "rep"):
            p, fam = key
            series[(p[:-1], fam)].append((p[-1] if p[0] == "w0" else -p[-1], key))
    for items in series.values():
        items.sort()
        for i, (_, a) in enumerate(items):
            for _, b in items[i + 1 :]:
                diff = truth[b] - truth[a]
                if 0 < abs(diff) < N:
                    sys_.secret({b: 1, a: -1}, f"{fam} between {a[0]} and {b[0]}")


# --------------------------------------------------------------------------- tests


@pytest.fixture(scope="module")
def systems(runs) -> dict[str, tuple[System, dict, dict]]:
    out = {}
    for name, (plain, suppressed) in runs.items():
        manifest = json.loads((suppressed / "evaluation_manifest.json").read_text())
        shown = _read(suppressed)
        sys_, _ = build(_read(plain), shown, manifest["n_requests"])
        out[name] = (sys_, shown, manifest)
    return out


@pytest.mark.parametrize("run", ["world", "user", "no_truth"])
def test_no_blanked_cell_and_no_small_difference_can_be_rebuilt(systems, run):
    sys_, _, manifest = systems[run]
    assert manifest["suppress_below"] == N
    blanked = [k for k, shown in sys_.shown.items() if not shown and k[0] in TABLES]
    rebuilt = sys_.rebuilt()
    log.info(
        f"{run}: {len(blanked)} blanked cells, {len(sys_.secrets)} small hidden differences, "
        f"{len(sys_.relations)} relations, {len(blanked) + len(sys_.secrets)} rebuild attempts"
    )
    assert blanked, "nothing was suppressed: the test would pass vacuously"
    assert not sys_.violations, sys_.violations[:5]
    assert not rebuilt, [sys_.secrets.get(k, k) for k in rebuilt[:10]]
    if run == "world":
        assert len(sys_.secrets) > 100  # differences between decisions are exercised


@pytest.mark.parametrize("run", ["world", "user", "no_truth"])
def test_no_published_count_is_small(systems, runs, run):
    _, shown, _ = systems[run]
    for name, table in shown.items():
        plain = _read(runs[run][0])
        # a column left out of the suppressed evaluation publishes nothing
        for col in [c for c in _count_columns(plain[name]) if c in table] if name in plain else []:
            values = pd.to_numeric(table[col], errors="coerce").dropna().to_numpy()
            assert not ((values > 0) & (values < N)).any(), (name, col)
    for name, column in (
        ("replicate_figures", "value"),
        ("intervals", "min"),
        ("intervals", "max"),
    ):
        if name in shown:
            t = shown[name]
            counts = ~t["metric"].isin(NOT_COUNT_METRICS) & ~t["metric"].str.endswith("_per_100k")
            values = t.loc[counts, column].dropna().to_numpy()
            assert not ((values > 0) & (values < N)).any(), (name, column)
    if "intervals" in shown:  # the count pooled over worlds
        t = shown["intervals"]
        counts = ~t["metric"].isin(NOT_COUNT_METRICS) & ~t["metric"].str.endswith("_per_100k")
        pooled = (t.loc[counts, "mean"] * t.loc[counts, "replicates"]).dropna().round().to_numpy()
        assert not ((pooled > 0) & (pooled < N)).any()


@pytest.mark.parametrize("run", ["world", "user", "no_truth"])
def test_suppression_only_blanks_and_the_csv_copies_show_no_more(runs, run):
    plain, suppressed = (_read(f) for f in runs[run])
    for name, table in suppressed.items():
        csv = pd.read_csv(runs[run][1] / f"{name}.csv")
        if name == "threshold_sweep":
            keys = ["strategy", "assignment", "threshold"]
            assert len(csv.merge(table, on=keys)) == len(csv)  # the thinned CSV: a subset
            table = table.merge(plain[name], on=keys, suffixes=("", "_plain"))
        elif name in ("harm_households", "score_distribution"):
            keys = (
                [*KEYS, "disclosure", "household_id"]
                if name == "harm_households"
                else ["strategy", "assignment", "bin"]
            )
            table = table.merge(plain[name], on=keys, suffixes=("", "_plain"))
        else:
            assert len(csv) == len(table)
            table = table.join(plain[name], rsuffix="_plain")
        for col in [c for c in _count_columns(plain[name]) if c in suppressed[name]]:
            mine = table[col].to_numpy(dtype=float, na_value=np.nan)
            if name == "score_distribution" and col in ("pairs", "requests_best"):
                continue  # merged bins: the cumulative columns are compared instead
            shown = ~np.isnan(mine)
            assert (mine[shown] == table[f"{col}_plain"].to_numpy(dtype=float)[shown]).all(), (
                name,
                col,
            )
        if name != "threshold_sweep":
            written = pd.read_csv(runs[run][1] / f"{name}.csv")
            for col in [c for c in _count_columns(plain[name]) if c in suppressed[name]]:
                assert (
                    written[col].isna().to_numpy() == suppressed[name][col].isna().to_numpy()
                ).all()


def test_the_reported_rebuilds_are_closed(systems):
    """The reproductions: fp = accepted − tp, tp = true pairs − fn, requests = n − other groups,
    a bin = difference of two cumulative rows."""
    _, world, manifest = systems["world"]
    for name in ("operating_points", "threshold_sweep"):
        t = world[name]
        shown = t[["accepted", "tp", "fp", "fn"]].notna()
        assert not (~shown["fp"] & shown["accepted"] & shown["tp"]).any(), name
        assert not (~shown["tp"] & shown["fn"]).any(), name
    d = world["disparities"]
    for key, g in d.groupby([*KEYS, "dimension"]):
        assert g["requests"].isna().sum() != 1, key
    _, none, _ = systems["no_truth"]
    sd = none["score_distribution"]
    for _, g in sd.groupby(["strategy", "assignment"]):
        g = g.sort_values("bin")
        cum = g["pairs_at_or_above"].to_numpy(dtype=float, na_value=np.nan)
        bins = -np.diff(np.r_[cum, 0.0])
        shown = ~np.isnan(bins)
        assert not ((bins[shown] > 0) & (bins[shown] < N)).any()


def test_tables_without_their_keys_get_primary_suppression_only():
    from benchmark.evaluation.privacy import suppress_small_counts

    t = pd.DataFrame({"tp": [4, 12, 40], "fp": [0, 3, 25], "precision": [1.0, 0.8, 0.6]})
    out = suppress_small_counts({"operating_points": t}, N)["operating_points"]
    assert out["tp"].isna().tolist() == [True, False, False]
    assert out["precision"].isna().tolist() == [True, True, False]
