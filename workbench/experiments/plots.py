"""Plotly figures of an experiment's results table, every point a mean over seeds with its 95% CI.

- :func:`coverage_vs_supply`: how coverage grows with the volunteer pool (or any other knob);
- :func:`district_equity`: coverage per district, to see who is left behind;
- :func:`method_comparison`: the optimiser against the greedy baseline per variant.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import plotly.graph_objects as go

from . import modifications as _mods
from .stats import district_table, summarize

LABELS: dict[str, str] = {
    "coverage": "coverage (sessions served ÷ demanded)",
    "weighted_coverage": "priority-weighted coverage",
    "citizens_served": "citizens served",
    "min_district_coverage": "coverage of the worst-served district",
    "travel_km": "volunteer travel (road km)",
    "continuity": "continuity (same volunteer)",
    "solve_seconds": "solve time (s)",
    "supply": "volunteer supply (× today)",
    "travel_radius": "travel radius (× today)",
    "phone_share": "share of phone-capable requests accepting calls",
    "vetting_share": "share of volunteers vetted",
    "adhoc_helpers": "ad-hoc helpers added",
    "district_coverage": "coverage in the district",
}
_SHARES = {
    "coverage",
    "weighted_coverage",
    "min_district_coverage",
    "continuity",
    "district_coverage",
    "phone_share",
    "vetting_share",
}


def _label(column: str) -> str:
    return LABELS.get(column, column.replace("_", " "))


def _error_y(summary: pd.DataFrame) -> dict:
    return {
        "type": "data",
        "symmetric": False,
        "array": (summary["ci_high"] - summary["mean"]).tolist(),
        "arrayminus": (summary["mean"] - summary["ci_low"]).tolist(),
        "visible": True,
    }


def _varying(runs: pd.DataFrame, columns: Sequence[str]) -> list[str]:
    return [c for c in columns if c in runs.columns and runs[c].astype(str).nunique() > 1]


def _series_label(row: pd.Series, columns: Sequence[str]) -> str:
    return ", ".join(f"{row[c]}" if c == "method" else f"{c}={row[c]}" for c in columns) or "all runs"


def coverage_vs_supply(
    runs: pd.DataFrame,
    metric: str = "coverage",
    x: str = "supply",
    series: Sequence[str] | None = None,
    level: float = 0.95,
) -> go.Figure:
    """``metric`` against the modification parameter ``x`` (default: supply), a line per series.

    ``series`` (default: method and every other modification parameter that varies) splits
    the runs into lines, e.g. lock-down on and off.
    """
    if x not in runs.columns:
        raise ValueError(f"no column {x!r} in the results; the spec does not vary it")
    if series is None:
        series = _varying(runs, ["method", *(k for k in _mods.ORDER if k != x)])
    series = list(series)
    s = summarize(runs, [metric], by=[*series, x], level=level).sort_values(x, kind="stable")
    fig = go.Figure()
    groups = s.groupby(series, sort=False, dropna=False) if series else [((), s)]
    for _, g in groups:
        name = _series_label(g.iloc[0], series)
        fig.add_trace(
            go.Scatter(
                x=g[x],
                y=g["mean"],
                mode="lines+markers",
                name=name,
                error_y=_error_y(g),
                customdata=g[["n", "ci_low", "ci_high"]],
                hovertemplate=f"{x}=%{{x}}<br>mean %{{y:.3f}} "
                "[%{customdata[1]:.3f}, %{customdata[2]:.3f}]<br>"
                "%{customdata[0]} seeds<extra>" + name + "</extra>",
            )
        )
    fig.update_layout(
        title=f"{_label(metric)} against {_label(x)} (mean over seeds, {level:.0%} CI)",
        xaxis_title=_label(x),
        yaxis_title=_label(metric),
        template="plotly_white",
        legend_title_text=", ".join(series),
    )
    if metric in _SHARES:
        fig.update_yaxes(tickformat=".0%")
    return fig


def district_equity(
    runs: pd.DataFrame, by: str = "variant", method: str | None = None, level: float = 0.95
) -> go.Figure:
    """Coverage per district (mean over seeds with CI), a bar per ``by`` value, worst districts first.

    ``method`` keeps only that method's runs (default: the first method in the table).
    """
    if "method" in runs.columns and runs["method"].nunique() > 1:
        method = method or str(runs["method"].iloc[0])
    if method is not None:
        runs = runs[runs["method"] == method]
    long = district_table(runs)
    if long.empty:
        raise ValueError("no per-district coverage in the results (no districts with demand)")
    s = summarize(long, ["district_coverage"], by=[by, "district"], level=level)
    order = s.groupby("district")["mean"].mean().sort_values().index.tolist()
    fig = go.Figure()
    for value, g in s.groupby(by, sort=False):
        g = g.set_index("district").reindex(order).reset_index()
        fig.add_trace(go.Bar(x=g["district"], y=g["mean"], name=str(value), error_y=_error_y(g)))
    suffix = f", {method}" if method else ""
    fig.update_layout(
        barmode="group",
        template="plotly_white",
        xaxis_title="district",
        yaxis_title=_label("district_coverage"),
        legend_title_text=by,
        title=f"Equity: coverage per district, worst first (mean over seeds, {level:.0%} CI{suffix})",
    )
    fig.update_yaxes(tickformat=".0%")
    return fig


def method_comparison(runs: pd.DataFrame, metric: str = "coverage", level: float = 0.95) -> go.Figure:
    """``metric`` per variant, a bar per method (mean over seeds with CI): what the optimiser adds."""
    s = summarize(runs, [metric], by=["variant", "method"], level=level)
    fig = go.Figure()
    for method, g in s.groupby("method", sort=False):
        fig.add_trace(go.Bar(x=g["variant"], y=g["mean"], name=str(method), error_y=_error_y(g)))
    fig.update_layout(
        barmode="group",
        template="plotly_white",
        xaxis_title="variant",
        yaxis_title=_label(metric),
        legend_title_text="method",
        title=f"{_label(metric)} by method (mean over seeds, {level:.0%} CI)",
    )
    if metric in _SHARES:
        fig.update_yaxes(tickformat=".0%")
    return fig
