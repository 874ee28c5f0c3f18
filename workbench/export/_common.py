"""Shared pieces of the exports: one joined, parsed view of a schedule's sessions,
safe and unique file names, and all-or-nothing writing of several files."""

from __future__ import annotations

import contextlib
import math
import os
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pandas as pd

from ..contract import SCHEDULE_COLUMNS, UNASSIGNED_COLUMNS  # noqa: F401  (the contract's columns, one place)
from ..errors import InputError, Problem
from ..outputs import atomic_path, check_overwrite
from ..timeutil import WEEKDAYS, format_time, parse_date, parse_time
from ..words import activity_name, mode_name, person_label

MODES = ("in_person", "phone")


@dataclass(frozen=True)
class Session:
    """One schedule row joined with the names and places the exports show."""

    row: int  # spreadsheet row number in the schedule (header = 1)
    request_id: str
    citizen_id: str
    volunteer_id: str
    day: date
    start: int  # minutes after midnight
    end: int  # minutes after midnight, up to 24 * 60
    mode: str
    volunteer_name: str
    organisation: str
    citizen_name: str
    district: str
    lat: float | None  # the citizen's coordinates, where in-person sessions happen
    lon: float | None
    activity: str
    extra: tuple[tuple[str, str], ...] = ()

    @property
    def weekday(self) -> str:
        """Three-letter weekday, as the contract spells days (``mon``)."""
        return WEEKDAYS[self.day.weekday()]

    @property
    def start_text(self) -> str:
        return format_time(self.start)

    @property
    def end_text(self) -> str:
        return format_time(self.end)

    @property
    def start_datetime(self) -> datetime:
        """Naive local start."""
        return datetime.combine(self.day, time()) + timedelta(minutes=self.start)

    @property
    def end_datetime(self) -> datetime:
        """Naive local end (``24:00`` is midnight of the next day)."""
        return datetime.combine(self.day, time()) + timedelta(minutes=self.end)

    @property
    def citizen_label(self) -> str:
        """The citizen as "name (id)" (names repeat), or the id alone when the name is empty."""
        return person_label(self.citizen_name, self.citizen_id)

    @property
    def volunteer_label(self) -> str:
        """The volunteer as "name (id)", or the id alone when the name is empty."""
        return person_label(self.volunteer_name, self.volunteer_id)

    @property
    def activity_label(self) -> str:
        """The activity in words (``it_help`` → "IT help")."""
        return activity_name(self.activity) if self.activity else ""

    @property
    def mode_label(self) -> str:
        return mode_name(self.mode)

    @property
    def has_place(self) -> bool:
        """In person and with known coordinates."""
        return self.mode == "in_person" and self.lat is not None and self.lon is not None

    @property
    def coordinates_text(self) -> str:
        return f"{self.lat:.6f}, {self.lon:.6f}" if self.has_place else ""

    @property
    def map_url(self) -> str:
        """OpenStreetMap link with a marker at the citizen's place; empty unless :attr:`has_place`."""
        if not self.has_place:
            return ""
        return f"https://www.openstreetmap.org/?mlat={self.lat:.6f}&mlon={self.lon:.6f}"


# ---------------------------------------------------------------- parsing values


def text(value: Any) -> str:
    """A cell as text: missing -> ``""``, ``17.0`` (an id pandas read as float) -> ``"17"``."""
    if isinstance(value, str):
        return value.strip()
    if value is None:
        return ""
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        if value.is_integer():
            return str(int(value))
    if _is_na(value):
        return ""
    return str(value).strip()


def _is_na(value: Any) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _coordinate(value: Any) -> float | None:
    try:
        number = float(text(value))
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _day(value: Any) -> date | None:
    if isinstance(value, datetime):  # includes pd.Timestamp
        return value.date()
    if isinstance(value, date):
        return value
    return parse_date(text(value))


def _minutes(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 0 <= value <= 24 * 60 else None
    if isinstance(value, time):
        return value.hour * 60 + value.minute
    if isinstance(value, timedelta):
        minutes = int(value.total_seconds() // 60)
        return minutes if 0 <= minutes <= 24 * 60 else None
    return parse_time(text(value))


def _require_columns(frame: pd.DataFrame, columns: Iterable[str], file: str) -> list[Problem]:
    return [
        Problem(file, "missing column", column=column) for column in columns if column not in frame.columns
    ]


def _lookup(frame: pd.DataFrame, key: str) -> dict[str, dict[str, Any]]:
    """Rows of ``frame`` by their ``key`` id; the first row wins for a repeated id."""
    rows: dict[str, dict[str, Any]] = {}
    for record in frame.to_dict("records"):
        rows.setdefault(text(record.get(key)), record)
    return rows


# ---------------------------------------------------------------- sessions


def sessions(
    schedule: pd.DataFrame,
    volunteers: pd.DataFrame,
    citizens: pd.DataFrame,
    requests: pd.DataFrame,
) -> list[Session]:
    """Parse and join the schedule; sorted by date, start, volunteer_id, request_id.

    Needs ``schedule``: request_id, citizen_id, volunteer_id, date, start, end, mode;
    ``volunteers``: volunteer_id (name, organisation used when present);
    ``citizens``: citizen_id (name, district, lat, lon used when present);
    ``requests``: request_id (activity used when present).
    Ids missing from the tables are tolerated (names shown empty). Raises
    :class:`~workbench.errors.InputError` listing every malformed schedule cell.
    """
    problems = _require_columns(schedule, SCHEDULE_COLUMNS, "schedule")
    problems += _require_columns(volunteers, ["volunteer_id"], "volunteers")
    problems += _require_columns(citizens, ["citizen_id"], "citizens")
    problems += _require_columns(requests, ["request_id"], "requests")
    if problems:
        raise InputError(problems)
    vols = _lookup(volunteers, "volunteer_id")
    cits = _lookup(citizens, "citizen_id")
    reqs = _lookup(requests, "request_id")
    extra_columns = [c for c in schedule.columns if c not in SCHEDULE_COLUMNS]

    result: list[Session] = []
    for index, record in enumerate(schedule.to_dict("records")):
        row = index + 2
        day = _day(record["date"])
        start = _minutes(record["start"])
        end = _minutes(record["end"])
        mode = text(record["mode"])
        bad = False
        if day is None:
            problems.append(Problem("schedule", "not a date", row, "date", text(record["date"]), "YYYY-MM-DD"))
            bad = True
        for column, value in (("start", start), ("end", end)):
            if value is None:
                problems.append(Problem("schedule", "not a time", row, column, text(record[column]), "HH:MM"))
                bad = True
        if start is not None and end is not None and end <= start:
            problems.append(Problem("schedule", "the session ends before it starts", row, "end", text(record["end"])))
            bad = True
        if mode not in MODES:
            problems.append(Problem("schedule", "unknown mode", row, "mode", mode, "in_person or phone"))
            bad = True
        if bad:
            continue
        assert day is not None and start is not None and end is not None
        volunteer_id = text(record["volunteer_id"])
        citizen_id = text(record["citizen_id"])
        request_id = text(record["request_id"])
        volunteer = vols.get(volunteer_id, {})
        citizen = cits.get(citizen_id, {})
        request = reqs.get(request_id, {})
        result.append(
            Session(
                row=row,
                request_id=request_id,
                citizen_id=citizen_id,
                volunteer_id=volunteer_id,
                day=day,
                start=start,
                end=end,
                mode=mode,
                volunteer_name=text(volunteer.get("name")),
                organisation=text(volunteer.get("organisation")),
                citizen_name=text(citizen.get("name")),
                district=text(citizen.get("district")),
                lat=_coordinate(citizen.get("lat")),
                lon=_coordinate(citizen.get("lon")),
                activity=text(request.get("activity")),
                extra=tuple((str(c), text(record[c])) for c in extra_columns),
            )
        )
    if problems:
        raise InputError(problems)
    result.sort(key=lambda s: (s.day, s.start, s.volunteer_id, s.end, s.request_id))
    return result


def volunteer_ids(volunteers: pd.DataFrame, sessions_: Sequence[Session] = ()) -> list[str]:
    """Every volunteer id in table order (each once), then ids only the schedule names, sorted."""
    ids = list(_lookup(volunteers, "volunteer_id")) if "volunteer_id" in volunteers.columns else []
    ids = [i for i in ids if i]
    return ids + sorted({s.volunteer_id for s in sessions_} - set(ids))


def volunteer_names(volunteers: pd.DataFrame) -> dict[str, str]:
    """Volunteer id -> name (``""`` when the table has no names)."""
    if "volunteer_id" not in volunteers.columns:
        return {}
    return {vid: text(r.get("name")) for vid, r in _lookup(volunteers, "volunteer_id").items()}


def scheduled_volunteers(volunteers: pd.DataFrame, sessions_: Sequence[Session]) -> list[str]:
    """The volunteers with at least one session, in :func:`volunteer_ids` order."""
    busy = {s.volunteer_id for s in sessions_}
    return [v for v in volunteer_ids(volunteers, sessions_) if v in busy]


def by_volunteer(sessions_: Iterable[Session]) -> dict[str, list[Session]]:
    grouped: dict[str, list[Session]] = {}
    for s in sessions_:
        grouped.setdefault(s.volunteer_id, []).append(s)
    return grouped


# ---------------------------------------------------------------- file names

_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]")
_WINDOWS_RESERVED = {"CON", "PRN", "AUX", "NUL"} | {f"{p}{i}" for p in ("COM", "LPT") for i in range(1, 10)}
_MAX_STEM = 100


def safe_filename(name: str) -> str:
    """``name`` with every character outside ``[A-Za-z0-9_.-]`` replaced by ``_``.

    Never empty, never hidden (no leading dot), no trailing dot, never a Windows device name.
    """
    stem = _UNSAFE.sub("_", name)[:_MAX_STEM]
    if stem.startswith("."):
        stem = "_" + stem[1:]
    if stem.endswith("."):
        stem = stem[:-1] + "_"
    if not stem:
        stem = "_"
    if stem.split(".")[0].upper() in _WINDOWS_RESERVED:
        stem = "_" + stem
    return stem


def unique_filenames(ids: Iterable[str]) -> dict[str, str]:
    """Map each id to a :func:`safe_filename` stem, unique even on case-insensitive file systems.

    Ids that are already safe keep their own name when they can; of the rest, in order,
    the first to claim a stem keeps it and later ones get ``-2``, ``-3``, ... appended.
    """
    ordered = list(dict.fromkeys(ids))
    stems: dict[str, str] = {}
    used: set[str] = set()
    for ident in ordered:  # first pass: safe ids keep their names
        if safe_filename(ident) == ident and ident.lower() not in used:
            stems[ident] = ident
            used.add(ident.lower())
    for ident in ordered:
        if ident in stems:
            continue
        base = safe_filename(ident)
        stem, n = base, 1
        while stem.lower() in used:
            n += 1
            stem = f"{base}-{n}"
        used.add(stem.lower())
        stems[ident] = stem
    return {ident: stems[ident] for ident in ordered}


def volunteer_paths(
    volunteers: pd.DataFrame, out_dir: str | os.PathLike[str], suffix: str, schedule_ids: Iterable[str] = ()
) -> dict[str, Path]:
    """Volunteer id -> ``out_dir/<stem><suffix>``, with stems from :func:`unique_filenames`
    over every id of the table (then ``schedule_ids`` the table lacks, sorted), so a
    volunteer's file name does not depend on who else has sessions."""
    ids = volunteer_ids(volunteers)
    ids += sorted(set(schedule_ids) - set(ids))
    return {vid: Path(out_dir) / f"{stem}{suffix}" for vid, stem in unique_filenames(ids).items()}


# ---------------------------------------------------------------- writing


def write_all(
    targets: Sequence[tuple[Path, Callable[[Path], object]]],
    overwrite: bool,
) -> list[Path]:
    """Write several files, all or nothing.

    First refuses (:class:`~workbench.outputs.OverwriteRefused`) if any target exists and
    ``overwrite`` is false, before touching anything. Then each ``writer(tmp)`` writes a
    temporary file next to its target; only when every writer has succeeded are the
    temporaries renamed over their targets. On a failure no target is created or changed
    and directories this call created are removed again if they are empty.
    """
    paths = [Path(target) for target, _ in targets]
    if len({os.path.normcase(os.path.abspath(p)) for p in paths}) != len(paths):
        raise ValueError("two exports would write the same file")
    for path in paths:
        check_overwrite(path, overwrite)
    created_dirs = _missing_dirs(paths)
    try:
        with contextlib.ExitStack() as stack:
            for path, writer in zip(paths, (w for _, w in targets), strict=True):
                writer(stack.enter_context(atomic_path(path)))
    except BaseException:
        for directory in sorted(created_dirs, key=lambda d: len(d.parts), reverse=True):
            with contextlib.suppress(OSError):
                directory.rmdir()  # only succeeds when empty
        raise
    return paths


def _missing_dirs(paths: Iterable[Path]) -> set[Path]:
    missing: set[Path] = set()
    for path in paths:
        parent = path.absolute().parent
        while not parent.exists():
            missing.add(parent)
            parent = parent.parent
    return missing
