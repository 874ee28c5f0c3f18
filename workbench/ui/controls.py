"""The top of the planner page: choosing data, and the solve controls with progress and headline figures.

Layout only: these classes build widgets and show what they are given; what the
buttons do is wired by the controller (:class:`workbench.ui.app.Planner`).
"""

from __future__ import annotations

import dataclasses
import html
from collections.abc import Sequence
from typing import Any

import ipywidgets as w

from .. import Progress, Weights, views
from ..scenario.types import Scenario
from ..words import count
from .messages import message

# Short explanations shown next to the weight sliders (see workbench/objective.py for the full story).
WEIGHT_HELP = {
    "continuity": "same volunteer for a citizen week after week (higher: more friends kept, a few sessions "
                  "given up for them; 0: serve the most, friends not held)",
    "preferred": "the volunteer the citizen asked for",
    "interests": "volunteer and citizen share interests",
    "travel": "less travelling (penalty per km)",
    "fair_load": "spread the work fairly",
    "equity": "lift the worst-served district",
}


class DataBar:
    """Dataset picker, Load, Upload, the loaded data's one-line summary and the messages about it."""

    def __init__(self, dataset_names: Sequence[str]) -> None:
        names = list(dataset_names)
        self.dataset_picker = w.Dropdown(
            options=names,
            value="demo" if "demo" in names else (names[0] if names else None),
            description="Dataset",
            layout=w.Layout(width="260px"),
        )
        self.load_button = w.Button(description="Load", icon="folder-open", tooltip="Load the chosen dataset")
        self.upload = w.FileUpload(
            accept=".xlsx,.zip", multiple=False, description="Upload .xlsx / .zip", layout=w.Layout(width="200px")
        )
        self.dataset_picker.add_class("wb-dataset")
        self.load_button.add_class("wb-load")
        self.source_label = w.HTML()
        self.source_label.add_class("wb-source")
        self.messages = w.HTML()
        self.widget = w.VBox(
            [w.HBox([self.dataset_picker, self.load_button, self.upload]), self.source_label, self.messages]
        )

    def show_scenario(self, scenario: Scenario, source: str, edits: int) -> None:
        """The summary line: name, sizes, demand and period, and how many what-if edits are in force."""
        st = scenario.settings
        title = html.escape(source)
        if scenario.name and scenario.name != source:
            title += f" ({html.escape(scenario.name)})"
        self.source_label.value = (
            f"<b>{title}</b>: {count(len(scenario.volunteers), 'volunteer')}, "
            f"{count(len(scenario.citizens), 'citizen')}, "
            f"{count(len(scenario.requests), 'request')} = {count(int(scenario.demand().sum()), 'session')} over "
            f"{count(st.weeks, 'week')} from {st.start_date:%a %d %b %Y}"
            + (f" · <i>{count(edits, 'what-if edit')}</i>" if edits else "")
        )


class SolvePanel:
    """Method, time limit and weights; Solve and Stop; the progress line and chart; KPI cards; a result note."""

    def __init__(self, time_limit: float, method: str) -> None:
        self.method_picker = w.ToggleButtons(
            options=[("Optimiser (CP-SAT)", "cpsat"), ("Quick (greedy)", "greedy")],
            value=method,
            tooltips=["best plan within the time limit", "a fast rule-of-thumb plan"],
        )
        self.time_limit = w.FloatSlider(
            value=time_limit, min=1, max=120, step=1, description="Time limit (s)", readout_format=".0f",
            style={"description_width": "initial"},
        )
        self.run_name = w.Text(placeholder="name of this run (optional)", layout=w.Layout(width="220px"))
        self.solve_button = w.Button(
            description="Solve", button_style="primary", icon="play",
            tooltip="Make a plan with the current data and weights",
        )
        self.stop_button = w.Button(
            description="Stop", button_style="danger", icon="stop", disabled=True,
            tooltip="End the search now and keep the best plan so far",
        )
        self.solve_button.add_class("wb-solve")
        self.stop_button.add_class("wb-stop")
        self.progress_bar = w.FloatProgress(value=0, min=0, max=1, layout=w.Layout(width="220px"))
        self.progress_label = w.HTML()
        self.progress_label.add_class("wb-progress")
        self.progress_chart = w.HTML(views.progress_svg([]), layout=w.Layout(display="none"))
        self._points: list[tuple[float, float, float | None]] = []
        self._floor = 0.0  # the quick plan's points: the optimiser never shows less than a plan on screen

        defaults = Weights()
        self.weight_sliders: dict[str, w.IntSlider] = {}
        rows = []
        for f in dataclasses.fields(Weights):
            value = int(getattr(defaults, f.name))
            slider = w.IntSlider(
                value=value, min=0, max=max(100, 2 * value), description=f.name.replace("_", " "),
                style={"description_width": "110px"}, layout=w.Layout(width="380px"),
            )
            self.weight_sliders[f.name] = slider
            rows.append(w.HBox([slider, w.HTML(f'<span class="wb-note">{WEIGHT_HELP.get(f.name, "")}</span>')]))
        self.reset_weights_button = w.Button(description="Default weights", icon="undo")
        self.reset_weights_button.on_click(lambda _: self.reset_weights())
        weights_box = w.VBox(
            [
                w.HTML(
                    '<span class="wb-note">First the plan serves as many sessions as possible '
                    "(urgent citizens first); these weights only choose among such plans.</span>"
                ),
                *rows,
                self.reset_weights_button,
            ]
        )
        self.settings = w.Accordion(children=[w.VBox([self.method_picker, self.time_limit]), weights_box])
        self.settings.set_title(0, "Method and time limit")
        self.settings.set_title(1, "Objective weights")
        self.settings.selected_index = None

        self.kpi_cards = w.HTML(views.kpi_cards_html(None))
        self.result_note = w.HTML()
        self.widget = w.VBox(
            [
                self.settings,
                w.HBox([self.solve_button, self.stop_button, self.run_name, self.progress_bar]),
                w.HBox([self.progress_label, self.progress_chart]),
                self.kpi_cards,
                self.result_note,
            ]
        )

    def weights(self) -> dict[str, int]:
        return {name: int(slider.value) for name, slider in self.weight_sliders.items()}

    def reset_weights(self) -> None:
        defaults = Weights()
        for name, slider in self.weight_sliders.items():
            slider.value = int(getattr(defaults, name))

    # ------------------------------------------------------------------ a solve's life

    def busy(self, method: str) -> None:
        """A solve has started: Solve is off, Stop is on, the progress starts from nothing."""
        self.solve_button.disabled = True
        self.stop_button.disabled = False
        self._points = []
        self._floor = 0.0
        self.progress_bar.value = 0
        self.progress_bar.bar_style = "info"
        self.progress_label.value = "Making a quick first plan…" if method == "cpsat" else "Planning…"
        self.progress_chart.value = views.progress_svg([])
        self.progress_chart.layout.display = "none" if method == "greedy" else None

    def idle(self) -> None:
        self.solve_button.disabled = False
        self.stop_button.disabled = True

    def stopping(self) -> None:
        self.stop_button.disabled = True
        self.progress_label.value = "Stopping: keeping the best plan so far…"

    def show_draft(self, objective: float, seconds: float) -> None:
        """The quick plan is on screen: its points are the first point of the chart, and the floor of the line."""
        self._floor = float(objective)
        self._points.append((seconds, self._floor, None))
        self.progress_label.value = (
            f"<b>Quick plan ready</b> · {html.escape(views.progress_text(self._floor, None, seconds))} · "
            f'optimising… <span class="wb-note">({views.POINTS_NOTE})</span>'
        )
        self.progress_chart.value = views.progress_svg(self._points)

    def show_progress(self, p: Progress) -> None:
        """One of the optimiser's reports: best plan so far and the upper bound, labelled as such."""
        objective = max(float(p.objective), self._floor)
        bound = None if p.bound is None else float(p.bound)
        self._points.append((float(p.seconds), objective, bound))
        self.progress_label.value = (
            f"{html.escape(views.progress_text(objective, bound, float(p.seconds), str(p.phase)))} "
            f'<span class="wb-note">({views.POINTS_NOTE})</span>'
        )
        self.progress_chart.value = views.progress_svg(self._points)
        self.progress_bar.value = max(self.progress_bar.value, min(float(p.done_fraction), 0.99))

    def tick(self, seconds: float, limit: float) -> None:
        self.progress_bar.value = min(max(self.progress_bar.value, seconds / max(limit, 1e-9)), 0.99)

    def done(self, text: str) -> None:
        self.idle()
        self.progress_bar.value = 1.0
        self.progress_bar.bar_style = "success"
        self.progress_label.value = text

    def failed(self, note: str) -> None:
        self.idle()
        self.progress_bar.bar_style = "danger"
        self.progress_label.value = ""
        self.result_note.value = note

    def clear(self) -> None:
        """New data: nothing of the old plan's solve stays on screen (no stale "Done")."""
        self.progress_bar.value = 0
        self.progress_bar.bar_style = ""
        self.progress_label.value = ""
        self.progress_chart.value = views.progress_svg([])
        self.progress_chart.layout.display = "none"
        self.kpi_cards.value = views.kpi_cards_html(None)
        self.result_note.value = ""

    def show_kpis(self, kpis: dict[str, Any] | None, note: str = "") -> None:
        self.kpi_cards.value = views.kpi_cards_html(kpis)
        self.result_note.value = note

    def note(self, kind: str, text: str) -> None:
        self.result_note.value = message(kind, text)
