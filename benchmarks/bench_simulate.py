"""Speed of the waiting-list simulation: 52 weeks of city-medium, greedy and optimiser weeks.

    python benchmarks/bench_simulate.py                          # both methods, print the table
    python benchmarks/bench_simulate.py --methods greedy         # one method
    python benchmarks/bench_simulate.py --record                 # also write the section of RESULTS.md

Each run is one ``workbench simulate datasets/city-medium --weeks 52 --out DIR`` process
(through ``python -m workbench.simulate.cli``, the same code), with its progress bar over
the weeks on this terminal, default dynamics (the caseload and the pool keep their size:
referrals and recruits replace leavers), seed 0. Seconds are the whole command: loading,
52 planned weeks, the Kaplan–Meier tables, figures and writing. The optimiser runs at
``--time-limit-per-week`` seconds per week (the target's terms), or with ``--effort-per-week E``
at a deterministic work budget instead. Targets (issue 10): greedy ≤ 5 min, cpsat at 10 s a
week ≤ 20 min, on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SECTION = "## Simulation: a year of city-medium"
TARGETS = {"greedy": 5 * 60.0, "cpsat": 20 * 60.0}


def run(method: str, weeks: int, budget: list[str], out: Path) -> dict:
    cmd = [sys.executable, "-m", "workbench.simulate.cli", str(ROOT / "datasets" / "city-medium"), "--weeks",
           str(weeks), "--out", str(out), "--method", method, "--seed", "0", *budget]
    load = os.getloadavg()[0]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, stdout=subprocess.PIPE, text=True)  # the progress bar goes to stderr
    seconds = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} exited {proc.returncode}")
    meta = json.loads((out / "simulation.json").read_text())
    s = meta["summary"]
    weeks_csv = (out / "weeks.csv").read_text().splitlines()
    header = weeks_csv[0].split(",")
    rows = [dict(zip(header, line.split(","))) for line in weeks_csv[1:]]
    solve = [float(r["solve_seconds"]) for r in rows]
    statuses: dict[str, int] = {}
    for r in rows:
        statuses[r["status"]] = statuses.get(r["status"], 0) + 1
    return {
        "method": method, "budget": " ".join(budget) or "-", "seconds": seconds, "load": load,
        "peak_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, "weeks": meta["weeks_done"],
        "mean_solve": sum(solve) / len(solve), "max_solve": max(solve), "statuses": statuses, "summary": s,
        "output": proc.stdout.strip(),
    }


def table(results: list[dict]) -> str:
    lines = ["| method | budget per week | weeks | wall seconds | target | mean / max solve s per week | "
             "week statuses | gap | referrals | matched ≤ 4 / 8 / 12 weeks | final waiting list | coverage | "
             "peak memory MB | 1-min load before |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        s = r["summary"]
        pct = lambda x: "–" if x is None else f"{100 * x:.0f}%"  # noqa: E731
        target = TARGETS[r["method"]]
        ok = "met" if r["seconds"] <= target else "MISSED"
        gap = "–" if s.get("gap") is None else f"{100 * s['gap']:.2f}%"
        st = ", ".join(f"{k} {v}" for k, v in sorted(r["statuses"].items()))
        lines.append(
            f"| {r['method']} | {r['budget']} | {r['weeks']} | {r['seconds']:.0f} | ≤ {target:.0f} ({ok}) | "
            f"{r['mean_solve']:.2f} / {r['max_solve']:.2f} | {st} | {gap} | {s['referrals']} | "
            f"{pct(s['matched_within_4w'])} / {pct(s['matched_within_8w'])} / {pct(s['matched_within_12w'])} | "
            f"{s['final_waiting']} | {pct(s['coverage'])} | {r['peak_mb']:.0f} | {r['load']:.2f} |")
    return "\n".join(lines)


def record(results: list[dict], command: str) -> None:
    import ortools
    from bench_experiments import cpu_model  # this folder is on sys.path when a script here runs

    text = f"""{SECTION}

Measured {date.today().isoformat()} by `{command}`.

`workbench simulate datasets/city-medium --weeks 52 --out DIR --method M --seed 0` (300 volunteers and 600
citizens to start; default dynamics: matches end with a weekly hazard of 0.02, volunteers leave at 0.015,
and referrals (12/week) and recruits (4.5/week) replace them), one process per row, run through
`python -m workbench.simulate.cli`. Wall seconds are the whole command: loading, 52 planned weeks,
Kaplan–Meier tables, 17 figures and writing. Each week is one solve of a one-week scenario with the
running matches as `previous`; the optimiser's search in a week is single-threaded, so a simulation uses
one core (two simulations of a policy sweep run side by side on the two cores).

{table(results)}

Machine: {os.cpu_count()} CPUs (`nproc` {os.cpu_count()}), {cpu_model()}; Python
{platform.python_version()}, OR-Tools {ortools.__version__}, Linux {platform.release()}. The machine is shared
with other jobs; the load average before each run is in the table.
"""
    path = ROOT / "benchmarks" / "RESULTS.md"
    old = path.read_text(encoding="utf-8") if path.exists() else "# Benchmark results\n"
    pattern = re.compile(rf"^{re.escape(SECTION)}\n.*?(?=^## |\Z)", re.S | re.M)
    new = pattern.sub(text + "\n", old) if pattern.search(old) else old.rstrip("\n") + "\n\n" + text
    path.write_text(new, encoding="utf-8")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--methods", nargs="+", default=["greedy", "cpsat"], choices=["greedy", "cpsat"])
    ap.add_argument("--weeks", type=int, default=52)
    ap.add_argument("--time-limit-per-week", type=float, default=10.0, help="cpsat: wall seconds per week")
    ap.add_argument("--effort-per-week", type=float, default=None,
                    help="cpsat: deterministic work per week instead of the time limit")
    ap.add_argument("--record", action="store_true", help="write the section of benchmarks/RESULTS.md")
    args = ap.parse_args()
    results = []
    for method in args.methods:
        budget: list[str] = []
        if method == "cpsat":
            budget = (["--effort-per-week", f"{args.effort_per_week:g}"] if args.effort_per_week is not None
                      else ["--time-limit-per-week", f"{args.time_limit_per_week:g}"])
        with tempfile.TemporaryDirectory() as tmp:
            print(f"{method}: {args.weeks} weeks of city-medium {' '.join(budget)}", file=sys.stderr)
            r = run(method, args.weeks, budget, Path(tmp) / "sim")
        print(r["output"], file=sys.stderr)
        results.append(r)
    print(table(results))
    if args.record:
        record(results, "python " + " ".join([Path(sys.argv[0]).as_posix(), *sys.argv[1:]]))


if __name__ == "__main__":
    main()
