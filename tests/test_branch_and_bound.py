"""The branch and bound in a child process: what it returns, and that the clock stops it."""

from __future__ import annotations

import time

import numpy as np
import pytest

from workbench.engine.branch_and_bound import by_rows, solve_integral, within_rows

pytest.importorskip("highspy")

# Three columns any two of which share a row of capacity 1 (an odd cycle): col 0 in rows 0, 2;
# col 1 in rows 0, 1; col 2 in rows 1, 2. Compressed sparse columns.
CYCLE = dict(upper_rows=np.ones(3), upper_cols=np.ones(3), start=np.array([0, 2, 4, 6]),
             index=np.array([0, 2, 0, 1, 1, 2]), value=np.ones(6))


def _knapsacks(seed: int = 7, rows: int = 30, cols: int = 400) -> dict[str, np.ndarray]:
    """A multi-dimensional 0-1 knapsack (dense, random weights): hard to prove optimal."""
    rng = np.random.default_rng(seed)
    a = rng.integers(1, 100, size=(rows, cols)).astype(float)
    return dict(upper_rows=a.sum(axis=1) / 4, upper_cols=np.ones(cols), start=np.arange(cols + 1) * rows,
                index=np.tile(np.arange(rows), cols), value=a.T.ravel(), a=a,
                cost=a.sum(axis=0) + rng.integers(1, 400, size=cols))


@pytest.mark.parametrize("cost, best", [((1, 1, 1), 1), ((1, 3, 1), 3), ((2, 1, 2), 2)])
def test_the_odd_cycle_takes_its_best_column(cost: tuple[int, ...], best: int):
    """On the odd cycle the LP would take half of each column; made integral, one column: the dearest."""
    x = solve_integral(cost=np.array(cost, float), seconds=30, gap=0.0, heuristics=0.05, **CYCLE)
    assert x is not None and np.allclose(x, np.round(x)) and x.sum() == 1
    assert float(np.array(cost) @ x) == best


def test_a_search_stopped_by_the_clock_keeps_its_start():
    """A hard problem, one second, from a feasible start: it comes back soon with a solution that
    keeps every row and is worth at least the start (the child killed if still searching)."""
    p = _knapsacks()
    a, cost = p.pop("a"), p.pop("cost")
    first = np.zeros(a.shape[1])
    for j in np.argsort(-cost / a.sum(axis=0)):  # greedy by value per weight: feasible
        if np.all(a @ first + a[:, j] <= p["upper_rows"]):
            first[j] = 1
    began = time.monotonic()
    x = solve_integral(cost=cost, seconds=1.0, gap=0.0, heuristics=0.05, first=first, **p)
    assert time.monotonic() - began < 20  # HiGHS's own limit was measured overrun by up to 100 s
    assert x is not None and np.all(a @ x <= p["upper_rows"] + 1e-6) and np.allclose(x, np.round(x))
    assert cost @ x >= cost @ first - 1e-6


@pytest.mark.parametrize("seconds", [0.0, -1.0])
def test_no_time_no_search(seconds: float):
    """With no time left it starts nothing and finds nothing."""
    assert solve_integral(cost=np.ones(3), seconds=seconds, gap=0.0, heuristics=0.05, **CYCLE) is None


def test_a_start_is_mended_by_dropping_the_cheapest_of_a_broken_row():
    """All three columns taken, rows x0 + x1 + x2 <= 2 and 2 x0 + x2 <= 2: the cheapest of the first
    (x2) goes, the second then holds; a row that holds loses nothing."""
    rows = (np.array([0, 3, 5, 6]), np.array([0, 1, 2, 0, 2, 1]), np.array([1.0, 1, 1, 2, 1, 1]),
            np.array([2.0, 2, 1]))
    assert within_rows(np.ones(3), np.array([3.0, 2.0, 1.0]), rows).tolist() == [1, 1, 0]


def test_a_column_held_at_one_stays_however_dear_the_others():
    """On the odd cycle with the cheapest column's lower bound at 1 (an agreed session), that column
    is the one taken."""
    x = solve_integral(cost=np.array([1.0, 3.0, 1.0]), seconds=30, gap=0.0, heuristics=0.05,
                       lower_cols=np.array([0.0, 0.0, 1.0]), **CYCLE)
    assert x is not None and x.tolist() == [0, 0, 1]


def test_a_matrix_by_columns_reads_the_same_by_rows():
    """The odd cycle's matrix, by columns and by rows, is the same matrix."""
    start, index, value = by_rows(CYCLE["start"], CYCLE["index"], CYCLE["value"] * np.arange(1, 7), 3)
    dense_by_cols = np.zeros((3, 3))
    for j in range(3):
        for k in range(CYCLE["start"][j], CYCLE["start"][j + 1]):
            dense_by_cols[CYCLE["index"][k], j] = k + 1
    dense_by_rows = np.zeros((3, 3))
    for i in range(3):
        dense_by_rows[i, index[start[i]:start[i + 1]]] = value[start[i]:start[i + 1]]
    assert np.array_equal(dense_by_cols, dense_by_rows)


def test_an_interrupted_command_leaves_no_search_behind(monkeypatch):
    """Ctrl-C (or SIGTERM, made KeyboardInterrupt by the command) while the parent waits: the
    interrupt goes on up, and the child process is killed, not left searching."""
    import subprocess

    children: list[subprocess.Popen] = []
    real_popen, real_wait = subprocess.Popen, subprocess.Popen.wait

    def popen(*args, **kwargs):
        children.append(real_popen(*args, **kwargs))
        return children[-1]

    def wait(self, timeout=None):
        if timeout is not None:  # the wait on the clock: interrupted
            raise KeyboardInterrupt
        return real_wait(self)

    monkeypatch.setattr(real_popen, "wait", wait)
    monkeypatch.setattr(subprocess, "Popen", popen)
    p = _knapsacks()
    p.pop("a")
    with pytest.raises(KeyboardInterrupt):
        solve_integral(seconds=60.0, gap=0.0, heuristics=0.05, **p)
    assert len(children) == 1 and children[0].poll() is not None
