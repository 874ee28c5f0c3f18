"""Figure and table builders of the planner: pure functions from data to plotly figures,
DataFrames and HTML text, so that each can be tested (and used in a notebook) without a
browser or a widget; this module never imports ipywidgets.

Nothing here decides anything about the plan: figures come from
:func:`workbench.compute_kpis` (via ``Result.kpis``), rules from the package; these
functions only join names onto ids and lay things out for a coordinator's eyes, in the
words of :mod:`workbench.words`: people as "name (id)" (names repeat), activities,
languages and modes in words, weeks counted from 1 (:data:`~workbench.words.WEEK_NOTE`).
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go

from .availability import availability
from .compare import REASON_UNFORCED, STATUSES
from .geo import haversine_km
from .kpis import given_for_continuity
from .scenario.types import Scenario
from .timeutil import format_time
from .words import (
    WEEKDAY_NAMES,
    activity_name,
    count,
    day_label,
    language_name,
    mode_name,
    person_label,
    plural,
    week_number,
)

# One colour per meaning, used the same way in every chart.
COLORS = {
    "served": "#2e7d32",
    "partly served": "#f9a825",
    "not served": "#c62828",
    "no demand": "#9e9e9e",
    "volunteer": "#1565c0",
    "idle volunteer": "#90caf9",
    "in_person": "#1565c0",
    "phone": "#8e24aa",
    "kept": "#9e9e9e",
    "moved": "#f9a825",
    "reassigned": "#ef6c00",
    "added": "#2e7d32",
    "dropped": "#c62828",
}
# The session modes as the tables and the calendar's legend show them.
MODE_LABELS = {m: mode_name(m) for m in ("in_person", "phone")}
#: What the objective counts, said once for every place that shows it.
POINTS_NOTE = "points: sessions weighted by the citizen's priority (1-5)"
#: The label of ``objective_bound`` (contract section 4): a bound over every schedule that keeps the rules.
BOUND_LABEL = "upper bound (no schedule can serve more)"


# --------------------------------------------------------------------------- small helpers


def _percent(value: float | None) -> str:
    return "–" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{100 * value:.0f}%"


def _minutes(text: str) -> int:
    hours, minutes = str(text).split(":")
    return int(hours) * 60 + int(minutes)


def _day(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def _labels(frame: pd.DataFrame, key: str) -> dict[str, str]:
    """id → "name (id)" (:func:`~workbench.words.person_label`): two people of one name stay apart."""
    return {str(i): person_label(n, i) for i, n in zip(frame[key], frame["name"])}


def people_options(frame: pd.DataFrame, key: str) -> list[tuple[str, str]]:
    """(label, id) pairs of a volunteers or citizens table, sorted by label, for a dropdown."""
    return sorted(((person_label(n, i), str(i)) for i, n in zip(frame[key], frame["name"])), key=lambda t: t[0])


def table_html(
    frame: pd.DataFrame,
    css_class: str,
    max_rows: int | None = 300,
    empty: str = "Nothing to show.",
    index: bool = False,
) -> str:
    """``frame`` as an HTML table with ``css_class`` (escaped; at most ``max_rows`` rows, with a note)."""
    if frame.empty:
        return f'<p class="wb-empty">{html.escape(empty)}</p>'
    shown = frame if max_rows is None or len(frame) <= max_rows else frame.head(max_rows)
    body = shown.to_html(
        index=index,
        escape=True,
        border=0,
        classes=["wb-table", css_class],
        na_rep="",
        float_format=lambda x: f"{x:,.2f}",
    )
    if len(shown) < len(frame):
        body += (
            f'<p class="wb-note">Showing the first {len(shown)} of {len(frame)} rows; '
            "filter to narrow down.</p>"
        )
    return f'<div class="wb-scroll">{body}</div>'


# --------------------------------------------------------------------------- before solving


def _available_minutes(scenario: Scenario) -> dict[str, float]:
    """Minutes each volunteer is free over the horizon (absences applied), capped by their weekly limit."""
    free = availability(scenario)
    per_week: dict[tuple[str, int], int] = {}
    for (vid, day), windows in free.volunteer.items():
        week = scenario.settings.week(day)
        per_week[(vid, week)] = per_week.get((vid, week), 0) + sum(e - s for s, e in windows)
    limit = dict(zip(scenario.volunteers["volunteer_id"], scenario.volunteers["max_minutes_per_week"]))
    total: dict[str, float] = {}
    for (vid, _week), minutes in per_week.items():
        total[vid] = total.get(vid, 0.0) + min(float(minutes), float(limit.get(vid, math.inf)))
    return total


def supply_demand(scenario: Scenario) -> dict[str, pd.DataFrame]:
    """Who is needed and who is available, per activity, language and district.

    Demand counts sessions and hours over the whole horizon (:meth:`Scenario.demand`).
    Supply counts volunteers and the hours they are free over the horizon (their
    availability minus absences, at most their weekly minute limit). A volunteer
    counts for every activity and language they offer, so supply columns do not add up.
    For a district, a volunteer counts when the district's centre lies within their
    ``max_travel_km`` (phone sessions need no travel, so this is a lower bound).
    """
    req = scenario.requests.copy()
    req["sessions"] = scenario.demand().reindex(req["request_id"]).to_numpy()
    req["hours"] = req["sessions"] * req["duration_min"].astype(float) / 60.0
    cit = scenario.citizens.set_index("citizen_id")
    req["district"] = req["citizen_id"].map(cit["district"]).fillna("")
    vol = scenario.volunteers.copy()
    free = _available_minutes(scenario)
    vol["free_hours"] = [free.get(v, 0.0) / 60.0 for v in vol["volunteer_id"]]

    rows = []
    for activity, g in req.groupby("activity", sort=True):
        offers = vol[[activity in skills for skills in vol["skills"]]]
        rows.append(
            {
                "activity": activity_name(activity),
                "requests": len(g),
                "citizens": g["citizen_id"].nunique(),
                "sessions needed": int(g["sessions"].sum()),
                "hours needed": round(float(g["hours"].sum()), 1),
                "volunteers": len(offers),
                "vetted volunteers": int(offers["vetted"].astype(bool).sum()),
                "volunteer hours free": round(float(offers["free_hours"].sum()), 1),
            }
        )
    by_activity = pd.DataFrame(rows)

    demand_by_citizen = req.groupby("citizen_id")["sessions"].sum()
    languages = sorted(
        {x for t in scenario.citizens["languages"] for x in t} | {x for t in vol["languages"] for x in t}
    )
    rows = []
    for lang in languages:
        speakers = scenario.citizens[[lang in t for t in scenario.citizens["languages"]]]
        only = scenario.citizens[[tuple(t) == (lang,) for t in scenario.citizens["languages"]]]
        v = vol[[lang in t for t in vol["languages"]]]
        rows.append(
            {
                "language": language_name(lang),
                "citizens": len(speakers),
                "citizens speaking only this": len(only),
                "sessions needed": int(demand_by_citizen.reindex(speakers["citizen_id"]).fillna(0).sum()),
                "volunteers": len(v),
                "volunteer hours free": round(float(v["free_hours"].sum()), 1),
            }
        )
    by_language = pd.DataFrame(rows)

    rows = []
    for district, g in scenario.citizens.groupby("district", sort=True):
        lat, lon = float(g["lat"].astype(float).mean()), float(g["lon"].astype(float).mean())
        reach = [
            haversine_km(float(a), float(b), lat, lon) <= float(m)
            for a, b, m in zip(vol["lat"], vol["lon"], vol["max_travel_km"])
        ]
        r = req[req["district"] == district]
        rows.append(
            {
                "district": district or "(none)",
                "citizens": len(g),
                "sessions needed": int(r["sessions"].sum()),
                "hours needed": round(float(r["hours"].sum()), 1),
                "volunteers within reach": int(sum(reach)),
                "volunteer hours free": round(float(vol.loc[reach, "free_hours"].sum()), 1),
            }
        )
    by_district = pd.DataFrame(rows)
    return {"activity": by_activity, "language": by_language, "district": by_district}


def supply_demand_figure(table: pd.DataFrame, key: str) -> go.Figure:
    """Hours needed against volunteer hours free, one pair of bars per ``key`` (activity, district…)."""
    fig = go.Figure()
    if "hours needed" in table.columns:
        fig.add_bar(
            name="hours needed", x=table[key], y=table["hours needed"], marker_color=COLORS["not served"]
        )
        fig.add_bar(
            name="volunteer hours free",
            x=table[key],
            y=table["volunteer hours free"],
            marker_color=COLORS["volunteer"],
        )
        title = f"Need and supply per {key} (hours over the horizon)"
    else:  # languages: sessions are the clearer unit, since one citizen may speak several
        fig.add_bar(
            name="sessions needed",
            x=table[key],
            y=table["sessions needed"],
            marker_color=COLORS["not served"],
        )
        fig.add_bar(name="volunteers", x=table[key], y=table["volunteers"], marker_color=COLORS["volunteer"])
        title = f"Sessions needed and volunteers per {key}"
    fig.update_layout(
        barmode="group",
        title=title,
        height=320,
        margin={"l": 40, "r": 10, "t": 50, "b": 40},
        legend={"orientation": "h", "y": -0.25},
    )
    return fig


# --------------------------------------------------------------------------- results


def kpi_cards(kpis: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    """The headline figures as (label, value, explanation) triples, value already formatted."""
    served, demand = kpis.get("served_sessions", 0), kpis.get("demand_sessions", 0)
    seconds = kpis.get("solve_seconds")
    return [
        (
            "Sessions planned",
            f"{served} / {demand}",
            f"{_percent(kpis.get('coverage'))} of the demanded sessions",
        ),
        (
            "Weighted coverage",
            _percent(kpis.get("weighted_coverage")),
            "urgent citizens count more (priority)",
        ),
        (
            "Citizens visited",
            f"{kpis.get('citizens_served', 0)} / {kpis.get('citizens_with_demand', 0)}",
            "at least one session",
        ),
        ("Worst district", _percent(kpis.get("min_district_coverage")), "lowest coverage of any district"),
        ("Same volunteer", _percent(kpis.get("continuity")), _continuity_hint(kpis)),
        ("Travel", f"{kpis.get('travel_km', 0.0):,.0f} km", "road km of all in-person visits"),
        ("Urgency points", *_points_card(kpis)),
        (
            "Solver",
            str(kpis.get("status") or "–"),
            f"{seconds:.1f} s" if isinstance(seconds, (int, float)) else "",
        ),
    ]


def _continuity_hint(kpis: Mapping[str, Any]) -> str:
    """What the continuity figure means and, where the continuity weight gave up urgency points for
    visiting friends (``objective_before_continuity`` above ``objective``), how many: the two figures
    the planner trades with that weight, side by side."""
    hint = "repeat requests kept with one volunteer"
    given = given_for_continuity(kpis)
    if given > 0:
        hint += f"; {given:,.0f} urgency points given up for this (weight 'continuity')"
    return hint


def _points_card(kpis: Mapping[str, Any]) -> tuple[str, str]:
    """The objective and the honest bound on it (``objective_bound``, never a reduced model's bound)."""
    objective = kpis.get("objective")
    bound = kpis.get("objective_bound")
    value = f"{float(objective):,.0f}" if isinstance(objective, (int, float)) else "–"
    if isinstance(bound, (int, float)) and math.isfinite(bound):
        return value, f"{BOUND_LABEL}: {float(bound):,.0f}"
    return value, "no upper bound known for this method"


def progress_text(objective: float | None, bound: float | None, seconds: float, phase: str = "") -> str:
    """The optimiser's progress in one plain line: the best plan so far, the upper bound, how close.

    ``objective`` and ``bound`` are on the primary aim (:data:`POINTS_NOTE`); the first report is
    the quick plan's, so the line never reads "0 points" while a plan is on screen.
    """
    parts = [phase] if phase else []
    if objective is None:
        parts.append("no plan yet")
    else:
        parts.append(f"best plan so far: {objective:,.0f} points")
    if bound is not None and math.isfinite(bound) and bound > 0:
        parts.append(f"{BOUND_LABEL}: {bound:,.0f}")
        if objective is not None:
            gap = max(0.0, (bound - objective) / bound)
            parts.append("proven best possible" if gap <= 1e-9 else f"at most {100 * gap:.0f}% below the best possible")
    parts.append(f"{seconds:.1f} s")
    return " · ".join(parts)


def kpi_cards_html(kpis: Mapping[str, Any] | None) -> str:
    """The KPI cards as HTML (``div.wb-kpi`` each, the number in ``.wb-kpi-value``)."""
    if not kpis:
        return '<div class="wb-kpis wb-empty">No plan yet: press <b>Solve</b>.</div>'
    cards = "".join(
        f'<div class="wb-kpi"><div class="wb-kpi-label">{html.escape(label)}</div>'
        f'<div class="wb-kpi-value">{html.escape(value)}</div>'
        f'<div class="wb-kpi-hint">{html.escape(hint)}</div></div>'
        for label, value, hint in kpi_cards(kpis)
    )
    return f'<div class="wb-kpis">{cards}</div>'


SCHEDULE_VIEW_COLUMNS = (
    "date",
    "day",
    "start",
    "end",
    "volunteer",
    "citizen",
    "activity",
    "mode",
    "district",
    "request_id",
    "volunteer_id",
    "citizen_id",
    "week",
)


def schedule_view(schedule: pd.DataFrame, scenario: Scenario) -> pd.DataFrame:
    """The schedule with people as "name (id)", weekday, activity in words and district, sorted by date and
    time; ``week`` counts from 1 (:data:`~workbench.words.WEEK_NOTE`)."""
    if schedule.empty:
        return pd.DataFrame(columns=list(SCHEDULE_VIEW_COLUMNS))
    vnames = _labels(scenario.volunteers, "volunteer_id")
    cnames = _labels(scenario.citizens, "citizen_id")
    district = dict(zip(scenario.citizens["citizen_id"], scenario.citizens["district"]))
    activity = dict(zip(scenario.requests["request_id"], scenario.requests["activity"]))
    days = [_day(d) for d in schedule["date"]]
    out = pd.DataFrame(
        {
            "date": [d.isoformat() for d in days],
            "day": [WEEKDAY_NAMES[d.weekday()] for d in days],
            "start": schedule["start"].astype(str).to_numpy(),
            "end": schedule["end"].astype(str).to_numpy(),
            "volunteer": [vnames.get(v, v) for v in schedule["volunteer_id"]],
            "citizen": [cnames.get(c, c) for c in schedule["citizen_id"]],
            "activity": [activity_name(activity.get(r, "")) for r in schedule["request_id"]],
            "mode": [mode_name(m) for m in schedule["mode"]],
            "district": [district.get(c, "") for c in schedule["citizen_id"]],
            "request_id": schedule["request_id"].to_numpy(),
            "volunteer_id": schedule["volunteer_id"].to_numpy(),
            "citizen_id": schedule["citizen_id"].to_numpy(),
            "week": [week_number(scenario.settings.week(d)) for d in days],  # WEEK_NOTE
        }
    )
    return out.sort_values(["date", "start", "volunteer"], kind="stable").reset_index(drop=True)


def filter_schedule(
    view: pd.DataFrame,
    volunteer: str | None = None,
    citizen: str | None = None,
    district: str | None = None,
    day: str | None = None,
    mode: str | None = None,
    text: str = "",
) -> pd.DataFrame:
    """Rows of :func:`schedule_view` matching every given filter (``None``/empty = any).

    ``volunteer`` and ``citizen`` are ids, ``day`` an ISO date, ``mode`` as shown
    ("in person"/"phone"); ``text`` is searched, case-insensitively, in every column.
    """
    mask = pd.Series(True, index=view.index)
    for column, value in (
        ("volunteer_id", volunteer),
        ("citizen_id", citizen),
        ("district", district),
        ("date", day),
        ("mode", mode),
    ):
        if value:
            mask &= view[column] == value
    if text.strip():
        needle = text.strip().lower()
        mask &= (
            view.astype(str).apply(lambda col: col.str.lower().str.contains(needle, regex=False)).any(axis=1)
        )
    return view[mask]


def gantt_figure(schedule: pd.DataFrame, scenario: Scenario, volunteer_id: str | None = None) -> go.Figure:
    """The plan as a calendar.

    All volunteers: one row per volunteer across the horizon. One volunteer
    (``volunteer_id``): one row per day, hours of the day across, so their week
    reads like a diary. Bars are coloured by mode and labelled with the citizen.
    """
    view = schedule_view(schedule, scenario)
    if volunteer_id:
        view = view[view["volunteer_id"] == volunteer_id]
    if view.empty:
        return _empty_figure("No sessions to show.")
    days = [date.fromisoformat(d) for d in view["date"]]
    starts = [_minutes(s) for s in view["start"]]
    ends = [_minutes(e) for e in view["end"]]
    if volunteer_id:
        base = datetime(2000, 1, 3)  # any fixed Monday: only the time of day is shown
        frame = view.assign(
            x_start=[base + timedelta(minutes=m) for m in starts],
            x_end=[base + timedelta(minutes=m) for m in ends],
            row=[day_label(d) for d in days],
        )
        name = _labels(scenario.volunteers, "volunteer_id").get(volunteer_id, volunteer_id)
        title = f"Calendar of {name}"
        order = [day_label(d) for d in sorted(set(days))]  # a diary reads in date order
    else:
        frame = view.assign(
            x_start=[
                datetime.combine(d, datetime.min.time()) + timedelta(minutes=m) for d, m in zip(days, starts)
            ],
            x_end=[
                datetime.combine(d, datetime.min.time()) + timedelta(minutes=m) for d, m in zip(days, ends)
            ],
            row=view["volunteer"],
        )
        title = "Calendar of every volunteer"
        order = sorted(set(frame["row"]))
    fig = px.timeline(
        frame,
        x_start="x_start",
        x_end="x_end",
        y="row",
        color="mode",
        # a label fits in a bar of a one-person diary, not in the overview's narrow bars
        text="citizen" if volunteer_id else None,
        hover_data={
            "citizen": True,
            "activity": True,
            "date": True,
            "start": True,
            "end": True,
            "x_start": False,
            "x_end": False,
            "row": False,
        },
        color_discrete_map={MODE_LABELS[k]: COLORS[k] for k in MODE_LABELS},
        category_orders={"row": order},
    )
    fig.update_yaxes(title=None)
    if volunteer_id:
        fig.update_traces(textposition="inside", insidetextanchor="middle")
        fig.update_xaxes(title=None, tickformat="%H:%M")
    else:
        st = scenario.settings
        start = datetime.combine(st.start_date, datetime.min.time())
        fig.update_xaxes(
            title=None,
            tickformat="%a %d %b",
            dtick=86_400_000,  # one tick a day (in ms)
            range=[start, start + timedelta(days=7 * st.weeks)],
        )
    fig.update_layout(
        title=title,
        height=max(300, 90 + 22 * len(order)),
        margin={"l": 10, "r": 10, "t": 50, "b": 30},
        legend_title_text="",
    )
    return fig


def citizen_status(scenario: Scenario, schedule: pd.DataFrame) -> pd.DataFrame:
    """Per citizen: sessions demanded and planned, and whether they are served, partly or not at all."""
    demand = scenario.demand()
    per_citizen = (
        pd.Series(demand.to_numpy(), index=scenario.requests["citizen_id"].to_numpy()).groupby(level=0).sum()
    )
    planned = schedule["citizen_id"].value_counts() if len(schedule) else pd.Series(dtype=int)
    out = scenario.citizens[["citizen_id", "name", "district", "priority", "lat", "lon"]].copy()
    out["demanded"] = [int(per_citizen.get(c, 0)) for c in out["citizen_id"]]
    out["planned"] = [int(planned.get(c, 0)) for c in out["citizen_id"]]
    out["status"] = [
        "no demand" if d == 0 else "served" if p >= d else "partly served" if p > 0 else "not served"
        for d, p in zip(out["demanded"], out["planned"])
    ]
    return out.reset_index(drop=True)


def map_figure(scenario: Scenario, schedule: pd.DataFrame | None = None) -> go.Figure:
    """Citizens coloured by served / partly / not served, volunteers' homes in blue.

    A plain longitude/latitude scatter (no map tiles, so it works offline), with the
    y axis scaled by 1/cos(latitude) so distances look right.
    """
    schedule = schedule if schedule is not None else pd.DataFrame(columns=["citizen_id", "volunteer_id"])
    cit = citizen_status(scenario, schedule)
    busy = set(schedule["volunteer_id"]) if len(schedule) else set()
    vol = scenario.volunteers
    fig = go.Figure()
    vol_kind = ["volunteer" if v in busy else "idle volunteer" for v in vol["volunteer_id"]]
    for kind in ("volunteer", "idle volunteer"):
        sel = [k == kind for k in vol_kind]
        if not any(sel):
            continue
        v = vol[sel]
        label = "volunteer with sessions" if kind == "volunteer" else "volunteer without sessions"
        fig.add_scatter(
            x=v["lon"].astype(float),
            y=v["lat"].astype(float),
            mode="markers",
            name=label,
            marker={
                "symbol": "diamond",
                "size": 9,
                "color": COLORS[kind],
                "line": {"width": 1, "color": "white"},
            },
            text=[person_label(n, i) for n, i in zip(v["name"], v["volunteer_id"])],
            hovertemplate="%{text}<extra></extra>",
        )
    for status in ("served", "partly served", "not served", "no demand"):
        c = cit[cit["status"] == status]
        if c.empty:
            continue
        fig.add_scatter(
            x=c["lon"].astype(float),
            y=c["lat"].astype(float),
            mode="markers",
            name=f"citizen {status}",
            marker={
                "size": [6 + 2 * int(p) for p in c["priority"]],
                "color": COLORS[status],
                "line": {"width": 1, "color": "white"},
            },
            text=[
                f"{person_label(n, i)}, {d}: {p} of {count(q, 'session')} planned"
                for n, i, d, p, q in zip(
                    c["name"], c["citizen_id"], c["district"], c["planned"], c["demanded"]
                )
            ],
            hovertemplate="%{text}<extra></extra>",
        )
    lat = float(pd.concat([cit["lat"], vol["lat"]]).astype(float).mean()) if len(cit) + len(vol) else 0.0
    fig.update_yaxes(scaleanchor="x", scaleratio=1 / max(math.cos(math.radians(lat)), 0.05), title="latitude")
    fig.update_xaxes(title="longitude")
    fig.update_layout(
        title="Citizens and volunteers (bigger dot = more urgent)",
        height=620,
        margin={"l": 40, "r": 10, "t": 50, "b": 40},
        plot_bgcolor="#f5f5f5",
    )
    return fig


UNASSIGNED_VIEW_COLUMNS = (
    "citizen",
    "district",
    "priority",
    "activity",
    "appointment",
    "week",
    "missing",
    "reason",
    "request_id",
    "citizen_id",
)


def appointment_text(day: date | None, start: int | None) -> str:
    """A one-off request's fixed date and time in words ("Wed 2026-01-07 at 10:00"); "" for a recurring one."""
    if day is None or (isinstance(day, float) and math.isnan(day)):
        return ""
    text = day_label(_day(day))
    if start is not None and not (isinstance(start, float) and math.isnan(start)):
        text += f" at {format_time(int(start))}"
    return text


def unassigned_view(unassigned: pd.DataFrame, scenario: Scenario) -> pd.DataFrame:
    """The unassigned list with the citizen as "name (id)", district, priority, the activity in words and,
    for a one-off request (an escort to a hospital appointment), its fixed date and time next to the
    reason; most urgent first. ``week`` counts from 1 (:data:`~workbench.words.WEEK_NOTE`), while
    ``unassigned.csv`` keeps the contract's 0-based week.

    Needs ``unassigned``: request_id, citizen_id, week, missing, reason.
    """
    if unassigned is None or unassigned.empty:
        return pd.DataFrame(columns=list(UNASSIGNED_VIEW_COLUMNS))
    cit = scenario.citizens.set_index("citizen_id")
    req = scenario.requests.set_index("request_id")
    cnames = _labels(scenario.citizens, "citizen_id")
    rids = [str(r) for r in unassigned["request_id"]]
    out = pd.DataFrame(
        {
            "citizen": [cnames.get(c, c) for c in unassigned["citizen_id"]],
            "district": [cit["district"].get(c, "") for c in unassigned["citizen_id"]],
            "priority": [int(cit["priority"].get(c, 0)) for c in unassigned["citizen_id"]],
            "activity": [activity_name(req["activity"].get(r, "")) for r in rids],
            "appointment": [appointment_text(req["date"].get(r), req["start"].get(r)) for r in rids],
            "week": [week_number(int(w)) for w in unassigned["week"]],
            "missing": [int(m) for m in unassigned["missing"]],
            "reason": unassigned["reason"].astype(str).to_numpy(),
            "request_id": unassigned["request_id"].to_numpy(),
            "citizen_id": unassigned["citizen_id"].to_numpy(),
        }
    )
    return out.sort_values(["priority", "week", "citizen"], ascending=[False, True, True]).reset_index(
        drop=True
    )


def district_figure(kpis: Mapping[str, Any]) -> go.Figure:
    """Coverage per district (from ``kpis['district_coverage']``), worst first, with the overall line."""
    cov = kpis.get("district_coverage") or {}
    if not cov:
        return _empty_figure("No district has demand.")
    items = sorted(cov.items(), key=lambda kv: kv[1])
    fig = go.Figure(
        go.Bar(
            x=[100 * v for _, v in items],
            y=[k or "(none)" for k, _ in items],
            orientation="h",
            marker_color=[
                COLORS["not served"] if v < 0.5 else COLORS["partly served"] if v < 0.8 else COLORS["served"]
                for _, v in items
            ],
            text=[f"{100 * v:.0f}%" for _, v in items],
            textposition="auto",
        )
    )
    overall = kpis.get("coverage")
    if overall is not None:
        fig.add_vline(
            x=100 * overall,
            line_dash="dash",
            annotation_text=f"overall {100 * overall:.0f}%",
            annotation_position="top left",
        )
    fig.update_xaxes(range=[0, 105], title="sessions planned, % of demand")
    fig.update_layout(
        title="Coverage per district",
        height=max(280, 60 + 28 * len(items)),
        margin={"l": 10, "r": 10, "t": 50, "b": 40},
    )
    return fig


# --------------------------------------------------------------------------- re-planning and runs


def diff_figure(diff: pd.DataFrame) -> go.Figure:
    """Changed sessions per status (moved, reassigned, added, dropped) as bars; the kept ones in the title.

    Kept sessions usually outnumber the changes many times, so a bar for them would
    flatten the others.
    """
    counts = diff["status"].value_counts() if len(diff) else pd.Series(dtype=int)
    changed = [s for s in STATUSES if s != "kept"]
    values = [int(counts.get(s, 0)) for s in changed]
    fig = go.Figure(
        go.Bar(
            x=changed,
            y=values,
            marker_color=[COLORS[s] for s in changed],
            text=values,
            textposition="auto",
        )
    )
    fig.update_layout(
        title=f"What changed: {count(sum(values), 'session')} to call about, "
        f"{int(counts.get('kept', 0)):,} kept as they were",
        height=300,
        yaxis_title="sessions",
        yaxis_rangemode="tozero",
        margin={"l": 40, "r": 10, "t": 50, "b": 40},
    )
    return fig


def kept_before(diff: pd.DataFrame, day: date) -> dict[str, int]:
    """Sessions of a re-plan's diff dated before ``day`` (the ``keep_before`` of the re-plan).

    ``before``: sessions of the old plan before ``day``; ``kept``: those kept exactly as
    they were; ``changed``: every other row before ``day`` (moved, reassigned, dropped
    or added), which a re-plan with ``keep_before=day`` should never have.
    """
    if diff is None or diff.empty:
        return {"before": 0, "kept": 0, "changed": 0}
    early = diff[[_day(d) < day for d in diff["date"]]]
    return {
        "before": int((early["status"] != "added").sum()),
        "kept": int((early["status"] == "kept").sum()),
        "changed": int((early["status"] != "kept").sum()),
    }


def replan_from_text(diff: pd.DataFrame, day: date) -> str:
    """One sentence for the coordinator on what a re-plan from ``day`` did with the days before it."""
    counts = kept_before(diff, day)
    when = f"Re-planned from {day_label(day)}"
    before = count(counts["before"], "session")
    if counts["changed"] == 0:
        were = plural(counts["before"], "was", "were")
        return f"{when}: the {before} before that day {were} kept as they were, and nothing new was planned before it."
    return (
        f"{when}: {counts['kept']} of the {before} before that day {plural(counts['kept'], 'was', 'were')} kept "
        f"as they were, but {count(counts['changed'], 'session')} before it changed: check them in the list below."
    )


CALLS_COLUMNS = ("status", "date", "citizen", "before", "after", "why", "call")


def calls_view(diff: pd.DataFrame, scenario: Scenario) -> pd.DataFrame:
    """The changed sessions (everything but *kept*) with people as "name (id)": whom to call, and why.

    ``diff`` is :func:`workbench.compare.diff_schedules`' table; when it carries a ``reason``
    column (:func:`workbench.compare.explain_changes`), ``why`` says which change forced each
    agreed session to move, else ``why`` is empty.
    """
    changed = diff[diff["status"] != "kept"] if len(diff) else diff
    if changed is None or changed.empty:
        return pd.DataFrame(columns=list(CALLS_COLUMNS))
    vnames = _labels(scenario.volunteers, "volunteer_id")
    cnames = _labels(scenario.citizens, "citizen_id")

    def side(v: str, s: str, e: str, m: str) -> str:
        return f"{vnames.get(v, v)} {s}–{e} ({mode_name(m)})" if v else ""

    out = pd.DataFrame(
        {
            "status": changed["status"].to_numpy(),
            "date": changed["date"].to_numpy(),
            "citizen": [cnames.get(c, c) for c in changed["citizen_id"]],
            "before": [
                side(*x)
                for x in zip(
                    changed["old_volunteer_id"], changed["old_start"], changed["old_end"], changed["old_mode"]
                )
            ],
            "after": [
                side(*x)
                for x in zip(
                    changed["new_volunteer_id"], changed["new_start"], changed["new_end"], changed["new_mode"]
                )
            ],
            "why": changed["reason"].to_numpy() if "reason" in changed.columns else "",
            "call": [
                ", ".join([*(vnames.get(v, v) for v in n.split(";") if v), cnames.get(c, c)])
                for n, c in zip(changed["notify"], changed["citizen_id"])
            ],
        }
    )
    return out.reset_index(drop=True)


def changes_text(diff: pd.DataFrame) -> str:
    """One sentence on a re-plan's changes: agreed sessions a change forced to move, new sessions, and
    (should any exist) agreed sessions changed without being forced; ``diff`` as :func:`calls_view` takes it."""
    if diff is None or diff.empty:
        return "The old plan had no sessions and the new one has none."
    kept = int((diff["status"] == "kept").sum())
    changed = diff[~diff["status"].isin(["kept", "added"])]
    added = int((diff["status"] == "added").sum())
    if len(changed) == 0 and added == 0:
        return f"Nothing changed: all {count(kept, 'agreed session')} stay exactly as they were; nobody needs a call."
    parts = []
    if len(changed):
        unforced = int((changed.get("reason", pd.Series("", index=changed.index)) == REASON_UNFORCED).sum())
        if "reason" in changed.columns:
            forced = len(changed) - unforced
            if forced:
                parts.append(f"{count(forced, 'agreed session')} had to change because of a change you made "
                             "(the reason is in each row)")
            if unforced:
                parts.append(f"{count(unforced, 'agreed session')} changed although no change forced it")
        else:
            parts.append(f"{count(len(changed), 'agreed session')} changed")
    if added:
        parts.append(f"{count(added, 'session')} newly planned")
    return "; ".join(parts) + f"; {count(kept, 'agreed session')} stay exactly as they were."


def runs_figure(table: pd.DataFrame) -> go.Figure:
    """Coverage figures of each run side by side (the rows of :func:`workbench.compare.compare_runs`)."""
    if table.empty:
        return _empty_figure("No runs yet.")
    fig = go.Figure()
    for column, label in (
        ("coverage", "coverage"),
        ("weighted_coverage", "weighted coverage"),
        ("min_district_coverage", "worst district"),
        ("continuity", "same volunteer"),
    ):
        values = [None if v is None or pd.isna(v) else 100 * float(v) for v in table[column]]
        fig.add_bar(name=label, x=list(table.index), y=values)
    fig.update_layout(
        barmode="group",
        title="Runs compared (%)",
        yaxis_range=[0, 105],
        height=340,
        margin={"l": 40, "r": 10, "t": 50, "b": 40},
        legend={"orientation": "h", "y": -0.2},
    )
    return fig


def runs_table(table: pd.DataFrame) -> pd.DataFrame:
    """The :func:`~workbench.compare.compare_runs` table with percentages and rounding for reading."""
    out = pd.DataFrame(index=table.index)
    out["method"] = table["method"]
    out["status"] = table["status"]
    out["seconds"] = [f"{v:.1f}" if isinstance(v, (int, float)) else "" for v in table["seconds"]]
    out["planned"] = [f"{s} / {d}" for s, d in zip(table["served_sessions"], table["demand_sessions"])]
    for column, label in (
        ("coverage", "coverage"),
        ("weighted_coverage", "weighted"),
        ("min_district_coverage", "worst district"),
        ("continuity", "same volunteer"),
    ):
        out[label] = [_percent(None if v is None or pd.isna(v) else float(v)) for v in table[column]]
    out["citizens visited"] = [
        f"{s} / {d}" for s, d in zip(table["citizens_served"], table["citizens_with_demand"])
    ]
    out["travel km"] = [f"{v:,.0f}" if isinstance(v, (int, float)) else "" for v in table["travel_km"]]
    out["unassigned"] = table["unassigned_sessions"]
    return out


# --------------------------------------------------------------------------- progress


def progress_svg(
    points: Sequence[tuple[float, float, float | None]], width: int = 320, height: int = 70
) -> str:
    """A small SVG chart of the best plan found so far (green) and the proven bound (grey dashed).

    ``points`` are (seconds, objective, bound) from the solver's progress reports.
    An SVG string updates cheaply many times a second, unlike a full plotly figure.
    """
    if not points:
        return f'<svg class="wb-progress-chart" width="{width}" height="{height}"></svg>'
    ts = [p[0] for p in points]
    values = [p[1] for p in points] + [p[2] for p in points if p[2] is not None]
    t0, t1 = min(ts), max(max(ts), min(ts) + 1e-6)
    # the axis spans the values themselves (not 0..max): the quick plan already serves most, and the
    # optimiser's last per cent is what the chart has to show
    lo, hi = min(values), max(values)
    if hi - lo < 1e-9:
        lo, hi = lo - 1.0, hi + 1.0
    pad = 4

    def xy(t: float, v: float) -> str:
        x = pad + (width - 2 * pad) * (t - t0) / (t1 - t0)
        y = height - pad - (height - 2 * pad) * (v - lo) / ((hi - lo) or 1.0)
        return f"{x:.1f},{y:.1f}"

    def line(pairs: Iterable[tuple[float, float]], style: str) -> str:
        pts = " ".join(xy(t, v) for t, v in pairs)
        return f'<polyline fill="none" points="{pts}" {style}/>' if pts else ""

    best = line(((p[0], p[1]) for p in points), 'stroke="#2e7d32" stroke-width="2"')
    bound = line(
        ((p[0], p[2]) for p in points if p[2] is not None),
        'stroke="#757575" stroke-width="1.5" stroke-dasharray="4 3"',
    )
    return (
        f'<svg class="wb-progress-chart" width="{width}" height="{height}" '
        f'style="background:#fafafa;border:1px solid #e0e0e0">{bound}{best}</svg>'
    )


def _empty_figure(message: str) -> go.Figure:
    fig = go.Figure()
    fig.add_annotation(
        text=message, showarrow=False, font={"size": 16}, x=0.5, y=0.5, xref="paper", yref="paper"
    )
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    fig.update_layout(height=200, margin={"l": 10, "r": 10, "t": 10, "b": 10})
    return fig
