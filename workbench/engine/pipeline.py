"""``solve(scenario, ...) -> Result``: the optimiser as named stages.

::

    agreed sessions → candidates → bound → greedy → rounded start → warm start by moving → weekly
        assignment (daily timing and cuts) → secondary aims → repair → beyond the wide set
        → continuity swaps → trade for friends → cross-week neighbourhoods → top-up → time left over
        → check

1. **agreed** (:mod:`.agreed`): pins, and what of an agreed schedule still keeps
   the rules, are fixed; the rest is reported with the change that forced it.
2. **candidates** (:mod:`.candidates`): compatible pairs by the rule predicates,
   and per week the days each pair has room — vectorised, watching the clock.
3. **bound** (:mod:`.bound`): an upper bound on the priority-weighted sessions of
   *every* valid schedule (a min-cost flow, then an LP by column generation; per week,
   the citizens' side from every compatible pair's starts, at every size).
4. **greedy** (:mod:`.greedy`): the coordinator's baseline, warm start and fallback. The
   better of it, the plan guided by the flow bound and, where the wide set is thinned, the
   rounded start (:mod:`.rounding`: the day LP over the wide set rounded, timed and filled)
   is improved by the repair by moving (step 6) where the relaxation
   serves more: the warm start of the week models.
5. **weeks** (:mod:`.weekly`, in parallel): the assignment model over the selected
   triples (:mod:`.select`), timed day by day with cuts (:mod:`.timing`); a day the
   timing proves a conflict on is given to the model as the sets of its sessions that
   fit (its routes) from then on, or sequenced where it has too many, and the answer
   is mended around the conflict before the whole model searches again. It stops at
   the week's bound. A week its whole model has not proven spends its last share of
   time on neighbourhood searches (the best answer fixed but the requests around a
   citizen still missing a session; their size adapts to the week); where the weeks do not
   fill every thread (3 weeks on 2 cores), the idle one goes on with such searches of the
   weeks done unproven until the stage ends. Thinned models
   that every week proves optimal early grow (``Tuning.widen_factor``) and search
   again. Then the other aims, keeping the primary value and the sessions with the
   friends the weeks agree on.
6. **repair**: the greedy inserter offers what is still missing, then places what it
   can by moving one session out of the way (a visiting friend's session only with all
   its weeks); where the wide set was thinned (large cities), the request-weeks still missing
   sessions are offered to the nearest volunteers outside it with room left; swaps make each
   request keep one visiting friend without losing priority;
   then the few sessions of a request served by others than its friend may be given up
   where the ``continuity`` weight values the friend more
   (:func:`.continuity.trade_for_friends`; from a proven optimum only where the weight is
   above its default). Last, the **cross-week
   neighbourhoods** (:mod:`.crossweek`): a few volunteers' sessions in every week planned
   again at once by CP-SAT, with the rules exact and continuity in the model, starting from
   each request still served by several volunteers (it may give up what the trade may). A last
   top-up offers what is still missing to the inserter once more, nothing moved. Neither adds a
   stand-in to a request one volunteer serves where a friend is worth more than its sessions.
   **Time left over** (on the clock, an unproven schedule): each week's model over every triple
   where the time builds it (free-mode pins as calls: its bound tightens the week's; its answer
   is taken where worth more), then the neighbourhoods again, also from each request still
   missing sessions. In effort mode the whole week models get a share of the effort instead.

Continuity (one visiting friend across the weeks, :mod:`.continuity`) runs through
all of it: friends are chosen for the horizon before the weeks (the weeks' LP with
whole-horizon patterns where the free LP converged, else a min-cost flow);
the warm start follows them; thinned week models keep each request the warm start
serves with one volunteer to that volunteer (unless the pair LP prices the friend out, or
the holds together cost it more than ``Tuning.hold_loss``; once every week is proven
holding them with half its time left, down to ``Tuning.hold_loss_proven``, and the weeks
search again); every week model leans to the friends among equally good answers; the
swaps do the rest.
7. **check**: every schedule passes the 14-rule checker before it is returned.

The clock (or the work budget) rules every stage (:mod:`.budget`): a stage takes
its share and wraps up with what it has; the time for checking and explaining is
kept back from the start.
"""

from __future__ import annotations

import logging
import math
import os
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from ..index import ScenarioIndex, index_of
from ..kpis import compute_kpis
from ..objective import Weights
from ..result import Progress, Result
from ..scenario.types import Scenario
from ..validate import validate
from .agreed import Agreed, agreed_sessions
from .bound import Bound, DayTriples, Pinned, citizen_bound, day_lp_bound, flow_bound, lp_bound, pinned_residual
from .budget import Budget
from .candidates import (
    Candidates,
    PairWeeks,
    exact_candidates,
    exact_triples,
    free_days,
    pair_checks,
    pair_weeks,
    rank_within,
    refit,
    start_union,
    triples_of_pairs,
    window_tables,
)
from .continuity import (
    choose_friends,
    friend_flow,
    friend_patterns,
    held_friends,
    improve_continuity,
    repeat_week,
    served_twice,
    trade_for_friends,
)
from .crossweek import cross_week_search, score_with_friends
from .explain import explain_unassigned
from .greedy import fill, fill_by_moving, sessions_by_week
from .plan import Plan, Session, weighted_value
from .rounding import rounded_plan
from .select import complete_models, in_every_week, model_set, pair_mask, preferred_pairs, wide_set
from .tuning import TUNING, Tuning
from .weekly import WeekSearch

log = logging.getLogger("workbench.engine")

METHODS = ("cpsat", "greedy")
# Candidates are built nearest first, this many pair-weeks between looks at the clock
# (~0.1 s each at medium size).
CANDIDATE_CHUNK = 20_000


@dataclass
class _Bounds:
    """Per week: the best valid bound found (floats; a week's bound floors to an integer)."""

    weeks: np.ndarray
    kinds: list[str]  # per week, the relaxation that gives it its bound
    pinned: np.ndarray  # per week, the pins' priority, which the relaxations' residual problem leaves out

    @property
    def kind(self) -> str:
        """Every relaxation that gives a week its bound, e.g. ``lp+citizens``."""
        return "+".join(dict.fromkeys(self.kinds))

    @property
    def total(self) -> int:
        return int(sum(math.floor(w + 1e-6) for w in self.weeks))

    def tighten(self, weeks: np.ndarray, kind: str) -> None:
        """Per week the lower of the two."""
        better = weeks < self.weeks - 1e-9
        self.kinds = [kind if b else k for k, b in zip(self.kinds, better.tolist())]
        self.weeks = np.minimum(self.weeks, weeks)

    def tighten_residual(self, residual: np.ndarray, kind: str) -> None:
        """A relaxation's bound of the problem with its pins taken out (bound.pinned_residual): the
        pins' own value added, per week the lower of the two."""
        self.tighten(residual + self.pinned, kind)

    @property
    def residual(self) -> np.ndarray:
        """Per week, the bound less the pins' value: what a relaxation of the residual must come below."""
        return self.weeks - self.pinned


@dataclass
class _BuildRate:
    """Seconds to build a week model per triple: ``Tuning.build_seconds_per_triple`` until this solve
    has built models of its own, then the slowest week of the last ones built times
    ``Tuning.build_rate_margin`` (the same city, machine and weeks side by side)."""

    per_triple: float
    largest: tuple[int, float] = (0, 0.0)  # the largest model built so far: its triples and seconds

    def measured(self, rates: list[float], tuning: Tuning) -> None:
        if rates:
            self.per_triple = tuning.build_rate_margin * max(rates)

    def note(self, triples: int, seconds: float) -> None:
        """A model of ``triples`` built in ``seconds`` (thread-safe enough: a tuple is replaced whole)."""
        if triples > self.largest[0]:
            self.largest = (triples, seconds)

    def estimate(self, triples: int, tuning: Tuning) -> float:
        """Seconds to build a model of ``triples``, in proportion to the largest built so far (with
        ``Tuning.build_rate_margin``): the slowest per triple errs long for a model much larger than
        those it was measured on, whose fixed part dominates (an unseen city of 500 volunteers: 38 s
        estimated for a week of 200,000 triples, whose models of 97,000 had taken under 1 s each)."""
        n, seconds = self.largest
        if n <= 0:
            return self.per_triple * triples
        return tuning.build_rate_margin * seconds * triples / n


class _Tracker:
    """Combines the weeks' incumbents and bounds into one progress report (weeks run in parallel)."""

    def __init__(self, budget: Budget, incumbent: list[float], bound: list[float],
                 on_progress: Callable[[Progress], None] | None) -> None:
        self.budget = budget
        self.obj = list(incumbent)
        self.bound = list(bound)
        self.done = [False] * len(bound)
        self.on_progress = on_progress
        self.lock = threading.Lock()

    def update(self, week: int | None = None, obj: float | None = None, done: bool = False,
               phase: str | None = None) -> None:
        if self.on_progress is None:
            return
        with self.lock:
            if week is not None and obj is not None:
                self.obj[week] = max(self.obj[week], obj)
            if week is not None:
                self.done[week] |= done
            n = max(1, len(self.done))
            report = Progress(seconds=self.budget.elapsed(), objective=float(sum(self.obj)),
                              bound=float(sum(math.floor(b + 1e-6) for b in self.bound)),
                              phase=phase or f"{sum(self.done)} of {len(self.done)} weeks planned",
                              done_fraction=sum(self.done) / n)
        self.on_progress(report)


@dataclass
class _Run:
    """What the stages of one solve share: the problem, the method and its aims, the clock, and the
    time kept back from the stages (``reserve``: checking, explaining and writing; ``base_need``:
    what the coordinator's baseline, wide candidates then the greedy, will need after the stages
    that only make it better)."""

    index: ScenarioIndex
    method: str
    weights: Weights
    budget: Budget
    tuning: Tuning
    seed: int
    workers: int | None
    agreed: Agreed
    agreed_keys: set[tuple[int, int, int]]  # (request, volunteer, day) of the agreed sessions
    reserve: float
    base_need: float

    @property
    def optimiser(self) -> bool:
        return self.method == "cpsat"

    @property
    def neighbourhood_worth(self) -> float:
        """Priority points a request kept by one volunteer is worth in the cross-week neighbourhoods and
        the whole week models (``Tuning.friend_worth`` × ``cross_week_worth`` at this weight)."""
        return self.weights.continuity * self.tuning.friend_worth * self.tuning.cross_week_worth

    @property
    def friends_wanted(self) -> bool:
        """The optimiser with a continuity weight: the stages for visiting friends run."""
        return self.optimiser and bool(self.weights.continuity)


@dataclass
class _Horizon:
    """The whole horizon's compatible pair-weeks and what the relaxations say of them.

    Those arrays are not needed once the week models' triples are chosen; on city-large (10.8
    million pair-weeks) they held ~250 MB while the week models were searched (the command's
    peak, measured: 1,817 → 1,563 MB), so :func:`_weeks` lets go of them (:meth:`release`)."""

    checks: dict
    dist: np.ndarray  # requests × volunteers, km
    fd: Any  # free days (candidates.FreeDays)
    pw: PairWeeks | None
    pinned: Pinned  # the problem the relaxations bound: its pins taken out (bound.pinned_residual)
    used: np.ndarray | None = None  # the flow bound's sessions per pair-week
    lp: Bound | None = None
    reduced: np.ndarray | None = None  # the LP's reduced costs and sessions per pair-week, where it
    lp_use: np.ndarray | None = None  # converged in every week (a cut LP's prices are not the relaxation's)
    lp_threads: int = 1
    lp_estimate: float = 0.0  # seconds the LP was expected to take
    must: np.ndarray | None = None  # pair-weeks every triple set keeps (agreed, preferred, friends, previous)
    wide_mask: np.ndarray | None = None
    per_citizen: np.ndarray | None = None  # citizens × weeks: the citizens' side of each citizen-week, pins out

    def release(self) -> None:
        self.pw = self.used = self.lp = self.reduced = self.lp_use = self.must = self.wide_mask = None
        self.per_citizen = None


@dataclass
class _WeeksDone:
    """What the week stages leave: the plan, the models' proof (complete models only), the secondary
    figures, the primary value before continuity, and the weeks proven."""

    plan: Plan
    model_bound: int | None = None
    secondary: dict[str, float] = field(default_factory=dict)
    primary_before_continuity: int | None = None
    proven_weeks: int = 0
    build_rate: _BuildRate | None = None  # how fast this solve built its week models


def solve(
    scenario: Scenario,
    method: str = "cpsat",
    time_limit: float | None = 30.0,
    weights: Weights | dict[str, Any] | None = None,
    previous: pd.DataFrame | None = None,
    seed: int = 0,
    workers: int | None = None,
    on_progress: Callable[[Progress], None] | None = None,
    stop: threading.Event | None = None,
    keep_before: date | None = None,
    effort: float | None = None,
    tuning: Tuning = TUNING,
) -> Result:
    """Schedule ``scenario`` and return a :class:`Result` whose schedule keeps every hard rule.

    ``method``: ``"cpsat"`` (the optimiser) or ``"greedy"`` (the coordinator's baseline).
    ``time_limit``: seconds for the whole call; every stage keeps to its share.
    ``effort``: a deterministic work budget instead (≈ seconds of one core, but counted
    as work): the same scenario, seed and effort give the same schedule on any machine
    (with both, the time limit is only a safety net; ``kpis["deterministic"]`` says if it held).
    ``previous``: an agreed schedule (contract columns): every agreed session that still
    keeps the rules stays exactly (volunteer, date, start, mode); ``Result.forced`` lists
    the others with the change that forced them. ``keep_before``: re-planning part-way:
    nothing new is planned before this day (the agreed past stays as it was).
    ``seed``: CP-SAT's seed; ``workers``: weeks solved side by side (default: every core).
    ``on_progress``: called with :class:`Progress` (the greedy plan first, then improvements).
    ``stop``: a ``threading.Event``; once set, every search ends and the best schedule
    so far is returned (``kpis["interrupted"]``).
    """
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")
    budget = Budget(time_limit, effort, stop)
    index = index_of(scenario)
    demand = float(index.week_demand.sum())
    agreed = agreed_sessions(index, previous)
    log.debug("agreed: %d kept, %d forced at %.2fs", len(agreed.fixed), len(agreed.forced), budget.elapsed())
    # The baseline's need: the stages that only make it better are skipped rather than leave the
    # coordinator's baseline without its candidates when time is short (measured before: city-large
    # with 30 s on a loaded machine served 0.8 % of its sessions, the optional stages having taken
    # the time). (Clock only: in effort mode which stages run must not depend on the machine's speed.)
    run = _Run(index, method, Weights.of(weights), budget, tuning, seed, workers, agreed,
               {(s.req, s.vol, s.day) for s in agreed.fixed}, reserve=_finishing(demand, tuning),
               base_need=0.0 if budget.deterministic else tuning.baseline_per_session * demand)

    horizon = _pair_weeks(run)
    if not budget.deterministic and horizon.pw.complete:
        run.base_need = min(run.base_need, tuning.baseline_per_triple * float(horizon.pw.days.sum()))
    bounds = _bound(run, horizon)
    _citizens_side(run, horizon, bounds)
    friends = _horizon_friends(run, horizon)
    wide = _wide_candidates(run, horizon, friends, previous, keep_before)
    _days_side(run, horizon, wide, bounds)
    base, greedy, baseline_cut_short = _baseline(run, wide)
    # The friends the continuity swaps try last: the horizon's, then the baseline's.
    swap_friends = {**friends, **held_friends(greedy.sessions)}
    start = _warm_start(run, horizon, wide, base, greedy, friends, swap_friends, bounds)
    after_weeks, trade_need = _after_weeks(run, wide, start)
    tracker = _Tracker(budget, _week_values(index, start.sessions), list(bounds.weeks), on_progress)
    tracker.update(phase="quick plan ready")
    done = _weeks(run, horizon, wide, start, greedy, bounds, friends, after_weeks, tracker, previous, keep_before)
    plan = _repair(run, done.plan, wide, after_weeks)
    _beyond_wide(run, horizon, plan, wide, _first_day(index, keep_before))
    plan, before_trade = _continuity_stages(run, plan, start, greedy, wide, bounds, done, swap_friends, trade_need)
    _top_up(run, plan, wide)
    _leftover(run, plan, wide, bounds, done, previous is None and keep_before is None)
    _upgrade_free_pins(plan, wide, run.agreed)
    return _finish(index, wide, plan, greedy, agreed, bounds, done.model_bound, method, budget, keep_before,
                   done.secondary, done.primary_before_continuity, done.proven_weeks, len(wide), baseline_cut_short,
                   given_for_friends(plan, before_trade))


def _first_day(index: ScenarioIndex, keep_before: date | None) -> int:
    """The first day anything new may be planned on (re-planning part-way: ``keep_before``)."""
    return (keep_before - index.dates[0]).days if keep_before is not None else 0


def _pair_weeks(run: _Run) -> _Horizon:
    """Stage: every compatible pair and, per week, the days it has room (the candidates' first step)."""
    index, budget, tuning = run.index, run.budget, run.tuning
    checks, dist = pair_checks(index)
    ok = np.logical_and.reduce(list(checks.values()))
    fd = free_days(index)
    # Whatever the clock, each request's nearest volunteers that the wide set would take (a cheaper
    # selection, not none: measured on city-large with 20 s, a clock-only cut kept the 3.5 nearest
    # per request in one run and about 60 in another, and the baseline served 65 % or 78 %).
    pw = pair_weeks(index, ok, fd, out_of_time=budget.stage(tuning.candidates_share, run.reserve + run.base_need),
                    distance=dist, min_pairs=index.n_requests * tuning.wide_per_request)
    log.debug("pair-weeks: %d (complete %s) at %.2fs", len(pw), pw.complete, budget.elapsed())
    return _Horizon(checks, dist, fd, pw, pinned_residual(index, fd))


def _bound(run: _Run, h: _Horizon) -> _Bounds:
    """Stage: the honest bound, per week: trivial, then the flow (cheap at every size), then the LP
    and the volunteers' side at its prices where affordable (the optimiser only)."""
    index, budget, tuning = run.index, run.budget, run.tuning
    keep = run.reserve + run.base_need
    bounds = _Bounds(weeks=(index.priority[:, None] * index.week_demand).sum(axis=0).astype(float),
                     kinds=["trivial"] * index.weeks, pinned=h.pinned.weeks)
    pw, pinned = h.pw, h.pinned
    # Every relaxation bounds the problem with its pins taken out (tighten_residual adds their value).
    if pw.complete and not budget.over(keep):
        flow_weeks, h.used = flow_bound(pinned.index, pw, pinned.fd,
                                        out_of_time=budget.stage(tuning.bound_share, keep))
        bounds.tighten_residual(flow_weeks, "flow")
    log.debug("%s bound %d at %.2fs", bounds.kind, bounds.total, budget.elapsed())
    h.lp_threads = _week_threads(index, run.workers)
    h.lp_estimate = tuning.lp_seconds_per_pair_week * len(pw) / h.lp_threads
    lp_share = budget.seconds(tuning.bound_share, keep)
    lp_fits = len(pw) <= tuning.lp_max_pair_weeks if budget.deterministic else h.lp_estimate <= lp_share
    if run.optimiser and h.used is not None and lp_fits and not budget.over(keep):
        # Its solves stop at a multiple of the estimate, or after Tuning.lp_min_seconds within the
        # bound stage's share where more (see Tuning.lp_time_factor). A week stopped there keeps its
        # last solved round's bound.
        lp_end = time.monotonic() + max(tuning.lp_time_factor * h.lp_estimate, min(tuning.lp_min_seconds, lp_share)) \
            if not budget.deterministic else math.inf
        lp = lp_bound(pinned.index, pw, pinned.fd, h.dist, seed_pairs=h.used > 0, tuning=tuning,
                      out_of_time=budget.stage(tuning.bound_share, keep), workers=h.lp_threads, deadline=lp_end,
                      near_deadline=time.monotonic() + lp_share)  # effort mode: the deadline (inf) is later
        bounds.tighten_residual(np.array(lp.weeks), "lp")
        bounds.tighten_residual(np.array(lp.volunteer_weeks), "volunteers")
        h.lp = lp
        # Its bound holds whatever stopped it; its prices choose pairs only once it converged in every
        # week: a cut LP's prices are not the relaxation's (measured on an alien city of 1,500
        # volunteers with 60 s, 3 rounds cut: its pairs served 5.7 % more, but the baseline built on
        # them kept one friend for 0.52 of the requests instead of 0.75, below the baseline's 0.73).
        if lp.lp_optimal:
            h.reduced, h.lp_use = lp.pair_value, lp.pair_use
        log.debug("LP bound %d (optimal %s, %d rounds) at %.2fs", lp.value + pinned.weeks.sum(), lp.lp_optimal,
                  lp.rounds, budget.elapsed())
    return bounds


def _horizon_friends(run: _Run, h: _Horizon) -> dict[int, int]:
    """Stage: visiting friends for the whole horizon, before any week is planned (see .continuity);
    none for the baseline, or where there is no time for them."""
    index, budget, tuning, w = run.index, run.budget, run.tuning, run.weights
    keep = run.reserve + run.base_need
    pw = h.pw
    # One flow over every pair-week, not interruptible: only with twice its measured time to spare.
    friend_need = 0.0 if budget.deterministic else 2 * tuning.friend_flow_per_pair_week * len(pw)
    # Also without the continuity aim: the friends guide the quick plan and the wide set, which the
    # week models start from. Measured with weight 0, without friends (the seventeenth record) →
    # with them (in process, 28 s): medium-city 0.966 → 0.992 of the bound, alien 0.965 → 0.985,
    # alien-villages 0.951 → 0.972, rural 0.972 → 0.982, appointments 0.990 → 0.990.
    if not run.optimiser or budget.over(keep + friend_need):
        return {}
    chosen: dict[int, int] | None = None
    if h.lp_use is not None and tuning.pattern_rounds and len(pw) <= tuning.pattern_max_pair_weeks:
        # The weeks' capacities together, where the free LP converged (its plan seeds the columns).
        price = (w.continuity or Weights().continuity) * tuning.pattern_price
        now, timed = time.monotonic(), not budget.deterministic
        chosen = friend_patterns(index, pw, h.fd, h.dist, h.lp_use, price, tuning,
                                 deadline=now + budget.seconds(tuning.pattern_share, keep) if timed else math.inf,
                                 first_deadline=now + budget.seconds(tuning.pattern_first_share, keep)
                                 if timed else None)
        log.debug("friend patterns: %s at %.2fs", "cut by the clock" if chosen is None else len(chosen),
                  budget.elapsed())
    friends = chosen if chosen is not None else friend_flow(index, pw, h.fd, h.dist, tuning)
    for s in run.agreed.fixed:  # an agreed friend stays the friend
        if s.req in friends:
            friends[s.req] = s.vol
    log.debug("friends chosen for %d requests at %.2fs", len(friends), budget.elapsed())
    return friends


def _wide_candidates(run: _Run, h: _Horizon, friends: dict[int, int], previous: pd.DataFrame | None,
                     keep_before: date | None) -> Candidates:
    """Stage: the triples the methods work on (the wide set): what must be kept (agreed, preferred,
    friends, previous pairs), the relaxations' choice, then the nearest, while the clock allows and
    the greedy can still go through what is built."""
    index, budget, tuning = run.index, run.budget, run.tuning
    pw = h.pw
    first = _first_day(index, keep_before)
    agreed_pairs = {(s.req, s.vol) for s in run.agreed.fixed}
    h.must = pair_mask(pw, agreed_pairs | preferred_pairs(index) | set(friends.items()))
    if previous is not None:
        h.must |= pair_mask(pw, _previous_pairs(index, previous))
    # The relaxation's own pairs, in every week (Tuning.wide_takes_relaxation): the converged LP's,
    # beside its best pairs per request-week; else the flow bound's (not its best by distance:
    # choosing those among every pair-week is what the LP's model set pays seconds for at large size).
    chosen = np.zeros(len(pw), bool)
    if h.reduced is not None:
        chosen = model_set(pw, h.dist, h.reduced, h.lp_use, h.must, tuning)
        if tuning.wide_takes_relaxation:
            chosen |= in_every_week(pw, h.lp_use > 1e-9)
    elif h.used is not None and tuning.wide_takes_relaxation:
        chosen = in_every_week(pw, h.used > 0)
    h.wide_mask = wide_set(pw, h.dist, h.must | chosen, tuning)
    wide_stage = budget.stage(tuning.candidates_share, run.reserve, at_least=run.base_need)

    def out_of_time(built: int) -> bool:
        # ... and while the greedy can still go through what is built (its set-up grows with it).
        return wide_stage() or not budget.deterministic and budget.over(
            run.reserve + tuning.greedy_per_candidate * built)

    wide = _candidates(index, h.fd, pw, h.wide_mask, h.checks, h.dist, first, run.agreed,
                       complete=pw.complete and bool(h.wide_mask.all()), out_of_time=out_of_time)
    # Where pins carved a person's day, the rest of its sessions lie in what the pins left (rules 10,
    # 11; bound.Pinned.fits): the triples there get those start ranges, and lose those they leave none.
    carved = h.pinned.carved(wide.req, wide.vol, wide.day)
    carved[[i for s in run.agreed.fixed if (i := wide.position(s.req, s.vol, s.day)) is not None]] = False
    at = np.flatnonzero(carved)
    if len(at):
        n = len(wide)
        wide = refit(wide, h.pinned.index, at, wide_stage)
        log.debug("wide candidates: %d of %d on days pins carved, %d fit none", len(at), n, n - len(wide))
    log.debug("wide candidates: %d (complete %s) at %.2fs", len(wide), wide.complete, budget.elapsed())
    return wide


def _citizens_side(run: _Run, h: _Horizon, bounds: _Bounds) -> None:
    """Stage: the bound's citizens' side, where the pair LP is loose (see bound.citizen_bound), from
    every compatible pair's starts (the pair-weeks: at every size, thinned wide set or not)."""
    budget, keep = run.budget, run.reserve + run.base_need
    if not h.pw.complete or budget.over(keep):
        return
    out_of_time = budget.stage(run.tuning.bound_share, keep)
    pinned = h.pinned
    starts = start_union(pinned.index, pinned.fd, h.pw, out_of_time=out_of_time)
    if starts.complete:
        h.per_citizen = np.full((h.fd.c_minutes.shape[0], run.index.weeks), math.inf)
        bounds.tighten_residual(citizen_bound(pinned.index, starts, out_of_time=out_of_time, tuning=run.tuning,
                                              beat=bounds.residual, per_citizen=h.per_citizen), "citizens")
    log.debug("%s bound %d at %.2fs", bounds.kind, bounds.total, budget.elapsed())


def _days_side(run: _Run, h: _Horizon, wide: Candidates, bounds: _Bounds) -> None:
    """Stage: the bound's days (bound.day_lp_bound: every triple, the volunteers' and citizens' days'
    minutes, each citizen-week's own side), over the wide set where it is every triple, else (not in
    effort mode, and where the pair LP converged) over every triple listed without start ranges where
    there are at most ``Tuning.day_lp_thinned_max``; its solves within ``Tuning.day_lp_share`` of the
    time left (thinned: ``Tuning.day_lp_share_thinned``; in effort mode: up to ``Tuning.day_lp_max_triples``)."""
    index, budget, tuning = run.index, run.budget, run.tuning
    keep = run.reserve + run.base_need
    if not run.optimiser or not len(wide) or budget.over(keep):
        return
    share = tuning.day_lp_share if wide.complete else tuning.day_lp_share_thinned
    triples: Candidates | DayTriples | None = wide if wide.complete else None
    # Not where the pair LP did not converge: without its pairs to start from, the day LP over millions
    # of triples converges in no week within its share (measured on the third generator's towns city of
    # seed 5402, 8.5 million triples: 230 s from nothing, for a bound 4 below the citizens' side).
    if triples is None and h.pw.complete and not budget.deterministic and h.lp_use is not None \
            and int(h.pw.days.sum()) <= tuning.day_lp_thinned_max:
        # Where the wide set is thinned (large cities): every triple, without its start ranges
        # (measured on the third generator's split-shift city of 2,000 volunteers: 3.3 million
        # triples; the bound 59,905 → 59,605; the days' hulls alone, 4.1 million, left it at 59,905).
        triples = _every_triple(index, h, budget.stage(share, keep))
    if triples is None or budget.deterministic and len(triples) > tuning.day_lp_max_triples:
        return
    fits = h.pinned.fits(triples.req, triples.vol, triples.day)
    if not fits.all():
        log.debug("days bound: %d of %d triples fit no window the pins leave", int((~fits).sum()), len(fits))
        triples = DayTriples(triples.req[fits], triples.vol[fits], triples.day[fits], triples.distance_km[fits])
    seed = _lp_triples(index, h, triples)
    threads = _week_threads(index, run.workers)
    days = day_lp_bound(h.pinned.index, triples, h.pinned.fd, h.per_citizen, seed, tuning, threads,
                        deadline=math.inf if budget.deterministic else
                        time.monotonic() + budget.seconds(share, keep))
    bounds.tighten_residual(days.weeks, "days")
    log.debug("%s bound %d at %.2fs (days: %s converged)", bounds.kind, bounds.total, budget.elapsed(),
              int(days.converged.sum()))


def _every_triple(index: ScenarioIndex, h: _Horizon, out_of_time: Callable[[], bool]) -> DayTriples | None:
    """Every exact triple of the pair-weeks, week by week, without start ranges (see bound.DayTriples);
    None if the clock stops it before the last week."""
    pw = h.pw
    tables = window_tables(index)
    parts = []
    for w in range(index.weeks):
        if out_of_time():
            return None
        sel = np.flatnonzero(pw.week == w)
        t = exact_triples(index, h.fd, tables, pw.req[sel], pw.vol[sel], slice(7 * w, 7 * w + 7))
        parts.append((t.req, t.vol, t.day))  # not their start hulls: ~170 MB on a city of 8 million
    req, vol, day = (np.concatenate(x) for x in zip(*parts))
    return DayTriples(req, vol, day, h.dist[req, vol].astype(np.float32))


def _lp_triples(index: ScenarioIndex, h: _Horizon, cands: Candidates | DayTriples,
                cut: bool = False) -> np.ndarray | None:
    """A mask over ``cands``: the triples of the pair LP's pairs in the weeks it uses them (None
    without a converged LP; with ``cut``, its last solution also where the clock cut it)."""
    use = (h.lp.pair_use if h.lp is not None else None) if cut else h.lp_use
    if use is None or h.pw is None:
        return None
    pw, n_v, weeks = h.pw, index.n_volunteers, index.weeks
    used = use > 1e-9
    keys = (pw.req[used].astype(np.int64) * n_v + pw.vol[used]) * weeks + pw.week[used]
    return np.isin((cands.req.astype(np.int64) * n_v + cands.vol) * weeks + cands.day // 7, keys)


def _baseline(run: _Run, wide: Candidates) -> tuple[Plan, Plan, bool]:
    """Stage: the agreed sessions (free-mode pins as calls until the end, see :func:`_upgrade_free_pins`),
    the coordinator's baseline
    built on them (urgent-first filling; for the optimiser, then its own continuity swaps), and
    whether the clock ended the baseline before it had tried every request."""
    index, budget, tuning = run.index, run.budget, run.tuning
    base = Plan(index, run.agreed.fixed)
    greedy = Plan(index, base.sessions)
    greedy_stage = budget.stage(1.0, run.reserve)
    cut: list[bool] = []

    def out_of_time() -> bool:
        if greedy_stage():
            cut.append(not budget.stopped())
            return True
        return False

    fill(greedy, wide, out_of_time=out_of_time)
    if run.friends_wanted:
        # The baseline's friends (held or offered later) after its own swaps, in a small share of
        # the time: measured on city-large, unbounded swaps over 1.6 million triples took 44 s of 120.
        improve_continuity(greedy, wide, run.agreed_keys,
                           deadline=time.monotonic() + budget.seconds(tuning.baseline_swaps_share, run.reserve)
                           if not budget.deterministic else math.inf, tuning=tuning)
    log.debug("greedy: %d weighted, continuity %.3f at %.2fs", greedy.weighted(), _continuity(greedy.sessions),
              budget.elapsed())
    return base, greedy, any(cut)


def _warm_start(run: _Run, h: _Horizon, wide: Candidates, base: Plan, greedy: Plan, friends: dict[int, int],
                swap_friends: dict[int, int], bounds: _Bounds) -> Plan:
    """Stage: the week models' warm start: the best of the baseline, the plan the flow guides and the
    rounded start (where the wide set is thinned), the repair by moving where the relaxation serves
    more, then one of its weeks repeated in every week where that keeps friends worth what it gives
    up. The baseline itself (the method greedy's answer) is never changed."""
    index, budget, tuning, w = run.index, run.budget, run.tuning, run.weights
    start = greedy
    if not run.optimiser:
        return start
    if h.used is not None:
        guided = _guided(index, base, wide, h.pw, h.used, friends, budget, run.reserve)
        if guided.weighted() > greedy.weighted():
            start = guided
    rounded = _rounded(run, h, wide, base, friends, start.weighted(), bounds.total)
    if rounded is not None and rounded.weighted() > start.weighted():
        start = rounded
    if tuning.warm_moving_share > 0:
        start = _warm_start_by_moving(start, wide, run.agreed_keys, h.pw, h.lp_use if h.lp_use is not None else h.used,
                                      swap_friends if w.continuity else None, budget, run.reserve, tuning)
    repeat_need = 0.0 if budget.deterministic else tuning.repeat_per_candidate * len(wide)
    # Not where the week models hold every triple: they only lean to the friends, and a repeated start
    # changed no small city's continuity but slowed its proof (small-alien-villages 1.3 → 2.0 s).
    # Nor where the warm start is within Tuning.repeat_gap of the bound (see there).
    if w.continuity and tuning.repeat_weeks and index.weeks > 1 and not complete_models(h.pw, tuning) \
            and start.weighted() < (1 - tuning.repeat_gap) * bounds.total \
            and not budget.over(run.reserve + repeat_need):
        start = _repeated(start, wide, base, w, tuning,
                          budget.stage(tuning.repeat_share, run.reserve, at_least=repeat_need), floor=greedy.weighted())
    return start


def _rounded(run: _Run, h: _Horizon, wide: Candidates, base: Plan, friends: dict[int, int], start: float,
             bound: float) -> Plan | None:
    """Stage: where the wide set is thinned, a warm start from the day LP over it rounded (see
    .rounding), its LPs within ``Tuning.rounding_share`` of the time left; not in effort mode (the
    LPs stop by the clock), nor where the warm start so far (worth ``start``) serves
    ``Tuning.rounding_below`` of the ``bound`` already."""
    budget, tuning = run.budget, run.tuning
    if not run.optimiser or wide.complete or budget.deterministic or not tuning.rounding_share \
            or not len(wide) or budget.over(run.reserve) \
            or start >= tuning.rounding_below * bound:
        return None
    # A cut pair LP's plan is still a start for the day LPs, which price on from it: without one they
    # start from the friends' triples alone (measured on the family's large city with a busy loop
    # beside it, the pair LP cut at 5 of its 6 rounds, in process at 120 s: 0.9532 -> 0.9633).
    seed = _lp_triples(run.index, h, wide, cut=True)
    seconds = budget.seconds(tuning.rounding_share, run.reserve)
    # The citizens' side bounds what each citizen receives besides the pins (see _citizens_side).
    per_citizen = None if h.per_citizen is None else h.per_citizen + h.pinned.citizens
    plan = rounded_plan(run.index, wide, h.fd, base, seed, friends, budget, seconds,
                        deadline=budget.deadline - run.reserve, per_citizen=per_citizen,
                        threads=_week_threads(run.index, run.workers), search_seed=run.seed, tuning=tuning)
    log.debug("rounded start: %s at %.2fs", "none" if plan is None else plan.weighted(), budget.elapsed())
    return plan


def _after_weeks(run: _Run, wide: Candidates, start: Plan) -> tuple[float, float]:
    """Seconds the week stages leave for what follows them (the repair, the continuity swaps, the
    trade for friends and the cross-week neighbourhoods), and of those the trade's own."""
    budget, tuning, w = run.budget, run.tuning, run.weights
    # By the sessions the swaps will move: the warm start's, not the demand (a city of 30 volunteers
    # for 600 citizens, 588 of its 5,469 sessions servable, had reserved 3 s of its 3.7 and searched
    # no week).
    swaps = tuning.swaps_min + tuning.swaps_per_session * len(start.sessions) if w.continuity else 0.0
    # ... and the trade for friends its own (measured on medium-city at 8216947, 28 s: the weeks left
    # 1.6 s after the repair, less than the trade needs, and it was skipped in three runs of three).
    trade_need = 0.0 if budget.deterministic else tuning.trade_per_candidate * len(wide)
    if run.optimiser and w.continuity > 0 and tuning.friend_worth > 0:
        swaps += trade_need
    # ... and the cross-week neighbourhoods theirs, where there are weeks to tie together: a one-week
    # city's week model needs the time (300 / 705 / 1 week at 40 s: 0.9868 of the bound without the
    # share, 0.9753 with it; measured 2026-12-04, bench_unseen --seed 2026).
    # More where the wide set itself is thinned (large cities): their neighbourhoods search every
    # candidate of their volunteers, triples the week models never had (see Tuning.cross_week_share).
    if run.optimiser and w.continuity > 0 and not budget.deterministic and run.index.weeks > 1:
        swaps += budget.seconds(tuning.cross_week_share if wide.complete else tuning.cross_week_share_thinned,
                                run.reserve)
    return swaps, trade_need


def _weeks(run: _Run, h: _Horizon, wide: Candidates, start: Plan, greedy: Plan, bounds: _Bounds,
           friends: dict[int, int], after: float, tracker: _Tracker, previous: pd.DataFrame | None,
           keep_before: date | None) -> _WeeksDone:
    """Stage: the week models (the optimiser only), from ``start``, leaving ``after`` seconds: their
    triples chosen (:func:`.select.model_set`), the friends they hold priced (:func:`_priced_out`,
    :func:`_costly_holds`), searched (:func:`_optimise`); should every week be proven early, the models
    grow (or release costly holds) and search again from that schedule."""
    index, budget, tuning, w = run.index, run.budget, run.tuning, run.weights
    if not run.optimiser or budget.over(run.reserve) or not len(wide):
        h.release()
        return _WeeksDone(start)
    reserve = run.reserve + after
    warm = {(s.req, s.vol) for s in greedy.sessions + start.sessions}
    cap = _model_cap(index, budget, run.reserve, run.workers, tuning)
    cuts_before = 0  # the timing cuts of the rounds before widening
    spent_before = 0.0  # the work of the rounds before widening (effort mode)
    widened_once = False
    pw, lp = h.pw, h.lp
    priced_out = _priced_out(index, pw, h.reduced, w, tuning) if wide.complete else None
    if priced_out is not None and lp is not None and lp.lp_optimal and not complete_models(pw, tuning):
        # Each LP solve within the free LP's allowance (its estimate × Tuning.lp_time_factor).
        # On the problem the LP bounds, the pins taken out (their sessions are no hold's to release).
        priced_out |= _costly_holds(h.pinned.index, pw, h.pinned.fd, h.dist, start, priced_out, lp, w, tuning,
                                    h.lp_threads,
                                    budget.stage(tuning.bound_share, reserve),
                                    tuning.lp_time_factor * h.lp_estimate if not budget.deterministic else math.inf)
    # The models choose among the wide set's pair-weeks only (their triples are the wide set's):
    # at large size a tenth of them (measured on city-large: 5.9 s → under 1 s to choose).
    sel = np.flatnonzero(h.wide_mask)
    pw_w = PairWeeks(pw.req[sel], pw.vol[sel], pw.week[sel], pw.days[sel], pw.complete)
    reduced_w = h.reduced[sel] if h.reduced is not None else None
    use_w = h.lp_use[sel] if h.lp_use is not None else h.used[sel] if h.used is not None else None
    must_w = h.must[sel]
    # Kept where the holds may be released once the models holding them are proven (below).
    release = (pw, lp) if priced_out is not None and lp is not None and lp.lp_optimal \
        and not budget.deterministic and w.continuity else None
    h.release()
    pw = lp = None  # noqa: F841
    just_released = False  # relax released holds: the same models are searched again
    # Tuning.build_seconds_per_triple was measured with two weeks built side by side (sharing the
    # interpreter); a week built alone takes about half (a one-week city of 5,231 triples with 3 s had
    # skipped its only week model, its estimate twice the seconds it would take).
    rate = _BuildRate(tuning.build_seconds_per_triple * (1.0 if _week_threads(index, run.workers) > 1 else 0.5))

    def relax(proven_plan: Plan) -> bool:
        """Every week proven holding friends, with time left: release the holds that cost the pair
        LP more than ``Tuning.hold_loss_proven`` (once); True if any was."""
        nonlocal release, just_released
        if release is None:
            return False
        rows, lp_free = release
        release = None
        more = _costly_holds(h.pinned.index, rows, h.pinned.fd, h.dist, proven_plan, priced_out, lp_free, w,
                             replace(tuning, hold_loss=tuning.hold_loss_proven), h.lp_threads,
                             budget.stage(tuning.bound_share, reserve), tuning.lp_time_factor * h.lp_estimate)
        freed = more - priced_out
        if freed:
            log.debug("every week proven holding friends at %.2fs: %d holds released", budget.elapsed(), len(freed))
        priced_out.update(freed)
        just_released = bool(freed)
        return just_released

    while True:
        model_mask = model_set(pw_w, h.dist, reduced_w, use_w, must_w | pair_mask(pw_w, warm), tuning, cap=cap)
        model_keys = _pair_week_keys(pw_w, model_mask, index)
        in_model = np.isin(_week_keys(index, wide.req, wide.vol, wide.week), model_keys)
        complete_model = bool(model_mask.all()) and wide.complete
        log.debug("week models: %d triples (cap %d, complete %s) at %.2fs", int(in_model.sum()), cap,
                  complete_model, budget.elapsed())
        # Widening: should every week be proven on its triples with much of the time (in effort mode,
        # of the work) left, the models take more triples and search again from that schedule (in
        # effort mode by a fixed factor: the model size must not depend on the machine's speed).
        widen = not complete_model and cap < tuning.max_model_triples
        plan, model_bound, secondary, primary_before_continuity, proven_weeks, widened, work = _optimise(
            index, wide, np.flatnonzero(in_model), complete_model, run.agreed, start, bounds, w, run.seed,
            run.workers, budget, reserve, tuning, tracker, friends, widen, priced_out,
            hold=not complete_model or widened_once, relax=relax if release is not None else None, rate=rate,
            price=complete_model and widened_once, after=after, spent_before=spent_before)
        spent_before += work
        if not widened:
            secondary["timing_cuts"] += cuts_before
            break
        cuts_before += secondary["timing_cuts"]
        if just_released:  # the same models, fewer friends held, searched again from that schedule
            just_released = False
            if plan.weighted() > start.weighted():
                start = plan
            warm |= {(s.req, s.vol) for s in plan.sessions}
            continue
        # Widened models hold the friends too, even once they hold every triple: a city of 12
        # weeks (60 volunteers) proven on its thinned models, widened to complete models that
        # only leaned, served 0.5 % more and kept one friend for 0.65 of the requests instead
        # of 0.79 (measured 2026-12-02); the proof they might give is then not claimed.
        widened_once = True
        log.debug("every week proven on %d triples at %.2fs: widening", int(in_model.sum()), budget.elapsed())
        if plan.weighted() > start.weighted():
            start = plan
        warm |= {(s.req, s.vol) for s in plan.sessions}
        cap = min(int(cap * widened), tuning.max_model_triples)
    # The models' bound holds for every valid schedule only when they held every triple and
    # nothing but pins (which are hard rules) was fixed, each as the scenario has it: an `either` pin is a
    # call here, as it is until the last stage (:func:`_upgrade_free_pins`).
    if previous is not None and len(previous) or keep_before is not None:
        model_bound = None
    return _WeeksDone(plan, model_bound, secondary, primary_before_continuity, proven_weeks, rate)


def _repair(run: _Run, plan: Plan, wide: Candidates, after: float) -> Plan:
    """Stage: offer whatever is still missing to the greedy inserter; for the optimiser, then by
    moving one session out of the way."""
    budget = run.budget
    filled = fill(plan, wide, out_of_time=budget.stage(1.0, run.reserve))
    log.debug("repair: %d added, %d weighted, continuity %.3f at %.2fs", filled, plan.weighted(),
              _continuity(plan.sessions), budget.elapsed())
    if run.optimiser:
        # Measured on medium-alien-villages: +0.4 %, the sessions the timing dropped; 0 to 11 sessions
        # on the other medium cities. A visiting friend's session moves only with all its weeks:
        # moving them freely had served 0.3-0.6 % more on the alien cities but kept one friend for
        # fewer requests (large-alien 0.658 → 0.620, medium-alien-villages 0.732 → 0.688, below the
        # baseline's; measured 2026-12-02). Half of what is left, or all but the swaps' share when the
        # weeks left more (skipped, or done early).
        moved = fill_by_moving(plan, wide, run.agreed_keys, out_of_time=budget.stage(
            0.5, run.reserve, at_least=budget.seconds(1.0, run.reserve + after)),
            friends=held_friends(plan.sessions) if run.weights.continuity else None)
        log.debug("repair by moving: %d added at %.2fs", moved, budget.elapsed())
    log.debug("weeks done: %d, continuity %.3f at %.2fs", plan.weighted(), _continuity(plan.sessions),
              budget.elapsed())
    return plan


def _friends_to_keep(run: _Run, plan: Plan) -> dict[int, int]:
    """Request → its volunteer, for the requests ``plan`` serves with one volunteer (twice or more, or
    once: the friend to be) whose sessions are worth no more than a visiting friend as the trade for
    friends values one (``weights.continuity × Tuning.friend_worth``): no stand-in is added to them
    (none with continuity weight 0)."""
    if not run.weights.continuity:
        return {}
    worth = run.weights.continuity * run.tuning.friend_worth
    vols: dict[int, set[int]] = defaultdict(set)
    for s in plan.sessions:
        vols[s.req].add(s.vol)
    return {r: next(iter(v)) for r, v in vols.items() if len(v) == 1 and run.index.priority[r] <= worth}


def _top_up(run: _Run, plan: Plan, wide: Candidates) -> int:
    """Stage, last: the request-weeks still missing sessions offered to the greedy inserter once more,
    nothing moved (the trade and the neighbourhoods free room after the repair), no stand-in added
    to a friend's request (:func:`_friends_to_keep`); returns the sessions added."""
    ix = run.index
    missing = [r for r in range(ix.n_requests) if any(plan.remaining(r, w) > 0 for w in range(ix.weeks))]
    if not missing or not len(wide):
        return 0
    added = fill(plan, wide, request_order=missing, out_of_time=run.budget.stage(1.0, run.reserve),
                 only=_friends_to_keep(run, plan))
    log.debug("topped up: %d added, %d weighted at %.2fs", added, plan.weighted(), run.budget.elapsed())
    return added


def _leftover(run: _Run, plan: Plan, wide: Candidates, bounds: _Bounds, done: _WeeksDone, may_bound: bool) -> int:
    """Stage, last (unproven plans only): the time the other stages left, which end early when their
    work is done (in effort mode ``Tuning.leftover_effort`` for the whole week models alone). First,
    where every triple is a candidate (and ``may_bound``: no agreed schedule fixed), each week's model
    over all of them (:func:`_complete_week_models`). Then the cross-week neighbourhoods again: from
    the requests still missing sessions (:func:`.crossweek.cross_week_search` with ``missing``), then
    from those split between volunteers since, in turn while either finds better; nothing is given
    up (the plan's weighted sessions are the floor). Returns the neighbourhoods that found better."""
    budget, tuning = run.budget, run.tuning
    if not run.optimiser or not len(wide) or plan.weighted() >= _reported_bound(bounds, done.model_bound)[0]:
        return 0
    # In effort mode no time is left over (what a faster machine leaves must not change the schedule):
    # the whole week models get a share of the effort instead, where the weeks are no larger than
    # the models the week stages build whole (a size, not a clock, decides).
    if budget.deterministic:
        if may_bound and wide.complete and tuning.leftover_effort > 0:
            _complete_week_models(run, plan, wide, bounds, done.build_rate,
                                  work=budget.effort * tuning.leftover_effort)
        return 0
    if budget.seconds(1.0, run.reserve) < tuning.leftover_min_seconds:
        return 0
    if may_bound and wide.complete:
        _complete_week_models(run, plan, wide, bounds, done.build_rate)
        if plan.weighted() >= _reported_bound(bounds, done.model_bound)[0]:
            return 0
    worth = run.neighbourhood_worth
    better_all = tried_all = 0
    for round_ in range(tuning.leftover_rounds):
        better = 0
        for missing in (True, False):
            if budget.seconds(1.0, run.reserve) < tuning.leftover_min_seconds:
                break
            if not missing and not run.friends_wanted:
                continue
            tried, found = cross_week_search(plan, wide, run.agreed_keys, worth, plan.weighted(), budget,
                                             budget.deadline - run.reserve, run.seed + 1 + round_, tuning,
                                             threads=_threads(run.workers), missing=missing)
            tried_all += tried
            better += found
            log.debug("leftover round %d (%s): %d neighbourhoods, %d better: %d weighted at %.2fs", round_,
                      "missing" if missing else "split", tried, found, plan.weighted(), budget.elapsed())
        better_all += better
        if not better:
            break
    done.secondary["leftover_searched"], done.secondary["leftover_better"] = tried_all, better_all
    log.debug("leftover: %d neighbourhoods, %d better: %d weighted, continuity %.3f at %.2fs", tried_all, better_all,
              plan.weighted(), _continuity(plan.sessions), budget.elapsed())
    return better_all


def _complete_week_models(run: _Run, plan: Plan, wide: Candidates, bounds: _Bounds, rate: _BuildRate | None,
                          work: float = math.inf) -> int:
    """Each week's model over every triple, nothing held (the pins fixed: they are hard rules),
    searched from the plan's week in ``Tuning.leftover_bound_share`` of the time left (``rate``: how fast
    this solve built its week models), the weeks the
    plan is furthest below their bounds first (a week whose model the time left cannot build is
    skipped). A week's model relaxes only the timing within its days, and no hard rule spans two
    weeks, so its proven bound holds for the week in every valid schedule, proven optimal or not: the
    honest bounds are tightened by it (:meth:`_Bounds.tighten`, kind ``week-models``). The search
    leans to each request's main volunteer in the plan; its answer replaces the plan's week where
    it is worth more, a request kept by one volunteer worth what the cross-week neighbourhoods give
    it. In effort mode ``work`` (deterministic units) is shared by the weeks instead of the clock,
    and only weeks of at most ``Tuning.leftover_effort_triples`` triples are searched. Returns the weeks
    replaced."""
    index, budget, tuning, w = run.index, run.budget, run.tuning, run.weights
    threads = _week_threads(index, run.workers)
    per_week = np.bincount(wide.week, minlength=index.weeks)
    mine = sessions_by_week(plan.sessions)
    gaps = [bounds.weeks[k] - weighted_value(index, mine.get(k, [])) for k in range(index.weeks)]
    weeks = [k for k in sorted(range(index.weeks), key=lambda k: -gaps[k]) if gaps[k] >= 1.0]
    if budget.deterministic:
        weeks = [k for k in weeks if per_week[k] <= tuning.leftover_effort_triples]
    end = time.monotonic() + budget.seconds(tuning.leftover_bound_share, run.reserve) \
        if not budget.deterministic else math.inf
    rate = rate or _BuildRate(tuning.build_seconds_per_triple)

    def build(k: int) -> float:
        return rate.estimate(int(per_week[k]), tuning) if not budget.deterministic else 0.0

    # Not even the smallest week's model can be built and searched: the whole set is not copied either.
    if not weeks or 2 * min(build(k) for k in weeks) > end - time.monotonic():
        log.debug("no week's whole model: %d weeks below their bounds, %.2fs to build the smallest, %.2fs left",
                  len(weeks), min((build(k) for k in weeks), default=0.0), end - time.monotonic())
        return 0
    # `either` pins are still calls (see _upgrade_free_pins): the models' bounds are the problem's.
    fixed_by_pos = {i: s for s in run.agreed.fixed if (i := wide.position(s.req, s.vol, s.day)) is not None}
    on, fixed_on = _model_candidates(wide, np.ones(len(wide), bool), fixed_by_pos, True)
    main: dict[int, Counter] = defaultdict(Counter)
    for x in plan.sessions:
        main[x.req][x.vol] += 1
    lean = {r: c.most_common(1)[0][0] for r, c in main.items()} if w.continuity else {}
    found = np.full(index.weeks, np.inf)
    answers: dict[int, list[Session]] = {}

    def one(k: int, share: int) -> None:
        seconds = (end - time.monotonic()) / share
        if seconds < 2 * build(k) or budget.over(run.reserve):
            log.debug("week %d's whole model: %d triples, %.2fs to build, %.2fs left", k, per_week[k], build(k),
                      seconds)
            return
        t_build = time.monotonic()
        ws = WeekSearch(index, on, k, w, {t: x for t, x in fixed_on.items() if int(on.day[t]) // 7 == k}, budget,
                        run.seed, tuning)
        log.debug("week %d's whole model: %d triples built in %.2fs (estimated %.2fs)", k, per_week[k],
                  time.monotonic() - t_build, build(k))
        ws.offer(mine.get(k, []))
        ws.hard_end = min(end, budget.deadline - run.reserve) if not budget.deterministic else math.inf
        ws.primary(end - time.monotonic(), work / len(weeks), math.floor(bounds.weeks[k] + 1e-6), lean=lean)
        found[k] = ws.model_bound
        answers[k] = ws.best
        log.debug("week %d's whole model: %d, bound %s (the honest %.1f, the plan %d) at %.2fs", k, ws.best_value,
                  ws.model_bound, bounds.weeks[k], weighted_value(index, mine.get(k, [])), budget.elapsed())

    rounds = math.ceil(len(weeks) / threads)
    with ThreadPoolExecutor(max_workers=threads) as pool:
        for wait in [pool.submit(one, k, rounds - i // threads) for i, k in enumerate(weeks)]:
            wait.result()
    bounds.tighten(found, "week-models")
    worth = run.neighbourhood_worth

    replaced = 0
    for k, best in sorted(answers.items()):
        old = mine.get(k, [])  # a week replaced leaves the others as they were
        if weighted_value(index, best) <= weighted_value(index, old):
            continue
        # The agreed sessions are fixed in the model; a week answer without one of them is not taken.
        agreed = {(x.req, x.vol, x.day) for x in old} & run.agreed_keys
        if not agreed <= {(x.req, x.vol, x.day) for x in best}:
            continue
        rest = [x for x in plan.sessions if x.day // 7 != k]
        if score_with_friends(index, rest + best, worth)[0] > score_with_friends(index, rest + old, worth)[0]:
            for x in old:
                plan.remove(x)
            for x in best:
                plan.add(x)
            replaced += 1
    log.debug("each week's whole model searched: %d weeks replaced, %d weighted, continuity %.3f at %.2fs", replaced,
              plan.weighted(), _continuity(plan.sessions), budget.elapsed())
    return replaced


def _beyond_wide(run: _Run, h: _Horizon, plan: Plan, wide: Candidates, first: int) -> int:
    """Stage: where the wide set was thinned (large cities), the request-weeks still missing sessions
    offered to the nearest volunteers outside it who have room left that week
    (``Tuning.beyond_per_request_week`` per request-week) in ``Tuning.beyond_share`` of the time left; returns the
    sessions added."""
    index, budget, tuning = run.index, run.budget, run.tuning
    if wide.complete or not run.optimiser or not tuning.beyond_per_request_week or budget.over(run.reserve):
        return 0
    out_of_time = budget.stage(tuning.beyond_share, run.reserve)
    weeks, dur = index.weeks, index.duration
    # The plan's own counts per request-week and volunteer-week, as arrays.
    served = np.zeros((index.n_requests, weeks), np.int64)
    vol_n = np.zeros((index.n_volunteers, weeks))
    vol_min = np.zeros((index.n_volunteers, weeks))
    for counts, into in ((plan.req_week_n, served), (plan.vol_week_n, vol_n), (plan.vol_week_min, vol_min)):
        for (who, w), n in counts.items():
            into[who, w] = n
    missing = index.week_demand > served
    offered = missing.any(axis=1)
    keep = _friends_to_keep(run, plan)
    offered[list(keep)] = False  # their friends are in the wide set: no stand-in from outside it
    if not offered.any():
        return 0
    ok = np.logical_and.reduce(list(h.checks.values())) & offered[:, None]
    pw = pair_weeks(index, ok, h.fd, out_of_time=out_of_time, distance=h.dist)
    room = missing[pw.req, pw.week] & (vol_n[pw.vol, pw.week] < index.max_sessions[pw.vol]) \
        & (vol_min[pw.vol, pw.week] + dur[pw.req] <= index.max_minutes[pw.vol])
    in_wide = np.unique(_week_keys(index, wide.req, wide.vol, wide.week))
    room &= ~np.isin(_week_keys(index, pw.req, pw.vol, pw.week), in_wide)
    sel = np.flatnonzero(room)
    rank = rank_within(pw.req[sel].astype(np.int64) * weeks + pw.week[sel], h.dist[pw.req[sel], pw.vol[sel]])
    mask = np.zeros(len(pw), bool)
    mask[sel[rank < tuning.beyond_per_request_week]] = True
    extra = _candidates(index, h.fd, pw, mask, h.checks, h.dist, first, run.agreed, complete=False,
                        out_of_time=lambda _built: out_of_time())
    added = fill(plan, extra, out_of_time=out_of_time, only=keep)
    log.debug("beyond the wide set: %d candidates for %d request-weeks, %d added, %d weighted at %.2fs", len(extra),
              int(missing[offered].sum()), added, plan.weighted(), budget.elapsed())
    return added


def _continuity_stages(run: _Run, plan: Plan, start: Plan, greedy: Plan, wide: Candidates, bounds: _Bounds,
                       done: _WeeksDone, swap_friends: dict[int, int], trade_need: float) -> tuple[Plan, Counter]:
    """Stage: one visiting friend per request: the swaps (no priority lost), the trade for friends and
    the cross-week neighbourhoods (what the continuity weight may give up; from a proven optimum only
    what the weight above its default may); never below the warm start. Adds the neighbourhoods'
    figures to ``done.secondary``. Returns the plan and its sessions per (request, week) before the trade
    and the neighbourhoods (what :func:`given_for_friends` compares the end with)."""
    index, budget, tuning, w = run.index, run.budget, run.tuning, run.weights
    reserve = run.reserve
    # Sessions given up for friends after the swaps (see continuity.trade_for_friends), with its time
    # kept from them.
    proven = plan.weighted() >= _reported_bound(bounds, done.model_bound)[0]
    trading = run.optimiser and w.continuity > 0 and tuning.friend_worth > 0
    may_give = _trade_share(w, tuning, proven) > 0
    trade = trading and may_give and not budget.over(reserve + trade_need)
    if trading and not trade:
        log.debug("no trade for friends: %s", "a proven optimum at the default weight or below" if not may_give else
                  f"{budget.seconds(1.0, reserve):.2f}s left, {trade_need:.2f}s needed")
    if w.continuity:
        for _pass in range(tuning.swap_passes):  # a move can open room for another
            if not improve_continuity(plan, wide, run.agreed_keys, friends=swap_friends,
                                      deadline=budget.deadline - reserve - (trade_need if trade else 0.0)
                                      if not budget.deterministic else math.inf,
                                      tuning=tuning):
                break
        log.debug("swaps: continuity %.3f at %.2fs", _continuity(plan.sessions), budget.elapsed())
    if plan.weighted() < start.weighted():
        plan = start  # never worse than the coordinator's baseline (or the guided one)
    if run.friends_wanted and plan is greedy:
        plan = Plan(index, greedy.sessions)  # the trade and the neighbourhoods change it: the baseline stays
    floor = plan.weighted()  # what the cross-week search may not go below
    before_trade = Counter((s.req, s.day // 7) for s in plan.sessions)
    if trade:
        floor = _trade_floor(plan, greedy, w, tuning, proven)
        traded, given = trade_for_friends(plan, wide, run.agreed_keys, w.continuity * tuning.friend_worth, floor,
                                          out_of_time=budget.stage(1.0, reserve))
        log.debug("traded for friends: %d requests for %d weighted, continuity %.3f at %.2fs", traded, given,
                  _continuity(plan.sessions), budget.elapsed())
    # Last, a few volunteers' whole horizon at a time searched again with continuity in the model
    # (crossweek): what the weeks apart and the swaps cannot do, changing which request-weeks are
    # served to keep a friend; as much as the trade may give up.
    if run.friends_wanted and not budget.over(reserve) and len(wide):
        worth = run.neighbourhood_worth if trade else 0.0
        work = budget.effort * tuning.cross_week_effort if budget.deterministic else math.inf
        end = budget.deadline - reserve
        if proven and not trade:  # only friends to gain: a share of the time taken, so a proof stays quick
            end = min(end, time.monotonic() + tuning.cross_week_proven_share * budget.elapsed())
        tried, better = cross_week_search(plan, wide, run.agreed_keys, worth, floor, budget, end, run.seed, tuning,
                                          work, threads=_threads(run.workers))
        done.secondary["cross_week_searched"], done.secondary["cross_week_better"] = tried, better
        log.debug("cross-week: %d neighbourhoods, %d better: %d weighted, continuity %.3f at %.2fs", tried, better,
                  plan.weighted(), _continuity(plan.sessions), budget.elapsed())
    return plan, before_trade


def given_for_friends(plan: Plan, before: Counter) -> dict[tuple[int, int], int]:
    """(request, week) → its visiting friend, for the request-weeks that lost sessions to the trade for
    friends or the cross-week neighbourhoods (``before``: their sessions before them) and whose request
    is now served by that one volunteer alone: the reason the planner reads for them is the friend, not
    capacity (:func:`.explain.explain_unassigned`)."""
    now: Counter = Counter()
    vols: dict[int, set[int]] = defaultdict(set)
    for s in plan.sessions:
        now[(s.req, s.day // 7)] += 1
        vols[s.req].add(s.vol)
    return {(r, w): next(iter(vols[r])) for (r, w), n in before.items()
            if now[(r, w)] < n and len(vols[r]) == 1}


def _trade_share(weights: Weights, tuning: Tuning, proven: bool) -> float:
    """The share of the plan the trade for friends may give up: ``tuning.friend_trade_cap`` at the
    default continuity weight, in proportion to the weight, so that the weight is the planner's
    trade-off (with the cap fixed, weight 80 kept one friend for 0.80 of medium-city's requests, as 20
    did). From a ``proven`` optimum only the part above the default weight: at the default the
    optimum the planner is shown stays (``OPTIMAL``), while a raised weight still buys friends, as it
    does where nothing is proven (measured 2026-12-07, the whole command, 10 s, weight 20 / 40 / 80:
    small-appointments continuity 0.72 / 0.80 / 0.83 for 596 / 595 / 593 weighted, the baseline's
    0.85; an unseen small 30-km city 0.71 / 0.80 / 0.83 for 1,067 / 1,065 / 1,059, the baseline's
    0.83; small-city 0.935 / 0.944 / 0.963 for 744 / 744 / 740). Before, a raised weight changed
    nothing on a city proven optimal."""
    share = weights.at_continuity(tuning.friend_trade_cap)
    if proven:
        share -= tuning.friend_trade_cap
    return min(1.0, max(0.0, share))


def _trade_floor(plan: Plan, greedy: Plan, weights: Weights, tuning: Tuning, proven: bool = False) -> int:
    """The fewest weighted sessions the trade for friends may leave of ``plan``: never below the
    coordinator's baseline, and at most :func:`_trade_share` of the plan given up."""
    return max(greedy.weighted(), math.ceil((1 - _trade_share(weights, tuning, proven)) * plan.weighted()))


def _guided(index: ScenarioIndex, base: Plan, wide: Candidates, pw: PairWeeks, used: np.ndarray,
            friends: dict[int, int], budget: Budget, reserve: float) -> Plan:
    """The flow bound's assignment (``used`` sessions per pair-week of ``pw``), realised day by day
    from ``base`` (the agreed sessions): often near the bound at once."""
    guided = Plan(index, base.sessions)
    suggest: dict[tuple[int, int], set[int]] = defaultdict(set)
    for k in np.flatnonzero(used > 0).tolist():
        suggest[(int(pw.req[k]), int(pw.week[k]))].add(int(pw.vol[k]))
    fill(guided, wide, out_of_time=budget.stage(1.0, reserve), suggested=suggest, friends=friends)
    log.debug("guided: %d weighted, continuity %.3f at %.2fs", guided.weighted(), _continuity(guided.sessions),
              budget.elapsed())
    return guided


def _warm_start_by_moving(start: Plan, wide: Candidates, agreed_keys: set[tuple[int, int, int]], pw: PairWeeks,
                          relaxed: np.ndarray | None, swap_friends: dict[int, int] | None, budget: Budget,
                          reserve: float, tuning: Tuning) -> Plan:
    """A copy of ``start`` (the baseline itself stays as the coordinator's) where the repair by moving
    serves what the relaxation (``relaxed`` sessions per pair-week of ``pw``) serves more than
    ``start``; with continuity (``swap_friends`` given), a visiting friend's session moves to
    another volunteer only with all its weeks, and the swaps make each request keep one friend again."""
    plan = Plan(start.index, start.sessions)
    wanted: dict[tuple[int, int], float] | None = None
    if relaxed is not None:
        # Request-weeks the relaxation serves more than the warm start: where moving may pay.
        wanted = defaultdict(float)
        for k in np.flatnonzero(relaxed > 1e-9).tolist():
            wanted[(int(pw.req[k]), int(pw.week[k]))] += float(relaxed[k])
    moved = fill_by_moving(plan, wide, agreed_keys, out_of_time=budget.stage(tuning.warm_moving_share, reserve),
                           friends=held_friends(plan.sessions) if swap_friends is not None else None, wanted=wanted)
    if swap_friends is not None and moved:
        # The sessions placed often split a request between volunteers: one friend each again
        # where that fits (measured on medium-alien-villages: continuity 0.66 → 0.71).
        improve_continuity(plan, wide, agreed_keys, friends=swap_friends,
                           deadline=time.monotonic() + budget.seconds(tuning.baseline_swaps_share, reserve)
                           if not budget.deterministic else math.inf, tuning=tuning)
    log.debug("warm start by moving: %d added, %d weighted, continuity %.3f at %.2fs", moved, plan.weighted(),
              _continuity(plan.sessions), budget.elapsed())
    return plan


def _repeated(start: Plan, wide: Candidates, base: Plan, weights: Weights, tuning: Tuning,
              out_of_time: Callable[[], bool], floor: int = 0) -> Plan:
    """``start`` with one of its weeks repeated in every week (see continuity.repeat_week), the best
    of its ``Tuning.repeat_weeks`` most valuable weeks, where the friends it keeps are worth what it
    gives up (``Tuning.friend_worth`` × the continuity weight per request kept) and it serves at least
    ``floor`` (the coordinator's baseline: the start of the week models is never below it); else
    ``start``."""
    index = start.index
    worth = weights.continuity * tuning.friend_worth

    def score(plan: Plan) -> float:
        return plan.weighted() + worth * len(held_friends(plan.sessions))

    values = _week_values(index, start.sessions)
    best, best_score = start, score(start)
    for k in sorted(range(index.weeks), key=lambda k: -values[k])[:tuning.repeat_weeks]:
        plan, _friends = repeat_week(start, wide, base.sessions, k)
        if plan.weighted() >= floor and (plan_score := score(plan)) > best_score:
            best, best_score = plan, plan_score
        if out_of_time():
            break
    log.debug("week repeated: %d weighted, continuity %.3f (the start's %d, %.3f)", best.weighted(),
              _continuity(best.sessions), start.weighted(), _continuity(start.sessions))
    return best


def _continuity(sessions: list[Session]) -> float:
    """The kpi's continuity of ``sessions`` (for the log)."""
    multi, held = served_twice(sessions)
    return len(held) / multi if multi else 1.0


def _threads(workers: int | None) -> int:
    """How many searches may run side by side: ``workers``, by default every core."""
    return max(1, workers or os.cpu_count() or 1)


def _week_threads(index: ScenarioIndex, workers: int | None) -> int:
    """How many weeks are solved side by side (the LP's and the week models'): :func:`_threads`, never
    more than the weeks."""
    return min(_threads(workers), index.weeks)


def _model_cap(index: ScenarioIndex, budget: Budget, reserve: float, workers: int | None, tuning: Tuning) -> int:
    """How many triples the week models may hold: what one week can use in the seconds (or, in
    effort mode, the work) it will get."""
    if budget.deterministic:
        return tuning.week_triples_effort * index.weeks
    per_week = tuning.week_triples_max
    if math.isfinite(budget.left()):
        seconds = budget.seconds(tuning.primary_share, reserve) / math.ceil(index.weeks / _week_threads(index, workers))
        per_week = int(min(max(tuning.week_triples_per_second * seconds, tuning.week_triples_min),
                           tuning.week_triples_max))
    return per_week * index.weeks


def _holds(index: ScenarioIndex, friends: dict[int, int], priced_out: set[int] | None) -> dict[int, int]:
    """The friends thinned models hold (request → volunteer): ``friends`` (each request the warm start
    serves with one volunteer) but the pairs ``priced_out`` (request × volunteers + volunteer)."""
    if not priced_out:
        return friends
    return {r: v for r, v in friends.items() if r * index.n_volunteers + v not in priced_out}


def _taken_by_holds(index: ScenarioIndex, held: dict[int, int], req: np.ndarray, vol: np.ndarray, week: np.ndarray,
                    among: np.ndarray | None = None) -> np.ndarray:
    """A mask over the (request, volunteer, week) rows given (triples or pair-weeks): what holding
    ``held`` takes away, another volunteer for a held request in a week where its friend has a row
    (among ``among``, by default every row): where the friend cannot come, anybody may stand in."""
    friend_of = np.full(index.n_requests, -1)
    friend_of[list(held)] = list(held.values())
    f = friend_of[req]
    is_friend = f == vol
    if among is not None:
        is_friend &= among
    rw = req.astype(np.int64) * index.weeks + week
    return (f >= 0) & (f != vol) & np.isin(rw, np.unique(rw[is_friend]))


def _costly_holds(index: ScenarioIndex, pw: PairWeeks, fd: Any, dist: np.ndarray, start: Plan, priced_out: set[int],
                  lp: Bound, weights: Weights, tuning: Tuning, workers: int,
                  out_of_time: Callable[[], bool], seconds: float = math.inf) -> set[int]:
    """Held friends (request × volunteers + volunteer) to release because together they cost too much.

    Each held pair alone may be priced in (:func:`_priced_out`) while the holds together take what
    the LP's plan needs: in a city of villages each volunteer is some citizens' friend and nobody
    is left to stand in. The pair LP with every held request limited to its friend, in the weeks
    the friend has room, tells what the holds cost (an LP loss, not a schedule's; its rows are the
    free LP's). While it is more than ``tuning.hold_loss`` (at the default continuity weight; in
    proportion to the weight) below the free LP (``lp``), the held requests that the free LP's plan
    serves most through others are released, a quarter of them, then half, then all; then every
    hold. Each LP solve stops after ``seconds`` (its bound then stands as it is); ``out_of_time``
    ends the releases between solves. Measured: see ``Tuning.hold_loss``."""
    allowed = weights.at_continuity(tuning.hold_loss)
    held = _holds(index, held_friends(start.sessions), priced_out)
    if not held or lp.pair_use is None:
        return set()
    other = _taken_by_holds(index, held, pw.req, pw.vol, pw.week)
    lost = np.bincount(pw.req[other], weights=lp.pair_use[other] * index.priority[pw.req[other]],
                       minlength=index.n_requests)
    order = [r for r in np.argsort(-lost, kind="stable").tolist() if lost[r] > 1e-6]  # held requests only
    rest = [r for r in held if lost[r] <= 1e-6]
    steps = [order[:max(1, len(order) // 4)], order[:max(1, len(order) // 2)], order, order + rest]
    released: list[int] = []
    seed = lp.pair_use > 0
    for step in [[], *steps][:tuning.hold_rounds]:
        if out_of_time():
            break
        released = step
        free = np.zeros(index.n_requests, bool)
        free[released] = True
        keep = ~(other & ~free[pw.req])
        # A restriction of the problem, every one of its pairs listed: its LP is that problem's.
        sub = PairWeeks(pw.req[keep], pw.vol[keep], pw.week[keep], pw.days[keep], True)
        value = lp_bound(index, sub, fd, dist, out_of_time, seed[keep], tuning, workers,
                         time.monotonic() + seconds, volunteer_side=False).value
        log.debug("holds: %d of %d released, LP %d against %d free", len(released), len(held), value, lp.value)
        if value >= (1 - allowed) * lp.value:
            break
    return {r * index.n_volunteers + held[r] for r in released}


def _priced_out(index: ScenarioIndex, pw: PairWeeks, reduced: np.ndarray | None, weights: Weights,
                tuning: Tuning) -> set[int] | None:
    """Pairs (request × volunteers + volunteer) the LP prices out for holding as friends: in some
    week the pair's reduced cost is below ``-weights.continuity × tuning.hold_price`` × the request's
    priority. Holding such a friend takes a volunteer the LP's best plan gives to others. Measured
    on city-medium against 0.990 of the bound without holding (continuity 0.37): holding every friend
    0.967–0.971 (continuity 0.70–0.73); within 0.1 of a session's worth 0.975 (0.67–0.68, the
    baseline's 0.66); within 0.05, 0.978 (0.65); within 0, 0.985 (0.49). Measured again with the
    interval-energy rows (2026-12-02): within 0.1, 0.975 (0.71); within 0.05, 0.978 (0.68, above the
    baseline's on all nine medium cities). None without an LP, and the caller gives none where the
    wide set is thinned (large cities): every friend is then held, measured to pay there (city-large
    with the LP, 120 s: 59,776 weighted and continuity 0.69 holding every friend, 59,625 and 0.61
    releasing the priced-out ones, below the baseline's 0.62)."""
    if reduced is None or not weights.continuity:
        return None
    bad = reduced < -weights.continuity * tuning.hold_price * index.priority[pw.req]
    return set(np.unique(pw.req[bad].astype(np.int64) * index.n_volunteers + pw.vol[bad]).tolist())


def _previous_pairs(index: ScenarioIndex, previous: pd.DataFrame) -> set[tuple[int, int]]:
    rp, vp = index.request_pos, index.volunteer_pos
    return {(rp[r], vp[v]) for r, v in zip(previous["request_id"].astype(str), previous["volunteer_id"].astype(str))
            if r in rp and v in vp}


def _week_keys(index: ScenarioIndex, req: np.ndarray, vol: np.ndarray, week: np.ndarray) -> np.ndarray:
    """One integer per (request, volunteer, week), for matching pair-weeks and triples."""
    return (req.astype(np.int64) * index.n_volunteers + vol) * index.weeks + week


def _pair_week_keys(pw: PairWeeks, mask: np.ndarray, index: ScenarioIndex) -> np.ndarray:
    sel = np.flatnonzero(mask)
    return _week_keys(index, pw.req[sel], pw.vol[sel], pw.week[sel])


def _candidates(index: ScenarioIndex, fd: Any, pw: PairWeeks, mask: np.ndarray, checks: dict, dist: np.ndarray,
                first_day: int, agreed: Agreed, complete: bool, out_of_time: Callable[[int], bool]) -> Candidates:
    """Exact candidates of the selected pair-weeks, none before ``first_day`` but the agreed ones.
    ``out_of_time(n)``: time to stop, with ``n`` candidates built so far?

    Built nearest first (every request-week's nearest volunteer, then every second nearest, ...),
    ``CANDIDATE_CHUNK`` pair-weeks at a time: should the clock stop it (``complete`` is then
    false), every request still has its nearest candidates in every week, not all of them in
    the first weeks and none later.
    """
    fixed = {(s.req, s.vol, s.day) for s in agreed.fixed}
    parts: list[Candidates] = []
    n_v = index.n_volunteers
    sel_all = np.flatnonzero(mask)
    rank = rank_within(pw.req[sel_all].astype(np.int64) * index.weeks + pw.week[sel_all],
                       dist[pw.req[sel_all], pw.vol[sel_all]])
    # The agreed pairs come first whatever their distance: they must be candidates.
    if fixed:
        agreed_pairs = np.array(sorted({s.req * n_v + s.vol for s in agreed.fixed}), np.int64)
        rank[np.isin(pw.req[sel_all].astype(np.int64) * n_v + pw.vol[sel_all], agreed_pairs)] = 0
    order = sel_all[np.argsort(rank, kind="stable")]  # every request-week's nearest, then second nearest, ...
    built = 0
    for a in range(0, len(order), CANDIDATE_CHUNK):
        if parts and out_of_time(built):
            return _concat(parts, checks, False)
        chunk = order[a:a + CANDIDATE_CHUNK]
        for w in np.unique(pw.week[chunk]).tolist():
            sel = chunk[pw.week[chunk] == w]
            pairs = np.unique(pw.req[sel].astype(np.int64) * n_v + pw.vol[sel])
            tr = triples_of_pairs(index, fd, (pairs // n_v).astype(np.int32), (pairs % n_v).astype(np.int32),
                                  slice(7 * w, 7 * w + 7))
            keep = np.ones(len(tr), bool)
            if first_day > 0:
                keep &= (tr.day >= first_day) | np.array(
                    [k in fixed for k in zip(tr.req.tolist(), tr.vol.tolist(), tr.day.tolist())], bool)
            parts.append(exact_candidates(index, tr, np.flatnonzero(keep), checks, dist, complete=True))
            built += len(parts[-1])
    if first_day > 0:
        complete = False
    return _concat(parts, checks, complete)


def _concat(parts: list[Candidates], checks: dict, complete: bool) -> Candidates:
    """One candidate set from several (each sorted by request, volunteer, day), sorted again."""
    # Empty parts (a step whose every triple lay before the first day to plan) add nothing: were they all
    # empty, the keys below would have no maximum (re-planning part-way had failed so, on a styled
    # pinned city of 70 volunteers).
    parts = [c for c in parts if len(c)]
    if len(parts) == 1:
        one = parts[0]
        return Candidates(one.req, one.vol, one.day, one.starts, one.in_person, one.phone, one.distance_km,
                          complete, checks)
    if not parts:
        empty = np.zeros(0, np.int32)
        return Candidates(empty, empty, empty, [], np.zeros(0, bool), np.zeros(0, bool), np.zeros(0), complete,
                          checks)
    req = np.concatenate([c.req for c in parts])
    vol = np.concatenate([c.vol for c in parts])
    day = np.concatenate([c.day for c in parts])
    starts = [x for c in parts for x in c.starts]
    order = np.argsort((req.astype(np.int64) * (int(vol.max()) + 1) + vol) * (int(day.max()) + 1) + day,
                       kind="stable")
    def joined(name: str) -> np.ndarray:
        return np.concatenate([getattr(c, name) for c in parts])[order]

    return Candidates(req[order], vol[order], day[order], [starts[i] for i in order.tolist()], joined("in_person"),
                      joined("phone"), joined("distance_km"), complete, checks)


def _upgrade_free_pins(plan: Plan, cands: Candidates, agreed: Agreed) -> None:
    """Stage, after every search: an ``either`` pin without an agreed mode, a call until now, becomes a
    visit where it still fits (``agreed`` says which it is). Not before: a pin made a visit early was
    kept one by every model after it, which then served less (a styled city of 12 volunteers: 154
    against 164 with the pin a call) and whose bound held only where the pin is a visit (it had been
    reported as the problem's: `OPTIMAL` at 154). Serving more comes first; a visit beats a call
    only among equal schedules, as in the timing."""
    at = {(s.req, s.vol, s.day): i for i, s in enumerate(agreed.fixed)}
    for s in list(plan.sessions):
        key = (s.req, s.vol, s.day)
        if key not in agreed.free_mode or s.in_person:
            continue
        i = cands.position(s.req, s.vol, s.day)
        if i is None or not cands.in_person[i]:
            continue
        plan.remove(s)
        visit = Session(s.req, s.vol, s.day, s.start, True)
        if plan.fits_at(s.req, s.vol, s.day, s.start, True):
            plan.add(visit)
            agreed.fixed[at[key]] = visit
        else:
            plan.add(s)


def minimum_seconds(scenario: Scenario, tuning: Tuning = TUNING, *, baseline: bool = False) -> float:
    """Seconds :func:`solve` needs at least, whatever its time limit: the set-up every solve does
    before it has anything to cut short (compatibility checks and ordering of every
    (request, volunteer) pair, ``tuning.setup_per_pair`` each) and the finishing it keeps time
    for (checking the schedule and explaining what is left out). A shorter ``time_limit``
    overruns by the difference. With ``baseline``: also what the coordinator's quick plan needs
    to be made whole (``tuning.baseline_per_session`` per demanded session); with less, it is
    cut short (``kpis["baseline_cut_short"]``)."""
    pairs = len(scenario.requests) * len(scenario.volunteers)
    demand = float(scenario.demand().sum())
    return tuning.setup_per_pair * pairs + _finishing(demand, tuning) + (
        tuning.baseline_per_session * demand if baseline else 0.0)


def _finishing(demand: float, tuning: Tuning) -> float:
    """Seconds kept for checking, explaining and returning a schedule of ``demand`` sessions."""
    return tuning.finish_fixed + tuning.finish_per_session * demand


def _week_values(index: ScenarioIndex, sessions: list[Session]) -> list[float]:
    out = [0.0] * index.weeks
    for s in sessions:
        out[s.week] += float(index.priority[s.req])
    return out


def _model_candidates(cands: Candidates, mask: np.ndarray, fixed_by_pos: dict[int, Session],
                      complete: bool) -> tuple[Candidates, dict[int, Session]]:
    """The week models' candidates: ``mask``'s triples and the agreed sessions (``fixed_by_pos``, by
    position in ``cands``), those by position in the subset."""
    mask = mask.copy()
    mask[list(fixed_by_pos)] = True
    model_cands = cands.subset(np.flatnonzero(mask), complete=complete)
    fixed_model = {model_cands.position(s.req, s.vol, s.day): s for s in fixed_by_pos.values()}
    # An agreed session keeps its start: the models' day rows, routes and sequencing see it there,
    # not anywhere in the pair's free time.
    for pos, s in fixed_model.items():
        model_cands.starts[pos] = ((s.start, s.start),)
    return model_cands, fixed_model


def _optimise(index: ScenarioIndex, cands: Candidates, model_triples: np.ndarray, complete: bool, agreed: Agreed,
              start: Plan, bounds: _Bounds, weights: Weights, seed: int, workers: int | None,
              budget: Budget, reserve: float, tuning: Tuning, tracker: _Tracker, friends: dict[int, int],
              widen: bool = False, priced_out: set[int] | None = None, hold: bool = False,
              relax: Callable[[Plan], bool] | None = None, rate: _BuildRate | None = None,
              price: bool = False, after: float = 0.0, spent_before: float = 0.0) -> _Optimised:
    """The week stages (see module docstring and :class:`_Optimised`).

    ``widen``: allowed to stop so, should every week be proven with at least
    ``tuning.widen_left_share`` of the time still left and larger models be built in time (see
    :class:`_BuildRate`, ``rate``: the estimate, measured again here). ``hold``: the models hold the
    warm start's friends (thinned or widened models; their bound then proves nothing).
    ``priced_out``: pairs (request × volunteers + volunteer) never held as friends (see
    :func:`_priced_out`). ``relax``: called, before widening, with the plan when every week is
    proven holding friends with that time left; True (it released some) stops here as widening
    does. ``price``: the models hold every triple and the friends; each week's whole model is then
    searched again without the holds (:func:`_price_holds`). ``after``: the part of ``reserve`` kept for
    the stages after the weeks, which a week model may take rather than not be searched at all.
    ``spent_before``: in effort mode, the work the primary stages of the rounds before (on smaller
    models) spent, which this round's has less."""
    stages = _WeekStages(index, cands, model_triples, complete, agreed, start, bounds, weights, seed, workers,
                         budget, reserve, tuning, tracker, friends, priced_out, hold, rate, after, spent_before)
    freed_weeks = stages.primary_stage()
    # Weeks freed of their holds do not widen: widened models would hold the friends again.
    widen = widen and not freed_weeks
    free_bounds: list[float] | None = None
    primary_free = (0, 0)  # what the weeks serve without the holds, weeks proven (where priced)
    if price and stages.held:
        free_bounds, primary_free = stages.price_holds()
    # What the weeks serve (without the holds, where priced) and how many are proven.
    primary_value, proven = primary_free if free_bounds is not None else stages.primary_value()
    log.debug("primary: %d (%d of %d weeks proven), continuity %.3f at %.2fs", primary_value, proven, index.weeks,
              _continuity(stages.answers()), budget.elapsed())
    may_relax = bool(stages.held) and relax is not None and free_bounds is None and not freed_weeks
    if proven == index.weeks and (widen or may_relax):
        factor, answer = stages.grow_instead(widen, relax if may_relax else None)
        if factor and answer is not None:
            return _Optimised(answer, None, {"timing_cuts": stages.cuts()}, primary_value, proven, factor,
                              stages.work_spent())
    secondary = stages.secondary_stage(proven)
    return _Optimised(stages.plan(), stages.model_bound(free_bounds), {"timing_cuts": stages.cuts(), **secondary},
                      primary_value, proven, 0.0, stages.work_spent())


class _Optimised(NamedTuple):
    """What one round of the week models leaves (:func:`_optimise`)."""

    plan: Plan
    model_bound: int | None  # the models' bound where it holds for every valid schedule (else None)
    secondary: dict[str, float]  # the secondary figures, the timing cuts among them
    primary_value: int  # before continuity
    proven: int  # weeks proven
    # The factor by which the models may grow should the round stop after the primary stage, to be run
    # again on more triples (0.0: it did not; 1.0: the same models, ``relax`` released holds).
    grow: float
    work: float  # the deterministic work of its primary stage (effort mode)


class _WeekStages:
    """One round of the week models (see :func:`_optimise`): what their stages share, and each stage
    as a method: :meth:`primary_stage` (every week's primary aim, side by side on the threads;
    thinned models holding friends priced on their own triples), :meth:`grow_instead` (stop so that
    the models grow, or release holds, and search again), :meth:`secondary_stage`, then :meth:`plan`
    and :meth:`model_bound`."""

    def __init__(self, index: ScenarioIndex, cands: Candidates, model_triples: np.ndarray, complete: bool,
                 agreed: Agreed, start: Plan, bounds: _Bounds, weights: Weights, seed: int, workers: int | None,
                 budget: Budget, reserve: float, tuning: Tuning, tracker: _Tracker, friends: dict[int, int],
                 priced_out: set[int] | None, hold: bool, rate: _BuildRate | None, after: float,
                 spent_before: float = 0.0) -> None:
        self.index, self.cands, self.complete, self.agreed, self.start = index, cands, complete, agreed, start
        self.bounds, self.weights, self.seed, self.budget, self.reserve = bounds, weights, seed, budget, reserve
        self.tuning, self.tracker, self.friends, self.after = tuning, tracker, friends, after
        self.spent_before = spent_before
        self.weeks = index.weeks
        self.rate = rate or _BuildRate(tuning.build_seconds_per_triple)
        self.built: list[float] = []  # seconds per triple of each week model built here
        self.seconds_at_start = budget.seconds(1.0, reserve)
        self.fixed_by_pos = {i: s for s in agreed.fixed if (i := cands.position(s.req, s.vol, s.day)) is not None}
        in_model = np.zeros(len(cands), bool)
        in_model[model_triples] = True
        # Friend first, then the weeks (thinned models): a request the warm start serves with one
        # volunteer keeps only that volunteer's triples in every week the volunteer can come. Measured
        # on city-medium: continuity 0.71 instead of 0.42 for 2% of the weighted sessions (the weeks,
        # optimised apart, otherwise spread a request over whoever fits; swaps afterwards regain little).
        # Complete models only lean to the friends (see WeekSearch.primary). Held friends also make
        # the models easier to search: medium-alien without them (leaning only) reached 0.944 against
        # 0.963, its models' bounds higher (12,460 against 12,234) but their answers lower; releasing
        # the holds for a second half of the weeks' time was measured at 0.954.
        friends_of_start = held_friends(start.sessions) if weights.continuity and hold else {}
        self.held = _holds(index, friends_of_start, priced_out)
        if friends_of_start:
            log.debug("friends held: %d of %d (the others priced out by the LP)", len(self.held),
                      len(friends_of_start))
        # Thinned models holding friends: the same triples without the holds price what the holds cost
        # (see _price_week).
        self.free_mask = in_model.copy() if self.held and not complete and tuning.price_thinned else None
        if self.held:
            in_model &= ~_taken_by_holds(index, self.held, cands.req, cands.vol, cands.week, among=in_model)
        self.model_cands, self.fixed_model = _model_candidates(cands, in_model, self.fixed_by_pos,
                                                               complete and not self.held)
        self.start_weeks = sessions_by_week(start.sessions)
        self.threads = _week_threads(index, workers)
        self.rounds = math.ceil(self.weeks / self.threads)
        self.searches: list[WeekSearch | None] = [None] * self.weeks
        self.free_searches: list[WeekSearch | None] = [None] * self.weeks  # the same triples without holds
        self._free_models: list[tuple[Candidates, dict[int, Session], np.ndarray]] = []  # built once, if needed
        self.unproven: list[int] = []  # weeks whose primary stage ended unproven, in the order they ended
        self.lock = threading.Lock()
        self.lean: dict[int, int] = {}
        self.created: list[WeekSearch] = []  # every week model of this round, in the order built
        self.week_triples = np.zeros(self.weeks, np.int64)
        self.time_primary = self.t_primary = 0.0

    # ------------------------------------------------------------------ helpers
    @property
    def done(self) -> list[WeekSearch]:
        """The weeks searched (a week without the seconds for its model keeps the warm start)."""
        return [s for s in self.searches if s is not None]

    def answers(self) -> list[Session]:
        """The searched weeks' best answers, every week's sessions in one list."""
        return [x for s in self.done for x in s.best]

    def cuts(self) -> int:
        """The timing cuts the weeks' models took."""
        return sum(s.cuts for s in self.done)

    def run(self, fn: Callable[[int], None], idle: Callable[[int], None] | None = None, slots: int = 0) -> None:
        """``fn`` for every week, side by side on the threads; then ``idle`` once per slot
        (``slots`` threads the weeks leave idle in their last round)."""
        if self.threads == 1:
            for k in range(self.weeks):
                fn(k)
            return
        with ThreadPoolExecutor(max_workers=self.threads) as pool:
            waits = [pool.submit(fn, k) for k in range(self.weeks)]
            waits += [pool.submit(idle, i) for i in range(slots) if idle is not None]
            for w in waits:
                w.result()

    def work_for(self, share: float) -> float:
        """A week's share of the effort (no work limit when the clock rules)."""
        return self.budget.effort * share / self.weeks if self.budget.effort is not None else math.inf

    def primary_work(self) -> float:
        """A week's work for its primary stage: the stage's share of the effort less what the rounds
        before spent (:meth:`grow_instead`), over the weeks; no limit when the clock rules."""
        if self.budget.effort is None:
            return math.inf
        return max(0.0, self.budget.effort * self.tuning.primary_work_share - self.spent_before) / self.weeks

    def work_spent(self) -> float:
        """The deterministic work the primary stages of every week model of this round spent (effort
        mode; 0 when the clock rules)."""
        return sum(s.work_spent for s in self.created)

    def search_week(self, k: int, on: Candidates, fixed_on: dict[int, Session], triples: int,
                    begin: list[Session], seconds: float) -> WeekSearch | None:
        """Week ``k``'s model over ``on`` (``triples`` of it in the week) built, and its primary aim
        searched from ``begin`` for ``seconds``; None (the week keeps the warm start) where there are
        not the seconds to build and search it."""
        budget, reserve = self.budget, self.reserve
        # Building a model is not interruptible: a week without the seconds to build its model and
        # search it keeps the warm start (measured: widened medium models of ~50,000 triples a week
        # took ~3 s each to build, two side by side, and had overrun the limit). The seconds kept for
        # the stages after the weeks count as its own: they only improve what the weeks leave (an
        # independent generator's 80 volunteers / 3 weeks with 3 s had skipped every week, its models
        # of ~2,200 triples searched in 0.1 s each, and ended at 1.1 s with 0.980 of the bound).
        build = self.rate.estimate(triples, self.tuning)
        if budget.over(reserve - self.after) or (not budget.deterministic
                                                 and budget.seconds(1.0, reserve - self.after) < 2 * build):
            return None
        t_build = time.monotonic()
        ws = WeekSearch(self.index, on, k, self.weights,
                        {t: s for t, s in fixed_on.items() if int(on.day[t]) // 7 == k}, budget, self.seed,
                        self.tuning)
        if triples:
            self.built.append((time.monotonic() - t_build) / float(triples))
            self.rate.note(triples, time.monotonic() - t_build)
        self.created.append(ws)
        ws.offer(begin)
        ws.hard_end = budget.deadline - reserve if not budget.deterministic else math.inf
        ws.primary(seconds, self.primary_work(), math.floor(self.bounds.weeks[k] + 1e-6),
                   report=lambda obj, _b, k=k: self.tracker.update(k, obj), lean=self.lean)
        self.tracker.update(k, ws.best_value, done=True)
        return ws

    # ------------------------------------------------------------------ stage 1: the primary aim
    def primary_stage(self) -> list[int]:
        """The primary aim, per week, until the bound is reached or the share is spent, leaning to the
        warm start's volunteers among equally good answers (see WeekSearch.primary); a thread the
        weeks leave idle searches the unproven weeks' neighbourhoods (:meth:`_idle`). Returns the
        weeks whose answers without the holds replaced the held ones (:func:`_take_free`)."""
        self.time_primary = self.budget.seconds(self.tuning.primary_share, self.reserve)
        if self.weights.continuity:
            self.lean = {**choose_friends(self.index, self.model_cands, self.start.sessions, []), **self.friends,
                         **self.held}
        self.week_triples = np.bincount(self.model_cands.week, minlength=self.weeks)
        self.t_primary = time.monotonic() + self.time_primary
        self.run(self._primary, self._idle, 0 if self.budget.deterministic else self.rounds * self.threads - self.weeks)
        self.rate.measured(self.built, self.tuning)
        if not any(self.free_searches):
            return []
        freed, cost, _value = _take_free(self.searches, self.free_searches, self.weights, self.tuning)
        log.debug("holds priced by the weeks' models: they cost %d in %d weeks; %d weeks free", cost,
                  sum(1 for f in self.free_searches if f), len(freed))
        return freed

    def _primary(self, k: int) -> None:
        """Week ``k``'s primary stage (on a thread)."""
        t_week = time.monotonic()
        ws = self.searches[k] = self.search_week(k, self.model_cands, self.fixed_model, int(self.week_triples[k]),
                                                 self.start_weeks.get(k, []), self.time_primary / self.rounds)
        if ws is not None and not ws.proven:
            with self.lock:
                self.unproven.append(k)
        if ws is not None and ws.proven and self.free_mask is not None and not self.budget.deterministic:
            self._price_week(k, ws, t_week)

    def _price_week(self, k: int, ws: WeekSearch, t_week: float) -> None:
        """The held week ``k`` proven (its search ``ws`` began at ``t_week``): the rest of its share
        searches the same triples without the holds from the held answer, what the holds cost this
        week priced by its own model (the pair LP's estimate was measured on medium-appointments at a
        third of it: 15 against 42 points). Not where the week's honest bound leaves the holds no more
        than they may cost (a dense city's held weeks within 3 points of it had taken 5 s to price).
        Clock only: in effort mode which weeks are priced would depend on the machine's speed."""
        may_cost = self.weights.at_continuity(self.tuning.price_loss) * self.bounds.weeks[k]
        if ws.best_value >= math.floor(self.bounds.weeks[k] + 1e-6) - may_cost:
            return
        free_cands, fixed_free, free_triples = self._free_models_once()
        now, build = time.monotonic(), self.rate.estimate(int(free_triples[k]), self.tuning)
        left = min(t_week + self.time_primary / self.rounds - now,
                   max(self.tuning.price_time_factor * (now - t_week), 2 * build))
        if left >= 2 * build:
            self.free_searches[k] = self.search_week(k, free_cands, fixed_free, int(free_triples[k]), ws.best, left)

    def _free_models_once(self) -> tuple[Candidates, dict[int, Session], np.ndarray]:
        """The free models' candidates, their agreed sessions and triples per week: built by the first
        week that needs them (large cities rarely prove a held week, and their subsets are big)."""
        with self.lock:
            if not self._free_models:
                on, fixed_on = _model_candidates(self.cands, self.free_mask, self.fixed_by_pos, False)
                self._free_models.append((on, fixed_on, np.bincount(on.week, minlength=self.weeks)))
            return self._free_models[0]

    def _idle(self, _slot: int) -> None:
        """A thread the weeks leave idle (their number not a multiple of the threads: 3 weeks on 2 cores
        leave one a third of the stage) searches neighbourhoods of the weeks done unproven until the
        stage's end, each a share of the time left. Not in effort mode: which weeks are done first
        depends on the clock."""
        while True:
            with self.lock:
                if not self.unproven:
                    return
                k = self.unproven.pop(0)
                share = 1 + len(self.unproven)
            ws = self.searches[k]
            if ws is not None:
                ws.explore_more((self.t_primary - time.monotonic()) / share)
                self.tracker.update(k, ws.best_value, done=True)

    def price_holds(self) -> tuple[list[float] | None, tuple[int, int]]:
        """The holds of models holding every triple priced by their whole models (:func:`_price_holds`);
        in effort mode the free models search with what the held ones left of the stage's work."""
        self.spent_before += self.work_spent()
        return _price_holds(self.index, self.cands, self.fixed_by_pos, self.searches, self.search_week, self.run,
                            self.rounds, self.bounds, self.budget, self.reserve, self.weights, self.tuning)

    def primary_value(self) -> tuple[int, int]:
        """What the weeks serve (a week without the seconds for its model: its warm start's) and how
        many are proven."""
        searches, done = self.searches, self.done
        value = sum(s.best_value for s in done) + sum(weighted_value(self.index, self.start_weeks.get(k, []))
                                                      for k in range(self.weeks) if searches[k] is None)
        return value, sum(1 for s in done if s.proven)

    # ------------------------------------------------------------------ stop to search again
    def grow_instead(self, widen: bool, relax: Callable[[Plan], bool] | None) -> tuple[float, Plan | None]:
        """Every week proven: with ``Tuning.widen_left_share`` of the time still left, stop here and
        search again from the answer (returned) on models grown by the factor returned (``widen``, if
        built in half the time left at most, as a week's search needs), or on the same models with
        holds released (1.0: ``relax`` released some); 0.0: go on. In effort mode, with that share of
        the primary stage's work left, the models grow by ``Tuning.widen_factor``: else a larger
        effort would search the same small models, proven at once, to the same answer (measured
        2026-12-07 on an unseen city of 80 volunteers / 182 citizens / 2 weeks, 21,579 triples:
        models of 6,000 triples a week holding friends, proven in 0.06 units, 1,173 against a
        bound of 1,203 at effort 2, 10 and 50 alike). Not where every week already serves its honest
        bound: no model, however large or free, serves more (measured 2026-12-07 on an unseen styled
        city of 300 volunteers / 643 citizens / 3 weeks, 1,229 pins, whose weeks reached the citizens'
        side at once: widened twice, to 195,000 triples, and its holds released, for the same 14,392)."""
        tuning = self.tuning
        if all(s is not None and s.best_value >= math.floor(self.bounds.weeks[k] + 1e-6)
               for k, s in enumerate(self.searches)):
            return 0.0, None
        if self.budget.deterministic:
            room = self.primary_work() * self.weeks
            if not widen or self.work_spent() >= (1 - tuning.widen_left_share) * room:
                return 0.0, None
            return tuning.widen_factor, Plan(self.index, self.answers())
        left = self.budget.seconds(1.0, self.reserve)
        if left < tuning.widen_left_share * self.seconds_at_start:
            return 0.0, None
        answer = Plan(self.index, self.answers())
        if relax is not None and relax(answer):
            return 1.0, answer
        grow = min(tuning.widen_factor,
                   left / (2 * self.rate.per_triple * float(max(self.week_triples.max(initial=0), 1))))
        return (grow if widen and grow >= tuning.widen_factor_min else 0.0), answer

    # ------------------------------------------------------------------ stage 2: the other aims
    def secondary_stage(self, proven: int) -> dict[str, float]:
        """The other aims, keeping the primary value and the sessions with the friends the weeks'
        answers agree on (``proven``: weeks proven); the secondary figures.

        (A stage of its own for those sessions, in the complete models, was measured after the
        continuity swaps learnt to make room (eject, rehome) to cost more than it gives: on the five
        small cities continuity 0.917 / 0.924 / 0.899 / 0.981 / 0.635 with it, 0.889 / 0.915 / 0.907 /
        0.981 / 0.635 without, and the solve 1.0-1.3 s instead of 1.2-2.4 s.) Thinned models hold
        friends from the start (:meth:`__init__`); choosing the baseline's friends instead of the
        answers' lost up to 0.17."""
        budget, tuning, done = self.budget, self.tuning, self.done
        secondary: dict[str, float] = defaultdict(float)
        if budget.over(self.reserve) or not done:
            return secondary
        rest_work = 1.0 - tuning.primary_work_share
        friend = choose_friends(self.index, self.model_cands, self.answers(), self.agreed.fixed) \
            if self.weights.continuity else {}
        # A proven optimum (every week proven on models holding every triple, nothing held) has
        # only the other aims to gain: a share of the time the solve took so far, so a proof stays
        # quick (see Tuning.secondary_proven_share); the whole stage's, so a week's is that share
        # divided by the rounds the weeks take on the threads (3 weeks on 2 threads: 2 rounds).
        optimum = self.complete and not self.held and proven == self.weeks and len(done) == self.weeks
        cap = tuning.secondary_proven_share * budget.elapsed() if optimum and not budget.deterministic else math.inf

        def later(k: int) -> None:
            ws = self.searches[k]
            # Its terms are added to the model first, as slow as building it.
            if ws is None or not budget.deterministic and \
                    budget.seconds(1.0, self.reserve) < self.rate.per_triple * len(ws.wm.x):
                return
            mine = ws.with_friends(friend)
            reached = len(set(ws._positions(ws.best)) & set(mine))
            # A stage whose answer cannot be timed searches again with a cut: a few rounds' worth.
            ws.round_work = max(tuning.stage_work_min, tuning.stage_work_per_triple * len(ws.wm.x))
            work = min(self.work_for(rest_work), tuning.stage_work_rounds * ws.round_work)
            ws.secondary(min(budget.seconds(1.0, self.reserve), cap) / self.rounds, work, [(mine, reached)])

        self.run(later)
        return secondary

    # ------------------------------------------------------------------ the answer
    def plan(self) -> Plan:
        """The weeks' answers; a week whose search never got going keeps the warm start's week."""
        plan = Plan(self.index, self.answers())
        for k in range(self.weeks):
            if self.searches[k] is None:
                for x in self.start_weeks.get(k, []):
                    plan.add(x)
        return plan

    def model_bound(self, free_bounds: list[float] | None) -> int | None:
        """The models' bound where it holds for every valid schedule (every week's model holding every
        triple and nothing held, or the holds priced by whole models: ``free_bounds``), else None.
        Per week the lower of the model's bound and the honest one: a week whose warm start already
        reaches the honest bound is proven without a search, and has no model bound of its own
        (small-city, once its friends came from the patterns: 744 proven week by week, 745 reported)."""
        done = self.done
        week_bounds = free_bounds or [min(s.model_bound, self.bounds.weeks[s.week]) for s in done]
        if not (self.complete and (not self.held or free_bounds) and len(done) == self.weeks
                and all(math.isfinite(b) for b in week_bounds)):
            return None
        return int(sum(math.floor(b + 1e-6) for b in week_bounds))


def _price_holds(index: ScenarioIndex, cands: Candidates, fixed_by_pos: dict[int, Session],
                 searches: list[WeekSearch | None],
                 week_search: Callable[[int, Candidates, dict[int, Session], int, list[Session], float],
                                       WeekSearch | None],
                 run: Callable[[Callable[[int], None]], None], rounds: int, bounds: _Bounds, budget: Budget,
                 reserve: float, weights: Weights, tuning: Tuning) -> tuple[list[float] | None, tuple[int, int]]:
    """The holds priced by the week models themselves, where those hold every triple (widened to the
    whole set) and the friends: each week's whole model without the holds is searched from the held
    answer. Its bound holds for every valid schedule (no hard rule spans two weeks), so the weeks'
    bounds are the problem's, and the difference between the answers is what the holds cost (the
    pair LP's estimate was measured on medium-city at about a third of what they cost the week
    models). Where the holds together cost more than ``Tuning.price_loss`` (at the default continuity
    weight, in proportion to it) of what the free weeks serve, free answers replace held ones, the
    costliest week first.

    ``cands``: every triple (the models were widened to all of them), ``fixed_by_pos`` the agreed
    sessions by position in it; ``searches``: the held weeks' searches (changed in place);
    ``week_search(week, candidates, fixed, triples, start, seconds)`` builds and searches one week's
    model (None: no seconds to build it).
    Returns the weeks' bounds (None if a week's free model did not get its seconds) and (what the
    free weeks serve, how many are proven)."""
    triples = np.bincount(cands.week, minlength=index.weeks)
    held_weeks = [s for s in searches if s is not None]
    if len(held_weeks) < index.weeks:
        return None, (0, 0)
    free: list[WeekSearch | None] = [None] * index.weeks
    seconds = budget.seconds(tuning.price_share, reserve) / rounds

    def one(k: int) -> None:
        held = held_weeks[k]
        # A held week that reaches the honest bound is proven as it is: no model to build.
        free[k] = held if held.best_value >= math.floor(bounds.weeks[k] + 1e-6) else \
            week_search(k, cands, fixed_by_pos, int(triples[k]), held.best, seconds)

    run(one)
    priced = [f for f in free if f is not None]
    if len(priced) < index.weeks:
        log.debug("holds not priced: a free week model did not get its seconds (or the search was stopped)")
        return None, (0, 0)
    taken, cost, value = _take_free(searches, priced, weights, tuning)
    week_bounds = [min(f.model_bound, bounds.weeks[k]) for k, f in enumerate(priced)]
    log.debug("holds priced by each week's whole model: they cost %d of %d (bound %d); %d weeks free at %.2fs",
              cost, value, int(sum(math.floor(b + 1e-6) for b in week_bounds)), len(taken), budget.elapsed())
    return week_bounds, (value, sum(1 for f in priced if f.proven))


def _take_free(searches: list[WeekSearch | None], free: list[WeekSearch | None], weights: Weights,
               tuning: Tuning) -> tuple[list[int], float, float]:
    """Where the holds together cost more than ``Tuning.price_loss`` (at the default continuity weight,
    in proportion to it) of what the weeks serve without them, the free weeks' answers (``free``, None
    where a week was not priced) replace the held ones in ``searches``, the costliest week first.
    Returns the weeks freed, what the holds cost in all, and what the weeks serve without them."""
    loss = [f.best_value - h.best_value if f is not None and h is not None else 0.0
            for f, h in zip(free, searches)]
    value = sum(f.best_value if f is not None else h.best_value if h is not None else 0.0
                for f, h in zip(free, searches))
    over = sum(loss) - weights.at_continuity(tuning.price_loss) * value
    taken: list[int] = []
    for k in sorted(range(len(searches)), key=lambda k: -loss[k]):
        if over <= 0 or loss[k] <= 0:
            break
        searches[k] = free[k]
        over -= loss[k]
        taken.append(k)
    return taken, sum(loss), value


def _reported_bound(bounds: _Bounds, model_bound: int | None) -> tuple[int, str]:
    """The bound a result reports, and its kind: the honest bounds', or the models' proof where
    lower (``model_bound`` is given only where it holds for every valid schedule)."""
    if model_bound is not None and model_bound < bounds.total:
        return model_bound, "model"
    return bounds.total, bounds.kind


def _finish(index: ScenarioIndex, cands: Candidates, plan: Plan, greedy: Plan, agreed: Agreed, bounds: _Bounds,
            model_bound: int | None, method: str, budget: Budget, keep_before: date | None,
            secondary: dict[str, float], primary_before_continuity: int | None, proven_weeks: int,
            n_candidates: int, baseline_cut_short: bool,
            for_friends: dict[tuple[int, int], int] | None = None) -> Result:
    scenario = index.scenario
    schedule = plan.to_frame()
    broken = validate(scenario, schedule)
    if broken:  # never hand out a schedule that breaks a rule; this is a bug if it happens
        raise RuntimeError("internal error: the schedule breaks hard rules:\n" + "\n".join(map(str, broken[:20])))
    unassigned = explain_unassigned(index, cands, plan, keep_before=keep_before, out_of_time=budget.stage(1.0, 0.05),
                                    for_friends=for_friends)
    objective = float(plan.weighted())
    bound, bound_kind = _reported_bound(bounds, model_bound)
    bound = max(bound, int(objective))  # a bound below a valid schedule would be a bug; never report one
    status = "OPTIMAL" if objective >= bound else "FEASIBLE"
    seconds = budget.elapsed()
    kpis = compute_kpis(scenario, schedule, solve_seconds=round(seconds, 3), status=status,
                        objective_bound=float(bound), extra={
                            "method": method,
                            "objective": objective,
                            "gap": (bound - objective) / bound if bound else 0.0,
                            "bound_kind": bound_kind,
                            "model_bound": model_bound,
                            "greedy_objective": float(greedy.weighted()),
                            "objective_before_continuity": primary_before_continuity,
                            "weeks_proven": proven_weeks,
                            "timing_cuts": int(secondary.pop("timing_cuts", 0)),
                            # The time limit ended the coordinator's baseline itself: a longer one serves more.
                            "baseline_cut_short": baseline_cut_short,
                            "candidates": n_candidates,
                            "candidates_complete": cands.complete,
                            "agreed_kept": len(agreed.fixed),
                            "agreed_forced": len(agreed.forced),
                            "interrupted": budget.stopped(),
                            "deterministic": budget.deterministic and not budget.cut_by_clock,
                            "secondary": secondary,
                        })
    return Result(schedule=schedule, unassigned=unassigned, kpis=kpis, status=status, objective=objective,
                  bound=float(bound), method=method, seconds=seconds, secondary=secondary, forced=agreed.forced)
