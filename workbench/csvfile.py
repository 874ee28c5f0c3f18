"""Reading a table of text cells from a CSV file, or from the rows of a workbook sheet, without losing
or misreading anything, and naming every structural problem by its row.

The contract's CSV files are UTF-8, comma-separated, with a header row. People make them in
spreadsheet programs, so this module recognises what those programs write by mistake and says so
instead of producing a long list of follow-on errors: a ``;``-separated file (Danish and other
European Excel), a legacy encoding (Windows-1252/Latin-1) or UTF-16 ("Unicode text"), a workbook
saved with a ``.csv`` name, a title row above the header, a quote that opens and never closes,
cells beyond the header, two columns with the same name.

Reading is vectorised: numpy counts the separators of the widest line, then pandas' C reader reads
every record as categorical text (a 50 MB file takes about a second and little memory, since
repeated cells are stored once), and the structural checks run on the distinct cells only. Row
numbers are exact: the header is row 1, and a row is a record as a spreadsheet shows it (a quoted
cell may hold line breaks).

Result: a DataFrame of text cells (categorical or object dtype, values not yet stripped) whose
columns are the header names and whose index, named ``row``, is the spreadsheet row number;
blank rows are dropped.
"""

from __future__ import annotations

import codecs
import io
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import Collector

SAVE_AS_CSV_UTF8 = ("save it again as 'CSV UTF-8 (Comma delimited)' (Excel: File → Save As; LibreOffice: "
                    "character set 'Unicode (UTF-8)', field delimiter ',')")
# How far below row 1 a header is looked for when row 1 is a title.
_HEADER_SEARCH_ROWS = 10
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
# How many column letters a message names before it sums the rest up.
_LETTERS_SHOWN = 10


def column_letter(index: int) -> str:
    """Spreadsheet column letter of a 0-based column index (0 → A, 26 → AA)."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


# --------------------------------------------------------------------------- bytes → text


def decode(raw: bytes, label: str, col: Collector) -> tuple[str | None, str, dict[str, object] | None]:
    """The file's text, the encoding it was read in, and the not-UTF-8 problem still to report (its
    ``line`` becomes a row once the rows are known; UTF-16 and files that are no text at all are
    reported here).

    A file in another encoding is decoded as that encoding anyway, so that its cells can still be
    checked. ``None`` for a file that is not text at all (a workbook, a binary file).
    """
    if raw.startswith(b"PK\x03\x04"):
        col.error(label, "is an Excel workbook (or another zip file), not a CSV file",
                  hint="save the sheet as 'CSV UTF-8 (Comma delimited)', or give the workbook itself (.xlsx)")
        return None, "", None
    for bom, name in ((codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")):
        if raw.startswith(bom) and not raw.startswith(codecs.BOM_UTF32_LE):
            col.error(label, "is UTF-16 text ('Unicode text'), not UTF-8", hint=SAVE_AS_CSV_UTF8)
            return raw[len(bom):].decode(name, errors="replace"), name, None
    head = raw[:4000]
    if len(head) >= 4 and head.count(b"\x00") * 3 >= len(head):  # UTF-16 without a byte order mark
        name = "utf-16-le" if head[1:2] == b"\x00" else "utf-16-be"
        col.error(label, "is UTF-16 text ('Unicode text'), not UTF-8", hint=SAVE_AS_CSV_UTF8)
        return raw.decode(name, errors="replace"), name, None
    try:
        return raw.decode("utf-8-sig"), "utf-8", None
    except UnicodeDecodeError as exc:
        # The utf-8-sig decoder counts positions after the byte order mark; ``first`` indexes ``raw``.
        bom = len(codecs.BOM_UTF8) if raw.startswith(codecs.BOM_UTF8) else 0
        first = exc.start + bom
    lenient = raw.decode("utf-8-sig", errors="replace")
    # A file with no valid multi-byte UTF-8 at all was written in a legacy code page (Windows-1252 is
    # what Excel writes for "CSV (Comma delimited)" in western Europe); a UTF-8 file with a few stray
    # bytes is better read as UTF-8. A UTF-8 byte order mark in front of legacy text is no part of it
    # (it would otherwise become 'ï»¿' in front of the first header name).
    legacy = not any(ord(c) > 127 and c not in "\ufffd\ufeff" for c in lenient)
    text = raw[bom:].decode("cp1252", errors="replace") if legacy else lenient
    bad_lines = _bad_utf8_lines(raw, first)
    line_start = raw.rfind(b"\n", 0, first) + 1
    line_end = raw.find(b"\n", first)
    snippet = raw[line_start: line_end if line_end >= 0 else len(raw)].decode("cp1252", errors="replace").strip()
    byte = raw[first]
    meaning = bytes([byte]).decode("cp1252", errors="replace")
    more = f" ({len(bad_lines):,} lines hold such bytes)" if len(bad_lines) > 1 else ""
    issue: dict[str, object] = {
        "message": "is not UTF-8 text" + more, "line": bad_lines[0], "value": _word_around(snippet, meaning),
        "expected": "UTF-8 text",
        "hint": f"byte 0x{byte:02X} is '{meaning}' in Windows-1252/Latin-1, so the file was probably saved in a "
                "legacy encoding; " + SAVE_AS_CSV_UTF8,
    }
    return text, "cp1252" if legacy else "utf-8 (with bad bytes)", issue


def _bad_utf8_lines(raw: bytes, first: int) -> list[int]:
    """1-based lines holding bytes that do not decode as UTF-8 (searched from the first bad byte)."""
    lines = []
    line = raw.count(b"\n", 0, first) + 1
    pos = raw.rfind(b"\n", 0, first) + 1
    for chunk in raw[pos:].split(b"\n"):
        try:
            chunk.decode("utf-8")
        except UnicodeDecodeError:
            lines.append(line)
        line += 1
    return lines or [raw.count(b"\n", 0, first) + 1]


def _word_around(text: str, char: str) -> str:
    i = text.find(char)
    if i < 0:
        return text[:40]
    start = max(0, max(text.rfind(s, 0, i) for s in ",;\t ") + 1)
    ends = [j for j in (text.find(s, i) for s in ",;\t ") if j >= 0]
    return text[start: min(ends) if ends else len(text)]


# --------------------------------------------------------------------------- text → grid


def sniff_separator(text: str, label: str, col: Collector, known: Sequence[str]) -> str:
    """The separator of the header line: ``,`` as the contract says, or ``;``/tab (reported)."""
    lines = [line for line in _LINE_BREAK.split(text[:20000], 40)[:40] if line.strip()]  # the first lines
    if not lines:
        return ","
    # The header is the first line naming a known column (a title row may come first).
    header = next((line for line in lines if any(k in line for k in known)), lines[0])
    counts = {sep: header.count(sep) for sep in (",", ";", "\t")}
    if counts[","] or not (counts[";"] or counts["\t"]):
        return ","
    sep = ";" if counts[";"] >= counts["\t"] else "\t"
    name = "semicolons (;)" if sep == ";" else "tabs"
    col.error(label, f"is separated by {name}, not by commas",
              hint="Excel with Danish (and other European) settings saves 'CSV' with semicolons; "
                   + SAVE_AS_CSV_UTF8)
    return sep


def distinct(values: pd.Series) -> tuple[np.ndarray, list[str]]:
    """A column of text cells (categorical or object) as ``codes`` into its distinct ``texts`` (unstripped;
    a missing cell is ``""``): checks then run once per distinct text instead of once per row."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        texts = [str(c) for c in values.cat.categories] + [""]
        codes = values.cat.codes.to_numpy()
    else:
        codes, uniques = pd.factorize(values.to_numpy(object), use_na_sentinel=True)
        texts = ["" if u is None else str(u) for u in uniques] + [""]
    return np.where(codes < 0, len(texts) - 1, codes).astype(np.intp), texts


def _widest_line(data: bytes, sep: str) -> int:
    """Cells in the widest line, counting separators inside quotes too: at least the width of every
    record that fits on one line (numpy over the bytes, in pieces to keep memory small)."""
    arr = np.frombuffer(data, np.uint8)
    code = ord(sep)
    best = carry = 0
    step = 1 << 22
    for i in range(0, len(arr), step):
        piece = arr[i:i + step]
        breaks = np.flatnonzero((piece == 10) | (piece == 13))
        seps = np.cumsum(piece == code, dtype=np.int64)
        if not len(breaks):
            carry += int(seps[-1])
            continue
        at = seps[breaks]
        per_line = np.diff(at, prepend=0)
        per_line[0] += carry
        best = max(best, int(per_line.max()))
        carry = int(seps[-1] - at[-1])
    return max(best, carry) + 1


_CATEGORICAL_FROM = 1 << 20  # bytes
_WIDTH_ERROR = re.compile(r"Expected \d+ fields in line \d+, saw (\d+)")
_EOF_IN_QUOTE = re.compile(r"EOF inside string starting at row (\d+)")


def read_grid(data: bytes, sep: str, label: str, col: Collector) -> pd.DataFrame:
    """Every record as a row of categorical text cells: columns 0..width-1, index the 1-based record
    number (the spreadsheet row). A quote that never closes is reported and the records before it read."""
    width = _widest_line(data, sep)
    # Categorical cells store each distinct text once: the memory of a big file; plain text is quicker to
    # set up for the small files most scenarios have.
    dtype = "category" if len(data) > _CATEGORICAL_FROM else object
    nrows: int | None = None
    grid = None
    for _ in range(8):
        try:
            grid = pd.read_csv(io.BytesIO(data), sep=sep, header=None, names=list(range(width)), dtype=dtype,
                               na_filter=False, skip_blank_lines=False, engine="c", quotechar='"',
                               doublequote=True, nrows=nrows, encoding="utf-8", encoding_errors="replace")
            break
        except pd.errors.ParserError as exc:
            message = str(exc)
            wide = _WIDTH_ERROR.search(message)
            if wide and int(wide.group(1)) > width:  # a record over several lines, wider than any one line
                width = int(wide.group(1))
                continue
            eof = _EOF_IN_QUOTE.search(message)
            if eof and nrows is None:
                nrows = int(eof.group(1))
                col.error(label, "a quote (\") opens a cell in this row and is never closed, so the rest of the "
                                 "file would be read as one cell", row=nrows + 1,
                          hint="close the quote, or remove it; the rows from here on are not read")
                if nrows == 0:
                    return _empty_grid()
                continue
            col.error(label, f"cannot be read as CSV: {message.removeprefix('Error tokenizing data. C error: ')}")
            return _empty_grid()
    if grid is None:
        col.error(label, "cannot be read as CSV: its rows could not be told apart")
        return _empty_grid()
    grid.index = pd.Index(np.arange(1, len(grid) + 1), name="row")
    _report_runaway(grid, sep, label, col)
    return grid


def _empty_grid() -> pd.DataFrame:
    return pd.DataFrame(index=pd.Index([], name="row", dtype=int))


def _line_breaks(grid: pd.DataFrame) -> np.ndarray:
    """Per record, the line breaks inside its cells (quoted cells may hold them)."""
    out = np.zeros(len(grid), np.int64)
    for c in grid.columns:
        codes, texts = distinct(grid[c])
        out += np.array([len(_LINE_BREAK.findall(x)) for x in texts], np.int64)[codes]
    return out


def row_of_line(grid: pd.DataFrame, line: int) -> int:
    """The spreadsheet row holding a 1-based line of the file."""
    end_lines = np.cumsum(_line_breaks(grid) + 1)
    return min(int(np.searchsorted(end_lines, line)) + 1, max(len(grid), 1))


def _report_runaway(grid: pd.DataFrame, sep: str, label: str, col: Collector) -> None:
    """A cell with line breaks is fine (Alt+Enter in Excel) unless its lines look like rows of their own:
    then a quote was opened and closed only much later, swallowing those rows."""
    columns = {c: distinct(grid[c]) for c in grid.columns} if len(grid) else {}
    if not any(_LINE_BREAK.search(x) for _, texts in columns.values() for x in texts):
        return
    first = next((i for i in range(len(grid)) if any(str(v).strip() for v in grid.iloc[i])), 0)
    header_width = sum(bool(str(v).strip()) for v in grid.iloc[first])
    need = max(1, header_width - 1)
    runaway = np.zeros(len(grid), bool)
    where: dict[int, tuple[int, str]] = {}
    for i, (codes, texts) in enumerate(columns.values()):
        bad = np.array([any(line.count(sep) >= need for line in _LINE_BREAK.split(x)[1:]) for x in texts])
        if not bad.any():
            continue
        hit = bad[codes] & ~runaway
        for pos in np.flatnonzero(hit):
            where[int(pos)] = (i, texts[codes[pos]])
        runaway |= hit
    for pos in sorted(where):
        i, cell = where[pos]
        lines = len(_LINE_BREAK.findall(cell)) + 1
        col.error(label, f"a quoted cell in column {column_letter(i)} runs over {lines} lines that look like rows "
                         "of their own, so those rows would be lost", row=pos + 1, value=cell,
                  hint="a quote (\") was probably opened and not closed where it should have been")


# --------------------------------------------------------------------------- grid → table with a header


def _is_blank(values: pd.Series) -> np.ndarray:
    """Per cell: empty or only spaces (vectorised over the categories of a categorical column)."""
    codes, texts = distinct(values)
    return np.array([not t.strip() for t in texts], bool)[codes]


def table_from_grid(grid: pd.DataFrame, label: str, col: Collector, known: Sequence[str] = (),
                    required: Sequence[str] = ()) -> pd.DataFrame:
    """The header row and the data rows of a grid, every structural problem reported.

    ``grid``: columns 0..width-1 of text cells, index the spreadsheet row number. ``known``: the
    column names the table may have (to find a header below a title row); ``required``: those it
    must have. Returns the data rows (blank ones dropped) with the header's names as columns and the
    spreadsheet row as index; a column without a name or named twice is reported and left out.
    """
    if grid.shape[1] == 0 or len(grid) == 0:
        return pd.DataFrame(index=pd.Index([], name="row", dtype=int))
    blank = np.column_stack([_is_blank(grid[c]) for c in grid.columns])
    filled = ~blank.all(axis=1)
    if not filled.any():
        return pd.DataFrame(index=pd.Index([], name="row", dtype=int))
    positions = np.flatnonzero(filled)
    header_pos = int(positions[0])
    rows = grid.index.to_numpy()
    if known:
        header_pos = _find_header(grid, positions, known, required)
    header_row = int(rows[header_pos])
    names = [str(v).strip().lstrip("\ufeff").strip() for v in grid.iloc[header_pos]]
    if header_row != 1:
        above = "row 1 is" if header_row == 2 else f"rows 1–{header_row - 1} are"
        col.error(label, f"the header is in row {header_row}, not in row 1", row=header_row,
                  hint=f"{above} above the header (a title?); delete {'it' if header_row == 2 else 'them'} so that "
                       "the header is row 1")
    data = grid.iloc[header_pos + 1:]
    data_blank = blank[header_pos + 1:]
    keep_rows = ~data_blank.all(axis=1)
    keep: dict[str, int] = {}
    nameless: list[int] = []
    for i, name in enumerate(names):
        if not name:
            if (~data_blank[:, i] & keep_rows).any():
                nameless.append(i)
            continue
        if name in keep:
            col.error(label, f"two columns are named '{name}' (columns {column_letter(keep[name])} and "
                             f"{column_letter(i)}); only one can be read", column=name, row=header_row,
                      hint="rename or delete one of them")
            continue
        keep[name] = i
    if nameless:
        _report_nameless(data, data_blank, nameless, names, label, col)
    return pd.DataFrame({name: data[grid.columns[i]].array[keep_rows] for name, i in keep.items()},
                        index=pd.Index(data.index.to_numpy()[keep_rows], name="row"))


def _report_nameless(data: pd.DataFrame, blank: np.ndarray, nameless: list[int], names: list[str], label: str,
                     col: Collector) -> None:
    """One problem per row holding cells in columns without a header name (they would be lost)."""
    last_named = max((i for i, n in enumerate(names) if n), default=-1)
    hit = ~blank[:, nameless]
    positions = np.flatnonzero(hit.any(axis=1))
    message = "this row has cells beyond the header, which would be lost"
    room = col.room(label, None, message)
    rows = data.index.to_numpy()
    for pos in positions[:room]:
        cells = [nameless[j] for j in np.flatnonzero(hit[pos])]
        beyond = all(i > last_named for i in cells)
        text = " | ".join(str(data.iloc[pos, i]) for i in cells)
        # A row with thousands of stray cells would otherwise give a hint of thousands of letters.
        letters = ", ".join(column_letter(i) for i in cells[:_LETTERS_SHOWN])
        if len(cells) > _LETTERS_SHOWN:
            letters += f" … {column_letter(cells[-1])} ({len(cells):,} columns)"
        col.error(label, message if beyond else "this row has cells under an empty header cell, which would be lost",
                  row=int(rows[pos]), value=text,
                  expected=f"at most {last_named + 1} cells, one per header name" if beyond else None,
                  hint=f"column(s) {letters} have no name in the header: name them, or move the values into "
                       "their columns")
    rest = positions[room:]
    if len(rest):
        col.more(label, None, message, len(rest), int(rows[rest[0]]), int(rows[rest[-1]]))


def _find_header(grid: pd.DataFrame, positions: np.ndarray, known: Sequence[str], required: Sequence[str]) -> int:
    """The position of the header row: the first non-blank row, or a later one (below a title) that
    names more of the known columns."""
    want = set(known)

    def score(pos: int) -> int:
        return sum(str(v).strip().lower() in want for v in grid.iloc[pos])

    first = int(positions[0])
    best, best_score = first, score(first)
    if best_score >= max(1, len(required)):
        return first
    for pos in positions[1:_HEADER_SEARCH_ROWS]:
        s = score(int(pos))
        if s > best_score:
            best, best_score = int(pos), s
    return best


def read_csv_table(path: Path, label: str, col: Collector, known: Sequence[str] = (),
                   required: Sequence[str] = ()) -> pd.DataFrame | None:
    """Read one CSV file as a table of text cells (see the module docstring); ``None`` when it cannot be
    read at all (every reason is reported in ``col``)."""
    try:
        raw = path.read_bytes()
    except IsADirectoryError:
        col.error(label, "is a folder, not a file")
        return None
    except PermissionError:
        col.error(label, "cannot be read: permission denied")
        return None
    except OSError as exc:
        col.error(label, f"cannot be read: {exc.strerror or exc}")
        return None
    text, encoding, encoding_issue = decode(raw, label, col)
    if text is None:
        return None
    head = text[:20000]
    # pandas reads UTF-8 bytes; a file that is UTF-8 already is passed on as it is.
    if encoding == "utf-8":
        data = raw[len(codecs.BOM_UTF8):] if raw.startswith(codecs.BOM_UTF8) else raw
    else:
        data = text.encode("utf-8")
    del text, raw
    if b"\x00" in data:
        col.error(label, "holds NUL characters: it is not a text file (or is damaged)", hint=SAVE_AS_CSV_UTF8)
        data = data.replace(b"\x00", b"")
    sep = sniff_separator(head, label, col, known)
    grid = read_grid(data, sep, label, col)
    del data
    if encoding_issue is not None:
        line = int(encoding_issue.pop("line"))  # type: ignore[call-overload]
        col.error(label, row=row_of_line(grid, line), **encoding_issue)  # type: ignore[arg-type]
    return table_from_grid(grid, label, col, known, required)
