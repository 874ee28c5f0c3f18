"""Small cities nobody tuned for, at the issue's size: proven optimal, and how soon.

Draws ``--cities`` cities of 60 volunteers / 100 citizens / 2 weeks from ``--seed``: every other one
from ``workbench generate`` with random knobs (each of ``bench_unseen.KNOBS`` drawn with probability
0.4), the others from ``benchmarks/alien_city.py`` with random villages and area. Each is solved by
``workbench solve CITY --out DIR --time-limit 10`` as a user runs it (the whole command timed) and by
``--method greedy`` (the coordinator's baseline, for its continuity). Per city it prints the seconds,
the status, weighted sessions ÷ the honest bound, and continuity against the baseline's; then how
many are proven optimal, how many of those in under 2 s (issue 9's target for small cities, read
strictly), and how many keep fewer friends than the baseline.

    python benchmarks/bench_small.py [--seed 11] [--cities 12] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from alien_city import alien_tables, write  # noqa: E402
from bench_unseen import KNOBS, workbench  # noqa: E402

VOLUNTEERS, CITIZENS, WEEKS, LIMIT = 60, 100, 2, 10


def draw(folder: Path, rnd: random.Random, i: int) -> str:
    """Write city ``i`` of the stream ``rnd`` into ``folder``; what it is."""
    if i % 2:
        knobs = {"villages": rnd.choice([0, 3]), "side_km": rnd.choice([5.0, 12.0, 30.0])}
        write(folder, *alien_tables(VOLUNTEERS, CITIZENS, WEEKS, rnd.randrange(10**6), **knobs))
        return f"alien {knobs}"
    args = [a for k, vals in KNOBS.items() if rnd.random() < 0.4 for a in ("--knob", f"{k}={rnd.choice(vals)}")]
    done = workbench("generate", "--out", str(folder), "--volunteers", str(VOLUNTEERS), "--citizens", str(CITIZENS),
                     "--weeks", str(WEEKS), "--seed", str(rnd.randrange(10**6)), "--force", *args)
    if done.returncode:
        raise SystemExit(f"generate failed: {done.stderr}")
    return "generate " + (" ".join(args[1::2]) or "(preset)")


def solve(city: Path, out: Path, *method: str) -> tuple[float, dict]:
    """The whole command's seconds and its kpis."""
    t = time.monotonic()
    done = workbench("solve", str(city), "--out", str(out), "--time-limit", str(LIMIT), *method)
    seconds = time.monotonic() - t
    if done.returncode:
        raise SystemExit(f"solve {city} failed ({done.returncode}): {done.stderr}")
    return seconds, json.loads((out / "kpis.json").read_text())


def _share(x: float | None) -> str:
    return "-" if x is None else f"{x:.3f}"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--cities", type=int, default=12)
    ap.add_argument("--keep", type=Path, help="keep the cities in this folder")
    a = ap.parse_args()
    root = a.keep or Path(tempfile.mkdtemp(prefix="bench_small_"))
    rnd = random.Random(a.seed)
    proven = quick = below = 0
    try:
        for i in range(a.cities):
            city = root / f"s{a.seed}_{i}"
            city.mkdir(parents=True, exist_ok=True)
            what = draw(city, rnd, i)  # drawn again even if kept: the stream stays the seed's
            seconds, k = solve(city, root / "out")
            _, g = solve(city, root / "out", "--method", "greedy")
            c, gc = k.get("continuity"), g.get("continuity")
            is_below = c is not None and gc is not None and c < gc - 1e-9
            proven += k["status"] == "OPTIMAL"
            quick += k["status"] == "OPTIMAL" and seconds < 2.0
            below += is_below
            ratio = k["objective"] / k["objective_bound"] if k.get("objective_bound") else float("nan")
            print(f"{city.name:8s} {seconds:5.2f} s  {k['status']:9s} {ratio:.4f}  continuity {_share(c)} "
                  f"(baseline {_share(gc)}){'  below' if is_below else ''}  {what}", flush=True)
    finally:
        if a.keep is None:
            shutil.rmtree(root, ignore_errors=True)
    print(f"{a.cities} cities (seed {a.seed}): {proven} proven optimal, {quick} of them in under 2 s, "
          f"{below} below the baseline's continuity")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
