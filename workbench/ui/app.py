"""The planner app: one ipywidgets page for a coordinator (in a notebook or served by Voilà).

Load data → look at need and supply → Solve (in the background, with live progress
and a Stop button) → look at the plan → change something (what-if) → re-plan
keeping the agreed plan → see whom to call and why → compare runs → export.

:class:`Planner` is the controller: it keeps the :class:`~workbench.ui.state.PlannerState`,
turns button presses into calls of the package (scenario edits from
:mod:`workbench.scenario.edit`, solving through :class:`~workbench.ui.runner.SolveRunner`,
:mod:`workbench.compare`) and hands the results to the parts of the page, each of which
only lays out widgets: :mod:`~workbench.ui.controls` (data and solve controls),
:mod:`~workbench.ui.tabs` (result tabs), :mod:`~workbench.ui.whatif` and
:mod:`~workbench.ui.export_panel`.
"""

from __future__ import annotations

import contextlib
import html
import math
import traceback
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import ipywidgets as w
import pandas as pd
from traitlets import TraitError

from .. import Progress, Result, compare, minimum_seconds, views
from ..datasets import load_dataset as _load_dataset
from ..datasets import names as _dataset_names
from ..errors import InputError
from ..scenario import edit
from ..scenario.read import load as _load_path
from ..scenario.types import Scenario
from ..words import activity_name, count, mode_name, person_label
from .controls import DataBar, SolvePanel
from .export_panel import ExportPanel
from .messages import CSS, html_to_text, message, problems_html, reasons_html, warnings_html
from .runner import SolveJob, SolveOutcome, SolveRunner
from .state import PlannerState, Run
from .tabs import CalendarTab, FigureTab, RunsTab, ScheduleTab, SupplyTab, UnassignedTab
from .upload import scenario_from_upload
from .whatif import WhatIfTab, edit_summary, parse_choice, period_day

TAB_TITLES = ("Need & supply", "Schedule", "Calendar", "Map", "Unassigned", "Districts", "What-if", "Runs", "Export")
EXPORT_TAB = TAB_TITLES.index("Export")


class _FromPicker:
    """The default of :meth:`Planner.replan`'s ``keep_before``: the day in the *Re-plan from* picker."""

    def __repr__(self) -> str:
        return "<the Re-plan from picker's day>"


FROM_PICKER: Any = _FromPicker()


class Planner:
    """The planner app. Display it (``display(planner)`` or ``planner.widget``) or drive it from code.

    Every button has a method doing the same, so notebooks and tests can use the app
    without clicking: :meth:`load_dataset`, :meth:`load_upload`, :meth:`solve`,
    :meth:`stop`, :meth:`mark_absent`, :meth:`set_volunteer_limits`, :meth:`add_request`,
    :meth:`remove_request`, :meth:`pin_session`, :meth:`unpin_session`, :meth:`replan`
    (``keep_before=`` is the *Re-plan from* picker), :meth:`save_exports`. The parts of
    the page are attributes: ``data``, ``controls``, ``supply``, ``schedule``, ``calendar``,
    ``map``, ``unassigned``, ``districts``, ``whatif``, ``runs``, ``export``; ``runner``
    solves in the background.
    """

    def __init__(
        self,
        dataset: str | None = "demo",
        *,
        time_limit: float = 10.0,
        method: str = "cpsat",
        quick_first: bool = True,
        export_folder: str | None = None,
    ) -> None:
        self.state = PlannerState()
        self.quick_first = quick_first
        self.last_run: Run | None = None  # the run the last solve produced (None if it failed)
        self._pending: dict[str, Any] = {}  # what the running solve will become: name, base run, edits
        self.runner = SolveRunner(
            on_draft=self._on_draft, on_progress=self._on_progress, on_tick=self._on_tick, on_finish=self._on_finish
        )
        self.data = DataBar(_dataset_names())
        self.controls = SolvePanel(time_limit, method)
        self.supply = SupplyTab()
        self.schedule = ScheduleTab()
        self.calendar = CalendarTab()
        self.map = FigureTab(lambda run: views.map_figure(run.scenario, run.result.schedule))
        self.unassigned = UnassignedTab()
        self.districts = FigureTab(lambda run: views.district_figure(run.result.kpis))
        self.whatif = WhatIfTab()
        self.runs = RunsTab(self.show_run)
        # Exports go outside the repository by default, where a coordinator finds them.
        self.export = ExportPanel(export_folder or str(Path.home() / "workbench-exports"))
        self._wire()
        self.tabs = w.Tab(
            children=[self.supply.widget, self.schedule.widget, self.calendar.widget, self.map.widget,
                      self.unassigned.widget, self.districts.widget, self.whatif.widget, self.runs.widget,
                      self.export.widget]
        )
        for i, title in enumerate(TAB_TITLES):
            self.tabs.set_title(i, title)
        self.tabs.observe(self._on_tab, names="selected_index")
        self.widget = w.VBox(
            [
                w.HTML(CSS + '<div class="wb-title">Volunteer visit planner</div>'),
                self.data.widget,
                self.controls.widget,
                self.tabs,
            ]
        )
        self.widget.add_class("wb-app")
        self.widget._planner = self  # keeps the Planner alive as long as its widget is shown
        if dataset:
            self.load_dataset(dataset)

    def _wire(self) -> None:
        """Buttons to methods: every button does exactly what its method does."""
        d, c, f = self.data, self.controls, self.whatif
        d.load_button.on_click(lambda _: self.load_dataset(d.dataset_picker.value))
        d.upload.observe(self._on_upload, names="value")
        c.solve_button.on_click(lambda _: self.solve())
        c.stop_button.on_click(lambda _: self.stop())
        f.absent_button.on_click(lambda _: self.mark_absent(f.w_volunteer.value, f.w_from.value, f.w_to.value))
        f.w_limit_volunteer.observe(lambda _: self._fill_limits(), names="value")
        f.limits_button.on_click(lambda _: self._apply_limits_form())
        f.add_button.on_click(
            lambda _: self.add_request(f.w_citizen.value, f.w_activity.value, f.w_duration.value,
                                       f.w_per_week.value, f.w_mode.value, f.w_vetting.value)
        )
        f.remove_button.on_click(lambda _: self.remove_request(f.w_request.value))
        f.pin_button.on_click(lambda _: self._pin_selected())
        f.unpin_button.on_click(lambda _: self._unpin_selected())
        f.undo_button.on_click(lambda _: self.reset_edits())
        f.replan_button.on_click(lambda _: self.replan())
        f.replan_from.observe(self._on_replan_from, names="value")

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)

    @property
    def figures(self) -> dict[str, Any]:
        """The last figure of each view, by name (for tests and notebooks)."""
        named = {"calendar": self.calendar.figure, "map": self.map.figure, "districts": self.districts.figure,
                 "runs": self.runs.figure, "diff": self.whatif.figure, **self.supply.figures}
        return {k: v for k, v in named.items() if v is not None}

    # ------------------------------------------------------------------ loading

    def load_dataset(self, name: str) -> Scenario | None:
        """Load a bundled dataset by name; returns the scenario, or None with the problems shown."""
        return self._load(lambda: _load_dataset(name), name)

    def load_path(self, path: str | Path) -> Scenario | None:
        """Load a scenario folder or workbook from disk."""
        return self._load(lambda: _load_path(path), Path(path).name)

    def load_upload(self, filename: str, data: bytes) -> Scenario | None:
        """Load an uploaded ``.xlsx`` or ``.zip`` of CSVs (what the Upload button does)."""
        return self._load(lambda: scenario_from_upload(filename, bytes(data)), Path(filename).name)

    def _on_upload(self, change: dict[str, Any]) -> None:
        files = change["new"]
        if not files:
            return
        item = files[0]
        self.load_upload(item["name"], bytes(item["content"]))
        # Clear the upload so the same file can be uploaded again after fixing it.
        with contextlib.suppress(TraitError):
            self.data.upload.value = ()

    def _load(self, read: Callable[[], Scenario], label: str) -> Scenario | None:
        if self.solving:
            self.data.messages.value = message("warn", "A plan is being made: press <b>Stop</b> first.")
            return None
        self.data.messages.value = message("note", f"Reading {html.escape(label)}…")
        try:
            scenario = read()
        except InputError as error:
            self.data.messages.value = problems_html(error, f"{label} cannot be used yet.")
            return None
        except Exception as error:  # noqa: BLE001 - any unreadable file: say so plainly, never a traceback
            why = html.escape(str(error) or type(error).__name__)
            self.data.messages.value = message("error", f"<b>Could not read {html.escape(label)}:</b> {why}")
            return None
        self.state.set_scenario(scenario, label)  # the name the coordinator chose (dataset or file)
        self.whatif.reset_replan_from(scenario.settings)
        self.data.messages.value = warnings_html(scenario.warnings)
        self._clear_results()
        self._after_scenario_change()
        self.tabs.selected_index = 0
        return scenario

    def _clear_results(self) -> None:
        """New data: nothing of the old plan stays on screen as if it were theirs (its run stays under Runs)."""
        self.controls.clear()
        self.schedule.clear()
        self.calendar.clear()
        self.map.clear()
        self.districts.clear()
        self.unassigned.clear()
        self.whatif.clear()
        self.whatif.show_sessions(self.schedule.view)
        self.export.clear()

    def _after_scenario_change(self) -> None:
        s = self.state.scenario
        if s is None:
            return
        self.data.show_scenario(s, self.state.source, len(self.state.edits))
        self.supply.show(s)
        self.whatif.show_scenario(s, self.state.edits)

    def _on_replan_from(self, change: dict[str, Any]) -> None:
        self.state.replan_from = change["new"]

    # ------------------------------------------------------------------ solving

    def weights(self) -> dict[str, int]:
        """The weights as set on the sliders."""
        return self.controls.weights()

    def reset_weights(self) -> None:
        self.controls.reset_weights()

    @property
    def solving(self) -> bool:
        return self.runner.running

    def solve(
        self,
        method: str | None = None,
        time_limit: float | None = None,
        name: str | None = None,
        replan: bool = False,
        wait: bool = False,
    ) -> Run | None:
        """Start solving the current scenario in the background (what the Solve button does).

        ``replan``: pass the plan on screen as ``previous``, so every agreed session stays
        unless a change forces it to move, and show what changed and why; the day in the
        *Re-plan from* picker (if any) is passed as ``keep_before``. ``wait``: block until
        done and return the run.
        """
        if self.state.scenario is None:
            self.controls.note("error", "Load data first.")
            return None
        if self.solving:
            return None
        method = method or self.controls.method_picker.value
        limit = float(time_limit if time_limit is not None else self.controls.time_limit.value)
        base = self.state.current_run if replan else None
        keep_before = None
        self.whatif.message.value = ""  # an earlier edit's note or refusal does not apply to the new plan
        if replan and base is None:
            unused = " (the Re-plan from day is not used)" if self.state.replan_from else ""
            self.whatif.message.value = message("warn", f"There is no plan to keep yet: solving afresh{unused}.")
        elif base is not None:
            try:
                keep_before = period_day(self.state.replan_from, self.state.scenario.settings)
            except ValueError as error:
                self.whatif.message.value = message("error", html.escape(str(error)))
                return None
        self.last_run = None
        self._pending = {
            "name": name or self.controls.run_name.value.strip() or self.state.default_run_name(),
            "base": base,
            "edits": tuple(self.state.edits),
        }
        job = SolveJob(
            scenario=self.state.scenario,
            method=method,
            time_limit=limit,
            weights=self.weights(),
            previous=base.result.schedule if base is not None else None,
            keep_before=keep_before,
            quick_first=self.quick_first,
        )
        self.controls.busy(method)
        self.whatif.replan_button.disabled = True
        self.runner.start(job)
        if wait:
            self.runner.wait()
            return self.last_run
        return None

    def replan(
        self,
        name: str | None = None,
        wait: bool = False,
        *,
        keep_before: date | str | None = FROM_PICKER,
        **kwargs: Any,
    ) -> Run | None:
        """Solve again keeping the plan on screen (``previous``), then show what changed and why.

        ``keep_before``: re-plan from this day on: the plan's sessions before it stay
        exactly as they are and nothing new is planned before it (``workbench.solve``'s
        ``keep_before``). By default the day in the *Re-plan from* picker (empty: the
        whole period); a day given here is put in the picker, and None empties it. A day
        outside the period is refused with a message (and None is returned).
        """
        if keep_before is not FROM_PICKER:
            if self.state.scenario is None:
                self.controls.note("error", "Load data first.")
                return None
            try:
                day = period_day(keep_before, self.state.scenario.settings)
            except ValueError as error:
                self.whatif.message.value = message("error", html.escape(str(error)))
                return None
            self.whatif.replan_from.value = day
        return self.solve(name=name, replan=True, wait=wait, **kwargs)

    def stop(self) -> None:
        """End the running search; the best plan found so far is kept and shown."""
        self.runner.stop()
        self.controls.stopping()

    def wait(self, timeout: float | None = None) -> None:
        """Block until the running solve (if any) has finished."""
        self.runner.wait(timeout)

    # the runner's callbacks (called from its threads; widget traits may be set from any thread)

    def _on_draft(self, draft: Result) -> None:
        """The quick first plan: shown in the cards and the table while the optimiser improves on it."""
        job = self.runner.job
        assert job is not None
        self.controls.show_kpis(draft.kpis, message("note", "A quick first plan; the optimiser is improving it…"))
        self.controls.show_draft(float(draft.objective), float(draft.seconds))
        self.schedule.show(views.schedule_view(draft.schedule, job.scenario))
        if self.tabs.selected_index == 0:
            self.tabs.selected_index = 1

    def _on_progress(self, p: Progress) -> None:
        self.controls.show_progress(p)

    def _on_tick(self, seconds: float, limit: float) -> None:
        self.controls.tick(seconds, limit)

    def _on_finish(self, outcome: SolveOutcome) -> None:
        job, pending = outcome.job, self._pending
        self.whatif.replan_button.disabled = False
        if outcome.error is not None:
            self.controls.failed(self._failure_note(outcome.error))
            return
        result = outcome.result
        assert result is not None
        base: Run | None = pending["base"]
        diff = None
        if job.previous is not None:
            diff = compare.explain_changes(compare.diff_schedules(job.previous, result.schedule),
                                           result.forced)
        run = self.state.add_run(
            Run(name=pending["name"], result=result, scenario=job.scenario, weights=job.weights,
                edits=pending["edits"], based_on=base.name if base else None, diff=diff,
                keep_before=job.keep_before)
        )
        self.last_run = run
        try:
            self.show_run(run.name)
        except Exception as error:  # noqa: BLE001 - the plan is kept (under Runs) even if a view fails
            self.controls.failed(self._failure_note(error))
            return
        stopped = " (stopped early)" if outcome.stopped or result.interrupted else ""
        short = ""
        if result.kpis.get("baseline_cut_short") and not stopped:
            enough = math.ceil(minimum_seconds(job.scenario, baseline=True))
            short = (" · the time limit was too short even for the quick plan: "
                     + (f"about {enough} s let it finish, and " if enough > job.time_limit else "")
                     + "more time serves more people")
        # the buttons first, then "Done": whoever reacts to "Done" finds the app ready
        self.controls.done(
            f"Done{stopped}: <b>{html.escape(run.name)}</b> in {outcome.seconds:.1f} s, status "
            f"{html.escape(result.status)} · {html.escape(self._points_text(result))}{short}"
        )

    @staticmethod
    def _points_text(result: Result) -> str:
        bound = result.kpis.get("objective_bound", result.bound)
        text = f"{float(result.objective):,.0f} points"
        if isinstance(bound, (int, float)) and math.isfinite(bound):
            text += f" · {views.BOUND_LABEL}: {float(bound):,.0f}"
        return text

    @staticmethod
    def _failure_note(error: BaseException) -> str:
        if isinstance(error, InputError):
            return problems_html(error, "The data cannot be planned.")
        details = "".join(traceback.format_exception(error))
        return message(
            "error",
            f"<b>Solving failed:</b> {html.escape(str(error))}<details><summary>details for a programmer</summary>"
            f"<pre>{html.escape(details)}</pre></details>",
        )

    # ------------------------------------------------------------------ showing a plan

    def show_run(self, name: str) -> None:
        """Show a kept run: cards, table, calendar, map, unassigned, districts and its changes."""
        run = self.state.runs[name]
        self.state.current = name
        result = run.result
        edits = f" · what-if: {html.escape('; '.join(run.edits))}" if run.edits else ""
        if run.keep_before is not None:
            edits += f" · re-planned from {run.keep_before:%a %d %b}"
        self.controls.show_kpis(
            result.kpis,
            message("ok", f"Showing <b>{html.escape(name)}</b> ({html.escape(result.method)}, "
                          f"{result.seconds:.1f} s){edits}"),
        )
        view = views.schedule_view(result.schedule, run.scenario)
        self.schedule.show(view)
        self.calendar.show(run, view)
        self.map.show(run)
        self.unassigned.show(run)
        self.districts.show(run)
        self.whatif.show_changes(run)
        self.whatif.show_sessions(view)
        self.runs.show(self.state)
        volunteers = view.drop_duplicates("volunteer_id").sort_values("volunteer")
        self.export.show(run, list(zip(volunteers["volunteer"], volunteers["volunteer_id"])),
                         visible=self.tabs.selected_index == EXPORT_TAB)
        if self.tabs.selected_index in (0, None):
            self.tabs.selected_index = 1

    def _on_tab(self, change: dict[str, Any]) -> None:
        if change["new"] == EXPORT_TAB:
            self.export.opened()

    # ------------------------------------------------------------------ what-if edits

    def _edit(self, change: Callable[[Scenario], Scenario], description: str) -> bool:
        """Apply one of :mod:`workbench.scenario.edit`'s functions to the scenario being edited."""
        scenario = self.state.scenario
        if scenario is None:
            self.whatif.message.value = message("error", "Load data first.")
            return False
        try:
            changed = change(scenario)
        except edit.EditRefused as error:
            self.whatif.message.value = reasons_html(f"“{description}” is not possible:", error.reasons)
            return False
        except InputError as error:
            self.whatif.message.value = problems_html(error, f"“{description}” is not possible:")
            return False
        self.state.apply_edit(changed, description)
        self.whatif.message.value = edit_summary(description, len(self.state.edits))
        self._after_scenario_change()
        return True

    def _person(self, table: str, person_id: str) -> str:
        s = self.state.scenario
        if s is None:
            return str(person_id)
        frame = s.volunteers if table == "volunteers" else s.citizens
        key = "volunteer_id" if table == "volunteers" else "citizen_id"
        names = dict(zip(frame[key], frame["name"]))
        return person_label(names.get(person_id, ""), person_id)

    def mark_absent(self, volunteer_id: str, from_date: date | str | None, to_date: date | str | None = None) -> bool:
        """The volunteer is away from ``from_date`` to ``to_date`` (inclusive; default the same day)."""
        if not volunteer_id or from_date is None:
            self.whatif.message.value = message("error", "Choose a volunteer and the first day of the absence.")
            return False
        until = to_date or from_date
        return self._edit(lambda s: edit.mark_absent(s, volunteer_id, from_date, until),
                          f"{self._person('volunteers', volunteer_id)} absent {from_date} to {until}")

    def set_volunteer_limits(
        self,
        volunteer_id: str,
        *,
        max_sessions_per_week: float | None = None,
        max_minutes_per_week: float | None = None,
        max_travel_km: float | None = None,
    ) -> bool:
        """Change a volunteer's limits; ``None`` leaves one unchanged, ``math.inf`` means no limit."""
        limits = {"max_sessions_per_week": max_sessions_per_week, "max_minutes_per_week": max_minutes_per_week,
                  "max_travel_km": max_travel_km}
        changes = [f"{k.replace('_', ' ')} = {'no limit' if v == math.inf else f'{v:g}'}"
                   for k, v in limits.items() if v is not None]
        if not changes:
            self.whatif.message.value = message("warn", "No limit was changed.")
            return False
        return self._edit(lambda s: edit.set_volunteer_limits(s, volunteer_id, **limits),
                          f"{self._person('volunteers', volunteer_id)}: {', '.join(changes)}")

    def _fill_limits(self) -> None:
        if self.state.scenario is not None:
            self.whatif.fill_limits(self.state.scenario)

    def _apply_limits_form(self) -> None:
        values = self.whatif.limits_form()
        if isinstance(values, str):
            self.whatif.message.value = message("error", html.escape(values))
            return
        self.set_volunteer_limits(self.whatif.w_limit_volunteer.value, max_sessions_per_week=values[0],
                                  max_minutes_per_week=values[1], max_travel_km=values[2])

    def add_request(self, citizen_id: str, activity: str, *args: Any, request_id: str | None = None,
                    **details: Any) -> str | None:
        """Add a request with :func:`workbench.scenario.edit.add_request` (its arguments after the activity:
        minutes, sessions a week, mode, vetting; or a one-off's ``date`` and ``start``); returns its id
        (``new-1``, ``new-2``… unless given) or None if refused."""
        if self.state.scenario is None:
            return None
        rid = request_id or edit.next_request_id(self.state.scenario)
        try:
            changed = edit.add_request(self.state.scenario, citizen_id, activity, *args, request_id=rid, **details)
        except edit.EditRefused as error:
            self.whatif.message.value = reasons_html(f"“new request for {citizen_id}” is not possible:",
                                                     error.reasons)
            return None
        new = changed.requests.set_index("request_id").loc[rid]  # said as it was read, defaults included
        when = (f"{count(int(new['sessions_per_week']), 'session')} of {new['duration_min']} min a week"
                if new["date"] is None
                else f"{new['duration_min']} min on {views.appointment_text(new['date'], new['start'])}")
        description = (f"new request {rid}: {activity_name(new['activity'])} for "
                       f"{self._person('citizens', citizen_id)}, {when} ({mode_name(new['mode'])})")
        return rid if self._edit(lambda _: changed, description) else None

    def remove_request(self, request_id: str) -> bool:
        """Remove a request (and any pin of it, since a pin needs its request)."""
        s = self.state.scenario
        pins = int((s.pins["request_id"] == request_id).sum()) if s is not None else 0
        extra = f" and its {count(pins, 'pin')}" if pins else ""
        return self._edit(lambda s: edit.remove_request(s, request_id), f"request {request_id} removed{extra}")

    def pin_session(self, request_id: str, volunteer_id: str, day: date | str, start: int | str) -> bool:
        """Pin a session (it is agreed: every new plan must contain it exactly)."""
        when = start if isinstance(start, str) else f"{int(start) // 60:02d}:{int(start) % 60:02d}"
        return self._edit(lambda s: edit.pin_session(s, request_id, volunteer_id, day, start),
                          f"pinned {request_id} with {self._person('volunteers', volunteer_id)} on {day} at {when}")

    def unpin_session(self, request_id: str, day: date | str) -> bool:
        """Remove the pin of ``request_id`` on ``day``."""
        return self._edit(lambda s: edit.unpin_session(s, request_id, day), f"unpinned {request_id} on {day}")

    def _pin_selected(self) -> None:
        if not self.whatif.w_session.value:
            self.whatif.message.value = message("error", "Choose a planned session to pin.")
            return
        self.pin_session(*parse_choice(self.whatif.w_session.value))

    def _unpin_selected(self) -> None:
        if self.whatif.w_pin.value:
            self.unpin_session(*parse_choice(self.whatif.w_pin.value))

    def reset_edits(self) -> None:
        """Forget every what-if edit: back to the data as loaded."""
        self.state.reset_edits()
        self.whatif.message.value = message("ok", "All edits undone.")
        self._after_scenario_change()

    # ------------------------------------------------------------------ exports and plain-text views

    def save_exports(self, folder: str | Path, overwrite: bool = False) -> list[Path] | None:
        """Write every export of the plan on screen into ``folder`` (asks before overwriting; see
        :meth:`ExportPanel.save <workbench.ui.export_panel.ExportPanel.save>`)."""
        return self.export.save(folder, overwrite)

    def schedule_table(self) -> pd.DataFrame:
        """The schedule rows the table shows now (filters applied)."""
        return self.schedule.table()

    def kpi_text(self) -> str:
        """The KPI cards as plain text ("label: value" lines)."""
        run = self.state.current_run
        if run is None:
            return ""
        return "\n".join(f"{label}: {value}" for label, value, _ in views.kpi_cards(run.result.kpis))

    def message_text(self) -> str:
        """The messages under the data picker as plain text (input problems, warnings)."""
        return html_to_text(self.data.messages.value)


def planner(dataset: str | None = "demo", **kwargs: Any) -> w.Widget:
    """The planner app's widget, ready to display (``planner()`` as the last line of a cell)."""
    return Planner(dataset, **kwargs).widget
