"""The bundled datasets: ``demo``, ``demo.xlsx``, ``city-medium``, ``city-large``.

They ship inside the package as the resource package ``workbench.bundled`` (pyproject.toml installs
the repository's top-level ``datasets/`` folder under that name), so an installed wheel has them as
well as a clone of the repository, and they are found with :mod:`importlib.resources`.
"""

from __future__ import annotations

import shutil
import tempfile
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

from .scenario.read import load
from .scenario.types import Scenario

DEFAULT = "demo"
PACKAGE = "workbench.bundled"
_EXTRACTED: dict[str, Path] = {}


def _root() -> Traversable | None:
    try:
        return resources.files(PACKAGE)
    except ModuleNotFoundError:  # an installation without the data (built without package data)
        return None


def root() -> Path:
    """The folder holding the bundled datasets (a real folder, also when the package is zipped)."""
    r = _root()
    if r is None:
        raise FileNotFoundError("the bundled datasets are not installed with this copy of workbench")
    return _as_path(r)


def _as_path(item: Traversable) -> Path:
    """A filesystem path for a resource: itself in an ordinary installation, else a copy in a temp folder."""
    if isinstance(item, Path):
        return item
    key = str(item)
    if key not in _EXTRACTED:  # e.g. imported from a zip file: copy the tree out once per process
        target = Path(tempfile.mkdtemp(prefix="workbench-bundled-")) / item.name
        _copy(item, target)
        _EXTRACTED[key] = target
    return _EXTRACTED[key]


def _copy(item: Traversable, target: Path) -> None:
    if item.is_dir():
        target.mkdir(parents=True, exist_ok=True)
        for child in item.iterdir():
            _copy(child, target / child.name)
    else:
        with item.open("rb") as src, target.open("wb") as dst:
            shutil.copyfileobj(src, dst)


def names() -> list[str]:
    """Names of the bundled datasets (folders and workbooks)."""
    r = _root()
    if r is None:
        return []
    return sorted(p.name for p in r.iterdir()
                  if (p.is_dir() and (p / "scenario.toml").is_file()) or p.name.endswith(".xlsx"))


def path(name: str = DEFAULT) -> Path:
    """Path of a bundled dataset by name (``demo``, ``city-medium``, ``demo.xlsx``)."""
    r = _root()
    if r is None or name not in names():
        raise FileNotFoundError(f"no bundled dataset {name!r}; have: {', '.join(names()) or 'none'}")
    return _as_path(r / name)


def resolve(path_or_name: str | Path) -> Path:
    """What a command-line SCENARIO argument means: the path when it exists, else the bundled dataset of
    that name (``workbench solve demo`` works anywhere), else the path as given (so the reader reports
    it missing)."""
    p = Path(path_or_name)
    if p.exists():
        return p
    if str(path_or_name) in names():
        return path(str(path_or_name))
    return p


def load_dataset(name: str = DEFAULT) -> Scenario:
    """Load a bundled dataset by name."""
    return load(path(name))
