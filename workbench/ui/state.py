"""What the planner remembers between clicks: the scenario being edited, the named runs and
what is selected. View state only: no widgets here and no planning logic."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pandas as pd

from ..scenario.types import Scenario


@dataclass
class Run:
    """One solve, kept under a name with everything needed to show it again later."""

    name: str
    result: Any  # workbench.Result (typed loosely so this module never imports the solver)
    scenario: Scenario  # the scenario as it was solved (what-if edits included)
    weights: dict[str, int]
    edits: tuple[str, ...] = ()  # the what-if edits in force, in words
    based_on: str | None = None  # the run whose schedule was passed as ``previous``
    diff: pd.DataFrame | None = None  # compare.explain_changes(diff_schedules(based_on's schedule, this one), forced)
    keep_before: date | None = None  # re-planned from this day on: based_on's earlier sessions stay


@dataclass
class PlannerState:
    """The planner's memory.

    ``base`` is the scenario as loaded; ``scenario`` is the one being edited (what-if
    edits applied, each described in ``edits``). ``runs`` keeps every solve in order,
    ``current`` names the one on screen. ``replan_from`` is the day a re-plan starts
    from (the *Re-plan from* picker; None: the whole horizon).
    """

    base: Scenario | None = None
    scenario: Scenario | None = None
    source: str = ""
    edits: list[str] = field(default_factory=list)
    runs: dict[str, Run] = field(default_factory=dict)
    current: str | None = None
    selected_volunteer: str | None = None
    replan_from: date | None = None

    def set_scenario(self, scenario: Scenario, source: str) -> None:
        """A newly loaded scenario: edits are forgotten; runs of other scenarios stay, for comparison."""
        self.base = scenario
        self.scenario = scenario
        self.source = source
        self.edits = []
        self.current = None
        self.selected_volunteer = None
        self.replan_from = None  # a day of the old data's horizon means nothing for the new data

    def apply_edit(self, scenario: Scenario, description: str) -> None:
        self.scenario = scenario
        self.edits.append(description)

    def reset_edits(self) -> None:
        self.scenario = self.base
        self.edits = []

    def unique_name(self, wanted: str) -> str:
        """``wanted``, or ``wanted (2)``, ``wanted (3)``… so no run is overwritten."""
        name = wanted.strip() or f"run {len(self.runs) + 1}"
        if name not in self.runs:
            return name
        n = 2
        while f"{name} ({n})" in self.runs:
            n += 1
        return f"{name} ({n})"

    def add_run(self, run: Run) -> Run:
        run.name = self.unique_name(run.name)
        self.runs[run.name] = run
        self.current = run.name
        return run

    @property
    def current_run(self) -> Run | None:
        return self.runs.get(self.current) if self.current else None

    def default_run_name(self) -> str:
        """A name saying what was solved: "run 3: demo", or "run 4: what-if" once the data is edited."""
        n = len(self.runs) + 1
        return f"run {n}: what-if" if self.edits else f"run {n}: {self.source or 'plan'}"
