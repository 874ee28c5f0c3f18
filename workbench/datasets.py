"""The bundled datasets (``datasets/`` at the top of the repository)."""

from __future__ import annotations

from pathlib import Path

from .scenario.read import load
from .scenario.types import Scenario

DEFAULT = "demo"


def root() -> Path:
    """The folder holding the bundled datasets."""
    return Path(__file__).resolve().parent.parent / "datasets"


def names() -> list[str]:
    """Names of the bundled datasets (folders and workbooks)."""
    r = root()
    if not r.is_dir():
        return []
    return sorted(p.name for p in r.iterdir() if (p.is_dir() and (p / "scenario.toml").exists()) or p.suffix == ".xlsx")


def path(name: str = DEFAULT) -> Path:
    """Path of a bundled dataset by name (``demo``, ``city-medium``, ``demo.xlsx``)."""
    p = root() / name
    if not p.exists():
        raise FileNotFoundError(f"no bundled dataset {name!r}; have: {', '.join(names()) or 'none'}")
    return p


def load_dataset(name: str = DEFAULT) -> Scenario:
    """Load a bundled dataset by name."""
    return load(path(name))
