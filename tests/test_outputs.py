"""Outputs as one set (workbench.outputs.publish): a kill at any step leaves the old or the new set, never
a mix; the user's own files in the folder survive; runs into one folder take turns; leftovers are tidied."""

from __future__ import annotations

import errno
import fcntl
import json
import os
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pandas as pd
import pytest

import workbench
from workbench import outputs
from workbench.result import BrokenOutput, Result

NAMES = ("schedule.csv", "unassigned.csv", "kpis.json")
OUTPUTS_PY = Path(outputs.__file__)


def _set(tag: str) -> dict[str, bytes]:
    # sizes differ per file so that a half-written file could not pass for a whole one
    return {n: (f"{tag}:{n}\n" * (50 * (i + 1))).encode() for i, n in enumerate(NAMES)}


def _writer(files: dict[str, bytes]):
    def write(folder: Path) -> None:
        for name, data in files.items():
            (folder / name).write_bytes(data)

    return write


def _tree(folder: Path) -> dict[str, bytes | str]:
    """Every entry under ``folder``: file bytes, or 'link -> target' for a symlink."""
    out: dict[str, bytes | str] = {}
    for p in sorted(folder.rglob("*")):
        rel = str(p.relative_to(folder))
        if p.is_symlink():
            out[rel] = f"link -> {os.readlink(p)}"
        elif p.is_file():
            out[rel] = p.read_bytes()
    return out


def _user_files(folder: Path) -> None:
    """What a user may keep in an output folder: a note, a sub-folder, a symlink."""
    (folder / "notes.txt").write_text("my notes\n")
    (folder / "sub").mkdir()
    (folder / "sub" / "inner.txt").write_text("inside\n")
    (folder / "link").symlink_to("notes.txt")


USER = {"notes.txt": b"my notes\n", "sub/inner.txt": b"inside\n", "link": "link -> notes.txt"}


def _which_set(folder: Path) -> str | None:
    """'A' or 'B' when the folder holds that whole set; None when it holds no set file; 'mix' otherwise."""
    present = {n: (folder / n).read_bytes() for n in NAMES if (folder / n).exists()}
    if not present:
        return None
    for tag in "AB":
        if present == _set(tag):
            return tag
    return "mix"


def test_publish_into_a_new_folder_writes_the_set_and_nothing_else(tmp_path):
    """A first publish creates the folder (and missing parents) holding exactly the set; nothing beside it."""
    target = tmp_path / "a" / "b" / "out"
    paths = outputs.publish(target, _writer(_set("A")), NAMES)
    assert paths == [target / n for n in NAMES]
    assert _tree(target) == _set("A")
    assert sorted(os.listdir(target.parent)) == ["out"]
    assert oct(target.stat().st_mode & 0o777) == oct(0o777 & ~outputs._umask())


def test_publish_replaces_the_set_and_keeps_the_users_files(tmp_path):
    """Publishing over an earlier set replaces the three files; the user's note, sub-folder and link stay."""
    target = tmp_path / "out"
    outputs.publish(target, _writer(_set("A")), NAMES)
    _user_files(target)
    note_inode = (target / "notes.txt").stat().st_ino
    os.chmod(target, 0o750)
    outputs.publish(target, _writer(_set("B")), NAMES)
    assert _tree(target) == {**_set("B"), **USER}
    assert (target / "notes.txt").stat().st_ino == note_inode  # the same file, not a copy
    assert target.stat().st_mode & 0o777 == 0o750
    assert sorted(os.listdir(tmp_path)) == ["out"]


@pytest.mark.parametrize("fault", ["check refuses", "writer fails", "writer forgets a file"])
def test_a_failed_publish_leaves_the_folder_as_it_was(tmp_path, fault):
    """A check that refuses, a writer that raises or one that misses a file: folder untouched, no leftovers."""
    target = tmp_path / "out"
    outputs.publish(target, _writer(_set("A")), NAMES)
    _user_files(target)
    before = _tree(target)

    def check(folder: Path) -> None:
        raise ValueError("refused")

    def failing(folder: Path) -> None:
        (folder / NAMES[0]).write_bytes(b"half")
        raise OSError(errno.ENOSPC, "No space left on device")

    write, chk = {"check refuses": (_writer(_set("B")), check), "writer fails": (failing, None),
                  "writer forgets a file": (_writer({NAMES[0]: b"only one"}), None)}[fault]
    with pytest.raises((ValueError, OSError, RuntimeError)):
        outputs.publish(target, write, NAMES, check=chk)
    assert _tree(target) == before
    assert sorted(os.listdir(tmp_path)) == ["out"]


def test_a_failed_first_publish_leaves_no_folder_behind(tmp_path):
    """A failed publish into a folder that did not exist removes the parents it created, too."""
    target = tmp_path / "new" / "out"
    with pytest.raises(ValueError):
        outputs.publish(target, _writer(_set("A")), NAMES, check=lambda f: (_ for _ in ()).throw(ValueError()))
    assert os.listdir(tmp_path) == []


def test_overwrite_false_refuses_before_writing(tmp_path):
    """overwrite=False refuses when any file of the set exists, and writes nothing."""
    target = tmp_path / "out"
    target.mkdir()
    (target / "kpis.json").write_text("{}")
    with pytest.raises(outputs.OverwriteRefused):
        outputs.publish(target, _writer(_set("A")), NAMES, overwrite=False)
    assert _tree(target) == {"kpis.json": b"{}"}
    assert sorted(os.listdir(tmp_path)) == ["out"]


def test_a_symlinked_folder_stays_a_link(tmp_path):
    """--out being a symlink to a folder: the link is kept and the folder it points to gets the set."""
    real = tmp_path / "real"
    outputs.publish(real, _writer(_set("A")), NAMES)
    link = tmp_path / "link"
    link.symlink_to(real)
    outputs.publish(link, _writer(_set("B")), NAMES)
    assert link.is_symlink() and _tree(real) == _set("B")


def test_an_output_name_taken_by_a_folder_is_refused(tmp_path):
    """A folder named like an output file in DIR is refused before anything is written."""
    target = tmp_path / "out"
    (target / "schedule.csv").mkdir(parents=True)
    with pytest.raises(IsADirectoryError):
        outputs.publish(target, _writer(_set("A")), NAMES)
    assert sorted(os.listdir(tmp_path)) == ["out"]


def test_leftovers_of_killed_runs_and_older_versions_are_removed(tmp_path):
    """Temporaries of earlier killed runs (beside DIR and, from older versions, inside it) go at the next publish."""
    target = tmp_path / "out"
    outputs.publish(target, _writer(_set("A")), NAMES)
    (target / ".schedule.csv.k2j3.tmp").write_text("half")  # older single-file temporaries
    (target / ".workbench-probe-x1").mkdir()
    stale = tmp_path / ".out.workbench-new-abc"
    stale.mkdir()
    (stale / "schedule.csv").write_text("half of a killed run")
    (tmp_path / ".out.workbench-lock").write_text("12345\n")
    (tmp_path / ".out.workbench-probe-q").mkdir()
    outputs.publish(target, _writer(_set("B")), NAMES)
    assert _tree(target) == _set("B")
    assert sorted(os.listdir(tmp_path)) == ["out"]


def test_a_users_entry_that_cannot_go_back_is_kept_not_deleted(tmp_path, caplog):
    """A leftover holding a user's file whose name is now taken in DIR is kept in a named folder, with a warning."""
    target = tmp_path / "out"
    outputs.publish(target, _writer(_set("A")), NAMES)
    (target / "notes.txt").write_text("new notes")
    stale = tmp_path / ".out.workbench-new-abc"
    stale.mkdir()
    (stale / "notes.txt").write_text("old notes")  # not the same file as DIR's notes.txt
    outputs.publish(target, _writer(_set("B")), NAMES)
    kept = [p for p in tmp_path.iterdir() if p.name.startswith("out.workbench-recovered-")]
    assert len(kept) == 1 and (kept[0] / "notes.txt").read_text() == "old notes"
    assert (target / "notes.txt").read_text() == "new notes"
    assert "could not be put back" in caplog.text


def test_a_running_publish_is_not_tidied_away_by_another(tmp_path):
    """A staging folder whose publish is alive (flock held) survives another publish's clean-up."""
    target = tmp_path / "out"
    live = tmp_path / ".out.workbench-new-live"
    live.mkdir()
    fd = outputs._lock_fd(live)
    try:
        outputs.publish(target, _writer(_set("A")), NAMES)
        assert live.is_dir()
    finally:
        os.close(fd)
    outputs.publish(target, _writer(_set("B")), NAMES)
    assert not live.exists()


def test_a_held_lock_makes_publish_wait_then_give_up(tmp_path):
    """While another process holds the folder's lock, publish waits (telling who) and gives up with Busy."""
    target = tmp_path / "out"
    lock = tmp_path / ".out.workbench-lock"
    fd = os.open(lock, os.O_RDWR | os.O_CREAT)
    os.write(fd, b"4242\n")
    fcntl.flock(fd, fcntl.LOCK_EX)
    told = []
    try:
        with pytest.raises(outputs.Busy, match="4242"):
            outputs.publish(target, _writer(_set("A")), NAMES, wait=0.2, on_wait=told.append)
    finally:
        os.close(fd)
    assert told == [4242]
    assert not target.exists()
    assert sorted(os.listdir(tmp_path)) == [".out.workbench-lock"]  # the other holder's file, not ours


def test_two_publishes_at_once_end_with_one_whole_set(tmp_path):
    """Two publishes staging side by side into one folder both succeed; the folder holds one whole set."""
    target = tmp_path / "out"
    outputs.publish(target, _writer(_set("A")), NAMES)
    _user_files(target)
    both_staged = threading.Barrier(2)
    errors: list[BaseException] = []

    def run(tag: str) -> None:
        def write(folder: Path) -> None:
            _writer(_set(tag))(folder)
            both_staged.wait(timeout=30)

        try:
            outputs.publish(target, write, NAMES)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=("A",)), threading.Thread(target=run, args=("B",))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert _which_set(target) in ("A", "B")
    assert {k: v for k, v in _tree(target).items() if k not in NAMES} == USER
    assert sorted(os.listdir(tmp_path)) == ["out"]


# --------------------------------------------------------------------------- a kill after every step

CHILD = textwrap.dedent("""
    import errno, importlib.util, json, os, signal, sys
    from pathlib import Path
    spec = importlib.util.spec_from_file_location("outputs_under_test", sys.argv[1])
    m = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(m)
    target, kill_at, mode, files = Path(sys.argv[2]), int(sys.argv[3]), sys.argv[4], json.loads(sys.argv[5])
    steps = []
    def hook(label):
        steps.append(label)
        if len(steps) == kill_at:
            os.kill(os.getpid(), signal.SIGKILL)
    m._after_step = hook
    if mode == "two renames":  # a system without renameat2(RENAME_EXCHANGE)
        real = m._renameat2
        def no_exchange(a, b, flags):
            if flags == m._RENAME_EXCHANGE:
                raise OSError(errno.EINVAL, "not supported")
            real(a, b, flags)
        m._renameat2 = no_exchange
    def write(folder):
        for name, text in files.items():
            (folder / name).write_text(text)
    m.publish(target, write, list(files))
    print(json.dumps(steps))
""")


def _child(target: Path, kill_at: int, mode: str) -> subprocess.CompletedProcess:
    files = {n: d.decode() for n, d in _set("B").items()}
    return subprocess.run([sys.executable, "-c", CHILD, str(OUTPUTS_PY), str(target), str(kill_at), mode,
                           json.dumps(files)], capture_output=True, text=True, timeout=60)


def _layout(root: Path, start: str) -> Path:
    target = root / "out"
    if start != "no folder yet":
        outputs.publish(target, _writer(_set("A")), NAMES)
        _user_files(target)
    return target


@pytest.mark.parametrize("mode", ["exchange", "two renames"])
@pytest.mark.parametrize("start", ["earlier set and user files", "no folder yet"])
def test_a_kill_after_any_step_leaves_the_old_or_the_new_set(tmp_path, mode, start):
    """SIGKILL after each step of a publish: DIR holds the old or the new whole set (never a mix), the user's
    files are never lost, and the next publish leaves no temporary, lock or leftover behind."""
    if mode == "exchange" and not sys.platform.startswith("linux"):
        pytest.skip("renameat2 is Linux only")
    probe = _child(_layout(tmp_path / "probe", start), 0, mode)
    assert probe.returncode == 0, probe.stderr
    steps = json.loads(probe.stdout)
    assert "swapped" in steps and len(steps) >= 8
    if start != "no folder yet":  # the user's entries are carried (links) or moved back (the folder)
        assert any(s.startswith("carried ") for s in steps) and "moved back sub" in steps
    for k in range(1, len(steps) + 1):
        root = tmp_path / f"kill-{k}"
        target = _layout(root, start)
        killed = _child(target, k, mode)
        assert killed.returncode == -9, (steps[k - 1], killed.stderr)
        committed = k > steps.index("swapped")
        state = _which_set(target) if target.exists() else None
        if committed:
            assert state == "B", steps[k - 1]
        elif start == "no folder yet":
            assert not target.exists(), steps[k - 1]
        elif mode == "two renames" and steps[k - 1] == "set aside":
            assert not target.exists()  # between the two renames: absent, never mixed; the next run puts it back
        else:
            assert state == "A" and {k2: v for k2, v in _tree(target).items() if k2 not in NAMES} == USER, \
                steps[k - 1]
        # the next run tidies everything and loses nothing of the user's
        outputs.publish(target, _writer(_set("A")), NAMES)
        expected = _set("A") if start == "no folder yet" else {**_set("A"), **USER}
        assert _tree(target) == expected, steps[k - 1]
        assert sorted(os.listdir(root)) == ["out"], steps[k - 1]


# --------------------------------------------------------------------------- Result.write


def _result(scenario: workbench.Scenario, schedule: pd.DataFrame) -> Result:
    kpis = workbench.compute_kpis(scenario, schedule)
    unassigned = pd.DataFrame(columns=["request_id", "citizen_id", "week", "missing", "reason"])
    return Result(schedule=schedule, unassigned=unassigned, kpis=kpis, status="FEASIBLE", objective=0.0,
                  bound=None, method="greedy", seconds=0.0)


def test_result_write_publishes_a_valid_schedule(base, tmp_path):
    """Result.write with the scenario re-reads and validates the files, then publishes them as one set."""
    from conftest import BASE_SCHEDULE, csv_frame

    result = _result(base, csv_frame(BASE_SCHEDULE))
    paths = result.write(tmp_path / "out", scenario=base)
    assert [p.name for p in paths] == list(NAMES)
    assert workbench.validate(base, workbench.read_schedule(paths[0])) == []
    assert json.loads(paths[2].read_text())["served_sessions"] == len(result.schedule)


def test_result_write_refuses_a_schedule_that_breaks_a_rule(base, tmp_path):
    """A schedule breaking a hard rule is caught by the re-check: BrokenOutput, nothing published."""
    from conftest import BASE_SCHEDULE, csv_frame

    root = tmp_path / "results"
    good = _result(base, csv_frame(BASE_SCHEDULE))
    good.write(root / "out", scenario=base)
    before = _tree(root / "out")
    bad = csv_frame(BASE_SCHEDULE)
    bad.loc[bad["request_id"] == "r3", "mode"] = "in_person"
    with pytest.raises(BrokenOutput) as info:
        _result(base, bad).write(root / "out", scenario=base)
    assert [v.rule for v in info.value.violations] == [7]
    assert _tree(root / "out") == before
    assert sorted(os.listdir(root)) == ["out"]
