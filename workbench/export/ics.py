"""One iCalendar file per volunteer, to import into their phone's or mail program's calendar."""

from __future__ import annotations

import functools
import os
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
from icalendar import Calendar, Event, Timezone

from ..words import person_label
from ._common import (
    Session,
    by_volunteer,
    scheduled_volunteers,
    sessions,
    volunteer_names,
    volunteer_paths,
    write_all,
)

DEFAULT_TZ = "Europe/Copenhagen"
PRODID = "-//workbench//volunteer schedule//EN"
_UID_NAMESPACE = uuid.UUID("6f1c1d2e-3b4a-5c6d-8e9f-0a1b2c3d4e5f")
_UID_DOMAIN = "workbench"


def session_uid(request_id: str, day: str, volunteer_id: str) -> str:
    """A stable UID for the session of ``request_id`` on ``day`` (``YYYY-MM-DD``) by ``volunteer_id``.

    The same session gets the same UID in every export, so re-importing a calendar updates
    events instead of duplicating them.
    """
    name = f"{request_id}\x1f{day}\x1f{volunteer_id}"
    return f"{uuid.uuid5(_UID_NAMESPACE, name)}@{_UID_DOMAIN}"


def _summary(s: Session) -> str:
    return f"{'Phone call' if s.mode == 'phone' else 'Visit'}: {s.citizen_label}"


def _description(s: Session) -> str:
    lines = [
        f"Activity: {s.activity_label}" if s.activity else "",
        f"Mode: {s.mode_label}",
        f"Citizen: {s.citizen_label}",
        f"District: {s.district}" if s.district else "",
        f"Request: {s.request_id}",
        f"Map: {s.map_url}" if s.has_place else "",
    ]
    return "\n".join(line for line in lines if line)


def _calendar(
    volunteer_id: str,
    volunteer_name: str,
    volunteer_sessions: Sequence[Session],
    tz: str,
    stamp: datetime | None,
) -> Calendar:
    zone = ZoneInfo(tz)
    dtstamp = (stamp or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", f"Visits: {person_label(volunteer_name, volunteer_id)}")
    cal.add("x-wr-timezone", tz)
    seen: dict[str, int] = {}
    for s in volunteer_sessions:
        uid = session_uid(s.request_id, s.day.isoformat(), s.volunteer_id)
        seen[uid] = seen.get(uid, 0) + 1
        if seen[uid] > 1:  # an invalid schedule may repeat a session; keep UIDs unique anyway
            uid = f"{uid.split('@')[0]}-{seen[uid]}@{_UID_DOMAIN}"
        event = Event()
        event.add("uid", uid)
        event.add("dtstamp", dtstamp)
        event.add("dtstart", s.start_datetime.replace(tzinfo=zone))
        event.add("dtend", s.end_datetime.replace(tzinfo=zone))
        event.add("summary", _summary(s))
        event.add("description", _description(s))
        if s.has_place:
            event.add("location", s.coordinates_text)
            event.add("geo", (s.lat, s.lon))
        event.add("categories", [s.activity_label or "session", s.mode_label])
        event.add("transp", "OPAQUE")
        cal.add_component(event)
    return cal


@functools.lru_cache(maxsize=8)
def _vtimezone(tz: str) -> bytes:
    """The VTIMEZONE of ``tz``, serialised (building it is slow, so once per zone)."""
    return bytes(Timezone.from_tzinfo(ZoneInfo(tz)).to_ical())


def _calendar_bytes(
    volunteer_id: str,
    volunteer_name: str,
    volunteer_sessions: Sequence[Session],
    tz: str,
    stamp: datetime | None,
) -> bytes:
    """The calendar serialised, with the zone's VTIMEZONE ahead of the events (also when there
    are none, so an empty calendar still has a component and imports cleanly)."""
    data = _calendar(volunteer_id, volunteer_name, volunteer_sessions, tz, stamp).to_ical()
    at = data.find(b"BEGIN:VEVENT\r\n")
    if at < 0:
        at = data.rindex(b"END:VCALENDAR")
    return data[:at] + _vtimezone(tz) + data[at:]


def volunteer_calendar_bytes(
    schedule: pd.DataFrame,
    volunteers: pd.DataFrame,
    citizens: pd.DataFrame,
    requests: pd.DataFrame,
    volunteer_id: str,
    tz: str = DEFAULT_TZ,
    stamp: datetime | None = None,
) -> bytes:
    """The ``.ics`` calendar of one volunteer's sessions, as bytes (for a download).

    One VEVENT per session: a stable UID (:func:`session_uid`), DTSTART/DTEND in local
    time with TZID ``tz`` (a VTIMEZONE is included), SUMMARY "Visit: <citizen>" or
    "Phone call: <citizen>", for in-person sessions LOCATION (the coordinates as text) and
    GEO, and a DESCRIPTION naming activity and mode. ``stamp`` is the DTSTAMP (default: now).
    A volunteer without sessions gets a calendar without events.

    Needs ``schedule``: request_id, citizen_id, volunteer_id, date, start, end, mode;
    ``volunteers``: volunteer_id, name; ``citizens``: citizen_id, name, lat, lon;
    ``requests``: request_id, activity.
    """
    all_sessions = sessions(schedule, volunteers, citizens, requests)
    mine = [s for s in all_sessions if s.volunteer_id == volunteer_id]
    name = volunteer_names(volunteers).get(volunteer_id, "")
    return _calendar_bytes(volunteer_id, name, mine, tz, stamp)


def volunteer_calendars(
    schedule: pd.DataFrame,
    volunteers: pd.DataFrame,
    citizens: pd.DataFrame,
    requests: pd.DataFrame,
    out_dir: str | os.PathLike[str],
    tz: str = DEFAULT_TZ,
    overwrite: bool = False,
    stamp: datetime | None = None,
) -> list[Path]:
    """Write ``<out_dir>/<volunteer file name>.ics`` for every volunteer with a session.

    File names come from the volunteer ids made safe and unique (:func:`calendar_paths`).
    Events are as in :func:`volunteer_calendar_bytes`; the columns needed are the same.
    Refuses (:class:`~workbench.outputs.OverwriteRefused`) before writing anything when a
    file exists and ``overwrite`` is false; either every file is written or none.
    Returns the written paths in volunteer-table order.
    """
    all_sessions = sessions(schedule, volunteers, citizens, requests)
    return write_all(_calendar_targets(all_sessions, volunteers, Path(out_dir), tz, stamp), overwrite)


def calendar_paths(
    volunteers: pd.DataFrame, out_dir: str | os.PathLike[str], schedule_ids: Sequence[str] = ()
) -> dict[str, Path]:
    """Volunteer id -> ``.ics`` path in ``out_dir`` (see :func:`volunteer_paths`).

    Needs ``volunteers``: volunteer_id.
    """
    return volunteer_paths(volunteers, out_dir, ".ics", schedule_ids)


def _calendar_targets(
    all_sessions: Sequence[Session],
    volunteers: pd.DataFrame,
    out_dir: Path,
    tz: str,
    stamp: datetime | None,
) -> list[tuple[Path, Any]]:
    ZoneInfo(tz)  # an unknown zone fails here, before anything is written
    names = volunteer_names(volunteers)
    grouped = by_volunteer(all_sessions)
    paths = calendar_paths(volunteers, out_dir, [s.volunteer_id for s in all_sessions])
    targets = []
    for vid in scheduled_volunteers(volunteers, all_sessions):
        data = _calendar_bytes(vid, names.get(vid, ""), grouped[vid], tz, stamp)
        targets.append((paths[vid], _bytes_writer(data)))
    return targets


def _bytes_writer(data: bytes) -> Any:
    return lambda tmp: Path(tmp).write_bytes(data)


def volunteer_calendars_from_scenario(
    schedule: pd.DataFrame,
    scenario: Any,
    out_dir: str | os.PathLike[str],
    tz: str = DEFAULT_TZ,
    overwrite: bool = False,
) -> list[Path]:
    """:func:`volunteer_calendars` with the tables of ``scenario``."""
    return volunteer_calendars(
        schedule, scenario.volunteers, scenario.citizens, scenario.requests, out_dir,
        tz=tz, overwrite=overwrite,
    )
