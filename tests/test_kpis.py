"""Figures of a schedule, each by the contract's definition, on the base scenario computed by hand."""

from __future__ import annotations

import pandas as pd
import pytest

import workbench
from workbench.geo import haversine_km


def test_figures_of_the_base_schedule(base, base_schedule):
    """Every kpis.json figure of the base schedule equals its hand computation."""
    k = workbench.compute_kpis(base, base_schedule)
    # demand: r1..r3, r5 weekly (1 week) + one-off r4 = 5; all five served
    assert k["demand_sessions"] == 5 and k["served_sessions"] == 5 and k["coverage"] == 1.0
    assert k["weighted_coverage"] == 1.0
    assert k["citizens_with_demand"] == 3 and k["citizens_served"] == 3
    # v1 visits c1 then c2 on Monday; v3 visits c2. Home → visits → home, road km.
    home = (55.680, 12.570)
    c1, c2 = (55.681, 12.571), (55.690, 12.580)
    v1 = haversine_km(*home, *c1) + haversine_km(*c1, *c2) + haversine_km(*c2, *home)
    v3 = 2 * haversine_km(*home, *c2)
    assert k["travel_km"] == pytest.approx((v1 + v3) * 1.3)
    assert k["continuity"] is None  # no request has two sessions
    assert k["min_district_coverage"] == 1.0


def test_partial_schedule_figures(base, base_schedule):
    """Dropping r1 (priority 5) and r3 (priority 2) lowers coverage and weighted coverage as defined."""
    part = base_schedule[~base_schedule["request_id"].isin(["r1", "r3"])]
    k = workbench.compute_kpis(base, part)
    assert k["coverage"] == pytest.approx(3 / 5)
    # priorities: r1 c1=5, r2 c2=3, r3 c3=2, r4 c2=3, r5 c1=5 → served r2, r4, r5 = 11 of 18
    assert k["weighted_coverage"] == pytest.approx(11 / 18)
    assert k["citizens_served"] == 2
    # districts: north (c1, c2: r1 r2 r4 r5) 3/4 served; south (c3: r3) 0/1
    assert k["min_district_coverage"] == 0.0
    assert k["district_coverage"] == {"north": 0.75, "south": 0.0}


def test_continuity_counts_requests_with_two_sessions_or_more(base):
    """Continuity by hand: r1 twice with v1 (kept), r2 with v1 then v2 (split), r3 once (not counted) → 1/2."""
    two = workbench.generate(volunteers=3, citizens=3, weeks=2, seed=2)
    rid = list(two.requests["request_id"])
    cit = dict(zip(two.requests["request_id"], two.requests["citizen_id"]))
    vid = list(two.volunteers["volunteer_id"])
    rows = [(rid[0], vid[0], "2026-01-05"), (rid[0], vid[0], "2026-01-12"), (rid[1], vid[0], "2026-01-06"),
            (rid[1], vid[1], "2026-01-13"), (rid[2], vid[2], "2026-01-07")]
    schedule = pd.DataFrame([{"request_id": r, "citizen_id": cit[r], "volunteer_id": v, "date": d, "start": "10:00",
                              "end": "11:00", "mode": "phone"} for r, v, d in rows])
    assert workbench.compute_kpis(two, schedule)["continuity"] == 0.5
