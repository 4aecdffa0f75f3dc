"""The report's building blocks: the :class:`Block`, its inline markup, and number formats.

Block text marks code with backticks; a backslash makes the next backtick or
backslash literal.  Text from outside the package (strategy and scenario names,
groups, paths) enters through :func:`lit`, and both renderers escape every
other part, so such text shows as itself and never becomes markup.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd


@dataclass
class Block:
    """One piece of the report.

    Attributes
    ----------
    kind : {"h1", "h2", "p", "ul", "table", "figure"}
        What the block is.
    text : str
        Heading or paragraph text; for a figure, the figure's file stem.
    items : list, optional
        List items, table rows, or a figure's one caption.
    header : list, optional
        A table's column labels.
    """

    kind: str
    text: str = ""
    items: list | None = None
    header: list | None = None


def lit(text: object) -> str:
    """``text`` from outside the package as literal block text (its backticks make no code).

    Parameters
    ----------
    text : object
        Anything; it is shown as ``str(text)``.

    Returns
    -------
    str
        Block text whose backticks and backslashes are escaped.

    Examples
    --------
    >>> lit("a`b")
    'a\\\\`b'
    >>> spans(lit("a`b"))
    [(False, 'a`b')]
    """
    return str(text).replace("\\", "\\\\").replace("`", "\\`")


_MARK = re.compile(r"\\([\\`])|`")


def spans(text: str) -> list[tuple[bool, str]]:
    """Block text as (is code, literal text) parts, escapes resolved.

    Parameters
    ----------
    text : str
        Block text, with backticks marking code.

    Returns
    -------
    list of (bool, str)
        The parts in order; the first is never code.

    Examples
    --------
    >>> spans("run `itin-bench` now")
    [(False, 'run '), (True, 'itin-bench'), (False, ' now')]
    """
    parts: list[tuple[bool, str]] = []
    code, pos, buf = False, 0, ""
    for m in _MARK.finditer(text):
        buf += text[pos : m.start()]
        if m.group(1):
            buf += m.group(1)
        else:
            parts.append((code, buf))
            code, buf = not code, ""
        pos = m.end()
    parts.append((code, buf + text[pos:]))
    return parts


def fmt(value: float, pattern: str) -> str:
    """``value`` through a format ``pattern``, or ``"n/a"`` when it is missing.

    Examples
    --------
    >>> fmt(0.25, "{:.0%}"), fmt(float("nan"), "{:.0%}")
    ('25%', 'n/a')
    """
    return "n/a" if pd.isna(value) else pattern.format(value)


def with_interval(row: pd.Series, pattern: str) -> str:
    """The mean with its 95% interval whenever there is one (even from a single world).

    Parameters
    ----------
    row : Series
        Holds ``mean``, ``ci_low`` and ``ci_high``.
    pattern : str
        A format such as ``"{:,.0f}"``, applied to each number.

    Returns
    -------
    str
        ``"mean (low to high)"``, or the mean alone without an interval.

    Examples
    --------
    >>> with_interval(pd.Series({"mean": 12.0, "ci_low": 3.0, "ci_high": 20.0}), "{:,.0f}")
    '12 (3 to 20)'
    """
    text = fmt(row["mean"], pattern)
    if not pd.isna(row["ci_low"]) and not pd.isna(row["ci_high"]):
        text += f" ({fmt(row['ci_low'], pattern)} to {fmt(row['ci_high'], pattern)})"
    return text


def pct(value: float | None) -> str:
    """A share as a whole percentage, or ``"n/a"`` for ``None``.

    Examples
    --------
    >>> pct(0.404), pct(None)
    ('40%', 'n/a')
    """
    return "n/a" if value is None else f"{value:.0%}"
