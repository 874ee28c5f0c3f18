"""Edits of a scenario as pure functions: each returns a new, validated scenario and leaves its input as it was.

What a planner changes between two plans is expressed here once and used by the
planner app, the notebooks, the experiments and the tests alike:

- :func:`mark_absent`: a volunteer is away for some days;
- :func:`set_volunteer_limits`: their weekly sessions, weekly minutes or travel distance;
- :func:`add_citizen` and :func:`add_request` (with :func:`next_request_id`), :func:`remove_request`;
- :func:`set_request_mode`: e.g. every ``either`` request becomes a phone call in a crisis;
- :func:`pin_session` / :func:`unpin_session`: a session is agreed (or no longer);
- :func:`replace`: any table or the settings at once, for edits not listed here.

An edit that cannot be made raises :class:`EditRefused` whose ``reasons`` say why in a
planner's words (an unknown volunteer, an absence over a session the planner pinned);
:func:`replace` raises :class:`~workbench.errors.InputError` like reading files does.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

import pandas as pd

from ..contract import REQUEST_MODES
from ..errors import InputError, Problem
from ..timeutil import format_time, parse_time
from ..words import person_label
from .read import scenario_from_tables
from .types import Scenario
from .write import scenario_to_tables, settings_to_dict, table_to_text

__all__ = [
    "EditRefused",
    "add_citizen",
    "add_request",
    "mark_absent",
    "next_request_id",
    "pin_session",
    "remove_request",
    "replace",
    "set_request_mode",
    "set_volunteer_limits",
    "unpin_session",
]

# How a planner calls each table when an edit of it goes wrong (file names mean nothing in the app).
TABLE_WORDS = {
    "volunteers": "volunteers",
    "volunteer_availability": "volunteers' free times",
    "volunteer_absences": "absences",
    "citizens": "citizens",
    "citizen_availability": "citizens' free times",
    "requests": "requests",
    "pins": "pinned sessions",
}


class EditRefused(ValueError):
    """An edit that cannot be made; ``reasons`` says why, one sentence each, in a planner's words."""

    def __init__(self, reasons: Iterable[str]) -> None:
        self.reasons = tuple(reasons)
        super().__init__("; ".join(self.reasons))


def replace(scenario: Scenario, **changes: Any) -> Scenario:
    """A copy of ``scenario`` with some tables (parsed frames) or the ``settings`` replaced.

    The result is read and checked again, exactly as files would be, so an edit can
    never produce an inconsistent scenario; a bad edit raises
    :class:`~workbench.errors.InputError` naming the table, row and column.
    """
    tables, settings = scenario_to_tables(scenario)
    for key, value in changes.items():
        if key == "settings":
            settings = value if isinstance(value, dict) else settings_to_dict(value)
        elif key in tables:
            tables[key] = table_to_text(key, value)
        else:
            raise TypeError(f"replace() got an unknown table or setting {key!r}")
    return scenario_from_tables(tables, settings, source=scenario.name or "scenario")


# --------------------------------------------------------------------------- volunteers


def mark_absent(scenario: Scenario, volunteer_id: str, from_date: date | str, to_date: date | str | None = None
                ) -> Scenario:
    """The volunteer is away from ``from_date`` to ``to_date`` (both included; default the same day).

    Refused when the volunteer is unknown, the days are reversed, or the volunteer has a
    pinned (agreed) session in those days: unpin it first.
    """
    volunteer_id = _known(scenario.volunteers, "volunteer_id", volunteer_id, "volunteer")
    first = _as_date(from_date, "the first day of the absence")
    last = first if to_date is None else _as_date(to_date, "the last day of the absence")
    if last < first:
        raise EditRefused([f"the absence ends ({last}) before it starts ({first})"])
    pins = scenario.pins
    in_days = pd.Series([first <= d <= last for d in pins["date"]], index=pins.index, dtype=bool)
    clash = pins[(pins["volunteer_id"] == volunteer_id) & in_days]
    if len(clash):
        who = _volunteer(scenario, volunteer_id)
        raise EditRefused(
            f"{who} has a pinned (agreed) session in those days: {_pin_text(scenario, p)}; unpin it first"
            for p in clash.itertuples(index=False)
        )
    row = pd.DataFrame([{"volunteer_id": volunteer_id, "from_date": first, "to_date": last}])
    return _apply(scenario, volunteer_absences=pd.concat([scenario.volunteer_absences, row], ignore_index=True))


def set_volunteer_limits(
    scenario: Scenario,
    volunteer_id: str,
    *,
    max_sessions_per_week: float | None = None,
    max_minutes_per_week: float | None = None,
    max_travel_km: float | None = None,
) -> Scenario:
    """Change a volunteer's weekly limits or reach; ``None`` leaves one as it is, ``math.inf`` removes it.

    Counts (sessions, minutes) are whole numbers; every limit is ≥ 0.
    """
    volunteer_id = _known(scenario.volunteers, "volunteer_id", volunteer_id, "volunteer")
    volunteers = scenario.volunteers.copy()
    at = volunteers.index[volunteers["volunteer_id"] == volunteer_id][0]
    problems = []
    for column, value in (
        ("max_sessions_per_week", max_sessions_per_week),
        ("max_minutes_per_week", max_minutes_per_week),
        ("max_travel_km", max_travel_km),
    ):
        if value is None:
            continue
        number = float(value)
        words = column.replace("_", " ")
        if math.isnan(number) or number < 0:
            problems.append(f"{words} must be a number ≥ 0 (or no limit), not {value}")
            continue
        if column != "max_travel_km" and math.isfinite(number):
            if not number.is_integer():
                problems.append(f"{words} must be a whole number, not {value}")
                continue
            number = int(number)
        volunteers[column] = volunteers[column].astype(object)
        volunteers.at[at, column] = number
    if problems:
        raise EditRefused(problems)
    return _apply(scenario, volunteers=volunteers)


# --------------------------------------------------------------------------- citizens and requests


def add_citizen(
    scenario: Scenario,
    citizen_id: str,
    lat: float,
    lon: float,
    languages: Iterable[str],
    *,
    name: str = "",
    district: str = "",
    priority: int = 3,
    interests: Iterable[str] = (),
    gender_preference: str = "any",
) -> Scenario:
    """A new citizen (who then needs a request: :func:`add_request`). Refused if the id is taken."""
    citizen_id = str(citizen_id).strip()
    if not citizen_id:
        raise EditRefused(["a new citizen needs an id"])
    if citizen_id in set(scenario.citizens["citizen_id"]):
        raise EditRefused([f"there is already a citizen {citizen_id}"])
    row = {column: "" for column in scenario.citizens.columns}
    row.update(
        citizen_id=citizen_id, name=name, lat=float(lat), lon=float(lon), languages=tuple(languages),
        interests=tuple(interests), district=district, priority=int(priority),
        gender_preference=gender_preference, preferred_volunteers=(), excluded_volunteers=(),
    )
    return _apply(scenario, citizens=pd.concat([scenario.citizens, pd.DataFrame([row])], ignore_index=True))


def next_request_id(scenario: Scenario, prefix: str = "new") -> str:
    """The first of ``new-1``, ``new-2``, … that no request of ``scenario`` has."""
    known = set(scenario.requests["request_id"])
    n = 1
    while f"{prefix}-{n}" in known:
        n += 1
    return f"{prefix}-{n}"


def add_request(
    scenario: Scenario,
    citizen_id: str,
    activity: str,
    duration_min: int = 60,
    sessions_per_week: int = 1,
    mode: str = "in_person",
    requires_vetting: bool = False,
    *,
    request_id: str | None = None,
    date: date | str | None = None,
    start: int | str | None = None,
) -> Scenario:
    """A new request of an existing citizen: recurring (``sessions_per_week`` every week), or a one-off
    on ``date`` (at ``start``, minutes after midnight or ``HH:MM``, when given).

    ``request_id`` defaults to :func:`next_request_id`. Refused for an unknown citizen, a taken
    id, a mode outside the contract's, a non-positive duration or weekly count.
    """
    citizen_id = _known(scenario.citizens, "citizen_id", citizen_id, "citizen")
    request_id = next_request_id(scenario) if request_id is None else str(request_id).strip()
    problems = []
    if not request_id or request_id in set(scenario.requests["request_id"]):
        problems.append(f"there is already a request {request_id}" if request_id else "a request needs an id")
    if mode not in REQUEST_MODES:
        problems.append(f"the mode must be one of {', '.join(REQUEST_MODES)}, not {mode!r}")
    if int(duration_min) <= 0:
        problems.append(f"a session must last some minutes, not {duration_min}")
    if int(sessions_per_week) < 1:
        problems.append(f"sessions per week must be at least 1, not {sessions_per_week}")
    if not str(activity).strip():
        problems.append("choose an activity")
    if start is not None and date is None:
        problems.append("a start time needs a date (a one-off request)")
    if problems:
        raise EditRefused(problems)
    row = {
        "request_id": request_id,
        "citizen_id": citizen_id,
        "activity": str(activity).strip(),
        "duration_min": int(duration_min),
        "sessions_per_week": int(sessions_per_week),
        "mode": mode,
        "requires_vetting": bool(requires_vetting),
        "date": None if date is None else _as_date(date, "the request's date"),
        "start": None if start is None else _as_minutes(start),
    }
    return _apply(scenario, requests=pd.concat([scenario.requests, pd.DataFrame([row])], ignore_index=True))


def remove_request(scenario: Scenario, request_id: str) -> Scenario:
    """The request is gone, and so are its pins (a pin needs its request)."""
    request_id = _known(scenario.requests, "request_id", request_id, "request")
    return _apply(
        scenario,
        requests=scenario.requests[scenario.requests["request_id"] != request_id],
        pins=scenario.pins[scenario.pins["request_id"] != request_id],
    )


def set_request_mode(scenario: Scenario, request_ids: Iterable[str], mode: str) -> Scenario:
    """The requests ``request_ids`` get ``mode`` (``in_person``, ``phone`` or ``either``)."""
    if mode not in REQUEST_MODES:
        raise EditRefused([f"the mode must be one of {', '.join(REQUEST_MODES)}, not {mode!r}"])
    ids = {_known(scenario.requests, "request_id", r, "request") for r in request_ids}
    requests = scenario.requests.copy()
    requests.loc[requests["request_id"].isin(ids), "mode"] = mode
    return _apply(scenario, requests=requests)


# --------------------------------------------------------------------------- pins


def pin_session(scenario: Scenario, request_id: str, volunteer_id: str, day: date | str, start: int | str
                ) -> Scenario:
    """Pin a session: it is agreed, and every new plan must contain it exactly.

    ``start`` is minutes after midnight or ``HH:MM``. Refused when the request or volunteer
    is unknown, the request already has a pin that day, or the session breaks a hard rule
    (the reason is said in words).
    """
    request_id = _known(scenario.requests, "request_id", request_id, "request")
    volunteer_id = _known(scenario.volunteers, "volunteer_id", volunteer_id, "volunteer")
    day = _as_date(day, "the session's date")
    minutes = _as_minutes(start)
    pins = scenario.pins
    if ((pins["request_id"] == request_id) & (pins["date"] == day)).any():
        raise EditRefused([f"request {request_id} is already pinned on {day}: unpin that session first"])
    row = pd.DataFrame([{"request_id": request_id, "volunteer_id": volunteer_id, "date": day, "start": minutes}])
    return _apply(scenario, pins=pd.concat([pins, row], ignore_index=True))


def unpin_session(scenario: Scenario, request_id: str, day: date | str) -> Scenario:
    """Remove the pin of ``request_id`` on ``day``."""
    day = _as_date(day, "the session's date")
    keep = ~((scenario.pins["request_id"] == str(request_id)) & (scenario.pins["date"] == day))
    if keep.all():
        raise EditRefused([f"request {request_id} has no pinned session on {day}"])
    return _apply(scenario, pins=scenario.pins[keep])


# --------------------------------------------------------------------------- helpers


def _known(table: pd.DataFrame, column: str, value: Any, what: str) -> str:
    text = "" if value is None else str(value).strip()
    if not text:
        raise EditRefused([f"choose a {what}"])
    if text not in set(table[column]):
        raise EditRefused([f"there is no {what} {text}"])
    return text


def _as_date(value: date | str, what: str) -> date:
    if isinstance(value, datetime):  # pandas Timestamps too
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip()[:10])
    except ValueError:
        raise EditRefused([f"{what} must be a date (YYYY-MM-DD), not {value!r}"]) from None


def _as_minutes(value: int | str) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 24 * 60:
        return value
    minutes = parse_time(str(value))
    if minutes is None:
        raise EditRefused([f"a start time is HH:MM, not {value!r}"])
    return minutes


def _volunteer(scenario: Scenario, volunteer_id: str) -> str:
    names = dict(zip(scenario.volunteers["volunteer_id"], scenario.volunteers["name"]))
    return person_label(names.get(volunteer_id, ""), volunteer_id)


def _pin_text(scenario: Scenario, pin: Any) -> str:
    """A pin in words: "request r5 (Carl (c1)) with Cille (v3) on Mon 2026-01-05 at 14:00"."""
    requests = scenario.requests.set_index("request_id")
    citizen_names = dict(zip(scenario.citizens["citizen_id"], scenario.citizens["name"]))
    text = f"request {pin.request_id}"
    if pin.request_id in requests.index:
        citizen = requests.at[pin.request_id, "citizen_id"]
        text += f" ({person_label(citizen_names.get(citizen, ''), citizen)})"
    day = pin.date if isinstance(pin.date, date) else _as_date(pin.date, "date")
    return f"{text} with {_volunteer(scenario, pin.volunteer_id)} on {day:%a} {day} at {format_time(int(pin.start))}"


def _apply(scenario: Scenario, **tables: pd.DataFrame) -> Scenario:
    """:func:`replace`, with its problems told as a planner's reasons (a pin by what it agrees, not its row)."""
    try:
        return replace(scenario, **tables)
    except InputError as error:
        pins = tables.get("pins", scenario.pins).reset_index(drop=True)
        broken: dict[int, list[str]] = {}  # pin position → what it breaks, one sentence per pin
        reasons = []
        for p in error.problems:
            if p.file.removesuffix(".csv") == "pins" and p.row is not None and 0 <= p.row - 2 < len(pins):
                # "pin breaks hard rule 8: volunteer v3 is absent on ..." → what it breaks, without the number
                detail = p.message.split(": ", 1)[1] if p.message.startswith("pin breaks hard rule") else p.message
                broken.setdefault(p.row - 2, []).append(detail)
            else:
                reasons.append(_reason(p))
        reasons += [
            f"the pinned session {_pin_text(scenario, pins.iloc[i])} would break the rules: {'; '.join(details)}"
            for i, details in broken.items()
        ]
        raise EditRefused(reasons) from None


def _reason(problem: Problem) -> str:
    table = problem.file.removesuffix(".csv")
    where = TABLE_WORDS.get(table, table)
    if problem.column:
        where += f" ({problem.column.replace('_', ' ')})"
    text = f"{where}: {problem.message}"
    if problem.value is not None:
        text += f" (found “{problem.value}”" + (f"; expected {problem.expected})" if problem.expected else ")")
    return text
