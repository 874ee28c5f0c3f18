"""CP-SAT models, built as pure functions from a validated scenario's candidates.

The formulation separates *who serves whom on which day* from *at what time*
(see ../shared/MODELLING_NOTES.md, which measured that one interval model per
week is too slow at medium size):

**Assignment, one model per week** (:func:`build_week_model`). A Boolean
``x[r,v,d]`` per candidate triple. Every rule that links sessions acts within
a day or a week, so weeks couple only through the secondary aims; those
couplings are passed in (who served the request in earlier weeks). The
constraints are the weekly rules (12, 13) exactly, plus two relaxations of the
daily timing rules (a volunteer's / citizen's booked minutes on a day fit in
their free minutes). The model is therefore a relaxation of the true week:
its bound is a valid upper limit on what any schedule can serve.

**Timing, one model per date** (:func:`build_day_model`). The assigned
sessions of that date get exact start variables on their feasible start
ranges, NoOverlap per volunteer and per citizen (rules 10, 11), and, for each
pair of a volunteer's possible visits, an order literal that enforces the
travel gap (rule 10). With the metric travel times of the contract (ceil of a
haversine distance) pairwise gaps are equivalent to gaps between consecutive
visits. A session the day cannot fit is dropped by the model (``present``)
and later offered again by the repair step.

Both builders return the model and its named variable handles; names are the
planner's words (``x[request,volunteer,date]``, ``start[...]``) and are reused
when reporting.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
from ortools.sat.python import cp_model

from .availability import availability
from .candidates import Candidates
from .geo import haversine_matrix, travel_minutes_array
from .objective import Weights
from .plan import Plan
from .scenario.types import Scenario


@dataclass
class WeekModel:
    """The assignment model of one week and its handles."""

    model: cp_model.CpModel
    week: int
    triples: np.ndarray  # candidate positions in this week
    x: list[cp_model.IntVar]
    primary_coeffs: list[int]
    secondary: dict[str, tuple[list, list[int]]] = field(default_factory=dict)

    def primary_expr(self) -> cp_model.LinearExpr:
        return cp_model.LinearExpr.weighted_sum(self.x, self.primary_coeffs)

    def secondary_expr(self) -> cp_model.LinearExpr:
        vs: list = []
        cs: list[int] = []
        for v, c in self.secondary.values():
            vs += v
            cs += c
        return cp_model.LinearExpr.weighted_sum(vs, cs)


def _groups(keys: np.ndarray) -> list[np.ndarray]:
    """Positions grouped by equal key (rows of a 2-D key array), only groups of size ≥ 1."""
    if len(keys) == 0:
        return []
    order = np.lexsort(keys.T[::-1])
    k = keys[order]
    cut = np.flatnonzero(np.any(k[1:] != k[:-1], axis=1)) + 1
    return np.split(order, cut)


def build_week_model(
    scenario: Scenario,
    cands: Candidates,
    plan: Plan,
    week: int,
    weights: Weights,
    *,
    fixed: set[int],
    earlier: dict[int, set[int]],
    previous: set[int],
) -> WeekModel:
    """The assignment model of ``week``.

    ``fixed``: candidate positions that must be 1 (pins). ``earlier``: request →
    volunteers who served it in earlier weeks or the previous plan (continuity).
    ``previous``: candidate positions agreed in the previous plan (stability).
    """
    m = cp_model.CpModel()
    T = np.flatnonzero(cands.day // 7 == week)
    req, vol, day = cands.req[T], cands.vol[T], cands.day[T]
    rid = scenario.requests["request_id"].to_numpy(object)
    vid = scenario.volunteers["volunteer_id"].to_numpy(object)
    dates = cands.dates
    x = [m.new_bool_var(f"x[{rid[r]},{vid[v]},{dates[d]}]") for r, v, d in zip(req, vol, day)]
    for j, t in enumerate(T):
        if int(t) in fixed:
            m.add(x[j] == 1)

    dur = plan.duration[req]
    # Rule 13: at most one session per request and day; at most its weekly demand.
    for g in _groups(np.stack([req, day], axis=1)):
        if len(g) > 1:
            m.add_at_most_one(x[i] for i in g)
    for g in _groups(req[:, None]):
        r = int(req[g[0]])
        cap = 1 if plan.one_off[r] else int(plan.spw[r])
        if len(g) > cap:
            m.add(cp_model.LinearExpr.sum([x[i] for i in g]) <= cap)
    # Rule 12: the volunteer's weekly limits.
    fair_vars: list = []
    fair_coeffs: list[int] = []
    for g in _groups(vol[:, None]):
        v = int(vol[g[0]])
        xs = [x[i] for i in g]
        if len(g) > plan.max_sessions[v]:
            m.add(cp_model.LinearExpr.sum(xs) <= int(plan.max_sessions[v]))
        if dur[g].sum() > plan.max_minutes[v]:
            m.add(cp_model.LinearExpr.weighted_sum(xs, dur[g].tolist()) <= int(plan.max_minutes[v]))
        # Fair load: sessions above half the volunteer's own limit cost a little each.
        soft = math.ceil(plan.max_sessions[v] / 2) if math.isfinite(plan.max_sessions[v]) else 3
        if weights.fair_load and len(g) > soft:
            ex = m.new_int_var(0, len(g), f"excess_load[{vid[v]},week{week + 1}]")
            m.add(cp_model.LinearExpr.sum(xs) - soft <= ex)
            fair_vars.append(ex)
            fair_coeffs.append(-weights.fair_load)
    # Relaxed timing (rule 8/10/11): booked minutes fit in the day's free minutes,
    # and two sessions that cannot both fit in one day (windows, travel) exclude each other.
    av = availability(scenario)
    _pairwise_exclusions(scenario, cands, plan, T, m, x)
    visit = cands.in_person[T] & ~cands.phone[T]
    for g in _groups(np.stack([vol, day], axis=1)):
        if len(g) < 2:
            continue
        v, d = int(vol[g[0]]), int(day[g[0]])
        windows = av.volunteer_windows(vid[v], dates[d])
        free = sum(e - s for s, e in windows)
        need = dur[g].astype(int)
        slack = 0
        if len(windows) == 1 and visit[g].sum() > 1:
            # Inside one window, every visit but the first is preceded by travel of at least
            # τ_i (the shortest trip into it from another candidate visit of the day), so
            # Σ (dur_i + τ_i) ≤ window + max τ.
            gv = g[visit[g]]
            c = plan.req_cit[req[gv]]
            dist = haversine_matrix(plan.cit_lat[c], plan.cit_lon[c], plan.cit_lat[c], plan.cit_lon[c])
            trips = travel_minutes_array(dist, plan.detour, plan.speed[v]).astype(float)
            trips[req[gv][:, None] == req[gv][None, :]] = np.inf  # one request, one session a day
            tau = trips.min(axis=0)
            tau = np.where(np.isfinite(tau), tau, 0).astype(int)
            need = need.copy()
            need[np.isin(g, gv)] += tau
            slack = int(tau.max())
        if need.sum() > free + slack:
            m.add(cp_model.LinearExpr.weighted_sum([x[i] for i in g], need.tolist()) <= free + slack)
    cit_of = plan.req_cit[req]
    cid = scenario.citizens["citizen_id"].to_numpy(object)
    for g in _groups(np.stack([cit_of, day], axis=1)):
        if len(g) < 2:
            continue
        c, d = int(cit_of[g[0]]), int(day[g[0]])
        free = sum(e - s for s, e in av.citizen_windows(cid[c], dates[d]))
        if dur[g].sum() > free:
            m.add(cp_model.LinearExpr.weighted_sum([x[i] for i in g], dur[g].tolist()) <= free)

    wm = WeekModel(model=m, week=week, triples=T, x=x, primary_coeffs=plan.priority[req].astype(int).tolist())
    wm.secondary = _secondary_terms(scenario, cands, plan, wm, weights, earlier, previous)
    if fair_vars:
        wm.secondary["fair_load"] = (fair_vars, fair_coeffs)
    return wm


def _pairwise_exclusions(scenario: Scenario, cands: Candidates, plan: Plan, T: np.ndarray, m: cp_model.CpModel,
                         x: list) -> None:
    """x_i + x_j ≤ 1 for two sessions of one volunteer (or one citizen) on one day that cannot both fit.

    Session i can precede j only if j's latest start leaves room for i's earliest
    start, i's duration and the travel from i to j; the pair fits if either order
    does. Travel counts only when both must be visits (either may otherwise be a call).
    """
    lo = np.array([r[0][0] for r in (cands.starts[t] for t in T)], int)
    hi = np.array([r[-1][1] for r in (cands.starts[t] for t in T)], int)
    req, vol, day = cands.req[T], cands.vol[T], cands.day[T]
    dur = plan.duration[req]
    cit = plan.req_cit[req]
    visit = cands.in_person[T] & ~cands.phone[T]
    for key, with_travel in ((np.stack([vol, day], axis=1), True), (np.stack([cit, day], axis=1), False)):
        for g in _groups(key):
            if len(g) < 2:
                continue
            if with_travel:
                c = cit[g]
                dist = haversine_matrix(plan.cit_lat[c], plan.cit_lon[c], plan.cit_lat[c], plan.cit_lon[c])
                travel = travel_minutes_array(dist, plan.detour, plan.speed[int(vol[g[0]])])
                travel = np.where(visit[g][:, None] & visit[g][None, :], travel, 0)
            else:
                travel = np.zeros((len(g), len(g)), int)
            # i before j possible ⇔ hi_j ≥ lo_i + dur_i + travel_ij
            before = hi[g][None, :] >= (lo[g] + dur[g])[:, None] + travel
            fits = before | before.T
            same_request = req[g][:, None] == req[g][None, :]
            bad_i, bad_j = np.nonzero(np.triu(~fits & ~same_request, 1))
            for i, j in zip(g[bad_i].tolist(), g[bad_j].tolist()):
                m.add_bool_or([~x[i], ~x[j]])


def _secondary_terms(scenario: Scenario, cands: Candidates, plan: Plan, wm: WeekModel, weights: Weights,
                     earlier: dict[int, set[int]], previous: set[int]) -> dict[str, tuple[list, list[int]]]:
    """Per-aim terms (variables, coefficients) of the secondary objective; see :mod:`workbench.objective`."""
    T = wm.triples
    req, vol = cands.req[T], cands.vol[T]
    cit = scenario.citizens
    vid = scenario.volunteers["volunteer_id"].to_numpy(object)
    pref = cit["preferred_volunteers"].to_numpy(object)[plan.req_cit[req]]
    c_int = cit["interests"].to_numpy(object)[plan.req_cit[req]]
    v_int = scenario.volunteers["interests"].to_numpy(object)[vol]
    mode = scenario.requests["mode"].to_numpy(object)[req]
    terms: dict[str, tuple[list, list[int]]] = {}

    def term(name: str, coeffs: np.ndarray) -> None:
        nz = np.flatnonzero(coeffs)
        if len(nz):
            terms[name] = ([wm.x[i] for i in nz], coeffs[nz].astype(int).tolist())

    if weights.preferred:
        term("preferred", np.array([weights.preferred if vid[v] in p else 0 for v, p in zip(vol, pref)]))
    if weights.interests:
        term("interests", np.array([weights.interests * min(3, len(set(a) & set(b))) for a, b in zip(c_int, v_int)]))
    if weights.travel:
        road = 2 * cands.distance_km[T] * scenario.settings.detour_factor
        term("travel", np.where(mode == "in_person", -np.round(weights.travel * road), 0))
    if weights.continuity:
        term("continuity", np.array([weights.continuity if int(v) in earlier.get(int(r), ()) else 0
                                     for r, v in zip(req, vol)]))
        # Within the week, a recurring request should not be split across volunteers.
        m = wm.model
        ys, cs = [], []
        for g in _groups(np.stack([req, vol], axis=1)):
            r = int(req[g[0]])
            if plan.one_off[r] or plan.spw[r] < 2:
                continue
            y = m.new_bool_var(f"serves[{scenario.requests['request_id'].iat[r]},{vid[int(vol[g[0]])]}]")
            for i in g:
                m.add_implication(wm.x[i], y)
            ys.append(y)
            cs.append(-weights.continuity)
        if ys:
            terms["continuity_within_week"] = (ys, cs)
    if weights.stability and previous:
        term("stability", np.array([weights.stability if int(t) in previous else 0 for t in T]))
    if weights.equity:
        _equity_term(scenario, plan, wm, weights, terms)
    return terms


def _equity_term(scenario: Scenario, plan: Plan, wm: WeekModel, weights: Weights,
                 terms: dict[str, tuple[list, list[int]]]) -> None:
    """Lift the least-covered district: z ≤ coverage% of every district with demand this week."""
    cands = wm.triples
    m = wm.model
    district = scenario.citizens["district"].to_numpy(object)
    by_d: dict[str, list[int]] = defaultdict(list)
    for j, t in enumerate(cands):
        by_d[district[plan.req_cit[int(plan.cands.req[t])]]].append(j)
    demand: dict[str, int] = defaultdict(int)
    week_requests = {int(plan.cands.req[t]) for t in cands}
    for r in week_requests:
        demand[district[plan.req_cit[r]]] += 1 if plan.one_off[r] else int(plan.spw[r])
    z = m.new_int_var(0, 100, f"min_district_coverage_pct[week{wm.week + 1}]")
    for d_name, js in by_d.items():
        if demand[d_name]:
            m.add(100 * cp_model.LinearExpr.sum([wm.x[j] for j in js]) >= demand[d_name] * z)
    terms["equity"] = ([z], [weights.equity])


@dataclass
class DayModel:
    """The timing model of one date and its handles (one entry per assigned session)."""

    model: cp_model.CpModel
    sessions: list[tuple[int, bool, bool]]  # (candidate position, may be in person, may be by phone)
    start: list[cp_model.IntVar]
    present: list
    in_person: list


def build_day_model(scenario: Scenario, cands: Candidates, plan: Plan, sessions: list[tuple[int, bool, bool]],
                    pinned: dict[int, tuple[int, bool]], prefer_start: dict[int, int], weights: Weights) -> DayModel:
    """Exact times for the sessions assigned to one date.

    ``sessions``: (candidate position, in-person allowed, phone allowed).
    ``pinned``: candidate position → (start, in person) that must be kept.
    ``prefer_start``: candidate position → the start agreed in the previous plan.
    """
    m = cp_model.CpModel()
    rid = scenario.requests["request_id"].to_numpy(object)
    vid = scenario.volunteers["volunteer_id"].to_numpy(object)
    starts, present, ip, ivs = [], [], [], []
    by_vol: dict[int, list[int]] = defaultdict(list)
    by_cit: dict[int, list[int]] = defaultdict(list)
    obj_vars: list = []
    obj_coeffs: list[int] = []
    for k, (t, ip_ok, ph_ok) in enumerate(sessions):
        r, v = int(cands.req[t]), int(cands.vol[t])
        name = f"{rid[r]},{vid[v]},{cands.dates[int(cands.day[t])]}"
        dur = int(plan.duration[r])
        if t in pinned:
            s0, pin_ip = pinned[t]
            s = m.new_constant(s0)
            p = m.new_constant(1)
            in_p = m.new_constant(int(pin_ip))
        else:
            dom = cp_model.Domain.from_intervals([[lo, hi] for lo, hi in cands.starts[t]])
            s = m.new_int_var_from_domain(dom, f"start[{name}]")
            p = m.new_bool_var(f"present[{name}]")
            in_p = m.new_bool_var(f"in_person[{name}]") if ip_ok and ph_ok else m.new_constant(int(ip_ok))
            obj_vars.append(p)
            obj_coeffs.append(1000 * int(plan.priority[r]))
            if ip_ok and ph_ok:
                obj_vars.append(in_p)  # a visit beats a call when both are possible
                obj_coeffs.append(1)
            if t in prefer_start and weights.stability:
                # An agreed session at its agreed time outweighs any other single session.
                same = m.new_bool_var(f"keeps_agreed_start[{name}]")
                m.add(s == prefer_start[t]).only_enforce_if(same)
                obj_vars.append(same)
                obj_coeffs.append(6000)
        iv = m.new_optional_fixed_size_interval_var(s, dur, p, f"session[{name}]")
        starts.append(s)
        present.append(p)
        ip.append(in_p)
        ivs.append(iv)
        by_vol[v].append(k)
        by_cit[int(plan.req_cit[r])].append(k)
    for group in list(by_vol.values()) + list(by_cit.values()):
        if len(group) > 1:
            m.add_no_overlap([ivs[k] for k in group])
    for v, group in by_vol.items():
        visits = [k for k in group if sessions[k][1]]
        for a_i, a in enumerate(visits):
            for b in visits[a_i + 1:]:
                ra, rb = int(cands.req[sessions[a][0]]), int(cands.req[sessions[b][0]])
                ca, cb = int(plan.req_cit[ra]), int(plan.req_cit[rb])
                t_ab, t_ba = plan.travel(v, ca, cb), plan.travel(v, cb, ca)
                if t_ab == 0 and t_ba == 0:
                    continue  # NoOverlap already says all
                a_first = m.new_bool_var(f"order[{vid[v]},{a},{b}]")
                both = [ip[a], ip[b], present[a], present[b]]
                m.add(starts[b] >= starts[a] + int(plan.duration[ra]) + t_ab).only_enforce_if([a_first, *both])
                m.add(starts[a] >= starts[b] + int(plan.duration[rb]) + t_ba).only_enforce_if([~a_first, *both])
    m.maximize(cp_model.LinearExpr.weighted_sum(obj_vars, obj_coeffs))
    return DayModel(model=m, sessions=sessions, start=starts, present=present, in_person=ip)
