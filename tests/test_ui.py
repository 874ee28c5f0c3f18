"""Tests of the planner app (workbench.ui) without a browser: the widgets are built headless and
driven through the Planner's methods, and the figure builders are checked as plain functions."""

from __future__ import annotations

import io
import re
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest

import workbench
from workbench.compare import STATUSES
from workbench.ui import Planner, views
from workbench.ui import planner as planner_widget


@pytest.fixture
def planner() -> Planner:
    return Planner("demo")


@pytest.fixture
def solved(planner: Planner) -> Planner:
    run = planner.solve(method="greedy", wait=True)
    assert run is not None, planner.result_note.value
    return planner


def demo_zip(edit: Callable[[str, str], str] | None = None) -> bytes:
    """The demo scenario as a zip of CSV files inside a folder, optionally with one file edited."""
    buffer = io.BytesIO()
    folder = workbench.datasets.path("demo")
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in sorted(folder.iterdir()):
            text = path.read_text(encoding="utf-8")
            if edit is not None:
                text = edit(path.name, text)
            archive.writestr(f"my-scenario/{path.name}", text)
    return buffer.getvalue()


# --------------------------------------------------------------------------- the app


def test_import_workbench_does_not_load_ipywidgets() -> None:
    """`import workbench` stays light: ipywidgets only comes with `import workbench.ui`."""
    code = (
        "import sys, workbench; assert 'ipywidgets' not in sys.modules; "
        "import workbench.ui; assert 'ipywidgets' in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).resolve().parent.parent)


def test_loading_shows_need_and_supply(planner: Planner) -> None:
    """Loading the demo fills the need-and-supply tables, whose needed sessions add up to the demand."""
    scenario = planner.state.scenario
    assert scenario is not None
    assert "wb-supply-activity" in planner.supply_html.value
    assert planner.supply["activity"]["sessions needed"].sum() == scenario.demand().sum()
    assert planner.supply["district"]["sessions needed"].sum() == scenario.demand().sum()
    assert "40 volunteers" in planner.source_label.value


def test_greedy_solve_fills_table_cards_and_figures(solved: Planner) -> None:
    """A solve fills the schedule table, KPI cards with numbers, and every figure of the tabs."""
    table = solved.schedule_table()
    run = solved.state.current_run
    assert len(table) == len(run.result.schedule) > 0
    assert solved.schedule_html.value.count("<tr>") > 1
    values = re.findall(r'class="wb-kpi-value">([^<]*)<', solved.kpi_cards.value)
    assert len(values) == 7 and all(re.search(r"\d", v) for v in values[:-1])
    assert "Sessions planned: " in solved.kpi_text()
    for name in ("map", "calendar", "districts", "runs"):
        assert solved.figures[name].data, name
    assert solved.map_out.outputs[0]["data"]["application/vnd.plotly.v1+json"]["data"]
    assert not solved.solving and not solved.solve_button.disabled and solved.stop_button.disabled


def test_schedule_filters_narrow_the_table(solved: Planner) -> None:
    """Choosing a volunteer in the filter leaves only that volunteer's sessions."""
    vid = solved.schedule_table()["volunteer_id"].value_counts().index[0]
    solved.f_volunteer.value = vid
    shown = solved.schedule_table()
    assert len(shown) > 0 and set(shown["volunteer_id"]) == {vid}
    assert f"{len(shown)} of" in solved.schedule_count.value


def test_absence_and_replan_show_whom_to_call(solved: Planner) -> None:
    """Marking a busy volunteer absent and re-planning keeps most sessions and lists the changed ones."""
    before = solved.state.current_run
    sched = before.result.schedule
    vid = sched["volunteer_id"].value_counts().index[0]
    days = sorted(sched.loc[sched["volunteer_id"] == vid, "date"])
    first, last = pd.Timestamp(days[0]).date(), pd.Timestamp(days[-1]).date()
    assert solved.mark_absent(vid, first, last), solved.whatif_message.value
    run = solved.replan(method="greedy", wait=True)
    assert run is not None and run.based_on == before.name and run.edits
    counts = dict.fromkeys(STATUSES, 0) | run.diff["status"].value_counts().to_dict()
    assert counts["kept"] > 0
    assert counts["dropped"] + counts["reassigned"] + counts["moved"] > 0
    after = run.result.schedule
    assert not (
        (after["volunteer_id"] == vid)
        & (after["date"] >= first.isoformat())
        & (after["date"] <= last.isoformat())
    ).any()
    assert len(solved.calls) > 0 and "Whom to call" in solved.calls_html.value
    assert list(solved.runs_compared.index) == [before.name, run.name]


def _sessions_before(schedule: pd.DataFrame, day: date) -> pd.DataFrame:
    """The sessions of ``schedule`` dated before ``day``: who, what, which day and when, in a fixed order."""
    key = ["request_id", "volunteer_id", "date", "start"]
    early = schedule.loc[schedule["date"] < day.isoformat(), key]
    return early.sort_values(key).reset_index(drop=True)


def test_replan_with_keep_before_keeps_the_earlier_sessions_and_adds_none(solved: Planner) -> None:
    """Re-planning from mid-week keeps every earlier session exactly, plans nothing new before it, and says so."""
    before = solved.state.current_run
    st = solved.state.scenario.settings
    cut = st.start_date + timedelta(days=2)  # Wednesday of the first week
    sched = before.result.schedule
    ill = sched.loc[sched["date"] >= cut.isoformat(), "volunteer_id"].value_counts().index[0]
    assert solved.mark_absent(ill, cut, st.end_date), solved.whatif_message.value
    run = solved.replan(method="greedy", wait=True, keep_before=cut)
    assert run is not None and run.based_on == before.name, solved.result_note.value
    assert run.keep_before == cut and solved.w_replan_from.value == cut
    early = _sessions_before(sched, cut)
    assert len(early) > 0
    pd.testing.assert_frame_equal(_sessions_before(run.result.schedule, cut), early)
    early_diff = run.diff[run.diff["date"] < cut.isoformat()]
    assert not early_diff["status"].isin(["added", "dropped", "reassigned"]).any()
    after = run.result.schedule
    assert ill not in set(after.loc[after["date"] >= cut.isoformat(), "volunteer_id"])
    assert (run.diff["status"] != "kept").any()  # the ill volunteer's later sessions did change
    assert views.kept_before(run.diff, cut)["before"] == len(early)
    assert f"Re-planned from {cut:%a} {cut.isoformat()}" in solved.diff_html.value
    assert f"{len(early)} session(s) before that day" in solved.diff_html.value
    assert "re-planned from" in solved.result_note.value


def test_the_replan_from_picker_reaches_the_solver(solved: Planner) -> None:
    """The day in the Re-plan from picker is the solver's keep_before: the first week is kept and explained so."""
    st = solved.state.scenario.settings
    picker = solved.w_replan_from
    assert (picker.min, picker.max, picker.value) == (st.start_date, st.end_date, None)
    before = solved.state.current_run
    week2 = st.start_date + timedelta(days=7)
    picker.value = week2
    assert solved.state.replan_from == week2
    assert solved.mark_absent(before.result.schedule["volunteer_id"].iloc[0], week2, st.end_date)
    run = solved.replan(method="greedy", wait=True)
    assert run is not None and run.keep_before == week2, solved.result_note.value
    pd.testing.assert_frame_equal(
        _sessions_before(run.result.schedule, week2), _sessions_before(before.result.schedule, week2)
    )
    # unassigned.csv's week 0 is the first week, wholly before the day: the solver says why nothing is added
    first_week = run.result.unassigned[run.result.unassigned["week"] == 0]
    assert len(first_week) > 0 and first_week["reason"].str.startswith("before the re-planning date").all()

    picker.value = None  # empty: the whole period again
    again = solved.replan(method="greedy", wait=True)
    assert again is not None and again.keep_before is None
    assert not again.result.unassigned["reason"].str.contains("re-planning date").any()


def test_replan_from_refuses_days_outside_the_period_and_resets_with_new_data(solved: Planner) -> None:
    """A keep_before outside the period is refused in words; loading data empties the picker and fits its limits."""
    st = solved.state.scenario.settings
    runs = len(solved.state.runs)
    assert solved.replan(method="greedy", wait=True, keep_before=st.end_date + timedelta(days=1)) is None
    assert "outside the planning period" in solved.whatif_message.value
    assert solved.replan(method="greedy", wait=True, keep_before="not a day") is None
    assert "is not a date" in solved.whatif_message.value
    assert len(solved.state.runs) == runs and solved.w_replan_from.value is None
    solved.w_replan_from.value = st.start_date + timedelta(days=3)
    assert solved.load_dataset("demo") is not None
    assert solved.w_replan_from.value is None and solved.state.replan_from is None
    assert (solved.w_replan_from.min, solved.w_replan_from.max) == (st.start_date, st.end_date)


def test_replan_from_text_reports_kept_and_changed_sessions() -> None:
    """The note counts the earlier sessions kept, and warns about any that changed before the day."""
    diff = pd.DataFrame(
        {
            "status": ["kept", "kept", "reassigned", "added"],
            "date": ["2026-01-05", "2026-01-06", "2026-01-08", "2026-01-09"],
        }
    )
    wednesday = date(2026, 1, 7)
    assert views.kept_before(diff, wednesday) == {"before": 2, "kept": 2, "changed": 0}
    assert "the 2 session(s) before that day were kept" in views.replan_from_text(diff, wednesday)
    assert views.kept_before(diff, date(2026, 1, 10)) == {"before": 3, "kept": 2, "changed": 2}
    assert "2 session(s) before it changed" in views.replan_from_text(diff, date(2026, 1, 10))


def test_bad_upload_lists_every_problem_readably(planner: Planner) -> None:
    """An upload with bad cells shows a list naming file, row and column, and no traceback."""

    def break_cells(name: str, text: str) -> str:
        if name == "volunteers.csv":
            lines = text.splitlines()
            header = lines[1].split(",")
            lat = lines[0].split(",").index("lat")
            header[lat] = "north-ish"
            return "\n".join([lines[0], ",".join(header), *lines[2:]]) + "\n"
        return text

    assert planner.load_upload("broken.zip", demo_zip(break_cells)) is None
    text = planner.message_text()
    assert "volunteers.csv" in text and "lat" in text and "north-ish" in text
    assert "Traceback" not in planner.messages.value and "wb-problems" in planner.messages.value
    assert planner.state.scenario is not None  # the previous data stays loaded


def test_upload_of_another_kind_of_file_is_refused_readably(planner: Planner) -> None:
    """A file that is neither a workbook nor a zip gets one plain sentence."""
    assert planner.load_upload("notes.txt", b"hello") is None
    assert "neither an Excel workbook" in planner.message_text()
    assert planner.load_upload("fake.zip", b"not a zip") is None
    assert "not a readable zip" in planner.message_text()


def test_good_uploads_load(planner: Planner) -> None:
    """A zip of CSVs in a folder and an .xlsx workbook both load."""
    scenario = planner.load_upload("my-scenario.zip", demo_zip())
    assert scenario is not None and len(scenario.volunteers) == 40
    xlsx = workbench.datasets.path("demo.xlsx").read_bytes()
    scenario = planner.load_upload("demo.xlsx", xlsx)
    assert scenario is not None and len(scenario.citizens) == 80


def test_edits_change_the_scenario_and_bad_edits_are_refused(solved: Planner) -> None:
    """Limits, added/removed requests, pins and unpins reach the scenario; an impossible edit is explained."""
    s = solved.state.scenario
    vid = s.volunteers["volunteer_id"].iloc[0]
    assert solved.set_volunteer_limits(vid, max_sessions_per_week=1, max_travel_km=float("inf"))
    row = solved.state.scenario.volunteers.set_index("volunteer_id").loc[vid]
    assert row["max_sessions_per_week"] == 1 and row["max_travel_km"] == float("inf")

    cid = s.citizens["citizen_id"].iloc[0]
    new_id = solved.add_request(cid, "visit", 60, 1, "phone")
    assert new_id in set(solved.state.scenario.requests["request_id"])
    assert solved.remove_request(new_id)
    assert new_id not in set(solved.state.scenario.requests["request_id"])

    session = solved.state.current_run.result.schedule.iloc[0]
    assert solved.pin_session(
        session["request_id"], session["volunteer_id"], session["date"], session["start"]
    )
    assert len(solved.state.scenario.pins) == 1
    assert solved.unpin_session(session["request_id"], session["date"])
    assert len(solved.state.scenario.pins) == 0
    assert len(solved.state.edits) == 5

    assert not solved.mark_absent("nobody", s.settings.start_date)
    assert (
        "unknown reference" in solved.whatif_message.value
        and "volunteer_absences" in solved.whatif_message.value
    )
    solved.reset_edits()
    assert solved.state.edits == [] and solved.state.scenario is solved.state.base


def test_stop_ends_the_search_and_keeps_a_plan(planner: Planner) -> None:
    """Stop during a long optimiser run returns promptly with the best plan so far."""
    started = time.monotonic()
    planner.solve(method="cpsat", time_limit=60)
    assert planner.solving and not planner.stop_button.disabled  # the call returned at once
    time.sleep(2.5)
    planner.stop()
    planner.wait(30)
    assert not planner.solving
    assert time.monotonic() - started < 30
    assert planner.last_run is not None and len(planner.last_run.result.schedule) > 0
    assert "stopped early" in planner.progress_label.value


def test_exports_ask_before_overwriting(solved: Planner, tmp_path: Path) -> None:
    """Saving twice to one folder asks first; confirming overwrites; downloads are offered as links."""
    paths = solved.save_exports(tmp_path / "out")
    assert paths and (tmp_path / "out" / "schedule.xlsx").exists()
    assert solved.save_exports(tmp_path / "out") is None
    assert solved.overwrite_button.layout.display != "none" and "Replace them?" in solved.export_message.value
    solved._confirm_overwrite(True)
    assert "Saved" in solved.export_message.value
    solved.tabs.selected_index = len(solved.tabs.children) - 1  # the Export tab builds its links when opened
    assert 'download="' in solved.downloads_html.value and ".xlsx" in solved.downloads_html.value
    assert ".ics" in solved.volunteer_links.value


# --------------------------------------------------------------------------- views as pure functions


def test_views_build_figures_from_a_result() -> None:
    """The figure builders return plotly figures and tables with the expected content."""
    scenario = workbench.load_dataset("demo")
    result = workbench.solve(scenario, method="greedy")
    vid = result.schedule["volunteer_id"].value_counts().index[0]
    one = views.gantt_figure(result.schedule, scenario, vid)
    assert sum(len(t.x) for t in one.data) == (result.schedule["volunteer_id"] == vid).sum()
    status = views.citizen_status(scenario, result.schedule)
    assert set(status["status"]) <= {"served", "partly served", "not served", "no demand"}
    assert status["planned"].sum() == len(result.schedule)
    m = views.map_figure(scenario, result.schedule)
    assert sum(len(t.x) for t in m.data) == len(scenario.citizens) + len(scenario.volunteers)
    un = views.unassigned_view(result.unassigned, scenario)
    assert un["missing"].sum() == result.kpis["demand_sessions"] - result.kpis["served_sessions"]
    assert len(views.district_figure(result.kpis).data[0].y) == len(result.kpis["district_coverage"])


def test_kpi_cards_and_progress_chart_handle_missing_values() -> None:
    """Undefined figures show as a dash, and the progress chart draws both lines."""
    cards = {label: value for label, value, _ in views.kpi_cards({"continuity": None})}
    assert cards["Same volunteer"] == "–"
    svg = views.progress_svg([(0.1, 10.0, 50.0), (0.5, 30.0, 40.0)])
    assert svg.count("<polyline") == 2
    assert views.progress_svg([]).startswith("<svg")


def test_planner_function_returns_the_app_widget() -> None:
    """`planner()` gives a displayable widget that keeps its Planner (and the loaded demo) alive."""
    import ipywidgets

    widget = planner_widget()
    assert isinstance(widget, ipywidgets.VBox)
    assert widget._planner.state.scenario is not None


def test_loading_new_data_clears_the_plan_but_keeps_the_runs(solved: Planner) -> None:
    """After loading other data the old plan is no longer shown as if it were theirs; its run stays listed."""
    assert solved.load_dataset("demo.xlsx") is not None
    assert "No plan yet" in solved.kpi_cards.value
    assert solved.schedule_table().empty and solved.kpi_text() == ""
    assert len(solved.state.runs) == 1
