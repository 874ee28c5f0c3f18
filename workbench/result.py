"""What a solve returns, and what it reports while running."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ._atomic import check_overwrite, write_text


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

    def write(self, out_dir: str | Path, overwrite: bool = True) -> list[Path]:
        """Write schedule.csv, unassigned.csv and kpis.json into ``out_dir`` (atomically)."""
        import json

        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        paths = [out / "schedule.csv", out / "unassigned.csv", out / "kpis.json"]
        for p in paths:
            check_overwrite(p, overwrite)
        write_text(paths[0], self.schedule.to_csv(index=False, lineterminator="\n"))
        write_text(paths[1], self.unassigned.to_csv(index=False, lineterminator="\n"))
        write_text(paths[2], json.dumps(self.kpis, indent=2, ensure_ascii=False) + "\n")
        return paths
