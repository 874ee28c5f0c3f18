"""Cross-week neighbourhoods: a few volunteers' whole horizon searched again, continuity in the model.

The week models see one week each, so what ties the weeks together (one visiting friend per
request) is reached by choosing friends before them and by swaps after them; neither can change
*which* request-weeks are served to make room for a friend (with a medium-city schedule's served
request-weeks fixed, the best choice of volunteers keeps one friend for 0.79 of the requests,
proven). Here a small set of volunteers is taken out of the schedule in every week at once and
CP-SAT plans their sessions again, over every candidate (request, volunteer, day) among them:

- the hard rules exactly: each session on its start ranges, no two of a volunteer's or a
  citizen's sessions overlapping (the sessions others keep included), the trip between two
  visits of a volunteer in whichever order they come (rule 10), a request at most once a day and
  its weekly sessions (13), the volunteers' weekly sessions and minutes (12);
- continuity as the model's own aim: per recurring request a friend literal per volunteer and a
  literal "kept by one volunteer", which forbids its sessions with any other (a request that
  others outside the neighbourhood serve can keep only that one);
- lexicographic: the priority-weighted sessions never fall below what the schedule has, then the
  requests kept by one volunteer, then the sessions kept as they were (few changes).

A neighbourhood starts from a request served by several volunteers: those volunteers, and the
volunteers most able to take over their other sessions or the whole request. What it finds is
placed session by session through :class:`.plan.Plan`'s rule checks and undone should any fail.
"""

from __future__ import annotations

import logging
import math
import random
import time
from collections import Counter, defaultdict
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
from ortools.sat.python import cp_model

from ..index import ScenarioIndex
from .budget import Budget
from .candidates import Candidates
from .continuity import served_twice
from .formulation import start_var, trip_between
from .plan import Plan, Session, weighted_value
from .tuning import TUNING, Tuning

log = logging.getLogger("workbench.engine")


@dataclass
class CrossWeekModel:
    """A neighbourhood's model and its named handles (one entry per candidate triple searched)."""

    model: cp_model.CpModel
    triples: np.ndarray  # candidate positions
    x: list  # session served on that triple
    start: list
    in_person: list
    kept: dict[int, cp_model.IntVar] = field(default_factory=dict)  # request → "kept by one volunteer"
    friend: dict[tuple[int, int], cp_model.IntVar] = field(default_factory=dict)  # (request, volunteer)
    primary: cp_model.LinearExpr | int = 0


class _Sessions:
    """The plan's sessions by request, volunteer and citizen, kept in step with what the stage applies:
    a neighbourhood then reads its own sessions, not the whole plan (city-large holds ~22,000; each
    neighbourhood scanned them five times)."""

    def __init__(self, plan: Plan) -> None:
        self._cit = plan.index.lists.req_cit
        self.req: dict[int, dict[Session, None]] = defaultdict(dict)
        self.vol: dict[int, dict[Session, None]] = defaultdict(dict)
        self.cit: dict[int, dict[Session, None]] = defaultdict(dict)
        for s in plan.sessions:
            self.add(s)

    def add(self, s: Session) -> None:
        self.req[s.req][s] = None
        self.vol[s.vol][s] = None
        self.cit[int(self._cit[s.req])][s] = None

    def remove(self, s: Session) -> None:
        del self.req[s.req][s], self.vol[s.vol][s], self.cit[int(self._cit[s.req])][s]

    def split(self, r: int) -> Counter | None:
        """``r``'s sessions per volunteer if it is served twice or more by several, else None."""
        c = Counter(s.vol for s in self.req.get(r, ()))
        return c if len(c) > 1 and sum(c.values()) >= 2 else None

    def broken(self) -> dict[int, Counter]:
        """Request → its sessions per volunteer, for every request :meth:`split` finds split."""
        return {r: c for r in self.req if (c := self.split(r)) is not None}


def score_with_friends(index: ScenarioIndex, sessions: list[Session], worth: float) -> tuple[float, int]:
    """The value of ``sessions`` for the search: priority-weighted sessions plus ``worth`` per request
    served twice or more by one volunteer (then those requests alone, for ties; with ``worth`` 0
    lexicographic)."""
    single = len(served_twice(sessions)[1])
    return weighted_value(index, sessions) + worth * single, single


def build_cross_week_model(index: ScenarioIndex, cands: Candidates, triples: np.ndarray, others: list[Session],
                           held: list[Session], before: list[Session], recurring: set[int], worth: float = 0.0,
                           slack: int = 0) -> CrossWeekModel:
    """The model of one neighbourhood (see module docstring), a pure function of its inputs.

    ``triples``: candidate positions the freed volunteers may serve; ``others``: every session
    that stays (of the neighbourhood's requests and citizens, and agreed sessions of its
    volunteers); ``held``: those of ``others`` that are the neighbourhood volunteers' own (agreed);
    ``before``: the freed sessions as they were (their primary value is the floor, and the model
    keeps them where it can); ``recurring``: requests continuity is about; ``worth``: a request kept
    by one volunteer against priority points given up for it, at most ``slack`` points in all (0:
    lexicographic, no session is given up).
    """
    m = cp_model.CpModel()
    n = index.lists
    rid, vid = index.request_ids, index.volunteer_ids
    req, vol, day = cands.req[triples], cands.vol[triples], cands.day[triples]
    x, start, in_p, ivs = [], [], [], []
    was = {(s.req, s.vol, s.day) for s in before}
    keep_terms: list = []
    # The triples' positions (k) grouped as each family of rows needs them.
    by_req_day: dict[tuple[int, int], list[int]] = defaultdict(list)
    by_req_week: dict[tuple[int, int], list[int]] = defaultdict(list)
    by_vol_week: dict[tuple[int, int], list[int]] = defaultdict(list)
    vol_day: dict[tuple[int, int], list[int]] = defaultdict(list)
    cit_day: dict[tuple[int, int], list[int]] = defaultdict(list)
    by_req_vol: dict[int, dict[int, list[int]]] = defaultdict(lambda: defaultdict(list))
    dur, cit = n.duration, n.req_cit
    for k, t in enumerate(triples.tolist()):
        r, v, d = int(req[k]), int(vol[k]), int(day[k])
        name = f"{rid[r]},{vid[v]},{index.dates[d]}"
        xs = m.new_bool_var(f"session[{name}]")
        st = start_var(m, cands, t, f"start[{name}]")
        ip_ok, ph_ok = bool(cands.in_person[t]), bool(cands.phone[t])
        ip = m.new_bool_var(f"in_person[{name}]") if ip_ok and ph_ok else m.new_constant(int(ip_ok))
        x.append(xs)
        start.append(st)
        in_p.append(ip)
        ivs.append(m.new_optional_fixed_size_interval_var(st, int(dur[r]), xs, f"visit[{name}]"))
        if (r, v, d) in was:
            keep_terms.append(xs)
        by_req_day[(r, d)].append(k)
        by_req_week[(r, d // 7)].append(k)
        by_vol_week[(v, d // 7)].append(k)
        vol_day[(v, d)].append(k)
        cit_day[(int(cit[r]), d)].append(k)
        by_req_vol[r][v].append(k)
    # Rule 13: a request at most once a day, and its weekly sessions, after what others serve.
    taken_day = {(s.req, s.day) for s in others}
    taken_week = Counter((s.req, s.day // 7) for s in others)
    for (r, d), ks in by_req_day.items():
        m.add(sum(x[k] for k in ks) <= (0 if (r, d) in taken_day else 1))
    for (r, w), ks in by_req_week.items():
        m.add(sum(x[k] for k in ks) <= max(0, int(n.week_demand[r][w]) - taken_week[(r, w)]))
    # Rule 12: each volunteer's week, after their agreed sessions.
    held_n = Counter((s.vol, s.day // 7) for s in held)
    held_min: Counter = Counter()
    for s in held:
        held_min[(s.vol, s.day // 7)] += int(dur[s.req])
    for (v, w), ks in by_vol_week.items():
        if math.isfinite(n.max_sessions[v]):  # a volunteer may have no limit
            m.add(sum(x[k] for k in ks) <= int(n.max_sessions[v]) - held_n[(v, w)])
        if math.isfinite(n.max_minutes[v]):
            m.add(sum(int(dur[int(req[k])]) * x[k] for k in ks) <= int(n.max_minutes[v]) - held_min[(v, w)])
    # Rules 10 and 11: no overlap per volunteer's and per citizen's day, with what stays fixed.
    fixed_iv = {s: m.new_fixed_size_interval_var(s.start, int(dur[s.req]), f"kept[{rid[s.req]},{s.day}]")
                for s in others}
    held_vol_day: dict[tuple[int, int], list[Session]] = defaultdict(list)
    for s in held:
        held_vol_day[(s.vol, s.day)].append(s)
    others_cit_day: dict[tuple[int, int], list[Session]] = defaultdict(list)
    for s in others:
        others_cit_day[(int(cit[s.req]), s.day)].append(s)
    for key, ks in cit_day.items():
        ivl = [ivs[k] for k in ks] + [fixed_iv[s] for s in others_cit_day.get(key, ())]
        if len(ivl) > 1:
            m.add_no_overlap(ivl)
    for (v, d), ks in vol_day.items():
        kept = held_vol_day.get((v, d), [])
        ivl = [ivs[k] for k in ks] + [fixed_iv[s] for s in kept]
        if len(ivl) > 1:
            m.add_no_overlap(ivl)
        visits = [k for k in ks if cands.in_person[int(triples[k])]]
        for a_i, a in enumerate(visits):
            ra, ca = int(req[a]), int(cit[int(req[a])])
            for b in visits[a_i + 1:]:
                rb, cb = int(req[b]), int(cit[int(req[b])])
                if ra != rb:
                    trip_between(m, start[a], start[b], int(dur[ra]), int(dur[rb]), index.travel(v, ca, cb),
                                  index.travel(v, cb, ca), [x[a], x[b], in_p[a], in_p[b]],
                                  f"order[{vid[v]},{d},{a},{b}]")
            for s in kept:
                if s.in_person:
                    cs = int(cit[s.req])
                    trip_between(m, start[a], m.new_constant(s.start), int(dur[ra]), int(dur[s.req]),
                                  index.travel(v, ca, cs), index.travel(v, cs, ca), [x[a], in_p[a]],
                                  f"order[{vid[v]},{d},{a},kept]")
    # Continuity: "kept" forbids every session of the request but with its one friend.
    outside = defaultdict(set)
    n_outside: Counter = Counter()
    for s in others:
        outside[s.req].add(s.vol)
        n_outside[s.req] += 1
    kept_lits: dict[int, cp_model.IntVar] = {}
    friends: dict[tuple[int, int], cp_model.IntVar] = {}
    for r, per_vol in by_req_vol.items():
        if r not in recurring or len(outside[r]) > 1:
            continue
        c = m.new_bool_var(f"kept_by_one[{rid[r]}]")
        kept_lits[r] = c
        # Kept only when served twice or more (as the kpi counts it): else dropping to one session
        # would "keep" a friend.
        m.add(2 * c <= sum(x[k] for ks in per_vol.values() for k in ks) + n_outside[r])
        if outside[r]:  # the one friend is the volunteer whose session stays
            (u,) = outside[r]
            for v, ks in per_vol.items():
                for k in ks if v != u else ():
                    m.add_implication(c, ~x[k])
            continue
        friend = {v: m.new_bool_var(f"friend[{rid[r]},{vid[v]}]") for v in per_vol}
        friends.update({(r, v): f for v, f in friend.items()})
        m.add(sum(friend.values()) == c)
        for v, ks in per_vol.items():
            for k in ks:
                # x ≤ friend[v] + (1 - c): with a friend chosen, sessions with anyone else are off.
                m.add(x[k] <= friend[v] + 1 - c)
    pr = index.priority
    primary = cp_model.LinearExpr.weighted_sum(x, [int(pr[int(r)]) for r in req.tolist()])
    floor = int(sum(int(pr[s.req]) for s in before))
    m.add(primary >= floor - slack)
    # Integer weights: the sessions kept as they were below one tenth of a priority point (ties only).
    tenth = len(keep_terms) + 1
    per_point = 10 * tenth
    per_friend = round(10 * worth) * tenth if worth > 0 else tenth
    if worth <= 0:  # lexicographic: a priority point above every friend
        per_point = per_friend * (len(kept_lits) + 1)
    m.maximize(per_point * primary + per_friend * sum(kept_lits.values()) + sum(keep_terms))
    return CrossWeekModel(model=m, triples=triples, x=x, start=start, in_person=in_p, kept=kept_lits,
                          friend=friends, primary=primary)


def _hint(cw: CrossWeekModel, cands: Candidates, before: list[Session], others: list[Session]) -> None:
    """The freed sessions as they were: a feasible start for the search (its friends and "kept by one"
    literals too; the order literals are left to the search)."""
    friend_of = served_twice(before + others)[1]
    for r, c in cw.kept.items():
        cw.model.add_hint(c, r in friend_of)
    for (r, v), f in cw.friend.items():
        cw.model.add_hint(f, friend_of.get(r) == v)
    at = {(int(cands.req[t]), int(cands.vol[t]), int(cands.day[t])): k for k, t in enumerate(cw.triples.tolist())}
    m = cw.model
    on: dict[int, Session] = {}
    for s in before:
        k = at.get((s.req, s.vol, s.day))
        if k is not None:
            on[k] = s
    for k in range(len(cw.x)):
        s = on.get(k)
        m.add_hint(cw.x[k], s is not None)
        if s is not None:
            m.add_hint(cw.start[k], s.start)
            t = int(cw.triples[k])
            if cands.in_person[t] and cands.phone[t]:  # else a constant (shared: hinted once would repeat)
                m.add_hint(cw.in_person[k], s.in_person)


def _neighbourhood(plan: Plan, at: _Sessions, cands: Candidates, r: int, counts: Counter, size: int) -> list[int]:
    """The volunteers of one neighbourhood: those serving ``r``, then the volunteers with the most
    candidate triples among those volunteers' requests and ``r`` (who can take over their sessions),
    able to serve ``r`` in the most weeks first."""
    vols = [v for v, _n in counts.most_common()]
    mine = {s.req for v in vols for s in at.vol.get(v, ())} | {r}
    score: Counter = Counter()
    weeks_for_r: dict[int, set[int]] = defaultdict(set)
    for w in range(plan.index.weeks):
        pos = cands.by_request_week.get((r, w))
        if pos is not None:
            for v in cands.vol[pos].tolist():
                weeks_for_r[v].add(w)
    for req in mine:
        for w in range(plan.index.weeks):
            pos = cands.by_request_week.get((req, w))
            if pos is not None:
                score.update(cands.vol[pos].tolist())
    for v in vols:
        score.pop(v, None)
    ranked = sorted(score, key=lambda v: (-len(weeks_for_r.get(v, ())), -score[v], v))
    return vols + ranked[:max(0, size - len(vols))]


def cross_week_search(plan: Plan, cands: Candidates, fixed: set[tuple[int, int, int]], worth: float, floor: int,
                      budget: Budget, deadline: float, seed: int, tuning: Tuning = TUNING,
                      work: float = math.inf, threads: int = 1, missing: bool = False) -> tuple[int, int]:
    """Search neighbourhoods of a few volunteers across every week (see module docstring) until
    ``deadline`` or ``work`` deterministic units are spent (the effort mode's bound, as the clock's
    would make the outcome depend on the machine); sessions ``fixed`` as (request, volunteer, day)
    stay. A request kept by one volunteer is worth ``worth`` priority points, and the plan never falls
    below ``floor`` weighted sessions. Pass ``k`` frees the volunteers of each request served by
    several, and ``k`` more (``Tuning.cross_week_extra``). With ``missing``, the neighbourhoods start
    instead from the requests still missing sessions, the highest priority first: their volunteers,
    the one able to serve them in the most weeks and, in pass ``k``, ``k - 1`` more, those most able
    to take over that one's sessions (``Tuning.missing_passes`` passes; what is left when the other
    stages end early). Up to
    ``threads`` neighbourhoods are searched side by side where they share no volunteer and no citizen
    (their models are then independent: every rule they keep is a volunteer's or a citizen's); in
    effort mode one at a time,
    so the outcome does not depend on the machine's cores. Returns (neighbourhoods searched,
    improved)."""
    ix = plan.index
    order = np.argsort(cands.vol, kind="stable")
    cut = np.flatnonzero(np.diff(cands.vol[order])) + 1
    by_vol = {int(cands.vol[g[0]]): g for g in np.split(order, cut) if len(g)}
    recurring = set(np.flatnonzero(ix.week_demand.sum(axis=1) >= 2).tolist())
    rng = random.Random(seed)
    # Each search within a share of the stage's time, so that one hard neighbourhood cannot take a short
    # stage whole (clock only: in effort mode the work bounds each search).
    seconds = tuning.cross_week_seconds if budget.deterministic else \
        min(tuning.cross_week_seconds, max(0.01, tuning.cross_week_search_share * (deadline - time.monotonic())))
    at = _Sessions(plan)
    threads = max(1, threads)
    tried = improved = 0
    flying: list[tuple[_Hood, Future]] = []  # searches running, oldest first

    def land() -> None:
        """Wait for the oldest search and apply what it found."""
        nonlocal tried, improved, work
        hood, future = flying.pop(0)
        status, solver = future.result()
        work -= solver.deterministic_time
        tried += 1
        improved += _apply(plan, at, cands, hood, status, solver, worth, floor)

    def search(pool: ThreadPoolExecutor) -> None:
        for extra in range(1, tuning.missing_passes + 1) if missing else range(tuning.cross_week_extra + 1):
            if missing:
                pending = [q for q in range(ix.n_requests) if _short(plan, q)]
                rng.shuffle(pending)
                pending.sort(key=lambda q: -int(ix.priority[q]))
            else:
                broken = at.broken()
                pending = sorted(broken)
                rng.shuffle(pending)
                # Requests split between few volunteers first: their neighbourhoods are small and
                # most often mend.
                pending.sort(key=lambda q: len(broken[q]))
            while pending:
                if budget.deterministic:
                    while flying:
                        land()
                if budget.stopped() or work <= 0 or (not budget.deterministic and time.monotonic() >= deadline):
                    return
                # The first of the next few whose people no running search has (neighbourhoods in
                # a row mostly share a citizen: measured on medium-city, 103 of 106).
                hood, gone = None, []
                # The requests still missing sessions are many neighbourhoods' (the most important
                # first): side by side, each takes those no running search has.
                busy = {c for f, _future in flying for c in f.cits}
                for i, r in enumerate(pending[:tuning.cross_week_lookahead if flying else 1]):
                    h = _people(plan, at, cands, fixed, tuning, by_vol, r, extra, busy, missing)
                    if h is None:  # kept by one volunteer (or served in full) since
                        gone.append(i)
                    elif not any(h.overlaps(f) for f, _future in flying):
                        hood = h
                        gone.append(i)
                        break
                for i in reversed(gone):
                    del pending[i]
                if hood is None:
                    if flying:
                        land()
                    continue
                if len(flying) >= threads:
                    land()
                if not _build(plan, at, cands, hood, recurring, worth, floor, budget, deadline, tuning):
                    continue
                flying.append((hood, pool.submit(_solve, hood, budget, deadline, seed, seconds,
                                                 min(work, tuning.cross_week_work))))

    with ThreadPoolExecutor(max_workers=threads) as pool:
        try:
            search(pool)
        finally:  # the searches still running are applied (and counted) before returning
            while flying:
                land()
    return tried, improved


@dataclass
class _Hood:
    """One neighbourhood: the volunteers freed for request ``r``, the requests and citizens it plans,
    the sessions it frees and keeps, its candidate triples and, once built, its model."""

    r: int
    vols: list[int]
    reqs: set[int]
    cits: set[int]
    freed: list[Session]
    held: list[Session]
    triples: np.ndarray
    cw: CrossWeekModel | None = None
    built: float = 0.0  # seconds to build the model

    def overlaps(self, other: _Hood) -> bool:
        return not self.cits.isdisjoint(other.cits) or not set(self.vols).isdisjoint(other.vols)


def _short(plan: Plan, r: int) -> bool:
    """Whether request ``r`` is still missing a session in some week."""
    return any(plan.remaining(r, w) > 0 for w in range(plan.index.weeks))


def _people(plan: Plan, at: _Sessions, cands: Candidates, fixed: set[tuple[int, int, int]], tuning: Tuning,
            by_vol: dict[int, np.ndarray], r: int, extra: int, busy: set[int] | None = None,
            missing: bool = False) -> _Hood | None:
    """``r``'s neighbourhood as the plan stands: its volunteers (those serving ``r`` and ``extra``
    more), their sessions, the requests they serve, ``r`` and a few requests still missing sessions
    that they could serve, none of the citizens ``busy`` (those of the searches running); None if
    ``r`` is no longer split (with ``missing``: no longer missing a session, or no volunteer has a
    candidate for it)."""
    if missing:
        counts: Counter | None = Counter(s.vol for s in at.req.get(r, ())) if _short(plan, r) else None
    else:
        counts = at.split(r)
    if counts is None:
        return None
    ix = plan.index
    vols = _neighbourhood(plan, at, cands, r, counts, len(counts) + (1 if missing else extra))
    if missing and extra > 1:
        # The one who could serve ``r`` most, then those most able to take over that one's sessions.
        vols = _neighbourhood(plan, at, cands, r, Counter(vols), len(vols) + extra - 1)
    if not vols:
        return None
    mine = [s for v in vols for s in at.vol.get(v, ())]
    freed = [s for s in mine if (s.req, s.vol, s.day) not in fixed]
    held = [s for s in mine if (s.req, s.vol, s.day) in fixed]
    vt = np.concatenate([by_vol[v] for v in vols if v in by_vol])
    reqs = {s.req for s in freed} | {r}
    cit = ix.lists.req_cit
    missing = [q for q in np.unique(cands.req[vt]).tolist()
               if q not in reqs and (not busy or int(cit[q]) not in busy)
               and _short(plan, q)]
    reqs |= set(sorted(missing, key=lambda q: (-int(ix.priority[q]), q))[:tuning.cross_week_missing])
    triples = np.sort(vt[np.isin(cands.req[vt], np.fromiter(reqs, np.int64))])
    cits = {int(cit[q]) for q in reqs}
    return _Hood(r, vols, reqs, cits, freed, held, triples)


def _build(plan: Plan, at: _Sessions, cands: Candidates, hood: _Hood, recurring: set[int], worth: float, floor: int,
           budget: Budget, deadline: float, tuning: Tuning) -> bool:
    """Build ``hood``'s model with its hint; False if there is no time to build it."""
    t0 = time.monotonic()
    if not budget.deterministic and t0 + tuning.cross_week_build_per_triple * len(hood.triples) > deadline:
        return False
    vset = set(hood.vols)
    # Every session of a request of the neighbourhood is its citizen's: the citizens' sessions are all.
    others = [s for c in sorted(hood.cits) for s in at.cit.get(c, ()) if s.vol not in vset]
    hood.cw = build_cross_week_model(plan.index, cands, hood.triples, others + hood.held, hood.held, hood.freed,
                                     recurring, worth, max(0, plan.weighted() - floor))
    _hint(hood.cw, cands, hood.freed, others)
    hood.built = time.monotonic() - t0
    return True


def _solve(hood: _Hood, budget: Budget, deadline: float, seed: int, seconds: float,
           work: float) -> tuple[int, cp_model.CpSolver]:
    """Search ``hood``'s model for at most ``seconds`` (safe beside other neighbourhoods' searches); its
    status and solver."""
    solver = cp_model.CpSolver()
    budget.configure(solver, min(seconds, max(0.01, deadline - time.monotonic())), work, seed)
    # The whole model's LP: the friends' and the trips' big-M rows are weak without it (measured on
    # medium-alien's slowest neighbourhoods, 2 s each: 4 of 11 proven and 5 better answers, against 1
    # and none at the default level).
    solver.parameters.linearization_level = 2
    return budget.solve(solver, hood.cw.model), solver


def _apply(plan: Plan, at: _Sessions, cands: Candidates, hood: _Hood, status: int, solver: cp_model.CpSolver,
           worth: float, floor: int) -> bool:
    """Put what ``hood``'s search found into the plan if it is better and keeps the floor; whether it did."""
    cw = hood.cw
    log.debug("cross-week %d: %d volunteers, %d requests, %d triples, built in %.2fs, %s in %.2fs", hood.r,
              len(hood.vols), len(hood.reqs), len(hood.triples), hood.built, solver.status_name(status),
              solver.wall_time)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return False
    new = [Session(int(cands.req[t]), int(cands.vol[t]), int(cands.day[t]), int(solver.value(cw.start[k])),
                   bool(solver.value(cw.in_person[k])))
           for k, t in enumerate(hood.triples.tolist()) if solver.boolean_value(cw.x[k])]
    vset = set(hood.vols)
    old_sessions = [s for q in hood.reqs for s in at.req.get(q, ())]
    new_sessions = [s for s in old_sessions if s.vol not in vset or s in hood.held] + new
    if score_with_friends(plan.index, new_sessions, worth) <= score_with_friends(plan.index, old_sessions, worth):
        return False
    # Searched side by side, two neighbourhoods may each have spent the slack the floor left.
    if plan.weighted() - weighted_value(plan.index, hood.freed) + weighted_value(plan.index, new) < floor:
        return False
    if not _replace(plan, hood.freed, new):
        return False
    for s in hood.freed:
        at.remove(s)
    for s in new:
        at.add(s)
    return True


def _replace(plan: Plan, old: list[Session], new: list[Session]) -> bool:
    """Take ``old`` out and put ``new`` in, each checked by the plan's rules; all undone if one fails."""
    for s in old:
        plan.remove(s)
    added: list[Session] = []
    for s in new:
        if not plan.capacity_ok(s.req, s.vol, s.day) or not plan.fits_at(s.req, s.vol, s.day, s.start, s.in_person):
            log.warning("cross-week neighbourhood: %s breaks a rule; kept the schedule as it was", s)
            for a in added:
                plan.remove(a)
            for o in old:
                plan.add(o)
            return False
        plan.add(s)
        added.append(s)
    return True
