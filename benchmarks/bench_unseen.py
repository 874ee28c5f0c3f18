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

    python benchmarks/bench_unseen.py [--cities 12] [--seed 777] [--keep DIR] [--size small|medium|large]

With ``--size``, every city has the issue's size (small 60 / 100 / 2 weeks, medium 300 / 600 / 4, large
2,000 / 4,000 / 4) and time limit (10, 30, 120 s), still from the three generators with random knobs, and
each line also says whether it meets the size's target of ``bench_solve.py`` (peak memory measured too):
the family's targets, checked on cities no one tuned for.
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
from bench_solve import CLI, SIZES, meets_target  # noqa: E402
from bench_solve import run as measured  # noqa: E402

KNOBS = {  # each drawn with probability 0.4, else the preset's
    "free_days": [0, 0.5, 1], "window_scale": [0.5, 1, 2], "area_scale": [0.5, 1, 4, 10],
    "remote_share": [0, 0.3, 0.9], "one_off_share": [0, 0.2, 0.6], "limit_scale": [0.4, 1, 3],
    "no_danish_scale": [0.5, 1, 3], "skill_scale": [0.3, 1, 2.5],
}


def workbench(*args: str) -> subprocess.CompletedProcess:
    """The command as a user runs it (a fresh process through the package's entry point)."""
    return subprocess.run([*CLI, *args], capture_output=True, text=True, cwd=ROOT)


def draw(rnd: random.Random, folder: Path, size: str | None = None) -> tuple[str, float]:
    """Write one random city into ``folder`` (of the issue's ``size`` if given); its description and time
    limit."""
    v = rnd.choice([20, 40, 80, 150, 300, 500, 800])
    c, w = int(v * rnd.uniform(1.2, 2.5)), rnd.choice([1, 2, 3, 4, 6])
    limit = float(rnd.choice([3, 5, 10, 20, 40]) if v <= 300 else rnd.choice([10, 20, 40, 60]))
    if size is not None:
        v, c, w, limit = SIZES[size]
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
    p.add_argument("--size", choices=sorted(SIZES), help="every city of this size and limit, its target checked")
    a = p.parse_args()
    rnd = random.Random(a.seed)
    base = a.keep or Path(tempfile.mkdtemp(prefix="unseen-"))
    failures = misses = 0
    try:
        for i in range(a.cities):
            city, out = base / f"city{i}", base / f"out{i}"
            what, limit = draw(rnd, city, a.size)
            if a.size:
                line, bad, missed = _sized(a.size, city, out, limit, what, i)
                failures += bad
                misses += missed
                print(line, flush=True)
                continue
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
    if a.size:
        print(f"{a.cities - misses} of {a.cities} meet the {a.size} target")
    return 1 if failures else 0


def _sized(size: str, city: Path, out: Path, limit: float, what: str, i: int) -> tuple[str, bool, bool]:
    """Solve a city of the issue's ``size`` (peak memory measured), validate it, check the size's target; its
    line, whether the contract failed (overran, failed, invalid), whether the target was missed."""
    try:
        k, seconds, peak = measured(city, "cpsat", limit, out=out)
    except SystemExit as e:  # the command failed: its exit code in words
        return f"{i}: {what}: {e}  <-- FAILED", True, True
    valid = workbench("validate", str(city), str(out / "schedule.csv")).returncode
    ratio = k["weighted_sessions"] / max(k["objective_bound"], 1)
    meets = meets_target(size, k["status"], ratio, seconds, peak)
    bad = seconds > limit + 1.0 or valid != 0
    cont = None if k["continuity"] is None else round(k["continuity"], 3)
    line = (f"{i}: {what}: {seconds:.1f} s, {peak:.0f} MB, {ratio:.4f} of the bound, {k['status']}, "
            f"continuity {cont}, validate exit {valid}; target {'met' if meets else 'MISSED'}"
            + ("  <-- FAILED" if bad else ""))
    return line, bad, not meets


if __name__ == "__main__":
    raise SystemExit(main())
