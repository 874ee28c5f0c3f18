"""Who is free when: each volunteer's and citizen's free time per date of the horizon.

Availability rows are expanded to dates (a weekday row applies to every such
day of the horizon, a date row to that date only), united per date, and
absences remove whole days. Built once per scenario and cached.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from .scenario.types import Scenario, per_scenario
from .timeutil import WEEKDAYS, parse_date

Windows = tuple[tuple[int, int], ...]


def merge(intervals: list[tuple[int, int]]) -> Windows:
    """United intervals; touching ones join, since a session may span both."""
    out: list[list[int]] = []
    for s, e in sorted(intervals):
        if out and s <= out[-1][1]:
            out[-1][1] = max(out[-1][1], e)
        else:
            out.append([s, e])
    return tuple((s, e) for s, e in out)


def intersect(a: Windows, b: Windows) -> Windows:
    """Intersection of two sorted, disjoint interval lists (empty pieces dropped)."""
    out = []
    i = j = 0
    while i < len(a) and j < len(b):
        s, e = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
        if s < e:
            out.append((s, e))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return tuple(out)


def covers(windows: Windows, start: int, end: int) -> bool:
    """True when ``[start, end]`` lies inside one of the (merged) windows."""
    return any(s <= start and end <= e for s, e in windows)


@dataclass(frozen=True)
class Availability:
    """Free windows per (id, date); absent keys mean not available that day."""

    volunteer: dict[tuple[str, date], Windows]
    citizen: dict[tuple[str, date], Windows]
    absent: frozenset[tuple[str, date]]
    citizens_with_rows: frozenset[str]
    citizen_default: Windows
    horizon: frozenset[date]

    def volunteer_windows(self, volunteer_id: str, day: date) -> Windows:
        return self.volunteer.get((volunteer_id, day), ())

    def citizen_windows(self, citizen_id: str, day: date) -> Windows:
        if citizen_id in self.citizens_with_rows:
            return self.citizen.get((citizen_id, day), ())
        return self.citizen_default if day in self.horizon else ()


def _expand(rows, id_col: str, dates: list[date]) -> dict[tuple[str, date], list[tuple[int, int]]]:
    by_weekday: dict[str, list[date]] = defaultdict(list)
    for d in dates:
        by_weekday[WEEKDAYS[d.weekday()]].append(d)
    in_horizon = set(dates)
    acc: dict[tuple[str, date], list[tuple[int, int]]] = defaultdict(list)
    for ident, day, s, e in zip(rows[id_col], rows["day"], rows["start"], rows["end"]):
        if day in by_weekday:
            targets = by_weekday[day]
        else:
            d = parse_date(day)
            targets = [d] if d in in_horizon else []
        for d in targets:
            acc[(ident, d)].append((s, e))
    return acc


@per_scenario
def availability(scenario: Scenario) -> Availability:
    """The scenario's free windows per date (cached per scenario object)."""
    st = scenario.settings
    dates = st.dates
    absent: set[tuple[str, date]] = set()
    for vid, a, b in zip(scenario.volunteer_absences["volunteer_id"], scenario.volunteer_absences["from_date"],
                         scenario.volunteer_absences["to_date"]):
        for d in dates:
            if a <= d <= b:
                absent.add((vid, d))
    vol = {k: merge(v) for k, v in _expand(scenario.volunteer_availability, "volunteer_id", dates).items()
           if k not in absent}
    cit = {k: merge(v) for k, v in _expand(scenario.citizen_availability, "citizen_id", dates).items()}
    result = Availability(
        volunteer=vol,
        citizen=cit,
        absent=frozenset(absent),
        citizens_with_rows=frozenset(scenario.citizen_availability["citizen_id"]),
        citizen_default=(st.citizen_window,),
        horizon=frozenset(dates),
    )
    return result
