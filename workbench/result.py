"""What a solve returns, and what it reports while running."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from .contract import OUTPUT_FILES, SCHEDULE_COLUMNS, UNASSIGNED_COLUMNS
from .outputs import publish
from .scenario.types import Scenario
from .validate import Violation, read_schedule, validate


@dataclass(frozen=True)
class Progress:
    """A progress report while solving (for a live chart).

    ``objective`` and ``bound`` are on the primary aim (priority-weighted
    sessions): the best schedule so far and the proven upper limit.
    """

    seconds: float
    objective: float
    bound: float | None
    phase: str
    done_fraction: float = 0.0


@dataclass
class Result:
    """The outcome of :func:`workbench.solve`.

    ``schedule`` and ``unassigned`` have the contract's columns (text cells, as
    in the CSV files); ``objective`` is the priority-weighted sessions served and
    ``bound`` an upper limit on it over *every* schedule that keeps the hard rules
    (contract section 4), so ``objective == bound`` proves the schedule optimal.
    ``forced``: when re-planning, the agreed sessions a change forced to move, each
    with the change in words (columns of the schedule plus ``reason``).
    """

    schedule: pd.DataFrame
    unassigned: pd.DataFrame
    kpis: dict[str, Any]
    status: str
    objective: float
    bound: float | None
    method: str
    seconds: float
    secondary: dict[str, float] = field(default_factory=dict)
    forced: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(
        columns=["request_id", "citizen_id", "volunteer_id", "date", "start", "end", "mode", "reason"]))

    @property
    def interrupted(self) -> bool:
        """The search was stopped (Stop, Ctrl-C) and this is the best schedule found until then."""
        return bool(self.kpis.get("interrupted"))

    def write(self, out_dir: str | Path, overwrite: bool = True, scenario: Scenario | None = None, *,
              wait: float | None = None, on_wait: Callable[[int | None], object] | None = None,
              on_commit: Callable[[], object] | None = None) -> list[Path]:
        """Publish schedule.csv, unassigned.csv and kpis.json in ``out_dir`` as one set.

        The files are written to a fresh folder beside ``out_dir``, read back and
        checked, and swapped in at once (see :func:`workbench.outputs.publish` for the
        exact guarantees): a reader never sees files of two runs side by side, and a
        failure or a kill leaves ``out_dir`` as it was. The check always compares what
        was read back with this result; with ``scenario`` it also validates the
        schedule against the 14 hard rules, and :class:`BrokenOutput` is raised
        (nothing published) if any is broken. ``overwrite=False`` refuses
        (``OverwriteRefused``) when any of the three files exists. ``wait``, ``on_wait``,
        ``on_commit``: see :func:`~workbench.outputs.publish`. Returns the three paths.
        """
        schedule_name, unassigned_name, kpis_name = OUTPUT_FILES

        def write(folder: Path) -> None:
            (folder / schedule_name).write_text(self.schedule.to_csv(index=False, lineterminator="\n"),
                                                encoding="utf-8")
            (folder / unassigned_name).write_text(self.unassigned.to_csv(index=False, lineterminator="\n"),
                                                  encoding="utf-8")
            (folder / kpis_name).write_text(json.dumps(self.kpis, indent=2, ensure_ascii=False) + "\n",
                                            encoding="utf-8")

        def check(folder: Path) -> None:
            check_written(folder, self, scenario)

        return publish(out_dir, write, OUTPUT_FILES, check=check, overwrite=overwrite, wait=wait, on_wait=on_wait,
                       on_commit=on_commit)


class BrokenOutput(RuntimeError):
    """The files written for a result are not what they should be (nothing was published)."""

    def __init__(self, message: str, violations: list[Violation] | None = None) -> None:
        super().__init__(message)
        self.violations = violations or []


def check_written(folder: Path, result: Result, scenario: Scenario | None = None) -> None:
    """Read the three files back from ``folder`` and raise :class:`BrokenOutput` unless they hold
    ``result``: the schedule's rows (and, with ``scenario``, every hard rule kept), the
    unassigned table's columns and rows, and figures that count the schedule's rows."""
    schedule_name, unassigned_name, kpis_name = OUTPUT_FILES
    schedule = read_schedule(folder / schedule_name)
    if len(schedule) != len(result.schedule) or list(schedule.columns[:len(SCHEDULE_COLUMNS)]) != list(
            SCHEDULE_COLUMNS):
        raise BrokenOutput(f"{schedule_name} read back has {len(schedule)} rows, expected {len(result.schedule)}")
    unassigned = pd.read_csv(folder / unassigned_name, dtype=str, keep_default_na=False)
    if tuple(unassigned.columns[:len(UNASSIGNED_COLUMNS)]) != UNASSIGNED_COLUMNS or len(unassigned) != len(
            result.unassigned):
        raise BrokenOutput(f"{unassigned_name} read back does not hold the {len(result.unassigned)} unassigned rows")
    try:
        kpis = json.loads((folder / kpis_name).read_text(encoding="utf-8"))
    except ValueError as exc:
        raise BrokenOutput(f"{kpis_name} read back is not JSON: {exc}") from None
    if kpis.get("served_sessions", len(schedule)) != len(schedule):
        raise BrokenOutput(f"{kpis_name} counts {kpis.get('served_sessions')} sessions, {schedule_name} has "
                           f"{len(schedule)}")
    if scenario is not None:
        broken = validate(scenario, schedule)
        if broken:
            raise BrokenOutput(f"the schedule breaks {len(broken)} hard rule(s), first {broken[0]}", broken)
