"""The command line as the contract fixes it: files written, exit codes, time limit, nothing written into SCENARIO."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd

import workbench


def run(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "workbench.cli", *args], capture_output=True, text=True,
                          timeout=timeout)


def _digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


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
    assert kpis["served_sessions"] == len(schedule)
    assert _digest(base_dir) == before
    assert run("validate", str(base_dir), str(out / "schedule.csv")).returncode == 0


def test_solve_refuses_to_write_into_the_scenario(base_dir):
    """--out inside the scenario folder is refused with exit 2 and nothing is written."""
    before = _digest(base_dir)
    proc = run("solve", str(base_dir), "--out", str(base_dir / "out"))
    assert proc.returncode == 2 and "never written to" in proc.stderr
    assert _digest(base_dir) == before


def test_validate_reports_each_broken_rule_with_its_row(base_dir, tmp_path):
    """validate prints the rule and row of every violation and exits 1; a valid schedule exits 0."""
    from conftest import BASE_SCHEDULE, csv_frame

    bad = csv_frame(BASE_SCHEDULE)
    bad.loc[bad["request_id"] == "r3", "mode"] = "in_person"
    path = tmp_path / "bad.csv"
    bad.to_csv(path, index=False)
    proc = run("validate", str(base_dir), str(path))
    assert proc.returncode == 1
    assert "rule 7 (row 5)" in proc.stdout
    csv_frame(BASE_SCHEDULE).to_csv(path, index=False)
    assert run("validate", str(base_dir), str(path)).returncode == 0


def test_validate_missing_schedule_column_is_input_error(base_dir, tmp_path):
    """A schedule file without a required column is an input error (exit 2), not a crash."""
    path = tmp_path / "s.csv"
    path.write_text("request_id,volunteer_id\nr1,v1\n")
    proc = run("validate", str(base_dir), str(path))
    assert proc.returncode == 2 and "column 'date'" in proc.stderr and "Traceback" not in proc.stderr


def test_generate_is_deterministic_and_matches_the_python_api(tmp_path):
    """generate --seed writes the same scenario as the Python generator, and refuses to overwrite."""
    out = tmp_path / "gen"
    proc = run("generate", "--out", str(out), "--volunteers", "12", "--citizens", "20", "--weeks", "1", "--seed", "4")
    assert proc.returncode == 0, proc.stderr
    assert workbench.load(out).equals(workbench.generate(12, 20, 1, seed=4))
    again = run("generate", "--out", str(out), "--volunteers", "12", "--citizens", "20", "--weeks", "1")
    assert again.returncode == 2 and "exists" in again.stderr


def test_time_limit_bounds_the_whole_command(tmp_path):
    """--time-limit 4 ends the whole command (start-up, loading and writing included) within 5 s."""
    t0 = time.monotonic()
    proc = run("solve", str(workbench.datasets.path("demo")), "--out", str(tmp_path / "o"), "--time-limit", "4")
    elapsed = time.monotonic() - t0
    assert proc.returncode == 0, proc.stderr
    assert elapsed < 5.0, elapsed


def test_previous_schedule_is_kept(base_dir, tmp_path):
    """solve --previous keeps an agreed plan that still fits, session for session."""
    first = tmp_path / "first"
    assert run("solve", str(base_dir), "--out", str(first), "--method", "greedy").returncode == 0
    second = tmp_path / "second"
    proc = run("solve", str(base_dir), "--out", str(second), "--previous", str(first / "schedule.csv"))
    assert proc.returncode == 0, proc.stderr
    a = pd.read_csv(first / "schedule.csv", dtype=str)
    b = pd.read_csv(second / "schedule.csv", dtype=str)
    key = ["request_id", "volunteer_id", "date", "start"]
    assert len(a[key].merge(b[key])) == len(a)


def test_keep_before_needs_previous(base_dir, tmp_path):
    """--keep-before without --previous is an input error (exit 2) with a plain message."""
    proc = run("solve", str(base_dir), "--out", str(tmp_path / "o"), "--keep-before", "2026-01-07")
    assert proc.returncode == 2 and "--keep-before needs" in proc.stderr


def test_time_limit_counts_from_this_command_not_the_shell_before_it():
    """A shell that runs `… && workbench solve` by exec does not eat the solver's time (README command)."""
    code = "import workbench.cli as c; print(c._process_age())"
    proc = subprocess.run(["bash", "-c", f"sleep 3 && exec {sys.executable} -c '{code}'"], capture_output=True,
                          text=True, timeout=60, check=True)
    age = float(proc.stdout.strip())
    assert 0.0 < age < 2.5  # the 3 s the shell slept before exec are not this command's
