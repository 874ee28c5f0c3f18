"""An independent exact optimum for tiny scenarios: one CP-SAT interval model over every possible session.

Written apart from the engine (it uses neither its candidates nor its models),
straight from the contract's rules, so tests can check the engine's objective
and bound against a second formulation. Only for tiny scenarios: one optional
interval per (request, volunteer, day, mode) with a start on the minute.
"""

from __future__ import annotations

import math
from collections import defaultdict

from ortools.sat.python import cp_model

import workbench
from workbench.availability import availability, intersect
from workbench.geo import haversine_km


def exact_optimum(s: workbench.Scenario, seconds: float = 60.0) -> int:
    """The largest Σ priority of sessions over all schedules keeping the 14 rules (proven, or raises)."""
    st = s.settings
    av = availability(s)
    vol = s.volunteers.set_index("volunteer_id")
    cit = s.citizens.set_index("citizen_id")
    m = cp_model.CpModel()
    objective = []
    by_vol_day: dict = defaultdict(list)
    by_cit_day: dict = defaultdict(list)
    by_req_day: dict = defaultdict(list)
    by_req_week: dict = defaultdict(list)
    by_vol_week: dict = defaultdict(list)
    pins = {(p.request_id, p.date): (p.volunteer_id, p.start) for p in s.pins.itertuples(index=False)}
    for r in s.requests.itertuples(index=False):
        c = cit.loc[r.citizen_id]
        for vid, v in vol.iterrows():
            if r.activity not in v.skills or set(c.languages).isdisjoint(v.languages):
                continue
            if (r.requires_vetting and not v.vetted) or (c.gender_preference != "any" and
                                                          c.gender_preference != v.gender):
                continue
            if vid in c.excluded_volunteers:
                continue
            km = haversine_km(c.lat, c.lon, v.lat, v.lon)
            modes = [mo for mo in ("in_person", "phone") if r.mode in (mo, "either")
                     and (mo == "phone" or km <= v.max_travel_km)]
            for day in st.dates:
                if r.date is not None and day != r.date:
                    continue
                free = intersect(av.volunteer_windows(vid, day), av.citizen_windows(r.citizen_id, day))
                pinned = pins.get((r.request_id, day))
                for mo in modes:
                    x = m.new_bool_var(f"{r.request_id},{vid},{day},{mo}")
                    ranges = [[a, b - r.duration_min] for a, b in free if b - a >= r.duration_min]
                    if r.start is not None:
                        ranges = [[r.start, r.start]] if any(a <= r.start <= b for a, b in ranges) else []
                    if pinned is not None:
                        ranges = [[pinned[1], pinned[1]]] if pinned[0] == vid and any(
                            a <= pinned[1] <= b for a, b in ranges) else []
                    if not ranges:
                        continue
                    start = m.new_int_var_from_domain(cp_model.Domain.from_intervals(ranges), "")
                    iv = m.new_optional_fixed_size_interval_var(start, r.duration_min, x, "")
                    item = (x, start, iv, mo, r, c, v)
                    by_vol_day[(vid, day)].append(item)
                    by_cit_day[(r.citizen_id, day)].append(item)
                    by_req_day[(r.request_id, day)].append(x)
                    by_req_week[(r.request_id, st.week(day))].append(x)
                    by_vol_week[(vid, st.week(day))].append((x, r.duration_min))
                    objective.append(int(c.priority) * x)
    for group in list(by_vol_day.values()) + list(by_cit_day.values()):
        m.add_no_overlap([g[2] for g in group])
    for (vid, _day), group in by_vol_day.items():
        speed = st.speed_kmh[vol.loc[vid, "travel_mode"]]
        visits = [g for g in group if g[3] == "in_person"]
        for i, a in enumerate(visits):
            for b in visits[i + 1:]:
                km = haversine_km(a[5].lat, a[5].lon, b[5].lat, b[5].lon)
                t = 0 if km == 0 else math.ceil(km * st.detour_factor / speed * 60)
                if t == 0:
                    continue
                first = m.new_bool_var("")
                m.add(b[1] >= a[1] + a[4].duration_min + t).only_enforce_if([first, a[0], b[0]])
                m.add(a[1] >= b[1] + b[4].duration_min + t).only_enforce_if([~first, a[0], b[0]])
    for xs in by_req_day.values():
        m.add_at_most_one(xs)
    req = s.requests.set_index("request_id")
    for (rid, _w), xs in by_req_week.items():
        cap = 1 if req.loc[rid, "date"] is not None else int(req.loc[rid, "sessions_per_week"])
        m.add(sum(xs) <= cap)
    for (vid, _w), items in by_vol_week.items():
        if math.isfinite(vol.loc[vid, "max_sessions_per_week"]):
            m.add(sum(x for x, _ in items) <= int(vol.loc[vid, "max_sessions_per_week"]))
        if math.isfinite(vol.loc[vid, "max_minutes_per_week"]):
            m.add(sum(d * x for x, d in items) <= int(vol.loc[vid, "max_minutes_per_week"]))
    for p in s.pins.itertuples(index=False):  # rule 14: every pin appears
        m.add(sum(by_req_day[(p.request_id, p.date)]) == 1)
    m.maximize(sum(objective))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = seconds
    solver.parameters.num_workers = 2
    status = solver.solve(m)
    if status != cp_model.OPTIMAL:
        raise RuntimeError(f"the exact model was not solved to optimality ({solver.status_name(status)})")
    return int(round(solver.objective_value))
