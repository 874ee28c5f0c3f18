"""A schedule under construction that knows, session by session, whether one more fits.

:class:`Plan` keeps the per-volunteer-day, per-citizen-day and per-week tallies
that the rules linking sessions (10–13) need, so inserting a session is checked
in near-constant time. The greedy method builds with it, and the optimiser uses
it to repair and to improve continuity. Rules 1–9 are guaranteed by inserting
only candidate triples (see :mod:`workbench.engine.candidates`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import TYPE_CHECKING, NamedTuple

import pandas as pd

from ..contract import SCHEDULE_COLUMNS
from ..index import ScenarioIndex
from ..timeutil import format_time
from ..validate import sort_schedule

if TYPE_CHECKING:
    from .candidates import Candidates


class Session(NamedTuple):
    """One placed session: request, volunteer and day positions, start minute and mode.

    A named tuple, not a dataclass: plans compare and hash sessions millions of times (taking one
    out of a list, sets of sessions), and a tuple does it in C (measured: the dataclass's ``__eq__``
    took 0.5 s of a medium city's greedy and swaps)."""

    req: int
    vol: int
    day: int
    start: int
    in_person: bool

    @property
    def week(self) -> int:
        return self.day // 7


def weighted_value(index: ScenarioIndex, sessions: Iterable[Session]) -> int:
    """Priority-weighted sessions of ``sessions`` (the primary aim's value)."""
    pr = index.priority
    return int(sum(int(pr[s.req]) for s in sessions))


class Plan:
    """Sessions placed so far, with the tallies the linking rules need."""

    def __init__(self, index: ScenarioIndex, sessions: list[Session] | None = None) -> None:
        self.index = index
        self._n = index.lists
        self.vol_day: dict[tuple[int, int], list[Session]] = defaultdict(list)
        self.cit_day: dict[tuple[int, int], list[tuple[int, int]]] = defaultdict(list)
        self.vol_week_n: dict[tuple[int, int], int] = defaultdict(int)
        self.vol_week_min: dict[tuple[int, int], int] = defaultdict(int)
        self.req_week_n: dict[tuple[int, int], int] = defaultdict(int)
        self.req_days: set[tuple[int, int]] = set()
        self._placed: dict[Session, None] = {}  # in the order placed; taking one out is O(1)
        for s in sessions or ():
            self.add(s)

    @property
    def sessions(self) -> list[Session]:
        """The sessions placed, in the order they were placed (a new list)."""
        return list(self._placed)

    # ------------------------------------------------------------------ rules 10–13
    def capacity_ok(self, req: int, vol: int, day: int) -> bool:
        """Rules 12–13 for one more session of ``req`` by ``vol`` on ``day``."""
        n = self._n
        w = day // 7
        if (req, day) in self.req_days or self.req_week_n[(req, w)] >= n.week_demand[req][w]:
            return False
        return self.volunteer_has_room(req, vol, w)

    def volunteer_has_room(self, req: int, vol: int, week: int) -> bool:
        """Rule 12 for one more session of ``req`` by ``vol`` in ``week``."""
        n = self._n
        return self.vol_week_n.get((vol, week), 0) + 1 <= n.max_sessions[vol] and \
            self.vol_week_min.get((vol, week), 0) + n.duration[req] <= n.max_minutes[vol]

    def fits_at(self, req: int, vol: int, day: int, start: int, in_person: bool) -> bool:
        """Rules 10–11 for a session starting at ``start`` (no overlap; travel between visits)."""
        ix, dur, req_cit = self.index, self._n.duration, self._n.req_cit
        end = start + dur[req]
        cit = req_cit[req]
        for s, e in self.cit_day.get((cit, day), ()):
            if s < end and start < e:
                return False
        prev = nxt = None
        for o in self.vol_day.get((vol, day), ()):
            o_end = o.start + dur[o.req]
            if o.start < end and start < o_end:
                return False
            if in_person and o.in_person:
                if o.start < start or (o.start == start and o_end <= end):
                    if prev is None or o.start > prev.start:
                        prev = o
                elif nxt is None or o.start < nxt.start:
                    nxt = o
        if prev is not None:
            gap = start - (prev.start + dur[prev.req])
            if gap < ix.travel(vol, req_cit[prev.req], cit):
                return False
        if nxt is not None and nxt.start - end < ix.travel(vol, cit, req_cit[nxt.req]):
            return False
        return True

    def find_start(self, req: int, vol: int, day: int, ranges: tuple[tuple[int, int], ...], in_person: bool,
                   prefer: int | None = None) -> int | None:
        """Earliest feasible start inside ``ranges`` (or ``prefer`` when it fits), else None.

        A feasible stretch always begins at a range start or right after another
        session (plus travel), so only those points need trying.
        """
        if prefer is not None and any(lo <= prefer <= hi for lo, hi in ranges) and \
                self.fits_at(req, vol, day, prefer, in_person):
            return prefer
        ix, dur, req_cit = self.index, self._n.duration, self._n.req_cit
        points = {lo for lo, _ in ranges}
        cit = req_cit[req]
        for o in self.vol_day.get((vol, day), ()):
            o_end = o.start + dur[o.req]
            points.add(o_end)
            if in_person and o.in_person:
                points.add(o_end + ix.travel(vol, req_cit[o.req], cit))
        for _s, e in self.cit_day.get((cit, day), ()):
            points.add(e)
        if len(ranges) == 1:  # most triples: one range, compared inline (a repair step's hot loop)
            (lo0, hi0), = ranges
            tries = [t for t in points if lo0 <= t <= hi0]
        else:
            tries = [t for t in points if any(lo <= t <= hi for lo, hi in ranges)]
        for t in sorted(tries):
            if self.fits_at(req, vol, day, t, in_person):
                return t
        return None

    # ------------------------------------------------------------------ changes
    def add(self, s: Session) -> None:
        w = s.day // 7
        dur = self._n.duration[s.req]
        self.vol_day[(s.vol, s.day)].append(s)
        self.cit_day[(self._n.req_cit[s.req], s.day)].append((s.start, s.start + dur))
        self.vol_week_n[(s.vol, w)] += 1
        self.vol_week_min[(s.vol, w)] += dur
        self.req_week_n[(s.req, w)] += 1
        self.req_days.add((s.req, s.day))
        self._placed[s] = None

    def remove(self, s: Session) -> None:
        """Take a placed session out again (undoing :meth:`add`)."""
        w = s.day // 7
        dur = self._n.duration[s.req]
        self.vol_day[(s.vol, s.day)].remove(s)
        self.cit_day[(self._n.req_cit[s.req], s.day)].remove((s.start, s.start + dur))
        self.vol_week_n[(s.vol, w)] -= 1
        self.vol_week_min[(s.vol, w)] -= dur
        self.req_week_n[(s.req, w)] -= 1
        self.req_days.discard((s.req, s.day))
        del self._placed[s]

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

    def place_like(self, cands: Candidates, req: int, positions: Iterable[int], like: Session) -> Session | None:
        """One session of ``req`` on the first of candidate ``positions`` that fits, placed as ``like``
        was (a session moved, not a new one): in its mode where that is allowed, at its start on its
        own day where that is free. Used by the repair and the continuity swaps."""
        vol, day, in_person, phone = cands.columns
        full: set[int] = set()  # volunteers whose week has no room for this request
        for i in positions:
            v, d = vol[i], day[i]
            if v in full:
                continue
            if not self.volunteer_has_room(req, v, d // 7):
                full.add(v)
                continue
            s = self.try_add(req, v, d, cands.starts[i], in_person[i], phone[i],
                             prefer=like.start if d == like.day else None, prefer_in_person=like.in_person)
            if s is not None:
                return s
        return None

    def place_with(self, cands: Candidates, req: int, vol: int, like: Session) -> Session | None:
        """One session of ``req`` with volunteer ``vol`` in ``like``'s week, placed as ``like`` was (see
        :meth:`place_like`): on ``like``'s own day first, then the other candidate days in order."""
        mine = cands.by_request_week.get((req, like.week))
        if mine is None:
            return None
        vols, days = cands.columns[0], cands.columns[1]
        tries = sorted((i for i in mine.tolist() if vols[i] == vol), key=lambda i: (days[i] != like.day, days[i]))
        return self.place_like(cands, req, tries, like)

    def remaining(self, req: int, week: int) -> int:
        """Sessions of ``req`` still demanded in ``week``."""
        return self._n.week_demand[req][week] - self.req_week_n[(req, week)]

    def weighted(self) -> int:
        """Priority-weighted sessions placed (the primary aim)."""
        return weighted_value(self.index, self._placed)

    def to_frame(self) -> pd.DataFrame:
        """The placed sessions in the contract's schedule columns, sorted as the contract asks."""
        return sessions_frame(self.index, self.sessions)


def sessions_frame(index: ScenarioIndex, sessions: list[Session]) -> pd.DataFrame:
    """Sessions in the contract's schedule columns (text cells), sorted as the contract asks."""
    rcit = index.citizen_ids[index.req_cit]
    rows = [{
        "request_id": index.request_ids[s.req],
        "citizen_id": rcit[s.req],
        "volunteer_id": index.volunteer_ids[s.vol],
        "date": index.dates[s.day].isoformat(),
        "start": format_time(s.start),
        "end": format_time(s.start + int(index.duration[s.req])),
        "mode": "in_person" if s.in_person else "phone",
    } for s in sessions]
    frame = pd.DataFrame(rows, columns=list(SCHEDULE_COLUMNS))
    return sort_schedule(frame) if len(frame) else frame
