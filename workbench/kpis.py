"""Figures of a schedule (contract section 4), each by its definition."""

from __future__ import annotations

from typing import Any

import pandas as pd

from .geo import haversine_km
from .scenario.model import Scenario
from .timeutil import parse_time


def compute_kpis(scenario: Scenario, schedule: pd.DataFrame, *, solve_seconds: float | None = None,
                 status: str | None = None, objective_bound: float | None = None,
                 extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """Every ``kpis.json`` figure of the contract for ``schedule`` (contract columns, text cells).

    ``continuity`` is ``None`` when no request has two or more sessions served
    (the share is undefined); ``min_district_coverage`` is ``None`` with no demand.
    """
    req = scenario.requests.set_index("request_id")
    cit = scenario.citizens.set_index("citizen_id")
    demand = scenario.demand()
    prio = req["citizen_id"].map(cit["priority"]).astype(float)
    served_per_request = schedule["request_id"].value_counts() if len(schedule) else pd.Series(dtype=int)

    demand_total = int(demand.sum())
    served = int(len(schedule))
    known = schedule["request_id"].isin(req.index)
    served_priority = float(prio.reindex(schedule.loc[known, "request_id"]).sum())
    weighted_den = float((prio * demand.reindex(prio.index)).sum())

    citizens_with_demand = set(req.loc[demand[demand > 0].index, "citizen_id"])
    citizens_served = set(schedule["citizen_id"]) & set(cit.index)

    multi = served_per_request[served_per_request >= 2].index
    if len(multi):
        vols = schedule[schedule["request_id"].isin(multi)].groupby("request_id")["volunteer_id"].nunique()
        continuity: float | None = float((vols == 1).mean())
    else:
        continuity = None

    district = req["citizen_id"].map(cit["district"])
    d_demand = demand.groupby(district.reindex(demand.index)).sum()
    d_served = served_per_request.reindex(req.index).fillna(0).groupby(district).sum()
    d_cov = (d_served.reindex(d_demand.index).fillna(0) / d_demand)[d_demand > 0]

    figures: dict[str, Any] = {
        "demand_sessions": demand_total,
        "served_sessions": served,
        "coverage": served / demand_total if demand_total else 0.0,
        "weighted_coverage": served_priority / weighted_den if weighted_den else 0.0,
        "citizens_with_demand": len(citizens_with_demand),
        "citizens_served": len(citizens_served),
        "travel_km": travel_km(scenario, schedule),
        "continuity": continuity,
        "min_district_coverage": float(d_cov.min()) if len(d_cov) else None,
        "district_coverage": {str(k): float(v) for k, v in d_cov.items()},
        "weighted_sessions": served_priority,
        "weighted_demand": weighted_den,
        "solve_seconds": solve_seconds,
        "status": status,
        "objective_bound": objective_bound,
    }
    if extra:
        figures.update(extra)
    return figures


def travel_km(scenario: Scenario, schedule: pd.DataFrame) -> float:
    """Road km: per volunteer and day, home → in-person sessions in time order → home."""
    visits = schedule[schedule["mode"] == "in_person"]
    if visits.empty:
        return 0.0
    vol = scenario.volunteers.set_index("volunteer_id")
    cit = scenario.citizens.set_index("citizen_id")
    factor = scenario.settings.detour_factor
    total = 0.0
    v = visits.assign(_start=[parse_time(str(x)) for x in visits["start"]])
    for (vid, _day), g in v.groupby(["volunteer_id", "date"], sort=False):
        if vid not in vol.index:
            continue
        home = (float(vol.at[vid, "lat"]), float(vol.at[vid, "lon"]))
        stops = [home]
        for cid in g.sort_values("_start", kind="stable")["citizen_id"]:
            if cid in cit.index:
                stops.append((float(cit.at[cid, "lat"]), float(cit.at[cid, "lon"])))
        stops.append(home)
        total += sum(haversine_km(*a, *b) for a, b in zip(stops, stops[1:]))
    return float(total * factor)
