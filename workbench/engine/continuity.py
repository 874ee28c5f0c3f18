"""Continuity across weeks: a visiting friend is the same person every week.

The weeks are optimised apart (rules link sessions only within a day or a
week), so continuity needs a formulation of its own (modelling notes measured
that many extra Boolean terms in the week models slow CP-SAT noticeably):

0. :func:`friend_patterns` chooses, before any week is planned, one friend per
   recurring request for the whole horizon: the pair LP of every week at once, where
   a volunteer able to serve every session of the request's weeks may take it whole
   (a *pattern*), and sessions served week by week by others cost a little; the LP
   weighs each volunteer's weeks against every request, the one-offs too. Where that
   LP is out of reach (no converged free LP to seed it, too many pairs, the clock),
   :func:`friend_flow` chooses instead: a min-cost flow over the pairs, each worth the
   sessions the pair can give in the request's weeks, volunteers limited to the
   sessions they can give in a week, recurring requests alone. The warm start and
   the week models lean to these friends among equally good answers;
   Then :func:`repeat_week` gives the quick plan one week's pattern in every week: that
   week's recurring sessions repeated with the same volunteers (the weeks differ only by
   absences and one-offs, so a week that fits mostly fits again), what is still missing
   filled after. It is used where the friends it adds are worth what it gives up
   (``Tuning.friend_worth`` × the weight per friend) and never on the small cities, whose
   week models see every candidate; the thinned week models then hold its friends. Measured
   (in process, 28 s, seeds 0 and 1) on the medium cities: continuity 0.02-0.08 higher for
   up to 0.35 % of the weighted sessions;
1. :func:`choose_friends` picks, for every request with two or more sessions
   in the horizon, one volunteer — the one who serves it most often in the weeks'
   primary solutions, then the one agreed before, the citizen's own choice, the
   one able to serve it in the most weeks, the nearest;
2. each week then keeps its sessions with the chosen friends while its other aims
   are searched (:meth:`workbench.engine.weekly.WeekSearch.secondary`);
3. :func:`improve_continuity` finally moves single sessions, or exchanges two, so
   that each request keeps its most frequent volunteer where the rules allow,
   without giving up any priority. Where the friend's week is full (most often:
   measured on large-alien, 4,073 of 5,298 sessions away from their request's friend
   had the friend's weekly limit reached), it makes room: a session of a request with
   no friend to keep goes elsewhere, or a request the friend serves throughout moves
   whole to another volunteer;
4. :func:`trade_for_friends` is the one step that gives up priority for continuity, as the
   ``continuity`` weight allows: a request its most frequent volunteer serves twice or more,
   and others a few sessions worth less than a friend (``Tuning.friend_worth`` per unit of the
   weight), loses those sessions, within ``Tuning.friend_trade_cap`` of the plan in all; the
   freed time then goes to what is still missing, every request that keeps one friend only
   with that friend. The swaps cannot do this: with a medium-city schedule's served
   request-weeks fixed, the best choice of volunteers across weeks keeps one friend for
   0.79 of the requests (SCIP, proven);
5. :func:`workbench.engine.crossweek.cross_week_search` plans a few volunteers' whole horizon
   again at once, continuity in the model, from each request still served by several.
"""

from __future__ import annotations

import logging
import math
import time
from collections import Counter, defaultdict
from collections.abc import Callable

import numpy as np

from ..index import ScenarioIndex
from .bound import ColumnLP, free_minutes, session_capacity, transportation
from .candidates import Candidates, FreeDays, PairWeeks, pair_chunks, pair_runs, rank_within
from .greedy import fill
from .plan import Plan, Session
from .tuning import TUNING, Tuning

log = logging.getLogger("workbench.engine")


def recurring(index: ScenarioIndex) -> np.ndarray:
    """Requests with two or more sessions in the horizon (those continuity is about)."""
    return np.flatnonzero(index.week_demand.sum(axis=1) >= 2)


def friend_flow(index: ScenarioIndex, pw: PairWeeks, fd: FreeDays, distance: np.ndarray,
                tuning: Tuning = TUNING) -> dict[int, int]:
    """Request → its visiting friend for the whole horizon (see module docstring, step 0).

    A request of weekly demand ``d`` sends ``d`` units; a unit on pair (r, v) is worth
    priority × the sessions the pair can give in r's weeks of demand ÷ ``d`` (so a
    friend who can come every week is worth more), ties by distance; a volunteer takes
    at most the sessions they can give in their tightest week with any free time. The
    friend is the volunteer with the most units.
    """
    demand = index.week_demand
    rec = np.zeros(index.n_requests, bool)
    rec[recurring(index)] = True
    n_v = index.n_volunteers
    # Summed per pair without sorting the pair-weeks (pair_runs), a slice at a time (on a dense city of
    # 20.7 million pair-weeks, all at once took 702 MB above them: the command's peak), then the
    # pairs put in key order.
    key_parts, can_parts = [], []
    for part in pair_chunks(pw):
        sel = np.flatnonzero(rec[pw.req[part]]) + part.start
        if not len(sel):
            continue
        r_all, v_all = pw.req[sel], pw.vol[sel]
        first = pair_runs(r_all, v_all)
        can_parts.append(np.add.reduceat(np.minimum(pw.days[sel], demand[r_all, pw.week[sel]]), first))
        key_parts.append(r_all[first].astype(np.int64) * n_v + v_all[first])
    if not key_parts:
        return {}
    keys, can = np.concatenate(key_parts), np.concatenate(can_parts).astype(float)
    order = np.argsort(keys, kind="stable")
    keys, can = keys[order], can[order]
    r, v = keys // n_v, keys % n_v
    km = distance[r, v]
    keep = rank_within(r, -can * 1e6 + np.minimum(km, 999.0)) < tuning.friend_options  # the best pairs only
    r, v, can, km = r[keep], v[keep], can[keep], km[keep]
    d = demand[r].max(axis=1).astype(np.int64)
    # Volunteers' room: their tightest week that has any (a week away shows in the pairs' value).
    caps = np.full(n_v, np.iinfo(np.int64).max)
    for w in range(index.weeks):
        in_w = np.flatnonzero(pw.week == w)
        c = session_capacity(index, fd, w, pw.req[in_w], pw.vol[in_w], int(demand[:, w].sum()))
        caps = np.where(c > 0, np.minimum(caps, c), caps)
    caps = np.where(caps == np.iinfo(np.int64).max, 0, caps)
    reqs = np.unique(r)
    cost = -(index.priority[r] * can * 1000 // d).astype(np.int64) + np.minimum(km, 99).astype(np.int64)
    solved = transportation(demand[reqs].max(axis=1).astype(np.int64), caps, np.searchsorted(reqs, r), v, d, cost)
    if solved is None:
        return {}
    units = solved[1]
    friend: dict[int, int] = {}
    best: dict[int, int] = {}
    for rq, vl, u in zip(r.tolist(), v.tolist(), units.tolist()):
        if u > best.get(rq, 0):
            friend[rq], best[rq] = vl, u
    return friend


def friend_patterns(index: ScenarioIndex, pw: PairWeeks, fd: FreeDays, distance: np.ndarray,
                    seed_use: np.ndarray | None, stand_in_price: float, tuning: Tuning = TUNING,
                    deadline: float = math.inf, first_deadline: float | None = None) -> dict[int, int] | None:
    """Request → its visiting friend for the whole horizon, from the weeks' capacities together
    (see module docstring, step 0); None when the LP could not be solved in time.

    The pair LP of :mod:`workbench.engine.bound` over the whole horizon, with a *pattern* column per
    recurring request and volunteer able to serve every session of every week of its demand (on the
    pair's days with room): the friend serves the request throughout, and takes in each week the
    request's sessions and minutes from the same rows as the weeks' own columns. A request's sessions
    served week by week by others are worth ``stand_in_price`` less each, so among plans that serve as
    much the LP prefers whole patterns, and it weighs every volunteer's weeks against the requests
    that need only one session (which :func:`friend_flow`, one week's capacity per volunteer and the
    recurring requests alone, cannot see). The friend is the volunteer whose pattern holds at least
    half of the request. Solved by column generation, as the bound: ``seed_use`` (a mask or the
    free LP's sessions per pair-week of ``pw``) and each request's nearest pairs first, then the
    pairs and patterns with positive reduced cost, at most ``tuning.lp_new_pairs_per_request`` of
    each per request and round, for ``tuning.pattern_rounds`` rounds; no solve runs past
    ``deadline``, but the first may run to ``first_deadline`` if that is later (the first round is
    where the friends come from; later rounds refine them). Measured: see ``Tuning.pattern_rounds``."""
    n_r, n_v, weeks = index.n_requests, index.n_volunteers, index.weeks
    n_c = len(index.citizen_ids)
    demand = index.week_demand
    rec = np.zeros(n_r, bool)
    rec[recurring(index)] = True
    if not rec.any() or not len(pw):
        return {}
    r, v, w = pw.req, pw.vol, pw.week
    upper = np.minimum(pw.days, demand[r, w]).astype(float)
    # Patterns: pairs with room on enough days in every week of the request's demand.
    covers = (demand[r, w] > 0) & (pw.days >= demand[r, w])
    first = pair_runs(r, v)
    covered = np.add.reduceat(covers.astype(np.int64), first)
    pr, pv = r[first], v[first]
    whole = rec[pr] & (covered == (demand[pr] > 0).sum(axis=1))
    pr, pv = pr[whole], pv[whole]
    if not len(pr):
        return {}
    dur = index.duration.astype(float)
    prio = index.priority.astype(float)
    cit = index.req_cit

    # Rows: request-weeks, volunteer-week sessions and minutes, citizen-week minutes, one pattern per request.
    o_vs, o_vm, o_cm = n_r * weeks, (n_r + n_v) * weeks, (n_r + 2 * n_v) * weeks
    o_rp = (n_r + 2 * n_v + n_c) * weeks
    v_free, c_free = (np.stack(m, 1) for m in zip(*(free_minutes(fd, k) for k in range(weeks))))
    rhs = np.concatenate([demand.ravel().astype(float),
                          np.repeat(np.where(np.isfinite(index.max_sessions), index.max_sessions, 1e9), weeks),
                          np.minimum(index.max_minutes[:, None], v_free).ravel().astype(float),
                          c_free.ravel().astype(float), np.ones(n_r)])
    f_rows = [r * weeks + w, o_vs + v * weeks + w, o_vm + v * weeks + w, o_cm + cit[r] * weeks + w]
    f_coef = [np.ones(len(r)), np.ones(len(r)), dur[r], dur[r]]
    f_cost = prio[r] - stand_in_price * rec[r]
    p_cost = prio[pr] * demand[pr].sum(axis=1)

    def f_value(duals: np.ndarray) -> np.ndarray:
        return f_cost - sum(duals[rows] * k for rows, k in zip(f_rows, f_coef))

    def p_value(duals: np.ndarray) -> np.ndarray:
        used = np.zeros(len(pr))
        for k in range(weeks):
            d = demand[pr, k]
            used += d * (duals[pr * weeks + k] + duals[o_vs + pv * weeks + k]
                         + dur[pr] * (duals[o_vm + pv * weeks + k] + duals[o_cm + cit[pr] * weeks + k]))
        return p_cost - used - duals[o_rp + pr]

    lp = ColumnLP(rhs)
    if lp.h is not None:
        # Whole patterns make this LP far more degenerate than the weeks' own: measured on
        # medium-city, its first round took 5.7 s with the primal simplex, 4.3 s with the dual and
        # 0.85 s with the interior point method (then a crossover, for a vertex: without it the
        # patterns came out split, 50 of them at half or more instead of ~500).
        lp.h.setOptionValue("solver", "ipm")
    order: list[tuple[str, np.ndarray]] = []

    def add_free(idx: np.ndarray) -> None:
        idx = idx[upper[idx] > 0]
        lp.add(f_cost[idx], upper[idx], [rows[idx] for rows in f_rows], [k[idx] for k in f_coef])
        order.append(("f", idx))

    def add_patterns(idx: np.ndarray) -> None:
        # A pattern's entries: its request's weeks of demand (grouped by how many), then its own row.
        n_weeks = (demand[pr[idx]] > 0).sum(axis=1)
        for n in np.unique(n_weeks).tolist():
            g = idx[n_weeks == n]
            wk = np.sort(np.argsort(demand[pr[g]] == 0, axis=1, kind="stable")[:, :n], axis=1)
            d = demand[pr[g][:, None], wk].astype(float)
            rows, coefs = [], []
            for i in range(n):
                rr, vv, ww = pr[g], pv[g], wk[:, i]
                rows += [rr * weeks + ww, o_vs + vv * weeks + ww, o_vm + vv * weeks + ww,
                         o_cm + cit[rr] * weeks + ww]
                coefs += [d[:, i], d[:, i], d[:, i] * dur[rr], d[:, i] * dur[rr]]
            lp.add(p_cost[g], np.ones(len(g)), rows + [o_rp + pr[g]], coefs + [np.ones(len(g))])
            order.append(("p", g))

    near = distance[r, v]
    f_in = (rank_within(r, near) < tuning.lp_first_pairs_per_request) | \
        (rank_within(v, near) < tuning.lp_first_pairs_per_volunteer)
    if seed_use is not None:
        f_in |= seed_use > 0
    p_near = distance[pr, pv]
    p_in = rank_within(pr, p_near) < tuning.lp_first_pairs_per_request
    if seed_use is not None:
        used_pairs = np.unique(r[seed_use > 0].astype(np.int64) * n_v + v[seed_use > 0])
        p_in |= np.isin(pr.astype(np.int64) * n_v + pv, used_pairs)
    new_f, new_p = np.flatnonzero(f_in), np.flatnonzero(p_in)
    solved = converged = False
    rounds = covered_columns = 0
    for _round in range(tuning.pattern_rounds):
        end = max(deadline, first_deadline) if first_deadline is not None and not solved else deadline
        if time.monotonic() >= end:
            break
        add_free(new_f)
        add_patterns(new_p)
        duals = lp.duals(end - time.monotonic())
        if duals is None:
            break
        solved = True
        rounds += 1
        # The columns this solve's values cover: a later solve the clock stops leaves them standing.
        covered_columns = len(order)
        rf, rp = f_value(duals), p_value(duals)  # the request-week row is among f_rows
        cf, cp = (rf > 1e-9) & ~f_in, (rp > 1e-9) & ~p_in
        if not cf.any() and not cp.any():
            converged = True
            break
        new_f = np.flatnonzero(cf)
        new_f = new_f[rank_within(r[new_f], -rf[new_f]) < tuning.lp_new_pairs_per_request]
        new_p = np.flatnonzero(cp)
        new_p = new_p[rank_within(pr[new_p], -rp[new_p]) < tuning.lp_new_pairs_per_request]
        f_in[new_f] = True
        p_in[new_p] = True
    if not solved or lp.primal is None:
        return None
    friend: dict[int, int] = {}
    at = 0
    value = 0.0
    for kind, idx in order[:covered_columns]:
        part = lp.primal[at:at + len(idx)]
        at += len(idx)
        value += float(part @ (f_cost[idx] if kind == "f" else p_cost[idx]))
        if kind == "p":
            for q in np.flatnonzero(part >= 0.5).tolist():
                friend[int(pr[idx[q]])] = int(pv[idx[q]])
    log.debug("friend patterns: LP %.3f after %d rounds (converged %s)", value, rounds, converged)
    return friend


def repeat_week(plan: Plan, cands: Candidates, kept: list[Session], week: int) -> tuple[Plan, dict[int, int]]:
    """A new plan: ``kept`` (the agreed sessions), ``plan``'s sessions of ``week``, and its recurring
    sessions there repeated in every other week with the same volunteer (on the same weekday at the
    same start where that is free, else on another of the pair's candidate days); then the filler
    over ``cands`` for what is still missing, each repeated request's volunteer tried first.
    Returns the plan and its pattern's friends (request → volunteer)."""
    ix = plan.index
    out = Plan(ix, kept)
    placed = set(out.sessions)
    pattern = [s for s in plan.sessions if s.week == week]
    for s in pattern:
        if s not in placed:
            out.add(s)
    pattern = [s for s in pattern if not ix.one_off[s.req]]
    for w in range(ix.weeks):
        if w == week:
            continue
        for s in pattern:
            if out.remaining(s.req, w) > 0:
                out.place_with(cands, s.req, s.vol, s._replace(day=s.day + 7 * (w - week)))
    friends = {s.req: s.vol for s in pattern}
    fill(out, cands, friends=friends)
    return out, friends


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
                       deadline: float = math.inf, friends: dict[int, int] | None = None,
                       tuning: Tuning = TUNING) -> int:
    """Move sessions so each recurring request keeps one visiting friend.

    For a request served by several volunteers, a target is chosen among them
    (the most frequent first, then the others, at most ``tuning.continuity_targets``; the
    agreed one if a session is agreed). Each session not with the target is
    offered to it on a candidate day of the same week (its own day and start
    first); if the target has no room, an exchange is tried: a session of the
    target that week whose request would be as well or better off with this
    session's volunteer swaps places with it; failing that, room is made (see the
    module docstring, step 3). A target takes all of the request's
    sessions or none (then the next is tried). Nothing that does not fit is kept,
    so the priority served never changes; ``fixed`` (request, volunteer, day)
    sessions (agreed) never move. Stops at ``deadline`` (``time.monotonic()``).
    ``friends``: request → a volunteer tried last as the target (a friend chosen
    elsewhere: another plan's, or the horizon's). Returns the sessions moved.
    """
    if time.monotonic() > deadline:
        return 0
    by_req: dict[int, list[Session]] = defaultdict(list)
    for s in plan.sessions:
        by_req[s.req].append(s)

    def count(r: int, v: int) -> int:
        return sum(1 for s in by_req[r] if s.vol == v)

    def anywhere(r: int, like: Session) -> Session | None:
        """One session of ``r`` on any of its candidate places in ``like``'s week, placed as ``like``
        was, its own volunteers (the most frequent first) before the others."""
        places = cands.by_request_week.get((r, like.week))
        if places is None:
            return None
        theirs = Counter(x.vol for x in by_req[r])
        return plan.place_like(cands, r, sorted(places.tolist(), key=lambda i: -theirs[int(cands.vol[i])]), like)

    def swap(old: list[Session], new: list[tuple[int, int | None]]) -> list[Session] | None:
        """Replace the ``old`` sessions by (request, volunteer) ``new`` ones and return those, or change
        nothing; a volunteer ``None`` takes any candidate place that week (see :func:`anywhere`)."""
        for s in old:
            plan.remove(s)
        placed: list[Session] = []
        for (r, v), s in zip(new, old):
            got = plan.place_with(cands, r, v, s) if v is not None else anywhere(r, s)
            if got is None:
                for p in placed:
                    plan.remove(p)
                for o in old:
                    plan.add(o)
                return None
            placed.append(got)
        for s, p in zip(old, placed):
            by_req[s.req].remove(s)
            by_req[p.req].append(p)
        return placed

    def undo(done: list[tuple[list[Session], list[Session]]]) -> None:
        for old, placed in reversed(done):
            for p in placed:
                plan.remove(p)
                by_req[p.req].remove(p)
            for o in old:
                plan.add(o)
                by_req[o.req].append(o)

    def move_all(r: int, target: int) -> list[tuple[list[Session], list[Session]]] | None:
        """Every session of ``r`` to ``target`` (moved, or exchanged with a partner); None if one cannot."""
        done: list[tuple[list[Session], list[Session]]] = []
        for s in [s for s in by_req[r] if s.vol != target]:
            got = swap([s], [(r, target)])
            if got is not None:
                done.append(([s], got))
                continue
            # A partner request loses nothing by the exchange: it has at least as many sessions
            # with this session's volunteer as it would keep with the target.
            week_sessions = [o for d in range(7 * s.week, 7 * s.week + 7) for o in plan.vol_day.get((target, d), ())]
            partners = [o for o in week_sessions if o.req != r and (o.req, o.vol, o.day) not in fixed
                        and count(o.req, s.vol) >= count(o.req, target) - 1]
            for o in partners:
                got = swap([s, o], [(r, target), (o.req, s.vol)])
                if got is not None:
                    done.append(([s, o], got))
                    break
            else:
                got = eject(s, r, target, week_sessions)
                if got is None:
                    undo(done)
                    return None
                done.append(got)
        return done

    def eject(s: Session, r: int, target: int, week_sessions: list[Session]
              ) -> tuple[list[Session], list[Session]] | None:
        """``s`` to ``target`` in place of a session of a request with no friend to keep (served
        only once, or by several volunteers already), which goes to any other candidate place that
        week, its own volunteers first; or of a request the target serves throughout, which moves
        whole to another volunteer (:func:`rehome`). Nothing served is lost, no friend broken."""
        for o in week_sessions:
            # The clock inside one request too: its many (session, partner, volunteer) tries can add up.
            if time.monotonic() > deadline:
                return None
            if o.req == r or (o.req, o.vol, o.day) in fixed:
                continue
            if len(by_req[o.req]) > 1 and len({x.vol for x in by_req[o.req]}) == 1:
                got = rehome(s, r, target, o)
                if got is not None:
                    return got
                continue
            placed = swap([s, o], [(r, target), (o.req, None)])
            if placed is not None:
                return [s, o], placed
        return None

    def rehome(s: Session, r: int, target: int, o: Session) -> tuple[list[Session], list[Session]] | None:
        """``s`` to ``target`` in place of ``o``, whose request ``o.req`` the target serves
        throughout: all of ``o.req``'s sessions go to one other volunteer (it keeps one friend),
        the nearest ``tuning.rehome_options`` tried. Returns (taken out, placed), or changes nothing."""
        q = o.req
        mine = list(by_req[q])
        if any(x.vol != target or (x.req, x.vol, x.day) in fixed for x in mine):
            return None
        weeks = {x.week for x in mine}
        near: dict[int, float] = {}
        options: set[int] | None = None
        for wk in weeks:
            at = cands.by_request_week.get((q, wk))
            vols = set(cands.vol[at].tolist()) if at is not None else set()
            options = vols if options is None else options & vols
            if at is not None:
                near.update(zip(cands.vol[at].tolist(), cands.distance_km[at].tolist()))
        # The nearest few only: every volunteer of a dense city's request made one pass of the
        # swaps over medium-alien's warm start take seconds.
        for c in sorted((options or set()) - {target}, key=lambda c: (near[c], c))[:tuning.rehome_options]:
            placed = swap([s, *mine], [(r, target)] + [(q, c)] * len(mine))
            if placed is not None:
                return [s, *mine], placed
        return None

    moves = 0
    for r in list(by_req):
        if time.monotonic() > deadline:
            break
        counts = Counter(s.vol for s in by_req[r])
        if len(counts) < 2:
            continue
        pinned = {s.vol for s in by_req[r] if (s.req, s.vol, s.day) in fixed}
        if len(pinned) > 1:
            continue  # agreed sessions with two volunteers: nothing to choose
        # The most frequent volunteer first, then the others (ties: the lower position).
        targets = sorted(pinned or counts, key=lambda v: (-counts[v], v))[:tuning.continuity_targets]
        other = (friends or {}).get(r)
        if not pinned and other is not None and other not in targets:
            targets.append(other)
        for target in targets:
            done = move_all(r, target)
            if done is not None:
                moves += sum(len(old) for old, _placed in done)
                break
    return moves


def served_twice(sessions: list[Session]) -> tuple[int, dict[int, int]]:
    """How many requests ``sessions`` serve twice or more, and request → volunteer for those
    served by one volunteer throughout (the kpi's continuity is the second's share of the first)."""
    vols: dict[int, set[int]] = defaultdict(set)
    count: Counter[int] = Counter()
    for s in sessions:
        vols[s.req].add(s.vol)
        count[s.req] += 1
    multi = [r for r, n in count.items() if n >= 2]
    return len(multi), {r: next(iter(vols[r])) for r in multi if len(vols[r]) == 1}


def held_friends(sessions: list[Session]) -> dict[int, int]:
    """Request → volunteer, for every request ``sessions`` serve twice or more, always by one volunteer."""
    return served_twice(sessions)[1]


def trade_for_friends(plan: Plan, cands: Candidates, fixed: set[tuple[int, int, int]], worth: float, floor: int,
                      out_of_time: Callable[[], bool] = lambda: False) -> tuple[int, int]:
    """Give up the sessions a request's stand-ins serve, so that it keeps one visiting friend, where the
    friend is worth more (see module docstring, step 4); returns (requests that now keep one friend,
    weighted sessions given up in the end).

    A request served twice or more by its most frequent volunteer and some sessions by others (none
    of them agreed, ``fixed``) is offered if those sessions are worth at most ``worth`` (priority
    points); the cheapest first, while the plan stays at ``floor`` or above. Then the freed time goes
    to what is still missing, by the filler over ``cands``, every request that keeps one friend only
    with that friend: a traded request may get its week back with its friend, and no request that
    keeps one loses it.
    """
    ix = plan.index
    by_req: dict[int, list[Session]] = defaultdict(list)
    for s in plan.sessions:
        by_req[s.req].append(s)
    offers: list[tuple[int, int, int, list[Session]]] = []
    for r, mine in by_req.items():
        counts = Counter(s.vol for s in mine)
        if len(counts) < 2:
            continue
        friend, kept = max(counts.items(), key=lambda kv: (kv[1], -kv[0]))
        if kept < 2:  # served once by the friend: there would be no friend to keep
            continue
        stand_ins = [s for s in mine if s.vol != friend]
        if any((s.req, s.vol, s.day) in fixed for s in stand_ins):
            continue
        cost = int(ix.priority[r]) * len(stand_ins)
        if cost <= worth:
            offers.append((cost, len(stand_ins), r, stand_ins))
    offers.sort(key=lambda o: o[:3])
    before = plan.weighted()
    room = before - floor
    traded = 0
    for cost, _n, _r, stand_ins in offers:
        if cost > room:
            break
        for s in stand_ins:
            plan.remove(s)
        room -= cost
        traded += 1
    if not traded:
        return 0, 0
    # Every request that keeps one friend now, the traded ones among them, only with that friend.
    held = held_friends(plan.sessions)
    # The filler alone: the repair by moving, tried here as well, added nothing on medium-city in
    # 1.25 s (the weeks' repair had just moved what it could), the filler 11 sessions in 0.1 s.
    fill(plan, cands, out_of_time=out_of_time, only=held)
    return traded, before - plan.weighted()
