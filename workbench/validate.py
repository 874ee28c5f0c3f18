"""The schedule checker: every hard rule of the contract, every violation named.

``validate(scenario, schedule)`` returns a list of :class:`Violation`; an empty
list means the schedule is valid. Rows are numbered as in a spreadsheet
(``schedule.csv``'s header is row 1).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from .availability import availability
from .contract import SCHEDULE_COLUMNS, SCHEDULE_ORDER
from .csvfile import read_csv_table
from .errors import Collector
from .geo import haversine_pairs
from .rules import HARD_RULES, Sessions, pin_modes
from .scenario.types import Scenario
from .timeutil import format_time, parse_date, parse_time


@dataclass(frozen=True)
class Violation:
    """One broken hard rule: its number, the schedule row (None for a missing pin) and plain words."""

    rule: int
    row: int | None
    message: str

    def __str__(self) -> str:
        where = f"row {self.row}" if self.row is not None else "pins"
        return f"rule {self.rule} ({where}): {self.message}"


def read_schedule(path: str | Path) -> pd.DataFrame:
    """Read ``schedule.csv`` as text cells, indexed by spreadsheet row; raises InputError naming every
    problem of the file itself (not UTF-8, a quote that never closes, cells beyond the header, a
    missing column ...). The rows' content is what :func:`validate` judges."""
    path = Path(path)
    col = Collector()
    label = path.name
    if not path.exists():
        col.error(str(path), "no such schedule file")
        col.raise_if_any()
    table = read_csv_table(path, label, col, known=SCHEDULE_COLUMNS, required=SCHEDULE_COLUMNS)
    if table is not None:
        for c in SCHEDULE_COLUMNS:
            if c not in table.columns:
                col.error(label, "required column is missing", column=c, expected=f"a header named '{c}'")
    col.raise_if_any()
    assert table is not None
    return pd.DataFrame({c: pd.Series(table[c].to_numpy(dtype=object), index=table.index, dtype=object)
                         for c in table.columns}, index=table.index)


def sessions_table(scenario: Scenario, schedule: pd.DataFrame) -> Sessions:
    """Join each scheduled session with its request, citizen and volunteer (see :class:`Sessions`)."""
    st = scenario.settings
    sched = schedule.reset_index(drop=False)
    rows = (sched["row"].astype(int).tolist() if "row" in sched.columns
            else list(range(2, len(sched) + 2)))
    t = pd.DataFrame({
        "row": rows,
        "request_id": sched["request_id"].astype(str).str.strip().to_numpy(),
        "citizen_id": sched["citizen_id"].astype(str).str.strip().to_numpy(),
        "volunteer_id": sched["volunteer_id"].astype(str).str.strip().to_numpy(),
        "date_text": sched["date"].astype(str).to_numpy(),
        "start_text": sched["start"].astype(str).to_numpy(),
        "end_text": sched["end"].astype(str).to_numpy(),
        "mode": sched["mode"].astype(str).str.strip().to_numpy(),
    })
    # object columns: pandas would turn ints mixed with None into floats
    t["date"] = pd.Series([parse_date(x) for x in t["date_text"]], dtype=object)
    t["start"] = pd.Series([parse_time(x) for x in t["start_text"]], dtype=object)
    t["end"] = pd.Series([parse_time(x) for x in t["end_text"]], dtype=object)
    t["timed"] = t["date"].notna() & t["start"].notna() & t["end"].notna()
    t["week"] = [st.week(d) if d is not None else -1 for d in t["date"]]

    req = scenario.requests.set_index("request_id")
    req = req[["citizen_id", "activity", "duration_min", "sessions_per_week", "mode", "requires_vetting", "date",
               "start"]].rename(columns={"citizen_id": "request_citizen_id", "mode": "request_mode",
                                         "date": "request_date", "start": "request_start"})
    cit = scenario.citizens.set_index("citizen_id")[
        ["lat", "lon", "languages", "gender_preference", "excluded_volunteers", "priority", "district"]
    ].rename(columns={"lat": "citizen_lat", "lon": "citizen_lon", "languages": "citizen_languages"})
    vol = scenario.volunteers.set_index("volunteer_id")[
        ["lat", "lon", "skills", "languages", "vetted", "gender", "travel_mode", "max_travel_km",
         "max_sessions_per_week", "max_minutes_per_week"]
    ].add_prefix("volunteer_")
    t["request_known"] = t["request_id"].isin(req.index)
    t["citizen_known"] = t["citizen_id"].isin(cit.index)
    t["volunteer_known"] = t["volunteer_id"].isin(vol.index)
    t = t.join(req, on="request_id").join(cit, on="citizen_id").join(vol, on="volunteer_id")
    # Joins turn missing values into NaN and ints into floats; restore None / int.
    t["request_date"] = pd.Series([v if isinstance(v, date) else None for v in t["request_date"]], dtype=object)
    t["request_start"] = pd.Series([None if v is None or v != v else int(v) for v in t["request_start"]],
                                   dtype=object)
    t["known"] = t["request_known"] & t["citizen_known"] & t["volunteer_known"]
    t["distance_km"] = haversine_pairs(t["volunteer_lat"].to_numpy(float), t["volunteer_lon"].to_numpy(float),
                                       t["citizen_lat"].to_numpy(float), t["citizen_lon"].to_numpy(float))
    t = t.reset_index(drop=True)
    return Sessions(table=t, settings=st, availability=availability(scenario), pins=scenario.pins)


def validate(scenario: Scenario, schedule: pd.DataFrame, check_pins: bool = True) -> list[Violation]:
    """Every hard-rule violation of ``schedule`` (contract columns, text or parsed cells).

    Columns needed: request_id, citizen_id, volunteer_id, date, start, end, mode.
    """
    schedule = _as_text(schedule)
    s = sessions_table(scenario, schedule)
    rows = s.table["row"].tolist()
    out: list[Violation] = []
    for number, rule in HARD_RULES.items():
        if number == 14 and not check_pins:
            continue
        for index, message in rule(s):
            out.append(Violation(number, rows[index] if index >= 0 else None, message))
    out.sort(key=lambda v: (v.row if v.row is not None else 10**9, v.rule))
    return out


def _as_text(schedule: pd.DataFrame) -> pd.DataFrame:
    """Accept parsed cells (dates, minute ints) as well as text."""
    out = schedule.copy()
    for c in ("start", "end"):
        if c in out.columns and len(out) and not isinstance(out[c].iloc[0], str):
            out[c] = [format_time(int(v)) if isinstance(v, (int, np.integer)) else str(v) for v in out[c]]
    if "date" in out.columns:
        out["date"] = [v.isoformat() if hasattr(v, "isoformat") else str(v) for v in out["date"]]
    return out


def pins_as_schedule(scenario: Scenario) -> tuple[pd.DataFrame, list[int]]:
    """The pins as schedule rows (end = start + duration, in the modes of
    :func:`workbench.rules.pin_modes`), with the pins' own row numbers."""
    req = scenario.requests.set_index("request_id")
    p = scenario.pins
    modes = pin_modes(scenario).tolist()
    recs = []
    for pin, mode in zip(p.itertuples(index=False), modes):
        r = req.loc[pin.request_id]
        recs.append({
            "request_id": pin.request_id,
            "citizen_id": r["citizen_id"],
            "volunteer_id": pin.volunteer_id,
            "date": pin.date.isoformat(),
            "start": format_time(pin.start),
            "end": format_time(pin.start + int(r["duration_min"])),
            "mode": mode,
        })
    return pd.DataFrame(recs, columns=list(SCHEDULE_COLUMNS)), list(p.index)


def sort_schedule(schedule: pd.DataFrame) -> pd.DataFrame:
    """Contract order: by date, start, volunteer_id."""
    return schedule.sort_values(list(SCHEDULE_ORDER), kind="stable").reset_index(drop=True)
