"""Honest statistics over seeds: means with Student-t confidence intervals.

Seeds are the replications: each seed is an independent draw of the city (for a
generator base) or of the random choices of modifications and solver (for a
dataset base). With few seeds the t distribution, not the normal, gives the
right interval width; with one seed there is no interval at all (NaN), which
is the truth. Comparisons between methods or variants are *paired* on the seed
(same city, same random draws), which removes most of the seed-to-seed noise.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd
from scipy import stats as _st

from . import modifications as _mods

DEFAULT_METRICS: tuple[str, ...] = (
    "coverage",
    "weighted_coverage",
    "citizens_served",
    "min_district_coverage",
    "travel_km",
    "continuity",
    "solve_seconds",
)


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
    """Group by variant, its modification parameters (constant within a variant) and method."""
    kinds = [k for k in _mods.ORDER if k in runs.columns]
    return [c for c in ("variant", *kinds, "method") if c in runs.columns]


def summarize(
    runs: pd.DataFrame,
    metrics: Sequence[str] | None = None,
    by: Sequence[str] | None = None,
    level: float = 0.95,
) -> pd.DataFrame:
    """Mean and ``level`` CI over seeds of each metric per group, as a long table.

    Columns: the ``by`` columns, ``metric``, ``n`` (runs with a value), ``mean``, ``std``,
    ``ci_low``, ``ci_high``, ``errors`` (runs of the group that failed). Failed runs are left
    out of the figures and counted in ``errors``.
    """
    by = list(by) if by is not None else default_by(runs)
    metrics = [m for m in (metrics or DEFAULT_METRICS) if m in runs.columns]
    rows = []
    for group, g in runs.groupby(by, dropna=False, sort=False):
        group = group if isinstance(group, tuple) else (group,)
        ok = _ok(g)
        for metric in metrics:
            values = pd.to_numeric(ok[metric], errors="coerce").dropna().astype(float)
            m, lo, hi = mean_ci(values, level)
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
                }
            )
    return pd.DataFrame(rows, columns=[*by, "metric", "n", "mean", "std", "ci_low", "ci_high", "errors"])


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
    Columns: the ``by`` columns, ``n`` pairs, ``mean_a``, ``mean_b``, ``diff``, ``ci_low``, ``ci_high``,
    ``a_better`` (share of pairs where a > b) and ``p_value`` (paired t-test, NaN below 2 pairs).
    """
    by = [c for c in (by or []) if c != column]
    ok = _ok(runs)
    keys = [*by, *pair_on]
    left = ok[ok[column] == a].set_index(keys)[metric].astype(float) if len(keys) else None
    right = ok[ok[column] == b].set_index(keys)[metric].astype(float) if len(keys) else None
    if left is None or right is None:
        raise ValueError("pair_on must name at least one column")
    pairs = pd.concat({"a": left, "b": right}, axis=1, join="inner").dropna().reset_index()
    rows = []
    groups = pairs.groupby(by, sort=False) if by else [((), pairs)]
    for group, g in groups:
        group = group if isinstance(group, tuple) else (group,)
        d = (g["a"] - g["b"]).to_numpy()
        m, lo, hi = mean_ci(d, level)
        p = float(_st.ttest_rel(g["a"], g["b"]).pvalue) if len(d) > 1 and np.any(d != d[0]) else math.nan
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
            }
        )
    return pd.DataFrame(
        rows, columns=[*by, "n", "mean_a", "mean_b", "diff", "ci_low", "ci_high", "a_better", "p_value"]
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
