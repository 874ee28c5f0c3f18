"""Packaging: pip and conda list the same dependencies; import workbench stays light."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# conda-forge names that differ from PyPI's
CONDA_NAMES = {"ortools": "ortools-python"}


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~\[ ;]", requirement.strip(), maxsplit=1)[0].lower()


def _pip() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    names = set()
    for req in project["dependencies"] + project["optional-dependencies"]["dev"]:
        name = CONDA_NAMES.get(_name(req), _name(req))
        names.add(name)
        if "[distributed]" in req:
            names.add("distributed")
    return names


def _conda() -> set[str]:
    names = set()
    text = (ROOT / "environment.yml").read_text().split("\ndependencies:", 1)[1]
    for line in text.splitlines():
        m = re.match(r"^\s+- ([A-Za-z0-9_.-]+)", line)
        if m and m.group(1) not in ("python", "pip", "-e"):
            names.add(m.group(1).lower())
    return names


def test_environment_yml_and_pyproject_list_the_same_dependencies():
    """environment.yml (conda) and pyproject.toml (pip, with dev extra) name the same packages."""
    assert _pip() == _conda()


def test_import_workbench_does_not_import_ipywidgets():
    """The library stays usable without a notebook: only workbench.ui imports ipywidgets."""
    code = "import sys, workbench; print('ipywidgets' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_console_script_is_declared():
    """pip installs a `workbench` command pointing at the CLI's entry module (outside the package)."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["scripts"]["workbench"] == "workbench_cli:main"
