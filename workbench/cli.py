"""The ``workbench`` command line (contract section 5).

::

    workbench solve SCENARIO --out DIR [--time-limit S] [--method cpsat|greedy] [--seed N] [--workers N]
                    [--previous SCHEDULE.csv [--keep-before YYYY-MM-DD]] [--weight NAME=INT ...]
    workbench validate SCENARIO SCHEDULE.csv
    workbench generate --out DIR [--volunteers N] [--citizens N] [--weeks N] [--seed N] [--name NAME] [--force]
    workbench check SCENARIO
    workbench experiment SPEC.toml --out DIR

``-v`` logs each step with the seconds since the command started; ``--debug`` adds
the traceback to an unexpected error. Both may be given before or after the command.

Exit codes, for every command:

====  ==========================================================================
0     done (``solve``: wrote a schedule that its re-check found valid)
1     ``validate`` found broken hard rules (only ``validate`` uses 1)
2     bad input or arguments: every problem on stderr, found before any solving
3     anything unexpected: one line naming what failed (the traceback with --debug);
      ``experiment``: some of its runs failed
130   interrupted (see signals); nothing written
====  ==========================================================================

Outputs. ``solve`` publishes DIR/schedule.csv, unassigned.csv and kpis.json as one
set after re-reading them and validating the schedule against the 14 hard rules;
see :mod:`workbench.outputs` for the exact guarantee (a reader never sees files of
two runs; a failed, interrupted or killed run leaves DIR as it was; two runs into
one DIR take turns). ``generate`` publishes its scenario folder the same way.

Signals (``solve``):

* Ctrl-C (SIGINT) while searching: the search stops and the best valid schedule found
  so far is written, with ``"interrupted": true`` in kpis.json; exit 0. A second
  Ctrl-C aborts at once: exit 130, DIR as it was. Before the search (start-up,
  loading) one Ctrl-C aborts the same way. Once writing has begun, a first Ctrl-C
  lets it finish; a second aborts (DIR as it was).
* SIGTERM and SIGHUP abort at once, like a second Ctrl-C (exit 130, DIR as it was).
  One more signal while an abort tidies up ends the process on the spot (DIR is
  still whole; a leftover beside it goes at the next run).
* A signal that comes while the new set is being swapped in (a few milliseconds)
  cannot undo it: the command finishes, says so, and exits 0, since DIR changed.
* A signal that was ignored when the command started (a background job of a script
  ignores SIGINT; ``nohup`` ignores SIGHUP) stays ignored.
* Signals are only ever handled in the main thread, which waits for loading and
  solving running in worker threads; nothing is raised inside the solver.

The other commands end with 130 on Ctrl-C, SIGTERM or SIGHUP, and leave their
outputs as they were.

Time limit. ``--time-limit`` bounds the whole command, from the interpreter's start:
loading is timed; the time for re-checking and writing is estimated from the
scenario's demand (rates measured by ``benchmarks/bench_cli.py``); the solver gets
what is left, and is asked to stop when that is over. If loading leaves no time, the
command says how long loading took and exits 2, DIR untouched.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import logging
import math
import os
import signal
import stat
import sys
import threading
import time
import traceback
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from . import outputs
from .contract import EXIT_BAD_INPUT, EXIT_INTERRUPTED, EXIT_OK, EXIT_RULES_BROKEN, EXIT_UNEXPECTED, OUTPUT_FILES
from .errors import InputError

log = logging.getLogger("workbench.cli")

MAX_TIME_LIMIT = 30 * 24 * 3600.0  # a month: beyond, a typo rather than a plan
MAX_SEED = 2**31 - 1  # CP-SAT's random seed is a 32-bit integer
MAX_WORKERS = 256
# Finishing after the search (re-reading and validating the written schedule, writing, the
# swap, fsyncs, the interpreter's exit) grows with the sessions. benchmarks/bench_cli.py measures
# it on the bundled datasets. Since the checker's speed-up (measured 2026-12-02 alone on the
# machine, from the command's -v lines to its exit): 0.8-0.95 s for city-large (21,238 demanded),
# 1.2 s for large-retirees (21,254), 1.25 s for large-alien (28,862): about 4.5e-5 a session; the
# estimate is about twice that, for loaded machines; the contract's extra second covers the rest.
FINISH_PER_SESSION = 1.0e-4
FINISH_FIXED = 0.3
STOP_GRACE = 0.1  # past its budget, the solver is asked to stop (it should have returned by then)
START_UP_FALLBACK = 0.1  # not started through the entry point: a typical interpreter start-up before the package


class Aborted(KeyboardInterrupt):
    """The command was aborted by a signal; ``name`` says which."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


class _Fail(Exception):
    """A known way for a command to end: an exit code and the lines to print on stderr."""

    def __init__(self, code: int, *lines: str) -> None:
        super().__init__(lines[0] if lines else "")
        self.code = code
        self.lines = lines


# --------------------------------------------------------------------------- signals


def _write_stderr(text: str) -> None:
    """Write from a signal handler: os.write, since the handler may run inside a print to stderr."""
    with contextlib.suppress(OSError):
        os.write(2, text.encode())


class Interrupts:
    """What SIGINT, SIGTERM and SIGHUP do while a command runs (see the module docstring)."""

    def __init__(self) -> None:
        self.stop = threading.Event()  # asks the solver to stop and return its best schedule
        self.user_stop = False  # the stop came from the user (Ctrl-C), not from the time limit
        self.phase = "starting"  # starting | searching | writing
        self.aborting = False
        self.committed = False  # the new output is going in (set just before the swap): too late to abort
        self.late: str | None = None  # an abort that came after that
        self._before: dict[int, Any] = {}

    def install(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return
        for sig, handler in ((signal.SIGINT, self._on_sigint), (signal.SIGTERM, self._on_abort),
                             (getattr(signal, "SIGHUP", None), self._on_abort)):
            if sig is None:
                continue
            before = signal.getsignal(sig)
            if before is signal.SIG_IGN:  # ignored by whoever started us: stays so
                continue
            self._before[sig] = before
            signal.signal(sig, handler)

    def restore(self) -> None:
        """Put back the handlers found at install (for a caller that runs main() in-process)."""
        for sig, before in self._before.items():
            signal.signal(sig, before if before is not None else signal.SIG_DFL)
        self._before.clear()

    def _on_sigint(self, signum: int, frame: Any) -> None:
        if self.phase == "searching" and not self.user_stop:  # (the time limit may have set `stop` already)
            self.user_stop = True
            self.stop.set()
            _write_stderr("stopping the search; writing the best schedule found so far (Ctrl-C again to abort)\n")
            return
        if self.phase == "writing" and not self.user_stop:
            self.user_stop = True
            _write_stderr("writing the result; Ctrl-C again to abort (the output folder stays as it was)\n")
            return
        self._abort("Ctrl-C")

    def _on_abort(self, signum: int, frame: Any) -> None:
        self._abort(signal.Signals(signum).name)

    def _abort(self, name: str) -> None:
        if self.committed:  # the new set is going in; too late to keep the old one
            self.late = name
            return
        if self.aborting:  # the abort's own tidying takes too long for the user: end now (DIR is still whole)
            _write_stderr(f"{name} again: ending at once\n")
            os._exit(EXIT_INTERRUPTED)
        self.aborting = True
        raise Aborted(name)


# --------------------------------------------------------------------------- helpers


class _Worker(threading.Thread):
    """Runs a long step (loading, solving) off the main thread, so that the main thread stays free
    to handle signals at once, and nothing is ever raised inside the solver."""

    def __init__(self, name: str, fn: Callable[[], Any]) -> None:
        super().__init__(name=f"workbench-{name}", daemon=True)
        self.fn = fn
        self.value: Any = None
        self.error: BaseException | None = None
        # Not Thread.join/is_alive: a join interrupted by a signal handler's exception marks a
        # running thread as stopped (CPython's bpo-45274 handling), and exit would then wait for it.
        self.done = threading.Event()

    def run(self) -> None:
        try:
            self.value = self.fn()
        except BaseException as exc:  # handed to the main thread
            self.error = exc
        finally:
            self.done.set()

    def finish(self, until: float | None) -> bool:
        """Wait (handling signals) until done or ``until`` (monotonic); True when done."""
        while not self.done.is_set():
            left = None if until is None else until - time.monotonic()
            if left is not None and left <= 0:
                return False
            self.done.wait(0.25 if left is None else min(0.25, left))
        return True

    def result(self) -> Any:
        if self.error is not None:
            raise self.error
        return self.value


_WORKERS: list[_Worker] = []


def _start(name: str, fn: Callable[[], Any]) -> _Worker:
    worker = _Worker(name, fn)
    _WORKERS.append(worker)
    worker.start()
    return worker


def _err(*lines: object) -> None:
    for line in lines:
        print(line, file=sys.stderr)


def _input_error_lines(exc: InputError) -> list[str]:
    lines = [f"error: {len(exc.problems)} problem(s) in the input:"]
    lines += [f"  {p}" for p in exc.problems]
    return lines


def _warn(scenario: Any) -> None:
    for w in scenario.warnings:
        _err(f"warning: {w}")


def _inside(child: Path, parent: Path) -> bool:
    try:
        Path(os.path.realpath(child)).relative_to(os.path.realpath(parent))
        return True
    except ValueError:
        return False


def _out_problems(out: Path, scenario: Path | None, names: Sequence[str]) -> list[str]:
    """Why publishing into ``out`` cannot work (empty if it can); found before any work is done."""
    if os.path.lexists(out) and not out.is_dir():
        return [f"--out {out}: exists and is not a folder"]
    real = Path(os.path.realpath(out))
    if real.parent == real:
        return [f"--out {out}: the root folder cannot be an output folder"]
    if scenario is not None and scenario.exists():
        if scenario.is_dir() and _inside(out, scenario):
            return [f"--out {out}: lies inside the scenario folder {scenario}; the scenario is never written to"]
        if _inside(scenario, out):
            return [f"--out {out}: holds the scenario {scenario}; give the output a folder of its own"]
    if real.is_dir():
        if real == Path(os.path.realpath(os.getcwd())):
            return [f"--out {out}: is the current folder; workbench replaces the output folder as a whole "
                    f"when it writes, so give it a folder of its own (e.g. --out plan)"]
        if os.path.ismount(real):
            return [f"--out {out}: is a mount point, which cannot be replaced; use a folder inside it"]
        parent = real.parent.stat()
        if parent.st_mode & stat.S_ISVTX and real.stat().st_uid not in (os.geteuid(), parent.st_uid) \
                and os.geteuid() != 0:
            return [f"--out {out}: belongs to another user in a shared folder ({real.parent}), so it cannot be "
                    f"replaced; use a folder of your own"]
        for n in names:
            if (real / n).is_dir():
                return [f"--out {out}: {n} in it is a folder, where an output file belongs"]
    try:
        outputs.probe_writable(out)
    except OSError as exc:
        hint = ""
        if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
            hint = ("; workbench writes a new folder beside the output folder and swaps it in, which needs "
                    "write permission in both")
        return [f"--out {out}: cannot write there: {exc.filename or out}: {exc.strerror or exc}{hint}"]
    return []


def _readable_file(option: str, path: str) -> list[str]:
    p = Path(path)
    if not p.exists():
        return [f"{option} {path}: no such file"]
    if p.is_dir():
        return [f"{option} {path}: is a folder, not a file"]
    try:
        with open(p, "rb") as fh:
            fh.read(1)
    except OSError as exc:
        return [f"{option} {path}: cannot be read ({exc.strerror or exc})"]
    return []


def _age(started: float) -> float:
    return time.monotonic() - started


# --------------------------------------------------------------------------- solve


def _solve_problems(args: argparse.Namespace) -> tuple[list[str], dict[str, int], Any]:
    """Every argument that cannot work, found before anything is loaded."""
    from .objective import Weights
    from .timeutil import parse_date

    problems: list[str] = []
    tl = args.time_limit
    if tl is not None and not (math.isfinite(tl) and 0 < tl <= MAX_TIME_LIMIT):
        problems.append(f"--time-limit {args.time_limit:g}: expected the seconds the whole command may take, "
                        f"a number > 0 and at most {MAX_TIME_LIMIT:.0f} (30 days)")
    if not 0 <= args.seed <= MAX_SEED:
        problems.append(f"--seed {args.seed}: expected a whole number from 0 to {MAX_SEED}")
    if args.effort is not None and not (math.isfinite(args.effort) and 0 < args.effort <= MAX_TIME_LIMIT):
        problems.append(f"--effort {args.effort:g}: expected an amount of search work > 0 (about seconds of one "
                        f"core, counted as work so that the result does not depend on the machine)")
    if args.workers is not None and not 1 <= args.workers <= MAX_WORKERS:
        problems.append(f"--workers {args.workers}: expected a whole number from 1 to {MAX_WORKERS}")
    weights, weight_problems = Weights.parse(args.weight or [])
    problems += weight_problems
    if args.previous:
        problems += _readable_file("--previous", args.previous)
    keep_before = None
    if args.keep_before is not None:
        keep_before = parse_date(args.keep_before)
        if keep_before is None:
            problems.append(f"--keep-before {args.keep_before!r}: expected a date YYYY-MM-DD")
        if not args.previous:
            problems.append("--keep-before needs --previous SCHEDULE.csv (the agreed schedule whose past it keeps)")
    problems += _out_problems(Path(args.out), Path(args.scenario), OUTPUT_FILES)
    return problems, weights, keep_before


def _finish_estimate(demand: float) -> float:
    return FINISH_FIXED + FINISH_PER_SESSION * demand


def continuity_cost_line(kpis: Mapping[str, Any], bound: float | None) -> str | None:
    """What the continuity weight gave up (:func:`workbench.kpis.given_for_continuity`), in one line
    for the planner, or None if nothing; and whether it was the proven best possible (then the status
    reads ``FEASIBLE`` because the planner's weight chose friends over sessions, not for want of search)."""
    from .kpis import given_for_continuity

    given = given_for_continuity(kpis)
    if given <= 0:
        return None
    before = kpis["objective_before_continuity"]
    proven = bound is not None and before >= bound
    return (f"{given:g} of {before:g} weighted{' (the proven best possible)' if proven else ''} given up "
            "to keep one visiting friend per request, as the continuity weight allows (--weight continuity=0 gives "
            "up none)")


def cmd_solve(args: argparse.Namespace, ctx: _Context) -> int:
    from . import engine
    from .scenario import read
    from .validate import read_schedule

    problems, weights, keep_before = _solve_problems(args)
    if problems:
        raise _Fail(EXIT_BAD_INPUT, *(f"error: {p}" for p in problems))
    out = Path(args.out)
    limit = args.time_limit
    deadline = None if limit is None else ctx.started + limit

    ctx.phase = "loading the input"
    log.info("loading %s", args.scenario)
    t_load = time.monotonic()

    def load_both() -> tuple[Any, Any]:
        problems = []  # every problem of both inputs at once
        scenario = previous = None
        try:
            scenario = read.load(args.scenario)
        except InputError as exc:
            problems += exc.problems
        if args.previous:
            try:
                previous = read_schedule(args.previous)
            except InputError as exc:
                problems += exc.problems
        if problems:
            raise InputError(problems)
        return scenario, previous

    loader = _start("loading", load_both)
    if not loader.finish(deadline):
        raise _Fail(EXIT_BAD_INPUT, f"error: --time-limit {limit:g}: loading the input did not finish within the "
                                    f"limit (start-up took {t_load - ctx.started:.1f} s, loading "
                                    f"{time.monotonic() - t_load:.1f} s so far); nothing was solved and {out} is "
                                    f"as it was; give a longer --time-limit")
    try:
        scenario, previous = loader.result()
    except InputError as exc:
        raise _Fail(EXIT_BAD_INPUT, *_input_error_lines(exc)) from None
    except OSError as exc:
        raise _Fail(EXIT_BAD_INPUT, f"error: cannot read {exc.filename or args.scenario}: {exc.strerror or exc}") \
            from None
    load_seconds = time.monotonic() - t_load
    _warn(scenario)
    demand = float(scenario.demand().sum())
    finish = _finish_estimate(demand)
    log.info("loaded in %.2f s: %d sessions demanded; writing will need about %.2f s", load_seconds, demand, finish)

    budget = None
    if deadline is not None:
        budget = deadline - time.monotonic() - finish
        # The solver's own minimum for this scenario (its set-up grows with requests × volunteers):
        # a budget short of it by more than the contract's extra second would overrun the limit
        # rather than give a schedule (within it, the estimates' margins cover the difference).
        need = engine.minimum_seconds(scenario)
        if budget <= 0 or budget + 1.0 < need:
            raise _Fail(EXIT_BAD_INPUT, f"error: --time-limit {limit:g}: loading the input took {load_seconds:.1f} s "
                                        f"(the command had run {_age(ctx.started):.1f} s by then); the solver needs "
                                        f"about {need:.1f} s for {len(scenario.requests):,} requests × "
                                        f"{len(scenario.volunteers):,} volunteers whatever the limit, and re-checking "
                                        f"and writing the result about {finish:.1f} s more; nothing was solved and "
                                        f"{out} is as it was; give a --time-limit of at least "
                                        f"{math.ceil(_age(ctx.started) + need + finish + 1)} s")

    solve_from = _age(ctx.started)
    on_progress = _progress_logger() if ctx.verbose else None
    stop = ctx.interrupts.stop
    ctx.interrupts.phase = "searching"
    ctx.phase = "solving"
    log.info("solving with %s", "no time limit" if budget is None else f"{budget:.2f} s")
    search = _start("solving", lambda: engine.solve(
        scenario, method=args.method, time_limit=budget, effort=args.effort, weights=weights, previous=previous,
        seed=args.seed,
        workers=args.workers, on_progress=on_progress, stop=stop, keep_before=keep_before))
    if deadline is None:
        search.finish(None)
    elif not search.finish(deadline - finish + STOP_GRACE):
        # The solver was given `budget`; this is the safety net should it overrun.
        log.info("time is up: asking the search to stop")
        stop.set()
        if not search.finish(deadline + 1.0 - finish):
            raise _Fail(EXIT_UNEXPECTED, f"error: the solver did not stop within the time limit ({limit:g} s); "
                                         f"nothing was written and {out} is as it was (please report this)")
    ctx.interrupts.phase = "writing"
    try:
        result = search.result()
    except InputError as exc:  # e.g. a kept past session that no longer keeps the rules
        raise _Fail(EXIT_BAD_INPUT, *_input_error_lines(exc)) from None
    interrupted = ctx.interrupts.user_stop
    result.kpis["interrupted"] = interrupted
    log.info("search done (%s); re-checking and writing %s", result.status, out)

    ctx.phase = f"writing {out}"
    from .result import BrokenOutput

    wait = None if deadline is None else max(1.0, deadline + 1.0 - time.monotonic())
    try:
        result.write(out, scenario=scenario, wait=wait,
                     on_wait=lambda pid: _err(f"waiting for another workbench (pid {pid}) writing {out} ..."),
                     on_commit=lambda: setattr(ctx.interrupts, "committed", True))
    except BrokenOutput as exc:
        if ctx.debug:
            _err(*(f"  {v}" for v in exc.violations))
        raise _Fail(EXIT_UNEXPECTED, f"internal error: the new output did not pass its re-check ({exc}); nothing "
                                     f"was written and {out} is as it was (please report this)") from None
    except outputs.Busy as exc:
        raise _Fail(EXIT_UNEXPECTED, f"error: {exc}; nothing was written") from None
    except OSError as exc:
        raise _Fail(EXIT_UNEXPECTED, f"error: could not write {out}: {exc.strerror or exc} "
                                     f"({exc.filename or out}); {out} is as it was") from None
    log.info("wrote %s", out)
    ctx.outcome = EXIT_OK

    k = result.kpis
    print(f"{result.status}{' (interrupted: best so far)' if interrupted else ''}: served {k['served_sessions']} "
          f"of {k['demand_sessions']} sessions (coverage {k['coverage']:.1%}, weighted {k['weighted_coverage']:.1%}); "
          f"objective {result.objective:g}" + (f", bound {result.bound:g}" if result.bound is not None else "")
          + f"; {len(result.unassigned)} unassigned rows; wrote {out}")
    given = continuity_cost_line(k, result.bound)
    if given:
        print(f"  {given}")
    if k.get("baseline_cut_short") and not interrupted:
        enough = math.ceil(solve_from + engine.minimum_seconds(scenario, baseline=True) + finish + 1)
        finishes = f"about {enough} s let it finish, and " if enough > limit else ""
        _err(f"warning: --time-limit {limit:g} was too short for this scenario: even the quick baseline plan was cut "
             f"short, so sessions that could be served are left out; {finishes}a longer --time-limit serves more")
    if previous is not None:
        _print_moves(previous, result.forced)
    if ctx.interrupts.late:
        _err(f"{ctx.interrupts.late} came while the new output was going in; it is complete in {out}")
    return EXIT_OK


def _print_moves(previous: Any, forced: Any) -> None:
    """Which agreed sessions had to move in a re-plan, and the change that forced each."""
    if not len(forced):
        print(f"all {len(previous)} agreed sessions kept")
        return
    print(f"{len(forced)} of {len(previous)} agreed sessions had to change:")
    for row in forced.itertuples(index=False):
        print(f"  {row.request_id} ({row.citizen_id} with {row.volunteer_id}, {row.date} {row.start}-{row.end}, "
              f"{row.mode}): {row.reason}")


def _progress_logger() -> Callable[[Any], None]:
    """-v: log the search's progress, the first report at once, then at most twice a second."""
    last = [-math.inf]

    def report(p: Any) -> None:
        now = time.monotonic()
        if now - last[0] >= 0.5:
            last[0] = now
            bound = "none" if p.bound is None else f"{p.bound:g}"
            log.info("search: objective %g, bound %s (%s)", p.objective, bound, p.phase)

    return report


# --------------------------------------------------------------------------- validate, check, generate


def _load_or_fail(path: str, ctx: _Context) -> Any:
    from .scenario import read

    ctx.phase = "loading the input"
    loader = _start("loading", lambda: read.load(path))
    loader.finish(None)
    try:
        scenario = loader.result()
    except InputError as exc:
        raise _Fail(EXIT_BAD_INPUT, *_input_error_lines(exc)) from None
    except OSError as exc:
        raise _Fail(EXIT_BAD_INPUT, f"error: cannot read {exc.filename or path}: {exc.strerror or exc}") from None
    _warn(scenario)
    return scenario


def cmd_validate(args: argparse.Namespace, ctx: _Context) -> int:
    from .validate import read_schedule, validate

    problems = _readable_file("SCHEDULE", args.schedule)
    if problems:
        raise _Fail(EXIT_BAD_INPUT, *(f"error: {p}" for p in problems))
    scenario = _load_or_fail(args.scenario, ctx)
    try:
        schedule = read_schedule(args.schedule)
    except InputError as exc:
        raise _Fail(EXIT_BAD_INPUT, *_input_error_lines(exc)) from None
    ctx.phase = "validating"
    broken = validate(scenario, schedule)
    ctx.outcome = EXIT_RULES_BROKEN if broken else EXIT_OK
    for v in broken:
        print(v)
    if broken:
        print(f"{len(broken)} violation(s) of the hard rules in {len(schedule)} sessions")
        return EXIT_RULES_BROKEN
    print(f"valid: {len(schedule)} sessions keep all 14 hard rules")
    return EXIT_OK


def cmd_check(args: argparse.Namespace, ctx: _Context) -> int:
    scenario = _load_or_fail(args.scenario, ctx)
    ctx.outcome = EXIT_OK
    print(f"valid scenario {scenario.name!r}: {len(scenario.volunteers)} volunteers, {len(scenario.citizens)} "
          f"citizens, {len(scenario.requests)} requests, {int(scenario.demand().sum())} sessions demanded, "
          f"{len(scenario.warnings)} warning(s)")
    return EXIT_OK


GENERATE_LIMITS = {"volunteers": 100_000, "citizens": 200_000, "weeks": 520}


def _presets() -> list[str]:
    from .scenario.generate import PRESETS

    return list(PRESETS)


def _knobs(preset: str, items: Sequence[str]) -> tuple[Any, list[str]]:
    """The generator's knobs: a preset, then NAME=VALUE changes; every problem at once."""
    import dataclasses

    from .scenario.generate import PRESETS, Knobs

    problems = [] if preset in PRESETS else [f"--preset {preset!r}: expected one of {', '.join(PRESETS)}"]
    names = {f.name for f in dataclasses.fields(Knobs)}
    changes: dict[str, float] = {}
    for item in items:
        name, _, value = item.partition("=")
        try:
            number = float(value)
        except ValueError:
            number = math.nan
        if name not in names or not math.isfinite(number):
            problems.append(f"--knob {item!r}: expected NAME=NUMBER with NAME one of {', '.join(sorted(names))}")
        else:
            changes[name] = number
    if problems:
        return None, problems
    try:
        return dataclasses.replace(PRESETS[preset], **changes), []
    except ValueError as exc:
        return None, [f"--knob: {exc}"]


def cmd_generate(args: argparse.Namespace, ctx: _Context) -> int:
    from .contract import SETTINGS_FILE, TABLES
    from .scenario.generate import generate
    from .scenario.read import load
    from .scenario.write import save

    problems = [f"--{key} {getattr(args, key)}: expected a whole number from 1 to {hi:,}"
                for key, hi in GENERATE_LIMITS.items() if not 1 <= getattr(args, key) <= hi]
    knobs, knob_problems = _knobs(args.preset, args.knob or [])
    problems += knob_problems
    if not 0 <= args.seed <= MAX_SEED:
        problems.append(f"--seed {args.seed}: expected a whole number from 0 to {MAX_SEED}")
    out = Path(args.out)
    workbook = out.suffix.lower() == ".xlsx"
    names = [SETTINGS_FILE] + [f"{t}.csv" for t in TABLES]
    if workbook:
        if out.is_dir():
            problems.append(f"--out {out}: is a folder; a workbook is a file")
        elif out.exists() and not args.force:
            problems.append(f"--out {out}: exists; pass --force to replace it")
    else:
        problems += _out_problems(out, None, names)
        if not args.force and out.is_dir():
            problems += [f"--out {out}: {n} exists; pass --force to replace the scenario files"
                         for n in names if (out / n).exists()][:1]
    if problems:
        raise _Fail(EXIT_BAD_INPUT, *(f"error: {p}" for p in problems))
    ctx.phase = "generating"
    scenario = generate(args.volunteers, args.citizens, args.weeks, seed=args.seed, name=args.name, knobs=knobs)
    ctx.phase = f"writing {out}"
    try:
        if workbook:
            save(scenario, out, overwrite=args.force)
        else:
            outputs.publish(out, lambda folder: save(scenario, folder, overwrite=True), names,
                            check=lambda folder: load(folder), overwrite=args.force,
                            on_commit=lambda: setattr(ctx.interrupts, "committed", True))
    except outputs.OverwriteRefused as exc:
        raise _Fail(EXIT_BAD_INPUT, f"error: {exc}") from None
    except OSError as exc:
        raise _Fail(EXIT_UNEXPECTED, f"error: could not write {out}: {exc.strerror or exc} "
                                     f"({exc.filename or out}); {out} is as it was") from None
    ctx.outcome = EXIT_OK
    print(f"wrote {args.out}: {len(scenario.volunteers)} volunteers, {len(scenario.citizens)} citizens, "
          f"{len(scenario.requests)} requests, {int(scenario.demand().sum())} sessions demanded over "
          f"{scenario.settings.weeks} weeks")
    return EXIT_OK


def _experiment(run: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace, _Context], int]:
    """The experiment command, with its 'some runs failed' (1 there) as the contract's 3 (unexpected)."""

    def cmd(args: argparse.Namespace, ctx: _Context) -> int:
        ctx.phase = "running the experiment"
        code = run(args)
        return EXIT_UNEXPECTED if code == EXIT_RULES_BROKEN else code

    return cmd


# --------------------------------------------------------------------------- parser and main


class _Context:
    def __init__(self, started: float, verbose: bool, debug: bool) -> None:
        self.started = started
        self.verbose = verbose
        self.debug = debug
        self.phase = "starting"
        self.outcome: int | None = None  # the exit code once the work is done (printing may still fail)
        self.interrupts = Interrupts()


_SCENARIO_HELP = ("scenario folder or .xlsx workbook; where no such path exists, the name of a bundled dataset "
                  "(demo, demo.xlsx, city-medium, city-large)")


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                        help="show the traceback of an unexpected error")
    common.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS,
                        help="log each step, with the seconds since the command started, to stderr")
    p = argparse.ArgumentParser(prog="workbench", description="Volunteer-to-citizen visit scheduling.",
                                parents=[common])
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("solve", help="make a schedule", parents=[common])
    s.add_argument("scenario", help=_SCENARIO_HELP)
    s.add_argument("--out", required=True, help="folder for schedule.csv, unassigned.csv, kpis.json (replaced "
                   "as one set; other files in it are kept)")
    s.add_argument("--time-limit", type=float, default=None, metavar="SECONDS",
                   help="seconds for the whole command, loading and writing included")
    s.add_argument("--method", choices=("cpsat", "greedy"), default="cpsat")
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--effort", type=float, default=None, metavar="UNITS",
                   help="bound the search by work instead of time: the same scenario, seed and effort give the "
                        "same schedule on any machine (for research); --time-limit then only guards the command")
    s.add_argument("--workers", type=int, default=None, help="weeks solved side by side (default: cores)")
    s.add_argument("--previous", help="an agreed schedule.csv to change as little as possible")
    s.add_argument("--keep-before", metavar="YYYY-MM-DD", help="with --previous: keep its sessions before this "
                   "date exactly and plan nothing new before it (re-planning part-way through)")
    s.add_argument("--weight", action="append", metavar="NAME=INT", help="objective weight, e.g. travel=5")
    s.set_defaults(func=cmd_solve)

    v = sub.add_parser("validate", help="check a schedule against the 14 hard rules", parents=[common])
    v.add_argument("scenario", help=_SCENARIO_HELP)
    v.add_argument("schedule")
    v.set_defaults(func=cmd_validate)

    g = sub.add_parser("generate", help="generate a realistic scenario", parents=[common])
    g.add_argument("--out", required=True, help="scenario folder (or .xlsx workbook) to write")
    g.add_argument("--volunteers", type=int, default=40)
    g.add_argument("--citizens", type=int, default=80)
    g.add_argument("--weeks", type=int, default=2)
    g.add_argument("--seed", type=int, default=0)
    g.add_argument("--name", default=None)
    g.add_argument("--preset", default="city", help="the kind of city: " + ", ".join(_presets()))
    g.add_argument("--knob", action="append", metavar="NAME=VALUE",
                   help="change one assumption of the preset, e.g. area_scale=6 (see workbench.scenario.generate)")
    g.add_argument("--force", action="store_true", help="replace existing scenario files")
    g.set_defaults(func=cmd_generate)

    c = sub.add_parser("check", help="read and check a scenario, print its warnings", parents=[common])
    c.add_argument("scenario", help=_SCENARIO_HELP)
    c.set_defaults(func=cmd_check)

    try:
        from .experiments import cli as experiments_cli
    except ImportError:  # pragma: no cover - the experiments extra is missing
        experiments_cli = None
    if experiments_cli is not None:
        e = experiments_cli.add_parser(sub)
        e.set_defaults(func=_experiment(e.get_default("func")))
    from .simulate import cli as simulate_cli

    sim = simulate_cli.add_parser(sub)
    sim.set_defaults(func=lambda args, ctx: simulate_cli.run(args, ctx.interrupts))
    return p


class _SinceStart(logging.Formatter):
    def __init__(self, started: float) -> None:
        super().__init__("%(message)s")
        self.offset = started - time.monotonic() + time.time()  # wall time of the command's start

    def format(self, record: logging.LogRecord) -> str:
        return f"{record.created - self.offset:7.2f}s  {super().format(record)}"


def main(argv: Sequence[str] | None = None, started: float | None = None) -> int:
    """Run the command line; return the exit code.

    ``started``: ``time.monotonic()`` when the command started (the entry point
    passes it; by default the moment the package began loading, less a typical
    interpreter start-up) — ``--time-limit`` counts from there.
    """
    if started is None:
        from . import _LOADED_AT

        started = _LOADED_AT - START_UP_FALLBACK
    ctx = _Context(started, verbose=False, debug=False)
    try:
        ctx.interrupts.install()
        args = build_parser().parse_args(argv)
        if getattr(args, "scenario", None) is not None:  # a bundled dataset's name where no such path exists
            from .datasets import resolve

            args.scenario = str(resolve(args.scenario))
        ctx.verbose = getattr(args, "verbose", False)
        ctx.debug = getattr(args, "debug", False)
        if ctx.verbose:
            handler = logging.StreamHandler(sys.stderr)
            handler.setFormatter(_SinceStart(started))
            root = logging.getLogger("workbench")
            root.addHandler(handler)
            root.setLevel(logging.DEBUG)
        return int(args.func(args, ctx))
    except _Fail as fail:
        _err(*fail.lines)
        return fail.code
    except KeyboardInterrupt as exc:  # Aborted, or Ctrl-C where Python's own handler still runs
        name = exc.name if isinstance(exc, Aborted) else "Ctrl-C"
        _err(f"aborted by {name} while {ctx.phase}; nothing was written")
        return EXIT_INTERRUPTED
    except SystemExit:
        raise
    except BrokenPipeError:  # whoever read our output went away (`| head`); nothing to tell them
        with contextlib.suppress(OSError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_UNEXPECTED if ctx.outcome is None else ctx.outcome
    except BaseException as exc:  # anything else: one line, the traceback only when asked
        if ctx.debug:
            traceback.print_exc()
        from .extras import missing_extra_message

        missing = missing_extra_message(exc) if isinstance(exc, ImportError) else None
        if missing:  # an optional part that is not installed: say which extra brings it
            _err(f"error: {missing}")
            return EXIT_UNEXPECTED
        first = (str(exc).strip().splitlines() or [""])[0]
        _err(f"internal error while {ctx.phase}: {type(exc).__name__}: {first}"
             + ("" if ctx.debug else " (run with --debug for the traceback)"))
        return EXIT_UNEXPECTED
    finally:
        if all(w.done.is_set() for w in _WORKERS):  # else run() ends the process; keep the handlers till then
            ctx.interrupts.restore()


def run(started: float | None = None) -> None:
    """Run ``main`` and end the process with its code.

    The process ends at once (``os._exit``) once the streams are flushed: nothing is
    left to write, and the interpreter's teardown would only count against the limit.
    """
    try:
        code = main(started=started)
    except SystemExit as exc:  # argparse: --help, usage errors (2)
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else EXIT_BAD_INPUT)
    except KeyboardInterrupt:  # in the instant before main() took over the signals
        _write_stderr("aborted while starting; nothing was written\n")
        code = EXIT_INTERRUPTED
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except OSError:  # the reader went away (`| head`): let the exit's own flush go nowhere, quietly
            with contextlib.suppress(OSError, ValueError):
                os.dup2(os.open(os.devnull, os.O_WRONLY), stream.fileno())
    # Everything the command writes is written by now (files renamed into place, the streams
    # flushed), so the process ends without tearing the interpreter down: freeing the solver's
    # objects and modules one by one took 0.25-0.30 s after small-city's solve, 0.05-0.06 s
    # without (measured 2026-12-03), time the contract counts against --time-limit. When the
    # command aborted with a worker thread still inside the solver, the process likewise ends
    # at once instead of waiting for it or tearing the solver down under it.
    logging.shutdown()
    os._exit(code)


if __name__ == "__main__":
    run()
