"""Tests of workbench.scenario.edit: each edit returns a new, valid scenario with exactly the change asked
for, leaves its input as it was, and refuses impossible edits in a planner's words."""

from __future__ import annotations

import math
from datetime import date

import pytest

import workbench
from workbench.scenario import edit
from workbench.scenario.edit import EditRefused

MONDAY = date(2026, 1, 5)  # the first day of conftest's "base" scenario


def _unchanged(before: workbench.Scenario, snapshot: workbench.Scenario) -> None:
    assert before.equals(snapshot), "the edit changed its input"


@pytest.fixture
def copy_of(base: workbench.Scenario) -> workbench.Scenario:
    return edit.replace(base)  # an equal, separate scenario to compare the input with afterwards


def test_replace_with_nothing_gives_an_equal_scenario(base, copy_of) -> None:
    """replace() without changes reads the same scenario again."""
    assert copy_of.equals(base) and copy_of is not base


def test_mark_absent_adds_one_absence_row(base, copy_of) -> None:
    """An absence of v2 from Tue to Wed is one more row, and v2 is then absent on those days."""
    ill = edit.mark_absent(base, "v2", "2026-01-06", date(2026, 1, 7))
    _unchanged(base, copy_of)
    rows = ill.volunteer_absences
    assert len(rows) == len(base.volunteer_absences) + 1
    assert rows.iloc[-1].tolist() == ["v2", date(2026, 1, 6), date(2026, 1, 7)]
    one_day = edit.mark_absent(base, "v2", MONDAY)
    assert one_day.volunteer_absences.iloc[-1].tolist() == ["v2", MONDAY, MONDAY]


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (("nobody", MONDAY), "there is no volunteer nobody"),
        (("", MONDAY), "choose a volunteer"),
        (("v2", date(2026, 1, 7), date(2026, 1, 6)), "ends (2026-01-06) before it starts (2026-01-07)"),
        (("v2", "the 5th"), "must be a date"),
        # v3 has the base scenario's pin (r5 on Monday 14:00): the refusal names that agreed session
        (("v3", MONDAY), "Cille (v3) has a pinned (agreed) session in those days: request r5 (Carl (c1)) with "
                         "Cille (v3) on Mon 2026-01-05 at 14:00; unpin it first"),
    ],
)
def test_mark_absent_refusals_say_why(base, args, said) -> None:
    """Unknown or missing volunteer, reversed days, a non-date and a pinned session are refused in words."""
    with pytest.raises(EditRefused) as refused:
        edit.mark_absent(base, *args)
    assert said in str(refused.value)


def test_set_volunteer_limits_changes_only_what_is_given(base, copy_of) -> None:
    """Given limits change, None leaves one as it was, math.inf removes it."""
    changed = edit.set_volunteer_limits(base, "v1", max_sessions_per_week=2, max_travel_km=math.inf)
    _unchanged(base, copy_of)
    before = base.volunteers.set_index("volunteer_id").loc["v1"]
    after = changed.volunteers.set_index("volunteer_id").loc["v1"]
    assert after["max_sessions_per_week"] == 2 and after["max_travel_km"] == math.inf
    assert after["max_minutes_per_week"] == before["max_minutes_per_week"] == 150


@pytest.mark.parametrize(
    ("limits", "said"),
    [
        ({"max_sessions_per_week": -1}, "must be a number ≥ 0"),
        ({"max_minutes_per_week": 1.5}, "must be a whole number"),
        ({"max_travel_km": float("nan")}, "must be a number ≥ 0"),
    ],
)
def test_set_volunteer_limits_refuses_impossible_limits(base, limits, said) -> None:
    """Negative, fractional counts and NaN are refused before anything is read."""
    with pytest.raises(EditRefused, match=said):
        edit.set_volunteer_limits(base, "v1", **limits)


def test_a_limit_below_a_pinned_session_is_refused_naming_the_session(base) -> None:
    """v3's pinned session cannot fit a limit of 0 sessions a week: the refusal names the session, not a file row."""
    with pytest.raises(EditRefused) as refused:
        edit.set_volunteer_limits(base, "v3", max_sessions_per_week=0)
    text = str(refused.value)
    assert "the pinned session request r5 (Carl (c1)) with Cille (v3) on Mon 2026-01-05 at 14:00" in text
    assert "pins.csv" not in text and "hard rule" not in text


def test_add_request_recurring_and_one_off(base, copy_of) -> None:
    """A recurring request gets the next free id; a one-off keeps its date and start."""
    assert edit.next_request_id(base) == "new-1"
    more = edit.add_request(base, "c3", "walk", 45, 2, "either")
    _unchanged(base, copy_of)
    row = more.requests.set_index("request_id").loc["new-1"]
    assert (row["citizen_id"], row["activity"], row["duration_min"], row["sessions_per_week"], row["mode"]) == (
        "c3", "walk", 45, 2, "either")
    assert edit.next_request_id(more) == "new-2"
    escort = edit.add_request(more, "c1", "walk", 30, request_id="esc", date="2026-01-07", start="10:30")
    row = escort.requests.set_index("request_id").loc["esc"]
    assert row["date"] == date(2026, 1, 7) and row["start"] == 10 * 60 + 30
    assert int(escort.demand()["esc"]) == 1


@pytest.mark.parametrize(
    ("kwargs", "said"),
    [
        ({"citizen_id": "c9"}, "there is no citizen c9"),
        ({"request_id": "r1"}, "there is already a request r1"),
        ({"mode": "video"}, "the mode must be one of in_person, phone, either"),
        ({"duration_min": 0}, "a session must last some minutes"),
        ({"sessions_per_week": 0}, "sessions per week must be at least 1"),
        ({"start": "10:00"}, "a start time needs a date"),
    ],
)
def test_add_request_refusals(base, kwargs, said) -> None:
    """Unknown citizen, taken id, unknown mode, empty duration or week count, a start without a date."""
    args = {"citizen_id": "c1", "activity": "visit"} | kwargs
    with pytest.raises(EditRefused, match=said):
        edit.add_request(base, **args)


def test_add_citizen_then_a_request_for_them(base) -> None:
    """A new citizen can be given a request at once; their id must be new."""
    more = edit.add_citizen(base, "c4", 55.69, 12.58, ["da", "en"], name="Fie", district="south", priority=4)
    more = edit.add_request(more, "c4", "visit")
    row = more.citizens.set_index("citizen_id").loc["c4"]
    assert row["languages"] == ("da", "en") and row["priority"] == 4 and row["gender_preference"] == "any"
    assert "c4" in set(more.requests["citizen_id"])
    with pytest.raises(EditRefused, match="there is already a citizen c1"):
        edit.add_citizen(base, "c1", 55.0, 12.0, ["da"])


def test_remove_request_takes_its_pins_along(base, copy_of) -> None:
    """Removing r5 removes its pin too (a pin needs its request); other requests stay."""
    fewer = edit.remove_request(base, "r5")
    _unchanged(base, copy_of)
    assert "r5" not in set(fewer.requests["request_id"]) and fewer.pins.empty
    assert len(fewer.requests) == len(base.requests) - 1
    with pytest.raises(EditRefused, match="there is no request r9"):
        edit.remove_request(base, "r9")


def test_set_request_mode_changes_the_given_requests_only(base) -> None:
    """A crisis: r2 (either) becomes phone-only; r1 stays in person."""
    crisis = edit.set_request_mode(base, ["r2"], "phone")
    modes = dict(zip(crisis.requests["request_id"], crisis.requests["mode"]))
    assert modes["r2"] == "phone" and modes["r1"] == "in_person"
    with pytest.raises(EditRefused, match="the mode must be one of"):
        edit.set_request_mode(base, ["r2"], "video")


def test_pin_and_unpin_a_session(base, copy_of) -> None:
    """A session that keeps every rule can be pinned (minutes or HH:MM) and unpinned again."""
    pinned = edit.pin_session(base, "r1", "v1", MONDAY, "09:00")
    _unchanged(base, copy_of)
    assert pinned.pins.iloc[-1].tolist() == ["r1", "v1", MONDAY, 9 * 60]
    assert edit.pin_session(base, "r1", "v1", "2026-01-05", 540).equals(pinned)
    unpinned = edit.unpin_session(pinned, "r1", MONDAY)
    assert unpinned.equals(base)
    with pytest.raises(EditRefused, match="request r1 has no pinned session on 2026-01-05"):
        edit.unpin_session(base, "r1", MONDAY)
    with pytest.raises(EditRefused, match="request r5 is already pinned on 2026-01-05"):
        edit.pin_session(base, "r5", "v3", MONDAY, "13:00")


def test_a_pin_that_breaks_a_rule_is_refused_with_the_rule_in_words(base) -> None:
    """Pinning r1 (needs vetting) with v2 (not vetted, and excluded by c1) says both, about that session."""
    with pytest.raises(EditRefused) as refused:
        edit.pin_session(base, "r1", "v2", "2026-01-06", "10:00")
    (reason,) = refused.value.reasons  # one sentence for the one pin, however many rules it breaks
    assert reason.startswith("the pinned session request r1 (Carl (c1)) with Bo (v2) on Tue 2026-01-06 at 10:00")
    assert "vetting" in reason and "excluded" in reason
    assert "row" not in reason and "pins.csv" not in reason
