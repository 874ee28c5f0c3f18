"""A schedule under construction that knows, session by session, whether one more fits.

:class:`Plan` keeps the per-volunteer-day, per-citizen-day and per-week tallies
that the linking rules (10–13) need, so inserting a session is checked in
constant-ish time. The greedy method builds with it, and the optimiser uses it
to repair and top up after timing. Single-session rules (1–9) are guaranteed by
only inserting candidate triples (see :mod:`workbench.candidates`).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .candidates import Candidates
from .contract import SCHEDULE_COLUMNS
from .geo import haversine_km, travel_minutes
from .scenario.types import Scenario
from .timeutil import format_time
from .validate import sort_schedule


@dataclass(frozen=True)
class Session:
    """One placed session: request, volunteer, date positions, start minute and mode."""

    req: int
    vol: int
    day: int
    start: int
    in_person: bool


class Plan:
    """Sessions placed so far, with the tallies the linking rules need."""

    def __init__(self, scenario: Scenario, cands: Candidates) -> None:
        self.scenario = scenario
        self.cands = cands
        st = scenario.settings
        req, vol, cit = scenario.requests, scenario.volunteers, scenario.citizens
        cpos = {c: i for i, c in enumerate(cit["citizen_id"])}
        self.req_cit = np.array([cpos[c] for c in req["citizen_id"]], int)
        self.duration = req["duration_min"].to_numpy(int)
        self.spw = req["sessions_per_week"].to_numpy(int)
        self.one_off = np.array([d is not None for d in req["date"]], bool)
        self.priority = cit["priority"].to_numpy(int)[self.req_cit]
        self.max_sessions = vol["max_sessions_per_week"].to_numpy(float)
        self.max_minutes = vol["max_minutes_per_week"].to_numpy(float)
        self.speed = np.array([st.speed_kmh[m] for m in vol["travel_mode"]], float)
        self.cit_lat = cit["lat"].to_numpy(float)
        self.cit_lon = cit["lon"].to_numpy(float)
        self.detour = st.detour_factor
        self.vol_day: dict[tuple[int, int], list[Session]] = defaultdict(list)
        self.cit_day: dict[tuple[int, int], list[tuple[int, int]]] = defaultdict(list)
        self.vol_week_n: dict[tuple[int, int], int] = defaultdict(int)
        self.vol_week_min: dict[tuple[int, int], int] = defaultdict(int)
        self.req_week_n: dict[tuple[int, int], int] = defaultdict(int)
        self.req_days: set[tuple[int, int]] = set()
        self.req_total: dict[int, int] = defaultdict(int)
        self.sessions: list[Session] = []
        self._travel: dict[tuple[int, int, int], int] = {}

    # ------------------------------------------------------------------ rules 10–13
    def travel(self, vol: int, c1: int, c2: int) -> int:
        """Travel minutes from citizen c1 to c2 for volunteer ``vol`` (contract formula)."""
        key = (vol, c1, c2)
        t = self._travel.get(key)
        if t is None:
            d = haversine_km(self.cit_lat[c1], self.cit_lon[c1], self.cit_lat[c2], self.cit_lon[c2])
            t = travel_minutes(d, self.detour, self.speed[vol])
            self._travel[key] = t
        return t

    def capacity_ok(self, req: int, vol: int, day: int) -> bool:
        """Rules 12–13 for one more session of ``req`` by ``vol`` on ``day``."""
        w = day // 7
        if (req, day) in self.req_days:
            return False
        if self.one_off[req]:
            if self.req_total[req] >= 1:
                return False
        elif self.req_week_n[(req, w)] >= self.spw[req]:
            return False
        if self.vol_week_n[(vol, w)] + 1 > self.max_sessions[vol]:
            return False
        return self.vol_week_min[(vol, w)] + self.duration[req] <= self.max_minutes[vol]

    def fits_at(self, req: int, vol: int, day: int, start: int, in_person: bool) -> bool:
        """Rules 10–11 for a session starting at ``start`` (no overlap; travel between visits)."""
        end = start + int(self.duration[req])
        cit = self.req_cit[req]
        for s, e in self.cit_day.get((cit, day), ()):
            if s < end and start < e:
                return False
        prev = nxt = None
        for o in self.vol_day.get((vol, day), ()):
            o_end = o.start + int(self.duration[o.req])
            if o.start < end and start < o_end:
                return False
            if in_person and o.in_person:
                if o.start < start or (o.start == start and o_end <= end):
                    if prev is None or o.start > prev.start:
                        prev = o
                elif nxt is None or o.start < nxt.start:
                    nxt = o
        if prev is not None:
            if start - (prev.start + int(self.duration[prev.req])) < self.travel(vol, self.req_cit[prev.req], cit):
                return False
        if nxt is not None:
            if nxt.start - end < self.travel(vol, cit, self.req_cit[nxt.req]):
                return False
        return True

    def find_start(self, req: int, vol: int, day: int, ranges: tuple[tuple[int, int], ...], in_person: bool,
                   prefer: int | None = None) -> int | None:
        """Earliest feasible start inside ``ranges`` (or ``prefer`` when it fits), else None.

        A feasible stretch always begins at a range start or right after another
        session (plus travel), so only those points need trying.
        """
        def inside(t: int) -> bool:
            return any(lo <= t <= hi for lo, hi in ranges)

        if prefer is not None and inside(prefer) and self.fits_at(req, vol, day, prefer, in_person):
            return prefer
        points = {lo for lo, _ in ranges}
        cit = self.req_cit[req]
        for o in self.vol_day.get((vol, day), ()):
            o_end = o.start + int(self.duration[o.req])
            points.add(o_end)
            if in_person and o.in_person:
                points.add(o_end + self.travel(vol, self.req_cit[o.req], cit))
        for _s, e in self.cit_day.get((cit, day), ()):
            points.add(e)
        for t in sorted(points):
            if inside(t) and self.fits_at(req, vol, day, t, in_person):
                return t
        return None

    # ------------------------------------------------------------------ changes
    def add(self, s: Session) -> None:
        w = s.day // 7
        dur = int(self.duration[s.req])
        self.vol_day[(s.vol, s.day)].append(s)
        self.cit_day[(self.req_cit[s.req], s.day)].append((s.start, s.start + dur))
        self.vol_week_n[(s.vol, w)] += 1
        self.vol_week_min[(s.vol, w)] += dur
        self.req_week_n[(s.req, w)] += 1
        self.req_total[s.req] += 1
        self.req_days.add((s.req, s.day))
        self.sessions.append(s)

    def remove(self, s: Session) -> None:
        """Take a placed session out again (undoing :meth:`add`)."""
        w = s.day // 7
        dur = int(self.duration[s.req])
        self.vol_day[(s.vol, s.day)].remove(s)
        self.cit_day[(self.req_cit[s.req], s.day)].remove((s.start, s.start + dur))
        self.vol_week_n[(s.vol, w)] -= 1
        self.vol_week_min[(s.vol, w)] -= dur
        self.req_week_n[(s.req, w)] -= 1
        self.req_total[s.req] -= 1
        self.req_days.discard((s.req, s.day))
        self.sessions.remove(s)

    def try_add(self, req: int, vol: int, day: int, ranges: tuple[tuple[int, int], ...], in_person_ok: bool,
                phone_ok: bool, prefer: int | None = None, prefer_in_person: bool = True) -> Session | None:
        """Place one session of ``req`` with ``vol`` on ``day`` if the rules allow; return it."""
        if not self.capacity_ok(req, vol, day):
            return None
        modes = [m for m, ok in ((True, in_person_ok), (False, phone_ok)) if ok]
        if not prefer_in_person:
            modes.reverse()
        for in_person in modes:
            t = self.find_start(req, vol, day, ranges, in_person, prefer)
            if t is not None:
                s = Session(req, vol, day, t, in_person)
                self.add(s)
                return s
        return None

    def remaining(self, req: int, week: int) -> int:
        """Sessions of ``req`` still demanded in ``week``."""
        if self.one_off[req]:
            return 1 - self.req_total[req]
        return int(self.spw[req]) - self.req_week_n[(req, week)]

    def weighted(self) -> int:
        """Priority-weighted sessions placed (the primary aim)."""
        return int(sum(self.priority[s.req] for s in self.sessions))

    def to_frame(self) -> pd.DataFrame:
        """The placed sessions in the contract's schedule columns, sorted as the contract asks."""
        sc = self.scenario
        rid = sc.requests["request_id"].to_numpy(object)
        rcit = sc.requests["citizen_id"].to_numpy(object)
        vid = sc.volunteers["volunteer_id"].to_numpy(object)
        dates = self.cands.dates
        rows = [{
            "request_id": rid[s.req],
            "citizen_id": rcit[s.req],
            "volunteer_id": vid[s.vol],
            "date": dates[s.day].isoformat(),
            "start": format_time(s.start),
            "end": format_time(s.start + int(self.duration[s.req])),
            "mode": "in_person" if s.in_person else "phone",
        } for s in self.sessions]
        frame = pd.DataFrame(rows, columns=list(SCHEDULE_COLUMNS))
        return sort_schedule(frame) if len(frame) else frame
