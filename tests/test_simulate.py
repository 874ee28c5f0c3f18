"""Tests of workbench.simulate: the weekly loop, its records, the figures, the files and the command line."""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import re
import shutil
import signal
import subprocess
import sys
import threading
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import workbench
from workbench.geo import haversine_km
from workbench.scenario import scenario_from_tables
from workbench.simulate import ParameterError, Parameters, Simulation, metrics, simulate
from workbench.simulate import figures as sim_figures
from workbench.simulate import output as sim_output
from workbench.simulate.model import CITIZEN_COLUMNS, MATCH_COLUMNS, REQUEST_COLUMNS, VOLUNTEER_COLUMNS

ROOT = Path(__file__).resolve().parent.parent
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
START = date(2026, 1, 5)
QUIET = {"recruits_per_week": 0, "volunteer_leave_hazard": 0.0, "match_end_hazard": 0.0, "referrals_per_week": 0}


def tiny(volunteers: int = 1, citizens: int = 1, *, vol_days: tuple[str, ...] = DAYS, max_sessions: int = 1,
         weeks: int = 1, extra_volunteer_rows: list[dict] | None = None, requests: list[dict] | None = None,
         citizen_rows: list[dict] | None = None) -> workbench.Scenario:
    """A hand-built programme: everyone at one place, speaking da, visits of an hour once a week."""
    vols = [{"volunteer_id": f"v{i}", "lat": "55.0", "lon": "12.0", "skills": "visit", "languages": "da",
             "max_sessions_per_week": str(max_sessions), "travel_mode": "car"} for i in range(1, volunteers + 1)]
    avail = [{"volunteer_id": v["volunteer_id"], "day": d, "start": "10:00", "end": "12:00"}
             for v in vols for d in vol_days] + (extra_volunteer_rows or [])
    cits = citizen_rows or [{"citizen_id": f"c{i}", "lat": "55.0", "lon": "12.0", "languages": "da",
                             "district": "North", "priority": "3"} for i in range(1, citizens + 1)]
    reqs = requests or [{"request_id": f"r{c['citizen_id'][1:]}", "citizen_id": c["citizen_id"], "activity": "visit",
                         "duration_min": "60"} for c in cits]
    tables = {"volunteers": pd.DataFrame(vols), "volunteer_availability": pd.DataFrame(avail),
              "citizens": pd.DataFrame(cits), "requests": pd.DataFrame(reqs)}
    return scenario_from_tables(tables, {"start_date": START.isoformat(), "weeks": weeks, "name": "tiny"})


@pytest.fixture(scope="module")
def demo_sim() -> Simulation:
    """Twelve weeks of the demo programme with referrals, recruits, departures and a lock-down."""
    params = Parameters(weeks=12, referrals_per_week=3, match_end_hazard=0.05, lockdown_weeks=((5, 6),))
    return simulate(workbench.load_dataset("demo"), params, seed=4)


# --------------------------------------------------------------------------- parameters


@pytest.mark.parametrize("field, value", [
    ("weeks", 0), ("weeks", -3), ("weeks", 2.5), ("weeks", 10**8),
    ("referrals_per_week", -1.0), ("referrals_per_week", math.inf), ("recruits_per_week", math.nan),
    ("match_end_hazard", 1.5), ("match_end_hazard", -0.1), ("waiting_leave_hazard", 2),
    ("volunteer_leave_hazard", "often"), ("jitter_km", -1.0),
])
def test_bad_parameter_is_named(field: str, value: object) -> None:
    """A negative rate, a hazard above 1, zero weeks, ...: ParameterError naming the parameter."""
    args = {"weeks": 4, field: value}
    with pytest.raises(ParameterError) as err:
        Parameters(**args)
    assert len(err.value.problems) == 1 and err.value.problems[0].startswith(f"{field}:")


def test_every_bad_parameter_is_reported_at_once() -> None:
    """Four problems give four messages in one error, including the heavy-load pair and a reversed lock-down."""
    with pytest.raises(ParameterError) as err:
        Parameters(weeks=0, referrals_per_week=-2, heavy_load_sessions=3, lockdown_weeks=((9, 2),))
    text = " | ".join(err.value.problems)
    assert len(err.value.problems) == 4
    for name in ("weeks", "referrals_per_week", "heavy_load_leave_hazard", "lockdown_weeks"):
        assert name in text


def test_steady_state_defaults_replace_leavers() -> None:
    """Unset rates become hazard × programme size: the caseload and the pool keep their size on average."""
    p = Parameters(weeks=5, match_end_hazard=0.02, volunteer_leave_hazard=0.01).resolved(citizens=600, volunteers=300)
    assert p.referrals_per_week == pytest.approx(12.0) and p.recruits_per_week == pytest.approx(3.0)
    given = Parameters(weeks=5, referrals_per_week=1.5).resolved(citizens=600, volunteers=300)
    assert given.referrals_per_week == 1.5


# --------------------------------------------------------------------------- the weekly loop, hand-built cases


def test_one_volunteer_serves_the_waiting_list_in_referral_order() -> None:
    """One one-visit volunteer, three citizens, every match lasting exactly one week: first visits in weeks 0, 1, 2."""
    sim = simulate(tiny(1, 3), Parameters(weeks=4, **{**QUIET, "match_end_hazard": 1.0}), seed=0)
    c = sim.citizens.set_index("citizen_id")
    assert list(c.loc[["c1", "c2", "c3"], "first_session_week"]) == [0, 1, 2]
    assert list(c.loc[["c1", "c2", "c3"], "left_reason"]) == ["need ended"] * 3
    assert list(sim.weeks["waiting"]) == [2, 1, 0, 0]
    assert list(sim.weeks["sessions"]) == [1, 1, 1, 0]


def test_a_running_match_keeps_its_volunteer_day_and_time() -> None:
    """With no hazards, a citizen keeps one volunteer, weekday and hour for the whole simulation."""
    sim = simulate(tiny(3, 1), Parameters(weeks=6, **QUIET), seed=1)
    s = sim.sessions
    assert len(s) == 6 and s["volunteer_id"].nunique() == 1
    weekdays = {date.fromisoformat(d).weekday() for d in s["date"]}
    assert len(weekdays) == 1 and s["start"].nunique() == 1
    assert list(s["week"]) == list(range(6))
    m = sim.matches
    assert len(m) == 1 and m["end_reason"].iloc[0] == "running" and m["weeks"].iloc[0] == 6


def test_a_volunteer_leaving_ends_the_match_and_the_citizen_is_matched_again() -> None:
    """Only busy volunteers leave (heavy-load hazard 1): the match ends 'volunteer left', the other takes over."""
    params = Parameters(weeks=3, **QUIET, heavy_load_sessions=1, heavy_load_leave_hazard=1.0)
    sim = simulate(tiny(2, 1), params, seed=0)
    first, second = sim.matches.iloc[0], sim.matches.iloc[1]
    assert first["end_reason"] == "volunteer left" and first["end_week"] == 1 and first["weeks"] == 1
    assert second["volunteer_id"] != first["volunteer_id"] and second["start_week"] == 1
    assert list(sim.weeks["sessions"]) == [1, 1, 0]  # nobody is left in week 2
    assert sim.citizens["first_session_week"].tolist() == [0]


def test_heavy_weeks_make_volunteers_leave_when_so_set() -> None:
    """Base hazard 0, heavy-load hazard 1 from one session: the busy volunteer leaves, the idle one stays."""
    params = Parameters(weeks=2, **QUIET, heavy_load_sessions=1, heavy_load_leave_hazard=1.0)
    sim = simulate(tiny(2, 1), params, seed=0)
    v = sim.volunteers.set_index("volunteer_id")
    busy = sim.sessions[sim.sessions["week"] == 0]["volunteer_id"].iloc[0]
    idle = ({"v1", "v2"} - {busy}).pop()
    assert v.at[busy, "left_week"] == 1 and v.at[busy, "left_reason"] == "left after a heavy week"
    assert pd.isna(v.at[idle, "left_week"])
    assert sim.sessions[sim.sessions["week"] == 1]["volunteer_id"].tolist() == [idle]


def test_referrals_are_drawn_from_the_programme_mix_with_new_ids_and_nearby_homes() -> None:
    """Referred citizens copy a template's district, priority, languages and requests, live within ~5 σ of it."""
    base = workbench.load_dataset("demo")
    sim = simulate(base, Parameters(weeks=6, referrals_per_week=5, jitter_km=0.3), seed=2)
    ref = sim.citizens[sim.citizens["cohort"] == "referral"]
    assert len(ref) > 10 and not set(ref["citizen_id"]) & set(base.citizens["citizen_id"])
    tmpl = base.citizens.set_index("citizen_id")
    for row in ref.itertuples():
        t = tmpl.loc[row.template]
        assert (row.district, row.priority, row.languages) == (t["district"], t["priority"], ";".join(t["languages"]))
        want = sorted(base.requests.loc[base.requests["citizen_id"] == row.template, "activity"])
        got = sorted(sim.requests.loc[sim.requests["citizen_id"] == row.citizen_id, "activity"])
        assert got == want
        # referred during the week before their first planned week
        assert START + timedelta(days=7 * (row.first_week - 1)) <= row.referral_date < START + timedelta(
            days=7 * row.first_week)
    homes = sim.sessions.merge(ref[["citizen_id", "template"]], on="citizen_id")
    assert len(homes) > 0


def test_referral_homes_are_jittered_around_their_template() -> None:
    """New citizens' homes (in their week's scenario) lie near the template's, not on it."""
    base = tiny(1, 1)
    captured: list[workbench.Scenario] = []
    import workbench.engine as engine_module

    real = engine_module.solve

    def spy(scenario: workbench.Scenario, **kw: object) -> workbench.Result:
        captured.append(scenario)
        return real(scenario, **kw)

    mp = pytest.MonkeyPatch()
    mp.setattr(engine_module, "solve", spy)
    try:
        simulate(base, Parameters(weeks=3, referrals_per_week=4, **{k: v for k, v in QUIET.items()
                                                                    if k != "referrals_per_week"}), seed=5)
    finally:
        mp.undo()
    last = captured[-1].citizens
    new = last[last["citizen_id"] != "c1"]
    assert len(new) >= 3
    d = [haversine_km(55.0, 12.0, float(a), float(b)) for a, b in zip(new["lat"], new["lon"])]
    assert all(0 < x < 5 * 0.3 * 1.5 for x in d)


def test_same_seed_same_simulation_and_another_seed_another() -> None:
    """A simulation depends only on its inputs and seed (common random numbers), and seeds differ."""
    base = workbench.load_dataset("demo")
    p = Parameters(weeks=5, referrals_per_week=4)
    a, b, c = (simulate(base, p, seed=s) for s in (7, 7, 8))
    for name in ("weeks", "citizens", "requests", "volunteers", "matches", "sessions"):
        ta, tb = getattr(a, name), getattr(b, name)
        drop = [col for col in ("solve_seconds", "week_seconds") if col in ta.columns]
        pd.testing.assert_frame_equal(ta.drop(columns=drop), tb.drop(columns=drop))
    assert not a.citizens["referral_date"].equals(c.citizens["referral_date"])


def test_policies_with_one_seed_see_the_same_referrals() -> None:
    """Common random numbers: the same seed gives two policies the same referrals (templates and dates)."""
    base = workbench.load_dataset("demo")
    p = Parameters(weeks=5, referrals_per_week=4)
    a = simulate(base, p, seed=3)
    b = simulate(workbench.whatif.apply(base, [("phone_share", 1.0)], 3), p, seed=3)
    cols = ["citizen_id", "template", "referral_date"]
    pd.testing.assert_frame_equal(a.citizens[cols], b.citizens[cols])


def test_the_scenario_is_not_changed_by_a_simulation() -> None:
    """simulate() leaves the scenario it was given exactly as it was."""
    base = workbench.load_dataset("demo")
    before = {n: base.table(n).copy() for n in ("volunteers", "citizens", "requests", "pins")}
    simulate(base, Parameters(weeks=3, referrals_per_week=3), seed=0)
    for n, t in before.items():
        pd.testing.assert_frame_equal(base.table(n), t)


def test_lockdown_weeks_are_calls_and_matches_resume_in_person_afterwards() -> None:
    """In lock-down weeks every session is a call; afterwards visits resume with the same volunteer."""
    sim = simulate(tiny(3, 1), Parameters(weeks=5, **QUIET, lockdown_weeks=((1, 2),)), seed=0)
    modes = sim.sessions.groupby("week")["mode"].agg(set)
    assert modes.loc[0] == {"in_person"} and modes.loc[1] == {"phone"} == modes.loc[2]
    assert modes.loc[3] == {"in_person"} == modes.loc[4]
    assert sim.sessions["volunteer_id"].nunique() == 1
    assert list(sim.weeks["lockdown"]) == [False, True, True, False, False]


def test_dated_availability_repeats_with_the_scenario_horizon() -> None:
    """A volunteer free only on the second Tuesday of a two-week scenario visits in weeks 1, 3 and 5."""
    tuesday = (START + timedelta(days=8)).isoformat()
    base = tiny(1, 1, vol_days=(), weeks=2,
                extra_volunteer_rows=[{"volunteer_id": "v1", "day": tuesday, "start": "10:00", "end": "12:00"}])
    sim = simulate(base, Parameters(weeks=6, **QUIET), seed=0)
    assert list(sim.sessions["week"]) == [1, 3, 5]
    assert {date.fromisoformat(d).weekday() for d in sim.sessions["date"]} == {1}


def test_one_off_requests_are_planned_in_their_week_then_closed() -> None:
    """A one-off is served on its date and closed; a citizen with nothing else open then leaves."""
    wednesday = START + timedelta(days=9)
    reqs = [{"request_id": "r1", "citizen_id": "c1", "activity": "visit", "duration_min": "60",
             "date": wednesday.isoformat()}]
    sim = simulate(tiny(1, 1, requests=reqs, weeks=2), Parameters(weeks=4, **QUIET), seed=0)
    assert list(sim.sessions["date"]) == [wednesday.isoformat()]
    r = sim.requests.iloc[0]
    assert r["closed_week"] == 2 and r["closed_reason"] == "done"
    c = sim.citizens.iloc[0]
    assert c["left_week"] == 2 and c["left_reason"] == "requests done"
    assert sim.matches["end_reason"].tolist() == ["one-off done"]
    assert list(sim.weeks["waiting"]) == [0, 0, 0, 0] and list(sim.weeks["on_list"]) == [0, 1, 0, 0]


def test_stop_event_ends_after_the_week_being_planned() -> None:
    """Setting stop during week 2 returns three weeks, marked interrupted."""
    stop = threading.Event()

    def on_week(report: object) -> None:
        if report.week == 2:  # type: ignore[attr-defined]
            stop.set()

    sim = simulate(tiny(1, 2), Parameters(weeks=10, **QUIET), seed=0, on_week=on_week, stop=stop)
    assert sim.weeks_done == 3 and sim.interrupted and len(sim.weeks) == 3


def test_optimiser_weeks_report_status_and_gap() -> None:
    """With cpsat every week carries the engine's status, bound and gap; the summary sums them."""
    sim = simulate(tiny(2, 3), Parameters(weeks=2, **QUIET), seed=0, method="cpsat", time_limit_per_week=5)
    assert set(sim.weeks["status"]) <= {"OPTIMAL", "FEASIBLE"} and sim.weeks["bound"].notna().all()
    s = metrics.summary(sim)
    assert s["objective_bound"] == pytest.approx(sim.weeks["bound"].sum())
    assert s["gap"] == pytest.approx((s["objective_bound"] - s["objective"]) / s["objective_bound"])


# --------------------------------------------------------------------------- figures from the record


def record(waits: list[tuple[float, bool]], districts: list[str] | None = None) -> Simulation:
    """A simulation record with referrals whose waits (days/7) and matched flags are given, observed 10 weeks."""
    rows = []
    for i, (weeks, matched) in enumerate(waits):
        referred = START + timedelta(days=7)
        rows.append({"citizen_id": f"c{i}", "template": "t", "cohort": "referral", "referral_date": referred,
                     "first_week": 2, "district": districts[i] if districts else "B", "priority": 3,
                     "languages": "da",
                     "activities": "visit",
                     "first_session_date": referred + timedelta(days=round(7 * weeks)) if matched else None,
                     "first_session_week": None, "left_week": None if matched else 1 + round(weeks),
                     "left_reason": "" if matched else "left the waiting list", "sessions": int(matched)})
    citizens = pd.DataFrame(rows, columns=CITIZEN_COLUMNS)
    empty = {n: pd.DataFrame(columns=cols) for n, cols in (("requests", REQUEST_COLUMNS),
                                                            ("volunteers", VOLUNTEER_COLUMNS),
                                                            ("matches", MATCH_COLUMNS))}
    weeks = pd.DataFrame({"week": range(10), "date": [START + timedelta(days=7 * w) for w in range(10)]})
    return Simulation(scenario="hand", start_date=START, parameters=Parameters(weeks=10), seed=0, method="greedy",
                      effort_per_week=None, time_limit_per_week=None, weeks_done=10, interrupted=False, seconds=0.0,
                      weeks=weeks, citizens=citizens, sessions=pd.DataFrame(), **empty)


def test_kaplan_meier_uses_censored_waits() -> None:
    """Waits 1, 2 (matched), 2 (left unmatched), 3 (matched), 6 (left): S(t) by the product-limit formula by hand.

    At 1 week 5 at risk, 1 event: S = 4/5. At 2: 4 at risk, 1 event (the censored one leaves after): S = 3/5.
    At 3: 2 at risk, 1 event: S = 3/10. A plain share of the matched would say 3/5 matched by 4 weeks.
    """
    sim = record([(1, True), (2, True), (2, False), (3, True), (6, False)])
    within = metrics.matched_within(sim, None, (1, 2, 4), min_group=1).set_index("within_weeks")
    assert within.at[1, "share"] == pytest.approx(1 / 5)
    assert within.at[2, "share"] == pytest.approx(2 / 5)
    assert within.at[4, "share"] == pytest.approx(7 / 10)
    assert within.at[4, "median_weeks"] == pytest.approx(3.0)
    assert (within["ci_low"] <= within["share"]).all() and (within["share"] <= within["ci_high"]).all()
    curve = metrics.time_to_first_session(sim, min_group=1)
    assert curve["at_risk"].iloc[1] == 5 and curve["censored"].sum() == 2


def test_matched_within_is_unknown_beyond_the_longest_observation() -> None:
    """A group observed for 3 weeks has no 12-week share (NaN), not a made-up one."""
    sim = record([(1, True), (3, False)])
    within = metrics.matched_within(sim, None, (4, 12), min_group=1)
    assert within["share"].isna().all()


def test_groups_smaller_than_min_group_are_pooled() -> None:
    """With min_group 3, districts of 3, 1 and 1 people: the big one keeps its name, the small ones become 'other'."""
    sim = record([(1, True), (2, True), (3, True), (4, True), (5, True)], districts=["B", "A", "B", "C", "B"])
    table = metrics.matched_within(sim, "district", (3,), min_group=3).set_index("group")
    assert set(table.index) == {"B", "other"}
    assert table.at["B", "n"] == 3 and table.at["other", "n"] == 2
    assert table.at["other", "share"] == pytest.approx(1 / 2)  # A waited 2 weeks, C 4: one of two within 3
    assert table.at["B", "share"] == pytest.approx(2 / 3)  # B waited 1, 3 and 5 weeks


def test_waiting_list_counts_those_never_visited_and_still_in(demo_sim: Simulation) -> None:
    """The waiting list per week equals a count from the citizens' records, and the groups add up to it."""
    c = demo_sim.citizens
    for week in (0, 5, 11):
        expected = ((c["first_week"] <= week) & (c["first_session_week"].fillna(99) > week)
                    & (c["left_week"].fillna(99) > week)).sum()
        assert demo_sim.weeks.set_index("week").at[week, "waiting"] == expected
    by = metrics.waiting_list(demo_sim, "priority")
    assert by.groupby("week")["waiting"].sum().tolist() == demo_sim.weeks["waiting"].tolist()


def test_summary_and_tables_are_consistent(demo_sim: Simulation) -> None:
    """Summary figures agree with the tables they come from; shares lie in [0, 1]."""
    s = metrics.summary(demo_sim)
    assert s["referrals"] == (demo_sim.citizens["cohort"] == "referral").sum()
    assert s["sessions"] == len(demo_sim.sessions)
    assert s["final_waiting"] == demo_sim.weeks["waiting"].iloc[-1]
    for key in ("matched_within_4w", "matched_by_end", "coverage", "idle_share"):
        assert s[key] is None or 0 <= s[key] <= 1
    load = metrics.volunteer_load(demo_sim)
    assert load["sessions"].sum() == len(demo_sim.sessions)
    turn = metrics.turnover(demo_sim)
    assert turn["joined"].sum() == (demo_sim.volunteers["cohort"] == "recruit").sum()
    assert turn["left"].sum() == demo_sim.volunteers["left_week"].notna().sum()
    assert metrics.end_reasons(demo_sim)["matches"].sum() == (demo_sim.matches["end_reason"] != "one-off done").sum()


def test_figures_are_built_for_every_grouping(demo_sim: Simulation) -> None:
    """Every figure has traces; time-to-match curves are step lines with a band per group."""
    figs = sim_figures.all_figures(demo_sim, min_group=5)
    assert {"waiting_list", "time_to_first_session", "matched_within", "match_length", "volunteers",
            "time_to_first_session_by_priority", "matched_within_by_activity", "waiting_list_by_district"} <= set(figs)
    for name, fig in figs.items():
        assert len(fig.data) > 0, name
    curves = [t for t in figs["time_to_first_session_by_priority"].data if t.showlegend is not False]
    assert curves and all(t.line.shape == "hv" for t in curves)


# --------------------------------------------------------------------------- files and the command line


def test_write_makes_one_set_and_removes_stale_files(demo_sim: Simulation, tmp_path: Path) -> None:
    """The folder gets tables, summary and figures; a later run without figures removes the old figures."""
    out = tmp_path / "sim"
    sim_output.write(demo_sim, out, min_group=5)
    manifest = json.loads((out / "simulation.json").read_text())
    assert (out / "waiting_list.html").exists() and (out / "plotly.min.js").exists()
    for name in ("weeks.csv", "citizens.csv", "matched_within.csv", "time_to_first_session.csv"):
        assert name in manifest["files"] and (out / name).exists()
    assert manifest["summary"]["referrals"] == (demo_sim.citizens["cohort"] == "referral").sum()
    (out / "notes.txt").write_text("mine")
    sim_output.write(demo_sim, out, figures=False, min_group=5)
    assert not (out / "waiting_list.html").exists() and (out / "notes.txt").read_text() == "mine"
    weeks = pd.read_csv(out / "weeks.csv")
    assert list(weeks["waiting"]) == list(demo_sim.weeks["waiting"])


def _cli(argv: list[str]) -> int:
    from workbench.simulate import cli

    parser = argparse.ArgumentParser(prog="workbench")
    cli.add_parser(parser.add_subparsers(dest="command"))
    return cli.run(parser.parse_args(["simulate", *argv]))


def _digest(folder: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(folder.rglob("*")):
        if p.is_file():
            h.update(p.name.encode() + p.read_bytes())
    return h.hexdigest()


def test_cli_plans_every_week_with_the_weights_given(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """--weight reaches every week's solve and is kept in simulation.json."""
    from workbench.simulate import model

    seen: list[object] = []
    solve = model.engine.solve

    def watched(scenario: workbench.Scenario, **kw: object) -> object:
        seen.append(kw.get("weights"))
        return solve(scenario, **kw)

    monkeypatch.setattr(model.engine, "solve", watched)
    code = _cli([str(ROOT / "datasets" / "demo"), "--weeks", "2", "--out", str(tmp_path / "out"), "--weight",
                 "continuity=0", "--weight", "travel=5", "--no-progress", "--no-figures"])
    assert code == 0
    assert seen == [{"continuity": 0, "travel": 5}] * 2
    meta = json.loads((tmp_path / "out" / "simulation.json").read_text())
    assert meta["weights"] == {"continuity": 0, "travel": 5}


def test_cli_simulates_and_never_writes_into_the_scenario(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`workbench simulate` writes its tables and figures, exits 0 and leaves the scenario's files unchanged."""
    scenario = tmp_path / "demo"
    shutil.copytree(ROOT / "datasets" / "demo", scenario)
    before = _digest(scenario)
    code = _cli([str(scenario), "--weeks", "3", "--out", str(tmp_path / "out"), "--referrals-per-week", "2",
                 "--policy", "phone_share=1.0", "--lockdown-weeks", "1-1", "--no-progress"])
    assert code == 0
    out = capsys.readouterr().out
    assert "simulated 3 of 3 weeks" in out and "matched within" in out
    assert (tmp_path / "out" / "time_to_first_session.html").exists()
    meta = json.loads((tmp_path / "out" / "simulation.json").read_text())
    assert meta["parameters"]["lockdown_weeks"] == [[1, 1]] and meta["weeks_done"] == 3
    assert meta["policies"] == [{"kind": "phone_share", "value": 1.0}] and meta["scenario_path"] == str(scenario)
    assert _digest(scenario) == before


@pytest.mark.parametrize("argv, words", [
    (["--weeks", "0"], ["--weeks"]),
    (["--weeks", "4", "--referrals-per-week", "-1"], ["--referrals-per-week", "rate ≥ 0"]),
    (["--weeks", "4", "--match-end-hazard", "1.2", "--volunteer-leave-hazard", "-0.5"],
     ["--match-end-hazard", "--volunteer-leave-hazard", "probability"]),
    (["--weeks", "4", "--lockdown-weeks", "7-3"], ["--lockdown-weeks"]),
    (["--weeks", "4", "--policy", "supply=0"], ["--policy supply"]),
    (["--weeks", "4", "--policy", "teleport=1"], ["--policy teleport", "unknown"]),
    (["--weeks", "4", "--heavy-load-sessions", "2"], ["--heavy-load-leave-hazard"]),
    (["--weeks", "4", "--method", "greedy", "--effort-per-week", "5"], ["--effort-per-week"]),
    (["--weeks", "4", "--method", "cpsat", "--time-limit-per-week", "-2"], ["--time-limit-per-week"]),
    (["--weeks", "x", "--seed", "y"], ["--weeks", "--seed"]),
    (["--weeks", "4", "--weight", "friendship=3"], ["--weight 'friendship=3'", "NAME=INTEGER"]),
])
def test_cli_bad_parameters_exit_2_with_every_problem(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                      argv: list[str], words: list[str]) -> None:
    """Bad parameters: exit 2, each problem named on stderr, no traceback, nothing written."""
    out = tmp_path / "out"
    assert _cli([str(ROOT / "datasets" / "demo"), *argv, "--out", str(out), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    for w in words:
        assert w in err
    assert not out.exists()


def test_cli_rejects_out_inside_the_scenario_and_a_broken_scenario(tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    """--out inside the scenario folder, or a scenario with bad rows: exit 2 with the file, row and column."""
    scenario = tmp_path / "demo"
    shutil.copytree(ROOT / "datasets" / "demo", scenario)
    assert _cli([str(scenario), "--weeks", "2", "--out", str(scenario / "out"), "--no-progress"]) == 2
    assert "inside the scenario folder" in capsys.readouterr().err
    text = (scenario / "volunteers.csv").read_text().splitlines()
    cells = text[1].split(",")
    cells[2] = "north"  # lat
    text[1] = ",".join(cells)
    (scenario / "volunteers.csv").write_text("\n".join(text) + "\n")
    assert _cli([str(scenario), "--weeks", "2", "--out", str(tmp_path / "o"), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert "volunteers.csv" in err and "row 2" in err and "lat" in err


def test_python_and_command_line_give_the_same_simulation(tmp_path: Path) -> None:
    """The command line's tables equal simulate()'s with the same seed and parameters."""
    code = _cli([str(ROOT / "datasets" / "demo"), "--weeks", "3", "--seed", "9", "--referrals-per-week", "2",
                 "--out", str(tmp_path / "o"), "--no-figures", "--no-progress"])
    assert code == 0
    sim = simulate(workbench.load_dataset("demo"), Parameters(weeks=3, referrals_per_week=2), seed=9)
    on_disk = pd.read_csv(tmp_path / "o" / "citizens.csv", dtype=str, keep_default_na=False)
    assert on_disk["citizen_id"].tolist() == sim.citizens["citizen_id"].tolist()
    assert on_disk["first_session_date"].tolist() == [str(d) if d is not None else "" for d in
                                                       sim.citizens["first_session_date"]]
    assert np.array_equal(pd.read_csv(tmp_path / "o" / "weeks.csv")["waiting"], sim.weeks["waiting"])


def test_notebook_05_runs_under_papermill_with_other_parameters(tmp_path: Path) -> None:
    """papermill executes notebook 05 with other (smaller) parameters, and the policy sweep uses them."""
    papermill = pytest.importorskip("papermill")
    out = tmp_path / "runs"
    papermill.execute_notebook(
        str(ROOT / "notebooks" / "05-waiting-list.ipynb"), str(tmp_path / "out.ipynb"),
        parameters={"weeks": 3, "policy_weeks": 3, "seeds": 2, "policies": ["today", "wider radius"],
                    "workers": 0, "out_dir": str(out)},
        cwd=str(ROOT / "notebooks"), kernel_name="python3", progress_bar=False,
    )
    table = pd.read_csv(out / "results.csv")
    assert sorted(set(table["variant"])) == ["today", "wider radius"] and set(table["seed"]) == {0, 1}
    assert (table["status"] != "ERROR").all() and set(table["weeks"]) == {3}


def _start_simulation(out: Path) -> subprocess.Popen:
    """A long simulation as a command; returns once a first week is planned (read from the progress bar,
    which may skip "1/300" when weeks are quick)."""
    proc = subprocess.Popen([sys.executable, "-m", "workbench.simulate.cli", str(ROOT / "datasets" / "demo"),
                             "--weeks", "300", "--out", str(out), "--no-figures"],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    seen = b""
    while not re.search(rb"\b[1-9]\d*/300", seen):
        chunk = proc.stderr.read1(256)  # type: ignore[union-attr]
        assert chunk, seen.decode(errors="replace")
        seen += chunk
    return proc


def test_first_ctrl_c_writes_the_weeks_simulated_so_far(tmp_path: Path) -> None:
    """Ctrl-C: the week being planned is finished, the weeks so far are written (interrupted), exit 0."""
    out = tmp_path / "out"
    proc = _start_simulation(out)
    proc.send_signal(signal.SIGINT)
    stdout, _ = proc.communicate(timeout=120)
    assert proc.returncode == 0, stdout
    meta = json.loads((out / "simulation.json").read_text())
    assert meta["interrupted"] is True and 1 <= meta["weeks_done"] < 300
    assert len(pd.read_csv(out / "weeks.csv")) == meta["weeks_done"]
    assert b"interrupted after" in stdout


def test_second_ctrl_c_aborts_and_leaves_the_folder_as_it_was(tmp_path: Path) -> None:
    """Two Ctrl-C: exit 130 at once, nothing written."""
    out = tmp_path / "out"
    proc = _start_simulation(out)
    proc.send_signal(signal.SIGINT)
    seen = b""
    while b"Ctrl-C again" not in seen:  # the first one was heard: signals sent at once would merge into one
        chunk = proc.stderr.read1(256)  # type: ignore[union-attr]
        assert chunk, seen.decode(errors="replace")
        seen += chunk
    proc.send_signal(signal.SIGINT)
    proc.communicate(timeout=120)
    assert proc.returncode == 130 and not out.exists()


@pytest.mark.skipif("effort" not in __import__("inspect").signature(workbench.solve).parameters,
                    reason="the engine has no deterministic effort budget yet")
def test_optimiser_weeks_within_an_effort_are_reproducible() -> None:
    """cpsat weeks bounded by effort, not wall time: the same seed gives the same simulation."""
    base = workbench.load_dataset("demo")
    p = Parameters(weeks=2, referrals_per_week=3)
    a, b = (simulate(base, p, seed=1, method="cpsat", effort_per_week=1.0) for _ in range(2))
    for name in ("weeks", "sessions", "matches"):
        ta, tb = getattr(a, name), getattr(b, name)
        drop = [c for c in ("solve_seconds", "week_seconds") if c in ta.columns]
        pd.testing.assert_frame_equal(ta.drop(columns=drop), tb.drop(columns=drop))


def test_the_main_command_line_can_lend_its_signal_state(tmp_path: Path) -> None:
    """run(args, interrupts) uses the caller's stop/phase/committed: searching, then writing, then committed;
    a stop set before the first week is planned means nothing to write (exit 130, no folder)."""
    from types import SimpleNamespace

    from workbench.simulate import cli

    parser = argparse.ArgumentParser(prog="workbench")
    cli.add_parser(parser.add_subparsers(dest="command"))

    def args(out: Path) -> argparse.Namespace:
        return parser.parse_args(["simulate", str(ROOT / "datasets" / "demo"), "--weeks", "2", "--out", str(out),
                                  "--no-figures", "--no-progress"])

    state = SimpleNamespace(stop=threading.Event(), phase="starting", committed=False)
    assert cli.run(args(tmp_path / "o"), state) == 0
    assert state.phase == "writing" and state.committed
    assert json.loads((tmp_path / "o" / "simulation.json").read_text())["weeks_done"] == 2
    stopped = SimpleNamespace(stop=threading.Event(), phase="starting", committed=False)
    stopped.stop.set()
    assert cli.run(args(tmp_path / "p"), stopped) == 130 and not (tmp_path / "p").exists()
