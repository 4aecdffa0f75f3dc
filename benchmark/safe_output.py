"""Outputs that cannot attack their reader: CSV cells no spreadsheet runs, Markdown no page runs.

Strategy names (a plug-in's ``name``) and values of the user's own tables (a
``state`` column) end up in the CSV tables and the Markdown report.  A text
cell such as ``=HYPERLINK("http://x","y")`` is a formula to a spreadsheet that
opens the CSV, and ``<script>`` or ``|`` in a name is markup to whatever renders
the Markdown.

* :func:`write_csv` is how every CSV of the package is written: text cells
  that begin with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return get a
  leading single quote (:func:`neutralise_formulas`, as OWASP recommends for
  CSV injection).  Only text cells change: numbers, negative ones included,
  and missing values are written as they are.  A carriage return inside a text
  cell that no line feed follows is written as CR LF: Python's CSV writer quotes
  a cell holding a line feed but not one holding a lone CR, which a spreadsheet
  reads as the start of a new row (and of a new, unguarded, cell).  The Parquet
  copies written beside the CSVs keep the raw values: they are data for
  programs, not spreadsheets.
* :func:`markdown_text` escapes text placed in Markdown prose or table cells;
  letters, digits, ``_``, ``.`` and spaces come out unchanged.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pandas as pd

# first characters a spreadsheet reads as the start of a formula (OWASP, "CSV Injection")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
FORMULA_GUARD = "'"
_LONE_CR = re.compile(r"\r(?!\n)")

_MARKDOWN_ESCAPES = str.maketrans(
    {
        "\\": "\\\\",
        "`": "\\`",
        "|": "\\|",
        "[": "\\[",
        "]": "\\]",
        "&": "&amp;",
        "<": "&lt;",
        ">": "&gt;",
        # a line break would end a table row or a paragraph early
        "\n": " ",
        "\r": " ",
    }
)


def neutralise_cell(value: Any) -> Any:
    """Return ``value`` with a leading ``'`` if it is text a spreadsheet would run as a formula.

    Parameters
    ----------
    value : object
        One cell.

    Returns
    -------
    object
        ``"'" + value`` for a string starting with one of :data:`FORMULA_STARTS`;
        anything else (numbers, ``None``, NaN, safe strings) unchanged.
    """
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return FORMULA_GUARD + value
    return value


def _csv_cell(value: Any) -> Any:
    """A cell as :func:`write_csv` writes it: guarded, and with no lone CR to split its row."""
    value = neutralise_cell(value)
    if isinstance(value, str) and "\r" in value:
        value = _LONE_CR.sub("\r\n", value)
    return value


def _neutralise_labels(labels: pd.Index) -> pd.Index:
    if isinstance(labels, pd.MultiIndex):
        return labels
    if labels.dtype != object and not isinstance(labels.dtype, pd.StringDtype):
        return labels
    return pd.Index([_csv_cell(v) for v in labels], dtype=labels.dtype, name=labels.name)


def _guarded(column: pd.Series) -> pd.Series | None:
    """The column with its formula-like text cells guarded, or ``None`` if none is."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        categories = column.cat.categories
        if _neutralise_labels(categories).equals(categories):
            return None
        # renaming could collide ("=a" beside "'=a"); plain values write the same text
        return _guarded(column.astype(object))
    if column.dtype != object and not isinstance(column.dtype, pd.StringDtype):
        return None
    try:
        # long tables repeat few labels: each distinct value is checked once
        distinct = pd.unique(column.to_numpy(dtype=object))
    except TypeError:  # unhashable cells (lists): checked one by one
        distinct = None
    if distinct is not None:
        bad = [v for v in distinct if isinstance(v, str) and _csv_cell(v) != v]
        if not bad:
            return None
        mask = column.isin(bad).to_numpy(dtype=bool)
    else:
        mask = column.map(lambda v: isinstance(v, str) and _csv_cell(v) != v).to_numpy(bool)
        if not mask.any():
            return None
    out = column.copy()
    out[mask] = column[mask].map(_csv_cell)
    return out


def neutralise_formulas(table: pd.DataFrame) -> pd.DataFrame:
    """Return ``table`` with its text cells and labels made safe for a spreadsheet.

    Parameters
    ----------
    table : pandas.DataFrame
        Any table.

    Returns
    -------
    pandas.DataFrame
        The same table (not a copy) when nothing needs a guard; otherwise a copy
        in which every text cell, column name and index label starting with one
        of :data:`FORMULA_STARTS` has a leading ``'`` and every lone carriage
        return in them is followed by a line feed.  Numeric columns are never
        touched.
    """
    guarded = {i: _guarded(table.iloc[:, i]) for i in range(table.shape[1])}
    changed = {i: column for i, column in guarded.items() if column is not None}
    header = _neutralise_labels(table.columns)
    index = _neutralise_labels(table.index)
    if not changed and header.equals(table.columns) and index.equals(table.index):
        return table
    out = table.copy()
    for i, column in changed.items():
        out.isetitem(i, column)
    out.columns = header
    out.index = index
    return out


def write_csv(table: pd.DataFrame, path: str | Path, **to_csv_kwargs: Any) -> None:
    """Write ``table`` as CSV with formula-like text cells neutralised.

    Parameters
    ----------
    table : pandas.DataFrame
        The table to write (left unchanged).
    path : str or Path
        The CSV file.
    **to_csv_kwargs
        Passed to :meth:`pandas.DataFrame.to_csv` (``index``, ``float_format``, ...).
    """
    neutralise_formulas(table).to_csv(path, **to_csv_kwargs)


def markdown_text(text: object) -> str:
    """Escape ``text`` for Markdown prose or a table cell.

    Parameters
    ----------
    text : object
        A name, description or any other text from outside the package;
        converted with :func:`str`.

    Returns
    -------
    str
        The text with ``\\``, backticks, ``|``, ``[`` and ``]`` backslash-escaped,
        ``&``, ``<`` and ``>`` as HTML entities and line breaks as spaces, so
        that it renders as itself: no HTML, no code span, no link, no extra
        table cell.
    """
    return str(text).translate(_MARKDOWN_ESCAPES)
