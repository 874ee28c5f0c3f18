"""Who can serve whom, and when: the candidate (request, volunteer, date) triples.

A triple is a candidate when the pair passes every hard rule that does not
depend on time (rules 2–7, evaluated by the predicates of :mod:`workbench.rules`)
and, on that date, the volunteer's and the citizen's free time share a stretch
long enough for the session (rules 8–9). Everything here is vectorised over
*kinds* (distinct activities, language sets, ...) and then broadcast to pairs,
so that even 5,000 requests × 2,000 volunteers take a few seconds.

At large size the pairs are thinned before the time check: each request keeps
its ``keep_per_request`` best volunteers by a closeness score (its preferred
volunteers and previous volunteers always stay). Modelling notes measured that
keeping each request's nearest volunteers, rather than cutting by one global
score, loses nothing noticeable.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from functools import cached_property, lru_cache

import numpy as np
import pandas as pd

from . import rules
from .availability import Windows, availability, intersect
from .geo import haversine_matrix
from .scenario.types import Scenario


@dataclass(frozen=True)
class Candidates:
    """Candidate triples as aligned arrays, plus the lookups the models need.

    ``req``/``vol`` index rows of ``scenario.requests`` / ``scenario.volunteers``
    (positions), ``day`` indexes ``dates``; ``starts`` holds, per triple, the
    feasible start ranges ``((lo, hi), ...)`` (inclusive) on that date.
    ``in_person``/``phone`` say which modes the pair may use.
    """

    req: np.ndarray
    vol: np.ndarray
    day: np.ndarray
    starts: list[tuple[tuple[int, int], ...]]
    in_person: np.ndarray
    phone: np.ndarray
    distance_km: np.ndarray
    dates: list[date]
    pruned: bool
    funnel: dict[str, np.ndarray] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.req)

    @cached_property
    def index(self) -> dict[tuple[int, int, int], int]:
        """Position of each (request, volunteer, day) triple."""
        return {(r, v, d): i for i, (r, v, d) in enumerate(zip(self.req.tolist(), self.vol.tolist(),
                                                                self.day.tolist()))}

    def subset(self, idx: np.ndarray, *, pruned: bool, funnel: dict[str, np.ndarray] | None = None) -> Candidates:
        """The triples at positions ``idx`` (``pruned``: whether this removes any the rules allow)."""
        return Candidates(req=self.req[idx], vol=self.vol[idx], day=self.day[idx],
                          starts=[self.starts[i] for i in idx], in_person=self.in_person[idx],
                          phone=self.phone[idx], distance_km=self.distance_km[idx], dates=self.dates,
                          pruned=pruned or self.pruned, funnel=self.funnel if funnel is None else funnel)


def _by_kind(keys_a: list, keys_b: list, predicate) -> np.ndarray:
    """Evaluate ``predicate`` on each distinct (a, b) kind once; return the kind table."""
    ua = list(dict.fromkeys(keys_a))
    ub = list(dict.fromkeys(keys_b))
    aa = [a for a in ua for _ in ub]
    bb = [b for _ in ua for b in ub]
    table = predicate(aa, bb).reshape(len(ua), len(ub)) if ua and ub else np.zeros((len(ua), len(ub)), bool)
    pos_a = {a: i for i, a in enumerate(ua)}
    pos_b = {b: i for i, b in enumerate(ub)}
    return table[np.array([pos_a[a] for a in keys_a], int)[:, None], np.array([pos_b[b] for b in keys_b], int)[None, :]]


def pair_matrix(scenario: Scenario) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Per (request, volunteer): each time-free rule as a boolean matrix, and the distance in km.

    The matrices (requests × volunteers) are kept apart so the reasons for
    unmet demand can count who fails which rule.
    """
    req, vol, cit = scenario.requests, scenario.volunteers, scenario.citizens.set_index("citizen_id")
    c = cit.loc[req["citizen_id"]]
    checks = {
        "skill": _by_kind(req["activity"].tolist(), vol["skills"].tolist(), rules.skill_ok),
        "language": _by_kind(c["languages"].tolist(), vol["languages"].tolist(), rules.language_ok),
        "vetting": _by_kind(req["requires_vetting"].tolist(), vol["vetted"].tolist(), rules.vetting_ok),
        "gender": _by_kind(c["gender_preference"].tolist(), vol["gender"].tolist(), rules.gender_ok),
    }
    excluded = np.ones((len(req), len(vol)), bool)
    vpos = {v: i for i, v in enumerate(vol["volunteer_id"])}
    for i, ex in enumerate(c["excluded_volunteers"]):
        if ex:
            cols = [vpos[v] for v in ex if v in vpos]
            excluded[i, cols] = rules.not_excluded([ex] * len(cols), [vol["volunteer_id"].iat[j] for j in cols])
    checks["excluded"] = excluded
    dist = haversine_matrix(c["lat"].to_numpy(float), c["lon"].to_numpy(float), vol["lat"].to_numpy(float),
                            vol["lon"].to_numpy(float))
    checks["reach"] = rules.pair_mode_ok(req["mode"].to_numpy(object)[:, None], dist,
                                         vol["max_travel_km"].to_numpy(float)[None, :])
    return checks, dist


@lru_cache(maxsize=200_000)
def _start_ranges(vw: Windows, cw: Windows, duration: int, fixed: int | None) -> tuple[tuple[int, int], ...]:
    """Feasible start ranges for a session of ``duration`` inside both free times (rule 8, 9)."""
    out = []
    for s, e in intersect(vw, cw):
        if fixed is not None:
            if s <= fixed and fixed + duration <= e:
                out.append((fixed, fixed))
        elif e - s >= duration:
            out.append((s, e - duration))
    return tuple(out)


def build_candidates(scenario: Scenario, keep_per_request: int | None = None,
                     always_keep: set[tuple[str, str]] | None = None) -> Candidates:
    """All candidate (request, volunteer, date) triples of the scenario.

    ``keep_per_request``: thin each request's volunteers to this many best
    (``None`` chooses by size: no thinning below ~200,000 pairs).
    ``always_keep``: (request_id, volunteer_id) pairs never thinned (pins, previous).
    """
    req, vol = scenario.requests, scenario.volunteers
    checks, dist = pair_matrix(scenario)
    ok = np.logical_and.reduce(list(checks.values()))
    pair_count = int(ok.sum())
    if keep_per_request is None:
        keep_per_request = 0 if pair_count <= 200_000 else 40
    pruned = False
    cit = scenario.citizens.set_index("citizen_id")
    preferred = cit.loc[req["citizen_id"], "preferred_volunteers"].tolist()
    vpos = {v: i for i, v in enumerate(vol["volunteer_id"])}
    if keep_per_request and pair_count > keep_per_request * len(req):
        # Closeness score: nearer is better; preferred and always-kept pairs first.
        score = np.where(ok, dist, np.inf)
        for i, pv in enumerate(preferred):
            for v in pv:
                score[i, vpos[v]] = np.where(ok[i, vpos[v]], -1.0, np.inf)
        rpos = {r: i for i, r in enumerate(req["request_id"])}
        for r, v in always_keep or ():
            if r in rpos and v in vpos and ok[rpos[r], vpos[v]]:
                score[rpos[r], vpos[v]] = -2.0
        k = min(keep_per_request, score.shape[1])
        top = np.argpartition(score, k - 1, axis=1)[:, :k]
        keep = np.zeros_like(ok)
        np.put_along_axis(keep, top, True, axis=1)
        pruned = bool((ok & ~keep).any())
        ok &= keep

    av = availability(scenario)
    dates = scenario.settings.dates
    dpos = {d: i for i, d in enumerate(dates)}
    rr, vv = np.nonzero(ok)
    vol_ids = vol["volunteer_id"].to_numpy(object)
    cit_ids = req["citizen_id"].to_numpy(object)
    durations = req["duration_min"].to_numpy(int)
    one_off = req["date"].tolist()
    fixed = req["start"].tolist()
    # Dates each volunteer is free, so the loop below visits only those.
    vol_dates: dict[str, list[date]] = {}
    for (v, d) in av.volunteer:
        vol_dates.setdefault(v, []).append(d)
    out_r, out_v, out_d, out_s = [], [], [], []
    for r, v in zip(rr.tolist(), vv.tolist()):
        vid, cid = vol_ids[v], cit_ids[r]
        days = vol_dates.get(vid, ())
        if one_off[r] is not None:
            days = [one_off[r]] if one_off[r] in days else []
        for d in days:
            ranges = _start_ranges(av.volunteer[(vid, d)], av.citizen_windows(cid, d), int(durations[r]), fixed[r])
            if ranges:
                out_r.append(r)
                out_v.append(v)
                out_d.append(dpos[d])
                out_s.append(ranges)
    r_arr = np.array(out_r, int)
    v_arr = np.array(out_v, int)
    order = np.lexsort((np.array(out_d, int), v_arr, r_arr)) if len(r_arr) else np.array([], int)
    r_arr, v_arr = r_arr[order], v_arr[order]
    d_arr = np.array(out_d, int)[order]
    starts = [out_s[i] for i in order]
    modes = req["mode"].to_numpy(object)[r_arr]
    d_km = dist[r_arr, v_arr] if len(r_arr) else np.array([], float)
    in_person = rules.in_person_possible(modes, d_km, vol["max_travel_km"].to_numpy(float)[v_arr])
    phone = modes != "in_person"
    cands = Candidates(req=r_arr, vol=v_arr, day=d_arr, starts=starts, in_person=np.asarray(in_person, bool),
                       phone=np.asarray(phone, bool), distance_km=d_km, dates=dates, pruned=pruned,
                       funnel={**checks, "ok": ok})
    return cands


LP_MAX_PAIRS = 300_000


def thin_by_relaxation(scenario: Scenario, cands: Candidates, nearest: int,
                       keep_pairs: set[tuple[int, int]]) -> Candidates:
    """Keep the pairs a linear relaxation uses, each request's ``nearest`` volunteers, and ``keep_pairs``.

    The relaxation, per week over (request, volunteer) pairs: serve each request
    at most its weekly demand, each pair at most on as many days as it has
    candidates, within each volunteer's weekly limits; maximise priority served
    (ties to the nearer pair). Modelling notes measured that this relaxation is a
    good guide to which pairs are worth modelling, and that keeping the nearest
    volunteers too avoids the losses of thinning by one score alone.
    """
    from scipy.optimize import linprog
    from scipy.sparse import coo_matrix

    req, vol, cit = scenario.requests, scenario.volunteers, scenario.citizens.set_index("citizen_id")
    n_v = len(vol)
    week = cands.day // 7
    key = (week * len(req) + cands.req) * n_v + cands.vol
    pair_key, first, days = np.unique(key, return_index=True, return_counts=True)
    p_req, p_vol, p_week = cands.req[first], cands.vol[first], week[first]
    prio = cit.loc[req["citizen_id"], "priority"].to_numpy(float)
    dur = req["duration_min"].to_numpy(float)
    cap = np.where([d is not None for d in req["date"]], 1, req["sessions_per_week"].to_numpy(int)).astype(float)
    n = len(pair_key)
    rows, cols, vals, rhs = [], [], [], []
    row = 0
    # Σ_v y[r,v,w] ≤ demand of r in week w
    rw, rw_idx = np.unique(p_week * len(req) + p_req, return_inverse=True)
    rows.append(rw_idx)
    cols.append(np.arange(n))
    vals.append(np.ones(n))
    rhs.append(cap[rw % len(req)])
    row += len(rw)
    max_s = vol["max_sessions_per_week"].to_numpy(float)
    max_m = vol["max_minutes_per_week"].to_numpy(float)
    vw, vw_idx = np.unique(p_week * n_v + p_vol, return_inverse=True)
    v_of = vw % n_v
    for limit, coef in ((max_s, np.ones(n)), (max_m, dur[p_req])):
        finite = np.isfinite(limit[v_of])
        remap = -np.ones(len(vw), int)
        remap[finite] = np.arange(finite.sum()) + row
        use = remap[vw_idx] >= 0
        rows.append(remap[vw_idx][use])
        cols.append(np.flatnonzero(use))
        vals.append(coef[use])
        rhs.append(limit[v_of][finite])
        row += int(finite.sum())
    if n <= LP_MAX_PAIRS:
        a = coo_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(row, n)).tocsr()
        upper = np.minimum(days, cap[p_req])
        cost = -prio[p_req]  # a distance tie-break makes the LP degenerate and ~10x slower
        res = linprog(cost, A_ub=a, b_ub=np.concatenate(rhs), bounds=np.stack([np.zeros(n), upper], axis=1),
                      method="highs-ds")
        used = res.x > 1e-6 if res.status == 0 else np.zeros(n, bool)
        relaxation = float(prio[p_req] @ res.x) if res.status == 0 else np.nan
    else:
        # Measured on city-large: the LP over ~360,000 pair-weeks takes ~40 s a week, more
        # than the whole budget; the nearest volunteers and the greedy pairs must do.
        used = np.zeros(n, bool)
        relaxation = np.nan
    dist = cands.distance_km[first]
    # Each request's nearest volunteers (per week) stay as well.
    order = np.lexsort((dist, p_week * len(req) + p_req))
    grp = (p_week * len(req) + p_req)[order]
    rank = np.arange(n) - np.searchsorted(grp, grp)
    near = np.zeros(n, bool)
    near[order[rank < nearest]] = True
    forced = np.array([(int(r), int(v)) in keep_pairs for r, v in zip(p_req, p_vol)], bool)
    keep_key = pair_key[used | near | forced]
    mask = np.isin(key, keep_key)
    idx = np.flatnonzero(mask)
    funnel = dict(cands.funnel)
    funnel["relaxation_bound"] = np.array([relaxation])
    return cands.subset(idx, pruned=bool(len(idx) < len(mask)), funnel=funnel)


def as_frame(scenario: Scenario, cands: Candidates) -> pd.DataFrame:
    """The candidates as a readable table (for notebooks and tests)."""
    return pd.DataFrame({
        "request_id": scenario.requests["request_id"].to_numpy()[cands.req],
        "volunteer_id": scenario.volunteers["volunteer_id"].to_numpy()[cands.vol],
        "date": [cands.dates[d] for d in cands.day],
        "starts": cands.starts,
        "in_person": cands.in_person,
        "phone": cands.phone,
        "distance_km": cands.distance_km,
    })
