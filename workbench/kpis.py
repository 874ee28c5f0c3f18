"""Figures of a schedule (contract section 4), each by its definition."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from .geo import haversine_pairs
from .scenario.types import Scenario
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


def given_for_continuity(kpis: Mapping[str, Any]) -> float:
    """Weighted sessions the continuity stages gave up: ``objective_before_continuity`` less
    ``objective`` (0 where nothing was, or a method has no such stage)."""
    before, objective = kpis.get("objective_before_continuity"), kpis.get("objective")
    if not isinstance(before, (int, float)) or not isinstance(objective, (int, float)):
        return 0.0
    return max(0.0, float(before) - float(objective))


def travel_km(scenario: Scenario, schedule: pd.DataFrame) -> float:
    """Road km: per volunteer and day, home → in-person sessions in time order → home."""
    vol = scenario.volunteers.set_index("volunteer_id")
    cit = scenario.citizens.set_index("citizen_id")
    visits = schedule[(schedule["mode"] == "in_person") & schedule["volunteer_id"].isin(vol.index)
                      & schedule["citizen_id"].isin(cit.index)]
    if visits.empty:
        return 0.0
    v = pd.DataFrame({
        "vid": visits["volunteer_id"].to_numpy(), "day": visits["date"].astype(str).to_numpy(),
        "start": [parse_time(str(x)) for x in visits["start"]],
        "lat": cit.loc[visits["citizen_id"], "lat"].to_numpy(float),
        "lon": cit.loc[visits["citizen_id"], "lon"].to_numpy(float),
    }).sort_values(["vid", "day", "start"], kind="stable")
    home_lat = vol.loc[v["vid"], "lat"].to_numpy(float)
    home_lon = vol.loc[v["vid"], "lon"].to_numpy(float)
    lat, lon = v["lat"].to_numpy(float), v["lon"].to_numpy(float)
    key = (v["vid"] + "|" + v["day"]).to_numpy()
    first = np.r_[True, key[1:] != key[:-1]]
    last = np.r_[key[1:] != key[:-1], True]
    # each visit: from the previous stop of the same trip (or from home), and home after the last
    prev_lat = np.where(first, home_lat, np.r_[0.0, lat[:-1]])
    prev_lon = np.where(first, home_lon, np.r_[0.0, lon[:-1]])
    legs = haversine_pairs(prev_lat, prev_lon, lat, lon)
    legs = np.where((prev_lat == lat) & (prev_lon == lon), 0.0, legs)
    back = np.where(last, haversine_pairs(lat, lon, home_lat, home_lon), 0.0)
    back = np.where(last & (lat == home_lat) & (lon == home_lon), 0.0, back)
    return float((legs.sum() + back.sum()) * scenario.settings.detour_factor)
