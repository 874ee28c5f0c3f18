"""Reading a scenario from a folder of CSVs or one ``.xlsx`` workbook, and checking
every input rule of the contract.

Reading happens in two steps so that both file kinds share one validator:
files become *text tables* (every cell a string, the DataFrame index being the
spreadsheet row number), then :func:`scenario_from_tables` parses and checks
every cell, collecting all problems before raising one :class:`InputError`.
"""

from __future__ import annotations

import csv
import io
import math
import tomllib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import pandas as pd

from ..contract import (
    COLUMNS,
    DEFAULT_CITIZEN_WINDOW,
    DEFAULT_SPEEDS,
    FALSE_WORDS,
    GENDER_PREFERENCES,
    GENDERS,
    OPTIONAL_TABLES,
    REQUEST_MODES,
    REQUIRED_COLUMNS,
    REQUIRED_TABLES,
    SETTINGS_KEYS,
    TABLES,
    TRAVEL_MODES,
    TRUE_WORDS,
)
from ..errors import Collector, InputError
from ..timeutil import WEEKDAYS, format_time, parse_date, parse_time
from .types import Scenario, Settings

_TRUE = set(TRUE_WORDS)
_FALSE = set(FALSE_WORDS)


# --------------------------------------------------------------------------- files → text tables


def load(path: str | Path) -> Scenario:
    """Read and validate a scenario from a folder of CSVs or an ``.xlsx`` workbook.

    Raises :class:`~workbench.errors.InputError` listing every problem found.
    """
    path = Path(path)
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        tables, settings, labels = read_workbook(path)
    else:
        tables, settings, labels = read_folder(path)
    return scenario_from_tables(tables, settings, source=path.stem if path.suffix else path.name, labels=labels)


def _csv_text_table(raw: bytes) -> pd.DataFrame:
    text = raw.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    return _rows_to_table(rows)


def _rows_to_table(rows: list[list[str]]) -> pd.DataFrame:
    """Header row + data rows → text DataFrame indexed by spreadsheet row; blank rows dropped."""
    if not rows:
        return pd.DataFrame()
    header = [h.strip().lstrip("\ufeff") if isinstance(h, str) else str(h) for h in rows[0]]
    width = len(header)
    data: list[list[str]] = []
    index: list[int] = []
    for i, row in enumerate(rows[1:], start=2):
        cells = [("" if c is None else str(c)) for c in row]
        if not any(c.strip() for c in cells):
            continue
        cells = (cells + [""] * width)[:width]
        data.append(cells)
        index.append(i)
    # Duplicate or empty header names would make columns ambiguous; keep them distinct.
    seen: dict[str, int] = {}
    names = []
    for h in header:
        n = seen.get(h, 0)
        seen[h] = n + 1
        names.append(h if n == 0 else f"{h}.{n}")
    return pd.DataFrame(data, columns=names, index=pd.Index(index, name="row"), dtype=object)


def read_folder(folder: Path) -> tuple[dict[str, pd.DataFrame], dict[str, Any], dict[str, str]]:
    """Read the CSV files and ``scenario.toml`` of a scenario folder as text tables."""
    col = Collector()
    if not folder.is_dir():
        col.error(str(folder), "no such scenario folder (expected a folder of CSV files or an .xlsx workbook)")
        col.raise_if_any()
    tables: dict[str, pd.DataFrame] = {}
    labels = {name: f"{name}.csv" for name in TABLES}
    labels["scenario"] = "scenario.toml"
    settings: dict[str, Any] = {}
    toml_path = folder / "scenario.toml"
    if not toml_path.exists():
        col.error("scenario.toml", "required file is missing")
    else:
        try:
            settings = tomllib.loads(toml_path.read_text(encoding="utf-8-sig"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            col.error("scenario.toml", f"not valid TOML: {exc}")
    settings.setdefault("name", folder.name)
    for name in TABLES:
        f = folder / f"{name}.csv"
        if not f.exists():
            if name in REQUIRED_TABLES:
                col.error(f"{name}.csv", "required file is missing")
            continue
        try:
            tables[name] = _csv_text_table(f.read_bytes())
        except (UnicodeDecodeError, csv.Error) as exc:
            col.error(f"{name}.csv", f"cannot be read as UTF-8 CSV: {exc}")
    col.raise_if_any()
    return tables, settings, labels


def _excel_cell_text(value: object) -> str:
    """One workbook cell as the text a CSV would hold (dates, times and numbers typed in Excel)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        if value.time() == time(0) and value.year > 1900:
            return value.date().isoformat()
        if value.year <= 1900:  # a time of day stored on Excel's epoch
            return format_time(value.hour * 60 + value.minute)
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return format_time(value.hour * 60 + value.minute)
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return repr(value)
    return str(value)


def read_workbook(path: Path) -> tuple[dict[str, pd.DataFrame], dict[str, Any], dict[str, str]]:
    """Read the sheets of a scenario workbook as text tables."""
    import openpyxl

    col = Collector()
    label = path.name
    labels = {name: f"{label} [sheet {name}]" for name in TABLES}
    labels["scenario"] = f"{label} [sheet scenario]"
    if not path.exists():
        col.error(label, "no such workbook")
        col.raise_if_any()
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a file that is not a workbook
        col.error(label, f"cannot be opened as an Excel workbook: {exc}")
        col.raise_if_any()
        raise AssertionError("unreachable") from exc
    tables: dict[str, pd.DataFrame] = {}
    settings: dict[str, Any] = {"name": path.stem}
    try:
        sheets = set(wb.sheetnames)
        if "scenario" not in sheets:
            col.error(labels["scenario"], "required sheet is missing")
        else:
            kv = _rows_to_table([[_excel_cell_text(c) for c in r] for r in wb["scenario"].iter_rows(values_only=True)])
            if not {"key", "value"} <= set(kv.columns):
                col.error(labels["scenario"], "needs the two columns 'key' and 'value'")
            else:
                settings.update(_settings_from_pairs(kv, labels["scenario"], col))
        for name in TABLES:
            if name not in sheets:
                if name in REQUIRED_TABLES:
                    col.error(labels[name], "required sheet is missing")
                continue
            rows = [[_excel_cell_text(c) for c in r] for r in wb[name].iter_rows(values_only=True)]
            tables[name] = _rows_to_table(rows)
    finally:
        wb.close()
    col.raise_if_any()
    return tables, settings, labels


def _settings_from_pairs(kv: pd.DataFrame, label: str, col: Collector) -> dict[str, Any]:
    """``key``/``value`` rows → the dict ``scenario.toml`` would give (lists by ``;``, tables by dots)."""
    out: dict[str, Any] = {}
    for row, key, value in zip(kv.index, kv["key"], kv["value"]):
        key = key.strip()
        if not key:
            continue
        if key == "citizen_window":
            out[key] = _split_list(value)
        elif "." in key:
            table, sub = key.split(".", 1)
            out.setdefault(table, {})
            if isinstance(out[table], dict):
                out[table][sub] = value.strip()
        else:
            out[key] = value.strip()
        if key in out and key != "citizen_window" and isinstance(out[key], str) and out[key] == "":
            col.error(label, "empty value", row=row, column="value")
    return out


# --------------------------------------------------------------------------- cell parsers


def _split_list(text: str) -> list[str]:
    return [item.strip() for item in str(text).split(";") if item.strip()]


@dataclass
class _Ctx:
    """Where the cell being parsed lives, for messages."""

    col: Collector
    file: str

    def bad(self, row: int, column: str, value: str, expected: str, message: str | None = None) -> None:
        self.col.error(self.file, message or "invalid value", row=row, column=column, value=value, expected=expected)


class _Parser:
    """Parses one table's text cells into typed columns, reporting each bad cell."""

    def __init__(self, ctx: _Ctx, table: pd.DataFrame) -> None:
        self.ctx = ctx
        self.table = table
        self.rows = list(table.index)

    def cells(self, column: str) -> Iterable[tuple[int, str]]:
        if column not in self.table.columns:
            return [(r, "") for r in self.rows]
        return zip(self.rows, (str(v).strip() for v in self.table[column]))

    def require(self, values: list[str], column: str, expected: str) -> None:
        """Report each empty cell of a column that must not be empty (ids, references)."""
        for row, value in zip(self.rows, values):
            if not value:
                self.ctx.bad(row, column, value, expected, "required value is empty")

    def column(self, column: str, parse: Callable[[str], Any], expected: str, *, required: bool,
               default: Any = None) -> list[Any]:
        out = []
        for row, text in self.cells(column):
            if text == "":
                if required:
                    self.ctx.bad(row, column, text, expected, "required value is empty")
                out.append(default)
                continue
            value = parse(text)
            if value is None:
                self.ctx.bad(row, column, text, expected)
                out.append(default)
            else:
                out.append(value)
        return out


def _float(text: str) -> float | None:
    try:
        v = float(text.replace(",", ".")) if text.count(",") == 1 and "." not in text else float(text)
    except ValueError:
        return None
    return v if math.isfinite(v) else None


def _int(text: str) -> int | None:
    try:
        return int(text)
    except ValueError:
        f = _float(text)
        return int(f) if f is not None and f.is_integer() else None


def _bool(text: str) -> bool | None:
    t = text.lower()
    return True if t in _TRUE else False if t in _FALSE else None


def _choice(options: tuple[str, ...]) -> Callable[[str], str | None]:
    def parse(text: str) -> str | None:
        t = text.lower()
        return t if t in options else None

    return parse


def _day(text: str) -> str | None:
    t = text.lower()
    if t in WEEKDAYS:
        return t
    d = parse_date(t)
    return d.isoformat() if d else None


def _ranged(parse: Callable[[str], Any], lo: float, hi: float) -> Callable[[str], Any]:
    def check(text: str) -> Any:
        v = parse(text)
        return v if v is not None and lo <= v <= hi else None

    return check


# --------------------------------------------------------------------------- text tables → Scenario


def _check_columns(ctx: _Ctx, table: pd.DataFrame, required: tuple[str, ...]) -> bool:
    missing = [c for c in required if c not in table.columns]
    for c in missing:
        hint = next((h for h in table.columns if str(h).strip().lower() == c), None)
        note = f" (found '{hint}'; names are lower case)" if hint else ""
        ctx.col.error(ctx.file, "required column is missing" + note, column=c, expected=f"a header named '{c}'")
    return not missing


def _unique_ids(ctx: _Ctx, rows: list[int], ids: list[str], column: str) -> None:
    first: dict[str, int] = {}
    for row, i in zip(rows, ids):
        if not i:
            continue
        if i in first:
            ctx.bad(row, column, i, "a unique id", f"duplicate id (first used in row {first[i]})")
        else:
            first[i] = row


def _references(ctx: _Ctx, rows: list[int], ids: list[str], known: set[str], column: str, what: str) -> None:
    for row, i in zip(rows, ids):
        if i and i not in known:
            ctx.bad(row, column, i, f"the id of a row in {what}", "unknown reference")


def _parse_settings(raw: dict[str, Any], label: str, col: Collector) -> Settings | None:
    def bad(key: str, value: object, expected: str) -> None:
        col.error(label, "invalid setting", column=key, value=str(value), expected=expected)

    known = set(SETTINGS_KEYS)
    start = raw.get("start_date")
    start_date: date | None = None
    if start is None or start == "":
        col.error(label, "required setting is missing", column="start_date", expected="a date YYYY-MM-DD (a Monday)")
    else:
        if isinstance(start, datetime):
            start_date = start.date()
        elif isinstance(start, date):
            start_date = start
        else:
            start_date = parse_date(str(start))
        if start_date is None:
            bad("start_date", start, "a date YYYY-MM-DD")
        elif start_date.weekday() != 0:
            col.error(label, f"start_date must be a Monday (it is a {start_date.strftime('%A')})",
                      column="start_date", value=start_date.isoformat(), expected="a Monday")
            start_date = None
    weeks_raw = raw.get("weeks")
    weeks = None
    if weeks_raw is None or weeks_raw == "":
        col.error(label, "required setting is missing", column="weeks", expected="a whole number ≥ 1")
    else:
        weeks = weeks_raw if isinstance(weeks_raw, int) and not isinstance(weeks_raw, bool) else _int(str(weeks_raw))
        if weeks is None or weeks < 1:
            bad("weeks", weeks_raw, "a whole number ≥ 1")
            weeks = None
    window = DEFAULT_CITIZEN_WINDOW
    if "citizen_window" in raw:
        cw = raw["citizen_window"]
        items = _split_list(cw) if isinstance(cw, str) else list(cw) if isinstance(cw, list) else []
        times = [parse_time(str(t)) for t in items]
        if len(times) != 2 or None in times or times[0] >= times[1]:  # type: ignore[operator]
            bad("citizen_window", cw, 'two times ["HH:MM", "HH:MM"], the end after the start')
        else:
            window = (times[0], times[1])  # type: ignore[assignment]
    detour = 1.3
    if "detour_factor" in raw:
        d = raw["detour_factor"]
        dv = float(d) if isinstance(d, (int, float)) and not isinstance(d, bool) else _float(str(d))
        if dv is None or dv < 1:
            bad("detour_factor", d, "a number ≥ 1")
        else:
            detour = dv
    speeds = dict(DEFAULT_SPEEDS)
    if "speed_kmh" in raw:
        sp = raw["speed_kmh"]
        if not isinstance(sp, dict):
            bad("speed_kmh", sp, "a table of travel mode = km/h")
        else:
            for mode, v in sp.items():
                fv = float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else _float(str(v))
                if mode not in TRAVEL_MODES:
                    bad(f"speed_kmh.{mode}", v, f"a travel mode among {', '.join(TRAVEL_MODES)}")
                elif fv is None or fv <= 0:
                    bad(f"speed_kmh.{mode}", v, "a speed in km/h > 0")
                else:
                    speeds[mode] = fv
    name = raw.get("name", "")
    extra = {k: v for k, v in raw.items() if k not in known}
    if start_date is None or weeks is None:
        return None
    return Settings(start_date=start_date, weeks=weeks, name=str(name), citizen_window=window,
                    detour_factor=detour, speed_kmh=speeds, extra=extra)


def _empty(name: str) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in COLUMNS[name]}, index=pd.Index([], name="row"))


def scenario_from_tables(
    tables: dict[str, pd.DataFrame],
    settings: dict[str, Any],
    source: str = "scenario",
    labels: dict[str, str] | None = None,
) -> Scenario:
    """Parse and check text tables (cells as in the CSV files) into a :class:`Scenario`.

    ``tables`` maps table names (``volunteers``, ...) to DataFrames of text cells;
    if a frame's index is not already the spreadsheet row number it is renumbered
    from 2. ``settings`` is the ``scenario.toml`` content as a dict. Every problem
    is collected and raised together as one :class:`InputError`.
    """
    labels = {**{n: f"{n}.csv" for n in TABLES}, "scenario": "scenario.toml", **(labels or {})}
    col = Collector()
    st = _parse_settings(settings, labels["scenario"], col)
    text: dict[str, pd.DataFrame] = {}
    for name in TABLES:
        t = tables.get(name)
        if t is None:
            if name in REQUIRED_TABLES:
                col.error(labels[name], "required table is missing")
            t = _empty(name)
        t = t.copy()
        if t.index.name != "row":
            t.index = pd.Index(range(2, len(t) + 2), name="row")
        t.columns = [str(c) for c in t.columns]
        t = t.fillna("").astype(str) if len(t.columns) else t
        text[name] = t

    parsed: dict[str, pd.DataFrame] = {}
    ids: dict[str, list[str]] = {}
    for name, id_col in (("volunteers", "volunteer_id"), ("citizens", "citizen_id"), ("requests", "request_id")):
        ctx = _Ctx(col, labels[name])
        ok = _check_columns(ctx, text[name], _required_columns(name))
        ids[name] = [str(v).strip() for v in text[name][id_col]] if id_col in text[name].columns else []
        if ok:
            _unique_ids(ctx, list(text[name].index), ids[name], id_col)
    volunteer_ids = set(ids["volunteers"])
    citizen_ids = set(ids["citizens"])
    request_ids = set(ids["requests"])

    parsed["volunteers"] = _volunteers(_Ctx(col, labels["volunteers"]), text["volunteers"])
    parsed["citizens"] = _citizens(_Ctx(col, labels["citizens"]), text["citizens"], volunteer_ids)
    parsed["requests"] = _requests(_Ctx(col, labels["requests"]), text["requests"], citizen_ids, st)
    parsed["volunteer_availability"] = _availability(
        _Ctx(col, labels["volunteer_availability"]), text["volunteer_availability"], "volunteer_id",
        volunteer_ids, "volunteers")
    parsed["citizen_availability"] = _availability(
        _Ctx(col, labels["citizen_availability"]), text["citizen_availability"], "citizen_id", citizen_ids, "citizens")
    parsed["volunteer_absences"] = _absences(_Ctx(col, labels["volunteer_absences"]), text["volunteer_absences"],
                                             volunteer_ids)
    parsed["pins"] = _pins(_Ctx(col, labels["pins"]), text["pins"], request_ids, volunteer_ids)
    col.raise_if_any()
    assert st is not None
    if not st.name:
        st = Settings(**{**st.__dict__, "name": source})
    scenario = Scenario(settings=st, **{n: parsed[n] for n in TABLES})
    _check_pins(scenario, labels["pins"], col)
    col.raise_if_any()
    warnings = _warnings(scenario, labels, col)
    return Scenario(settings=st, **{n: parsed[n] for n in TABLES}, warnings=warnings)


def _required_columns(name: str) -> tuple[str, ...]:
    return REQUIRED_COLUMNS[name]


def _finish(name: str, table: pd.DataFrame, values: dict[str, list[Any]]) -> pd.DataFrame:
    """Typed columns in contract order, then the user's unknown columns as text."""
    out = pd.DataFrame({c: pd.Series(values[c], dtype=object) for c in COLUMNS[name]})
    out.index = table.index
    for c in table.columns:
        if c not in COLUMNS[name]:
            out[c] = table[c].astype(str)
    return out


def _list_col(p: _Parser, column: str, *, non_empty: bool) -> list[tuple[str, ...]]:
    out = []
    for row, t in p.cells(column):
        items = tuple(_split_list(t))
        if non_empty and not items:
            p.ctx.bad(row, column, t, "a non-empty ';'-separated list", "must not be empty")
        out.append(items)
    return out


def _volunteers(ctx: _Ctx, t: pd.DataFrame) -> pd.DataFrame:
    if not _columns_ok(ctx, t, "volunteers"):
        return _empty("volunteers")
    p = _Parser(ctx, t)
    inf = math.inf
    v = {
        "volunteer_id": [x for _, x in p.cells("volunteer_id")],
        "name": [x for _, x in p.cells("name")],
        "lat": p.column("lat", _ranged(_float, -90, 90), "a latitude between -90 and 90", required=True),
        "lon": p.column("lon", _ranged(_float, -180, 180), "a longitude between -180 and 180", required=True),
        "skills": _list_col(p, "skills", non_empty=False),
        "languages": [tuple(x.lower() for x in items) for items in _list_col(p, "languages", non_empty=True)],
        "interests": _list_col(p, "interests", non_empty=False),
        "vetted": p.column("vetted", _bool, "true/false/yes/no/1/0", required=False, default=False),
        "gender": p.column("gender", _choice(GENDERS), "f, m, x or empty", required=False, default=""),
        "organisation": [x for _, x in p.cells("organisation")],
        "travel_mode": p.column("travel_mode", _choice(TRAVEL_MODES), "walk, bike, transit or car",
                                required=False, default="bike"),
        "max_travel_km": p.column("max_travel_km", _ranged(_float, 0, inf), "a distance in km ≥ 0 or empty",
                                  required=False, default=inf),
        "max_sessions_per_week": p.column("max_sessions_per_week", _ranged(_int, 0, inf),
                                          "a whole number ≥ 0 or empty", required=False, default=inf),
        "max_minutes_per_week": p.column("max_minutes_per_week", _ranged(_int, 0, inf),
                                         "a whole number of minutes ≥ 0 or empty", required=False, default=inf),
    }
    p.require(v["volunteer_id"], "volunteer_id", "an id")
    return _finish("volunteers", t, v)


def _columns_ok(ctx: _Ctx, t: pd.DataFrame, name: str) -> bool:
    if name in ("volunteers", "citizens", "requests"):
        return all(c in t.columns for c in _required_columns(name))  # reported once, above
    if len(t.columns) == 0 and name in OPTIONAL_TABLES:
        return False  # an empty optional file: no rows
    return _check_columns(ctx, t, _required_columns(name))


def _citizens(ctx: _Ctx, t: pd.DataFrame, volunteer_ids: set[str]) -> pd.DataFrame:
    if not _columns_ok(ctx, t, "citizens"):
        return _empty("citizens")
    p = _Parser(ctx, t)
    v = {
        "citizen_id": [x for _, x in p.cells("citizen_id")],
        "name": [x for _, x in p.cells("name")],
        "lat": p.column("lat", _ranged(_float, -90, 90), "a latitude between -90 and 90", required=True),
        "lon": p.column("lon", _ranged(_float, -180, 180), "a longitude between -180 and 180", required=True),
        "languages": [tuple(x.lower() for x in items) for items in _list_col(p, "languages", non_empty=True)],
        "interests": _list_col(p, "interests", non_empty=False),
        "district": [x for _, x in p.cells("district")],
        "priority": p.column("priority", _ranged(_int, 1, 5), "a whole number 1..5", required=False, default=3),
        "gender_preference": p.column("gender_preference", _choice(GENDER_PREFERENCES), "any, f or m",
                                      required=False, default="any"),
        "preferred_volunteers": _list_col(p, "preferred_volunteers", non_empty=False),
        "excluded_volunteers": _list_col(p, "excluded_volunteers", non_empty=False),
    }
    p.require(v["citizen_id"], "citizen_id", "an id")
    for column in ("preferred_volunteers", "excluded_volunteers"):
        for row, items in zip(p.rows, v[column]):
            for item in items:
                if item not in volunteer_ids:
                    ctx.bad(row, column, item, "ids of volunteers in volunteers.csv", "unknown reference")
    return _finish("citizens", t, v)


def _requests(ctx: _Ctx, t: pd.DataFrame, citizen_ids: set[str], st: Settings | None) -> pd.DataFrame:
    if not _columns_ok(ctx, t, "requests"):
        return _empty("requests")
    p = _Parser(ctx, t)
    v = {
        "request_id": [x for _, x in p.cells("request_id")],
        "citizen_id": [x for _, x in p.cells("citizen_id")],
        "activity": p.column("activity", lambda s: s, "an activity such as visit", required=True, default=""),
        "duration_min": p.column("duration_min", _ranged(_int, 1, math.inf), "a whole number of minutes > 0",
                                 required=True, default=0),
        "sessions_per_week": p.column("sessions_per_week", _ranged(_int, 1, math.inf), "a whole number ≥ 1",
                                      required=False, default=1),
        "mode": p.column("mode", _choice(REQUEST_MODES), "in_person, phone or either", required=False,
                         default="in_person"),
        "requires_vetting": p.column("requires_vetting", _bool, "true/false/yes/no/1/0", required=False,
                                     default=False),
        "date": p.column("date", parse_date, "a date YYYY-MM-DD or empty", required=False, default=None),
        "start": p.column("start", parse_time, "a time HH:MM (00:00..24:00) or empty", required=False,
                          default=None),
    }
    p.require(v["request_id"], "request_id", "an id")
    _references(ctx, p.rows, v["citizen_id"], citizen_ids, "citizen_id", "citizens.csv")
    p.require(v["citizen_id"], "citizen_id", "a citizen id")
    for row, d, s, dur, raw_start in zip(p.rows, v["date"], v["start"], v["duration_min"],
                                         [x for _, x in p.cells("start")]):
        if s is not None and d is None and raw_start:
            ctx.bad(row, "start", raw_start, "a start only together with a date (one-off request)",
                    "start without date")
        if s is not None and dur and s + dur > 24 * 60:
            ctx.bad(row, "start", raw_start, "a start that leaves room for the duration before 24:00",
                    "session would end after midnight")
    return _finish("requests", t, v)


def _availability(ctx: _Ctx, t: pd.DataFrame, id_col: str, known: set[str], what: str) -> pd.DataFrame:
    name = "volunteer_availability" if id_col == "volunteer_id" else "citizen_availability"
    if not _columns_ok(ctx, t, name):
        return _empty(name)
    p = _Parser(ctx, t)
    v = {
        id_col: [x for _, x in p.cells(id_col)],
        "day": p.column("day", _day, "a weekday mon..sun or a date YYYY-MM-DD", required=True),
        "start": p.column("start", parse_time, "a time HH:MM (00:00..24:00)", required=True),
        "end": p.column("end", parse_time, "a time HH:MM (00:00..24:00)", required=True),
    }
    _references(ctx, p.rows, v[id_col], known, id_col, f"{what}.csv")
    p.require(v[id_col], id_col, "an id")
    raw_end = [x for _, x in p.cells("end")]
    for row, s, e, raw in zip(p.rows, v["start"], v["end"], raw_end):
        if s is not None and e is not None and e <= s:
            ctx.bad(row, "end", raw, f"a time after the start {format_time(s)}", "end is not after start")
    return _finish(name, t, v)


def _absences(ctx: _Ctx, t: pd.DataFrame, volunteer_ids: set[str]) -> pd.DataFrame:
    if not _columns_ok(ctx, t, "volunteer_absences"):
        return _empty("volunteer_absences")
    p = _Parser(ctx, t)
    v = {
        "volunteer_id": [x for _, x in p.cells("volunteer_id")],
        "from_date": p.column("from_date", parse_date, "a date YYYY-MM-DD", required=True),
        "to_date": p.column("to_date", parse_date, "a date YYYY-MM-DD", required=True),
    }
    _references(ctx, p.rows, v["volunteer_id"], volunteer_ids, "volunteer_id", "volunteers.csv")
    p.require(v["volunteer_id"], "volunteer_id", "a volunteer id")
    for row, a, b, raw in zip(p.rows, v["from_date"], v["to_date"], [x for _, x in p.cells("to_date")]):
        if a is not None and b is not None and b < a:
            ctx.bad(row, "to_date", raw, f"a date on or after from_date {a.isoformat()}", "to_date before from_date")
    return _finish("volunteer_absences", t, v)


def _pins(ctx: _Ctx, t: pd.DataFrame, request_ids: set[str], volunteer_ids: set[str]) -> pd.DataFrame:
    if not _columns_ok(ctx, t, "pins"):
        return _empty("pins")
    p = _Parser(ctx, t)
    v = {
        "request_id": [x for _, x in p.cells("request_id")],
        "volunteer_id": [x for _, x in p.cells("volunteer_id")],
        "date": p.column("date", parse_date, "a date YYYY-MM-DD", required=True),
        "start": p.column("start", parse_time, "a time HH:MM", required=True),
    }
    _references(ctx, p.rows, v["request_id"], request_ids, "request_id", "requests.csv")
    _references(ctx, p.rows, v["volunteer_id"], volunteer_ids, "volunteer_id", "volunteers.csv")
    p.require(v["request_id"], "request_id", "a request id")
    p.require(v["volunteer_id"], "volunteer_id", "a volunteer id")
    return _finish("pins", t, v)


def _check_pins(scenario: Scenario, label: str, col: Collector) -> None:
    """A pin that breaks a hard rule can never be kept: an input error, reported per pin row."""
    if scenario.pins.empty:
        return
    from ..validate import pins_as_schedule, validate

    schedule, rows = pins_as_schedule(scenario)
    for v in validate(scenario, schedule, check_pins=False):
        col.error(label, f"pin breaks hard rule {v.rule}: {v.message}", row=rows[v.row - 2])


def _warnings(scenario: Scenario, labels: dict[str, str], col: Collector) -> tuple[str, ...]:
    """Legal but suspicious data, worth a planner's look."""
    vol, cit, req = scenario.volunteers, scenario.citizens, scenario.requests
    offered = {s for skills in vol["skills"] for s in skills}
    spoken = {lang for langs in vol["languages"] for lang in langs}
    available = set(scenario.volunteer_availability["volunteer_id"])
    for row, rid, act in zip(req.index, req["request_id"], req["activity"]):
        if act not in offered:
            col.warn(labels["requests"], f"request {rid}: no volunteer offers the activity '{act}'", row=row,
                     column="activity")
    for row, vid in zip(vol.index, vol["volunteer_id"]):
        if vid not in available:
            col.warn(labels["volunteers"], f"volunteer {vid} has no availability and will never be scheduled",
                     row=row)
    for row, cid, langs in zip(cit.index, cit["citizen_id"], cit["languages"]):
        if not set(langs) & spoken:
            col.warn(labels["citizens"], f"citizen {cid}: no volunteer speaks {', '.join(langs)}", row=row,
                     column="languages")
    st = scenario.settings
    for row, rid, d in zip(req.index, req["request_id"], req["date"]):
        if d is not None and not st.in_horizon(d):
            col.warn(labels["requests"], f"one-off request {rid} is dated outside the horizon and cannot be served",
                     row=row, column="date")
    return tuple(str(w) for w in col.warnings)


def format_problems(error: InputError) -> str:
    """Every problem of an :class:`InputError`, one per line, for a terminal or a notebook."""
    return str(error)
