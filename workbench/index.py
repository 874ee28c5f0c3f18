"""One index per scenario: positions, weekly demand, durations, limits and free time as arrays.

Everything that schedules or explains works on positions (row numbers of the
scenario's tables) rather than ids, and needs the same derived quantities:
a request's citizen, duration, weekly demand and priority; a volunteer's limits
and speed; who is free when. They are computed here once per scenario (and
cached), so every stage reads the same numbers and none re-derives them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from functools import cached_property

import numpy as np

from .availability import Availability, Windows, availability
from .geo import haversine_km, haversine_pairs, travel_minutes
from .scenario.types import Scenario, per_scenario


@dataclass(frozen=True)
class Lists:
    """:class:`ScenarioIndex` numbers as Python lists (see :attr:`ScenarioIndex.lists`)."""

    duration: list[int]
    req_cit: list[int]
    week_demand: list[list[int]]  # requests × weeks
    max_sessions: list[float]  # inf = no limit
    max_minutes: list[float]


@dataclass(eq=False)
class ScenarioIndex:
    """Positions and per-row arrays of one scenario (see module docstring).

    Requests, volunteers and citizens are numbered by their row in the
    scenario's tables; days by their position in the horizon (0 = start_date),
    and week ``w`` holds days ``7w..7w+6`` (the contract's numbering).
    """

    scenario: Scenario
    request_ids: np.ndarray
    volunteer_ids: np.ndarray
    citizen_ids: np.ndarray
    req_cit: np.ndarray  # citizen position of each request
    duration: np.ndarray
    sessions_per_week: np.ndarray
    one_off: np.ndarray  # bool
    one_off_day: np.ndarray  # day position of a one-off in the horizon, -1 otherwise
    fixed_start: np.ndarray  # minute a one-off must start at, -1 when free
    priority: np.ndarray  # the citizen's priority, per request
    request_mode: np.ndarray
    week_demand: np.ndarray  # requests × weeks
    max_sessions: np.ndarray  # float, inf = no limit
    max_minutes: np.ndarray
    max_travel_km: np.ndarray
    speed: np.ndarray  # km/h of each volunteer's travel mode
    cit_lat: np.ndarray
    cit_lon: np.ndarray
    vol_lat: np.ndarray
    vol_lon: np.ndarray
    detour: float
    dates: list[date]
    weeks: int
    free: Availability
    _travel: dict[tuple[int, int, int], int] = field(default_factory=dict, repr=False)
    # Volunteers × weeks: sessions and minutes of the weekly limits already taken (by pins, in the
    # residual index the bound is computed on: engine.bound.pinned_residual); None: nothing taken.
    taken_sessions: np.ndarray | None = field(default=None, repr=False)
    taken_minutes: np.ndarray | None = field(default=None, repr=False)
    # Request-days already served (request × days + day), on which the request has no other session.
    taken_days: np.ndarray | None = field(default=None, repr=False)

    @cached_property
    def request_pos(self) -> dict[str, int]:
        return {r: i for i, r in enumerate(self.request_ids.tolist())}

    @cached_property
    def volunteer_pos(self) -> dict[str, int]:
        return {v: i for i, v in enumerate(self.volunteer_ids.tolist())}

    @cached_property
    def citizen_pos(self) -> dict[str, int]:
        return {c: i for i, c in enumerate(self.citizen_ids.tolist())}

    @cached_property
    def day_pos(self) -> dict[date, int]:
        return {d: i for i, d in enumerate(self.dates)}

    @cached_property
    def lists(self) -> Lists:
        """The per-request and per-volunteer numbers as Python lists, for code that reads them one
        at a time in loops (a numpy scalar read costs several times a list's)."""
        return Lists(self.duration.astype(int).tolist(), self.req_cit.astype(int).tolist(),
                     self.week_demand.astype(int).tolist(), self.max_sessions.tolist(), self.max_minutes.tolist())

    @property
    def n_requests(self) -> int:
        return len(self.request_ids)

    @property
    def n_volunteers(self) -> int:
        return len(self.volunteer_ids)

    def week_limits(self, week: int) -> tuple[np.ndarray, np.ndarray]:
        """Per volunteer, the weekly sessions and minutes (rule 12) left in week ``week`` (inf: no limit)."""
        if self.taken_sessions is None or self.taken_minutes is None:
            return self.max_sessions, self.max_minutes
        return self.max_sessions - self.taken_sessions[:, week], self.max_minutes - self.taken_minutes[:, week]

    def week_cap(self, req: int) -> int:
        """Sessions a request may have in one week (rule 13): 1 for a one-off."""
        return 1 if self.one_off[req] else int(self.sessions_per_week[req])

    def travel(self, vol: int, c1: int, c2: int) -> int:
        """Travel minutes from citizen ``c1`` to ``c2`` for volunteer ``vol`` (the contract's formula)."""
        key = (vol, c1, c2)
        t = self._travel.get(key)
        if t is None:
            d = haversine_km(self.cit_lat[c1], self.cit_lon[c1], self.cit_lat[c2], self.cit_lon[c2])
            t = travel_minutes(d, self.detour, self.speed[vol])
            self._travel[key] = t
        return t

    def volunteer_windows(self, vol: int, day: int) -> Windows:
        return self.free.volunteer_windows(self.volunteer_ids[vol], self.dates[day])

    def citizen_windows(self, cit: int, day: int) -> Windows:
        return self.free.citizen_windows(self.citizen_ids[cit], self.dates[day])

    @cached_property
    def nearest_other_km(self) -> np.ndarray:
        """Per citizen, the km to the nearest other citizen (0 where another lives at the same place;
        0 for a city of one)."""
        n = len(self.cit_lat)
        if n < 2:
            return np.zeros(n)
        from scipy.spatial import cKDTree

        # Nearest by the chord through the sphere, which orders points as the great circle does.
        lat, lon = np.radians(self.cit_lat.astype(float)), np.radians(self.cit_lon.astype(float))
        xyz = np.column_stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)])
        _dist, near = cKDTree(xyz).query(xyz, k=2)
        other = np.where(near[:, 0] == np.arange(n), near[:, 1], near[:, 0])
        return haversine_pairs(self.cit_lat, self.cit_lon, self.cit_lat[other], self.cit_lon[other])

    @cached_property
    def preferred(self) -> list[frozenset[int]]:
        """Per request: positions of the volunteers its citizen prefers."""
        pv = self.scenario.citizens["preferred_volunteers"].to_numpy(object)
        pos = self.volunteer_pos
        by_cit = [frozenset(pos[v] for v in vs if v in pos) for vs in pv]
        return [by_cit[c] for c in self.req_cit.tolist()]

    @cached_property
    def weighted_demand(self) -> float:
        """Σ priority × demanded sessions inside the horizon (a trivial bound on the primary aim)."""
        return float((self.priority[:, None] * self.week_demand).sum())


@per_scenario
def index_of(scenario: Scenario) -> ScenarioIndex:
    """The scenario's index (built once per scenario object)."""
    st = scenario.settings
    req, vol, cit = scenario.requests, scenario.volunteers, scenario.citizens
    cpos = {c: i for i, c in enumerate(cit["citizen_id"])}
    req_cit = np.array([cpos[c] for c in req["citizen_id"]], int)
    dates = st.dates
    dpos = {d: i for i, d in enumerate(dates)}
    one_off_day = np.array([dpos.get(d, -1) if d is not None else -1 for d in req["date"]], int)
    fixed = np.array([s if s is not None and d is not None else -1 for d, s in zip(req["date"], req["start"])], int)
    index = ScenarioIndex(
        scenario=scenario,
        request_ids=req["request_id"].to_numpy(object),
        volunteer_ids=vol["volunteer_id"].to_numpy(object),
        citizen_ids=cit["citizen_id"].to_numpy(object),
        req_cit=req_cit,
        duration=req["duration_min"].to_numpy(int),
        sessions_per_week=req["sessions_per_week"].to_numpy(int),
        one_off=np.array([d is not None for d in req["date"]], bool),
        one_off_day=one_off_day,
        fixed_start=fixed,
        priority=cit["priority"].to_numpy(int)[req_cit] if len(req) else np.zeros(0, int),
        request_mode=req["mode"].to_numpy(object),
        week_demand=scenario.week_demand(),
        max_sessions=vol["max_sessions_per_week"].to_numpy(float),
        max_minutes=vol["max_minutes_per_week"].to_numpy(float),
        max_travel_km=vol["max_travel_km"].to_numpy(float),
        speed=np.array([st.speed_kmh[m] for m in vol["travel_mode"]], float),
        cit_lat=cit["lat"].to_numpy(float),
        cit_lon=cit["lon"].to_numpy(float),
        vol_lat=vol["lat"].to_numpy(float),
        vol_lon=vol["lon"].to_numpy(float),
        detour=st.detour_factor,
        dates=dates,
        weeks=st.weeks,
        free=availability(scenario),
    )
    return index
