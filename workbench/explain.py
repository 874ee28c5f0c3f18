"""Why a request was left without some of its sessions, in a coordinator's words.

For every request and week with fewer sessions than demanded, the reason is
the first filter of the candidate funnel that nobody passes, with counts:
skill → language → vetting → gender wish → exclusion → reach → free time →
weekly limits → (otherwise) capacity taken by citizens of higher priority.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date

import numpy as np
import pandas as pd

from .availability import availability
from .candidates import Candidates
from .contract import UNASSIGNED_COLUMNS
from .plan import Plan
from .scenario.types import Scenario
from .timeutil import WEEKDAYS, format_time


def _week_demand(scenario: Scenario, r: int) -> dict[int, int]:
    req = scenario.requests
    st = scenario.settings
    d = req["date"].iat[r]
    if d is not None:
        return {st.week(d): 1} if st.in_horizon(d) else {}
    return {w: int(req["sessions_per_week"].iat[r]) for w in range(st.weeks)}


def explain_unassigned(scenario: Scenario, cands: Candidates, plan: Plan,
                       keep_before: date | None = None) -> pd.DataFrame:
    """``unassigned.csv`` rows: request_id, citizen_id, week, missing, reason.

    ``week`` is the contract's week index: 0-based, week ``w`` being days ``7w..7w+6``
    of the horizon (a one-off dated outside the horizon gets its date's index).
    ``keep_before``: when re-planning from that day on, weeks wholly before it are
    explained as such (nothing new is planned there).
    """
    req = scenario.requests
    served: dict[tuple[int, int], int] = defaultdict(int)
    for s in plan.sessions:
        served[(s.req, s.day // 7)] += 1
    rows = []
    # Candidate positions per request, once (the full candidate set can hold millions).
    order = np.argsort(cands.req, kind="stable")
    cut = np.searchsorted(cands.req[order], np.arange(len(req) + 1))
    positions = {r: order[cut[r]:cut[r + 1]] for r in range(len(req))}
    for r in range(len(req)):
        demand = _week_demand(scenario, r)
        d = req["date"].iat[r]
        if d is not None and not demand:
            rows.append((req["request_id"].iat[r], req["citizen_id"].iat[r], scenario.settings.week(d), 1,
                         f"the one-off date {d} lies outside the planning horizon"))
            continue
        for w, n in demand.items():
            missing = n - served[(r, w)]
            if missing > 0 and keep_before is not None and scenario.settings.dates[7 * w + 6] < keep_before:
                rows.append((req["request_id"].iat[r], req["citizen_id"].iat[r], w, missing,
                             f"before the re-planning date {keep_before}: nothing new is planned there"))
            elif missing > 0:
                rows.append((req["request_id"].iat[r], req["citizen_id"].iat[r], w, missing,
                             reason(scenario, cands, plan, r, w, positions[r])))
    return pd.DataFrame(rows, columns=list(UNASSIGNED_COLUMNS))


def reason(scenario: Scenario, cands: Candidates, plan: Plan, r: int, week: int,
           positions: np.ndarray | None = None) -> str:
    """The reason one request lacks sessions in ``week`` (0-based), with counts.

    ``positions``: the request's candidate positions, when the caller has them at hand.
    """
    req = scenario.requests.iloc[r]
    cit = scenario.citizens.iloc[int(plan.req_cit[r])]
    f = cands.funnel
    act = req["activity"]
    mask = f["skill"][r].copy()
    if not mask.any():
        return f"nobody offers {act}"
    steps = [
        ("language", lambda n: f"no volunteer offering {act} speaks {' or '.join(cit['languages'])}"),
        ("vetting", lambda n: f"none of the {n} volunteers offering {act} in a shared language is vetted"),
        ("gender", lambda n: f"none of the {n} suitable volunteers is "
                             f"{'a woman' if cit['gender_preference'] == 'f' else 'a man'} as the citizen wishes"),
        ("excluded", lambda n: f"the citizen has excluded all {n} suitable volunteers"),
    ]
    for key, message in steps:
        n = int(mask.sum())
        mask = mask & f[key][r]
        if not mask.any():
            return message(n)
    n = int(mask.sum())
    reach = mask & f["reach"][r]
    if not reach.any():
        vols = scenario.volunteers
        d = _distances(scenario, plan, r)[mask]
        limits = vols["max_travel_km"].to_numpy(float)[mask]
        i = int(np.argmin(d))
        lim = "no limit" if not np.isfinite(limits[i]) else f"{limits[i]:g} km"
        return (f"nobody within reach: the nearest of {n} suitable volunteers is {d[i]:.1f} km away "
                f"(travels up to {lim}); a phone call is not allowed for this request")
    n_reach = int(reach.sum())
    if positions is None:
        positions = np.flatnonzero(cands.req == r)
    mine = positions[cands.day[positions] // 7 == week]
    if not len(mine):
        if not f["ok"][r].any() and cands.pruned:
            return f"{n_reach} suitable volunteers, but none was kept among the nearest candidates"
        return (f"{n_reach} suitable volunteers, but none is free when the citizen is "
                f"({_free_text(scenario, cit['citizen_id'], week)})")
    vols = np.unique(cands.vol[mine])
    w = week
    at_limit = [v for v in vols.tolist()
                if plan.vol_week_n[(v, w)] + 1 > plan.max_sessions[v]
                or plan.vol_week_min[(v, w)] + plan.duration[r] > plan.max_minutes[v]]
    if len(at_limit) == len(vols):
        return f"all {len(vols)} suitable volunteers free at the citizen's times are at their weekly limits"
    note = f" ({len(at_limit)} of {len(vols)} suitable volunteers are at their weekly limits)" if at_limit else ""
    return f"capacity: the suitable volunteers' free time went to citizens with higher or equal priority{note}"


def _distances(scenario: Scenario, plan: Plan, r: int) -> np.ndarray:
    from .geo import haversine_matrix

    vols = scenario.volunteers
    c = int(plan.req_cit[r])
    return haversine_matrix(plan.cit_lat[[c]], plan.cit_lon[[c]], vols["lat"].to_numpy(float),
                            vols["lon"].to_numpy(float))[0]


def _free_text(scenario: Scenario, citizen_id: str, week: int) -> str:
    av = availability(scenario)
    dates = scenario.settings.dates[7 * week: 7 * week + 7]
    parts = []
    for d in dates:
        ws = av.citizen_windows(citizen_id, d)
        if ws:
            parts.append(WEEKDAYS[d.weekday()] + " " + ", ".join(f"{format_time(a)}-{format_time(b)}" for a, b in ws))
    return "; ".join(parts) if parts else "the citizen has no free time this week"
