"""Figures over worlds: each world's headline figures in long form, and intervals over worlds.

One world is one draw of names, households, noise and requests.  Figures such
as "wrong-person disclosures per 100,000 requests" vary from draw to draw, so
each headline figure is reported as the mean over K worlds with a 95% interval
(see :func:`intervals`), plus the spread (min, max) of the K values.

Three interval rules, named in the ``interval_method`` column:

``cluster``
    Counts that are sums over clusters: people, citizens, children, LPRs and
    households behind disclosures (clustered by household: a wrong-person
    disclosure exposes a whole household of 1 to 8 people), and disclosures
    (clustered by request).  Their interval is the Fay–Feuer gamma interval of
    the count pooled over worlds, with each cluster a Poisson event weighted by
    its value and the variance scaled by the between-world dispersion
    (:mod:`benchmark.evaluation.cluster_intervals`), joined with the t-interval
    over worlds: with 3 to 5 worlds the dispersion is too poorly known for the
    gamma interval alone when the rate itself varies between worlds, and the
    t-interval alone fails for rare events (with one world only the gamma
    interval remains).  The clusters are the rows of :func:`cluster_counts`.
``t_poisson``
    Other counts, and every count when no clusters are given: the t-interval
    over worlds joined with the exact Poisson (Garwood) interval of the pooled
    count, each person an independent event.
``t``
    Shares, flags, thresholds and the precision gap: the t-interval alone.

Rates per 100,000 requests take their count's rule on the count pooled over all
worlds' requests.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from benchmark.evaluation.cluster_intervals import pooled_cluster_intervals
from benchmark.evaluation.harm import HARM_COUNTS
from benchmark.evaluation.outcomes import PER

# the tables headline figures are taken from
HEADLINE_TABLES = ("operating_points", "outcomes", "harm_summary")

INTERVAL_KEYS = ["strategy", "assignment", "operating_point", "metric"]
# shares and flags: intervals clipped to [0, 1]
SHARES = {
    "precision",
    "recall",
    "f1",
    "f_star",
    "target_reached",
    "claimed_precision",
    "deployable",
}
# figures that may be negative: not clipped at 0
SIGNED = {"threshold", "precision_gap"}
# numeric columns that are identifiers or settings, not results
_NOT_METRICS = {"target", "n_requests", "main", "deployable"}
CLUSTER_COLUMNS = [
    "replicate",
    "strategy",
    "assignment",
    "operating_point",
    "metric",
    "cluster",
    "value",
]
# figures summed over disclosed households, by prefix (the disclosure kind)
# and whether the household is unrelated to the request; names as in harm_summary
HOUSEHOLD_KINDS = {"wrong_person": "", "correct": "correct_"}
HOUSEHOLD_METRICS = tuple(
    f"{prefix}{label}{name}"
    for prefix in HOUSEHOLD_KINDS.values()
    for label in ("", "unrelated_")
    for name in HARM_COUNTS
) + tuple(f"{prefix}own_household_disclosures" for prefix in HOUSEHOLD_KINDS.values())
# figures summed over requests: disclosures
REQUEST_METRICS = ("wrong_person", "correct")
# counts of disclosures: one more unseen event carries weight 1
_DISCLOSURE_COUNTS = {
    *REQUEST_METRICS,
    "own_household_disclosures",
    "correct_own_household_disclosures",
}


def headline_figures(tables: dict[str, pd.DataFrame], replicate: int) -> pd.DataFrame:
    """Every numeric figure at every operating point, one row per figure (long format).

    Figures come from ``operating_points``, ``outcomes`` and ``harm_summary``;
    a figure present in several tables is taken once.  At an operating point
    whose target was not reached only ``target_reached`` (0) is kept, so means
    over worlds describe the worlds where the target was reached.  Each row
    carries the world's number of requests.
    """
    keys = ["strategy", "assignment", "operating_point"]
    frames = []
    ops = tables["operating_points"]
    n_requests = (
        float(tables["outcomes"]["n_requests"].iloc[0]) if len(tables["outcomes"]) else np.nan
    )
    if not ops.empty:
        reached = ops["target_reached"].astype(bool)
        frames.append(
            ops[keys + ["target_reached"]]
            .astype({"target_reached": float})
            .melt(id_vars=keys, var_name="metric", value_name="value")
        )
        tables = {**tables, "operating_points": ops[reached]}
    for name in ("operating_points", "outcomes", "harm_summary"):
        table = tables[name]
        if table.empty:
            continue
        numeric = [
            c
            for c in table.columns
            if c not in keys
            and c not in _NOT_METRICS
            and (pd.api.types.is_numeric_dtype(table[c]) or pd.api.types.is_bool_dtype(table[c]))
        ]
        long = (
            table[keys + numeric]
            .astype({c: float for c in numeric})
            .melt(id_vars=keys, var_name="metric", value_name="value")
        )
        frames.append(long)
    columns = ["replicate", *keys, "metric", "value", "n_requests"]
    if not frames:
        return pd.DataFrame(columns=columns)
    out = pd.concat(frames, ignore_index=True).drop_duplicates(keys + ["metric"])
    out.insert(0, "replicate", replicate)
    out["n_requests"] = n_requests
    return out.reset_index(drop=True)[columns]


def cluster_counts(tables: dict[str, pd.DataFrame], replicate: int) -> pd.DataFrame:
    """The clusters behind each count of one world: one row per cluster and figure (long format).

    From ``harm_households`` every household is a cluster (``cluster`` is its
    household id) of the figures :func:`benchmark.evaluation.harm.harm_counts`
    writes into ``harm_summary``: ``households`` (value 1), ``people``,
    ``us_citizens``, ``us_citizen_children``, ``lprs``,
    ``mixed_status_households`` (1 for a mixed-status household) and
    ``own_household_disclosures``, the same for unrelated households
    (``unrelated_*``, households with a disclosure for somebody living
    elsewhere), all led by ``correct_`` for correct disclosures.  From
    ``request_disclosures`` every request is a cluster of ``wrong_person``
    and ``correct`` (its disclosures of each kind).

    Parameters
    ----------
    tables : dict of DataFrame
        One world's evaluation tables; either table may be absent or empty
        (nothing is known of households in user tables) and only what the
        present ones give is returned.
    replicate : int
        The world's number.

    Returns
    -------
    DataFrame
        replicate, strategy, assignment, operating_point, metric, cluster,
        value; rows of value 0 are left out, so the sum of ``value`` over a
        figure's rows is the figure.

    Examples
    --------
    >>> homes = pd.DataFrame({"strategy": "s", "assignment": "none", "operating_point": "p",
    ...     "disclosure": "wrong_person", "household_id": [7, 8], "address_id": [1, 2],
    ...     "disclosures": [1, 2], "own_disclosures": [1, 0], "people": [3, 5],
    ...     "us_citizens": [1, 0], "us_citizen_children": [1, 0], "lprs": [0, 2],
    ...     "mixed_status": [True, False]})
    >>> c = cluster_counts({"harm_households": homes}, 0)
    >>> c.groupby("metric")["value"].sum()[["people", "unrelated_people", "households"]].tolist()
    [8, 5, 2]
    """
    keys = ["strategy", "assignment", "operating_point"]
    frames = []
    homes = tables.get("harm_households")
    needed = {*keys, "disclosure", "household_id", "disclosures", "own_disclosures", "mixed_status"}
    if homes is not None and needed <= set(homes.columns) and len(homes):
        values = {
            "households": np.ones(len(homes), dtype="int64"),
            **{name: homes[name] for name in HARM_COUNTS if name in homes.columns},
            "mixed_status_households": homes["mixed_status"].astype("int64"),
            "own_household_disclosures": homes["own_disclosures"],
        }
        unrelated = (homes["disclosures"] > homes["own_disclosures"]).to_numpy()
        for kind, prefix in HOUSEHOLD_KINDS.items():
            of_kind = (homes["disclosure"] == kind).to_numpy()
            for label, rows in (("", of_kind), ("unrelated_", of_kind & unrelated)):
                for name, value in values.items():
                    if label and name == "own_household_disclosures":
                        continue
                    frames.append(
                        homes.loc[rows, keys].assign(
                            metric=f"{prefix}{label}{name}",
                            cluster=homes.loc[rows, "household_id"],
                            value=np.asarray(value)[rows],
                        )
                    )
    requests = tables.get("request_disclosures")
    if requests is not None and {*keys, "request_id"} <= set(requests.columns) and len(requests):
        for name in REQUEST_METRICS:
            if name in requests.columns:
                frames.append(
                    requests[keys].assign(
                        metric=name, cluster=requests["request_id"], value=requests[name]
                    )
                )
    frames = [f for f in frames if len(f)]
    if not frames:
        return pd.DataFrame(columns=CLUSTER_COLUMNS)
    out = pd.concat(frames, ignore_index=True)
    out = out[out["value"] != 0]
    out.insert(0, "replicate", replicate)
    return out.reset_index(drop=True)[CLUSTER_COLUMNS]


def _cluster_metrics(clusters: pd.DataFrame) -> set[str]:
    """The figures the clusters describe, zero or not: every figure of each source table seen."""
    seen = set(clusters["metric"].unique())
    out = set()
    if seen & set(HOUSEHOLD_METRICS):
        out |= set(HOUSEHOLD_METRICS)
    if seen & set(REQUEST_METRICS):
        out |= set(REQUEST_METRICS)
    return out


def _max_weights(clusters: pd.DataFrame, metrics: set[str]) -> dict[str, float]:
    """The weight of one more, unseen cluster of each figure, for its upper bound.

    Counts of households and of disclosures: 1.  A person count: its largest
    cluster in any strategy, assignment, operating point and world, or, never
    seen, the largest of any person count (the largest household seen).
    """
    largest = clusters.groupby("metric")["value"].max().astype(float).to_dict()
    people = [
        largest[m]
        for m in largest
        if m in HOUSEHOLD_METRICS and m not in _DISCLOSURE_COUNTS and not m.endswith("households")
    ]
    household = max(people, default=1.0)
    out = {}
    for m in metrics:
        if m in _DISCLOSURE_COUNTS or m.endswith("households"):
            out[m] = 1.0
        else:
            out[m] = largest.get(m, household)
    return out


def _cluster_bounds(figures: pd.DataFrame, clusters: pd.DataFrame) -> pd.DataFrame:
    """The cluster interval of every figure the clusters describe, and of its rate per 100k."""
    keys = ["strategy", "assignment", "operating_point"]
    metrics = _cluster_metrics(clusters)
    base = figures["metric"].str.removesuffix("_per_100k").to_numpy()
    at = (np.isin(base, list(metrics)) & figures["value"].notna()).to_numpy()
    worlds = figures.loc[at, [*keys, "replicate", "n_requests"]].assign(metric=base[at])
    weights = _max_weights(clusters, metrics)
    figure_keys = worlds[INTERVAL_KEYS].drop_duplicates()
    max_weight = pd.Series(
        figure_keys["metric"].map(weights).to_numpy(dtype=float),
        index=pd.MultiIndex.from_frame(figure_keys),
    )
    bounds = pooled_cluster_intervals(
        clusters[clusters["metric"].isin(metrics)], worlds, INTERVAL_KEYS, max_weight
    )
    return bounds


def intervals(figures: pd.DataFrame, clusters: pd.DataFrame | None = None) -> pd.DataFrame:
    """Mean, standard deviation, 95% interval, min and max of every figure over worlds.

    The interval is the t-interval of the mean over worlds (Student t, K − 1
    degrees of freedom), widened for counts to cover an interval of the count
    pooled over worlds, so that rare events seen in no world still get an
    upper bound:

    - counts the ``clusters`` describe, and their rates per 100,000 requests,
      take the cluster (Fay–Feuer gamma) interval of the pooled count
      (:func:`benchmark.evaluation.cluster_intervals.pooled_cluster_intervals`)
      over the worlds where the figure has a value, so a world whose target
      was not reached adds neither clusters nor a zero;
    - other counts take the exact Poisson (Garwood) interval (3.7 / K events
      per world at zero).

    At a total of 0 the cluster interval's upper bound adds one unseen event
    as large as the largest cluster of that figure in any strategy, assignment,
    operating point and world (for a person count never seen, the largest
    household), or of weight 1 for counts of households and of disclosures; so
    a strategy that exposed nobody in K worlds is bounded by one household of
    the largest size seen.
    Rates per 100,000 requests pool the counts over all worlds' requests.
    Intervals are clipped at 0, and at 1 for shares (precision, recall, F1,
    F*, share of worlds reaching the target); thresholds are not clipped.

    Parameters
    ----------
    figures : DataFrame
        Rows of :func:`headline_figures` from several replicates.
    clusters : DataFrame, optional
        Rows of :func:`cluster_counts` from the same replicates.  Without it
        (or for a figure whose source table no world had) counts keep the
        Poisson rule.

    Returns
    -------
    DataFrame
        strategy, assignment, operating_point, metric, replicates (worlds with
        a value), mean, sd, ci_low, ci_high, min, max, and interval_method
        (``cluster``, ``t_poisson`` or ``t``; see the module docstring).  With
        one world only the count part of the interval remains (NaN for
        non-counts).

    Examples
    --------
    >>> f = pd.DataFrame({"replicate": [0, 1, 2], "strategy": "s", "assignment": "none",
    ...                   "operating_point": "p", "metric": "recall", "value": [0.1, 0.2, 0.3],
    ...                   "n_requests": 100.0})
    >>> row = intervals(f).iloc[0]
    >>> round(float(row["mean"]), 3), round(float(row["ci_low"]), 3), round(float(row["ci_high"]), 3)
    (0.2, 0.0, 0.448)
    """
    from scipy import stats

    columns = [
        *INTERVAL_KEYS,
        *("replicates", "mean", "sd", "ci_low", "ci_high", "min", "max", "interval_method"),
    ]
    if figures.empty:
        return pd.DataFrame(columns=columns)
    figures = figures.assign(
        events=np.where(
            figures["metric"].str.endswith("_per_100k"),
            figures["value"] * figures["n_requests"] / PER,
            figures["value"],
        )
    )
    g = figures.groupby(INTERVAL_KEYS, sort=False)
    out = g["value"].agg(replicates="count", mean="mean", sd="std", min="min", max="max")
    out["events"] = g["events"].sum()
    out["requests"] = g["n_requests"].sum()
    out = out.reset_index()
    n = out["replicates"].to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        t = np.where(n > 1, stats.t.ppf(0.975, np.maximum(n - 1, 1)), np.nan)
        half = t * out["sd"].to_numpy() / np.sqrt(n)
    low = out["mean"].to_numpy() - half
    high = out["mean"].to_numpy() + half
    metric = out["metric"]
    rate = metric.str.endswith("_per_100k").to_numpy()
    count = ~rate & ~metric.isin(SHARES | SIGNED).to_numpy()
    events = np.round(out["events"].to_numpy())
    with np.errstate(invalid="ignore", divide="ignore"):
        p_low = np.where(events > 0, stats.chi2.ppf(0.025, 2 * events) / 2, 0.0)
        p_high = stats.chi2.ppf(0.975, 2 * events + 2) / 2
        scale = np.where(rate, PER / out["requests"].to_numpy(), 1 / n)
        p_low, p_high = p_low * scale, p_high * scale
    poisson = rate | count
    method = np.where(poisson, "t_poisson", "t").astype(object)
    if clusters is not None and not clusters.empty:
        bounds = _cluster_bounds(figures, clusters)
        at = (
            out[INTERVAL_KEYS]
            .assign(metric=metric.str.removesuffix("_per_100k"))
            .merge(bounds, on=INTERVAL_KEYS, how="left", validate="many_to_one")
        )
        clustered = at["replicates"].notna().to_numpy()
        p_low = np.where(clustered, np.where(rate, at["per_100k_low"], at["mean_low"]), p_low)
        p_high = np.where(clustered, np.where(rate, at["per_100k_high"], at["mean_high"]), p_high)
        method = np.where(clustered, "cluster", method)
    low = np.where(poisson, np.fmin(low, p_low), low)
    high = np.where(poisson, np.fmax(high, p_high), high)
    out["interval_method"] = method
    out["ci_low"] = np.where(metric.isin(SIGNED), low, np.maximum(low, 0))
    out["ci_high"] = np.where(metric.isin(SHARES), np.minimum(high, 1), high)
    return out[columns]


def read_tables(folder: Path, names: tuple[str, ...] = HEADLINE_TABLES) -> dict[str, pd.DataFrame]:
    """The tables ``names`` of a stored one-world evaluation folder (those it holds)."""
    return {
        n: pd.read_parquet(folder / f"{n}.parquet")
        for n in names
        if (folder / f"{n}.parquet").is_file()
    }
