"""Matching strategies: one registry, one interface (:class:`Strategy`).

Built-in strategies are listed by ``itin-bench strategies``.  A strategy defined
outside the package is used by its import path, ``package.module:ClassName``.
"""

from __future__ import annotations

import importlib

from benchmark.strategies.backends import Backend
from benchmark.strategies.base import Strategy
from benchmark.strategies.link_data import LinkData, load_link_data
from benchmark.strategies.rules import ExactNameAddress, FuzzyRules, Irs2025, NameDob
from benchmark.strategies.splink_models import (
    BoostedClassifier,
    LogisticClassifier,
    SplinkEM,
    SplinkSupervised,
)
from data_gen.errors import InputError

STRATEGIES: dict[str, type[Strategy]] = {
    cls.name: cls
    for cls in (
        Irs2025,
        ExactNameAddress,
        NameDob,
        FuzzyRules,
        SplinkEM,
        SplinkSupervised,
        LogisticClassifier,
        BoostedClassifier,
    )
}


def get_strategy(name: str) -> type[Strategy]:
    """Return the strategy class registered as ``name``, or imported from ``module:Class``.

    Raises
    ------
    InputError
        If the name is unknown, the module cannot be imported, or the object is
        not a :class:`Strategy` subclass.
    """
    if name in STRATEGIES:
        return STRATEGIES[name]
    if ":" not in name:
        raise InputError(
            f"--strategy {name}: unknown strategy (known: {', '.join(STRATEGIES)}; "
            "or give package.module:ClassName)"
        )
    module_name, _, attr = name.partition(":")
    if not module_name or not attr:
        raise InputError(f"--strategy {name}: expected package.module:ClassName")
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:  # noqa: BLE001 - any failure to import the user's module is bad input
        raise InputError(f"--strategy {name}: cannot import {module_name} ({exc})") from None
    cls = getattr(module, attr, None)
    if not (isinstance(cls, type) and issubclass(cls, Strategy)):
        raise InputError(f"--strategy {name}: {attr} is not a Strategy subclass in {module_name}")
    if not cls.name:
        raise InputError(f"--strategy {name}: the class must set a name")
    return cls


__all__ = [
    "STRATEGIES",
    "Backend",
    "LinkData",
    "Strategy",
    "get_strategy",
    "load_link_data",
]
