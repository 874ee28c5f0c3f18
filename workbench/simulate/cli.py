"""``workbench simulate SCENARIO --weeks N --out DIR [options]``: the waiting list over months.

The main CLI (``workbench/cli.py``) calls :func:`add_parser` to register the
sub-command and runs it as ``run(args, ctx.interrupts)``. Exit codes: 0 the
simulation ran (also when a first Ctrl-C cut it short: the weeks done are
written, ``interrupted`` is true in simulation.json); 2 the scenario, a
parameter or an option is invalid (every problem on stderr, no traceback;
nothing is written); 3 the research extra (lifelines) is missing; 130 a second
Ctrl-C (the output folder is left as it was). The scenario is read, never written.
"""

from __future__ import annotations

import argparse
import math
import signal
import sys
import threading
import tomllib
from pathlib import Path
from typing import Any

from ..objective import Weights
from .params import MAX_WEEKS, ParameterError

# Flags carrying a Parameters field: flag name = field name with dashes.
_RATE_FLAGS = ("referrals_per_week", "recruits_per_week")
_HAZARD_FLAGS = ("match_end_hazard", "waiting_leave_hazard", "volunteer_leave_hazard", "heavy_load_leave_hazard")


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register ``simulate`` on an ``argparse`` sub-parsers object; return its parser."""
    p = subparsers.add_parser(
        "simulate",
        help="simulate the waiting list week by week: referrals, matches, volunteer turnover",
        description="Simulate the programme of SCENARIO for N weeks: each week citizens are referred, volunteers "
        "join and leave, matches end, and the engine plans the week, keeping running matches. Writes tidy tables, "
        "Kaplan–Meier waiting-time figures and interactive figures into DIR. Rates are expected counts per week, "
        "hazards weekly probabilities.",
        epilog="example: workbench simulate datasets/city-medium --weeks 52 --out out/sim --referrals-per-week 12 "
        "--policy 'recruit={count=10, languages=[\"ar\"], district=\"Gellerup\"}'",
    )
    p.add_argument("scenario", metavar="SCENARIO", help="scenario folder or .xlsx workbook (never written to)")
    p.add_argument("--weeks", required=True, metavar="N", help=f"weeks to simulate (1..{MAX_WEEKS})")
    p.add_argument("--out", required=True, metavar="DIR", help="folder for the tables, summary and figures")
    p.add_argument("--seed", default="0", metavar="S", help="random seed: the same seed gives the same simulation")
    p.add_argument("--method", choices=("greedy", "cpsat"), default="greedy",
                   help="how each week is planned: greedy (the coordinator's way, fast; default) or cpsat")
    p.add_argument("--effort-per-week", metavar="E", default=None,
                   help="cpsat: deterministic work per week (about seconds on a typical core; reproducible on any "
                   "machine). Default 10 when --time-limit-per-week is not given")
    p.add_argument("--time-limit-per-week", metavar="T", default=None,
                   help="cpsat: wall-clock seconds per week instead (results then depend on the machine)")
    g = p.add_argument_group("programme dynamics")
    g.add_argument("--referrals-per-week", metavar="R", default=None,
                   help="new citizens referred per week (default: as many as matches end, so the caseload keeps "
                   "its size)")
    g.add_argument("--recruits-per-week", metavar="R", default=None,
                   help="volunteers joining per week (default: as many as leave)")
    g.add_argument("--match-end-hazard", metavar="H", default=None,
                   help="weekly probability that a matched citizen no longer needs visits (default 0.02)")
    g.add_argument("--waiting-leave-hazard", metavar="H", default=None,
                   help="weekly probability that a waiting citizen leaves the list (default 0)")
    g.add_argument("--volunteer-leave-hazard", metavar="H", default=None,
                   help="weekly probability that a volunteer stops (default 0.015)")
    g.add_argument("--heavy-load-sessions", metavar="N", default=None,
                   help="a week with at least N sessions counts as heavy ...")
    g.add_argument("--heavy-load-leave-hazard", metavar="H", default=None,
                   help="... and the volunteer then leaves with this weekly probability")
    g.add_argument("--lockdown-weeks", metavar="FIRST-LAST", action="append", default=[],
                   help="weeks (0-based, inclusive) of a lock-down: visits become calls (repeatable)")
    g.add_argument("--policy", metavar="KIND=VALUE", action="append", default=[],
                   help="a what-if applied from week 0 and to everyone who arrives, e.g. phone_share=1.0, "
                   "travel_radius=1.5, second_visit=5, 'recruit={count=10, languages=[\"ar\"], district=\"Gellerup\"}' "
                   "(repeatable; see workbench.whatif)")
    p.add_argument("--weight", metavar="NAME=INT", action="append", default=[],
                   help="an objective weight for every week's plan, e.g. continuity=0 (repeatable; "
                   "see workbench.Weights)")
    p.add_argument("--no-figures", action="store_true", help="write the tables only")
    p.add_argument("--min-group", default="10", metavar="N",
                   help="groups with fewer people are pooled as 'other' in figures and group tables (default 10)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=run)
    return p


def _error(*lines: str) -> int:
    if len(lines) > 1:
        print(f"workbench simulate: {len(lines)} problems:", file=sys.stderr)
        for line in lines:
            print(f"  {line}", file=sys.stderr)
    else:
        print(f"workbench simulate: error: {lines[0]}", file=sys.stderr)
    return 2


def _number(text: str | None, flag: str, problems: list[str], *, whole: bool = False) -> Any:
    if text is None:
        return None
    try:
        value = int(text) if whole else float(text)
    except ValueError:
        problems.append(f"{flag}: expected {'a whole number' if whole else 'a number'}, got {text!r}")
        return None
    if not whole and not math.isfinite(value):
        problems.append(f"{flag}: expected a finite number, got {text!r}")
        return None
    return value


def _flag(problem: str) -> str:
    """A Parameters problem ("referrals_per_week: ...") in the command line's words ("--referrals-per-week: ...")."""
    name, sep, rest = problem.partition(": ")
    names = [n.strip() for n in name.split(" and ")]
    return " and ".join(f"--{n.replace('_', '-')}" for n in names) + sep + rest if sep else problem


def _policies(items: list[str], problems: list[str]) -> list[tuple[str, Any]]:
    from .. import whatif

    out = []
    for item in items:
        kind, sep, text = item.partition("=")
        kind = kind.strip()
        if not sep:
            problems.append(f"--policy {item!r}: expected KIND=VALUE such as phone_share=1.0")
            continue
        if kind not in whatif.MODIFICATIONS:
            problems.append(f"--policy {kind}: unknown; known: {', '.join(whatif.ORDER)}")
            continue
        try:
            value = tomllib.loads(f"v = {text}")["v"]
        except tomllib.TOMLDecodeError:
            value = text  # not a TOML value: kept as text, and the check below says what was expected
        try:
            whatif.check_parameter(kind, value)
        except ValueError as e:
            problems.append(f"--policy {e}")
            continue
        out.append((kind, value))
    return out


def parse_options(args: argparse.Namespace) -> tuple[dict[str, Any], list[str]]:
    """The simulation's settings from the options, and every problem found (none are fatal alone)."""
    from .params import Parameters

    problems: list[str] = []
    weeks = _number(args.weeks, "--weeks", problems, whole=True)
    seed = _number(args.seed, "--seed", problems, whole=True)
    effort = _number(args.effort_per_week, "--effort-per-week", problems)
    limit = _number(args.time_limit_per_week, "--time-limit-per-week", problems)
    min_group = _number(args.min_group, "--min-group", problems, whole=True)
    for flag, value in (("--effort-per-week", effort), ("--time-limit-per-week", limit)):
        if value is not None and value <= 0:
            problems.append(f"{flag}: expected a positive number, got {value:g}")
    if args.method == "greedy" and (effort is not None or limit is not None):
        problems.append("--effort-per-week and --time-limit-per-week apply to --method cpsat; greedy weeks need none")
    if min_group is not None and min_group < 1:
        problems.append(f"--min-group: expected a whole number ≥ 1, got {min_group}")
    fields: dict[str, Any] = {}
    for name in (*_RATE_FLAGS, *_HAZARD_FLAGS):
        value = _number(getattr(args, name), f"--{name.replace('_', '-')}", problems)
        if value is not None:
            fields[name] = value
    heavy = _number(args.heavy_load_sessions, "--heavy-load-sessions", problems, whole=True)
    if heavy is not None:
        fields["heavy_load_sessions"] = heavy
    ranges = []
    for item in args.lockdown_weeks:
        first, sep, last = item.partition("-")
        try:
            ranges.append((int(first), int(last if sep else first)))
        except ValueError:
            problems.append(f"--lockdown-weeks: expected FIRST-LAST such as 10-17 (0-based weeks), got {item!r}")
    fields["lockdown_weeks"] = tuple(ranges)
    policies = _policies(args.policy, problems)
    weights, weight_problems = Weights.parse(args.weight)
    problems += weight_problems
    params = None
    if weeks is not None:
        try:
            params = Parameters(weeks=weeks, **fields)
        except ParameterError as e:
            problems += [_flag(p) for p in e.problems]
    return {"parameters": params, "seed": seed, "effort_per_week": effort, "time_limit_per_week": limit,
            "policies": policies, "min_group": min_group, "weights": weights}, problems


class Interrupts:
    """What Ctrl-C does while ``simulate`` runs on its own (``python -m workbench.simulate.cli``).

    ``phase`` "starting" (reading, checking): Ctrl-C aborts, nothing written. "searching"
    (simulating): the first Ctrl-C ends the simulation after the week being planned and the
    weeks so far are written; a second aborts. "writing": the first lets the writing finish, a
    second aborts, unless the new set is already going in (``committed``): then it finishes,
    never half a set. A process started with SIGINT ignored (a background job) keeps ignoring
    it. The main command line (``workbench simulate``) passes its own object with the same
    ``stop``, ``phase`` and ``committed`` instead.
    """

    def __init__(self) -> None:
        self.stop = threading.Event()
        self.phase = "starting"
        self.committed = False
        self._heard = False
        self._previous: Any = None

    def __enter__(self) -> Interrupts:
        if threading.current_thread() is threading.main_thread() and \
                signal.getsignal(signal.SIGINT) is signal.default_int_handler:
            self._previous = signal.signal(signal.SIGINT, self._handle)
        return self

    def _handle(self, signum: int, frame: Any) -> None:
        if self.committed:
            return
        if self.phase in ("searching", "writing") and not self._heard:
            self._heard = True
            self.stop.set()
            what = ("finishing this week, then writing the weeks simulated so far" if self.phase == "searching"
                    else "writing the result")
            print(f"\ninterrupted: {what} (Ctrl-C again to abort without writing)", file=sys.stderr)
            return
        raise KeyboardInterrupt

    def __exit__(self, *exc: object) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)


def _in_worker(fn: Any, stop: threading.Event) -> Any:
    """Run ``fn()`` in a thread while this (main) thread stays free for signals; return its value.

    An abort (KeyboardInterrupt here) asks the work to stop and gives it a moment to return, so
    nothing is ever raised inside the solver and no solver thread is left running at exit.
    """
    done = threading.Event()
    box: dict[str, Any] = {}

    def work() -> None:
        try:
            box["value"] = fn()
        except BaseException as e:  # handed to the main thread
            box["error"] = e
        finally:
            done.set()

    threading.Thread(target=work, name="workbench-simulate", daemon=True).start()
    try:
        while not done.wait(0.2):
            pass
    except KeyboardInterrupt:
        stop.set()
        done.wait(10.0)
        raise
    if "error" in box:
        raise box["error"]
    return box["value"]


def run(args: argparse.Namespace, interrupts: Any = None) -> int:
    """Execute the sub-command; return the exit code.

    ``interrupts``: the caller's signal state (``stop``, ``phase``, ``committed``), e.g. the main
    command line's; by default this command handles Ctrl-C itself (see :class:`Interrupts`).
    """
    if interrupts is None:
        with Interrupts() as own:
            return run(args, own)
    from .. import whatif
    from ..errors import InputError
    from ..scenario.read import load

    try:
        import lifelines  # noqa: F401 - checked before hours of simulating, not after
    except ImportError as e:
        from ..extras import missing_extra_message

        print(f"workbench simulate: {missing_extra_message(e) or e}", file=sys.stderr)
        return 3
    options, problems = parse_options(args)
    scenario_path, out = Path(args.scenario), Path(args.out)
    if out.exists() and not out.is_dir():
        problems.append(f"--out: {out} exists and is not a folder")
    elif scenario_path.is_dir() and out.resolve().is_relative_to(scenario_path.resolve()):
        problems.append(f"--out: {out} lies inside the scenario folder {scenario_path}; the scenario is never "
                        "written to")
    scenario = None
    try:
        scenario = load(scenario_path)
    except InputError as e:
        problems += [str(p) for p in e.problems]
    except (OSError, ValueError) as e:
        problems.append(f"{scenario_path}: {e}")
    if problems:
        return _error(*problems)
    assert scenario is not None
    for w in scenario.warnings:
        print(f"warning: {w}", file=sys.stderr)
    seed = options["seed"]
    try:
        scenario = whatif.apply(scenario, options["policies"], seed)
    except (ValueError, InputError) as e:  # e.g. recruit into a district nobody lives in
        return _error(f"--policy: {e}")

    from .metrics import summary
    from .model import simulate
    from .output import write

    interrupts.phase = "searching"
    sim = _in_worker(lambda: simulate(
        scenario, options["parameters"], seed=seed, method=args.method, effort_per_week=options["effort_per_week"],
        time_limit_per_week=options["time_limit_per_week"], progress=not args.no_progress, stop=interrupts.stop,
        weights=options["weights"] or None),
        interrupts.stop)
    if sim.weeks_done == 0:
        print("interrupted before the first week was planned; nothing written", file=sys.stderr)
        return 130
    interrupts.phase = "writing"
    provenance = {"scenario_path": str(scenario_path.resolve()),
                  "policies": [{"kind": k, "value": v} for k, v in options["policies"]],
                  "weights": options["weights"]}
    try:
        write(sim, out, figures=not args.no_figures, min_group=options["min_group"], provenance=provenance,
              on_commit=lambda: setattr(interrupts, "committed", True))
    except OSError as e:
        return _error(f"--out: cannot write to {out}: {e}")
    _report(sim, summary(sim, options["min_group"]), out)
    return 0


def _share(x: Any) -> str:
    return "–" if x is None else f"{x:.0%}"


def _report(sim: Any, s: dict[str, Any], out: Path) -> None:
    p = sim.parameters
    lines = [
        f"{'interrupted after' if sim.interrupted else 'simulated'} {sim.weeks_done} of {p.weeks} weeks "
        f"({sim.method}, seed {sim.seed}): {s['referrals']} referrals ({p.referrals_per_week:.3g}/week), "
        f"{s['volunteers_joined']} volunteers joined, {s['volunteers_left']} left",
        f"matched within 4/8/12 weeks (Kaplan–Meier): {_share(s['matched_within_4w'])} / "
        f"{_share(s['matched_within_8w'])} / {_share(s['matched_within_12w'])}; median wait "
        + ("not reached" if s["median_wait_weeks"] is None else f"{s['median_wait_weeks']:.1f} weeks"),
        f"waiting list: {s['final_waiting']} at the end (mean {s['mean_waiting']:.1f}, max {s['max_waiting']}); "
        f"coverage {_share(s['coverage'])}",
    ]
    if s.get("gap") is not None:
        who = "optimiser" if sim.method == "cpsat" else "greedy weeks"
        lines.append(f"{who}: {s['weeks_optimal']} of {sim.weeks_done} weeks proven optimal; "
                     f"{s['gap']:.2%} below the weeks' proven bounds (largest week {s['max_week_gap']:.2%})")
    lines.append(f"wrote {out}")
    print("\n".join(lines))


def main(argv: list[str] | None = None) -> int:
    """Stand-alone entry (``python -m workbench.simulate.cli SCENARIO --weeks N --out DIR``)."""
    parser = argparse.ArgumentParser(prog="workbench")
    add_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["simulate", *(sys.argv[1:] if argv is None else argv)])
    try:
        return run(args)
    except KeyboardInterrupt:
        print("aborted; nothing written", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
