"""Tests of workbench.export: workbook, calendars, pages, and safe (atomic, non-overwriting) saving."""

from __future__ import annotations

import io
import re
from datetime import date, datetime, time, timedelta
from pathlib import Path
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import icalendar
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook

from workbench.errors import InputError
from workbench.export import (
    OverwriteRefused,
    export_all,
    export_tables,
    safe_filename,
    schedule_workbook,
    session_uid,
    sheet_titles,
    volunteer_calendar_bytes,
    volunteer_calendars,
    volunteer_page_html,
    volunteer_pages,
)
from workbench.export._common import unique_filenames

CPH = ZoneInfo("Europe/Copenhagen")


def _csv(text: str) -> pd.DataFrame:
    return pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)


SCHEDULE = """request_id,citizen_id,volunteer_id,date,start,end,mode
r2,c2,v1,2025-03-04,14:00,14:30,phone
r1,c1,v1,2025-03-03,10:00,11:00,in_person
r3,c1,v2,2025-03-03,09:00,10:00,in_person
r1,c1,v1,2025-03-10,10:00,11:00,in_person
r4,c3,v2,2025-03-30,23:00,24:00,in_person
"""
VOLUNTEERS = """volunteer_id,name,lat,lon,organisation
v1,Ann Hansen,55.68,12.57,Red Cross
v2,Bo Berg,55.70,12.55,
v3,Idle Ida,55.60,12.50,
"""
CITIZENS = """citizen_id,name,lat,lon,district
c1,Carl,55.6761,12.5683,North
c2,Dora,55.6800,12.5900,South
c3,Egon,55.6500,12.5000,South
"""
REQUESTS = """request_id,citizen_id,activity,duration_min
r1,c1,visit,60
r2,c2,it_help,30
r3,c1,walk,60
r4,c3,visit,60
"""
UNASSIGNED = """request_id,citizen_id,week,missing,reason
r2,c2,1,1,no volunteer speaks ar on tue/thu afternoons
"""


@pytest.fixture
def tables() -> dict[str, pd.DataFrame]:
    return {
        "schedule": _csv(SCHEDULE),
        "volunteers": _csv(VOLUNTEERS),
        "citizens": _csv(CITIZENS),
        "requests": _csv(REQUESTS),
    }


def _args(t: dict[str, pd.DataFrame]) -> tuple[pd.DataFrame, ...]:
    return t["schedule"], t["volunteers"], t["citizens"], t["requests"]


# ---------------------------------------------------------------- workbook


def test_workbook_has_overview_unassigned_and_one_sheet_per_scheduled_volunteer(tables, tmp_path):
    """The workbook opens with openpyxl, holds the expected sheets with one row per session."""
    path = schedule_workbook(*_args(tables), tmp_path / "s.xlsx", unassigned=_csv(UNASSIGNED))
    wb = load_workbook(path)
    assert wb.sheetnames == ["Overview", "Unassigned", "v1 Ann Hansen", "v2 Bo Berg"]
    assert wb["Overview"].max_row == 1 + 5
    assert wb["Unassigned"].max_row == 1 + 1
    assert wb["v1 Ann Hansen"].max_row == 1 + 3
    assert wb["v2 Bo Berg"].max_row == 1 + 2


def test_workbook_overview_is_sorted_and_uses_real_date_and_time_cells(tables, tmp_path):
    """Overview rows are sorted by date, start, volunteer and carry date/time cells, names and modes."""
    wb = load_workbook(schedule_workbook(*_args(tables), tmp_path / "s.xlsx"))
    ws = wb["Overview"]
    header = [c.value for c in ws[1]]
    rows = [dict(zip(header, r, strict=True)) for r in ws.iter_rows(min_row=2, values_only=True)]
    assert [r["Request ID"] for r in rows] == ["r3", "r1", "r2", "r1", "r4"]
    first = rows[0]
    assert isinstance(first["Date"], datetime) and first["Date"].date() == date(2025, 3, 3)
    assert first["Start"] == time(9, 0) and first["End"] == time(10, 0)
    assert (first["Volunteer"], first["Citizen"], first["Activity"], first["District"]) == (
        "Bo Berg", "Carl", "walk", "North",
    )
    assert rows[2]["Mode"] == "phone" and first["Mode"] == "in person"
    assert rows[-1]["End"] == timedelta(days=1)  # 24:00 stays a real time value
    assert ws["A2"].number_format == "yyyy-mm-dd" and ws["C2"].number_format == "hh:mm"


def test_workbook_sheets_have_bold_frozen_header_filter_and_widths(tables, tmp_path):
    """Every sheet has a bold header row that is frozen and filtered, and set column widths."""
    wb = load_workbook(schedule_workbook(*_args(tables), tmp_path / "s.xlsx", unassigned=_csv(UNASSIGNED)))
    for ws in wb:
        assert all(cell.font.b for cell in ws[1]), ws.title
        assert ws.freeze_panes == "A2", ws.title
        assert ws.auto_filter.ref and ws.auto_filter.ref.startswith("A1:"), ws.title
        assert ws.column_dimensions["A"].width >= 8, ws.title


def test_workbook_sheet_names_are_unique_short_and_legal_for_long_and_duplicate_names(tables, tmp_path):
    """Long, duplicate and forbidden-character volunteer names still give unique ≤31-char sheet titles."""
    long_name = "Maximiliane Alexandrine Wilhelmine von Hohenzollern"
    volunteers = pd.DataFrame({
        "volunteer_id": ["v1", "v2", "v3", "Overview"],
        "name": [long_name, long_name, "a[b]:c*d?e/f\\g", ""],
        "lat": [55.0] * 4, "lon": [12.0] * 4, "organisation": [""] * 4,
    })
    schedule = _csv(
        "request_id,citizen_id,volunteer_id,date,start,end,mode\n"
        "r1,c1,v1,2025-03-03,10:00,11:00,in_person\n"
        "r2,c2,v2,2025-03-03,10:00,10:30,phone\n"
        "r3,c1,v3,2025-03-04,10:00,11:00,in_person\n"
        "r4,c3,Overview,2025-03-05,10:00,11:00,in_person\n"
    )
    wb = load_workbook(
        schedule_workbook(schedule, volunteers, tables["citizens"], tables["requests"], tmp_path / "s.xlsx")
    )
    titles = wb.sheetnames[1:]
    assert len(titles) == 4
    assert len({t.lower() for t in wb.sheetnames}) == len(wb.sheetnames)
    assert all(len(t) <= 31 and not re.search(r"[\[\]:*?/\\]", t) for t in titles)
    assert titles[0].startswith("v1 Maximiliane") and titles[1].startswith("v2 Maximiliane")
    assert all(wb[t].max_row == 2 for t in titles)


def test_workbook_keeps_formula_like_names_as_text(tables, tmp_path):
    """A citizen named like a formula is stored as text, never as an Excel formula."""
    tables["citizens"].loc[0, "name"] = "=HYPERLINK(\"http://evil\")"
    wb = load_workbook(schedule_workbook(*_args(tables), tmp_path / "s.xlsx"))
    cells = [c for row in wb["Overview"].iter_rows(min_row=2) for c in row if c.column_letter == "I"]
    assert any(c.value == "=HYPERLINK(\"http://evil\")" and c.data_type == "s" for c in cells)


@given(st.lists(st.text(min_size=0, max_size=60), max_size=12))
def test_sheet_titles_are_always_valid_and_unique(labels):
    """For any labels, sheet titles are ≤31 chars, free of forbidden characters and unique ignoring case."""
    titles = sheet_titles(labels)
    assert len(titles) == len(labels)
    lowered = [t.lower() for t in titles] + ["overview", "unassigned"]
    assert len(set(lowered)) == len(lowered)
    for t in titles:
        assert 0 < len(t) <= 31
        assert not re.search(r"[\[\]:*?/\\\x00-\x1f]", t)
        assert not t.startswith("'") and not t.endswith("'")


# ---------------------------------------------------------------- calendars


def _events(data: bytes) -> list[icalendar.Event]:
    return list(icalendar.Calendar.from_ical(data).walk("VEVENT"))


def test_calendar_files_parse_with_right_events_times_and_tzid(tables, tmp_path):
    """Each volunteer's .ics parses back with the right number of events, local start/end and TZID."""
    paths = volunteer_calendars(*_args(tables), tmp_path / "cal")
    assert [p.name for p in paths] == ["v1.ics", "v2.ics"]
    cal = icalendar.Calendar.from_ical(paths[0].read_bytes())
    assert [tz["TZID"] for tz in cal.walk("VTIMEZONE")] == ["Europe/Copenhagen"]
    events = sorted(_events(paths[0].read_bytes()), key=lambda e: e.decoded("dtstart"))
    assert len(events) == 3
    first = events[0]
    assert first["DTSTART"].params["TZID"] == "Europe/Copenhagen"
    assert first.decoded("dtstart") == datetime(2025, 3, 3, 10, 0, tzinfo=CPH)
    assert first.decoded("dtend") == datetime(2025, 3, 3, 11, 0, tzinfo=CPH)
    assert str(first["SUMMARY"]) == "Visit: Carl (c1)"
    assert str(first["LOCATION"]) == "55.676100, 12.568300"
    assert "visit" in str(first["DESCRIPTION"]) and "in person" in str(first["DESCRIPTION"])
    phone = events[1]
    assert str(phone["SUMMARY"]) == "Phone call: Dora (c2)"
    assert "LOCATION" not in phone


def test_calendar_end_of_day_session_ends_at_next_midnight_across_dst(tables):
    """A 23:00-24:00 session on the DST change day ends at local midnight of the next day."""
    events = _events(volunteer_calendar_bytes(*_args(tables), "v2"))
    late = next(e for e in events if e.decoded("dtstart").date() == date(2025, 3, 30))
    assert late.decoded("dtstart") == datetime(2025, 3, 30, 23, 0, tzinfo=CPH)
    assert late.decoded("dtend") == datetime(2025, 3, 31, 0, 0, tzinfo=CPH)
    assert late.decoded("dtstart").utcoffset() == timedelta(hours=2)


def test_calendar_uids_are_stable_and_unique(tables):
    """UIDs derive from request, date and volunteer: the same in every export, distinct per session."""
    stamp = datetime(2025, 1, 1, 12, 0, tzinfo=ZoneInfo("UTC"))
    one = volunteer_calendar_bytes(*_args(tables), "v1", stamp=stamp)
    two = volunteer_calendar_bytes(*_args(tables), "v1", stamp=stamp)
    assert one == two
    uids = [str(e["UID"]) for e in _events(one)]
    assert len(set(uids)) == 3
    assert session_uid("r1", "2025-03-03", "v1") in uids


def test_calendar_for_volunteer_without_sessions_is_valid_and_empty(tables):
    """A volunteer with no sessions gets a parseable calendar with no events."""
    data = volunteer_calendar_bytes(*_args(tables), "v3")
    assert _events(data) == []
    assert icalendar.Calendar.from_ical(data).walk("VTIMEZONE")


def test_calendar_file_names_are_sanitised_and_unique(tables, tmp_path):
    """Volunteer ids with unsafe characters get safe, distinct file names inside out_dir."""
    volunteers = pd.DataFrame({
        "volunteer_id": ["a/b", "a_b", "../x"], "name": ["A", "B", "X"],
        "lat": [55.0] * 3, "lon": [12.0] * 3, "organisation": [""] * 3,
    })
    schedule = _csv(
        "request_id,citizen_id,volunteer_id,date,start,end,mode\n"
        "r1,c1,a/b,2025-03-03,10:00,11:00,in_person\n"
        "r2,c2,a_b,2025-03-03,10:00,10:30,phone\n"
        "r3,c1,../x,2025-03-04,10:00,11:00,in_person\n"
    )
    out = tmp_path / "cal"
    paths = volunteer_calendars(schedule, volunteers, tables["citizens"], tables["requests"], out)
    names = [p.name for p in paths]
    assert len(set(names)) == 3
    assert names[1] == "a_b.ics"  # an already safe id keeps its own name
    assert all(p.parent == out and re.fullmatch(r"[A-Za-z0-9_.-]+", p.name) for p in paths)
    assert sorted(out.iterdir()) == sorted(paths)


@given(st.lists(st.text(max_size=20), max_size=15))
def test_unique_filenames_are_safe_and_distinct_ignoring_case(ids):
    """Any ids map to non-hidden, safe stems that stay distinct on case-insensitive file systems."""
    stems = unique_filenames(ids)
    assert set(stems) == set(ids)
    assert len({s.lower() for s in stems.values()}) == len(stems)
    for stem in stems.values():
        assert re.fullmatch(r"[A-Za-z0-9_.-]+", stem) and not stem.startswith(".")
    assert safe_filename("ok-name_1.x") == "ok-name_1.x"


# ---------------------------------------------------------------- html


def test_html_escapes_a_citizen_named_script(tables):
    """A citizen named <script> appears escaped and the page contains no script element."""
    tables["citizens"].loc[0, "name"] = "<script>alert('x')</script>"
    page = volunteer_page_html(*_args(tables), "v1")
    assert "<script" not in page.lower()
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page


def _cells(page: str, css_class: str) -> list[str]:
    """The text of every table cell of ``css_class`` (tags inside dropped)."""
    return [re.sub(r"<[^>]+>", "", c) for c in re.findall(rf'<td class="{css_class}">(.*?)</td>', page)]


def test_html_page_lists_sessions_by_week_with_readable_places(tables):
    """Sessions grouped by week; in person the place reads "district (map)" with the link behind the word,
    never raw coordinates; a phone session says so."""
    page = volunteer_page_html(*_args(tables), "v1")
    assert page.count('<section class="week">') == 2
    assert page.count("<tr><td") == 3
    assert _cells(page, "where") == ["North (map)", "phone call", "North (map)"]
    assert page.count('<a href="https://www.openstreetmap.org/?mlat=55.676100&amp;mlon=12.568300">map</a>') == 2
    assert "55.676100" not in re.sub(r'href="[^"]*"', "", page)  # coordinates only inside the links
    assert "Monday" in page and "10:00\u201311:00" in page and "@media print" in page


def test_html_page_shows_people_with_ids_and_activities_in_words(tables):
    """Two citizens of one name stay apart ("Carl (c1)"), and it_help reads "IT help"."""
    tables["citizens"].loc[1, "name"] = "Carl"  # c2 is now also called Carl
    page = volunteer_page_html(*_args(tables), "v1")
    assert _cells(page, "citizen") == ["Carl (c1)", "Carl (c2)", "Carl (c1)"]
    assert _cells(page, "activity") == ["visit", "IT help", "visit"]
    assert "Sessions for Ann Hansen (v1)" in page


def test_html_page_numbers_weeks_from_the_plans_first_week_never_iso(tables):
    """With the plan's first day the headings count weeks from 1 and say so; without it they give dates only."""
    with_start = volunteer_page_html(*_args(tables), "v1", start_date=date(2025, 3, 3))
    headings = re.findall(r"<h2>(.*?)</h2>", with_start)
    assert headings == [
        "Week 1 of the plan: Monday 3 March to Sunday 9 March 2025",
        "Week 2 of the plan: Monday 10 March to Sunday 16 March 2025",
    ]
    assert "week 1 = the first week of the plan" in with_start
    without = re.findall(r"<h2>(.*?)</h2>", volunteer_page_html(*_args(tables), "v1"))
    # (2025-03-03 is in ISO week 10: the exact headings above show that number is not used)
    assert without == [
        "Week of Monday 3 March to Sunday 9 March 2025", "Week of Monday 10 March to Sunday 16 March 2025"
    ]


def test_workbook_keeps_the_files_week_numbers_and_says_so(tables, tmp_path):
    """The Unassigned sheet keeps unassigned.csv's 0-based week and its header says week 0 is the first;
    activities read in words."""
    path = schedule_workbook(*_args(tables), tmp_path / "s.xlsx", unassigned=_csv(UNASSIGNED))
    sheet = load_workbook(path)["Unassigned"]
    header = [c.value for c in sheet[1]]
    row = dict(zip(header, [c.value for c in sheet[2]]))
    assert row["Week (0 = the first week)"] == 1 and row["Activity"] == "IT help"


def test_html_pages_written_per_scheduled_volunteer(tables, tmp_path):
    """volunteer_pages writes one UTF-8 page per volunteer with sessions."""
    paths = volunteer_pages(*_args(tables), tmp_path / "pages")
    assert [p.name for p in paths] == ["v1.html", "v2.html"]
    assert "Bo Berg" in paths[1].read_text(encoding="utf-8")


# ---------------------------------------------------------------- export_all and safe saving


def test_export_all_writes_every_file_and_a_sorted_contract_csv(tables, tmp_path):
    """export_all writes csv, workbook, calendars and pages; schedule.csv is sorted with contract columns."""
    scenario = SimpleNamespace(
        volunteers=tables["volunteers"], citizens=tables["citizens"], requests=tables["requests"],
        settings=SimpleNamespace(start_date=date(2025, 3, 3)),
    )
    paths = export_all(tables["schedule"], scenario, tmp_path, unassigned=_csv(UNASSIGNED))
    rel = sorted(p.relative_to(tmp_path).as_posix() for p in paths)
    assert rel == [
        "calendars/v1.ics", "calendars/v2.ics", "pages/v1.html", "pages/v2.html",
        "schedule.csv", "schedule.xlsx", "unassigned.csv",
    ]
    written = pd.read_csv(tmp_path / "schedule.csv", dtype=str, keep_default_na=False)
    assert list(written.columns) == ["request_id", "citizen_id", "volunteer_id", "date", "start", "end", "mode"]
    assert list(written["request_id"]) == ["r3", "r1", "r2", "r1", "r4"]
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == sorted(p.name for p in paths)


def test_export_refuses_to_overwrite_and_leaves_file_byte_identical(tables, tmp_path):
    """Saving onto an existing file raises OverwriteRefused and leaves the file untouched."""
    target = tmp_path / "s.xlsx"
    target.write_bytes(b"planner's own file")
    with pytest.raises(OverwriteRefused):
        schedule_workbook(*_args(tables), target)
    assert target.read_bytes() == b"planner's own file"


def test_export_all_refuses_before_writing_anything(tables, tmp_path):
    """When one target exists, export_tables writes none of the other files either."""
    existing = tmp_path / "pages" / "v2.html"
    existing.parent.mkdir()
    existing.write_bytes(b"old page")
    with pytest.raises(OverwriteRefused):
        export_tables(*_args(tables), tmp_path)
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == [existing]
    assert existing.read_bytes() == b"old page"


def test_overwrite_true_replaces_existing_files(tables, tmp_path):
    """With overwrite=True existing files are replaced by the new export."""
    export_tables(*_args(tables), tmp_path)
    (tmp_path / "schedule.csv").write_text("stale", encoding="utf-8")
    (tmp_path / "calendars" / "v1.ics").write_text("stale", encoding="utf-8")
    export_tables(*_args(tables), tmp_path, overwrite=True)
    assert (tmp_path / "schedule.csv").read_text(encoding="utf-8").startswith("request_id,")
    assert _events((tmp_path / "calendars" / "v1.ics").read_bytes())


def test_failed_workbook_write_leaves_no_partial_file(tables, tmp_path, monkeypatch):
    """A writer that fails half-way leaves neither the target nor a temporary file behind."""
    def broken_save(self, filename):
        Path(filename).write_bytes(b"PK\x03\x04 half a zip")
        raise OSError("disk full")

    monkeypatch.setattr(Workbook, "save", broken_save)
    with pytest.raises(OSError, match="disk full"):
        schedule_workbook(*_args(tables), tmp_path / "s.xlsx")
    assert list(tmp_path.iterdir()) == []


def test_failed_write_in_export_all_changes_nothing(tables, tmp_path, monkeypatch):
    """A failure in the last file of export_all leaves no new file or folder and alters no old file."""
    import workbench.export.html as html_export

    old = tmp_path / "schedule.csv"
    old.write_bytes(b"old,csv\n")

    def broken_writer(page):
        def write(tmp):
            Path(tmp).write_text(page[:50], encoding="utf-8")
            raise OSError("disk full")
        return write

    monkeypatch.setattr(html_export, "_text_writer", broken_writer)
    with pytest.raises(OSError, match="disk full"):
        export_tables(*_args(tables), tmp_path, overwrite=True)
    assert list(tmp_path.iterdir()) == [old]
    assert old.read_bytes() == b"old,csv\n"


def test_malformed_schedule_cells_are_reported_with_row_and_column(tables):
    """Bad dates, times and modes raise InputError naming each spreadsheet row and column."""
    schedule = tables["schedule"].copy()
    schedule.loc[1, "start"] = "25:00"
    schedule.loc[3, "mode"] = "video"
    with pytest.raises(InputError) as caught:
        volunteer_page_html(schedule, tables["volunteers"], tables["citizens"], tables["requests"], "v1")
    where = {(p.row, p.column) for p in caught.value.problems}
    assert where == {(3, "start"), (5, "mode")}
