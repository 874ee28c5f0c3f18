"""The ``workbench`` command line (contract section 5).

::

    workbench solve SCENARIO --out DIR [--time-limit S] [--method cpsat|greedy] [--seed N] [--previous CSV]
    workbench validate SCENARIO SCHEDULE.csv
    workbench generate --out DIR [--volunteers N] [--citizens N] [--weeks N] [--seed N]
    workbench check SCENARIO
    workbench experiment SPEC.toml --out DIR

Exit codes: 0 success; 1 a schedule breaks a hard rule (``validate``); 2 invalid
input (every problem on stderr, naming file, row and column; never a traceback).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path


def _process_age() -> float:
    """Seconds this command has run: since the package began loading, plus the interpreter's start-up.

    Not the process's start time from /proc: a shell runs the last command of
    ``a && b && workbench ...`` by exec, in a process that may have started long before.
    """
    from . import _LOADED_AT

    return time.monotonic() - _LOADED_AT + 0.1


def _err(*lines: object) -> None:
    for line in lines:
        print(line, file=sys.stderr)


def _print_input_error(exc: Exception) -> int:
    from .errors import InputError

    if isinstance(exc, InputError):
        _err(f"error: {len(exc.problems)} problem(s) in the input:")
        _err(*(f"  {p}" for p in exc.problems))
    else:
        _err(f"error: {exc}")
    return 2


def _load(path: str):  # -> Scenario
    from .datasets import resolve
    from .scenario.read import load

    scenario = load(resolve(path))
    for w in scenario.warnings:
        _err(f"warning: {w}")
    return scenario


def _inside(child: Path, parent: Path) -> bool:
    try:
        child.resolve().relative_to(parent.resolve())
        return True
    except ValueError:
        return False


def _parse_weights(items: Sequence[str]) -> dict[str, int]:
    from .objective import Weights

    out: dict[str, int] = {}
    known = set(Weights().as_dict())
    for item in items:
        name, _, value = item.partition("=")
        if name not in known or not value.lstrip("-").isdigit():
            raise ValueError(f"--weight {item!r}: expected NAME=INTEGER with NAME one of {', '.join(sorted(known))}")
        out[name] = int(value)
    return out


def cmd_solve(args: argparse.Namespace) -> int:
    from .errors import InputError
    from .solver import solve
    from .timeutil import parse_date
    from .validate import read_schedule, validate

    scenario_path, out = Path(args.scenario), Path(args.out)
    if scenario_path.is_dir() and _inside(out, scenario_path):
        _err(f"error: --out {out} lies inside the scenario folder {scenario_path}; the scenario is never written to")
        return 2
    try:
        weights = _parse_weights(args.weight or [])
        keep_before = None
        if args.keep_before:
            keep_before = parse_date(args.keep_before)
            if keep_before is None or not args.previous:
                raise ValueError("--keep-before needs a date YYYY-MM-DD and --previous SCHEDULE.csv")
        scenario = _load(args.scenario)
        previous = read_schedule(args.previous) if args.previous else None
    except (InputError, ValueError) as exc:
        return _print_input_error(exc)
    limit = None
    if args.time_limit is not None:
        # Whole-command budget: what start-up and loading used is gone, and writing
        # and re-checking the output need a moment at the end.
        # Writing and re-checking take about as long as the solver's own final check.
        # (measured: ~4.5 s for 21,000 demanded sessions).
        limit = max(0.2, args.time_limit - _process_age() - 0.3 - 2.5e-4 * float(scenario.demand().sum()))
    try:
        result = solve(scenario, method=args.method, time_limit=limit, weights=weights, previous=previous,
                       seed=args.seed, workers=args.workers, keep_before=keep_before)
    except InputError as exc:  # e.g. a kept past session that no longer keeps the rules
        return _print_input_error(exc)
    paths = result.write(out)
    broken = validate(scenario, read_schedule(paths[0]))
    if args.verbose:
        _err(f"wrote and re-checked the output at {_process_age():.2f}s")
    if broken:
        _err("error: the written schedule breaks hard rules (please report this):", *(f"  {v}" for v in broken))
        return 1
    k = result.kpis
    print(f"{result.status}: served {k['served_sessions']} of {k['demand_sessions']} sessions "
          f"(coverage {k['coverage']:.1%}, weighted {k['weighted_coverage']:.1%}); "
          f"objective {result.objective:g}" + (f", bound {result.bound:g}" if result.bound is not None else "")
          + f"; {len(result.unassigned)} unassigned rows; wrote {out}")
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    from .errors import InputError
    from .validate import read_schedule, validate

    try:
        scenario = _load(args.scenario)
        schedule = read_schedule(args.schedule)
    except InputError as exc:
        return _print_input_error(exc)
    broken = validate(scenario, schedule)
    for v in broken:
        print(v)
    if broken:
        print(f"{len(broken)} violation(s) of the hard rules in {len(schedule)} sessions")
        return 1
    print(f"valid: {len(schedule)} sessions keep all 14 hard rules")
    return 0


def cmd_generate(args: argparse.Namespace) -> int:
    from ._atomic import OverwriteRefused
    from .scenario.generate import generate
    from .scenario.write import save

    try:
        scenario = generate(args.volunteers, args.citizens, args.weeks, seed=args.seed, name=args.name)
        save(scenario, args.out, overwrite=args.force)
    except (OverwriteRefused, ValueError) as exc:
        return _print_input_error(exc)
    print(f"wrote {args.out}: {len(scenario.volunteers)} volunteers, {len(scenario.citizens)} citizens, "
          f"{len(scenario.requests)} requests, {int(scenario.demand().sum())} sessions demanded over "
          f"{scenario.settings.weeks} weeks")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from .errors import InputError

    try:
        scenario = _load(args.scenario)
    except InputError as exc:
        return _print_input_error(exc)
    print(f"valid scenario {scenario.name!r}: {len(scenario.volunteers)} volunteers, {len(scenario.citizens)} "
          f"citizens, {len(scenario.requests)} requests, {int(scenario.demand().sum())} sessions demanded, "
          f"{len(scenario.warnings)} warning(s)")
    return 0


_SCENARIO_HELP = ("scenario folder or .xlsx workbook; where no such path exists, the name of a bundled dataset "
                  "(demo, demo.xlsx, city-medium, city-large)")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="workbench", description="Volunteer-to-citizen visit scheduling.")
    p.add_argument("--debug", action="store_true", help="show a traceback on internal errors")
    p.add_argument("-v", "--verbose", action="store_true", help="log the solver's progress and timings to stderr")
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("solve", help="make a schedule")
    s.add_argument("scenario", help=_SCENARIO_HELP)
    s.add_argument("--out", required=True, help="folder for schedule.csv, unassigned.csv, kpis.json")
    s.add_argument("--time-limit", type=float, default=None, help="seconds for the whole command")
    s.add_argument("--method", choices=("cpsat", "greedy"), default="cpsat")
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--workers", type=int, default=None, help="weeks solved side by side (default: cores)")
    s.add_argument("--previous", help="an agreed schedule.csv to change as little as possible")
    s.add_argument("--keep-before", metavar="YYYY-MM-DD", help="with --previous: keep its sessions before this "
                   "date exactly and plan nothing new before it (re-planning part-way through)")
    s.add_argument("--weight", action="append", metavar="NAME=INT", help="objective weight, e.g. travel=5")
    s.set_defaults(func=cmd_solve)

    v = sub.add_parser("validate", help="check a schedule against the 14 hard rules")
    v.add_argument("scenario", help=_SCENARIO_HELP)
    v.add_argument("schedule")
    v.set_defaults(func=cmd_validate)

    g = sub.add_parser("generate", help="generate a realistic scenario")
    g.add_argument("--out", required=True)
    g.add_argument("--volunteers", type=int, default=40)
    g.add_argument("--citizens", type=int, default=80)
    g.add_argument("--weeks", type=int, default=2)
    g.add_argument("--seed", type=int, default=0)
    g.add_argument("--name", default=None)
    g.add_argument("--force", action="store_true", help="replace existing scenario files")
    g.set_defaults(func=cmd_generate)

    c = sub.add_parser("check", help="read and check a scenario, print its warnings")
    c.add_argument("scenario", help=_SCENARIO_HELP)
    c.set_defaults(func=cmd_check)

    try:
        from .experiments import cli as experiments_cli
    except ImportError:  # pragma: no cover - the experiments extra is missing
        experiments_cli = None
    if experiments_cli is not None:
        experiments_cli.add_parser(sub)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.verbose:
        import logging

        logging.basicConfig(level=logging.DEBUG, format="%(relativeCreated)8.0f ms  %(message)s")
        logging.getLogger("workbench").setLevel(logging.DEBUG)
    try:
        return int(args.func(args))
    except KeyboardInterrupt:
        _err("interrupted")
        return 130
    except Exception as exc:  # an internal error: say so plainly, no traceback unless asked
        if args.debug:
            raise
        from .extras import missing_extra_message

        missing = missing_extra_message(exc) if isinstance(exc, ImportError) else None
        if missing:  # an optional part that is not installed: say which extra brings it
            from .contract import EXIT_UNEXPECTED

            _err(f"error: {missing}")
            return EXIT_UNEXPECTED
        _err(f"internal error: {type(exc).__name__}: {exc} (run with --debug for details)")
        return 1


if __name__ == "__main__":
    sys.exit(main())
