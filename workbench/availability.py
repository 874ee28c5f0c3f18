"""Who is free when: each volunteer's and citizen's free time per date of the horizon.

Availability rows are expanded to dates (a weekday row applies to every such
day of the horizon, a date row to that date only), united per date, and
absences remove whole days. Built once per scenario and cached.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

from .scenario.types import Scenario, per_scenario
from .timeutil import WEEKDAYS, parse_date

Windows = tuple[tuple[int, int], ...]


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


def without(windows: Windows, start: int, end: int) -> Windows:
    """The windows less ``[start, end)`` (the time a pinned session takes; empty pieces dropped)."""
    return tuple((a, b) for s, e in windows for a, b in ((s, min(e, start)), (max(s, end), e)) if a < b)


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


def _windows_by_day(rows: pd.DataFrame, id_col: str, dates: list[date]) -> dict[tuple[str, date], Windows]:
    """Every row expanded to its dates in the horizon and united per (id, date), vectorised.

    A weekday row applies to every such date of the horizon, a date row to that date.
    Rows are sorted by id, date and start; a row that starts before the windows so far
    end (touching included) joins them. Measured: 1.7 million rows in ~2 s.
    """
    if rows.empty:
        return {}
    n_days = len(dates)
    first = {name: k for k, name in enumerate(WEEKDAYS)}
    start_weekday = dates[0].weekday()
    day_text = rows["day"].to_numpy(object)
    weekday = np.array([first.get(d, -1) for d in day_text.tolist()], int)
    ids, id_code = np.unique(rows[id_col].to_numpy(object).astype(str), return_inverse=True)
    lo = rows["start"].to_numpy(int)
    hi = rows["end"].to_numpy(int)
    # Weekday rows: the first such date, then every 7 days.
    wk = np.flatnonzero(weekday >= 0)
    offset = (weekday[wk] - start_weekday) % 7
    reps = np.maximum(0, (n_days - offset + 6) // 7)
    row_w = np.repeat(wk, reps)
    day_w = np.repeat(offset, reps) + 7 * (np.arange(len(row_w)) - np.repeat(np.cumsum(reps) - reps, reps))
    # Date rows: their date, when it lies in the horizon.
    dt = np.flatnonzero(weekday < 0)
    dpos = {d: i for i, d in enumerate(dates)}
    day_d = np.array([dpos.get(parse_date(str(x)), -1) for x in day_text[dt].tolist()], int)
    keep = day_d >= 0
    row_all = np.concatenate([row_w, dt[keep]])
    day_all = np.concatenate([day_w, day_d[keep]])
    if not len(row_all):
        return {}
    code, s_, e_ = id_code[row_all], lo[row_all], hi[row_all]
    order = np.lexsort((s_, day_all, code))
    code, day_all, s_, e_ = code[order], day_all[order], s_[order], e_[order]
    group = code.astype(np.int64) * n_days + day_all
    # Running end within each (id, date): offsetting by the group keeps one cumulative max valid.
    big = 2 * 24 * 60 + 1
    run_end = np.maximum.accumulate(e_ + group * big) - group * big
    new_group = np.r_[True, group[1:] != group[:-1]]
    starts_seg = new_group | np.r_[False, s_[1:] > run_end[:-1]]
    seg = np.cumsum(starts_seg) - 1
    seg_lo = s_[starts_seg]
    seg_hi = np.zeros(seg[-1] + 1, int)
    np.maximum.at(seg_hi, seg, e_)
    seg_group = group[starts_seg]
    out: dict[tuple[str, date], Windows] = {}
    cut = np.flatnonzero(np.r_[True, seg_group[1:] != seg_group[:-1]])
    bounds = np.r_[cut, len(seg_group)]
    for a, b in zip(bounds[:-1].tolist(), bounds[1:].tolist()):
        g = int(seg_group[a])
        out[(str(ids[g // n_days]), dates[g % n_days])] = tuple(zip(seg_lo[a:b].tolist(), seg_hi[a:b].tolist()))
    return out


@per_scenario
def availability(scenario: Scenario) -> Availability:
    """The scenario's free windows per date (cached per scenario object)."""
    st = scenario.settings
    dates = st.dates
    absent: set[tuple[str, date]] = set()
    first, last = dates[0], dates[-1]
    for vid, a, b in zip(scenario.volunteer_absences["volunteer_id"], scenario.volunteer_absences["from_date"],
                         scenario.volunteer_absences["to_date"]):
        lo, hi = max(a, first), min(b, last)
        absent.update((vid, lo + timedelta(days=k)) for k in range((hi - lo).days + 1))
    vol = {k: v for k, v in _windows_by_day(scenario.volunteer_availability, "volunteer_id", dates).items()
           if k not in absent}
    cit = _windows_by_day(scenario.citizen_availability, "citizen_id", dates)
    result = Availability(
        volunteer=vol,
        citizen=cit,
        absent=frozenset(absent),
        citizens_with_rows=frozenset(scenario.citizen_availability["citizen_id"]),
        citizen_default=(st.citizen_window,),
        horizon=frozenset(dates),
    )
    return result
