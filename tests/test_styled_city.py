"""The benchmarks' third city generator (benchmarks/styled_city): every style writes a city the workbench reads."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

import workbench
from workbench.errors import InputError

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
from styled_city import STYLES, write_city  # noqa: E402  (a generator written from the contract only)


@pytest.mark.parametrize("style", sorted(STYLES))
def test_style_writes_a_city_that_loads(tmp_path: Path, style: str):
    """A small city of each style loads without error and has volunteers, citizens and requests."""
    folder = tmp_path / style
    write_city(folder, style, volunteers=12, citizens=20, weeks=2, seed=7)
    scenario = workbench.load(folder)
    assert len(scenario.volunteers) > 0
    assert len(scenario.citizens) > 0
    assert len(scenario.requests) > 0


def test_pinned_style_writes_pins_that_load(tmp_path: Path):
    """The pinned style's pins keep every hard rule, so the workbench accepts them all."""
    write_city(tmp_path / "city", "pinned", volunteers=20, citizens=30, weeks=2, seed=3)
    assert len(workbench.load(tmp_path / "city").pins) > 0


def test_pin_conflicts_are_an_input_error(tmp_path: Path):
    """Absences that break pins (asked for with pin_conflicts) are reported as input errors in pins.csv."""
    write_city(tmp_path / "city", "pinned", volunteers=20, citizens=30, weeks=2, seed=3, pin_conflicts=1)
    with pytest.raises(InputError, match="pins.csv"):
        workbench.load(tmp_path / "city")


@pytest.mark.parametrize("style", ["odd", "pinned"])
def test_same_seed_writes_identical_files(tmp_path: Path, style: str):
    """The same arguments write byte-identical files (and another seed a different city)."""
    def files(root: Path, seed: int) -> dict[str, bytes]:
        folder = root / "city"  # the scenario's name is the folder's: the same in each run
        write_city(folder, style, volunteers=12, citizens=20, weeks=1, seed=seed)
        return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}

    first = files(tmp_path / "a", 11)
    assert first == files(tmp_path / "b", 11)
    assert first != files(tmp_path / "c", 12)
