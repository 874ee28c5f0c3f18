"""Free time per date: rows expanded to the horizon's dates and united, against a minute-by-minute count."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from workbench.availability import _windows_by_day
from workbench.contract import WEEKDAYS

START = date(2026, 1, 5)  # a Monday
DATES = [START + timedelta(days=k) for k in range(14)]

row = st.tuples(st.sampled_from(["a", "b", "c"]),
                st.one_of(st.sampled_from(WEEKDAYS),
                          st.integers(-3, 16).map(lambda k: (START + timedelta(days=k)).isoformat())),
                st.integers(0, 24 * 4 - 1), st.integers(1, 12))


def by_minutes(rows: list[tuple]) -> dict:
    """The expected windows: mark every free minute per (id, date), read off the runs."""
    free: dict = {}
    for ident, day, q, length in rows:
        lo, hi = 15 * q, min(24 * 60, 15 * (q + length))
        targets = [d for d in DATES if WEEKDAYS[d.weekday()] == day] if day in WEEKDAYS else \
            [d for d in DATES if d.isoformat() == day]
        for d in targets:
            free.setdefault((ident, d), set()).update(range(lo, hi))
    out = {}
    for key, minutes in free.items():
        runs, start, prev = [], None, None
        for m in sorted(minutes):
            if start is None:
                start = m
            elif m != prev + 1:
                runs.append((start, prev + 1))
                start = m
            prev = m
        runs.append((start, prev + 1))
        out[key] = tuple(runs)
    return out


@settings(max_examples=200, deadline=None)
@given(st.lists(row, min_size=1, max_size=25))
def test_windows_are_the_union_of_the_rows_on_each_date(rows: list[tuple]) -> None:
    """Weekday rows on every such date, date rows on theirs (none outside the horizon), overlaps and
    touching windows joined: exactly the runs of free minutes."""
    frame = pd.DataFrame([{"volunteer_id": i, "day": d, "start": 15 * q, "end": min(24 * 60, 15 * (q + n))}
                          for i, d, q, n in rows])
    assert _windows_by_day(frame, "volunteer_id", DATES) == by_minutes(rows)
