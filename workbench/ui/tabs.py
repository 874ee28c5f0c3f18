"""The planner's result tabs, one class each: need and supply, schedule, calendar, map, unassigned,
districts and runs. Layout only: each builds its widgets and shows what it is given; the
figures and tables come from :mod:`workbench.views`."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import ipywidgets as w
import pandas as pd

from .. import views
from ..compare import compare_runs
from ..scenario.types import Scenario
from ..words import WEEK_NOTE, count
from .messages import figure_output, message
from .state import PlannerState, Run

#: The value of an "all" / "every volunteer" option. Not None: a Dropdown whose value is None shows
#: no selection at all (a blank box), even when None is one of its options.
ALL = ""


def set_options(dropdown: w.Dropdown, options: Sequence[tuple[str, Any]]) -> None:
    """New options for ``dropdown``, keeping the chosen value when it is still offered, else the first
    option; never a blank box (the index always points at an option). Unchanged options are left alone,
    so observers of the value hear nothing."""
    options = list(options) or [("–", ALL)]
    if [tuple(o) for o in dropdown.options] == [tuple(o) for o in options]:
        return
    keep = dropdown.value
    values = [value for _, value in options]
    dropdown.options = options  # resets the index to 0
    if keep in values and values.index(keep) != 0:
        dropdown.index = values.index(keep)


class SupplyTab:
    """Before planning: what is needed and who could do it, per activity, language and district."""

    def __init__(self) -> None:
        self.html = w.HTML()
        self.out = w.Output()
        self.tables: dict[str, pd.DataFrame] = {}
        self.figures: dict[str, Any] = {}
        self.widget = w.VBox([self.html, self.out])

    def show(self, scenario: Scenario) -> None:
        self.tables = views.supply_demand(scenario)
        parts = [
            '<p class="wb-note">Before planning: what is needed and who could do it. Volunteer hours are the hours '
            "they are free (after absences, within their weekly limit); one volunteer counts for every activity "
            "and language they offer.</p>"
        ]
        for key, title in (("activity", "Per activity"), ("language", "Per language"), ("district", "Per district")):
            parts.append(f"<h4>{title}</h4>" + views.table_html(self.tables[key], f"wb-supply-{key}", max_rows=None))
        self.html.value = "".join(parts)
        self.figures = {
            "supply_activity": views.supply_demand_figure(self.tables["activity"], "activity"),
            "supply_district": views.supply_demand_figure(self.tables["district"], "district"),
        }
        self.out.outputs = tuple(figure_output(f) for f in self.figures.values())


class ScheduleTab:
    """Every session with names, filtered by volunteer, district, date, mode or free text."""

    COLUMNS = ("date", "day", "start", "end", "volunteer", "citizen", "activity", "mode", "district")

    def __init__(self) -> None:
        layout = w.Layout(width="260px")
        every = [("all", ALL)]
        self.f_volunteer = w.Dropdown(options=every, value=ALL, description="Volunteer", layout=layout)
        self.f_district = w.Dropdown(options=every, value=ALL, description="District", layout=layout)
        self.f_day = w.Dropdown(options=every, value=ALL, description="Date", layout=layout)
        self.f_mode = w.Dropdown(
            options=[("all", ALL), *((label, label) for label in views.MODE_LABELS.values())],
            value=ALL, description="Mode", layout=layout,
        )
        for f in (self.f_volunteer, self.f_district, self.f_day, self.f_mode):
            f.add_class("wb-filter")
        self.f_text = w.Text(placeholder="search anything", continuous_update=False, layout=w.Layout(width="200px"))
        self.count = w.HTML()
        self.html = w.HTML(views.table_html(pd.DataFrame(), "wb-schedule", empty="No plan yet."))
        self.view = pd.DataFrame(columns=list(views.SCHEDULE_VIEW_COLUMNS))
        self._quiet = False  # while the filters' options change, render once at the end, not per change
        for f in (self.f_volunteer, self.f_district, self.f_day, self.f_mode, self.f_text):
            f.observe(lambda _: None if self._quiet else self.render(), names="value")
        self.widget = w.VBox(
            [
                w.HBox([self.f_volunteer, self.f_district, self.f_day]),
                w.HBox([self.f_mode, self.f_text, self.count]),
                self.html,
            ]
        )

    def show(self, view: pd.DataFrame) -> None:
        """Show :func:`workbench.views.schedule_view`'s table; the filters offer what it holds."""
        self.view = view
        vols = view.drop_duplicates("volunteer_id").sort_values("volunteer")
        self._quiet = True
        try:
            set_options(self.f_volunteer, [("all", ALL), *zip(vols["volunteer"], vols["volunteer_id"])])
            set_options(self.f_district, [("all", ALL)] + [(d or "(none)", d) for d in sorted(set(view["district"]))
                                                           if d != ALL])
            set_options(self.f_day, [("all", ALL)] + [(f"{dd} {d}", d) for d, dd in sorted(set(zip(view["date"],
                                                                                                   view["day"])))])
        finally:
            self._quiet = False
        self.render()

    def clear(self) -> None:
        self.show(pd.DataFrame(columns=list(views.SCHEDULE_VIEW_COLUMNS)))

    def table(self) -> pd.DataFrame:
        """The rows the table shows now (filters applied)."""
        return views.filter_schedule(
            self.view,
            volunteer=self.f_volunteer.value or None,
            district=self.f_district.value or None,
            day=self.f_day.value or None,
            mode=self.f_mode.value or None,
            text=self.f_text.value,
        )

    def render(self) -> None:
        shown = self.table()
        self.count.value = f'<span class="wb-note">{len(shown)} of {count(len(self.view), "session")}</span>'
        self.html.value = views.table_html(
            shown[list(self.COLUMNS)],
            "wb-schedule",
            max_rows=500,
            empty="No sessions match." if len(self.view) else "No plan yet.",
        )


class CalendarTab:
    """The plan as a calendar: every volunteer across the period, or one volunteer's diary."""

    def __init__(self) -> None:
        self.picker = w.Dropdown(
            options=[("every volunteer", ALL)], value=ALL, description="Calendar of", layout=w.Layout(width="360px")
        )
        self.picker.add_class("wb-calendar-picker")
        self.out = w.Output()
        self.figure: Any = None
        self._run: Run | None = None
        self._quiet = False  # while the options change, render once at the end
        self.picker.observe(lambda _: None if self._quiet else self.render(), names="value")
        self.widget = w.VBox([self.picker, self.out])

    def show(self, run: Run, view: pd.DataFrame) -> None:
        self._run = run
        vols = view.drop_duplicates("volunteer_id").sort_values("volunteer")
        self._quiet = True
        try:
            set_options(self.picker, [("every volunteer", ALL), *zip(vols["volunteer"], vols["volunteer_id"])])
        finally:
            self._quiet = False
        self.render()

    def clear(self) -> None:
        self._run = None
        set_options(self.picker, [("every volunteer", ALL)])
        self.out.outputs = ()

    def render(self) -> None:
        if self._run is None:
            return
        self.figure = views.gantt_figure(self._run.result.schedule, self._run.scenario, self.picker.value or None)
        self.out.outputs = (figure_output(self.figure),)


class FigureTab:
    """A tab holding one figure (the map, the districts)."""

    def __init__(self, build: Callable[[Run], Any]) -> None:
        self.build = build
        self.out = w.Output()
        self.figure: Any = None
        self.widget = self.out

    def show(self, run: Run) -> None:
        self.figure = self.build(run)
        self.out.outputs = (figure_output(self.figure),)

    def clear(self) -> None:
        self.figure = None
        self.out.outputs = ()


class UnassignedTab:
    """The sessions that could not be planned, most urgent citizens first, with the reason (and, for a
    fixed-time request, its appointment)."""

    COLUMNS = ("citizen", "district", "priority", "activity", "appointment", "week", "missing", "reason")

    def __init__(self) -> None:
        self.html = w.HTML()
        self.table = pd.DataFrame(columns=list(views.UNASSIGNED_VIEW_COLUMNS))
        self.widget = self.html

    def show(self, run: Run) -> None:
        self.table = views.unassigned_view(run.result.unassigned, run.scenario)
        missing = int(self.table["missing"].sum()) if len(self.table) else 0
        could = "session could" if missing == 1 else "sessions could"
        self.html.value = (
            f'<p class="wb-note">{missing:,} {could} not be planned, most urgent citizens first; the reason says '
            f"what is lacking, next to the appointment of a fixed-time request. Weeks are counted from 1 "
            f"({WEEK_NOTE}).</p>"
            + views.table_html(self.table[list(self.COLUMNS)], "wb-unassigned",
                               empty="Every demanded session is planned.")
        )

    def clear(self) -> None:
        self.table = pd.DataFrame(columns=list(views.UNASSIGNED_VIEW_COLUMNS))
        self.html.value = ""


class RunsTab:
    """Every plan made so far, side by side, and a way to show an earlier one again."""

    def __init__(self, on_show: Callable[[str], None]) -> None:
        self.html = w.HTML(message("note", "No runs yet."))
        self.out = w.Output()
        self.picker = w.Dropdown(options=[], description="Show run", layout=w.Layout(width="320px"))
        self.show_button = w.Button(description="Show", icon="eye")
        self.show_button.on_click(lambda _: on_show(self.picker.value) if self.picker.value else None)
        self.compared = pd.DataFrame()
        self.figure: Any = None
        self.widget = w.VBox([self.html, self.out, w.HBox([self.picker, self.show_button])])

    def show(self, state: PlannerState) -> None:
        self.compared = compare_runs({name: run.result for name, run in state.runs.items()})
        self.html.value = views.table_html(
            views.runs_table(self.compared).reset_index(), "wb-runs", empty="No runs yet."
        )
        self.figure = views.runs_figure(self.compared)
        self.out.outputs = (figure_output(self.figure),)
        set_options(self.picker, [(name, name) for name in state.runs])
        if state.current in state.runs:
            self.picker.value = state.current
