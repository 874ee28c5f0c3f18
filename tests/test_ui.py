"""Tests of the planner app (workbench.ui) without a browser: the widgets are built headless and
driven through the Planner's methods; the background runner is tested without widgets."""

from __future__ import annotations

import io
import re
import subprocess
import sys
import zipfile
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest

import workbench
from workbench import views
from workbench.compare import STATUSES, sessions_before
from workbench.result import Progress, Result
from workbench.scenario import edit
from workbench.ui import Planner
from workbench.ui import planner as planner_widget
from workbench.ui.runner import SolveJob, SolveRunner
from workbench.ui.tabs import ALL

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def planner() -> Planner:
    return Planner("demo")


@pytest.fixture
def solved(planner: Planner) -> Planner:
    run = planner.solve(method="greedy", wait=True)
    assert run is not None, planner.controls.result_note.value
    return planner


def demo_zip(change: Callable[[str, str], str] | None = None) -> bytes:
    """The demo scenario as a zip of CSV files inside a folder, optionally with one file changed."""
    buffer = io.BytesIO()
    folder = workbench.datasets.path("demo")
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in sorted(folder.iterdir()):
            text = path.read_text(encoding="utf-8")
            if change is not None:
                text = change(path.name, text)
            archive.writestr(f"my-scenario/{path.name}", text)
    return buffer.getvalue()


def text_of(markup: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", markup))


# --------------------------------------------------------------------------- what loads ipywidgets


@pytest.mark.parametrize(
    "module",
    ["workbench", "workbench.views", "workbench.ui.runner", "workbench.ui.state", "workbench.ui.upload",
     "workbench.ui"],
)
def test_the_parts_without_widgets_import_without_ipywidgets(module: str) -> None:
    """Views, runner, state and upload reading load without ipywidgets; asking for the Planner loads it."""
    code = (
        f"import sys, {module}; assert 'ipywidgets' not in sys.modules, 'loaded by {module}'; "
        "from workbench.ui import Planner; assert 'ipywidgets' in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


# --------------------------------------------------------------------------- the runner, without widgets


class FakeSolve:
    """Stands in for workbench.solve: the greedy draft at once; the optimiser reports once, then runs
    until it is stopped (or fails, when asked to)."""

    def __init__(self, fail: bool = False) -> None:
        self.fail = fail
        self.calls: list[dict] = []

    def __call__(self, scenario, method, stop, on_progress=None, **kwargs) -> Result:
        self.calls.append({"method": method, **kwargs})
        if method == "greedy":
            return _result("greedy", 5.0)
        if self.fail:
            raise RuntimeError("the optimiser broke")
        on_progress(Progress(seconds=0.1, objective=5.0, bound=9.0, phase="optimising"))
        assert stop.wait(30), "never stopped"
        return _result("cpsat", 7.0)


def _result(method: str, objective: float) -> Result:
    empty = pd.DataFrame()
    return Result(schedule=empty, unassigned=empty, kpis={}, status="FEASIBLE", objective=objective, bound=None,
                  method=method, seconds=0.0)


def test_runner_reports_draft_progress_and_stops_on_request() -> None:
    """Draft, then progress, then Stop: each signalled by its event in order; the outcome says stopped."""
    seen: list[str] = []
    runner = SolveRunner(
        on_draft=lambda r: seen.append(f"draft {r.objective:g}"),
        on_progress=lambda p: seen.append(f"progress {p.objective:g}/{p.bound:g}"),
        on_finish=lambda o: seen.append(f"finish {o.result.objective:g} stopped={o.stopped}"),
        solve=FakeSolve(),
    )
    assert runner.start(SolveJob(scenario=None, time_limit=60))
    assert not runner.start(SolveJob(scenario=None)), "a second solve must wait for the first"
    assert runner.improving.wait(30) and runner.running
    runner.stop()
    assert runner.finished.wait(30)
    assert seen == ["draft 5", "progress 5/9", "finish 7 stopped=True"]
    assert runner.outcome.draft.objective == 5 and not runner.callback_errors


def test_runner_never_ends_with_a_plan_worse_than_its_draft() -> None:
    """Should the optimiser's share of the limit give less than the quick draft, the draft is the result."""

    def short_of_time(scenario, method, stop, on_progress=None, **kwargs) -> Result:
        return _result(method, 5.0 if method == "greedy" else 1.0)

    runner = SolveRunner(solve=short_of_time)
    runner.start(SolveJob(scenario=None, time_limit=1))
    outcome = runner.wait(30)
    assert outcome.result is outcome.draft and outcome.result.objective == 5.0


def test_runner_hands_errors_to_on_finish_and_keeps_going() -> None:
    """A failing solve ends with the error in the outcome; a failing callback is kept, not fatal."""
    outcomes = []

    def broken_draft(_: Result) -> None:
        raise ValueError("display broke")

    runner = SolveRunner(on_draft=broken_draft, on_finish=outcomes.append, solve=FakeSolve(fail=True))
    runner.start(SolveJob(scenario=None))
    outcome = runner.wait(30)
    assert outcome is outcomes[0] and outcome.result is None
    assert str(outcome.error) == "the optimiser broke"
    assert [str(e) for e in runner.callback_errors] == ["display broke"]


def test_runner_passes_the_job_to_solve_and_skips_the_draft_for_greedy() -> None:
    """A greedy job is one greedy solve with the job's previous plan and keep_before; no draft."""
    fake = FakeSolve()
    runner = SolveRunner(solve=fake)
    previous = pd.DataFrame({"x": [1]})
    runner.start(SolveJob(scenario=None, method="greedy", previous=previous, seed=3))
    runner.wait(30)
    assert len(fake.calls) == 1 and fake.calls[0]["method"] == "greedy"
    assert fake.calls[0]["previous"] is previous and fake.calls[0]["seed"] == 3
    assert not runner.drafted.is_set() and runner.outcome.stopped is False


# --------------------------------------------------------------------------- the app


def test_loading_shows_need_and_supply(planner: Planner) -> None:
    """Loading the demo fills the need-and-supply tables, whose needed sessions add up to the demand."""
    scenario = planner.state.scenario
    assert scenario is not None
    assert "wb-supply-activity" in planner.supply.html.value
    assert planner.supply.tables["activity"]["sessions needed"].sum() == scenario.demand().sum()
    assert planner.supply.tables["district"]["sessions needed"].sum() == scenario.demand().sum()
    assert "40 volunteers" in planner.data.source_label.value
    assert "IT help" in planner.supply.html.value and "it_help" not in planner.supply.html.value
    assert "Danish" in planner.supply.html.value


def test_greedy_solve_fills_table_cards_and_figures(solved: Planner) -> None:
    """A solve fills the schedule table, KPI cards with numbers, and every figure of the tabs."""
    table = solved.schedule_table()
    run = solved.state.current_run
    assert len(table) == len(run.result.schedule) > 0
    assert solved.schedule.html.value.count("<tr>") > 1
    values = re.findall(r'class="wb-kpi-value">([^<]*)<', solved.controls.kpi_cards.value)
    assert len(values) == 8 and all(re.search(r"\d", v) for v in values[:-1])
    assert "Sessions planned: " in solved.kpi_text()
    for name in ("map", "calendar", "districts", "runs"):
        assert solved.figures[name].data, name
    assert solved.map.out.outputs[0]["data"]["application/vnd.plotly.v1+json"]["data"]
    assert not solved.solving and not solved.controls.solve_button.disabled and solved.controls.stop_button.disabled
    assert "Done" in solved.controls.progress_label.value


def test_schedule_filters_narrow_the_table(solved: Planner) -> None:
    """Choosing a volunteer in the filter leaves only that volunteer's sessions; "all" brings them back."""
    vid = solved.schedule_table()["volunteer_id"].value_counts().index[0]
    solved.schedule.f_volunteer.value = vid
    shown = solved.schedule_table()
    assert len(shown) > 0 and set(shown["volunteer_id"]) == {vid}
    assert f"{len(shown)} of" in solved.schedule.count.value
    solved.schedule.f_volunteer.value = ALL
    assert len(solved.schedule_table()) == len(solved.state.current_run.result.schedule)


def _dropdowns(p: Planner) -> dict[str, object]:
    return {
        "volunteer filter": p.schedule.f_volunteer, "district filter": p.schedule.f_district,
        "date filter": p.schedule.f_day, "mode filter": p.schedule.f_mode, "calendar": p.calendar.picker,
        "absent volunteer": p.whatif.w_volunteer, "limits volunteer": p.whatif.w_limit_volunteer,
        "citizen": p.whatif.w_citizen, "activity": p.whatif.w_activity, "request": p.whatif.w_request,
        "session": p.whatif.w_session, "pin": p.whatif.w_pin, "export volunteer": p.export.ics_picker,
        "run": p.runs.picker,
    }


def test_no_dropdown_is_ever_blank(planner: Planner) -> None:
    """Every dropdown shows one of its options (a value of None would render as an empty box): after
    loading, solving, choosing "all" again and loading other data."""

    def blank() -> list[str]:
        return [name for name, d in _dropdowns(planner).items() if d.options and d.index is None]

    assert blank() == []
    planner.solve(method="greedy", wait=True)
    assert blank() == []
    planner.schedule.f_volunteer.value = planner.schedule.f_volunteer.options[1][1]
    planner.schedule.f_volunteer.value = ALL
    planner.calendar.picker.value = planner.calendar.picker.options[1][1]
    planner.calendar.picker.value = ALL
    assert blank() == [] and planner.schedule.f_volunteer.label == "all"
    planner.load_dataset("demo.xlsx")
    assert blank() == []


def test_people_show_with_their_ids_in_every_list(solved: Planner) -> None:
    """Volunteers and citizens read "name (id)" in the table, filters, calendar rows and edit forms."""
    view = solved.schedule_table()
    assert all(re.fullmatch(r".+ \(v\d+\)", v) for v in view["volunteer"])
    assert all(re.fullmatch(r".+ \(c\d+\)", c) for c in view["citizen"])
    assert all(re.search(r"\((v\d+)\)$", label) for label, value in solved.schedule.f_volunteer.options if value)
    assert all(label.endswith(f"({value})") for label, value in solved.whatif.w_volunteer.options)
    assert all(label.endswith(f"({value})") for label, value in solved.whatif.w_citizen.options)
    rows = {y for trace in solved.figures["calendar"].data for y in trace.y}
    assert all(re.search(r"\(v\d+\)$", r) for r in rows)


def test_planner_edits_are_the_edit_modules(solved: Planner) -> None:
    """Each form of the What-if tab gives exactly the scenario the pure edit function gives."""
    s = solved.state.scenario
    vid, cid = s.volunteers["volunteer_id"].iloc[0], s.citizens["citizen_id"].iloc[0]
    day = s.settings.start_date + timedelta(days=3)
    assert solved.mark_absent(vid, day, day + timedelta(days=1))
    expected = edit.mark_absent(s, vid, day, day + timedelta(days=1))
    assert solved.state.scenario.equals(expected)
    assert solved.set_volunteer_limits(vid, max_sessions_per_week=1, max_travel_km=float("inf"))
    expected = edit.set_volunteer_limits(expected, vid, max_sessions_per_week=1, max_travel_km=float("inf"))
    assert solved.state.scenario.equals(expected)
    new_id = solved.add_request(cid, "visit", 60, 1, "phone")
    expected = edit.add_request(expected, cid, "visit", 60, 1, "phone", request_id=new_id)
    assert new_id == "new-1" and solved.state.scenario.equals(expected)
    assert solved.remove_request(new_id)
    assert solved.state.scenario.equals(edit.remove_request(expected, new_id))
    assert len(solved.state.edits) == 4 and "edits in force" in solved.whatif.message.value
    solved.reset_edits()
    assert solved.state.edits == [] and solved.state.scenario is solved.state.base


def test_pin_and_unpin_from_the_forms(solved: Planner) -> None:
    """The planned-session dropdown pins a session exactly; the pin dropdown unpins it."""
    solved.whatif.w_session.index = 0
    solved.whatif.pin_button.click()
    session = solved.state.current_run.result.schedule.sort_values(["date", "start", "volunteer_id"]).iloc[0]
    pins = solved.state.scenario.pins
    assert len(pins) == 1 and pins.iloc[0]["request_id"] == session["request_id"]
    assert solved.whatif.w_pin.value.startswith(session["request_id"])
    solved.whatif.unpin_button.click()
    assert solved.state.scenario.pins.empty


def test_an_absence_over_a_pinned_session_is_refused_in_words_and_cleared_by_a_replan(solved: Planner) -> None:
    """The refusal names the agreed session and the volunteer (no file, row or rule number); a later
    successful re-plan does not leave it on screen."""
    session = solved.state.current_run.result.schedule.iloc[0]
    assert solved.pin_session(session["request_id"], session["volunteer_id"], session["date"], session["start"])
    assert not solved.mark_absent(session["volunteer_id"], session["date"])
    said = text_of(solved.whatif.message.value)
    assert "is not possible" in said and "pinned (agreed) session" in said and session["start"] in said
    assert f"({session['volunteer_id']})" in said
    for jargon in ("pins.csv", "hard rule", "row "):
        assert jargon not in said
    assert solved.replan(method="greedy", wait=True) is not None
    assert "is not possible" not in solved.whatif.message.value


def test_absence_and_replan_show_whom_to_call_and_why(solved: Planner) -> None:
    """Marking a busy volunteer absent and re-planning keeps most sessions and lists the changed ones
    with a reason each; the ill volunteer has nothing while away."""
    before = solved.state.current_run
    sched = before.result.schedule
    vid = sched["volunteer_id"].value_counts().index[0]
    days = sorted(sched.loc[sched["volunteer_id"] == vid, "date"])
    first, last = pd.Timestamp(days[0]).date(), pd.Timestamp(days[-1]).date()
    assert solved.mark_absent(vid, first, last), solved.whatif.message.value
    run = solved.replan(method="greedy", wait=True)
    assert run is not None and run.based_on == before.name and run.edits
    counts = dict.fromkeys(STATUSES, 0) | run.diff["status"].value_counts().to_dict()
    assert counts["kept"] > 0
    assert counts["dropped"] + counts["reassigned"] + counts["moved"] > 0
    after = run.result.schedule
    assert not ((after["volunteer_id"] == vid) & (after["date"] >= first.isoformat())
                & (after["date"] <= last.isoformat())).any()
    calls = solved.whatif.calls
    assert len(calls) == counts["dropped"] + counts["reassigned"] + counts["moved"] + counts["added"]
    assert calls["why"].str.len().gt(0).all()
    assert "Changes to call about" in solved.whatif.calls_html.value
    assert list(solved.runs.compared.index) == [before.name, run.name]


def test_a_replan_without_any_change_moves_nothing(solved: Planner) -> None:
    """Re-planning the plan on screen with no edit keeps every agreed session exactly and says so."""
    before = solved.state.current_run
    run = solved.replan(method="greedy", wait=True)
    assert run is not None and set(run.diff["status"]) == {"kept"}
    pd.testing.assert_frame_equal(sessions_before(run.result.schedule, date.max),
                                  sessions_before(before.result.schedule, date.max))
    assert "Nothing changed" in solved.whatif.calls_html.value and solved.whatif.calls.empty


def test_an_absence_on_a_day_already_past_names_the_agreed_sessions_it_forces(solved: Planner) -> None:
    """An absence starting before the re-plan day forces that volunteer's earlier agreed sessions out: the
    calls list names each with the absence as its reason, and nothing speaks of a pins file."""
    st = solved.state.scenario.settings
    cut = st.start_date + timedelta(days=2)
    sched = solved.state.current_run.result.schedule
    early = sched[sched["date"] < cut.isoformat()]
    ill = early["volunteer_id"].value_counts().index[0]
    assert solved.mark_absent(ill, st.start_date, cut)
    run = solved.replan(method="greedy", wait=True, keep_before=cut)
    assert run is not None, solved.controls.result_note.value
    theirs = early[early["volunteer_id"] == ill]
    calls = solved.whatif.calls
    for day in theirs["date"]:
        why = calls.loc[(calls["date"] == day) & calls["before"].str.contains(f"({ill})", regex=False), "why"]
        assert len(why) and why.str.contains(f"{ill} is absent").all(), (day, list(why))
    shown = text_of(solved.whatif.diff_html.value + solved.whatif.calls_html.value)
    assert "pins.csv" not in shown and "pin breaks" not in shown
    others = sessions_before(sched, cut)
    others = others[others["volunteer_id"] != ill].reset_index(drop=True)
    after = sessions_before(run.result.schedule, cut)
    pd.testing.assert_frame_equal(after[after["volunteer_id"] != ill].reset_index(drop=True), others)


def test_replan_with_keep_before_keeps_the_earlier_sessions_and_adds_none(solved: Planner) -> None:
    """Re-planning from mid-week keeps every earlier session exactly, plans nothing new before it, and says so."""
    before = solved.state.current_run
    st = solved.state.scenario.settings
    cut = st.start_date + timedelta(days=2)  # Wednesday of the first week
    sched = before.result.schedule
    ill = sched.loc[sched["date"] >= cut.isoformat(), "volunteer_id"].value_counts().index[0]
    assert solved.mark_absent(ill, cut, st.end_date), solved.whatif.message.value
    run = solved.replan(method="greedy", wait=True, keep_before=cut)
    assert run is not None and run.based_on == before.name, solved.controls.result_note.value
    assert run.keep_before == cut and solved.whatif.replan_from.value == cut
    early = sessions_before(sched, cut)
    assert len(early) > 0
    pd.testing.assert_frame_equal(sessions_before(run.result.schedule, cut), early)
    assert (run.diff["status"] != "kept").any()  # the ill volunteer's later sessions did change
    after = run.result.schedule
    assert ill not in set(after.loc[after["date"] >= cut.isoformat(), "volunteer_id"])
    assert views.kept_before(run.diff, cut)["before"] == len(early)
    assert f"Re-planned from {cut:%a} {cut.isoformat()}" in solved.whatif.diff_html.value
    assert f"{len(early)} sessions before that day were kept" in solved.whatif.diff_html.value
    assert "re-planned from" in solved.controls.result_note.value


def test_the_replan_from_picker_reaches_the_solver(solved: Planner) -> None:
    """The day in the Re-plan from picker is the solver's keep_before: the first week is kept and explained so."""
    st = solved.state.scenario.settings
    picker = solved.whatif.replan_from
    assert (picker.min, picker.max, picker.value) == (st.start_date, st.end_date, None)
    before = solved.state.current_run
    week2 = st.start_date + timedelta(days=7)
    picker.value = week2
    assert solved.state.replan_from == week2
    assert solved.mark_absent(before.result.schedule["volunteer_id"].iloc[0], week2, st.end_date)
    run = solved.replan(method="greedy", wait=True)
    assert run is not None and run.keep_before == week2, solved.controls.result_note.value
    pd.testing.assert_frame_equal(sessions_before(run.result.schedule, week2),
                                  sessions_before(before.result.schedule, week2))
    picker.value = None  # empty: the whole period again
    again = solved.replan(method="greedy", wait=True)
    assert again is not None and again.keep_before is None


def test_replan_from_refuses_days_outside_the_period_and_resets_with_new_data(solved: Planner) -> None:
    """A keep_before outside the period is refused in words; loading data empties the picker and fits its limits."""
    st = solved.state.scenario.settings
    runs = len(solved.state.runs)
    assert solved.replan(method="greedy", wait=True, keep_before=st.end_date + timedelta(days=1)) is None
    assert "outside the planning period" in solved.whatif.message.value
    assert solved.replan(method="greedy", wait=True, keep_before="not a day") is None
    assert "is not a date" in solved.whatif.message.value
    assert len(solved.state.runs) == runs and solved.whatif.replan_from.value is None
    solved.whatif.replan_from.value = st.start_date + timedelta(days=3)
    assert solved.load_dataset("demo") is not None
    assert solved.whatif.replan_from.value is None and solved.state.replan_from is None
    assert (solved.whatif.replan_from.min, solved.whatif.replan_from.max) == (st.start_date, st.end_date)


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
    assert "Traceback" not in planner.data.messages.value and "wb-problems" in planner.data.messages.value
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


def test_stop_ends_the_search_and_keeps_a_plan(planner: Planner) -> None:
    """Stop, pressed once the optimiser reports, ends a 60 s search with the best plan so far."""
    planner.solve(method="cpsat", time_limit=60)
    assert planner.solving and not planner.controls.stop_button.disabled  # the call returned at once
    assert planner.runner.improving.wait(60), "the optimiser never reported"
    planner.stop()
    assert planner.runner.finished.wait(60)
    assert not planner.solving and planner.runner.outcome.stopped
    assert planner.last_run is not None and len(planner.last_run.result.schedule) > 0
    assert "stopped early" in planner.controls.progress_label.value


@pytest.mark.parametrize("enough, named", [(42.0, True), (0.5, False)])
def test_a_quick_plan_cut_short_says_how_long_would_let_it_finish(planner: Planner, monkeypatch, enough: float,
                                                                   named: bool) -> None:
    """When the limit ended even the quick plan, the done line says so and names the seconds that let it
    finish (from ``workbench.minimum_seconds``), only when those are more than the limit given."""
    import workbench.ui.app as app

    def cut(scenario, method, **kwargs) -> Result:
        result = workbench.solve(scenario, method=method, **kwargs)
        result.kpis["baseline_cut_short"] = True
        return result

    planner.runner._solve = cut
    monkeypatch.setattr(app, "minimum_seconds", lambda scenario, **kw: enough)
    assert planner.solve(method="greedy", time_limit=3, wait=True) is not None
    done = text_of(planner.controls.progress_label.value)
    assert "too short even for the quick plan" in done and "more time serves more people" in done
    assert ("about 42 s let it finish" in done) is named, done


def test_progress_starts_from_the_quick_plan_never_from_zero(planner: Planner) -> None:
    """While the quick plan is on screen the progress line shows its points; every later line shows at
    least as many, and the bound is labelled as an upper bound."""
    lines: list[str] = []
    shown = planner.runner.on_progress

    def record(p: Progress) -> None:
        shown(p)
        lines.append(text_of(planner.controls.progress_label.value))

    planner.runner.on_progress = record
    planner.solve(method="cpsat", time_limit=4)
    assert planner.runner.drafted.wait(60)  # the quick plan is on screen now
    quick = text_of(planner.controls.progress_label.value)
    planner.wait(60)
    points = int(re.search(r"best plan so far: ([\d,]+) points", quick).group(1).replace(",", ""))
    assert "Quick plan ready" in quick and points > 0
    assert lines, "the optimiser never reported"
    for line in lines:
        assert int(re.search(r"best plan so far: ([\d,]+) points", line).group(1).replace(",", "")) >= points
        assert not re.search(r"(?<![\d,])0 points", line), line
    if any("bound" in line for line in lines):
        assert all("upper bound (no schedule can serve more)" in line for line in lines if "bound" in line)


def test_exports_ask_before_overwriting(solved: Planner, tmp_path: Path) -> None:
    """Saving twice to one folder asks first; confirming overwrites; downloads are offered as links."""
    paths = solved.save_exports(tmp_path / "out")
    assert paths and (tmp_path / "out" / "schedule.xlsx").exists()
    assert solved.save_exports(tmp_path / "out") is None
    assert solved.export.overwrite_button.layout.display != "none"
    assert "Replace them?" in solved.export.message.value
    solved.export.overwrite_button.click()
    assert "Saved" in solved.export.message.value
    solved.tabs.selected_index = len(solved.tabs.children) - 1  # the Export tab builds its links when opened
    assert 'download="' in solved.export.downloads_html.value and ".xlsx" in solved.export.downloads_html.value
    assert ".ics" in solved.export.volunteer_links.value


def test_planner_function_returns_the_app_widget() -> None:
    """`planner()` gives a displayable widget that keeps its Planner (and the loaded demo) alive."""
    import ipywidgets

    widget = planner_widget()
    assert isinstance(widget, ipywidgets.VBox)
    assert widget._planner.state.scenario is not None


def test_loading_new_data_clears_the_plan_and_the_done_line_but_keeps_the_runs(solved: Planner) -> None:
    """After loading other data nothing of the old plan shows as if it were theirs, not even its "Done"
    line or an edit's message; its run stays listed."""
    assert "Done" in solved.controls.progress_label.value
    solved.whatif.message.value = "<div>an old message</div>"
    assert solved.load_dataset("demo.xlsx") is not None
    assert "No plan yet" in solved.controls.kpi_cards.value
    assert solved.schedule_table().empty and solved.kpi_text() == ""
    assert solved.controls.progress_label.value == "" and solved.controls.progress_bar.value == 0
    assert solved.whatif.message.value == "" and solved.unassigned.html.value == ""
    assert len(solved.state.runs) == 1


def test_unassigned_tab_counts_weeks_from_one_and_says_so(solved: Planner) -> None:
    """The tab's week is unassigned.csv's week + 1, with the note that week 1 is the first week."""
    result = solved.state.current_run.result
    assert "week 1 = the first week of the plan" in solved.unassigned.html.value
    table = solved.unassigned.table
    assert sorted(table["week"].unique()) == sorted(int(w) + 1 for w in result.unassigned["week"].unique())
