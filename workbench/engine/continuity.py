"""Continuity across weeks: a visiting friend is the same person every week.

The weeks are optimised apart (rules link sessions only within a day or a
week), so continuity needs a formulation of its own (modelling notes measured
that many extra Boolean terms in the week models slow CP-SAT noticeably):

1. :func:`choose_friends` picks, for every request with two or more sessions
   in the horizon, one volunteer — the one who serves it most often in the weeks'
   primary solutions, then the one agreed before, the citizen's own choice, the
   one able to serve it in the most weeks, the nearest;
2. each week then maximises the sessions with the chosen friend while keeping its
   primary value (:meth:`workbench.engine.weekly.WeekSearch.continuity`);
3. :func:`improve_continuity` finally moves single sessions, or exchanges two, so
   that each request keeps its most frequent volunteer where the rules allow,
   without giving up any priority.
"""

from __future__ import annotations

import math
import time
from collections import Counter, defaultdict

import numpy as np

from ..index import ScenarioIndex
from .candidates import Candidates
from .plan import Plan, Session


def recurring(index: ScenarioIndex) -> np.ndarray:
    """Requests with two or more sessions in the horizon (those continuity is about)."""
    return np.flatnonzero(index.week_demand.sum(axis=1) >= 2)


def choose_friends(index: ScenarioIndex, cands: Candidates, sessions: list[Session],
                   agreed: list[Session]) -> dict[int, int]:
    """Request → its visiting friend (see module docstring), for every recurring request with a candidate."""
    served: dict[int, Counter] = defaultdict(Counter)
    for s in sessions:
        served[s.req][s.vol] += 1
    before: dict[int, set[int]] = defaultdict(set)
    for s in agreed:
        before[s.req].add(s.vol)
    weeks_of: dict[tuple[int, int], set[int]] = defaultdict(set)
    near: dict[tuple[int, int], float] = {}
    for r, v, w, km in zip(cands.req.tolist(), cands.vol.tolist(), cands.week.tolist(), cands.distance_km.tolist()):
        weeks_of[(r, v)].add(w)
        near[(r, v)] = km
    options: dict[int, set[int]] = defaultdict(set)
    for r, v in weeks_of:
        options[r].add(v)
    friend: dict[int, int] = {}
    for r in recurring(index).tolist():
        vols = options.get(r)
        if not vols:
            continue
        weeks = set(np.flatnonzero(index.week_demand[r]).tolist())
        # A friend who cannot come in some week of demand breaks continuity for sure, so those
        # who can serve every such week come first.
        friend[r] = max(vols, key=lambda v: (weeks <= weeks_of[(r, v)], served[r][v], v in before[r],
                                             v in index.preferred[r], len(weeks_of[(r, v)]), -near[(r, v)], -v))
    return friend


def improve_continuity(plan: Plan, cands: Candidates, fixed: set[tuple[int, int, int]],
                       deadline: float = math.inf) -> int:
    """Move sessions so each recurring request keeps one visiting friend, one change at a time.

    For a request served by several volunteers, each session not with its main
    (most frequent) volunteer is offered to that volunteer on a candidate day of
    the same week (its own day and start first). If the main volunteer has no
    room, an exchange is tried: a session of the main volunteer that week whose
    request would be as well or better off with this session's volunteer swaps
    places with it. Nothing that does not fit is kept, so the priority served
    never changes; ``fixed`` (request, volunteer, day) sessions (agreed) never
    move. Stops at ``deadline`` (``time.monotonic()``). Returns the sessions moved.
    """
    options: dict[tuple[int, int], list[int]] = defaultdict(list)
    for i, (r, v) in enumerate(zip(cands.req.tolist(), cands.vol.tolist())):
        options[(r, v)].append(i)
    by_req: dict[int, list[Session]] = defaultdict(list)
    for s in plan.sessions:
        by_req[s.req].append(s)

    def count(r: int, v: int) -> int:
        return sum(1 for s in by_req[r] if s.vol == v)

    def main_volunteer(r: int) -> int:
        counts = Counter(s.vol for s in by_req[r])
        return max(counts, key=lambda v: (counts[v], -v))

    def place(r: int, v: int, old: Session) -> Session | None:
        week = old.week
        tries = sorted((i for i in options.get((r, v), ()) if int(cands.day[i]) // 7 == week),
                       key=lambda i: (int(cands.day[i]) != old.day, int(cands.day[i])))
        for i in tries:
            new = plan.try_add(r, v, int(cands.day[i]), cands.starts[i], bool(cands.in_person[i]),
                               bool(cands.phone[i]), prefer=old.start if int(cands.day[i]) == old.day else None,
                               prefer_in_person=old.in_person)
            if new is not None:
                return new
        return None

    def swap(old: list[Session], new: list[tuple[int, int]]) -> bool:
        """Replace the ``old`` sessions by (request, volunteer) ``new`` ones, or change nothing."""
        for s in old:
            plan.remove(s)
        placed: list[Session] = []
        for (r, v), s in zip(new, old):
            got = place(r, v, s)
            if got is None:
                for p in placed:
                    plan.remove(p)
                for o in old:
                    plan.add(o)
                return False
            placed.append(got)
        for s, p in zip(old, placed):
            by_req[s.req].remove(s)
            by_req[p.req].append(p)
        return True

    moves = 0
    for r in list(by_req):
        if time.monotonic() > deadline:
            break
        if len({s.vol for s in by_req[r]}) < 2:
            continue
        target = main_volunteer(r)
        for s in [s for s in by_req[r] if s.vol != target and (s.req, s.vol, s.day) not in fixed]:
            if swap([s], [(r, target)]):
                moves += 1
                continue
            week = s.week
            # A partner request loses nothing by the exchange: it has at least as many sessions
            # with this session's volunteer as it would keep with the main one.
            week_sessions = [o for d in range(7 * week, 7 * week + 7) for o in plan.vol_day.get((target, d), ())]
            partners = [o for o in week_sessions if o.req != r and (o.req, o.vol, o.day) not in fixed
                        and count(o.req, s.vol) >= count(o.req, target) - 1]
            for o in partners:
                if swap([s, o], [(r, target), (o.req, s.vol)]):
                    moves += 2
                    break
    return moves
