"""The schedule as one Excel workbook for planners: an overview of every session,
the unassigned demand, and one sheet per volunteer."""

from __future__ import annotations

import io
import os
import re
from collections.abc import Iterable, Sequence
from datetime import date, time, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from ..words import activity_name
from ._common import (
    UNASSIGNED_COLUMNS,
    Session,
    by_volunteer,
    scheduled_volunteers,
    sessions,
    text,
    volunteer_names,
    write_all,
)

OVERVIEW = "Overview"
UNASSIGNED = "Unassigned"
MAX_TITLE = 31
_FORBIDDEN_IN_TITLE = re.compile(r"[\[\]:*?/\\\x00-\x1f\x7f]")
_RESERVED_TITLES = ("history",)  # Excel reserves "History"

_DATE_FORMAT = "yyyy-mm-dd"
_TIME_FORMAT = "hh:mm"
_END_OF_DAY_FORMAT = "[hh]:mm"  # 24:00 is written as a one-day duration
_MIN_WIDTH, _MAX_WIDTH = 8, 60

_OVERVIEW_HEADER = (
    "Date", "Weekday", "Start", "End", "Volunteer ID", "Volunteer", "Organisation",
    "Citizen ID", "Citizen", "District", "Activity", "Mode", "Request ID",
)
_VOLUNTEER_HEADER = (
    "Date", "Weekday", "Start", "End", "Citizen", "District", "Activity", "Mode", "Location",
    "Request ID",
)
# The workbook is a file the workbench writes, so its weeks are the contract's 0-based ones; the header says so.
_UNASSIGNED_HEADER = ("Request ID", "Citizen ID", "Citizen", "Activity", "Week (0 = the first week)", "Missing",
                      "Reason")


def sheet_titles(labels: Iterable[str], reserved: Iterable[str] = (OVERVIEW, UNASSIGNED)) -> list[str]:
    """Valid, unique Excel sheet titles for ``labels``, in order.

    Forbidden characters (``[]:*?/\\`` and control characters) become ``_``, leading and
    trailing apostrophes are dropped, titles are cut to 31 characters, and a title equal
    (ignoring case, as Excel does) to a ``reserved`` or earlier one gets ``~2``, ``~3``, ...
    """
    used = {t.lower() for t in reserved} | set(_RESERVED_TITLES)
    titles: list[str] = []
    for label in labels:
        base = _FORBIDDEN_IN_TITLE.sub("_", label)
        title, n = _trim(base, MAX_TITLE), 1
        while title.lower() in used:
            n += 1
            suffix = f"~{n}"
            title = _trim(base, MAX_TITLE - len(suffix)) + suffix
        used.add(title.lower())
        titles.append(title)
    return titles


def _trim(label: str, length: int) -> str:
    """``label`` cut to ``length`` without surrounding spaces or apostrophes; never empty."""
    trimmed = label.strip(" '")[:length].rstrip(" '")
    return trimmed or "Sheet"[:length]


def build_workbook(
    schedule: pd.DataFrame,
    volunteers: pd.DataFrame,
    citizens: pd.DataFrame,
    requests: pd.DataFrame,
    unassigned: pd.DataFrame | None = None,
) -> Workbook:
    """The workbook in memory (see :func:`schedule_workbook`)."""
    all_sessions = sessions(schedule, volunteers, citizens, requests)
    extra_header = [name for name, _ in all_sessions[0].extra] if all_sessions else []
    wb = Workbook()
    overview = wb.active
    assert overview is not None
    overview.title = OVERVIEW
    _fill(
        overview,
        [*_OVERVIEW_HEADER, *extra_header],
        [
            [
                *_when(s), s.volunteer_id, s.volunteer_name, s.organisation, s.citizen_id,
                s.citizen_name, s.district, s.activity_label, s.mode_label, s.request_id,
                *(value for _, value in s.extra),
            ]
            for s in all_sessions
        ],
    )
    overview.page_setup.orientation = "landscape"

    if unassigned is not None:
        _unassigned_sheet(wb.create_sheet(UNASSIGNED), unassigned, citizens, requests)

    names = volunteer_names(volunteers)
    grouped = by_volunteer(all_sessions)
    ids = scheduled_volunteers(volunteers, all_sessions)
    titles = sheet_titles(f"{vid} {names.get(vid, '')}".strip() for vid in ids)
    for vid, title in zip(ids, titles, strict=True):
        _fill(
            wb.create_sheet(title),
            _VOLUNTEER_HEADER,
            [
                [
                    *_when(s), s.citizen_label, s.district, s.activity_label, s.mode_label,
                    s.coordinates_text, s.request_id,
                ]
                for s in grouped[vid]
            ],
        )
    return wb


def schedule_workbook(
    schedule: pd.DataFrame,
    volunteers: pd.DataFrame,
    citizens: pd.DataFrame,
    requests: pd.DataFrame,
    path: str | os.PathLike[str],
    unassigned: pd.DataFrame | None = None,
    overwrite: bool = False,
) -> Path:
    """Write the schedule as an Excel workbook at ``path``; return the path.

    Sheets: "Overview" (every session by date, start, volunteer, with the volunteer's
    and citizen's names, district, activity and mode), "Unassigned" when ``unassigned``
    is given, and one sheet per volunteer with at least one session (titled from id and
    name, see :func:`sheet_titles`). Dates and times are real date/time cells; every
    sheet has a bold, frozen header row, an autofilter and fitted column widths.

    Needs ``schedule``: request_id, citizen_id, volunteer_id, date, start, end, mode
    (extra columns are appended to the overview); ``volunteers``: volunteer_id, name,
    organisation; ``citizens``: citizen_id, name, district; ``requests``: request_id,
    activity; ``unassigned``: request_id, citizen_id, week, missing, reason.
    Refuses (:class:`~workbench.outputs.OverwriteRefused`) to replace an existing file
    unless ``overwrite``; the write is atomic.
    """
    wb = build_workbook(schedule, volunteers, citizens, requests, unassigned)
    target = Path(path)
    write_all([(target, wb.save)], overwrite)
    return target


def schedule_workbook_bytes(
    schedule: pd.DataFrame,
    volunteers: pd.DataFrame,
    citizens: pd.DataFrame,
    requests: pd.DataFrame,
    unassigned: pd.DataFrame | None = None,
) -> bytes:
    """The workbook of :func:`schedule_workbook` as ``.xlsx`` bytes (for a download)."""
    buffer = io.BytesIO()
    build_workbook(schedule, volunteers, citizens, requests, unassigned).save(buffer)
    return buffer.getvalue()


def schedule_workbook_from_scenario(
    schedule: pd.DataFrame,
    scenario: Any,
    path: str | os.PathLike[str],
    unassigned: pd.DataFrame | None = None,
    overwrite: bool = False,
) -> Path:
    """:func:`schedule_workbook` with the tables of ``scenario`` (``.volunteers``, ``.citizens``,
    ``.requests``)."""
    return schedule_workbook(
        schedule, scenario.volunteers, scenario.citizens, scenario.requests, path,
        unassigned=unassigned, overwrite=overwrite,
    )


# ---------------------------------------------------------------- helpers


def _when(s: Session) -> list[object]:
    end: time | timedelta = (
        timedelta(days=1) if s.end >= 24 * 60 else time(s.end // 60, s.end % 60)
    )
    return [s.day, s.weekday.capitalize(), time(s.start // 60, s.start % 60), end]


def _unassigned_sheet(
    ws: Worksheet, unassigned: pd.DataFrame, citizens: pd.DataFrame, requests: pd.DataFrame
) -> None:
    missing_columns = [c for c in UNASSIGNED_COLUMNS if c not in unassigned.columns]
    if missing_columns:
        raise ValueError(f"unassigned table lacks column(s): {', '.join(missing_columns)}")
    citizen_names = _column_by_id(citizens, "citizen_id", "name")
    activities = _column_by_id(requests, "request_id", "activity")
    extra = [c for c in unassigned.columns if c not in UNASSIGNED_COLUMNS]
    rows = []
    for record in unassigned.to_dict("records"):
        request_id, citizen_id = text(record["request_id"]), text(record["citizen_id"])
        rows.append([
            request_id, citizen_id, citizen_names.get(citizen_id, ""),
            activity_name(activities[request_id]) if activities.get(request_id) else "",
            _number(record["week"]), _number(record["missing"]), text(record["reason"]),
            *(text(record[c]) for c in extra),
        ])
    _fill(ws, [*_UNASSIGNED_HEADER, *map(str, extra)], rows)


def _column_by_id(frame: pd.DataFrame, key: str, column: str) -> dict[str, str]:
    if key not in frame.columns or column not in frame.columns:
        return {}
    result: dict[str, str] = {}
    for k, v in zip(frame[key], frame[column], strict=True):
        result.setdefault(text(k), text(v))
    return result


def _number(value: Any) -> int | str:
    """An integer cell where the value is a whole number, else its text."""
    value_text = text(value)
    try:
        return int(value_text)
    except ValueError:
        return value_text


def _fill(ws: Worksheet, header: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    """Header plus rows, with the sheet's formatting: bold frozen header, filter, widths."""
    widths = [len(h) for h in header]
    bold = Font(bold=True)
    for col, name in enumerate(header, start=1):
        ws.cell(row=1, column=col, value=_clean(name)).font = bold
    for r, values in enumerate(rows, start=2):
        for col, value in enumerate(values, start=1):
            cell = ws.cell(row=r, column=col)
            if isinstance(value, str):
                cell.value = _clean(value)
                cell.data_type = "s"  # a name starting with "=" stays text, never a formula
                shown = len(value)
            elif isinstance(value, timedelta):
                cell.value = value
                cell.number_format = _END_OF_DAY_FORMAT
                shown = 5
            elif isinstance(value, time):
                cell.value = value
                cell.number_format = _TIME_FORMAT
                shown = 5
            elif isinstance(value, date):
                cell.value = value
                cell.number_format = _DATE_FORMAT
                shown = 10
            else:
                cell.value = value  # type: ignore[assignment]
                shown = len(str(value))
            widths[col - 1] = max(widths[col - 1], shown)
    for col, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(col)].width = min(max(width + 2, _MIN_WIDTH), _MAX_WIDTH)
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(header))}{len(rows) + 1}"
    ws.print_title_rows = "1:1"


def _clean(value: str) -> str:
    """Drop the control characters an ``.xlsx`` file cannot hold."""
    return ILLEGAL_CHARACTERS_RE.sub("", value)
