"""How fast the scenario reader is on a big availability file, and how much memory it takes.

Copies the bundled ``city-large`` scenario into a temporary folder and replaces its
``volunteer_availability.csv`` by a generated file of about ``--mb`` megabytes (every
volunteer of city-large, weekday and dated rows, realistic HH:MM windows, a free-text
``note`` column on some rows). Then measures, each in a fresh process:

- ``workbench check FOLDER`` (the whole command: start-up, reading, checking, warnings);
- ``workbench.load(FOLDER)`` inside Python, split into reading + checking, and the first
  ``workbench.availability.availability(scenario)`` (the engine's expansion of rows to dates),
  which is outside the reader but is what a solve does next.

Seconds are wall time; peak memory is the process's maximum resident set size.

    python benchmarks/bench_read.py [--mb 50] [--repeat 2] [--markdown]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from bench_solve import machine  # the same machine line as the engine's benchmark

ROOT = Path(__file__).resolve().parent.parent
BASE = ROOT / "datasets" / "city-large"

_PHASES = r"""
import json, resource, sys, time
t0 = time.monotonic()
import workbench
from workbench.availability import availability
t1 = time.monotonic()
s = workbench.load(sys.argv[1])
t2 = time.monotonic()
a = availability(s)
t3 = time.monotonic()
print(json.dumps({"import": t1 - t0, "load": t2 - t1, "availability": t3 - t2,
                  "rows": len(s.volunteer_availability), "warnings": len(s.warnings),
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def make_availability(path: Path, volunteer_ids: list[str], megabytes: float, seed: int = 0) -> int:
    """Write a volunteer_availability.csv of about ``megabytes`` MB; returns its number of data rows."""
    rng = np.random.default_rng(seed)
    days = np.array(["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
                    + [f"2026-01-{d:02d}" for d in range(5, 32)] + [f"2026-02-{d:02d}" for d in range(1, 2)])
    starts = np.arange(7 * 60, 20 * 60, 30)
    approx_row = 30
    n = int(megabytes * 1e6 / approx_row)
    ids = np.array(volunteer_ids)[rng.integers(0, len(volunteer_ids), n)]
    day = days[rng.integers(0, len(days), n)]
    s = starts[rng.integers(0, len(starts), n)]
    e = np.minimum(s + 30 * rng.integers(2, 9, n), 24 * 60)
    fmt = np.vectorize(lambda m: f"{m // 60:02d}:{m % 60:02d}", otypes=[object])
    start_text, end_text = fmt(s), fmt(e)
    note = np.where(rng.random(n) < 0.05, '"prefers mornings, call first"', "")
    with path.open("w", encoding="utf-8", newline="") as f:
        f.write("volunteer_id,day,start,end,note\n")
        chunk = 200_000
        for i in range(0, n, chunk):
            j = slice(i, i + chunk)
            lines = [f"{a},{b},{c},{d},{x}\n" for a, b, c, d, x in
                     zip(ids[j], day[j], start_text[j], end_text[j], note[j])]
            f.write("".join(lines))
    return n


def run_measured(cmd: list[str]) -> tuple[float, float, str, int]:
    """Like :func:`run` but reads the child's own peak memory with wait4 (fork + exec)."""
    r, w = os.pipe()
    t0 = time.monotonic()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        os.dup2(w, 1)
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 2)
        os.execv(cmd[0], cmd)
    os.close(w)
    with os.fdopen(r) as f:
        out = f.read()
    _, status, usage = os.wait4(pid, 0)
    return time.monotonic() - t0, usage.ru_maxrss / 1024, out, os.waitstatus_to_exitcode(status)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--mb", type=float, default=50.0, help="size of the generated availability file")
    p.add_argument("--repeat", type=int, default=2, help="measure each thing this many times, keep the fastest")
    p.add_argument("--markdown", action="store_true", help="print a table for RESULTS.md")
    args = p.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="bench-read-"))
    try:
        folder = tmp / "big"
        shutil.copytree(BASE, folder)
        import csv

        with (BASE / "volunteers.csv").open(encoding="utf-8") as f:
            volunteer_ids = [row["volunteer_id"] for row in csv.DictReader(f)]
        target = folder / "volunteer_availability.csv"
        rows = make_availability(target, volunteer_ids, args.mb)
        size_mb = target.stat().st_size / 1e6
        check_cmd = [sys.executable, "-m", "workbench.cli", "check", str(folder)]
        checks = [run_measured(check_cmd) for _ in range(args.repeat)]
        for _, _, out, code in checks:
            if code != 0:
                raise SystemExit(f"workbench check failed with exit code {code}: {out}")
        best_check = min(checks)
        phases = []
        for _ in range(args.repeat):
            seconds, peak, out, code = run_measured([sys.executable, "-c", _PHASES, str(folder)])
            if code != 0:
                raise SystemExit(f"load failed with exit code {code}")
            phases.append((json.loads(out), peak))
        best = min(phases, key=lambda x: x[0]["load"])
        ph, peak_load = best
        if args.markdown:
            print(f"Machine: {machine()}. File: {size_mb:.1f} MB, {rows:,} data rows.\n")
            print("| what | seconds | peak memory MB |")
            print("|---|---|---|")
            print(f"| `workbench check` (whole command) | {best_check[0]:.1f} | {best_check[1]:.0f} |")
            print(f"| `workbench.load` (read + check, in process) | {ph['load']:.1f} | {peak_load:.0f} (whole process, "
                  f"availability included) |")
            print(f"| then `availability(scenario)` (engine: rows → dates) | {ph['availability']:.1f} | |")
        else:
            print(f"file {size_mb:.1f} MB, {rows:,} rows")
            print(f"workbench check: {best_check[0]:.2f} s, peak {best_check[1]:.0f} MB")
            print(f"import {ph['import']:.2f} s, load {ph['load']:.2f} s, availability {ph['availability']:.2f} s, "
                  f"peak {peak_load:.0f} MB, warnings {ph['warnings']}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
