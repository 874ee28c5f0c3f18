"""What ``SCENARIO_FORMAT.md`` fixes, written once: file and column names, enums, ordering, exit codes.

This module is the bottom layer of the package: it imports nothing from it,
and every other module takes these names from here, so that a change to the
contract is a change to one file.
"""

from __future__ import annotations

from datetime import date

# --------------------------------------------------------------------------- scenario files (section 1)

# Column order of each table as the contract lists it; readers accept any order.
COLUMNS: dict[str, tuple[str, ...]] = {
    "volunteers": (
        "volunteer_id", "name", "lat", "lon", "skills", "languages", "interests", "vetted",
        "gender", "organisation", "travel_mode", "max_travel_km", "max_sessions_per_week",
        "max_minutes_per_week",
    ),
    "volunteer_availability": ("volunteer_id", "day", "start", "end"),
    "volunteer_absences": ("volunteer_id", "from_date", "to_date"),
    "citizens": (
        "citizen_id", "name", "lat", "lon", "languages", "interests", "district", "priority",
        "gender_preference", "preferred_volunteers", "excluded_volunteers",
    ),
    "citizen_availability": ("citizen_id", "day", "start", "end"),
    "requests": (
        "request_id", "citizen_id", "activity", "duration_min", "sessions_per_week", "mode",
        "requires_vetting", "date", "start",
    ),
    "pins": ("request_id", "volunteer_id", "date", "start"),
}
# Columns without which a row means nothing (the others have defaults).
REQUIRED_COLUMNS: dict[str, tuple[str, ...]] = {
    "volunteers": ("volunteer_id", "lat", "lon", "skills", "languages"),
    "citizens": ("citizen_id", "lat", "lon", "languages"),
    "requests": ("request_id", "citizen_id", "activity", "duration_min"),
    "volunteer_availability": ("volunteer_id", "day", "start", "end"),
    "citizen_availability": ("citizen_id", "day", "start", "end"),
    "volunteer_absences": ("volunteer_id", "from_date", "to_date"),
    "pins": ("request_id", "volunteer_id", "date", "start"),
}
REQUIRED_TABLES = ("volunteers", "volunteer_availability", "citizens", "requests")
OPTIONAL_TABLES = ("volunteer_absences", "citizen_availability", "pins")
TABLES = REQUIRED_TABLES + OPTIONAL_TABLES
SETTINGS_FILE = "scenario.toml"
SETTINGS_SHEET = "scenario"
SETTINGS_KEYS = ("name", "start_date", "weeks", "citizen_window", "detour_factor", "speed_kmh")

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
TRAVEL_MODES = ("walk", "bike", "transit", "car")
REQUEST_MODES = ("in_person", "phone", "either")
SESSION_MODES = ("in_person", "phone")
GENDERS = ("f", "m", "x")
GENDER_PREFERENCES = ("any", "f", "m")
TRUE_WORDS = ("true", "yes", "1")
FALSE_WORDS = ("false", "no", "0")

DEFAULT_SPEEDS: dict[str, float] = {"walk": 4.5, "bike": 15.0, "transit": 18.0, "car": 30.0}
DEFAULT_CITIZEN_WINDOW: tuple[int, int] = (9 * 60, 20 * 60)
DEFAULT_DETOUR_FACTOR = 1.3
DEFAULT_PRIORITY = 3
PRIORITIES = (1, 2, 3, 4, 5)
EARTH_RADIUS_KM = 6371.0

# --------------------------------------------------------------------------- schedule files (section 2)

SCHEDULE_COLUMNS = ("request_id", "citizen_id", "volunteer_id", "date", "start", "end", "mode")
SCHEDULE_ORDER = ("date", "start", "volunteer_id")
UNASSIGNED_COLUMNS = ("request_id", "citizen_id", "week", "missing", "reason")
OUTPUT_FILES = ("schedule.csv", "unassigned.csv", "kpis.json")

# --------------------------------------------------------------------------- command line (section 5)

EXIT_OK = 0
EXIT_RULES_BROKEN = 1  # only `validate`
EXIT_BAD_INPUT = 2
EXIT_UNEXPECTED = 3
EXIT_INTERRUPTED = 130


def week_index(start_date: date, day: date) -> int:
    """The contract's 0-based week of ``day``: week ``w`` is days ``7w..7w+6`` of the horizon."""
    return (day - start_date).days // 7


def pin_mode(request_mode: str) -> str:
    """The mode a pin (which has none of its own) is checked in: the request's, ``either`` read as a
    phone call, the mode that needs least (no reach, no travel)."""
    return "phone" if request_mode == "either" else request_mode
