"""Plotly figures of an experiment's results table, every point a mean over seeds with its 95% CI.

- :func:`coverage_vs_supply`: how coverage grows with the volunteer pool (or any other knob);
- :func:`district_equity`: coverage per district, to see who is left behind;
- :func:`method_comparison`: the optimiser against the greedy baseline per variant;
- :func:`metric_by_variant`: any figure per variant, runs far from their bound marked;

and for simulated policies:

- :func:`matched_within_by_variant`: shares matched within 4, 8 and 12 weeks per policy;
- :func:`waiting_list_by_variant`: the waiting list week by week per policy;
- :func:`time_to_match_by_variant`: the Kaplan–Meier share matched by weeks since referral per policy.

:func:`standard_figures` picks those that fit an experiment (``workbench experiment`` writes them).
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import plotly.graph_objects as go

from .. import whatif as _mods
from .stats import district_table, is_share, mean_ci, summarize

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
    "matched_within_4w": "share matched within 4 weeks",
    "matched_within_8w": "share matched within 8 weeks",
    "matched_within_12w": "share matched within 12 weeks",
    "median_wait_weeks": "median wait for a first session (weeks)",
    "min_district_matched_within_12w": "worst district: share matched within 12 weeks",
    "mean_waiting": "mean waiting list (citizens)",
    "final_waiting": "waiting list at the end (citizens)",
    "median_match_weeks": "median match length (weeks)",
    "volunteer_turnover": "volunteers leaving per volunteer-week",
    "mean_load": "sessions per volunteer and week",
    "referrals_per_week": "referrals per week",
    "recruits_per_week": "recruits per week",
    "recruit": "volunteers recruited",
    "second_visit": "second visit from priority",
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
    if is_share(metric):
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
    if is_share(metric):
        fig.update_yaxes(tickformat=".0%")
    return fig


def metric_by_variant(runs: pd.DataFrame, metric: str, level: float = 0.95) -> go.Figure:
    """``metric`` per variant (mean over seeds with CI), a bar per method; variants whose runs
    stopped far from their bound are marked above their bar (their differences are uncertain)."""
    s = summarize(runs, [metric], by=["variant", "method"], level=level)
    fig = go.Figure()
    for method, g in s.groupby("method", sort=False):
        marks = ["⚠ gap " + f"{x:.0%}" if f else "" for x, f in zip(g["max_gap"], g["flag"])]
        fig.add_trace(go.Bar(x=g["variant"], y=g["mean"], name=str(method), error_y=_error_y(g), text=marks,
                             textposition="outside", customdata=g[["n", "ci_low", "ci_high"]],
                             hovertemplate="%{x}: %{y:.3g} [%{customdata[1]:.3g}, %{customdata[2]:.3g}], "
                                           "%{customdata[0]} seeds<extra>" + str(method) + "</extra>"))
    flagged = " ⚠ = runs far from their proven bound" if s["flag"].astype(bool).any() else ""
    fig.update_layout(barmode="group", template="plotly_white", xaxis_title="variant",
                      yaxis_title=_label(metric), legend_title_text="method",
                      title=f"{_label(metric)} per variant (mean over seeds, {level:.0%} CI){flagged}")
    if is_share(metric):
        fig.update_yaxes(tickformat=".0%")
    return fig


def matched_within_by_variant(runs: pd.DataFrame, method: str | None = None, level: float = 0.95) -> go.Figure:
    """Shares of referrals matched within 4, 8 and 12 weeks per policy (mean over seeds with CI)."""
    runs = _one_method(runs, method)
    metrics = [m for m in ("matched_within_4w", "matched_within_8w", "matched_within_12w") if m in runs.columns]
    s = summarize(runs, metrics, by=["variant"], level=level)
    fig = go.Figure()
    for metric, g in s.groupby("metric", sort=False):
        fig.add_trace(go.Bar(x=g["variant"], y=g["mean"], name=_label(metric).removeprefix("share matched "),
                             error_y=_error_y(g)))
    fig.update_layout(barmode="group", template="plotly_white", xaxis_title="policy",
                      yaxis_title="share of referrals with a first session", legend_title_text="matched",
                      title=f"Time to a first visit per policy (Kaplan–Meier per run; mean over seeds, {level:.0%} CI)")
    fig.update_yaxes(tickformat=".0%", range=[0, 1.05])
    return fig


def _one_method(table: pd.DataFrame, method: str | None) -> pd.DataFrame:
    if "method" in table.columns and table["method"].nunique() > 1:
        method = method or str(table["method"].iloc[0])
    return table[table["method"] == method] if method is not None else table


def _bands(table: pd.DataFrame, x: str, y: str, level: float) -> pd.DataFrame:
    """Mean and CI of ``y`` over seeds at each ``x`` per variant (shares cut to [0, 1])."""
    rows = []
    for (variant, xv), g in table.groupby(["variant", x], sort=False):
        m, lo, hi = mean_ci(g[y].astype(float), level)
        if y == "matched" and not pd.isna(lo):
            lo, hi = max(lo, 0.0), min(hi, 1.0)
        rows.append({"variant": variant, x: xv, "mean": m, "ci_low": lo, "ci_high": hi})
    return pd.DataFrame(rows, columns=["variant", x, "mean", "ci_low", "ci_high"])


def _lines_with_bands(fig: go.Figure, bands: pd.DataFrame, x: str, shape: str) -> None:
    import plotly.colors

    colours = plotly.colors.qualitative.Plotly
    for i, (variant, g) in enumerate(bands.groupby("variant", sort=False)):
        r, gr, b = plotly.colors.hex_to_rgb(colours[i % len(colours)])
        g = g.sort_values(x)
        band = g.dropna(subset=["ci_low"])
        common = {"mode": "lines", "hoverinfo": "skip", "showlegend": False, "legendgroup": str(variant),
                  "line": {"width": 0, "shape": shape}}
        fig.add_trace(go.Scatter(x=band[x], y=band["ci_low"], **common))
        fig.add_trace(go.Scatter(x=band[x], y=band["ci_high"], fill="tonexty", fillcolor=f"rgba({r},{gr},{b},0.15)",
                                 **common))
        fig.add_trace(go.Scatter(x=g[x], y=g["mean"], name=str(variant), legendgroup=str(variant), mode="lines",
                                 line={"shape": shape, "color": f"rgb({r},{gr},{b})"}))


def waiting_list_by_variant(series: pd.DataFrame, method: str | None = None, level: float = 0.95) -> go.Figure:
    """The waiting list after each week's plan per policy (mean over seeds, CI band).

    ``series``: the first table of :func:`workbench.experiments.run.load_series`.
    """
    bands = _bands(_one_method(series, method), "week", "waiting", level)
    fig = go.Figure()
    _lines_with_bands(fig, bands, "week", "linear")
    fig.update_layout(template="plotly_white", xaxis_title="week (0 = the first simulated week)",
                      yaxis_title="citizens waiting for a first visit", legend_title_text="policy",
                      title=f"Waiting list per policy (mean over seeds, {level:.0%} CI)")
    return fig


def time_to_match_by_variant(curves: pd.DataFrame, method: str | None = None, level: float = 0.95) -> go.Figure:
    """Share of referrals with a first session by each week since referral, per policy.

    Each run's curve is its own Kaplan–Meier estimate (waits still open at the end are censored);
    the line is the mean over seeds with its CI. ``curves``: the second table of
    :func:`workbench.experiments.run.load_series`.
    """
    bands = _bands(_one_method(curves, method).dropna(subset=["matched"]), "weeks", "matched", level)
    fig = go.Figure()
    _lines_with_bands(fig, bands, "weeks", "hv")
    for t in (4, 8, 12):
        fig.add_vline(x=t, line_dash="dot", line_color="grey", opacity=0.6)
    fig.update_layout(template="plotly_white", xaxis_title="weeks since referral",
                      yaxis_title="share with a first session", legend_title_text="policy",
                      title=f"Time from referral to first session per policy (Kaplan–Meier; mean over seeds, "
                            f"{level:.0%} CI)")
    fig.update_yaxes(tickformat=".0%", range=[0, 1.02])
    return fig


def standard_figures(runs: pd.DataFrame, series: pd.DataFrame | None = None,
                     curves: pd.DataFrame | None = None) -> dict[str, go.Figure]:
    """The figures that fit an experiment's results, by name (what ``workbench experiment`` writes)."""
    ok = runs[runs["status"] != "ERROR"]
    figs: dict[str, go.Figure] = {}
    if ok.empty:
        return figs
    simulated = "matched_within_4w" in ok.columns
    if simulated:
        figs["matched_within_by_variant"] = matched_within_by_variant(ok)
        if series is not None and len(series):
            figs["waiting_list_by_variant"] = waiting_list_by_variant(series)
        if curves is not None and len(curves):
            figs["time_to_match_by_variant"] = time_to_match_by_variant(curves)
        for metric in ("mean_waiting", "median_wait_weeks", "coverage", "mean_load"):
            if ok[metric].notna().any():
                figs[f"{metric}_by_variant"] = metric_by_variant(ok, metric)
    else:
        figs["coverage_by_variant"] = metric_by_variant(ok, "coverage")
        if ok["method"].nunique() > 1:
            figs["method_comparison"] = method_comparison(ok)
        if any(c.startswith("district_coverage.") for c in ok.columns):
            figs["district_equity"] = district_equity(ok)
    for kind in (*_mods.ORDER, "referrals_per_week", "recruits_per_week", "match_end_hazard",
                 "volunteer_leave_hazard"):
        if kind in ok.columns and pd.to_numeric(ok[kind], errors="coerce").dropna().nunique() > 1:
            metric = "matched_within_12w" if simulated else "coverage"
            figs[f"{metric}_vs_{kind}"] = coverage_vs_supply(ok, metric=metric, x=kind)
    return figs
