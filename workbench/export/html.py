"""A printable HTML page per volunteer: their sessions week by week. Plain HTML and CSS,
no scripts; every text from the data is escaped.

Made to be read on paper: people as "name (id)", activities and modes in words, the
place as the citizen's district with a link named "map" (never raw coordinates), and
weeks headed by their dates and, when the plan's first day is known, by the plan's own
week number ("week 1 = the first week of the plan"), never an ISO week number.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import date, timedelta
from html import escape
from pathlib import Path
from typing import Any

import pandas as pd

from ..words import WEEK_NOTE, count, person_label
from ._common import (
    Session,
    by_volunteer,
    scheduled_volunteers,
    sessions,
    text,
    volunteer_names,
    volunteer_paths,
    write_all,
)

_HEADER = "".join(
    f"<th>{h}</th>" for h in ("Date", "Day", "Time", "Citizen", "Activity", "Mode", "Where")
)
_SEPARATOR = " \u00b7 "
_WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

_CSS = """
@page { size: A4; margin: 15mm; }
body { font-family: system-ui, -apple-system, "Segoe UI", Arial, sans-serif; font-size: 11pt;
       color: #000; background: #fff; margin: 1.5em; line-height: 1.35; }
h1 { font-size: 16pt; margin: 0 0 .2em; }
h2 { font-size: 12.5pt; margin: 1.2em 0 .4em; border-bottom: 1px solid #000; }
p.meta { margin: 0 0 1em; color: #333; }
table { border-collapse: collapse; width: 100%; }
th, td { border: 1px solid #888; padding: 4px 6px; text-align: left; vertical-align: top; }
th { background: #eee; }
thead { display: table-header-group; }
tr, section.week { break-inside: avoid; page-break-inside: avoid; }
td.time, td.date { white-space: nowrap; }
td.where { white-space: nowrap; }
@media print {
  body { margin: 0; }
  a { color: #000; text-decoration: none; }
  th { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
""".strip()


def _e(value: object) -> str:
    return escape(str(value), quote=True)


def _where(s: Session) -> str:
    """The place in words: the citizen's district and a link named "map" (the coordinates stay in the link)."""
    if s.mode == "phone":
        return "phone call"
    district = _e(s.district) if s.district else ""
    if not s.has_place:
        return district
    link = f'<a href="{_e(s.map_url)}">map</a>'
    return f"{district} ({link})" if district else link


def _row(s: Session) -> str:
    cells = [
        ("date", s.day.isoformat()),
        ("weekday", _WEEKDAY_NAMES[s.day.weekday()]),
        ("time", f"{s.start_text}\u2013{s.end_text}"),
        ("citizen", s.citizen_label),
        ("activity", s.activity_label),
        ("mode", s.mode_label),
    ]
    tds = "".join(f'<td class="{cls}">{_e(value)}</td>' for cls, value in cells)
    return f'      <tr>{tds}<td class="where">{_where(s)}</td></tr>'


def _week_heading(monday: date, start_date: date | None) -> str:
    """"Week 1 of the plan: Monday 5 January to Sunday 11 January 2026" (the plan's own count, never ISO's)."""
    sunday = monday + timedelta(days=6)
    dates = f"Monday {monday.day} {monday:%B} to Sunday {sunday.day} {sunday:%B %Y}"
    if start_date is None:
        return f"Week of {dates}"
    number = (monday - (start_date - timedelta(days=start_date.weekday()))).days // 7 + 1
    return f"Week {number} of the plan: {dates}"


def _page(volunteer_id: str, name: str, organisation: str, mine: Sequence[Session],
          start_date: date | None = None) -> str:
    who = person_label(name, volunteer_id)
    lines = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e('Sessions: ' + who)}</title>",
        f"<style>\n{_CSS}\n</style>",
        "</head>",
        "<body>",
        f"<h1>{_e('Sessions for ' + who)}</h1>",
    ]
    meta = [organisation] if organisation else []
    if mine:
        meta.append(f"{count(len(mine), 'session')}, {mine[0].day.isoformat()} to {mine[-1].day.isoformat()}")
    else:
        meta.append("No sessions scheduled.")
    if start_date is not None:
        meta.append(f"{WEEK_NOTE} (from Monday {start_date - timedelta(days=start_date.weekday())})")
    lines.append(f'<p class="meta">{_e(_SEPARATOR.join(meta))}</p>')

    weeks: dict[date, list[Session]] = {}
    for s in mine:
        weeks.setdefault(s.day - timedelta(days=s.day.weekday()), []).append(s)
    for monday, week_sessions in weeks.items():
        heading = _week_heading(monday, start_date)
        lines += [
            '<section class="week">',
            f"  <h2>{_e(heading)}</h2>",
            "  <table>",
            f"    <thead><tr>{_HEADER}</tr></thead>",
            "    <tbody>",
            *(_row(s) for s in week_sessions),
            "    </tbody>",
            "  </table>",
            "</section>",
        ]
    lines += ["</body>", "</html>", ""]
    return "\n".join(lines)


def _organisations(volunteers: pd.DataFrame) -> dict[str, str]:
    if "volunteer_id" not in volunteers.columns or "organisation" not in volunteers.columns:
        return {}
    result: dict[str, str] = {}
    for vid, org in zip(volunteers["volunteer_id"], volunteers["organisation"], strict=True):
        result.setdefault(text(vid), text(org))
    return result


def volunteer_page_html(
    schedule: pd.DataFrame,
    volunteers: pd.DataFrame,
    citizens: pd.DataFrame,
    requests: pd.DataFrame,
    volunteer_id: str,
    start_date: date | None = None,
) -> str:
    """One volunteer's printable page as an HTML document.

    Their sessions grouped by week (Monday to Sunday), each with date, weekday, time,
    citizen ("name (id)"), activity and mode in words, and where: "phone call", or the
    citizen's district with a link named "map" (an OpenStreetMap marker). Weeks are headed
    by their dates; with ``start_date`` (the plan's first day) also by the plan's week number,
    week 1 being the first week, as the page says. Print-friendly CSS, no scripts, all data
    HTML-escaped.

    Needs ``schedule``: request_id, citizen_id, volunteer_id, date, start, end, mode;
    ``volunteers``: volunteer_id, name, organisation; ``citizens``: citizen_id, name,
    district, lat, lon; ``requests``: request_id, activity.
    """
    all_sessions = sessions(schedule, volunteers, citizens, requests)
    mine = [s for s in all_sessions if s.volunteer_id == volunteer_id]
    name = volunteer_names(volunteers).get(volunteer_id, "")
    return _page(volunteer_id, name, _organisations(volunteers).get(volunteer_id, ""), mine, start_date)


def volunteer_pages(
    schedule: pd.DataFrame,
    volunteers: pd.DataFrame,
    citizens: pd.DataFrame,
    requests: pd.DataFrame,
    out_dir: str | os.PathLike[str],
    overwrite: bool = False,
    start_date: date | None = None,
) -> list[Path]:
    """Write ``<out_dir>/<volunteer file name>.html`` (:func:`volunteer_page_html`, with ``start_date``)
    for every volunteer with a session; file names are the volunteer ids made safe and unique.

    Needs the columns of :func:`volunteer_page_html`. Refuses
    (:class:`~workbench.outputs.OverwriteRefused`) before writing anything when a file exists
    and ``overwrite`` is false; either every file is written or none. Returns the written
    paths in volunteer-table order.
    """
    all_sessions = sessions(schedule, volunteers, citizens, requests)
    return write_all(_page_targets(all_sessions, volunteers, Path(out_dir), start_date), overwrite)


def _page_targets(
    all_sessions: Sequence[Session], volunteers: pd.DataFrame, out_dir: Path, start_date: date | None = None
) -> list[tuple[Path, Any]]:
    names = volunteer_names(volunteers)
    organisations = _organisations(volunteers)
    grouped = by_volunteer(all_sessions)
    paths = volunteer_paths(volunteers, out_dir, ".html", [s.volunteer_id for s in all_sessions])
    targets = []
    for vid in scheduled_volunteers(volunteers, all_sessions):
        page = _page(vid, names.get(vid, ""), organisations.get(vid, ""), grouped[vid], start_date)
        targets.append((paths[vid], _text_writer(page)))
    return targets


def _text_writer(page: str) -> Any:
    return lambda tmp: Path(tmp).write_text(page, encoding="utf-8")


def volunteer_pages_from_scenario(
    schedule: pd.DataFrame,
    scenario: Any,
    out_dir: str | os.PathLike[str],
    overwrite: bool = False,
) -> list[Path]:
    """:func:`volunteer_pages` with the tables and the first day of ``scenario``."""
    return volunteer_pages(
        schedule, scenario.volunteers, scenario.citizens, scenario.requests, out_dir, overwrite=overwrite,
        start_date=scenario.settings.start_date,
    )
