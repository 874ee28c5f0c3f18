"""A warm start from the relaxation rounded, where the week models are thinned.

Per week, the bound's day LP (:func:`workbench.engine.bound.day_week_lp`) over the wide set's
triples of that week, started from the pair LP's pairs, the friends' triples and the agreed
sessions; the sessions it is sure of (a column above ``Tuning.rounding_sure``) and the agreed ones
are then timed exactly (:func:`workbench.engine.timing.time_week`, the agreed ones fixed), those
that keep every rule placed, and what demand is left filled greedily over the wide set, each
session placed only where its exact times fit. The pipeline takes it as the week models' warm start
where it is worth more than the others.

Why: at large size a week model holds a thinned ~23,000 triples, and CP-SAT's search from the
greedy start stays far below that model's own bound. Measured 2026-12-06 on the third generator's
towns city (2,000 volunteers / 4,000 citizens / 4 weeks, seed 4848), its last week: the engine's
week model reached 13,415 weighted at 118 s and 13,818 at 600 s; branch and bound over the day
LP's 75,000 columns found 15,102 in 8.5 s (3 % from its bound), of which 14,027 kept their exact
times. The whole command (120 s): 0.864 -> 0.916 of the bound; the family's large city 0.957 -> 0.966.

Why the LP's sure columns and not its columns made integral: the LP's rows hold the weekly limits
and the days' free minutes, not the times of day or the trips between visits. An integral answer
packs each volunteer's day to its minutes, and on the towns city the timing could place 91 % of
it (98 % were every trip 0 minutes); the days so packed leave the filler, which times every session
it places, little room. Rounded, the LP's answer leaves its fractional sessions to the filler.
Measured 2026-12-06 in process at 120 s against branch and bound to a 3 % gap (in a child process
the clock could stop), one run each, rounded at one half: towns 0.927 -> 0.940 of the bound (filled
56,754 -> 57,738), the family's large city 0.9699 -> 0.9749, rural 0.9676 -> 0.9745, alien 0.9898 ->
0.9904; the third generator's towns of seed 5402 0.9534 -> 0.9528, split shifts 0.9500 -> 0.9503, an
alien city of 1,500 volunteers 0.9740 -> 0.9715 / 0.9736 (two runs); at 0.9 (the setting) large city
0.9780, rural 0.9751, the alien city 0.9747. The cost: the filler gives more of the start's sessions,
and where a friend's day is full it takes another volunteer. The thirty-fifth benchmark record's large
alien city keeps one friend for 80.9 % of its requests (83.6 % before), below the baseline's 81.5 %;
the friends' columns (below) win part of it back.
Tried on the towns city and not kept: the week models' pair rows in the branch and bound (timed
94.5 %, 0.9301), a second round with the timed sessions fixed (0.9258), the trip to a visit's nearest
fellow candidate or from its volunteer's home taken of the day's minutes (0.924-0.928).

Friends chosen for the horizon are worth ``Tuning.rounding_friend_bonus`` priority points more
per session in the LP, so among equally good weeks it keeps them, and their triples are the LP's
columns from its first round (it stops long before it converges at large size; the friends'
columns that joined only by pricing held little of its answer). Measured 2026-12-06 in process at
120 s, one run each (weighted ÷ bound / continuity), without them -> with them at a bonus of 0.1:
large alien 0.9914 / 81.6 % -> 0.9902 / 82.5 %, large city 0.9776 / 82.6 % -> 0.9766 / 83.8 %,
rural 0.9751 / 83.8 % -> 0.9744 / 84.0 %, the third generator's towns 0.9374 / 89.3 % -> 0.9373 /
90.0 %; at 0.5 (the bonus before) alien 0.9888 / 84.0 %, city 0.9678 / 84.7 %, rural 0.9696 / 84.6 %,
towns 0.9338 / 90.5 %; at 0.25 alien 0.9902 / 82.3 %, city 0.9701 / 84.1 %.
"""

from __future__ import annotations

import logging
import math
import time

import numpy as np

from ..index import ScenarioIndex
from .bound import day_week_lp, side_by_side, week_by_week
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
    """A plan from ``base`` (the agreed sessions) and, per week, the day LP over ``wide`` rounded,
    timed and filled (see module docstring); None where no week's LP was solved. ``seed``: a mask
    over ``wide``, the triples the LP starts from besides the friends' and the agreed (the pair LP's
    pairs, converged or cut). Each week's LP stops within
    its part of ``seconds`` (weeks side by side on ``threads``); the timing and the filling until
    ``deadline`` (``time.monotonic()``)."""
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
        friendly = friend_of[wide.req[sel]] == wide.vol[sel]
        bonus = tuning.rounding_friend_bonus * friendly
        # The friends' triples are columns from the first round: the LP stops long before it
        # converges at large size, and the friends' columns that join it only by pricing came too late
        # to hold much of its answer (large alien, one week, at a bonus of 0.5: 1,949 of the 6,656
        # sessions its befriended requests were given went to the friend; started from them, 4,608 of
        # 6,701).
        start_from = friendly | forced[sel]
        if seed is not None:
            start_from |= seed[sel]
        _bound, _done, lp, cols = day_week_lp(index, wide, sel, w, fd, per_citizen, start_from, tuning,
                                              begun + per_week, bonus=bonus)
        if lp.primal is None:
            log.debug("rounded week %d: no LP solution at %.2fs", w, budget.elapsed())
            return
        t = sel[cols]
        x = np.zeros(len(t))
        x[:len(lp.primal)] = lp.primal[:len(t)]
        chosen[w] = t[(x > tuning.rounding_sure) | forced[t]]
        log.debug("rounded week %d: LP of %d columns, %d sessions sure (%.0f weighted in the LP) at %.2fs", w,
                  len(cols), len(chosen[w]), float(index.priority[wide.req[t]] @ x), budget.elapsed())

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
        # Weeks side by side, as the LPs: the timing models release the interpreter
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
