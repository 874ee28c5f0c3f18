"""Solving in the background: one solve at a time in a thread, with progress, a quick first plan and Stop.

Plain Python, no widgets: the planner app hands it callbacks, tests and notebooks
can use it alone. Every callback runs in the solving thread (or the ticking one);
the events let a caller wait for a moment without sleeping:

- ``started``: the solve has begun; ``drafted``: the quick first plan is ready (and shown);
- ``improving``: the optimiser has sent its first progress report (and it is shown);
- ``finished``: the solve is over (:attr:`SolveRunner.outcome` holds the result or the error).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pandas as pd

from .. import Progress, Result
from .. import solve as _solve
from ..scenario.types import Scenario


@dataclass(frozen=True)
class SolveJob:
    """What to solve and how: ``previous`` and ``keep_before`` as :func:`workbench.solve` takes them.

    ``quick_first``: with the optimiser, first make the quick (greedy) plan, so something shows
    at once; the optimiser then improves on it within what is left of ``time_limit``.
    """

    scenario: Scenario
    method: str = "cpsat"
    time_limit: float = 10.0
    weights: dict[str, int] = field(default_factory=dict)
    previous: pd.DataFrame | None = None
    keep_before: date | None = None
    quick_first: bool = True
    seed: int = 0


@dataclass
class SolveOutcome:
    """How a solve ended: its ``result`` (None when it failed with ``error``), whether Stop ended it early,
    and the wall-clock seconds from start to end."""

    job: SolveJob
    result: Result | None = None
    error: BaseException | None = None
    stopped: bool = False
    seconds: float = 0.0
    draft: Result | None = None


class SolveRunner:
    """Runs one :class:`SolveJob` at a time in a daemon thread.

    Callbacks (all optional, each called from a background thread):
    ``on_draft(result)`` when the quick first plan is ready; ``on_progress(progress)`` for each
    of the optimiser's :class:`~workbench.result.Progress` reports; ``on_tick(seconds, limit)``
    about four times a second while solving, so a clock can move between reports; and
    ``on_finish(outcome)`` once, at the end, whether it succeeded, failed or was stopped.
    An exception in a callback is kept in :attr:`callback_errors` and does not stop the solve.
    """

    def __init__(
        self,
        *,
        on_draft: Callable[[Result], None] | None = None,
        on_progress: Callable[[Progress], None] | None = None,
        on_tick: Callable[[float, float], None] | None = None,
        on_finish: Callable[[SolveOutcome], None] | None = None,
        tick_seconds: float = 0.25,
        solve: Callable[..., Result] | None = None,
    ) -> None:
        self.on_draft = on_draft
        self.on_progress = on_progress
        self.on_tick = on_tick
        self.on_finish = on_finish
        self.tick_seconds = tick_seconds
        self._solve = solve or _solve
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self.started = threading.Event()
        self.drafted = threading.Event()
        self.improving = threading.Event()
        self.finished = threading.Event()
        self.job: SolveJob | None = None  # the job running now, or the last one
        self.outcome: SolveOutcome | None = None
        self.progress: list[Progress] = []
        self.callback_errors: list[BaseException] = []

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    @property
    def stop_requested(self) -> bool:
        return self._stop.is_set()

    def start(self, job: SolveJob) -> bool:
        """Begin solving ``job`` in the background; False (and nothing happens) while another solve runs."""
        if self.running:
            return False
        self._stop = threading.Event()
        for event in (self.started, self.drafted, self.improving, self.finished):
            event.clear()
        self.job = job
        self.outcome = None
        self.progress = []
        self._thread = threading.Thread(target=self._run, args=(job,), name="workbench-solve", daemon=True)
        self._thread.start()
        if self.on_tick is not None:
            threading.Thread(target=self._tick, args=(job.time_limit,), name="workbench-tick", daemon=True).start()
        return True

    def stop(self) -> None:
        """End the search now; the best plan found so far becomes the result."""
        self._stop.set()

    def wait(self, timeout: float | None = None) -> SolveOutcome | None:
        """Block until the running solve (if any) has finished, at most ``timeout`` seconds; its outcome."""
        if self._thread is not None:
            self._thread.join(timeout)
        return self.outcome

    # ------------------------------------------------------------------ in the background

    def _call(self, callback: Callable[..., Any] | None, *args: Any) -> None:
        if callback is None:
            return
        try:
            callback(*args)
        except Exception as error:  # noqa: BLE001 - a display problem must not lose the plan
            self.callback_errors.append(error)

    def _report(self, progress: Progress) -> None:
        self.progress.append(progress)
        self._call(self.on_progress, progress)
        self.improving.set()  # after the callback: whoever waits for the event sees what it showed

    def _tick(self, limit: float) -> None:
        begun = time.monotonic()
        # waiting on the event, not sleeping: the ticks end the moment the solve does
        while not self.finished.wait(self.tick_seconds):
            self._call(self.on_tick, time.monotonic() - begun, limit)

    def _run(self, job: SolveJob) -> None:
        begun = time.monotonic()
        outcome = SolveOutcome(job)
        self.started.set()
        common = {"weights": job.weights, "previous": job.previous, "keep_before": job.keep_before,
                  "stop": self._stop, "seed": job.seed}
        try:
            if job.method == "cpsat" and job.quick_first:
                outcome.draft = self._solve(job.scenario, method="greedy", **common)
                self._call(self.on_draft, outcome.draft)
                self.drafted.set()
                if self._stop.is_set():
                    outcome.result = outcome.draft
            if outcome.result is None:
                remaining = max(1.0, job.time_limit - (time.monotonic() - begun))
                outcome.result = self._solve(job.scenario, method=job.method, time_limit=remaining,
                                             on_progress=self._report, **common)
                # Never a plan worse than the draft on screen: when the draft took most of the time
                # limit (measured: ~14 s for a city of 2,000 volunteers), the optimiser's second left
                # it only the start of its own baseline.
                if outcome.draft is not None and outcome.draft.objective > outcome.result.objective:
                    outcome.result = outcome.draft
        except Exception as error:  # noqa: BLE001 - handed to on_finish, which says what happened
            outcome.error = error
        outcome.stopped = self._stop.is_set()
        outcome.seconds = time.monotonic() - begun
        self.outcome = outcome
        try:
            self._call(self.on_finish, outcome)
        finally:
            self.finished.set()
