"""The command line as contract section 5 fixes it: files written as one set, exit codes 0/1/2/3/130, arguments
that cannot work refused before any solving, and a time limit that holds for the whole command."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
from pathlib import Path

import pandas as pd
import pytest
from cli_harness import Running, command

import workbench
from workbench import cli


def run(*args: str, patches: str | None = None, timeout: float = 300, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(command(*args, patches=patches), capture_output=True, text=True, timeout=timeout, **kw)


def _digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _error_lines(stderr: str) -> list[str]:
    """The lines of stderr that are not warnings about the input or -v log lines."""
    return [line for line in stderr.splitlines() if line.strip() and not line.startswith(("warning:", "HARNESS"))
            and not line.lstrip()[:1].isdigit()]


def test_solve_writes_the_three_files_and_checks_them(base_dir, tmp_path):
    """solve writes schedule.csv, unassigned.csv and kpis.json, valid, sorted, and exits 0."""
    before = _digest(base_dir)
    out = tmp_path / "out"
    proc = run("solve", str(base_dir), "--out", str(out), "--time-limit", "20")
    assert proc.returncode == 0, proc.stderr
    schedule = pd.read_csv(out / "schedule.csv", dtype=str)
    assert list(schedule.columns)[:7] == ["request_id", "citizen_id", "volunteer_id", "date", "start", "end", "mode"]
    assert schedule.equals(schedule.sort_values(["date", "start", "volunteer_id"], kind="stable"))
    assert list(pd.read_csv(out / "unassigned.csv").columns) == ["request_id", "citizen_id", "week", "missing",
                                                                 "reason"]
    kpis = json.loads((out / "kpis.json").read_text())
    for key in ("demand_sessions", "served_sessions", "coverage", "weighted_coverage", "citizens_with_demand",
                "citizens_served", "travel_km", "continuity", "min_district_coverage", "solve_seconds", "status",
                "objective_bound"):
        assert key in kpis
    assert kpis["served_sessions"] == len(schedule) and kpis["interrupted"] is False
    assert _digest(base_dir) == before
    assert sorted(os.listdir(tmp_path)) == ["base", "out"]
    assert run("validate", str(base_dir), str(out / "schedule.csv")).returncode == 0


# --------------------------------------------------------------------------- arguments (exit 2, before solving)


def _bad_out(kind: str, base_dir: Path, tmp_path: Path) -> tuple[list[str], str, dict]:
    if kind == "a file":
        (tmp_path / "file").write_text("x")
        return ["--out", str(tmp_path / "file")], "exists and is not a folder", {}
    if kind == "under a file":
        (tmp_path / "file").write_text("x")
        return ["--out", str(tmp_path / "file" / "out")], "cannot write there", {}
    if kind == "inside the scenario":
        return ["--out", str(base_dir / "out")], "never written to", {}
    if kind == "holding the scenario":
        return ["--out", str(tmp_path)], "holds the scenario", {}
    if kind == "the current folder":
        (tmp_path / "here").mkdir()
        return ["--out", "."], "is the current folder", {"cwd": tmp_path / "here"}
    if kind == "not writable":
        return ["--out", "/proc/workbench-out"], "cannot write there", {}
    raise ValueError(kind)


def test_streams_redirected_to_files_are_complete_when_the_command_ends(base_dir, tmp_path):
    """The process ends without the interpreter's teardown: stdout and stderr sent to files (block-buffered,
    unlike pipes read at once) still hold the summary line and the log's last line, and the exit code is kept."""
    out = tmp_path / "out"
    buffered = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    with open(tmp_path / "stdout", "w") as so, open(tmp_path / "stderr", "w") as se:
        proc = subprocess.run(command("solve", str(base_dir), "--out", str(out), "--time-limit", "20", "-v"),
                              stdout=so, stderr=se, timeout=300, env=buffered)
    assert proc.returncode == 0
    stdout = (tmp_path / "stdout").read_text()
    log = [line for line in (tmp_path / "stderr").read_text().splitlines() if line.strip()]
    assert stdout.startswith(("OPTIMAL:", "FEASIBLE:")) and stdout.rstrip().endswith(f"wrote {out}"), stdout
    assert log[-1].endswith(f"wrote {out}"), log[-3:]
    kpis = json.loads((out / "kpis.json").read_text())
    assert kpis["served_sessions"] == len(pd.read_csv(out / "schedule.csv"))
    bad = subprocess.run(command("solve", str(tmp_path / "missing"), "--out", str(out)), capture_output=True,
                         text=True, timeout=300)
    assert bad.returncode == 2 and "missing" in bad.stderr


@pytest.mark.parametrize("kind", ["a file", "under a file", "inside the scenario", "holding the scenario",
                                  "the current folder", "not writable"])
def test_an_out_that_cannot_work_is_refused_before_loading(base_dir, tmp_path, kind):
    """An --out that is a file, inside or around the scenario, the current folder or not writable: exit 2 with one
    error naming --out, before anything is loaded; nothing is written anywhere."""
    args, message, kw = _bad_out(kind, base_dir, tmp_path)
    before = _digest(tmp_path)
    proc = run("solve", str(base_dir), *args, "-v", **kw)
    assert proc.returncode == 2, proc.stderr
    errors = _error_lines(proc.stderr)
    assert len(errors) == 1 and errors[0].startswith("error: --out") and message in errors[0], proc.stderr
    assert "loading" not in proc.stderr and "Traceback" not in proc.stderr
    assert _digest(tmp_path) == before


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write anywhere")
def test_an_out_without_write_permission_is_refused(base_dir, tmp_path):
    """An --out whose parent may not be written to is refused (exit 2) before solving."""
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    try:
        proc = run("solve", str(base_dir), "--out", str(locked / "out"))
    finally:
        locked.chmod(0o755)
    assert proc.returncode == 2 and "cannot write there" in proc.stderr and "permission" in proc.stderr


@pytest.mark.parametrize("args, message", [
    (["--time-limit", "0"], "--time-limit 0:"),
    (["--time-limit=-1"], "--time-limit -1:"),
    (["--time-limit", "nan"], "--time-limit nan:"),
    (["--time-limit", "inf"], "--time-limit inf:"),
    (["--seed=-1"], "--seed -1:"),
    (["--seed", str(2**31)], f"--seed {2**31}:"),
    (["--workers", "0"], "--workers 0:"),
    (["--workers", "100000"], "--workers 100000:"),
    (["--previous", "no-such.csv"], "--previous no-such.csv: no such file"),
    (["--keep-before", "2026-01-07"], "--keep-before needs --previous"),
    (["--weight", "travel=fast"], "--weight 'travel=fast'"),
])
def test_arguments_that_cannot_work_are_input_errors(base_dir, tmp_path, args, message):
    """Each argument that cannot work: exit 2, one clear error line naming it, found before loading, no output."""
    proc = run("-v", "solve", str(base_dir), "--out", str(tmp_path / "out"), *args)
    assert proc.returncode == 2, proc.stderr
    errors = _error_lines(proc.stderr)
    assert len(errors) == 1 and message in errors[0], proc.stderr
    assert "loading" not in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "out").exists()


def test_argument_problems_are_reported_all_at_once(base_dir, tmp_path):
    """Several bad arguments: every one is named in the same run (exit 2)."""
    (tmp_path / "prev").mkdir()
    proc = run("solve", str(base_dir), "--out", str(tmp_path / "out"), "--time-limit", "nan", "--seed=-3",
               "--previous", str(tmp_path / "prev"), "--keep-before", "soon")
    assert proc.returncode == 2
    for part in ("--time-limit nan", "--seed -3", "is a folder, not a file", "--keep-before 'soon'"):
        assert part in proc.stderr


def test_unreadable_input_files_are_input_errors(base_dir, tmp_path):
    """A previous schedule with a missing column and a broken scenario are reported together, exit 2."""
    (base_dir / "requests.csv").write_text("request_id\nr1\n")
    prev = tmp_path / "prev.csv"
    prev.write_text("request_id,volunteer_id\nr1,v1\n")
    proc = run("solve", str(base_dir), "--out", str(tmp_path / "out"), "--previous", str(prev))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "requests.csv" in proc.stderr and "prev.csv" in proc.stderr


# --------------------------------------------------------------------------- exit codes 3 and the re-check


def test_an_unexpected_error_is_exit_3_with_one_line(base_dir, tmp_path):
    """An exception inside the engine: exit 3 and one line naming it (no traceback); --debug shows the traceback."""
    out = tmp_path / "w" / "out"
    proc = run("solve", str(base_dir), "--out", str(out), patches="engine=raise")
    assert proc.returncode == 3, proc.stderr
    errors = _error_lines(proc.stderr)
    assert len(errors) == 1 and "while solving: RuntimeError: boom in the engine" in errors[0], proc.stderr
    assert "Traceback" not in proc.stderr and not out.exists()
    debug = run("solve", str(base_dir), "--out", str(out), "--debug", patches="engine=raise")
    assert debug.returncode == 3 and "Traceback" in debug.stderr and "second line" in debug.stderr


def test_a_schedule_that_fails_its_recheck_is_not_published(base_dir, tmp_path):
    """Output breaking a hard rule (an engine bug) is caught when re-read: exit 3, one line, DIR as it was."""
    out = tmp_path / "w" / "out"
    assert run("solve", str(base_dir), "--out", str(out), "--method", "greedy").returncode == 0
    before = _digest(out)
    proc = run("solve", str(base_dir), "--out", str(out), patches="engine=broken")
    assert proc.returncode == 3, proc.stderr
    errors = _error_lines(proc.stderr)
    assert len(errors) == 1 and "did not pass its re-check" in errors[0] and "hard rule" in errors[0]
    assert _digest(out) == before and sorted(os.listdir(out.parent)) == ["out"]


def test_validate_exit_codes(base_dir, tmp_path):
    """validate: 0 valid, 1 broken rules (each with its row), 2 unreadable input."""
    from conftest import BASE_SCHEDULE, csv_frame

    good = tmp_path / "good.csv"
    csv_frame(BASE_SCHEDULE).to_csv(good, index=False)
    bad = csv_frame(BASE_SCHEDULE)
    bad.loc[bad["request_id"] == "r3", "mode"] = "in_person"
    bad_path = tmp_path / "bad.csv"
    bad.to_csv(bad_path, index=False)
    no_column = tmp_path / "s.csv"
    no_column.write_text("request_id,volunteer_id\nr1,v1\n")
    assert run("validate", str(base_dir), str(good)).returncode == 0
    broken = run("validate", str(base_dir), str(bad_path))
    assert broken.returncode == 1 and "rule 7 (row 5)" in broken.stdout
    for args in ([str(base_dir), str(no_column)], [str(base_dir), str(tmp_path)],
                 [str(base_dir), str(tmp_path / "none.csv")], [str(tmp_path / "none"), str(good)]):
        proc = run("validate", *args)
        assert proc.returncode == 2 and "Traceback" not in proc.stderr, (args, proc.stderr)
    assert "column 'date'" in run("validate", str(base_dir), str(no_column)).stderr


def test_check_exit_codes(base_dir, tmp_path):
    """check: 0 for a valid scenario, 2 (every problem, no traceback) for a broken one."""
    assert run("check", str(base_dir)).returncode == 0
    (base_dir / "citizens.csv").write_text("citizen_id,lat\nc1,north\n")
    proc = run("check", str(base_dir))
    assert proc.returncode == 2 and "citizens.csv" in proc.stderr and "Traceback" not in proc.stderr


def test_generate_is_deterministic_and_matches_the_python_api(tmp_path):
    """generate --seed writes the same scenario as the Python generator, and refuses to overwrite."""
    out = tmp_path / "gen"
    proc = run("generate", "--out", str(out), "--volunteers", "12", "--citizens", "20", "--weeks", "1", "--seed", "4")
    assert proc.returncode == 0, proc.stderr
    assert workbench.load(out).equals(workbench.generate(12, 20, 1, seed=4))
    again = run("generate", "--out", str(out), "--volunteers", "12", "--citizens", "20", "--weeks", "1")
    assert again.returncode == 2 and "exists" in again.stderr


def test_generate_force_replaces_the_scenario_and_keeps_other_files(tmp_path):
    """generate --force replaces the scenario files as one set; a file of the user's in the folder stays."""
    out = tmp_path / "gen"
    assert run("generate", "--out", str(out), "--volunteers", "5", "--citizens", "8", "--weeks", "1").returncode == 0
    (out / "README.txt").write_text("mine")
    proc = run("generate", "--out", str(out), "--volunteers", "6", "--citizens", "9", "--weeks", "1", "--force")
    assert proc.returncode == 0, proc.stderr
    assert workbench.load(out).equals(workbench.generate(6, 9, 1))
    assert (out / "README.txt").read_text() == "mine" and sorted(os.listdir(tmp_path)) == ["gen"]


@pytest.mark.parametrize("args", [["--weeks", "0"], ["--volunteers=-5"], ["--seed=-1"], ["--citizens", "10000000"]])
def test_generate_arguments_that_cannot_work(tmp_path, args):
    """generate with a count out of range: exit 2, one error naming it, nothing written."""
    proc = run("generate", "--out", str(tmp_path / "gen"), *args)
    assert proc.returncode == 2 and len(_error_lines(proc.stderr)) == 1 and args[0].split("=")[0] in proc.stderr
    assert not (tmp_path / "gen").exists()


def test_experiment_with_failed_runs_exits_3(monkeypatch, tmp_path):
    """`experiment` reporting failed runs (1 in its own module) ends the command with the contract's 3."""
    from workbench.experiments import cli as experiments_cli

    monkeypatch.setattr(experiments_cli, "run", lambda args: 1)
    assert cli.main(["experiment", str(tmp_path / "spec.toml"), "--out", str(tmp_path / "x")]) == 3
    monkeypatch.setattr(experiments_cli, "run", lambda args: 0)
    assert cli.main(["experiment", str(tmp_path / "spec.toml"), "--out", str(tmp_path / "x")]) == 0


def test_a_closed_stdout_does_not_turn_success_into_an_error(base_dir, tmp_path):
    """`workbench solve … | head -0`: the reader went away; the output is written and the exit code stays 0."""
    out = tmp_path / "w" / "out"
    argv = command("solve", str(base_dir), "--out", str(out), "--method", "greedy")
    proc = subprocess.run(["bash", "-c", 'set -o pipefail; "$@" | head -c 0', "bash", *argv], capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert (out / "kpis.json").exists() and "Traceback" not in proc.stderr


# --------------------------------------------------------------------------- one set, two runs at once


def test_two_solves_at_once_into_one_folder_end_with_one_whole_set(base_dir, tmp_path):
    """Two solves started together into one --out both exit 0; the folder holds one run's whole, valid set."""
    out = tmp_path / "w" / "out"
    runs = [Running(command("solve", str(base_dir), "--out", str(out), "--method", "greedy")),
            Running(command("solve", str(base_dir), "--out", str(out), "--time-limit", "10"))]
    results = [r.finish() for r in runs]
    assert [code for code, _, _ in results] == [0, 0], [err for _, _, err in results]
    assert all("breaks" not in err for _, _, err in results)
    schedule = workbench.read_schedule(out / "schedule.csv")
    kpis = json.loads((out / "kpis.json").read_text())
    unassigned = pd.read_csv(out / "unassigned.csv")
    assert kpis["served_sessions"] == len(schedule)
    assert kpis["demand_sessions"] - kpis["served_sessions"] == unassigned["missing"].sum()
    assert workbench.validate(workbench.load(base_dir), schedule) == []
    assert sorted(os.listdir(out.parent)) == ["out"]


# --------------------------------------------------------------------------- the time limit


def test_the_solver_gets_the_limit_less_loading_and_writing(base_dir, tmp_path):
    """The engine's budget leaves the time already used and the estimated finishing time out of --time-limit."""
    proc = run("solve", str(base_dir), "--out", str(tmp_path / "out"), "--time-limit", "10",
               patches="engine=report,load=until:3")  # loading ends when the command is 3 s old
    assert proc.returncode == 0, proc.stderr
    line = next(x for x in proc.stderr.splitlines() if x.startswith("HARNESS engine "))
    seen = json.loads(line.removeprefix("HARNESS engine "))
    assert 0 < seen["time_limit"] <= 10 - 3 - cli.FINISH_FIXED


def test_loading_that_uses_up_the_limit_is_an_input_error(base_dir, tmp_path):
    """Loading that leaves no time to solve and write: exit 2, saying how long loading took; DIR untouched."""
    proc = run("solve", str(base_dir), "--out", str(tmp_path / "out"), "--time-limit", "6",
               patches="load=until:limit")
    assert proc.returncode == 2, proc.stderr
    errors = _error_lines(proc.stderr)
    assert len(errors) == 1 and "loading the input" in errors[0], proc.stderr
    # on a stalled machine the load may still be running at the limit: the other, also honest, message
    assert ("took" in errors[0] and "give a --time-limit of at least" in errors[0]) or "did not finish" in errors[0]
    assert not (tmp_path / "out").exists()


def test_a_limit_below_the_solvers_own_minimum_is_an_input_error(base_dir, tmp_path):
    """A limit the solver's set-up alone would overrun: exit 2 before solving, naming a limit that is then accepted."""
    slow = "setup=100"  # seconds per (request, volunteer) pair: as if the tiny city were millions of times larger
    proc = run("solve", str(base_dir), "--out", str(tmp_path / "out"), "--time-limit", "6", patches=slow)
    assert proc.returncode == 2, proc.stderr
    errors = _error_lines(proc.stderr)
    assert len(errors) == 1 and "the solver needs about" in errors[0] and "whatever the limit" in errors[0], errors
    assert not (tmp_path / "out").exists()
    enough = int(re.search(r"give a --time-limit of at least (\d+) s", errors[0]).group(1))
    assert enough > 6
    ok = run("solve", str(base_dir), "--out", str(tmp_path / "out"), "--time-limit", str(enough), patches=slow)
    assert ok.returncode == 0, ok.stderr
    assert (tmp_path / "out" / "schedule.csv").exists()


def test_loading_that_never_ends_is_cut_at_the_limit(base_dir, tmp_path):
    """A load still running when the limit is up: exit 2 with a plain message, not an overrun; DIR untouched."""
    proc = run("solve", str(base_dir), "--out", str(tmp_path / "out"), "--time-limit", "6", patches="load=never")
    assert proc.returncode == 2, proc.stderr
    assert "loading the input did not finish within the limit" in proc.stderr
    assert not (tmp_path / "out").exists()


def test_a_solver_that_overruns_its_budget_is_stopped(base_dir, tmp_path):
    """An engine that ignores its time limit is asked to stop at the limit; its schedule is written (exit 0) and
    the stop is not reported as the user's interruption."""
    out = tmp_path / "out"
    proc = run("solve", str(base_dir), "--out", str(out), "--time-limit", "8", patches="engine=late")
    assert proc.returncode == 0, proc.stderr
    assert "HARNESS engine stopped by event" in proc.stderr
    assert json.loads((out / "kpis.json").read_text())["interrupted"] is False


def test_a_solver_that_never_returns_ends_the_command_with_3(base_dir, tmp_path):
    """An engine deaf to its limit and to the stop: the command still ends (exit 3, one line), DIR untouched."""
    proc = run("solve", str(base_dir), "--out", str(tmp_path / "out"), "--time-limit", "6", patches="engine=deaf")
    assert proc.returncode == 3, proc.stderr
    errors = _error_lines(proc.stderr)
    assert len(errors) == 1 and "did not stop within the time limit" in errors[0]
    assert not (tmp_path / "out").exists()


def test_time_limit_counts_from_this_command_not_the_shell_before_it(tmp_path):
    """`sleep 6 && exec workbench solve … --time-limit 5` succeeds: the shell's 6 s are not this command's."""
    demo = workbench.datasets.path("demo")
    argv = command("solve", str(demo), "--out", str(tmp_path / "o"), "--time-limit", "5", "--method", "greedy")
    proc = subprocess.run(["bash", "-c", 'sleep 6 && exec "$@"', "bash", *argv], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr


# --------------------------------------------------------------------------- re-planning


def test_previous_schedule_is_kept(base_dir, tmp_path):
    """solve --previous keeps an agreed plan that still fits, session for session (also re-planning in place)."""
    first = tmp_path / "first"
    assert run("solve", str(base_dir), "--out", str(first), "--method", "greedy").returncode == 0
    a = pd.read_csv(first / "schedule.csv", dtype=str)
    proc = run("solve", str(base_dir), "--out", str(first), "--previous", str(first / "schedule.csv"))
    assert proc.returncode == 0, proc.stderr
    b = pd.read_csv(first / "schedule.csv", dtype=str)
    key = ["request_id", "volunteer_id", "date", "start"]
    assert len(a[key].merge(b[key])) == len(a)


def test_replanning_prints_which_agreed_sessions_moved_and_why(base_dir, tmp_path):
    """With --previous, each agreed session the engine had to move is printed with the change that forced it."""
    first = tmp_path / "first"
    assert run("solve", str(base_dir), "--out", str(first), "--method", "greedy").returncode == 0
    proc = run("solve", str(base_dir), "--out", str(tmp_path / "again"), "--previous", str(first / "schedule.csv"),
               patches="engine=forced")
    assert proc.returncode == 0, proc.stderr
    assert "1 of " in proc.stdout and "agreed sessions had to change" in proc.stdout
    assert "r1 (c1 with v1, 2026-01-05 09:00-10:00, in_person): v1 is absent on 2026-01-05" in proc.stdout


def test_a_baseline_cut_short_by_the_time_limit_is_said_plainly(base_dir, tmp_path):
    """When the clock ended even the quick baseline, the command still writes it but says a longer limit serves more."""
    proc = run("solve", str(base_dir), "--out", str(tmp_path / "o"), "--time-limit", "20", patches="engine=cut")
    assert proc.returncode == 0, proc.stderr
    assert "--time-limit 20 was too short for this scenario" in proc.stderr and "serves more" in proc.stderr
    plain = run("solve", str(base_dir), "--out", str(tmp_path / "p"), "--time-limit", "20", patches="engine=forced")
    assert plain.returncode == 0 and "too short" not in plain.stderr


def test_the_same_effort_and_seed_write_the_same_schedule(base_dir, tmp_path):
    """--effort bounds the search by work: two runs write byte-identical schedules."""
    outs = [tmp_path / "a", tmp_path / "b"]
    for out in outs:
        proc = run("solve", str(base_dir), "--out", str(out), "--effort", "1", "--seed", "3")
        assert proc.returncode == 0, proc.stderr
    assert (outs[0] / "schedule.csv").read_bytes() == (outs[1] / "schedule.csv").read_bytes()
    assert json.loads((outs[0] / "kpis.json").read_text())["deterministic"] is True


def test_generate_takes_a_preset_and_knobs_and_refuses_unknown_ones(tmp_path):
    """A rural preset with a wider area is written; an unknown knob is exit 2 naming the known ones."""
    proc = run("generate", "--out", str(tmp_path / "rural"), "--volunteers", "8", "--citizens", "12", "--preset",
               "rural", "--knob", "area_scale=9")
    assert proc.returncode == 0, proc.stderr
    assert workbench.load(tmp_path / "rural").citizens["lat"].max() > 56.2  # stretched ninefold around Aarhus
    bad = run("generate", "--out", str(tmp_path / "bad"), "--knob", "rainfall=3", "--preset", "moon")
    assert bad.returncode == 2 and "area_scale" in bad.stderr and "--preset 'moon'" in bad.stderr
    assert not (tmp_path / "bad").exists()


def test_the_command_fixes_the_memory_return_threshold_unless_the_environment_sets_one(monkeypatch):
    """The entry point asks glibc to return large freed blocks, but keeps a MALLOC_MMAP_THRESHOLD_ the user gave."""
    import ctypes

    import workbench_cli

    asked: list[tuple[int, int]] = []

    class Libc:
        def mallopt(self, param: int, value: int) -> int:
            asked.append((param, value))
            return 1

    monkeypatch.setattr(ctypes, "CDLL", lambda _name: Libc())
    monkeypatch.setenv("MALLOC_MMAP_THRESHOLD_", "65536")
    workbench_cli._return_freed_memory()
    assert asked == []
    monkeypatch.delenv("MALLOC_MMAP_THRESHOLD_")
    workbench_cli._return_freed_memory()
    assert asked == [(-3, 4 << 20)]  # M_MMAP_THRESHOLD, 4 MiB


@pytest.mark.parametrize(("kpis", "objective", "bound", "expected"), [
    ({"objective_before_continuity": 596}, 593, 596.0, "3 of 596 weighted (the proven best possible) given up"),
    ({"objective_before_continuity": 9_900}, 9_850, 10_000.0, "50 of 9900 weighted given up"),
    ({"objective_before_continuity": 596}, 596, 596.0, None),  # nothing given up
    ({"objective_before_continuity": 590}, 596, 600.0, None),  # the stages after it served more
    ({"objective_before_continuity": None}, 596, None, None),  # the greedy method has no such stage
    ({}, 596, None, None),
])
def test_the_summary_says_what_the_continuity_weight_gave_up(kpis, objective, bound, expected):
    """After the status line, the planner reads what was given up for visiting friends, and whether it was
    the proven best possible (a FEASIBLE run at a raised weight is the weight's choice, not the search's)."""
    line = cli.continuity_cost_line({**kpis, "objective": objective}, bound)
    if expected is None:
        assert line is None
    else:
        assert line is not None and line.startswith(expected) and "--weight continuity=0" in line
