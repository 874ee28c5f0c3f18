"""Edits of a scenario as pure functions: each returns a new, validated scenario and leaves its input as it was.

What a planner changes between two plans (a volunteer falls ill, a request is
added or removed, a session is pinned) is expressed here once and used by the
planner app, the notebooks, the experiments and the tests alike.
"""

from __future__ import annotations

from typing import Any

from .read import scenario_from_tables
from .types import Scenario
from .write import scenario_to_tables, settings_to_dict, table_to_text


def replace(scenario: Scenario, **changes: Any) -> Scenario:
    """A copy of ``scenario`` with some tables (parsed frames) or the ``settings`` replaced.

    The result is read and checked again, exactly as files would be, so an edit can
    never produce an inconsistent scenario; a bad edit raises
    :class:`~workbench.errors.InputError` naming the table, row and column.
    """
    tables, settings = scenario_to_tables(scenario)
    for key, value in changes.items():
        if key == "settings":
            settings = value if isinstance(value, dict) else settings_to_dict(value)
        elif key in tables:
            tables[key] = table_to_text(key, value)
        else:
            raise TypeError(f"replace() got an unknown table or setting {key!r}")
    return scenario_from_tables(tables, settings, source=scenario.name or "scenario")

