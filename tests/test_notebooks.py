"""Notebooks are kept as percent scripts paired with their .ipynb; the pairs must agree."""

from __future__ import annotations

from pathlib import Path

import jupytext
import nbformat
import pytest

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
PAIRS = sorted(NOTEBOOKS.glob("[0-9][0-9]-*.ipynb"))


def _cells(nb: nbformat.NotebookNode) -> list[tuple[str, str, tuple[str, ...]]]:
    return [(c.cell_type, c.source.strip(), tuple(c.metadata.get("tags", ()))) for c in nb.cells]


def test_every_notebook_has_a_script_and_every_script_a_notebook() -> None:
    """No notebook without its reviewable script, and no orphan script."""
    scripts = {p.stem for p in NOTEBOOKS.glob("[0-9][0-9]-*.py")}
    assert PAIRS and scripts == {p.stem for p in PAIRS}


@pytest.mark.parametrize("ipynb", PAIRS, ids=[p.stem for p in PAIRS])
def test_notebook_and_script_hold_the_same_cells(ipynb: Path) -> None:
    """Every cell (kind, source, tags) of the .ipynb equals the paired percent script's."""
    script = jupytext.read(ipynb.with_suffix(".py"))
    notebook = nbformat.read(ipynb, as_version=4)
    assert _cells(notebook) == _cells(script), f"run `jupytext --sync {ipynb.with_suffix('.py').name}`"
