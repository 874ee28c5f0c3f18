"""Tests of workbench.compare: the schedule difference and the run comparison."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

import pandas as pd
import pytest

from workbench.compare import (
    DIFF_COLUMNS,
    REASON_ADDED,
    REASON_UNFORCED,
    STATUSES,
    compare_runs,
    diff_schedules,
    explain_changes,
    sessions_before,
    summarize_diff,
)

COLS = ["request_id", "citizen_id", "volunteer_id", "date", "start", "end", "mode"]


def sched(*rows: tuple) -> pd.DataFrame:
    return pd.DataFrame(list(rows), columns=COLS)


OLD = sched(
    ("r1", "c1", "v1", "2025-03-03", "10:00", "11:00", "in_person"),  # kept
    ("r2", "c2", "v1", "2025-03-03", "14:00", "15:00", "in_person"),  # moved (time)
    ("r3", "c3", "v2", "2025-03-04", "09:00", "10:00", "in_person"),  # reassigned to v3
    ("r4", "c4", "v2", "2025-03-05", "09:00", "10:00", "phone"),  # dropped
    ("r5", "c5", "v1", "2025-03-06", "09:00", "10:00", "in_person"),  # other day: dropped + added
)
NEW = sched(
    ("r1", "c1", "v1", "2025-03-03", "10:00", "11:00", "in_person"),
    ("r2", "c2", "v1", "2025-03-03", "16:00", "17:00", "in_person"),
    ("r3", "c3", "v3", "2025-03-04", "09:00", "10:00", "in_person"),
    ("r5", "c5", "v1", "2025-03-07", "09:00", "10:00", "in_person"),
    ("r6", "c6", "v4", "2025-03-07", "12:00", "12:30", "phone"),  # added
)


def by_request(diff: pd.DataFrame) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for r, s in zip(diff["request_id"], diff["status"]):
        out.setdefault(r, []).append(s)
    return {k: sorted(v) for k, v in out.items()}


def test_each_status_follows_its_definition() -> None:
    """Each session pair gets the status the docstring defines (kept/moved/reassigned/dropped/added)."""
    diff = diff_schedules(OLD, NEW)
    assert list(diff.columns) == list(DIFF_COLUMNS)
    assert by_request(diff) == {
        "r1": ["kept"],
        "r2": ["moved"],
        "r3": ["reassigned"],
        "r4": ["dropped"],
        "r5": ["added", "dropped"],
        "r6": ["added"],
    }
    assert summarize_diff(diff) == {"kept": 1, "moved": 1, "reassigned": 1, "added": 2, "dropped": 2}


def test_old_and_new_fields_and_whom_to_call() -> None:
    """Moved/reassigned rows carry both sides; notify names the volunteers to call, none for kept."""
    diff = diff_schedules(OLD, NEW).set_index("request_id")
    assert diff.loc["r1", "notify"] == ""
    assert (diff.loc["r2", "old_start"], diff.loc["r2", "new_start"]) == ("14:00", "16:00")
    assert diff.loc["r3", "notify"] == "v2;v3"
    assert diff.loc["r4", "new_volunteer_id"] == "" and diff.loc["r4", "notify"] == "v2"
    assert diff.loc["r6", "old_start"] == "" and diff.loc["r6", "notify"] == "v4"


def test_mode_change_is_a_move() -> None:
    """A visit turned into a phone call at the same time is 'moved' (the citizen must be told)."""
    new = OLD.copy()
    new.loc[0, "mode"] = "phone"
    diff = diff_schedules(OLD, new)
    assert summarize_diff(diff)["moved"] == 1
    assert summarize_diff(diff)["kept"] == len(OLD) - 1


def test_identical_schedules_are_all_kept_even_when_parsed() -> None:
    """Parsed cells (date objects, minute ints) compare equal to their text form; row order is irrelevant."""
    parsed = OLD.iloc[::-1].copy()
    parsed["date"] = [date.fromisoformat(d) for d in parsed["date"]]
    parsed["start"] = [int(t[:2]) * 60 + int(t[3:]) for t in parsed["start"]]
    diff = diff_schedules(OLD, parsed)
    assert (diff["status"] == "kept").all() and len(diff) == len(OLD)


def test_repeated_sessions_pair_one_to_one() -> None:
    """Two identical old rows against one new row give one kept and one dropped, never a cross product."""
    row = ("r1", "c1", "v1", "2025-03-03", "10:00", "11:00", "in_person")
    diff = diff_schedules(sched(row, row), sched(row))
    assert summarize_diff(diff) == {"kept": 1, "moved": 0, "reassigned": 0, "added": 0, "dropped": 1}


def test_empty_schedules() -> None:
    """Empty inputs give an empty diff with the documented columns, and zero counts."""
    diff = diff_schedules(sched(), sched())
    assert list(diff.columns) == list(DIFF_COLUMNS) and diff.empty
    assert summarize_diff(diff) == dict.fromkeys(STATUSES, 0)
    assert set(diff_schedules(OLD, sched())["status"]) == {"dropped"}


def test_missing_column_is_reported() -> None:
    """A schedule without a contract column is refused with the column's name."""
    with pytest.raises(ValueError, match="volunteer_id"):
        diff_schedules(OLD.drop(columns=["volunteer_id"]), NEW)


def fake_result(served: int, method: str = "cpsat") -> SimpleNamespace:
    kpis = {
        "served_sessions": served,
        "demand_sessions": 10,
        "coverage": served / 10,
        "weighted_coverage": 0.5,
        "citizens_served": 3,
        "citizens_with_demand": 4,
        "min_district_coverage": 0.2,
        "continuity": None,
        "travel_km": 12.5,
    }
    unassigned = pd.DataFrame(
        {
            "request_id": ["r9"],
            "citizen_id": ["c9"],
            "week": ["0"],
            "missing": [str(10 - served)],
            "reason": ["x"],
        }
    )
    return SimpleNamespace(
        kpis=kpis,
        status="FEASIBLE",
        objective=float(served),
        bound=10.0,
        seconds=1.5,
        method=method,
        unassigned=unassigned,
    )


def test_compare_runs_one_row_per_run_in_order() -> None:
    """compare_runs keeps the run order and copies each figure, summing the missing sessions."""
    table = compare_runs({"baseline": fake_result(8), "ill volunteer": fake_result(6, "greedy")})
    assert list(table.index) == ["baseline", "ill volunteer"]
    assert table.loc["baseline", "served_sessions"] == 8
    assert table.loc["ill volunteer", "method"] == "greedy"
    assert table.loc["ill volunteer", "unassigned_sessions"] == 4
    assert table.loc["baseline", "coverage"] == pytest.approx(0.8)
    assert pd.isna(table.loc["baseline", "continuity"])


def test_explain_changes_gives_each_changed_session_its_reason() -> None:
    """Forced sessions take their reason (matched on request, date, old volunteer, old start); added ones are
    newly planned; a change without a forcing reason says so; kept rows have none."""
    forced = OLD.iloc[[2, 3]].assign(reason=["volunteer v2 is absent", "request r4 was removed"])
    diff = explain_changes(diff_schedules(OLD, NEW), forced)
    why = {(r, s): reason for r, s, reason in zip(diff["request_id"], diff["status"], diff["reason"])}
    assert why == {
        ("r1", "kept"): "",
        ("r2", "moved"): REASON_UNFORCED,  # nothing forced r2: the table must not pretend otherwise
        ("r3", "reassigned"): "volunteer v2 is absent",
        ("r4", "dropped"): "request r4 was removed",
        ("r5", "dropped"): REASON_UNFORCED,
        ("r5", "added"): REASON_ADDED,
        ("r6", "added"): REASON_ADDED,
    }
    assert list(explain_changes(diff_schedules(OLD, OLD), None)["reason"]) == [""] * len(OLD)


def test_explain_changes_matches_parsed_and_text_cells_alike() -> None:
    """A forced table with parsed cells (date objects, minutes) matches a text diff."""
    forced = pd.DataFrame([{"request_id": "r3", "citizen_id": "c3", "volunteer_id": "v2", "date": date(2025, 3, 4),
                            "start": 9 * 60, "end": 10 * 60, "mode": "in_person", "reason": "v2 is ill"}])
    diff = explain_changes(diff_schedules(OLD, NEW), forced)
    assert diff.loc[diff["request_id"] == "r3", "reason"].item() == "v2 is ill"


def test_sessions_before_a_day_compares_plans_on_the_days_already_past() -> None:
    """Only sessions dated before the day, as text in a fixed order; equal for plans that agree up to it."""
    early = sessions_before(OLD, date(2025, 3, 4))
    assert list(early["request_id"]) == ["r1", "r2"] and list(early.columns) == COLS
    shuffled = OLD.iloc[::-1].reset_index(drop=True)
    pd.testing.assert_frame_equal(sessions_before(shuffled, date(2025, 3, 5)), sessions_before(OLD, date(2025, 3, 5)))
    assert not sessions_before(OLD, date(2025, 3, 4)).equals(sessions_before(NEW, date(2025, 3, 4)))  # r2 moved
