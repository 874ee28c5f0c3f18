"""The cross-week neighbourhoods (workbench.engine.crossweek) on named tiny cities whose answer is known,
and on the generators' tiny cities against the rule checker."""

from __future__ import annotations

import dataclasses
import logging
import math
import time
from collections import Counter

import numpy as np
import pytest
from ortools.sat.python import cp_model
from test_engine import ONE_FAR_AWAY, ONE_FRIEND_FOR_TWO, THREE_CALLS, all_candidates, tiny_city

import workbench
from workbench.engine.budget import Budget
from workbench.engine.crossweek import build_cross_week_model, cross_week_search
from workbench.engine.greedy import fill
from workbench.engine.plan import Plan, Session, sessions_frame
from workbench.engine.tuning import TUNING
from workbench.index import index_of
from workbench.scenario.generate import PRESETS

# "Carl split" (the cast of "one friend for two"): Carl wants a weekly visit for two weeks. Anna gives
# one visit a week; Bo is away in the first week. Dagmar speaks Arabic, which only Anna does, and
# wants one visit in the second week. The plan given: Anna visits Carl, then Dagmar; Bo visits Carl
# in the second week. Carl keeps one friend only if Anna visits him both weeks and Dagmar goes
# without (one session of priority 1).
CARL_SPLIT = {
    **ONE_FRIEND_FOR_TWO,
    "scenario.toml": """
        name = "Carl split"
        start_date = 2026-01-05
        weeks = 2
    """,
    "volunteer_absences.csv": """
        volunteer_id,from_date,to_date
        v2,2026-01-05,2026-01-11
    """,
    "requests.csv": """
        request_id,citizen_id,activity,duration_min,sessions_per_week,mode,requires_vetting,date,start
        r1,c1,visit,60,1,in_person,false,,
        r2,c2,visit,60,1,in_person,false,2026-01-12,
    """,
}

# "Carl swapped": as above, but Bo is free both weeks: Bo can take Carl whole and nothing is given up.
CARL_SWAPPED = {**CARL_SPLIT, "volunteer_absences.csv": "volunteer_id,from_date,to_date"}


# "Carl's call": Carl wants a weekly visit, Mondays 09:00-11:00. Anna can come 09:00-10:00, Bo
# 10:00-11:00 but is away in the second week; Cecilie, who only helps with IT, calls Carl on the
# first Monday at 09:30. The plan given: Bo visits Carl in the first week, Anna in the second. Anna
# both weeks would keep one friend, but her first visit would overlap Cecilie's call (another
# request of the same citizen, by a volunteer outside the neighbourhood): nothing can change.
CARLS_CALL = {
    **ONE_FRIEND_FOR_TWO,
    "scenario.toml": """
        name = "Carl's call"
        start_date = 2026-01-05
        weeks = 2
    """,
    "volunteers.csv": """
        volunteer_id,name,lat,lon,skills,languages,vetted,gender,travel_mode,max_travel_km,max_sessions_per_week,max_minutes_per_week
        v1,Anna,55.680,12.570,visit,da,yes,f,bike,5,,
        v2,Bo,55.680,12.570,visit,da,yes,m,bike,5,,
        v3,Cecilie,55.680,12.570,it_help,da,yes,f,bike,5,,
    """,
    "volunteer_availability.csv": """
        volunteer_id,day,start,end
        v1,mon,09:00,10:00
        v2,mon,10:00,11:00
        v3,mon,09:00,11:00
    """,
    "volunteer_absences.csv": """
        volunteer_id,from_date,to_date
        v2,2026-01-12,2026-01-18
    """,
    "citizens.csv": """
        citizen_id,name,lat,lon,languages,priority,gender_preference,excluded_volunteers,district
        c1,Carl,55.681,12.571,da,1,any,,north
    """,
    "citizen_availability.csv": """
        citizen_id,day,start,end
        c1,mon,09:00,11:00
    """,
    "requests.csv": """
        request_id,citizen_id,activity,duration_min,sessions_per_week,mode,requires_vetting,date,start
        r1,c1,visit,60,1,in_person,false,,
        r2,c1,it_help,30,1,phone,false,2026-01-05,09:30
    """,
}


def _split_plan(s: workbench.Scenario) -> tuple[Plan, object]:
    ix, cands = all_candidates(s)
    r1, r2 = ix.request_pos["r1"], ix.request_pos["r2"]
    v1, v2 = ix.volunteer_pos["v1"], ix.volunteer_pos["v2"]
    plan = Plan(ix, [Session(r1, v1, 0, 9 * 60, True), Session(r2, v1, 7, 9 * 60, True),
                     Session(r1, v2, 7, 11 * 60, True)])
    return plan, cands


def _friends(plan: Plan) -> dict[int, set[int]]:
    out: dict[int, set[int]] = {}
    for s in plan.sessions:
        out.setdefault(s.req, set()).add(s.vol)
    return out


@pytest.mark.parametrize(("city", "worth", "slack", "weighted", "one_friend"), [
    (CARL_SWAPPED, 0.0, 0, 3, True),  # Bo takes Carl whole: nothing given up
    (CARL_SPLIT, 0.0, 0, 3, False),  # no friend without giving up Dagmar: nothing changes
    (CARL_SPLIT, 2.0, 1, 2, True),  # a friend worth 2 points against Dagmar's 1: Dagmar gives way
    (CARL_SPLIT, 2.0, 0, 3, False),  # ... unless the floor forbids giving up anything
    (CARL_SPLIT, 0.5, 1, 3, False),  # ... or the friend is worth less than the session
], ids=["swap", "lexicographic", "trade", "floor", "cheap friend"])
def test_a_split_request_gets_one_friend_where_it_is_worth_what_it_costs(make_scenario, city, worth, slack,
                                                                        weighted, one_friend):
    """Carl keeps one visiting friend where another volunteer can take him whole, or where the friend is
    worth more than the session given up and the floor allows it; never otherwise."""
    s = workbench.load(make_scenario(**city))
    plan, cands = _split_plan(s)
    assert plan.weighted() == 3
    cross_week_search(plan, cands, set(), worth, plan.weighted() - slack, Budget(10, None, None), math.inf, 0)
    assert plan.weighted() == weighted
    assert (len(_friends(plan)[plan.index.request_pos["r1"]]) == 1) is one_friend
    assert workbench.validate(s, sessions_frame(plan.index, plan.sessions)) == []


@pytest.mark.parametrize("city", [ONE_FAR_AWAY, THREE_CALLS], ids=["walk between visits", "calls in a short window"])
def test_the_model_itself_allows_no_more_sessions_than_fit_in_the_day(make_scenario, city):
    """Rules 10 and 11 are the model's own, not only the plan's check after it: of three sessions any two
    of which fit, the neighbourhood model serves two (the two most urgent), never three."""
    s = workbench.load(make_scenario(**city))
    ix, cands = all_candidates(s)
    assert len(cands) == 3
    cw = build_cross_week_model(ix, cands, np.arange(len(cands)), [], [], [], set())
    solver = cp_model.CpSolver()
    assert solver.solve(cw.model) == cp_model.OPTIMAL
    served = {ix.request_ids[int(cands.req[k])] for k in range(3) if solver.boolean_value(cw.x[k])}
    assert served == {"r1", "r2"}


def test_a_session_of_another_request_of_the_same_citizen_stays_in_the_way(make_scenario, caplog):
    """Cecilie's call to Carl, outside the neighbourhood, is in its model: Anna is not given Carl's first
    visit over it, and nothing changes (no answer the plan's own checks would refuse)."""
    s = workbench.load(make_scenario(**CARLS_CALL))
    ix, cands = all_candidates(s)
    r1, r2 = ix.request_pos["r1"], ix.request_pos["r2"]
    v1, v2, v3 = (ix.volunteer_pos[v] for v in ("v1", "v2", "v3"))
    plan = Plan(ix, [Session(r2, v3, 0, 9 * 60 + 30, False), Session(r1, v2, 0, 10 * 60, True),
                     Session(r1, v1, 7, 9 * 60, True)])
    assert workbench.validate(s, sessions_frame(ix, plan.sessions)) == []
    before = set(plan.sessions)
    with caplog.at_level(logging.WARNING, logger="workbench.engine"):
        cross_week_search(plan, cands, set(), 0.0, plan.weighted(), Budget(10, None, None), math.inf, 0)
    assert "breaks a rule" not in caplog.text
    assert set(plan.sessions) == before


# "Twice on Monday": Carl wants two visits a week but is free on Mondays only, 09:00-12:00; Anna,
# Bo and Cecilie could each come then. Rule 13 allows one visit that Monday: of Anna's and Bo's, one;
# none once Cecilie (outside the neighbourhood) visits him at 09:00, though the week still wants one.
TWICE_ON_MONDAY = {
    **CARLS_CALL,
    "scenario.toml": """
        name = "Twice on Monday"
        start_date = 2026-01-05
        weeks = 1
    """,
    "volunteers.csv": """
        volunteer_id,name,lat,lon,skills,languages,vetted,gender,travel_mode,max_travel_km,max_sessions_per_week,max_minutes_per_week
        v1,Anna,55.680,12.570,visit,da,yes,f,bike,5,,
        v2,Bo,55.680,12.570,visit,da,yes,m,bike,5,,
        v3,Cecilie,55.680,12.570,visit,da,yes,f,bike,5,,
    """,
    "volunteer_availability.csv": """
        volunteer_id,day,start,end
        v1,mon,09:00,12:00
        v2,mon,09:00,12:00
        v3,mon,09:00,12:00
    """,
    "volunteer_absences.csv": "volunteer_id,from_date,to_date",
    "citizen_availability.csv": """
        citizen_id,day,start,end
        c1,mon,09:00,12:00
    """,
    "requests.csv": """
        request_id,citizen_id,activity,duration_min,sessions_per_week,mode,requires_vetting,date,start
        r1,c1,visit,60,2,in_person,false,,
    """,
}


@pytest.mark.parametrize(("already", "most"), [(False, 1), (True, 0)], ids=["two volunteers", "one served already"])
def test_the_model_itself_allows_a_request_once_a_day(make_scenario, already, most):
    """Rule 13 is the model's own: of Anna's and Bo's Monday visits to Carl (two a week wanted, Mondays
    only) it serves one, and none where a volunteer outside the neighbourhood already visits him then."""
    s = workbench.load(make_scenario(**TWICE_ON_MONDAY))
    ix, cands = all_candidates(s)
    r1 = ix.request_pos["r1"]
    free = np.flatnonzero(cands.vol != ix.volunteer_pos["v3"])  # Anna's and Bo's Monday
    assert len(cands) == 3 and len(free) == 2
    others = [Session(r1, ix.volunteer_pos["v3"], 0, 9 * 60, True)] if already else []
    cw = build_cross_week_model(ix, cands, free, others, [], [], set())
    cw.model.maximize(sum(cw.x))
    solver = cp_model.CpSolver()
    assert solver.solve(cw.model) == cp_model.OPTIMAL
    assert sum(solver.boolean_value(x) for x in cw.x) == most


def test_an_agreed_session_is_never_moved(make_scenario):
    """Bo's agreed visit to Carl stays where it is, so Carl cannot be given Bo whole in its place: nothing changes."""
    s = workbench.load(make_scenario(**CARL_SWAPPED))
    plan, cands = _split_plan(s)
    before = set(plan.sessions)
    agreed = {(s_.req, s_.vol, s_.day) for s_ in plan.sessions if s_.vol == index_of(s).volunteer_pos["v1"]}
    cross_week_search(plan, cands, agreed, 0.0, plan.weighted(), Budget(10, None, None), math.inf, 0)
    assert set(plan.sessions) == before


def _continuity(plan: Plan) -> tuple[int, int]:
    by_req: dict[int, Counter] = {}
    for s in plan.sessions:
        by_req.setdefault(s.req, Counter())[s.vol] += 1
    multi = [c for c in by_req.values() if sum(c.values()) >= 2]
    return sum(1 for c in multi if len(c) == 1), len(multi)


@pytest.mark.parametrize("worth", [0.0, 2.0], ids=["lexicographic", "trade"])
@pytest.mark.parametrize("kind", [*PRESETS, "alien"])
def test_what_the_search_returns_keeps_every_rule_and_the_floor(kind: str, worth: float, caplog) -> None:
    """On the generators' tiny cities of three weeks, the greedy plan searched across weeks keeps every hard
    rule, never falls below its floor, and keeps at least as many friends where nothing may be given up;
    no answer of a neighbourhood's model is refused by the plan's own checks (its model saw every session
    that stays)."""
    s = tiny_city(kind, 4, volunteers=6, citizens=12, weeks=3)
    ix, cands = all_candidates(s)
    plan = Plan(ix)
    fill(plan, cands)
    before, (kept_before, _) = plan.weighted(), _continuity(plan)
    floor = before - (2 if worth else 0)
    with caplog.at_level(logging.WARNING, logger="workbench.engine"):
        cross_week_search(plan, cands, set(), worth, floor, Budget(None, 5.0, None), math.inf, 0)
    assert "breaks a rule" not in caplog.text
    assert workbench.validate(s, sessions_frame(ix, plan.sessions)) == []
    assert plan.weighted() >= floor
    if not worth:
        assert plan.weighted() >= before and _continuity(plan)[0] >= kept_before


def test_same_seed_and_effort_give_the_same_plan() -> None:
    """The search in effort mode is deterministic: the same seed gives the same sessions."""
    s = tiny_city("city", 5, volunteers=8, citizens=16, weeks=3)
    ix, cands = all_candidates(s)
    plans = []
    for _ in range(2):
        plan = Plan(ix)
        fill(plan, cands)
        cross_week_search(plan, cands, set(), 2.0, plan.weighted() - 2, Budget(None, 5.0, None), math.inf, 7,
                          TUNING)
        plans.append(sorted(plan.sessions))
    assert plans[0] == plans[1]


def test_a_solve_reports_its_neighbourhoods_and_after_a_proof_only_gains_friends() -> None:
    """The whole solve runs the stage on a three-week city whose proven optimum leaves a request split, reports
    the neighbourhoods it searched and applied, and keeps the optimum, every rule and at least as many friends
    as without the stage (its effort share 0)."""
    s = tiny_city("alien", 5, volunteers=10, citizens=24, weeks=3)
    r = workbench.solve(s, effort=3.0, seed=0)
    without = workbench.solve(s, effort=3.0, seed=0, tuning=dataclasses.replace(TUNING, cross_week_effort=0.0))
    stats = r.kpis["secondary"]
    assert stats["cross_week_searched"] >= stats["cross_week_better"] >= 1
    assert without.kpis["secondary"]["cross_week_searched"] == 0
    assert r.status == without.status == "OPTIMAL" and r.objective == without.objective
    assert r.kpis["continuity"] >= without.kpis["continuity"]
    assert workbench.validate(s, r.schedule) == []


@pytest.mark.parametrize("seconds", [10.0, 0.25], ids=["to the end", "cut by the clock"])
def test_neighbourhoods_searched_side_by_side_share_no_volunteer_and_no_citizen(monkeypatch, caplog,
                                                                                 seconds: float) -> None:
    """With two threads on the clock, neighbourhoods are searched side by side, never two with a volunteer
    or a citizen in common (their models would then depend on each other); each search is counted, those
    still running at the deadline too, and the plan keeps every rule and its floor."""
    from workbench.engine import crossweek

    s = tiny_city("city", 3, volunteers=24, citizens=48, weeks=3)
    ix, cands = all_candidates(s)
    plan = Plan(ix)
    fill(plan, cands)
    floor = plan.weighted() - 4
    running: list = []
    together: list[tuple] = []
    solve = crossweek._solve

    def watched(hood, *args):
        running.append(hood)
        together.extend((hood, other) for other in running if other is not hood)
        time.sleep(0.1)  # long enough for the next one to start beside it
        try:
            return solve(hood, *args)
        finally:
            running.remove(hood)

    monkeypatch.setattr(crossweek, "_solve", watched)
    with caplog.at_level(logging.DEBUG, logger="workbench.engine"):
        tried, _better = cross_week_search(plan, cands, set(), 2.0, floor, Budget(10, None, None),
                                           time.monotonic() + seconds, 0, threads=2)
    searched = [rec for rec in caplog.records if rec.getMessage().startswith("cross-week ")]
    assert tried == len(searched) > 0
    assert together, "no two neighbourhoods were searched side by side"
    for a, b in together:
        assert set(a.vols).isdisjoint(b.vols) and a.cits.isdisjoint(b.cits)
    assert workbench.validate(s, sessions_frame(ix, plan.sessions)) == []
    assert plan.weighted() >= floor


def test_effort_mode_searches_one_neighbourhood_at_a_time_whatever_the_threads() -> None:
    """In effort mode the outcome does not depend on the machine's cores: two threads give the plan one gives."""
    s = tiny_city("city", 3, volunteers=24, citizens=48, weeks=3)
    ix, cands = all_candidates(s)
    plans = []
    for threads in (1, 2):
        plan = Plan(ix)
        fill(plan, cands)
        cross_week_search(plan, cands, set(), 2.0, plan.weighted() - 2, Budget(None, 5.0, None), math.inf, 7,
                          TUNING, threads=threads)
        plans.append(sorted(plan.sessions))
    assert plans[0] == plans[1]


def _solutions(m: cp_model.CpModel, variables: list) -> set[tuple[int, ...]]:
    """Every assignment of ``variables`` the model allows."""
    class Collect(cp_model.CpSolverSolutionCallback):
        def __init__(self) -> None:
            super().__init__()
            self.seen: set[tuple[int, ...]] = set()

        def on_solution_callback(self) -> None:
            self.seen.add(tuple(self.value(v) for v in variables))

    solver = cp_model.CpSolver()
    solver.parameters.enumerate_all_solutions = True
    collect = Collect()
    solver.solve(m, collect)
    return collect.seen


@pytest.mark.parametrize(("range_a", "range_b", "trip"), [
    ((0, 10), (0, 10), 2),  # either order
    ((0, 2), (4, 10), 2),  # only a first, and not always far enough apart
    ((0, 2), (7, 10), 2),  # a always first and far enough apart
    ((6, 10), (0, 3), 1),  # only b first
    ((3, 5), (3, 5), 2),  # neither: the two cannot both take place
], ids=["both orders", "a first", "a first, apart", "b first", "neither"])
def test_trip_between_allows_exactly_the_visits_the_trip_rule_allows(range_a: tuple[int, int],
                                                                     range_b: tuple[int, int], trip: int):
    """Rule 10 for two visits of 3 minutes: whatever the start ranges leave (one order, both or none),
    the model allows exactly the starts and served visits for which the later starts after the earlier
    one's end plus the trip (every solution enumerated)."""
    from workbench.engine.formulation import trip_between

    m = cp_model.CpModel()
    a, b = m.new_int_var(*range_a, "a"), m.new_int_var(*range_b, "b")
    xa, xb = m.new_bool_var("xa"), m.new_bool_var("xb")
    trip_between(m, a, b, 3, 3, trip, trip, [xa, xb], "order")
    wanted = {(sa, sb, ua, ub) for sa in range(range_a[0], range_a[1] + 1) for sb in range(range_b[0], range_b[1] + 1)
              for ua in (0, 1) for ub in (0, 1)
              if not (ua and ub) or sb >= sa + 3 + trip or sa >= sb + 3 + trip}
    assert _solutions(m, [a, b, xa, xb]) == wanted



@pytest.mark.parametrize(("budget", "stage", "wanted"), [
    (Budget(10, None, None), 0.4, 0.1),  # a short stage on the clock: a quarter of it per search
    (Budget(10, None, None), 60.0, TUNING.cross_week_seconds),  # a long one: the search's own limit
    (Budget(None, 5.0, None), 0.4, TUNING.cross_week_seconds),  # effort mode: never the clock's
], ids=["short stage", "long stage", "effort"])
def test_one_neighbourhood_takes_at_most_a_share_of_a_short_stage(monkeypatch, budget: Budget, stage: float,
                                                                 wanted: float) -> None:
    """On the clock each neighbourhood's search gets at most Tuning.cross_week_search_share of the stage's
    time (after a small city's proof one hard neighbourhood had taken it whole), never more than
    Tuning.cross_week_seconds; in effort mode the limit does not depend on the clock."""
    from workbench.engine import crossweek

    s = tiny_city("city", 3, volunteers=24, citizens=48, weeks=3)
    ix, cands = all_candidates(s)
    plan = Plan(ix)
    fill(plan, cands)
    limits: list[float] = []
    solve = crossweek._solve

    def recorded(hood, budget_, deadline, seed, seconds, work):
        limits.append(seconds)
        return solve(hood, budget_, deadline, seed, seconds, work)

    monkeypatch.setattr(crossweek, "_solve", recorded)
    cross_week_search(plan, cands, set(), 2.0, plan.weighted() - 2, budget,
                      time.monotonic() + stage if budget.effort is None else math.inf, 0)
    assert limits and max(limits) <= wanted + 1e-9 and min(limits) >= wanted - 0.02
    assert workbench.validate(s, sessions_frame(ix, plan.sessions)) == []


# "Dagmar waits" (the cast of "one friend for two"): Anna, who alone speaks Arabic, gives one visit a
# week and visits Carl both weeks; Dagmar, who speaks only Arabic, has no one. Bo can visit Carl.
# Only Anna and Bo planned again together serve both: Anna visits Dagmar and Bo visits Carl.
DAGMAR_WAITS = {**ONE_FRIEND_FOR_TWO}
# ... and with Bo away both weeks and Dagmar first in line (priority 3), Anna goes to Dagmar.
DAGMAR_FIRST = {
    **ONE_FRIEND_FOR_TWO,
    "volunteer_absences.csv": """
        volunteer_id,from_date,to_date
        v2,2026-01-05,2026-01-18
    """,
    "citizens.csv": """
        citizen_id,name,lat,lon,languages,priority,gender_preference,excluded_volunteers,district
        c1,Carl,55.681,12.571,da,1,any,,north
        c2,Dagmar,55.682,12.572,ar,3,any,,north
    """,
}


@pytest.mark.parametrize(("city", "missing", "passes", "weighted", "dagmar_by"), [
    (DAGMAR_WAITS, True, TUNING.missing_passes, 4, "v1"),  # Anna to Dagmar, Bo to Carl
    (DAGMAR_WAITS, True, 1, 2, None),  # Anna alone freed: Dagmar is worth no more than Carl
    (DAGMAR_WAITS, False, TUNING.missing_passes, 2, None),  # no request split: no neighbourhood
    (DAGMAR_FIRST, True, TUNING.missing_passes, 6, "v1"),  # Anna to Dagmar, Carl without
], ids=["two volunteers", "one pass", "split requests only", "priority"])
def test_a_request_still_missing_sessions_gets_neighbourhoods_of_its_own(make_scenario, city, missing, passes,
                                                                          weighted, dagmar_by):
    """Started from a request missing sessions, a neighbourhood frees the volunteer able to serve it and (in
    the second pass) the one able to take over that volunteer's sessions, and serves it where that is worth
    more."""
    s = workbench.load(make_scenario(**city))
    ix, cands = all_candidates(s)
    r1, r2, v1 = ix.request_pos["r1"], ix.request_pos["r2"], ix.volunteer_pos["v1"]
    plan = Plan(ix, [Session(r1, v1, 0, 9 * 60, True), Session(r1, v1, 7, 9 * 60, True)])
    cross_week_search(plan, cands, set(), 0.0, plan.weighted(), Budget(10, None, None), math.inf, 0,
                      dataclasses.replace(TUNING, missing_passes=passes), missing=missing)
    assert plan.weighted() == weighted
    assert {ix.volunteer_ids[v] for v in _friends(plan).get(r2, set())} == ({dagmar_by} if dagmar_by else set())
    assert workbench.validate(s, sessions_frame(ix, plan.sessions)) == []
