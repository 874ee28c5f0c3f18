"""``solve(scenario, ...) -> Result``: the greedy baseline and the CP-SAT optimiser.

The optimiser, week by week (see :mod:`workbench.formulation`):

1. the greedy schedule is built first: it is the baseline, the warm start
   (hint) of every model, and the fallback whenever time runs out;
2. per week, the assignment model maximises the priority-weighted sessions
   alone (phase 1, whose proven bound is the reported bound), then, with that
   value kept as a constraint, the secondary aims (phase 2);
3. per date, the timing model gives exact starts and modes;
4. a repair step offers every session still missing to the greedy inserter,
   and the whole schedule is checked by :func:`workbench.validate` before it
   is returned. A schedule that breaks a hard rule is never returned.
"""

from __future__ import annotations

import logging
import math
import os
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
from ortools.sat.python import cp_model

from .candidates import Candidates, build_candidates, thin_by_relaxation
from .explain import explain_unassigned
from .formulation import WeekModel, build_day_model, build_week_model
from .greedy import (
    agreed_positions,
    fill,
    improve_continuity,
    place_pins,
    solve_greedy,
    triples_by_request,
    urgent_first,
)
from .kpis import compute_kpis
from .objective import Weights
from .plan import Plan, Session
from .result import Progress, Result
from .rules import KEPT_MODE
from .scenario import edit
from .scenario.types import Scenario
from .timeutil import parse_date, parse_time
from .validate import validate

__all__ = ["Progress", "Result", "Weights", "solve"]

METHODS = ("cpsat", "greedy")
log = logging.getLogger(__name__)
NEAREST_KEPT = 4  # per request and week, besides the relaxation's pairs (see candidates.thin_by_relaxation)


class _Clock:
    def __init__(self, time_limit: float | None, stop: threading.Event | None) -> None:
        self.t0 = time.monotonic()
        self.deadline = self.t0 + time_limit if time_limit is not None else math.inf
        self.stop = stop

    def left(self) -> float:
        return self.deadline - time.monotonic()

    def elapsed(self) -> float:
        return time.monotonic() - self.t0

    def stopped(self) -> bool:
        return (self.stop is not None and self.stop.is_set()) or self.left() <= 0


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
    keep_per_request: int | None = None,
    max_triples: int | None = 40_000,
    keep_before: date | None = None,
) -> Result:
    """Schedule ``scenario`` and return a :class:`Result` whose schedule keeps every hard rule.

    ``method``: ``"cpsat"`` (the optimiser) or ``"greedy"`` (the coordinator's baseline).
    ``time_limit``: seconds for the whole call (the optimiser keeps a margin to
    check and return). ``previous``: an agreed schedule (contract columns) to
    stay close to: agreed sessions that still fit are kept first. ``seed``:
    CP-SAT's random seed; ``workers``: weeks solved side by side, each by a
    single-threaded (deterministic) search (default: every core). The same seed
    gives the same schedule unless the time limit cuts a search short.
    ``on_progress``: called with :class:`Progress` while solving.
    ``stop``: a ``threading.Event``; once set, the search ends and the best
    schedule so far is returned.
    ``keep_before``: re-planning part-way through the horizon: the sessions of
    ``previous`` dated before this day have happened (or are too close to change)
    and are kept exactly, and nothing new is planned before it.
    ``keep_per_request`` / ``max_triples``: how far to thin the candidates at
    large size (see :mod:`workbench.candidates`); thinned models report their
    own bound, and the status is never ``OPTIMAL`` for them.
    """
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")
    w = Weights.of(weights)
    clock = _Clock(time_limit, stop)
    original = scenario
    if keep_before is not None:
        scenario = _freeze_past(scenario, previous, keep_before)
    always = _agreed_pairs(scenario, previous)
    cands = build_candidates(scenario, keep_per_request=keep_per_request, always_keep=always)
    if keep_before is not None:
        cands = _drop_past(scenario, cands, keep_before)
    log.debug("candidates: %d triples (thinned: %s) at %.2fs", len(cands), cands.pruned, clock.elapsed())
    greedy_plan = solve_greedy(scenario, cands, previous)
    log.debug("greedy: %d weighted at %.2fs", greedy_plan.weighted(), clock.elapsed())
    full = cands
    if method == "cpsat" and max_triples is not None and len(cands) > max_triples:
        cands = _thin(scenario, cands, greedy_plan, always)
        log.debug("thinned to %d triples at %.2fs", len(cands), clock.elapsed())
    if method == "greedy":
        plan, status, bound, secondary = greedy_plan, "FEASIBLE", None, {}
    else:
        plan, status, bound, secondary = _optimise(scenario, cands, greedy_plan, w, previous, seed, workers,
                                                   clock, on_progress)
    schedule = plan.to_frame()
    log.debug("schedule built at %.2fs", clock.elapsed())
    broken = validate(scenario, schedule)
    log.debug("validated at %.2fs", clock.elapsed())
    if broken:  # never hand out a schedule that breaks a rule; this is a bug if it happens
        raise RuntimeError("internal error: the schedule breaks hard rules:\n" + "\n".join(map(str, broken[:20])))
    # reasons from every candidate, not the thinned ones
    unassigned = explain_unassigned(scenario, full, plan, keep_before=keep_before)
    scenario = original
    log.debug("explained at %.2fs", clock.elapsed())
    seconds = clock.elapsed()
    objective = float(plan.weighted())
    kpis = compute_kpis(scenario, schedule, solve_seconds=round(seconds, 3), status=status, objective_bound=bound,
                        extra={"method": method, "objective": objective, "candidates": len(cands),
                               "candidates_thinned": cands.pruned, "greedy_objective": float(greedy_plan.weighted()),
                               "relaxation_bound": _relaxation_bound(cands),
                               "gap": (bound - objective) / bound if bound else (0.0 if bound is not None else None),
                               "secondary": secondary})
    return Result(schedule=schedule, unassigned=unassigned, kpis=kpis, status=status, objective=objective,
                  bound=bound, method=method, seconds=seconds, secondary=secondary)


def _freeze_past(scenario: Scenario, previous: pd.DataFrame | None, keep_before: date) -> Scenario:
    """The scenario with the agreed sessions before ``keep_before`` added as pins (they must stay)."""
    if previous is None or not len(previous):
        return scenario
    days = [d if isinstance(d, date) else parse_date(str(d)) for d in previous["date"]]
    past = previous[[d is not None and d < keep_before for d in days]]
    if past.empty:
        return scenario
    pins = pd.concat([scenario.pins, pd.DataFrame({
        "request_id": past["request_id"].astype(str).to_numpy(),
        "volunteer_id": past["volunteer_id"].astype(str).to_numpy(),
        "date": [d if isinstance(d, date) else parse_date(str(d)) for d in past["date"]],
        "start": [s if isinstance(s, int) else parse_time(str(s)) for s in past["start"]],
        KEPT_MODE: _still_allowed_modes(scenario, past),
    })], ignore_index=True).drop_duplicates(["request_id", "volunteer_id", "date", "start"])
    return edit.replace(scenario, pins=pins)


def _still_allowed_modes(scenario: Scenario, past: pd.DataFrame) -> list[str]:
    """A kept call stays a call and a kept visit a visit, unless the request no longer allows
    that mode (say, a crisis made it phone-only): then it is recorded in the mode it now has,
    since a schedule is judged by the scenario as it is now."""
    request_mode = dict(zip(scenario.requests["request_id"], scenario.requests["mode"]))
    out = []
    for rid, mode in zip(past["request_id"].astype(str), past["mode"].astype(str)):
        allowed = request_mode.get(rid)
        out.append(mode if allowed == "either" or allowed == mode else "")
    return out


def _drop_past(scenario: Scenario, cands: Candidates, keep_before: date) -> Candidates:
    """Candidates on or after ``keep_before``, plus the pins (which include the kept past)."""
    first = (keep_before - scenario.settings.start_date).days
    pinned = set(_positions(scenario, cands, scenario.pins))
    keep = np.array([d >= first or i in pinned for i, d in enumerate(cands.day.tolist())], bool)
    return cands.subset(np.flatnonzero(keep), pruned=False)


def _finishing_time(scenario: Scenario) -> float:
    """Seconds to keep for checking, explaining and writing a schedule (measured: ~5 s for 21,000 sessions)."""
    return 0.3 + 3e-4 * float(scenario.demand().sum())


def _relaxation_bound(cands: Candidates) -> float | None:
    """The linear relaxation's bound over every compatible pair, when thinning computed it over all of them."""
    value = cands.funnel.get("relaxation_bound")
    if value is None or not len(value) or value[0] != value[0]:
        return None
    return float(value[0])


def _thin(scenario: Scenario, cands: Candidates, greedy_plan: Plan, agreed: set[tuple[str, str]]) -> Candidates:
    """Thin the candidates for the optimiser, keeping the greedy schedule's, agreed and preferred pairs
    (so the warm start stays possible and nobody's own choice is lost)."""
    rpos = {r: i for i, r in enumerate(scenario.requests["request_id"])}
    vpos = {v: i for i, v in enumerate(scenario.volunteers["volunteer_id"])}
    keep = {(s.req, s.vol) for s in greedy_plan.sessions}
    keep |= {(rpos[r], vpos[v]) for r, v in agreed if r in rpos and v in vpos}
    cit = scenario.citizens.set_index("citizen_id")
    for i, pv in enumerate(cit.loc[scenario.requests["citizen_id"], "preferred_volunteers"]):
        keep |= {(i, vpos[v]) for v in pv if v in vpos}
    # At large size (measured: city-large) a week model over the nearest four volunteers
    # per request is too big to improve on greedy in the time; the nearest one must do.
    nearest = NEAREST_KEPT if len(cands) <= 500_000 else 1
    return thin_by_relaxation(scenario, cands, nearest=nearest, keep_pairs=keep)


def _agreed_pairs(scenario: Scenario, previous: pd.DataFrame | None) -> set[tuple[str, str]]:
    pairs = set(zip(scenario.pins["request_id"], scenario.pins["volunteer_id"]))
    if previous is not None and len(previous):
        pairs |= set(zip(previous["request_id"].astype(str), previous["volunteer_id"].astype(str)))
    return pairs


def _positions(scenario: Scenario, cands: Candidates, sessions: pd.DataFrame | None) -> dict[int, int]:
    """Candidate position → start minute for agreed sessions (pins or previous) that are candidates."""
    return {i: start for i, start, _row in agreed_positions(scenario, cands, sessions)}


class _Tracker:
    """Combines the weeks' incumbents and bounds into one progress report (weeks run in parallel)."""

    def __init__(self, clock: _Clock, trivial: list[float], on_progress: Callable[[Progress], None] | None) -> None:
        self.clock = clock
        self.obj = [0.0] * len(trivial)
        self.bound = list(trivial)
        self.done = [False] * len(trivial)
        self.on_progress = on_progress
        self.lock = threading.Lock()

    def update(self, week: int, obj: float | None = None, bound: float | None = None, done: bool = False) -> None:
        with self.lock:
            if obj is not None:
                self.obj[week] = obj
            if bound is not None:
                self.bound[week] = min(self.bound[week], bound)
            self.done[week] |= done
            report = Progress(seconds=self.clock.elapsed(), objective=sum(self.obj), bound=sum(self.bound),
                              phase=f"{sum(self.done)} of {len(self.done)} weeks planned",
                              done_fraction=sum(self.done) / len(self.done))
        if self.on_progress is not None:
            self.on_progress(report)


class _Reporter(cp_model.CpSolverSolutionCallback):
    """Reports a phase-1 incumbent and bound, and honours the stop event."""

    def __init__(self, clock: _Clock, tracker: _Tracker, week: int, agreed: list, big: int) -> None:
        super().__init__()
        self.clock, self.tracker, self.week = clock, tracker, week
        self.agreed, self.big = agreed, big

    def on_solution_callback(self) -> None:
        if self.clock.stop is not None and self.clock.stop.is_set():
            self.stop_search()
        kept = self.big * sum(self.value(x) for x in self.agreed) if self.agreed else 0
        self.tracker.update(self.week, self.objective_value - kept, self.best_objective_bound - kept)


def _params(solver: cp_model.CpSolver, seconds: float, seed: int) -> None:
    p = solver.parameters
    p.max_time_in_seconds = max(0.05, seconds)
    # One thread per model: a single-threaded CP-SAT search is deterministic for a
    # seed (until a wall-clock limit cuts it), so parallelism comes from solving
    # weeks side by side rather than from racing threads inside one model.
    p.random_seed = seed
    p.num_workers = 1
    # Measured on city-medium: the full LP relaxation proves weekly optima ~25% sooner.
    p.linearization_level = 2
    p.log_search_progress = False
    p.catch_sigint_signal = False


def _week_demand_weight(plan: Plan, week: int) -> float:
    """Priority-weighted demand of ``week``: a trivial bound for a week not yet solved."""
    st = plan.scenario.settings
    dates = plan.scenario.requests["date"].tolist()
    total = 0.0
    for r in range(len(plan.priority)):
        if plan.one_off[r]:
            d = dates[r]
            if st.in_horizon(d) and st.week(d) == week:
                total += plan.priority[r]
        else:
            total += plan.priority[r] * plan.spw[r]
    return total


@dataclass
class _WeekOutcome:
    sessions: list[Session]
    bound: float
    optimal: bool
    secondary: dict[str, float]


def _optimise(scenario: Scenario, cands: Candidates, greedy_plan: Plan, w: Weights, previous: pd.DataFrame | None,
              seed: int, workers: int | None, clock: _Clock,
              on_progress: Callable[[Progress], None] | None) -> tuple[Plan, str, float | None, dict[str, float]]:
    weeks = scenario.settings.weeks
    pins = Plan(scenario, cands)
    place_pins(pins)
    index = cands.index
    pinned = {index[(s.req, s.vol, s.day)]: (s.start, s.in_person) for s in pins.sessions}
    prev_pos = _positions(scenario, cands, previous) if previous is not None else {}
    greedy_by_week: dict[int, set[int]] = defaultdict(set)
    # Continuity across weeks: every week favours the volunteers who serve the request
    # in the agreed plan (previous) and in the coordinator's plan (greedy). Anchoring on
    # these fixed references, not on the other weeks' answers, keeps the weeks
    # independent, so they can be solved side by side, deterministically.
    anchor: dict[int, set[int]] = defaultdict(set)
    for s in greedy_plan.sessions:
        greedy_by_week[s.day // 7].add(index[(s.req, s.vol, s.day)])
        anchor[s.req].add(s.vol)
    for t in prev_pos:
        anchor[int(cands.req[t])].add(int(cands.vol[t]))
    trivial = [_week_demand_weight(greedy_plan, k) for k in range(weeks)]
    tracker = _Tracker(clock, trivial, on_progress)
    threads = max(1, min(workers or (os.cpu_count() or 1), weeks))
    rounds = math.ceil(weeks / threads)

    # Time kept back for repair, checking, explaining and writing after the weeks.
    # (measured: repair and continuity take ~0.02 s on the demo's 6,000 candidates, ~10 s on 72,000)
    reserve = _finishing_time(scenario) + 0.2 + 0.00015 * max(0, len(cands) - 20_000) + 0.05 * max(0.0, clock.left())

    def run(week: int) -> _WeekOutcome:
        budget = max(0.1, (clock.left() - reserve) / max(1, rounds - week // threads))
        return _solve_week(scenario, cands, week, w, pinned, prev_pos, anchor, greedy_by_week[week], seed,
                           clock, budget, tracker)

    if threads == 1:
        outcomes = [run(k) for k in range(weeks)]
    else:
        with ThreadPoolExecutor(max_workers=threads) as pool:
            outcomes = list(pool.map(run, range(weeks)))
    plan = Plan(scenario, cands)
    for out in outcomes:
        for s in out.sessions:
            plan.add(s)
    bound_total = sum(o.bound for o in outcomes)
    log.debug("weeks proven optimal: %s", [o.optimal for o in outcomes])
    secondary: dict[str, float] = defaultdict(float)
    for o in outcomes:
        for k, v in o.secondary.items():
            secondary[k] += v
    log.debug("weeks done at %.2fs", clock.elapsed())
    # Repair: offer whatever is still missing to the greedy inserter.
    fill(plan, request_order=urgent_first(plan, triples_by_request(cands)))
    # The weeks were solved apart; make them agree on one visiting friend where a swap allows.
    if w.continuity:
        fixed = {(int(cands.req[t]), int(cands.vol[t]), int(cands.day[t])) for t in list(pinned) + list(prev_pos)}
        moved = improve_continuity(plan, fixed, deadline=clock.deadline - _finishing_time(scenario))
        log.debug("continuity: %d sessions moved to the request's main volunteer", moved)
    log.debug("repair done at %.2fs", clock.elapsed())
    if plan.weighted() < greedy_plan.weighted():
        plan = greedy_plan  # never worse than the coordinator's baseline
    objective = float(plan.weighted())
    # Proven optimal when the schedule reaches the bound of models that held every candidate
    # (the weekly bounds are valid whether or not each search finished).
    status = "OPTIMAL" if not cands.pruned and objective >= bound_total - 1e-6 else "FEASIBLE"
    if status == "OPTIMAL":
        bound_total = objective
    return plan, status, bound_total, dict(secondary)


def _hint(wm: WeekModel, chosen: list[int]) -> None:
    """Hint a complete assignment (the chosen triples on, every other off), so the search
    starts from a whole solution rather than having to complete a partial one."""
    on = set(chosen)
    wm.model.clear_hints()
    for j, x in enumerate(wm.x):
        wm.model.add_hint(x, 1 if j in on else 0)


def _set_bounds(ct: cp_model.Constraint, lo: int, hi: int) -> None:
    dom = ct.proto.linear.domain
    dom.clear()
    dom.extend([lo, hi])


def _solve_week(scenario: Scenario, cands: Candidates, week: int, w: Weights, pinned: dict[int, tuple[int, bool]],
                prev_pos: dict[int, int], anchor: dict[int, set[int]], greedy_triples: set[int], seed: int,
                clock: _Clock, budget: float, tracker: _Tracker) -> _WeekOutcome:
    """Assignment (phase 1 then 2) and timing for one week, with cuts until the timing fits.

    When the timing model (solved to optimality) cannot fit all sessions of a
    group that shares a volunteer or a citizen that day, no schedule can: the
    group's sessions get a cut ``Σ x ≤ |group| − 1`` and the week is solved again.
    Cuts only remove what is infeasible, so the bound stays valid.
    """
    t_end = time.monotonic() + budget
    plan = Plan(scenario, cands)
    wm = build_week_model(scenario, cands, plan, week, w, fixed={t for t in pinned if int(cands.day[t]) // 7 == week},
                          earlier=anchor, previous=set(prev_pos))
    pos = {int(t): j for j, t in enumerate(wm.triples)}
    log.debug("week %d: model with %d triples built at %.2fs, budget %.2fs", week + 1, len(wm.x), clock.elapsed(),
              budget)
    keep_primary = wm.model.add(wm.primary_expr() >= 0)
    # Re-planning: agreed sessions are promises made to people, so they come first: keep as
    # many as still fit, then serve the most priority. Lexicographic in one objective,
    # big·kept + primary with big above any primary value; the bound reported is then on
    # the priority served among schedules that keep that many agreed sessions.
    agreed = [j for j, t in enumerate(wm.triples) if int(t) in prev_pos] if w.stability else []
    agreed_triples = {int(wm.triples[j]) for j in agreed}

    def kept(sessions: list[Session]) -> int:
        """Agreed sessions kept (only a timed schedule that keeps no fewer may replace the best)."""
        return sum(1 for t in _triples_of(sessions, cands) if t in agreed_triples) if agreed_triples else 0

    big = sum(wm.primary_coeffs) + 1 if agreed else 0
    coeffs = list(wm.primary_coeffs)
    for j in agreed:
        coeffs[j] += big
    phase1 = cp_model.LinearExpr.weighted_sum(wm.x, coeffs)
    # Continuity first among the secondary aims: a cheap objective of its own, so the weeks
    # agree on one visiting friend (the request's anchor) even when the full phase 2 runs
    # out of time.
    anchored_pos = [j for j, t in enumerate(wm.triples) if int(cands.vol[t]) in anchor.get(int(cands.req[t]), ())]
    anchored = [wm.x[j] for j in anchored_pos]
    stages = []
    if w.continuity and anchored:
        stages.append(("continuity_anchor", cp_model.LinearExpr.sum(anchored)))
    if wm.secondary:
        stages.append(("secondary", wm.secondary_expr()))
    keep_anchor = wm.model.add(cp_model.LinearExpr.sum(anchored) >= 0)
    keep_agreed = wm.model.add(cp_model.LinearExpr.sum([wm.x[j] for j in agreed]) >= 0)
    hint = [pos[t] for t in greedy_triples if t in pos]
    best: list[Session] | None = None
    best_value = -1
    bound = tracker.bound[week]
    secondary: dict[str, float] = {}
    phase1_optimal = False
    fitted = False
    # Phase 1 with lazy timing cuts, until the timing fits what the assignment chose. The
    # primary aim comes first, so it may use the week's whole time; the continuity and
    # secondary stages get what it leaves (measured: the demo then still proves OPTIMAL
    # in its 5 s, which a fixed 60% share for phase 1 lost).
    p1_end = t_end
    for _round in range(50):
        left = p1_end - time.monotonic()
        if left <= 0.05 or clock.stopped():
            break
        # A partial hint here (the sessions to keep, the rest left free): measured on the demo,
        # a complete hint (all else off) made the cut loop take twice as many rounds.
        wm.model.clear_hints()
        for j in hint:
            wm.model.add_hint(wm.x[j], 1)
        _set_bounds(keep_primary, 0, cp_model.INT32_MAX)
        _set_bounds(keep_agreed, 0, cp_model.INT32_MAX)
        wm.model.maximize(phase1)
        solver = cp_model.CpSolver()
        _params(solver, left * 0.7, seed)
        agreed_x = [wm.x[j] for j in agreed]
        st = solver.solve(wm.model, _Reporter(clock, tracker, week, agreed_x, big))  # noqa: B023
        if st not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            break
        kept_value = big * sum(solver.value(x) for x in agreed_x)
        bound = min(bound, float(solver.best_objective_bound - kept_value))
        tracker.update(week, bound=bound)
        log.debug("week %d phase 1: %s %s ≤ %s at %.2fs", week + 1, solver.status_name(st), solver.objective_value,
                  bound, clock.elapsed())
        chosen = [j for j in range(len(wm.x)) if solver.value(wm.x[j])]
        phase1_optimal = st == cp_model.OPTIMAL
        placed, failed_groups = _time_week(scenario, cands, [int(wm.triples[j]) for j in chosen], pinned, prev_pos,
                                           w, seed, clock)
        value = sum(int(plan.priority[s.req]) for s in placed)
        if (kept(placed), value) > (kept(best or []), best_value):
            best, best_value = placed, value
            tracker.update(week, obj=value)
        if not failed_groups:
            fitted = True
            break
        for group in failed_groups:
            wm.model.add_bool_or([~wm.x[pos[t]] for t in group])
        hint = [pos[t] for t in _triples_of(placed, cands)]
    optimal = fitted and phase1_optimal
    # Phase 2: the secondary aims, keeping the primary value the timing proved reachable
    # and every agreed session kept; a stage's answer counts only once its timing fits.
    p2_end = time.monotonic() + 0.8 * (t_end - time.monotonic())
    for stage, (name, objective) in enumerate(stages):
        stage_end = time.monotonic() + (p2_end - time.monotonic()) / (len(stages) - stage)
        for _round in range(10):
            # Even if phase 1 ran out of time before its timing fitted, ``best`` is a timed
            # schedule that keeps every cut, so the stages can start from its value.
            if not (best and stage_end - time.monotonic() > 0.05 and not clock.stopped()):
                break
            _hint(wm, _triples_pos(best or [], cands, pos))
            _set_bounds(keep_primary, best_value, cp_model.INT32_MAX)
            best_pos = set(_triples_pos(best or [], cands, pos))
            if agreed:
                _set_bounds(keep_agreed, len(best_pos & set(agreed)), cp_model.INT32_MAX)
            if name == "secondary" and anchored:  # continuity reached in its own stage is kept
                _set_bounds(keep_anchor, len(best_pos & set(anchored_pos)), cp_model.INT32_MAX)
            wm.model.maximize(objective)
            s2 = cp_model.CpSolver()
            _params(s2, max(0.05, stage_end - time.monotonic()), seed)
            st2 = s2.solve(wm.model)
            if st2 not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
                log.debug("week %d %s: %s at %.2fs", week + 1, name, s2.status_name(st2), clock.elapsed())
                break
            chosen2 = [int(wm.triples[j]) for j in range(len(wm.x)) if s2.value(wm.x[j])]
            placed, failed_groups = _time_week(scenario, cands, chosen2, pinned, prev_pos, w, seed, clock)
            log.debug("week %d %s: %s %s ≤ %s, %d conflicts at %.2fs", week + 1, name, s2.status_name(st2),
                      s2.objective_value, s2.best_objective_bound, len(failed_groups), clock.elapsed())
            if failed_groups:
                # Salvage: what did fit, topped up by the greedy inserter, if it loses no priority.
                placed = _top_up(scenario, cands, placed, week)
            if sum(int(plan.priority[s.req]) for s in placed) >= best_value and kept(placed) >= kept(best or []):
                best = placed
                if name == "secondary":
                    secondary = {n: float(sum(c * s2.value(v) for v, c in zip(vs, cs)))
                                 for n, (vs, cs) in wm.secondary.items()}
                if not failed_groups:
                    break
            for group in failed_groups:
                wm.model.add_bool_or([~wm.x[pos[t]] for t in group])
    tracker.update(week, done=True)
    log.debug("week %d: %d sessions, %d with their anchor volunteer", week + 1, len(best or []),
              sum(1 for s in best or [] if s.vol in anchor.get(s.req, ())))
    return _WeekOutcome(sessions=best or [], bound=bound, optimal=optimal, secondary=secondary)


def _top_up(scenario: Scenario, cands: Candidates, placed: list[Session], week: int) -> list[Session]:
    """``placed`` plus whatever the greedy inserter can still add in ``week``."""
    plan = Plan(scenario, cands)
    for s in placed:
        plan.add(s)
    fill(plan, weeks=[week])
    return plan.sessions


def _triples_pos(sessions: list[Session], cands: Candidates, pos: dict[int, int]) -> list[int]:
    return [pos[t] for t in _triples_of(sessions, cands) if t in pos]


def _triples_of(sessions: list[Session], cands: Candidates) -> list[int]:
    index = cands.index
    return [index[(s.req, s.vol, s.day)] for s in sessions]


def _components(sessions: list[tuple[int, bool, bool]], cands: Candidates, req_cit: np.ndarray) -> list[list[int]]:
    """Groups of a day's sessions linked by a shared volunteer or citizen (they interact in timing)."""
    parent = list(range(len(sessions)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    first: dict[tuple[str, int], int] = {}
    for k, (t, _a, _b) in enumerate(sessions):
        for key in (("v", int(cands.vol[t])), ("c", int(req_cit[int(cands.req[t])]))):
            if key in first:
                parent[find(k)] = find(first[key])
            else:
                first[key] = k
    groups: dict[int, list[int]] = defaultdict(list)
    for k in range(len(sessions)):
        groups[find(k)].append(k)
    return list(groups.values())


def _all_fit(scenario: Scenario, cands: Candidates, sessions: list[tuple[int, bool, bool]],
             pinned: dict[int, tuple[int, bool]], w: Weights, seed: int) -> bool:
    """Can every one of these sessions be timed together (nothing else that day)? False only when proven."""
    dm = build_day_model(scenario, cands, Plan(scenario, cands), sessions, pinned, {}, w)
    for p in dm.present:
        dm.model.add(p == 1)
    solver = cp_model.CpSolver()
    _params(solver, 1.0, seed)
    # Only a proof counts as "cannot": a search cut short by its time limit says nothing,
    # and a cut built on it could remove feasible schedules (and make the bound wrong).
    return solver.solve(dm.model) != cp_model.INFEASIBLE


def _minimal_conflict(scenario: Scenario, cands: Candidates, sessions: list[tuple[int, bool, bool]],
                      pinned: dict[int, tuple[int, bool]], w: Weights, seed: int) -> list[int]:
    """A smallest-by-deletion subset of sessions that cannot all be timed together.

    A small conflict makes a strong cut: it forbids only that combination.
    """
    core = list(sessions)
    for s in list(sessions):
        if s[0] in pinned or len(core) <= 2:
            continue
        trial = [c for c in core if c is not s]
        if not _all_fit(scenario, cands, trial, pinned, w, seed):
            core = trial
    return [t for t, _a, _b in core]


def _time_week(scenario: Scenario, cands: Candidates, chosen: list[int], pinned: dict[int, tuple[int, bool]],
               prev_pos: dict[int, int], w: Weights, seed: int,
               clock: _Clock) -> tuple[list[Session], list[list[int]]]:
    """Exact times for a week's assigned sessions, one model per connected group of a date.

    Returns the placed sessions and the groups (candidate positions) the timing
    proved cannot all be placed together.
    """
    plan = Plan(scenario, cands)
    by_day: dict[int, list[int]] = defaultdict(list)
    for t in chosen:
        by_day[int(cands.day[t])].append(t)
    placed: list[Session] = []
    failed: list[list[int]] = []
    for d in sorted(by_day):
        day_sessions = [(t, bool(cands.in_person[t]), bool(cands.phone[t])) for t in by_day[d]]
        for comp in _components(day_sessions, cands, plan.req_cit):
            sessions = [day_sessions[k] for k in comp]
            if len(sessions) == 1 and sessions[0][0] not in pinned:
                t, ip_ok, ph_ok = sessions[0]
                s = plan.try_add(int(cands.req[t]), int(cands.vol[t]), d, cands.starts[t], ip_ok, ph_ok,
                                 prefer=prev_pos.get(t))
                if s is not None:
                    placed.append(s)
                continue
            dm = build_day_model(scenario, cands, plan, sessions, pinned, prev_pos, w)
            solver = cp_model.CpSolver()
            _params(solver, max(0.2, min(5.0, clock.left() - 0.5)), seed)
            st = solver.solve(dm.model)
            if st not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
                continue
            missing = False
            for k, (t, _ip, _ph) in enumerate(sessions):
                if t in pinned:
                    s = Session(int(cands.req[t]), int(cands.vol[t]), d, pinned[t][0], pinned[t][1])
                elif solver.value(dm.present[k]):
                    s = Session(int(cands.req[t]), int(cands.vol[t]), d, int(solver.value(dm.start[k])),
                                bool(solver.value(dm.in_person[k])))
                else:
                    missing = True
                    continue
                plan.add(s)
                placed.append(s)
            if missing and st == cp_model.OPTIMAL:
                failed.append(_minimal_conflict(scenario, cands, sessions, pinned, w, seed))
    return placed, failed
