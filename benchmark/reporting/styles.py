"""How figures and reports show each strategy: its plain-language name and colour.

Both come from the strategy class and are recorded in each ``link_manifest.json``;
the evaluation copies them into ``evaluation_manifest.json`` (key ``strategies``),
which is where this module reads them, so a figure never consults the registry.
A strategy without a colour (a plug-in that sets none) takes one of the spare
greys, in order of name, so its colour does not depend on which others ran.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from data_gen.errors import InputError

# colours for strategies that set none (the built-ins use colour-blind-safe Okabe-Ito)
SPARE_COLOURS = ("#777777", "#BBBBBB", "#444444", "#999999")


@dataclass(frozen=True)
class StrategyStyle:
    """A strategy as reports show it.

    Attributes
    ----------
    plain_name : str
        Its name for a general reader ("exact name and address").
    colour : str
        A hex colour, the same in every figure.
    """

    plain_name: str
    colour: str


def styles_from_manifest(manifest: dict) -> dict[str, StrategyStyle]:
    """Each evaluated strategy's style, in the evaluation's order.

    Parameters
    ----------
    manifest : dict
        An evaluation manifest; its ``strategies`` list holds name, plain_name, colour.

    Returns
    -------
    dict
        Strategy name to :class:`StrategyStyle`; strategies without a colour get
        the :data:`SPARE_COLOURS` by sorted name.

    Examples
    --------
    >>> s = styles_from_manifest({"strategies": [
    ...     {"name": "b", "plain_name": "rule b", "colour": None},
    ...     {"name": "a", "plain_name": "rule a", "colour": "#000000"}]})
    >>> s["a"].colour, s["b"].colour, s["b"].plain_name
    ('#000000', '#777777', 'rule b')
    """
    entries = manifest.get("strategies") or []
    uncoloured = sorted(e["name"] for e in entries if not e.get("colour"))
    spare = {n: SPARE_COLOURS[i % len(SPARE_COLOURS)] for i, n in enumerate(uncoloured)}
    return {
        e["name"]: StrategyStyle(
            plain_name=e.get("plain_name") or e["name"],
            colour=e.get("colour") or spare[e["name"]],
        )
        for e in entries
    }


def read_styles(evaluation: str | Path) -> dict[str, StrategyStyle]:
    """The strategy styles recorded in an evaluation folder's manifest.

    Raises
    ------
    InputError
        If the manifest is missing or unreadable.
    """
    path = Path(evaluation) / "evaluation_manifest.json"
    try:
        manifest = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: unreadable ({exc})") from None
    return styles_from_manifest(manifest)


def colours_for(strategies: list[str], styles: dict[str, StrategyStyle]) -> dict[str, str]:
    """Colour per strategy; one missing from ``styles`` (an older folder) takes a spare grey."""
    missing = sorted(s for s in strategies if s not in styles)
    spare = {n: SPARE_COLOURS[i % len(SPARE_COLOURS)] for i, n in enumerate(missing)}
    return {s: styles[s].colour if s in styles else spare[s] for s in strategies}
