"""Every side of the honest bound, pins taken out, against the exact optimum of tiny pinned cities.

Draws ``--cities`` tiny cities from the third generator (``benchmarks/styled_city``: a random style,
6-14 volunteers, 12-28 citizens, 1-2 weeks, a share of 0.1-0.5 of the requests pinned) from ``--seed``,
finds each one's optimum with the independent interval model of ``tests/exact.py`` (cities it cannot
prove in ``--seconds`` are left out) and computes each relaxation of ``workbench.engine.bound`` as the
optimiser does, on the problem with its pins taken out (``pinned_residual``) plus the pins' priority:
flow, pair LP, volunteers' side, citizens' side, days' LP. Each must be at or above the optimum; the
exit code is 1 if any is below.

    python benchmarks/check_pinned_bound.py [--seed 7] [--cities 40] [--seconds 40]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "benchmarks")]
from exact import exact_optimum  # noqa: E402
from styled_city import STYLES, write_city  # noqa: E402

import workbench  # noqa: E402
from workbench.engine.bound import citizen_bound, day_lp_bound, flow_bound, lp_bound, pinned_residual  # noqa: E402
from workbench.engine.candidates import (  # noqa: E402
    exact_candidates,
    free_days,
    pair_checks,
    pair_weeks,
    start_union,
    triples_of_pairs,
)
from workbench.index import index_of  # noqa: E402


def sides(s: workbench.Scenario) -> dict[str, float]:
    """Each relaxation's bound of ``s``, the pins taken out and their priority added."""
    ix = index_of(s)
    checks, dist = pair_checks(ix)
    fd = free_days(ix)
    ok = np.logical_and.reduce(list(checks.values()))
    pw = pair_weeks(ix, ok, fd, distance=dist)
    p = pinned_residual(ix, fd)
    res, rfd, pins = p.index, p.fd, float(p.weeks.sum())
    lp = lp_bound(res, pw, rfd, dist)
    per_citizen = np.full((len(ix.citizen_ids), ix.weeks), np.inf)
    citizens = citizen_bound(res, start_union(res, rfd, pw), per_citizen=per_citizen).sum()
    rr, vv = np.nonzero(ok)
    cands = exact_candidates(ix, triples_of_pairs(ix, fd, rr, vv), None, checks, dist, complete=True)
    return {"flow": flow_bound(res, pw, rfd)[0].sum() + pins, "lp": lp.value + pins,
            "volunteers": sum(lp.volunteer_weeks) + pins, "citizens": citizens + pins,
            "days": day_lp_bound(res, cands, rfd, per_citizen).weeks.sum() + pins}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--cities", type=int, default=40)
    ap.add_argument("--seconds", type=float, default=40.0)
    a = ap.parse_args()
    rnd = random.Random(a.seed)
    checked = below = 0
    with tempfile.TemporaryDirectory() as root:
        for i in range(a.cities):
            style, share, seed = rnd.choice(sorted(STYLES)), rnd.choice([0.1, 0.3, 0.5]), rnd.randrange(1000)
            size = rnd.choice([6, 10, 14]), rnd.choice([12, 20, 28]), rnd.choice([1, 2])
            folder = Path(root) / str(i)
            try:
                write_city(folder, style, volunteers=size[0], citizens=size[1], weeks=size[2], seed=seed,
                           pin_share=share)
                s = workbench.load(folder)
                best = exact_optimum(s, a.seconds)
            except (workbench.InputError, RuntimeError) as e:  # a city the generator drew invalid, or unproven
                print(f"{i:3d} {style:9s} left out: {type(e).__name__}")
                continue
            got = sides(s)
            low = [k for k, v in got.items() if v < best - 1e-6]
            checked += 1
            below += bool(low)
            print(f"{i:3d} {style:9s} pins {len(s.pins):3d}  optimum {best:5d}  " +
                  "  ".join(f"{k} {v:.1f}" for k, v in got.items()) + (f"  BELOW: {low}" if low else ""), flush=True)
    print(f"{checked} cities checked, {below} with a side below the optimum")
    return 1 if below else 0


if __name__ == "__main__":
    raise SystemExit(main())
