"""The What-if tab: forms for the scenario edits, Re-plan (from a day), and the changes to call about.

Layout only: the forms' buttons are wired by the controller to
:mod:`workbench.scenario.edit`'s functions; this class fills the forms' choices and
shows a re-plan's changes with the reason each agreed session had to move.
"""

from __future__ import annotations

import html
import math
from datetime import date, datetime
from typing import Any

import ipywidgets as w
import pandas as pd

from .. import views
from ..compare import summarize_diff
from ..scenario.types import Scenario, Settings
from ..timeutil import format_time
from ..words import activity_name, count, day_label, person_label
from .messages import figure_output, message
from .state import Run
from .tabs import ALL, set_options

FORM_TITLES = (
    "A volunteer is absent",
    "Change a volunteer's limits",
    "Add a request",
    "Remove a request",
    "Pin or unpin a session",
)


class WhatIfTab:
    """Edit forms, the edits in force, Re-plan with its *Re-plan from* day, and what the re-plan changed."""

    def __init__(self) -> None:
        style = {"description_width": "130px"}
        lay = w.Layout(width="420px")
        self.w_volunteer = w.Dropdown(options=[("–", ALL)], description="Volunteer", style=style, layout=lay)
        self.w_from = w.DatePicker(description="Absent from", style=style)
        self.w_to = w.DatePicker(description="until (incl.)", style=style)
        self.absent_button = w.Button(description="Mark absent", icon="user-times")

        self.w_limit_volunteer = w.Dropdown(options=[("–", ALL)], description="Volunteer", style=style, layout=lay)
        self.w_max_sessions = w.Text(description="sessions / week", placeholder="empty = no limit", style=style)
        self.w_max_minutes = w.Text(description="minutes / week", placeholder="empty = no limit", style=style)
        self.w_max_km = w.Text(description="max travel km", placeholder="empty = no limit", style=style)
        self.limits_button = w.Button(description="Change limits", icon="sliders")

        self.w_citizen = w.Dropdown(options=[("–", ALL)], description="Citizen", style=style, layout=lay)
        self.w_activity = w.Dropdown(options=[("–", ALL)], description="Activity", style=style)
        self.w_duration = w.BoundedIntText(value=60, min=5, max=600, step=5, description="minutes", style=style)
        self.w_per_week = w.BoundedIntText(value=1, min=1, max=7, description="sessions / week", style=style)
        self.w_mode = w.Dropdown(
            options=[("in person", "in_person"), ("phone", "phone"), ("in person or phone", "either")],
            description="Mode", style=style,
        )
        self.w_vetting = w.Checkbox(description="needs a vetted volunteer")
        self.add_button = w.Button(description="Add request", icon="plus")

        self.w_request = w.Dropdown(options=[("–", ALL)], description="Request", style=style,
                                    layout=w.Layout(width="560px"))
        self.remove_button = w.Button(description="Remove request", icon="trash")

        self.w_session = w.Dropdown(options=[("no plan yet", ALL)], description="Planned session", style=style,
                                    layout=w.Layout(width="640px"))
        self.pin_button = w.Button(description="Pin (agreed)", icon="thumb-tack")
        self.w_pin = w.Dropdown(options=[("no pins", ALL)], description="Pinned session", style=style,
                                layout=w.Layout(width="640px"))
        self.unpin_button = w.Button(description="Unpin", icon="times")

        self.forms = w.Accordion(
            children=[
                w.VBox([self.w_volunteer, w.HBox([self.w_from, self.w_to]), self.absent_button]),
                w.VBox([self.w_limit_volunteer, self.w_max_sessions, self.w_max_minutes, self.w_max_km,
                        self.limits_button]),
                w.VBox([self.w_citizen, w.HBox([self.w_activity, self.w_duration]),
                        w.HBox([self.w_per_week, self.w_mode]), self.w_vetting, self.add_button]),
                w.VBox([self.w_request, self.remove_button]),
                w.VBox([w.HBox([self.w_session, self.pin_button]), w.HBox([self.w_pin, self.unpin_button])]),
            ]
        )
        for i, title in enumerate(FORM_TITLES):
            self.forms.set_title(i, title)
        self.forms.selected_index = None

        self.edits_html = w.HTML()
        self.message = w.HTML()
        self.message.add_class("wb-whatif-message")
        self.undo_button = w.Button(description="Undo all edits", icon="undo")
        self.replan_button = w.Button(
            description="Re-plan", button_style="primary", icon="refresh",
            tooltip="Solve again, keeping the agreed plan on screen except where a change forces a move",
        )
        self.replan_button.add_class("wb-replan")
        self.replan_from = w.DatePicker(description="Re-plan from", style={"description_width": "initial"})
        self.replan_from.add_class("wb-replan-from")
        self.replan_from_help = w.HTML(self.replan_from_text(None))
        self.diff_html = w.HTML()
        self.diff_out = w.Output()
        self.calls_html = w.HTML()
        self.calls = pd.DataFrame(columns=list(views.CALLS_COLUMNS))
        self.figure: Any = None
        self.widget = w.VBox(
            [
                w.HTML(
                    '<span class="wb-note">Change the data, then <b>Re-plan</b>: every agreed session of the plan '
                    "on screen stays exactly as it is unless a change you made forces it to move, and the list "
                    "below says whom to call and why.</span>"
                ),
                self.forms,
                self.message,
                self.edits_html,
                w.HBox([self.replan_from, self.replan_button, self.undo_button]),
                self.replan_from_help,
                self.diff_html,
                self.diff_out,
                self.calls_html,
            ]
        )

    # ------------------------------------------------------------------ the forms' choices

    def show_scenario(self, scenario: Scenario, edits: list[str]) -> None:
        """Fill the forms' dropdowns from ``scenario`` (people as "name (id)", activities in words)."""
        vols = views.people_options(scenario.volunteers, "volunteer_id")
        set_options(self.w_volunteer, vols)
        set_options(self.w_limit_volunteer, vols)
        self.fill_limits(scenario)
        set_options(self.w_citizen, views.people_options(scenario.citizens, "citizen_id"))
        activities = sorted({a for t in scenario.volunteers["skills"] for a in t} | set(scenario.requests["activity"]))
        set_options(self.w_activity, [(activity_name(a), a) for a in activities])
        citizens = dict(zip(scenario.citizens["citizen_id"], scenario.citizens["name"]))
        requests = [
            (f"{r} – {person_label(citizens.get(c, ''), c)} – {activity_name(a)}", r)
            for r, c, a in zip(scenario.requests["request_id"], scenario.requests["citizen_id"],
                               scenario.requests["activity"])
        ]
        set_options(self.w_request, requests or [("no requests", ALL)])
        volunteers = dict(zip(scenario.volunteers["volunteer_id"], scenario.volunteers["name"]))
        pins = [
            (f"{day_label(p.date)} {format_time(int(p.start))} {p.request_id} with "
             f"{person_label(volunteers.get(p.volunteer_id, ''), p.volunteer_id)}", f"{p.request_id}|{p.date}")
            for p in scenario.pins.itertuples(index=False)
        ]
        set_options(self.w_pin, pins or [("no pins", ALL)])
        if self.w_from.value is None:
            self.w_from.value = scenario.settings.start_date
        self.edits_html.value = (
            "<b>Edits in force:</b><ol>" + "".join(f"<li>{html.escape(e)}</li>" for e in edits) + "</ol>"
            if edits
            else '<span class="wb-note">No edits: the data as loaded.</span>'
        )

    def fill_limits(self, scenario: Scenario) -> None:
        vid = self.w_limit_volunteer.value
        if not vid:
            return
        row = scenario.volunteers[scenario.volunteers["volunteer_id"] == vid].iloc[0]

        def shown(v: Any) -> str:
            return "" if float(v) == math.inf else f"{float(v):g}"

        self.w_max_sessions.value = shown(row["max_sessions_per_week"])
        self.w_max_minutes.value = shown(row["max_minutes_per_week"])
        self.w_max_km.value = shown(row["max_travel_km"])

    def limits_form(self) -> tuple[float, float, float] | str:
        """The three limits typed in the form (empty = no limit), or what is wrong with one, in words."""
        values = []
        for box in (self.w_max_sessions, self.w_max_minutes, self.w_max_km):
            text = box.value.strip()
            try:
                values.append(math.inf if not text else float(text.replace(",", ".")))
            except ValueError:
                return f"“{text}” is not a number ({box.description})."
        return values[0], values[1], values[2]

    def show_sessions(self, view: pd.DataFrame) -> None:
        """The plan's sessions as choices to pin."""
        options = [
            (f"{day} {d} {s}–{e} {vol} → {c} ({r})", f"{r}|{vid}|{d}|{s}")
            for d, day, s, e, vol, c, r, vid in zip(view["date"], view["day"], view["start"], view["end"],
                                                    view["volunteer"], view["citizen"], view["request_id"],
                                                    view["volunteer_id"])
        ]
        set_options(self.w_session, options or [("no plan yet", ALL)])

    # ------------------------------------------------------------------ the Re-plan from day

    def reset_replan_from(self, settings: Settings) -> None:
        """New data: the picker is empty (the whole period) and offers only the new data's days."""
        picker = self.replan_from
        picker.value = None
        picker.min = picker.max = None  # the old limits may exclude the new days
        picker.min, picker.max = settings.start_date, settings.end_date
        # said in words too: not every browser greys out the days outside min and max
        self.replan_from_help.value = self.replan_from_text(settings)

    @staticmethod
    def replan_from_text(settings: Settings | None) -> str:
        period = (
            f" (a day from {settings.start_date:%a %d %b} to {settings.end_date:%a %d %b})" if settings is not None
            else ""
        )
        return (
            f'<span class="wb-note"><b>Re-plan from</b>{period} when the plan is already under way: the '
            "agreed sessions before that day have happened (or are too close to change), so they stay exactly as "
            "they are and nothing new is planned before it. Leave it empty to re-plan the whole period.</span>"
        )

    # ------------------------------------------------------------------ what a re-plan changed

    def show_changes(self, run: Run) -> None:
        """The re-plan's changes against the plan it started from: counts, a chart, and whom to call and why."""
        if run.diff is None:
            self.diff_html.value = message(
                "note",
                f"<b>{html.escape(run.name)}</b> was planned afresh. Make a change above and press "
                "<b>Re-plan</b> to see what changes.",
            )
            self.diff_out.outputs = ()
            self.calls_html.value = ""
            self.calls = pd.DataFrame(columns=list(views.CALLS_COLUMNS))
            return
        counts = summarize_diff(run.diff)
        text = ", ".join(f"{n:,} {s}" for s, n in counts.items())
        kind, kept_note = "ok", ""
        if run.keep_before is not None:
            kept = views.kept_before(run.diff, run.keep_before)
            kind = "warn" if kept["changed"] else "ok"
            kept_note = (f'<br><span class="wb-kept-before">'
                         f'{html.escape(views.replan_from_text(run.diff, run.keep_before))}</span>')
        self.diff_html.value = message(
            kind,
            f"<b>{html.escape(run.name)}</b> against <b>{html.escape(str(run.based_on))}</b>: {text}.{kept_note}",
        )
        self.figure = views.diff_figure(run.diff)
        self.diff_out.outputs = (figure_output(self.figure),)
        self.calls = views.calls_view(run.diff, run.scenario)
        self.calls_html.value = (
            "<h4>Changes to call about</h4>"
            f'<p class="wb-changes">{html.escape(views.changes_text(run.diff))}</p>'
            + views.table_html(self.calls, "wb-calls", empty="Nothing changed: nobody needs a call.")
        )

    def clear(self) -> None:
        self.diff_html.value = ""
        self.diff_out.outputs = ()
        self.calls_html.value = ""
        self.calls = pd.DataFrame(columns=list(views.CALLS_COLUMNS))
        self.message.value = ""


def parse_choice(value: str) -> list[str]:
    """The parts of a dropdown value packed as ``a|b|c`` (ids and ISO dates hold no ``|``)."""
    return str(value).split("|")


def edit_summary(description: str, n_edits: int) -> str:
    """The note after an edit was applied."""
    return message(
        "ok",
        f"Done: {html.escape(description)}. {count(n_edits, 'edit')} in force; press <b>Re-plan</b> when you "
        "have made all changes.",
    )


def period_day(value: date | str | None, settings: Settings) -> date | None:
    """``value`` as a day of the loaded data's period (None stays None); ValueError, in words, outside it."""
    if value is None:
        return None
    if isinstance(value, datetime):  # also pandas Timestamps
        value = value.date()
    elif not isinstance(value, date):
        try:
            value = date.fromisoformat(str(value).strip()[:10])
        except ValueError:
            raise ValueError(f"“{value}” is not a date (YYYY-MM-DD).") from None
    if not settings.start_date <= value <= settings.end_date:
        raise ValueError(
            f"{value:%a %d %b %Y} is outside the planning period ({settings.start_date:%a %d %b} to "
            f"{settings.end_date:%a %d %b %Y}): choose a day inside it, or none to re-plan the whole period."
        )
    return value
