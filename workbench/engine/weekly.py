"""One week's optimisation: the assignment model, timing cuts, and the lexicographic stages.

Stages, each keeping what the ones before reached:

1. **primary**: maximise Σ priority of the week's sessions. The assignment is
   timed (:mod:`workbench.engine.timing`); groups the timing proves infeasible
   become cuts and the model is solved again, until the timing fits. The search
   stops as soon as it reaches ``target`` (the week's share of the honest bound):
   nothing can be better, and the proof is the bound's. Cuts only remove what is
   infeasible, so the model's own bound stays valid for its triples. After a cut
   the answer is first *mended* (:meth:`WeekSearch._mend`): searched again with
   every session fixed but those around the conflicts; a timed week that reaches
   the model's bound ends the stage without searching the whole model again.
   Among equally good answers it leans to each request's visiting friend. A week
   not proven by the whole model's searches spends the stage's last share
   (``Tuning.explore_share``) on neighbourhood searches (:meth:`WeekSearch._explore`):
   at some size a whole model stops improving within its seconds, while the
   requests around one citizen are searched to optimality in a fraction of one.
2. **continuity** (complete models): the sessions with each request's friend,
   keeping the primary value.
3. **secondary**: the other aims (continuity's bonus, preferred volunteer,
   interests, travel, fair load, equity), keeping the primary value and the
   sessions with the friends the weeks agree on.

A stage's answer counts only once its timing fits; the best timed schedule so
far is always at hand, so a stop or the clock ends a stage with no loss.
"""

from __future__ import annotations

import logging
import math
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from ortools.sat.python import cp_model

from ..index import ScenarioIndex
from ..objective import Weights
from .budget import Budget
from .candidates import Candidates
from .formulation import WeekModel, add_day_routes, add_day_sequence, add_secondary, add_triple_rows, build_week_model
from .greedy import fill
from .plan import Plan, Session, weighted_value
from .timing import Conflict, time_week
from .tuning import TUNING, Tuning

log = logging.getLogger(__name__)

# The week's tuning numbers (rounds, the timing's and the mending's shares) are in :class:`~.tuning.Tuning`.

# A later stage searches from a whole solution as hint, without presolve and without the LP
# relaxation: presolving its guards (sums over every triple) was measured to take 10x the time
# of the search on a small city, and with the LP relaxation a medium week did not even reach its
# hint in 5 s (with neither: 0.08 s).


class _Target(cp_model.CpSolverSolutionCallback):
    """Stops a search whose primary value (the objective ÷ ``scale``, rounded down) reached ``target``
    (nothing better exists). Incumbents are not reported from here: until timed, an answer may not
    be a valid week (measured on an alien city: 11,771 shown, 11,508 timed)."""

    def __init__(self, target: float, scale: int) -> None:
        super().__init__()
        self.target = target
        self.scale = scale

    def on_solution_callback(self) -> None:
        if self.objective_value // self.scale >= self.target - 1e-9:
            self.stop_search()


def primary_answer_wins(gain: int, proven: bool, friends_lost: int, worth: float) -> bool:
    """Whether a week's answer searched on the primary aim alone replaces the leaning search's (see
    :meth:`WeekSearch._prove`): it serves ``gain`` more priority points and has ``friends_lost`` fewer
    sessions with the requests' friends. A proven answer always does (the later stages then lean to
    the friends keeping its value); an unproven one only where its gain is worth more than the friends'
    sessions it gives up at ``worth`` points each: the week's timing still takes a few percent of either
    answer, while a friend given up in one week is lost for the horizon (measured on an independent
    generator's heavy-demand city: a gain of 12 points took 115 of 241 friends' sessions, and the week
    models' schedule kept one friend for 0.27 of the requests against 0.55)."""
    return gain > 0 and (proven or gain > worth * friends_lost)


def _set_bounds(ct: cp_model.Constraint, lo: int, hi: int) -> None:
    dom = ct.proto.linear.domain
    dom.clear()
    dom.extend([lo, hi])


def _where(cands: Candidates, sessions: list[Session]) -> list[int]:
    """Each session's triple's position in ``cands`` (-1: not there)."""
    return cands.positions([s.req for s in sessions], [s.vol for s in sessions], [s.day for s in sessions]).tolist()


@dataclass
class WeekSearch:
    """The state of one week's optimisation between its stages."""

    index: ScenarioIndex
    cands: Candidates
    week: int
    weights: Weights
    fixed: dict[int, Session]  # candidate position → agreed session
    budget: Budget
    seed: int
    tuning: Tuning = TUNING
    wm: WeekModel = field(init=False)
    pos: dict[int, int] = field(init=False)
    leaning: set[int] = field(default_factory=set)  # model positions of the triples with a friend (primary)
    best: list[Session] = field(default_factory=list)
    best_value: int = -1
    model_bound: float = math.inf
    proven: bool = False  # the model's bound was reached by a timed schedule
    cuts: int = 0
    work_spent: float = 0.0  # deterministic work of its primary stage (effort mode)
    hard_end: float = math.inf  # no stage of this week runs past this time (monotonic)
    round_work: float = math.inf  # work of one search of a later stage (see Tuning.stage_work_per_triple)
    sequenced: set[tuple[bool, int, int]] = field(default_factory=set)  # (volunteer?, who, day) sequenced
    routed: set[tuple[bool, int, int]] = field(default_factory=set)  # (volunteer?, who, day) tried as routes
    threes: int | None = None  # the triple rows added at the first timing conflict (None: not yet)
    # the primary stage's (objective, target, scale), for the searches after it (explore_more)
    _aim: tuple[cp_model.LinearExpr, float, int] | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        triples = np.flatnonzero(self.cands.week == self.week)
        self.wm = build_week_model(self.index, self.cands, triples, self.weights, fixed=set(self.fixed),
                                   tuning=self.tuning)
        self.pos = {int(t): j for j, t in enumerate(self.wm.triples.tolist())}
        self._keep_primary = self.wm.model.add(self.wm.primary_expr() >= 0)

    # ------------------------------------------------------------------ helpers
    def value(self, sessions: list[Session]) -> int:
        return weighted_value(self.index, sessions)

    def _reached(self, target: float) -> bool:
        """The best timed schedule reaches ``target`` or the model's bound: the week is proven on its
        triples (the timing cuts remove only what cannot be timed, so the bound of a search before them
        holds)."""
        return self.best_value >= min(target, self.model_bound) - 1e-9

    def _stop_at(self, target: float, scale: int) -> _Target:
        """The callback that ends a primary search at ``target`` or at the bound an earlier search of
        this model proved, whichever is lower: past it only the lean to the friends can still improve,
        and that is the later stages' (measured on an unseen small city, 2026-12-05: its mending
        searches went on 0.3-0.5 s each after reaching the model's bound, the week's honest bound being
        one session above it)."""
        return _Target(min(target, self.model_bound), scale)

    def _positions(self, sessions: list[Session]) -> list[int]:
        return [self.pos[t] for t in _where(self.cands, sessions) if t in self.pos]

    def _hint(self, sessions: list[Session], complete: bool) -> None:
        """``sessions`` as the search's hint: their ``x`` on (with ``complete``, every other off) and,
        on the sequenced days, their starts and order. A hint that leaves the sequencing variables
        open was measured on an alien city to leave a round after cuts without any solution in 2 s."""
        wm = self.wm
        wm.model.clear_hints()
        hint = wm.model.proto.solution_hint
        start_of = {self.pos[t]: s.start for s, t in zip(sessions, _where(self.cands, sessions)) if t in self.pos}
        if complete:
            hint.vars.extend(x.index for x in wm.x)
            hint.values.extend(int(j in start_of) for j in range(len(wm.x)))
        else:
            hint.vars.extend(wm.x[j].index for j in start_of)
            hint.values.extend([1] * len(start_of))
        at: dict[int, int] = {}
        for j, st in wm.starts:
            at[j] = start_of.get(j, self.cands.starts[int(wm.triples[j])][0][0])
            hint.vars.append(st.index)
            hint.values.append(at[j])
        for lit, a, b in wm.orders:
            hint.vars.append(lit.index)
            hint.values.append(int(at[a] <= at[b]))
        for positions, sets, lits in wm.routes:
            on = tuple(i for i, j in enumerate(positions) if j in start_of)
            if on in sets:  # always, for a valid week; a partial hint may leave a route open
                hint.vars.extend(lit.index for lit in lits)
                hint.values.extend(int(members == on) for members in sets)

    def _cut(self, failed: list[Conflict]) -> None:
        """Each conflict the timing proved is cut, and the days every conflict touches get their timing
        in the model from now on (:meth:`sequence_day`: as routes, or sequenced): the next answer
        respects their start ranges. The week's first conflict also brings its triple rows
        (:meth:`_add_threes`). A group the timing only failed to place within its limits is
        not cut (that could remove a valid week and make the bound wrong); a day's routes and its
        sequencing are exact for that day, so the next answer is timed on them by the model itself. A
        round that left such a group is not taken as a proof of the week either (it used to be, when
        the timing dropped sessions without proof)."""
        if failed and self.threes is None and self.tuning.triple_rows_per_triple:
            self._add_threes()
        for conflict in failed:
            if conflict.proven:
                self.wm.model.add_bool_or([~self.wm.x[self.pos[t]] for t in conflict.sessions])
                self.cuts += 1
            for volunteer, who, day in self._days_of(conflict.sessions):
                self.sequence_day(volunteer, who, day)

    def _add_threes(self) -> None:
        """The week's triple rows (:func:`~.formulation.add_triple_rows`), once, at its first timing
        conflict: a week whose first answer times whole never pays for them; up front, in every
        week model, they were measured (2026-12-05, in process, 30 s) to win or lose a few tenths of
        a percent by city (shifts-m 0.9626 → 0.9661, pinned-m 0.9609 → 0.9569, towns-m 0.9774 →
        0.9761; two others equal). Checking them is not interruptible: with the clock, at most as many
        sets as half the week's time left allows (``Tuning.triple_seconds_per_check``)."""
        t0 = time.monotonic()
        most = math.inf if self.budget.deterministic else \
            (self.hard_end - t0) / 2 / self.tuning.triple_seconds_per_check
        self.threes = add_triple_rows(self.index, self.cands, self.wm, set(self.fixed), self.tuning, most)
        log.debug("week %d: %d triple rows (%.2fs)", self.week, self.threes, time.monotonic() - t0)

    def _days_of(self, group: list[int]) -> set[tuple[bool, int, int]]:
        """The (volunteer?, who, day) of the volunteers' and citizens' days a conflict touches."""
        c = self.cands
        return {(True, int(c.vol[t]), int(c.day[t])) for t in group} | {
            (False, int(self.index.req_cit[int(c.req[t])]), int(c.day[t])) for t in group}

    def sequence_day(self, volunteer: bool, who: int, day: int) -> None:
        """Give volunteer (or citizen) ``who``'s ``day`` its timing in the week model: first as routes
        (:func:`~.formulation.add_day_routes`, where the day has at most ``Tuning.route_cap`` sets
        that fit), the next time (or where it has more) sequenced; each once. A day given as
        routes may still come back in a conflict with another person's day, as the routes of two
        days need not agree on the start of a session they share; sequencing shares it."""
        key = (volunteer, who, day)
        if key in self.sequenced:
            return
        T = self.wm.triples
        of = self.cands.vol[T] if volunteer else self.index.req_cit[self.cands.req[T]]
        positions = np.flatnonzero((of == who) & (self.cands.day[T] == day)).tolist()
        if key not in self.routed:
            self.routed.add(key)
            if add_day_routes(self.index, self.cands, self.wm, positions, volunteer, self.tuning.route_cap):
                return
        self.sequenced.add(key)
        add_day_sequence(self.index, self.cands, self.wm, positions, volunteer)

    def _time(self, chosen: list[int], deadline: float, work: float) -> tuple[list[Session], list[Conflict], float]:
        prefer = {t: (s.start, s.in_person) for s, t in zip(self.best, _where(self.cands, self.best)) if t >= 0}
        # In effort mode the timing must not depend on the clock: no deadline then, but its work
        # counts against the stage's.
        return time_week(self.index, self.cands, chosen, self.fixed, self.budget, self.seed, prefer,
                         math.inf if self.budget.deterministic else deadline, work, self.tuning)

    def _proof_parameters(self, solver: cp_model.CpSolver) -> None:
        """CP-SAT's parameters for a search of the primary aim (the whole model's, a mending's or a
        neighbourhood's). The full LP relaxation proves weekly optima sooner (measured ~25% on
        city-medium); probing at presolve costs more than it saves here (a small city's week: 0.37 s
        instead of 0.84 s to its proof). Where the model holds every candidate (a proof is the aim),
        one presolve pass and every row in the LP from the start: measured 2026-12-05 on the first
        searches of 18 small weeks (the family's and unseen cities'), 7.0 s → 4.7 s to their proofs
        together, each one sooner; on thinned medium weeks mixed (medium-alien's two first searches
        4,793,275 / 4,811,871 → 4,785,486 / 4,839,920 in 3.6 s). Not skipping CP-SAT's phase that
        follows the hint (as mending searches do): measured 2026-12-07 on 36 small cities, two runs
        each, the same 98 s in all, and the friend-rich hint kept more friends (mean continuity 0.881
        against 0.874 without the phase)."""
        p = solver.parameters
        p.linearization_level = 2
        p.cp_model_probing_level = 0
        if self.cands.complete:
            p.max_presolve_iterations = 1
            p.add_lp_constraints_lazily = False

    def _no_time(self, left: float, work: float) -> bool:
        """No search of the primary aim is worth starting: stopped, under 0.02 s ``left`` on the clock,
        or (in effort mode) no ``work`` left."""
        return self.budget.over() or (left <= 0.02 if not self.budget.deterministic else work <= 0)

    def _chosen_value(self, chosen: list[int]) -> int:
        """Priority-weighted sessions of a search's answer ``chosen`` (candidate positions), untimed."""
        return int(self.index.priority[self.cands.req[np.asarray(chosen, np.int64)]].sum())

    def _chosen(self, solver: cp_model.CpSolver) -> list[int]:
        return [int(t) for j, t in enumerate(self.wm.triples.tolist()) if solver.boolean_value(self.wm.x[j])]

    def offer(self, sessions: list[Session]) -> None:
        """A timed schedule of this week found elsewhere (greedy, repair): the best so far if better."""
        v = self.value(sessions)
        if v > self.best_value:
            self.best, self.best_value = list(sessions), v

    # ------------------------------------------------------------------ stages
    def primary(self, seconds: float, work: float, target: float, report: object = None,
                lean: dict[int, int] | None = None) -> None:
        """Stage 1 (see module docstring), within ``seconds`` / ``work``.

        ``report(value, bound)``: called with the week's best timed value after a round whose answer
        needed repair (the caller reports the final one).
        ``lean``: request → a volunteer to prefer among equally good answers (the warm start's
        main one, the same in every week). The objective is then ``K·primary + sessions with
        it``, ``K`` above any count of those, so the primary aim still comes first, and weeks
        solved apart stay with one visiting friend (measured on a medium city: continuity 9%
        without, from a warm start at 62%). Complete (small) models lean too: measured on the five
        small cities of the benchmark family, continuity rose by 0.04–0.11 and every week proven
        before was still proven (small-city's proof came sooner: 3.3 s instead of 4.7 s). There the
        leaning search has ``Tuning.lean_search_share`` of the time and at most its work per triple
        (``Tuning.lean_search_work_per_triple``); should it end without a proof, :meth:`_prove`
        searches the primary aim alone.
        """
        m = self.wm.model
        leaning = self.leaning = set(self.with_friends(lean or {}))
        scale = len(leaning) + 1
        objective = cp_model.LinearExpr.weighted_sum(
            self.wm.x, [scale * c + (j in leaning) for j, c in enumerate(self.wm.primary_coeffs)])
        self._aim = (objective, target, scale)
        # The whole model's searches stop where the neighbourhoods' share begins (see _explore).
        explore_work = work * self.tuning.explore_share if math.isfinite(work) else 0.0
        end_work = work - explore_work
        hint = self.best
        t_start = time.monotonic()
        t_end = min(t_start + seconds, self.hard_end)
        t_whole = min(t_start + seconds * (1 - self.tuning.explore_share), self.hard_end)
        searchable = True
        # A model holding every candidate that leans: its leaning searches, and the mending searches
        # after them, take at most the lean's work.
        leans_on_all = self.cands.complete and scale > 1
        lean_work = self._lean_work() if leans_on_all else math.inf
        for _round in range(self.tuning.cut_rounds):
            left = t_whole - time.monotonic()
            if self._no_time(left, end_work):
                break
            if self.best_value >= target - 1e-9:
                self.proven = True
                break
            # A complete hint (the warm start, every other triple off) gives CP-SAT a solution at
            # once; a partial one was measured to leave a medium week without any in 0.4 units.
            self._hint(hint, complete=True)
            _set_bounds(self._keep_primary, 0, cp_model.INT32_MAX)
            # After a cut, a model holding every candidate searches the primary aim alone from the
            # timed answer, which carries the friends (see Tuning.lean_first_round_only).
            alone = _round > 0 and leans_on_all and self.tuning.lean_first_round_only
            aim_scale = 1 if alone else scale
            m.maximize(self.wm.primary_expr() if alone else objective)
            solver = cp_model.CpSolver()
            # The search leaves a share of the week's time for timing its answer: an answer that
            # cannot be timed in time is lost. The first search takes all of it, though a second
            # one after the cuts often gets only a fraction of a second: measured (2026-12-02), a
            # first search held to 45–75 % of it lost more than the later rounds won back
            # (medium-alien 0.963 → 0.962–0.963, alien-villages 0.953 → 0.952–0.953). Sequencing
            # from the start, in weeks 2–3, the days that needed cuts in weeks 0–1 (half of them
            # recur) made those weeks' searches reach less (medium-alien week 3: 2,967 against
            # 3,042 before timing): not adopted.
            # Where a proof is the aim (every candidate in the model) and the search leans, it gets a
            # share of the time and a work of its own, the same whatever the limit: should it end
            # without a proof, the primary aim alone searches on.
            proof_after = leans_on_all and not alone
            share = self.tuning.lean_search_share if proof_after else 1.0
            self.budget.configure(solver, left * (1 - self.tuning.timing_share) * share,
                                  min(end_work * share, lean_work if proof_after else math.inf), self.seed)
            self._proof_parameters(solver)
            try:
                st = self.budget.solve(solver, m, self._stop_at(target, aim_scale))
            finally:
                if alone:  # the leaning aim stays the model's (the mending searches copy it)
                    m.maximize(objective)
            end_work -= solver.deterministic_time
            log.debug("week %d primary%s: %s %s ≤ %s (%.2f units, %.2fs)", self.week, " (aim alone)" if alone else "",
                      solver.status_name(st), solver.objective_value, solver.best_objective_bound,
                      solver.deterministic_time, solver.wall_time)
            if st not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
                if st == cp_model.INFEASIBLE:  # the agreed sessions are a valid week: a bug if it happens
                    searchable = False
                    log.warning("week %d: the model holds no schedule with the agreed sessions; the week keeps "
                                "its warm start", self.week)
                break
            self.model_bound = min(self.model_bound, float(solver.best_objective_bound // aim_scale))
            chosen = self._chosen(solver)
            if proof_after and st == cp_model.FEASIBLE and solver.objective_value // scale < min(target,
                                                                                                 self.model_bound):
                chosen, end_work = self._prove(solver, chosen, t_whole, end_work, target, objective)
            placed, failed, spent = self._time(chosen, t_whole, end_work)
            end_work -= spent
            if log.isEnabledFor(logging.DEBUG):  # the sums only for the log
                log.debug("week %d primary: timed %d of %d sessions (%d of %d weighted), %d conflicts", self.week,
                          len(placed), len(chosen), self.value(placed),
                          self._chosen_value(chosen), len(failed))
            self.offer(placed)
            if not failed:
                # Not the search's status: past its deadline the timing only inserts, and what does not
                # fit is dropped unreported (a week so taken as proven was searched no more).
                self.proven = self._reached(target)
                break
            # What the timing left out may fit elsewhere in the week; should the repaired week reach
            # the bound, no more cut rounds are needed.
            topped = self._top_up(placed)
            self.offer(topped)
            if report is not None:
                report(self.best_value, self.model_bound)
            if self._reached(target):
                self.proven = True
                break
            self._cut(failed)
            # Where the first search took the whole model's share, the mending (the neighbourhood of
            # the conflicts) goes first in the neighbourhoods' share: measured 2026-12-05 in process,
            # 28 s, on five unseen timing-heavy medium cities whose first searches take 4-5 s of a
            # week's 6: 6,309 → 6,311, 8,771 → 8,781, 12,325 → 12,335, 10,485 → 10,495, 11,729 →
            # 11,735; five of the family's medium cities within noise (-3 to +4).
            mend_end = t_end if not self.budget.deterministic and t_whole - time.monotonic() <= 0.05 else t_whole
            end_work -= self._mend(topped, chosen, failed, mend_end, end_work, lambda placed, _v: self.offer(placed),
                                   self._stop_at(target, scale), lean_work)
            if self._reached(target):
                self.proven = True
                break
            hint = self.best
        left_work = end_work + explore_work
        if not self.proven and searchable and not self.budget.over():
            left_work -= self._explore(objective, t_end, left_work, self._stop_at(target, scale))
            self.proven = self._reached(target)
        if math.isfinite(work):
            self.work_spent += work - left_work
        log.debug("week %d primary: %d (model bound %s, %d cuts, proven %s) at %.2fs", self.week, self.best_value,
                  self.model_bound, self.cuts, self.proven, self.budget.elapsed())

    def explore_more(self, seconds: float) -> None:
        """After its primary stage ended unproven: more neighbourhood searches of the same aim for
        ``seconds`` (on a thread the other weeks leave idle, see ``pipeline._WeekStages._idle``)."""
        if self.proven or self._aim is None or self.budget.over():
            return
        objective, target, scale = self._aim
        self._explore(objective, min(time.monotonic() + seconds, self.hard_end), math.inf,
                      self._stop_at(target, scale))
        self.proven = self._reached(target)

    def _prove(self, leaning: cp_model.CpSolver, chosen: list[int], t_end: float, work: float, target: float,
               objective: cp_model.LinearExpr) -> tuple[list[int], float]:
        """After a leaning search (``leaning``, its answer ``chosen``) ended without a proof: the same
        model searched on the primary aim alone from that answer, until ``t_end`` less the timing's
        share or ``work``; then the model's ``objective`` is the leaning one again. The lean
        weakens the bound CP-SAT can prove in primary terms (measured 2026-12-05 on two unseen small
        cities, 60 volunteers / 100 citizens / 2 weeks: a week model after its timing cuts, the leaning
        objective proven in 6.5 s, the primary alone in 0.5 s; another's first week model, the leaning
        objective not proven in 15 s, the primary alone in 0.9 s). Updates the model's bound; returns
        the answer to time (see :func:`primary_answer_wins`) and the work left."""
        left = t_end - time.monotonic()
        if self._no_time(left, work):
            return chosen, work
        m = self.wm.model
        # Every variable as the leaning search left it: a complete hint.
        m.clear_hints()
        values = list(leaning.response_proto.solution)
        m.proto.solution_hint.vars.extend(range(len(values)))
        m.proto.solution_hint.values.extend(values)
        m.maximize(self.wm.primary_expr())
        solver = cp_model.CpSolver()
        try:
            self.budget.configure(solver, left * (1 - self.tuning.timing_share), work, self.seed)
            self._proof_parameters(solver)
            st = self.budget.solve(solver, m, self._stop_at(target, 1))
        finally:
            m.maximize(objective)
        work -= solver.deterministic_time
        log.debug("week %d primary alone: %s %s ≤ %s (%.2f units, %.2fs)", self.week, solver.status_name(st),
                  solver.objective_value, solver.best_objective_bound, solver.deterministic_time, solver.wall_time)
        if st not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return chosen, work
        self.model_bound = min(self.model_bound, float(solver.best_objective_bound))
        mine = self._chosen(solver)
        worth = self.weights.at_continuity(self.tuning.lean_session_worth)
        wins = primary_answer_wins(int(solver.objective_value) - self._chosen_value(chosen),
                                   solver.objective_value >= min(target, self.model_bound) - 1e-9,
                                   self._with_lean(chosen) - self._with_lean(mine), worth)
        return (mine if wins else chosen), work

    def _lean_work(self) -> float:
        """The most work a leaning search of a model holding every candidate takes, in proportion to
        the model (``Tuning.lean_search_work_per_triple``, at least ``lean_search_work_min``)."""
        return max(self.tuning.lean_search_work_min, self.tuning.lean_search_work_per_triple * len(self.wm.x))

    def improve(self, name: str, objective: cp_model.LinearExpr, seconds: float, work: float,
                keep_primary: int, keep: list[tuple[list[int], int]] = ()) -> bool:
        """A lexicographic stage: maximise ``objective`` keeping the primary value ≥ ``keep_primary`` and
        each (positions, minimum) of ``keep``; the best schedule changes only if its timing fits."""
        m = self.wm.model
        t_end = min(time.monotonic() + seconds, self.hard_end)
        guards = [m.add(cp_model.LinearExpr.sum([self.wm.x[j] for j in js]) >= lo) for js, lo in keep if js]
        improved = False

        def accept(placed: list[Session]) -> bool:
            """``placed`` becomes the best schedule if it keeps the primary value and the guards."""
            if self.value(placed) >= keep_primary and all(
                    len(set(self._positions(placed)) & set(js)) >= lo for js, lo in keep):
                self.best, self.best_value = placed, self.value(placed)
                return True
            return False

        reached: list[float] = []  # the stage's values of the mended answers accepted, this round

        def mended(placed: list[Session], value: float) -> None:
            if accept(placed):
                reached.append(value)
        try:
            for _round in range(self.tuning.stage_rounds):
                left = t_end - time.monotonic()
                if not self.best or self.budget.over() or left <= 0.02 or work <= 0:
                    break
                self._hint(self.best, complete=True)
                _set_bounds(self._keep_primary, keep_primary, cp_model.INT32_MAX)
                m.maximize(objective)
                solver = cp_model.CpSolver()
                self.budget.configure(solver, left * (1 - self.tuning.timing_share), min(work, self.round_work),
                                      self.seed)
                solver.parameters.cp_model_presolve, solver.parameters.linearization_level = False, 0
                st = self.budget.solve(solver, m)
                work -= solver.deterministic_time
                log.debug("week %d %s: %s %s ≤ %s (%.2f units, %.2fs)", self.week, name, solver.status_name(st),
                          solver.objective_value, solver.best_objective_bound, solver.deterministic_time,
                          solver.wall_time)
                if st not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
                    break
                chosen = self._chosen(solver)
                placed, failed, spent = self._time(chosen, t_end, work)
                work -= spent
                if failed:
                    placed = self._top_up(placed)
                if accept(placed):
                    improved = True
                if not failed:
                    break
                self._cut(failed)
                reached.clear()
                work -= self._mend(placed, chosen, failed, t_end, work, mended)
                improved |= bool(reached)
                # The stage is done once a timed answer reaches what this search proved best.
                if st == cp_model.OPTIMAL and reached and max(reached) >= solver.objective_value - 1e-9:
                    break
        finally:
            for g in guards:  # a sum of Booleans is always ≥ 0: the guard no longer binds
                _set_bounds(g, 0, cp_model.INT32_MAX)
        log.debug("week %d %s: improved %s at %.2fs", self.week, name, improved, self.budget.elapsed())
        return improved

    def _mend(self, base: list[Session], chosen: list[int], failed: list[Conflict], t_end: float, work: float,
              found: Callable[[list[Session], float], None],
              callback: cp_model.CpSolverSolutionCallback | None = None, most: float = math.inf) -> float:
        """After a round whose answer the timing could not place whole (its conflicts already cut,
        their days sequenced): search again with the model's objective from ``base`` (that answer
        as timed and topped up), every session fixed but those of the requests the volunteers and
        citizens in conflict serve or could serve, and those the timing dropped. The neighbourhood
        holds a fraction of the model and its conflicts' days are sequenced: measured on small-city
        (2026-12-02), a mending search takes 0.01–0.2 s where a round on the whole model takes
        0.3–0.6 s, and reaches the round's value: the primary proof 1.65 → 1.06 s, the continuity
        stage 1.3 → 0.6 s. On medium-alien it reaches what the timing kept (3,061 for an answer of
        3,086), as the whole model did in its last 0.7 s, also with 0.8 instead of 0.25 of the time
        left; on city-large, ~1,000 free of 18,000, it takes 2–6 s (the clone's presolve), as the
        round it saves would. ``found(placed, value)`` gets each timed answer:
        ``placed`` topped up when the timing could not place it whole (``value`` then ``-inf``), else
        the search's objective value. ``most``: the most work one mending search takes (after a
        leaning round on a model holding every candidate, the lean's: such a neighbourhood may hold
        most of the model, and the lean keeps it from a proof; an unseen small city's mending search
        ran 0.44 s at ``--time-limit 10`` and 2.2 s at 40). Returns the work used."""
        c, wm = self.cands, self.wm
        T = wm.triples
        req_of = c.req[T]
        cit_of = self.index.req_cit[req_of]
        people: set[tuple[bool, int]] = set()  # (volunteer?, who) in conflict
        dropped: set[int] = set()
        used = 0.0
        for _round in range(self.tuning.mend_rounds):
            left = t_end - time.monotonic()
            if self.budget.over() or work - used <= 0 or (not self.budget.deterministic and left <= 0.05):
                break
            people |= {(volunteer, who) for conflict in failed
                       for volunteer, who, _day in self._days_of(conflict.sessions)}
            on = set(self._positions(base))
            served = Counter(int(c.req[t]) for t in chosen)
            served.subtract(Counter(int(req_of[j]) for j in on))
            dropped |= {r for r, n in served.items() if n > 0}
            # Whole weeks of the people in conflict: a session that must leave a day may need
            # another of theirs to move (measured on small-city: freeing only the conflicted days
            # kept the continuity stage one friend short of its optimum).
            mine = np.isin(c.vol[T], [who for volunteer, who in people if volunteer]) | np.isin(
                cit_of, [who for volunteer, who in people if not volunteer])
            free_req = dropped | set(np.unique(req_of[mine]).tolist())
            free = np.isin(req_of, np.fromiter(sorted(free_req), np.int64, len(free_req)))
            share = self.tuning.mend_share
            st, solver = self._search_neighbourhood(base, free, left * share,
                                                    min((work - used) * share, self.round_work, most), self.seed,
                                                    callback,
                                                    mending=True)
            used += solver.deterministic_time
            if st not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
                break
            chosen = self._chosen(solver)
            placed, failed, spent = self._time(chosen, t_end, work - used)
            used += spent
            log.debug("week %d mend: %d of %d free, %s %s, timed %d of %d sessions, %d conflicts (%.2fs)",
                      self.week, int(free.sum()), len(free), solver.status_name(st), solver.objective_value,
                      len(placed), len(chosen), len(failed), solver.wall_time)
            if not failed:
                found(placed, solver.objective_value)
                break
            base = self._top_up(placed)
            found(base, -math.inf)
            self._cut(failed)
        return used

    def _search_neighbourhood(self, base: list[Session], free: np.ndarray, seconds: float, work: float, seed: int,
                              callback: cp_model.CpSolverSolutionCallback | None = None,
                              objective: cp_model.LinearExpr | None = None,
                              mending: bool = False) -> tuple[int, cp_model.CpSolver]:
        """One search of a neighbourhood, for the mending and the neighbourhood searches alike: a copy of
        the week model searching from ``base`` (its complete hint) with every triple outside the mask
        ``free`` (over the model's positions) fixed as ``base`` has it, within ``seconds`` / ``work``;
        ``objective`` if given, else the model's own. Returns the status and the solver (its answer).

        The copy lives only in this call: with widened models (~800,000 constraints a week, two weeks
        side by side) the copies alive at once had raised a medium city's peak memory from 1.4 to 2.0 GB."""
        self._hint(base, complete=True)
        nb = self.wm.model.clone()
        on = np.zeros(len(self.wm.x), bool)
        on[np.asarray(self._positions(base), np.int64)] = True
        variables = nb.proto.variables
        for j in np.flatnonzero(~free).tolist():
            dom = variables[self.wm.x[j].index].domain
            dom.clear()
            dom.extend([int(on[j])] * 2)
        if objective is not None:
            nb.maximize(objective)
        solver = cp_model.CpSolver()
        self.budget.configure(solver, seconds, work, seed)
        # The whole model's LP (see primary): a day given as routes is strong only in it. Measured on
        # small-appointments: a mending search 1.2 s at the default level, 0.04 s with it.
        self._proof_parameters(solver)
        if mending:
            # Its hint is the answer the timing just failed, which the new cuts and sequenced days
            # forbid: CP-SAT's phase that follows a hint conflict by conflict only repairs it (a
            # third of a dumped mending search's 0.9 s). Without that phase, measured 2026-12-05
            # (CLI, 10 s, the 35 small cities of Tuning.lean_search_share): 92.6 → 83.4 s in all,
            # under 2 s 18 → 19, 34 proven either way, mean continuity 0.899 → 0.895 (cities below the
            # baseline's 12 → 13); 12 other unseen small cities 26.5 → 27.1 s, continuity the same
            # (0.871). Five dumped mending models: 2.8 → 1.4 s to their targets.
            solver.parameters.hint_conflict_limit = 0
        return self.budget.solve(solver, nb, callback), solver

    def _explore(self, objective: cp_model.LinearExpr, t_end: float, work: float,
                 callback: cp_model.CpSolverSolutionCallback | None = None) -> float:
        """Neighbourhood searches until ``t_end`` (or ``work`` is spent): the best timed answer fixed
        but the requests of the triples whose citizens live nearest to a citizen still missing a
        session this week (chosen at random, by the seed), searched with the primary objective from
        that answer. A week's whole model stops improving at some size within its seconds (one
        thread: CP-SAT's own neighbourhood workers do not run; measured in ``Tuning.explore_share``);
        a neighbourhood of a few hundred triples is solved to optimality in a fraction of a second
        and its answer, once timed, is the week's best if better. A timing conflict is cut as in the
        rounds before.

        The size adapts to the week, not to a city it was measured on: it starts at
        ``Tuning.explore_triples``, shrinks when a search ends at its limit and, once every region
        with a citizen still missing a session was searched at one size without gain, grows by
        ``Tuning.explore_growth`` (up to the whole model; then the week is done). Returns the work used."""
        c, wm, index, tuning = self.cands, self.wm, self.index, self.tuning
        T = wm.triples
        req_of = c.req[T]
        cit = index.req_cit[req_of]
        lat = np.radians(index.cit_lat[cit])
        lon = np.radians(index.cit_lon[cit])
        n = min(tuning.explore_triples, len(T))
        rng = np.random.default_rng(self.seed * 1_000_003 + self.week)
        demand = index.week_demand[:, self.week]
        stale = np.zeros(index.n_requests, bool)  # searched at this size with no gain since they last changed
        used = 0.0
        rounds = better = 0
        while True:
            left = t_end - time.monotonic()
            if self.budget.over() or work - used <= 0 or (not self.budget.deterministic and left <= 0.05):
                break
            on = self._positions(self.best)
            served = np.bincount(req_of[on], minlength=index.n_requests) if on else np.zeros(index.n_requests, int)
            short = served[req_of] < demand[req_of]
            seeds = np.flatnonzero(short & ~stale[req_of])
            if not len(seeds):
                grown = min(len(T), math.ceil(n * tuning.explore_growth))
                if not short.any() or grown <= n:
                    break
                n = grown
                stale[:] = False
                continue
            j0 = int(seeds[rng.integers(len(seeds))])
            # Citizens nearest to the seed's (equirectangular: only the order matters).
            d = (lat - lat[j0]) ** 2 + ((lon - lon[j0]) * math.cos(float(lat[j0]))) ** 2
            near = np.argpartition(d, n - 1)[:n] if n < len(T) else np.arange(len(T))
            region = np.unique(req_of[near])
            free = np.isin(req_of, region)
            st, solver = self._search_neighbourhood(self.best, free, min(left, tuning.explore_round_seconds),
                                                    min(work - used, tuning.explore_round_work), self.seed + rounds,
                                                    callback, objective)
            used += max(solver.deterministic_time, tuning.explore_charge_per_triple * len(T))
            rounds += 1
            if st != cp_model.OPTIMAL:  # the neighbourhood was too large for its search
                n = max(min(tuning.explore_triples_min, len(T)), math.floor(n / tuning.explore_growth))
            before, cut = self.best_value, False
            chosen = self._chosen(solver) if st in (cp_model.OPTIMAL, cp_model.FEASIBLE) else None
            if chosen is not None and set(chosen) != {int(T[j]) for j in on}:
                placed, failed, spent = self._time(chosen, t_end, work - used)
                used += spent
                if failed:
                    placed = self._top_up(placed)
                    self._cut(failed)
                    cut = True
                self.offer(placed)
            if self.best_value > before:
                better += 1
                stale[region] = False  # its answer changed: it may gain again
            elif not cut:  # a cut changes the model: the region may gain next time
                stale[region] = True
        log.debug("week %d explore: %d neighbourhoods (last of %d triples), %d better, %d at %.2fs", self.week,
                  rounds, n, better, self.best_value, self.budget.elapsed())
        return used

    def _top_up(self, placed: list[Session]) -> list[Session]:
        """What did fit, topped up by the greedy inserter."""
        plan = Plan(self.index, placed)
        fill(plan, self.cands, weeks=[self.week])
        return plan.sessions

    def _with_lean(self, chosen: list[int]) -> int:
        return sum(1 for t in chosen if self.pos.get(t) in self.leaning)

    def with_friends(self, friend: dict[int, int]) -> list[int]:
        """Positions of the triples that serve a request of ``friend`` with its friend."""
        req, vol = self.cands.req[self.wm.triples], self.cands.vol[self.wm.triples]
        return [j for j, (r, v) in enumerate(zip(req.tolist(), vol.tolist())) if friend.get(r) == v]

    def secondary(self, seconds: float, work: float, keep: list[tuple[list[int], int]]) -> None:
        """Stage 3: the other secondary aims."""
        add_secondary(self.index, self.cands, self.wm, self.weights)
        if self.wm.secondary:
            self.improve("secondary", self.wm.secondary_expr(), seconds, work, self.best_value, keep)
