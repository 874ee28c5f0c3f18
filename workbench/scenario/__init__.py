"""Scenarios: the validated in-memory model, reading, writing and generating."""

from . import edit
from .read import load, scenario_from_tables
from .types import Scenario, Settings
from .write import save

__all__ = ["edit", "Scenario", "Settings", "load", "save", "scenario_from_tables"]
