"""Problems found in a user's input, collected so that all are reported at once."""

from __future__ import annotations

from dataclasses import dataclass, field

# More than this many problems with the same message in the same file and column are
# summed up in one line: a file read with the wrong separator or a column of Excel
# date numbers would otherwise drown the one message that says what to do.
SAME_PROBLEM_SHOWN = 30


@dataclass(frozen=True)
class Problem:
    """One problem (or warning) in the input, located as the user sees it.

    ``file`` names the file, or the workbook and sheet (``demo.xlsx, sheet volunteers``).
    ``row`` counts like a spreadsheet: the header is row 1, the first data row is row 2;
    ``None`` when the problem concerns the whole file or column. ``line`` is the line of a
    text file without rows (``scenario.toml``); ``key`` names a setting. ``value`` is the
    cell as the user typed it, ``expected`` what would be right, ``hint`` the likely cause
    and how to fix it in a spreadsheet program.
    """

    file: str
    message: str
    row: int | None = None
    column: str | None = None
    value: str | None = None
    expected: str | None = None
    hint: str | None = None
    line: int | None = None
    key: str | None = None

    @property
    def where(self) -> str:
        """``file, line N, row N, column 'c', setting 'k'`` (the parts that are known)."""
        where = self.file
        if self.line is not None:
            where += f", line {self.line}"
        if self.row is not None:
            where += f", row {self.row}"
        if self.column is not None:
            where += f", column {_shown(self.column, 40)}"
        if self.key is not None:
            where += f", setting {_shown(self.key, 40)}"
        return where

    def __str__(self) -> str:
        text = f"{self.where}: {self.message}"
        if self.value is not None:
            text += f" (found {_shown(self.value)}"
            text += f"; expected {self.expected})" if self.expected else ")"
        elif self.expected:
            text += f" (expected {self.expected})"
        if self.hint:
            text += f" — {self.hint}"
        return text


def _shown(value: str, limit: int = 60) -> str:
    """The value quoted, shortened when it is long (a whole swallowed file must not fill the screen)."""
    if len(value) > limit:
        return repr(value[: limit - 10] + "…" + value[-6:]) + f" ({len(value):,} characters)"
    return repr(value)


@dataclass
class InputError(Exception):
    """The input is invalid; ``problems`` lists every problem found, ``warnings`` the warnings so far."""

    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    def __str__(self) -> str:
        lines = [f"{len(self.problems)} problem(s) in the input:"]
        lines += [f"  - {p}" for p in self.problems]
        return "\n".join(lines)


class Collector:
    """Accumulates problems and warnings while reading; raises the problems together at the end.

    Problems with the same file, column and message are kept up to
    :data:`SAME_PROBLEM_SHOWN` times; the rest are counted and summed up in one
    line naming how many more rows there are and the first and last of them.
    """

    def __init__(self) -> None:
        self._problems: list[Problem] = []
        self._warnings: list[Problem] = []
        self._more: dict[tuple[bool, str, str | None, str], list[int]] = {}
        self._seen: dict[tuple[bool, str, str | None, str], int] = {}
        self._files: dict[str, int] = {}  # order of first problem
        self._order: dict[str, int] = {}  # order asked for by order_files
        self._marked: set[tuple[str, int, str]] = set()

    def error(self, file: str, message: str, **where: object) -> None:
        self._add(False, Problem(file, message, **where))  # type: ignore[arg-type]

    def warn(self, file: str, message: str, **where: object) -> None:
        self._add(True, Problem(file, message, **where))  # type: ignore[arg-type]

    def order_files(self, files: list[str]) -> None:
        """Report these files first and in this order (else files come in the order of their first problem)."""
        self._order = {f: i for i, f in enumerate(files)}

    def mark(self, file: str, row: int, column: str) -> None:
        """Note a cell whose problem is reported already (a merged cell, a formula without a result), so
        that checking its content does not report it a second time."""
        self._marked.add((file, row, column))

    def marked(self, file: str, column: str) -> set[int]:
        """The rows of ``column`` in ``file`` whose cell is reported already."""
        return {r for f, r, c in self._marked if f == file and c == column} if self._marked else set()

    def _add(self, warning: bool, p: Problem) -> None:
        self._files.setdefault(p.file, len(self._files))
        group = (warning, p.file, p.column, p.message)
        n = self._seen.get(group, 0)
        self._seen[group] = n + 1
        if n < SAME_PROBLEM_SHOWN:
            (self._warnings if warning else self._problems).append(p)
        else:
            rows = self._more.setdefault(group, [0, 0, 0])  # count, first row, last row
            rows[0] += 1
            if p.row is not None:
                rows[1] = rows[1] or p.row
                rows[2] = p.row

    def room(self, file: str, column: str | None, message: str, warning: bool = False) -> int:
        """How many more problems of this kind would still be shown one by one."""
        return max(0, SAME_PROBLEM_SHOWN - self._seen.get((warning, file, column, message), 0))

    def more(self, file: str, column: str | None, message: str, count: int, first_row: int | None = None,
             last_row: int | None = None, warning: bool = False) -> None:
        """Count ``count`` further rows (``first_row``..``last_row``) with a problem already shown
        :data:`SAME_PROBLEM_SHOWN` times."""
        if count <= 0:
            return
        group = (warning, file, column, message)
        self._seen[group] = self._seen.get(group, 0) + count
        summary = self._more.setdefault(group, [0, 0, 0])
        summary[0] += count
        summary[1] = summary[1] or (first_row or 0)
        summary[2] = last_row or summary[2]

    def _summaries(self, warning: bool) -> list[Problem]:
        out = []
        for (w, file, column, message), (count, first, last) in self._more.items():
            if w != warning:
                continue
            rows = f" (rows {first}–{last})" if first else ""
            out.append(Problem(file, f"{count:,} more row(s) like the above{rows}: {message}", column=column))
        return out

    def _ordered(self, found: list[Problem], summaries: list[Problem]) -> list[Problem]:
        """File by file in the order they were read; within a file the whole-file problems first, then
        by line or row (as a person fixes them, top to bottom), each file's summaries last."""
        def key(item: tuple[int, Problem]) -> tuple[int, int, int, int]:
            i, p = item
            place = p.line if p.line is not None else p.row if p.row is not None else -1
            if p.file in self._order:
                rank = self._order[p.file]
            else:
                rank = len(self._order) + self._files.get(p.file, len(self._files))
            return rank, i >= len(found), place, i

        return [p for _, p in sorted(enumerate(found + summaries), key=key)]

    @property
    def problems(self) -> list[Problem]:
        return self._ordered(self._problems, self._summaries(False))

    @property
    def warnings(self) -> list[Problem]:
        return self._ordered(self._warnings, self._summaries(True))

    def has_problems(self) -> bool:
        return bool(self._problems)

    def count(self) -> int:
        """How many problems have been found so far (shown or summed up)."""
        return sum(n for (w, *_), n in self._seen.items() if not w)

    def raise_if_any(self) -> None:
        if self._problems:
            raise InputError(self.problems, self.warnings)
