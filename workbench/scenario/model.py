"""The validated, in-memory scenario.

Tables are pandas DataFrames with parsed values:
- lists are tuples of str, bools are bool, times are int minutes after midnight,
  dates are ``datetime.date``; "no limit" is ``math.inf``; an empty optional
  one-off ``date``/``start`` is ``None``.
- ``day`` in availability tables stays text: a weekday (``mon``) or an ISO date.
- unknown columns the user had are kept (as text) so saving loses nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import pandas as pd

from ..timeutil import horizon_dates

DEFAULT_SPEEDS: dict[str, float] = {"walk": 4.5, "bike": 15.0, "transit": 18.0, "car": 30.0}
DEFAULT_CITIZEN_WINDOW: tuple[int, int] = (9 * 60, 20 * 60)

# Column order of each table as the contract lists it; the reader accepts any order.
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
REQUIRED_TABLES = ("volunteers", "volunteer_availability", "citizens", "requests")
OPTIONAL_TABLES = ("volunteer_absences", "citizen_availability", "pins")
TABLES = REQUIRED_TABLES + OPTIONAL_TABLES


@dataclass(frozen=True)
class Settings:
    """The ``scenario.toml`` settings, parsed."""

    start_date: date
    weeks: int
    name: str = ""
    citizen_window: tuple[int, int] = DEFAULT_CITIZEN_WINDOW
    detour_factor: float = 1.3
    speed_kmh: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_SPEEDS))
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def dates(self) -> list[date]:
        """Every date of the horizon."""
        return horizon_dates(self.start_date, self.weeks)

    @property
    def end_date(self) -> date:
        """Last date of the horizon (inclusive)."""
        return self.start_date + timedelta(days=7 * self.weeks - 1)

    def week(self, day: date) -> int:
        """0-based week index of ``day``."""
        return (day - self.start_date).days // 7

    def in_horizon(self, day: date) -> bool:
        return self.start_date <= day <= self.end_date


@dataclass(frozen=True, eq=False)
class Scenario:
    """One planning problem: settings plus the seven tables (see module docstring)."""

    settings: Settings
    volunteers: pd.DataFrame
    volunteer_availability: pd.DataFrame
    volunteer_absences: pd.DataFrame
    citizens: pd.DataFrame
    citizen_availability: pd.DataFrame
    requests: pd.DataFrame
    pins: pd.DataFrame
    warnings: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return self.settings.name

    def table(self, name: str) -> pd.DataFrame:
        return getattr(self, name)

    def replace(self, **changes: object) -> Scenario:
        """A copy with some tables or settings replaced (what-if edits).

        The result is validated again, so an edit can never produce an
        inconsistent scenario.
        """
        from .read import scenario_from_tables
        from .write import scenario_to_tables

        tables, settings = scenario_to_tables(self)
        for key, value in changes.items():
            if key == "settings":
                settings = value  # type: ignore[assignment]
            else:
                tables[key] = scenario_to_tables_one(key, value)
        return scenario_from_tables(tables, settings, source=self.name or "scenario")

    def demand(self) -> pd.Series:
        """Sessions demanded per request over the horizon, indexed by request_id."""
        r = self.requests
        one_off = r["date"].map(lambda d: d is not None)
        return pd.Series(
            [1 if o else int(s) * self.settings.weeks for o, s in zip(one_off, r["sessions_per_week"])],
            index=r["request_id"].to_numpy(),
            name="demand",
        )

    def equals(self, other: Scenario) -> bool:
        """True when both scenarios hold the same settings and tables."""
        if self.settings != other.settings:
            return False
        for name in TABLES:
            a = self.table(name).reset_index(drop=True)
            b = other.table(name).reset_index(drop=True)
            if list(a.columns) != list(b.columns) or len(a) != len(b):
                return False
            if not a.astype(str).equals(b.astype(str)):
                return False
        return True


def scenario_to_tables_one(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    """Render one parsed table back to text cells (used by ``Scenario.replace``)."""
    from .write import table_to_text

    return table_to_text(name, frame)
