"""``itin-bench perf peers``: the generator and the ``splink`` strategy beside two peers.

Two measurements, in one process on one machine:

* **Generator against pseudopeople.**  Both tools return noised person records
  as DataFrames in memory (nothing is written).  pseudopeople's records are
  those of its bundled sample datasets (the default source), noised by its
  default configuration; it starts from a population simulated beforehand,
  while ``generate_world`` builds its population as part of the timed run.
  The comparable count of our records is the noised observation tables a
  linkage sees (``irs_filers``, ``irs_dependents`` and ``requests``); all rows
  of all ten tables are reported beside it.
* **``splink`` against the Python Record Linkage Toolkit.**  On one generated
  world, ``recordlinkage`` builds its candidate pairs from the ``splink``
  strategy's own blocking rules (each rule translated to ``Index.block`` keys,
  the union of the blocks as Splink takes it), computes the same comparison
  levels from the same normalised columns (each Splink comparison translated
  level by level, similarity functions from ``recordlinkage`` and its
  ``jellyfish``), and classifies with its unsupervised ``ECMClassifier``.
  The translation is checked on every run: the two candidate-pair sets are
  compared, and Splink's own comparison levels are read back and compared
  with recordlinkage's, pair by pair.

Timings exclude imports; each tool makes one small untimed call first, and the
generators report the median of several runs.  The linkage is timed once per
method.
"""

from __future__ import annotations

import contextlib
import io
import logging
import re
import statistics
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from benchmark.metrics import (
    OperatingPoint,
    choose_threshold,
    counts_at,
    label_pairs,
    pair_keys,
    threshold_sweep,
)
from benchmark.strategies.base import RECORD_COLUMNS, REQUEST_COLUMNS, Backend, LinkData
from data_gen.errors import InputError

log = logging.getLogger(__name__)

PERF_EXTRA = "install the perf extra: pip install -e '.[perf]'"
PSEUDOPEOPLE_DATASETS = (
    "american_community_survey",
    "current_population_survey",
    "decennial_census",
    "social_security",
    "taxes_1040",
    "taxes_w2_and_1099",
    "women_infants_and_children",
)
# pseudopeople's default year, and every year of its sample (more records per call)
PSEUDOPEOPLE_YEARS: tuple[int | None, ...] = (2020, None)
# the noised tables a linkage reads: the comparable count to pseudopeople's records
OBSERVED_TABLES = ("irs_filers", "irs_dependents", "requests")
PEER_PACKAGES = ("pseudopeople", "recordlinkage", "splink", "duckdb", "pandas", "numpy")
# the decision both Fellegi-Sunter models take by themselves: match probability >= 0.5
# (a Splink match weight >= 0); and the project's main operating point
NATURAL = {"splink": 0.0, "recordlinkage": 0.5}
PRECISION_POINT = OperatingPoint("precision_0.99", "precision", 0.99)
ACCEPTANCE_RATIO = 10.0


def require_peers() -> None:
    """Check that the peers (the ``perf`` extra) can be imported.

    Raises
    ------
    InputError
        With the install command, if pseudopeople or recordlinkage is missing.
    """
    try:
        import pseudopeople  # noqa: F401
        import recordlinkage  # noqa: F401
    except ImportError:
        raise InputError(PERF_EXTRA) from None


def versions() -> dict[str, str]:
    """Installed versions of the peers and of what the ``splink`` strategy runs on."""
    out = {}
    for name in PEER_PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


# --------------------------------------------------------------------------- generators


def time_pseudopeople(datasets: list[str], repeats: int) -> pd.DataFrame:
    """Time pseudopeople's generation of its bundled sample datasets.

    Every dataset is generated with the default source (the sample data), seed
    and noise configuration, once for pseudopeople's default year (2020) and
    once for all years of the sample.  One untimed call comes first.

    Returns
    -------
    DataFrame
        One row per call: tool, call (``year 2020`` or ``all years``), dataset,
        run, records, seconds.
    """
    import pseudopeople

    def call(name: str, year: int | None) -> pd.DataFrame:
        # its progress bars go to stderr whatever `verbose` says
        with contextlib.redirect_stderr(io.StringIO()):
            return getattr(pseudopeople, f"generate_{name}")(year=year)

    call(datasets[0], 2020)
    rows = []
    for run in range(1, repeats + 1):
        for year in PSEUDOPEOPLE_YEARS:
            for name in datasets:
                t0 = time.perf_counter()
                df = call(name, year)
                seconds = time.perf_counter() - t0
                rows.append(
                    {
                        "tool": "pseudopeople",
                        "call": "all years" if year is None else f"year {year}",
                        "dataset": name,
                        "run": run,
                        "records": len(df),
                        "all_rows": len(df),
                        "seconds": seconds,
                    }
                )
        log.info("pseudopeople run %d of %d done", run, repeats)
    return pd.DataFrame(rows)


def time_generator(persons: int, repeats: int, config: Path | None = None) -> pd.DataFrame:
    """Time ``generate_world`` on a world of ``persons`` people, in memory.

    The scenario (``config``, or the built-in defaults) is scaled to
    ``persons`` at its own density (persons per ZIP code), as
    ``itin-bench perf generate`` does.  One untimed world of 2,000 people comes
    first.

    Returns
    -------
    DataFrame
        One row per run: tool, call, dataset, run, records (rows of the noised
        observation tables :data:`OBSERVED_TABLES`), all_rows (of every table),
        seconds.
    """
    from data_gen import Scenario, generate_world, load_scenario

    base = load_scenario(config) if config else Scenario()

    def sized(n: int) -> Any:
        n_zips = max(1, round(base.world.n_zips * n / max(base.world.persons, 1)))
        return base.with_overrides(scale=1.0, world={"persons": n, "n_zips": n_zips})

    generate_world(sized(2000))
    scenario = sized(persons)
    rows = []
    for run in range(1, repeats + 1):
        t0 = time.perf_counter()
        world = generate_world(scenario)
        seconds = time.perf_counter() - t0
        rows.append(
            {
                "tool": "itin-bench",
                "call": f"generate_world, {persons:,} persons",
                "dataset": "+".join(OBSERVED_TABLES),
                "run": run,
                "records": sum(len(world.tables[t]) for t in OBSERVED_TABLES),
                "all_rows": sum(len(t) for t in world.tables.values()),
                "seconds": seconds,
            }
        )
        del world
        log.info("generator run %d of %d: %.1f s", run, repeats, seconds)
    return pd.DataFrame(rows)


def generator_summary(runs: pd.DataFrame) -> pd.DataFrame:
    """Per tool and call: records and the median over runs of the seconds all datasets took.

    Returns
    -------
    DataFrame
        tool, call, datasets, records, all_rows, seconds (median), records_per_s,
        all_rows_per_s, runs.
    """
    per_run = runs.groupby(["tool", "call", "run"], sort=False, as_index=False).agg(
        datasets=("dataset", "nunique"),
        records=("records", "sum"),
        all_rows=("all_rows", "sum"),
        seconds=("seconds", "sum"),
    )
    out = per_run.groupby(["tool", "call"], sort=False, as_index=False).agg(
        datasets=("datasets", "first"),
        records=("records", "first"),
        all_rows=("all_rows", "first"),
        seconds=("seconds", statistics.median),
        runs=("run", "count"),
    )
    out["records_per_s"] = out["records"] / out["seconds"]
    out["all_rows_per_s"] = out["all_rows"] / out["seconds"]
    return out


# ------------------------------------------------------------ Splink rules for recordlinkage

_AND = re.compile(r"\s+AND\s+", re.IGNORECASE)
_COLUMN = r'([lr])\."?(\w+)"?'
_SIDE_EXPR = re.compile(
    rf"^(?:SUBSTR(?:ING)?\(\s*{_COLUMN}\s*,\s*(\d+)\s*,\s*(\d+)\s*\)|{_COLUMN})$"
)
_EITHER_NULL = re.compile(rf"^{_COLUMN}\s+IS\s+NULL\s+OR\s+{_COLUMN}\s+IS\s+NULL$", re.IGNORECASE)


def _split_top(text: str, sep: re.Pattern) -> list[str]:
    """Split ``text`` at ``sep`` outside parentheses."""
    parts, depth, start = [], 0, 0
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif depth == 0:
            m = sep.match(text, i)
            if m:
                parts.append(text[start:i])
                start = i = m.end()
                continue
        i += 1
    parts.append(text[start:])
    return [p.strip() for p in parts]


def _unwrap(term: str) -> str:
    """Drop parentheses that enclose the whole term."""
    while term.startswith("(") and term.endswith(")"):
        depth = 0
        for i, ch in enumerate(term):
            depth += ch == "("
            depth -= ch == ")"
            if depth == 0 and i < len(term) - 1:
                return term
        term = term[1:-1].strip()
    return term


@dataclass(frozen=True)
class BlockKey:
    """One side of an equality in a blocking rule: a column, or a substring of it."""

    column: str
    start: int | None = None
    length: int | None = None

    @property
    def name(self) -> str:
        """Name of the key column this side needs."""
        return self.column if self.start is None else f"{self.column}__{self.start}_{self.length}"

    def values(self, frame: pd.DataFrame) -> pd.Series:
        """The key's values on ``frame`` (SQL ``SUBSTRING`` is 1-based); missing stays missing."""
        col = frame[self.column]
        if self.start is None:
            return col
        assert self.length is not None
        begin, end = self.start - 1, self.start - 1 + self.length
        values = [(v[begin:end] or None) if isinstance(v, str) else None for v in col]
        return pd.Series(values, index=frame.index, dtype=object)


@dataclass(frozen=True)
class BlockRule:
    """A blocking rule as key equalities, optionally with "this column missing on either side"."""

    sql: str
    left: tuple[BlockKey, ...]
    right: tuple[BlockKey, ...]
    either_missing: str | None = None


def _side(expr: str) -> tuple[str, BlockKey]:
    m = _SIDE_EXPR.match(expr.strip())
    if not m:
        raise ValueError(expr)
    if m.group(1):
        return m.group(1), BlockKey(m.group(2), int(m.group(3)), int(m.group(4)))
    return m.group(5), BlockKey(m.group(6))


def parse_blocking_rule(sql: str) -> BlockRule:
    """Translate a Splink blocking rule into key equalities that ``Index.block`` can take.

    Understood: ``AND`` of ``l.x = r.y`` (either side a column or
    ``SUBSTRING(col, start, length)``) and at most one
    ``(l.x IS NULL OR r.x IS NULL)``.  The rule must be symmetric (the same
    pairs whichever table is ``l``), as a link-only rule should be.

    Raises
    ------
    ValueError
        If the rule has any other form.

    Examples
    --------
    >>> r = parse_blocking_rule('(l."dob" = r."dob") AND (SUBSTRING(l.first_norm, 1, 2) = SUBSTRING(r.first_norm, 1, 2))')
    >>> [k.name for k in r.left]
    ['dob', 'first_norm__1_2']
    """
    left: list[BlockKey] = []
    right: list[BlockKey] = []
    missing: list[str] = []
    for raw in _split_top(sql.strip(), _AND):
        term = _unwrap(raw)
        null = _EITHER_NULL.match(term)
        if null:
            if null.group(2) != null.group(4) or {null.group(1), null.group(3)} != {"l", "r"}:
                raise ValueError(f"blocking rule {sql!r}: unsupported missing-value term {term!r}")
            missing.append(null.group(2))
            continue
        sides = _split_top(term, re.compile(r"\s*=\s*"))
        try:
            if len(sides) != 2:
                raise ValueError(term)
            (sa, ka), (sb, kb) = _side(sides[0]), _side(sides[1])
        except ValueError:
            raise ValueError(
                f"blocking rule {sql!r}: no recordlinkage equivalent for {term!r}"
            ) from None
        if {sa, sb} != {"l", "r"}:
            raise ValueError(f"blocking rule {sql!r}: {term!r} does not join l with r")
        left.append(ka if sa == "l" else kb)
        right.append(kb if sa == "l" else ka)
    if len(missing) > 1 or not left:
        raise ValueError(f"blocking rule {sql!r}: no recordlinkage equivalent")
    if sorted(zip(left, right, strict=True), key=repr) != sorted(
        zip(right, left, strict=True), key=repr
    ):
        raise ValueError(f"blocking rule {sql!r}: not symmetric in l and r")
    return BlockRule(sql, tuple(left), tuple(right), missing[0] if missing else None)


def splink_blocking_sql() -> list[str]:
    """The SQL of the ``splink`` strategy's blocking rules, in order."""
    from benchmark.strategies.splink_models import blocking_rules

    return [
        r if isinstance(r, str) else r.get_blocking_rule("duckdb").blocking_rule_sql
        for r in blocking_rules()
    ]


def recordlinkage_index(req: pd.DataFrame, rec: pd.DataFrame, rules: list[BlockRule]) -> Any:
    """Candidate pairs from ``recordlinkage.Index``: one ``block`` per rule, their union.

    ``req`` and ``rec`` are the normalised feature tables indexed by their ids;
    key columns that a rule needs (substrings, the missing-value markers) are
    added to copies.  A missing key never blocks, as in SQL.

    Returns
    -------
    pandas.MultiIndex
        (request id, record id) pairs.
    """
    import recordlinkage

    req, rec = req.copy(), rec.copy()
    indexer = recordlinkage.Index()
    for rule in rules:
        for key in (*rule.left, *rule.right):
            for frame in (req, rec):
                if key.name not in frame.columns:
                    frame[key.name] = key.values(frame)
        lkeys, rkeys = [k.name for k in rule.left], [k.name for k in rule.right]
        if rule.either_missing is None:
            indexer.block(left_on=lkeys, right_on=rkeys)
            continue
        col = rule.either_missing
        mark, anyrow = f"__{col}_missing", "__any"
        for frame in (req, rec):
            frame[mark] = pd.Series("1", index=frame.index, dtype=object).where(frame[col].isna())
            frame[anyrow] = "1"
        # the request's value missing, or the record's
        indexer.block(left_on=[*lkeys, mark], right_on=[*rkeys, anyrow])
        indexer.block(left_on=[*lkeys, anyrow], right_on=[*rkeys, mark])
    return indexer.index(req, rec)


# ------------------------------------------------------- Splink comparisons for recordlinkage


def _dist(fn: Callable[[str, str], float]) -> Callable[[pd.Series, pd.Series], np.ndarray]:
    """A pairwise string function over two Series, missing → NaN (recordlinkage's style)."""

    def apply(a: pd.Series, b: pd.Series) -> np.ndarray:
        return np.array(
            [
                fn(x, y) if isinstance(x, str) and isinstance(y, str) else np.nan
                for x, y in zip(a, b, strict=True)
            ],
            dtype=float,
        )

    return apply


def _both(a: pd.Series, b: pd.Series) -> np.ndarray:
    return (a.notna() & b.notna()).to_numpy()


def _equal(a: pd.Series, b: pd.Series) -> np.ndarray:
    return _both(a, b) & (a.to_numpy() == b.to_numpy())


def _jaro_winkler(a: pd.Series, b: pd.Series) -> np.ndarray:
    from recordlinkage.algorithms.string import jarowinkler_similarity

    return jarowinkler_similarity(a.reset_index(drop=True), b.reset_index(drop=True)).to_numpy(
        dtype=float
    )


def _levenshtein(a: pd.Series, b: pd.Series) -> np.ndarray:
    import jellyfish

    return _dist(jellyfish.levenshtein_distance)(a, b)


def _damerau(a: pd.Series, b: pd.Series) -> np.ndarray:
    import jellyfish

    return _dist(jellyfish.damerau_levenshtein_distance)(a, b)


def _intersect(a: pd.Series, b: pd.Series) -> np.ndarray:
    return np.array(
        [
            len(set(x) & set(y)) if x is not None and y is not None else 0
            for x, y in zip(a, b, strict=True)
        ],
        dtype=float,
    )


def _to_date(values: pd.Series, fmt: str) -> pd.Series:
    return pd.to_datetime(values.astype(object), format=fmt, errors="coerce")


def _seconds_apart(a: pd.Series, b: pd.Series, fmt: str) -> np.ndarray:
    da, db = _to_date(a, fmt), _to_date(b, fmt)
    diff = (da.reset_index(drop=True) - db.reset_index(drop=True)).dt.total_seconds().abs()
    return diff.to_numpy(dtype=float)


_C = r'"(\w+)_l"'
_LEVEL_FORMS: tuple[tuple[re.Pattern, Callable[..., np.ndarray]], ...] = (
    (
        re.compile(rf'^{_C} IS NULL OR "\1_r" IS NULL$'),
        lambda a, b: ~_both(a, b),
    ),
    (
        re.compile(
            rf"^try_strptime\({_C}, '([^']+)'\) IS NULL OR try_strptime\(\"\1_r\", '\2'\) IS NULL$"
        ),
        lambda a, b, fmt: (_to_date(a, fmt).isna() | _to_date(b, fmt).isna()).to_numpy(),
    ),
    (re.compile(rf'^{_C} = "\1_r"$'), _equal),
    (
        re.compile(rf'^jaro_winkler_similarity\({_C}, "\1_r"\) >= ([0-9.]+)$'),
        lambda a, b, t: _jaro_winkler(a, b) >= float(t),
    ),
    (
        re.compile(rf'^levenshtein\({_C}, "\1_r"\) <= ([0-9]+)$'),
        lambda a, b, k: _levenshtein(a, b) <= int(k),
    ),
    (
        re.compile(rf'^damerau_levenshtein\({_C}, "\1_r"\) <= ([0-9]+)$'),
        lambda a, b, k: _damerau(a, b) <= int(k),
    ),
    (
        re.compile(rf'^array_length\(list_intersect\({_C}, "\1_r"\)\) >= ([0-9]+)$'),
        lambda a, b, k: _intersect(a, b) >= int(k),
    ),
    (
        re.compile(
            rf"^ABS\(EPOCH\(try_strptime\({_C}, '([^']+)'\)\) - "
            rf"EPOCH\(try_strptime\(\"\1_r\", '\2'\)\)\) <= ([0-9.]+)$"
        ),
        lambda a, b, fmt, s: _seconds_apart(a, b, fmt) <= float(s),
    ),
)


@dataclass
class Level:
    """One Splink comparison level as a test on a pair of column values."""

    sql: str
    value: int  # Splink's comparison vector value: -1 null, 0 else, highest = most alike
    column: str | None = None
    test: Callable[..., np.ndarray] | None = None
    params: tuple[str, ...] = ()


@dataclass
class ComparisonLevels:
    """A Splink comparison, level by level, that recordlinkage can evaluate."""

    name: str
    levels: list[Level] = field(default_factory=list)

    @property
    def columns(self) -> list[str]:
        """Columns the levels read, in first use."""
        return list(dict.fromkeys(lv.column for lv in self.levels if lv.column))

    @property
    def top(self) -> int:
        """Value of the most alike level."""
        return max(lv.value for lv in self.levels)

    def evaluate(self, left: dict[str, pd.Series], right: dict[str, pd.Series]) -> np.ndarray:
        """Each pair's level: the first level whose test it passes, as in Splink's CASE WHEN."""
        n = len(next(iter(left.values())))
        out = np.full(n, -2, dtype=np.int8)
        for lv in self.levels:
            todo = np.flatnonzero(out == -2)
            if lv.test is None:  # ELSE
                out[todo] = lv.value
                break
            if not len(todo):
                break
            assert lv.column is not None
            a = left[lv.column].iloc[todo]
            b = right[lv.column].iloc[todo]
            hit = np.asarray(lv.test(a, b, *lv.params), dtype=bool)
            out[todo[hit]] = lv.value
        return out


def parse_comparison(spec: dict) -> ComparisonLevels:
    """Translate one Splink comparison (``as_dict()`` of its DuckDB form) level by level.

    Raises
    ------
    ValueError
        If a level's SQL has a form with no translation here.
    """
    levels = spec["comparison_levels"]
    non_null = [lv for lv in levels if not lv.get("is_null_level")]
    out = ComparisonLevels(spec["output_column_name"])
    rank = len(non_null) - 1
    for lv in levels:
        sql = lv["sql_condition"].strip()
        is_null = bool(lv.get("is_null_level"))
        value = -1 if is_null else rank
        if not is_null:
            rank -= 1
        if sql.upper() == "ELSE":
            out.levels.append(Level(sql, value))
            continue
        for pattern, test in _LEVEL_FORMS:
            m = pattern.match(sql)
            if m:
                out.levels.append(Level(sql, value, m.group(1), test, m.groups()[1:]))
                break
        else:
            raise ValueError(
                f"comparison {out.name}: no recordlinkage equivalent for level {sql!r}"
            )
    return out


def splink_comparisons() -> list[ComparisonLevels]:
    """The ``splink`` strategy's comparisons, translated for recordlinkage."""
    from benchmark.strategies.splink_models import comparisons

    return [parse_comparison(c.get_comparison("duckdb").as_dict()) for c in comparisons()]


def recordlinkage_compare(comparisons: list[ComparisonLevels], n_jobs: int = 1) -> Any:
    """A ``recordlinkage.Compare`` with one feature per Splink comparison (its level)."""
    import recordlinkage
    from recordlinkage.base import BaseCompareFeature

    class SplinkLevels(BaseCompareFeature):
        """The level of one Splink comparison, from the columns it reads."""

        def __init__(self, comparison: ComparisonLevels) -> None:
            cols = comparison.columns
            super().__init__(cols, cols, label=comparison.name)
            self.comparison = comparison

        def _compute_vectorized(self, *args: pd.Series) -> pd.Series:
            k = len(self.comparison.columns)
            left = dict(zip(self.comparison.columns, args[:k], strict=True))
            right = dict(zip(self.comparison.columns, args[k:], strict=True))
            return pd.Series(self.comparison.evaluate(left, right), index=args[0].index)

    compare = recordlinkage.Compare(n_jobs=n_jobs)
    for c in comparisons:
        compare.add(SplinkLevels(c))
    return compare


# ------------------------------------------------------------------------- ECM classifier

ENCODINGS = {
    "exact_agreement": "one 0/1 feature per comparison: its exact level (missing = disagree); init 'jaro'",
    "level_indicators": "one 0/1 feature per comparison and level: at least that level; init 'jaro'",
    "levels_as_categories": "one categorical feature per comparison: its Splink level; init 'random' (seed 0)",
}


def encode(
    levels: pd.DataFrame, comparisons: list[ComparisonLevels], encoding: str
) -> pd.DataFrame:
    """Comparison levels as the features an ``ECMClassifier`` takes (see :data:`ENCODINGS`)."""
    if encoding == "exact_agreement":
        cols = {c.name: (levels[c.name] == c.top).astype(np.int8) for c in comparisons}
    elif encoding == "level_indicators":
        cols = {
            f"{c.name}>={k}": (levels[c.name] >= k).astype(np.int8)
            for c in comparisons
            for k in range(1, c.top + 1)
        }
    elif encoding == "levels_as_categories":
        cols = {c.name: (levels[c.name] + 1).astype(np.int8) for c in comparisons}
    else:
        raise ValueError(f"unknown encoding {encoding!r}")
    return pd.DataFrame(cols, index=levels.index)


class _ToolkitMessages(logging.Filter):
    """Keeps recordlinkage's log messages out of the output; its warnings are kept as data."""

    def __init__(self) -> None:
        super().__init__()
        self.messages: list[str] = []

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name == "recordlinkage" or "recordlinkage" in record.pathname:
            if record.levelno >= logging.WARNING:
                self.messages.append(record.getMessage())
            return False
        return True


@contextlib.contextmanager
def _quiet_toolkit() -> Iterator[_ToolkitMessages]:
    """recordlinkage logs progress (and its ECM's convergence, on the root logger) and
    numpy warns of log(0) in its ECM; the report states both outcomes instead."""
    loggers = (logging.getLogger(), logging.getLogger("recordlinkage"))
    keep = _ToolkitMessages()
    for lg in loggers:
        lg.addFilter(keep)
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            yield keep
    finally:
        for lg in loggers:
            lg.removeFilter(keep)


def ecm_scores(features: pd.DataFrame, encoding: str) -> dict[str, Any]:
    """Fit recordlinkage's ``ECMClassifier`` on ``features`` and score every pair.

    Returns
    -------
    dict
        ``prob`` (match probability per pair; NaN where the fit broke down),
        ``fit_s``, ``prob_s``, ``lambda`` (the fitted match share) and
        ``messages`` (the toolkit's own warnings, e.g. "might not converged").
    """
    import recordlinkage

    state = np.random.get_state()
    try:
        with _quiet_toolkit() as notes:
            if encoding == "levels_as_categories":
                np.random.seed(0)
            ecm = recordlinkage.ECMClassifier(
                init="random" if encoding == "levels_as_categories" else "jaro"
            )
            t0 = time.perf_counter()
            ecm.fit(features)
            fit_s = time.perf_counter() - t0
            t0 = time.perf_counter()
            prob = np.asarray(ecm.prob(features), dtype=float)
            prob_s = time.perf_counter() - t0
    finally:
        np.random.set_state(state)
    return {
        "prob": prob,
        "fit_s": fit_s,
        "prob_s": prob_s,
        "lambda": float(np.exp(ecm.kernel.class_log_prior_[1])),
        "messages": notes.messages,
    }


# ------------------------------------------------------------------------------ linkage


def _splink_timed() -> Any:
    """The ``splink`` strategy, unchanged, noting how long its prediction step takes.

    ``predict_seconds`` is the strategy's ``_predict`` (Splink's predict: blocking,
    comparisons and match weights, fetched as pairs) less the artifacts it also
    writes there (the model JSON and the pair count of each blocking rule),
    whose time is ``artifact_seconds``.
    """
    from benchmark.strategies.splink_models import SplinkEM

    class TimedSplink(SplinkEM):
        predict_seconds = float("nan")
        artifact_seconds = 0.0

        def _predict(self, linker: Any) -> pd.DataFrame:
            def timed(fn: Callable[..., Any]) -> Callable[..., Any]:
                def call(*args: Any, **kwargs: Any) -> Any:
                    t0 = time.perf_counter()
                    try:
                        return fn(*args, **kwargs)
                    finally:
                        self.artifact_seconds += time.perf_counter() - t0

                return call

            misc, blocking = linker.misc, linker.blocking_analysis
            misc.save_model_to_json = timed(misc.save_model_to_json)
            blocking.count_comparisons_from_blocking_rules = timed(
                blocking.count_comparisons_from_blocking_rules
            )
            t0 = time.perf_counter()
            out = super()._predict(linker)
            self.predict_seconds = time.perf_counter() - t0 - self.artifact_seconds
            return out

    return TimedSplink()


def accuracy(pairs: pd.DataFrame, truth: pd.DataFrame, natural: float) -> dict[str, Any]:
    """Precision and recall at the natural decision and at precision 0.99 (threshold from truth)."""
    scores = pairs["score"].to_numpy(dtype=float)
    ok = np.isfinite(scores)
    pairs = pairs[ok]
    sweep = threshold_sweep(scores[ok], label_pairs(pairs, truth), len(truth))
    nat = counts_at(sweep, natural, len(truth))
    chosen = choose_threshold(sweep, PRECISION_POINT, None)
    assert chosen is not None
    p99 = counts_at(sweep, chosen[0], len(truth))
    return {
        "scored_pairs": int(ok.sum()),
        "accepted": nat["accepted"],
        "tp": nat["tp"],
        "fp": nat["fp"],
        "precision": nat["precision"],
        "recall": nat["recall"],
        "f1": nat["f1"],
        "recall_at_precision_0.99": p99["recall"] if chosen[1] else float("nan"),
    }


def _pairs_frame(index: Any, score: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "request_id": index.get_level_values(0).to_numpy(dtype=np.int64),
            "record_id": index.get_level_values(1).to_numpy(dtype=np.int64),
            "score": score,
        }
    )


def link_peers(
    data: LinkData, truth: pd.DataFrame, *, backend: Backend, n_jobs: int = 1
) -> dict[str, Any]:
    """Link ``data`` with the ``splink`` strategy and with recordlinkage; time and score both.

    Returns
    -------
    dict
        ``methods`` (one row per method: stage seconds, candidate pairs,
        pairs per second, accuracy), ``encodings`` (recordlinkage's ECM under
        each feature encoding), ``levels`` (per comparison, the share of pairs
        where recordlinkage's level equals Splink's) and ``same_pairs``.
    """
    from benchmark.strategies.features import prepare
    from benchmark.strategies.splink_models import comparison_features

    rules = [parse_blocking_rule(sql) for sql in splink_blocking_sql()]
    comparisons = splink_comparisons()

    log.info("recordlinkage: normalising, blocking, comparing")
    t0 = time.perf_counter()
    req, rec = prepare(data)
    t_norm = time.perf_counter() - t0
    req = req.set_index("unique_id")
    rec = rec.set_index("unique_id")
    with _quiet_toolkit():
        t0 = time.perf_counter()
        index = recordlinkage_index(req, rec, rules)
        t_index = time.perf_counter() - t0
        t0 = time.perf_counter()
        levels = recordlinkage_compare(comparisons, n_jobs).compute(index, req, rec)
        t_compare = time.perf_counter() - t0
    del req, rec
    encodings = []
    fits: dict[str, dict[str, Any]] = {}
    for name in ENCODINGS:
        log.info("recordlinkage: ECM with %s features", name)
        features = encode(levels, comparisons, name)
        fitted = ecm_scores(features, name)
        acc = accuracy(_pairs_frame(levels.index, fitted["prob"]), truth, NATURAL["recordlinkage"])
        encodings.append(
            {
                "encoding": name,
                "features": features.shape[1],
                "fit_s": fitted["fit_s"],
                "prob_s": fitted["prob_s"],
                "match_share": fitted["lambda"],
                "nan_scores": int(np.isnan(fitted["prob"]).sum()),
                "toolkit_warning": "; ".join(dict.fromkeys(fitted["messages"])),
                **acc,
                "description": ENCODINGS[name],
            }
        )
        fits[name] = {**fitted, **acc}
    # the recordlinkage row: its best encoding by F1 at its own decision, chosen with the
    # truth (in recordlinkage's favour; the others stay in the encodings table), among the
    # fits that scored every pair (a fit that broke down into NaN scores only if all did)
    complete = [k for k in fits if not np.isnan(fits[k]["prob"]).any()] or list(fits)
    best = max(complete, key=lambda k: (np.nan_to_num(fits[k]["f1"], nan=-1.0), -fits[k]["fit_s"]))
    main = fits[best]
    n_rl = len(index)
    rl_scoring = t_index + t_compare + main["prob_s"]
    rl_total = t_norm + t_index + t_compare + main["fit_s"] + main["prob_s"]

    log.info("splink: linking")
    splink = _splink_timed()
    t0 = time.perf_counter()
    sp_pairs = splink.link(data, backend)
    sp_total = time.perf_counter() - t0
    sp_scoring = splink.predict_seconds
    if not splink.artifact_seconds > 0:
        raise RuntimeError("splink strategy: its artifacts were not timed; the split is unknown")
    sp_acc = accuracy(sp_pairs, truth, NATURAL["splink"])

    # the translation checks (untimed): same candidate pairs, same comparison levels
    rl_keys = np.sort(pair_keys(index.get_level_values(0), index.get_level_values(1)))
    sp_keys = np.sort(
        pair_keys(sp_pairs["request_id"].to_numpy(), sp_pairs["record_id"].to_numpy())
    )
    same_pairs = bool(len(rl_keys) == len(sp_keys) and (rl_keys == sp_keys).all())
    log.info("splink: reading back its comparison levels to check recordlinkage's")
    gammas, _ = comparison_features(data, backend)
    ours = levels.reset_index()
    ours.columns = ["request_id", "record_id", *levels.columns]
    both = gammas.merge(ours, on=["request_id", "record_id"], suffixes=("_splink", ""))
    level_rows = [
        {
            "comparison": c.name,
            "levels": len(c.levels),
            "pairs_compared": len(both),
            "identical_share": float(
                (both[f"gamma_{c.name}"].to_numpy() == both[c.name].to_numpy()).mean()
            )
            if len(both)
            else float("nan"),
        }
        for c in comparisons
    ]
    true_found = int(label_pairs(sp_pairs, truth).sum())

    keep = ("accepted", "tp", "fp", "precision", "recall", "f1", "recall_at_precision_0.99")
    methods = pd.DataFrame(
        [
            {
                "method": "splink",
                "candidate_pairs": len(sp_pairs),
                "normalise_s": t_norm,
                "train_s": sp_total - t_norm - sp_scoring - splink.artifact_seconds,
                "scoring_s": sp_scoring,
                "other_s": splink.artifact_seconds,
                "end_to_end_s": sp_total,
                **{k: sp_acc[k] for k in keep},
                "decision": "match weight >= 0 (match probability >= 0.5)",
            },
            {
                "method": "recordlinkage",
                "candidate_pairs": n_rl,
                "normalise_s": t_norm,
                "train_s": main["fit_s"],
                "scoring_s": rl_scoring,
                "other_s": 0.0,
                "end_to_end_s": rl_total,
                **{k: main[k] for k in keep},
                "decision": f"ECM probability >= 0.5 ({best}: best complete fit by F1)",
            },
        ]
    )
    methods.insert(7, "scoring_pairs_per_s", methods["candidate_pairs"] / methods["scoring_s"])
    methods.insert(
        8, "end_to_end_pairs_per_s", methods["candidate_pairs"] / methods["end_to_end_s"]
    )
    stages = {
        "recordlinkage": {
            "index_s": t_index,
            "compare_s": t_compare,
            "ecm_fit_s": main["fit_s"],
            "ecm_prob_s": main["prob_s"],
        },
        "splink": {"predict_s": sp_scoring, "artifacts_s": splink.artifact_seconds},
    }
    return {
        "methods": methods,
        "encodings": pd.DataFrame(encodings),
        "levels": pd.DataFrame(level_rows),
        "same_pairs": same_pairs,
        "encoding": best,
        "rules": len(rules),
        "true_pairs": len(truth),
        "true_pairs_found": true_found,
        "stages": stages,
    }


def world_for_linkage(config: Path, scale: float | None) -> tuple[LinkData, pd.DataFrame, dict]:
    """Generate the linkage world in memory: the two tables a strategy sees, the truth, a summary."""
    from data_gen import generate_world, load_scenario

    scenario = load_scenario(config).at_scale(scale)
    world = generate_world(scenario)
    t = world.tables
    data = LinkData(
        requests=t["requests"][list(REQUEST_COLUMNS)].copy(),
        records=t["irs_filers"][list(RECORD_COLUMNS)].copy(),
        name=world.scenario.name,
    )
    about = {
        "scenario": scenario.name,
        "scale": scenario.scale,
        "seed": world.scenario.seed,
        "requests": len(data.requests),
        "records": len(data.records),
    }
    return data, t["truth"][["request_id", "record_id"]].copy(), about


# ------------------------------------------------------------------------- the command


def _ratio(a: float, b: float) -> float:
    return a / b if b > 0 else float("inf")


def _yes(flag: bool) -> str:
    return "met" if flag else "NOT met"


def report_lines(
    gens: pd.DataFrame, link: dict[str, Any], about: dict, machine: str, packages: dict
) -> list[str]:
    """The printed report: machine, generator throughput, linkage speed and accuracy, acceptance."""
    lines = [
        f"machine: {machine}",
        "packages: " + ", ".join(f"{k} {v}" for k, v in packages.items()),
        f"generators (in memory, nothing written; median of {int(gens['runs'].max())} run(s) "
        "after one untimed call):",
        f"  {'tool':13} {'call':36} {'records':>10} {'all rows':>10} {'seconds':>8} {'records/s':>10}",
    ]
    for _, g in gens.iterrows():
        call = (
            g["call"]
            if g["tool"] == "itin-bench"
            else f"{g['call']}, {g['datasets']} sample datasets"
        )
        lines.append(
            f"  {g['tool']:13} {call:36} {g['records']:>10,} {g['all_rows']:>10,} "
            f"{g['seconds']:>8.2f} {g['records_per_s']:>10,.0f}"
        )
    ours = gens[gens["tool"] == "itin-bench"].iloc[0]
    peer = gens[gens["tool"] == "pseudopeople"].sort_values("records_per_s").iloc[-1]
    gen_ratio = _ratio(ours["records_per_s"], peer["records_per_s"])
    lines.append(
        f"  generator / pseudopeople ({peer['call']}): {gen_ratio:.1f}x in noised records per "
        f"second ({', '.join(OBSERVED_TABLES)} against pseudopeople's records); "
        f"{_ratio(ours['all_rows_per_s'], peer['all_rows_per_s']):.1f}x counting all rows of our 10 tables"
    )
    m = link["methods"].set_index("method")
    sp, rl = m.loc["splink"], m.loc["recordlinkage"]
    lv = link["levels"]
    worst = lv.sort_values("identical_share").iloc[0]
    lines += [
        f"linkage: {about['scenario']} at scale {about['scale']:g} (seed {about['seed']}): "
        f"{about['requests']:,} requests x {about['records']:,} IRS records, {link['true_pairs']:,} true pairs",
        f"  candidate pairs: {int(sp['candidate_pairs']):,} from the splink strategy's "
        f"{link['rules']} blocking rules; recordlinkage's Index gives "
        f"{int(rl['candidate_pairs']):,}, the same set: {'yes' if link['same_pairs'] else 'NO'}; "
        f"{link['true_pairs_found'] / max(link['true_pairs'], 1):.1%} of true pairs among them",
        f"  comparison levels: recordlinkage's equal Splink's on "
        f"{lv['identical_share'].mean():.2%} of pair-comparisons "
        f"({len(lv)} comparisons; lowest {worst['comparison']} {worst['identical_share']:.2%})",
        f"  {'method':14} {'pairs':>10} {'normalise s':>11} {'train s':>8} {'scoring s':>9} "
        f"{'other s':>7} {'total s':>8} {'scoring pairs/s':>15} {'total pairs/s':>13} "
        f"{'precision':>9} {'recall':>7} {'recall@P.99':>11}",
    ]
    for name, r in m.iterrows():
        lines.append(
            f"  {name:14} {int(r['candidate_pairs']):>10,} {r['normalise_s']:>11.1f} "
            f"{r['train_s']:>8.1f} {r['scoring_s']:>9.1f} {r['other_s']:>7.1f} "
            f"{r['end_to_end_s']:>8.1f} {r['scoring_pairs_per_s']:>15,.0f} "
            f"{r['end_to_end_pairs_per_s']:>13,.0f} {r['precision']:>9.3f} {r['recall']:>7.3f} "
            f"{r['recall_at_precision_0.99']:>11.3f}"
        )
    st = link["stages"]
    lines += [
        "  normalise: the shared feature table (same code for both, timed once); scoring: "
        "candidate pairs, their comparisons and their scores",
        f"    splink: its predict step (blocking, comparisons, match weights, fetched as pairs) "
        f"{st['splink']['predict_s']:.1f} s; train: the rest of the strategy (estimating lambda, "
        f"u and m); other: the model JSON and per-rule pair counts it also writes",
        f"    recordlinkage: Index {st['recordlinkage']['index_s']:.1f} s + Compare "
        f"{st['recordlinkage']['compare_s']:.1f} s + ECM prob "
        f"{st['recordlinkage']['ecm_prob_s']:.1f} s; train: ECM fit",
        "    decisions at match probability >= 0.5 (splink: match weight >= 0); recall@P.99: "
        "the most recall at precision >= 0.99, threshold chosen with the truth (nan: not reached)",
        "  recordlinkage's ECM under each feature encoding of the same levels (its row above: "
        f"{link['encoding']}, the best complete fit by F1, chosen with the truth):",
    ]
    for _, e in link["encodings"].iterrows():
        broke = f"; {e['nan_scores']:,} NaN scores" if e["nan_scores"] else ""
        warn = f"; toolkit: {e['toolkit_warning']}" if e["toolkit_warning"] else ""
        lines.append(
            f"    {e['encoding']:21} {e['features']:>3} features, fit {e['fit_s']:.1f} s, match "
            f"share {e['match_share']:.4f}, precision {e['precision']:.3f}, recall "
            f"{e['recall']:.3f}{broke}{warn}"
        )
    link_ratio = _ratio(sp["scoring_pairs_per_s"], rl["scoring_pairs_per_s"])
    total_ratio = _ratio(sp["end_to_end_pairs_per_s"], rl["end_to_end_pairs_per_s"])
    as_good = sp["precision"] >= rl["precision"] and sp["recall"] >= rl["recall"]
    lines += [
        "acceptance (issue 6):",
        f"  generator >= {ACCEPTANCE_RATIO:g}x pseudopeople's records per second: "
        f"{_yes(gen_ratio >= ACCEPTANCE_RATIO)} ({gen_ratio:.1f}x)",
        f"  splink scores pairs >= {ACCEPTANCE_RATIO:g}x as fast as recordlinkage at equal or "
        f"better precision and recall: {_yes(link_ratio >= ACCEPTANCE_RATIO and as_good)} "
        f"({link_ratio:.1f}x scoring, {total_ratio:.1f}x end to end; precision "
        f"{sp['precision']:.3f} vs {rl['precision']:.3f}, recall {sp['recall']:.3f} vs "
        f"{rl['recall']:.3f})",
    ]
    return lines


def check_peers_arguments(
    *,
    persons: int,
    repeats: int,
    datasets: list[str],
    n_jobs: int,
    config: Path,
    scale: float | None,
    out: Path,
) -> None:
    """Refuse bad arguments before any work (and before the peers are imported).

    Raises
    ------
    InputError
        If a size, count or dataset name is out of range, the scenario cannot
        be loaded at ``scale``, or ``out`` exists and is not empty.
    """
    from data_gen import load_scenario
    from data_gen.dataset import check_output_folder

    if not 1 <= persons <= 20_000_000:
        raise InputError(f"--persons {persons}: must be between 1 and 20,000,000")
    if not 1 <= repeats <= 20:
        raise InputError(f"--repeats {repeats}: must be between 1 and 20")
    unknown = [d for d in datasets if d not in PSEUDOPEOPLE_DATASETS]
    if unknown or not datasets:
        raise InputError(
            f"--pseudopeople-datasets: {', '.join(unknown) or 'none given'}; choose from "
            + ", ".join(PSEUDOPEOPLE_DATASETS)
        )
    if not 1 <= n_jobs <= 64:
        raise InputError(f"--recordlinkage-jobs {n_jobs}: must be between 1 and 64")
    load_scenario(config).at_scale(scale)
    if out.is_dir() and any(out.iterdir()):
        raise InputError(f"{out}: folder exists and is not empty; give a new folder")
    check_output_folder(out, force=False)


def perf_peers(
    *,
    persons: int,
    repeats: int,
    datasets: list[str],
    config: Path,
    scale: float | None,
    n_jobs: int,
    out: Path,
    machine: str,
    command: str,
) -> list[str]:
    """Measure the generator and the ``splink`` strategy beside their peers; write ``out``.

    ``out`` gets ``generators.csv`` (every timed call), ``generators_summary.csv``,
    ``linkage.csv`` (one row per method), ``ecm_encodings.csv``,
    ``comparison_levels.csv`` and a ``README.md`` with the machine, the
    command, the package versions and the printed report.

    Returns
    -------
    list of str
        The report to print.

    Raises
    ------
    InputError
        On bad arguments or a missing ``perf`` extra, before any work.
    """
    from benchmark.perf import peak_rss_mb
    from data_gen.dataset import atomic_folder

    check_peers_arguments(
        persons=persons,
        repeats=repeats,
        datasets=datasets,
        n_jobs=n_jobs,
        config=config,
        scale=scale,
        out=out,
    )
    require_peers()
    packages = versions()
    log.info("timing pseudopeople on its sample datasets (%d run(s))", repeats)
    pp_runs = time_pseudopeople(datasets, repeats)
    log.info("timing the generator on %s persons (%d run(s))", f"{persons:,}", repeats)
    gen_runs = time_generator(persons, repeats)
    runs = pd.concat([gen_runs, pp_runs], ignore_index=True)
    gens = generator_summary(runs)
    log.info("generating the linkage world")
    data, truth, about = world_for_linkage(config, scale)
    link = link_peers(data, truth, backend=Backend(), n_jobs=n_jobs)
    lines = report_lines(gens, link, about, machine, packages)
    lines.append(f"peak RSS: {peak_rss_mb():,.0f} MiB")
    with atomic_folder(out, force=False) as folder:
        runs.to_csv(folder / "generators.csv", index=False, float_format="%.4f")
        gens.to_csv(folder / "generators_summary.csv", index=False, float_format="%.4f")
        link["methods"].to_csv(folder / "linkage.csv", index=False, float_format="%.6g")
        link["encodings"].to_csv(folder / "ecm_encodings.csv", index=False, float_format="%.6g")
        link["levels"].to_csv(folder / "comparison_levels.csv", index=False, float_format="%.6g")
        (folder / "README.md").write_text(
            _readme(command, machine, packages, lines), encoding="utf-8"
        )
    lines.append(f"written: {out}")
    return lines


def _readme(command: str, machine: str, packages: dict, lines: list[str]) -> str:
    body = "\n".join(lines)
    return (
        "# The generator and the splink strategy beside their peers\n\n"
        f"Made by `{command}` on {machine}, with "
        + ", ".join(f"{k} {v}" for k, v in packages.items())
        + ".\n\n"
        "**Generators.** pseudopeople's `generate_<dataset>()` on its bundled sample data "
        "(default source, seed and noise), for its default year 2020 and for all years of the "
        "sample, against `data_gen.generate_world` on a world of the built-in scenario scaled to "
        "the given number of persons.  Both return noised records in memory; nothing is "
        "written.  pseudopeople noises a population simulated beforehand; our time includes "
        "simulating the population.  Our comparable count is the noised observation tables "
        f"({', '.join(OBSERVED_TABLES)}); all rows of all ten tables are shown beside it.  "
        "Imports are not timed; each tool makes one small untimed call first; figures are the "
        "median over runs (`generators.csv` has every call).\n\n"
        "**Linkage.** One generated world.  recordlinkage's candidate pairs come from the "
        "splink strategy's blocking rules, each translated to `Index.block` keys (substrings "
        "as key columns, a missing-value rule as two blocks), their union as Splink takes it; "
        "its `Compare` computes each Splink comparison level by level on the same normalised "
        "columns (jaro-winkler from recordlinkage, edit distances from jellyfish, dates and "
        "exact matches vectorised); its unsupervised `ECMClassifier` scores the pairs.  The "
        "splink strategy runs as `itin-bench link` runs it (training included).  The report "
        "says whether the two candidate-pair sets are identical, and `comparison_levels.csv` "
        "how often recordlinkage's level equals the one Splink computes for the same pair.  "
        "Splink's term-frequency adjustments have no recordlinkage equivalent.  Precision "
        "and recall count every true pair of the world (blocking losses are misses).  "
        "`ecm_encodings.csv` shows the ECM under three feature encodings of the same levels; "
        "the report's recordlinkage row uses the one with the best F1 at its own decision "
        "among those that scored every pair (chosen with the truth, in recordlinkage's favour)."
        "\n\n"
        "```\n" + body + "\n```\n"
    )
