"""Scenarios: the validated in-memory types, reading, checking, writing, edits and generating.

The names below load on first use (PEP 562), so that importing one part, say
:mod:`workbench.scenario.types` from the bottom layers, never drags in the reader
above it (tests/test_layers.py counts such a package import as an edge).
"""

from __future__ import annotations

import importlib
from typing import Any

_LAZY = {
    "Scenario": "types",
    "Settings": "types",
    "load": "read",
    "scenario_from_tables": "check",
    "save": "write",
}
_MODULES = ("edit", "read", "write", "types", "generate", "check", "files")

__all__ = ["Scenario", "Settings", "edit", "load", "save", "scenario_from_tables"]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    if name in _MODULES:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
