"""Honest statistics over seeds: means with Student-t confidence intervals.

Seeds are the replications: each seed is an independent draw of the city (for a
generator base) or of the random choices of modifications and solver (for a
dataset base). With few seeds the t distribution, not the normal, gives the
right interval width; with one seed there is no interval at all (NaN), which
is the truth. Comparisons between methods or variants are *paired* on the seed
(same city, same random draws), which removes most of the seed-to-seed noise.

Shares (coverage, shares matched within so many weeks, ...) cannot leave
[0, 1], and their differences cannot leave [-1, 1]; the t interval ignores that
when seeds are few, so their intervals are cut there (:data:`SHARES`).

An optimiser run cut short before it proved its optimum reports how far it may
be from the best (its ``gap``; greedy runs report one too, but greedy is the
coordinator's rule, a policy of its own, so its gap never flags a comparison).
A difference between two variants is only as trustworthy as their runs are close to their bounds: relaxing a rule cannot
lower the optimum, yet two searches cut short can say it did. Summaries and
comparisons therefore carry the largest gap of their runs and a ``flag`` when it
exceeds :data:`FAR_FROM_BOUND`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd
from scipy import stats as _st

from .. import whatif as _mods
from ..simulate.params import NAMES as SIMULATION_KEYS

DEFAULT_METRICS: tuple[str, ...] = (
    "coverage",
    "weighted_coverage",
    "citizens_served",
    "min_district_coverage",
    "travel_km",
    "continuity",
    "solve_seconds",
)
# The figures of a simulated run worth a summary (see workbench.simulate.metrics.summary).
SIMULATION_METRICS: tuple[str, ...] = (
    "matched_within_4w",
    "matched_within_8w",
    "matched_within_12w",
    "median_wait_weeks",
    "min_district_matched_within_12w",
    "mean_waiting",
    "final_waiting",
    "coverage",
    "median_match_weeks",
    "volunteer_turnover",
    "mean_load",
)
# Figures that are shares of a whole: their intervals are cut to [0, 1].
SHARES: frozenset[str] = frozenset({
    "coverage", "weighted_coverage", "min_district_coverage", "continuity", "district_coverage",
    "matched_within_4w", "matched_within_8w", "matched_within_12w", "matched_by_end",
    "min_district_matched_within_12w", "district_matched_within_12w", "idle_share", "gap",
})
# Figures that cannot be negative (waits, counts, loads): their intervals are cut at 0.
NON_NEGATIVE: frozenset[str] = frozenset({
    "citizens_served", "travel_km", "solve_seconds", "median_wait_weeks", "mean_waiting", "final_waiting",
    "max_waiting", "median_match_weeks", "volunteer_turnover", "mean_load", "referrals", "sessions",
})
# A run whose gap exceeds this is "far from its bound": comparisons using it are flagged.
FAR_FROM_BOUND = 0.01


def is_share(metric: str) -> bool:
    """Whether ``metric`` is a share of a whole (including per-district columns such as ``district_coverage.X``)."""
    return metric in SHARES or metric.split(".", 1)[0] in SHARES


def gap_flag(max_gap: float) -> str:
    """The warning attached to a comparison whose runs stopped ``max_gap`` from their bounds ("" if none)."""
    if max_gap is None or math.isnan(max_gap) or max_gap <= FAR_FROM_BOUND:
        return ""
    return (f"far from bound: runs stopped up to {max_gap:.1%} below their proven bound; a difference this "
            "size may be the search, not the change (give more effort)")


def mean_ci(values: Iterable[float], level: float = 0.95) -> tuple[float, float, float]:
    """(mean, low, high) of the Student-t interval for the mean; NaN bounds with fewer than 2 values.

    Missing values (NaN/None) are left out.
    """
    x = np.array(
        [v for v in values if v is not None and not (isinstance(v, float) and math.isnan(v))], dtype=float
    )
    if len(x) == 0:
        return math.nan, math.nan, math.nan
    m = float(x.mean())
    if len(x) < 2:
        return m, math.nan, math.nan
    half = float(_st.t.ppf((1 + level) / 2, len(x) - 1) * x.std(ddof=1) / math.sqrt(len(x)))
    return m, m - half, m + half


def _ok(runs: pd.DataFrame) -> pd.DataFrame:
    return runs[runs["status"] != "ERROR"] if "status" in runs.columns else runs


def default_by(runs: pd.DataFrame) -> list[str]:
    """Group by variant, its modification and simulation parameters (constant within a variant) and method."""
    kinds = [k for k in (*_mods.ORDER, *SIMULATION_KEYS) if k in runs.columns and k != "weeks"]
    return [c for c in ("variant", *kinds, "method") if c in runs.columns]


def _searched(runs: pd.DataFrame) -> pd.DataFrame:
    """The optimiser's runs: greedy is the coordinator's rule, a policy of its own, so its distance
    from the bound is reported but never makes a comparison doubtful."""
    return runs[runs["method"] != "greedy"] if "method" in runs.columns else runs


def _max_gap(runs: pd.DataFrame) -> float:
    if "gap" not in runs.columns:
        return math.nan
    gaps = pd.to_numeric(_searched(runs)["gap"], errors="coerce").dropna()
    return float(gaps.max()) if len(gaps) else math.nan


def summarize(
    runs: pd.DataFrame,
    metrics: Sequence[str] | None = None,
    by: Sequence[str] | None = None,
    level: float = 0.95,
) -> pd.DataFrame:
    """Mean and ``level`` CI over seeds of each metric per group, as a long table.

    Columns: the ``by`` columns, ``metric``, ``n`` (runs with a value), ``mean``, ``std``,
    ``ci_low``, ``ci_high`` (cut to [0, 1] for shares, at 0 for :data:`NON_NEGATIVE`), ``errors``
    (runs of the group that failed), ``max_gap`` (largest gap of the group's optimiser runs; NaN for
    greedy, whose rule is a policy of its own)
    and ``flag`` (see :func:`gap_flag`). Failed runs are left out of the figures and counted in
    ``errors``. Default metrics: a simulation's (:data:`SIMULATION_METRICS`) when the table
    holds simulated runs, else :data:`DEFAULT_METRICS`.
    """
    by = list(by) if by is not None else default_by(runs)
    if metrics is None:
        metrics = SIMULATION_METRICS if "matched_within_4w" in runs.columns else DEFAULT_METRICS
    metrics = [m for m in metrics if m in runs.columns]
    rows = []
    for group, g in runs.groupby(by, dropna=False, sort=False):
        group = group if isinstance(group, tuple) else (group,)
        ok = _ok(g)
        max_gap = _max_gap(ok)
        for metric in metrics:
            values = pd.to_numeric(ok[metric], errors="coerce").dropna().astype(float)
            m, lo, hi = mean_ci(values, level)
            if is_share(metric):
                lo, hi = _cut(lo, hi, 0.0, 1.0)
            elif metric in NON_NEGATIVE:
                lo, hi = _cut(lo, hi, 0.0, math.inf)
            rows.append(
                {
                    **dict(zip(by, group)),
                    "metric": metric,
                    "n": len(values),
                    "mean": m,
                    "std": float(values.std(ddof=1)) if len(values) > 1 else math.nan,
                    "ci_low": lo,
                    "ci_high": hi,
                    "errors": int(len(g) - len(ok)),
                    "max_gap": max_gap,
                    "flag": gap_flag(max_gap),
                }
            )
    return pd.DataFrame(rows, columns=[*by, "metric", "n", "mean", "std", "ci_low", "ci_high", "errors", "max_gap",
                                       "flag"])


def _cut(lo: float, hi: float, low: float, high: float) -> tuple[float, float]:
    if math.isnan(lo):
        return lo, hi
    return max(lo, low), min(hi, high)


def paired_difference(
    runs: pd.DataFrame,
    metric: str = "coverage",
    column: str = "method",
    a: str = "cpsat",
    b: str = "greedy",
    by: Sequence[str] | None = ("variant",),
    pair_on: Sequence[str] = ("seed",),
    level: float = 0.95,
) -> pd.DataFrame:
    """Mean of ``metric``(a) − ``metric``(b) paired on ``pair_on``, with its CI, per ``by`` group.

    E.g. cpsat versus greedy per variant (the default), or a variant against the baseline:
    ``paired_difference(runs, column="variant", a="lockdown", b="baseline", by=["method"])``.
    Columns: the ``by`` columns, ``n`` pairs, ``mean_a``, ``mean_b``, ``diff``, ``ci_low``, ``ci_high``
    (cut to [-1, 1] for shares), ``a_better`` (share of pairs where a > b), ``p_value`` (paired
    t-test, NaN below 2 pairs), ``max_gap`` (largest gap among the optimiser runs compared) and ``flag``
    (see :func:`gap_flag`).
    """
    by = [c for c in (by or []) if c != column]
    ok = _ok(runs)
    keys = [*by, *pair_on]
    if not len(keys):
        raise ValueError("pair_on must name at least one column")
    gap = pd.to_numeric(ok["gap"], errors="coerce") if "gap" in ok.columns else pd.Series(math.nan, index=ok.index)
    if "method" in ok.columns:
        gap = gap.where(ok["method"] != "greedy")
    ok = ok.assign(_gap=gap)
    left = ok[ok[column] == a].set_index(keys)[[metric, "_gap"]]
    right = ok[ok[column] == b].set_index(keys)[[metric, "_gap"]]
    pairs = pd.concat({"a": left[metric].astype(float), "b": right[metric].astype(float),
                       "gap_a": left["_gap"], "gap_b": right["_gap"]}, axis=1, join="inner")
    pairs = pairs.dropna(subset=["a", "b"]).reset_index()
    rows = []
    groups = pairs.groupby(by, sort=False) if by else [((), pairs)]
    for group, g in groups:
        group = group if isinstance(group, tuple) else (group,)
        d = (g["a"] - g["b"]).to_numpy()
        m, lo, hi = mean_ci(d, level)
        if is_share(metric):
            lo, hi = _cut(lo, hi, -1.0, 1.0)
        p = float(_st.ttest_rel(g["a"], g["b"]).pvalue) if len(d) > 1 and np.any(d != d[0]) else math.nan
        gaps = pd.concat([g["gap_a"], g["gap_b"]]).dropna()
        max_gap = float(gaps.max()) if len(gaps) else math.nan
        rows.append(
            {
                **dict(zip(by, group)),
                "n": len(d),
                "mean_a": float(g["a"].mean()),
                "mean_b": float(g["b"].mean()),
                "diff": m,
                "ci_low": lo,
                "ci_high": hi,
                "a_better": float((d > 0).mean()) if len(d) else math.nan,
                "p_value": p,
                "max_gap": max_gap,
                "flag": gap_flag(max_gap),
            }
        )
    return pd.DataFrame(
        rows, columns=[*by, "n", "mean_a", "mean_b", "diff", "ci_low", "ci_high", "a_better", "p_value", "max_gap",
                       "flag"]
    )


def district_table(runs: pd.DataFrame) -> pd.DataFrame:
    """The per-district coverage columns as a long table: one row per run and district with demand."""
    cols = [c for c in runs.columns if c.startswith("district_coverage.")]
    ids = [c for c in runs.columns if not c.startswith("district_coverage.")]
    long = _ok(runs).melt(id_vars=ids, value_vars=cols, var_name="district", value_name="district_coverage")
    long["district"] = long["district"].str.removeprefix("district_coverage.")
    return long.dropna(subset=["district_coverage"]).reset_index(drop=True)


def format_ci(
    mean: float, low: float, high: float, percent: bool = False, bounds: tuple[float, float] | None = None
) -> str:
    """``0.812 [0.79, 0.834]`` (or in percent) for tables a person reads.

    ``bounds`` cuts the interval to the possible range (a share cannot exceed 1), which the
    t interval ignores when seeds are few.
    """
    if math.isnan(mean):
        return "–"
    if bounds is not None and not math.isnan(low):
        low, high = max(low, bounds[0]), min(high, bounds[1])
    f = (lambda v: f"{100 * v:.1f}%") if percent else (lambda v: f"{v:.3g}")
    return f(mean) if math.isnan(low) else f"{f(mean)} [{f(low)}, {f(high)}]"
