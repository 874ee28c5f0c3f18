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

# Work (deterministic units) and seconds allowed for one group's timing model and for one
# feasibility test of a conflict. Measured: groups hold 2–12 sessions and solve in
# well under 0.05 units; the limits only stop pathological groups.
GROUP_WORK = 2.0
GROUP_SECONDS = 2.0
CONFLICT_WORK = 1.0
CONFLICT_SECONDS = 1.0


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


def _all_fit(index: ScenarioIndex, cands: Candidates, sessions: list[int], fixed: dict[int, Session],
             budget: Budget, seed: int, deadline: float) -> bool:
    """Can all these sessions be timed together? False only when proven."""
    dm = build_day_model(index, cands, sessions, fixed, all_present=True)
    solver = cp_model.CpSolver()
    budget.configure(solver, min(CONFLICT_SECONDS, _left(deadline)), CONFLICT_WORK, seed)
    return budget.solve(solver, dm.model) != cp_model.INFEASIBLE


def minimal_conflict(index: ScenarioIndex, cands: Candidates, sessions: list[int], fixed: dict[int, Session],
                     budget: Budget, seed: int, deadline: float = math.inf) -> list[int]:
    """A smallest-by-deletion subset of ``sessions`` that cannot all be timed together.

    A small conflict makes a strong cut: it forbids only that combination. Past the
    ``deadline`` the subset found so far is returned (still a conflict, only larger).
    """
    core = list(sessions)
    for t in list(sessions):
        if t in fixed or len(core) <= 2 or budget.over() or time.monotonic() >= deadline:
            continue
        trial = [c for c in core if c != t]
        if not _all_fit(index, cands, trial, fixed, budget, seed, deadline):
            core = trial
    return core


def time_week(index: ScenarioIndex, cands: Candidates, chosen: list[int], fixed: dict[int, Session],
              budget: Budget, seed: int, prefer: dict[int, tuple[int, bool]] | None = None,
              deadline: float = math.inf) -> tuple[list[Session], list[list[int]]]:
    """Exact times for a week's chosen triples (candidate positions).

    Returns the placed sessions and the groups the timing proved cannot all be
    placed together. ``prefer``: position → (start, in person) to try first for a
    single session (the previous timing of the same assignment). Past the
    ``deadline`` groups are placed by the greedy inserter only (what fits stays).
    """
    plan = Plan(index)
    by_day: dict[int, list[int]] = defaultdict(list)
    for t in chosen:
        by_day[int(cands.day[t])].append(t)
    placed: list[Session] = []
    failed: list[list[int]] = []
    prefer = prefer or {}
    for d in sorted(by_day):
        for group in components(cands, index, by_day[d]):
            late = time.monotonic() >= deadline
            if (len(group) == 1 or late) and not any(t in fixed for t in group):
                for t in group:
                    hint = prefer.get(t)
                    s = plan.try_add(int(cands.req[t]), int(cands.vol[t]), d, cands.starts[t],
                                     bool(cands.in_person[t]), bool(cands.phone[t]), prefer=hint[0] if hint else None,
                                     prefer_in_person=hint[1] if hint else True)
                    if s is not None:
                        placed.append(s)
                continue
            dm = build_day_model(index, cands, group, fixed)
            solver = cp_model.CpSolver()
            budget.configure(solver, min(GROUP_SECONDS, _left(deadline)), GROUP_WORK, seed)
            st = budget.solve(solver, dm.model)
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
                failed.append(minimal_conflict(index, cands, group, fixed, budget, seed, deadline))
    return placed, failed
