"""Warnings about legal but suspicious data (contract section 1): worth a planner's look, never an error.

Each warning names the file (or sheet), row and column like a problem does. The thresholds are in
:mod:`workbench.scenario.limits`.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from ..errors import Collector
from ..geo import haversine_matrix, haversine_pairs
from . import limits
from .types import Scenario

_ISO_639_1 = re.compile(r"[a-z]{2}")


def _nearest_km(lat: np.ndarray, lon: np.ndarray, to_lat: np.ndarray, to_lon: np.ndarray) -> np.ndarray:
    """For each point, roughly the great-circle km to the nearest of the ``to`` points (inf when there are
    none): the ``to`` points are first merged into 0.1° cells (at most ~8 km off), which keeps the work small
    for a city's thousands of people, and the distances are taken in blocks."""
    if not len(to_lat):
        return np.full(len(lat), np.inf)
    cells = np.unique(np.round(np.column_stack([to_lat, to_lon]), 1), axis=0)
    out = np.empty(len(lat))
    block = max(1, 2_000_000 // len(cells))
    for i in range(0, len(lat), block):
        out[i:i + block] = haversine_matrix(lat[i:i + block], lon[i:i + block], cells[:, 0], cells[:, 1]).min(axis=1)
    return out


def _warn_rows(col: Collector, label: str, frame: pd.DataFrame, mask: np.ndarray, column: str | None,
               message: str, values: list[str] | np.ndarray | None = None) -> None:
    """One warning per row where ``mask`` holds (the collector sums up long runs)."""
    positions = np.flatnonzero(mask)
    rows = frame.index.to_numpy()
    room = col.room(label, column, message, warning=True)
    for pos in positions[:room]:
        col.warn(label, message, row=int(rows[pos]), column=column,
                 value=None if values is None else str(values[pos]))
    rest = positions[room:]
    if len(rest):
        col.more(label, column, message, len(rest), int(rows[rest[0]]), int(rows[rest[-1]]), warning=True)


def plausibility_warnings(scenario: Scenario, labels: dict[str, str], col: Collector) -> None:
    """Add every warning about the scenario's values to ``col``."""
    _coordinates(scenario, labels, col)
    _numbers(scenario, labels, col)
    _matching(scenario, labels, col)
    _dates(scenario, labels, col)


def _coordinates(scenario: Scenario, labels: dict[str, str], col: Collector) -> None:
    """(0, 0), swapped lat/lon, and people far from everyone on the other side."""
    vol, cit = scenario.volunteers, scenario.citizens
    if vol.empty and cit.empty:
        return
    points = {
        "volunteers": (vol["lat"].to_numpy(float), vol["lon"].to_numpy(float)),
        "citizens": (cit["lat"].to_numpy(float), cit["lon"].to_numpy(float)),
    }
    for name, (lat, lon) in points.items():
        zero = (lat == 0) & (lon == 0)
        _warn_rows(col, labels[name], scenario.table(name), zero, "lat",
                   "lat and lon are both 0 (a point in the sea off Africa): a missing coordinate?")
    all_lat = np.concatenate([points["volunteers"][0], points["citizens"][0]])
    all_lon = np.concatenate([points["volunteers"][1], points["citizens"][1]])
    centre_lat, centre_lon = float(np.median(all_lat)), float(np.median(all_lon))
    swapped: dict[str, np.ndarray] = {}
    for name, (lat, lon) in points.items():
        here = haversine_pairs(lat, lon, np.full(len(lat), centre_lat), np.full(len(lat), centre_lon))
        # Only a swap that lands among the others is suspicious: (lon, lat) must be a coordinate at all.
        valid = np.abs(lon) <= 90
        there = np.where(valid, haversine_pairs(np.clip(lon, -90, 90), lat, np.full(len(lat), centre_lat),
                                                np.full(len(lat), centre_lon)), np.inf)
        swapped[name] = (here > limits.SWAPPED_KM) & (there <= limits.SWAPPED_KM)
        values = [f"lat {a:g}, lon {b:g}" for a, b in zip(lat, lon)]
        _warn_rows(col, labels[name], scenario.table(name), swapped[name], "lat",
                   "lat and lon look swapped: this point lies far from all others, and with lat and lon exchanged "
                   "it would lie among them", values)
    for name, other in (("citizens", "volunteers"), ("volunteers", "citizens")):
        lat, lon = points[name]
        o_lat, o_lon = points[other]
        if not len(lat) or not len(o_lat):
            continue
        far_km = _nearest_km(lat, lon, o_lat, o_lon)
        far = (far_km > limits.FAR_KM) & ~swapped[name]
        what = "volunteer" if other == "volunteers" else "citizen"
        values = [f"{d:,.0f} km to the nearest {what}" for d in far_km]
        _warn_rows(col, labels[name], scenario.table(name), far, "lat",
                   f"lies more than {limits.FAR_KM:,.0f} km from every {what}: check lat and lon", values)


def _numbers(scenario: Scenario, labels: dict[str, str], col: Collector) -> None:
    """Numbers that are allowed but rarely meant."""
    vol, req = scenario.volunteers, scenario.requests
    checks = [
        ("volunteers", vol, "max_travel_km", limits.MAX_TRAVEL_KM, "km is a long way to travel for one visit"),
        ("volunteers", vol, "max_sessions_per_week", limits.VOLUNTEER_SESSIONS_PER_WEEK,
         "sessions a week is more than two a day"),
        ("volunteers", vol, "max_minutes_per_week", limits.VOLUNTEER_MINUTES_PER_WEEK,
         "minutes a week is more than a full-time job"),
        ("requests", req, "duration_min", limits.DURATION_MIN, "minutes is a very long session"),
        ("requests", req, "sessions_per_week", limits.REQUEST_SESSIONS_PER_WEEK,
         "sessions a week: at most one session of a request a day can be served (hard rule 13), so at most 7"),
    ]
    for name, frame, column, bound, why in checks:
        v = frame[column].to_numpy(float) if len(frame) else np.zeros(0)
        high = np.isfinite(v) & (v > bound.plausible_high)
        _warn_rows(col, labels[name], frame, high, column, f"more than {bound.plausible_high:g} {why}",
                   [f"{x:g}" for x in v])
    # Sessions one citizen asks for in a week over all their recurring requests.
    recurring = req[[d is None for d in req["date"]]]
    if len(recurring):
        per_citizen = recurring.groupby("citizen_id")["sessions_per_week"].sum()
        many = per_citizen[per_citizen > limits.CITIZEN_SESSIONS_PER_WEEK_PLAUSIBLE]
        cit = scenario.citizens
        mask = cit["citizen_id"].isin(many.index).to_numpy()
        values = [str(many.get(c, "")) for c in cit["citizen_id"]]
        _warn_rows(col, labels["citizens"], cit, mask, "citizen_id",
                   f"the citizen's requests ask for more than {limits.CITIZEN_SESSIONS_PER_WEEK_PLAUSIBLE} sessions "
                   "a week in all", values)


def _matching(scenario: Scenario, labels: dict[str, str], col: Collector) -> None:
    """Data that can never be matched: an activity nobody offers, a language nobody speaks, ..."""
    vol, cit, req = scenario.volunteers, scenario.citizens, scenario.requests
    offered = {s for skills in vol["skills"] for s in skills}
    spoken = {lang for langs in vol["languages"] for lang in langs}
    available = set(scenario.volunteer_availability["volunteer_id"])
    no_offer = np.array([a not in offered for a in req["activity"]], bool)
    # Skills and activities are compared exactly: 'Visit' never matches 'visit', which a planner does not see.
    offered_folded = {s.casefold(): s for s in sorted(offered)}
    for pos in np.flatnonzero(no_offer):
        activity = req["activity"].iloc[pos]
        near = offered_folded.get(activity.casefold())
        col.warn(labels["requests"], f"request {req['request_id'].iloc[pos]}: no volunteer offers the activity "
                 f"'{activity}'" + (f" (volunteers offer '{near}'; skills and activities are compared exactly, "
                                    "upper and lower case too)" if near else ""),
                 row=int(req.index[pos]), column="activity")
    requested = set(req["activity"])
    requested_folded = {a.casefold(): a for a in sorted(requested)}
    odd_case = [";".join(s for s in skills if s not in requested and s.casefold() in requested_folded)
                for skills in vol["skills"]]
    _warn_rows(col, labels["volunteers"], vol, np.array([bool(x) for x in odd_case], bool), "skills",
               "a skill differs from a requested activity only in upper/lower case, so it never matches it "
               "(skills and activities are compared exactly: write them as the requests do)", odd_case)
    never = np.array([v not in available for v in vol["volunteer_id"]], bool)
    for pos in np.flatnonzero(never):
        col.warn(labels["volunteers"], f"volunteer {vol['volunteer_id'].iloc[pos]} has no availability and will "
                 "never be scheduled", row=int(vol.index[pos]))
    for pos in np.flatnonzero([not set(langs) & spoken for langs in cit["languages"]]):
        langs = cit["languages"].iloc[pos]
        col.warn(labels["citizens"], f"citizen {cit['citizen_id'].iloc[pos]}: no volunteer speaks "
                 f"{', '.join(langs)}", row=int(cit.index[pos]), column="languages")
    for name, frame in (("volunteers", vol), ("citizens", cit)):
        odd = [";".join(x for x in langs if not _ISO_639_1.fullmatch(x)) for langs in frame["languages"]]
        _warn_rows(col, labels[name], frame, np.array([bool(x) for x in odd], bool), "languages",
                   "not a two-letter ISO 639-1 language code (da, en, ar ...), so it matches only the very same "
                   "text", odd)
    for name, frame, columns in (("volunteers", vol, ("skills", "languages", "interests")),
                                 ("citizens", cit, ("languages", "interests", "preferred_volunteers",
                                                    "excluded_volunteers"))):
        for column in columns:
            commas = np.array([any("," in x for x in items) for items in frame[column]], bool)
            _warn_rows(col, labels[name], frame, commas, column,
                       "holds a comma: list items are separated by ';' (da;en), so this is read as one item",
                       [";".join(items) for items in frame[column]])


def _dates(scenario: Scenario, labels: dict[str, str], col: Collector) -> None:
    """Dated rows that fall outside the horizon and so do nothing."""
    st = scenario.settings
    req = scenario.requests
    outside = np.array([d is not None and not st.in_horizon(d) for d in req["date"]], bool)
    for pos in np.flatnonzero(outside):
        col.warn(labels["requests"], f"one-off request {req['request_id'].iloc[pos]} is dated outside the horizon "
                 "and cannot be served", row=int(req.index[pos]), column="date")
    first, last = st.start_date.isoformat(), st.end_date.isoformat()
    for name in ("volunteer_availability", "citizen_availability"):
        frame = scenario.table(name)
        if frame.empty:
            continue
        days = frame["day"]
        codes, uniques = pd.factorize(days.to_numpy(object))
        out = np.array([len(u) == 10 and not first <= u <= last for u in uniques], bool)
        _warn_rows(col, labels[name], frame, out[codes] if len(uniques) else np.zeros(len(frame), bool), "day",
                   f"the date lies outside the horizon ({first} to {last}), so this row is never used",
                   days.to_numpy(object))
