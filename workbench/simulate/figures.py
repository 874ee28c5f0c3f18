"""Plotly figures of one simulation: the waiting list, time to a first session, matches, volunteers.

Every figure is built from the tidy tables of :mod:`workbench.simulate.metrics`, so
what is plotted is exactly what is written to disk.
"""

from __future__ import annotations

from collections.abc import Sequence

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from . import metrics
from .model import Simulation

TEMPLATE = "plotly_white"
GROUP_LABELS = {
    "district": "district", "priority": "priority (5 = most urgent)", "language": "citizen's languages",
    "cohort": "cohort", "activity": "activity", "mode": "mode",
}


def _week_axis(fig: go.Figure, row: int | None = None) -> None:
    kw = {"row": row, "col": 1} if row else {}
    fig.update_xaxes(title_text="week (0 = the first simulated week)", **kw)


def _band(x: Sequence[float], low: Sequence[float], high: Sequence[float], color: str, name: str) -> list[go.Scatter]:
    """A shaded 95% interval between two step lines, toggled with its curve (same legend group)."""
    common = {"x": list(x), "mode": "lines", "hoverinfo": "skip", "showlegend": False, "legendgroup": name,
              "line": {"width": 0, "shape": "hv"}}
    return [go.Scatter(y=list(low), **common),
            go.Scatter(y=list(high), fill="tonexty", fillcolor=color, name=f"{name} 95% CI", **common)]


def _rgba(i: int, alpha: float) -> str:
    import plotly.colors

    hexc = plotly.colors.qualitative.Plotly[i % len(plotly.colors.qualitative.Plotly)]
    r, g, b = plotly.colors.hex_to_rgb(hexc)
    return f"rgba({r},{g},{b},{alpha})"


def waiting_list(sim: Simulation, by: str | None = None, min_group: int = 10) -> go.Figure:
    """The waiting list after each week's plan: a line, or stacked areas per group."""
    table = metrics.waiting_list(sim, by, min_group)
    fig = go.Figure()
    for i, (group, g) in enumerate(table.groupby("group", sort=False)):
        fig.add_trace(go.Scatter(
            x=g["week"], y=g["waiting"], name=str(group), mode="lines",
            line={"color": _rgba(i, 1.0), "width": 2 if by is None else 1},
            stackgroup="one" if by else None,
            customdata=g[["date"]].astype(str),
            hovertemplate="week %{x} (from %{customdata[0]})<br>%{y} waiting<extra>" + str(group) + "</extra>",
        ))
    locked = sim.weeks[sim.weeks["lockdown"]]
    if len(locked):
        fig.add_vrect(x0=float(locked["week"].min()) - 0.5, x1=float(locked["week"].max()) + 0.5,
                      fillcolor="grey", opacity=0.15, line_width=0, annotation_text="lock-down",
                      annotation_position="top left")
    suffix = f", by {GROUP_LABELS.get(by, by)}" if by else ""
    fig.update_layout(title=f"Waiting list: citizens referred and not yet visited, after each week's plan{suffix}",
                      yaxis_title="citizens waiting", template=TEMPLATE, legend_title_text=by or "")
    _week_axis(fig)
    return fig


def time_to_match(sim: Simulation, by: str | None = None, cohort: str = "referral", min_group: int = 10) -> go.Figure:
    """Kaplan–Meier curves: share with a first session by each number of weeks after referral."""
    table = metrics.time_to_first_session(sim, by, cohort, min_group)
    fig = go.Figure()
    for i, (group, g) in enumerate(table.groupby("group", sort=False)):
        name = f"{group} (n={int(g['n'].iloc[0])})"
        fig.add_traces(_band(g["weeks"], g["matched_low"], g["matched_high"], _rgba(i, 0.15), name))
        fig.add_trace(go.Scatter(
            x=g["weeks"], y=g["matched"], name=name, mode="lines", line={"shape": "hv", "color": _rgba(i, 1.0)},
            legendgroup=name,
            customdata=g[["matched_low", "matched_high", "at_risk"]],
            hovertemplate="%{x:.1f} weeks: %{y:.0%} matched [%{customdata[0]:.0%}, %{customdata[1]:.0%}]"
                          "<br>%{customdata[2]} still waiting and observed<extra>" + name + "</extra>",
        ))
    for t in metrics.WITHIN:
        fig.add_vline(x=t, line_dash="dot", line_color="grey", opacity=0.6)
    suffix = f" by {GROUP_LABELS.get(by, by)}" if by else ""
    fig.update_layout(
        title=f"Time from referral to first session{suffix} (Kaplan–Meier, 95% CI; still waiting = censored)",
        xaxis_title="weeks since referral", yaxis_title="share with a first session", template=TEMPLATE,
        legend_title_text=by or "")
    fig.update_yaxes(tickformat=".0%", range=[0, 1.02])
    return fig


def matched_within(sim: Simulation, by: str | None = None, cohort: str = "referral", min_group: int = 10) -> go.Figure:
    """Share matched within 4, 8 and 12 weeks per group, bars with 95% intervals (Kaplan–Meier)."""
    table = metrics.matched_within(sim, by, metrics.WITHIN, cohort, min_group)
    fig = go.Figure()
    for i, (t, g) in enumerate(table.groupby("within_weeks", sort=True)):
        fig.add_trace(go.Bar(
            x=g["group"].astype(str), y=g["share"], name=f"within {t} weeks", marker_color=_rgba(i, 0.85),
            error_y={"type": "data", "symmetric": False, "array": (g["ci_high"] - g["share"]).tolist(),
                     "arrayminus": (g["share"] - g["ci_low"]).tolist()},
            customdata=g[["n", "ci_low", "ci_high"]],
            hovertemplate="%{x}: %{y:.0%} [%{customdata[1]:.0%}, %{customdata[2]:.0%}] of %{customdata[0]}"
                          "<extra>within " + str(t) + " weeks</extra>",
        ))
    label = GROUP_LABELS.get(by, by) if by else ""
    fig.update_layout(barmode="group", template=TEMPLATE, xaxis_title=label, yaxis_title="share matched",
                      title="Share of referrals with a first session within 4, 8 and 12 weeks"
                            + (f", by {label}" if by else "") + " (Kaplan–Meier, 95% CI)")
    fig.update_yaxes(tickformat=".0%", range=[0, 1.05])
    return fig


def match_length(sim: Simulation, by: str | None = None, min_group: int = 10) -> go.Figure:
    """Kaplan–Meier curve of how long matches last, with how they ended in the legend."""
    table = metrics.match_lengths(sim, by, min_group)
    reasons = metrics.end_reasons(sim)
    fig = go.Figure()
    for i, (group, g) in enumerate(table.groupby("group", sort=False)):
        name = f"{group} (n={int(g['n'].iloc[0])})"
        fig.add_traces(_band(g["weeks"], g["ci_low"], g["ci_high"], _rgba(i, 0.15), name))
        fig.add_trace(go.Scatter(x=g["weeks"], y=g["running"], name=name, mode="lines", legendgroup=name,
                                 line={"shape": "hv", "color": _rgba(i, 1.0)},
                                 hovertemplate="after %{x:.0f} weeks: %{y:.0%} still running<extra></extra>"))
    ended = ", ".join(f"{r} {s:.0%}" for r, s in zip(reasons["end_reason"], reasons["share"]))
    fig.update_layout(title=f"How long matches last (Kaplan–Meier, 95% CI)<br><sup>{ended}</sup>",
                      xaxis_title="weeks since the first session", yaxis_title="share of matches still running",
                      template=TEMPLATE)
    fig.update_yaxes(tickformat=".0%", range=[0, 1.02])
    return fig


def volunteers(sim: Simulation) -> go.Figure:
    """Volunteers over time: who is active, who joined and left, and how the load spreads."""
    turn = metrics.turnover(sim)
    load = metrics.volunteer_load(sim)
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.08,
                        subplot_titles=("Turnover: active volunteers, joined and left each week",
                                        "Load: sessions per active volunteer and week"),
                        specs=[[{"secondary_y": True}], [{"secondary_y": True}]])
    fig.add_trace(go.Scatter(x=turn["week"], y=turn["active_volunteers"], name="active", mode="lines"), 1, 1)
    fig.add_trace(go.Bar(x=turn["week"], y=turn["joined"], name="joined", marker_color="seagreen", opacity=0.6),
                  1, 1, secondary_y=True)
    fig.add_trace(go.Bar(x=turn["week"], y=-turn["left"], name="left", marker_color="indianred", opacity=0.6,
                         customdata=turn[["left", "left_after_heavy_week"]],
                         hovertemplate="week %{x}: %{customdata[0]} left (%{customdata[1]} after a heavy week)"
                                       "<extra></extra>"), 1, 1, secondary_y=True)
    fig.add_trace(go.Scatter(x=load["week"], y=load["mean_sessions"], name="mean sessions", mode="lines"), 2, 1)
    fig.add_trace(go.Scatter(x=load["week"], y=load["p90_sessions"], name="90th percentile", mode="lines",
                             line={"dash": "dash"}), 2, 1)
    fig.add_trace(go.Scatter(x=load["week"], y=load["idle_share"], name="share idle", mode="lines",
                             line={"dash": "dot"}), 2, 1, secondary_y=True)
    fig.add_trace(go.Scatter(x=load["week"], y=load["full_share"], name="share at their limit", mode="lines",
                             line={"dash": "dot"}), 2, 1, secondary_y=True)
    fig.update_yaxes(title_text="active volunteers", row=1, col=1)
    fig.update_yaxes(title_text="joined (+) / left (−)", row=1, col=1, secondary_y=True)
    fig.update_yaxes(title_text="sessions per volunteer", row=2, col=1)
    fig.update_yaxes(title_text="share of volunteers", tickformat=".0%", row=2, col=1, secondary_y=True)
    fig.update_layout(template=TEMPLATE, barmode="relative", height=650, title="Volunteers: turnover and load")
    _week_axis(fig, row=2)
    return fig


def all_figures(sim: Simulation, by: Sequence[str] = ("district", "priority", "language", "activity"),
                min_group: int = 10) -> dict[str, go.Figure]:
    """Every figure of a simulation, named as its file would be (``waiting_list``, ...)."""
    figs = {
        "waiting_list": waiting_list(sim, None, min_group),
        "time_to_first_session": time_to_match(sim, None, "referral", min_group),
        "matched_within": matched_within(sim, None, "referral", min_group),
        "match_length": match_length(sim, None, min_group),
        "volunteers": volunteers(sim),
    }
    if (sim.citizens["cohort"] == "referral").sum() == 0:  # nobody was referred: the waits are the caseload's
        figs["time_to_first_session"] = time_to_match(sim, None, "initial", min_group)
        figs["matched_within"] = matched_within(sim, None, "initial", min_group)
    for group in by:
        cohort = "referral" if (sim.citizens["cohort"] == "referral").any() else "initial"
        figs[f"time_to_first_session_by_{group}"] = time_to_match(sim, group, cohort, min_group)
        figs[f"matched_within_by_{group}"] = matched_within(sim, group, cohort, min_group)
        if group in metrics.CITIZEN_GROUPS:
            figs[f"waiting_list_by_{group}"] = waiting_list(sim, group, min_group)
    return figs

