"""A warm start from the relaxation made whole, where the week models are thinned.

Per week, the bound's day LP (:func:`workbench.engine.bound.day_week_lp`) over the wide set's
triples of that week, started from the pair LP's pairs and the agreed sessions; then its columns
made integral by branch and bound over the same rows (the weekly limits and the days' free
minutes, not the exact times), the agreed sessions at 1 (:mod:`.branch_and_bound`, in a child
process the clock can stop), stopped at ``Tuning.rounding_gap`` or at its share of the clock;
then the chosen sessions timed exactly (:func:`workbench.engine.timing.time_week`, the agreed ones
fixed), those that keep every rule placed, and what demand is left filled greedily over the wide
set. The pipeline takes it as the week models' warm start where it is worth more than the others.

The week models' relaxed timing rows (``formulation._day_rows``: pairs of sessions a day cannot
both hold, the stretches of a day) were tried in the branch and bound and not kept: the exact
timing then kept 99.5 % of the chosen sessions on the family's large city, but on large-alien
88 % (92 % without), where with ~50,000 more rows a week the branch and bound stopped at worse
schedules: 0.991 -> 0.980 of the bound (city 0.966 either way; 2026-12-06, 118 s in process).

Why: at large size a week model holds a thinned ~23,000 triples, and CP-SAT's search from the
greedy start stays far below that model's own bound. Measured 2026-12-06 on the third generator's
towns city (2,000 volunteers / 4,000 citizens / 4 weeks, seed 4848), its last week: the engine's
week model reached 13,415 weighted at 118 s and 13,818 at 600 s; branch and bound over the day
LP's 75,000 columns found 15,102 in 8.5 s (3 % from its bound), of which 14,027 kept their exact
times. The whole command (120 s): 0.864 -> 0.916 of the bound; the family's large city 0.957 -> 0.966
(see ``Tuning.rounding_share``).

Friends chosen for the horizon are worth ``Tuning.rounding_friend_bonus`` priority points more
per session in the LP and the branch and bound, so among equally good weeks it keeps them.
"""

from __future__ import annotations

import logging
import math
import time

import numpy as np

from ..index import ScenarioIndex
from .bound import ColumnLP, day_week_lp, side_by_side, week_by_week
from .branch_and_bound import by_rows, solve_integral, within_rows
from .budget import Budget
from .candidates import Candidates, FreeDays
from .greedy import fill
from .plan import Plan, Session
from .timing import time_week
from .tuning import TUNING, Tuning

log = logging.getLogger("workbench.engine")


def rounded_plan(index: ScenarioIndex, wide: Candidates, fd: FreeDays, base: Plan, seed: np.ndarray | None,
                 friends: dict[int, int], budget: Budget, seconds: float, deadline: float,
                 per_citizen: np.ndarray | None = None, threads: int = 1, search_seed: int = 0,
                 tuning: Tuning = TUNING) -> Plan | None:
    """A plan from ``base`` (the agreed sessions) and, per week, the day LP over ``wide`` made
    integral, timed and filled (see module docstring); None where no week's branch and bound found a
    solution. ``seed``: a mask over ``wide``, the triples the LP starts from (the pair LP's pairs).
    Each week's LP and branch and bound stop within its part of ``seconds`` (weeks side by side on
    ``threads``); the timing and the filling until ``deadline`` (``time.monotonic()``)."""
    weeks = index.weeks
    rounds = math.ceil(weeks / side_by_side(weeks, threads))
    per_week = seconds / rounds
    friend_of = np.full(index.n_requests, -1, np.int64)
    friend_of[list(friends)] = list(friends.values())
    chosen: list[np.ndarray] = [np.zeros(0, np.int64)] * weeks
    # The agreed sessions the wide set holds are columns at 1 and fixed in the timing: what is chosen
    # around them leaves them their volunteers' limits and times.
    agreed = {int(p): s for s, p in zip(base.sessions, wide.positions([s.req for s in base.sessions],
                                                                       [s.vol for s in base.sessions],
                                                                       [s.day for s in base.sessions])) if p >= 0}
    forced = np.zeros(len(wide), bool)
    forced[list(agreed)] = True

    def week(w: int) -> None:
        begun = time.monotonic()
        sel = np.flatnonzero(wide.day // 7 == w)
        if not len(sel):
            return
        bonus = tuning.rounding_friend_bonus * (friend_of[wide.req[sel]] == wide.vol[sel])
        start_from = forced[sel] if seed is None else seed[sel] | forced[sel]
        _bound, _done, lp, cols = day_week_lp(index, wide, sel, w, fd, per_citizen, start_from, tuning,
                                              begun + tuning.rounding_lp_part * per_week, bonus=bonus)
        t = sel[cols]
        weight = index.priority[wide.req[t]]
        cost = weight + bonus[cols]
        log.debug("rounded week %d: LP of %d columns at %.2fs", w, len(cols), budget.elapsed())
        x = integral_values(lp, cost, begun + per_week - time.monotonic(), tuning.rounding_gap,
                            tuning.rounding_heuristics, forced[t] if forced[t].any() else None)
        if x is None and lp.primal is not None:  # no integral solution in time: the LP's last, rounded
            x = np.zeros(len(t))
            x[:len(lp.primal)] = lp.primal[:len(t)]
        if x is not None:
            chosen[w] = t[x > 0.5]
        log.debug("rounded week %d: %s at %.2fs", w, "no solution" if x is None else
                  f"{len(chosen[w])} sessions, {float(cost @ x):.0f} ({float(weight @ x):.0f} weighted)",
                  budget.elapsed())

    week_by_week(week, weeks, threads)
    log.debug("rounded: %d sessions chosen at %.2fs", sum(len(c) for c in chosen), budget.elapsed())
    if not any(len(c) for c in chosen):
        return None
    plan = Plan(index, base.sessions)
    agreed_keys = {(s.req, s.vol, s.day) for s in base.sessions}
    # The exact times of every chosen session within a share of what is left; past it, the greedy
    # inserter places a day's sessions (what fits stays). Measured on the large towns city: 16 s for
    # 17,000 sessions unbounded.
    timing_end = min(deadline, time.monotonic() + tuning.rounding_timing_share * max(0.0, deadline - time.monotonic()))
    timed: list[list[Session]] = [[] for _ in range(weeks)]

    def timing(w: int) -> None:
        # Weeks side by side, as the branch and bound: the timing models release the interpreter
        # while they search (the third generator's large towns city of seed 5402, four weeks: 8.0 s
        # one after the other, 6.2 s two at a time).
        if not len(chosen[w]) or budget.stopped():
            return
        fixed = {t: agreed[t] for t in chosen[w].tolist() if t in agreed}
        # The conflicts are not cuts of any model here: not shrunk.
        timed[w], _conflicts, _work = time_week(index, wide, chosen[w].tolist(), fixed, budget, search_seed,
                                                deadline=timing_end, shrink=False)

    week_by_week(timing, weeks, threads)
    for w in range(weeks):
        kept = 0
        for s in timed[w]:
            if (s.req, s.vol, s.day) not in agreed_keys and plan.capacity_ok(s.req, s.vol, s.day) \
                    and plan.fits_at(s.req, s.vol, s.day, s.start, s.in_person):
                plan.add(s)
                kept += 1
        log.debug("rounded week %d: %d chosen, %d timed, %d kept", w, len(chosen[w]), len(timed[w]), kept)
    log.debug("rounded: %d weighted timed at %.2fs", plan.weighted(), budget.elapsed())
    fill(plan, wide, friends=friends, out_of_time=lambda: budget.stopped() or time.monotonic() > deadline)
    log.debug("rounded: %d weighted filled at %.2fs", plan.weighted(), budget.elapsed())
    return plan


def integral_values(lp: ColumnLP, cost: np.ndarray, seconds: float, gap: float, heuristics: float = 0.05,
                    forced: np.ndarray | None = None) -> np.ndarray | None:
    """The LP's columns made integral (branch and bound over the same rows and bounds, see
    :mod:`.branch_and_bound`), maximising ``cost``, the columns of the mask ``forced`` (e.g.
    agreed sessions) at 1: the best solution found within ``seconds`` or once within relative
    ``gap`` of its bound, started from the LP's last solution rounded down (feasible: every
    coefficient is non-negative) with the forced columns set and others dropped, the cheapest
    first, where a row then breaks; ``heuristics``: HiGHS's share of effort for primal
    heuristics. None without HiGHS or without a solution."""
    if lp.h is None or lp.h.getNumCol() == 0:
        return None
    model = lp.h.getLp()
    n, matrix = model.num_col_, model.a_matrix_
    start, index, value = (np.asarray(a) for a in (matrix.start_, matrix.index_, matrix.value_))
    upper_rows = np.asarray(model.row_upper_)
    first = None if lp.primal is None or len(lp.primal) != n else np.floor(lp.primal + 1e-9)
    if first is not None and forced is not None:
        first = within_rows(np.maximum(first, forced), cost + np.where(forced, np.inf, 0.0),
                            (*by_rows(start, index, value, len(upper_rows)), upper_rows))
    return solve_integral(upper_rows, cost, np.asarray(model.col_upper_), start, index, value,
                          seconds, gap, heuristics, first, None if forced is None else forced.astype(float))
