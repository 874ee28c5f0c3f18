"""Solve the bundled datasets with both methods through the CLI and print one table.

Each run is a separate `workbench solve` process with the target's time limit, so the
seconds are the whole command (start-up, loading, solving, checking, writing) and the
peak memory is that process's maximum resident set size.

    python benchmarks/bench_solve.py [--datasets demo city-medium city-large] [--markdown]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGETS = {"demo": 5, "city-medium": 30, "city-large": 120}  # the engine issue's time targets, seconds


def run(dataset: str, method: str, limit: float) -> dict:
    out = Path(tempfile.mkdtemp(prefix=f"bench-{dataset}-{method}-"))
    cmd = [sys.executable, "-m", "workbench.cli", "solve", str(ROOT / "datasets" / dataset), "--out", str(out),
           "--method", method, "--time-limit", str(limit)]
    t0 = time.monotonic()
    pid = os.fork()
    if pid == 0:  # child: exec the CLI so its own peak memory can be read from wait4
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.execv(sys.executable, cmd)
    _, status, usage = os.wait4(pid, 0)
    seconds = time.monotonic() - t0
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{dataset}/{method} failed with exit code {os.waitstatus_to_exitcode(status)}")
    k = json.loads((out / "kpis.json").read_text())
    bound = k.get("objective_bound")
    return {
        "dataset": dataset, "method": method, "served": k["served_sessions"], "demand": k["demand_sessions"],
        "weighted": k["weighted_sessions"], "weighted_coverage": k["weighted_coverage"], "bound": bound,
        "gap": (bound - k["weighted_sessions"]) / bound if bound else None, "status": k["status"],
        "seconds": seconds, "peak_mb": usage.ru_maxrss / 1024, "continuity": k["continuity"],
        "relaxation_bound": k.get("relaxation_bound"),
    }


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{os.cpu_count()} cores, {cpu}, {mem:.0f} GiB, Python {platform.python_version()}, {platform.system()}"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--datasets", nargs="+", default=list(TARGETS))
    p.add_argument("--markdown", action="store_true", help="print a Markdown table")
    args = p.parse_args()
    rows = []
    for d in args.datasets:
        for m in ("greedy", "cpsat"):
            rows.append(run(d, m, TARGETS.get(d, 30)))
            print(f"# done {d} {m}", file=sys.stderr)
    head = ["dataset", "method", "sessions served", "weighted coverage", "weighted sessions", "bound", "gap",
            "status", "seconds", "peak memory MB", "continuity"]
    lines = []
    for r in rows:
        lines.append([r["dataset"], r["method"], f"{r['served']} / {r['demand']}", f"{r['weighted_coverage']:.2%}",
                      f"{r['weighted']:g}", "" if r["bound"] is None else f"{r['bound']:g}",
                      "" if r["gap"] is None else f"{r['gap']:.2%}", r["status"], f"{r['seconds']:.1f}",
                      f"{r['peak_mb']:.0f}", "" if r["continuity"] is None else f"{r['continuity']:.0%}"])
    if args.markdown:
        print("| " + " | ".join(head) + " |")
        print("|" + "---|" * len(head))
        for line in lines:
            print("| " + " | ".join(line) + " |")
    else:
        widths = [max(len(str(x)) for x in col) for col in zip(head, *lines)]
        for line in [head, *lines]:
            print("  ".join(str(x).ljust(w) for x, w in zip(line, widths)))
    for d in args.datasets:
        g = next(r for r in rows if r["dataset"] == d and r["method"] == "greedy")
        c = next(r for r in rows if r["dataset"] == d and r["method"] == "cpsat")
        print(f"{d}: cpsat serves {c['weighted'] - g['weighted']:+g} priority-weighted sessions over greedy "
              f"({(c['weighted'] - g['weighted']) / g['weighted']:+.2%})")
    print(f"machine: {machine()}")


if __name__ == "__main__":
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    main()
