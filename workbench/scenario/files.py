"""A scenario's files as text: a folder of CSV files plus ``scenario.toml``, or one ``.xlsx`` workbook.

Reading never stops at the first broken file: each file that cannot be read is reported and the
others are still read, so that :mod:`workbench.scenario.check` can report every problem of every
file at once. What could not be read is listed in :attr:`Source.damaged` so that no follow-on
problem is reported about it (an unknown reference into a file that was cut short, say).
"""

from __future__ import annotations

import re
import tomllib
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pandas as pd

from ..contract import (
    COLUMNS,
    REQUIRED_COLUMNS,
    REQUIRED_TABLES,
    SETTINGS_FILE,
    SETTINGS_KEYS,
    SETTINGS_SHEET,
    TABLES,
)
from ..csvfile import decode, read_csv_table, table_from_grid
from ..errors import Collector
from ..timeutil import format_time
from .cells import date_hint, nearest, split_list

WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")


@dataclass
class Source:
    """What a scenario's files hold, as text, and where each part came from.

    ``tables``: text tables by name (a missing or unreadable file is absent); ``settings``: the
    settings as ``scenario.toml`` gives them (``None`` when they could not be read);
    ``settings_where``: per settings key, where it is (``{"line": 3}`` or ``{"row": 4, "column":
    "value"}``); ``labels``: how messages name each file or sheet; ``reported``: tables whose absence
    is already reported; ``damaged``: tables read only in part (references into them are not checked).
    """

    name: str
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    settings: dict[str, Any] | None = None
    settings_where: dict[str, dict[str, Any]] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    reported: set[str] = field(default_factory=set)
    damaged: set[str] = field(default_factory=set)


def read_source(path: Path, col: Collector) -> Source:
    """Read a scenario folder or workbook as text; every problem goes to ``col``."""
    if path.suffix.lower() in WORKBOOK_SUFFIXES:
        return read_workbook(path, col)
    if not path.is_dir():
        _no_folder(path, col)
        return Source(path.stem or path.name, reported=set(TABLES), settings=None)
    return read_folder(path, col)


def _no_folder(path: Path, col: Collector) -> None:
    suffix = path.suffix.lower()
    if suffix in (".xls", ".ods", ".numbers"):
        col.error(str(path), "is a spreadsheet in a format the workbench does not read",
                  hint="save it as an Excel workbook (.xlsx)")
    elif path.is_file() and suffix == ".csv":
        col.error(str(path), "is one CSV file; a scenario is a folder of CSV files plus scenario.toml, or one "
                             ".xlsx workbook", hint="give the folder that holds the files")
    elif path.exists():
        col.error(str(path), "is neither a scenario folder nor an .xlsx workbook")
    else:
        col.error(str(path), "no such scenario folder or workbook",
                  expected="a folder of CSV files plus scenario.toml, or an .xlsx workbook")


def _normal(name: str) -> str:
    """A file or sheet name as meant: lower case, no surrounding spaces, words joined by ``_``."""
    return re.sub(r"[\s\-]+", "_", name.strip().lower())


# --------------------------------------------------------------------------- a folder of CSV files


def read_folder(folder: Path, col: Collector) -> Source:
    """Read the CSV files and ``scenario.toml`` of a scenario folder as text."""
    src = Source(folder.name, labels={**{n: f"{n}.csv" for n in TABLES}, "scenario": SETTINGS_FILE})
    files = {p.name: p for p in sorted(folder.iterdir())} if folder.is_dir() else {}
    by_normal = {_normal(Path(n).stem): p for n, p in files.items() if n.lower().endswith((".csv", ".toml"))}
    used: set[str] = set()

    toml_path = files.get(SETTINGS_FILE)
    if toml_path is None:
        near = by_normal.get("scenario")
        if near is not None and near.suffix.lower() == ".toml":
            col.error(SETTINGS_FILE, "required file is missing",
                      hint=f"found '{near.name}'; rename it to '{SETTINGS_FILE}' (file names are lower case)")
        else:
            col.error(SETTINGS_FILE, "required file is missing")
    else:
        used.add(toml_path.name)
        src.settings, src.settings_where = read_toml(toml_path, SETTINGS_FILE, col)
    if src.settings is not None:
        src.settings.setdefault("name", folder.name)

    for name in TABLES:
        label = src.labels[name]
        path = files.get(label)
        if path is None:
            near = by_normal.get(name)
            if near is not None and near.suffix.lower() == ".csv":
                col.error(label, "required file is missing" if name in REQUIRED_TABLES else "file name is not "
                          "exactly as the contract says", hint=f"found '{near.name}'; rename it to '{label}' (file "
                          "names are lower case); it was read to check its content")
                path = near
                src.damaged.add(name)
            elif name in REQUIRED_TABLES:
                col.error(label, "required file is missing", hint=_folder_hint(files))
                src.reported.add(name)
                continue
            else:
                continue
        used.add(path.name)
        before = col.count()
        table = read_csv_table(path, label, col, known=COLUMNS[name], required=REQUIRED_COLUMNS[name])
        if table is None:
            src.reported.add(name)
            src.damaged.add(name)
            continue
        if col.count() > before:
            src.damaged.add(name)
        src.tables[name] = table
    for name in files:
        if name in used or not name.lower().endswith(".csv"):
            continue
        near = nearest(Path(name).stem, list(TABLES))
        col.warn(name, "is not a file of a scenario and is ignored"
                 + (f" (the nearest name is '{near}.csv')" if near else ""))
    return src


def _folder_hint(files: dict[str, Path]) -> str | None:
    books = [n for n in files if n.lower().endswith(WORKBOOK_SUFFIXES)]
    if books and not any(n.lower().endswith(".csv") for n in files):
        return f"the folder holds the workbook '{books[0]}'; give the workbook itself instead of the folder"
    return None


# --------------------------------------------------------------------------- scenario.toml


def read_toml(path: Path, label: str, col: Collector) -> tuple[dict[str, Any] | None, dict[str, dict[str, Any]]]:
    """The settings of ``scenario.toml`` and the line of each key; ``None`` when the file is not TOML."""
    try:
        raw = path.read_bytes()
    except IsADirectoryError:
        col.error(label, "is a folder, not a file")
        return None, {}
    except OSError as exc:
        col.error(label, f"cannot be read: {exc.strerror or exc}")
        return None, {}
    text, _, issue = decode(raw, label, col)
    if text is None:
        return None, {}
    if issue is not None:
        # decode()'s hint is about saving a sheet as CSV; a TOML file is saved from a text editor.
        hint = str(issue["hint"]).split(";")[0]
        issue["hint"] = f"{hint}; save it again as UTF-8 (Notepad: File → Save As, Encoding 'UTF-8')"
        col.error(label, **issue)  # type: ignore[arg-type]
    try:
        settings = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        m = re.search(r"\(at line (\d+), column (\d+)\)", message)
        line = int(m.group(1)) if m else None
        reason = message[: m.start()].strip() if m else message
        shown = text.splitlines()[line - 1].strip() if line and line <= len(text.splitlines()) else None
        col.error(label, f"is not valid TOML: {reason}" + (f" (column {m.group(2)})" if m else ""), line=line,
                  value=shown, hint=_toml_hint(shown))
        return None, {}
    return settings, _toml_lines(text)


def _toml_hint(line: str | None) -> str:
    general = 'a TOML file holds lines key = value, text in quotes ("..."), dates as YYYY-MM-DD'
    if not line:
        return general
    m = re.fullmatch(r"([A-Za-z0-9_.\-]+)\s*=\s*(.*)", line)
    if not m:
        return general
    key, value = m.group(1), m.group(2).strip()
    if key == "citizen_window" and not value.startswith("["):
        return 'citizen_window is a list of two times: citizen_window = ["09:00", "20:00"]'
    if re.search(r"\d", value) and re.fullmatch(r"[\d./\-]+", value):
        return date_hint(value) or general
    if value and not value.startswith(('"', "'", "[", "{")):
        return f'text values need quotes: {key} = "{value}"'
    return general


def _toml_lines(text: str) -> dict[str, dict[str, Any]]:
    """Per key (dotted for tables: ``speed_kmh.bike``), the 1-based line where it is set."""
    where: dict[str, dict[str, Any]] = {}
    table = ""
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        m = re.fullmatch(r"\[\s*([A-Za-z0-9_.\-\"' ]+?)\s*\]\s*(#.*)?", stripped)
        if m:
            table = m.group(1).strip("\"' ")
            where.setdefault(table, {"line": number})
            continue
        m = re.match(r"([A-Za-z0-9_.\-\"']+)\s*=", stripped)
        if m:
            key = m.group(1).strip("\"'")
            where.setdefault(f"{table}.{key}" if table else key, {"line": number})
    return where


# --------------------------------------------------------------------------- one workbook


def cell_text(value: object) -> str:
    """One workbook cell as the text a CSV would hold, as the user typed it.

    Dates, times and numbers typed in Excel or LibreOffice: a date cell gives ``YYYY-MM-DD``, a time
    cell ``HH:MM``, a duration cell (``25:00`` typed into a time column) its hours ``25:00``, a whole
    number ``17`` (an id typed as a number is the text ``17``).
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        if value < datetime(1900, 1, 3):
            # A time stored on Excel's epoch: day 0 is a time of day, and openpyxl gives a time typed past
            # 24:00 (25:00 in a cell formatted h:mm) as 1900-01-01 01:00, which is 24 h + 1 h.
            base = datetime(1899, 12, 31) if value >= datetime(1900, 1, 1) else datetime.combine(value.date(), time(0))
            return cell_text(value - base)
        if value.time() == time(0):
            return value.date().isoformat()
        return value.strftime("%Y-%m-%d ") + _clock(value.hour, value.minute, value.second)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return _clock(value.hour, value.minute, value.second)
    if isinstance(value, timedelta):
        seconds = round(value.total_seconds())
        sign = "-" if seconds < 0 else ""
        hours, rest = divmod(abs(seconds), 3600)
        return sign + _clock(hours, rest // 60, rest % 60)
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return repr(value)
    return str(value)


def _clock(hours: int, minutes: int, seconds: int) -> str:
    text = format_time(hours * 60 + minutes)
    return text + (f":{seconds:02d}" if seconds else "")


def read_workbook(path: Path, col: Collector) -> Source:
    """Read the sheets of a scenario workbook as text."""
    import openpyxl  # only workbooks need it; importing it costs a quarter of a second

    book = path.name
    src = Source(path.stem, labels={**{n: f"{book}, sheet {n}" for n in TABLES},
                                    "scenario": f"{book}, sheet {SETTINGS_SHEET}"})
    if not path.exists():
        col.error(book, "no such workbook")
        src.reported = set(TABLES)
        return src
    if path.is_dir():
        col.error(book, "is a folder, not a workbook")
        src.reported = set(TABLES)
        return src
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a file that is not a workbook
        col.error(book, f"cannot be opened as an Excel workbook: {type(exc).__name__}: {exc}",
                  hint="save it again from Excel or LibreOffice as 'Excel Workbook (.xlsx)'")
        src.reported = set(TABLES)
        return src
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError):
        archive = None
    try:
        sheets = list(wb.sheetnames)
        by_normal: dict[str, str] = {}
        for s in sheets:
            by_normal.setdefault(_normal(s), s)
        used: set[str] = set()

        def sheet_of(name: str, required: bool) -> str | None:
            if name in sheets:
                return name
            near = by_normal.get(name)
            label = f"{book}, sheet {name}"
            if near is not None:
                col.error(label, "required sheet is missing" if required else "sheet name is not exactly as the "
                          "contract says", hint=f"found a sheet named '{near}'; rename it to '{name}' (sheet names "
                          "are lower case, without spaces); it was read to check its content")
                return near
            if required:
                other = nearest(name, [s for s in sheets if s not in used and _normal(s) not in TABLES])
                col.error(label, "required sheet is missing",
                          hint=f"is the sheet '{other}' meant to be '{name}'?" if other else None)
            return None

        actual = sheet_of(SETTINGS_SHEET, True)
        if actual is not None:
            used.add(actual)
            label = src.labels["scenario"]
            grid = _sheet_grid(wb[actual], archive, label, col)
            kv = table_from_grid(grid, label, col, known=("key", "value"), required=("key", "value")) \
                if grid is not None else None
            if kv is None:
                pass
            elif not {"key", "value"} <= set(kv.columns):
                col.error(label, "needs the two columns 'key' and 'value'", expected="a header row: key, value",
                          **_settings_header_problem(kv))
            else:
                src.settings, src.settings_where = settings_from_sheet(kv, label, col)
        if src.settings is not None:
            src.settings.setdefault("name", path.stem)
        for name in TABLES:
            actual = sheet_of(name, name in REQUIRED_TABLES)
            if actual is None:
                if name in REQUIRED_TABLES:
                    src.reported.add(name)
                continue
            used.add(actual)
            if actual != name:
                src.damaged.add(name)
            before = col.count()
            grid = _sheet_grid(wb[actual], archive, src.labels[name], col)
            if grid is None:
                src.reported.add(name)
                src.damaged.add(name)
                continue
            src.tables[name] = table_from_grid(grid, src.labels[name], col, known=COLUMNS[name],
                                               required=REQUIRED_COLUMNS[name])
            if col.count() > before:
                src.damaged.add(name)
        for s in sheets:
            if s not in used:
                near = nearest(_normal(s), list(TABLES) + [SETTINGS_SHEET])
                col.warn(f"{book}, sheet {s}", "is not a sheet of a scenario and is ignored"
                         + (f" (the nearest name is '{near}')" if near else ""))
    finally:
        wb.close()
        if archive is not None:
            archive.close()
    return src


def _settings_header_problem(kv: pd.DataFrame) -> dict[str, Any]:
    """Where the settings sheet's header is and what it holds instead of key, value (with a hint):
    'Key'/'Value' in another case, or no header row at all (row 1 holds a setting)."""
    names = [str(c) for c in kv.columns]
    row = int(kv.index[0]) - 1 if len(kv) else 1
    where: dict[str, Any] = {"row": row, "value": " | ".join(names)}
    settings = [n for n in names if n.strip().split(".")[0] in SETTINGS_KEYS]
    if {n.strip().lower() for n in names} >= {"key", "value"}:
        where["hint"] = "header names are lower case: key, value"
    elif len(settings) > 1:
        where["hint"] = "the settings are laid out in columns; put them one per row, the name in column 'key' and " \
                        "its value in column 'value'"
    elif settings and settings[0] == names[0]:
        where["hint"] = f"row {row} holds the setting '{names[0].strip()}': insert a row above the settings " \
                        "with key and value"
    return where


def _sheet_grid(ws: Any, archive: zipfile.ZipFile | None, label: str, col: Collector) -> pd.DataFrame | None:
    """The sheet's cells as text, row numbers as Excel shows them; merged cells and formulas without a
    stored result are reported (each would silently read as an empty cell). ``None`` (reported) for a
    sheet that cannot be read."""
    try:
        rows = [[cell_text(c) for c in r] for r in ws.iter_rows(min_row=1, values_only=True)]
    except Exception as exc:  # a damaged sheet: openpyxl raises what its XML parser or converters raise
        col.error(label, f"cannot be read: {type(exc).__name__}: {exc}",
                  hint="open the workbook in Excel or LibreOffice and save it again")
        return None
    while rows and not any(c.strip() for c in rows[-1]):
        rows.pop()  # empty rows at the end of a sheet are ignored (the contract says so)
    width = max((len(r) for r in rows), default=0)
    grid = pd.DataFrame([r + [""] * (width - len(r)) for r in rows], columns=list(range(width)), dtype=object)
    grid.index = pd.Index(range(1, len(rows) + 1), name="row")
    xml = _sheet_xml(ws, archive)
    if xml:
        header = [c.strip() for c in rows[0]] if rows else []

        def column_name(c: int) -> str | None:
            return header[c] if c < len(header) and header[c] else None

        for ref in re.findall(r'<mergeCell ref="([A-Z]+\d+:[A-Z]+\d+)"', xml):
            first, last = ref.split(":")
            r, c = _cell_position(first)
            r2, c2 = _cell_position(last)
            col.error(label, f"cells {ref} are merged: a merged cell keeps its value only in its first cell "
                             f"({first}), so the others would read as empty", row=r, column=column_name(c),
                      hint="unmerge the cells and type the value into each of them")
            for rr in range(r, r2 + 1):
                for cc in range(c, c2 + 1):
                    if (rr, cc) != (r, c) and column_name(cc):
                        col.mark(label, rr, column_name(cc))  # type: ignore[arg-type]
        if "<f" in xml:
            for ref in _formulas_without_result(xml):
                r, c = _cell_position(ref)
                col.error(label, f"cell {ref} holds a formula whose result was never stored, so it would read "
                                 "as empty", row=r, column=column_name(c),
                          hint="open the workbook in Excel or LibreOffice and save it (that stores the results), "
                               "or type the value")
                if column_name(c):
                    col.mark(label, r, column_name(c))  # type: ignore[arg-type]
    return grid


def _sheet_xml(ws: Any, archive: zipfile.ZipFile | None) -> str:
    name = getattr(ws, "_worksheet_path", None)
    if archive is None or not name:
        return ""
    try:
        data = archive.read(name)
    except KeyError:
        return ""
    if b"<mergeCell" not in data and b"<f" not in data:
        return ""
    return data.decode("utf-8", errors="replace")


def _formulas_without_result(xml: str) -> list[str]:
    refs = []
    for m in re.finditer(r'<c r="([A-Z]+\d+)"[^>]*?(?:/>|>(.*?)</c>)', xml, flags=re.S):
        inner = m.group(2) or ""
        if "<f" in inner and not re.search(r"<v>[^<]", inner):
            refs.append(m.group(1))
    return refs


def _cell_position(ref: str) -> tuple[int, int]:
    """``B4`` → (row 4, 0-based column 1)."""
    m = re.fullmatch(r"([A-Z]+)(\d+)", ref)
    assert m is not None
    index = 0
    for ch in m.group(1):
        index = index * 26 + ord(ch) - 64
    return int(m.group(2)), index - 1


def settings_from_sheet(kv: pd.DataFrame, label: str, col: Collector
                        ) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """``key``/``value`` rows → the dict ``scenario.toml`` would give (lists by ``;``, tables by dotted
    keys), and the row of each key."""
    out: dict[str, Any] = {}
    where: dict[str, dict[str, Any]] = {}
    keys = [str(k).strip() for k in kv["key"]]
    values = [str(v).strip() for v in kv["value"]]
    for row, key, value in zip(kv.index, keys, values):
        row = int(row)
        if not key:
            if value:
                col.error(label, "a value without a key", row=row, column="key", value=value,
                          expected="the name of a setting, such as weeks")
            continue
        if key in where:
            col.error(label, f"setting given twice (first in row {where[key]['row']})", row=row, column="key",
                      key=key)
            continue
        where[key] = {"row": row, "column": "value"}
        if value == "":
            col.error(label, "empty value", row=row, column="value", key=key)
            continue
        if key == "citizen_window":
            out[key] = list(split_list(value))
        elif "." in key:
            table, sub = key.split(".", 1)
            if not isinstance(out.setdefault(table, {}), dict):
                col.error(label, f"'{table}' is given as a value and as a table", row=row, column="key", key=key)
                continue
            out[table][sub] = value
            where.setdefault(table, {"row": row, "column": "key"})
        else:
            out[key] = value
    return out, where


__all__ = ["Source", "cell_text", "read_folder", "read_source", "read_toml", "read_workbook", "settings_from_sheet"]
