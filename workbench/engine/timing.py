"""Daily timing: exact starts and modes for a week's assigned sessions, and proofs of what cannot fit.

The week's assignment (:mod:`workbench.engine.weekly`) relaxes the daily rules;
here each date's sessions are split into groups that share a volunteer or a
citizen (only those interact) and each group is timed by its own small CP-SAT
model (:func:`~workbench.engine.formulation.build_day_model`). A single session
is placed directly. When a group cannot be timed whole and the timing model
*proves* it (status OPTIMAL with a session left out), a smallest-by-deletion
subset that cannot fit together becomes a cut of the week model; a search cut
short by its limit proves nothing, and a cut built on it could remove feasible
weeks and make the bound wrong.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict

from ortools.sat.python import cp_model

from ..index import ScenarioIndex
from .budget import Budget
from .candidates import Candidates
from .formulation import build_day_model
from .plan import Plan, Session
from .tuning import TUNING, Tuning


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
              deadline: float = math.inf, work: float = math.inf,
              tuning: Tuning = TUNING) -> tuple[list[Session], list[list[int]], float]:
    """Exact times for a week's chosen triples (candidate positions).

    Returns the placed sessions, the groups the timing proved cannot all be placed
    together, and the work spent. ``prefer``: position → (start, in person) to try
    first for a single session (the previous timing of the same assignment). Past the
    ``deadline``, or once ``work`` is spent, groups are placed by the greedy inserter
    only (what fits stays).
    """
    allowance = _Work(work)
    plan = Plan(index)
    by_day: dict[int, list[int]] = defaultdict(list)
    for t in chosen:
        by_day[int(cands.day[t])].append(t)
    placed: list[Session] = []
    failed: list[list[int]] = []
    prefer = prefer or {}
    for d in sorted(by_day):
        for group in components(cands, index, by_day[d]):
            late = time.monotonic() >= deadline or allowance.left <= 0
            has_fixed = any(t in fixed for t in group)
            if not has_fixed:
                # Most groups fit when placed one by one at their earliest start (measured: 96% of the
                # groups of two or more on city-medium), which takes microseconds; only the others
                # need a timing model.
                got = _place_in_order(plan, cands, group, d, prefer)
                if len(got) == len(group) or late:
                    placed += got
                    continue
                for s in got:
                    plan.remove(s)
            dm = build_day_model(index, cands, group, fixed)
            solver = cp_model.CpSolver()
            budget.configure(solver, min(tuning.timing_group_seconds, _left(deadline)),
                             allowance.take(tuning.timing_group_work), seed)
            st = budget.solve(solver, dm.model)
            allowance.spend(solver)
            if st not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
                # Not even the agreed sessions could be timed in the limit: keep those alone.
                for t in group:
                    if t in fixed:
                        plan.add(fixed[t])
                        placed.append(fixed[t])
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
                failed.append(minimal_conflict(index, cands, group, fixed, budget, seed, deadline, allowance, tuning))
    return placed, failed, allowance.used
