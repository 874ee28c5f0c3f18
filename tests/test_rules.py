"""Every hard rule: a schedule that breaks just that rule, and the base schedule that keeps them all."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import pytest

import workbench


def test_base_schedule_is_valid(base, base_schedule):
    """The base schedule keeps all 14 rules (the reference every mutation starts from)."""
    assert workbench.validate(base, base_schedule) == []


def _set(row: str, **cells: str) -> Callable[[pd.DataFrame], pd.DataFrame]:
    def edit(s: pd.DataFrame) -> pd.DataFrame:
        s = s.copy()
        i = s.index[s["request_id"] == row][0]
        for k, v in cells.items():
            s.loc[i, k] = v
        return s

    return edit


def _add(**cells: str) -> Callable[[pd.DataFrame], pd.DataFrame]:
    return lambda s: pd.concat([s, pd.DataFrame([cells])], ignore_index=True)


def _then(*edits: Callable[[pd.DataFrame], pd.DataFrame]) -> Callable[[pd.DataFrame], pd.DataFrame]:
    def edit(s: pd.DataFrame) -> pd.DataFrame:
        for e in edits:
            s = e(s)
        return s

    return edit


BREAKS = [
    (1, "unknown volunteer", _set("r3", volunteer_id="v9")),
    (1, "citizen is not the request's", _set("r3", citizen_id="c1")),
    (2, "volunteer lacks the skill", _set("r1", volunteer_id="v3")),
    (3, "no shared language", _set("r1", volunteer_id="v4", start="09:00")),
    (4, "not vetted", _set("r1", volunteer_id="v5")),
    (5, "gender wish", _set("r2", volunteer_id="v5")),
    (6, "excluded volunteer", _set("r3", volunteer_id="v5")),
    (7, "phone request visited", _set("r3", mode="in_person")),
    (7, "beyond reach", _set("r1", volunteer_id="v7")),
    (8, "outside the volunteer's window", _set("r2", start="15:00", end="16:00")),
    (8, "wrong length", _set("r4", end="13:15")),
    (8, "outside the citizen's window", _set("r3", start="11:45", end="12:15")),
    (8, "outside the horizon", _set("r3", date="2026-01-12")),
    (8, "volunteer absent", _set("r2", date="2026-01-07", start="10:00", end="11:00")),
    (9, "one-off at the wrong time", _set("r4", start="12:30", end="13:30")),
    (9, "one-off on the wrong date", _set("r4", date="2026-01-06")),
    (10, "volunteer double-booked", _set("r2", start="09:30", end="10:30")),
    (10, "no time to travel", _set("r2", start="10:03", end="11:03")),
    (11, "citizen double-booked",
     _then(_set("r2", start="12:30", end="13:30"), _set("r3", start="14:00", end="14:30"))),
    (12, "over the weekly limits", _set("r4", volunteer_id="v1")),
    (13, "twice in one week", _add(request_id="r5", citizen_id="c1", volunteer_id="v3", date="2026-01-06",
                                   start="10:00", end="10:30", mode="phone")),
    (13, "twice in one day", _add(request_id="r5", citizen_id="c1", volunteer_id="v5", date="2026-01-05",
                                  start="11:00", end="11:30", mode="phone")),
    (14, "pin missing", _set("r5", start="14:15", end="14:45")),
]


@pytest.mark.parametrize(("rule", "what", "edit"), BREAKS, ids=[f"rule{r}-{w}" for r, w, _ in BREAKS])
def test_schedule_breaking_one_rule_is_reported_under_that_rule_only(base, base_schedule, rule, what, edit):
    """Breaking one hard rule gives violations of that rule and of no other."""
    violations = workbench.validate(base, edit(base_schedule))
    assert violations, f"{what}: no violation found"
    assert {v.rule for v in violations} == {rule}, [str(v) for v in violations]


def test_every_rule_has_a_breaking_case():
    """The table above covers all 14 rules."""
    assert {r for r, _, _ in BREAKS} == set(range(1, 15))


def test_violation_names_the_schedule_row(base, base_schedule):
    """A violation names the spreadsheet row of the session (header = row 1)."""
    broken = _set("r3", mode="in_person")(base_schedule)
    (v,) = workbench.validate(base, broken)
    assert v.row == 2 + int(broken.index[broken["request_id"] == "r3"][0])
    assert "r3" in v.message


def test_travel_counts_only_between_consecutive_visits(base, base_schedule):
    """A phone call between two visits neither needs travel nor hides the travel the visits need."""
    s = _then(_set("r3", start="10:00", end="10:30"), _set("r2", start="10:30", end="11:30"))(base_schedule)
    # r1 visit ends 10:00 at c1; phone r3 10:00-10:30 (c3's window is 13-15, so expect rule 8 only);
    # r2 visit at 10:30: 30 min after r1, more than the 7 min ride from c1 to c2.
    assert {v.rule for v in workbench.validate(base, s)} == {8}


def test_touching_windows_are_united(base, base_schedule):
    """A session spanning two touching availability rows (09-12, 12-15) keeps rule 8."""
    s = _set("r2", start="11:30", end="12:30")(base_schedule)
    s = s[s["request_id"] != "r4"]  # r4 has citizen c2 at 12:00
    assert workbench.validate(base, s) == []
