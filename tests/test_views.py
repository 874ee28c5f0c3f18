"""Tests of workbench.views and workbench.words: what a person reads, built as plain functions (no widgets)."""

from __future__ import annotations

import re
from datetime import date

import pandas as pd
import pytest
from conftest import csv_frame

import workbench
from workbench import views, words
from workbench.compare import REASON_ADDED, diff_schedules, explain_changes
from workbench.scenario import edit

# --------------------------------------------------------------------------- words


@pytest.mark.parametrize(
    ("n", "noun", "text"),
    [(0, "session", "0 sessions"), (1, "session", "1 session"), (2, "session", "2 sessions"),
     (1, "suitable volunteer", "1 suitable volunteer"), (3, "activity", "3 activities"),
     (2, "day", "2 days"), (1_200, "person", "1,200 people")],
)
def test_count_says_the_number_and_the_noun_in_agreement(n: int, noun: str, text: str) -> None:
    """Never "1 sessions" nor "session(s)"."""
    assert words.count(n, noun) == text


@pytest.mark.parametrize(
    ("code", "word"),
    [("it_help", "IT help"), ("visit", "visit"), ("home_care", "home care")],
)
def test_activity_codes_read_as_words(code: str, word: str) -> None:
    """Known codes have their word; an unknown one reads with spaces."""
    assert words.activity_name(code) == word


@pytest.mark.parametrize(
    ("code", "word"),
    [("da", "Danish"), ("de", "German"), ("ar", "Arabic"), ("so", "Somali"), ("uk", "Ukrainian"), ("qq", "qq")],
)
def test_language_codes_read_as_english_names(code: str, word: str) -> None:
    """ISO 639-1 codes become English language names; an unknown code stays as it is."""
    assert words.language_name(code) == word


def test_modes_and_people_in_words() -> None:
    """Modes in words; people as "name (id)", the id alone when the name is empty."""
    assert [words.mode_name(m) for m in ("in_person", "phone", "either")] == [
        "in person", "phone", "in person or phone"]
    assert words.person_label("Anna Jensen", "v12") == "Anna Jensen (v12)"
    assert words.person_label("", "v12") == words.person_label(None, "v12") == "v12"


# --------------------------------------------------------------------------- two people of one name


@pytest.fixture
def namesakes(base: workbench.Scenario) -> workbench.Scenario:
    """The base scenario with every volunteer called "Anna" and every citizen "Carl"."""
    vols = base.volunteers.assign(name="Anna")
    cits = base.citizens.assign(name="Carl")
    return edit.replace(base, volunteers=vols, citizens=cits)


def test_namesakes_stay_apart_in_the_schedule_calendar_and_map(namesakes, base_schedule) -> None:
    """Same names, different people: every table row, calendar row and map label carries the id."""
    view = views.schedule_view(base_schedule, namesakes)
    assert sorted(set(view["volunteer"])) == ["Anna (v1)", "Anna (v3)"]
    assert sorted(set(view["citizen"])) == ["Carl (c1)", "Carl (c2)", "Carl (c3)"]
    rows = {y for trace in views.gantt_figure(base_schedule, namesakes).data for y in trace.y}
    assert rows == {"Anna (v1)", "Anna (v3)"}  # one calendar row each, not one shared "Anna"
    hover = [t for trace in views.map_figure(namesakes, base_schedule).data for t in trace.text]
    assert all(re.match(r"(Anna \(v\d\)|Carl \(c\d\), )", t) for t in hover)
    assert views.people_options(namesakes.volunteers, "volunteer_id")[0] == ("Anna (v1)", "v1")


def test_the_changes_to_call_about_name_people_with_ids_and_say_why(namesakes, base_schedule) -> None:
    """A re-plan's calls view: volunteers and citizens with ids, the mode in words, the forcing reason."""
    new = base_schedule.copy()
    new.loc[0, "volunteer_id"] = "v3"  # r1 reassigned from v1 to v3
    new = pd.concat([new, csv_frame("""
        request_id,citizen_id,volunteer_id,date,start,end,mode
        r9,c3,v1,2026-01-05,14:00,15:00,phone
    """)], ignore_index=True)
    forced = base_schedule.iloc[[0]].assign(reason="volunteer Anna (v1) is absent 2026-01-05")
    diff = explain_changes(diff_schedules(base_schedule, new), forced)
    calls = views.calls_view(diff, namesakes).set_index("status")
    assert calls.loc["reassigned", "before"] == "Anna (v1) 09:00–10:00 (in person)"
    assert calls.loc["reassigned", "after"] == "Anna (v3) 09:00–10:00 (in person)"
    assert calls.loc["reassigned", "why"] == "volunteer Anna (v1) is absent 2026-01-05"
    assert calls.loc["reassigned", "call"] == "Anna (v1), Anna (v3), Carl (c1)"
    assert calls.loc["added", "why"] == REASON_ADDED and calls.loc["added", "after"].endswith("(phone)")
    assert views.changes_text(diff) == (
        "1 agreed session had to change because of a change you made (the reason is in each row); "
        "1 session newly planned; 4 agreed sessions stay exactly as they were."
    )


def test_a_replan_without_changes_says_nothing_changed(base_schedule) -> None:
    """Same plan twice: no call to make, in one sentence."""
    diff = explain_changes(diff_schedules(base_schedule, base_schedule), None)
    assert views.changes_text(diff) == "Nothing changed: all 5 agreed sessions stay exactly as they were; nobody " \
        "needs a call."


# --------------------------------------------------------------------------- unassigned, weeks, progress


def test_unassigned_view_shows_the_appointment_of_a_fixed_time_request(base) -> None:
    """r4 (a one-off on Mon 12:00) shows its appointment next to the reason; a recurring request shows none;
    weeks count from 1."""
    unassigned = csv_frame("""
        request_id,citizen_id,week,missing,reason
        r4,c2,0,1,no volunteer is free then
        r3,c3,0,1,no volunteer speaks en
    """)
    view = views.unassigned_view(unassigned, base).set_index("request_id")
    assert view.loc["r4", "appointment"] == "Mon 2026-01-05 at 12:00"
    assert view.loc["r3", "appointment"] == ""
    assert view.loc["r4", "citizen"] == "Dagmar (c2)" and view.loc["r4", "activity"] == "walk"
    assert list(view["week"]) == [1, 1]


def test_schedule_view_weeks_count_from_one(base, base_schedule) -> None:
    """The first week of the horizon is week 1 in a view (week 0 in the files)."""
    assert set(views.schedule_view(base_schedule, base)["week"]) == {1}
    assert words.week_number(0) == 1


@pytest.mark.parametrize(
    ("objective", "bound", "expected"),
    [
        (312.0, 340.0, "best plan so far: 312 points · upper bound (no schedule can serve more): 340 · at most 8% "
                       "below the best possible · 2.0 s"),
        (340.0, 340.0, "best plan so far: 340 points · upper bound (no schedule can serve more): 340 · proven best "
                       "possible · 2.0 s"),
        (312.0, None, "best plan so far: 312 points · 2.0 s"),
        (None, None, "no plan yet · 2.0 s"),
    ],
)
def test_progress_text_labels_the_bound(objective, bound, expected) -> None:
    """The line says which bound it shows and how close the plan is; with no bound, none is claimed."""
    assert views.progress_text(objective, bound, 2.0) == expected


def test_kpi_cards_show_points_with_the_honest_bound_only() -> None:
    """The points card shows objective_bound labelled as the upper bound; a reduced model's bound is not shown."""
    cards = {label: (value, hint) for label, value, hint in views.kpi_cards(
        {"objective": 312.0, "objective_bound": 340.0, "relaxation_bound": 999.0})}
    assert cards["Urgency points"] == ("312", "upper bound (no schedule can serve more): 340")
    cards = {label: (value, hint) for label, value, hint in views.kpi_cards({"objective": 10.0})}
    assert cards["Urgency points"] == ("10", "no upper bound known for this method")
    assert {label: value for label, value, _ in views.kpi_cards({"continuity": None})}["Same volunteer"] == "–"


@pytest.mark.parametrize(("kpis", "given"), [
    ({"continuity": 0.83, "objective": 593.0, "objective_before_continuity": 596}, "3 urgency points given up"),
    ({"continuity": 0.72, "objective": 596.0, "objective_before_continuity": 596}, None),
    ({"continuity": 0.72, "objective": 596.0, "objective_before_continuity": None}, None),  # greedy
    ({"continuity": 0.72}, None),
])
def test_the_continuity_card_says_what_the_weight_gave_up(kpis, given) -> None:
    """The 'Same volunteer' card shows, beside the share of friends kept, the urgency points the continuity
    weight gave up for them, and nothing of the kind where none were."""
    hint = {label: hint for label, _value, hint in views.kpi_cards(kpis)}["Same volunteer"]
    assert hint.startswith("repeat requests kept with one volunteer")
    assert ("given up" in hint) == (given is not None)
    if given:
        assert given in hint


def test_progress_chart_draws_plan_and_bound() -> None:
    """The small chart has one line for the best plan and one for the bound."""
    assert views.progress_svg([(0.1, 10.0, 50.0), (0.5, 30.0, 40.0)]).count("<polyline") == 2
    assert views.progress_svg([]).startswith("<svg")


# --------------------------------------------------------------------------- figures from a real solve


def test_views_build_figures_from_a_result() -> None:
    """The figure builders return figures and tables whose counts match the result."""
    scenario = workbench.load_dataset("demo")
    result = workbench.solve(scenario, method="greedy")
    vid = result.schedule["volunteer_id"].value_counts().index[0]
    one = views.gantt_figure(result.schedule, scenario, vid)
    assert sum(len(t.x) for t in one.data) == (result.schedule["volunteer_id"] == vid).sum()
    status = views.citizen_status(scenario, result.schedule)
    assert status["planned"].sum() == len(result.schedule)
    m = views.map_figure(scenario, result.schedule)
    assert sum(len(t.x) for t in m.data) == len(scenario.citizens) + len(scenario.volunteers)
    un = views.unassigned_view(result.unassigned, scenario)
    assert un["missing"].sum() == result.kpis["demand_sessions"] - result.kpis["served_sessions"]
    assert len(views.district_figure(result.kpis).data[0].y) == len(result.kpis["district_coverage"])
    supply = views.supply_demand(scenario)
    assert "IT help" in set(supply["activity"]["activity"]) and "Danish" in set(supply["language"]["language"])


def test_replan_from_text_counts_in_words() -> None:
    """The note on the days before a re-plan's first day agrees in number and warns about changes."""
    diff = pd.DataFrame({"status": ["kept", "kept", "reassigned", "added"],
                         "date": ["2026-01-05", "2026-01-06", "2026-01-08", "2026-01-09"]})
    assert views.kept_before(diff, date(2026, 1, 7)) == {"before": 2, "kept": 2, "changed": 0}
    assert "the 2 sessions before that day were kept" in views.replan_from_text(diff, date(2026, 1, 7))
    one = pd.DataFrame({"status": ["kept"], "date": ["2026-01-05"]})
    assert "the 1 session before that day was kept" in views.replan_from_text(one, date(2026, 1, 7))
    assert "2 sessions before it changed" in views.replan_from_text(diff, date(2026, 1, 10))
