"""The strategy interface: what a matching strategy is given and what it returns.

Plug-in strategies import this module (``benchmark.strategies.base``); every
name here is part of that contract.  A strategy sees only what an agency would
hold: the request file and the tax records (:class:`LinkData`), never
``person_id``, ``household_id`` or the truth tables.  Supervised strategies
also get a separately seeded training world of the same scenario, with labels,
through :meth:`Strategy.fit`.  It runs its Splink jobs on a :class:`Backend`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, ClassVar

import pandas as pd

from benchmark.strategies.backends import Backend
from benchmark.strategies.link_data import RECORD_COLUMNS, REQUEST_COLUMNS, LinkData

__all__ = [
    "PAIR_COLUMNS",
    "RECORD_COLUMNS",
    "REQUEST_COLUMNS",
    "Backend",
    "LinkData",
    "Strategy",
]

PAIR_COLUMNS = ("request_id", "record_id", "score")


class Strategy(ABC):
    """A matching strategy: turns :class:`LinkData` into scored candidate pairs.

    Subclasses set ``name`` and ``description`` and implement :meth:`link`.
    ``plain_name`` is how reports name the strategy to a general reader and
    ``colour`` its colour in every figure (a hex code; ``None`` takes a free
    one); both are recorded in ``link_manifest.json``, so figures and reports
    read them from stored files.
    ``natural_threshold`` is the score at which the strategy itself decides
    "match" (1.0 for yes/no rules; ``None`` when only a sweep makes sense).
    ``rule`` says the strategy is a decision rule: reports show it at its
    natural threshold rather than at a threshold chosen from a sweep.
    ``score_scale`` says what the score is, when it is a model's estimate:
    ``"probability"`` (P(match)) or ``"match_weight"`` (Splink's log2 odds,
    prior included); ``None`` for scores that are no probability.  With a
    scale the evaluation can set a threshold from the model's own claims
    (the ``model_precision_*`` operating points) and draw its reliability.
    Supervised strategies set ``supervised = True`` and implement :meth:`fit`.
    After :meth:`link`, ``artifacts`` may hold extra outputs to save, e.g.
    ``{"model.json": {...}}``.

    Examples
    --------
    A custom rule, defined outside the package::

        from benchmark.strategies import Strategy, features

        class SameTinAndYear(Strategy):
            name = "tin_and_birth_year"
            description = "TIN equal and same year of birth"

            def link(self, data, backend):
                req, rec = features.prepare(data)
                pairs = req.merge(rec, on="tin", suffixes=("_q", "_r"))
                pairs = pairs[pairs["dob_year_q"] == pairs["dob_year_r"]]
                return pairs.assign(score=1.0)[["request_id", "record_id", "score"]]
    """

    name: ClassVar[str] = ""
    description: ClassVar[str] = ""
    plain_name: ClassVar[str] = ""
    colour: ClassVar[str | None] = None
    supervised: ClassVar[bool] = False
    natural_threshold: ClassVar[float | None] = 1.0
    rule: ClassVar[bool] = True
    score_scale: ClassVar[str | None] = None

    def __init__(self) -> None:
        self.artifacts: dict[str, Any] = {}

    @classmethod
    def style(cls) -> dict[str, str | None]:
        """How reports show the strategy: its plain-language name and colour.

        Returns
        -------
        dict
            ``plain_name`` (the ``name`` when none is set) and ``colour``.
        """
        return {"plain_name": cls.plain_name or cls.name, "colour": cls.colour}

    def fit(self, train: LinkData, backend: Backend) -> "Strategy":
        """Learn from a labelled training world (supervised strategies only).

        Parameters
        ----------
        train : LinkData
            A separately seeded world of the same scenario, with ``labels``.
        backend : Backend
            Where Splink jobs run.

        Returns
        -------
        Strategy
            ``self``, fitted; the default learns nothing.
        """
        return self

    @abstractmethod
    def link(self, data: LinkData, backend: Backend) -> pd.DataFrame:
        """Return scored candidate pairs: request_id, record_id, score (higher = more alike).

        Parameters
        ----------
        data : LinkData
            The requests and records to link (no truth).
        backend : Backend
            Where Splink jobs run.

        Returns
        -------
        DataFrame
            The :data:`PAIR_COLUMNS`; an optional ``match_key`` column names the
            blocking rule that found the pair.
        """
