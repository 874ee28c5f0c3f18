"""An honest upper bound on the primary aim: no schedule that keeps the hard rules serves more.

The relaxation, per week, over every compatible (request, volunteer) pair
(:class:`~workbench.engine.candidates.PairWeeks`): ``y[r,v] ≥ 0`` sessions of
request ``r`` by volunteer ``v`` in the week, at most the days the pair has room
and at most the request's weekly demand, with

- Σ_v y[r,v] ≤ demand of r in the week                      (rule 13)
- Σ_r y[r,v] ≤ max_sessions_per_week of v                   (rule 12)
- Σ_r dur_r · y[r,v] ≤ min(max_minutes_per_week, free minutes of v in the week)   (rules 8, 10, 12)
- Σ_{r of c, v} dur_r · y[r,v] ≤ free minutes of citizen c in the week             (rules 8, 11)

maximising Σ priority · y. Every valid schedule gives a feasible ``y``, so the
LP value bounds the problem. Modelling notes measured this relaxation within
0.02% of the triple-level one at medium size, in a fraction of its time. Its
looseness is elsewhere, and not cheap to remove: on medium-alien (week values
3,164 / 3,134 / 3,159 / 3,147) rows of session capacities per volunteer and
citizen (as in the flow bound) change nothing, and with integer ``y`` HiGHS's
dual bound after 30 s a week is only 1–2 lower (3,162 / 3,132 / 3,157 / 3,145), while the
complete week models reach 3,100 / 3,129 only after minutes of search: what
the schedules lose to the bound is the days' timing, which no pair-level row sees.
Nor is the triple-level LP with the week models' day rows (pairs that cannot share a day,
interval energy) worth its time (measured 2026-12-02 with HiGHS): on the small cities it is
the pair LP's value rounded down (small-city 381 / 363, small-appointments 305.3 / 303.0,
where CP-SAT's search proves 301 for the latter's week 1), and on medium-alien one week of
106,000 triples had not solved in 19 minutes. What a triple-level LP does see cheaply is the days'
minutes: :func:`day_lp_bound` keeps only those rows (and the citizens' sides), by column generation
from the pair LP's pairs, in about a second a week at medium size; it binds where volunteers have
short days (the third generator's towns city: 1.8 % below every other bound).
At large size (city-large, 10.8 million pair-weeks) the LP converges at 62,218, against
the flow bound's 62,538 (0.5 % looser); with the primal simplex and the weeks side by side
on two cores in ~20 s (it had taken 171 s with the dual simplex one week after another).
It runs where that fits the time (``Tuning.lp_seconds_per_pair_week``): its reduced
costs, more than its value, make the large cities' week models better.

Where the pair LP is loose is the citizens' side: a citizen's requests that cannot follow one
another in the times volunteers can come. :func:`citizen_bound` takes each citizen alone, with
the citizen's rules exact and the volunteers' dropped; per week the lower of it and the LP is the
bound (medium-alien-villages 12,325 against 12,457, the value the complete week models' CP-SAT
bound reaches after minutes). It needs, per request and day, the union of every compatible
volunteer's starts (:func:`~workbench.engine.candidates.start_union`, from the pair-weeks), not
the candidates: so it bounds the large cities too, whose candidates are thinned.

It is loose on the volunteers' side too where they have few sessions or minutes a week: the LP
serves a fraction of a session with the minutes left. :func:`volunteer_week_bound` prices the
requests' and citizens' rows at the LP's duals and keeps each volunteer's week whole (an integer
knapsack over its sessions and minutes, solved exactly): a Lagrangian bound, valid at any prices,
never above the LP's at its own. Measured (2026-12-05) on a city of 150 volunteers / 320 citizens /
3 weeks with tight limits and long windows: 2,566 against the LP's 2,605 (the complete week models
proved 2,554 after 80 s of search; keeping each volunteer's days' timing as well, in a CP-SAT model
per volunteer-week, 2,558 in 33 s); medium-appointments 5,966 against 6,010; in milliseconds. With the
timing kept, medium-city's first week was the knapsack's value to the session (2,257.1) in 46 s: not
worth it.

Pins (rule 14) are in every schedule: each relaxation bounds the problem with them taken out
(:func:`pinned_residual`), and their priority is added; one that counted a pin as one more session
to give anyone was 15 % above a pinned city's optimum.

Before the LP, a transportation relaxation is solved as a min-cost flow
(:func:`flow_bound`, milliseconds at medium size, ~2 s at large): the minute
rows are replaced by session capacities (a volunteer's minutes divided by the
shortest session they could give, and no more sessions than fit in their days'
windows), which keeps it a relaxation and makes it a network problem. It is
measured 0.4% looser than the LP and is the bound whenever the LP cannot finish.

The LP is solved by column generation: a working set of pairs, then the
reduced cost of *every* pair under the working set's duals. By weak duality,
for any duals ``λ ≥ 0`` the value ``b·λ + Σ_pairs u·max(0, reduced cost)`` bounds
the LP, so the bound is valid after every round, whatever stops the rounds
(the clock, a work limit) — it only gets tighter with more rounds. Only pairs
with a positive reduced cost join the next round.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TypeVar

import numpy as np

from ..availability import without
from ..geo import travel_minutes_array
from ..index import ScenarioIndex
from .candidates import (
    Candidates,
    FreeDays,
    PairWeeks,
    StartUnion,
    fits_windows,
    free_days_again,
    order_within,
    rank_within,
)
from .tuning import TUNING, Tuning

T = TypeVar("T")


@dataclass(frozen=True)
class Bound:
    """The bound (an integer: the primary aim is a sum of integers), per week, and how it was reached.

    ``lp_optimal``: the column generation converged (no pair with positive reduced
    cost), so the bound is the LP's optimum; otherwise a weaker, still valid, dual bound.
    ``weeks``: a week the clock did not let the LP reach has ``inf`` (and ``value`` is -1).
    ``volunteer_weeks``: per week, another bound from the same prices (see
    :func:`volunteer_week_bound`), not folded into ``value``: the caller keeps the lower per week.
    """

    value: int
    weeks: tuple[float, ...]
    lp_optimal: bool
    rounds: int
    pair_value: np.ndarray  # per pair-week: its LP reduced cost (0 for pairs the LP uses)
    pair_use: np.ndarray  # per pair-week: the sessions the LP's last solution gives it
    #: Per week, the volunteers' side at the same prices (:func:`volunteer_week_bound`); ``inf`` where
    #: no LP was solved or the clock left no time for it.
    volunteer_weeks: tuple[float, ...] = ()


def _earlier_in_group(units: np.ndarray, first: np.ndarray) -> np.ndarray:
    """Per element, the ``units`` of the elements before it in its group (groups contiguous, each
    starting at an index of ``first``)."""
    csum = np.cumsum(units)
    return csum - units - np.repeat(csum[first] - units[first], np.diff(np.r_[first, len(units)]))


def _lagrangian(duals: np.ndarray, rhs: np.ndarray, n_r: int, r: np.ndarray, value: np.ndarray,
                upper: np.ndarray, demand: np.ndarray) -> float:
    """A valid bound from the duals of the volunteer and citizen rows alone (requests kept as constraints).

    For fixed ``λ ≥ 0`` on those rows, each request independently takes its pairs of highest
    ``value`` (priority minus the rows' prices), positive only, up to its demand; with the
    rows' ``b·λ`` this bounds the LP (weak duality) and is never looser than pricing the
    request rows too, so it is tight long before the column generation converges.
    """
    take = value > 1e-12
    idx = np.flatnonzero(take)
    if len(idx):
        order = idx[np.argsort(-value[idx], kind="stable")]
        order = order[np.argsort(r[order], kind="stable")]
        g = r[order]
        u = upper[order]
        first = np.r_[0, np.flatnonzero(g[1:] != g[:-1]) + 1]
        before = _earlier_in_group(u, first)  # units of this request taken by better pairs
        amount = np.clip(demand[g] - before, 0.0, u)
        gain = float(amount @ value[order])
    else:
        gain = 0.0
    return float(rhs[n_r:] @ duals[n_r:]) + gain


def volunteer_knapsack(profit: np.ndarray, upper: np.ndarray, duration: np.ndarray, sessions: float,
                       minutes: float, cells: int = TUNING.volunteer_dp_cells) -> float:
    """The most ``Σ profit·n`` one volunteer's week holds: whole sessions ``0 ≤ n ≤ upper`` of each
    request (``profit`` > 0 each), at most ``sessions`` of them (``inf``: no limit) and
    ``Σ duration·n ≤ minutes``. Exact (a dynamic programme over sessions and minutes, per duration the
    most profitable first), or, where that table would be too large, the lower of two relaxations
    (the count alone; the minutes alone, fractionally): an upper bound either way.
    """
    if minutes < 1 or sessions < 1 or not len(profit):
        return 0.0
    order = np.argsort(-profit, kind="stable")
    profit, upper, duration = profit[order], upper[order].astype(np.int64), duration[order].astype(np.int64)
    k_max = int(min(sessions, upper.sum()))
    # The k_max most profitable sessions, were minutes no limit.
    before = np.cumsum(upper) - upper
    take = np.minimum(upper, np.maximum(0, k_max - before))
    if float(take @ duration) <= minutes:
        return float(take @ profit)  # they fit: the optimum
    by_count = float(take @ profit)
    g = int(np.gcd.reduce(duration))
    room = int(minutes) // g
    groups: list[tuple[int, np.ndarray]] = []  # per duration (in g), the best j sessions' profit, j = 0..
    for d in np.unique(duration // g).tolist():
        sel = duration // g == d
        cap = min(k_max, room // d)
        if cap > 0:
            groups.append((d, np.r_[0.0, np.cumsum(np.repeat(profit[sel], upper[sel])[:cap])]))
    steps = sum(len(best) - 1 for _d, best in groups)
    count_binds = k_max < steps
    if (k_max + 1 if count_binds else 1) * (room + 1) * steps > cells:
        # Fractional by profit per minute: the minutes' LP, then the lower of it and the count's.
        density = np.argsort(-(profit / duration), kind="stable")
        used = np.cumsum(upper[density] * duration[density])
        whole = used <= minutes
        value = float(upper[density][whole] @ profit[density][whole])
        if not whole.all():
            i = int(np.argmin(whole))
            value += (minutes - (used[i] - upper[density][i] * duration[density][i])) * profit[density][i] \
                / duration[density][i]
        return min(by_count, value)
    # table[k, m]: the most profit from k sessions or fewer in m·g minutes or fewer.
    table = np.zeros((k_max + 1 if count_binds else 1, room + 1))
    for d, best in groups:
        new = table.copy()
        for j in range(1, len(best)):
            s = j * d
            if count_binds:
                np.maximum(new[j:, s:], table[:table.shape[0] - j, :room + 1 - s] + best[j], out=new[j:, s:])
            else:
                np.maximum(new[:, s:], table[:, :room + 1 - s] + best[j], out=new[:, s:])
        table = new
    return float(table[-1, room])


def volunteer_week_bound(index: ScenarioIndex, r: np.ndarray, v: np.ndarray, upper: np.ndarray,
                         duals: np.ndarray, rhs: np.ndarray, tuning: Tuning = TUNING) -> float:
    """A week's bound from the LP's prices of the requests' and citizens' rows, each volunteer's
    week kept whole: ``Σ priced rows' b·λ + Σ_v`` the most that volunteer's sessions earn at the
    prices (``priority − λ_request − λ_citizen·duration``), in whole sessions within their weekly
    sessions and minutes (:func:`volunteer_knapsack`).

    Pricing ``≤`` rows by any ``λ ≥ 0`` keeps a relaxation, so this bounds the week whatever the
    prices are; at the LP's own prices it is never above the LP's value, and below it where the LP
    serves fractions of sessions to volunteers with few sessions or minutes left (measured on a city
    of 150 volunteers / 320 citizens / 3 weeks with tight limits and long windows: 2,566 against
    the LP's 2,605, where the complete week models proved 2,554 after 80 s of search; on the
    benchmark's medium-appointments 5,966 against 6,010). ``r``, ``v``, ``upper``: the week's pairs
    and the sessions each may have; ``duals``, ``rhs``: the LP's rows as :func:`_week_bound` lays
    them out (:func:`week_rows`).
    """
    n_r, n_v = index.n_requests, index.n_volunteers
    lam, lam_cit = duals[:n_r], duals[n_r + 2 * n_v:]
    total = float(rhs[:n_r] @ lam + rhs[n_r + 2 * n_v:] @ lam_cit)
    # A session's profit is its request's.
    profit = (index.priority - lam - lam_cit[index.req_cit] * index.duration)[r]
    keep = np.flatnonzero((profit > 1e-12) & (upper > 0))
    if not len(keep):
        return total
    # Each volunteer's pairs together, the most profitable first.
    keep = keep[order_within(v[keep], -profit[keep])]
    vk, pk, uk = v[keep], profit[keep], upper[keep].astype(np.int64)
    dk = index.duration[r[keep]]
    first = np.r_[0, np.flatnonzero(vk[1:] != vk[:-1]) + 1]
    vols = vk[first]
    sessions = rhs[n_r:n_r + n_v][vols]  # the weekly sessions limit (1e9: none)
    minutes = rhs[n_r + n_v:n_r + 2 * n_v][vols]  # min(weekly minutes limit, free minutes)
    # Most volunteers' best sessions by profit (as many as they may give) fit their minutes: that is
    # their optimum, found for all at once; the others get the knapsack.
    group = np.repeat(np.arange(len(first)), np.diff(np.r_[first, len(vk)]))
    take = np.clip(sessions[group] - _earlier_in_group(uk, first), 0, uk)
    used = np.bincount(group, take * dk, len(first))
    fits = used <= minutes
    total += float(np.bincount(group, take * pk, len(first))[fits].sum())
    bounds = np.r_[first, len(vk)]
    for g in np.flatnonzero(~fits).tolist():
        a, b = bounds[g], bounds[g + 1]
        total += volunteer_knapsack(pk[a:b], uk[a:b], dk[a:b], float(sessions[g]), float(minutes[g]),
                                    tuning.volunteer_dp_cells)
    return total


@dataclass
class Pinned:
    """The problem with its pins taken out (see :func:`pinned_residual`): the residual index and free
    days the relaxations bound, and what the pins themselves serve, per week and per citizen-week."""

    index: ScenarioIndex
    fd: FreeDays
    weeks: np.ndarray  # per week: Σ priority of its pins
    citizens: np.ndarray  # citizens × weeks: the same per citizen-week
    #: The person-days a pin carved (``person · days + day``, sorted): the volunteers' and the citizens'.
    volunteer_days: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(0, np.int64))
    citizen_days: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(0, np.int64))

    def carved(self, req: np.ndarray, vol: np.ndarray, day: np.ndarray) -> np.ndarray:
        """Per triple, whether a pin carved its volunteer's or its citizen's day."""
        if not len(self.volunteer_days):
            return np.zeros(len(req), bool)
        n_days = len(self.index.dates)
        c = self.index.req_cit[req].astype(np.int64)
        return np.isin(vol.astype(np.int64) * n_days + day, self.volunteer_days) \
            | np.isin(c * n_days + day, self.citizen_days)

    def fits(self, req: np.ndarray, vol: np.ndarray, day: np.ndarray) -> np.ndarray:
        """Per triple, whether its session fits the residual's windows: where a pin carved its
        volunteer's or its citizen's day, a session besides the pins must lie in what the pin left of
        both (no two of a person's sessions overlap, rules 10 and 11), so a triple that fitted only
        across the pin has no such session in any schedule. Measured on a split-shift city with a
        quarter of its requests pinned (``bench_unseen.py --size medium --seed 671``'s city 1): a pin
        inside a shift of 90-150 minutes leaves pieces no session fits; 9,569 of its 73,536 triples
        fit none, and the days' bound fell 8,640 → 8,547."""
        out = np.ones(len(req), bool)
        at = np.flatnonzero(self.carved(req, vol, day))
        out[at] = fits_windows(self.index, req[at], vol[at], day[at])
        return out


def pinned_residual(index: ScenarioIndex, fd: FreeDays) -> Pinned:
    """The pins (rule 14) taken out of the problem the bound relaxes.

    Every schedule that keeps the rules holds every pin; what it serves besides them keeps the rules
    of a smaller problem: each pinned request's demand in its week one session less and no other
    session of it on the pin's day (rule 13: the citizens' side and the days' LP keep that), the pinned
    volunteer's weekly sessions and minutes less the pin's, and the pin's minutes taken out of the
    volunteer's and the citizen's windows that day (no two of a person's sessions overlap). So
    Σ the pins' priority plus a bound of that residual problem bounds the problem (the trips to and
    from a pinned visit are left out: a residual looser than it could be is still a relaxation; with
    the pinned request-days kept, each side of it with the pins added is never above the same side of
    the whole problem but for the pair LP's days, which do not see the pin's). Without it a pin was one more session
    the relaxations could give to anyone: measured 2026-12-07 on the third generator's towns city of
    300 volunteers / 705 citizens / 1 week with a quarter of its requests pinned, every relaxation
    said 2,623 and the week's model over every triple (the problem itself, searched 6 minutes) at
    most 2,282; with the pins taken out the days' LP says 564 + 1,772 = 2,336."""
    n_w, n_c = index.weeks, len(index.citizen_ids)
    weeks, citizens = np.zeros(n_w), np.zeros((n_c, n_w))
    pins = index.scenario.pins
    if pins.empty:
        return Pinned(index, fd, weeks, citizens)
    demand = index.week_demand.copy()
    sessions, minutes = np.zeros((index.n_volunteers, n_w)), np.zeros((index.n_volunteers, n_w))
    free = index.free
    vol_windows, cit_windows, with_rows = dict(free.volunteer), dict(free.citizen), set(free.citizens_with_rows)
    vol_days: set[tuple[int, int]] = set()
    cit_days: set[tuple[int, int]] = set()
    taken: list[int] = []
    for pin in pins.itertuples(index=False):
        r, v, d = (index.request_pos.get(pin.request_id), index.volunteer_pos.get(pin.volunteer_id),
                   index.day_pos.get(pin.date))
        if r is None or v is None or d is None:  # checked at load time; left in the relaxation if not
            continue
        w, c, dur, start = d // 7, int(index.req_cit[r]), int(index.duration[r]), int(pin.start)
        weeks[w] += index.priority[r]
        citizens[c, w] += index.priority[r]
        demand[r, w] = max(0, demand[r, w] - 1)
        sessions[v, w] += 1
        minutes[v, w] += dur
        vid, cid, day = index.volunteer_ids[v], index.citizen_ids[c], index.dates[d]
        vol_windows[(vid, day)] = without(vol_windows.get((vid, day), ()), start, start + dur)
        if cid not in with_rows:  # free in the default window every day: now with rows of its own
            with_rows.add(cid)
            cit_windows.update({(cid, x): free.citizen_default for x in free.horizon})
        cit_windows[(cid, day)] = without(cit_windows.get((cid, day), ()), start, start + dur)
        vol_days.add((v, d))
        cit_days.add((c, d))
        taken.append(r * len(index.dates) + d)
    carved = dataclasses.replace(free, volunteer=vol_windows, citizen=cit_windows,
                                 citizens_with_rows=frozenset(with_rows))
    residual = dataclasses.replace(index, week_demand=demand, free=carved, taken_sessions=sessions,
                                   taken_minutes=minutes, taken_days=np.unique(np.array(taken, np.int64)))
    n_days = len(index.dates)
    return Pinned(residual, free_days_again(fd, residual, vol_days, cit_days), weeks, citizens,
                  np.unique(np.array([v * n_days + d for v, d in vol_days], np.int64)),
                  np.unique(np.array([c * n_days + d for c, d in cit_days], np.int64)))


def flow_bound(index: ScenarioIndex, pw: PairWeeks, fd: FreeDays,
               out_of_time: Callable[[], bool] = lambda: False) -> tuple[np.ndarray, np.ndarray]:
    """Per week, the transportation relaxation's optimum (see module docstring); and per pair-week of
    ``pw``, the sessions that optimum gives it (a good first working set for the LP). Weeks the
    clock does not let it reach get ``inf`` (no bound from here)."""
    if not pw.complete:
        raise ValueError("the flow bound needs every compatible pair; this set was cut short")
    values = np.zeros(index.weeks)
    used = np.zeros(len(pw), np.int32)  # one per pair-week: kept small (city-large has 10.8 million)
    for w in range(index.weeks):
        if w and out_of_time():
            values[w:] = math.inf
            break
        sel = np.flatnonzero(pw.week == w)
        r, v = pw.req[sel], pw.vol[sel]
        demand = index.week_demand[:, w].astype(np.int64)
        total = int(demand.sum())
        if len(sel) == 0 or total == 0:
            continue
        upper = np.minimum(pw.days[sel], demand[r])
        cap = session_capacity(index, fd, w, r, v, total)
        solved = transportation(demand, cap, r, v, upper, -index.priority[r])
        if solved is None:  # cannot happen for this network; the trivial bound then
            values[w] = float((index.priority * demand).sum())
            continue
        values[w], used[sel] = -solved[0], solved[1]
    return values, used


def transportation(supply: np.ndarray, capacity: np.ndarray, left: np.ndarray, right: np.ndarray,
                   arc_capacity: np.ndarray, arc_cost: np.ndarray) -> tuple[int, np.ndarray] | None:
    """The cheapest flow from left nodes (each sending up to its ``supply``) over the arcs
    (``left``, ``right``) to right nodes (each taking up to its ``capacity``); units may also stay
    unsent at no cost. Returns the optimal cost and each arc's flow (None if the solver fails)."""
    from ortools.graph.python import min_cost_flow

    n_l, n_r = len(supply), len(capacity)
    total = int(supply.sum())
    source, sink = n_l + n_r, n_l + n_r + 1
    flow = min_cost_flow.SimpleMinCostFlow()
    tails = np.concatenate([np.full(n_l, source), left, n_l + np.arange(n_r), [source]]).astype(np.int32)
    heads = np.concatenate([np.arange(n_l), n_l + right, np.full(n_r, sink), [sink]]).astype(np.int32)
    caps = np.concatenate([supply, arc_capacity, capacity, [total]]).astype(np.int64)
    costs = np.concatenate([np.zeros(n_l), arc_cost, np.zeros(n_r), [0]]).astype(np.int64)
    arcs = flow.add_arcs_with_capacity_and_unit_cost(tails, heads, caps, costs)
    flow.set_nodes_supplies(np.array([source, sink]), np.array([total, -total]))
    if flow.solve() != flow.OPTIMAL:
        return None
    return int(flow.optimal_cost()), flow.flows(arcs[n_l:n_l + len(left)])


def session_capacity(index: ScenarioIndex, fd: FreeDays, week: int, r: np.ndarray, v: np.ndarray,
                     most: int, trips: bool = False) -> np.ndarray:
    """Per volunteer, at most how many sessions of week ``week`` they can give to the requests of
    the pairs (``r``, ``v``): their weekly limits, and one session per shortest duration inside
    their free minutes and each day's windows (:func:`sessions_in_windows`; never fewer than the
    truth), with ``trips`` the least trip between two of them in a row too (:func:`least_trips`);
    ``most`` stands for no limit."""
    n_v = index.n_volunteers
    days = slice(7 * week, 7 * week + 7)
    shortest = np.full(n_v, np.iinfo(np.int64).max)
    np.minimum.at(shortest, v, index.duration[r])
    shortest = np.maximum(shortest, 1)
    max_sessions, max_minutes = index.week_limits(week)
    minutes = np.minimum(max_minutes, fd.v_minutes[:, days].sum(axis=1))
    trip = least_trips(index, v, r, v, n_v) if trips else np.zeros(n_v)
    per_day = sessions_in_windows(index, fd, week, np.broadcast_to(shortest[:, None], (n_v, 7)),
                                  np.broadcast_to(trip[:, None], (n_v, 7))).sum(1)
    cap = np.minimum(np.minimum(max_sessions, np.floor(minutes / shortest)), per_day)
    return np.where(np.isfinite(cap), cap, most).astype(np.int64)


def trivial_bound(index: ScenarioIndex) -> int:
    """Σ priority × demanded sessions in the horizon: what serving everybody would give."""
    return int(index.weighted_demand)


def side_by_side(weeks: int, workers: int) -> int:
    """How many of ``weeks`` :func:`week_by_week` runs at once on ``workers`` threads (at least one)."""
    return max(1, min(workers, weeks))


def week_by_week(week: Callable[[int], T], weeks: int, workers: int) -> list[T]:
    """``week(w)`` for every week, side by side on up to ``workers`` threads: HiGHS releases the
    interpreter while it solves (measured on city-large, two weeks of the pair LP: 17.0 s one after
    the other, 10.6 s side by side). Each week's LP is its own, so the result does not depend on how
    many run at once."""
    threads = side_by_side(weeks, workers)
    if threads == 1:
        return [week(w) for w in range(weeks)]
    with ThreadPoolExecutor(max_workers=threads) as pool:
        return list(pool.map(week, range(weeks)))


def lp_bound(index: ScenarioIndex, pw: PairWeeks, fd: FreeDays, distance: np.ndarray,
             out_of_time: Callable[[], bool] = lambda: False, seed_pairs: np.ndarray | None = None,
             tuning: Tuning = TUNING, workers: int = 1, deadline: float = math.inf,
             volunteer_side: bool = True, near_deadline: float = -math.inf) -> Bound:
    """The column-generation bound of the module docstring over the pair-weeks ``pw``.

    ``pw`` must hold every compatible pair (``pw.complete``) for the result to bound
    the problem; ``distance`` (requests × volunteers, km) orders the first working set,
    to which ``seed_pairs`` (a mask over ``pw``, e.g. the flow bound's pairs) are added.
    ``workers``: weeks solved side by side. ``deadline`` (``time.monotonic()``): no LP solve runs
    past it; a week whose solve it stops keeps the bound of its last solved round (none: ``inf``,
    the other bounds stand); ``near_deadline``, if later: a week whose last round priced in few
    pairs (``Tuning.lp_near_share``, a round or two from converging) may solve until then.
    ``volunteer_side``: also the volunteers' side at the LP's prices (``Bound.volunteer_weeks``;
    otherwise ``inf``).
    """
    if not pw.complete:
        raise ValueError("the LP bound needs every compatible pair; this set was cut short")
    # Single precision: they only rank pairs, and at large size each holds 10.8 million values
    # (the command's peak memory, measured: 2,054 MB with both in double precision).
    reduced = np.zeros(len(pw), np.float32)
    use = np.zeros(len(pw), np.float32)

    def week(w: int) -> tuple[float, bool, int, float]:
        if w and out_of_time():  # a week not reached keeps no LP bound (inf): other bounds stand
            return math.inf, False, 0, math.inf
        sel = np.flatnonzero(pw.week == w)
        seed = seed_pairs[sel] if seed_pairs is not None else None
        value, converged, rounds, rc, y, volunteers = _week_bound(index, w, pw.req[sel], pw.vol[sel], pw.days[sel],
                                                                  fd, distance, out_of_time, seed, tuning, deadline,
                                                                  volunteer_side, near_deadline)
        reduced[sel] = rc
        use[sel] = y
        return value, converged, rounds, volunteers

    done = week_by_week(week, index.weeks, workers)
    weeks = [value for value, _c, _r, _v in done]
    optimal = all(converged for _v, converged, _r, _vol in done)
    rounds_used = max((rounds for _v, _c, rounds, _vol in done), default=0)
    total = sum(weeks)
    return Bound(value=int(math.floor(total + 1e-6)) if math.isfinite(total) else -1, weeks=tuple(weeks),
                 lp_optimal=optimal, rounds=rounds_used, pair_value=reduced, pair_use=use,
                 volunteer_weeks=tuple(vol for _v, _c, _r, vol in done))


class ColumnLP:
    """A maximisation LP that grows by columns and re-solves from its last basis.

    HiGHS through its own bindings (``highspy``) keeps the basis between rounds, which
    makes each column-generation round a few pivots (measured ~10x faster than
    solving anew at large size). The bindings' core class is used, not the wrapper
    ``highspy.Highs``: the wrapper prints a banner on stdout when created. Should
    ``highspy`` be missing, the same rounds run through ``scipy.optimize.linprog``,
    solving anew (importing ``scipy.optimize`` alone takes ~0.6 s, a small city's
    whole bound).
    """

    def __init__(self, upper: np.ndarray) -> None:
        self.upper = upper
        self.cols: list[tuple[np.ndarray, ...]] = []
        self.primal: np.ndarray | None = None  # the columns' values in the last solution
        try:
            import highspy
            from highspy import _Highs
        except ImportError:  # pragma: no cover - depends on the installation
            self.h = None
            return
        self.core = highspy
        self.h = _Highs()
        self.h.setOptionValue("output_flag", False)
        # Columns join a solved LP: its basis stays primal feasible, so the primal simplex goes on
        # from it where the default (dual) one was measured to start much further back (city-large,
        # one week: 16 s → 6.6 s of HiGHS; the medium cities 0.17–1.07 s → 0.14–0.75 s a bound).
        self.h.setOptionValue("simplex_strategy", 4)
        inf = self.h.getInfinity()
        n = len(upper)
        self.h.addRows(n, np.full(n, -inf), upper.astype(float), 0, np.zeros(n, np.int32), np.zeros(0, np.int32),
                       np.zeros(0))
        self.h.changeObjectiveSense(highspy.ObjSense.kMaximize)

    def add(self, cost: np.ndarray, upper: np.ndarray, rows: list[np.ndarray], coefs: list[np.ndarray]) -> None:
        """Columns with one entry in each of ``rows`` (one array per row family)."""
        n = len(cost)
        if n == 0:
            return
        if self.h is None:
            self.cols.append((cost, upper, np.stack(rows, 1), np.stack(coefs, 1)))
            return
        k = len(rows)
        idx = np.stack(rows, 1).astype(np.int32).ravel()
        val = np.stack(coefs, 1).astype(float).ravel()
        self.h.addCols(n, cost.astype(float), np.zeros(n), upper.astype(float), n * k,
                       (np.arange(n) * k).astype(np.int32), idx, val)

    def duals(self, seconds: float = math.inf) -> np.ndarray | None:
        """Solve within ``seconds``; the rows' duals (≥ 0), or None when the LP was not solved."""
        if self.h is None:
            from scipy.optimize import linprog
            from scipy.sparse import csr_matrix

            cost, upper, rows, coefs = (np.concatenate(x) for x in zip(*self.cols))
            n = len(cost)
            a = csr_matrix((coefs.ravel(), (rows.ravel(), np.repeat(np.arange(n), rows.shape[1]))),
                           shape=(len(self.upper), n))
            res = linprog(-cost, A_ub=a, b_ub=self.upper, bounds=np.stack([np.zeros(n), upper], 1),
                          method="highs-ds", options={"time_limit": max(0.01, seconds)} if math.isfinite(seconds)
                          else None)
            if res.status != 0:
                return None
            self.primal = np.asarray(res.x)
            return np.maximum(0.0, -np.asarray(res.ineqlin.marginals))
        # HiGHS's clock runs on across solves of one model: the limit is its run time plus these.
        self.h.setOptionValue("time_limit", self.h.getRunTime() + max(0.01, seconds) if math.isfinite(seconds)
                              else math.inf)
        self.h.run()
        if self.h.getModelStatus() != self.core.HighsModelStatus.kOptimal:
            return None
        solution = self.h.getSolution()
        self.primal = np.asarray(solution.col_value)
        return np.maximum(0.0, np.asarray(solution.row_dual))


def free_minutes(fd: FreeDays, week: int) -> tuple[np.ndarray, np.ndarray]:
    """Per volunteer and per citizen, their free minutes in week ``week`` (the LP's minute rows)."""
    days = slice(7 * week, 7 * week + 7)
    return fd.v_minutes[:, days].sum(axis=1).astype(float), fd.c_minutes[:, days].sum(axis=1).astype(float)


def week_rows(index: ScenarioIndex, fd: FreeDays, w: int) -> np.ndarray:
    """The right-hand sides of week ``w``'s LP rows, in their order: the requests' weekly demand, the
    volunteers' weekly sessions (finite limits), the volunteers' minutes (the lower of their weekly limit
    and their free minutes), the citizens' free minutes."""
    v_free, c_free = free_minutes(fd, w)
    max_sessions, max_minutes = index.week_limits(w)
    return np.concatenate([index.week_demand[:, w].astype(float),
                           np.where(np.isfinite(max_sessions), max_sessions, 1e9),
                           np.minimum(max_minutes, v_free), c_free])


def _week_bound(index: ScenarioIndex, w: int, r: np.ndarray, v: np.ndarray, days: np.ndarray, fd: FreeDays,
                distance: np.ndarray, out_of_time: Callable[[], bool], seed: np.ndarray | None,
                tuning: Tuning, deadline: float = math.inf, volunteer_side: bool = True,
                near_deadline: float = -math.inf) -> tuple[float, bool, int, np.ndarray, np.ndarray, float]:
    """One week's bound: (value, converged, rounds, every pair's reduced cost and LP value, the
    volunteers' side at its prices or ``inf``)."""
    n = len(r)
    demand = index.week_demand[:, w].astype(float)
    if n == 0:
        return 0.0, True, 0, np.zeros(0), np.zeros(0), 0.0
    dur = index.duration[r].astype(float)
    prio = index.priority[r].astype(float)
    upper = np.minimum(days, demand[r])
    c = index.req_cit[r]
    # Each column has exactly one entry per family of rows, so the matrix is built from four index arrays.
    n_r, n_v = index.n_requests, index.n_volunteers
    rhs = week_rows(index, fd, w)
    row_of = [r, n_r + v, n_r + n_v + v, n_r + 2 * n_v + c]
    coef = [np.ones(n), np.ones(n), dur, dur]

    def value_of(duals: np.ndarray) -> np.ndarray:
        """Priority minus the prices of the volunteer and citizen rows a session uses."""
        return prio - sum(duals[rows] * k for rows, k in zip(row_of[1:], coef[1:]))

    # First working set: each request's nearest pairs, and each volunteer's nearest requests, so
    # that every row has a price from the first round on.
    near = distance[r, v]
    working = (rank_within(r, near) < tuning.lp_first_pairs_per_request) | (
        rank_within(v, near) < tuning.lp_first_pairs_per_volunteer)
    if seed is not None:
        working |= seed
    lp = ColumnLP(rhs)
    best = math.inf
    rc = np.zeros(n)
    rounds = 0
    converged = False
    duals: np.ndarray | None = None
    new = np.flatnonzero(working)
    added: list[np.ndarray] = []
    near = False
    near_deadline = max(deadline, near_deadline)
    while rounds < tuning.lp_rounds:
        rounds += 1
        lp.add(prio[new], upper[new], [rows[new] for rows in row_of], [k[new] for k in coef])
        added.append(new)
        got = lp.duals((near_deadline if near else deadline) - time.monotonic())
        if got is None:
            break
        duals = got
        rc = value_of(duals) - duals[r]
        # A pair with no session to give (its request's demand all pinned) prices in at any prices.
        candidates = (rc > 1e-9) & ~working & (upper > 0)
        if not candidates.any():
            converged = True
            break
        # Few pairs priced in: a round or two from converging (Tuning.lp_near_share).
        near = int(candidates.sum()) <= tuning.lp_near_share * n
        if out_of_time():
            break
        # The most promising new pairs per request join.
        new = np.flatnonzero(candidates)
        new = new[rank_within(r[new], -rc[new]) < tuning.lp_new_pairs_per_request]
        working[new] = True
    volunteers = math.inf
    if duals is not None:
        best = _lagrangian(duals, rhs, n_r, r, value_of(duals), upper, demand)
        end = near_deadline if near else deadline
        if volunteer_side and time.monotonic() + tuning.volunteer_bound_per_pair * n < end:
            # Each volunteer's sessions no more than their days hold (session_capacity: a day of 126
            # free minutes holds one session of 78, where the week's pooled minutes give 1.6). Only
            # here, not as the LP's rows: its prices guide the friends and the models, and with
            # these rows they were measured to lead small cities' proofs astray (48 unseen small
            # cities, three seeds: 6.6-8.0 s more in all, two to four fewer under 1.7 s).
            held = rhs.copy()
            held[n_r:n_r + n_v] = np.minimum(rhs[n_r:n_r + n_v],
                                             session_capacity(index, fd, w, r, v, 10 ** 9, trips=True))
            volunteers = volunteer_week_bound(index, r, v, upper, duals, held, tuning)
    y = np.zeros(n)
    if lp.primal is not None:
        cols = np.concatenate(added)
        y[cols[:len(lp.primal)]] = lp.primal
    if not math.isfinite(best):  # no LP solved: the trivial bound of the week
        best = float((prio * upper).sum())
        rc = prio.copy()
    return best, converged, rounds, rc, y, volunteers


def citizen_bound(index: ScenarioIndex, starts: StartUnion, out_of_time: Callable[[], bool] = lambda: False,
                  tuning: Tuning = TUNING, beat: np.ndarray | None = None,
                  per_citizen: np.ndarray | None = None) -> np.ndarray:
    """Per week, Σ over citizens of the most priority-weighted sessions each citizen alone could receive.

    The relaxation keeps every rule of the citizen's side exactly and drops the volunteers'
    (their limits, overlaps and travel): a session of request ``r`` on day ``d`` may start
    anywhere some compatible volunteer could start it (``starts``: the union of the exact start
    ranges over every compatible volunteer), at most one a day and ``sessions_per_week`` a week
    (rule 13), and the citizen's sessions never overlap (rule 11). Every valid schedule
    restricted to one citizen is such a choice, so the sum bounds the problem. It sees what the
    pair LP cannot: a citizen whose requests do not fit one after another in the times the
    volunteers can come (measured 2026-12-03: medium-alien-villages 12,325 against the LP's
    12,457, the very value of the complete week models' bound after 142 s of CP-SAT a week;
    medium-alien 12,479 against 12,603; ~1 s at medium size). At the issue's large size (2,000
    volunteers / 4,000 citizens / 4 weeks, 2026-12-06) on the third generator's cities: split shifts
    59,905 against the LP's 65,489, heavy 143,671 against 146,134, mixed 75,284 against 77,280;
    large-alien 84,262 against 84,979; about 3 s there. It is weaker where the volunteers are the scarce side
    (small-appointments 657 against the LP's 608): the caller keeps, per week, the lower of the two.

    ``starts`` must cover every compatible pair (``starts.complete``). A citizen-week with one
    request needs no search (its days with a start, up to the demand); the others are tiny
    CP-SAT models (one optional interval per request-day), whose bound stands whatever stops
    them; a citizen whose weeks repeat (the same requests, weekdays, starts and demand) is
    searched once. A week the clock does not let it finish gets ``inf`` (no bound from here), and so
    does a week where it cannot come below ``beat`` (per week: a bound already known) at all.
    ``per_citizen`` (citizens × weeks), if given, receives each citizen-week's own value where it was
    found (the day LP's citizens' rows, :func:`day_lp_bound`); the others are left as they were.
    """
    if not starts.complete:
        raise ValueError("the citizens' bound needs every compatible pair's starts; these were cut short")
    weeks = index.weeks
    out = np.zeros(weeks)
    if not len(starts):
        return out
    # One row per (request, day); row i's ranges are cut[i]:cut[i + 1].
    n_days = len(index.dates)
    key = starts.req.astype(np.int64) * n_days + starts.day
    cut = np.flatnonzero(np.r_[True, key[1:] != key[:-1], True])
    r_d, d_d = starts.req[cut[:-1]].astype(np.int64), starts.day[cut[:-1]].astype(np.int64)
    w_d = d_d // 7
    rw = r_d * weeks + w_d
    cw = index.req_cit[r_d].astype(np.int64) * weeks + w_d
    # A citizen-week with one request needs no search: that request's days, up to its demand.
    uniq_rw = np.unique(rw)
    cw_keys, n_req = np.unique(index.req_cit[uniq_rw // weeks].astype(np.int64) * weeks + uniq_rw % weeks,
                               return_counts=True)
    simple = np.isin(cw, cw_keys[n_req == 1])
    rws, days = np.unique(rw[simple], return_counts=True)
    r_s, w_s = rws // weeks, rws % weeks
    alone = index.priority[r_s] * np.minimum(days, index.week_demand[r_s, w_s])
    np.add.at(out, w_s, alone)
    if per_citizen is not None:
        per_citizen[index.req_cit[r_s], w_s] = alone
    # The others, one small model per citizen-week, week after week: a week the clock cuts is
    # the last one touched.
    hard = np.flatnonzero(~simple)
    hard = hard[np.lexsort((d_d[hard], r_d[hard], cw[hard], w_d[hard]))]
    if beat is not None and len(hard):
        # No search where it cannot beat ``beat``: each of its citizen-weeks serves at least its best
        # request alone (one session a day never overlaps itself).
        hrw, hdays = np.unique(rw[hard], return_counts=True)
        alone = index.priority[hrw // weeks] * np.minimum(hdays, index.week_demand[hrw // weeks, hrw % weeks])
        hcw = index.req_cit[hrw // weeks].astype(np.int64) * weeks + hrw % weeks
        by_cw = np.argsort(hcw, kind="stable")
        hcw, alone = hcw[by_cw], alone[by_cw]
        cws, at = np.unique(hcw, return_index=True)
        least = out + np.bincount(cws % weeks, np.maximum.reduceat(alone, at), weeks)
        useless = least >= np.asarray(beat) - 1e-9
        hard = hard[~useless[w_d[hard]]]
        out[useless] = math.inf
    groups = np.split(hard, np.flatnonzero(np.diff(cw[hard])) + 1) if len(hard) else []
    lo, hi = starts.lo.tolist(), starts.hi.tolist()
    seen: dict[tuple, float] = {}
    solver = None  # one for every model: making a CpSolver costs as much as solving one of these
    stopped_at = weeks
    for rows in groups:
        w = int(w_d[rows[0]])
        if out_of_time():
            stopped_at = w
            break
        ranges = [[(lo[k], hi[k]) for k in range(cut[i], cut[i + 1])] for i in rows.tolist()]
        # The model depends on nothing else: the same citizen-week again (a weekly pattern) has its value.
        same = (tuple(r_d[rows].tolist()), tuple((d_d[rows] - 7 * w).tolist()), tuple(map(tuple, ranges)),
                tuple(index.week_demand[r_d[rows], w].tolist()))
        if same not in seen:
            req, day = r_d[rows], d_d[rows]
            placed = _all_placed(index, req, day, ranges, w)
            if placed is None:
                if solver is None:
                    solver = _citizen_solver(tuning)
                placed = _citizen_week(index, req, day, ranges, w, solver)
            seen[same] = placed
        out[w] += seen[same]
        if per_citizen is not None:
            per_citizen[index.req_cit[r_d[rows[0]]], w] = seen[same]
    out[stopped_at:] = math.inf
    return out


def _all_placed(index: ScenarioIndex, req: np.ndarray, day: np.ndarray, ranges: list[list[tuple[int, int]]],
                week: int) -> float | None:
    """One citizen-week of :func:`citizen_bound` without a search, where a quick placement serves every
    request as often as its days and demand allow (no choice can serve more, so that is the model's
    optimum); None where it does not. Day by day, the request-days in order of their latest start, each
    at its earliest start after the day's sessions so far; a request skips days once it has its
    sessions. Measured on city-large (2026-12-06): 2,545 models searched in 4.5 s before."""
    rows = sorted(range(len(req)), key=lambda i: (int(day[i]), ranges[i][-1][1]))
    days_of: dict[int, int] = defaultdict(int)
    for r in req.tolist():
        days_of[r] += 1
    left = {r: min(n, int(index.week_demand[r, week])) for r, n in days_of.items()}
    value = float(sum(int(index.priority[r]) * n for r, n in left.items()))
    free_from, today = -1, -1
    for i in rows:
        r, d = int(req[i]), int(day[i])
        if d != today:
            free_from, today = -1, d
        if not left[r]:
            continue
        start = next((max(a, free_from) for a, b in ranges[i] if b >= free_from), None)
        if start is not None:
            free_from = start + int(index.duration[r])
            left[r] -= 1
    return value if not any(left.values()) else None


def _citizen_solver(tuning: Tuning):
    """The CpSolver of :func:`_citizen_week`."""
    from ortools.sat.python import cp_model

    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.catch_sigint_signal = False  # Ctrl-C is the command line's (see Budget.configure)
    # Work, not seconds: the bound must not depend on the machine (effort mode). These models are
    # a few request-days; measured: every one of the medium cities' proven well inside this.
    solver.parameters.max_deterministic_time = tuning.citizen_bound_work
    return solver


def _citizen_week(index: ScenarioIndex, req: np.ndarray, day: np.ndarray, ranges: list[list[tuple[int, int]]],
                  week: int, solver) -> float:
    """One citizen-week of :func:`citizen_bound`: the bound of its small model (request-days ``req``,
    ``day`` with the start ranges ``ranges`` of their candidates), searched by ``solver``
    (:func:`_citizen_solver`)."""
    from ortools.sat.python import cp_model

    m = cp_model.CpModel()
    on_day: dict[int, list[cp_model.IntervalVar]] = defaultdict(list)
    of_request: dict[int, list[cp_model.IntVar]] = defaultdict(list)
    for r, d, rng in zip(req.tolist(), day.tolist(), ranges):
        serves = m.new_bool_var(f"serves[{r},{d}]")
        start = m.new_int_var_from_domain(cp_model.Domain.from_intervals([list(x) for x in rng]), f"start[{r},{d}]")
        on_day[d].append(m.new_optional_fixed_size_interval_var(start, int(index.duration[r]), serves,
                                                                f"session[{r},{d}]"))
        of_request[r].append(serves)
    for r, xs in of_request.items():
        m.add(cp_model.LinearExpr.sum(xs) <= int(index.week_demand[r, week]))
    for ivs in on_day.values():
        if len(ivs) > 1:
            m.add_no_overlap(ivs)
    rs = list(of_request)
    m.maximize(cp_model.LinearExpr.weighted_sum([cp_model.LinearExpr.sum(of_request[r]) for r in rs],
                                                 [int(index.priority[r]) for r in rs]))
    status = solver.solve(m)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):  # no answer at all: the citizen's demand
        return float(sum(int(index.priority[r]) * int(index.week_demand[r, week]) for r in rs))
    return float(solver.best_objective_bound)


@dataclass(frozen=True)
class DayBound:
    """:func:`day_lp_bound`'s result: per week its bound (``inf`` where none was reached) and whether
    the column generation converged there."""

    weeks: np.ndarray
    converged: np.ndarray


@dataclass(frozen=True)
class DayTriples:
    """(request, volunteer, day) triples for :func:`day_lp_bound` without their start ranges (the
    heavy part of :class:`~.candidates.Candidates`): where the wide set is thinned, every triple the
    complete candidates would hold (:func:`~.candidates.exact_triples`), with each pair's distance."""

    req: np.ndarray
    vol: np.ndarray
    day: np.ndarray
    distance_km: np.ndarray
    complete: bool = True

    def __len__(self) -> int:
        return len(self.req)


def volunteer_day_sessions(index: ScenarioIndex, fd: FreeDays, w: int, vol_day: np.ndarray, r: np.ndarray,
                           v: np.ndarray) -> np.ndarray:
    """Per volunteer-day of week ``w`` (position ``7 · volunteer + day``), the most sessions it can
    hold (:func:`sessions_in_windows`), each at least its shortest triple's minutes apart by the
    least trip between two of them (:func:`least_trips`); per triple its ``vol_day``, request ``r``
    and volunteer ``v``. ``1e9`` where it has no triple."""
    n = 7 * index.n_volunteers
    shortest = np.full(n, np.inf)
    np.minimum.at(shortest, vol_day, index.duration[r].astype(float))
    some = np.isfinite(shortest)
    trips = least_trips(index, vol_day, r, v, n)
    cap = sessions_in_windows(index, fd, w, np.where(some, shortest, 1.0).reshape(-1, 7),
                              trips.reshape(-1, 7)).ravel().astype(float)
    return np.where(some, cap, 1e9)


def least_trips(index: ScenarioIndex, key: np.ndarray, r: np.ndarray, v: np.ndarray, n_keys: int) -> np.ndarray:
    """Per key (a volunteer-day or a volunteer, of the sessions ``r``, ``v`` given per element), the
    fewest minutes that lie between two of its sessions one after the other (rule 10): the least
    trip from one of its citizens to the nearest other citizen (``index.nearest_other_km``, found
    once per index: a k-d tree, ~30 ms for 4,000 citizens, where this runs per week and side). 0 where
    the two need not travel: a call (`phone` or `either`), or two requests of one citizen. Keys without
    sessions: 0."""
    n_r, n_c = index.n_requests, len(index.cit_lat)
    c = index.req_cit[r]
    # A hair less than the distance: the contract's minutes are a ceiling, and the nearest found by
    # the chord may differ from the checker's haversine in the last bits.
    trip = travel_minutes_array(index.nearest_other_km[c] * (1 - 1e-7), index.detour, index.speed[v]).astype(float)
    trip[index.request_mode[r] != "in_person"] = 0.0
    out = np.full(n_keys, np.inf)
    np.minimum.at(out, key, trip)
    requests = np.unique(key.astype(np.int64) * n_r + r)
    cit_of = (requests // n_r) * n_c + index.req_cit[requests % n_r]
    citizens, count = np.unique(cit_of, return_counts=True)
    out[citizens[count > 1] // n_c] = 0.0
    out[~np.isfinite(out)] = 0.0
    return out


def sessions_in_windows(index: ScenarioIndex, fd: FreeDays, w: int, shortest: np.ndarray,
                        trips: np.ndarray | None = None) -> np.ndarray:
    """Per volunteer and day of week ``w``, the most sessions of at least ``shortest`` minutes (per
    volunteer-day, ≥ 1) their windows hold, each at least ``trips`` minutes (per volunteer-day; none
    if not given) after the one before: sessions do not overlap (rule 10) and each lies in one window
    (rule 8), so a window of ``L`` minutes holds ``(L + trip) // (shortest + trip)``. The minutes
    alone let a day of 126 free minutes hold 1.6 sessions of 78 (measured on an unseen medium city
    of short windows, where the pair LP and the day LP did: 9,078 and 9,029 → 9,015 and 8,966), and
    a window of 120 minutes hold two sessions of 60 at two citizens' a trip apart."""
    days = slice(7 * w, 7 * w + 7)
    shortest = np.maximum(np.asarray(shortest, np.int64), 1)
    trip = np.zeros_like(shortest) if trips is None else np.asarray(trips, np.int64)
    out = (np.maximum(fd.v_hi[:, days].astype(np.int64) - fd.v_lo[:, days], 0) + trip) // (shortest + trip)
    # Days of several windows (split shifts, or a pin carved out of one) one by one.
    for vol, day in zip(*np.nonzero(fd.v_multi[:, days])):
        step = shortest[vol, day] + trip[vol, day]
        out[vol, day] = sum((end - begin + trip[vol, day]) // step
                            for begin, end in index.volunteer_windows(int(vol), 7 * w + int(day)))
    return out


def day_lp_bound(index: ScenarioIndex, cands: Candidates | DayTriples, fd: FreeDays,
                 per_citizen: np.ndarray | None = None,
                 seed: np.ndarray | None = None, tuning: Tuning = TUNING, workers: int = 1,
                 deadline: float = math.inf) -> DayBound:
    """Per week, the LP over every candidate triple (request, volunteer, day), ``x ∈ [0, 1]``, with
    the pair LP's weekly rows and the days' own:

    - Σ x over a request's triples of the week ≤ its weekly demand, of a day ≤ 1       (rule 13)
    - a volunteer's sessions and minutes of the week ≤ the weekly limits            (rule 12)
    - Σ dur · x over a volunteer's triples of a day ≤ their free minutes that day   (rules 8, 10)
    - the same for a citizen's day                                                  (rules 8, 11)
    - Σ priority · x over a citizen's triples of the week ≤ ``per_citizen[c, w]``, the citizens'
      side of that citizen-week (:func:`citizen_bound`; ``inf`` or not given: no row)

    maximising Σ priority · x. A valid schedule's sessions are such an ``x``, so it bounds the
    problem when ``cands`` holds every triple the rules allow (``cands.complete``). The pair LP
    pools a volunteer's minutes over the week: where volunteers have short days (the third
    generator's towns and split-shift cities) the days' rows bind. Measured (2026-12-06, medium
    size, against the weeks' best other bounds): styled towns 10,613 against 10,808 (the volunteers'
    side), styled split shifts 8,179 against 8,233 (the citizens' side; without their rows 8,345),
    medium-city 8,996 against 9,008; 0.4-2.0 s on one core for four weeks (see ``Tuning.day_lp_share``).

    Solved by column generation like the pair LP: a working set (the triples of ``seed``, a mask over
    ``cands``, e.g. the pair LP's pairs, and each request-day's nearest ``Tuning.day_lp_first``),
    then the most promising priced-in triples per request. Each round's bound is the Lagrangian of
    the volunteers' and citizens' rows at its duals (each request alone takes its best days, at most
    its demand), valid however the rounds end; ``deadline`` (``time.monotonic()``) ends them.
    """
    if not cands.complete:
        raise ValueError("the day LP's bound needs every triple the rules allow; these were cut short")
    weeks = index.weeks
    out = np.full(weeks, math.inf)
    done = np.zeros(weeks, bool)
    # The weeks run ``workers`` at a time: each round of them ends by its share of the time, so a
    # clock that cuts the first weeks' rounds short leaves the last ones some (measured on the third
    # generator's large towns city with one deadline for all: weeks 0-1 converged, 2-3 no round).
    threads = side_by_side(weeks, workers)
    begun, rounds = time.monotonic(), math.ceil(weeks / threads)

    def week(w: int) -> None:
        sel = np.flatnonzero(cands.day // 7 == w)
        if not len(sel):
            out[w], done[w] = 0.0, True
            return
        own = deadline if not math.isfinite(deadline) else begun + (deadline - begun) * (w // threads + 1) / rounds
        out[w], done[w], _lp, _cols = day_week_lp(index, cands, sel, w, fd, per_citizen,
                                                None if seed is None else seed[sel], tuning, own)

    week_by_week(week, weeks, workers)
    return DayBound(weeks=out, converged=done)


def day_week_lp(index: ScenarioIndex, cands: Candidates | DayTriples, sel: np.ndarray, w: int, fd: FreeDays,
                per_citizen: np.ndarray | None, seed: np.ndarray | None, tuning: Tuning,
                deadline: float, bonus: np.ndarray | None = None) -> tuple[float, bool, ColumnLP, np.ndarray]:
    """One week of :func:`day_lp_bound`: its bound (``inf`` if no round was solved), whether it
    converged, the LP itself and its columns' positions into ``sel``, in the LP's order (for
    :mod:`.rounding`, which makes a schedule of it). ``bonus`` (per position of ``sel``) is added to
    the priorities in the objective only, not in the citizens' rows (the rounding's preference for
    the horizon's friends); with it the value returned is no bound of the schedule's."""
    n_r, n_v, n_c = index.n_requests, index.n_volunteers, fd.c_minutes.shape[0]
    # Over every triple of a week (the large cities': two million) only what pricing needs is kept
    # per triple, in the candidates' own integer widths; the LP's row indices and coefficients are
    # made for the columns that join it (measured on the third generator's large towns city, two
    # weeks side by side: ~850 MB when made for every triple).
    r, v = cands.req[sel], cands.vol[sel]
    d = (cands.day[sel] - 7 * w).astype(np.int8)
    c = index.req_cit[r].astype(np.int32)
    # Minutes and priorities are whole numbers: single precision holds them exactly, and every sum
    # below (and the gain with a bonus) is taken in double.
    dur = index.duration[r].astype(np.float32)
    prio = index.priority[r].astype(np.float32)
    gain = prio.astype(float) if bonus is None else prio + bonus
    demand = index.week_demand[:, w].astype(float)
    days = slice(7 * w, 7 * w + 7)
    # Row families, in this order: request-weeks, request-days, volunteers' sessions, their minutes,
    # volunteer-days' minutes, citizen-days, volunteer-days' sessions, citizen-weeks. The first two stay
    # constraints in the Lagrangian.
    start = np.cumsum([0, n_r, 7 * n_r, n_v, n_v, 7 * n_v, 7 * n_c, 7 * n_v])
    citizens = per_citizen is not None
    max_sessions, max_minutes = index.week_limits(w)
    # A request-day a pin serves (in a residual index: pinned_residual) has no other session of the request.
    request_days = np.ones(7 * n_r)
    if index.taken_days is not None:
        n_days = len(index.dates)
        served = index.taken_days[index.taken_days % n_days // 7 == w]
        request_days[7 * (served // n_days) + served % n_days - 7 * w] = 0.0
    # Each triple's request-day, volunteer-day and citizen-day (positions within their row families).
    request_day = 7 * r.astype(np.int64) + d
    vol_day, cit_day = 7 * v.astype(np.int32) + d, 7 * c + d  # 32-bit: 7 × the volunteers or citizens fits
    rhs = [demand, request_days, np.where(np.isfinite(max_sessions), max_sessions, 1e9),
           np.minimum(max_minutes, fd.v_minutes[:, days].sum(axis=1)),
           fd.v_minutes[:, days].ravel(), fd.c_minutes[:, days].ravel(),
           volunteer_day_sessions(index, fd, w, vol_day, r, v)]
    if citizens:
        rhs.append(np.where(np.isfinite(per_citizen[:, w]), per_citizen[:, w], 1e9))
    rhs = np.concatenate(rhs).astype(float)

    def rows_of(k: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """The rows of the columns at positions ``k`` and their coefficients, family by family."""
        vk = v[k].astype(np.int64)
        rows = [r[k].astype(np.int64), start[1] + request_day[k], start[2] + vk, start[3] + vk,
                start[4] + vol_day[k], start[5] + cit_day[k], start[6] + vol_day[k]] \
            + ([start[7] + c[k].astype(np.int64)] if citizens else [])
        ones, minutes = np.ones(len(k)), dur[k].astype(float)
        return rows, [ones, ones, ones, minutes, minutes, minutes, ones] \
            + ([prio[k].astype(float)] if citizens else [])

    working = rank_within(request_day, cands.distance_km[sel]) < tuning.day_lp_first if tuning.day_lp_first \
        else np.zeros(len(sel), bool)
    if seed is not None:
        working |= seed
    lp = ColumnLP(rhs)
    best = math.inf
    new = np.flatnonzero(working)
    cols: list[np.ndarray] = []
    for _round in range(tuning.day_lp_rounds):
        lp.add(gain[new], np.ones(len(new)), *rows_of(new))
        cols.append(new)
        # Nothing to start from (no pair LP, no nearest): the first prices are zero.
        duals = lp.duals(deadline - time.monotonic()) if working.any() else np.zeros(len(rhs))
        if duals is None:
            break
        # Each triple's value at these prices: its gain less what it takes of the volunteers' and
        # citizens' rows (the pricing of every triple; the request rows' duals come after).
        taken = duals[start[2] + v] + duals[start[3] + v] * dur
        taken += duals[start[4] + vol_day] * dur
        taken += duals[start[5] + cit_day] * dur
        taken += duals[start[6] + vol_day]
        if citizens:
            taken += duals[start[7] + c] * prio
        value = gain - taken
        # Lagrangian: each request alone, its best triple a day (at most one), its best days up to
        # its demand, positive values only.
        day_best = np.zeros(7 * n_r)
        np.maximum.at(day_best, request_day, value)
        day_best *= request_days  # none on a day a pin serves
        ranked = -np.sort(-day_best.reshape(n_r, 7), axis=1)
        take = np.arange(7)[None, :] < np.minimum(demand, 7)[:, None]
        best = min(best, float(rhs[start[2]:] @ duals[start[2]:]) + float(ranked[take].sum()))
        reduced = value - duals[r] - duals[start[1] + request_day]
        priced_in = np.flatnonzero((reduced > 1e-9) & ~working & (demand[r] > 0) & (request_days[request_day] > 0))
        if not len(priced_in):
            return best, True, lp, np.concatenate(cols)
        new = priced_in[rank_within(r[priced_in], -reduced[priced_in]) < tuning.day_lp_new_per_request]
        working[new] = True
    return best, False, lp, np.concatenate(cols)
