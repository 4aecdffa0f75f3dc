"""Rendering report blocks: to Markdown (figures linked) and to one self-contained HTML page.

The HTML page embeds its figures as data URIs, carries its style inline, and
has no script and no link out.  Both renderers escape every part of block
text but its code spans (see :mod:`benchmark.reporting.blocks`).
"""

from __future__ import annotations

import base64
import html
from pathlib import Path

from benchmark.reporting.blocks import Block, spans
from benchmark.safe_output import markdown_text


def _md(text: str) -> str:
    """Block text as Markdown, every part escaped but the code spans that need no escaping."""
    out = []
    for code, part in spans(text):
        escaped = markdown_text(part)
        # a code span shows its text raw: one whose text needs escaping is written as text
        out.append(f"`{part}`" if code and escaped == part else escaped)
    return "".join(out)


def to_markdown(blocks: list[Block], figure_dir: str = "../figures") -> str:
    """Render blocks as Markdown.

    Parameters
    ----------
    blocks : list of Block
        The report, as :func:`~benchmark.reporting.sections.build_report` gives it.
    figure_dir : str
        Where the figures are, relative to the Markdown file; a figure links
        to ``figure_dir/NAME.png``.

    Returns
    -------
    str
        The Markdown document.

    Examples
    --------
    >>> print(to_markdown([Block("h2", "Run `itin-bench`"), Block("p", "a|b <i>")]))
    ## Run `itin-bench`
    <BLANKLINE>
    a\\|b &lt;i&gt;
    <BLANKLINE>
    """
    out = []
    for b in blocks:
        if b.kind == "h1":
            out.append(f"# {_md(b.text)}\n")
        elif b.kind == "h2":
            out.append(f"## {_md(b.text)}\n")
        elif b.kind == "p":
            out.append(f"{_md(b.text)}\n")
        elif b.kind == "ul":
            out.append("\n".join(f"- {_md(item)}" for item in b.items or []) + "\n")
        elif b.kind == "table":
            header = [_md(h) for h in b.header or []]
            lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
            lines += ["| " + " | ".join(_md(str(c)) for c in row) + " |" for row in b.items or []]
            out.append("\n".join(lines) + "\n")
        elif b.kind == "figure":
            caption = _md((b.items or [""])[0])
            out.append(f"![{caption}]({figure_dir}/{b.text}.png)\n\n*{caption}*\n")
    return "\n".join(out)


STYLE = """
body { font-family: system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem;
       line-height: 1.5; color: #111; }
table { border-collapse: collapse; margin: 1rem 0; font-size: 0.9rem; display: block;
        overflow-x: auto; }
th, td { border: 1px solid #ccc; padding: 0.25rem 0.5rem; text-align: left; }
th { background: #f2f2f2; }
figure { margin: 1.5rem 0; }
figure img { max-width: 100%; height: auto; }
figcaption { font-style: italic; font-size: 0.9rem; }
code { background: #f4f4f4; padding: 0 0.2rem; }
"""


def _inline(text: str) -> str:
    """Escape text for HTML, turning `code` spans into <code>."""
    return "".join(
        f"<code>{html.escape(p)}</code>" if code else html.escape(p) for code, p in spans(text)
    )


def _html_block(b: Block, figure_dir: Path) -> str | None:
    """One block as HTML (``None`` for a kind the page does not show)."""
    if b.kind in ("h1", "h2"):
        return f"<{b.kind}>{_inline(b.text)}</{b.kind}>"
    if b.kind == "p":
        return f"<p>{_inline(b.text)}</p>"
    if b.kind == "ul":
        return "<ul>" + "".join(f"<li>{_inline(i)}</li>" for i in b.items or []) + "</ul>"
    if b.kind == "table":
        head = "".join(f"<th>{_inline(h)}</th>" for h in b.header or [])
        rows = "".join(
            "<tr>" + "".join(f"<td>{_inline(str(c))}</td>" for c in row) + "</tr>"
            for row in b.items or []
        )
        return f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"
    if b.kind == "figure":
        caption = (b.items or [""])[0]
        data = base64.b64encode((figure_dir / f"{b.text}.png").read_bytes()).decode()
        return (
            f'<figure><img alt="{html.escape(caption)}" src="data:image/png;base64,{data}">'
            f"<figcaption>{_inline(caption)}</figcaption></figure>"
        )
    return None


def to_html(blocks: list[Block], figure_dir: Path) -> str:
    """Render blocks as one self-contained HTML page: figures embedded, no script, no links out.

    Parameters
    ----------
    blocks : list of Block
        The report.
    figure_dir : Path
        The folder holding each figure block's ``NAME.png``.

    Returns
    -------
    str
        The page; its title is the first ``h1`` block's text.

    Examples
    --------
    >>> page = to_html([Block("h1", "<b>"), Block("p", "`x`")], Path("."))
    >>> "<title>&lt;b&gt;</title>" in page, "<p><code>x</code></p>" in page
    (True, True)
    """
    body = [part for b in blocks if (part := _html_block(b, figure_dir)) is not None]
    title = next((b.text for b in blocks if b.kind == "h1"), "itin-bench report")
    title = "".join(part for _, part in spans(title))
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title><style>{STYLE}</style></head><body>\n"
        + "\n".join(body)
        + "\n</body></html>\n"
    )
