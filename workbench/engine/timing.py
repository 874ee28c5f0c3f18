"""Daily timing: exact starts and modes for a week's assigned sessions, and proofs of what cannot fit.

The week's assignment (:mod:`workbench.engine.weekly`) relaxes the daily rules;
here each date's sessions are split into groups that share a volunteer or a
citizen (only those interact) and each group is timed by its own small CP-SAT
model (:func:`~workbench.engine.formulation.build_day_model`). A single session
is placed directly. When a group cannot be timed whole and the timing model
*proves* it (status OPTIMAL with a session left out), a smallest-by-deletion
subset that cannot fit together becomes a cut of the week model; a search cut
short by its limit proves nothing, and a cut built on it could remove feasible
weeks and make the bound wrong: such a group is reported unproven (its days are
then sequenced in the week model, which is exact) and keeps what its search, or
the greedy inserter, placed.

Groups the inserter places whole go first, then the others smallest first, and
the proven conflicts are shrunk last: the time a few large groups take must not
leave every later day to the inserter alone.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from typing import NamedTuple

from ortools.sat.python import cp_model

from ..index import ScenarioIndex
from .budget import Budget
from .candidates import Candidates
from .formulation import build_day_model
from .plan import Plan, Session
from .tuning import TUNING, Tuning


class Conflict(NamedTuple):
    """Sessions (candidate positions) of one day that the timing could not place together: ``proven``
    when a timing model proved it (a cut of the week model), else only not found in the limit (the
    days are then sequenced in the week model, which is exact, but nothing is cut)."""

    sessions: list[int]
    proven: bool


def components(cands: Candidates, index: ScenarioIndex, sessions: list[int]) -> list[list[int]]:
    """Groups of a day's sessions (candidate positions) linked by a shared volunteer or citizen."""
    parent = list(range(len(sessions)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    first: dict[tuple[str, int], int] = {}
    for k, t in enumerate(sessions):
        for key in (("v", int(cands.vol[t])), ("c", int(index.req_cit[int(cands.req[t])]))):
            if key in first:
                parent[find(k)] = find(first[key])
            else:
                first[key] = k
    out: dict[int, list[int]] = defaultdict(list)
    for k in range(len(sessions)):
        out[find(k)].append(sessions[k])
    return list(out.values())


def _left(deadline: float) -> float:
    return max(0.01, deadline - time.monotonic())


class _Work:
    """The work (deterministic units) a week's timing may still spend; ``inf`` when the clock rules."""

    def __init__(self, units: float) -> None:
        self.left = units
        self.used = 0.0

    def take(self, cap: float) -> float:
        return max(0.001, min(cap, self.left))

    def spend(self, solver: cp_model.CpSolver) -> None:
        self.used += solver.deterministic_time
        self.left -= solver.deterministic_time


def _all_fit(index: ScenarioIndex, cands: Candidates, sessions: list[int], fixed: dict[int, Session],
             budget: Budget, seed: int, deadline: float, work: _Work, tuning: Tuning) -> bool:
    """Can all these sessions be timed together? False only when proven."""
    dm = build_day_model(index, cands, sessions, fixed, all_present=True)
    solver = cp_model.CpSolver()
    budget.configure(solver, min(tuning.conflict_seconds, _left(deadline)), work.take(tuning.conflict_work), seed)
    status = budget.solve(solver, dm.model)
    work.spend(solver)
    return status != cp_model.INFEASIBLE


def minimal_conflict(index: ScenarioIndex, cands: Candidates, sessions: list[int], fixed: dict[int, Session],
                     budget: Budget, seed: int, deadline: float = math.inf, work: _Work | None = None,
                     tuning: Tuning = TUNING) -> list[int]:
    """A smallest-by-deletion subset of ``sessions`` that cannot all be timed together.

    A small conflict makes a strong cut: it forbids only that combination. Past the
    ``deadline`` or the ``work`` the subset found so far is returned (still a conflict, only larger).
    """
    work = work or _Work(math.inf)
    core = list(sessions)
    for t in list(sessions):
        if t in fixed or len(core) <= 2 or budget.over() or time.monotonic() >= deadline or work.left <= 0:
            continue
        trial = [c for c in core if c != t]
        if not _all_fit(index, cands, trial, fixed, budget, seed, deadline, work, tuning):
            core = trial
    return core


def _place_in_order(plan: Plan, cands: Candidates, group: list[int], day: int,
                    prefer: dict[int, tuple[int, bool]]) -> list[Session]:
    """The group's sessions placed one by one, earliest possible start first (what fits)."""
    got = []
    for t in sorted(group, key=lambda t: (cands.starts[t][0][0], t)):
        hint = prefer.get(t)
        s = plan.try_add(int(cands.req[t]), int(cands.vol[t]), day, cands.starts[t], bool(cands.in_person[t]),
                         bool(cands.phone[t]), prefer=hint[0] if hint else None,
                         prefer_in_person=hint[1] if hint else True)
        if s is not None:
            got.append(s)
    return got


def time_week(index: ScenarioIndex, cands: Candidates, chosen: list[int], fixed: dict[int, Session],
              budget: Budget, seed: int, prefer: dict[int, tuple[int, bool]] | None = None,
              deadline: float = math.inf, work: float = math.inf, shrink: bool = True,
              tuning: Tuning = TUNING) -> tuple[list[Session], list[Conflict], float]:
    """Exact times for a week's chosen triples (candidate positions).

    Returns the placed sessions, the groups that could not all be placed together
    (proven, made smallest by deletion when ``shrink``; or not timed whole within the
    limits), and the work spent. ``prefer``: position → (start, in person) to try
    first for a single session (the previous timing of the same assignment). Past the
    ``deadline``, or once ``work`` is spent, groups are placed by the greedy inserter
    only (what fits stays). ``shrink``: only a week model's cuts need the smallest
    conflicts (one timing model per session of each); a caller that only wants the
    times passes False.
    """
    allowance = _Work(work)
    plan = Plan(index)
    by_day: dict[int, list[int]] = defaultdict(list)
    for t in chosen:
        by_day[int(cands.day[t])].append(t)
    placed: list[Session] = []
    prefer = prefer or {}
    # Most groups fit when placed one by one at their earliest start (measured: 96% of the groups of
    # two or more on city-medium), which takes microseconds; only the others need a timing model.
    hard: list[tuple[int, list[int]]] = []
    for d in sorted(by_day):
        for group in components(cands, index, by_day[d]):
            if not any(t in fixed for t in group):
                got = _place_in_order(plan, cands, group, d, prefer)
                if len(got) == len(group):
                    placed += got
                    continue
                for s in got:
                    plan.remove(s)
            hard.append((d, group))
    # The small groups first: a few large ones (a volunteer without a weekly limit, 15-36 sessions a
    # day) had taken the timing's time in day order, and every group after them was placed by the
    # inserter alone (measured on a city of 80 volunteers and 900 citizens: 44 of a week's 462
    # sessions lost). Shrinking the proven conflicts, one timing model per session, comes last; a
    # group the clock leaves unshrunk is still a conflict, only a weaker cut.
    proven: list[list[int]] = []
    unsure: list[Conflict] = []
    for d, group in sorted(hard, key=lambda dg: (len(dg[1]), dg[0])):
        has_fixed = any(t in fixed for t in group)
        if not has_fixed and (time.monotonic() >= deadline or allowance.left <= 0):
            # Out of time: what the inserter fits. Not reported: the round ends with the clock anyway,
            # and sequencing every such day (hundreds at large size) only slowed the next stages.
            placed += _place_in_order(plan, cands, group, d, prefer)
            continue
        dm = build_day_model(index, cands, group, fixed)
        solver = cp_model.CpSolver()
        budget.configure(solver, min(tuning.timing_group_seconds, _left(deadline)),
                         allowance.take(tuning.timing_group_work), seed)
        st = budget.solve(solver, dm.model)
        allowance.spend(solver)
        if st not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            # No timing found in the limit: the agreed sessions, and what the inserter fits around them.
            for t in group:
                if t in fixed:
                    plan.add(fixed[t])
                    placed.append(fixed[t])
            free = [t for t in group if t not in fixed]
            got = _place_in_order(plan, cands, free, d, prefer)
            placed += got
            if len(got) < len(free):
                unsure.append(Conflict(group, False))
            continue
        missing = False
        for k, t in enumerate(group):
            if t in fixed:
                s = fixed[t]
            elif solver.boolean_value(dm.present[k]):
                s = Session(int(cands.req[t]), int(cands.vol[t]), d, int(solver.value(dm.start[k])),
                            bool(solver.value(dm.in_person[k])))
            else:
                missing = True
                continue
            plan.add(s)
            placed.append(s)
        if missing and st == cp_model.OPTIMAL:
            proven.append(group)
        elif missing:
            unsure.append(Conflict(group, False))
    failed = [Conflict(minimal_conflict(index, cands, group, fixed, budget, seed, deadline, allowance, tuning)
                       if shrink else group, True) for group in proven] + unsure
    return placed, failed, allowance.used
