"""Branch and bound over a column LP, in a process of its own that the clock can stop.

HiGHS's own ``time_limit`` was measured overrun by 10-100 s at large size (the family's
large city, one week of 72,000 columns: 101 s for a limit of ~10 s), and neither its MIP nor
its simplex interrupt callback stopped it: it spends long stretches where it checks neither.
A stage that ignores the clock breaks the contract's time limit, so the branch and bound runs
here, in a child process started from this file alone (it imports only numpy and highspy, not
the package: ~0.1 s to start), which the parent kills at the deadline. Every improving
solution is written as it is found (to a temporary file, then renamed), so a killed search
still leaves its best.

Run as ``python branch_and_bound.py PROBLEM.npz SOLUTION.npy``; :func:`solve_integral` is the
parent's side.
"""

from __future__ import annotations

import contextlib
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np


def solve_integral(upper_rows: np.ndarray, cost: np.ndarray, upper_cols: np.ndarray, start: np.ndarray,
                   index: np.ndarray, value: np.ndarray, seconds: float, gap: float, heuristics: float,
                   first: np.ndarray | None = None, lower_cols: np.ndarray | None = None) -> np.ndarray | None:
    """Maximise ``cost @ x`` over integral ``lower_cols <= x <= upper_cols`` with ``A x <= upper_rows``,
    ``A`` given by columns (``start``, ``index``, ``value``: compressed sparse columns).

    Stops once within relative ``gap`` of its bound or after ``seconds`` (the child is killed
    then, whatever it is doing); ``heuristics``: HiGHS's ``mip_heuristic_effort``; ``first``:
    a feasible integral solution to start from; ``lower_cols``: the columns' lower bounds (zero if
    not given). Returns the best solution found, or None (none found, or HiGHS missing).
    """
    if seconds <= 0 or not len(cost):
        return None
    end = time.monotonic() + seconds
    with tempfile.TemporaryDirectory(prefix="workbench-bb-") as tmp:
        problem, solution = Path(tmp) / "problem.npz", Path(tmp) / "solution.npy"
        np.savez(problem, upper_rows=upper_rows.astype(float), cost=cost.astype(float),
                 upper_cols=upper_cols.astype(float), start=start.astype(np.int32), index=index.astype(np.int32),
                 lower_cols=np.zeros(len(cost)) if lower_cols is None else lower_cols.astype(float),
                 value=value.astype(float), gap=np.float64(gap), heuristics=np.float64(heuristics),
                 seconds=np.float64(max(0.01, end - time.monotonic())),
                 first=np.zeros(0) if first is None else first.astype(float))
        # -P: this file's folder (the engine's modules, one named like the standard library's
        # ``select``) stays off the child's import path.
        child = subprocess.Popen([sys.executable, "-P", __file__, str(problem), str(solution)],
                                 stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            child.wait(timeout=max(0.0, end - time.monotonic()))
        except subprocess.TimeoutExpired:
            pass
        finally:  # on the clock, and when the command itself is interrupted: no child outlives it
            if child.poll() is None:
                child.kill()
                child.wait()
        try:
            x = np.load(solution)
        except (OSError, ValueError):
            return None
    return x if len(x) == len(cost) else None


def by_rows(start: np.ndarray, index: np.ndarray, value: np.ndarray,
            n_rows: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A matrix by columns (compressed sparse columns: ``start``, ``index``, ``value``) by rows."""
    col_of = np.repeat(np.arange(len(start) - 1), np.diff(start))
    order = np.argsort(index, kind="stable")
    row_start = np.concatenate([[0], np.cumsum(np.bincount(index, minlength=n_rows))]).astype(np.int64)
    return row_start, col_of[order], np.asarray(value)[order]


def within_rows(x: np.ndarray, cost: np.ndarray,
                rows: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]) -> np.ndarray:
    """``x`` (non-negative) with columns dropped until every row of ``rows`` (by rows: start, index,
    value, upper; non-negative values) holds, the cheapest of a broken row's first."""
    start, index, value, upper = rows
    x = x.copy()
    row_of = np.repeat(np.arange(len(upper)), np.diff(start))
    broken = np.flatnonzero(np.bincount(row_of, value * x[index], len(upper)) > upper + 1e-9)
    for r in broken.tolist():  # loads again: a fix of an earlier row may have mended this one
        members = index[start[r]:start[r + 1]]
        coefs = value[start[r]:start[r + 1]]
        load = float(coefs @ x[members])
        if load <= upper[r] + 1e-9:
            continue
        for k in np.argsort(cost[members], kind="stable"):
            if x[members[k]] > 0:
                load -= coefs[k] * x[members[k]]
                x[members[k]] = 0
                if load <= upper[r] + 1e-9:
                    break
    return x


def _save(path: str, x: np.ndarray) -> None:
    """Write ``x`` so a reader sees the whole of the old or of the new solution, never a part."""
    tmp = f"{path}.part.npy"
    np.save(tmp, np.asarray(x, dtype=float))
    os.replace(tmp, path)


def _child(problem: str, solution: str) -> int:
    """The child's side: solve, writing each improving solution to ``solution``."""
    try:
        import highspy
    except ImportError:
        return 1
    p = np.load(problem)
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("threads", 1)
    h.setOptionValue("mip_rel_gap", float(p["gap"]))
    h.setOptionValue("mip_heuristic_effort", float(p["heuristics"]))
    h.setOptionValue("time_limit", float(p["seconds"]))
    inf = h.getInfinity()
    m, n = len(p["upper_rows"]), len(p["cost"])
    h.addRows(m, np.full(m, -inf), p["upper_rows"], 0, np.zeros(m, np.int32), np.zeros(0, np.int32), np.zeros(0))
    h.addCols(n, p["cost"], p["lower_cols"], p["upper_cols"], len(p["index"]), p["start"], p["index"], p["value"])
    h.changeColsIntegrality(n, np.arange(n, dtype=np.int32), np.full(n, highspy.HighsVarType.kInteger))
    h.changeObjectiveSense(highspy.ObjSense.kMaximize)
    best = [-math.inf]
    if len(p["first"]) == n:
        _save(solution, p["first"])
        best[0] = float(p["cost"] @ p["first"])
        with contextlib.suppress(AttributeError, TypeError):  # older bindings: searched without it
            h.setSolution(_as_solution(highspy, p["first"]))

    def improved(_kind: object, _message: str, out: object, _into: object, _data: object) -> None:
        x = np.asarray(out.mip_solution)[:n]  # type: ignore[attr-defined]
        value = float(p["cost"] @ x)
        if value > best[0]:
            best[0] = value
            _save(solution, x)

    # Bindings older than the callback interface (highspy < 1.8) keep only the start and the end.
    with contextlib.suppress(AttributeError, TypeError):
        h.setCallback(improved, None)
        h.startCallback(highspy.cb.HighsCallbackType.kCallbackMipImprovingSolution)
    h.run()
    if h.getInfo().primal_solution_status == 2:
        x = np.asarray(h.getSolution().col_value)[:n]
        if float(p["cost"] @ x) >= best[0]:
            _save(solution, x)
    return 0


def _as_solution(highspy: object, x: np.ndarray) -> object:
    """``x`` as HiGHS's solution object (its start for the branch and bound)."""
    solution = highspy.HighsSolution()  # type: ignore[attr-defined]
    solution.col_value = list(map(float, x))
    solution.value_valid = True
    return solution


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(_child(sys.argv[1], sys.argv[2]))
