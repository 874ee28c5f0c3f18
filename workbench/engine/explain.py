"""Why a request was left without some of its sessions, in a coordinator's words.

For every request and week with fewer sessions than demanded, the reason is
the first filter of the candidate funnel that nobody passes, with counts:
skill → language → vetting → gender wish → exclusion → reach → free time →
weekly limits → (otherwise) capacity taken by citizens of higher priority.
A one-off with a fixed start names its appointment. A session given up to keep the
request's visiting friend (the continuity weight) says so, naming the friend.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping
from datetime import date

import numpy as np
import pandas as pd

from ..contract import UNASSIGNED_COLUMNS
from ..geo import haversine_matrix
from ..index import ScenarioIndex
from ..timeutil import WEEKDAYS, format_time
from ..words import activity_name, count, language_name
from .candidates import Candidates
from .plan import Plan


def explain_unassigned(index: ScenarioIndex, cands: Candidates, plan: Plan, keep_before: date | None = None,
                       out_of_time: Callable[[], bool] = lambda: False,
                       for_friends: Mapping[tuple[int, int], int] | None = None) -> pd.DataFrame:
    """``unassigned.csv`` rows: request_id, citizen_id, week, missing, reason.

    ``week`` is the contract's 0-based week (a one-off dated outside the horizon
    gets its date's index). ``keep_before``: when re-planning from that day on,
    weeks wholly before it are explained as such. Once ``out_of_time()`` is true,
    the remaining rows get a short reason instead of the full funnel. ``for_friends``:
    (request, week) → the volunteer a session there was given up for (the request's one
    visiting friend; ``pipeline.given_for_friends``).
    """
    for_friends = for_friends or {}
    st = index.scenario.settings
    served: dict[tuple[int, int], int] = defaultdict(int)
    for s in plan.sessions:
        served[(s.req, s.week)] += 1
    rows = []
    order = np.argsort(cands.req, kind="stable")
    cut = np.searchsorted(cands.req[order], np.arange(index.n_requests + 1))
    rid, cid = index.request_ids, index.citizen_ids[index.req_cit]
    dates = index.scenario.requests["date"].tolist()
    for r in range(index.n_requests):
        d = dates[r]
        if d is not None and not st.in_horizon(d):
            rows.append((rid[r], cid[r], st.week(d), 1, f"the one-off date {d} lies outside the planning horizon"))
            continue
        for w in np.flatnonzero(index.week_demand[r]).tolist():
            missing = int(index.week_demand[r, w]) - served[(r, w)]
            if missing <= 0:
                continue
            if keep_before is not None and index.dates[7 * w + 6] < keep_before:
                why = f"before the re-planning date {keep_before}: nothing new is planned there"
            elif (r, w) in for_friends:
                why = friend_reason(index, for_friends[(r, w)])
            elif out_of_time():
                why = "not planned: the time limit ended before this request's turn"
            else:
                why = reason(index, cands, plan, r, w, order[cut[r]:cut[r + 1]])
            rows.append((rid[r], cid[r], w, missing, why))
    return pd.DataFrame(rows, columns=list(UNASSIGNED_COLUMNS))


def reason(index: ScenarioIndex, cands: Candidates, plan: Plan, r: int, week: int,
           positions: np.ndarray | None = None) -> str:
    """The reason one request lacks sessions in ``week`` (0-based), with counts.

    ``positions``: the request's candidate positions, when the caller has them at hand.
    """
    sc = index.scenario
    req = sc.requests.iloc[r]
    cit = sc.citizens.iloc[int(index.req_cit[r])]
    f = cands.checks
    act = activity_name(req["activity"])
    mask = f["skill"][r].copy()
    if not mask.any():
        return f"nobody offers {act}"
    steps = [
        ("language", lambda n: f"no volunteer offering {act} speaks "
                               f"{' or '.join(language_name(x) for x in cit['languages'])}"),
        ("vetting", lambda n: f"none of the {count(n, 'volunteer')} offering {act} in a shared language is vetted"),
        ("gender", lambda n: f"none of the {count(n, 'suitable volunteer')} is "
                             f"{'a woman' if cit['gender_preference'] == 'f' else 'a man'} as the citizen wishes"),
        ("excluded", lambda n: f"the citizen has excluded {'the only' if n == 1 else f'all {n}'} "
                               f"suitable volunteer{'' if n == 1 else 's'}"),
    ]
    for key, message in steps:
        n = int(mask.sum())
        mask = mask & f[key][r]
        if not mask.any():
            return message(n)
    n = int(mask.sum())
    reach = mask & f["reach"][r]
    if not reach.any():
        d = _distances(index, r)[mask]
        limits = index.max_travel_km[mask]
        i = int(np.argmin(d))
        lim = "no limit" if not np.isfinite(limits[i]) else f"{limits[i]:g} km"
        return (f"nobody within reach: the nearest of {count(n, 'suitable volunteer')} is {d[i]:.1f} km away "
                f"(travels up to {lim}); a phone call is not allowed for this request")
    n_reach = int(reach.sum())
    if positions is None:
        positions = np.flatnonzero(cands.req == r)
    mine = positions[cands.day[positions] // 7 == week]
    if not len(mine):
        if not cands.complete:
            return (f"{count(n_reach, 'suitable volunteer')}, but none of the nearest is free when the citizen is "
                    f"({_free_text(index, r, week)})")
        return (f"{count(n_reach, 'suitable volunteer')}, but none is free when the citizen is "
                f"({_free_text(index, r, week)})")
    vols = np.unique(cands.vol[mine]).tolist()
    at_limit = [v for v in vols
                if plan.vol_week_n[(v, week)] + 1 > index.max_sessions[v]
                or plan.vol_week_min[(v, week)] + index.duration[r] > index.max_minutes[v]]
    # Where the candidates were thinned (large cities), the counts are of the nearest volunteers only:
    # said so, lest the planner read them as everyone suitable.
    among = "" if cands.complete or len(vols) >= n_reach else (
        f"; only the nearest were searched, of {count(n_reach, 'suitable volunteer')} within reach")
    if len(at_limit) == len(vols):
        if len(vols) == 1:
            return f"the one suitable volunteer free at the citizen's times is at their weekly limits{among}"
        return f"all {len(vols)} suitable volunteers free at the citizen's times are at their weekly limits{among}"
    note = (f" ({len(at_limit)} of {count(len(vols), 'suitable volunteer')} "
            f"{'is' if len(at_limit) == 1 else 'are'} at their weekly limits)") if at_limit else ""
    return f"capacity: the suitable volunteers' free time went to citizens with higher or equal priority{note}{among}"


def friend_reason(index: ScenarioIndex, friend: int) -> str:
    """The reason of a session given up for continuity: who the request's visiting friend is, and how
    to have it served instead."""
    vols = index.scenario.volunteers
    name = vols["name"].iloc[friend] if "name" in vols.columns else ""
    vid = str(index.volunteer_ids[friend])
    who = f"{name} ({vid})" if isinstance(name, str) and name else vid
    return (f"given up to keep one visiting friend: {who} serves this request in its other weeks, and a session "
            "with anyone else would break that (the continuity weight; with weight 0 none is given up)")


def _distances(index: ScenarioIndex, r: int) -> np.ndarray:
    c = int(index.req_cit[r])
    return haversine_matrix(index.cit_lat[[c]], index.cit_lon[[c]], index.vol_lat, index.vol_lon)[0]


def _free_text(index: ScenarioIndex, r: int, week: int) -> str:
    """When the citizen can be met this week; for an appointment, its date and time."""
    if index.fixed_start[r] >= 0:
        d = index.dates[index.one_off_day[r]]
        return (f"the appointment on {WEEKDAYS[d.weekday()]} {d} at {format_time(int(index.fixed_start[r]))}-"
                f"{format_time(int(index.fixed_start[r] + index.duration[r]))}")
    c = int(index.req_cit[r])
    days = range(7 * week, 7 * week + 7) if index.one_off_day[r] < 0 else [int(index.one_off_day[r])]
    parts = []
    for d in days:
        ws = index.citizen_windows(c, d)
        if ws:
            parts.append(WEEKDAYS[index.dates[d].weekday()] + " "
                         + ", ".join(f"{format_time(a)}-{format_time(b)}" for a, b in ws))
    return "; ".join(parts) if parts else "the citizen has no free time this week"
