"""The baseline: what a careful coordinator does by hand.

Most urgent citizens first (priority, then those with the fewest possible
volunteers), week by week; for each request the first suitable volunteer
(one already serving it, then the citizen's preferred, then the nearest), at
the earliest time that keeps every rule. Agreed sessions (pins, then the
previous plan's sessions that still fit) are placed before anything else.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict

import numpy as np
import pandas as pd

from .candidates import Candidates
from .plan import Plan, Session
from .rules import kept_mode, pin_modes
from .scenario.types import Scenario
from .timeutil import parse_date, parse_time


def triples_by_request(cands: Candidates) -> dict[int, list[int]]:
    """Candidate triple positions per request, nearest volunteer first (then volunteer, date)."""
    out: dict[int, list[int]] = defaultdict(list)
    order = np.lexsort((cands.day, cands.vol, np.round(cands.distance_km, 3), cands.req))
    for i in order.tolist():
        out[int(cands.req[i])].append(i)
    return out


def agreed_positions(scenario: Scenario, cands: Candidates,
                     sessions: pd.DataFrame | None) -> list[tuple[int, int, object]]:
    """(candidate position, start minute, row) of each agreed session that is a candidate triple.

    ``sessions`` has request_id, volunteer_id, date and start (text or parsed), as a
    schedule, pins or a previous plan do; rows that are no longer candidates are left out.
    """
    if sessions is None or not len(sessions):
        return []
    rpos = {r: i for i, r in enumerate(scenario.requests["request_id"])}
    vpos = {v: i for i, v in enumerate(scenario.volunteers["volunteer_id"])}
    dpos = {d: i for i, d in enumerate(cands.dates)}
    out = []
    for row in sessions.itertuples(index=False):
        day = row.date if not isinstance(row.date, str) else parse_date(row.date)
        start = row.start if not isinstance(row.start, str) else parse_time(row.start)
        i = cands.index.get((rpos.get(str(row.request_id)), vpos.get(str(row.volunteer_id)), dpos.get(day)))
        if i is not None and start is not None:
            out.append((i, int(start), row))
    return out


def place_agreed(plan: Plan, sessions: pd.DataFrame, *, force: bool) -> int:
    """Place agreed sessions (request_id, volunteer_id, date, start[, mode]) that are candidates.

    ``force``: pins, already proven to fit together, are placed without re-checking
    the linking rules. Returns how many were placed.
    """
    cands = plan.cands
    placed = 0
    for i, start, row in agreed_positions(plan.scenario, cands, sessions):
        if not any(lo <= start <= hi for lo, hi in cands.starts[i]):
            continue
        r, v, d = int(cands.req[i]), int(cands.vol[i]), int(cands.day[i])
        mode = getattr(row, "mode", None)
        wants_phone = mode == "phone" or (mode is None and not cands.in_person[i])
        in_person = bool(cands.in_person[i]) and not wants_phone
        if not in_person and not cands.phone[i]:
            continue
        if force or (plan.capacity_ok(r, v, d) and plan.fits_at(r, v, d, start, in_person)):
            plan.add(Session(r, v, d, start, in_person))
            placed += 1
    return placed


def place_pins(plan: Plan) -> None:
    """Place every pin. Pins were checked together at load time in the modes of :func:`pin_modes`,
    so they are placed in those modes; an ``either`` pin without a mode of its own is then
    turned into a visit where that still keeps every rule."""
    pins = plan.scenario.pins
    if pins.empty:
        return
    modes = pin_modes(plan.scenario)
    place_agreed(plan, pins.assign(mode=modes.to_numpy()), force=True)
    request_mode = pins["request_id"].map(dict(zip(plan.scenario.requests["request_id"],
                                                   plan.scenario.requests["mode"])))
    free = (request_mode == "either") & ~kept_mode(pins).isin(["in_person", "phone"])
    rpos = {r: i for i, r in enumerate(plan.scenario.requests["request_id"])}
    dpos = {d: i for i, d in enumerate(plan.cands.dates)}
    for pin in pins[free].itertuples(index=False):
        s = next((s for s in plan.sessions if s.req == rpos[pin.request_id] and s.day == dpos.get(pin.date)), None)
        if s is None:
            continue
        plan.remove(s)
        if plan.fits_at(s.req, s.vol, s.day, s.start, True) and _visit_allowed(plan, s):
            plan.add(Session(s.req, s.vol, s.day, s.start, True))
        else:
            plan.add(s)


def _visit_allowed(plan: Plan, s: Session) -> bool:
    """The candidate triple of ``s`` allows an in-person visit (rule 7 reach)."""
    i = plan.cands.index.get((s.req, s.vol, s.day))
    return i is not None and bool(plan.cands.in_person[i])


def volunteer_order(plan: Plan, req: int, triples: list[int], serving: dict[int, list[int]]) -> list[int]:
    """Triples of ``req`` in a coordinator's order: current volunteer, preferred, then nearest.

    ``triples`` arrive sorted by distance, volunteer and date (see :func:`triples_by_request`),
    so a stable partition suffices.
    """
    sc, cands = plan.scenario, plan.cands
    preferred = set(sc.citizens["preferred_volunteers"].iat[plan.req_cit[req]])
    current = serving.get(req, [])
    if not preferred and not current:
        return triples
    vid = sc.volunteers["volunteer_id"].to_numpy(object)
    first = [i for i in triples if int(cands.vol[i]) in current]
    second = [i for i in triples if int(cands.vol[i]) not in current and vid[int(cands.vol[i])] in preferred]
    chosen = set(first) | set(second)
    return first + second + [i for i in triples if i not in chosen]


def fill(plan: Plan, weeks: list[int] | None = None, request_order: list[int] | None = None) -> int:
    """Greedily add sessions wherever demand is left; returns how many were added."""
    cands = plan.cands
    by_req = triples_by_request(cands)
    if request_order is None:
        request_order = urgent_first(plan, by_req)
    weeks = weeks if weeks is not None else sorted({int(d) // 7 for d in cands.day})
    serving: dict[int, list[int]] = defaultdict(list)
    for s in plan.sessions:
        if s.vol not in serving[s.req]:
            serving[s.req].append(s.vol)
    added = 0
    for w in weeks:
        for r in request_order:
            if plan.remaining(r, w) <= 0:
                continue
            for i in volunteer_order(plan, r, [i for i in by_req.get(r, ()) if int(cands.day[i]) // 7 == w], serving):
                s = plan.try_add(r, int(cands.vol[i]), int(cands.day[i]), cands.starts[i], bool(cands.in_person[i]),
                                 bool(cands.phone[i]))
                if s is not None:
                    added += 1
                    if s.vol not in serving[r]:
                        serving[r].append(s.vol)
                    if plan.remaining(r, w) <= 0:
                        break
    return added


def urgent_first(plan: Plan, by_req: dict[int, list[int]]) -> list[int]:
    """Requests by priority (highest first), then fewest candidate volunteers, then file order."""
    n = len(plan.priority)
    options = np.array([len({int(plan.cands.vol[i]) for i in by_req.get(r, ())}) for r in range(n)])
    return sorted(range(n), key=lambda r: (-int(plan.priority[r]), int(options[r]), r))


def solve_greedy(scenario: Scenario, cands: Candidates, previous: pd.DataFrame | None = None) -> Plan:
    """The coordinator's schedule: pins, then what still fits of ``previous``, then urgent-first filling."""
    plan = Plan(scenario, cands)
    place_pins(plan)
    if previous is not None and len(previous):
        prio = dict(zip(scenario.requests["request_id"], plan.priority))
        prev = previous.assign(_p=previous["request_id"].map(prio).fillna(0)).sort_values("_p", ascending=False)
        place_agreed(plan, prev, force=False)
    fill(plan)
    return plan


def improve_continuity(plan: Plan, fixed: set[tuple[int, int, int]], deadline: float = math.inf) -> int:
    """Move sessions so each recurring request keeps one visiting friend, one change at a time.

    For a request served by several volunteers, each session not with its main
    (most frequent) volunteer is offered to that volunteer on a candidate day of
    the same week (its own day and start first). If the main volunteer has no
    room, an exchange is tried: a session of the main volunteer that week whose
    request would be as well or better off with this session's volunteer swaps
    places with it. Nothing that does not fit is kept, so the priority served
    never changes; ``fixed`` (request, volunteer, day) sessions (pins, agreed)
    never move. Stops at ``deadline`` (``time.monotonic()``). Returns the number of sessions moved.
    """
    cands = plan.cands
    options: dict[tuple[int, int], list[int]] = defaultdict(list)
    for i, (r, v) in enumerate(zip(cands.req.tolist(), cands.vol.tolist())):
        options[(r, v)].append(i)
    by_req: dict[int, list[Session]] = defaultdict(list)
    for s in plan.sessions:
        by_req[s.req].append(s)

    def count(r: int, v: int) -> int:
        return sum(1 for s in by_req[r] if s.vol == v)

    def main_volunteer(r: int) -> int:
        counts: dict[int, int] = defaultdict(int)
        for s in by_req[r]:
            counts[s.vol] += 1
        return max(counts, key=lambda v: (counts[v], -v))

    def place(r: int, v: int, old: Session) -> Session | None:
        week = old.day // 7
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
            week = s.day // 7
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
