"""The validated, in-memory scenario.

Tables are pandas DataFrames with parsed values:
- lists are tuples of str, bools are bool, times are int minutes after midnight,
  dates are ``datetime.date``; "no limit" is ``math.inf``; an empty optional
  one-off ``date``/``start`` is ``None``.
- ``day`` in availability tables stays text: a weekday (``mon``) or an ISO date.
- unknown columns the user had are kept (as text) so saving loses nothing.
"""

from __future__ import annotations

import functools
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TypeVar

import numpy as np
import pandas as pd

from ..contract import COLUMNS, DEFAULT_CITIZEN_WINDOW, DEFAULT_DETOUR_FACTOR, DEFAULT_SPEEDS, TABLES, week_index
from ..errors import Problem
from ..timeutil import horizon_dates

__all__ = ["COLUMNS", "TABLES", "Scenario", "Settings", "per_scenario"]

T = TypeVar("T")


@dataclass(frozen=True)
class Settings:
    """The ``scenario.toml`` settings, parsed."""

    start_date: date
    weeks: int
    name: str = ""
    citizen_window: tuple[int, int] = DEFAULT_CITIZEN_WINDOW
    detour_factor: float = DEFAULT_DETOUR_FACTOR
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
        """0-based week index of ``day`` (the contract's numbering)."""
        return week_index(self.start_date, day)

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
    warnings: tuple[Problem, ...] = ()  # legal but suspicious data, each with file, row and column

    @property
    def name(self) -> str:
        return self.settings.name

    def table(self, name: str) -> pd.DataFrame:
        return getattr(self, name)

    def demand(self) -> pd.Series:
        """Sessions demanded per request over the horizon, indexed by request_id (the contract's
        definition: ``sessions_per_week × weeks``, or 1 for a one-off, even one dated outside)."""
        r = self.requests
        one_off = np.array([d is not None for d in r["date"]], bool)
        spw = r["sessions_per_week"].to_numpy(int) if len(r) else np.zeros(0, int)
        return pd.Series(np.where(one_off, 1, spw * self.settings.weeks), index=r["request_id"].to_numpy(),
                         name="demand")

    def week_demand(self) -> np.ndarray:
        """Sessions demanded per request (rows, file order) and week (columns, 0-based).

        The one place weekly demand is defined: a recurring request wants
        ``sessions_per_week`` in every week; a one-off wants one in its date's week,
        and none in the horizon when dated outside it.
        """
        st = self.settings
        r = self.requests
        out = np.zeros((len(r), st.weeks), int)
        for i, (d, spw) in enumerate(zip(r["date"], r["sessions_per_week"])):
            if d is None:
                out[i, :] = int(spw)
            elif st.in_horizon(d):
                out[i, st.week(d)] = 1
        return out

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



def per_scenario(build: Callable[[Scenario], T]) -> Callable[[Scenario], T]:
    """Decorate ``build(scenario)`` so it runs once per scenario object (a scenario is immutable;
    the cache lets go of it with the scenario)."""
    cache: weakref.WeakKeyDictionary[Scenario, T] = weakref.WeakKeyDictionary()

    @functools.wraps(build)
    def cached(scenario: Scenario) -> T:
        value = cache.get(scenario)
        if value is None:
            value = cache[scenario] = build(scenario)
        return value

    return cached
