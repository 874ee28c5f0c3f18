"""CP-SAT models, built as pure functions from the index and the candidate triples.

The formulation separates *who serves whom on which day* from *at what time*
(see ../shared/MODELLING_NOTES.md, which measured that one interval model per
week is too slow at medium size; an exact interval model over a small city's
week was also measured here to take 6-8 s where this pair of models takes <1 s):

**Assignment, one model per week** (:func:`build_week_model`). A Boolean
``x[request,volunteer,date]`` per candidate triple. The weekly rules (12, 13) are
exact; the daily timing rules are relaxed (:func:`_day_rows`): a volunteer's
(citizen's) booked minutes on a day fit in their free minutes; two sessions that
cannot both fit in one day (windows, durations, travel) exclude each other (in
large models as cliques, one row per set of sessions any two of which do); and
for every stretch [a, b] of a day, the sessions that can only take place inside
it fit in it one after another, with the trips into every visit but the first
(calls are left out of the trips, as a call may take place during a trip).
Every valid week is a solution, so the model's bound is a bound of the week
over its triples. Once a week's answer has met a timing conflict, the model also
gets the rows of every three linked sessions any two of which, not all three, can
be timed (:func:`add_triple_rows`, where they are few).

**Timing, one model per group of a date** (:func:`build_day_model`). The
assigned sessions of a date that share a volunteer or a citizen get exact start
variables on their feasible start ranges, NoOverlap per volunteer and per
citizen (rules 10, 11), and for each two possible visits of a volunteer an order
literal with the travel gap (rule 10). With the contract's travel times (the
ceiling of a scaled haversine distance, which keeps the triangle inequality)
gaps between every two visits are equivalent to gaps between consecutive ones.
A session the day cannot fit is dropped (``present``); a group that provably
cannot all fit becomes a cut of the week model (:mod:`workbench.engine.weekly`),
and its days get their timing in the week model: as *routes* (:func:`add_day_routes`:
one literal per set of the day's sessions that fits, whose linear relaxation is the
convex hull of those sets) where a day has few enough, else sequenced
(:func:`add_day_sequence`: exact with other sequenced days, but its linear
relaxation is weak).

Sessions agreed before (pins, kept sessions) are fixed in both models. Both
builders return the model with named handles; the names (``x[...]``,
``start[...]``, ``serves[...]``) are the planner's words and are reused when
reporting what was given up.
"""

from __future__ import annotations

import itertools
import math
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
from ortools.sat.python import cp_model

from ..geo import haversine_matrix, haversine_pairs, travel_minutes_array
from ..index import ScenarioIndex
from ..objective import Weights
from .candidates import Candidates, rank_within
from .plan import Session
from .tuning import TUNING, Tuning


@dataclass
class WeekModel:
    """The assignment model of one week and its handles (one ``x`` per position of ``triples``)."""

    model: cp_model.CpModel
    week: int
    triples: np.ndarray  # candidate positions in this week
    x: list[cp_model.IntVar]
    primary_coeffs: list[int]
    secondary: dict[str, tuple[list, list[int]]] = field(default_factory=dict)
    #: Variables of the sequenced days (:func:`add_day_sequence`), for hints: position → start (a
    #: session has one start, shared by its volunteer's day and its citizen's day) and (order
    #: literal, position a, position b) — the literal true when a comes first.
    start_of: dict[int, cp_model.IntVar] = field(default_factory=dict)
    orders: list[tuple[cp_model.IntVar, int, int]] = field(default_factory=list)
    #: The days given as routes (:func:`add_day_routes`), for hints: (positions, the sets of
    #: indices into them that can be sequenced, one literal per set).
    routes: list[tuple[list[int], list[tuple[int, ...]], list[cp_model.IntVar]]] = field(default_factory=list)

    @property
    def starts(self) -> list[tuple[int, cp_model.IntVar]]:
        """(position, start) of every sequenced session, in the order they were sequenced."""
        return list(self.start_of.items())

    def primary_expr(self) -> cp_model.LinearExpr:
        return cp_model.LinearExpr.weighted_sum(self.x, self.primary_coeffs)

    def secondary_expr(self) -> cp_model.LinearExpr:
        vs: list = []
        cs: list[int] = []
        for v, c in self.secondary.values():
            vs += v
            cs += c
        return cp_model.LinearExpr.weighted_sum(vs, cs)


def groups(keys: np.ndarray) -> list[np.ndarray]:
    """Positions grouped by equal key (rows of a 2-D integer key array)."""
    if len(keys) == 0:
        return []
    # One stable sort on a combined key (np.lexsort was measured 10x slower on large arrays).
    combined = np.zeros(len(keys), np.int64)
    for col in keys.T:
        col = col.astype(np.int64)
        combined = combined * (int(col.max()) + 1) + col
    order = np.argsort(combined, kind="stable")
    k = combined[order]
    cut = np.flatnonzero(k[1:] != k[:-1]) + 1
    return np.split(order, cut)


def build_week_model(index: ScenarioIndex, cands: Candidates, triples: np.ndarray, weights: Weights, *,
                     fixed: set[int], tuning: Tuning = TUNING) -> WeekModel:
    """The assignment model of one week over candidate positions ``triples`` (all of one week).

    ``fixed``: candidate positions that must be 1 (agreed sessions). The secondary
    aims are added later (:func:`add_secondary`), once the visiting friends are chosen.
    """
    m = cp_model.CpModel()
    T = np.asarray(triples, int)
    req, vol, day = cands.req[T], cands.vol[T], cands.day[T]
    week = int(day[0]) // 7 if len(T) else 0
    rid, vid, dates = index.request_ids, index.volunteer_ids, index.dates
    x = [m.new_bool_var(f"x[{rid[r]},{vid[v]},{dates[d]}]") for r, v, d in zip(req, vol, day)]
    for j, t in enumerate(T.tolist()):
        if t in fixed:
            m.add(x[j] == 1)

    dur = index.duration[req]
    # Rule 13: at most one session per request and day; at most its weekly demand.
    for g in groups(np.stack([req, day], axis=1)):
        if len(g) > 1:
            m.add_at_most_one(x[i] for i in g)
    for g in groups(req[:, None]):
        cap = int(index.week_demand[int(req[g[0]]), week])
        if len(g) > cap:
            m.add(cp_model.LinearExpr.sum([x[i] for i in g]) <= cap)
    # Rule 12: the volunteer's weekly limits.
    fair_vars: list = []
    fair_coeffs: list[int] = []
    for g in groups(vol[:, None]):
        v = int(vol[g[0]])
        xs = [x[i] for i in g]
        if len(g) > index.max_sessions[v]:
            m.add(cp_model.LinearExpr.sum(xs) <= int(index.max_sessions[v]))
        if dur[g].sum() > index.max_minutes[v]:
            m.add(cp_model.LinearExpr.weighted_sum(xs, dur[g].tolist()) <= int(index.max_minutes[v]))
        # Fair load: sessions above half the volunteer's own limit cost a little each.
        soft = math.ceil(index.max_sessions[v] / 2) if math.isfinite(index.max_sessions[v]) else 3
        if weights.fair_load and len(g) > soft:
            ex = m.new_int_var(0, len(g), f"excess_load[{vid[v]},week{week}]")
            m.add(cp_model.LinearExpr.sum(xs) - soft <= ex)
            fair_vars.append(ex)
            fair_coeffs.append(-weights.fair_load)
    # Relaxed timing (rules 8, 10, 11): booked minutes fit in the day's free minutes; two sessions
    # that cannot both fit in one day exclude each other; sessions that must lie inside one stretch
    # of the day fit in it one after another (see _day_rows).
    _day_rows(index, cands, T, m, x, tuning.energy_rows_per_day, cliques=len(T) >= tuning.clique_triples)
    for g in groups(np.stack([vol, day], axis=1)):
        if len(g) < 2:
            continue
        free = sum(e - s for s, e in index.volunteer_windows(int(vol[g[0]]), int(day[g[0]])))
        if dur[g].sum() > free:
            m.add(cp_model.LinearExpr.weighted_sum([x[i] for i in g], dur[g].tolist()) <= free)
    cit_of = index.req_cit[req]
    for g in groups(np.stack([cit_of, day], axis=1)):
        if len(g) < 2:
            continue
        c, d = int(cit_of[g[0]]), int(day[g[0]])
        free = sum(e - s for s, e in index.citizen_windows(c, d))
        if dur[g].sum() > free:
            m.add(cp_model.LinearExpr.weighted_sum([x[i] for i in g], dur[g].tolist()) <= free)

    wm = WeekModel(model=m, week=week, triples=T, x=x, primary_coeffs=index.priority[req].astype(int).tolist())
    if fair_vars:
        wm.secondary["fair_load"] = (fair_vars, fair_coeffs)
    return wm


def _day_rows(index: ScenarioIndex, cands: Candidates, T: np.ndarray, m: cp_model.CpModel, x: list,
              rows_per_day: int, cliques: bool = True) -> None:
    """The day's timing rules (8, 10, 11), relaxed, per volunteer-day and citizen-day of the triples ``T``.

    - **Pairs**: ``x_i + x_j ≤ 1`` for two sessions that cannot both fit. Session i can precede j
      only if j's latest start leaves room for i's earliest start, i's duration and the trip from i
      to j; the pair fits if either order does. Trips count only between two sessions that must be
      visits (either may otherwise be a call, and a call may take place during a trip). With
      ``cliques``, a day's pairs are stated as cliques (:func:`exclusive_cliques`): a short-windowed
      day excludes most pairs, and its rows grow with the square of its sessions.
    - **Interval energy**: for a stretch [a, b] of the day, the sessions whose every possible
      placement lies inside it fit in it one after another: Σ dur·x ≤ b − a (no two at once); and of
      those that must be visits, each but the first comes after a trip of at least τ_i, the shortest
      trip into it from another of them (travel times keep the triangle inequality, so a session in
      between only lengthens the way): Σ (dur + τ)·x ≤ b − a + max τ. Rows are added for three
      sessions or more that together overflow [a, b] (pairs are exact above); [a, b] runs over the
      earliest starts and latest ends of the day's sessions. Measured on the alien cities: most
      timing conflicts of the first answers were three sessions of one volunteer squeezed into the
      end of their day by the citizens' windows, which the volunteer's free minutes did not see
      (conflicts per week 32–36 → 21–23).

    Every valid week keeps these rows, so the model's bound stays a bound.
    """
    lo = np.array([cands.starts[t][0][0] for t in T.tolist()], np.int64)
    hi = np.array([cands.starts[t][-1][1] for t in T.tolist()], np.int64)
    req, vol, day = cands.req[T], cands.vol[T], cands.day[T]
    dur = index.duration[req].astype(np.int64)
    end = hi + dur
    cit = index.req_cit[req]
    visit = cands.in_person[T] & ~cands.phone[T]
    days: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []  # (sessions, must-visits, trips) of 3+
    for key, volunteer in ((np.stack([vol, day], axis=1), True), (np.stack([cit, day], axis=1), False)):
        for g in groups(key):
            if len(g) < 2:
                continue
            gv = np.flatnonzero(visit[g]) if volunteer else np.zeros(0, int)
            trips = np.zeros((len(g), len(g)))
            if len(gv) >= 2:
                c = cit[g[gv]]
                km = haversine_matrix(index.cit_lat[c], index.cit_lon[c], index.cit_lat[c], index.cit_lon[c])
                trips[np.ix_(gv, gv)] = travel_minutes_array(km, index.detour, index.speed[int(vol[g[0]])])
            same_request = req[g][:, None] == req[g][None, :]
            # i before j possible ⇔ hi_j ≥ lo_i + dur_i + trip_ij
            before = hi[g][None, :] >= (lo[g] + dur[g])[:, None] + trips
            apart = ~(before | before.T)
            need = np.triu(apart & ~same_request, 1)
            # Two of one request on a day exclude each other as well (rule 13): they may join a clique.
            # (A clique row needs three pairs to cover: fewer are pairs as they are.)
            rows = exclusive_cliques(apart | same_request, need) if cliques and need.sum() >= 3 \
                else iter([(np.zeros(0, np.int64), np.nonzero(need))])
            for members, pairs in rows:
                if len(members):
                    m.add_at_most_one(x[i] for i in g[members].tolist())
                for i, j in zip(g[pairs[0]].tolist(), g[pairs[1]].tolist()):
                    m.add_bool_or([~x[i], ~x[j]])
            if len(g) >= 3:
                days.append((g, gv, np.where(same_request, np.inf, trips)))
    _energy(days, lo, end, dur, m, x, rows_per_day)


def add_triple_rows(index: ScenarioIndex, cands: Candidates, wm: WeekModel, fixed: set[int],
                    tuning: Tuning = TUNING, most_checks: float = math.inf) -> int:
    """The rows of :func:`triple_rows` in the week model, where they are few enough
    (``Tuning.triple_rows_per_triple``), checking at most ``most_checks`` sets (and
    ``Tuning.triple_checks_per_triple`` per triple); returns how many were added."""
    T = wm.triples
    fixed_mask = np.isin(T, np.fromiter(fixed, np.int64, len(fixed)))
    checks = min(tuning.triple_checks_per_triple * len(T), most_checks)
    rows = triple_rows(index, cands, T, fixed_mask, int(checks), int(tuning.triple_rows_per_triple * len(T)))
    for a, b, c in rows.tolist():
        wm.model.add_bool_or([~wm.x[a], ~wm.x[b], ~wm.x[c]])
    return len(rows)


def triple_rows(index: ScenarioIndex, cands: Candidates, T: np.ndarray, fixed: np.ndarray,
                max_checks: int, max_rows: int) -> np.ndarray:
    """Sets of three sessions, any two of which fit together, that cannot all three be timed: rows
    ``x_a + x_b + x_c ≤ 2`` of the week model. Returned as positions into ``T`` (k × 3).

    The three are linked by shared people: all on one volunteer's day, all on one citizen's day, or a
    chain (a and b at one citizen's, b and c on one volunteer's day). Whether they fit is decided
    exactly on their start ranges (:class:`_Precedence`). Trips count between two sessions that must
    be visits only (as in :func:`_day_rows`), so a row never removes a valid week. Measured on a city
    of short shifts (the independent generator's ``shifts``): of the timing conflicts of the week
    models' answers, 57 of 86 were three sessions, 46 one volunteer's, which the energy rows did not
    see (narrow start ranges, not too many minutes, made them conflict). ``fixed`` (a mask over
    ``T``): agreed sessions, left out of every row (fixed on, what they leave of a day is the pair
    and energy rows' to say). At most
    ``max_checks`` sets are checked, the smallest days' first; where more than ``max_rows`` sets
    cannot be timed, none is returned (see ``Tuning.triple_rows_per_triple``)."""
    none = np.zeros((0, 3), np.int64)
    if len(T) < 3:
        return none
    p = _Precedence(index, cands, T)
    free = np.flatnonzero(~fixed)
    vday = [free[g] for g in groups(np.stack([p.vol[free], p.day[free]], axis=1)) if len(g) >= 2]
    cday = [free[g] for g in groups(np.stack([p.cit[free], p.day[free]], axis=1)) if len(g) >= 2]
    same_day: list[np.ndarray] = []
    left = max_checks
    for g in sorted(vday + cday, key=len):
        k = len(g)
        count = k * (k - 1) * (k - 2) // 6
        if k < 3:
            continue
        if count > left:
            break
        left -= count
        same_day.append(g[_combinations(k, 3)])
    tri = np.concatenate(same_day) if same_day else none
    # A city where most sets cannot be timed (long sessions, short days) is given up on a sample.
    sample = tri[::max(1, len(tri) // TRIPLE_SAMPLE)]
    if len(sample) and (_rows_of(p, sample).mean() * len(tri) > max_rows):
        return none
    # Pairs of one person's day that fit (every other such pair has its own row already, or is one
    # request twice a day, which rule 13 forbids); on a volunteer's day or a citizen's.
    pairs = [(g[_combinations(len(g), 2)], on_vday) for on_vday, gs in ((True, vday), (False, cday)) for g in gs]
    both = np.concatenate([q for q, _ in pairs] or [np.zeros((0, 2), np.int64)])
    by_volunteer = np.concatenate([np.full(len(q), v) for q, v in pairs] or [np.zeros(0, bool)])
    fit = p.fits(both) & (p.req[both[:, 0]] != p.req[both[:, 1]])
    both, by_volunteer = both[fit], by_volunteer[fit]
    n = len(T)
    fitting = np.unique(both.min(axis=1) * n + both.max(axis=1))

    def fit_pair(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        key = np.minimum(a, b) * n + np.maximum(a, b)
        at = np.minimum(np.searchsorted(fitting, key), max(len(fitting) - 1, 0))
        return fitting[at] == key if len(fitting) else np.zeros(len(a), bool)

    parts = [tri[fit_pair(tri[:, 0], tri[:, 1]) & fit_pair(tri[:, 0], tri[:, 2]) & fit_pair(tri[:, 1], tri[:, 2])]]
    # Chains a-b-c: a on b's citizen's day with another volunteer, c on b's volunteer's day with
    # another citizen; a and c share no one, so each chain has one middle.
    parts.append(_chains(both, by_volunteer, p, left))
    tri = np.concatenate(parts)
    rows: list[np.ndarray] = []
    found = 0
    for k in range(0, len(tri), TRIPLE_BLOCK):
        block = tri[k:k + TRIPLE_BLOCK]
        rows.append(block[~p.fits(block)])
        found += len(rows[-1])
        if found > max_rows:
            return none
    return np.concatenate(rows) if rows else none


def _rows_of(p: _Precedence, sets: np.ndarray) -> np.ndarray:
    """Per set of three (rows of ``sets``) of three requests: any two fit, all three do not."""
    distinct = (p.req[sets[:, 0]] != p.req[sets[:, 1]]) & (p.req[sets[:, 1]] != p.req[sets[:, 2]]) & (
        p.req[sets[:, 0]] != p.req[sets[:, 2]])
    return distinct & p.fits(sets[:, [0, 1]]) & p.fits(sets[:, [0, 2]]) & p.fits(sets[:, [1, 2]]) & ~p.fits(sets)


def _chains(pairs: np.ndarray, by_volunteer: np.ndarray, p: _Precedence, most: int) -> np.ndarray:
    """The chains a-b-c (rows) of fitting ``pairs``: (a, b) a pair of a citizen's day with two
    volunteers, (b, c) of a volunteer's day with two citizens; at most ``most``, the middles with
    fewest first."""
    ends = []
    for mask, other in ((~by_volunteer, p.vol), (by_volunteer, p.cit)):
        q = pairs[mask]
        q = np.concatenate([q, q[:, ::-1]])  # (middle, end) both ways
        q = q[other[q[:, 0]] != other[q[:, 1]]]
        ends.append(q[np.argsort(q[:, 0], kind="stable")])
    a_side, c_side = ends
    n = len(p.req)
    count_a = np.bincount(a_side[:, 0], minlength=n)
    count_c = np.bincount(c_side[:, 0], minlength=n)
    start_a = np.concatenate([[0], np.cumsum(count_a)[:-1]])
    start_c = np.concatenate([[0], np.cumsum(count_c)[:-1]])
    per = count_a * count_c
    middles = np.flatnonzero(per)
    middles = middles[np.argsort(per[middles], kind="stable")]
    middles = middles[np.cumsum(per[middles]) <= most]
    if not len(middles):
        return np.zeros((0, 3), np.int64)
    b = np.repeat(middles, per[middles])
    k = np.arange(len(b)) - np.repeat(np.cumsum(per[middles]) - per[middles], per[middles])
    ia = start_a[b] + k // count_c[b]
    ic = start_c[b] + k % count_c[b]
    return np.stack([a_side[ia, 1], b, c_side[ic, 1]], axis=1)


class _Precedence:
    """Whether sessions (positions into a week model's triples) fit together on their start ranges,
    decided exactly for a few at a time: for each order of them, each takes its earliest start after
    those before it with whom it shares a volunteer (then with the trip between two must-visits) or a
    citizen. For one order this is optimal, as every rule between them is a precedence; the sessions
    fit if one order does."""

    BIG = np.iinfo(np.int64).max // 4

    def __init__(self, index: ScenarioIndex, cands: Candidates, T: np.ndarray) -> None:
        self.index = index
        self.req, self.vol, self.day = cands.req[T], cands.vol[T], cands.day[T]
        self.cit = index.req_cit[self.req]
        self.dur = index.duration[self.req].astype(np.int64)
        self.visit = cands.in_person[T] & ~cands.phone[T]
        ranges = [cands.starts[t] for t in T.tolist()]
        width = max(map(len, ranges))
        self.lo = np.full((len(T), width), self.BIG, np.int64)
        self.hi = np.full((len(T), width), -1, np.int64)
        for i, rs in enumerate(ranges):
            for r, (a, b) in enumerate(rs):
                self.lo[i, r], self.hi[i, r] = a, b

    def _gap(self, i: np.ndarray, j: np.ndarray) -> np.ndarray:
        """The least time from i's start to j's, i first, where they share a person; -BIG elsewhere."""
        index = self.index
        same_v, same_c = self.vol[i] == self.vol[j], self.cit[i] == self.cit[j]
        trip = same_v & ~same_c & self.visit[i] & self.visit[j]
        minutes = np.zeros(len(i), np.int64)
        if trip.any():
            ci, cj = self.cit[i[trip]], self.cit[j[trip]]
            km = haversine_pairs(index.cit_lat[ci], index.cit_lon[ci], index.cit_lat[cj], index.cit_lon[cj])
            minutes[trip] = travel_minutes_array(km, index.detour, index.speed[self.vol[i[trip]]])
        return np.where(same_v | same_c, self.dur[i] + minutes, -self.BIG)

    def _earliest(self, i: np.ndarray, after: np.ndarray) -> np.ndarray:
        s = np.maximum(after[:, None], self.lo[i])
        return np.where(s <= self.hi[i], s, self.BIG).min(axis=1)

    def fits(self, sets: np.ndarray) -> np.ndarray:
        """Per row of ``sets`` (k × m positions): whether its m sessions can all be timed."""
        m = sets.shape[1]
        gap = {(a, b): self._gap(sets[:, a], sets[:, b]) for a in range(m) for b in range(m) if a != b}
        ok = np.zeros(len(sets), bool)
        todo = np.arange(len(sets))  # the rows no order tried so far fits
        for order in itertools.permutations(range(m)):
            at: dict[int, np.ndarray] = {}
            placed = np.ones(len(todo), bool)
            for k, a in enumerate(order):
                lower = np.full(len(todo), -self.BIG)
                for b in order[:k]:
                    g = gap[b, a][todo]
                    lower = np.maximum(lower, np.where(g > -self.BIG, at[b] + g, -self.BIG))
                at[a] = np.where(lower >= self.BIG, self.BIG, self._earliest(sets[todo, a], lower))
                placed &= at[a] < self.BIG
            ok[todo[placed]] = True
            todo = todo[~placed]
            if not len(todo):
                break
        return ok


_COMBOS: dict[tuple[int, int], np.ndarray] = {}
# Sets of three checked at once (their arrays: ~10 MB at this many; a city where most cannot be timed
# is given up after a block or two).
TRIPLE_BLOCK = 50_000
# Sets of three whose share that cannot be timed decides whether a week gets triple rows at all.
TRIPLE_SAMPLE = 5_000


def _combinations(k: int, r: int) -> np.ndarray:
    """Every set of ``r`` of ``range(k)``, as rows (kept for the day sizes that recur, up to 64)."""
    got = _COMBOS.get((k, r))
    if got is None:
        got = np.array(list(itertools.combinations(range(k), r)), np.int64).reshape(-1, r)
        if k <= 64:
            _COMBOS[k, r] = got
    return got


def exclusive_cliques(exclusive: np.ndarray,
                      need: np.ndarray) -> Iterator[tuple[np.ndarray, tuple[np.ndarray, np.ndarray]]]:
    """Rows covering every pair of ``need`` (an upper-triangular boolean matrix, a subset of the
    symmetric ``exclusive``: pairs of which at most one may be chosen): cliques of ``exclusive`` of
    three or more, for an at-most-one row each, then the pairs no clique covers, each a row of its
    own; yielded as (clique positions, (pairs' first, pairs' second positions)): a clique with no
    pairs, and last the uncovered pairs with an empty clique. A clique's row is exact (every two
    of its members exclude each other) and tighter than its pairs' rows in the linear relaxation;
    it replaces a dense day's quadratic number of pair rows by a few (measured on a city of short
    windows and long trips: 18 rows per candidate triple in the whole week models, 392,537 rows for
    22,031 triples).

    Greedy and deterministic: from the position with the most uncovered pairs, grow the clique by
    the common neighbour with the most uncovered pairs into it (then the most neighbours) while one
    has any; stop once a clique covers fewer than three pairs (the rest are pairs)."""
    need = need.copy()
    none = (np.zeros(0, np.int64), np.zeros(0, np.int64))
    degree_all = exclusive.sum(1)
    while True:
        open_ = need | need.T
        degree = open_.sum(1)
        if degree.max(initial=0) < 2:
            break
        v = int(np.argmax(degree))
        members = [v]
        cand = exclusive[v].copy()
        cand[v] = False
        into = open_[v].astype(np.int64)
        while cand.any():
            idx = np.flatnonzero(cand)
            score = into[idx] * (len(exclusive) + 1) + degree_all[idx]
            u = int(idx[int(np.argmax(score))])
            if not into[u]:
                break  # the rest would cover no pair left
            members.append(u)
            cand &= exclusive[u]
            cand[u] = False
            into += open_[u]
        mem = np.array(members)
        covered = int(np.triu(need[np.ix_(mem, mem)] | need[np.ix_(mem, mem)].T, 1).sum())
        if covered < 3:
            break
        need[np.ix_(mem, mem)] = False
        yield mem, none
    pairs = np.nonzero(need)
    if len(pairs[0]):
        yield np.zeros(0, np.int64), pairs


# The energy rows of many days are computed at once, in blocks whose (day, a, b, session) arrays hold
# about this many elements (~16 MB of int64); the trip rows' (stretch, from, to) arrays are cut to
# the same size. numpy's cost per call dominated when days were done one by one (measured: a medium
# alien week's ~1,100 days took 0.7 s; small-city's two week models took 0.77 s of CPU to build with
# its ~250 days of 17-128 candidate sessions a week one at a time, 0.37 s in blocks).
ENERGY_BLOCK_ELEMENTS = 2_000_000


def _energy(days: list[tuple[np.ndarray, np.ndarray, np.ndarray]], lo: np.ndarray, end: np.ndarray,
            dur: np.ndarray, m: cp_model.CpModel, x: list, rows_per_day: int) -> None:
    """The interval-energy rows (see :func:`_day_rows`) of ``days``: (sessions, which must be visits,
    trips between them with ``inf`` for one request twice), in blocks of days of one padded size,
    each day with its own distinct earliest starts and latest ends as the stretches' ends."""
    by_size: dict[int, list[int]] = {}
    for k, (g, _, _) in enumerate(days):
        by_size.setdefault(1 << (len(g) - 1).bit_length(), []).append(k)
    for n, ks in sorted(by_size.items()):
        starts = [np.unique(lo[days[k][0]]) for k in ks]
        ends = [np.unique(end[days[k][0]]) for k in ks]
        for block in _blocks([len(a) for a in starts], [len(b) for b in ends], n):
            _energy_block([days[ks[j]] for j in block], n, [starts[j] for j in block], [ends[j] for j in block],
                          lo, end, dur, m, x, rows_per_day)


def _blocks(n_starts: list[int], n_ends: list[int], n: int) -> Iterator[list[int]]:
    """Consecutive days (by position), as many to a block as keep its (day, a, b, session) arrays,
    padded to the block's most stretch starts and ends, within ``ENERGY_BLOCK_ELEMENTS``; one day
    alone however large."""
    block: list[int] = []
    na = nb = 0
    for i, (a, b) in enumerate(zip(n_starts, n_ends)):
        if block and (len(block) + 1) * max(na, a) * max(nb, b) * n > ENERGY_BLOCK_ELEMENTS:
            yield block
            block, na, nb = [], 0, 0
        block.append(i)
        na, nb = max(na, a), max(nb, b)
    if block:
        yield block


def _energy_block(days: list[tuple[np.ndarray, np.ndarray, np.ndarray]], n: int, day_starts: list[np.ndarray],
                  day_ends: list[np.ndarray], lo: np.ndarray, end: np.ndarray, dur: np.ndarray,
                  m: cp_model.CpModel, x: list, rows_per_day: int) -> None:
    """The energy rows of ``days``, each padded to ``n`` sessions (a padded session starts and ends
    at +∞: inside no interval [a, b] of real sessions) and to as many stretch ends as the block's
    day with most (a padded start is +∞ and a padded end −1: nothing lies inside); at most
    ``rows_per_day`` a day (``Tuning.energy_rows_per_day``), the most violated first."""
    big = np.iinfo(np.int64).max // 4
    G = len(days)
    LO = np.full((G, n), big, np.int64)
    END = np.full((G, n), big, np.int64)
    DUR = np.zeros((G, n), np.int64)
    VIS = np.zeros((G, n), bool)
    TR = np.full((G, n, n), np.inf)
    starts = np.full((G, max(map(len, day_starts))), big, np.int64)
    ends = np.full((G, max(map(len, day_ends))), -1, np.int64)
    for row, (g, gv, trips) in enumerate(days):
        LO[row, :len(g)], END[row, :len(g)], DUR[row, :len(g)] = lo[g], end[g], dur[g]
        VIS[row, gv] = True
        TR[row, :len(g), :len(g)] = trips
        starts[row, :len(day_starts[row])] = day_starts[row]
        ends[row, :len(day_ends[row])] = day_ends[row]
    TR[~(VIS[:, :, None] & VIS[:, None, :])] = np.inf  # trips count between two visits only
    rows: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []  # (day, coefficients, capacity)

    def offer(day: np.ndarray, coef: np.ndarray, members: np.ndarray, cap: np.ndarray) -> None:
        """Rows of the stretches that hold 3 sessions or more and overflow; ``day``: each stretch's
        day in the block (broadcast against the stretches' shape)."""
        over = (members.sum(-1) >= 3) & (coef.sum(-1) > cap)
        rows.append((np.broadcast_to(day, over.shape)[over], coef[over], cap[over]))

    # The most a visit's trip can add: the longest trip into it from another visit of its day. A
    # stretch whose visits, each with that trip, fit in it needs no trip row, which spares most of
    # the (stretch, from, to) arrays.
    longest = np.where(np.isfinite(TR), TR, 0).max(axis=1).astype(np.int64)
    # Intervals [a, b]: a over the days' earliest starts, b over their latest ends (axes 1, 2); a few
    # a at a time, which bounds the (day, a, b, session) arrays of a large day.
    step = max(1, ENERGY_BLOCK_ELEMENTS // (G * ends.shape[1] * n))
    for a0 in range(0, starts.shape[1], step):
        A = starts[:, a0:a0 + step]
        inside = (LO[:, None, None, :] >= A[:, :, None, None]) & (END[:, None, None, :] <= ends[:, None, :, None])
        width = ends[:, None, :] - A[:, :, None]
        offer(np.arange(G)[:, None, None], inside * DUR[:, None, None, :], inside, width)
        vin = inside & VIS[:, None, None, :]
        maybe = (vin.sum(-1) >= 3) & (np.where(vin, (DUR + longest)[:, None, None, :], 0).sum(-1) > width)
        gi, ai, bi = np.nonzero(maybe)
        chunk = max(1, ENERGY_BLOCK_ELEMENTS // n ** 2)
        for k0 in range(0, len(gi), chunk):
            g, a, b = (z[k0:k0 + chunk] for z in (gi, ai, bi))
            v = vin[g, a, b]
            # the shortest trip into each visit from another visit inside [a, b]
            into = np.where(v[:, :, None], TR[g], np.inf).min(axis=1)
            tau = np.where(v & np.isfinite(into), into, 0).astype(np.int64)
            offer(g, np.where(v, DUR[g] + tau, 0), v, width[g, a, b] + tau.max(-1))
    day = np.concatenate([r[0] for r in rows])
    if not len(day):
        return
    coef = np.concatenate([r[1] for r in rows])
    cap = np.concatenate([r[2] for r in rows])
    # One row per day and left-hand side, with the smallest capacity.
    _, first, inverse = np.unique(np.column_stack([day, coef]), axis=0, return_index=True, return_inverse=True)
    least = np.full(len(first), big)
    np.minimum.at(least, inverse.ravel(), cap)
    day, coef, cap = day[first], coef[first], least
    keep = rank_within(day, cap - coef.sum(-1)) < rows_per_day  # the most violated first
    for r in np.flatnonzero(keep).tolist():
        g = days[int(day[r])][0]
        members = np.flatnonzero(coef[r])
        m.add(cp_model.LinearExpr.weighted_sum([x[i] for i in g[members].tolist()], coef[r][members].tolist())
              <= int(cap[r]))


def start_var(m: cp_model.CpModel, cands: Candidates, t: int, name: str) -> cp_model.IntVar:
    """A session's start on candidate ``t``'s feasible start ranges."""
    return m.new_int_var_from_domain(cp_model.Domain.from_intervals([list(a) for a in cands.starts[t]]), name)


def trip_between(m: cp_model.CpModel, start_a: cp_model.IntVar, start_b: cp_model.IntVar, dur_a: int, dur_b: int,
                  t_ab: int, t_ba: int, when: list, name: str) -> cp_model.IntVar | None:
    """Two visits of one volunteer, in whichever order, with the trip between them (rule 10), enforced
    ``when`` all those literals hold; nothing is added when no trip is needed (NoOverlap says all).
    Returns the order literal (true: a first)."""
    if t_ab == 0 and t_ba == 0:
        return None
    a_first = m.new_bool_var(name)
    m.add(start_b >= start_a + dur_a + t_ab).only_enforce_if([a_first, *when])
    m.add(start_a >= start_b + dur_b + t_ba).only_enforce_if([~a_first, *when])
    return a_first


def add_day_sequence(index: ScenarioIndex, cands: Candidates, wm: WeekModel, positions: list[int],
                     volunteer: bool) -> None:
    """Sequence one volunteer's (``volunteer``) or one citizen's day in the week model: an optional
    interval per session on its exact start ranges, none overlapping; for a volunteer also the trip
    between every two sessions that must be visits, in whichever order they come.

    Added only where the timing proved a conflict (:meth:`.weekly.WeekSearch._cut`): the
    capacity sums above miss what start ranges and trips forbid together, and a cut forbids one
    combination only (measured on the alien cities: 19–30 cuts a week, each answer failing anew).
    The day model's sequencing (:func:`build_day_model`) but for sessions that may be either a
    visit or a call, whose trips it leaves out: a relaxation of rules 8, 10 and 11, so every
    valid week stays a solution and the model's bound stays a bound.
    """
    if len(positions) < 2:
        return
    m = wm.model
    T = wm.triples[positions]
    req = cands.req[T]
    dur = index.duration[req].astype(int)
    name = f"{'volunteer' if volunteer else 'citizen'}_day[{positions[0]}]"
    # One start per session, shared with the other day it is sequenced on (its citizen's or its
    # volunteer's): with a start each, the two sequences did not have to agree, and a conflict
    # between them came back round after round (small-appointments: 4–5 cuts a week, unproven).
    for j, t in zip(positions, T.tolist()):
        if j not in wm.start_of:
            wm.start_of[j] = start_var(m, cands, t, f"start[{j}]")
    starts = [wm.start_of[j] for j in positions]
    m.add_no_overlap([m.new_optional_fixed_size_interval_var(st, int(d), wm.x[j], f"{name}.session[{k}]")
                      for k, (st, d, j) in enumerate(zip(starts, dur, positions))])
    if not volunteer:
        return
    must_visit = np.flatnonzero(cands.in_person[T] & ~cands.phone[T]).tolist()
    v = int(cands.vol[T[0]])
    c = index.req_cit[req]
    for a_i, a in enumerate(must_visit):
        for b in must_visit[a_i + 1:]:
            if req[a] != req[b]:
                lit = trip_between(m, starts[a], starts[b], int(dur[a]), int(dur[b]),
                                    index.travel(v, int(c[a]), int(c[b])), index.travel(v, int(c[b]), int(c[a])),
                                    [wm.x[positions[a]], wm.x[positions[b]]], f"{name}.order[{a},{b}]")
                if lit is not None:
                    wm.orders.append((lit, positions[a], positions[b]))


def _earliest_end(ranges: tuple[tuple[int, int], ...], dur: int, ready: float) -> float:
    """End of a session started as early as its start ranges allow at or after ``ready``."""
    for lo, hi in ranges:
        if ready <= hi:
            return max(ready, lo) + dur
    return math.inf


def day_routes(index: ScenarioIndex, cands: Candidates, triples: list[int], volunteer: bool,
               cap: int) -> list[tuple[int, ...]] | None:
    """The sets of one volunteer's (``volunteer``) or one citizen's day's candidate ``triples`` that
    can be sequenced, as tuples of indices into ``triples`` (the empty set first); ``None`` if
    there are more than ``cap``.

    The relaxation :func:`add_day_sequence` enforces, made exact for the day alone: no two
    sessions at once, each on its start ranges, the trip between two visits that follow each
    other where both must be visits (for a citizen no trips), at most one session a request. A
    subset of a set that fits fits too (travel times keep the triangle inequality), so the sets
    are grown one session at a time. A set fits if some order does; the earliest end of each
    (set, last session) is enough to decide it (starting every session as early as possible is
    never worse for those after it), so every set is checked from the sets one smaller.
    """
    k = len(triples)
    req = [int(cands.req[t]) for t in triples]
    dur = [int(index.duration[r]) for r in req]
    ranges = [cands.starts[t] for t in triples]
    if volunteer:
        visit = [bool(cands.in_person[t] and not cands.phone[t]) for t in triples]
        v = int(cands.vol[triples[0]])
        cit = [int(index.req_cit[r]) for r in req]
        trip = [[index.travel(v, cit[a], cit[b]) if visit[a] and visit[b] and a != b else 0 for b in range(k)]
                for a in range(k)]
    else:
        trip = [[0] * k for _ in range(k)]
    ends: dict[int, dict[int, float]] = {}
    level: list[tuple[int, int]] = []
    for i in range(k):
        end = _earliest_end(ranges[i], dur[i], -math.inf)
        if end < math.inf:
            ends[1 << i] = {i: end}
            level.append((1 << i, i))
    sets: list[tuple[int, ...]] = [(), *((i,) for _, i in level)]
    if len(sets) > cap:
        return None
    while level:
        grown: list[tuple[int, int]] = []
        for members_bits, top in level:
            members = [i for i in range(top + 1) if members_bits >> i & 1]
            for j in range(top + 1, k):
                if req[j] in (req[i] for i in members) or (1 << j) not in ends:
                    continue
                bits = members_bits | 1 << j
                last_end: dict[int, float] = {}
                for last in (*members, j):
                    before = ends.get(bits & ~(1 << last))
                    if before is None:
                        continue
                    end = min((_earliest_end(ranges[last], dur[last], e + trip[p][last]) for p, e in before.items()),
                              default=math.inf)
                    if end < math.inf:
                        last_end[last] = end
                if last_end:
                    ends[bits] = last_end
                    grown.append((bits, j))
                    sets.append((*members, j))
                    if len(sets) > cap:
                        return None
        level = grown
    return sets


def add_day_routes(index: ScenarioIndex, cands: Candidates, wm: WeekModel, positions: list[int],
                   volunteer: bool, cap: int) -> bool:
    """Give one volunteer's (``volunteer``) or one citizen's day in the week model as a choice of
    one *route*: a set of its sessions that can be sequenced (:func:`day_routes`), one literal
    each, exactly one chosen, and each session on iff a chosen route holds it. Returns False
    (and adds nothing) where the day has more than ``cap`` such sets.

    The same relaxation as :func:`add_day_sequence` (so the model's bound stays a bound), but its
    linear relaxation is the convex hull of the day's feasible sets, where NoOverlap with optional
    intervals relaxes to little more than the day's free minutes. Measured on small-appointments
    (fixed-start appointments): the relaxed week 1 gives 301, timed 295; with every day sequenced
    CP-SAT still had bound 302 after 60 s; with routes on every volunteer's day it proved 295 in
    1.5 s, and with routes only on the days the timing proved a conflict on (6 days, 918 sets)
    after two rounds.
    """
    if len(positions) < 2:
        return False
    sets = day_routes(index, cands, wm.triples[positions].tolist(), volunteer, cap)
    if sets is None:
        return False
    if len(sets) == 1 << len(positions):
        return True  # every combination fits: nothing to add
    m = wm.model
    name = f"{'volunteer' if volunteer else 'citizen'}_day[{positions[0]}]"
    chosen = [m.new_bool_var(f"{name}.route[{i}]") for i in range(len(sets))]
    m.add_exactly_one(chosen)
    holding: list[list[cp_model.IntVar]] = [[] for _ in positions]
    for lit, members in zip(chosen, sets):
        for i in members:
            holding[i].append(lit)
    for j, lits in zip(positions, holding):
        m.add(wm.x[j] == cp_model.LinearExpr.sum(lits))
    wm.routes.append((list(positions), sets, chosen))
    return True


def add_secondary(index: ScenarioIndex, cands: Candidates, wm: WeekModel, weights: Weights) -> None:
    """Add the secondary aims' terms (variables, coefficients) to ``wm.secondary``; see
    :mod:`workbench.objective` (continuity across weeks has a stage of its own)."""
    T = wm.triples
    req, vol = cands.req[T], cands.vol[T]
    sc = index.scenario
    c_of = index.req_cit[req]
    c_int = sc.citizens["interests"].to_numpy(object)[c_of]
    v_int = sc.volunteers["interests"].to_numpy(object)[vol]
    mode = index.request_mode[req]
    terms = wm.secondary

    def term(name: str, coeffs: np.ndarray) -> None:
        nz = np.flatnonzero(coeffs)
        if len(nz):
            terms[name] = ([wm.x[i] for i in nz], coeffs[nz].astype(int).tolist())

    preferred = index.preferred
    if weights.preferred:
        term("preferred", np.array([weights.preferred if v in preferred[r] else 0
                                    for r, v in zip(req.tolist(), vol.tolist())]))
    if weights.interests:
        term("interests", np.array([weights.interests * min(3, len(set(a) & set(b))) for a, b in zip(c_int, v_int)]))
    if weights.travel:
        road = 2 * cands.distance_km[T] * index.detour
        term("travel", np.where(mode == "in_person", -np.round(weights.travel * road), 0))
    if weights.continuity:
        # Within the week, a request served twice should not be split across volunteers.
        m = wm.model
        ys, cs = [], []
        rid, vid = index.request_ids, index.volunteer_ids
        for g in groups(np.stack([req, vol], axis=1)):
            r = int(req[g[0]])
            if index.week_demand[r, wm.week] < 2:
                continue
            y = m.new_bool_var(f"serves[{rid[r]},{vid[int(vol[g[0]])]},week{wm.week}]")
            for i in g:
                m.add_implication(wm.x[i], y)
            ys.append(y)
            cs.append(-weights.continuity)
        if ys:
            terms["continuity_within_week"] = (ys, cs)
    if weights.equity:
        _equity_term(index, cands, wm, weights, terms)


def _equity_term(index: ScenarioIndex, cands: Candidates, wm: WeekModel, weights: Weights,
                 terms: dict[str, tuple[list, list[int]]]) -> None:
    """Lift the least-covered district: z ≤ coverage% of every district with demand this week."""
    m = wm.model
    district = index.scenario.citizens["district"].to_numpy(object)
    by_d: dict[str, list[int]] = defaultdict(list)
    req_of = cands.req[wm.triples]
    for j, r in enumerate(req_of.tolist()):
        by_d[district[index.req_cit[r]]].append(j)
    demand: dict[str, int] = defaultdict(int)
    for r in set(req_of.tolist()):
        demand[district[index.req_cit[r]]] += int(index.week_demand[r, wm.week])
    z = m.new_int_var(0, 100, f"min_district_coverage_pct[week{wm.week}]")
    for d_name, js in by_d.items():
        if demand[d_name]:
            m.add(100 * cp_model.LinearExpr.sum([wm.x[j] for j in js]) >= demand[d_name] * z)
    terms["equity"] = ([z], [weights.equity])


@dataclass
class DayModel:
    """The timing model of one group of a date and its handles (one entry per assigned session)."""

    model: cp_model.CpModel
    sessions: list[int]  # candidate positions
    start: list[cp_model.IntVar]
    present: list
    in_person: list


def build_day_model(index: ScenarioIndex, cands: Candidates, sessions: list[int], fixed: dict[int, Session],
                    *, all_present: bool = False) -> DayModel:
    """Exact times for the sessions (candidate positions) assigned to one date.

    ``fixed``: candidate position → the agreed session (start and mode) to keep.
    ``all_present``: require every session (to prove that a group cannot fit).
    """
    m = cp_model.CpModel()
    rid, vid = index.request_ids, index.volunteer_ids
    starts, present, ip, ivs = [], [], [], []
    by_vol: dict[int, list[int]] = defaultdict(list)
    by_cit: dict[int, list[int]] = defaultdict(list)
    obj_vars: list = []
    obj_coeffs: list[int] = []
    may_visit: list[bool] = []
    mode_free: list[bool] = []
    for k, t in enumerate(sessions):
        r, v = int(cands.req[t]), int(cands.vol[t])
        name = f"{rid[r]},{vid[v]},{index.dates[int(cands.day[t])]}"
        dur = int(index.duration[r])
        agreed = fixed.get(t)
        if agreed is not None:
            s = m.new_constant(agreed.start)
            p = m.new_constant(1)
            in_p = m.new_constant(int(agreed.in_person))
            may_visit.append(agreed.in_person)
            mode_free.append(False)
        else:
            ip_ok, ph_ok = bool(cands.in_person[t]), bool(cands.phone[t])
            s = start_var(m, cands, t, f"start[{name}]")
            p = m.new_constant(1) if all_present else m.new_bool_var(f"present[{name}]")
            in_p = m.new_bool_var(f"in_person[{name}]") if ip_ok and ph_ok else m.new_constant(int(ip_ok))
            may_visit.append(ip_ok)
            mode_free.append(ip_ok and ph_ok)
            if not all_present:
                obj_vars.append(p)
                obj_coeffs.append(1000 * int(index.priority[r]))
            if ip_ok and ph_ok:
                obj_vars.append(in_p)  # a visit beats a call when both are possible
                obj_coeffs.append(1)
        ivs.append(m.new_optional_fixed_size_interval_var(s, dur, p, f"session[{name}]"))
        starts.append(s)
        present.append(p)
        ip.append(in_p)
        by_vol[v].append(k)
        by_cit[int(index.req_cit[r])].append(k)
    for group in list(by_vol.values()) + list(by_cit.values()):
        if len(group) > 1:
            m.add_no_overlap([ivs[k] for k in group])
    for v, group in by_vol.items():
        visits = [k for k in group if may_visit[k]]
        for a_i, a in enumerate(visits):
            for b in visits[a_i + 1:]:
                ra, rb = int(cands.req[sessions[a]]), int(cands.req[sessions[b]])
                ca, cb = int(index.req_cit[ra]), int(index.req_cit[rb])
                both = [ip[k] for k in (a, b) if mode_free[k]] + [present[k] for k in (a, b)
                                                                  if sessions[k] not in fixed and not all_present]
                trip_between(m, starts[a], starts[b], int(index.duration[ra]), int(index.duration[rb]),
                              index.travel(v, ca, cb), index.travel(v, cb, ca), both, f"order[{vid[v]},{a},{b}]")
    if obj_vars:
        m.maximize(cp_model.LinearExpr.weighted_sum(obj_vars, obj_coeffs))
    return DayModel(model=m, sessions=list(sessions), start=starts, present=present, in_person=ip)
