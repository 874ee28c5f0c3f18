"""Cells of the scenario files: the parser of each cell kind in the contract's conventions, the hint
for each common way people type it wrong, and the vectorised reading of a whole column.

Every parser takes the stripped text of one cell and returns the value, or ``None`` when the text
is not a valid cell of that kind. A column is parsed on its distinct values only (a 50 MB
availability file has a few thousand distinct cells), so the cost is one hash of each cell.
"""

from __future__ import annotations

import difflib
import math
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd

from ..contract import FALSE_WORDS, TRUE_WORDS
from ..csvfile import distinct
from ..errors import Collector
from ..timeutil import WEEKDAYS, format_time, parse_date

_TRUE = set(TRUE_WORDS)
_FALSE = set(FALSE_WORDS)

# --------------------------------------------------------------------------- one cell → value


def split_list(text: str) -> tuple[str, ...]:
    """A list cell: ``;``-separated, spaces around items trimmed, empty cell = empty list."""
    return tuple(item.strip() for item in str(text).split(";") if item.strip())


# A whole number with a group separator: 1,000 and 1.000 are a thousand in one convention and one in the other.
_GROUPED = re.compile(r"[-+]?\d{1,3}(?:[.,]\d{3})+")


def _number_text(text: str) -> str | None:
    """``text`` as Python's number parsers should see it, or ``None`` when it is no number a person writes.

    The minus sign U+2212 (what a number copied from a web page or Word holds) is a minus; an
    underscore is refused, since Python would read ``6_0`` as 60 while a person typed a typo.
    """
    if "_" in text:
        return None
    return text.replace("\u2212", "-")


def parse_float(text: str) -> float | None:
    """A finite decimal number; a decimal comma (``55,68``, as Danish Excel writes) is accepted."""
    t = _number_text(text)
    if t is None:
        return None
    if t.count(",") == 1 and "." not in t:
        t = t.replace(",", ".")
    try:
        v = float(t)
    except ValueError:
        return None
    return v if math.isfinite(v) else None


def parse_int(text: str) -> int | None:
    """A whole number (``3``, or ``3.0`` as a spreadsheet may write it).

    ``1,000`` and ``1.000`` are refused: read with a decimal comma or point they are 1, and with a
    thousands separator 1000, and a whole-number column cannot tell which was meant (reading them
    as 1 silently turned a weekly limit of 1,000 minutes into one minute).
    """
    t = _number_text(text)
    if t is None:
        return None
    try:
        return int(t)
    except ValueError:
        if _GROUPED.fullmatch(t):
            return None
        f = parse_float(t)
        return int(f) if f is not None and f.is_integer() else None


def parse_bool(text: str) -> bool | None:
    t = text.lower()
    return True if t in _TRUE else False if t in _FALSE else None


def choice(options: tuple[str, ...]) -> Callable[[str], str | None]:
    """A parser accepting one of ``options``, in any case."""

    def parse(text: str) -> str | None:
        t = text.lower()
        return t if t in options else None

    return parse


def parse_day(text: str) -> str | None:
    """A weekday ``mon``..``sun`` (any case) or a date ``YYYY-MM-DD``, as text."""
    t = text.lower()
    if t in WEEKDAYS:
        return t
    d = parse_date(t)
    return d.isoformat() if d else None


def ranged(parse: Callable[[str], Any], lo: float, hi: float) -> Callable[[str], Any]:
    """``parse``, refusing values outside ``lo..hi``."""

    def check(text: str) -> Any:
        v = parse(text)
        return v if v is not None and lo <= v <= hi else None

    return check


# --------------------------------------------------------------------------- hints for common mistakes

_EXCEL_EPOCH = date(1899, 12, 30)
_EXCEL_ERRORS = ("#REF!", "#VALUE!", "#N/A", "#DIV/0!", "#NAME?", "#NUM!", "#NULL!", "#SPILL!", "#CALC!")
_NON_FINITE = {"nan", "inf", "-inf", "+inf", "infinity", "-infinity", "+infinity"}
_DAY_NAMES = {
    **{d: d[:3] for d in ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")},
    **dict(zip(("mandag", "tirsdag", "onsdag", "torsdag", "fredag", "lørdag", "søndag"), WEEKDAYS)),
    **dict(zip(("man", "tir", "ons", "tor", "fre", "lør", "søn"), WEEKDAYS)),
    **dict(zip(("mo", "tu", "we", "th", "fr", "sa", "su"), WEEKDAYS)),
}
_BOOL_WORDS = {"ja", "nej", "j", "n", "y", "x", "sand", "falsk", "wahr", "falsch", "oui", "non", "si", "✓", "✔",
               "t", "f"}


def _excel_serial_date(text: str) -> date | None:
    m = re.fullmatch(r"(\d{5})(?:\.0+)?", text)
    if not m or not 20000 <= int(m.group(1)) <= 80000:
        return None
    return _EXCEL_EPOCH + timedelta(days=int(m.group(1)))


def _generic_hint(text: str) -> str | None:
    if text.upper() in _EXCEL_ERRORS:
        return "the cell holds an Excel error value: the formula in it fails; type the value itself"
    if text.startswith("="):
        return "the cell holds a formula, not its result; type the value, or save the file from a spreadsheet " \
               "program so that it stores the results"
    return None


def date_hint(text: str) -> str | None:
    """Why ``text`` is not a date ``YYYY-MM-DD``, in words a spreadsheet user can act on."""
    serial = _excel_serial_date(text)
    if serial:
        return f"looks like an Excel date number ({text} = {serial.isoformat()}); format the cell as a date or " \
               f"type {serial.isoformat()}"
    m = re.fullmatch(r"(\d{4})([-/.])(\d{1,2})\2(\d{1,2})", text)
    if m:
        try:
            d = date(int(m.group(1)), int(m.group(3)), int(m.group(4)))
        except ValueError:
            return "there is no such day in the calendar"
        if m.group(2) != "-":  # 2026/1/6, 2026.01.06: year first, as in YYYY-MM-DD, with other separators
            return f"dates are written YYYY-MM-DD, with '-': {d.isoformat()}"
        return f"write the month and the day with two digits: {d.isoformat()}"
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}[ T]\d{1,2}:\d{2}(:\d{2})?", text):
        return f"a date with a time of day; this column wants the date only ({text[:10]})"
    m = re.fullmatch(r"(\d{1,2})[./-](\d{1,2})[./-](\d{4}|\d{2})", text)
    if m:
        day, month, year = int(m.group(1)), int(m.group(2)), int(m.group(3))
        year += 2000 if year < 100 else 0
        try:
            meant = date(year, month, day)
        except ValueError:
            try:
                meant = date(year, day, month)
            except ValueError:
                return "dates are written YYYY-MM-DD"
        return f"dates are written YYYY-MM-DD (for {meant.day} {meant.strftime('%B %Y')} write {meant.isoformat()})"
    return _generic_hint(text) or "dates are written YYYY-MM-DD, e.g. 2026-01-05"


def time_hint(text: str) -> str | None:
    """Why ``text`` is not a time ``HH:MM``, in words a spreadsheet user can act on."""
    m = re.fullmatch(r"(\d{1,3}):(\d{2})(:\d{2})?", text)
    if m:
        h, mi = int(m.group(1)), int(m.group(2))
        if m.group(3) and m.group(3) != ":00":
            return "times are whole minutes: HH:MM without seconds"
        if mi >= 60:
            return "the minutes of a time are 00..59"
        if h >= 24:
            return f"a time of day runs from 00:00 to 24:00; {text} is not a clock time"
    m = re.fullmatch(r"0?[.,](\d+)", text)
    if m and len(m.group(1)) > 2:
        minutes = round(float("0." + m.group(1)) * 24 * 60)
        return f"looks like an Excel time number ({text} = {format_time(minutes)}); format the cell as a time " \
               f"or type {format_time(minutes)}"
    m = re.fullmatch(r"(\d{1,2})[.,](\d{2})", text)
    if m and int(m.group(1)) <= 24 and int(m.group(2)) < 60:
        return f"write times with a colon: {int(m.group(1)):02d}:{m.group(2)}"
    m = re.fullmatch(r"(\d{1,2})(?::(\d{2}))?\s*([ap])\.?m\.?", text.lower())
    if m:
        h = int(m.group(1)) % 12 + (12 if m.group(3) == "p" else 0)
        return f"use the 24-hour clock: {h:02d}:{m.group(2) or '00'}"
    if re.fullmatch(r"\d{1,2}", text) and int(text) <= 24:
        return f"write the time as HH:MM: {int(text):02d}:00"
    m = re.fullmatch(r"(\d{1,2})(\d{2})", text)  # 0900, 930: a time typed without its colon
    if m and int(m.group(1)) <= 24 and int(m.group(2)) < 60:
        return f"write times with a colon: {int(m.group(1)):02d}:{m.group(2)}"
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}[ T]\d{1,2}:\d{2}(:\d{2})?", text):
        return f"a date with a time of day; this column wants the time only ({text[11:16]})"
    return _generic_hint(text) or "times are written HH:MM on the 24-hour clock, e.g. 09:30"


def number_hint(text: str) -> str | None:
    t = text.lower()
    if t in _NON_FINITE:
        return "nan and inf are not numbers a plan can use; type a finite number"
    if re.fullmatch(r"-?\d{1,3}([.,]\d{3})+[.,]\d+", text):
        return "write the number without thousands separators, with a decimal point (1234.5)"
    if re.fullmatch(r"-?\d+([.,]\d+)?\s*[a-zA-Z/%°]+\.?", text):
        return "type the number without its unit"
    if "°" in text or "'" in text:
        return "coordinates are decimal degrees, e.g. 55.6761"
    return _generic_hint(text)


def whole_number_hint(text: str) -> str | None:
    if _GROUPED.fullmatch(text):
        plain = re.sub(r"[.,]", "", text)
        if len(re.findall(r"[.,]", text)) == 1:
            return f"is it {plain} (with a thousands separator) or {parse_float(text):g}? write {plain} or " \
                   f"{parse_float(text):g}, without a separator"
        return f"write the number without thousands separators: {plain}"
    f = parse_float(text)
    if f is not None and not f.is_integer():
        return "a whole number is needed"
    return number_hint(text)


def bool_hint(text: str) -> str | None:
    if text.lower() in _BOOL_WORDS:
        return "write true or false (yes/no and 1/0 are understood too)"
    return _generic_hint(text)


def day_hint(text: str) -> str | None:
    t = text.lower().rstrip(".")
    if t in _DAY_NAMES:
        return f"weekdays are written mon tue wed thu fri sat sun: write '{_DAY_NAMES[t]}'"
    if re.search(r"\d", t):
        return date_hint(text)
    return _generic_hint(text) or "a weekday mon tue wed thu fri sat sun, or a date YYYY-MM-DD"


# Words people use for the contract's choices.
_SYNONYMS = {
    "bicycle": "bike", "cycle": "bike", "cycling": "bike", "foot": "walk", "walking": "walk", "on foot": "walk",
    "bus": "transit", "train": "transit", "public transport": "transit", "metro": "transit", "auto": "car",
    "driving": "car", "in person": "in_person", "in-person": "in_person", "inperson": "in_person",
    "visit": "in_person", "telephone": "phone", "call": "phone", "both": "either", "any": "either",
    "female": "f", "woman": "f", "male": "m", "man": "m", "k": "f", "kvinde": "f", "mand": "m",
}


def choice_hint(options: tuple[str, ...]) -> Callable[[str], str | None]:
    def hint(text: str) -> str | None:
        t = text.lower().strip()
        meant = _SYNONYMS.get(t)
        if meant in options:
            return f"did you mean '{meant}'?"
        near = difflib.get_close_matches(t, options, n=1, cutoff=0.6)
        return f"did you mean '{near[0]}'?" if near else _generic_hint(text)

    return hint


_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"))


def _id_key(text: str) -> str:
    """An id as a person reads it: Unicode form (``Å`` as one or two code points), case, invisible
    characters and a spreadsheet's ``.0`` after a number ignored."""
    t = unicodedata.normalize("NFKC", text.translate(_INVISIBLE)).casefold().strip()
    return re.sub(r"^(\d+)\.0+$", r"\1", t)


def id_hint(known: set[str]) -> Callable[[str], str | None]:
    """A hint for an unknown id that differs from a known one only in what a person cannot see or
    did not mean (``V0001`` for ``v0001``, ``7.0`` for ``7``, an NFD ``Å``, a zero-width space)."""
    by_key: dict[str, str] | None = None

    def hint(text: str) -> str | None:
        nonlocal by_key
        if by_key is None:  # built on the first unknown id only: most scenarios have none
            by_key = {}
            for k in sorted(known):
                by_key.setdefault(_id_key(k), k)
        near = by_key.get(_id_key(text))
        if near is None or near == text:
            return None
        if near.casefold() == text.casefold():
            why = "ids are compared exactly, upper and lower case too"
        elif text.translate(_INVISIBLE) != text:
            why = "the cell holds invisible characters (copied from a web page or a document?); type the id again"
        elif re.fullmatch(r"\d+\.0+", text):
            why = "the id was written as a decimal number; write it as it is in the other file"
        else:
            why = "it looks the same but a letter is stored in another Unicode form; type the id again"
        return f"did you mean '{near}'? {why}"

    return hint


def nearest(name: str, known: tuple[str, ...] | list[str]) -> str | None:
    """The known name closest to ``name`` (``max_travel_kms`` → ``max_travel_km``), if any is close."""
    near = difflib.get_close_matches(name.lower(), known, n=1, cutoff=0.6)
    return near[0] if near else None


# --------------------------------------------------------------------------- a whole column


@dataclass
class Column:
    """The stripped text cells of one column, factorised: ``texts[codes[i]]`` is row ``i``'s cell."""

    codes: np.ndarray
    texts: list[str]

    @classmethod
    def of(cls, values: pd.Series | None, n: int) -> Column:
        """From a text column (categorical or object); a missing column reads as empty cells."""
        if values is None:
            return cls(np.zeros(n, np.intp), [""])
        raw_codes, raw = distinct(values)
        stripped = [t.strip() for t in raw]
        remap, texts = pd.factorize(np.array(stripped, dtype=object))
        return cls(remap[raw_codes].astype(np.intp), [str(t) for t in texts])

    def values(self) -> np.ndarray:
        """Row by row, the stripped text (shared string objects)."""
        return object_array(self.texts)[self.codes]

    def map(self, fn: Callable[[str], Any]) -> np.ndarray:
        """``fn`` applied to each distinct text, spread to the rows."""
        return object_array([fn(t) for t in self.texts])[self.codes]

    def empty(self) -> np.ndarray:
        """A boolean per row: the cell is empty."""
        return np.array([t == "" for t in self.texts], bool)[self.codes]


def object_array(items: list[Any]) -> np.ndarray:
    out = np.empty(len(items), object)
    for i, item in enumerate(items):  # element by element: numpy would unpack tuples
        out[i] = item
    return out


class TableCheck:
    """Reads and checks the cells of one table, reporting each bad cell with its row.

    ``bad`` marks the rows that hold a problem (the pin check uses only rows without one).
    """

    def __init__(self, col: Collector, label: str, table: pd.DataFrame) -> None:
        self.col = col
        self.label = label
        self.table = table
        self.rows = table.index.to_numpy()
        self.n = len(table)
        self.bad = np.zeros(self.n, bool)
        self._columns: dict[str, Column] = {}
        self._parsed: dict[str, list[Any]] = {}

    def column(self, name: str) -> Column:
        if name not in self._columns:
            self._columns[name] = Column.of(self.table[name] if name in self.table.columns else None, self.n)
        return self._columns[name]

    def text(self, name: str) -> np.ndarray:
        return self.column(name).values()

    def report(self, mask: np.ndarray, column: str | None, message: str, expected: str | None = None, *,
               values: np.ndarray | None = None, hint: Callable[[str], str | None] | None = None,
               warning: bool = False) -> None:
        """One problem (or warning) per row where ``mask`` holds; ``values`` default to the column's cells."""
        self.report_at(np.flatnonzero(mask), column, message, expected, values=values, hint=hint, warning=warning)

    def report_at(self, positions: np.ndarray, column: str | None, message: str,
                  expected: str | Callable[[int], str] | None = None, *, values: np.ndarray | None = None,
                  hint: Callable[[str], str | None] | None = None, warning: bool = False) -> None:
        """One problem (or warning) per row position, the first ones in full and the rest counted.

        ``expected`` may depend on the position; ``values`` (per row) default to the column's cells.
        """
        if not len(positions):
            return
        if not warning:
            self.bad[positions] = True
            done = self.col.marked(self.label, column) if column is not None else set()
            if done:
                positions = np.array([p for p in positions if int(self.rows[p]) not in done], dtype=np.intp)
                if not len(positions):
                    return
        if values is None and column is not None:
            values = self.text(column)
        hints: dict[str, str | None] = {}
        report = self.col.warn if warning else self.col.error
        room = self.col.room(self.label, column, message, warning)
        for pos in positions[:room]:
            value = None if values is None else values[pos]
            h = None
            if hint is not None and value is not None:
                if value not in hints:
                    hints[value] = hint(str(value))
                h = hints[value]
            report(self.label, message, row=int(self.rows[pos]), column=column,
                   value=None if value is None else str(value),
                   expected=expected(int(pos)) if callable(expected) else expected, hint=h)
        rest = positions[room:]
        if len(rest):
            self.col.more(self.label, column, message, len(rest), int(self.rows[rest[0]]), int(self.rows[rest[-1]]),
                          warning=warning)

    def require(self, name: str, expected: str) -> None:
        """Report each empty cell of a column that must not be empty (ids, references), if the table has it."""
        if name in self.table.columns:
            self.report(self.column(name).empty(), name, "required value is empty", expected)

    def parse(self, name: str, parse: Callable[[str], Any], expected: str, *, required: bool, default: Any = None,
              hint: Callable[[str], str | None] | None = None, message: str = "invalid value") -> np.ndarray:
        """The column's values (``default`` for empty and bad cells), each bad or missing cell reported.

        A column the table does not have gives ``default`` everywhere and no report (a missing
        required column is reported once, by the caller).
        """
        c = self.column(name)
        parsed = [default if t == "" else parse(t) for t in c.texts]
        self._parsed[name] = parsed
        if name not in self.table.columns:
            return object_array([default])[np.zeros(self.n, np.intp)]
        bad_text = np.array([t != "" and v is None for t, v in zip(c.texts, parsed)], bool)
        empty_text = np.array([t == "" for t in c.texts], bool)
        out = object_array([default if v is None else v for v in parsed])[c.codes]
        if required:
            self.report(empty_text[c.codes], name, "required value is empty", expected)
        self.report(bad_text[c.codes], name, message, expected, hint=hint)
        return out

    def numbers(self, name: str) -> np.ndarray:
        """A parsed column (see :meth:`parse`) as floats, NaN where a cell is empty, bad or not a number."""
        parsed = self._parsed.get(name)
        if parsed is None or name not in self.table.columns:
            return np.full(self.n, np.nan)
        u = np.array([float(v) if isinstance(v, int | float) and not isinstance(v, bool) else np.nan
                      for v in parsed], float)
        return u[self.column(name).codes]
