"""workbench: volunteer-to-citizen visit scheduling with OR-Tools CP-SAT.

The data flow reads off the package::

    scenario (load/validate/generate) → candidates → model → solve → schedule → kpis/explain

``import workbench`` does not import ipywidgets (only ``workbench.ui`` does).
"""

from __future__ import annotations

import time as _time

# When the package began loading: the command line counts --time-limit from here (the
# imports below take a good part of a second).
_LOADED_AT = _time.monotonic()

from . import datasets
from .datasets import load_dataset
from .engine import minimum_seconds, solve
from .errors import InputError, Problem
from .kpis import compute_kpis
from .objective import Weights
from .result import Progress, Result
from .scenario import Scenario, Settings, edit, load, save
from .scenario.generate import generate
from .validate import Violation, read_schedule, validate

__version__ = "0.1.0"

__all__ = [
    "InputError", "Problem", "Progress", "Result", "Scenario", "Settings", "Violation", "Weights", "compute_kpis",
    "datasets", "edit", "generate", "load", "load_dataset", "minimum_seconds", "read_schedule", "save", "solve",
    "validate",
]
