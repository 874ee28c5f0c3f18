"""The code base stays ruff-clean (the project's lint settings are in pyproject.toml)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.skipif(shutil.which("ruff") is None, reason="ruff is not installed (it is in the dev extra)")
def test_ruff_clean():
    """`ruff check` finds nothing in the package, tests, notebooks' builders and benchmarks."""
    proc = subprocess.run(["ruff", "check", "workbench", "tests", "notebooks", "benchmarks"], cwd=ROOT,
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
