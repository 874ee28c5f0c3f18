"""Signals as contract section 5 promises, with real processes and real signals: the first Ctrl-C writes the
best schedule so far, a second aborts (130) leaving DIR as it was, an ignored SIGINT stays ignored, SIGTERM and
SIGHUP abort cleanly, Ctrl-C while starting or loading exits 130 without a traceback, and a kill -9 at any
moment leaves DIR holding one whole set. Tests wait for lines the command prints, never for time to pass."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
from pathlib import Path

import pytest
from cli_harness import Running, command

import workbench
from workbench import outputs

NAMES = ("schedule.csv", "unassigned.csv", "kpis.json")


def _digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _old_output(root: Path) -> Path:
    """An output folder holding an earlier set and a file of the user's; the only entry of ``root``."""
    out = root / "out"

    def write(folder: Path) -> None:
        for n in NAMES:
            (folder / n).write_text(f"earlier {n}\n")

    outputs.publish(out, write, NAMES)
    (out / "notes.txt").write_text("the user's own notes\n")
    return out


def _untouched(out: Path, before: dict[str, str]) -> None:
    assert _digest(out) == before
    assert sorted(os.listdir(out.parent)) == ["out"]  # no staging folder, no lock left beside it


def _new_valid_set(out: Path, scenario: Path) -> dict:
    kpis = json.loads((out / "kpis.json").read_text())
    schedule = workbench.read_schedule(out / "schedule.csv")
    assert kpis["served_sessions"] == len(schedule)
    assert workbench.validate(workbench.load(scenario), schedule) == []
    assert (out / "notes.txt").read_text() == "the user's own notes\n"
    return kpis


def test_first_ctrl_c_during_the_search_writes_the_best_schedule_so_far(tmp_path):
    """Ctrl-C while CP-SAT searches (real engine): exit 0, a valid set with "interrupted": true, no crash."""
    demo = workbench.datasets.path("demo")
    out = _old_output(tmp_path)
    run = Running(command("-v", "solve", str(demo), "--out", str(out), "--time-limit", "120"))
    run.wait_for("search:")
    run.signal(signal.SIGINT)
    code, stdout, stderr = run.finish()
    assert code == 0, stderr
    assert "stopping the search" in stderr and "Traceback" not in stderr
    assert _new_valid_set(out, demo)["interrupted"] is True
    assert "interrupted: best so far" in stdout
    assert sorted(os.listdir(tmp_path)) == ["out"]


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP])
def test_sigterm_or_sighup_during_the_search_aborts_leaving_dir(tmp_path, sig):
    """SIGTERM or SIGHUP while CP-SAT searches (real engine): exit 130 at once, DIR as it was, no traceback."""
    demo = workbench.datasets.path("demo")
    out = _old_output(tmp_path)
    before = _digest(out)
    run = Running(command("-v", "solve", str(demo), "--out", str(out), "--time-limit", "120"))
    run.wait_for("search:")
    run.signal(sig)
    code, _, stderr = run.finish()
    assert code == 130, stderr
    assert f"aborted by {signal.Signals(sig).name} while solving" in stderr and "Traceback" not in stderr
    _untouched(out, before)


def test_second_ctrl_c_aborts_even_while_the_engine_is_busy(base_dir, tmp_path):
    """A second Ctrl-C aborts at once even if the engine ignores the stop: exit 130, DIR as it was."""
    out = _old_output(tmp_path / "w")
    before = _digest(out)
    run = Running(command("solve", str(base_dir), "--out", str(out), patches="engine=deaf"))
    run.wait_for("HARNESS searching")
    run.signal(signal.SIGINT)
    run.wait_for("stopping the search")
    run.signal(signal.SIGINT)
    code, _, stderr = run.finish()
    assert code == 130, stderr
    assert "aborted by Ctrl-C while solving" in stderr and "Traceback" not in stderr
    _untouched(out, before)


def test_second_ctrl_c_while_writing_aborts_leaving_dir(base_dir, tmp_path):
    """Ctrl-C stops the search; a second one while the new files are being checked aborts: 130, DIR as it was."""
    out = _old_output(tmp_path / "w")
    before = _digest(out)
    run = Running(command("solve", str(base_dir), "--out", str(out), patches="engine=patient,pause=checked"),
                  env={**os.environ, "HARNESS_GO": str(tmp_path / "never")})
    run.wait_for("HARNESS searching")
    run.signal(signal.SIGINT)
    run.wait_for("HARNESS paused at checked")
    run.signal(signal.SIGINT)
    code, _, stderr = run.finish()
    assert code == 130, stderr
    assert f"aborted by Ctrl-C while writing {out}" in stderr
    _untouched(out, before)


def test_an_abort_after_the_swap_ends_with_the_new_set_and_exit_0(base_dir, tmp_path):
    """SIGTERM once the new set is going in cannot undo it: the command finishes, exit 0, the new set whole."""
    out = _old_output(tmp_path / "w")
    go = tmp_path / "go"
    run = Running(command("solve", str(base_dir), "--out", str(out), "--method", "greedy",
                          patches="engine=patient,pause=swapped"), env={**os.environ, "HARNESS_GO": str(go)})
    run.wait_for("HARNESS searching")
    run.signal(signal.SIGINT)  # stop the (patient) search
    run.wait_for("HARNESS paused at swapped")
    run.signal(signal.SIGTERM)
    go.touch()
    code, _, stderr = run.finish()
    assert code == 0, stderr
    _new_valid_set(out, base_dir)
    assert sorted(os.listdir(out.parent)) == ["out"]


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_while_starting_exits_130_without_a_traceback(tmp_path, sig):
    """Ctrl-C or SIGTERM while the command is still importing its libraries: exit 130, one line, nothing written."""
    demo = workbench.datasets.path("demo")
    run = Running(command("-v", "solve", str(demo), "--out", str(tmp_path / "out")))
    run.wait_for("starting")
    run.signal(sig)
    code, _, stderr = run.finish()
    assert code == 130, stderr
    assert "aborted" in stderr and "Traceback" not in stderr
    assert os.listdir(tmp_path) == []


def test_ctrl_c_while_loading_exits_130_at_once(base_dir, tmp_path):
    """Ctrl-C during a load that would never end: exit 130 at once, naming the step, nothing written."""
    run = Running(command("solve", str(base_dir), "--out", str(tmp_path / "w" / "out"), patches="load=never"))
    run.wait_for("HARNESS loading")
    run.signal(signal.SIGINT)
    code, _, stderr = run.finish()
    assert code == 130, stderr
    assert "aborted by Ctrl-C while loading the input" in stderr and "Traceback" not in stderr
    assert not (tmp_path / "w").exists()


def test_sigint_ignored_at_start_stays_ignored(base_dir, tmp_path):
    """Started with SIGINT ignored (a script's background job), Ctrl-C changes nothing: the search runs its time."""
    out = tmp_path / "w" / "out"
    # 8 s: start-up alone was seen to take 2.9 s on a loaded machine
    argv = command("solve", str(base_dir), "--out", str(out), "--time-limit", "8", patches="engine=patient")
    run = Running(["bash", "-c", 'trap "" INT; exec "$@"', "bash", *argv])
    run.wait_for("HARNESS searching")
    run.signal(signal.SIGINT)
    code, _, stderr = run.finish()
    assert code == 0, stderr
    assert "stopping the search" not in stderr  # the search ended by its time limit, not by the Ctrl-C
    assert json.loads((out / "kpis.json").read_text())["interrupted"] is False


# --------------------------------------------------------------------------- kill -9


@pytest.mark.parametrize("moment", ["line:starting", "line:loading", "line:solving with", "line:search done",
                                    "step:staged", "step:checked", "step:locked", "step:carried notes.txt",
                                    "step:swapped", "step:disposed"])
def test_kill_9_at_any_moment_leaves_one_whole_set(base_dir, tmp_path, moment):
    """SIGKILL at a moment of the command (after a -v line, or after a step of publishing): DIR holds the old or
    the new whole set and the user's file; the next run leaves nothing behind."""
    out = _old_output(tmp_path / "w")
    before = _digest(out)
    kind, _, what = moment.partition(":")
    args = ("-v", "solve", str(base_dir), "--out", str(out), "--method", "greedy")
    if kind == "line":
        run = Running(command(*args))
        run.wait_for(what)
        run.signal(signal.SIGKILL)
    else:
        run = Running(command(*args, patches=f"kill={what}"))
    code, _, stderr = run.finish()
    assert code == -signal.SIGKILL, stderr
    old_set = {k: v for k, v in _digest(out).items() if k in NAMES} == {k: before[k] for k in NAMES}
    if kind == "step" and what in ("swapped", "disposed"):
        _new_valid_set(out, base_dir)
    elif kind == "step":
        assert old_set
    elif not old_set:  # a -v line: the command may have gone on before the kill landed
        _new_valid_set(out, base_dir)
    again = subprocess.run(command("solve", str(base_dir), "--out", str(out), "--method", "greedy"),
                           capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    _new_valid_set(out, base_dir)
    assert sorted(os.listdir(out.parent)) == ["out"]
    assert [p.name for p in out.iterdir() if p.name.startswith(".")] == []
