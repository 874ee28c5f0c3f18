"""The baseline: what a careful coordinator does by hand.

Agreed sessions first (pins, then the kept sessions of an agreed schedule);
then most urgent citizens first (priority, then those with the fewest possible
volunteers), week by week; for each request the first suitable volunteer (one
already serving it, then the citizen's preferred, then the nearest), at the
earliest time that keeps every rule. It is the optimiser's warm start and
fallback, and the repair step of every schedule.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

import numpy as np

from .candidates import Candidates
from .plan import Plan, Session

# How many requests the filler places between two looks at the clock.
CLOCK_EVERY = 200


def urgent_first(plan: Plan, cands: Candidates) -> list[int]:
    """Requests by priority (highest first), then fewest candidate volunteers, then file order."""
    ix = plan.index
    n = ix.n_requests
    pairs = np.unique(cands.req.astype(np.int64) * max(1, ix.n_volunteers) + cands.vol)
    options = np.bincount((pairs // max(1, ix.n_volunteers)).astype(int), minlength=n)
    return sorted(range(n), key=lambda r: (-int(ix.priority[r]), int(options[r]), r))


def volunteer_order(plan: Plan, req: int, triples: np.ndarray, cands: Candidates, serving: dict[int, list[int]],
                    suggested: frozenset[int] | set[int] = frozenset()) -> list[int]:
    """Triples of ``req`` in a coordinator's order: current volunteer, suggested, preferred, then nearest.

    ``triples`` arrive nearest first (see :attr:`Candidates.by_request_week`), so a
    stable partition suffices.
    """
    preferred = plan.index.preferred[req]
    current = serving.get(req, [])
    tl = triples.tolist()
    if not preferred and not current and not suggested:
        return tl
    ranks = [0 if v in current else 1 if v in suggested else 2 if v in preferred else 3
             for v in cands.vol[triples].tolist()]
    return [tl[k] for k in sorted(range(len(tl)), key=ranks.__getitem__)]  # stable: nearest first within a rank


def fill(plan: Plan, cands: Candidates, weeks: list[int] | None = None, request_order: list[int] | None = None,
         out_of_time: Callable[[], bool] = lambda: False,
         suggested: dict[tuple[int, int], set[int]] | None = None, friends: dict[int, int] | None = None,
         only: dict[int, int] | None = None) -> int:
    """Greedily add sessions wherever demand is left; returns how many were added.

    ``suggested``: (request, week) → volunteers to try right after the current one (the
    flow bound's assignment makes a strong warm start). ``friends``: request → a volunteer
    tried first in every week, as if already serving it (the visiting friend chosen for the
    horizon). ``only``: request → the one volunteer it may be given (a request that keeps one
    visiting friend; filtering here instead of copying the candidates without the others saves
    ~1 s on medium-city's 670,000 triples). Stops between requests once ``out_of_time()`` is true
    (what was placed stays).
    """
    suggested = suggested or {}
    groups = cands.by_request_week
    if request_order is None:
        request_order = urgent_first(plan, cands)
    weeks = weeks if weeks is not None else list(range(plan.index.weeks))
    serving: dict[int, list[int]] = defaultdict(list)
    for r, v in (friends or {}).items():
        serving[r].append(v)
    for s in plan.sessions:
        if s.vol not in serving[s.req]:
            serving[s.req].append(s.vol)
    vol, day, in_person, phone = cands.columns
    added = 0
    count = 0
    for w in weeks:
        for r in request_order:
            count += 1
            if count % CLOCK_EVERY == 0 and out_of_time():
                return added
            if plan.remaining(r, w) <= 0:
                continue
            mine = groups.get((r, w))
            if mine is not None and only is not None and r in only:
                mine = mine[cands.vol[mine] == only[r]]
            if mine is None or not len(mine):
                continue
            for i in volunteer_order(plan, r, mine, cands, serving, suggested.get((r, w), frozenset())):
                s = plan.try_add(r, vol[i], day[i], cands.starts[i], in_person[i], phone[i])
                if s is not None:
                    added += 1
                    if s.vol not in serving[r]:
                        serving[r].append(s.vol)
                    if plan.remaining(r, w) <= 0:
                        break
    return added


def solve_greedy(plan: Plan, cands: Candidates, out_of_time: Callable[[], bool] = lambda: False) -> Plan:
    """The coordinator's schedule: ``plan`` (holding the agreed sessions) filled urgent-first."""
    fill(plan, cands, out_of_time=out_of_time)
    return plan


def sessions_by_week(sessions: list[Session]) -> dict[int, list[Session]]:
    out: dict[int, list[Session]] = defaultdict(list)
    for s in sessions:
        out[s.week].append(s)
    return out


def fill_by_moving(plan: Plan, cands: Candidates, fixed: set[tuple[int, int, int]],
                   out_of_time: Callable[[], bool] = lambda: False, friends: dict[int, int] | None = None,
                   wanted: dict[tuple[int, int], float] | None = None, only: dict[int, int] | None = None) -> int:
    """Add missing sessions by moving one placed session out of the way; returns how many were added.

    For a request-week still short (urgent first), each candidate (volunteer, day) whose day
    is taken: one session of that volunteer that day (never an agreed one, ``fixed``) is taken
    out, the missing session is placed, and the one taken out goes to another of its own
    candidates in its week (its volunteer on another day first, so a visiting friend stays);
    if it cannot, everything goes back. No placed session is lost, so the priority served
    only grows. This finds what the filler alone cannot: after the week models, the days are
    packed and a dropped session (a timing conflict) rarely fits anywhere as it is.
    ``friends``: request → visiting friend; a session with its request's friend moves to another
    volunteer only if all the request's sessions can move with it (it keeps one friend).
    ``wanted``: (request, week) → sessions a relaxation gives it; only request-weeks the plan
    serves less than that are tried (the others are short in the relaxation too).
    ``only``: request → the one volunteer its missing sessions may be given (see :func:`fill`).
    """
    groups = cands.by_request_week
    vol, day, starts = cands.vol, cands.day, cands.starts
    vol_l, day_l, in_person_l, phone_l = cands.columns
    ix = plan.index
    duration, cit = ix.duration, ix.req_cit
    added = 0
    count = 0
    # Most tries fail. A session that could not move away from a missing one of the same length (of
    # another citizen) cannot for another either, until something is placed: the missing session's
    # start matters only to its own citizen's day, its length only to the volunteer's weekly
    # minutes. Measured on medium-alien from its greedy schedule: the same 193 sessions added, in
    # 15–19 s instead of 20–24 s.
    stuck: set[tuple[Session, int]] = set()

    n_days = len(ix.dates)

    def rehome(b: Session, g: int) -> bool:
        """Move ``b``'s request's other sessions (all with ``b``'s volunteer) to ``g``, or change nothing
        (nothing where one of them is agreed: an agreed session never moves)."""
        others = [x for dd in range(n_days) for x in plan.vol_day.get((b.vol, dd), ()) if x.req == b.req and x != b]
        if any((x.req, x.vol, x.day) in fixed for x in others):
            return False
        done: list[tuple[Session, Session]] = []
        for o in others:
            plan.remove(o)
            new = plan.place_with(cands, o.req, g, o)
            if new is None:
                plan.add(o)
                for old, placed in reversed(done):
                    plan.remove(placed)
                    plan.add(old)
                return False
            done.append((o, new))
        return True

    def relocate(b: Session) -> Session | None:
        mine = groups.get((b.req, b.week))
        if mine is None:
            return None
        v, d = vol[mine], day[mine]
        # its own volunteer first (on another day), so a visiting friend stays; then other days first
        rank = 2 * (v != b.vol) + (d == b.day)
        keep = (v != b.vol) | (d != b.day)
        ordered = mine[keep][np.argsort(rank[keep], kind="stable")].tolist()
        if friends is None or friends.get(b.req) != b.vol:
            return plan.place_like(cands, b.req, ordered, b)
        # A visiting friend's session goes to another volunteer only with all its request's sessions.
        by_vol: dict[int, list[int]] = {}  # the positions per volunteer, in ``ordered``'s order
        for i in ordered:
            by_vol.setdefault(vol_l[i], []).append(i)
        moved = plan.place_like(cands, b.req, by_vol.pop(b.vol, []), b)
        if moved is not None:
            return moved
        for g, tries in by_vol.items():
            moved = plan.place_like(cands, b.req, tries, b)
            if moved is not None:
                if rehome(b, g):
                    return moved
                plan.remove(moved)
        return None

    order = urgent_first(plan, cands)  # the same every week: it reads the index and candidates only
    for w in range(plan.index.weeks):
        for r in order:
            if plan.remaining(r, w) <= 0:
                continue
            if wanted is not None and plan.req_week_n[(r, w)] >= wanted.get((r, w), 0.0) - 1e-6:
                continue
            mine = groups.get((r, w))
            if mine is None:
                continue
            if only is not None and r in only:
                mine = mine[cands.vol[mine] == only[r]]
            tries = mine.tolist()
            if friends is not None and r in friends:  # its friend's days first
                tries.sort(key=lambda i, f=friends[r]: vol_l[i] != f)
            for i in tries:
                count += 1
                if count % CLOCK_EVERY == 0 and out_of_time():
                    return added
                v, d = vol_l[i], day_l[i]
                placed = None
                for b in list(plan.vol_day.get((v, d), ())):
                    if (b.req, b.vol, b.day) in fixed or b.req == r:
                        continue
                    key = (b, int(duration[r])) if cit[r] != cit[b.req] else None
                    if key in stuck:
                        continue
                    plan.remove(b)
                    s = plan.try_add(r, v, d, starts[i], in_person_l[i], phone_l[i])
                    if s is not None:
                        moved = relocate(b)
                        if moved is not None:
                            placed = s
                            break
                        plan.remove(s)
                        if key is not None:
                            stuck.add(key)
                    plan.add(b)
                if placed is not None:
                    added += 1
                    stuck.clear()
                    if plan.remaining(r, w) <= 0:
                        break
    return added
