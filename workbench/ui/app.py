"""The planner app: one ipywidgets page for a coordinator (in a notebook or served by Voilà).

Load data → look at need and supply → Solve (in a background thread, with live
progress and a Stop button) → look at the plan → change something (what-if) →
re-plan close to the current plan → see whom to call → compare runs → export.

Every figure and rule comes from the package (``workbench.solve``, ``Result.kpis``,
``Scenario.replace``, ``workbench.compare``, ``workbench.export``); this module only
wires widgets to them. Figures are built by :mod:`workbench.ui.views`.
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import html
import io
import json
import math
import tempfile
import threading
import time
import traceback
import zipfile
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any

import ipywidgets as w
import pandas as pd
import plotly.io as pio
from traitlets import TraitError

import workbench

from .. import compare
from ..errors import InputError, Problem
from ..objective import Weights
from ..scenario import edit
from ..scenario.types import Scenario
from . import views
from .state import PlannerState, Run

# Short explanations shown next to the weight sliders (see workbench/objective.py for the full story).
WEIGHT_HELP = {
    "continuity": "same volunteer for a citizen week after week",
    "preferred": "the volunteer the citizen asked for",
    "interests": "volunteer and citizen share interests",
    "travel": "less travelling (penalty per km)",
    "fair_load": "spread the work fairly",
    "equity": "lift the worst-served district",
    "stability": "when re-planning: keep agreed sessions",
}

TAB_TITLES = (
    "Need & supply",
    "Schedule",
    "Calendar",
    "Map",
    "Unassigned",
    "Districts",
    "What-if",
    "Runs",
    "Export",
)
EXPORT_TAB = TAB_TITLES.index("Export")


class _FromPicker:
    """The default of :meth:`Planner.replan`'s ``keep_before``: the day in the *Re-plan from* picker."""

    def __repr__(self) -> str:
        return "<the Re-plan from picker's day>"


FROM_PICKER: Any = _FromPicker()

CSS = """
<style>
.wb-app { font-family: system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif; }
.wb-title { font-size: 1.5em; font-weight: 600; margin: 4px 0; }
.wb-kpis { display: flex; flex-wrap: wrap; gap: 10px; margin: 6px 0; }
.wb-kpi { border: 1px solid #e0e0e0; border-radius: 8px; padding: 8px 12px; min-width: 130px;
          background: #fafafa; }
.wb-kpi-label { font-size: 0.8em; color: #616161; text-transform: uppercase; letter-spacing: .03em; }
.wb-kpi-value { font-size: 1.6em; font-weight: 600; color: #1b5e20; }
.wb-kpi-hint { font-size: 0.75em; color: #757575; }
.wb-scroll { max-height: 460px; overflow: auto; border: 1px solid #eee; }
.wb-table { border-collapse: collapse; font-size: 0.85em; width: 100%; }
.wb-table th { position: sticky; top: 0; background: #eceff1; text-align: left; padding: 4px 8px; }
.wb-table td { padding: 3px 8px; border-top: 1px solid #eee; white-space: nowrap; }
.wb-table td:last-child { white-space: normal; }
.wb-error { background: #ffebee; border-left: 4px solid #c62828; padding: 8px 12px; margin: 6px 0; }
.wb-warn { background: #fff8e1; border-left: 4px solid #f9a825; padding: 8px 12px; margin: 6px 0; }
.wb-ok { background: #e8f5e9; border-left: 4px solid #2e7d32; padding: 8px 12px; margin: 6px 0; }
.wb-note { color: #616161; font-size: 0.85em; }
.wb-empty { color: #757575; font-style: italic; }
.wb-downloads a { display: inline-block; margin: 4px 10px 4px 0; padding: 6px 10px; border-radius: 4px;
                  background: #1565c0; color: white; text-decoration: none; }
</style>
"""


# --------------------------------------------------------------------------- messages


def problems_html(error: InputError, intro: str) -> str:
    """Every problem of an InputError as a readable table (file, row, column, what is wrong)."""
    rows = []
    for p in error.problems:
        what = p.message
        if p.value is not None:
            what += f" (found “{p.value}”" + (f"; expected {p.expected})" if p.expected else ")")
        elif p.expected:
            what += f" (expected {p.expected})"
        rows.append(
            {
                "file / sheet": p.file,
                "row": "" if p.row is None else p.row,
                "column": p.column or "",
                "what is wrong": what,
            }
        )
    table = views.table_html(pd.DataFrame(rows), "wb-problems", max_rows=200)
    return (
        f'<div class="wb-error"><b>{html.escape(intro)}</b> {len(error.problems)} problem(s) found; '
        f"fix them in the spreadsheet and try again.{table}</div>"
    )


def _message(kind: str, text: str) -> str:
    return f'<div class="wb-{kind}">{text}</div>'


def _warnings_html(warnings: tuple[str, ...] | list[Problem]) -> str:
    if not warnings:
        return ""
    items = "".join(f"<li>{html.escape(str(x))}</li>" for x in warnings)
    return _message(
        "warn",
        f"<details><summary>{len(warnings)} thing(s) to know about this data</summary>"
        f"<ul>{items}</ul></details>",
    )


# --------------------------------------------------------------------------- reading uploads


def scenario_from_upload(filename: str, data: bytes) -> Scenario:
    """Load an uploaded ``.xlsx`` workbook or ``.zip`` of CSV files with :func:`workbench.load`.

    The zip may hold the files at its top or inside one folder, or hold one workbook.
    Raises :class:`InputError` (with every problem) for invalid content, and for a file
    that is neither kind.
    """
    name = Path(filename).name or "upload"
    suffix = Path(name).suffix.lower()
    with tempfile.TemporaryDirectory(prefix="workbench-upload-") as tmp:
        root = Path(tmp)
        if suffix in (".xlsx", ".xlsm"):
            target = root / name
            target.write_bytes(data)
            return workbench.load(target)
        if suffix != ".zip":
            raise InputError(
                [Problem(name, "is neither an Excel workbook (.xlsx) nor a zip of CSV files (.zip)")]
            )
        try:
            archive = zipfile.ZipFile(io.BytesIO(data))
        except zipfile.BadZipFile:
            raise InputError([Problem(name, "is not a readable zip file")]) from None
        folder = root / Path(name).stem  # the folder's name becomes the scenario's default name
        folder.mkdir()
        with archive:
            for member in archive.infolist():
                parts = Path(member.filename).parts
                if member.is_dir() or not parts or "__MACOSX" in parts or parts[-1].startswith("."):
                    continue
                target = (folder / member.filename).resolve()
                if not target.is_relative_to(folder.resolve()):  # a crafted zip must not write elsewhere
                    raise InputError([Problem(name, f"holds an unsafe path {member.filename!r}")])
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(archive.read(member))
        tomls = sorted(folder.rglob("scenario.toml"))
        if len(tomls) == 1:
            return workbench.load(tomls[0].parent)
        books = sorted(folder.rglob("*.xlsx"))
        if not tomls and len(books) == 1:
            return workbench.load(books[0])
        if len(tomls) > 1:
            raise InputError(
                [Problem(name, "holds several scenarios (scenario.toml files); upload one at a time")]
            )
        return workbench.load(folder)  # reports every missing file


# --------------------------------------------------------------------------- the app


def _figure_output(fig: Any) -> dict[str, Any]:
    """A display_data output with plotly's own mimetype: JupyterLab and Voilà render it with the
    plotly.js bundled in the jupyterlab-plotly extension, so no CDN is needed."""
    spec = json.loads(pio.to_json(fig, validate=False))
    spec.setdefault("config", {})["displaylogo"] = False
    return {
        "output_type": "display_data",
        "metadata": {},
        "data": {"application/vnd.plotly.v1+json": spec, "text/plain": "<plotly figure>"},
    }


def _data_link(filename: str, data: bytes, mime: str, label: str) -> str:
    encoded = base64.b64encode(data).decode("ascii")
    return (
        f'<a download="{html.escape(filename)}" href="data:{mime};base64,{encoded}">'
        f"⬇ {html.escape(label)}</a>"
    )


class Planner:
    """The planner app. Display it (``display(planner)`` or ``planner.widget``) or drive it from code.

    Every button has a method doing the same, so notebooks and tests can use the app
    without clicking: :meth:`load_dataset`, :meth:`load_upload`, :meth:`solve`,
    :meth:`stop`, :meth:`mark_absent`, :meth:`set_volunteer_limits`, :meth:`add_request`,
    :meth:`remove_request`, :meth:`pin_session`, :meth:`unpin_session`, :meth:`replan`
    (``keep_before=`` is the *Re-plan from* picker), :meth:`save_exports`.
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
        self.figures: dict[str, Any] = {}  # last figure of each view, by name (for tests and notebooks)
        self.quick_first = quick_first
        self._thread: threading.Thread | None = None
        self._stop_event = threading.Event()
        self._progress: list[tuple[float, float, float | None]] = []
        self._schedule_view = pd.DataFrame(columns=list(views.SCHEDULE_VIEW_COLUMNS))
        self._pending_overwrite: Path | None = None
        self._downloads_stale = True
        self.last_run: Run | None = None  # the run the last solve produced (None if it failed)
        # Exports go outside the repository by default, where a coordinator finds them.
        self._build(time_limit, method, export_folder or str(Path.home() / "workbench-exports"))
        if dataset:
            self.load_dataset(dataset)

    # ------------------------------------------------------------------ layout

    def _build(self, time_limit: float, method: str, export_folder: str) -> None:
        import workbench.datasets as bundled  # explicit submodule import: safe whatever the package exports

        names = bundled.names()
        self.dataset_picker = w.Dropdown(
            options=names,
            value="demo" if "demo" in names else (names or [None])[0],
            description="Dataset",
            layout=w.Layout(width="260px"),
        )
        self.load_button = w.Button(description="Load", icon="folder-open", tooltip="Load the chosen dataset")
        self.upload = w.FileUpload(
            accept=".xlsx,.zip",
            multiple=False,
            description="Upload .xlsx / .zip",
            layout=w.Layout(width="200px"),
        )
        self.source_label = w.HTML()
        self.messages = w.HTML()
        self.load_button.on_click(lambda _: self.load_dataset(self.dataset_picker.value))
        self.upload.observe(self._on_upload, names="value")

        self.method_picker = w.ToggleButtons(
            options=[("Optimiser (CP-SAT)", "cpsat"), ("Quick (greedy)", "greedy")],
            value=method,
            tooltips=["best plan within the time limit", "a fast rule-of-thumb plan"],
        )
        self.time_limit = w.FloatSlider(
            value=time_limit,
            min=1,
            max=120,
            step=1,
            description="Time limit (s)",
            readout_format=".0f",
            style={"description_width": "initial"},
        )
        self.run_name = w.Text(placeholder="name of this run (optional)", layout=w.Layout(width="220px"))
        self.solve_button = w.Button(
            description="Solve",
            button_style="primary",
            icon="play",
            tooltip="Make a plan with the current data and weights",
        )
        self.stop_button = w.Button(
            description="Stop",
            button_style="danger",
            icon="stop",
            disabled=True,
            tooltip="End the search now and keep the best plan so far",
        )
        self.solve_button.add_class("wb-solve")
        self.stop_button.add_class("wb-stop")
        self.solve_button.on_click(lambda _: self.solve())
        self.stop_button.on_click(lambda _: self.stop())
        self.progress_bar = w.FloatProgress(value=0, min=0, max=1, layout=w.Layout(width="220px"))
        self.progress_label = w.HTML()
        self.progress_label.add_class("wb-progress")
        self.progress_chart = w.HTML(views.progress_svg([]), layout=w.Layout(display="none"))

        defaults = Weights()
        self.weight_sliders: dict[str, w.IntSlider] = {}
        rows = []
        for f in dataclasses.fields(Weights):
            value = int(getattr(defaults, f.name))
            slider = w.IntSlider(
                value=value,
                min=0,
                max=max(100, 2 * value),
                description=f.name.replace("_", " "),
                style={"description_width": "110px"},
                layout=w.Layout(width="380px"),
            )
            self.weight_sliders[f.name] = slider
            rows.append(
                w.HBox([slider, w.HTML(f'<span class="wb-note">{WEIGHT_HELP.get(f.name, "")}</span>')])
            )
        reset = w.Button(description="Default weights", icon="undo")
        reset.on_click(lambda _: self.reset_weights())
        weights_box = w.VBox(
            [
                w.HTML(
                    '<span class="wb-note">First the plan serves as many sessions as possible '
                    "(urgent citizens first); these weights only choose among such plans.</span>"
                ),
                *rows,
                reset,
            ]
        )
        settings = w.Accordion(children=[w.VBox([self.method_picker, self.time_limit]), weights_box])
        settings.set_title(0, "Method and time limit")
        settings.set_title(1, "Objective weights")
        settings.selected_index = None

        self.kpi_cards = w.HTML(views.kpi_cards_html(None))
        self.result_note = w.HTML()

        # --- tabs
        self.supply_html = w.HTML()
        self.supply_out = w.Output()
        supply_tab = w.VBox([self.supply_html, self.supply_out])

        none = [("all", None)]
        layout = w.Layout(width="210px")
        self.f_volunteer = w.Dropdown(options=none, description="Volunteer", layout=layout)
        self.f_district = w.Dropdown(options=none, description="District", layout=layout)
        self.f_day = w.Dropdown(options=none, description="Date", layout=layout)
        self.f_mode = w.Dropdown(
            options=[("all", None), ("in person", "in person"), ("phone", "phone")],
            description="Mode",
            layout=layout,
        )
        self.f_text = w.Text(
            placeholder="search anything", continuous_update=False, layout=w.Layout(width="200px")
        )
        for f_ in (self.f_volunteer, self.f_district, self.f_day, self.f_mode, self.f_text):
            f_.observe(lambda _: self._render_schedule(), names="value")
        self.schedule_count = w.HTML()
        self.schedule_html = w.HTML(views.table_html(pd.DataFrame(), "wb-schedule", empty="No plan yet."))
        schedule_tab = w.VBox(
            [
                w.HBox([self.f_volunteer, self.f_district, self.f_day]),
                w.HBox([self.f_mode, self.f_text, self.schedule_count]),
                self.schedule_html,
            ]
        )

        self.calendar_picker = w.Dropdown(
            options=[("every volunteer", None)], description="Calendar of", layout=w.Layout(width="360px")
        )
        self.calendar_picker.observe(lambda _: self._render_calendar(), names="value")
        self.calendar_out = w.Output()
        calendar_tab = w.VBox([self.calendar_picker, self.calendar_out])

        self.map_out = w.Output()
        self.unassigned_html = w.HTML()
        self.district_out = w.Output()
        whatif_tab = self._build_whatif()
        self.runs_html = w.HTML(_message("note", "No runs yet."))
        self.runs_out = w.Output()
        self.run_picker = w.Dropdown(options=[], description="Show run", layout=w.Layout(width="320px"))
        show_run = w.Button(description="Show", icon="eye")
        show_run.on_click(lambda _: self.show_run(self.run_picker.value) if self.run_picker.value else None)
        runs_tab = w.VBox([self.runs_html, self.runs_out, w.HBox([self.run_picker, show_run])])
        export_tab = self._build_export(export_folder)

        self.tabs = w.Tab(
            children=[
                supply_tab,
                schedule_tab,
                calendar_tab,
                self.map_out,
                self.unassigned_html,
                self.district_out,
                whatif_tab,
                runs_tab,
                export_tab,
            ]
        )
        for i, title in enumerate(TAB_TITLES):
            self.tabs.set_title(i, title)
        self.tabs.observe(self._on_tab, names="selected_index")

        self.widget = w.VBox(
            [
                w.HTML(CSS + '<div class="wb-title">Volunteer visit planner</div>'),
                w.HBox([self.dataset_picker, self.load_button, self.upload]),
                self.source_label,
                self.messages,
                settings,
                w.HBox([self.solve_button, self.stop_button, self.run_name, self.progress_bar]),
                w.HBox([self.progress_label, self.progress_chart]),
                self.kpi_cards,
                self.result_note,
                self.tabs,
            ]
        )
        self.widget.add_class("wb-app")
        self.widget._planner = self  # keeps the Planner alive as long as its widget is shown

    def _build_whatif(self) -> w.Widget:
        style = {"description_width": "130px"}
        lay = w.Layout(width="380px")
        self.w_volunteer = w.Dropdown(options=[], description="Volunteer", style=style, layout=lay)
        self.w_from = w.DatePicker(description="Absent from", style=style)
        self.w_to = w.DatePicker(description="until (incl.)", style=style)
        absent = w.Button(description="Mark absent", icon="user-times")
        absent.on_click(
            lambda _: self.mark_absent(self.w_volunteer.value, self.w_from.value, self.w_to.value)
        )

        self.w_limit_volunteer = w.Dropdown(options=[], description="Volunteer", style=style, layout=lay)
        self.w_max_sessions = w.Text(
            description="sessions / week", placeholder="empty = no limit", style=style
        )
        self.w_max_minutes = w.Text(description="minutes / week", placeholder="empty = no limit", style=style)
        self.w_max_km = w.Text(description="max travel km", placeholder="empty = no limit", style=style)
        self.w_limit_volunteer.observe(lambda _: self._fill_limits(), names="value")
        limits = w.Button(description="Change limits", icon="sliders")
        limits.on_click(lambda _: self._apply_limits_form())

        self.w_citizen = w.Dropdown(options=[], description="Citizen", style=style, layout=lay)
        self.w_activity = w.Dropdown(options=[], description="Activity", style=style)
        self.w_duration = w.BoundedIntText(
            value=60, min=5, max=600, step=5, description="minutes", style=style
        )
        self.w_per_week = w.BoundedIntText(value=1, min=1, max=7, description="sessions / week", style=style)
        self.w_mode = w.Dropdown(
            options=[("in person", "in_person"), ("phone", "phone"), ("either", "either")],
            description="Mode",
            style=style,
        )
        self.w_vetting = w.Checkbox(description="needs a vetted volunteer")
        add = w.Button(description="Add request", icon="plus")
        add.on_click(
            lambda _: self.add_request(
                self.w_citizen.value,
                self.w_activity.value,
                self.w_duration.value,
                self.w_per_week.value,
                self.w_mode.value,
                self.w_vetting.value,
            )
        )

        self.w_request = w.Dropdown(options=[], description="Request", style=style, layout=lay)
        remove = w.Button(description="Remove request", icon="trash")
        remove.on_click(lambda _: self.remove_request(self.w_request.value) if self.w_request.value else None)

        self.w_session = w.Dropdown(
            options=[], description="Planned session", style=style, layout=w.Layout(width="560px")
        )
        pin = w.Button(description="Pin (agreed)", icon="thumb-tack")
        pin.on_click(lambda _: self._pin_selected())
        self.w_pin = w.Dropdown(
            options=[], description="Pinned session", style=style, layout=w.Layout(width="560px")
        )
        unpin = w.Button(description="Unpin", icon="times")
        unpin.on_click(lambda _: self.unpin_session(*self.w_pin.value) if self.w_pin.value else None)

        forms = w.Accordion(
            children=[
                w.VBox([self.w_volunteer, w.HBox([self.w_from, self.w_to]), absent]),
                w.VBox(
                    [self.w_limit_volunteer, self.w_max_sessions, self.w_max_minutes, self.w_max_km, limits]
                ),
                w.VBox(
                    [
                        self.w_citizen,
                        w.HBox([self.w_activity, self.w_duration]),
                        w.HBox([self.w_per_week, self.w_mode]),
                        self.w_vetting,
                        add,
                    ]
                ),
                w.VBox([self.w_request, remove]),
                w.VBox([w.HBox([self.w_session, pin]), w.HBox([self.w_pin, unpin])]),
            ]
        )
        for i, title in enumerate(
            (
                "A volunteer is absent",
                "Change a volunteer's limits",
                "Add a request",
                "Remove a request",
                "Pin or unpin a session",
            )
        ):
            forms.set_title(i, title)
        forms.selected_index = None
        self.edits_html = w.HTML()
        self.whatif_message = w.HTML()
        undo = w.Button(description="Undo all edits", icon="undo")
        undo.on_click(lambda _: self.reset_edits())
        self.replan_button = w.Button(
            description="Re-plan",
            button_style="primary",
            icon="refresh",
            tooltip="Solve again, keeping as much of the current plan as possible",
        )
        self.replan_button.on_click(lambda _: self.replan())
        # Limited to the loaded data's days when it is loaded (_reset_replan_from).
        self.w_replan_from = w.DatePicker(description="Re-plan from", style={"description_width": "initial"})
        self.w_replan_from.add_class("wb-replan-from")
        self.w_replan_from.observe(self._on_replan_from, names="value")
        self.replan_from_help = w.HTML(self._replan_from_help(None))
        self.diff_html = w.HTML()
        self.diff_out = w.Output()
        self.calls_html = w.HTML()
        return w.VBox(
            [
                w.HTML(
                    '<span class="wb-note">Change the data, then <b>Re-plan</b>: the new plan stays close to '
                    "the plan "
                    "on screen, and the list below says whom to call.</span>"
                ),
                forms,
                self.whatif_message,
                self.edits_html,
                w.HBox([self.w_replan_from, self.replan_button, undo]),
                self.replan_from_help,
                self.diff_html,
                self.diff_out,
                self.calls_html,
            ]
        )

    def _build_export(self, export_folder: str) -> w.Widget:
        self.downloads_html = w.HTML(
            _message("note", "Solve first; the files of the plan on screen appear here.")
        )
        self.ics_picker = w.Dropdown(options=[], description="Volunteer", layout=w.Layout(width="360px"))
        self.ics_picker.observe(lambda _: self._render_volunteer_links(), names="value")
        self.volunteer_links = w.HTML()
        self.export_folder = w.Text(value=export_folder, description="Folder", layout=w.Layout(width="420px"))
        save = w.Button(description="Save all files", icon="save")
        save.on_click(lambda _: self.save_exports(self.export_folder.value))
        self.overwrite_button = w.Button(
            description="Yes, overwrite", button_style="danger", layout=w.Layout(display="none")
        )
        self.cancel_button = w.Button(description="Cancel", layout=w.Layout(display="none"))
        self.overwrite_button.on_click(lambda _: self._confirm_overwrite(True))
        self.cancel_button.on_click(lambda _: self._confirm_overwrite(False))
        self.export_message = w.HTML()
        return w.VBox(
            [
                w.HTML("<b>Download</b>"),
                self.downloads_html,
                w.HTML("<b>One volunteer's calendar and page</b>"),
                self.ics_picker,
                self.volunteer_links,
                w.HTML(
                    "<b>Save everything to a folder</b> "
                    "(schedule, workbook, a calendar and a page per volunteer)"
                ),
                w.HBox([self.export_folder, save]),
                self.export_message,
                w.HBox([self.overwrite_button, self.cancel_button]),
            ]
        )

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)

    # ------------------------------------------------------------------ loading

    def load_dataset(self, name: str) -> Scenario | None:
        """Load a bundled dataset by name; returns the scenario, or None with the problems shown."""
        import workbench.datasets as bundled

        return self._load(lambda: bundled.load_dataset(name), name)

    def load_path(self, path: str | Path) -> Scenario | None:
        """Load a scenario folder or workbook from disk."""
        return self._load(lambda: workbench.load(path), Path(path).name)

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
            self.upload.value = ()

    def _load(self, read: Callable[[], Scenario], label: str) -> Scenario | None:
        self.messages.value = _message("note", f"Reading {html.escape(label)}…")
        try:
            scenario = read()
        except InputError as error:
            self.messages.value = problems_html(error, f"{label} cannot be used yet.")
            return None
        except Exception as error:  # noqa: BLE001 - any unreadable file: say so plainly, never a traceback
            self.messages.value = _message(
                "error",
                f"<b>Could not read {html.escape(label)}:</b> "
                f"{html.escape(str(error) or type(error).__name__)}",
            )
            return None
        self.state.set_scenario(scenario, label)  # the name the coordinator chose (dataset or file)
        self._reset_replan_from()
        self.messages.value = _warnings_html(scenario.warnings)
        self._clear_results()
        self._after_scenario_change()
        self.tabs.selected_index = 0
        return scenario

    def _clear_results(self) -> None:
        """New data: the plan on screen belonged to the old data (its run stays under Runs)."""
        self.kpi_cards.value = views.kpi_cards_html(None)
        self.result_note.value = ""
        self._schedule_view = pd.DataFrame(columns=list(views.SCHEDULE_VIEW_COLUMNS))
        self._refresh_filters()
        self._render_schedule()
        for out in (self.calendar_out, self.map_out, self.district_out, self.diff_out):
            out.outputs = ()
        for box in (self.unassigned_html, self.diff_html, self.calls_html, self.volunteer_links):
            box.value = ""
        self.downloads_html.value = _message(
            "note", "Solve first; the files of the plan on screen appear here."
        )
        self._set_options(self.calendar_picker, [("every volunteer", None)])
        self._set_options(self.ics_picker, [("nobody has a session", None)])
        self._refresh_session_options()

    def _reset_replan_from(self) -> None:
        """New data: the *Re-plan from* picker is empty (the whole period) and offers only its days."""
        st = self.state.scenario.settings
        picker = self.w_replan_from
        picker.value = None
        picker.min = picker.max = None  # the old limits may exclude the new days
        picker.min, picker.max = st.start_date, st.end_date
        # said in words too: not every browser greys out the days outside min and max
        self.replan_from_help.value = self._replan_from_help(st)

    @staticmethod
    def _replan_from_help(st: workbench.Settings | None) -> str:
        period = f" (a day from {st.start_date:%a %d %b} to {st.end_date:%a %d %b})" if st is not None else ""
        return (
            f'<span class="wb-note"><b>Re-plan from</b>{period} when the plan is already under way: the '
            "sessions before that day have happened (or are too close to change), so they stay exactly as "
            "they are and nothing new is planned before it. Leave it empty to re-plan the whole period.</span>"
        )

    def _on_replan_from(self, change: dict[str, Any]) -> None:
        self.state.replan_from = change["new"]

    def _period_day(self, value: date | str | None) -> date | None:
        """``value`` as a day of the loaded data's period (None stays None); ValueError outside it."""
        if value is None:
            return None
        if isinstance(value, datetime):  # also pandas Timestamps
            value = value.date()
        elif not isinstance(value, date):
            try:
                value = date.fromisoformat(str(value).strip()[:10])
            except ValueError:
                raise ValueError(f"“{value}” is not a date (YYYY-MM-DD).") from None
        st = self.state.scenario.settings
        if not st.start_date <= value <= st.end_date:
            raise ValueError(
                f"{value:%a %d %b %Y} is outside the planning period ({st.start_date:%a %d %b} to "
                f"{st.end_date:%a %d %b %Y}): choose a day inside it, or none to re-plan the whole period."
            )
        return value

    def _after_scenario_change(self) -> None:
        s = self.state.scenario
        if s is None:
            return
        st = s.settings
        title = html.escape(self.state.source)
        if s.name and s.name != self.state.source:
            title += f" ({html.escape(s.name)})"
        self.source_label.value = (
            f"<b>{title}</b>: {len(s.volunteers)} volunteers, "
            f"{len(s.citizens)} citizens, "
            f"{len(s.requests)} requests = {int(s.demand().sum())} sessions over {st.weeks} week(s) from "
            f"{st.start_date:%a %d %b %Y}"
            + (f" · <i>{len(self.state.edits)} what-if edit(s)</i>" if self.state.edits else "")
        )
        self._render_supply()
        self._refresh_whatif_options()

    # ------------------------------------------------------------------ need and supply

    def _render_supply(self) -> None:
        s = self.state.scenario
        if s is None:
            return
        tables = views.supply_demand(s)
        self.supply = tables
        parts = [
            (
                '<p class="wb-note">Before planning: what is needed and who could do it. Volunteer hours are '
                "the hours they are free (after absences, within their weekly limit); one volunteer counts "
                "for every "
                "activity and language they offer.</p>"
            )
        ]
        for key, title in (
            ("activity", "Per activity"),
            ("language", "Per language"),
            ("district", "Per district"),
        ):
            parts.append(
                f"<h4>{title}</h4>" + views.table_html(tables[key], f"wb-supply-{key}", max_rows=None)
            )
        self.supply_html.value = "".join(parts)
        self.figures["supply_activity"] = views.supply_demand_figure(tables["activity"], "activity")
        self.figures["supply_district"] = views.supply_demand_figure(tables["district"], "district")
        self.supply_out.outputs = (
            _figure_output(self.figures["supply_activity"]),
            _figure_output(self.figures["supply_district"]),
        )

    # ------------------------------------------------------------------ solving

    def weights(self) -> dict[str, int]:
        """The weights as set on the sliders."""
        return {name: int(slider.value) for name, slider in self.weight_sliders.items()}

    def reset_weights(self) -> None:
        defaults = Weights()
        for name, slider in self.weight_sliders.items():
            slider.value = int(getattr(defaults, name))

    @property
    def solving(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def solve(
        self,
        method: str | None = None,
        time_limit: float | None = None,
        name: str | None = None,
        replan: bool = False,
        wait: bool = False,
    ) -> Run | None:
        """Start solving the current scenario in a background thread (what the Solve button does).

        ``replan``: pass the plan on screen as ``previous`` so the new plan stays close
        to it, and compute the difference; the day in the *Re-plan from* picker (if any)
        is passed as ``keep_before``. ``wait``: block until done and return the run.
        """
        if self.state.scenario is None:
            self.result_note.value = _message("error", "Load data first.")
            return None
        if self.solving:
            return None
        method = method or self.method_picker.value
        limit = float(time_limit if time_limit is not None else self.time_limit.value)
        base = self.state.current_run if replan else None
        keep_before = None
        if replan and base is None:
            unused = " (the Re-plan from day is not used)" if self.state.replan_from else ""
            self.whatif_message.value = _message(
                "warn", f"There is no plan to stay close to yet: solving afresh{unused}."
            )
        elif base is not None:
            try:
                keep_before = self._period_day(self.state.replan_from)  # the picker's day
            except ValueError as error:
                self.whatif_message.value = _message("error", html.escape(str(error)))
                return None
        run_name = name or self.run_name.value.strip() or self.state.default_run_name()
        self._stop_event = threading.Event()
        self._progress = []
        self.last_run = None
        self.solve_button.disabled = True
        self.replan_button.disabled = True
        self.stop_button.disabled = False
        self.progress_bar.value = 0
        self.progress_bar.bar_style = "info"
        self.progress_label.value = "Starting…"
        self.progress_chart.value = views.progress_svg([])
        self.progress_chart.layout.display = "none" if method == "greedy" else None
        job = {
            "scenario": self.state.scenario,
            "method": method,
            "limit": limit,
            "base": base,
            "name": run_name,
            "weights": self.weights(),
            "edits": tuple(self.state.edits),
            "keep_before": keep_before,
        }
        self._thread = threading.Thread(
            target=self._solve_job, kwargs=job, name="workbench-solve", daemon=True
        )
        self._started = time.monotonic()
        self._thread.start()
        # a second small thread keeps the elapsed time moving between the solver's reports
        threading.Thread(target=self._tick, args=(limit,), name="workbench-tick", daemon=True).start()
        if wait:
            self._thread.join()
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
        """Solve again close to the plan on screen (``previous``), then show what changed.

        ``keep_before``: re-plan from this day on: the plan's sessions before it stay
        exactly as they are and nothing new is planned before it (``workbench.solve``'s
        ``keep_before``). By default the day in the *Re-plan from* picker (empty: the
        whole period); a day given here is put in the picker, and None empties it. A day
        outside the period is refused with a message (and None is returned).
        """
        if keep_before is not FROM_PICKER:
            if self.state.scenario is None:
                self.result_note.value = _message("error", "Load data first.")
                return None
            try:
                day = self._period_day(keep_before)
            except ValueError as error:
                self.whatif_message.value = _message("error", html.escape(str(error)))
                return None
            self.w_replan_from.value = day
        return self.solve(name=name, replan=True, wait=wait, **kwargs)

    def stop(self) -> None:
        """End the running search; the best plan found so far is kept and shown."""
        self._stop_event.set()
        self.stop_button.disabled = True
        self.progress_label.value = "Stopping: keeping the best plan so far…"

    def wait(self, timeout: float | None = None) -> None:
        """Block until the running solve (if any) has finished."""
        if self._thread is not None:
            self._thread.join(timeout)

    def _tick(self, limit: float) -> None:
        while self.solving:
            elapsed = time.monotonic() - self._started
            self.progress_bar.value = min(max(self.progress_bar.value, elapsed / max(limit, 1e-9)), 0.99)
            time.sleep(0.25)

    def _on_progress(self, p: Any) -> None:
        # Called from the solver's thread; widget traits can be set from any thread.
        bound = None if p.bound is None else float(p.bound)
        self._progress.append((float(p.seconds), float(p.objective), bound))
        text = f"<b>{html.escape(str(p.phase))}</b> · best plan so far: <b>{p.objective:,.0f}</b> points"
        if bound is not None and bound > 0:
            gap = max(0.0, (bound - float(p.objective)) / bound)
            text += f" · no plan can beat {bound:,.0f} (within {100 * gap:.0f}%)"
        text += f' · {p.seconds:.1f} s <span class="wb-note">(points: sessions weighted by urgency)</span>'
        self.progress_label.value = text
        self.progress_chart.value = views.progress_svg(self._progress)
        self.progress_bar.value = max(self.progress_bar.value, min(float(p.done_fraction), 0.99))

    def _solve_job(
        self,
        scenario: Scenario,
        method: str,
        limit: float,
        base: Run | None,
        name: str,
        weights: dict[str, int],
        edits: tuple[str, ...],
        keep_before: date | None,
    ) -> None:
        previous = base.result.schedule if base is not None else None
        started = time.monotonic()
        try:
            result = None
            if method == "cpsat" and self.quick_first:
                # A quick first plan shows in about a second; the optimiser then improves on it.
                self.progress_label.value = "Making a quick first plan…"
                draft = workbench.solve(
                    scenario,
                    method="greedy",
                    weights=weights,
                    previous=previous,
                    keep_before=keep_before,
                    stop=self._stop_event,
                )
                self._show_draft(draft, scenario)
                if self._stop_event.is_set():
                    result = draft
                else:
                    self.progress_label.value = "Optimising…"
            if result is None:
                remaining = max(1.0, limit - (time.monotonic() - started))
                result = workbench.solve(
                    scenario,
                    method=method,
                    time_limit=remaining,
                    weights=weights,
                    previous=previous,
                    keep_before=keep_before,
                    on_progress=self._on_progress,
                    stop=self._stop_event,
                )
            diff = compare.diff_schedules(previous, result.schedule) if previous is not None else None
            run = self.state.add_run(
                Run(
                    name=name,
                    result=result,
                    scenario=scenario,
                    weights=weights,
                    edits=edits,
                    based_on=base.name if base else None,
                    diff=diff,
                    keep_before=keep_before,
                )
            )
            self.last_run = run
            stopped = " (stopped early)" if self._stop_event.is_set() else ""
            done = (
                f"Done{stopped}: <b>{html.escape(run.name)}</b> in "
                f"{time.monotonic() - started:.1f} s, status {html.escape(result.status)}"
            )
            self.show_run(run.name)
            # the buttons first, then "Done": whoever reacts to "Done" finds the app ready
            self._buttons_idle()
            self.progress_bar.value = 1.0
            self.progress_bar.bar_style = "success"
            self.progress_label.value = done
        except InputError as error:
            self.progress_bar.bar_style = "danger"
            self.progress_label.value = ""
            self.result_note.value = problems_html(error, "The data cannot be planned.")
            if keep_before is not None:  # the kept sessions become pins: say where pins.csv rows come from
                self.result_note.value += _message(
                    "warn",
                    f"Re-planning from {keep_before:%a %d %b} keeps every session before that day as a pin, "
                    "so an edit that contradicts one of them (say, an absence on an earlier day) cannot be "
                    "planned: undo that edit, or re-plan from an earlier day.",
                )
        except Exception as error:  # noqa: BLE001 - keep the app alive and say what happened
            self.progress_bar.bar_style = "danger"
            self.progress_label.value = ""
            self.result_note.value = _message(
                "error",
                f"<b>Solving failed:</b> {html.escape(str(error))}<details><summary>details for a "
                f"programmer</summary><pre>{html.escape(traceback.format_exc())}</pre></details>",
            )
        finally:
            self._buttons_idle()

    def _buttons_idle(self) -> None:
        self.solve_button.disabled = False
        self.replan_button.disabled = False
        self.stop_button.disabled = True

    # ------------------------------------------------------------------ showing a plan

    def _show_draft(self, draft: Any, scenario: Scenario) -> None:
        """Show the quick plan in the cards and the table while the optimiser runs."""
        self.kpi_cards.value = views.kpi_cards_html(draft.kpis)
        self.result_note.value = _message("note", "A quick first plan; the optimiser is improving it…")
        self._schedule_view = views.schedule_view(draft.schedule, scenario)
        self._refresh_filters()
        self._render_schedule()
        if self.tabs.selected_index == 0:
            self.tabs.selected_index = 1

    def show_run(self, name: str) -> None:
        """Show a kept run: cards, table, calendar, map, unassigned, districts and its changes."""
        run = self.state.runs[name]
        self.state.current = name
        result, scenario = run.result, run.scenario
        self.kpi_cards.value = views.kpi_cards_html(result.kpis)
        edits = f" · what-if: {html.escape('; '.join(run.edits))}" if run.edits else ""
        if run.keep_before is not None:
            edits += f" · re-planned from {run.keep_before:%a %d %b}"
        self.result_note.value = _message(
            "ok",
            f"Showing <b>{html.escape(name)}</b> ({html.escape(result.method)}, "
            f"{result.seconds:.1f} s){edits}",
        )
        self._schedule_view = views.schedule_view(result.schedule, scenario)
        self._refresh_filters()
        self._render_schedule()
        volunteers = self._schedule_view.drop_duplicates("volunteer_id").sort_values("volunteer")
        options = [("every volunteer", None)] + [
            (f"{v} ({i})", i) for v, i in zip(volunteers["volunteer"], volunteers["volunteer_id"])
        ]
        self._set_options(self.calendar_picker, options)
        self._set_options(self.ics_picker, options[1:] or [("nobody has a session", None)])
        self._render_calendar()
        self.figures["map"] = views.map_figure(scenario, result.schedule)
        self.map_out.outputs = (_figure_output(self.figures["map"]),)
        self.unassigned = views.unassigned_view(result.unassigned, scenario)
        missing = int(self.unassigned["missing"].sum()) if len(self.unassigned) else 0
        shown = self.unassigned[["citizen", "district", "priority", "activity", "week", "missing", "reason"]]
        self.unassigned_html.value = (
            f'<p class="wb-note">{missing} session(s) could not be planned, most urgent citizens first; the '
            "reason says what is lacking.</p>"
            + views.table_html(shown, "wb-unassigned", empty="Every demanded session is planned.")
        )
        self.figures["districts"] = views.district_figure(result.kpis)
        self.district_out.outputs = (_figure_output(self.figures["districts"]),)
        self._render_diff(run)
        self._render_runs()
        self._refresh_session_options()
        # Building the files takes a moment (workbook, calendars): only when the Export tab is open.
        self._downloads_stale = True
        if self.tabs.selected_index == EXPORT_TAB:
            self._render_downloads()
        else:
            self.downloads_html.value = _message("note", "The files are prepared when you open this tab.")
        if self.tabs.selected_index in (0, None):
            self.tabs.selected_index = 1

    def _refresh_filters(self) -> None:
        v = self._schedule_view
        vols = v.drop_duplicates("volunteer_id").sort_values("volunteer")
        self._set_options(
            self.f_volunteer, [("all", None)] + list(zip(vols["volunteer"], vols["volunteer_id"]))
        )
        self._set_options(self.f_district, [("all", None)] + [(d, d) for d in sorted(set(v["district"]))])
        self._set_options(
            self.f_day,
            [("all", None)] + [(f"{dd} {d}", d) for d, dd in sorted(set(zip(v["date"], v["day"])))],
        )

    @staticmethod
    def _set_options(dropdown: w.Dropdown, options: list[tuple[str, Any]]) -> None:
        keep = dropdown.value
        dropdown.options = options
        dropdown.value = keep if keep in [o[1] for o in options] else options[0][1]

    def schedule_table(self) -> pd.DataFrame:
        """The schedule rows the table shows now (filters applied)."""
        return views.filter_schedule(
            self._schedule_view,
            volunteer=self.f_volunteer.value,
            district=self.f_district.value,
            day=self.f_day.value,
            mode=self.f_mode.value,
            text=self.f_text.value,
        )

    def _render_schedule(self) -> None:
        shown = self.schedule_table()
        self.schedule_count.value = (
            f'<span class="wb-note">{len(shown)} of {len(self._schedule_view)} sessions</span>'
        )
        columns = ["date", "day", "start", "end", "volunteer", "citizen", "activity", "mode", "district"]
        self.schedule_html.value = views.table_html(
            shown[columns],
            "wb-schedule",
            max_rows=500,
            empty="No sessions match." if len(self._schedule_view) else "No plan yet.",
        )

    def _render_calendar(self) -> None:
        run = self.state.current_run
        self.state.selected_volunteer = self.calendar_picker.value
        if run is None:
            return
        self.figures["calendar"] = views.gantt_figure(
            run.result.schedule, run.scenario, self.calendar_picker.value
        )
        self.calendar_out.outputs = (_figure_output(self.figures["calendar"]),)

    def _render_diff(self, run: Run) -> None:
        if run.diff is None:
            self.diff_html.value = _message(
                "note",
                f"<b>{html.escape(run.name)}</b> was planned afresh. Make an edit "
                "above and press <b>Re-plan</b> to see what changes.",
            )
            self.diff_out.outputs = ()
            self.calls_html.value = ""
            return
        counts = compare.summarize_diff(run.diff)
        text = ", ".join(f"{n} {s}" for s, n in counts.items())
        kind, kept_note, calls_note = "ok", "", ""
        if run.keep_before is not None:
            kept = views.kept_before(run.diff, run.keep_before)
            kind = "warn" if kept["changed"] else "ok"
            sentence = html.escape(views.replan_from_text(run.diff, run.keep_before))
            kept_note = f'<br><span class="wb-kept-before">{sentence}</span>'
            if not kept["changed"]:
                calls_note = (
                    f'<p class="wb-note">Every change is on or after {run.keep_before:%a %d %b}: '
                    "the sessions before it stay as they were.</p>"
                )
        self.diff_html.value = _message(
            kind,
            f"<b>{html.escape(run.name)}</b> against <b>{html.escape(str(run.based_on))}</b>: {text}.{kept_note}",
        )
        self.figures["diff"] = views.diff_figure(run.diff)
        self.diff_out.outputs = (_figure_output(self.figures["diff"]),)
        self.calls = views.calls_view(run.diff, run.scenario)
        self.calls_html.value = (
            "<h4>Whom to call</h4>"
            + calls_note
            + views.table_html(self.calls, "wb-calls", empty="Nothing changed: nobody needs a call.")
        )

    def _render_runs(self) -> None:
        results = {name: run.result for name, run in self.state.runs.items()}
        self.runs_compared = compare.compare_runs(results)
        self.runs_html.value = views.table_html(
            views.runs_table(self.runs_compared).reset_index(), "wb-runs", empty="No runs yet."
        )
        self.figures["runs"] = views.runs_figure(self.runs_compared)
        self.runs_out.outputs = (_figure_output(self.figures["runs"]),)
        self.run_picker.options = list(self.state.runs)
        self.run_picker.value = self.state.current

    def _on_tab(self, change: dict[str, Any]) -> None:
        if change["new"] == EXPORT_TAB and self._downloads_stale:
            self._render_downloads()

    # ------------------------------------------------------------------ what-if edits

    def _edit(self, description: str, **tables: pd.DataFrame) -> bool:
        scenario = self.state.scenario
        if scenario is None:
            self.whatif_message.value = _message("error", "Load data first.")
            return False
        try:
            changed = edit.replace(scenario, **tables)
        except InputError as error:
            self.whatif_message.value = problems_html(error, f"“{description}” is not possible:")
            return False
        self.state.apply_edit(changed, description)
        self.whatif_message.value = _message(
            "ok", f"Done: {html.escape(description)}. Press <b>Re-plan</b> when you have made all changes."
        )
        self._after_scenario_change()
        return True

    def _volunteer_label(self, volunteer_id: str) -> str:
        s = self.state.scenario
        names = dict(zip(s.volunteers["volunteer_id"], s.volunteers["name"])) if s is not None else {}
        return f"{names.get(volunteer_id) or volunteer_id} ({volunteer_id})"

    def mark_absent(self, volunteer_id: str, from_date: date, to_date: date | None = None) -> bool:
        """The volunteer is away from ``from_date`` to ``to_date`` (inclusive; default the same day)."""
        s = self.state.scenario
        if s is None or not volunteer_id or from_date is None:
            self.whatif_message.value = _message(
                "error", "Choose a volunteer and the first day of the absence."
            )
            return False
        to_date = to_date or from_date
        row = pd.DataFrame([{"volunteer_id": volunteer_id, "from_date": from_date, "to_date": to_date}])
        absences = pd.concat([s.volunteer_absences, row], ignore_index=True)
        return self._edit(
            f"{self._volunteer_label(volunteer_id)} absent {from_date} to {to_date}",
            volunteer_absences=absences,
        )

    def set_volunteer_limits(
        self,
        volunteer_id: str,
        *,
        max_sessions_per_week: float | None = None,
        max_minutes_per_week: float | None = None,
        max_travel_km: float | None = None,
    ) -> bool:
        """Change a volunteer's limits; ``None`` leaves one unchanged, ``math.inf`` means no limit."""
        s = self.state.scenario
        if s is None or volunteer_id not in set(s.volunteers["volunteer_id"]):
            self.whatif_message.value = _message("error", "Choose a volunteer.")
            return False
        vol = s.volunteers.copy()
        at = vol.index[vol["volunteer_id"] == volunteer_id][0]
        changes = []
        for column, value in (
            ("max_sessions_per_week", max_sessions_per_week),
            ("max_minutes_per_week", max_minutes_per_week),
            ("max_travel_km", max_travel_km),
        ):
            if value is None:
                continue
            value = float(value)
            if column != "max_travel_km" and math.isfinite(value):
                value = int(value)
            vol.at[at, column] = value
            changes.append(f"{column.replace('_', ' ')} = {'no limit' if value == math.inf else value}")
        if not changes:
            self.whatif_message.value = _message("warn", "No limit was changed.")
            return False
        return self._edit(f"{self._volunteer_label(volunteer_id)}: {', '.join(changes)}", volunteers=vol)

    def _fill_limits(self) -> None:
        s = self.state.scenario
        vid = self.w_limit_volunteer.value
        if s is None or not vid:
            return
        row = s.volunteers[s.volunteers["volunteer_id"] == vid].iloc[0]

        def show(v: Any) -> str:
            return "" if float(v) == math.inf else f"{float(v):g}"

        self.w_max_sessions.value = show(row["max_sessions_per_week"])
        self.w_max_minutes.value = show(row["max_minutes_per_week"])
        self.w_max_km.value = show(row["max_travel_km"])

    def _apply_limits_form(self) -> None:
        values = []
        for box in (self.w_max_sessions, self.w_max_minutes, self.w_max_km):
            text = box.value.strip()
            try:
                values.append(math.inf if not text else float(text.replace(",", ".")))
            except ValueError:
                self.whatif_message.value = _message(
                    "error", f"“{html.escape(text)}” is not a number ({html.escape(box.description)})."
                )
                return
        self.set_volunteer_limits(
            self.w_limit_volunteer.value,
            max_sessions_per_week=values[0],
            max_minutes_per_week=values[1],
            max_travel_km=values[2],
        )

    def add_request(
        self,
        citizen_id: str,
        activity: str,
        duration_min: int = 60,
        sessions_per_week: int = 1,
        mode: str = "in_person",
        requires_vetting: bool = False,
        request_id: str | None = None,
    ) -> str | None:
        """Add a recurring request; returns its id (``new-1``, ``new-2``… unless given) or None if refused."""
        s = self.state.scenario
        if s is None:
            return None
        known = set(s.requests["request_id"])
        if request_id is None:
            n = 1
            while f"new-{n}" in known:
                n += 1
            request_id = f"new-{n}"
        row = pd.DataFrame(
            [
                {
                    "request_id": request_id,
                    "citizen_id": citizen_id,
                    "activity": activity,
                    "duration_min": int(duration_min),
                    "sessions_per_week": int(sessions_per_week),
                    "mode": mode,
                    "requires_vetting": bool(requires_vetting),
                    "date": None,
                    "start": None,
                }
            ]
        )
        requests = pd.concat([s.requests, row], ignore_index=True)
        name = dict(zip(s.citizens["citizen_id"], s.citizens["name"])).get(citizen_id) or citizen_id
        ok = self._edit(
            f"new request {request_id}: {activity} for {name}, {sessions_per_week}×{duration_min} min a week",
            requests=requests,
        )
        return request_id if ok else None

    def remove_request(self, request_id: str) -> bool:
        """Remove a request (and any pin of it, since a pin needs its request)."""
        s = self.state.scenario
        if s is None or request_id not in set(s.requests["request_id"]):
            self.whatif_message.value = _message(
                "error", f"There is no request {html.escape(str(request_id))}."
            )
            return False
        requests = s.requests[s.requests["request_id"] != request_id]
        pins = s.pins[s.pins["request_id"] != request_id]
        extra = f" and its {len(s.pins) - len(pins)} pin(s)" if len(pins) < len(s.pins) else ""
        return self._edit(f"request {request_id} removed{extra}", requests=requests, pins=pins)

    def pin_session(self, request_id: str, volunteer_id: str, day: date | str, start: int | str) -> bool:
        """Pin a session (it is agreed: every new plan must contain it exactly)."""
        s = self.state.scenario
        if s is None:
            return False
        day = day if isinstance(day, date) else date.fromisoformat(str(day))
        minutes = start if isinstance(start, int) else views._minutes(str(start))
        row = pd.DataFrame(
            [{"request_id": request_id, "volunteer_id": volunteer_id, "date": day, "start": minutes}]
        )
        pins = pd.concat([s.pins, row], ignore_index=True)
        return self._edit(
            f"pinned {request_id} with {self._volunteer_label(volunteer_id)} on {day} at "
            f"{minutes // 60:02d}:{minutes % 60:02d}",
            pins=pins,
        )

    def unpin_session(self, request_id: str, day: date | str) -> bool:
        """Remove the pin of ``request_id`` on ``day``."""
        s = self.state.scenario
        if s is None:
            return False
        day = day if isinstance(day, date) else date.fromisoformat(str(day))
        keep = ~((s.pins["request_id"] == request_id) & (s.pins["date"] == day))
        if keep.all():
            self.whatif_message.value = _message("warn", f"{html.escape(request_id)} is not pinned on {day}.")
            return False
        return self._edit(f"unpinned {request_id} on {day}", pins=s.pins[keep])

    def _pin_selected(self) -> None:
        if self.w_session.value is None:
            self.whatif_message.value = _message("error", "Choose a planned session to pin.")
            return
        self.pin_session(*self.w_session.value)

    def reset_edits(self) -> None:
        """Forget every what-if edit: back to the data as loaded."""
        self.state.reset_edits()
        self.whatif_message.value = _message("ok", "All edits undone.")
        self._after_scenario_change()

    def _refresh_whatif_options(self) -> None:
        s = self.state.scenario
        if s is None:
            return
        vols = [
            (f"{n or i} ({i})", i)
            for i, n in sorted(
                zip(s.volunteers["volunteer_id"], s.volunteers["name"]), key=lambda t: t[1] or t[0]
            )
        ]
        self._set_options(self.w_volunteer, vols)
        self._set_options(self.w_limit_volunteer, vols)
        self._fill_limits()
        cits = [
            (f"{n or i} ({i})", i)
            for i, n in sorted(zip(s.citizens["citizen_id"], s.citizens["name"]), key=lambda t: t[1] or t[0])
        ]
        self._set_options(self.w_citizen, cits)
        activities = sorted({a for t in s.volunteers["skills"] for a in t} | set(s.requests["activity"]))
        self._set_options(self.w_activity, [(a, a) for a in activities])
        names = dict(zip(s.citizens["citizen_id"], s.citizens["name"]))
        reqs = [
            (f"{r} – {names.get(c) or c} – {a}", r)
            for r, c, a in zip(s.requests["request_id"], s.requests["citizen_id"], s.requests["activity"])
        ]
        self._set_options(self.w_request, reqs or [("none", None)])
        pins = [
            (
                f"{p.date} {p.start // 60:02d}:{p.start % 60:02d} {p.request_id} with {p.volunteer_id}",
                (p.request_id, p.date),
            )
            for p in s.pins.itertuples(index=False)
        ]
        self._set_options(self.w_pin, pins or [("no pins", None)])
        if self.w_from.value is None:
            self.w_from.value = s.settings.start_date
        self.edits_html.value = (
            "<b>Edits in force:</b><ol>"
            + "".join(f"<li>{html.escape(e)}</li>" for e in self.state.edits)
            + "</ol>"
            if self.state.edits
            else '<span class="wb-note">No edits: the data as loaded.</span>'
        )

    def _refresh_session_options(self) -> None:
        v = self._schedule_view
        options = [
            (f"{d} {s}–{e} {vol} → {c} ({r})", (r, vid, d, s))
            for d, s, e, vol, c, r, vid in zip(
                v["date"],
                v["start"],
                v["end"],
                v["volunteer"],
                v["citizen"],
                v["request_id"],
                v["volunteer_id"],
            )
        ]
        self._set_options(self.w_session, options or [("no plan yet", None)])

    # ------------------------------------------------------------------ exports

    def _render_downloads(self) -> None:
        run = self.state.current_run
        if run is None:
            return
        from .. import export  # the export helpers load openpyxl and icalendar; only when needed

        self._downloads_stale = False
        s, r = run.scenario, run.result
        stem = "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in run.name)
        try:
            links = [
                _data_link(
                    f"{stem}-schedule.xlsx",
                    export.schedule_workbook_bytes(
                        r.schedule, s.volunteers, s.citizens, s.requests, r.unassigned
                    ),
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    "Workbook (.xlsx)",
                ),
                _data_link(
                    f"{stem}-schedule.csv",
                    export.schedule_csv_text(r.schedule, s.volunteers, s.citizens, s.requests).encode(
                        "utf-8"
                    ),
                    "text/csv",
                    "schedule.csv",
                ),
                _data_link(
                    f"{stem}-unassigned.csv",
                    r.unassigned.to_csv(index=False).encode("utf-8"),
                    "text/csv",
                    "unassigned.csv",
                ),
                _data_link(
                    f"{stem}-everything.zip",
                    self._everything_zip(run),
                    "application/zip",
                    "Everything (.zip)",
                ),
            ]
            self.downloads_html.value = f'<div class="wb-downloads">{"".join(links)}</div>'
        except Exception as error:  # noqa: BLE001 - a failed export must not break the app
            self.downloads_html.value = _message(
                "error", f"Could not prepare the files: {html.escape(str(error))}"
            )
        self._render_volunteer_links()

    def _everything_zip(self, run: Run) -> bytes:
        """Every export of the run (export_all into a temporary folder), zipped for one download."""
        from ..export import export_all

        buffer = io.BytesIO()
        with tempfile.TemporaryDirectory(prefix="workbench-export-") as tmp:
            export_all(run.result.schedule, run.scenario, tmp, unassigned=run.result.unassigned)
            with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
                for path in sorted(Path(tmp).rglob("*")):
                    if path.is_file():
                        archive.write(path, path.relative_to(tmp).as_posix())
        return buffer.getvalue()

    def _render_volunteer_links(self) -> None:
        run = self.state.current_run
        vid = self.ics_picker.value
        if run is None or not vid:
            self.volunteer_links.value = ""
            return
        from .. import export

        s, r = run.scenario, run.result
        try:
            ics = export.volunteer_calendar_bytes(r.schedule, s.volunteers, s.citizens, s.requests, vid)
            page = export.volunteer_page_html(r.schedule, s.volunteers, s.citizens, s.requests, vid)
        except Exception as error:  # noqa: BLE001 - a failed export must not break the app
            self.volunteer_links.value = _message(
                "error", f"Could not prepare the files: {html.escape(str(error))}"
            )
            return
        stem = export.safe_filename(vid)
        self.volunteer_links.value = (
            '<div class="wb-downloads">'
            + _data_link(f"{stem}.ics", ics, "text/calendar", "Calendar (.ics)")
            + _data_link(f"{stem}.html", page.encode("utf-8"), "text/html", "Printable page (.html)")
            + "</div>"
        )

    def save_exports(self, folder: str | Path, overwrite: bool = False) -> list[Path] | None:
        """Write every export of the plan on screen into ``folder``.

        When files exist and ``overwrite`` is false nothing is written: the app asks
        for confirmation instead (the *Yes, overwrite* button) and None is returned.
        """
        run = self.state.current_run
        if run is None:
            self.export_message.value = _message("error", "Solve first: there is no plan to export.")
            return None
        from ..export import OverwriteRefused, export_all

        target = Path(folder).expanduser()
        try:
            paths = export_all(
                run.result.schedule,
                run.scenario,
                target,
                unassigned=run.result.unassigned,
                overwrite=overwrite,
            )
        except OverwriteRefused:
            self._pending_overwrite = target
            self.export_message.value = _message(
                "warn", f"{html.escape(str(target))} already holds exported files. Replace them?"
            )
            self.overwrite_button.layout.display = None
            self.cancel_button.layout.display = None
            return None
        except Exception as error:  # noqa: BLE001 - e.g. a folder without write permission
            self.export_message.value = _message("error", f"Could not save: {html.escape(str(error))}")
            return None
        self._hide_confirm()
        self.export_message.value = _message(
            "ok", f"Saved {len(paths)} file(s) in {html.escape(str(target))}."
        )
        return paths

    def _confirm_overwrite(self, yes: bool) -> None:
        target, self._pending_overwrite = self._pending_overwrite, None
        self._hide_confirm()
        if yes and target is not None:
            self.save_exports(target, overwrite=True)
        else:
            self.export_message.value = _message("note", "Nothing was saved.")

    def _hide_confirm(self) -> None:
        self.overwrite_button.layout.display = "none"
        self.cancel_button.layout.display = "none"

    # ------------------------------------------------------------------ plain-text views (tests, notebooks)

    def kpi_text(self) -> str:
        """The KPI cards as plain text ("label: value" lines)."""
        run = self.state.current_run
        if run is None:
            return ""
        return "\n".join(f"{label}: {value}" for label, value, _ in views.kpi_cards(run.result.kpis))

    def message_text(self) -> str:
        """The messages under the data picker as plain text (input problems, warnings)."""
        return _html_to_text(self.messages.value)


def _html_to_text(markup: str) -> str:
    import re

    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", markup))).strip()


def planner(dataset: str | None = "demo", **kwargs: Any) -> w.Widget:
    """The planner app's widget, ready to display (``planner()`` as the last line of a cell)."""
    return Planner(dataset, **kwargs).widget
