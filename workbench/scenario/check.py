"""Text tables → a checked :class:`~workbench.scenario.types.Scenario`: every input rule of the contract.

:func:`scenario_from_tables` parses every cell of every table, checks ids and references, checks the
agreed sessions (pins) against the 14 hard rules, and collects every problem before raising one
:class:`~workbench.errors.InputError`. It reports each problem once: a table that is missing or
could be read only in part (see :class:`~workbench.scenario.files.Source`) is not used to judge
references into it, a missing column is reported once and not again for each row, and checks that
need the settings are skipped when the settings are broken.

Warnings (legal but suspicious data, contract section 1) carry file, row and column like problems.
Unknown columns and settings keys are always reported; the warnings about values (swapped
coordinates, a citizen far from every volunteer, implausible numbers ...) only once the input has
no problem left, since they would mostly repeat a problem in other words.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
import pandas as pd

from ..contract import (
    COLUMNS,
    GENDER_PREFERENCES,
    GENDERS,
    OPTIONAL_TABLES,
    REQUEST_MODES,
    REQUIRED_COLUMNS,
    REQUIRED_TABLES,
    SETTINGS_FILE,
    TABLES,
    TRAVEL_MODES,
)
from ..csvfile import distinct
from ..errors import Collector
from ..timeutil import format_time, parse_date, parse_time
from ..validate import pins_as_schedule, validate
from . import limits
from .cells import (
    TableCheck,
    bool_hint,
    choice,
    choice_hint,
    date_hint,
    day_hint,
    id_hint,
    nearest,
    number_hint,
    object_array,
    parse_bool,
    parse_day,
    parse_float,
    parse_int,
    ranged,
    split_list,
    time_hint,
    whole_number_hint,
)
from .plausible import plausibility_warnings
from .settings import parse_settings
from .types import Scenario, Settings

_ID_COLUMN = {"volunteers": "volunteer_id", "citizens": "citizen_id", "requests": "request_id"}


def _bounded(parse: Callable[[str], Any], bound: limits.Bound) -> Callable[[str], Any]:
    return ranged(parse, bound.low, bound.high)


def _range_hint(bound: limits.Bound, base: Callable[[str], str | None]) -> Callable[[str], str | None]:
    """Why a number is refused: beyond the bound (and what that would mean), or not a number at all."""

    def hint(text: str) -> str | None:
        v = parse_float(text)
        if v is not None and v > bound.high:
            return bound.why
        return base(text)

    return hint


def default_labels() -> dict[str, str]:
    """How messages name each table when it came from a folder of CSV files (or from the API)."""
    return {**{n: f"{n}.csv" for n in TABLES}, "scenario": SETTINGS_FILE}


def scenario_from_tables(
    tables: dict[str, pd.DataFrame],
    settings: dict[str, Any] | None,
    source: str = "scenario",
    labels: dict[str, str] | None = None,
    *,
    settings_where: dict[str, dict[str, Any]] | None = None,
    collector: Collector | None = None,
    reported: Iterable[str] = (),
    damaged: Iterable[str] = (),
) -> Scenario:
    """Parse and check text tables (cells as in the CSV files) into a :class:`Scenario`.

    ``tables`` maps table names (``volunteers``, ...) to DataFrames of text cells; if a frame's
    index is not named ``row`` (the spreadsheet row number) it is numbered from 2. ``settings`` is
    the ``scenario.toml`` content as a dict, ``None`` when it could not be read (already reported in
    ``collector``). ``settings_where`` gives the line or row of each settings key; ``reported``
    names tables whose absence is already reported, ``damaged`` tables read only in part. Every
    problem is collected and raised together as one :class:`InputError`.
    """
    labels = {**default_labels(), **(labels or {})}
    col = collector if collector is not None else Collector()
    damaged = set(damaged) | set(reported)
    st = parse_settings(settings, settings_where or {}, labels["scenario"], col) if settings is not None else None
    text: dict[str, pd.DataFrame] = {}
    for name in TABLES:
        t = tables.get(name)
        if t is None:
            if name in REQUIRED_TABLES:
                if name not in reported:
                    col.error(labels[name], "required table is missing")
                damaged.add(name)
            t = pd.DataFrame(columns=list(COLUMNS[name]))
        if t.index.name != "row":
            t = t.set_axis(pd.RangeIndex(2, len(t) + 2, name="row"), axis=0)
        if any(not isinstance(c, str) for c in t.columns):
            t = t.set_axis([str(c) for c in t.columns], axis=1)
        text[name] = t

    checks = {name: TableCheck(col, labels[name], text[name]) for name in TABLES}
    usable: dict[str, bool] = {}
    for name in TABLES:
        usable[name] = _check_columns(checks[name], name, empty_ok=name in OPTIONAL_TABLES)

    # Ids first: references are judged against them, unless their table is missing, cut short or has no id column.
    known: dict[str, set[str] | None] = {}
    for name, id_col in _ID_COLUMN.items():
        tc = checks[name]
        if id_col in tc.table.columns:
            _ids(tc, id_col)
        ok = name not in damaged and id_col in tc.table.columns
        known[name] = {t for t in tc.column(id_col).texts if t} if ok else None

    parsed = {
        "volunteers": _volunteers(checks["volunteers"]),
        "citizens": _citizens(checks["citizens"], known["volunteers"], labels["volunteers"]),
        "requests": _requests(checks["requests"], known["citizens"], labels["citizens"]),
        "volunteer_availability": _availability(checks["volunteer_availability"], "volunteer_id",
                                                known["volunteers"], labels["volunteers"]),
        "citizen_availability": _availability(checks["citizen_availability"], "citizen_id", known["citizens"],
                                              labels["citizens"]),
        "volunteer_absences": _absences(checks["volunteer_absences"], known["volunteers"], labels["volunteers"]),
        "pins": _pins(checks["pins"], known["requests"], known["volunteers"], labels),
    }
    frames = {name: _frame(name, checks[name], parsed[name]) for name in TABLES}

    if st is not None and st.name == "":
        st = Settings(**{**st.__dict__, "name": source})
    if st is not None and usable["pins"] and len(frames["pins"]) and not damaged & _PIN_NEEDS:
        _check_pins(st, frames, checks, labels["pins"], col)
    if st is not None and not col.has_problems():
        plausibility_warnings(Scenario(settings=st, **frames), labels, col)
    if st is None and not col.has_problems():
        col.error(labels["scenario"], "the settings are missing")
    col.raise_if_any()
    assert st is not None
    return Scenario(settings=st, **frames, warnings=tuple(col.warnings))


# --------------------------------------------------------------------------- columns and ids


def _check_columns(tc: TableCheck, name: str, *, empty_ok: bool) -> bool:
    """Report missing required columns (once) and unknown ones (a warning naming the nearest known name)."""
    columns = list(tc.table.columns)
    if empty_ok and not columns:
        return False  # an empty optional file: no rows
    if not columns and not len(tc.table):
        tc.col.error(tc.label, "is empty", expected=f"a header row naming at least {', '.join(REQUIRED_COLUMNS[name])}")
        return False
    known = COLUMNS[name]
    missing = [c for c in REQUIRED_COLUMNS[name] if c not in columns]
    for c in missing:
        same = next((h for h in columns if h.strip().lower() == c), None)
        near = same or nearest(c, [h for h in columns if h not in known])
        hint = (f"found '{same}'; header names are lower case" if same else
                f"is the column '{near}' meant to be '{c}'?" if near else None)
        tc.col.error(tc.label, "required column is missing", column=c, expected=f"a header named '{c}'", hint=hint)
    for c in columns:
        if c in known:
            continue
        near = nearest(c, known)
        if near and near in missing:
            continue  # reported with the missing column
        tc.col.warn(tc.label, "unknown column is kept and ignored" + (f" (did you mean '{near}'?)" if near else ""),
                    column=c)
    return not missing


def _ids(tc: TableCheck, id_col: str) -> None:
    """Each id is given and unique."""
    c = tc.column(id_col)
    tc.require(id_col, "an id")
    codes = np.where(c.empty(), -1, c.codes)
    order = np.argsort(codes, kind="stable")
    sorted_codes = codes[order]
    later = np.zeros(len(codes), bool)
    later[order[1:]] = (sorted_codes[1:] == sorted_codes[:-1]) & (sorted_codes[1:] >= 0)
    if later.any():
        first_row: dict[int, int] = {}
        for pos in np.flatnonzero(~later & (codes >= 0)):
            first_row.setdefault(int(codes[pos]), int(tc.rows[pos]))
        positions = np.flatnonzero(later)
        shown = positions[: tc.col.room(tc.label, id_col, "duplicate id")]
        for pos in shown:
            tc.report_at(np.array([pos]), id_col, f"duplicate id (first used in row {first_row[int(codes[pos])]})",
                         "a unique id")
        rest = positions[len(shown):]
        tc.col.more(tc.label, id_col, "duplicate id", len(rest), int(tc.rows[rest[0]]) if len(rest) else None,
                    int(tc.rows[rest[-1]]) if len(rest) else None)
        tc.bad[positions] = True


def _references(tc: TableCheck, column: str, known: set[str] | None, what: str, expected: str) -> None:
    """Each cell of ``column`` holds an id (``expected`` says which) naming a row of ``what`` (not judged
    when ``what`` is unusable)."""
    tc.require(column, expected)
    if known is None or column not in tc.table.columns:
        return
    c = tc.column(column)
    unknown = np.array([t != "" and t not in known for t in c.texts], bool)
    tc.report(unknown[c.codes], column, "unknown reference", f"the id of a row in {what}", hint=id_hint(known))


def _list_hint(hint: Callable[[str], str | None]) -> Callable[[str], str | None]:
    """``hint`` for the first item of a list cell that has one."""
    return lambda text: next(filter(None, map(hint, split_list(text))), None)


def _list_column(tc: TableCheck, name: str, *, lower: bool = False, non_empty: bool = False) -> np.ndarray:
    c = tc.column(name)
    out = c.map((lambda t: tuple(x.lower() for x in split_list(t))) if lower else split_list)
    if non_empty and name in tc.table.columns:
        empty = np.array([not split_list(t) for t in c.texts], bool)
        tc.report(empty[c.codes], name, "must not be empty", "a non-empty ';'-separated list, e.g. da;en")
    return out


def _frame(name: str, tc: TableCheck, values: dict[str, np.ndarray]) -> pd.DataFrame:
    """Typed columns in contract order (object dtype, Python values), then the user's unknown columns as text."""
    data: dict[str, Any] = {c: pd.Series(values[c], index=tc.table.index, dtype=object) for c in COLUMNS[name]}
    for c in tc.table.columns:
        if c not in COLUMNS[name]:
            data[c] = pd.Series(_raw_text(tc.table[c]), index=tc.table.index, dtype=object)
    return pd.DataFrame(data, index=tc.table.index)


def _raw_text(values: pd.Series) -> np.ndarray:
    """An unknown column's cells as the user wrote them (text, shared objects for repeated cells)."""
    codes, texts = distinct(values)
    return np.array(texts, dtype=object)[codes]


# --------------------------------------------------------------------------- the tables


def _coordinates(tc: TableCheck) -> dict[str, np.ndarray]:
    """``lat`` and ``lon``: WGS84 decimal degrees, both required."""
    return {
        "lat": tc.parse("lat", ranged(parse_float, -90, 90), "a latitude between -90 and 90", required=True,
                        hint=number_hint),
        "lon": tc.parse("lon", ranged(parse_float, -180, 180), "a longitude between -180 and 180", required=True,
                        hint=number_hint),
    }


def _volunteers(tc: TableCheck) -> dict[str, np.ndarray]:
    inf = math.inf
    b = limits
    return {
        "volunteer_id": tc.text("volunteer_id"),
        "name": tc.text("name"),
        **_coordinates(tc),
        "skills": _list_column(tc, "skills"),
        "languages": _list_column(tc, "languages", lower=True, non_empty=True),
        "interests": _list_column(tc, "interests"),
        "vetted": tc.parse("vetted", parse_bool, "true/false/yes/no/1/0", required=False, default=False,
                           hint=bool_hint),
        "gender": tc.parse("gender", choice(GENDERS), "f, m, x or empty", required=False, default="",
                           hint=choice_hint(GENDERS)),
        "organisation": tc.text("organisation"),
        "travel_mode": tc.parse("travel_mode", choice(TRAVEL_MODES), "walk, bike, transit or car", required=False,
                                default="bike", hint=choice_hint(TRAVEL_MODES)),
        "max_travel_km": tc.parse("max_travel_km", _bounded(parse_float, b.MAX_TRAVEL_KM),
                                  "a distance in km 0..20,038, or empty for no limit", required=False, default=inf,
                                  hint=_range_hint(b.MAX_TRAVEL_KM, number_hint)),
        "max_sessions_per_week": tc.parse(
            "max_sessions_per_week", _bounded(parse_int, b.VOLUNTEER_SESSIONS_PER_WEEK),
            "a whole number 0..168, or empty for no limit", required=False, default=inf,
            hint=_range_hint(b.VOLUNTEER_SESSIONS_PER_WEEK, whole_number_hint)),
        "max_minutes_per_week": tc.parse(
            "max_minutes_per_week", _bounded(parse_int, b.VOLUNTEER_MINUTES_PER_WEEK),
            "a whole number of minutes 0..10,080, or empty for no limit", required=False, default=inf,
            hint=_range_hint(b.VOLUNTEER_MINUTES_PER_WEEK, whole_number_hint)),
    }


def _citizens(tc: TableCheck, volunteer_ids: set[str] | None, volunteers: str) -> dict[str, np.ndarray]:
    v = {
        "citizen_id": tc.text("citizen_id"),
        "name": tc.text("name"),
        **_coordinates(tc),
        "languages": _list_column(tc, "languages", lower=True, non_empty=True),
        "interests": _list_column(tc, "interests"),
        "district": tc.text("district"),
        "priority": tc.parse("priority", ranged(parse_int, 1, 5), "a whole number 1..5 (5 = most urgent)",
                             required=False, default=3, hint=whole_number_hint),
        "gender_preference": tc.parse("gender_preference", choice(GENDER_PREFERENCES), "any, f or m",
                                      required=False, default="any", hint=choice_hint(GENDER_PREFERENCES)),
        "preferred_volunteers": _list_column(tc, "preferred_volunteers"),
        "excluded_volunteers": _list_column(tc, "excluded_volunteers"),
    }
    if volunteer_ids is not None:
        for column in ("preferred_volunteers", "excluded_volunteers"):
            if column not in tc.table.columns:
                continue
            c = tc.column(column)
            unknown = object_array([";".join(i for i in split_list(t) if i not in volunteer_ids) for t in c.texts])
            tc.report((unknown != "")[c.codes], column, "unknown reference", f"ids of volunteers in {volunteers}",
                      values=unknown[c.codes], hint=_list_hint(id_hint(volunteer_ids)))
    return v


def _requests(tc: TableCheck, citizen_ids: set[str] | None, citizens: str) -> dict[str, np.ndarray]:
    b = limits
    v = {
        "request_id": tc.text("request_id"),
        "citizen_id": tc.text("citizen_id"),
        "activity": tc.parse("activity", lambda s: s, "an activity such as visit", required=True, default=""),
        "duration_min": tc.parse("duration_min", _bounded(parse_int, b.DURATION_MIN),
                                 "a whole number of minutes > 0, at most 1,440 (one day)", required=True, default=0,
                                 hint=_range_hint(b.DURATION_MIN, whole_number_hint)),
        "sessions_per_week": tc.parse("sessions_per_week", _bounded(parse_int, b.REQUEST_SESSIONS_PER_WEEK),
                                      "a whole number ≥ 1, at most 100", required=False, default=1,
                                      hint=_range_hint(b.REQUEST_SESSIONS_PER_WEEK, whole_number_hint)),
        "mode": tc.parse("mode", choice(REQUEST_MODES), "in_person, phone or either", required=False,
                         default="in_person", hint=choice_hint(REQUEST_MODES)),
        "requires_vetting": tc.parse("requires_vetting", parse_bool, "true/false/yes/no/1/0", required=False,
                                     default=False, hint=bool_hint),
        "date": tc.parse("date", parse_date, "a date YYYY-MM-DD or empty", required=False, default=None,
                         hint=date_hint),
        "start": tc.parse("start", parse_time, "a time HH:MM (00:00..24:00) or empty", required=False,
                          default=None, hint=time_hint),
    }
    _references(tc, "citizen_id", citizen_ids, citizens, "a citizen id")
    start_text = tc.text("start")
    has_start = np.array([s is not None for s in v["start"]], bool)
    has_date = np.array([d is not None for d in v["date"]], bool)
    date_text = tc.text("date")
    tc.report(has_start & ~has_date & (date_text == ""), "start", "start without date",
              "a start only together with a date (one-off request)", values=start_text)
    start = np.array([s if s is not None else -1 for s in v["start"]], float)
    duration = np.array([d or 0 for d in v["duration_min"]], float)
    tc.report(has_start & (duration > 0) & (start + duration > 24 * 60), "start",
              "session would end after midnight", "a start that leaves room for the duration before 24:00",
              values=start_text)
    return v


def _availability(tc: TableCheck, id_col: str, known: set[str] | None, what: str) -> dict[str, np.ndarray]:
    v = {
        id_col: tc.text(id_col),
        "day": tc.parse("day", parse_day, "a weekday mon..sun or a date YYYY-MM-DD", required=True, hint=day_hint),
        "start": tc.parse("start", parse_time, "a time HH:MM (00:00..24:00)", required=True, hint=time_hint),
        "end": tc.parse("end", parse_time, "a time HH:MM (00:00..24:00)", required=True, hint=time_hint),
    }
    _references(tc, id_col, known, what, "an id")
    start, end = tc.numbers("start"), tc.numbers("end")
    with np.errstate(invalid="ignore"):
        backwards = ~np.isnan(start) & ~np.isnan(end) & (end <= start)
    tc.report_at(np.flatnonzero(backwards), "end", "end is not after start",
                 lambda pos: f"a time after the start {format_time(int(start[pos]))}")
    return v


def _absences(tc: TableCheck, volunteer_ids: set[str] | None, volunteers: str) -> dict[str, np.ndarray]:
    v = {
        "volunteer_id": tc.text("volunteer_id"),
        "from_date": tc.parse("from_date", parse_date, "a date YYYY-MM-DD", required=True, hint=date_hint),
        "to_date": tc.parse("to_date", parse_date, "a date YYYY-MM-DD", required=True, hint=date_hint),
    }
    _references(tc, "volunteer_id", volunteer_ids, volunteers, "a volunteer id")
    a, b = v["from_date"], v["to_date"]
    backwards = np.array([x is not None and y is not None and y < x for x, y in zip(a, b)], bool)
    tc.report_at(np.flatnonzero(backwards), "to_date", "to_date before from_date",
                 lambda pos: f"a date on or after from_date {a[pos].isoformat()}")
    return v


def _pins(tc: TableCheck, request_ids: set[str] | None, volunteer_ids: set[str] | None,
          labels: dict[str, str]) -> dict[str, np.ndarray]:
    v = {
        "request_id": tc.text("request_id"),
        "volunteer_id": tc.text("volunteer_id"),
        "date": tc.parse("date", parse_date, "a date YYYY-MM-DD", required=True, hint=date_hint),
        "start": tc.parse("start", parse_time, "a time HH:MM", required=True, hint=time_hint),
    }
    for column, known, what in (("request_id", request_ids, labels["requests"]),
                                ("volunteer_id", volunteer_ids, labels["volunteers"])):
        _references(tc, column, known, what, f"a {column.removesuffix('_id')} id")
    return v


# --------------------------------------------------------------------------- pins against the hard rules


_PIN_NEEDS = {"requests", "citizens", "volunteers", "volunteer_availability", "citizen_availability",
              "volunteer_absences"}


def _check_pins(st: Settings, frames: dict[str, pd.DataFrame], checks: dict[str, TableCheck], label: str,
                col: Collector) -> None:
    """A pin that breaks a hard rule can never be kept: an input error, reported per pin row.

    Checked in the same pass as every other cell, on the pins whose own row is fine and whose
    request, citizen and volunteer (with their availability and absences) were read without a
    problem, so that a broken row elsewhere never shows up again as a broken pin. The caller skips
    the check when one of these tables is missing or read only in part. Only the pinned people's
    availability and absence rows are passed to the checker, which keeps the check fast on big files.
    """
    good = {name: frames[name][~checks[name].bad] if checks[name].bad.any() else frames[name] for name in frames}
    va, ca, ab = frames["volunteer_availability"], frames["citizen_availability"], frames["volunteer_absences"]
    bad_volunteers = (set(va["volunteer_id"][checks["volunteer_availability"].bad])
                      | set(ab["volunteer_id"][checks["volunteer_absences"].bad]))
    bad_citizens = set(ca["citizen_id"][checks["citizen_availability"].bad])
    request_citizen = dict(zip(good["requests"]["request_id"], good["requests"]["citizen_id"]))
    citizens_ok = set(good["citizens"]["citizen_id"]) - bad_citizens
    volunteers_ok = set(good["volunteers"]["volunteer_id"]) - bad_volunteers
    pins = good["pins"]
    keep = np.array([request_citizen.get(r) in citizens_ok and w in volunteers_ok
                     for r, w in zip(pins["request_id"], pins["volunteer_id"])], bool)
    pins = pins if keep.all() else pins[keep]
    if pins.empty:
        return
    # Only the availability of the pinned people matters: on a big file that is a small part of it.
    volunteers = set(pins["volunteer_id"])
    citizens = {request_citizen[r] for r in pins["request_id"]}
    sub = Scenario(
        settings=st, volunteers=good["volunteers"], citizens=good["citizens"], requests=good["requests"], pins=pins,
        volunteer_availability=good["volunteer_availability"][
            good["volunteer_availability"]["volunteer_id"].isin(volunteers)],
        volunteer_absences=good["volunteer_absences"][good["volunteer_absences"]["volunteer_id"].isin(volunteers)],
        citizen_availability=good["citizen_availability"][good["citizen_availability"]["citizen_id"].isin(citizens)],
    )
    schedule, rows = pins_as_schedule(sub)
    for v in validate(sub, schedule, check_pins=False):
        col.error(label, f"pin breaks hard rule {v.rule}: {v.message}", row=int(rows[v.row - 2]),
                  column=_pin_column(v.rule, v.message))


# The pins.csv column a broken hard rule is about: the volunteer's fit (rules 2-7, 12), the day (an
# absence, the horizon, a one-off's date, a request twice a day or week), or the start (times).
_PIN_COLUMN = {1: "request_id", 2: "volunteer_id", 3: "volunteer_id", 4: "volunteer_id", 5: "volunteer_id",
               6: "volunteer_id", 7: "volunteer_id", 8: "start", 9: "date", 10: "start", 11: "start",
               12: "volunteer_id", 13: "date"}


def _pin_column(rule: int, message: str) -> str:
    """The pins.csv column a pin's broken ``rule`` (and its ``message``) points at."""
    if rule == 8 and ("absent" in message or "horizon" in message):
        return "date"
    return _PIN_COLUMN.get(rule, "request_id")


__all__ = ["default_labels", "scenario_from_tables"]
