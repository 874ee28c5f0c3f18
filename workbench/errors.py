"""Problems found in a user's input, collected so that all are reported at once."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Problem:
    """One problem in the input, located as the user sees it in a spreadsheet.

    ``row`` counts like a spreadsheet: the header is row 1, the first data row
    is row 2; ``None`` when the problem concerns the whole file or column.
    """

    file: str
    message: str
    row: int | None = None
    column: str | None = None
    value: str | None = None
    expected: str | None = None

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f", row {self.row}"
        if self.column is not None:
            where += f", column '{self.column}'"
        text = f"{where}: {self.message}"
        if self.value is not None:
            text += f" (found {self.value!r}"
            text += f"; expected {self.expected})" if self.expected else ")"
        elif self.expected:
            text += f" (expected {self.expected})"
        return text


@dataclass
class InputError(Exception):
    """The input is invalid; ``problems`` lists every problem found."""

    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    def __str__(self) -> str:
        lines = [f"{len(self.problems)} problem(s) in the input:"]
        lines += [f"  - {p}" for p in self.problems]
        return "\n".join(lines)


class Collector:
    """Accumulates problems while reading; raises them together at the end."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self.warnings: list[Problem] = []

    def error(self, file: str, message: str, **where: object) -> None:
        self.problems.append(Problem(file, message, **where))  # type: ignore[arg-type]

    def warn(self, file: str, message: str, **where: object) -> None:
        self.warnings.append(Problem(file, message, **where))  # type: ignore[arg-type]

    def raise_if_any(self) -> None:
        if self.problems:
            raise InputError(list(self.problems), list(self.warnings))
