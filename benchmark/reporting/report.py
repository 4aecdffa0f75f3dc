"""The report: Markdown and one self-contained HTML file, for readers who are not data scientists.

This module writes the report folder.  The report is assembled as a list of
blocks (:mod:`benchmark.reporting.blocks`) from the run's stored outputs only
(:mod:`benchmark.reporting.sections`), then rendered twice
(:mod:`benchmark.reporting.render`): to Markdown (figures linked) and to HTML
(figures embedded as data URIs, inline style, no script and no network access).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from benchmark.reporting.blocks import Block
from benchmark.reporting.render import to_html, to_markdown
from benchmark.reporting.sections import build_report
from data_gen.dataset import atomic_folder

__all__ = ["Block", "build_report", "to_html", "to_markdown", "write_report"]


def write_report(
    run_folder: str | Path,
    out: str | Path,
    *,
    scenario: Any = None,
    config: str | Path = "",
    force: bool = False,
) -> Path:
    """Write ``report.md`` and ``report.html`` for a run folder into ``out``.

    Parameters
    ----------
    run_folder : str or Path
        The run folder holding ``data/``, ``evaluation/`` and ``figures/``.
    out : str or Path
        The report folder to write (replaced only when ours, see
        :func:`~data_gen.dataset.atomic_folder`).
    scenario : Scenario, optional
        The run's resolved scenario, for the configuration hash.
    config : str or Path
        The scenario file, named in the command to rerun.
    force : bool
        Replace an existing report folder.

    Returns
    -------
    Path
        The HTML file.
    """
    run_folder = Path(run_folder)
    blocks = build_report(run_folder, scenario, config)
    with atomic_folder(Path(out), force=force, kind="report", inputs=[run_folder / "data"]) as tmp:
        (tmp / "report.md").write_text(to_markdown(blocks), encoding="utf-8")
        (tmp / "report.html").write_text(to_html(blocks, run_folder / "figures"), encoding="utf-8")
    return Path(out) / "report.html"
