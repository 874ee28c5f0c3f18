"""Exports of a schedule for planners and volunteers: an Excel workbook, one iCalendar
file and one printable HTML page per volunteer, and :func:`export_all` for the lot.

Every function takes plain DataFrames (the schedule in the contract's columns and the
scenario's ``volunteers``, ``citizens`` and ``requests`` tables); the ``*_from_scenario``
variants and :func:`export_all` take a scenario object instead. Nothing is overwritten
unless asked (``overwrite=True``), and files are written atomically.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from ..outputs import OverwriteRefused
from ._common import SCHEDULE_COLUMNS, UNASSIGNED_COLUMNS, Session, safe_filename, sessions, text, write_all
from .html import _page_targets, volunteer_page_html, volunteer_pages, volunteer_pages_from_scenario
from .ics import (
    DEFAULT_TZ,
    _calendar_targets,
    calendar_paths,
    session_uid,
    volunteer_calendar_bytes,
    volunteer_calendars,
    volunteer_calendars_from_scenario,
)
from .xlsx import (
    build_workbook,
    schedule_workbook,
    schedule_workbook_bytes,
    schedule_workbook_from_scenario,
    sheet_titles,
)

__all__ = [
    "DEFAULT_TZ",
    "OverwriteRefused",
    "build_workbook",
    "calendar_paths",
    "export_all",
    "export_tables",
    "safe_filename",
    "schedule_csv_text",
    "schedule_workbook",
    "schedule_workbook_bytes",
    "schedule_workbook_from_scenario",
    "session_uid",
    "sheet_titles",
    "volunteer_calendar_bytes",
    "volunteer_calendars",
    "volunteer_calendars_from_scenario",
    "volunteer_page_html",
    "volunteer_pages",
    "volunteer_pages_from_scenario",
]


def _csv(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def _schedule_csv(all_sessions: Sequence[Session]) -> str:
    extra = [name for name, _ in all_sessions[0].extra] if all_sessions else []
    rows = [
        [
            s.request_id, s.citizen_id, s.volunteer_id, s.day.isoformat(), s.start_text, s.end_text, s.mode,
            *(value for _, value in s.extra),
        ]
        for s in all_sessions
    ]
    return _csv([*SCHEDULE_COLUMNS, *extra], rows)


def schedule_csv_text(
    schedule: pd.DataFrame,
    volunteers: pd.DataFrame,
    citizens: pd.DataFrame,
    requests: pd.DataFrame,
) -> str:
    """``schedule.csv`` as the contract writes it: its columns first (extra columns after),
    dates ``YYYY-MM-DD``, times ``HH:MM``, rows sorted by date, start, volunteer_id.

    Needs ``schedule``: request_id, citizen_id, volunteer_id, date, start, end, mode;
    ``volunteers``/``citizens``/``requests`` with their id columns.
    """
    return _schedule_csv(sessions(schedule, volunteers, citizens, requests))


def _unassigned_csv(unassigned: pd.DataFrame) -> str:
    missing = [c for c in UNASSIGNED_COLUMNS if c not in unassigned.columns]
    if missing:
        raise ValueError(f"unassigned table lacks column(s): {', '.join(missing)}")
    columns = [*UNASSIGNED_COLUMNS, *(str(c) for c in unassigned.columns if c not in UNASSIGNED_COLUMNS)]
    rows = [[text(record[c]) for c in columns] for record in unassigned.to_dict("records")]
    return _csv(columns, rows)


def _text_writer(content: str) -> Any:
    return lambda tmp: Path(tmp).write_text(content, encoding="utf-8", newline="")


def export_tables(
    schedule: pd.DataFrame,
    volunteers: pd.DataFrame,
    citizens: pd.DataFrame,
    requests: pd.DataFrame,
    out_dir: str | os.PathLike[str],
    unassigned: pd.DataFrame | None = None,
    overwrite: bool = False,
    tz: str = DEFAULT_TZ,
    start_date: date | None = None,
) -> list[Path]:
    """Write every export into ``out_dir``; return the written paths.

    - ``schedule.csv`` (contract columns, sorted by date, start, volunteer_id),
    - ``unassigned.csv`` when ``unassigned`` is given (contract columns),
    - ``schedule.xlsx`` (:func:`schedule_workbook`),
    - ``calendars/<volunteer>.ics`` (:func:`volunteer_calendars`),
    - ``pages/<volunteer>.html`` (:func:`volunteer_pages`, weeks numbered from ``start_date``'s week),

    the last two for every volunteer with a session, file names made safe and unique.
    Everything is rendered first; then, if any target exists and ``overwrite`` is false,
    :class:`OverwriteRefused` is raised before anything is written. Either all files are
    written or none is changed.

    Needs the columns listed by :func:`schedule_workbook`, :func:`volunteer_calendar_bytes`
    and :func:`volunteer_page_html`.
    """
    out = Path(out_dir)
    all_sessions = sessions(schedule, volunteers, citizens, requests)
    workbook = build_workbook(schedule, volunteers, citizens, requests, unassigned)
    targets: list[tuple[Path, Any]] = [(out / "schedule.csv", _text_writer(_schedule_csv(all_sessions)))]
    if unassigned is not None:
        targets.append((out / "unassigned.csv", _text_writer(_unassigned_csv(unassigned))))
    targets.append((out / "schedule.xlsx", workbook.save))
    targets += _calendar_targets(all_sessions, volunteers, out / "calendars", tz, None)
    targets += _page_targets(all_sessions, volunteers, out / "pages", start_date)
    return write_all(targets, overwrite)


def export_all(
    schedule: pd.DataFrame,
    scenario: Any,
    out_dir: str | os.PathLike[str],
    unassigned: pd.DataFrame | None = None,
    overwrite: bool = False,
    tz: str = DEFAULT_TZ,
) -> list[Path]:
    """:func:`export_tables` with the tables of ``scenario`` (``.volunteers``, ``.citizens``,
    ``.requests``) and its first day (``.settings.start_date``)."""
    return export_tables(
        schedule, scenario.volunteers, scenario.citizens, scenario.requests, out_dir,
        unassigned=unassigned, overwrite=overwrite, tz=tz, start_date=scenario.settings.start_date,
    )
