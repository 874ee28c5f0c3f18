"""What a solve may spend: wall-clock seconds, deterministic work, and a stop button.

Two ways to bound a solve:

- **time** (``time_limit``, seconds): every stage looks at the clock, takes its
  share of what is left and degrades (a cheaper selection, fewer rounds, the best
  schedule so far) rather than overrun. Results may then depend on the machine.
- **effort** (deterministic work units): CP-SAT searches are bounded by its
  deterministic time (``max_deterministic_time``), which counts work, not seconds,
  and every other stage runs to completion or to a fixed count. The same scenario,
  seed and effort give the same schedule on any machine, loaded or not — what
  research runs need. One unit is roughly one second of one core's search.

Both may be given: effort decides the search, the time limit is then only a safety
net (a run it cuts short is reported as not deterministic).

The stop event (a :class:`threading.Event`, set by Ctrl-C or a Stop button) ends
every running CP-SAT search at once and makes every stage wrap up with what it has.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from ortools.sat.python import cp_model


class Budget:
    """The clock, the work budget and the stop event of one solve (see module docstring)."""

    def __init__(self, time_limit: float | None, effort: float | None, stop: threading.Event | None) -> None:
        if time_limit is not None and not (time_limit > 0 and math.isfinite(time_limit)):
            raise ValueError(f"time_limit must be a positive number of seconds (found {time_limit!r})")
        if effort is not None and not (effort > 0 and math.isfinite(effort)):
            raise ValueError(f"effort must be a positive amount of work (found {effort!r})")
        self.t0 = time.monotonic()
        self.deadline = self.t0 + time_limit if time_limit is not None else math.inf
        self.effort = effort
        self.stop = stop if stop is not None else threading.Event()
        self.cut_by_clock = False
        self._solvers: set[cp_model.CpSolver] = set()
        self._lock = threading.Lock()
        self._watcher: threading.Thread | None = None

    @property
    def deterministic(self) -> bool:
        """Searches are bounded by work, so the outcome does not depend on the machine."""
        return self.effort is not None

    def elapsed(self) -> float:
        return time.monotonic() - self.t0

    def left(self) -> float:
        """Seconds until the time limit (``inf`` without one)."""
        return self.deadline - time.monotonic()

    def stopped(self) -> bool:
        """The stop button was pressed."""
        return self.stop.is_set()

    def over(self, reserve: float = 0.0) -> bool:
        """Stopped, or fewer than ``reserve`` seconds left: time for a stage to wrap up."""
        if self.stop.is_set():
            return True
        if self.left() <= reserve:
            self.cut_by_clock = True
            return True
        return False

    def seconds(self, fraction: float, reserve: float = 0.0) -> float:
        """A stage's wall-clock share: ``fraction`` of what is left after ``reserve``."""
        left = self.left() - reserve
        return max(0.0, left * fraction) if math.isfinite(left) else math.inf

    def stage(self, share: float, reserve: float = 0.0, at_least: float = 0.0) -> Callable[[], bool]:
        """A stage's "time to wrap up?" test: true once the stage has used ``share`` of the seconds
        left now (after ``reserve``) — or ``at_least`` seconds, if more and left — or on stop. In
        effort mode only the stop ends a stage early: stages that are not CP-SAT searches then run
        to completion, as their outcome must not depend on the machine."""
        left = self.left()
        if self.deterministic or not math.isfinite(left):
            return self.stopped
        spare = max(0.0, left - reserve)
        end = left - max(self.seconds(share, reserve), min(at_least, spare))
        return lambda: self.over(end)

    def configure(self, solver: cp_model.CpSolver, seconds: float, work: float, seed: int) -> None:
        """Limits of one CP-SAT search: ``work`` deterministic units (``inf``: none) and, unless in
        effort mode, ``seconds`` of wall clock; never beyond the time limit. One thread: a
        single-threaded search is deterministic for a seed; parallelism comes from solving weeks
        side by side. Measured on medium-alien (30 s, 2026-12-02), against 0.963–0.964 of the bound
        with this default search: ``interleave_search`` with every subsolver 0.955, with LNS only
        0.955, with the default LP search and the LNS subsolvers 0.958; two workers per week with
        the weeks one after another 0.955."""
        p = solver.parameters
        wall = min(seconds if not self.deterministic else math.inf, self.left())
        if math.isfinite(wall):
            p.max_time_in_seconds = max(0.01, wall)
        if math.isfinite(work):
            p.max_deterministic_time = max(0.001, work)
        p.random_seed = seed
        p.num_workers = 1
        p.log_search_progress = False
        # CP-SAT's own SIGINT handler aborts the process when searches run in several threads
        # (std::bad_function_call); Ctrl-C reaches the search through the stop event instead.
        p.catch_sigint_signal = False

    @contextmanager
    def running(self, solver: cp_model.CpSolver) -> Iterator[cp_model.CpSolver]:
        """Register a search so the stop event ends it at once."""
        with self._lock:
            self._solvers.add(solver)
            if self._watcher is None:
                self._watcher = threading.Thread(target=self._watch, name="workbench-stop", daemon=True)
                self._watcher.start()
        try:
            if self.stop.is_set():
                solver.stop_search()
            yield solver
        finally:
            with self._lock:
                self._solvers.discard(solver)

    def _watch(self) -> None:
        self.stop.wait()
        with self._lock:
            for s in list(self._solvers):
                s.stop_search()

    def solve(self, solver: cp_model.CpSolver, model: cp_model.CpModel,
              callback: cp_model.CpSolverSolutionCallback | None = None) -> int:
        """Run one search under this budget (ended at once by the stop event); its status."""
        with self.running(solver):
            status = solver.solve(model, callback)
        if not self.deterministic and solver.wall_time >= solver.parameters.max_time_in_seconds - 0.01 \
                and self.left() <= 0.05:
            self.cut_by_clock = True
        return status
