"""Scenarios: the validated in-memory model, reading, writing and generating."""

from .model import Scenario, Settings
from .read import load, scenario_from_tables
from .write import save

__all__ = ["Scenario", "Settings", "load", "save", "scenario_from_tables"]
