"""Runs the real ``workbench`` command line with stand-ins for the slow or faulty parts, so that a test can
drive it into a given state (a search that ignores its stop, a load that never ends, a pause inside
publishing) and send real signals. Used by tests/test_signals.py and tests/test_cli.py as a subprocess:

    python tests/cli_harness.py PATCH[,PATCH...] -- workbench arguments...

Patches: engine=patient|deaf|late|raise|broken|report|forced|cut, load=never|until:SECONDS|until:limit,
pause=LABEL, kill=LABEL, setup=SECONDS (the solver's set-up per (request, volunteer) pair: a slow machine).
Every stand-in announces itself on stderr with a line starting ``HARNESS`` (tests wait for those lines).
Environment: HARNESS_GO, a file whose appearance ends a pause.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
import time

STARTED = time.monotonic() - time.process_time()


def say(text: str) -> None:
    os.write(2, f"HARNESS {text}\n".encode())


def main() -> None:
    patches = dict(p.partition("=")[::2] for p in sys.argv[1].split(",") if p)
    argv = sys.argv[sys.argv.index("--") + 1:]
    sys.argv = ["workbench", *argv]

    import workbench.engine as solver
    import workbench.outputs as outputs
    import workbench.scenario.read as read

    real_solve, real_load = solver.solve, read.load

    def engine(scenario, method="cpsat", time_limit=None, stop=None, **kw):
        kind = patches["engine"]
        if kind == "report":
            say("engine " + json.dumps({"time_limit": time_limit, "age": time.monotonic() - STARTED}))
        if kind == "raise":
            raise RuntimeError("boom in the engine\nsecond line of the message")
        result = real_solve(scenario, method="greedy", time_limit=None, stop=None,
                            **{k: v for k, v in kw.items() if k not in ("on_progress",)})
        if kind == "broken":  # a session twice: rule 11 (the citizen overlaps) and 13 break
            import pandas as pd

            result.schedule = pd.concat([result.schedule, result.schedule.iloc[:1]], ignore_index=True)
            result.kpis["served_sessions"] += 1
        if kind == "forced":  # what the engine's Result.forced reports in a re-plan
            import pandas as pd

            result.forced = pd.DataFrame([{"request_id": "r1", "citizen_id": "c1", "volunteer_id": "v1",
                                           "date": "2026-01-05", "start": "09:00", "end": "10:00",
                                           "mode": "in_person", "reason": "v1 is absent on 2026-01-05"}])
        if kind == "cut":  # the time limit ended even the baseline (what the engine's kpis then say)
            result.kpis["baseline_cut_short"] = True
        say("searching")
        if kind == "patient":  # a well-behaved engine: until asked to stop, or its time is up
            stopped = stop.wait(time_limit)
            say("engine stopped by " + ("event" if stopped else "time"))
        elif kind == "late":  # ignores its time limit; only the stop event ends it
            stopped = stop.wait(60)
            say("engine stopped by " + ("event" if stopped else "nothing"))
        elif kind == "deaf":  # ignores everything
            threading.Event().wait()
        return result

    if "engine" in patches:
        solver.solve = engine
    if "setup" in patches:
        object.__setattr__(solver.TUNING, "setup_per_pair", float(patches["setup"]))

    def load(path):
        if patches["load"] == "never":
            say("loading")
            threading.Event().wait()
        until = patches["load"].removeprefix("until:")  # loading that lasts until the command's age is this
        # "limit": done just before the limit, too late to solve and write
        age = float(argv[argv.index("--time-limit") + 1]) - 0.15 if until == "limit" else float(until)
        while time.monotonic() < STARTED + age:
            time.sleep(0.01)
        return real_load(path)

    if "load" in patches:
        read.load = load

    def step(label: str) -> None:
        if label == patches.get("kill"):
            os.kill(os.getpid(), signal.SIGKILL)
        if label == patches.get("pause"):
            say(f"paused at {label}")
            go = os.environ["HARNESS_GO"]
            while not os.path.exists(go):
                time.sleep(0.01)

    outputs._after_step = step

    from workbench import cli

    cli.run(started=STARTED)


if __name__ == "__main__":
    main()


# --------------------------------------------------------------------------- the tests' side

HERE = os.path.dirname(os.path.abspath(__file__))


def command(*args: str, patches: str | None = None) -> list[str]:
    """The argv to run ``workbench args`` through the real entry point, or through this harness with patches."""
    if patches is None:
        return [sys.executable, "-c", "import workbench_cli; workbench_cli.main()", *args]
    return [sys.executable, os.path.join(HERE, "cli_harness.py"), patches, "--", *args]


def _default_signals() -> None:
    """In the child: SIGINT, SIGTERM and SIGHUP at their defaults. The command keeps a signal its
    starter ignores ignored (by design: ``nohup``), so tests run under ``nohup`` or as a background
    job would otherwise see their signals dropped."""
    import signal

    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, signal.SIG_DFL)


class Running:
    """A started command whose stderr lines are collected as they come, so a test can wait for one."""

    def __init__(self, argv: list[str], **popen: object) -> None:
        import queue
        import subprocess

        popen.setdefault("preexec_fn", _default_signals)
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **popen)
        self.lines: list[str] = []
        self.out: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._readers = [threading.Thread(target=self._read_err, daemon=True),
                         threading.Thread(target=lambda: self.out.extend(self.proc.stdout), daemon=True)]
        for r in self._readers:
            r.start()

    def _read_err(self) -> None:
        for line in self.proc.stderr:
            self._queue.put(line)
        self._queue.put(None)

    def wait_for(self, text: str, timeout: float = 120) -> str:
        """Block until a stderr line containing ``text`` arrives (AssertionError if the command ends first)."""
        deadline = time.monotonic() + timeout
        while True:
            line = self._queue.get(timeout=max(0.0, deadline - time.monotonic()))
            if line is None:
                self._queue.put(None)
                raise AssertionError(f"ended before {text!r}:\n{''.join(self.lines)}")
            self.lines.append(line)
            if text in line:
                return line

    def signal(self, sig: int) -> None:
        self.proc.send_signal(sig)

    def finish(self, timeout: float = 120) -> tuple[int, str, str]:
        """Wait for the end; return (exit code, stdout, all of stderr)."""
        try:
            self.proc.wait(timeout)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
        for r in self._readers:
            r.join(timeout)
        while not self._queue.empty():
            line = self._queue.get_nowait()
            if line is not None:
                self.lines.append(line)
        return self.proc.returncode, "".join(self.out), "".join(self.lines)
