"""A scenario: its sections assembled, validated as a whole and loaded from TOML.

The settings and their defaults live in the section modules
(:mod:`data_gen.config_world`, :mod:`data_gen.config_records`,
:mod:`data_gen.config_run`), each next to its source or the word *assumption*;
a setting's check is in :mod:`data_gen.config_fields`.  A scenario file
overrides any subset of them; unknown keys, probabilities outside [0, 1],
negative sizes and distributions that do not sum to one are rejected with a
:class:`~data_gen.errors.ConfigError` whose message names the key.

The sections and their vocabularies are re-exported here, where the rest of the
code imports them.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from data_gen.config_fields import check_value, config_error, setting
from data_gen.config_records import ADDRESS_KINDS, JUNK_FORMS, NoiseConfig, RequestConfig
from data_gen.config_run import (
    CALIBRATION_KEYS,
    OPERATING_POINT_CHOICES,
    PRIORS,
    CalibrationConfig,
    Prior,
    RunConfig,
)
from data_gen.config_world import (
    HOUSEHOLD_TYPES,
    ORIGINS,
    STATUSES,
    FilingConfig,
    HouseholdConfig,
    HousingConfig,
    MovesConfig,
    StatusConfig,
    WorldConfig,
)
from data_gen.errors import ConfigError, InputError

__all__ = [
    "ADDRESS_KINDS",
    "CALIBRATION_KEYS",
    "HOUSEHOLD_TYPES",
    "JUNK_FORMS",
    "MAX_TOML_BYTES",
    "OPERATING_POINT_CHOICES",
    "ORIGINS",
    "PRIORS",
    "Prior",
    "STATUSES",
    "CalibrationConfig",
    "FilingConfig",
    "HouseholdConfig",
    "HousingConfig",
    "MovesConfig",
    "NoiseConfig",
    "RequestConfig",
    "RunConfig",
    "Scenario",
    "StatusConfig",
    "WorldConfig",
    "load_scenario",
    "read_toml",
    "resolved_noise_rates",
    "scenario_from_dict",
]


@dataclass(frozen=True)
class Scenario:
    """A whole scenario: everything the generator needs besides the output folder."""

    name: str = setting("default", "name", "scenario name (used for output folders)")
    seed: int = setting(20250627, "count", "master seed; every random stream derives from it")
    scale: float = setting(
        1.0,
        "nonnegative",
        "size factor applied when the world is generated: multiplies world.persons, world.n_zips "
        "and requests.count (the density of people per ZIP code stays the same)",
        maximum=100,
    )
    world: WorldConfig = field(default_factory=WorldConfig)
    housing: HousingConfig = field(default_factory=HousingConfig)
    households: HouseholdConfig = field(default_factory=HouseholdConfig)
    status: StatusConfig = field(default_factory=StatusConfig)
    filing: FilingConfig = field(default_factory=FilingConfig)
    moves: MovesConfig = field(default_factory=MovesConfig)
    requests: RequestConfig = field(default_factory=RequestConfig)
    noise: NoiseConfig = field(default_factory=NoiseConfig)
    run: RunConfig = field(default_factory=RunConfig)
    calibration: CalibrationConfig = field(default_factory=CalibrationConfig)

    def scaled(self) -> "Scenario":
        """Return the scenario as generated: sizes multiplied by ``scale``, which becomes 1.

        Examples
        --------
        >>> s = Scenario().with_overrides(scale=0.5, requests={"count": 1000}).scaled()
        >>> (s.scale, s.world.persons, s.world.n_zips, s.requests.count)
        (1.0, 100000, 60, 500)
        """
        if self.scale == 1.0:
            return self
        w, rc = self.world, self.requests
        requests = {} if rc.count is None else {"count": max(1, round(rc.count * self.scale))}
        return self.with_overrides(
            scale=1.0,
            world={
                "persons": max(1, round(w.persons * self.scale)),
                "n_zips": max(1, round(w.n_zips * self.scale)),
            },
            requests=requests,
        )

    def at_scale(self, scale: float | None) -> "Scenario":
        """Return a copy with ``scale`` replaced (unchanged for None), as ``--scale`` asks.

        Raises
        ------
        ConfigError
            If ``scale`` is not greater than 0 and at most 100.
        """
        if scale is None:
            return self
        if not 0 < scale <= 100:
            raise ConfigError(f"--scale {scale}: must be greater than 0 and at most 100")
        return self.with_overrides(scale=scale)

    def to_dict(self) -> dict:
        """Return the resolved scenario as plain data (every setting filled in)."""
        return dataclasses.asdict(self)

    def config_hash(self) -> str:
        """Return a SHA-256 hex digest of the resolved scenario."""
        blob = json.dumps(self.to_dict(), sort_keys=True).encode("utf-8")
        return hashlib.sha256(blob).hexdigest()

    def with_overrides(self, **sections: Any) -> "Scenario":
        """Return a validated copy with some settings replaced.

        Tables merge into their section (``world={"persons": 10}``); scalars
        replace (``seed=3``).
        """
        data = _to_plain(self)
        for section, values in sections.items():
            if isinstance(values, Mapping):
                data.setdefault(section, {}).update(values)
            else:
                data[section] = values
        return _build(Scenario, data, "", "<overrides>")


def resolved_noise_rates(scenario: Scenario, side: str) -> dict[str, float]:
    """Return every registered noise type's rate on ``side`` ("irs" or "requests")."""
    return dict(getattr(scenario.noise, side))


def _to_plain(obj: Any) -> Any:
    if dataclasses.is_dataclass(obj):
        return {f.name: _to_plain(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, dict):
        return {k: _to_plain(v) for k, v in obj.items()}
    return obj


def _build(cls: type, data: Any, prefix: str, source: str) -> Any:
    if not isinstance(data, Mapping):
        raise config_error(source, prefix.rstrip(".") or "<top>", "expected a table")
    fields = {f.name: f for f in dataclasses.fields(cls)}
    for key in data:
        if key not in fields:
            raise config_error(source, f"{prefix}{key}", "unknown key")
    kwargs = {}
    defaults = cls()
    for name, f in fields.items():
        if name not in data:
            continue
        key = f"{prefix}{name}"
        if dataclasses.is_dataclass(f.type) or (
            isinstance(f.type, str) and f.type.endswith("Config")
        ):
            sub_cls = type(getattr(defaults, name))
            kwargs[name] = _build(sub_cls, data[name], f"{key}.", source)
        else:
            kwargs[name] = check_value(f, data[name], key, source, getattr(defaults, name))
    obj = cls(**kwargs)
    _check_cross_field(obj, prefix, source)
    return obj


def _check_cross_field(obj: Any, prefix: str, source: str) -> None:
    if isinstance(obj, HousingConfig):
        if obj.occupancy <= 0:
            raise config_error(source, f"{prefix}occupancy", "must be greater than 0")
        if obj.large_complex_min_units > obj.large_complex_max_units:
            raise config_error(
                source, f"{prefix}large_complex_min_units", "is larger than large_complex_max_units"
            )
        if obj.small_building_max_units < 2:
            raise config_error(source, f"{prefix}small_building_max_units", "must be at least 2")
    if isinstance(obj, Scenario) and obj.scale <= 0:
        raise config_error(source, f"{prefix}scale", "must be greater than 0")
    if isinstance(obj, RequestConfig) and obj.left_area_share is not None:
        if obj.left_area_share > obj.never_filed_share:
            raise config_error(
                source,
                f"{prefix}left_area_share",
                f"({obj.left_area_share:g}) is more than never_filed_share "
                f"({obj.never_filed_share:g}): people who left the area never filed",
            )
    if isinstance(obj, WorldConfig):
        if obj.filing_date > obj.reference_date:
            raise config_error(source, f"{prefix}filing_date", "is after reference_date")


def scenario_from_dict(data: Mapping[str, Any], source: str = "<dict>") -> Scenario:
    """Build and validate a :class:`Scenario` from plain data.

    Parameters
    ----------
    data : mapping
        Nested tables as read from TOML; missing keys take the defaults.
    source : str
        Name used in error messages (usually the file path).

    Raises
    ------
    ConfigError
        On an unknown key, a value of the wrong kind, a probability outside
        [0, 1], a negative size or shares that do not sum to one.
    """
    return _build(Scenario, data, "", source)


def load_scenario(path: str | Path) -> Scenario:
    """Load and validate a scenario TOML file.

    Parameters
    ----------
    path : str or Path
        The scenario file.

    Returns
    -------
    Scenario
        The validated scenario with defaults filled in.

    Raises
    ------
    ConfigError
        If the file is missing, is not valid TOML or fails validation.
    """
    return scenario_from_dict(read_toml(path, "config"), str(path))


# no scenario or mapping is near this size; a larger file is not one
MAX_TOML_BYTES = 16 << 20


def read_toml(path: str | Path, kind: str, error: type[InputError] = ConfigError) -> dict:
    """Read a UTF-8 TOML file; ``kind`` names it in errors ("config", "mapping").

    Raises
    ------
    InputError
        ``error``, with one line, if the file is missing, a folder, unreadable, larger
        than :data:`MAX_TOML_BYTES`, not UTF-8, not TOML or nested too deeply to parse.
    """
    path = Path(path)
    try:
        with path.open("rb") as f:
            raw = f.read(MAX_TOML_BYTES + 1)
    except FileNotFoundError:
        raise error(f"{path}: {kind} file not found") from None
    except IsADirectoryError:
        raise error(f"{path}: is a directory, not a {kind} file") from None
    except OSError as exc:
        raise error(f"{path}: cannot read the {kind} file ({exc.strerror or exc})") from None
    if len(raw) > MAX_TOML_BYTES:
        raise error(f"{path}: {kind} file larger than {MAX_TOML_BYTES >> 20} MB")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise error(f"{path}: {kind} file is not UTF-8 text") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise error(f"{path}: not valid TOML ({exc})") from None
    except RecursionError:
        # tomllib parses nested arrays and inline tables recursively
        raise error(f"{path}: not valid TOML (arrays or tables nested too deeply)") from None
