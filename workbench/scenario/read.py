"""Reading a scenario from a folder of CSVs or one ``.xlsx`` workbook, checking every input rule of
the contract and reporting every problem of every file at once.

Reading happens in two steps so that both file kinds share one checker:
:mod:`workbench.scenario.files` turns the files into *text tables* (every cell a string, the
DataFrame index being the spreadsheet row number), then :mod:`workbench.scenario.check` parses and
checks every cell, collecting all problems before raising one :class:`~workbench.errors.InputError`.
A broken file (not TOML, not UTF-8, a folder where a file should be ...) is reported and the other
files are still checked.
"""

from __future__ import annotations

from pathlib import Path

from ..contract import TABLES
from ..errors import Collector
from .check import scenario_from_tables
from .files import read_source
from .types import Scenario

__all__ = ["load", "scenario_from_tables"]


def load(path: str | Path) -> Scenario:
    """Read and check a scenario from a folder of CSVs or an ``.xlsx`` workbook.

    Raises :class:`~workbench.errors.InputError` listing every problem found (and the warnings found
    so far); the scenario's own ``warnings`` list the warnings of a valid one.
    """
    path = Path(path)
    col = Collector()
    src = read_source(path, col)
    col.order_files([src.labels[n] for n in ("scenario", *TABLES) if n in src.labels])
    return scenario_from_tables(src.tables, src.settings, source=src.name, labels=src.labels,
                                settings_where=src.settings_where, collector=col, reported=src.reported,
                                damaged=src.damaged)
