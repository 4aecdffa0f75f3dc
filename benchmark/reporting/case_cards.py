"""Case cards: worked examples of wrong-person disclosures by the Splink strategies.

A card puts a request beside the tax record a Splink model accepted for it though
it is someone else's.  Only synthetic people appear (the generated world), and
TINs are masked to their last four digits all the same (``•••-••-1234``).

A Fellegi-Sunter score is a match weight, a sum on the log2 scale: the prior
weight (log2 prior odds that two random records match) plus, per comparison
(first name, surname, birth date ...), the log2 Bayes factor of the pair's level
(with its term-frequency adjustment).  A *waterfall* draws that sum: each bar
starts at the running sum and moves it right (green) or left (red); the last bar
is the total, a dashed line the main operating point's threshold.  The weights are
Splink's ``score_pair`` from the saved ``model.json`` over the whole world (so term
frequencies are the run's): they equal the score the strategy gave the pair.
"""

from __future__ import annotations

import json
import logging
import math
import re
from pathlib import Path
from typing import Any

import pandas as pd

from benchmark.strategies.backends import Backend
from benchmark.strategies.features import record_features, request_features
from benchmark.strategies.link_data import RECORD_COLUMNS, REQUEST_COLUMNS
from benchmark.strategies.splink_jobs import register
from benchmark.strategies.splink_models import MODEL_COLUMNS
from data_gen.dataset import read_table

log = logging.getLogger(__name__)

STRATEGIES = ("splink", "splink_supervised")
FIELDS = ("first_name", "last_name", "dob", "address", "zip", "tin")
FIGSIZE = (7.0, 4.2)
POSITIVE, NEGATIVE, TOTAL = "#2E8B57", "#C0392B", "#444444"


def mask_tin(tin: Any) -> str:
    """A TIN shown by its last four digits (``"•••-••-1234"``); ``"—"`` when missing.

    Examples
    --------
    >>> mask_tin("123456789"), mask_tin(None)
    ('•••-••-6789', '—')
    """
    digits = "" if _missing(tin) else "".join(ch for ch in str(tin) if ch.isdigit())
    return f"•••-••-{digits[-4:]}" if digits else "—"


def _missing(value: Any) -> bool:
    return value is None or (not isinstance(value, (list, tuple)) and bool(pd.isna(value)))


def _text(value: Any) -> str:
    if isinstance(value, pd.Timestamp):
        value = value.strftime("%Y-%m-%d")
    return "—" if _missing(value) else (str(value).strip() or "—")


def _brief(label: str) -> str:
    """A level label without its column name: "Exact match on dob" -> "Exact match"."""
    return re.sub(r" distance of \w+| of \w+| on \w+", "", label)


def _short(text: str, width: int) -> str:  # truncated with an ellipsis
    return text if len(text) <= width else text[: width - 1] + "…"


def _shown(row: pd.Series) -> dict[str, str]:
    parts = [_text(row.get(c)) for c in ("house_number", "street", "unit")]
    address = " ".join(p for p in parts if p != "—") or _text(row.get("address"))
    shown = {f: _text(row.get(f)) for f in ("first_name", "last_name", "dob", "zip")}
    return {**shown, "address": address, "tin": mask_tin(row.get("tin"))}


def _main_point(run: Path, strategy: str) -> tuple[str, float] | None:
    points = pd.read_parquet(run / "evaluation" / "operating_points.parquet")
    main = points[(points["strategy"] == strategy) & (points["assignment"] == "none")
                  & points["main"]]
    ok = not main.empty and pd.notna(main["threshold"].iloc[0])
    return (str(main["operating_point"].iloc[0]), float(main["threshold"].iloc[0])) if ok else None


def choose(disclosures: pd.DataFrame, per_strategy: int) -> pd.DataFrame:
    """One disclosure per route (its smallest request_id), frequent routes first, ties by id."""
    firsts = disclosures.sort_values(["request_id", "record_id"]).drop_duplicates("route")
    counts = disclosures["route"].value_counts()
    firsts = firsts.assign(_n=firsts["route"].map(counts).astype(int),
                           _r=firsts["route"].astype(str))
    firsts = firsts.sort_values(["_n", "request_id", "_r"], ascending=[False, True, True])
    return firsts.drop(columns=["_n", "_r"]).head(per_strategy).reset_index(drop=True)


def _levels(model: dict) -> dict[tuple[str, int], str]:
    """Map (comparison, gamma) to the level's label, as Splink numbers levels."""
    out = {}
    for comparison in model["comparisons"]:
        name = comparison["output_column_name"]
        levels = [lv for lv in comparison["comparison_levels"] if not lv.get("is_null_level")]
        for i, level in enumerate(levels):
            out[(name, len(levels) - 1 - i)] = level.get("label_for_charts", "")
        out[(name, -1)] = "null (missing in either)"
    return out


def _linker(model: dict, req: pd.DataFrame, rec: pd.DataFrame) -> Any:
    from splink import Linker

    tables = register(Backend(), req, rec, list(MODEL_COLUMNS))
    linker = Linker(tables, model, log_level=logging.ERROR)
    levels = [lv for c in model["comparisons"] for lv in c["comparison_levels"]]
    # term frequencies over the whole world, as in predict
    for column in sorted({lv.get("tf_adjustment_column") for lv in levels} - {None}):
        linker.table_management.compute_tf_table(column)
    return linker


def _as_record(features: pd.DataFrame, key: str, value: int) -> dict:
    row = features.loc[features[key] == value, ["unique_id", *MODEL_COLUMNS]].iloc[0]
    return {k: (list(v) if k == "last_tokens" else (None if _missing(v) else v))
            for k, v in row.items()}


def _score(linker: Any, model: dict, left: dict, right: dict) -> tuple[list, float]:
    out = linker.inference.score_pair(left, right).as_pandas_dataframe().iloc[0]
    labels, names = _levels(model), [c["output_column_name"] for c in model["comparisons"]]
    weights = [float(out[f"mw_{n}"]) + float(out.get(f"mw_tf_adj_{n}", 0.0) or 0.0) for n in names]
    levels = [labels.get((n, int(out[f"gamma_{n}"])), "") for n in names]
    return list(zip(names, levels, weights, strict=True)), float(out["match_weight"])


def case_cards(
    run_folder: str | Path, strategies: tuple[str, ...] = STRATEGIES, per_strategy: int = 2
) -> list[dict]:
    """Case cards for the wrong-person disclosures of world 0 at each strategy's main point.

    Parameters
    ----------
    run_folder : str or Path
        A finished run folder (``data``, ``links``, ``evaluation``).
    strategies : tuple of str
        Splink strategies to show; those without a ``model.json`` are skipped.
    per_strategy : int
        Cards per strategy (one per route, most frequent routes first).

    Returns
    -------
    list of dict
        Cards: ``strategy``, ``operating_point``, ``route``, ``request_id``, ``record_id``,
        ``request``/``record`` (shown fields, TIN masked), ``contributions`` (comparison,
        level, log2 Bayes factor incl. TF), ``prior_weight``, ``match_weight``, ``threshold``.
    """
    run = Path(run_folder)
    disclosures = pd.read_parquet(run / "evaluation" / "error_cause_disclosures.parquet")
    requests = read_table(run / "data", "requests", list(REQUEST_COLUMNS))
    records = read_table(run / "data", "irs_filers", list(RECORD_COLUMNS))
    req_features = rec_features = None
    cards: list[dict] = []
    for strategy in strategies:
        model_path = run / "links" / strategy / "model.json"
        point = _main_point(run, strategy) if model_path.is_file() else None
        if point is None:
            log.info("case cards: %s has no model.json or main threshold; skipped", strategy)
            continue
        name, threshold = point
        d = disclosures
        chosen = choose(d[(d["strategy"] == strategy) & (d["assignment"] == "none")
                          & (d["operating_point"] == name)], per_strategy)
        if chosen.empty:
            log.info("case cards: %s has no wrong-person disclosure at %s", strategy, name)
            continue
        if req_features is None:  # computed once, for the first strategy with cards
            req_features, rec_features = request_features(requests), record_features(records)
        model = json.loads(model_path.read_text())
        linker = _linker(model, req_features, rec_features)
        lam = float(model["probability_two_random_records_match"])
        prior = math.log2(lam / (1.0 - lam))  # the prior odds, as a match weight
        for _, pick in chosen.iterrows():
            rid, cid = int(pick["request_id"]), int(pick["record_id"])
            left, right = _as_record(req_features, "request_id", rid), _as_record(
                rec_features, "record_id", cid)
            contributions, total = _score(linker, model, left, right)
            cards.append({
                "strategy": strategy, "operating_point": name, "route": str(pick["route"]),
                "request_id": rid, "record_id": cid,
                "request": _shown(requests.loc[requests["request_id"] == rid].iloc[0]),
                "record": _shown(records.loc[records["record_id"] == cid].iloc[0]),
                "contributions": contributions, "prior_weight": prior,
                "match_weight": total, "threshold": threshold,
            })
        log.info("case cards: %d for %s at %s", len(chosen), strategy, name)
    return cards


def draw_case_card(card: dict, plt: Any) -> Any:
    """One card as a figure: request vs record on the left, the weight waterfall on the right.

    Parameters
    ----------
    card : dict
        A card from :func:`case_cards`.
    plt : module
        ``matplotlib.pyplot``.

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig = plt.figure(figsize=FIGSIZE)
    grid = fig.add_gridspec(1, 2, width_ratios=[1.15, 1.0], wspace=0.04)
    left, right = fig.add_subplot(grid[0]), fig.add_subplot(grid[1])
    left.axis("off")  # the table only
    labels = ["First name", "Last name", "Birth date", "Address", "ZIP", "TIN"]
    cells = [[label, _short(card["request"][f], 23), _short(card["record"][f], 23)]
             for label, f in zip(labels, FIELDS, strict=True)]
    table = left.table(cellText=cells, colLabels=["", "Request", "Record"], cellLoc="left",
                       colWidths=[0.2, 0.4, 0.4], bbox=[0.0, 0.12, 1.0, 0.72])
    table.auto_set_font_size(False)
    table.set_fontsize(5.5)
    for (row, _), cell in table.get_celld().items():
        cell.set_linewidth(0.3)
        cell.set_text_props(weight="bold" if row == 0 else "normal")
    left.set_title(f"{card['strategy']}: {card['route']}", fontsize=8, loc="left")

    steps = [("prior", card["prior_weight"])] + [
        (f"{name}: {_short(_brief(level), 30)}" if level else name, weight)
        for name, level, weight in card["contributions"]
    ]
    running, ends = 0.0, [0.0, card["threshold"], card["match_weight"]]
    for i, (_, weight) in enumerate(steps):
        right.barh(i, weight, left=running, color=POSITIVE if weight >= 0 else NEGATIVE,
                   height=0.7)
        running += weight
        ends.append(running)
    total = len(steps)
    right.barh(total, card["match_weight"], color=TOTAL, height=0.7)
    right.axvline(card["threshold"], color="black", linestyle="--", linewidth=1,
                  label=f"threshold {card['threshold']:.1f}")
    right.axvline(0, color="#999999", linewidth=0.5)
    pad = 0.06 * (max(ends) - min(ends) or 1.0)  # room for bars that end at the extremes
    right.set_xlim(min(ends) - pad, max(ends) + pad)
    ticks = [s[0] for s in steps] + [f"total {card['match_weight']:.1f}"]
    right.set_yticks(range(total + 1), ticks, fontsize=6.5)
    right.yaxis.tick_right(), right.invert_yaxis(), right.tick_params(axis="x", labelsize=7)
    right.set_xlabel("match weight (log2 Bayes factor)", fontsize=7)
    right.legend(fontsize=6.5, loc="lower left", frameon=False)
    fig.suptitle("Synthetic example of a wrong-person disclosure", fontsize=9)
    fig.subplots_adjust(left=0.02, right=0.66, top=0.88, bottom=0.12)
    return fig


def card_names(cards: list[dict]) -> list[str]:
    """Each card's figure name, ``case_<strategy>_<k>`` (k counts a strategy's cards from 1).

    Examples
    --------
    >>> card_names([{"strategy": "splink"}, {"strategy": "splink"}, {"strategy": "x"}])
    ['case_splink_1', 'case_splink_2', 'case_x_1']
    """
    seen: dict[str, int] = {}
    names = []
    for card in cards:
        seen[card["strategy"]] = seen.get(card["strategy"], 0) + 1
        names.append(f"case_{card['strategy']}_{seen[card['strategy']]}")
    return names
