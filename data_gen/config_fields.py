"""A scenario setting: its declaration, and the check its value must pass.

Every setting of a scenario section is a dataclass field declared with
:func:`setting`, whose metadata names the kind of check (``probability``,
``count``, ``date``, ``distribution`` ...) and documents the setting.
:func:`check_value` validates one value read from a scenario file against its
field; a value that fails raises a :class:`~data_gen.errors.ConfigError` whose
message names the file and the key.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import field
from typing import Any

from data_gen.errors import ConfigError
from data_gen.noise_registry import NOISE_NAMES


def setting(default: Any, check: str, doc: str, **extra: Any) -> Any:
    """Declare a config field with its validation kind and documentation.

    Parameters
    ----------
    default : object
        The default value; a dict or list is copied for every instance.
    check : str
        Kind of check the value must pass (a key of the checks in this module).
    doc : str
        What the setting means, and the source of its default or *assumption*.
    **extra
        Further metadata the check uses: ``maximum``, ``choices``, ``keys``.

    Returns
    -------
    dataclasses.Field
        The field, to assign to a class attribute of a frozen dataclass.
    """
    meta = {"check": check, "doc": doc, **extra}
    if isinstance(default, dict | list):
        return field(default_factory=lambda: json.loads(json.dumps(default)), metadata=meta)
    return field(default=default, metadata=meta)


def config_error(source: str, key: str, problem: str) -> ConfigError:
    """Return the error for ``key`` of the scenario read from ``source``.

    Examples
    --------
    >>> str(config_error("smoke.toml", "world.persons", "size -1 is negative"))
    'smoke.toml: world.persons: size -1 is negative'
    """
    return ConfigError(f"{source}: {key}: {problem}")


def check_value(f: dataclasses.Field, value: Any, key: str, source: str, default: Any) -> Any:
    """Validate ``value`` for field ``f`` and return it as the scenario stores it.

    Parameters
    ----------
    f : dataclasses.Field
        A field declared with :func:`setting`.
    value : object
        The value read from the scenario file.
    key : str
        Dotted key, for error messages (``world.persons``).
    source : str
        Name of the scenario file, for error messages.
    default : object
        The field's default; tables of rates and of distributions are merged
        into it, and an optional setting (default None) may stay None.

    Returns
    -------
    object
        The validated value (floats as float, tables filled in).

    Raises
    ------
    ConfigError
        If the value is not of the field's kind or out of its range.
    """
    if value is None and default is None:
        return None  # an optional setting left unset (TOML cannot say null; manifests can)
    check = _CHECKS.get(f.metadata["check"])
    if check is None:  # pragma: no cover
        raise AssertionError(f"unknown check {f.metadata['check']}")
    return check(f, value, key, source, default)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _unknown_key(keys: tuple) -> str:
    return f"unknown key (expected one of {', '.join(keys)})"


def _check_probability(value: Any, key: str, source: str) -> float:
    if not _is_number(value):
        raise config_error(source, key, f"expected a number in [0, 1], got {value!r}")
    if not 0.0 <= value <= 1.0:
        raise config_error(source, key, f"probability {value!r} is outside [0, 1]")
    return float(value)


def _check_distribution(value: Any, key: str, source: str, choices: tuple) -> dict:
    if not isinstance(value, Mapping):
        raise config_error(source, key, "expected a table of shares")
    out = {}
    for name, share in value.items():
        if name not in choices:
            raise config_error(source, f"{key}.{name}", _unknown_key(choices))
        out[name] = _check_probability(share, f"{key}.{name}", source)
    total = sum(out.values())
    if abs(total - 1.0) > 1e-6:
        raise config_error(source, key, f"shares sum to {total:.6g}, not 1")
    return {c: out.get(c, 0.0) for c in choices}


def _check_maximum(f: dataclasses.Field, value: float, key: str, source: str) -> None:
    maximum = f.metadata.get("maximum")
    if maximum is not None and value > maximum:
        raise config_error(source, key, f"{value} is larger than the supported maximum {maximum:,}")


# ----------------------------------------------------------------------------
# one check per kind, all called as check(f, value, key, source, default)


def _probability(f: dataclasses.Field, value: Any, key: str, source: str, default: Any) -> float:
    return _check_probability(value, key, source)


def _whole_number(f: dataclasses.Field, value: Any, key: str, source: str, default: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise config_error(source, key, f"expected a whole number, got {value!r}")
    if value < 0:
        raise config_error(source, key, f"size {value} is negative")
    if f.metadata["check"] == "positive_int" and value == 0:
        raise config_error(source, key, "must be at least 1")
    _check_maximum(f, value, key, source)
    return value


def _nonnegative(f: dataclasses.Field, value: Any, key: str, source: str, default: Any) -> float:
    if not _is_number(value):
        raise config_error(source, key, f"expected a number, got {value!r}")
    if value < 0:
        raise config_error(source, key, f"value {value} is negative")
    _check_maximum(f, value, key, source)
    return float(value)


def _date(f: dataclasses.Field, value: Any, key: str, source: str, default: Any) -> str:
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise config_error(source, key, f"{value!r} is not a date (YYYY-MM-DD)")
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        raise config_error(source, key, f"{value!r} is not a date (YYYY-MM-DD)") from None
    if not 1990 <= day.year <= 2100:
        raise config_error(source, key, f"{value} is outside the supported years 1990-2100")
    return value


def _choice(f: dataclasses.Field, value: Any, key: str, source: str, default: Any) -> Any:
    if value not in f.metadata["choices"]:
        raise config_error(
            source, key, f"{value!r} is not one of {', '.join(f.metadata['choices'])}"
        )
    return value


def _name(f: dataclasses.Field, value: Any, key: str, source: str, default: Any) -> str:
    if (
        not isinstance(value, str)
        or not value
        or not value.replace("_", "").replace("-", "").isalnum()
    ):
        raise config_error(
            source, key, f"{value!r} must be a non-empty name of letters, digits, - and _"
        )
    return value


def _names(f: dataclasses.Field, value: Any, key: str, source: str, default: Any) -> list:
    if not isinstance(value, list) or not all(
        isinstance(v, str) and v and v.replace("_", "").replace(".", "").replace(":", "").isalnum()
        for v in value
    ):
        raise config_error(source, key, f"expected a list of names, got {value!r}")
    if len(set(value)) != len(value):
        raise config_error(source, key, "names a strategy twice")
    return list(value)


def _ranges(
    f: dataclasses.Field, value: Any, key: str, source: str, default: Any
) -> dict[str, list[float]]:
    keys, shares = f.metadata["keys"], f.metadata.get("probability_keys", ())
    if not isinstance(value, Mapping):
        raise config_error(source, key, "expected a table of [low, high] ranges")
    out: dict[str, list[float]] = {}
    for name, values in value.items():
        where = f"{key}.{name}"
        if name not in keys:
            raise config_error(source, where, _unknown_key(keys))
        if not isinstance(values, list) or len(values) != 2:
            raise config_error(source, where, "expected a range [low, high]")
        if name in shares:
            low, high = (
                _check_probability(v, f"{where}[{i}]", source) for i, v in enumerate(values)
            )
        else:
            for i, v in enumerate(values):
                if not _is_number(v) or v < 0:
                    raise config_error(
                        source, f"{where}[{i}]", f"expected a number >= 0, got {v!r}"
                    )
            low, high = float(values[0]), float(values[1])
        if low > high:
            raise config_error(source, where, f"low {low:g} is above high {high:g}")
        out[name] = [low, high]
    return out


def _distribution(f: dataclasses.Field, value: Any, key: str, source: str, default: Any) -> dict:
    return _check_distribution(value, key, source, f.metadata["choices"])


def _distributions(f: dataclasses.Field, value: Any, key: str, source: str, default: Any) -> dict:
    if not isinstance(value, Mapping):
        raise config_error(source, key, "expected a table of tables")
    out = dict(default)
    for group, dist in value.items():
        if group not in f.metadata["keys"]:
            raise config_error(source, f"{key}.{group}", _unknown_key(f.metadata["keys"]))
        out[group] = _check_distribution(dist, f"{key}.{group}", source, f.metadata["choices"])
    return out


def _rate_table(
    value: Any, key: str, source: str, default: Any, *, what: str, known: tuple, unknown: str
) -> dict:
    """Merge a table of rates into ``default``; names outside ``known`` fail with ``unknown``."""
    if not isinstance(value, Mapping):
        raise config_error(source, key, f"expected a table of {what}")
    out = dict(default)
    for name, rate in value.items():
        if name not in known:
            raise config_error(source, f"{key}.{name}", unknown)
        out[name] = _check_probability(rate, f"{key}.{name}", source)
    return out


def _rates(f: dataclasses.Field, value: Any, key: str, source: str, default: Any) -> dict:
    keys = f.metadata["keys"]
    return _rate_table(
        value, key, source, default, what="rates", known=keys, unknown=_unknown_key(keys)
    )


def _noise_rates(f: dataclasses.Field, value: Any, key: str, source: str, default: Any) -> dict:
    return _rate_table(
        value,
        key,
        source,
        default,
        what="noise rates",
        known=NOISE_NAMES,
        unknown="unknown noise type (see `itin-bench generate --list-noise`)",
    )


_CHECKS: dict[str, Callable[[dataclasses.Field, Any, str, str, Any], Any]] = {
    "probability": _probability,
    "count": _whole_number,
    "positive_int": _whole_number,
    "nonnegative": _nonnegative,
    "date": _date,
    "choice": _choice,
    "name": _name,
    "names": _names,
    "ranges": _ranges,
    "distribution": _distribution,
    "distributions": _distributions,
    "rates": _rates,
    "noise_rates": _noise_rates,
}
