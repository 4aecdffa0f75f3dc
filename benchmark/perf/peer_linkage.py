"""The ``splink`` strategy translated for the Python Record Linkage Toolkit.

Splink's blocking rules become ``recordlinkage.Index.block`` keys (their union
as Splink takes it), and its comparisons become one ``recordlinkage.Compare``
feature each (the Splink level, level by level on the same normalised columns).
The levels become the features of recordlinkage's ``ECMClassifier`` in
:mod:`benchmark.perf.peer_ecm`.  Used by ``itin-bench perf peers``
(:mod:`benchmark.perf.peers`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

# ----------------------------------------------------------------------- blocking rules

_AND = re.compile(r"\s+AND\s+", re.IGNORECASE)
_EQUALS = re.compile(r"\s*=\s*")
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
    """The table (``l`` or ``r``) and the key of one side of an equality."""
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
        sides = _split_top(term, _EQUALS)
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
    """The SQL of the ``splink`` strategy's blocking rules, in order.

    Returns
    -------
    list of str
        Each rule's SQL in its DuckDB form.
    """
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


# -------------------------------------------------------------------------- comparisons


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
    """The ``splink`` strategy's comparisons, translated for recordlinkage.

    Returns
    -------
    list of ComparisonLevels
        One per comparison, in the strategy's order.
    """
    from benchmark.strategies.splink_models import comparisons

    return [parse_comparison(c.get_comparison("duckdb").as_dict()) for c in comparisons()]


def recordlinkage_compare(comparisons: list[ComparisonLevels], n_jobs: int = 1) -> Any:
    """A ``recordlinkage.Compare`` with one feature per Splink comparison (its level).

    Returns
    -------
    recordlinkage.Compare
        Its ``compute`` gives one column per comparison, named after it,
        holding Splink's comparison vector value of each pair.
    """
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
