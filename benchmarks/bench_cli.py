"""The command line against its time limit, and what publishing the output as one set costs.

    python benchmarks/bench_cli.py            # measure and print
    python benchmarks/bench_cli.py --record   # also write the section of benchmarks/RESULTS.md

1. Whole command: ``workbench -v solve DATASET --out DIR --time-limit L`` as a user runs it (a fresh
   process through the console entry point), wall time from spawn to exit against L (the contract allows
   L + 1 s), split by the command's own -v lines into start-up, loading, solving and finishing.
2. Publishing: for each bundled dataset's greedy result, in one process: writing the three files plainly
   (``to_csv``/``json.dump``, the floor), ``Result.write`` without a scenario (stage, fsync, read back, swap)
   and with it (plus validating the 14 rules), against the CLI's finishing estimate
   (``cli.FINISH_FIXED + cli.FINISH_PER_SESSION × demanded sessions``), which must stay above the last.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run from a source checkout without installing the package
    sys.path.insert(0, str(ROOT))

SECTION = "## Command line: whole-command time and publishing"
RUNS = [("demo", "cpsat", 5.0), ("city-medium", "cpsat", 10.0), ("city-large", "greedy", 30.0),
        ("city-large", "cpsat", 30.0)]
MARKS = {"starting": "start-up", "loading ": "loading", "solving with": "solving", "search done": "finishing"}


def whole_command(dataset: str, method: str, limit: float) -> dict:
    """One run of the command as a user starts it; times of its -v lines as seen by this process."""
    from workbench import datasets

    with tempfile.TemporaryDirectory() as tmp:
        argv = [sys.executable, "-c", "import workbench_cli; workbench_cli.main()", "-v", "solve",
                str(datasets.path(dataset)), "--out", str(Path(tmp) / "out"), "--time-limit", str(limit),
                "--method", method]
        t0 = time.monotonic()
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        seen: dict[str, float] = {}
        last_line = ""
        for line in proc.stderr:
            for mark in MARKS:
                if mark in line and mark not in seen:
                    seen[mark] = time.monotonic() - t0
            if line.strip():
                last_line = line.strip()
        stdout = proc.stdout.read()
        proc.wait()
        wall = time.monotonic() - t0
        kpis = json.loads((Path(tmp) / "out" / "kpis.json").read_text()) if proc.returncode == 0 else {}
    times = [seen.get(m) for m in MARKS] + [wall]
    phases = {MARKS[m]: (None if a is None or b is None else b - a) for m, a, b in zip(MARKS, times, times[1:])}
    phases["start-up"] = seen.get("loading ")  # from spawn, interpreter included
    return {"dataset": dataset, "method": method, "limit": limit, "exit": proc.returncode, "wall": wall,
            "over": wall - limit, **phases, "status": kpis.get("status") or _failure(last_line),
            "served": kpis.get("served_sessions"), "summary": stdout.strip()[:120]}


def _failure(line: str) -> str:
    if "did not stop within the time limit" in line:
        return "nothing written: the engine did not return within 1 s of the stop"
    return line.split(";")[0][:80]


def publishing(dataset: str, repeat: int) -> dict:
    """Seconds to put one result on disk, three ways (fastest of ``repeat``), and the CLI's estimate."""
    import workbench
    from workbench import cli

    scenario = workbench.load_dataset(dataset)
    result = workbench.solve(scenario, method="greedy")
    demand = float(scenario.demand().sum())

    def plain(folder: Path) -> None:
        folder.mkdir()
        result.schedule.to_csv(folder / "schedule.csv", index=False)
        result.unassigned.to_csv(folder / "unassigned.csv", index=False)
        (folder / "kpis.json").write_text(json.dumps(result.kpis, indent=2))

    ways = {"plain": plain, "publish": lambda f: result.write(f),
            "publish+validate": lambda f: result.write(f, scenario=scenario)}
    best = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, way in ways.items():
            times = []
            for i in range(repeat):
                target = Path(tmp) / f"{name}-{i}"
                t = time.perf_counter()
                way(target)
                times.append(time.perf_counter() - t)
            best[name] = min(times)
    return {"dataset": dataset, "demand": int(demand), "rows": len(result.schedule),
            "unassigned": len(result.unassigned), **best, "estimate": cli._finish_estimate(demand)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--record", action="store_true", help=f"write the '{SECTION}' section of RESULTS.md")
    parser.add_argument("--repeat", type=int, default=3, help="repetitions of each publishing measurement")
    args = parser.parse_args()
    load = os.getloadavg()[0]
    commands = []
    for dataset, method, limit in RUNS:
        r = whole_command(dataset, method, limit)
        commands.append(r)
        print(json.dumps(r))
    pubs = []
    for dataset in ("demo", "city-medium", "city-large"):
        r = publishing(dataset, args.repeat)
        pubs.append(r)
        print(json.dumps(r))
    if args.record:
        record(commands, pubs, load, args.repeat)
    return 0


def _s(x: float | None) -> str:
    return "–" if x is None else f"{x:.2f}"


def record(commands: list[dict], pubs: list[dict], load: float, repeat: int) -> None:
    from ortools import __version__ as ortools_version

    rows = "\n".join(
        f"| {r['dataset']} | {r['method']} | {r['limit']:g} | {r['exit']} | {_s(r['start-up'])} | {_s(r['loading'])} "
        f"| {_s(r['solving'])} | {_s(r['finishing'])} | **{r['wall']:.2f}** | {r['over']:+.2f} | {r['status']} |"
        for r in commands)
    prows = "\n".join(
        f"| {r['dataset']} | {r['demand']:,} | {r['rows']:,} / {r['unassigned']:,} | {r['plain']:.3f} | "
        f"{r['publish']:.3f} | {r['publish+validate']:.3f} | {r['estimate']:.2f} |" for r in pubs)
    section = f"""{SECTION}

Measured {date.today().isoformat()} by `python benchmarks/bench_cli.py --record` (1-minute load average
before: {load:.2f}; the machine is shared).

Whole command, as a user starts it (`workbench -v solve DATASET --out DIR --time-limit L`), wall seconds
from spawn to exit; the contract allows L + 1 s. Phases from the command's own -v lines: start-up
(interpreter and imports, to the "loading" line), loading, solving (the engine, given what is left
after the finishing estimate), finishing (re-reading and validating the output, the swap, exit).
Exit 3 = the engine had not returned 1 s after the command asked it to stop (the command then ends
rather than overrun; nothing is written).

| dataset | method | L | exit | start-up | loading | solving | finishing | wall | wall − L | status |
|---|---|---|---|---|---|---|---|---|---|---|
{rows}

Publishing one greedy result (fastest of {repeat}), seconds: plain writes of the three files; `Result.write`
(stage beside DIR, fsync, read back and compare, swap in with `renameat2(RENAME_EXCHANGE)`); the same
plus validating the 14 hard rules on the file read back (what `workbench solve` does); and the CLI's
finishing estimate `FINISH_FIXED + FINISH_PER_SESSION × demand`, which should stay above the last (the
contract's extra second covers a busy moment).

| dataset | demanded | schedule / unassigned rows | plain | publish | publish + validate | estimate |
|---|---|---|---|---|---|---|
{prows}

Machine: {os.cpu_count()} CPUs, Python {platform.python_version()}, OR-Tools {ortools_version},
{platform.system()} {platform.release()}.
"""
    path = ROOT / "benchmarks" / "RESULTS.md"
    text = path.read_text()
    pattern = re.compile(rf"^{re.escape(SECTION)}\n.*?(?=^## |\Z)", re.DOTALL | re.MULTILINE)
    text = pattern.sub(lambda m: section + "\n", text) if pattern.search(text) else text.rstrip() + "\n\n" + section
    path.write_text(text)
    print(f"recorded in {path}")


if __name__ == "__main__":
    sys.exit(main())
