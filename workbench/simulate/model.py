"""The rolling simulation: a programme lived week by week, each week planned by the engine.

Each simulated week ``t`` (week 0 starts on the scenario's start date):

1. what happened during week ``t − 1``: matched citizens' needs end and waiting
   citizens leave the list (weekly hazards), volunteers leave (a weekly hazard,
   heavier after a heavy week if so set), new citizens are referred and new
   volunteers join (Poisson counts, each drawn from the scenario's own people
   with fresh ids, a home near the one they were drawn from, and their
   requests and availability);
2. the coming week is planned: a one-week scenario of everyone active, with the
   running matches' sessions of their last week moved to this week as
   ``previous``, so the engine keeps each match with its volunteer while the
   rules allow it and gives the free capacity to those waiting, most urgent first;
3. everything is recorded: referral, first session, each session, each
   match's start and end, who left and why.

The scenario's horizon is taken as a typical stretch of weeks: availability and
absences given for dates repeat with its length (a volunteer free on the second
Tuesday of a four-week scenario is free on every fourth Tuesday). The initial
citizens are the caseload at the start, none of them matched yet (pins, agreed
sessions, are kept on their dates). One-off requests are planned in their
week and then closed, served or not; a referred one-off falls in the referral's
first week, on its template's weekday.

Randomness: every kind of event has its own stream derived from the seed, and
each person's departure is decided by an exponential clock drawn when they
arrive, so two policies run with the same seed see the same referrals, the
same recruits and the same people's patience: common random numbers, which make
paired comparisons of policies sharp. The same seed gives the same simulation.
"""

from __future__ import annotations

import math
import threading
import time
import zlib
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd

from .. import engine, whatif
from ..contract import COLUMNS, SCHEDULE_COLUMNS, WEEKDAYS
from ..objective import Weights
from ..scenario.types import Scenario
from ..timeutil import format_time, parse_time
from .params import Parameters

KM_PER_DEGREE = 111.32
# The optimiser's deterministic work per simulated week when no budget is given (about 10 s on a typical core).
DEFAULT_EFFORT_PER_WEEK = 10.0
STREAMS = ("initial", "referrals", "recruits", "lockdown")


def _rng(seed: int, stream: str) -> np.random.Generator:
    return np.random.default_rng([int(seed) & 0xFFFFFFFF, zlib.crc32(stream.encode())])


def _rate(hazard: float) -> float:
    """A weekly hazard as the rate its exponential clock runs at: surviving a week has chance e^-rate = 1 - hazard."""
    return math.inf if hazard >= 1 else -math.log1p(-hazard)


def week_seed(seed: int, week: int) -> int:
    """The solver's random seed for one week of a simulation with ``seed`` (stable across machines)."""
    return int(np.random.SeedSequence([int(seed) & 0xFFFFFFFF, zlib.crc32(b"solver"), week]).generate_state(1)[0]
               & 0x7FFFFFFF)


@dataclass
class WeekReport:
    """What a progress callback hears after each simulated week."""

    week: int
    weeks: int
    waiting: int
    active_citizens: int
    active_volunteers: int
    sessions: int
    status: str


@dataclass
class _Person:
    """A citizen or volunteer: their parsed row for week scenarios plus the life-course bookkeeping."""

    pid: str
    template: str
    cohort: str
    first_week: int  # the first week they can be planned
    threshold: float  # exponential clock: they leave when the accumulated hazard passes it
    row: dict[str, Any]
    referred: date | None = None  # citizens: the referral date
    hazard: float = 0.0
    left_week: int | None = None  # the first week they are no longer planned
    reason: str = ""


@dataclass
class _Request:
    rid: str
    citizen: int  # index into the citizens list
    template: str
    row: dict[str, Any]
    one_off_week: int | None  # week of a one-off's date (None: recurring)
    first_week: int
    first_date: date | None = None
    sessions: int = 0
    closed_week: int | None = None
    reason: str = ""


@dataclass
class _Match:
    request: int
    volunteer: int
    start_week: int
    start_date: date
    last_week: int
    slots: list[tuple[int, int, str]]  # (weekday, start minute, mode) of its last served week
    sessions: int = 0
    end_week: int | None = None
    reason: str = ""


@dataclass
class _Window:
    owner: int
    day: str  # a weekday, or "" when dated
    offset: int | None  # days from the start for a dated row
    start: int
    end: int


@dataclass
class Simulation:
    """The record of a simulated programme (see :mod:`workbench.simulate.metrics` for the figures).

    Tables (one row per ...):

    - ``weeks``: simulated week: arrivals, departures, the waiting list after planning,
      sessions, coverage, and the engine's status, objective, bound and gap;
    - ``citizens``: citizen ever in the programme: cohort (``initial`` caseload or
      ``referral``), referral date and week, first session, when and why they left;
    - ``requests``: request: activity, mode, first session, sessions served, when closed;
    - ``volunteers``: volunteer: cohort (``initial`` or ``recruit``), join and leave week;
    - ``matches``: (request, volunteer) pair that met: start, last session, end and why;
    - ``sessions``: every session held (schedule columns plus ``week``).
    """

    scenario: str
    start_date: date
    parameters: Parameters
    seed: int
    method: str
    effort_per_week: float | None
    time_limit_per_week: float | None
    weeks_done: int
    interrupted: bool
    seconds: float
    weeks: pd.DataFrame
    citizens: pd.DataFrame
    requests: pd.DataFrame
    volunteers: pd.DataFrame
    matches: pd.DataFrame
    sessions: pd.DataFrame
    warnings: list[str] = field(default_factory=list)

    @property
    def end_date(self) -> date:
        """The day after the last simulated week (where still-open waits are censored)."""
        return self.start_date + timedelta(days=7 * self.weeks_done)

    def describe(self) -> dict[str, Any]:
        """How this simulation was made (JSON-able): enough to make it again."""
        return {
            "scenario": self.scenario,
            "start_date": self.start_date.isoformat(),
            "seed": self.seed,
            "method": self.method,
            "effort_per_week": self.effort_per_week,
            "time_limit_per_week": self.time_limit_per_week,
            "weeks_done": self.weeks_done,
            "interrupted": self.interrupted,
            "seconds": round(self.seconds, 3),
            "parameters": self.parameters.to_dict(),
        }


class _Programme:
    """The live state of the simulated programme and the weekly step.

    People and requests are kept as the parsed rows of the scenario they were drawn
    from (already validated), so a week's scenario is assembled from them directly.
    """

    def __init__(self, base: Scenario, params: Parameters, seed: int) -> None:
        self.base = base
        self.params = params
        self.seed = seed
        st = base.settings
        self.start = st.start_date
        self.cycle = st.weeks
        self.citizens: list[_Person] = []
        self.volunteers: list[_Person] = []
        self.requests: list[_Request] = []
        self.cit_windows: list[_Window] = []
        self.vol_windows: list[_Window] = []
        self.absences: list[tuple[int, int, int]] = []  # (volunteer, first day offset, last day offset)
        self.matches: list[_Match] = []
        self.running: dict[tuple[int, int], int] = {}  # (request, volunteer) -> index of the running match
        self.vol_index: dict[str, int] = {}
        self.load: dict[int, int] = {}  # sessions per volunteer in the last planned week
        self.session_frames: list[pd.DataFrame] = []
        self.prefs: dict[int, tuple[tuple[str, ...], tuple[str, ...]]] = {}
        self.by_citizen: dict[int, list[int]] = defaultdict(list)  # citizen -> request indices
        self.first_session: dict[int, int] = {}  # citizen -> week of the first session
        self.first_date: dict[int, date] = {}  # citizen -> date of the first session
        self._seq = {"c": 0, "r": 0, "v": 0}
        taken = set(base.citizens["citizen_id"]) | set(base.requests["request_id"]) | set(
            base.volunteers["volunteer_id"])
        self.prefix = "sim-"
        while any(str(x).startswith(self.prefix) for x in taken):
            self.prefix = "x" + self.prefix

        # Templates: who new referrals and recruits are drawn from.
        self.vol_rows = dict(zip(base.volunteers["volunteer_id"], _rows(base.volunteers, "volunteers")))
        self.vol_templates = list(self.vol_rows)
        self.vol_avail = _windows_by_owner(base.volunteer_availability, "volunteer_id", self.start)
        self.vol_absent = _absences_by_owner(base.volunteer_absences, self.start)
        self.cit_rows = dict(zip(base.citizens["citizen_id"], _rows(base.citizens, "citizens")))
        self.cit_avail = _windows_by_owner(base.citizen_availability, "citizen_id", self.start)
        self.req_of: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for row in _rows(base.requests, "requests"):
            # A one-off dated before the start is past: not part of the caseload, nor a template.
            if row["date"] is None or row["date"] >= self.start:
                self.req_of[row["citizen_id"]].append(row)
        self.cit_templates = [c for c in base.citizens["citizen_id"] if self.req_of.get(c)]
        self.pins = base.pins

        initial = _rng(seed, "initial")
        for vid in base.volunteers["volunteer_id"]:
            self._add_volunteer(vid, vid, "initial", 0, float(initial.exponential()), self.vol_rows[vid])
        for cid in base.citizens["citizen_id"]:
            if not self.req_of.get(cid):
                continue  # no request: not part of the caseload
            self._add_citizen(cid, cid, "initial", 0, self.start, float(initial.exponential()),
                              self.cit_rows[cid], keep_ids=True)
        self.referral_rng = _rng(seed, "referrals")
        self.recruit_rng = _rng(seed, "recruits")
        self.lockdown_rng = _rng(seed, "lockdown")

    # ------------------------------------------------------------------ arrivals

    def _new_id(self, kind: str) -> str:
        self._seq[kind] += 1
        return f"{self.prefix}{kind}{self._seq[kind]}"

    def _add_volunteer(self, vid: str, template: str, cohort: str, week: int, threshold: float,
                       row: dict[str, Any]) -> None:
        i = len(self.volunteers)
        self.volunteers.append(_Person(vid, template, cohort, week, threshold, {**row, "volunteer_id": vid}))
        self.vol_index[vid] = i
        self.vol_windows += [_Window(i, w.day, w.offset, w.start, w.end) for w in self.vol_avail.get(template, ())]
        self.absences += [(i, a, b) for a, b in self.vol_absent.get(template, ())]

    def _add_citizen(self, cid: str, template: str, cohort: str, week: int, referred: date, threshold: float,
                     row: dict[str, Any], keep_ids: bool = False) -> None:
        i = len(self.citizens)
        self.citizens.append(_Person(cid, template, cohort, week, threshold, {**row, "citizen_id": cid}, referred))
        # A new citizen knows none of the volunteers: preferences belong to the person drawn from.
        self.prefs[i] = ((tuple(row["preferred_volunteers"]), tuple(row["excluded_volunteers"])) if keep_ids
                         else ((), ()))
        self.cit_windows += [_Window(i, w.day, w.offset, w.start, w.end) for w in self.cit_avail.get(template, ())]
        for rrow in self.req_of[template]:
            rid = rrow["request_id"] if keep_ids else self._new_id("r")
            r = {**rrow, "request_id": rid, "citizen_id": cid}
            one_off_week = None
            day = rrow["date"]
            if day is not None:
                if keep_ids:
                    one_off_week = (day - self.start).days // 7
                else:  # the referral's errand falls in their first week, on the template's weekday
                    r["date"] = self.start + timedelta(days=7 * week + day.weekday())
                    one_off_week = week
            self.by_citizen[i].append(len(self.requests))
            self.requests.append(_Request(rid, i, rrow["request_id"], r, one_off_week,
                                          one_off_week if one_off_week is not None else week))
        if keep_ids:  # someone whose only need is an errand on a later date waits from that week
            self.citizens[i].first_week = min(self.requests[r].first_week for r in self.by_citizen[i])

    def _jittered(self, row: dict[str, Any], rng: np.random.Generator) -> dict[str, Any]:
        lat, lon = float(row["lat"]), float(row["lon"])
        sd = self.params.jitter_km / KM_PER_DEGREE
        lat2 = lat + float(rng.normal(0, sd))
        lon2 = lon + float(rng.normal(0, sd)) / max(0.1, math.cos(math.radians(lat)))
        return {**row, "lat": round(max(-90.0, min(90.0, lat2)), 5), "lon": round((lon2 + 180) % 360 - 180, 5)}

    def arrive(self, week: int) -> tuple[int, int]:
        """New referrals and recruits of the week before ``week``; returns their counts.

        A fixed number of draws per arrival from each stream keeps the streams aligned
        between policies (common random numbers).
        """
        p = self.params
        rng = self.referral_rng
        n = int(rng.poisson(p.referrals_per_week)) if self.cit_templates else 0
        for _ in range(n):
            template = self.cit_templates[int(rng.integers(len(self.cit_templates)))]
            day = int(rng.integers(7))
            row = self._jittered(self.cit_rows[template], rng)
            threshold = float(rng.exponential())
            row.update(name="", preferred_volunteers=(), excluded_volunteers=())
            referred = self.start + timedelta(days=7 * (week - 1) + day)
            self._add_citizen(self._new_id("c"), template, "referral", week, referred, threshold, row)
        rng = self.recruit_rng
        m = int(rng.poisson(p.recruits_per_week)) if self.vol_templates else 0
        for _ in range(m):
            template = self.vol_templates[int(rng.integers(len(self.vol_templates)))]
            row = self._jittered(self.vol_rows[template], rng)
            threshold = float(rng.exponential())
            row["name"] = ""
            self._add_volunteer(self._new_id("v"), template, "recruit", week, threshold, row)
        return n, m

    # ------------------------------------------------------------------ departures

    def depart(self, week: int) -> dict[str, int]:
        """Hazards of the week before ``week``: needs end, waiting citizens and volunteers leave."""
        p = self.params
        counts = {"needs_ended": 0, "waiting_left": 0, "volunteers_left": 0}
        match_rate, wait_rate = _rate(p.match_end_hazard), _rate(p.waiting_leave_hazard)
        for i, c in enumerate(self.citizens):
            if c.left_week is not None or c.first_week > week - 1:
                continue
            matched = self._first_week(i) is not None
            c.hazard += match_rate if matched else wait_rate
            if c.hazard >= c.threshold:
                self._citizen_leaves(i, week, "need ended" if matched else "left the waiting list")
                counts["needs_ended" if matched else "waiting_left"] += 1
        base_rate = _rate(p.volunteer_leave_hazard)
        heavy_rate = _rate(p.heavy_load_leave_hazard) if p.heavy_load_leave_hazard is not None else base_rate
        for j, v in enumerate(self.volunteers):
            if v.left_week is not None or v.first_week > week - 1:
                continue
            heavy = p.heavy_load_sessions is not None and self.load.get(j, 0) >= p.heavy_load_sessions
            v.hazard += heavy_rate if heavy else base_rate
            if v.hazard >= v.threshold:
                v.left_week, v.reason = week, "left after a heavy week" if heavy else "left"
                counts["volunteers_left"] += 1
                for key, m in list(self.running.items()):
                    if key[1] == j:
                        self._end_match(m, week, "volunteer left")
        return counts

    def _first_week(self, citizen: int) -> int | None:
        return self.first_session.get(citizen)

    def _citizen_leaves(self, i: int, week: int, reason: str) -> None:
        c = self.citizens[i]
        c.left_week, c.reason = week, reason
        for r in self.open_requests_of(i):
            req = self.requests[r]
            req.closed_week, req.reason = week, reason
        for key, m in list(self.running.items()):
            if self.requests[key[0]].citizen == i:
                self._end_match(m, week, reason)

    def _end_match(self, m: int, week: int, reason: str) -> None:
        match = self.matches[m]
        match.end_week, match.reason = week, reason
        del self.running[(match.request, match.volunteer)]

    def open_requests_of(self, citizen: int) -> list[int]:
        return [r for r in self.by_citizen[citizen] if self.requests[r].closed_week is None]

    # ------------------------------------------------------------------ the week scenario

    def monday(self, week: int) -> date:
        return self.start + timedelta(days=7 * week)

    def _day(self, w: _Window, week: int) -> str | None:
        """The row's day in ``week``: a weekday as is; a dated row when its cycle week is this one."""
        if w.offset is None:
            return w.day
        if w.offset // 7 != week % self.cycle:
            return None
        return (self.monday(week) + timedelta(days=w.offset % 7)).isoformat()

    def week_scenario(self, week: int) -> tuple[Scenario, list[int]]:
        """The one-week scenario of everyone active in ``week`` and the request indices planned in it."""
        vols = [j for j, v in enumerate(self.volunteers) if v.left_week is None and v.first_week <= week]
        active_v = set(vols)
        vids = {self.volunteers[j].pid for j in vols}
        cits = [i for i, c in enumerate(self.citizens) if c.left_week is None and c.first_week <= week]
        active_c = set(cits)
        reqs = [r for i in cits for r in self.open_requests_of(i)
                if self.requests[r].one_off_week is None or self.requests[r].one_off_week == week]
        # A citizen prefers their visiting friends: when a match's usual slot no longer fits
        # (an absence, a changed week), the engine then looks to the same volunteer first.
        friends: dict[int, list[str]] = defaultdict(list)
        for r, j in self.running:
            friends[self.requests[r].citizen].append(self.volunteers[j].pid)
        cit_rows = []
        for i in cits:
            pref, excl = self.prefs[i]
            pref = tuple(dict.fromkeys([*pref, *friends.get(i, ())]))
            cit_rows.append({**self.citizens[i].row,
                             "preferred_volunteers": tuple(v for v in pref if v in vids and v not in excl),
                             "excluded_volunteers": tuple(v for v in excl if v in vids)})
        va = [{"volunteer_id": self.volunteers[w.owner].pid, "day": d, "start": w.start, "end": w.end}
              for w in self.vol_windows if w.owner in active_v and (d := self._day(w, week)) is not None]
        ca = [{"citizen_id": self.citizens[w.owner].pid, "day": d, "start": w.start, "end": w.end}
              for w in self.cit_windows if w.owner in active_c and (d := self._day(w, week)) is not None]
        absent = []
        cycle_week = week % self.cycle
        lo, hi = 7 * cycle_week, 7 * cycle_week + 6
        shift = 7 * (week - cycle_week)
        for j, a, b in self.absences:
            if j in active_v and a <= hi and b >= lo:
                absent.append({"volunteer_id": self.volunteers[j].pid,
                               "from_date": self.start + timedelta(days=max(a, lo) + shift),
                               "to_date": self.start + timedelta(days=min(b, hi) + shift)})
        rids = {self.requests[r].rid for r in reqs}
        monday, sunday = self.monday(week), self.monday(week) + timedelta(days=6)
        pins = self.pins[[monday <= d <= sunday for d in self.pins["date"]]] if len(self.pins) else self.pins
        pins = pins[pins["request_id"].isin(rids) & pins["volunteer_id"].isin(vids)]
        pins.index = pd.Index(range(2, len(pins) + 2), name="row")
        name = f"{self.base.name or 'scenario'} week {week}"
        settings = replace(self.base.settings, start_date=monday, weeks=1, name=name)
        # Every row comes from the validated scenario (or a copy of one of its rows with a new id,
        # home and date), so the week is assembled without reading it again.
        scenario = Scenario(
            settings=settings,
            volunteers=_frame("volunteers", [self.volunteers[j].row for j in vols]),
            volunteer_availability=_frame("volunteer_availability", va),
            volunteer_absences=_frame("volunteer_absences", absent),
            citizens=_frame("citizens", cit_rows),
            citizen_availability=_frame("citizen_availability", ca),
            requests=_frame("requests", [self.requests[r].row for r in reqs]),
            pins=pins,
        )
        if self.params.locked_down(week):
            scenario = whatif.lockdown(scenario, True, self.lockdown_rng)
        return scenario, reqs

    def previous(self, week: int, scenario: Scenario) -> pd.DataFrame:
        """The running matches' sessions of their last served week, moved to ``week``.

        A session keeps its mode unless the request no longer allows it (a lock-down made
        it a call, or it ended): then it takes the request's mode now.
        """
        mode_now = dict(zip(scenario.requests["request_id"], scenario.requests["mode"]))
        dur = dict(zip(scenario.requests["request_id"], scenario.requests["duration_min"]))
        rows = []
        for (r, j), m in self.running.items():
            rid = self.requests[r].rid
            if rid not in mode_now:
                continue
            allowed = mode_now[rid]
            for weekday, start, mode in self.matches[m].slots:
                rows.append({"request_id": rid, "citizen_id": self.citizens[self.requests[r].citizen].pid,
                             "volunteer_id": self.volunteers[j].pid,
                             "date": (self.monday(week) + timedelta(days=weekday)).isoformat(),
                             "start": format_time(start), "end": format_time(start + int(dur[rid])),
                             "mode": mode if allowed == "either" else allowed})
        return pd.DataFrame(rows, columns=list(SCHEDULE_COLUMNS))

    # ------------------------------------------------------------------ recording a planned week

    def record(self, week: int, schedule: pd.DataFrame, planned: list[int]) -> dict[str, int]:
        """Take in the week's schedule: first sessions, matches started, kept, re-assigned; one-offs closed."""
        req_index = {self.requests[r].rid: r for r in planned}
        served: dict[int, dict[int, list[tuple[int, int, str, date]]]] = defaultdict(lambda: defaultdict(list))
        monday = self.monday(week)
        for rid, vid, day, start, mode in zip(schedule["request_id"], schedule["volunteer_id"], schedule["date"],
                                              schedule["start"], schedule["mode"]):
            d = date.fromisoformat(str(day))
            slot = ((d - monday).days, int(parse_time(str(start))), str(mode), d)
            served[req_index[rid]][self.vol_index[vid]].append(slot)
        self.load = defaultdict(int)
        started = first = 0
        for r, by_vol in served.items():
            req = self.requests[r]
            dates = [s[3] for slots in by_vol.values() for s in slots]
            req.sessions += len(dates)
            if req.first_date is None:
                req.first_date = min(dates)
            c = req.citizen
            if c not in self.first_session:
                self.first_session[c] = week
                self.first_date[c] = min(dates)
                first += 1
            elif self.first_session[c] == week:
                self.first_date[c] = min(self.first_date[c], min(dates))
            for j, slots in by_vol.items():
                self.load[j] += len(slots)
                key = (r, j)
                keep = [(wd, st, md) for wd, st, md, _ in sorted(slots)]
                if key in self.running:
                    m = self.matches[self.running[key]]
                    m.last_week, m.slots, m.sessions = week, keep, m.sessions + len(slots)
                elif req.one_off_week is None:
                    self.running[key] = len(self.matches)
                    self.matches.append(_Match(r, j, week, min(s[3] for s in slots), week, keep, len(slots)))
                    started += 1
                else:  # a one-off is an errand, not a friendship: recorded, never kept running
                    self.matches.append(_Match(r, j, week, min(s[3] for s in slots), week, keep, len(slots),
                                               end_week=week + 1, reason="one-off done"))
                    started += 1
            # Served this week by others only: the engine gave the request another volunteer.
            for key in [k for k in self.running if k[0] == r and k[1] not in by_vol]:
                self._end_match(self.running[key], week, "reassigned")
        for r in planned:
            req = self.requests[r]
            if req.one_off_week == week:
                req.closed_week, req.reason = week + 1, "done" if r in served else "one-off not served"
        closed = 0
        for i in {self.requests[r].citizen for r in planned}:
            c = self.citizens[i]
            if c.left_week is None and not self.open_requests_of(i):
                c.left_week = week + 1
                c.reason = "requests done" if i in self.first_session else "one-off not served"
                closed += 1
        return {"first_sessions": first, "matches_started": started, "citizens_done": closed}


    def still_waiting(self, week: int) -> int:
        """Citizens in the programme who have had no session up to and including ``week``."""
        return sum(1 for i, c in enumerate(self.citizens)
                   if c.first_week <= week and c.left_week is None and i not in self.first_session)

    # ------------------------------------------------------------------ the record as tables

    def tables(self, weeks_done: int, week_rows: list[dict[str, Any]]) -> dict[str, pd.DataFrame]:
        """The tidy tables of :class:`Simulation` after ``weeks_done`` weeks."""
        censor = self.monday(weeks_done)
        cit_rows = []
        for i, c in enumerate(self.citizens):
            left = c.left_week if c.left_week is not None and c.left_week <= weeks_done else None
            fs = self.first_date.get(i)
            reqs = [self.requests[r] for r in self.by_citizen[i]]
            cit_rows.append({
                "citizen_id": c.pid, "template": c.template, "cohort": c.cohort,
                "referral_date": c.referred, "first_week": c.first_week,
                "district": c.row["district"], "priority": int(c.row["priority"]),
                "languages": ";".join(c.row["languages"]),
                "activities": ";".join(sorted({r.row["activity"] for r in reqs})),
                "first_session_date": fs, "first_session_week": self.first_session.get(i),
                "left_week": left, "left_reason": c.reason if left is not None else "",
                "sessions": sum(r.sessions for r in reqs),
            })
        citizens = pd.DataFrame(cit_rows, columns=CITIZEN_COLUMNS)
        req_rows = []
        for r in self.requests:
            c = self.citizens[r.citizen]
            closed = r.closed_week if r.closed_week is not None and r.closed_week <= weeks_done else None
            req_rows.append({
                "request_id": r.rid, "citizen_id": c.pid, "template": r.template, "cohort": c.cohort,
                "referral_date": c.referred, "first_week": r.first_week,
                "activity": r.row["activity"], "mode": r.row["mode"],
                "sessions_per_week": int(r.row["sessions_per_week"]), "one_off": r.one_off_week is not None,
                "district": c.row["district"], "priority": int(c.row["priority"]),
                "languages": ";".join(c.row["languages"]),
                "first_session_date": r.first_date, "sessions": r.sessions,
                "closed_week": closed, "closed_reason": r.reason if closed is not None else "",
            })
        requests = pd.DataFrame(req_rows, columns=REQUEST_COLUMNS)
        vol_rows = []
        for v in self.volunteers:
            left = v.left_week if v.left_week is not None and v.left_week <= weeks_done else None
            vol_rows.append({
                "volunteer_id": v.pid, "template": v.template, "cohort": v.cohort, "join_week": v.first_week,
                "left_week": left, "left_reason": v.reason if left is not None else "",
                "languages": ";".join(v.row["languages"]), "skills": ";".join(v.row["skills"]),
                "max_sessions_per_week": v.row["max_sessions_per_week"],
            })
        volunteers = pd.DataFrame(vol_rows, columns=VOLUNTEER_COLUMNS)
        match_rows = []
        for m in self.matches:
            r = self.requests[m.request]
            ended = m.end_week is not None and m.end_week <= weeks_done
            match_rows.append({
                "request_id": r.rid, "citizen_id": self.citizens[r.citizen].pid,
                "volunteer_id": self.volunteers[m.volunteer].pid, "activity": r.row["activity"],
                "start_week": m.start_week, "start_date": m.start_date, "last_week": m.last_week,
                "sessions": m.sessions, "end_week": m.end_week if ended else None,
                "end_reason": m.reason if ended else "running",
                "weeks": (m.end_week if ended else weeks_done) - m.start_week,
            })
        matches = pd.DataFrame(match_rows, columns=MATCH_COLUMNS)
        sessions = (pd.concat(self.session_frames, ignore_index=True) if self.session_frames
                    else pd.DataFrame(columns=[*SCHEDULE_COLUMNS, "week"]))
        weeks = pd.DataFrame(week_rows)
        if len(weeks):
            weeks = _with_waiting_list(weeks, citizens, censor)
        return {"weeks": weeks, "citizens": citizens, "requests": requests, "volunteers": volunteers,
                "matches": matches, "sessions": sessions}


CITIZEN_COLUMNS = ["citizen_id", "template", "cohort", "referral_date", "first_week", "district", "priority",
                   "languages", "activities", "first_session_date", "first_session_week", "left_week", "left_reason",
                   "sessions"]
REQUEST_COLUMNS = ["request_id", "citizen_id", "template", "cohort", "referral_date", "first_week", "activity", "mode",
                   "sessions_per_week", "one_off", "district", "priority", "languages", "first_session_date",
                   "sessions", "closed_week", "closed_reason"]
VOLUNTEER_COLUMNS = ["volunteer_id", "template", "cohort", "join_week", "left_week", "left_reason", "languages",
                     "skills", "max_sessions_per_week"]
MATCH_COLUMNS = ["request_id", "citizen_id", "volunteer_id", "activity", "start_week", "start_date", "last_week",
                 "sessions", "end_week", "end_reason", "weeks"]


def _with_waiting_list(weeks: pd.DataFrame, citizens: pd.DataFrame, censor: date) -> pd.DataFrame:
    """Add the waiting list per week, counted from the citizens' records.

    ``on_list``: referred, in the programme and never visited when the week is planned;
    ``waiting``: of those, the ones the week's plan gave no session either.
    """
    del censor
    first = citizens["first_week"].to_numpy(int)
    fs = citizens["first_session_week"].astype(float).fillna(np.inf).to_numpy()
    left = citizens["left_week"].astype(float).fillna(np.inf).to_numpy()
    on_list, waiting = [], []
    for t in weeks["week"].to_numpy(int):
        on = (first <= t) & (fs >= t) & (left > t)
        on_list.append(int(on.sum()))
        waiting.append(int((on & (fs > t)).sum()))
    out = weeks.copy()
    out.insert(2, "on_list", on_list)
    out.insert(3, "waiting", waiting)
    return out


def simulate(
    scenario: Scenario,
    parameters: Parameters | None = None,
    *,
    weeks: int | None = None,
    seed: int = 0,
    method: str = "greedy",
    effort_per_week: float | None = None,
    time_limit_per_week: float | None = None,
    progress: bool = False,
    on_week: Callable[[WeekReport], None] | None = None,
    stop: threading.Event | None = None,
    weights: Weights | Mapping[str, int] | None = None,
) -> Simulation:
    """Simulate the programme of ``scenario`` week by week (see the module docstring).

    ``parameters``: rates, hazards and timed policies (:class:`Parameters`); or give only
    ``weeks`` for the defaults. ``method``: how each week is planned, ``"greedy"`` (the
    coordinator's way, fast) or ``"cpsat"`` (the optimiser). ``effort_per_week``: the
    optimiser's deterministic work budget per week (the same inputs and seed give the
    same simulation on any machine; :data:`DEFAULT_EFFORT_PER_WEEK` when neither budget is
    given); ``time_limit_per_week``: wall-clock seconds instead (or as well), which makes
    results depend on the machine. ``progress``: a tqdm bar over
    the weeks. ``on_week``: called after each week. ``stop``: once set, the simulation ends
    after the week being planned (``interrupted`` is then true) and returns what it has.
    ``weights``: the optimiser's objective weights for every week (:class:`workbench.Weights`).
    The scenario is never changed.
    """
    if parameters is None:
        if weeks is None:
            raise TypeError("simulate() needs parameters or weeks")
        parameters = Parameters(weeks=weeks)
    elif weeks is not None and weeks != parameters.weeks:
        raise TypeError(f"weeks={weeks} contradicts parameters.weeks={parameters.weeks}; give one of them")
    if method not in engine.METHODS:
        raise ValueError(f"method: expected one of {', '.join(engine.METHODS)}, got {method!r}")
    for name, value in (("effort_per_week", effort_per_week), ("time_limit_per_week", time_limit_per_week)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)
                                  or not math.isfinite(value) or value <= 0):
            raise ValueError(f"{name}: expected a positive number, got {value!r}")
    if method == "cpsat" and effort_per_week is None and time_limit_per_week is None:
        effort_per_week = DEFAULT_EFFORT_PER_WEEK
    elif method == "greedy":
        effort_per_week = time_limit_per_week = None  # greedy weeks need no budget
    n_citizens = int(scenario.requests["citizen_id"].nunique())
    params = parameters.resolved(citizens=n_citizens, volunteers=len(scenario.volunteers))
    t0 = time.perf_counter()
    prog = _Programme(scenario, params, seed)
    week_rows: list[dict[str, Any]] = []
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=params.weeks, unit="week", desc=scenario.name or "simulation", dynamic_ncols=True)
    interrupted = False
    done = 0
    try:
        for week in range(params.weeks):
            if stop is not None and stop.is_set():
                interrupted = True
                break
            t_week = time.perf_counter()
            events = {"referrals": 0, "recruits": 0, "needs_ended": 0, "waiting_left": 0, "volunteers_left": 0}
            if week > 0:
                events.update(prog.depart(week))
                events["referrals"], events["recruits"] = prog.arrive(week)
            week_scenario, planned = prog.week_scenario(week)
            previous = prog.previous(week, week_scenario)
            kwargs: dict[str, Any] = {"method": method, "previous": previous, "seed": week_seed(seed, week),
                                      "workers": 1, "stop": stop, "weights": weights}
            if method == "greedy":
                kwargs["time_limit"] = None
            else:
                kwargs["time_limit"] = time_limit_per_week
                if effort_per_week is not None:
                    kwargs["effort"] = effort_per_week
            result = engine.solve(week_scenario, **kwargs)
            schedule = result.schedule
            prog.session_frames.append(schedule.assign(week=week))
            recorded = prog.record(week, schedule, planned)
            k = result.kpis
            row = {
                "week": week, "date": prog.monday(week),
                **events,
                "first_sessions": recorded["first_sessions"],
                "active_citizens": len({r.split("\0")[0] for r in week_scenario.requests["citizen_id"]}),
                "active_volunteers": len(week_scenario.volunteers),
                "running_matches": len(prog.running),
                "matches_started": recorded["matches_started"],
                "demand_sessions": k.get("demand_sessions"), "sessions": len(schedule),
                "coverage": k.get("coverage"), "weighted_coverage": k.get("weighted_coverage"),
                "travel_km": k.get("travel_km"), "lockdown": params.locked_down(week),
                "status": result.status, "objective": result.objective, "bound": result.bound,
                "gap": k.get("gap"), "solve_seconds": round(result.seconds, 3),
                "week_seconds": round(time.perf_counter() - t_week, 3),
            }
            week_rows.append(row)
            done = week + 1
            if bar is not None:
                bar.update(1)
                bar.set_postfix(waiting=prog.still_waiting(week), volunteers=row["active_volunteers"], refresh=False)
            if on_week is not None:
                on_week(WeekReport(week, params.weeks, prog.still_waiting(week), row["active_citizens"],
                                   row["active_volunteers"], row["sessions"], str(result.status)))
    finally:
        if bar is not None:
            bar.close()
    tables = prog.tables(done, week_rows)
    return Simulation(
        scenario=scenario.name, start_date=scenario.settings.start_date, parameters=params, seed=seed, method=method,
        effort_per_week=effort_per_week, time_limit_per_week=time_limit_per_week, weeks_done=done,
        interrupted=interrupted or done < params.weeks, seconds=time.perf_counter() - t0, **tables,
    )


def _rows(table: pd.DataFrame, name: str) -> list[dict[str, Any]]:
    """The contract columns of a parsed table as row dicts (the user's extra columns do not plan)."""
    return table[list(COLUMNS[name])].to_dict("records")


def _frame(name: str, rows: list[dict[str, Any]]) -> pd.DataFrame:
    """Parsed rows as the reader lays a table out: object columns, rows numbered from 2."""
    cols = COLUMNS[name]
    frame = pd.DataFrame({c: pd.Series([r[c] for r in rows], dtype=object) for c in cols})
    frame.index = pd.Index(range(2, len(rows) + 2), name="row")
    return frame


def _windows_by_owner(table: pd.DataFrame, id_col: str, start: date) -> dict[str, list[_Window]]:
    out: dict[str, list[_Window]] = defaultdict(list)
    for owner, day, s, e in zip(table[id_col], table["day"], table["start"], table["end"]):
        day = str(day)
        offset = None if day in WEEKDAYS else (date.fromisoformat(day) - start).days
        out[owner].append(_Window(-1, day if offset is None else "", offset, int(s), int(e)))
    return out


def _absences_by_owner(table: pd.DataFrame, start: date) -> dict[str, list[tuple[int, int]]]:
    out: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for owner, a, b in zip(table["volunteer_id"], table["from_date"], table["to_date"]):
        out[owner].append(((a - start).days, (b - start).days))
    return out
