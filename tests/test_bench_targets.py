"""The family benchmark's verdicts (benchmarks/bench_solve.py) read the issue's targets as written."""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
from bench_solve import Row  # noqa: E402

# A medium row that meets every aim: 0.99 of the bound in 29 s, continuity 0.90 against greedy's 0.80,
# 0.2 % below the run without the aim.
MEDIUM = Row("medium", "city", 0.99, "FEASIBLE", 29.0, 500, 0.90, 0.95, 0.80, 0.36, 30, 0.992, 0.10)
SMALL = Row("small", "city", 1.0, "OPTIMAL", 1.5, 180, 0.93, 0.97, 0.92, 0.36, 10, 1.0, 0.93)
LARGE = Row("large", "city", 0.96, "FEASIBLE", 118.0, 1500, 0.84, 0.93, 0.82, 0.35, 120, 0.962, 0.20)


@pytest.mark.parametrize("row", [MEDIUM, SMALL, LARGE], ids=["medium", "small", "large"])
def test_a_row_within_every_target_meets_them(row: Row):
    """Rows inside every target and aim are reported as meeting them, with no continuity miss."""
    assert row.meets()
    assert row.continuity_misses() == []


@pytest.mark.parametrize(("row", "meets"), [
    (replace(SMALL, seconds=2.3), False),  # the small target is 2 s; the contract's +1 s is for limits
    (replace(SMALL, status="FEASIBLE"), False),
    (replace(MEDIUM, seconds=30.9), True),  # the limit plus the contract's second
    (replace(MEDIUM, seconds=31.2), False),
    (replace(MEDIUM, ratio=0.974), False),
    (replace(LARGE, peak_mb=2100), False),
    (replace(LARGE, ratio=0.949), False),
], ids=["small-slow", "small-not-proven", "medium-within-grace", "medium-over", "medium-low", "large-memory",
        "large-low"])
def test_size_target(row: Row, meets: bool):
    """Each size's target: the status or ratio, the seconds and (large) the memory."""
    assert row.meets() is meets


@pytest.mark.parametrize(("row", "misses"), [
    (replace(MEDIUM, continuity=0.84), ["< 85%"]),
    (replace(MEDIUM, free_ratio=0.9960), ["loss 0.60%"]),
    (replace(MEDIUM, continuity=0.79), ["below greedy", "< 85%"]),
    (replace(MEDIUM, free_ratio=0.98), []),  # the aim served more than the run without it
    (replace(SMALL, continuity=0.90), ["below greedy"]),
    (replace(LARGE, continuity=0.70), ["below greedy"]),  # 85 % and the loss are the medium cities' aims
], ids=["medium-continuity", "medium-loss", "medium-below-greedy", "medium-gain", "small-below-greedy",
        "large-below-greedy"])
def test_continuity_aims(row: Row, misses: list[str]):
    """The continuity aims: never below greedy's at any size; on medium cities 85 % at most 0.5 % lost."""
    assert row.continuity_misses() == misses
