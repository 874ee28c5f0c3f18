"""The engine on a family of cities per size, drawn by two generators with different knobs.

Each run is a separate ``workbench solve CITY --out DIR --time-limit T`` process, so
the seconds are the whole command (start-up, loading, solving, checking, writing)
and the peak memory is that process's maximum resident set size. Per city it
prints the priority-weighted sessions ÷ the honest bound (``objective_bound``: no
valid schedule serves more), the status, wall time, peak memory, and continuity
of the optimiser against the coordinator's baseline (``--method greedy``).

Targets (issue 9; 2 cores, whole command): small proven OPTIMAL in under 2 s;
medium ≥ 0.975 of the bound in ≤ 30 s; large ≥ 0.95 of the bound in ≤ 120 s and
≤ 2 GB.

    python benchmarks/bench_solve.py [--sizes small medium large] [--markdown] [--record] [--yardstick]

Cities are written once into ``benchmarks/.cities/`` (deterministic by seed).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
CITIES = ROOT / "benchmarks" / ".cities"
# The command as a user runs it, from a source checkout whether or not the package is installed.
CLI = [sys.executable, "-c", "import workbench_cli; workbench_cli.main()"]

SIZES = {  # volunteers, citizens, weeks, time limit (s)
    "small": (60, 100, 2, 10),
    "medium": (300, 600, 4, 30),
    "large": (2000, 4000, 4, 120),
}
# (name, generator, knobs preset or alien options); at least four per size, two generators.
FAMILY = {
    "small": [("city", "workbench", "city"), ("retirees", "workbench", "retirees"),
              ("appointments", "workbench", "appointments"), ("alien", "alien", {}),
              ("alien-villages", "alien", {"villages": 4, "side_km": 20.0})],
    "medium": [("city", "workbench", "city"), ("retirees", "workbench", "retirees"),
               ("rural", "workbench", "rural"), ("appointments", "workbench", "appointments"),
               ("mixed", "workbench", "mixed"), ("dense", "workbench", "dense"), ("sparse", "workbench", "sparse"),
               ("alien", "alien", {}), ("alien-villages", "alien", {"villages": 6, "side_km": 30.0})],
    "large": [("city", "workbench", "city"), ("retirees", "workbench", "retirees"), ("rural", "workbench", "rural"),
              ("alien", "alien", {"side_km": 30.0})],
}
SMALL_REPEATS = 3
YARDSTICK_EFFORT = 5.0
TARGET = {"small": ("OPTIMAL", 2.0, None), "medium": (0.975, 30.0, None), "large": (0.95, 120.0, 2048.0)}
# The contract's one second past the limit applies where the target's seconds are the command's limit
# (medium, large); the small target's 2 s is not a limit (the command has 10 s), so none is added.
GRACE = {"small": 0.0, "medium": 1.0, "large": 1.0}
# The continuity aims: at every size never below the baseline's continuity; on medium cities
# at least this continuity, at most this share of weighted sessions lost against the run without the aim.
CONTINUITY_MEDIUM = 0.85
AIM_LOSS_MEDIUM = 0.005


def meets_target(size: str, status: str, ratio: float, seconds: float, peak_mb: float) -> bool:
    """Whether one whole command meets its size's target (``TARGET``, with ``GRACE`` past the limit)."""
    want, secs, mem = TARGET[size]
    ok = status == "OPTIMAL" if want == "OPTIMAL" else ratio >= want
    in_time = seconds < secs if GRACE[size] == 0 else seconds <= secs + GRACE[size]
    return ok and in_time and (mem is None or peak_mb <= mem)


@dataclass
class Row:
    size: str
    city: str
    ratio: float
    status: str
    seconds: float
    peak_mb: float
    continuity: float | None
    greedy_ratio: float
    greedy_continuity: float | None
    pairs_density: float
    limit: float
    free_ratio: float  # without the continuity aim
    free_continuity: float | None

    def meets(self) -> bool:
        return meets_target(self.size, self.status, self.ratio, self.seconds, self.peak_mb)

    def aim_loss(self) -> float:
        """Weighted sessions the continuity aim cost, as a share of the run without it (< 0: it served more)."""
        return 1.0 - self.ratio / self.free_ratio if self.free_ratio else 0.0

    def continuity_misses(self) -> list[str]:
        """The issue's continuity aims this row misses, in words (none: it meets them)."""
        misses = []
        if self.continuity is not None and self.greedy_continuity is not None \
                and self.continuity < self.greedy_continuity:
            misses.append("below greedy")
        if self.size == "medium":
            if self.continuity is None or self.continuity < CONTINUITY_MEDIUM:
                misses.append(f"< {CONTINUITY_MEDIUM:.0%}")
            if self.aim_loss() > AIM_LOSS_MEDIUM:
                misses.append(f"loss {self.aim_loss():.2%}")
        return misses


def city(size: str, name: str, generator: str, knobs: object, seed: int = 21) -> Path:
    """Write the city once (deterministic), return its folder."""
    v, c, w, _t = SIZES[size]
    path = CITIES / f"{size}-{name}"
    if (path / "scenario.toml").exists():
        return path
    if generator == "alien":
        from alien_city import alien_tables, write

        write(path, *alien_tables(v, c, w, seed, **knobs))
    else:
        from workbench.scenario.generate import PRESETS, generate
        from workbench.scenario.write import save

        save(generate(v, c, w, seed=seed, knobs=PRESETS[knobs], name=f"{size}-{name}"), path, overwrite=True)
    return path


def run(path: Path, method: str, limit: float, *extra: str, out: Path | None = None) -> tuple[dict, float, float]:
    """One whole command (writing into ``out``, else a temporary folder); its kpis, wall seconds and peak
    memory (MB)."""
    out = out or Path(tempfile.mkdtemp(prefix="bench-")) / "out"
    cmd = [*CLI, "solve", str(path), "--out", str(out),
           "--method", method, "--time-limit", str(limit), *extra]
    t0 = time.monotonic()
    pid = os.fork()
    if pid == 0:  # child: exec the CLI so its own peak memory can be read from wait4
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.execv(sys.executable, cmd)
    _, status, usage = os.wait4(pid, 0)
    seconds = time.monotonic() - t0
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise SystemExit(f"{path.name}/{method} failed with exit code {code}")
    return json.loads((out / "kpis.json").read_text()), seconds, usage.ru_maxrss / 1024


def density(path: Path) -> float:
    """Share of (request, volunteer) pairs that pass the time-free rules (how open the city is)."""
    import numpy as np

    import workbench
    from workbench.engine.candidates import pair_checks
    from workbench.index import index_of

    checks, _ = pair_checks(index_of(workbench.load(path)))
    return float(np.logical_and.reduce(list(checks.values())).mean())


def measure(size: str) -> list[Row]:
    rows = []
    limit = SIZES[size][3]
    for name, generator, knobs in FAMILY[size]:
        path = city(size, name, generator, knobs)
        # Small cities take seconds on a shared machine whose speed varies from minute to minute: the
        # median of three runs (its schedule and memory with it) rather than one draw of the noise.
        runs = sorted((run(path, "cpsat", limit) for _ in range(SMALL_REPEATS if size == "small" else 1)),
                      key=lambda r: r[1])
        k, seconds, peak = runs[len(runs) // 2]
        g, _gs, _gp = run(path, "greedy", limit)
        # The same run without the continuity aim: what continuity costs in weighted sessions.
        free = run(path, "cpsat", limit, "--weight", "continuity=0")[0] if size != "small" else k
        bound = k["objective_bound"]
        rows.append(Row(size, name, k["weighted_sessions"] / bound, k["status"], seconds, peak, k["continuity"],
                        g["weighted_sessions"] / bound, g["continuity"], density(path), limit,
                        free["weighted_sessions"] / bound, free["continuity"]))
        print(_line(rows[-1]), file=sys.stderr, flush=True)
    return rows


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{x:.1%}"


def _line(r: Row) -> str:
    return (f"| {r.size} | {r.city} | {r.pairs_density:.0%} | {r.ratio:.4f} | {r.greedy_ratio:.4f} | {r.status} | "
            f"{r.seconds:.1f} | {r.peak_mb:.0f} | {_pct(r.continuity)} / {_pct(r.greedy_continuity)} | "
            f"{r.free_ratio:.4f} / {_pct(r.free_continuity)} | {'yes' if r.meets() else '**no**'} | "
            f"{'yes' if not (m := r.continuity_misses()) else '**no**: ' + ', '.join(m)} |")


HEADER = ("| size | city | pair density | weighted ÷ bound | greedy ÷ bound | status | seconds | peak MB | "
          "continuity (cpsat / greedy) | without continuity aim (÷ bound / continuity) | meets target | "
          "meets continuity aims |\n"
          "|---|---|---|---|---|---|---|---|---|---|---|---|")


def yardstick(repeats: int = 3) -> float:
    """Wall seconds of a fixed amount of the engine's work on this machine: small-city in effort mode
    (deterministic: the same schedule from the same work on any machine), in process, the median of
    ``repeats``. Records on faster or slower days can then be told apart: the clock limits every row,
    so a slower machine serves less in it (measured 2026-12-03: the twelfth record's commit served
    0.9597 of large-city's bound on one day and 0.9465 on a slower one)."""
    import workbench

    scenario = workbench.load(city("small", "city", "workbench", "city"))
    seconds = []
    for _ in range(repeats):
        t0 = time.monotonic()
        workbench.solve(scenario, time_limit=None, effort=YARDSTICK_EFFORT)
        seconds.append(time.monotonic() - t0)
    return sorted(seconds)[len(seconds) // 2]


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    load = os.getloadavg()[0]
    return (f"{os.cpu_count()} cores, {cpu}, {mem:.0f} GiB, Python {platform.python_version()}, "
            f"{platform.system()}; 1-minute load average at the end {load:.2f}")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", nargs="+", default=list(SIZES), choices=list(SIZES))
    p.add_argument("--markdown", action="store_true", help="print the table as markdown (the default)")
    p.add_argument("--record", action="store_true", help="replace the engine section of benchmarks/RESULTS.md")
    p.add_argument("--yardstick", action="store_true", help="only measure this machine's speed (see yardstick())")
    a = p.parse_args()
    compile_bytecode()
    if a.yardstick:
        print(f"yardstick: {yardstick():.2f} s (small-city, effort {YARDSTICK_EFFORT:g}, in process)")
        return
    speed = yardstick()
    rows = [r for size in a.sizes for r in measure(size)]
    table = "\n".join([HEADER, *map(_line, rows)])
    print(table)
    if a.record:
        record(table, rows, speed)


def compile_bytecode() -> None:
    """Compile the package's bytecode first, as an installed package has it: where the environment
    forbids writing it (``PYTHONDONTWRITEBYTECODE``, set on the machines here), every command would
    otherwise compile the package's sources again (measured: ~0.2 s of a small city's ~2.5 s)."""
    import compileall

    import workbench

    compileall.compile_dir(Path(workbench.__file__).parent, quiet=1)
    compileall.compile_file(str(ROOT / "workbench_cli.py"), quiet=1)


def record(table: str, rows: list[Row], speed: float) -> None:
    results = ROOT / "benchmarks" / "RESULTS.md"
    text = results.read_text()
    start = text.index("## Engine")
    end = text.find("\n## ", start + 1)
    met = sum(r.meets() for r in rows)
    aims = sum(not r.continuity_misses() for r in rows)
    section = (
        "## Engine: a family of cities per size\n\n"
        "Command: `python benchmarks/bench_solve.py --record`. Each row is one `workbench solve CITY --time-limit T` "
        "process (small 10 s, medium 30 s, large 120 s), seconds and peak memory of the whole command (small: "
        "the median of three runs; the package's bytecode compiled first, as an installed package has it). "
        "\"weighted ÷ bound\" is the priority-weighted sessions served over `objective_bound`, an upper bound on "
        "every schedule that keeps the hard rules (a min-cost-flow relaxation, tightened by an LP by column "
        "generation where affordable and, per week, by the citizens' and the volunteers' sides and, where every "
        "triple is a candidate, by each day's free minutes; see `workbench/engine/bound.py`). Cities come from "
        "the project's generator "
        "with the knob presets of `workbench.scenario.generate.PRESETS` and from `benchmarks/alien_city.py`, a "
        "generator that shares nothing with it. \"without continuity aim\" is the same command with "
        "`--weight continuity=0` (medium and large; small rows repeat the first run): what keeping one visiting "
        "friend per request costs in weighted sessions, and the continuity it buys.\n\n"
        f"Machine: {machine()}; yardstick {speed:.2f} s (a fixed amount of the engine's work: small-city with "
        f"`effort={YARDSTICK_EFFORT:g}`, in process; `--yardstick` measures it alone). Run on "
        f"{time.strftime('%Y-%m-%d')}.\n\n{table}\n\n"
        f"{met} of {len(rows)} cities meet their size's target (small: OPTIMAL in under 2 s; medium: ≥ 0.975 in "
        "≤ 30 s; large: ≥ 0.95 in ≤ 120 s and ≤ 2 GB; medium and large with the contract's +1 s past their "
        f"limit). {aims} of {len(rows)} meet the issue's continuity aims (every size: not below the baseline's "
        f"continuity; medium: at least {CONTINUITY_MEDIUM:.0%}, at a loss of at most {AIM_LOSS_MEDIUM:.1%} of "
        "weighted sessions against the run without the aim).\n"
    )
    results.write_text(text[:start] + section + (text[end:] if end != -1 else ""))


if __name__ == "__main__":
    main()
