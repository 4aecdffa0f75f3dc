"""Link folders as the evaluation reads them: a strategy's pairs, labelled, and its manifest."""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from benchmark.evaluation.ground_truth import GroundTruth
from data_gen.errors import InputError

log = logging.getLogger(__name__)

_HEX_COLOUR = re.compile(r"#[0-9A-Fa-f]{6}")


@dataclass
class LinkRun:
    """One link folder: a strategy's scored pairs and what its manifest says about them."""

    strategy: str
    natural_threshold: float | None
    pairs: pd.DataFrame
    manifest: dict
    blocking: dict
    folder: Path
    rule: bool = False
    score_scale: str | None = None

    @property
    def style(self) -> dict[str, str | None]:
        """The strategy's plain-language name and colour, as its link manifest records them."""
        return {
            "plain_name": str(self.manifest.get("plain_name") or self.strategy),
            "colour": self.manifest.get("colour"),
        }


def find_link_folders(paths: list[Path]) -> list[Path]:
    """Link folders named by ``paths``: each path is one, or a folder of them.

    Raises
    ------
    InputError
        If a path is neither, or two folders hold the same strategy.
    """
    found: list[Path] = []
    for path in paths:
        if (path / "link_manifest.json").is_file():
            found.append(path)
            continue
        inner = sorted(p.parent for p in path.glob("*/link_manifest.json")) if path.is_dir() else []
        if not inner:
            raise InputError(
                f"{path}: not a link folder (no link_manifest.json in it or its subfolders)"
            )
        found.extend(inner)
    return found


def load_link_run(folder: Path, truth: GroundTruth) -> LinkRun:
    """Read a link folder and check it was made from the dataset being evaluated.

    Raises
    ------
    InputError
        If the manifest or pairs are unreadable, lack columns, or come from
        another dataset.
    """
    try:
        manifest = json.loads((folder / "link_manifest.json").read_text())
    except (OSError, json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"{folder}/link_manifest.json: unreadable ({exc})") from None
    if not isinstance(manifest, dict):
        raise InputError(f"{folder}/link_manifest.json: expected a JSON object")
    for key in ("strategy", "natural_threshold"):
        if key not in manifest:
            raise InputError(f"{folder}/link_manifest.json: missing {key!r}")
    natural = manifest["natural_threshold"]
    if natural is not None and (
        isinstance(natural, bool)
        or not isinstance(natural, int | float)
        or not np.isfinite(natural)
    ):
        raise InputError(
            f"{folder}/link_manifest.json: natural_threshold must be a number or null, not {natural!r}"
        )
    colour = manifest.get("colour")
    if colour is not None and not (isinstance(colour, str) and _HEX_COLOUR.fullmatch(colour)):
        raise InputError(
            f"{folder}/link_manifest.json: colour must be a hex code like '#0072B2', not {colour!r}"
        )
    score_scale = manifest.get("score_scale", _registry_scale(str(manifest["strategy"])))
    if score_scale not in SCORE_SCALES:
        raise InputError(
            f"{folder}/link_manifest.json: score_scale must be one of "
            f"{', '.join(map(str, SCORE_SCALES))}, not {score_scale!r}"
        )
    data = truth.manifest
    if data.get("inputs_sha256") is not None:
        if manifest.get("data_inputs_sha256") != data["inputs_sha256"]:
            raise InputError(
                f"{folder}: pairs were not linked on these tables and mapping "
                "(link them again with the same --requests, --filers and --mapping)"
            )
    elif manifest.get("data_config_sha256") != data.get("config_sha256") or manifest.get(
        "data_seed"
    ) != data.get("seed"):
        raise InputError(
            f"{folder}: pairs were linked on another dataset "
            f"(seed {manifest.get('data_seed')}, not {data.get('seed')})"
        )
    pairs = _read_pairs(folder / "pairs.parquet", truth)
    blocking_path = folder / "blocking_report.json"
    blocking = {}
    if blocking_path.is_file():
        try:
            blocking = json.loads(blocking_path.read_text())
        except (OSError, json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise InputError(f"{blocking_path}: unreadable ({exc})") from None
        if not isinstance(blocking, dict):
            raise InputError(f"{blocking_path}: expected a JSON object")
    return LinkRun(
        strategy=str(manifest["strategy"]),
        natural_threshold=None if natural is None else float(natural),
        pairs=pairs,
        manifest=manifest,
        blocking=blocking,
        folder=folder,
        rule=bool(manifest.get("rule", False)),
        score_scale=score_scale,
    )


SCORE_SCALES = (None, "probability", "match_weight")


def _registry_scale(name: str) -> str | None:
    """The score scale of a registered strategy, for link folders written before it was recorded."""
    from benchmark.strategies import STRATEGIES

    cls = STRATEGIES.get(name)
    return getattr(cls, "score_scale", None) if cls is not None else None


def _read_pairs(path: Path, truth: GroundTruth) -> pd.DataFrame:
    """A link folder's pairs, checked against the dataset: known ids, finite scores, no repeats."""
    try:
        pairs = pq.read_table(path).to_pandas()
    except (OSError, pa.ArrowException) as exc:
        raise InputError(f"{path}: not a readable Parquet file ({exc})") from None
    missing = [c for c in ("request_id", "record_id", "score") if c not in pairs.columns]
    if missing:
        raise InputError(f"{path}: missing column(s) {', '.join(missing)}")
    try:
        pairs = pairs[["request_id", "record_id", "score"]].astype(
            {"request_id": "int64", "record_id": "int64", "score": "float64"}
        )
    except (TypeError, ValueError) as exc:
        raise InputError(f"{path}: ids must be integers and scores numbers ({exc})") from None
    if not np.isfinite(pairs["score"]).all():
        raise InputError(f"{path}: scores must be finite numbers")
    if not pairs["request_id"].isin(truth.requests["request_id"]).all():
        raise InputError(f"{path}: request ids that are not in the dataset")
    if not pairs["record_id"].isin(truth.record_address["record_id"]).all():
        raise InputError(f"{path}: record ids that are not in the dataset")
    repeated = int(pairs.duplicated(["request_id", "record_id"]).sum())
    if repeated:
        raise InputError(
            f"{path}: {repeated} (request_id, record_id) pair(s) appear more than once"
        )
    return pairs


def registry_order(run: LinkRun) -> tuple[int, str]:
    """Sort key: registered strategies in registry order, plug-ins after them by name."""
    from benchmark.strategies import STRATEGIES

    names = list(STRATEGIES)
    return (names.index(run.strategy) if run.strategy in names else len(names), run.strategy)
