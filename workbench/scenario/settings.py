"""The settings of a scenario (``scenario.toml`` or the ``scenario`` sheet) checked and parsed.

Values come as TOML gives them (numbers, dates, lists, tables) or as the text of a sheet's cells;
both are accepted. Every problem names the line (TOML) or row (sheet) of its key.
"""

from __future__ import annotations

import math
from datetime import date, datetime, time, timedelta
from typing import Any

from ..contract import DEFAULT_CITIZEN_WINDOW, DEFAULT_DETOUR_FACTOR, DEFAULT_SPEEDS, SETTINGS_KEYS, TRAVEL_MODES
from ..errors import Collector
from ..timeutil import format_time, parse_date, parse_time
from . import limits
from .cells import date_hint, nearest, number_hint, parse_float, parse_int, split_list, time_hint, whole_number_hint
from .types import Settings


def _shown(value: Any) -> str:
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(_shown(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} = {_shown(v)}" for k, v in value.items()) + "}"
    return str(value)


def as_number(value: Any) -> float | None:
    """A finite number from a TOML number or a cell's text."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        try:
            f = float(value)
        except OverflowError:
            return None
        return f if math.isfinite(f) else None
    if isinstance(value, str):
        return parse_float(value.strip())
    return None


def as_whole(value: Any) -> int | None:
    """A whole number from a TOML number or a cell's text."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if math.isfinite(value) and value.is_integer() else None
    if isinstance(value, str):
        return parse_int(value.strip())
    return None


class _Settings:
    def __init__(self, raw: dict[str, Any], where: dict[str, dict[str, Any]], label: str, col: Collector) -> None:
        self.raw, self.where, self.label, self.col = raw, where, label, col

    def _loc(self, key: str) -> dict[str, Any]:
        return self.where.get(key) or self.where.get(key.split(".")[0]) or {}

    def bad(self, key: str, value: Any, expected: str, message: str = "invalid setting", hint: str | None = None,
            ) -> None:
        self.col.error(self.label, message, key=key, value=_shown(value), expected=expected, hint=hint,
                       **self._loc(key))

    def found_as(self, key: str) -> str | None:
        """A hint when the setting is there under another spelling (``Weeks``, ``start date``)."""
        near = nearest(key, [str(k) for k in self.raw if k not in SETTINGS_KEYS])
        if near is None:
            near = next((str(k) for k in self.raw if str(k).strip().lower().replace(" ", "_") == key), None)
        return f"found '{near}'; setting names are lower case, words joined by _" if near else None

    def warn(self, key: str, message: str, value: Any = None) -> None:
        self.col.warn(self.label, message, key=key, value=None if value is None else _shown(value), **self._loc(key))

    def number(self, key: str, value: Any, bound: limits.Bound, what: str, whole: bool = False,
               plain: bool = False) -> float | None:
        """``value`` as a number within ``bound``, else reported (``what`` is the expectation, with the
        bound's range added unless ``plain``)."""
        expected = what if plain else limits.expected(bound, what)
        v = as_whole(value) if whole else as_number(value)
        if v is None:
            hint = (whole_number_hint if whole else number_hint)(_shown(value)) if isinstance(value, str | float) \
                else None
            if isinstance(value, float) and not math.isfinite(value):
                hint = number_hint(str(value))
            self.bad(key, value, expected, hint=hint)
            return None
        if not bound.low <= v <= bound.high:
            hint = bound.why if v > bound.high else None
            self.bad(key, value, expected, "value out of range", hint=hint)
            return None
        return v


def parse_settings(raw: dict[str, Any], where: dict[str, dict[str, Any]], label: str, col: Collector
                   ) -> Settings | None:
    """The settings, or ``None`` when a required one is missing or invalid (each problem reported)."""
    s = _Settings(raw, where, label, col)
    start_date = _start_date(s)
    weeks_value = raw.get("weeks")
    weeks: int | None = None
    if weeks_value is None or weeks_value == "":
        col.error(label, "required setting is missing", key="weeks", expected="a whole number of weeks 1..520",
                  hint=s.found_as("weeks"))
    else:
        w = s.number("weeks", weeks_value, limits.WEEKS, "a whole number of weeks", whole=True)
        weeks = int(w) if w is not None else None
        if weeks is not None and weeks > limits.WEEKS.plausible_high:
            s.warn("weeks", f"a horizon of {weeks} weeks is long: the plan grows with every week", weeks_value)
    if start_date is not None and weeks is not None:
        try:
            start_date + timedelta(days=7 * weeks)
        except OverflowError:
            s.bad("start_date", start_date, "a date that leaves room for the horizon", "horizon ends after 9999")
            start_date = None

    window = DEFAULT_CITIZEN_WINDOW
    if "citizen_window" in raw:
        window = _window(s, raw["citizen_window"]) or window

    detour = DEFAULT_DETOUR_FACTOR
    if "detour_factor" in raw:
        d = s.number("detour_factor", raw["detour_factor"], limits.DETOUR_FACTOR, "a number")
        if d is not None:
            detour = float(d)
            if detour > limits.DETOUR_FACTOR.plausible_high:
                s.warn("detour_factor", f"roads {detour:g} times longer than the straight line are unusual "
                                        "(1.3 is typical in a city)", raw["detour_factor"])

    speeds = dict(DEFAULT_SPEEDS)
    if "speed_kmh" in raw:
        sp = raw["speed_kmh"]
        if not isinstance(sp, dict):
            s.bad("speed_kmh", sp, "a table of travel mode = km/h, e.g. [speed_kmh] bike = 15 (in a sheet: "
                                   "speed_kmh.bike)")
        else:
            for mode, v in sp.items():
                key = f"speed_kmh.{mode}"
                if mode not in TRAVEL_MODES:
                    near = nearest(str(mode), TRAVEL_MODES)
                    s.warn(key, f"unknown travel mode '{mode}' is ignored"
                                + (f" (did you mean '{near}'?)" if near else f" (known: {', '.join(TRAVEL_MODES)})"))
                    continue
                f = s.number(key, v, limits.SPEED_KMH, "a speed in km/h > 0, at most 200", plain=True)
                if f is None:
                    continue
                speeds[mode] = float(f)
                lo, hi = limits.SPEED_PLAUSIBLE[mode]
                if not lo <= f <= hi:
                    s.warn(key, f"{f:g} km/h is an unusual speed for {mode} (usually {lo:g}-{hi:g})", v)

    name = raw.get("name", "")
    extra = {k: v for k, v in raw.items() if k not in SETTINGS_KEYS}
    for key in extra:
        near = nearest(str(key), SETTINGS_KEYS)
        s.warn(str(key), "unknown setting is ignored" + (f" (did you mean '{near}'?)" if near else
                                                         f" (known: {', '.join(SETTINGS_KEYS)})"))
    if start_date is None or weeks is None:
        return None
    return Settings(start_date=start_date, weeks=weeks, name=str(name), citizen_window=window,
                    detour_factor=detour, speed_kmh=speeds, extra=extra)


def _start_date(s: _Settings) -> date | None:
    start = s.raw.get("start_date")
    if start is None or start == "":
        s.col.error(s.label, "required setting is missing", key="start_date", expected="a date YYYY-MM-DD (a Monday)",
                    hint=s.found_as("start_date"))
        return None
    if isinstance(start, datetime):
        d: date | None = start.date()
    elif isinstance(start, date):
        d = start
    else:
        d = parse_date(str(start))
    if d is None:
        s.bad("start_date", start, "a date YYYY-MM-DD (a Monday)", hint=date_hint(_shown(start)))
        return None
    if d.weekday() != 0:
        monday = d - timedelta(days=d.weekday())
        s.bad("start_date", d, "a Monday", f"start_date must be a Monday (it is a {d.strftime('%A')})",
              hint=f"the Monday of that week is {monday.isoformat()}")
        return None
    return d


def _window(s: _Settings, value: Any) -> tuple[int, int] | None:
    items = list(split_list(value)) if isinstance(value, str) else list(value) if isinstance(value, list) else None
    expected = 'two times ["HH:MM", "HH:MM"], the end after the start (in a sheet: 09:00;20:00)'
    if items is None or len(items) != 2:
        s.bad("citizen_window", value, expected)
        return None
    # TOML also has a time type: citizen_window = [09:00:00, 20:00:00]
    times = [parse_time(t) if isinstance(t, str) else t.hour * 60 + t.minute if isinstance(t, time) and not t.second
             else None for t in items]
    for t, text in zip(times, items):
        if t is None:
            s.bad("citizen_window", value, expected, hint=time_hint(_shown(text)))
            return None
    start, end = times
    assert start is not None and end is not None
    if end <= start:
        s.bad("citizen_window", value, expected, f"the window ends at {format_time(end)}, not after its start")
        return None
    return start, end
