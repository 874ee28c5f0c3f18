"""The command on cities nobody tuned for: random sizes, knobs, generators and time limits.

Each city is drawn from a seeded random choice of size (20-800 volunteers, 1.2-2.5 citizens each,
1-6 weeks), generator (one third each: ``workbench generate`` with random knobs of
:class:`workbench.scenario.generate.Knobs`; ``benchmarks/alien_city.py`` with random villages and
area; ``benchmarks/styled_city`` with a random style and share of pinned requests; the two benchmark
generators share no code with the project's) and time limit (3-60 s). Each is solved by
``workbench solve CITY --out DIR --time-limit L`` as a user runs it, and its schedule checked by
``workbench validate``. Per city it prints the wall time against the limit (the contract allows
L + 1 s), the exit codes, weighted sessions ÷ the honest bound, status and continuity; the exit code
is 1 if any command overran, failed or wrote an invalid schedule.

    python benchmarks/bench_unseen.py [--cities 12] [--seed 777] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
from bench_solve import CLI  # noqa: E402

KNOBS = {  # each drawn with probability 0.4, else the preset's
    "free_days": [0, 0.5, 1], "window_scale": [0.5, 1, 2], "area_scale": [0.5, 1, 4, 10],
    "remote_share": [0, 0.3, 0.9], "one_off_share": [0, 0.2, 0.6], "limit_scale": [0.4, 1, 3],
    "no_danish_scale": [0.5, 1, 3], "skill_scale": [0.3, 1, 2.5],
}


def workbench(*args: str) -> subprocess.CompletedProcess:
    """The command as a user runs it (a fresh process through the package's entry point)."""
    return subprocess.run([*CLI, *args], capture_output=True, text=True, cwd=ROOT)


def draw(rnd: random.Random, folder: Path) -> tuple[str, float]:
    """Write one random city into ``folder``; its description and time limit."""
    v = rnd.choice([20, 40, 80, 150, 300, 500, 800])
    c, w = int(v * rnd.uniform(1.2, 2.5)), rnd.choice([1, 2, 3, 4, 6])
    limit = float(rnd.choice([3, 5, 10, 20, 40]) if v <= 300 else rnd.choice([10, 20, 40, 60]))
    kind = rnd.choice(["alien", "styled", "workbench"])
    if kind == "alien":
        from alien_city import alien_tables, write

        knobs = {"villages": rnd.choice([0, 0, 3, 8]), "side_km": rnd.choice([5.0, 12.0, 30.0])}
        write(folder, *alien_tables(v, c, w, rnd.randrange(10**6), **knobs))
        what = f"alien {knobs}"
    elif kind == "styled":
        from styled_city import STYLES, write_city

        style, pin_share = rnd.choice(sorted(STYLES)), rnd.choice([0.0, 0.03, 0.1, 0.25])
        write_city(folder, style, v, c, w, rnd.randrange(10**6), pin_share=pin_share)
        what = f"styled {style}, pin share {pin_share:g}"
    else:
        args = [a for k, vals in KNOBS.items() if rnd.random() < 0.4 for a in ("--knob", f"{k}={rnd.choice(vals)}")]
        done = workbench("generate", "--out", str(folder), "--volunteers", str(v), "--citizens", str(c),
                         "--weeks", str(w), "--seed", str(rnd.randrange(10**6)), "--force", *args)
        if done.returncode:
            raise SystemExit(f"generate failed: {done.stderr}")
        what = "workbench " + " ".join(args[1::2])
    return f"{v} / {c} / {w} weeks, {what}", limit


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--cities", type=int, default=12)
    p.add_argument("--seed", type=int, default=777)
    p.add_argument("--keep", type=Path, help="write the cities and schedules here (default: a temporary folder)")
    a = p.parse_args()
    rnd = random.Random(a.seed)
    base = a.keep or Path(tempfile.mkdtemp(prefix="unseen-"))
    failures = 0
    try:
        for i in range(a.cities):
            city, out = base / f"city{i}", base / f"out{i}"
            what, limit = draw(rnd, city)
            t0 = time.monotonic()
            solved = workbench("solve", str(city), "--out", str(out), "--time-limit", f"{limit:g}")
            seconds = time.monotonic() - t0
            line = f"{i}: {what}; limit {limit:g} s: exit {solved.returncode}, {seconds:.1f} s"
            bad = seconds > limit + 1.0 or solved.returncode != 0
            if solved.returncode == 0:
                k = json.loads((out / "kpis.json").read_text())
                valid = workbench("validate", str(city), str(out / "schedule.csv")).returncode
                bad |= valid != 0
                cont = k["continuity"] if k["continuity"] is None else round(k["continuity"], 3)
                line += (f", {k['weighted_sessions'] / max(k['objective_bound'], 1):.4f} of the bound, "
                         f"{k['status']}, continuity {cont}, validate exit {valid}")
            else:
                line += ": " + solved.stderr.strip()[-300:]
            failures += bad
            print(line + ("  <-- FAILED" if bad else ""), flush=True)
    finally:
        if a.keep is None:
            shutil.rmtree(base, ignore_errors=True)
    print(f"{a.cities - failures} of {a.cities} cities: within the limit + 1 s, exit 0, valid")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
