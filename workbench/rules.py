"""The 14 hard rules of the contract (section 3), one function each.

Every rule is written once, here. The schedule checker (:mod:`workbench.validate`)
calls the ``rule_*`` functions on a table of scheduled sessions; the candidate
filter (:mod:`workbench.candidates`) and the solvers call the same predicates
(``skill_ok``, ``language_ok`` ...) on (request, volunteer) pairs, so a rule
can never mean one thing to the checker and another to the optimiser.

A ``rule_*`` function takes a :class:`Sessions` table and returns a list of
``(index, message)`` pairs, ``index`` being the position in the table.
"""

from __future__ import annotations

import collections
import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from .availability import Availability, covers
from .contract import pin_mode
from .geo import haversine_km, travel_minutes
from .scenario.types import Scenario, Settings
from .timeutil import format_time
from .words import count

Found = list[tuple[int, str]]


# --------------------------------------------------------------------------- predicates on pairs
# Each takes aligned sequences and returns a boolean array; callers pass either
# one element per scheduled session or one per (request, volunteer) pair.


def skill_ok(activity: Sequence[str], volunteer_skills: Sequence[tuple[str, ...]]) -> np.ndarray:
    """Rule 2: the activity is one of the volunteer's skills."""
    return np.fromiter((a in s for a, s in zip(activity, volunteer_skills)), bool, len(activity))


def language_ok(citizen_languages: Sequence[tuple[str, ...]],
                volunteer_languages: Sequence[tuple[str, ...]]) -> np.ndarray:
    """Rule 3: volunteer and citizen share at least one language."""
    return np.fromiter((not set(c).isdisjoint(v) for c, v in zip(citizen_languages, volunteer_languages)),
                       bool, len(citizen_languages))


def vetting_ok(requires_vetting: Sequence[bool], vetted: Sequence[bool]) -> np.ndarray:
    """Rule 4: a request that requires vetting gets a vetted volunteer."""
    return ~np.asarray(requires_vetting, bool) | np.asarray(vetted, bool)


def gender_ok(gender_preference: Sequence[str], volunteer_gender: Sequence[str]) -> np.ndarray:
    """Rule 5: the citizen's wish is ``any`` or equals the volunteer's gender."""
    pref = np.asarray(gender_preference, object)
    return (pref == "any") | (pref == np.asarray(volunteer_gender, object))


def not_excluded(excluded_volunteers: Sequence[tuple[str, ...]], volunteer_id: Sequence[str]) -> np.ndarray:
    """Rule 6: the volunteer is not in the citizen's excluded list."""
    return np.fromiter((v not in ex for ex, v in zip(excluded_volunteers, volunteer_id)), bool, len(volunteer_id))


def mode_ok(request_mode: Sequence[str], session_mode: Sequence[str]) -> np.ndarray:
    """Rule 7 (mode): in_person→in_person, phone→phone, either→both."""
    r = np.asarray(request_mode, object)
    s = np.asarray(session_mode, object)
    valid = (s == "in_person") | (s == "phone")
    return valid & ((r == "either") | (r == s))


def within_reach(distance_km: np.ndarray, max_travel_km: np.ndarray) -> np.ndarray:
    """Rule 7 (reach): the straight-line distance home→citizen is ≤ max_travel_km (arrays broadcast)."""
    return np.asarray(distance_km, float) <= np.asarray(max_travel_km, float)


def distance_ok(session_mode: Sequence[str], distance_km: Sequence[float] | np.ndarray,
                max_travel_km: Sequence[float] | np.ndarray) -> np.ndarray:
    """Rule 7 (reach) for sessions: a phone call needs no reach; in person must be within reach."""
    return (np.asarray(session_mode, object) == "phone") | within_reach(distance_km, max_travel_km)


def in_person_possible(request_mode: Sequence[str] | np.ndarray, distance_km: np.ndarray,
                       max_travel_km: np.ndarray) -> np.ndarray:
    """True where the pair may meet in person (the request allows it and the citizen is within reach)."""
    return (np.asarray(request_mode, object) != "phone") & within_reach(distance_km, max_travel_km)


def pair_mode_ok(request_mode: Sequence[str] | np.ndarray, distance_km: np.ndarray,
                 max_travel_km: np.ndarray) -> np.ndarray:
    """Rule 7 for a pair before a mode is chosen: some mode the request allows keeps the rule."""
    r = np.asarray(request_mode, object)
    return (r != "in_person") | in_person_possible(r, distance_km, max_travel_km)


def travel_time(settings: Settings, travel_mode: str, lat1: float, lon1: float, lat2: float, lon2: float) -> int:
    """Travel minutes between two citizens for a volunteer's travel mode (contract formula)."""
    return travel_minutes(haversine_km(lat1, lon1, lat2, lon2), settings.detour_factor, settings.speed_kmh[travel_mode])


def one_off_ok(request_date: date | None, request_start: int | None, day: date, start: int) -> bool:
    """Rule 9: a one-off is on its date, and at its start when given."""
    if request_date is None:
        return True
    return day == request_date and (request_start is None or start == request_start)


def pin_modes(scenario: Scenario) -> pd.Series:
    """The mode each pin is checked in (pins have none): the request's, ``either`` read as a call,
    the mode that needs least (see :func:`workbench.contract.pin_mode`)."""
    request_mode = dict(zip(scenario.requests["request_id"], scenario.requests["mode"]))
    return scenario.pins["request_id"].map(request_mode).map(pin_mode)


# --------------------------------------------------------------------------- sessions table


@dataclass(frozen=True)
class Sessions:
    """Scheduled sessions joined with what the rules need.

    ``table`` has one row per session with columns: request_id, citizen_id,
    volunteer_id, date (date|None), start, end (int|None), mode, and the joined
    request_*, citizen_* and volunteer_* attributes (NaN/None where the id is
    unknown), plus flags ``known`` (all three ids exist) and ``timed`` (date,
    start and end readable).
    """

    table: pd.DataFrame
    settings: Settings
    availability: Availability
    pins: pd.DataFrame


def _known(s: Sessions) -> pd.DataFrame:
    return s.table[s.table["known"]]


# --------------------------------------------------------------------------- the 14 rules


def rule_1_exists(s: Sessions) -> Found:
    """Request, citizen and volunteer exist, and the citizen is the request's."""
    t = s.table
    out: Found = []
    for i, row in enumerate(t.itertuples(index=False)):
        missing = []
        if not row.request_known:
            missing.append(f"request {row.request_id!r}")
        if not row.citizen_known:
            missing.append(f"citizen {row.citizen_id!r}")
        if not row.volunteer_known:
            missing.append(f"volunteer {row.volunteer_id!r}")
        if missing:
            out.append((i, "unknown " + ", ".join(missing)))
        elif row.request_citizen_id != row.citizen_id:
            out.append((i, f"request {row.request_id} belongs to citizen {row.request_citizen_id}, "
                           f"not {row.citizen_id}"))
    return out


def _pairwise(s: Sessions, ok: Callable[[pd.DataFrame], np.ndarray], message: Callable[[pd.Series], str]) -> Found:
    t = _known(s)
    if t.empty:
        return []
    mask = ok(t)
    return [(int(t.index[i]), message(t.iloc[i])) for i in np.flatnonzero(~mask)]


def rule_2_skill(s: Sessions) -> Found:
    """The activity is one of the volunteer's skills."""
    return _pairwise(s, lambda t: skill_ok(t["activity"].tolist(), t["volunteer_skills"].tolist()),
                     lambda r: f"volunteer {r.volunteer_id} does not offer {r.activity!r} "
                               f"(offers: {', '.join(r.volunteer_skills) or 'nothing'})")


def rule_3_language(s: Sessions) -> Found:
    """Volunteer and citizen share at least one language."""
    return _pairwise(s, lambda t: language_ok(t["citizen_languages"].tolist(), t["volunteer_languages"].tolist()),
                     lambda r: f"volunteer {r.volunteer_id} ({', '.join(r.volunteer_languages)}) and citizen "
                               f"{r.citizen_id} ({', '.join(r.citizen_languages)}) share no language")


def rule_4_vetting(s: Sessions) -> Found:
    """A request that requires vetting gets a vetted volunteer."""
    return _pairwise(s, lambda t: vetting_ok(t["requires_vetting"].tolist(), t["volunteer_vetted"].tolist()),
                     lambda r: f"request {r.request_id} requires vetting and volunteer {r.volunteer_id} is not vetted")


def rule_5_gender(s: Sessions) -> Found:
    """The citizen's gender preference is respected."""
    return _pairwise(s, lambda t: gender_ok(t["gender_preference"].tolist(), t["volunteer_gender"].tolist()),
                     lambda r: f"citizen {r.citizen_id} wishes a volunteer of gender {r.gender_preference}; "
                               f"volunteer {r.volunteer_id} is {r.volunteer_gender or 'unspecified'}")


def rule_6_excluded(s: Sessions) -> Found:
    """The volunteer is not excluded by the citizen."""
    return _pairwise(s, lambda t: not_excluded(t["excluded_volunteers"].tolist(), t["volunteer_id"].tolist()),
                     lambda r: f"citizen {r.citizen_id} has excluded volunteer {r.volunteer_id}")


def rule_7_mode_and_reach(s: Sessions) -> Found:
    """Session mode fits the request's mode; in person, the citizen is within the volunteer's reach."""
    t = _known(s)
    out: Found = []
    if t.empty:
        return out
    m_ok = mode_ok(t["request_mode"].tolist(), t["mode"].tolist())
    d_ok = distance_ok(t["mode"].tolist(), t["distance_km"].to_numpy(float),
                       t["volunteer_max_travel_km"].to_numpy(float))
    # Messages only for the rows that break the rule (a row-by-row loop was measured at ~45%
    # of the whole checker's time on city-medium).
    for i in np.flatnonzero(~m_ok | ~d_ok).tolist():
        r = t.iloc[i]
        if not m_ok[i]:
            out.append((int(t.index[i]), f"mode {r['mode']!r} does not fit request {r.request_id} "
                                         f"(mode {r.request_mode})"))
        if not d_ok[i]:
            out.append((int(t.index[i]), f"citizen {r.citizen_id} is {r.distance_km:.2f} km from volunteer "
                                         f"{r.volunteer_id}, beyond their {r.volunteer_max_travel_km:g} km"))
    return out


def rule_8_time(s: Sessions) -> Found:
    """Date in the horizon, volunteer not absent, inside both free times, length = duration."""
    st, av = s.settings, s.availability
    out: Found = []
    for i, r in enumerate(s.table.itertuples(index=False)):
        if not r.timed:
            out.append((i, f"date/start/end not readable ({r.date_text!r}, {r.start_text!r}, {r.end_text!r}); "
                           "expected YYYY-MM-DD and HH:MM"))
            continue
        if r.end <= r.start:
            out.append((i, f"end {format_time(r.end)} is not after start {format_time(r.start)}"))
            continue
        if not st.in_horizon(r.date):
            out.append((i, f"date {r.date} is outside the horizon {st.start_date}..{st.end_date}"))
            continue
        if r.request_known and r.end - r.start != r.duration_min:
            out.append((i, f"lasts {r.end - r.start} min; request {r.request_id} needs {r.duration_min} min"))
        if r.volunteer_known:
            if (r.volunteer_id, r.date) in av.absent:
                out.append((i, f"volunteer {r.volunteer_id} is absent on {r.date}"))
            elif not covers(free := av.volunteer_windows(r.volunteer_id, r.date), r.start, r.end):
                out.append((i, f"{format_time(r.start)}-{format_time(r.end)} on {r.date} is outside volunteer "
                               f"{r.volunteer_id}'s availability {_windows_text(free)}"))
        if r.citizen_known and not covers(av.citizen_windows(r.citizen_id, r.date), r.start, r.end):
            out.append((i, f"{format_time(r.start)}-{format_time(r.end)} on {r.date} is outside citizen "
                           f"{r.citizen_id}'s availability {_windows_text(av.citizen_windows(r.citizen_id, r.date))}"))
    return out


def _windows_text(windows: tuple) -> str:
    return ", ".join(f"{format_time(a)}-{format_time(b)}" for a, b in windows) or "(none that day)"


def rule_9_one_off(s: Sessions) -> Found:
    """A one-off request is served on its date, at its start when given."""
    out: Found = []
    for i, r in enumerate(s.table.itertuples(index=False)):
        if not (r.request_known and r.timed) or r.request_date is None:
            continue
        if not one_off_ok(r.request_date, r.request_start, r.date, r.start):
            when = str(r.request_date) + (f" at {format_time(r.request_start)}" if r.request_start is not None else "")
            out.append((i, f"one-off request {r.request_id} must be on {when}; scheduled {r.date} "
                           f"at {format_time(r.start)}"))
    return out


def _records(s: Sessions, keys: list[str], need: str | None = None) -> list[list]:
    """Readable sessions (with a known ``need`` id), as lists grouped by ``keys`` and sorted by start.

    Sorting once and walking plain records keeps the checker fast on tens of
    thousands of sessions (a pandas groupby per volunteer-day was measured at ~60 s).
    """
    t = s.table[s.table["timed"]]
    if need is not None:
        t = t[t[need]]
    if t.empty:
        return []
    t = t.sort_values([*keys, "start", "end", "row"], kind="stable")
    # Plain lists per column, zipped into light records: pandas' itertuples over every joined
    # column was measured at 1.4 s of the checker's 1.7 s on 16,000 sessions.
    fields = ["Index", *_RECORD_FIELDS]
    rec_type = _record_type()
    columns = [t.index.tolist()] + [t[c].tolist() for c in _RECORD_FIELDS]
    groups: list[list] = []
    last = None
    positions = [fields.index(k) for k in keys]
    for values in zip(*columns):
        key = tuple(values[i] for i in positions)
        if key != last:
            groups.append([])
            last = key
        groups[-1].append(rec_type._make(values))
    return groups


# The joined columns the rules linking sessions (10–13) read from a record.
_RECORD_FIELDS = (
    "row", "request_id", "citizen_id", "volunteer_id", "date", "week", "start", "end", "mode", "citizen_known",
    "citizen_lat", "citizen_lon", "volunteer_travel_mode", "volunteer_max_sessions_per_week",
    "volunteer_max_minutes_per_week", "request_date", "sessions_per_week",
)


@functools.lru_cache(maxsize=1)
def _record_type() -> type:
    return collections.namedtuple("SessionRecord", ["Index", *_RECORD_FIELDS])


def _overlaps(group: list, who: str) -> Found:
    """Every session that overlaps an earlier one of the same group (touching is fine)."""
    out: Found = []
    open_rows: list[tuple[int, int]] = []  # (end, row) of sessions still running
    for r in group:
        open_rows = [o for o in open_rows if o[0] > r.start]
        for _end, row in open_rows:
            out.append((int(r.Index), f"overlaps {who}'s session in row {row} on {r.date}"))
        open_rows.append((r.end, r.row))
    return out


def rule_10_volunteer_overlap_and_travel(s: Sessions) -> Found:
    """No overlapping sessions per volunteer; enough travel time between consecutive in-person sessions."""
    out: Found = []
    for g in _records(s, ["volunteer_id", "date"], need="volunteer_known"):
        if len(g) < 2:
            continue
        vid = g[0].volunteer_id
        out += _overlaps(g, f"volunteer {vid}")
        visits = [r for r in g if r.mode == "in_person"]
        for a, b in zip(visits, visits[1:]):
            if not (a.citizen_known and b.citizen_known):
                continue
            need = travel_time(s.settings, a.volunteer_travel_mode, a.citizen_lat, a.citizen_lon,
                               b.citizen_lat, b.citizen_lon)
            gap = b.start - a.end
            if gap < need:
                out.append((int(b.Index), f"volunteer {vid} needs {need} min to travel from citizen {a.citizen_id} "
                                          f"(row {a.row}) to citizen {b.citizen_id} but has {gap} min"))
    return out


def rule_11_citizen_overlap(s: Sessions) -> Found:
    """A citizen never has two overlapping sessions."""
    out: Found = []
    for g in _records(s, ["citizen_id", "date"]):
        if len(g) >= 2:
            out += _overlaps(g, f"citizen {g[0].citizen_id}")
    return out


def rule_12_weekly_limits(s: Sessions) -> Found:
    """Per volunteer and week: sessions and summed minutes within the volunteer's limits."""
    out: Found = []
    for g in _records(s, ["volunteer_id", "week"], need="volunteer_known"):
        g.sort(key=lambda r: (r.date, r.start, r.row))
        vid, week = g[0].volunteer_id, g[0].week
        max_n, max_m = g[0].volunteer_max_sessions_per_week, g[0].volunteer_max_minutes_per_week
        if len(g) > max_n:
            out.append((int(g[int(max_n)].Index), f"volunteer {vid} has {count(len(g), 'session')} in week {week}; "
                                                   f"limit {int(max_n)}"))
        minutes = 0
        total = sum(r.end - r.start for r in g)
        for r in g:
            minutes += r.end - r.start
            if minutes > max_m:
                out.append((int(r.Index), f"volunteer {vid} has {total} min in week {week}; "
                                          f"limit {int(max_m)} min"))
                break
    return out


def rule_13_request_frequency(s: Sessions) -> Found:
    """Per request: ≤ sessions_per_week each week, ≤ one per day; a one-off at most once."""
    out: Found = []
    for g in _records(s, ["request_id"], need="request_known"):
        g.sort(key=lambda r: (r.date, r.start, r.row))
        rid = g[0].request_id
        seen_days: dict[date, int] = {}
        for r in g:
            if r.date in seen_days:
                out.append((int(r.Index), f"request {rid} already has a session on {r.date} (row {seen_days[r.date]})"))
            else:
                seen_days[r.date] = r.row
        if g[0].request_date is not None:
            if len(g) > 1:
                out.append((int(g[1].Index), f"one-off request {rid} is scheduled {len(g)} times"))
            continue
        spw = int(g[0].sessions_per_week)
        per_week: dict[int, list] = {}
        for r in g:
            per_week.setdefault(r.week, []).append(r)
        for week, w in per_week.items():
            if len(w) > spw:
                out.append((int(w[spw].Index), f"request {rid} has {count(len(w), 'session')} in week {week}; "
                                               f"at most {spw}"))
    return out


def rule_14_pins(s: Sessions) -> Found:
    """Every pin appears in the schedule. Index −1 − k refers to pin k (not to a schedule row)."""
    t = s.table[s.table["timed"]]
    have = set(zip(t["request_id"], t["volunteer_id"], t["date"], t["start"]))
    out: Found = []
    for k, (row, p) in enumerate(zip(s.pins.index, s.pins.itertuples(index=False))):
        if (p.request_id, p.volunteer_id, p.date, p.start) not in have:
            out.append((-1 - k, f"pin in pins row {row} (request {p.request_id}, volunteer {p.volunteer_id}, "
                                f"{p.date} {format_time(p.start)}) is missing from the schedule"))
    return out


HARD_RULES: dict[int, Callable[[Sessions], Found]] = {
    1: rule_1_exists,
    2: rule_2_skill,
    3: rule_3_language,
    4: rule_4_vetting,
    5: rule_5_gender,
    6: rule_6_excluded,
    7: rule_7_mode_and_reach,
    8: rule_8_time,
    9: rule_9_one_off,
    10: rule_10_volunteer_overlap_and_travel,
    11: rule_11_citizen_overlap,
    12: rule_12_weekly_limits,
    13: rule_13_request_frequency,
    14: rule_14_pins,
}
