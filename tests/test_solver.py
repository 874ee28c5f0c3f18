"""The optimiser and the baseline on named tiny scenarios whose optimum is known by hand."""

from __future__ import annotations

import re
import threading
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from conftest import csv_frame

import workbench
from workbench.engine import pipeline
from workbench.engine.bound import citizen_bound, lp_bound, pinned_residual
from workbench.engine.candidates import free_days, pair_checks, pair_weeks
from workbench.engine.tuning import TUNING, Tuning
from workbench.index import index_of
from workbench.scenario import edit
from workbench.scenario.read import scenario_from_tables

SETTINGS = {"name": "tiny", "start_date": "2026-01-05", "weeks": 1}
NEAR, FAR = "55.680,12.570", "55.700,12.570"  # 2.2 km apart


def tiny(volunteers: str, requests: str, citizens: str | None = None, availability: str | None = None,
         **extra: str) -> workbench.Scenario:
    """A one-week scenario from inline CSV; by default every volunteer is free Monday 9-17."""
    vol = csv_frame(volunteers)
    tables = {
        "volunteers": vol,
        "volunteer_availability": csv_frame(availability) if availability else pd.DataFrame(
            {"volunteer_id": vol["volunteer_id"], "day": "mon", "start": "09:00", "end": "17:00"}),
        "citizens": csv_frame(citizens or f"""
            citizen_id,lat,lon,languages,priority
            c1,{NEAR},da,5
            c2,{NEAR},da,4
        """),
        "requests": csv_frame(requests),
    }
    tables.update({k: csv_frame(v) for k, v in extra.items()})
    return scenario_from_tables(tables, dict(SETTINGS))


GREEDY_TRAP = dict(
    volunteers=f"""
        volunteer_id,lat,lon,skills,languages,max_sessions_per_week
        v1,{NEAR},visit;walk,da,1
        v2,{FAR},visit,da,1
    """,
    requests="""
        request_id,citizen_id,activity,duration_min
        r1,c1,visit,60
        r2,c2,walk,60
    """,
)


def test_greedy_trap_optimum():
    """The optimiser gives the urgent visit to the farther volunteer so both citizens are served (5+4)."""
    s = tiny(**GREEDY_TRAP)
    greedy = workbench.solve(s, method="greedy")
    best = workbench.solve(s, method="cpsat", time_limit=10)
    assert greedy.objective == 5  # the nearest volunteer takes r1; nobody else can walk with c2
    assert best.objective == 9 and best.status == "OPTIMAL" and best.bound == 9
    assert set(zip(best.schedule["request_id"], best.schedule["volunteer_id"])) == {("r1", "v2"), ("r2", "v1")}


def test_priority_first_when_capacity_is_short():
    """With room for one session, the priority-5 citizen is served, and the other row explains why not."""
    s = tiny(volunteers=f"volunteer_id,lat,lon,skills,languages,max_sessions_per_week\nv1,{NEAR},visit,da,1\n",
             requests="request_id,citizen_id,activity,duration_min\nr1,c1,visit,60\nr2,c2,visit,60\n")
    r = workbench.solve(s, time_limit=10)
    assert list(r.schedule["request_id"]) == ["r1"] and r.objective == 5 and r.status == "OPTIMAL"
    (row,) = r.unassigned.itertuples(index=False)
    assert (row.request_id, row.week, row.missing) == ("r2", 0, 1)  # the contract's 0-based week
    assert "weekly limits" in row.reason


TEMPTATIONS = [
    ("too far", f"v1,{FAR},visit,da,yes,f,1,", "", "nobody within reach"),
    ("not vetted", f"v1,{NEAR},visit,da,no,f,,", "", "vetted"),
    ("no shared language", f"v1,{NEAR},visit,en,yes,f,,", "", "speaks Danish"),
    ("lacks the skill", f"v1,{NEAR},walk,da,yes,f,,", "", "nobody offers visit"),
    ("wrong gender", f"v1,{NEAR},visit,da,yes,m,,", "", "as the citizen wishes"),
    ("excluded", f"v1,{NEAR},visit,da,yes,f,,", "v1", "excluded"),
]


@pytest.mark.parametrize(("what", "volunteer", "excluded", "reason"), TEMPTATIONS, ids=[t[0] for t in TEMPTATIONS])
@pytest.mark.parametrize("method", ["cpsat", "greedy"])
def test_only_volunteer_breaks_a_rule_so_nobody_is_sent(what, volunteer, excluded, reason, method):
    """When the only volunteer would break a hard rule, the request stays unserved with the right reason."""
    s = tiny(
        volunteers=f"volunteer_id,lat,lon,skills,languages,vetted,gender,max_travel_km,max_sessions_per_week\n"
                   f"{volunteer}\n",
        citizens=f"citizen_id,lat,lon,languages,priority,gender_preference,excluded_volunteers\n"
                 f"c1,{NEAR},da,5,f,{excluded}\n",
        requests="request_id,citizen_id,activity,duration_min,requires_vetting\nr1,c1,visit,60,true\n",
    )
    r = workbench.solve(s, method=method, time_limit=10)
    assert r.schedule.empty
    assert reason in r.unassigned["reason"].iloc[0]


@pytest.mark.parametrize("method", ["cpsat", "greedy"])
def test_volunteer_not_free_when_citizen_is(method):
    """Volunteer free only in the morning, citizen only in the afternoon: no session, reason says when."""
    s = tiny(volunteers=f"volunteer_id,lat,lon,skills,languages\nv1,{NEAR},visit,da\n",
             availability="volunteer_id,day,start,end\nv1,mon,09:00,12:00\n",
             requests="request_id,citizen_id,activity,duration_min\nr1,c1,visit,60\n",
             citizen_availability="citizen_id,day,start,end\nc1,mon,13:00,17:00\n")
    r = workbench.solve(s, method=method, time_limit=10)
    assert r.schedule.empty
    assert "none is free when the citizen is (mon 13:00-17:00)" in r.unassigned["reason"].iloc[0]


def test_a_citizens_requests_that_cannot_follow_each_other_bound_the_problem():
    """Two 90-min visits for a citizen free 10-12 only: one fits, so the bound is 5, where the pair LP says 6."""
    s = tiny(volunteers=f"volunteer_id,lat,lon,skills,languages\nv1,{NEAR},visit,da\nv2,{NEAR},visit,da\n",
             requests="request_id,citizen_id,activity,duration_min\nr1,c1,visit,90\nr2,c1,visit,90\n",
             citizen_availability="citizen_id,day,start,end\nc1,mon,10:00,12:00\n")
    ix, starts = _all_starts(s)
    lp = _pair_lp(ix)
    assert lp.value == 6  # 120 free minutes hold 1.33 sessions of 90
    assert list(citizen_bound(ix, starts)) == [5.0]
    # Where the wide set is thinned (large cities) too: the bound needs only the pair-weeks.
    for tuning in (Tuning(), Tuning(wide_all_up_to=0, wide_per_request=1, wide_per_volunteer=0)):
        r = workbench.solve(s, time_limit=10, tuning=tuning)
        assert r.objective == r.bound == 5 and "citizens" in r.kpis["bound_kind"]


def test_a_volunteers_minutes_that_hold_one_session_bound_the_problem():
    """One volunteer free 9-11, a 90-min and a 60-min visit: one fits, so the bound is 5, where the pair LP
    says 7 (5 + 4 · 30/60) and the flow 9 (two of the shortest)."""
    s = tiny(volunteers=f"volunteer_id,lat,lon,skills,languages\nv1,{NEAR},visit,da\n",
             availability="volunteer_id,day,start,end\nv1,mon,09:00,11:00\n",
             requests="request_id,citizen_id,activity,duration_min\nr1,c1,visit,90\nr2,c2,visit,60\n")
    ix = index_of(s)
    lp = _pair_lp(ix)
    assert lp.value == 7 and lp.volunteer_weeks == pytest.approx((5.0,))
    r = workbench.solve(s, time_limit=10)
    assert r.objective == r.bound == 5 and r.status == "OPTIMAL" and "volunteers" in r.kpis["bound_kind"]


def test_a_volunteers_days_bound_the_problem():
    """One volunteer free an hour on Monday and an hour on Tuesday, two 60-min visits for citizens free on
    Monday only: one fits, so the bound is 5, where the pair LP and each side alone say 9."""
    s = tiny(volunteers=f"volunteer_id,lat,lon,skills,languages\nv1,{NEAR},visit,da\n",
             availability="volunteer_id,day,start,end\nv1,mon,09:00,10:00\nv1,tue,09:00,10:00\n",
             requests="request_id,citizen_id,activity,duration_min\nr1,c1,visit,60\nr2,c2,visit,60\n",
             citizen_availability="citizen_id,day,start,end\nc1,mon,09:00,17:00\nc2,mon,09:00,17:00\n")
    ix, starts = _all_starts(s)
    lp = _pair_lp(ix)
    assert lp.value == 9 and lp.volunteer_weeks == pytest.approx((9.0,))
    assert list(citizen_bound(ix, starts)) == [9.0]
    r = workbench.solve(s, time_limit=10)
    assert r.objective == r.bound == 5 and r.status == "OPTIMAL" and "days" in r.kpis["bound_kind"]


THIN = Tuning(wide_all_up_to=0, wide_per_request=1, wide_per_volunteer=0)  # the relaxations, not the models, bound


def test_a_pin_that_takes_a_volunteers_only_session_bounds_the_problem():
    """v1 gives one session a week and is pinned to r2 (priority 4); r1 (5) has no one else: the optimum is 4,
    and the bound is 4 with the pin taken out first, where the pair LP over the whole problem says 5."""
    s = tiny(volunteers=f"volunteer_id,lat,lon,skills,languages,max_sessions_per_week\nv1,{NEAR},visit,da,1\n",
             requests="request_id,citizen_id,activity,duration_min\nr1,c1,visit,60\nr2,c2,visit,60\n",
             pins="request_id,volunteer_id,date,start\nr2,v1,2026-01-05,09:00\n")
    ix, fd, pw, dist, pinned = _pins_out(s)
    assert lp_bound(ix, pw, fd, dist).value == 5
    assert lp_bound(pinned.index, pw, pinned.fd, dist).value + pinned.weeks.sum() == 4
    r = workbench.solve(s, time_limit=10, tuning=THIN)
    assert (r.status, r.objective, r.bound) == ("OPTIMAL", 4, 4) and r.kpis["bound_kind"] != "model"


def test_a_pin_in_the_middle_of_a_volunteers_window_leaves_the_hour_around_it_unbounded():
    """v1 is free 9-11 and pinned to r2 (priority 4) at 9:30-10:30: the half hours either side hold no hour,
    so r1 (5, an hour, no one else) cannot be served: the bound is 4 (the pin's minutes out of the windows,
    not only of the day's sum, which still holds an hour)."""
    s = tiny(volunteers=f"volunteer_id,lat,lon,skills,languages\nv1,{NEAR},visit,da\n",
             availability="volunteer_id,day,start,end\nv1,mon,09:00,11:00\n",
             requests="request_id,citizen_id,activity,duration_min\nr1,c1,visit,60\nr2,c2,visit,60\n",
             pins="request_id,volunteer_id,date,start\nr2,v1,2026-01-05,09:30\n")
    from workbench.engine.candidates import start_union

    ix, fd, pw, dist, pinned = _pins_out(s)
    assert lp_bound(pinned.index, pw, pinned.fd, dist).value + pinned.weeks.sum() == 9  # an hour of minutes left
    assert list(citizen_bound(pinned.index, start_union(pinned.index, pinned.fd, pw)) + pinned.weeks) == [4.0]
    assert list(citizen_bound(ix, start_union(ix, fd, pw))) == [9.0]  # the pin as one more session to give
    r = workbench.solve(s, time_limit=10, tuning=THIN)
    assert (r.status, r.objective, r.bound) == ("OPTIMAL", 4, 4)
    unpinned = replace(s, pins=s.pins.iloc[:0])
    assert workbench.solve(unpinned, time_limit=10, tuning=THIN).objective == 9  # without the pin both fit


def test_a_pinned_request_has_no_other_session_on_its_pins_day():
    """r1 (priority 5) wants two sessions a week, its citizen is free on Monday only and r1 is pinned there:
    the optimum is 5, and so is every side of the bound with the pin out (a second r1 that Monday, in the
    hours the pin leaves, would break rule 13)."""
    from workbench.engine.bound import day_lp_bound
    from workbench.engine.candidates import start_union

    s = tiny(volunteers=f"volunteer_id,lat,lon,skills,languages\nv1,{NEAR},visit,da\nv2,{NEAR},visit,da\n",
             requests="request_id,citizen_id,activity,duration_min,sessions_per_week\nr1,c1,visit,60,2\n",
             citizen_availability="citizen_id,day,start,end\nc1,mon,09:00,17:00\n",
             pins="request_id,volunteer_id,date,start\nr1,v1,2026-01-05,09:00\n")
    ix, fd, pw, dist, pinned = _pins_out(s)
    per_citizen = np.full((1, 1), np.inf)
    sides = {"citizens": citizen_bound(pinned.index, start_union(pinned.index, pinned.fd, pw), per_citizen=per_citizen),
             "days": day_lp_bound(pinned.index, pipeline_candidates(s), pinned.fd, per_citizen).weeks}
    assert {k: list(v + pinned.weeks) for k, v in sides.items()} == {"citizens": [5.0], "days": [5.0]}
    r = workbench.solve(s, time_limit=10, tuning=THIN)
    assert (r.status, r.objective, r.bound) == ("OPTIMAL", 5, 5)


def test_a_volunteers_short_days_hold_as_many_sessions_as_fit_in_their_windows():
    """v1 is free 9:00-11:06 on Monday and Tuesday, three citizens (5, 4, 3) want 78 minutes each: a day
    holds one session, so the optimum is 9, and so are the volunteers' side and the day LP; the days'
    minutes alone (126 = 1.6 sessions) and the week's (252 = 3 sessions) give all three (12), as the pair
    LP, which keeps only the week's rows, does."""
    from workbench.engine.bound import day_lp_bound

    s = tiny(volunteers=f"volunteer_id,lat,lon,skills,languages\nv1,{NEAR},visit,da\n",
             availability="volunteer_id,day,start,end\nv1,mon,09:00,11:06\nv1,tue,09:00,11:06\n",
             citizens=f"citizen_id,lat,lon,languages,priority\nc1,{NEAR},da,5\nc2,{NEAR},da,4\nc3,{NEAR},da,3\n",
             requests="request_id,citizen_id,activity,duration_min\nr1,c1,visit,78\nr2,c2,visit,78\n"
                      "r3,c3,visit,78\n")
    ix, fd, pw, dist, _pinned = _pins_out(s)
    pair_lp = lp_bound(ix, pw, fd, dist)
    assert (pair_lp.value, pair_lp.volunteer_weeks) == (12, (9.0,))
    assert list(day_lp_bound(ix, pipeline_candidates(s), fd).weeks) == [pytest.approx(9)]
    r = workbench.solve(s, time_limit=10, tuning=THIN)
    assert (r.status, r.objective, r.bound) == ("OPTIMAL", 9, 9)


@pytest.mark.parametrize(("requests", "optimum"), [
    ("r1,c1,visit,60,in_person\nr2,c2,visit,60,in_person\n", 5),  # 60 + 12 minutes' trip + 60 > 120
    ("r1,c1,visit,60,in_person\nr2,c1,visit,60,in_person\n", 10),  # one citizen: no trip between them
    ("r1,c1,visit,60,in_person\nr2,c2,visit,60,phone\n", 9),  # a call needs no trip
], ids=["two citizens a trip apart", "one citizen", "a visit and a call"])
def test_a_window_holds_the_sessions_that_fit_with_the_trips_between_them(requests: str, optimum: int):
    """v1 is free 9-11 and two requests want an hour each: both fit only where no trip lies between them
    (c1 and c2 are 12 minutes apart by bike), and the day LP and the volunteers' side say so."""
    from workbench.engine.bound import day_lp_bound

    s = tiny(volunteers=f"volunteer_id,lat,lon,skills,languages\nv1,{NEAR},visit,da\n",
             availability="volunteer_id,day,start,end\nv1,mon,09:00,11:00\n",
             citizens=f"citizen_id,lat,lon,languages,priority\nc1,{NEAR},da,5\nc2,{FAR},da,4\n",
             requests="request_id,citizen_id,activity,duration_min,mode\n" + requests)
    ix, fd, pw, dist, _pinned = _pins_out(s)
    assert ix.travel(0, 0, 1) == 12
    assert list(day_lp_bound(ix, pipeline_candidates(s), fd).weeks) == [pytest.approx(optimum)]
    assert lp_bound(ix, pw, fd, dist).volunteer_weeks == (optimum,)
    r = workbench.solve(s, time_limit=10, tuning=THIN)
    assert (r.status, r.objective, r.bound) == ("OPTIMAL", optimum, optimum)


def test_the_residual_of_the_pins_takes_each_pin_out_of_its_week():
    """A pin in week 1 lowers that week's demand and the volunteer's limits of that week only, and carves
    its hour out of the volunteer's day and the citizen's (a citizen on the default window gets rows)."""
    s = scenario_from_tables({
        "volunteers": csv_frame(f"volunteer_id,lat,lon,skills,languages,max_sessions_per_week,max_minutes_per_week\n"
                                f"v1,{NEAR},visit,da,3,240\n"),
        "volunteer_availability": csv_frame("volunteer_id,day,start,end\nv1,mon,09:00,17:00\n"),
        "citizens": csv_frame(f"citizen_id,lat,lon,languages,priority\nc1,{NEAR},da,5\n"),
        "requests": csv_frame("request_id,citizen_id,activity,duration_min,sessions_per_week\nr1,c1,visit,60,2\n"),
        "pins": csv_frame("request_id,volunteer_id,date,start\nr1,v1,2026-01-12,10:00\n"),
    }, {**SETTINGS, "weeks": 2})
    ix = index_of(s)
    pinned = pinned_residual(ix, free_days(ix))
    res = pinned.index
    assert res.week_demand[0].tolist() == [2, 1] and ix.week_demand[0].tolist() == [2, 2]
    assert [x.tolist() for x in res.week_limits(0)] == [[3.0], [240.0]]
    assert [x.tolist() for x in res.week_limits(1)] == [[2.0], [180.0]]
    assert res.volunteer_windows(0, 7) == ((540, 600), (660, 1020)) and res.volunteer_windows(0, 0) == ((540, 1020),)
    default = ix.citizen_windows(0, 7)
    assert default and res.citizen_windows(0, 7) == tuple(
        (a, b) for a, b in ((default[0][0], 600), (660, default[0][1])) if a < b)
    assert res.citizen_windows(0, 0) == ix.citizen_windows(0, 0)
    assert pinned.weeks.tolist() == [0.0, 5.0] and pinned.citizens[0].tolist() == [0.0, 5.0]
    assert pinned.fd.v_minutes[0, 7] == 420 and pinned.fd.v_minutes[0, 0] == 480
    assert res.taken_days.tolist() == [0 * 14 + 7] and ix.taken_days is None


def _split_shift() -> workbench.Scenario:
    """Volunteer v1 free Monday 09:00-11:00; a pin (r1, c1) at 09:30 leaves two pieces of half an
    hour; r2 (c2, 60 minutes, priority 4) fits neither piece, r3 (c3, 30 minutes, priority 1) fits
    either; every citizen lives where the pin's does (no trips)."""
    return tiny(volunteers=f"volunteer_id,lat,lon,skills,languages\nv1,{NEAR},visit,da\n",
                citizens=f"citizen_id,lat,lon,languages,priority\nc1,{NEAR},da,5\nc2,{NEAR},da,4\n"
                         f"c3,{NEAR},da,1\n",
                requests="request_id,citizen_id,activity,duration_min\nr1,c1,visit,60\nr2,c2,visit,60\n"
                         "r3,c3,visit,30\n",
                availability="volunteer_id,day,start,end\nv1,mon,09:00,11:00\n",
                pins="request_id,volunteer_id,date,start\nr1,v1,2026-01-05,09:30\n")


def test_a_pin_that_splits_a_window_leaves_no_room_there_for_a_longer_session(monkeypatch):
    """Besides the pin, a session lies in what the pin left of the day: the residual says r2 fits
    nowhere and r3 does; the wide set gives r3 only the starts around the pin, and the days' LP over
    it bounds what is left at r3's 1 (over every triple of the whole day it gave r2's 4). Stopped by
    the clock, the triples not reached keep their ranges."""
    from workbench.engine import candidates as candidates_module
    from workbench.engine.bound import day_lp_bound
    from workbench.engine.candidates import refit

    s = _split_shift()
    ix, fd, _pw, _dist, pinned = _pins_out(s)
    cands = pipeline_candidates(s)
    assert pinned.carved(cands.req, cands.vol, cands.day).all()
    assert pinned.fits(cands.req, cands.vol, cands.day).tolist() == [False, False, True]  # r1's own, r2, r3
    carved = refit(cands, pinned.index, np.array([1, 2]))
    assert carved.req.tolist() == [0, 2] and carved.starts[1] == ((540, 540), (630, 630))
    monkeypatch.setattr(candidates_module, "PAIRS_PER_STEP", 1)  # the clock asked after every triple
    stopped = refit(cands, pinned.index, np.array([1, 2]), out_of_time=lambda: True)
    assert stopped.req.tolist() == [0, 2] and stopped.starts[1] == cands.starts[2] != carved.starts[1]
    assert list(day_lp_bound(pinned.index, cands, pinned.fd).weeks) == [pytest.approx(4.0)]
    assert list(day_lp_bound(pinned.index, carved, pinned.fd).weeks) == [pytest.approx(1.0)]
    r = workbench.solve(s, time_limit=10, tuning=THIN)
    assert (r.status, r.objective, r.bound) == ("OPTIMAL", 6, 6)
    assert sorted(r.schedule["request_id"]) == ["r1", "r3"]


@pytest.mark.parametrize("most, bound, converged", [(TUNING.day_lp_thinned_max, 5, True), (0, 9, True),
                                                    (TUNING.day_lp_thinned_max, 9, False)],
                         ids=["runs", "too many triples", "pair LP cut"])
def test_the_days_bound_runs_where_the_wide_set_is_thinned(monkeypatch, most: int, bound: int, converged: bool):
    """The volunteer's days of the test above, with Bo (no sessions to give) left out of a wide set thinned
    to each request's nearest volunteer: every triple is listed apart for the days' side, which bounds
    the problem at 5; where their count is over ``Tuning.day_lp_thinned_max`` it does not run (9), nor
    where the pair LP did not converge (it would start from nothing: 9)."""
    if not converged:
        real = pipeline.lp_bound
        monkeypatch.setattr(pipeline, "lp_bound", lambda *a, **k: replace(real(*a, **k), lp_optimal=False))
    s = tiny(volunteers=f"volunteer_id,lat,lon,skills,languages,max_sessions_per_week\n"
                        f"v1,{NEAR},visit,da,\nv2,{FAR},visit,da,0\n",
             availability="volunteer_id,day,start,end\nv1,mon,09:00,10:00\nv1,tue,09:00,10:00\n"
                          "v2,mon,09:00,10:00\n",
             requests="request_id,citizen_id,activity,duration_min\nr1,c1,visit,60\nr2,c2,visit,60\n",
             citizen_availability="citizen_id,day,start,end\nc1,mon,09:00,17:00\nc2,mon,09:00,17:00\n")
    thin = replace(TUNING, wide_all_up_to=0, wide_per_request=1, wide_per_volunteer=0, complete_up_to=0,
                   wide_takes_relaxation=False, max_model_triples=1, model_pairs_min=1, day_lp_thinned_max=most)
    r = workbench.solve(s, time_limit=10, tuning=thin)
    assert r.kpis["candidates_complete"] is False
    assert r.objective == 5 and r.bound == bound and ("days" in r.kpis["bound_kind"]) is (bound == 5)
    assert workbench.validate(s, r.schedule) == []


@pytest.mark.parametrize(("requests", "expected"), [
    ("r1,c1,visit,60,2\n", 5),  # one request alone (no search): one of its two sessions fits the one day
    ("r1,c1,visit,60,2\nr2,c1,visit,60,1\n", 10),  # two requests (a small model): one session each
], ids=["one request", "two requests"])
def test_the_citizens_bound_counts_one_session_a_day_per_request(requests, expected):
    """Rule 13 in the citizens' bound: a citizen free on Monday alone gets one session a day per request."""
    s = tiny(volunteers=f"volunteer_id,lat,lon,skills,languages\nv1,{NEAR},visit,da\nv2,{NEAR},visit,da\n",
             requests="request_id,citizen_id,activity,duration_min,sessions_per_week\n" + requests,
             citizen_availability="citizen_id,day,start,end\nc1,mon,09:00,17:00\n")
    ix, starts = _all_starts(s)
    assert list(citizen_bound(ix, starts)) == [expected]
    assert workbench.solve(s, time_limit=10).bound == expected


@pytest.mark.parametrize("method", ["cpsat", "greedy"])
def test_travel_time_is_kept_between_visits(method):
    """Two visits 2.2 km apart by a walker need 39 min between them; a 60-min gap window forces one out."""
    s = tiny(volunteers=f"volunteer_id,lat,lon,skills,languages,travel_mode\nv1,{NEAR},visit,da,walk\n",
             availability="volunteer_id,day,start,end\nv1,mon,09:00,11:30\n",
             citizens=f"citizen_id,lat,lon,languages,priority\nc1,{NEAR},da,5\nc2,{FAR},da,4\n",
             requests="request_id,citizen_id,activity,duration_min\nr1,c1,visit,60\nr2,c2,visit,60\n")
    r = workbench.solve(s, method=method, time_limit=10)
    assert list(r.schedule["request_id"]) == ["r1"]


@pytest.mark.parametrize("method", ["cpsat", "greedy"])
def test_pins_are_kept_exactly(base, method):
    """A pinned session appears with its volunteer, date and start."""
    r = workbench.solve(base, method=method, time_limit=10)
    pinned = r.schedule[(r.schedule["request_id"] == "r5")]
    assert pinned[["volunteer_id", "date", "start", "end"]].values.tolist() == [["v3", "2026-01-05", "14:00", "14:30"]]


def test_same_seed_same_schedule():
    """The same seed (and workers) gives the same schedule."""
    s = workbench.generate(volunteers=12, citizens=24, weeks=1, seed=5)
    a = workbench.solve(s, time_limit=20, seed=3, workers=1)
    b = workbench.solve(s, time_limit=20, seed=3, workers=1)
    pd.testing.assert_frame_equal(a.schedule, b.schedule)


def test_cpsat_at_least_greedy_on_demo():
    """On the demo the optimiser serves at least as much priority as the baseline, every rule kept."""
    s = workbench.load_dataset("demo")
    g = workbench.solve(s, method="greedy")
    c = workbench.solve(s, method="cpsat", time_limit=20)
    assert c.objective >= g.objective
    assert c.bound is not None and c.objective <= c.bound


def test_replanning_keeps_agreed_sessions_when_a_volunteer_drops_out():
    """With --previous and one volunteer gone, every other agreed session stays as it was."""
    s = workbench.load_dataset("demo")
    first = workbench.solve(s, time_limit=20)
    gone = first.schedule["volunteer_id"].value_counts().index[0]
    absences = pd.concat([s.volunteer_absences, pd.DataFrame([{
        "volunteer_id": gone, "from_date": s.settings.start_date, "to_date": s.settings.end_date}])],
        ignore_index=True)
    ill = edit.replace(s, volunteer_absences=absences)
    again = workbench.solve(ill, time_limit=20, previous=first.schedule)
    key = ["request_id", "volunteer_id", "date", "start"]
    agreed = first.schedule[first.schedule["volunteer_id"] != gone][key]
    kept = agreed.merge(again.schedule[key], how="inner")
    assert len(kept) == len(agreed)
    assert gone not in set(again.schedule["volunteer_id"])


def test_progress_is_reported_and_stop_keeps_a_valid_schedule():
    """on_progress sees incumbent ≤ bound; a stop request still returns a complete valid schedule."""
    s = workbench.load_dataset("demo")
    seen = []
    stop = threading.Event()

    def progress(p: workbench.Progress) -> None:
        seen.append(p)
        stop.set()

    r = workbench.solve(s, time_limit=20, on_progress=progress, stop=stop)
    assert seen and all(p.bound is None or p.objective <= p.bound + 1e-6 for p in seen)
    assert r.objective >= workbench.solve(s, method="greedy").objective


def test_continuity_exchange_uncrosses_two_weeks():
    """Two requests served crosswise in week 2 get their week-1 volunteers back by one exchange."""
    from workbench.engine.candidates import exact_candidates, free_days, pair_checks, triples_of_pairs
    from workbench.engine.continuity import improve_continuity
    from workbench.engine.plan import Plan, Session
    from workbench.index import index_of

    vol = f"volunteer_id,lat,lon,skills,languages,max_sessions_per_week\nv1,{NEAR},visit,da,1\nv2,{NEAR},visit,da,1\n"
    s = scenario_from_tables({
        "volunteers": csv_frame(vol),
        "volunteer_availability": csv_frame("volunteer_id,day,start,end\nv1,mon,09:00,17:00\nv2,mon,09:00,17:00\n"),
        "citizens": csv_frame(f"citizen_id,lat,lon,languages,priority\nc1,{NEAR},da,5\nc2,{NEAR},da,4\n"),
        "requests": csv_frame("request_id,citizen_id,activity,duration_min\nr1,c1,visit,60\nr2,c2,visit,60\n"),
    }, {**SETTINGS, "weeks": 2})
    ix = index_of(s)
    checks, dist = pair_checks(ix)
    ok = np.logical_and.reduce(list(checks.values()))
    cands = exact_candidates(ix, triples_of_pairs(ix, free_days(ix), *np.nonzero(ok)), None, checks, dist,
                             complete=True)
    plan = Plan(ix)
    for req, vol_, day, start in ((0, 0, 0, 540), (1, 1, 0, 600), (0, 1, 7, 540), (1, 0, 7, 600)):
        plan.add(Session(req, vol_, day, start, True))
    before = plan.weighted()
    assert improve_continuity(plan, cands, fixed=set()) == 2
    served_by = {(x.req, x.day // 7): x.vol for x in plan.sessions}
    assert served_by[(0, 0)] == served_by[(0, 1)] and served_by[(1, 0)] == served_by[(1, 1)]
    assert plan.weighted() == before
    assert workbench.validate(s, plan.to_frame()) == []


# Two weeks, every volunteer free Mondays 9-17, v2 away in week 0; c1 will not have v3, c2 not v2,
# c3 only v1.
@pytest.mark.parametrize(("requests", "limit", "v1_also", "expected"), [
    # r2, a one-off in week 1 (served once: no friend to keep), goes to v3, its only other volunteer.
    ("r2,c2,visit,60,1,2026-01-12", 1, [("r2", 7)],
     {("r1", "v1", 0), ("r1", "v1", 1), ("r2", "v3", 1)}),
    # r2, weekly with v1 throughout, moves to v3 for both its weeks; r3 (only v1 may serve c3) stays.
    ("r2,c2,visit,60,1,\nr3,c3,visit,60,1,2026-01-12", 2, [("r2", 0), ("r2", 7), ("r3", 7)],
     {("r1", "v1", 0), ("r1", "v1", 1), ("r2", "v3", 0), ("r2", "v3", 1), ("r3", "v1", 1)}),
], ids=["a once-served session makes room", "a held friend moves with all its weeks"])
def test_continuity_swaps_free_the_friends_slot(requests, limit, v1_also, expected):
    """r1 is split (v1 in week 0, v2 in week 1) and v1's week 1 is full; v1 gets r1's week 1 back by
    moving a session that loses no friend by it, and nothing served is lost."""
    from workbench.engine.continuity import improve_continuity
    from workbench.engine.plan import Plan, Session

    vol = "".join(f"v{i},{NEAR},visit,da,{limit}\n" for i in (1, 2, 3))
    s = scenario_from_tables({
        "volunteers": csv_frame("volunteer_id,lat,lon,skills,languages,max_sessions_per_week\n" + vol),
        "citizens": csv_frame(f"citizen_id,lat,lon,languages,priority,excluded_volunteers\n"
                              f"c1,{NEAR},da,5,v3\nc2,{NEAR},da,4,v2\nc3,{NEAR},da,3,v2;v3\n"),
        "requests": csv_frame("request_id,citizen_id,activity,duration_min,sessions_per_week,date\n"
                              f"r1,c1,visit,60,1,\n{requests}\n"),
        "volunteer_availability": csv_frame("volunteer_id,day,start,end\n"
                                            + "".join(f"v{i},mon,09:00,17:00\n" for i in (1, 2, 3))),
        "volunteer_absences": csv_frame("volunteer_id,from_date,to_date\nv2,2026-01-05,2026-01-11\n"),
    }, {**SETTINGS, "weeks": 2})
    ix, cands = _all_candidates(s)
    r, v = ix.request_pos, ix.volunteer_pos
    plan = Plan(ix, [Session(r["r1"], v["v1"], 0, 540, True), Session(r["r1"], v["v2"], 7, 540, True)])
    for k, (req, day) in enumerate(v1_also):
        plan.add(Session(r[req], v["v1"], day, 600 + 60 * k, True))
    before = plan.weighted()
    assert workbench.validate(s, plan.to_frame()) == []
    assert improve_continuity(plan, cands, fixed=set()) > 0
    got = {(ix.request_ids[x.req], ix.volunteer_ids[x.vol], x.week) for x in plan.sessions}
    assert got == expected
    assert plan.weighted() == before
    assert workbench.validate(s, plan.to_frame()) == []


def _all_candidates(s: workbench.Scenario):
    from workbench.engine.candidates import exact_candidates, triples_of_pairs

    ix = index_of(s)
    checks, dist = pair_checks(ix)
    ok = np.logical_and.reduce(list(checks.values()))
    return ix, exact_candidates(ix, triples_of_pairs(ix, free_days(ix), *np.nonzero(ok)), None, checks, dist,
                                complete=True)


def _pair_lp(ix):
    """The pair LP's bound over every compatible pair of the index."""
    checks, dist = pair_checks(ix)
    fd = free_days(ix)
    return lp_bound(ix, pair_weeks(ix, np.logical_and.reduce(list(checks.values())), fd, distance=dist), fd, dist)


def _pins_out(s: workbench.Scenario):
    """The scenario's index, free days, every compatible pair-week, the distances, and the problem with its
    pins taken out (:func:`pinned_residual`)."""
    ix = index_of(s)
    checks, dist = pair_checks(ix)
    fd = free_days(ix)
    pw = pair_weeks(ix, np.logical_and.reduce(list(checks.values())), fd, distance=dist)
    return ix, fd, pw, dist, pinned_residual(ix, fd)


def pipeline_candidates(s: workbench.Scenario):
    """Every candidate triple of the scenario (complete), as the optimiser builds them."""
    from workbench.engine.candidates import exact_candidates, triples_of_pairs

    ix = index_of(s)
    checks, dist = pair_checks(ix)
    rr, vv = np.nonzero(np.logical_and.reduce(list(checks.values())))
    return exact_candidates(ix, triples_of_pairs(ix, free_days(ix), rr, vv), None, checks, dist, complete=True)


def _all_starts(s: workbench.Scenario):
    """The scenario's index and every compatible pair's starts (:func:`start_union`)."""
    from workbench.engine.candidates import start_union

    ix = index_of(s)
    checks, dist = pair_checks(ix)
    fd = free_days(ix)
    return ix, start_union(ix, fd, pair_weeks(ix, np.logical_and.reduce(list(checks.values())), fd, distance=dist))


@pytest.mark.parametrize("method", ["cpsat", "greedy"])
def test_replanning_mid_horizon_keeps_the_past(method):
    """Re-planning from day 3 keeps every agreed session before it and plans nothing new there."""
    s = workbench.load_dataset("demo")
    first = workbench.solve(s, method=method, time_limit=20)
    cut = s.settings.start_date + pd.Timedelta(days=3).to_pytimedelta()
    ill = first.schedule["volunteer_id"].value_counts().index[0]
    absences = pd.concat([s.volunteer_absences, pd.DataFrame([{
        "volunteer_id": ill, "from_date": cut, "to_date": s.settings.end_date}])], ignore_index=True)
    again = workbench.solve(edit.replace(s, volunteer_absences=absences), method=method, time_limit=20,
                            previous=first.schedule, keep_before=cut)
    key = ["request_id", "volunteer_id", "date", "start", "end", "mode"]
    before_old = first.schedule[first.schedule["date"] < cut.isoformat()][key].reset_index(drop=True)
    before_new = again.schedule[again.schedule["date"] < cut.isoformat()][key].reset_index(drop=True)
    pd.testing.assert_frame_equal(before_old, before_new)
    after = again.schedule[again.schedule["date"] >= cut.isoformat()]
    assert ill not in set(after["volunteer_id"])


def test_kept_past_follows_a_mode_the_request_no_longer_allows():
    """Kept past visits of requests that became phone-only are kept as calls, so the plan stays valid."""
    s = workbench.load_dataset("demo")
    first = workbench.solve(s, method="greedy")
    requests = s.requests.copy()
    requests.loc[requests["mode"] == "either", "mode"] = "phone"
    crisis = edit.replace(s, requests=requests)
    cut = s.settings.start_date + pd.Timedelta(days=3).to_pytimedelta()
    again = workbench.solve(crisis, method="greedy", previous=first.schedule, keep_before=cut)
    key = ["request_id", "volunteer_id", "date", "start"]
    past = first.schedule[first.schedule["date"] < cut.isoformat()]
    kept = again.schedule[again.schedule["date"] < cut.isoformat()]
    assert past[key].reset_index(drop=True).equals(kept[key].reset_index(drop=True))
    phone_only = set(requests.loc[requests["mode"] == "phone", "request_id"])
    assert set(kept.loc[kept["request_id"].isin(phone_only), "mode"]) <= {"phone"}


@pytest.mark.parametrize("pin_start, served", [
    ("10:00", ["r1"]),  # the pin splits the morning: the 90-minute walk fits neither side
    ("09:00", ["r1", "r2"]),  # the pin first: the walk follows it
])
def test_the_week_model_sees_a_pin_at_its_start(pin_start, served):
    """An agreed session sits at its pinned start in the week model: what cannot fit around it is never
    chosen, so no timing conflict has to be cut."""
    s = tiny(volunteers=f"volunteer_id,lat,lon,skills,languages\nv1,{NEAR},visit;walk,da\n",
             requests="request_id,citizen_id,activity,duration_min\nr1,c1,visit,60\nr2,c2,walk,90\n",
             availability="volunteer_id,day,start,end\nv1,mon,09:00,12:00\n",
             pins=f"request_id,volunteer_id,date,start\nr1,v1,2026-01-05,{pin_start}\n")
    r = workbench.solve(s, method="cpsat", time_limit=10)
    assert sorted(r.schedule["request_id"]) == served and r.status == "OPTIMAL"
    assert r.kpis["timing_cuts"] == 0


# The wide set thinned to each request's nearest volunteer, and no relaxation (LP or flow) to add the
# pairs it would use.
THIN = replace(TUNING, wide_all_up_to=0, wide_per_request=1, wide_per_volunteer=0, complete_up_to=0,
               lp_seconds_per_pair_week=1e9, wide_takes_relaxation=False)


@pytest.mark.parametrize("beyond, served", [(20, {("r1", "v1"), ("r2", "v2")}), (0, {("r1", "v1")})])
def test_a_request_missing_a_session_is_offered_to_volunteers_beyond_the_thinned_wide_set(beyond, served):
    """Where the wide set is thinned, a request still missing a session at the end goes to the nearest
    volunteer outside it who has room (v1, the nearest to both, takes one session a week)."""
    s = tiny(volunteers=f"""
        volunteer_id,lat,lon,skills,languages,max_sessions_per_week
        v1,{NEAR},visit,da,1
        v2,{FAR},visit,da,1
    """, requests="request_id,citizen_id,activity,duration_min\nr1,c1,visit,60\nr2,c2,visit,60\n")
    r = workbench.solve(s, method="cpsat", time_limit=10, tuning=replace(THIN, beyond_per_request_week=beyond))
    assert set(zip(r.schedule["request_id"], r.schedule["volunteer_id"])) == served
    assert r.kpis["candidates_complete"] is False  # the stage is only for thinned sets


@pytest.mark.parametrize("added, sessions", [
    ({"wide_per_volunteer": 2}, 2),  # v2's own nearest requests (a town with volunteers and no citizens)
    ({"wide_takes_relaxation": True}, 2),  # the pairs the flow bound serves (no LP ran): r2 with v2
    ({}, 1),
])
def test_the_thinned_wide_set_holds_more_than_each_requests_nearest(added: dict[str, object], sessions: int):
    """Thinned to each request's nearest volunteer, v1 for both, the wide set still holds v2 where its own
    nearest requests or the flow bound's pairs are added: both requests are served without the stage
    beyond the wide set; with neither, one."""
    s = tiny(volunteers=f"""
        volunteer_id,lat,lon,skills,languages,max_sessions_per_week
        v1,{NEAR},visit,da,1
        v2,{FAR},visit,da,1
    """, requests="request_id,citizen_id,activity,duration_min\nr1,c1,visit,60\nr2,c2,visit,60\n")
    r = workbench.solve(s, method="cpsat", time_limit=10, tuning=replace(THIN, beyond_per_request_week=0, **added))
    assert len(r.schedule) == sessions
    assert set(r.schedule["volunteer_id"]) == ({"v1", "v2"} if sessions == 2 else {"v1"})
    assert workbench.validate(s, r.schedule) == []


@pytest.mark.parametrize("thinned, says", [(True, "of 2 suitable volunteers within reach"), (False, None)])
def test_a_reason_from_thinned_candidates_says_only_the_nearest_were_searched(thinned: bool, says: str | None):
    """r2 is left out with v1 (its nearest) at its limit; where only each request's nearest volunteer was a
    candidate the reason says v2 was not searched, where every candidate was, it does not."""
    s = tiny(volunteers=f"""
        volunteer_id,lat,lon,skills,languages,max_sessions_per_week
        v1,{NEAR},visit,da,1
        v2,{FAR},visit,da,0
    """, requests="request_id,citizen_id,activity,duration_min\nr1,c1,visit,60\nr2,c2,visit,60\n")
    tuning = replace(THIN, beyond_per_request_week=0) if thinned else TUNING
    r = workbench.solve(s, method="cpsat", time_limit=10, tuning=tuning)
    (row,) = r.unassigned.itertuples(index=False)
    assert row.request_id == "r2" and "weekly limits" in row.reason
    assert (says in row.reason) if says else "searched" not in row.reason


@pytest.mark.parametrize("continuity, stand_in", [(None, False), (0, True)])
def test_no_stand_in_from_beyond_the_wide_set_where_a_friend_is_worth_more(continuity, stand_in):
    """A request its one volunteer serves (the friend to be) gets no stand-in from outside the wide set
    where its sessions are worth less than a friend; with continuity weight 0 it does."""
    vol = csv_frame(f"""
        volunteer_id,lat,lon,skills,languages,max_sessions_per_week
        v1,{NEAR},visit,da,1
        v2,{FAR},visit,da,1
    """)
    s = scenario_from_tables({
        "volunteers": vol,
        "volunteer_availability": pd.DataFrame({"volunteer_id": vol["volunteer_id"], "day": "mon",
                                                "start": "09:00", "end": "17:00"}),
        "citizens": csv_frame(f"citizen_id,lat,lon,languages,priority\nc1,{NEAR},da,5\nc2,{NEAR},da,1\n"),
        # r1, a one-off in the second week, takes v1 then: r2's friend-to-be cannot come that week.
        "requests": csv_frame("request_id,citizen_id,activity,duration_min,date\nr1,c1,visit,60,2026-01-12\n"
                              "r2,c2,visit,60,\n"),
    }, {**SETTINGS, "weeks": 2})
    weights = {} if continuity is None else {"continuity": continuity}
    r = workbench.solve(s, method="cpsat", time_limit=10, weights=weights, tuning=THIN)
    r2 = r.schedule[r.schedule["request_id"] == "r2"]
    assert list(r2["date"]) == (["2026-01-05", "2026-01-12"] if stand_in else ["2026-01-05"])
    assert set(r2["volunteer_id"]) == ({"v1", "v2"} if stand_in else {"v1"})


def test_the_last_top_up_fills_what_the_stages_after_the_repair_left_free(monkeypatch):
    """A request-week left missing by the stages after the repair (here a session the continuity stages
    gave up) is filled again at the end, nothing moved."""
    import workbench.engine.pipeline as pipeline

    real = pipeline._continuity_stages

    def giving_up(run, plan, *args, **kwargs):
        plan, before = real(run, plan, *args, **kwargs)
        plan.remove(next(s for s in plan.sessions if run.index.request_ids[s.req] == "r2"))
        return plan, before

    monkeypatch.setattr(pipeline, "_continuity_stages", giving_up)
    s = tiny(**GREEDY_TRAP)
    r = workbench.solve(s, method="cpsat", time_limit=10)
    assert set(zip(r.schedule["request_id"], r.schedule["volunteer_id"])) == {("r1", "v2"), ("r2", "v1")}


# Thinned to each request's nearest volunteer; the LP runs and converges (the rounded start's columns
# start from its pairs) but does not add them to the wide set.
THIN_WITH_LP = replace(TUNING, wide_all_up_to=0, wide_per_request=1, wide_per_volunteer=0, complete_up_to=0,
                       wide_takes_relaxation=False, max_model_triples=1, model_pairs_min=1, rounding_below=1.01)


def near_and_far(weeks: int = 1) -> workbench.Scenario:
    """Two requests of an hour and two volunteers of one session a week, v1 near both citizens, v2 far."""
    s = tiny(volunteers=f"""
        volunteer_id,lat,lon,skills,languages,max_sessions_per_week
        v1,{NEAR},visit,da,1
        v2,{FAR},visit,da,1
    """, requests="request_id,citizen_id,activity,duration_min\nr1,c1,visit,60\nr2,c2,visit,60\n")
    return s if weeks == 1 else edit.replace(s, settings={**SETTINGS, "weeks": weeks})


@pytest.mark.parametrize("share, below, runs", [(TUNING.rounding_share, 1.01, True), (0.0, 1.01, False),
                                                (TUNING.rounding_share, 0.5, False)],
                         ids=["thinned", "no time", "start near the bound"])
def test_the_rounded_start_runs_where_the_wide_set_is_thinned(caplog, share: float, below: float, runs: bool):
    """Where the wide set is thinned, the warm start from the day LP rounded is built (both
    requests served in it); its schedule keeps every rule, never below greedy or above the bound;
    with no share of the clock, or where the start already serves ``rounding_below`` of the bound
    (here all of it), it is not built."""
    import logging

    caplog.set_level(logging.DEBUG, logger="workbench.engine")
    s = near_and_far()
    r = workbench.solve(s, method="cpsat", time_limit=10,
                        tuning=replace(THIN_WITH_LP, rounding_share=share, rounding_below=below))
    assert r.kpis["candidates_complete"] is False
    assert (re.search(r"rounded start: \d+ at", caplog.text) is not None) is runs
    greedy = workbench.solve(s, method="greedy", time_limit=10, tuning=THIN_WITH_LP)
    assert workbench.validate(s, r.schedule) == [] and greedy.objective <= r.objective <= r.bound
    assert len(r.schedule) == 2


@pytest.mark.parametrize("sure, taken, built", [(TUNING.rounding_sure, 2, True), (1.0, 0, False)],
                         ids=["the setting", "none sure"])
def test_the_rounded_start_takes_the_lps_sure_sessions(caplog, sure: float, taken: int, built: bool):
    """The rounded start takes the LP's sessions above ``rounding_sure`` (here the LP serves both
    requests whole); with none above it no rounded start is built, and either way the schedule
    serves both requests and keeps every rule."""
    import logging

    caplog.set_level(logging.DEBUG, logger="workbench.engine")
    s = near_and_far()
    r = workbench.solve(s, method="cpsat", time_limit=10, tuning=replace(THIN_WITH_LP, rounding_sure=sure))
    assert re.search(rf"rounded week 0: LP of \d+ columns, {taken} sessions sure", caplog.text) is not None
    assert (re.search(r"rounded start: \d+ at", caplog.text) is not None) is built
    assert workbench.validate(s, r.schedule) == [] and len(r.schedule) == 2


def test_the_rounded_starts_lp_begins_with_the_friends_triples(monkeypatch):
    """Each week's LP of the rounded start holds the triples of every request's friend from its first
    round, and only they carry the friend's bonus (with no pair LP to start from, here nothing else
    would put them there); the schedule keeps every rule."""
    from workbench.engine import pipeline, rounding

    seen: list[tuple[np.ndarray, np.ndarray]] = []
    real = rounding.day_week_lp

    def lp(index, cands, sel, w, fd, per_citizen, seed, tuning, deadline, bonus=None):
        seen.append((seed.copy(), bonus.copy()))
        return real(index, cands, sel, w, fd, per_citizen, seed, tuning, deadline, bonus=bonus)

    monkeypatch.setattr(rounding, "day_week_lp", lp)
    monkeypatch.setattr(pipeline, "_lp_triples", lambda *args, **kwargs: None)
    s = near_and_far(weeks=2)
    r = workbench.solve(s, method="cpsat", time_limit=10, tuning=replace(THIN_WITH_LP, day_lp_first=0))
    assert len(seen) == 2
    for seed, bonus in seen:
        assert (bonus > 0).sum() >= 1
        assert seed[bonus > 0].all() and not seed[bonus == 0].any()
        assert set(np.unique(bonus)) <= {0.0, TUNING.rounding_friend_bonus}
    assert workbench.validate(s, r.schedule) == [] and len(r.schedule) == 4


@pytest.mark.parametrize("rounds, optimal", [(1, False), (TUNING.lp_rounds, True)], ids=["cut", "converged"])
def test_the_rounded_start_begins_from_the_pair_lps_plan_even_cut(monkeypatch, caplog, rounds: int, optimal: bool):
    """The rounded start's day LPs begin from the pair LP's last plan whether it converged or the
    rounds ran out (here one round, from each request's nearest pair only: the far volunteer is priced
    in too late); the schedule keeps every rule and serves both requests."""
    import logging

    seeds: list[np.ndarray | None] = []
    real = pipeline._lp_triples

    def lp_triples(index, h, cands, cut=False):
        mask = real(index, h, cands, cut=cut)
        if cut:
            seeds.append(mask)
        return mask

    monkeypatch.setattr(pipeline, "_lp_triples", lp_triples)
    caplog.set_level(logging.DEBUG, logger="workbench.engine")
    s = near_and_far()
    r = workbench.solve(s, method="cpsat", time_limit=10, tuning=replace(
        THIN_WITH_LP, lp_rounds=rounds, lp_first_pairs_per_request=1, lp_first_pairs_per_volunteer=1))
    assert re.search(rf"LP bound \d+ \(optimal {optimal}, \d+ rounds\)", caplog.text) is not None
    assert len(seeds) == 1 and seeds[0] is not None and seeds[0].any()
    assert workbench.validate(s, r.schedule) == [] and len(r.schedule) == 2


@pytest.mark.parametrize("workers, threads", [(2, 2), (1, 1)], ids=["two workers", "one worker"])
def test_the_rounded_start_times_its_weeks_side_by_side(monkeypatch, caplog, workers: int, threads: int):
    """The rounded start times its weeks' chosen sessions on as many threads as weeks are solved side
    by side (the timing models release the interpreter), and the schedule is the same either way."""
    import logging

    from workbench.engine import rounding

    seen: set[int] = set()
    real = rounding.time_week
    gate = threading.Barrier(threads, timeout=10)

    def timing(*args, **kwargs):
        seen.add(threading.get_ident())
        gate.wait()  # both weeks are in the timing at once, or this waits for nothing (one thread)
        return real(*args, **kwargs)

    monkeypatch.setattr(rounding, "time_week", timing)
    caplog.set_level(logging.DEBUG, logger="workbench.engine")
    s = near_and_far(weeks=2)
    r = workbench.solve(s, method="cpsat", time_limit=10, tuning=THIN_WITH_LP, workers=workers)
    assert re.search(r"rounded start: \d+ at", caplog.text) is not None
    assert len(seen) == threads
    assert workbench.validate(s, r.schedule) == [] and len(r.schedule) == 4


def test_the_rounded_start_plans_around_a_pin(caplog):
    """A pinned session is a column of the rounded start's LP, taken whatever its value, and fixed in its
    timing: the rounded start is built, the pin stays exactly as agreed and the other request is
    served beside it, every rule kept."""
    import logging

    caplog.set_level(logging.DEBUG, logger="workbench.engine")
    s = tiny(volunteers=f"""
        volunteer_id,lat,lon,skills,languages,max_sessions_per_week
        v1,{NEAR},visit,da,2
        v2,{FAR},visit,da,1
    """, requests="request_id,citizen_id,activity,duration_min\nr1,c1,visit,60\nr2,c2,visit,60\n",
        pins="request_id,volunteer_id,date,start\nr2,v1,2026-01-05,09:00\n")
    r = workbench.solve(s, method="cpsat", time_limit=10, tuning=THIN_WITH_LP)
    assert re.search(r"rounded start: \d+ at", caplog.text) is not None
    assert re.search(r"rounded week 0: 2 chosen, 2 timed, 1 kept", caplog.text) is not None
    pinned = r.schedule[r.schedule["request_id"] == "r2"]
    assert pinned[["volunteer_id", "date", "start"]].values.tolist() == [["v1", "2026-01-05", "09:00"]]
    assert workbench.validate(s, r.schedule) == [] and len(r.schedule) == 2
