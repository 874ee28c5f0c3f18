"""Writing a scenario back to a folder of CSVs or one ``.xlsx`` workbook.

Writes are atomic per file and never touch a path the caller did not name;
``load(save(s))`` gives a scenario equal to ``s``.
"""

from __future__ import annotations

import math
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import tomli_w

from ..outputs import atomic_path, check_overwrite, write_text
from ..timeutil import format_time
from .types import COLUMNS, TABLES, Scenario, Settings

_TIME_COLUMNS = {"start", "end"}


def _cell(column: str, value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple | list):
        return ";".join(str(v) for v in value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        if math.isinf(value):
            return ""
        if math.isnan(value):
            return ""
        return repr(value)
    if column in _TIME_COLUMNS and isinstance(value, int):
        return format_time(value)
    return str(value)


def table_to_text(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    """A parsed table back to the text cells of its CSV file (contract columns first)."""
    cols = list(COLUMNS[name]) + [c for c in frame.columns if c not in COLUMNS[name]]
    out = pd.DataFrame(index=frame.index)
    for c in cols:
        values = frame[c] if c in frame.columns else [None] * len(frame)
        out[c] = [_cell(c, v) for v in values]
    return out


def settings_to_dict(settings: Settings) -> dict[str, Any]:
    """Settings as the ``scenario.toml`` content."""
    d: dict[str, Any] = {
        "name": settings.name,
        "start_date": settings.start_date,
        "weeks": settings.weeks,
        "citizen_window": [format_time(t) for t in settings.citizen_window],
        "detour_factor": settings.detour_factor,
        "speed_kmh": dict(settings.speed_kmh),
    }
    d.update(settings.extra)
    return d


def scenario_to_tables(scenario: Scenario) -> tuple[dict[str, pd.DataFrame], dict[str, Any]]:
    """The scenario as text tables plus the settings dict (the inverse of ``scenario_from_tables``)."""
    return {n: table_to_text(n, scenario.table(n)) for n in TABLES}, settings_to_dict(scenario.settings)


def save(scenario: Scenario, path: str | Path, overwrite: bool = False) -> Path:
    """Write the scenario to a folder (CSVs + ``scenario.toml``) or, for ``*.xlsx``, one workbook.

    Refuses to replace existing files unless ``overwrite`` is true.
    """
    path = Path(path)
    tables, settings = scenario_to_tables(scenario)
    if path.suffix.lower() == ".xlsx":
        check_overwrite(path, overwrite)
        _save_workbook(tables, settings, path)
        return path
    targets = [path / "scenario.toml"] + [path / f"{n}.csv" for n in TABLES]
    for t in targets:
        check_overwrite(t, overwrite)
    path.mkdir(parents=True, exist_ok=True)
    write_text(path / "scenario.toml", tomli_w.dumps(settings))
    for name, table in tables.items():
        write_text(path / f"{name}.csv", table.to_csv(index=False, lineterminator="\n"))
    return path


def _settings_rows(settings: dict[str, Any]) -> list[tuple[str, Any]]:
    rows: list[tuple[str, Any]] = []
    for key, value in settings.items():
        if isinstance(value, dict):
            rows += [(f"{key}.{k}", v) for k, v in value.items()]
        elif isinstance(value, list):
            rows.append((key, ";".join(str(v) for v in value)))
        elif isinstance(value, date):
            rows.append((key, value.isoformat()))
        else:
            rows.append((key, value))
    return rows


def _save_workbook(tables: dict[str, pd.DataFrame], settings: dict[str, Any], path: Path) -> None:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "scenario"
    ws.append(["key", "value"])
    for row in _settings_rows(settings):
        ws.append(list(row))
    for name, table in tables.items():
        sheet = wb.create_sheet(name)
        sheet.append(list(table.columns))
        for row in table.itertuples(index=False):
            sheet.append(list(row))
    with atomic_path(path) as tmp:
        wb.save(tmp)
