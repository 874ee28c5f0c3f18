"""Who can serve whom, and when: compatible pairs and candidate (request, volunteer, day) triples.

A pair (request, volunteer) is compatible when it passes every hard rule that
does not depend on time (rules 2–7, evaluated by the predicates of
:mod:`workbench.rules`, so the checker and the optimiser can never disagree).
A triple adds a day on which the volunteer's and the citizen's free time share
a stretch long enough for the session (rules 8, 9).

Enumeration is vectorised: each volunteer-day and citizen-day is summarised by
the hull of its free windows, so the feasible starts of a triple are one
``max``/``min`` over arrays. Where a day has several separate windows the hull
over-estimates; :func:`exact_starts` then computes the exact ranges for the
triples that go into a model. The over-estimate is harmless where the triples
only feed an upper bound (:mod:`workbench.engine.bound`): a superset of what is
feasible can only raise a bound, never make it wrong.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property, lru_cache

import numpy as np

from .. import rules
from ..availability import Windows, intersect
from ..geo import haversine_matrix
from ..index import ScenarioIndex

# Pairs handled per vectorised step (measured: ~3.5 M array cells per step keep a step
# near 50 ms and the peak memory of the step under ~150 MB).
PAIRS_PER_STEP = 500_000 // 7


def pair_checks(index: ScenarioIndex) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Per (request, volunteer): each time-free rule as a boolean matrix, and the distance in km.

    The matrices (requests × volunteers) are kept apart so the reasons for unmet
    demand can count who fails which rule.
    """
    sc = index.scenario
    req, vol = sc.requests, sc.volunteers
    cit = sc.citizens
    c_of = index.req_cit
    langs = cit["languages"].to_numpy(object)[c_of]
    checks = {
        "skill": _by_kind(req["activity"].tolist(), vol["skills"].tolist(), rules.skill_ok),
        "language": _by_kind(langs.tolist(), vol["languages"].tolist(), rules.language_ok),
        "vetting": _by_kind(req["requires_vetting"].tolist(), vol["vetted"].tolist(), rules.vetting_ok),
        "gender": _by_kind(cit["gender_preference"].to_numpy(object)[c_of].tolist(), vol["gender"].tolist(),
                           rules.gender_ok),
    }
    excluded = np.ones((index.n_requests, index.n_volunteers), bool)
    pos = index.volunteer_pos
    for i, ex in enumerate(cit["excluded_volunteers"].to_numpy(object)[c_of]):
        if ex:
            cols = [pos[v] for v in ex if v in pos]
            excluded[i, cols] = rules.not_excluded([ex] * len(cols), index.volunteer_ids[cols].tolist())
    checks["excluded"] = excluded
    dist = haversine_matrix(index.cit_lat[c_of], index.cit_lon[c_of], index.vol_lat, index.vol_lon)
    checks["reach"] = rules.pair_mode_ok(index.request_mode[:, None], dist, index.max_travel_km[None, :])
    return checks, dist


def _by_kind(keys_a: list, keys_b: list, predicate: Callable) -> np.ndarray:
    """Evaluate ``predicate`` once per distinct (a, b) kind and broadcast to all pairs."""
    ua = list(dict.fromkeys(keys_a))
    ub = list(dict.fromkeys(keys_b))
    aa = [a for a in ua for _ in ub]
    bb = [b for _ in ua for b in ub]
    table = predicate(aa, bb).reshape(len(ua), len(ub)) if ua and ub else np.zeros((len(ua), len(ub)), bool)
    pos_a = {a: i for i, a in enumerate(ua)}
    pos_b = {b: i for i, b in enumerate(ub)}
    return table[np.array([pos_a[a] for a in keys_a], int)[:, None], np.array([pos_b[b] for b in keys_b], int)[None, :]]


@dataclass(frozen=True)
class FreeDays:
    """Free time per volunteer-day and citizen-day as the hull of its windows (minutes), and
    whether the day has more than one window. No free time: ``lo == hi == 0``."""

    v_lo: np.ndarray
    v_hi: np.ndarray
    v_multi: np.ndarray
    v_minutes: np.ndarray  # free minutes (sum of the windows' lengths)
    c_lo: np.ndarray
    c_hi: np.ndarray
    c_multi: np.ndarray
    c_minutes: np.ndarray


def _person_days(index: ScenarioIndex, items: dict, pos: dict) -> Iterator[tuple[int, int, Windows]]:
    """(person, day, windows) of a free-time table (``index.free.volunteer`` or ``.citizen``) in the
    horizon, positions as the index has them; days without a window left out."""
    dpos = index.day_pos
    for (ident, day), windows in items.items():
        i, d = pos.get(ident), dpos.get(day)
        if i is not None and d is not None and windows:
            yield i, d, windows


def _on_default_window(index: ScenarioIndex) -> np.ndarray:
    """Per citizen: no availability rows, so free in the settings' default window every day."""
    return ~np.isin(index.citizen_ids, list(index.free.citizens_with_rows))


def free_days(index: ScenarioIndex) -> FreeDays:
    """The hull arrays of every volunteer and citizen over the horizon."""
    n_days = len(index.dates)
    fr = index.free

    def fill(n: int, items: dict, pos: dict) -> tuple[np.ndarray, ...]:
        lo = np.zeros((n, n_days), np.int16)
        hi = np.zeros((n, n_days), np.int16)
        multi = np.zeros((n, n_days), bool)
        minutes = np.zeros((n, n_days), np.int16)
        for i, d, windows in _person_days(index, items, pos):
            lo[i, d], hi[i, d], multi[i, d], minutes[i, d] = _day_of(windows)
        return lo, hi, multi, minutes

    v_lo, v_hi, v_multi, v_min = fill(index.n_volunteers, fr.volunteer, index.volunteer_pos)
    c_lo, c_hi, c_multi, c_min = fill(len(index.citizen_ids), fr.citizen, index.citizen_pos)
    default = _on_default_window(index)
    (w0, w1), = fr.citizen_default
    c_lo[default], c_hi[default], c_min[default] = w0, w1, w1 - w0
    return FreeDays(v_lo, v_hi, v_multi, v_min, c_lo, c_hi, c_multi, c_min)


def free_days_again(fd: FreeDays, index: ScenarioIndex, volunteer_days: set[tuple[int, int]],
                    citizen_days: set[tuple[int, int]]) -> FreeDays:
    """A copy of ``fd`` with the (person, day) positions given read again from ``index``'s windows
    (an index whose windows changed there, as pins carve them: bound.pinned_residual)."""
    out = FreeDays(*(a.copy() for a in (fd.v_lo, fd.v_hi, fd.v_multi, fd.v_minutes,
                                         fd.c_lo, fd.c_hi, fd.c_multi, fd.c_minutes)))
    for arrays, days, windows_of in (((out.v_lo, out.v_hi, out.v_multi, out.v_minutes), volunteer_days,
                                      index.volunteer_windows),
                                     ((out.c_lo, out.c_hi, out.c_multi, out.c_minutes), citizen_days,
                                      index.citizen_windows)):
        lo, hi, multi, minutes = arrays
        for i, d in days:
            lo[i, d], hi[i, d], multi[i, d], minutes[i, d] = _day_of(windows_of(i, d))
    return out


def _day_of(windows: Windows) -> tuple[int, int, bool, int]:
    """One person-day's hull (start, end), whether it has several windows, and its free minutes."""
    if not windows:
        return 0, 0, False, 0
    return windows[0][0], windows[-1][1], len(windows) > 1, sum(e - s for s, e in windows)


def order_within(group: np.ndarray, value: np.ndarray) -> np.ndarray:
    """The elements' order by ``group``, and within a group by ``value`` (smallest first; ties as given).

    Two stable sorts rather than ``np.lexsort``, which was measured 10x slower on
    millions of pairs; the groups' sort as 16-bit integers where they fit, which numpy sorts by
    radix (city-large's 16,000 request-weeks over 10.8 million pair-weeks: 0.16 s instead of 1.8 s).
    """
    order = np.argsort(value, kind="stable")
    keys = group[order]
    if len(keys) and keys.min() >= 0 and keys.max() < 2 ** 16:
        keys = keys.astype(np.uint16)
    return order[np.argsort(keys, kind="stable")]


def rank_within(group: np.ndarray, value: np.ndarray) -> np.ndarray:
    """Each element's rank (0 = smallest ``value``) among the elements of its ``group``
    (:func:`order_within`)."""
    order = order_within(group, value)
    g = group[order]
    first = np.r_[0, np.flatnonzero(g[1:] != g[:-1]) + 1] if len(g) else np.zeros(0, int)
    rank = np.empty(len(g), int)
    rank[order] = np.arange(len(g)) - np.repeat(first, np.diff(np.r_[first, len(g)]))
    return rank


def _room(index: ScenarioIndex, fd: FreeDays, r: np.ndarray, v: np.ndarray,
          days: slice) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For pairs (r, v) and the horizon's ``days``: where the session fits (hull), and the hull of starts."""
    c = index.req_cit[r]
    dur = index.duration[r]
    v_lo, v_hi = fd.v_lo[v, days], fd.v_hi[v, days]
    lo = np.maximum(v_lo, fd.c_lo[c, days]).astype(np.int32)
    hi = np.minimum(v_hi, fd.c_hi[c, days]).astype(np.int32) - dur[:, None]
    room = (hi >= lo) & (v_hi > 0)
    one = index.one_off[r]
    if one.any():  # a one-off: its own day only, at its start when that is fixed
        first = days.start or 0
        rows = np.flatnonzero(one)
        mask = np.ones(room.shape, bool)
        mask[rows, :] = False
        own = index.one_off_day[r[rows]] - first
        inside = (own >= 0) & (own < room.shape[1])
        mask[rows[inside], own[inside]] = True
        room &= mask
        f = index.fixed_start[r]
        has_f = (f >= 0)[:, None]
        room &= ~has_f | ((lo <= f[:, None]) & (f[:, None] <= hi))
        lo = np.where(has_f, f[:, None], lo)
        hi = np.where(has_f, f[:, None], hi)
    return room, lo, hi


@dataclass(frozen=True)
class PairWeeks:
    """Compatible (request, volunteer, week) combinations and on how many days of the week the pair
    has room (counted on the hull of each day's free time, so never fewer than the truth); each
    pair appears once, its weeks consecutive and in order (so does any subset taken in order).
    ``complete``: every compatible pair is counted (nothing was cut by the clock)."""

    req: np.ndarray
    vol: np.ndarray
    week: np.ndarray
    days: np.ndarray
    complete: bool

    def __len__(self) -> int:
        return len(self.req)


def pair_runs(req: np.ndarray, vol: np.ndarray) -> np.ndarray:
    """Where each pair's run of weeks starts in pair-weeks listed as :class:`PairWeeks` lists them
    (or any subset taken in order): a pair's weeks are consecutive, so per-pair sums are
    ``np.add.reduceat(x, pair_runs(req, vol))`` without sorting (``np.unique`` over city-large's
    ~10 million pair-weeks took ~4 s, measured)."""
    if not len(req):
        return np.zeros(0, np.int64)
    return np.flatnonzero(np.r_[True, (req[1:] != req[:-1]) | (vol[1:] != vol[:-1])])


def pair_chunks(pw: PairWeeks, size: int = 2_000_000) -> Iterator[slice]:
    """Slices of about ``size`` pair-weeks of ``pw`` that never split a pair's weeks (they are
    consecutive), for per-pair work with the temporaries of one slice at a time."""
    start, n = 0, len(pw)
    while start < n:
        stop = min(start + size, n)
        # Past the end of the pair at the slice's edge (a pair has at most one row per week).
        while 0 < stop < n and pw.req[stop] == pw.req[stop - 1] and pw.vol[stop] == pw.vol[stop - 1]:
            stop += 1
        yield slice(start, stop)
        start = stop


def pair_weeks(index: ScenarioIndex, ok: np.ndarray, fd: FreeDays,
               out_of_time: Callable[[], bool] = lambda: False, distance: np.ndarray | None = None,
               min_pairs: int = 0) -> PairWeeks:
    """Every compatible pair's days with room per week (see :class:`PairWeeks`), without listing triples.

    Stops early (``complete=False``) when ``out_of_time()`` turns true between steps, once the
    first ``min_pairs`` pairs (at least one step) are done; ``distance`` (requests × volunteers)
    orders the steps, nearest pairs first.
    """
    rr, vv = (a.astype(np.int32) for a in np.nonzero(ok))
    weeks = index.weeks
    step = max(1, PAIRS_PER_STEP // weeks)
    # Every request's nearest volunteer first, then every request's second nearest, ...: should the
    # clock cut this short, each request keeps its nearest pairs, not the first requests all of theirs.
    order = np.argsort(rank_within(rr, distance[rr, vv]), kind="stable") if distance is not None \
        else np.arange(len(rr))
    parts: list[tuple[np.ndarray, ...]] = []
    complete = True
    for a in range(0, len(order), step):
        if parts and a >= min_pairs and out_of_time():
            complete = False
            break
        r, v = rr[order[a:a + step]], vv[order[a:a + step]]
        room, _lo, _hi = _room(index, fd, r, v, slice(0, 7 * weeks))
        count = room.reshape(len(r), weeks, 7).sum(axis=2, dtype=np.int32)
        i, w = np.nonzero(count)
        # Compact parts (r and v are int32 already): joining city-large's 10.8 million pair-weeks
        # from int64 parts took ~3.8 s (measured), from int32 parts a fraction of that.
        parts.append((r[i], v[i], w.astype(np.int32), count[i, w]))
    if parts:
        req, vol, week, days = (np.concatenate(x) for x in zip(*parts))
    else:
        req = vol = week = days = np.zeros(0, np.int32)
    return PairWeeks(req, vol, week, days, complete)


@dataclass(frozen=True)
class StartUnion:
    """Per (request, day) on which some compatible volunteer could give the session: the union, over
    every such volunteer, of its feasible start minutes, as merged inclusive ranges sorted by
    request, day and start (range ``i`` is ``lo[i]..hi[i]`` of ``req[i]`` on ``day[i]``). The same
    start sets the complete candidates' ``starts`` give, found from the pair-weeks without listing
    a triple's ranges in Python."""

    req: np.ndarray
    day: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    complete: bool

    def __len__(self) -> int:
        return len(self.req)


def _window_table(items: dict, pos: dict, n: int, index: ScenarioIndex,
                  default: Windows = (), with_default: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Each person-day's free windows as two arrays (start, end) of shape (people, days, most windows
    a day has), empty windows ``(0, 0)``; ``with_default`` (a mask over people): they have ``default``
    on every day."""
    rows = list(_person_days(index, items, pos))
    k = max([len(w) for _i, _d, w in rows] + [len(default) if with_default is not None else 0, 1])
    start = np.zeros((n, len(index.dates), k), np.int16)
    end = np.zeros((n, len(index.dates), k), np.int16)
    for i, d, windows in rows:
        for j, (s, e) in enumerate(windows):
            start[i, d, j], end[i, d, j] = s, e
    if with_default is not None and default:
        for j, (s, e) in enumerate(default):
            start[with_default, :, j], end[with_default, :, j] = s, e
    return start, end


def _merge_ranges(key: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, ...]:
    """Integer ranges ``lo..hi`` (inclusive) per ``key``, united: sorted by key and start, a range
    joins the one before while it starts at most one past the furthest end so far in its key."""
    if not len(key):
        return key, lo, hi
    # One sort on key and start together (minutes of a day are below 2**12; faster than a lexsort).
    order = np.argsort((key.astype(np.int64) << 12) | lo.astype(np.int64))
    key, lo, hi = key[order], lo[order].astype(np.int64), hi[order].astype(np.int64)
    first = np.r_[True, key[1:] != key[:-1]]
    # The furthest end so far within each key: offset per key so one running maximum serves all
    # (minutes of a day are below 2**12).
    offset = (np.cumsum(first) - 1) << 12
    reach = np.maximum.accumulate(hi + offset) - offset
    new = first | (lo > np.r_[0, reach[:-1]] + 1)
    at = np.flatnonzero(new)
    return key[at], lo[at], np.maximum.reduceat(hi, at)


def window_tables(index: ScenarioIndex) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The volunteers' and the citizens' free windows per day (see :func:`_window_table`): volunteer
    starts, ends, citizen starts, ends."""
    fr = index.free
    v_start, v_end = _window_table(fr.volunteer, index.volunteer_pos, index.n_volunteers, index)
    c_start, c_end = _window_table(fr.citizen, index.citizen_pos, len(index.citizen_ids), index,
                                   fr.citizen_default, _on_default_window(index))
    return v_start, v_end, c_start, c_end


def _window_meets(index: ScenarioIndex, tables: tuple[np.ndarray, ...], req: np.ndarray, vol: np.ndarray,
                  day: np.ndarray) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Per volunteer window and citizen window of the day, for each triple: whether the request's
    session fits where they meet (at its fixed start, if it has one; rules 8, 9), and its start range
    there (``lo..hi``, inclusive), as :func:`_start_ranges` meets them."""
    v_start, v_end, c_start, c_end = tables
    c = index.req_cit[req]
    dur = index.duration[req].astype(np.int64)
    fixed = index.fixed_start[req].astype(np.int64)
    has_f = fixed >= 0
    for kv in range(v_start.shape[2]):
        vs, ve = v_start[vol, day, kv].astype(np.int64), v_end[vol, day, kv].astype(np.int64)
        for kc in range(c_start.shape[2]):
            s = np.maximum(vs, c_start[c, day, kc])
            e = np.minimum(ve, c_end[c, day, kc])
            lo, hi = s, e - dur
            ok = np.where(has_f, (s <= fixed) & (fixed + dur <= e), hi >= lo)
            yield ok, np.where(has_f, fixed, lo), np.where(has_f, fixed, hi)


def fits_windows(index: ScenarioIndex, req: np.ndarray, vol: np.ndarray, day: np.ndarray,
                 tables: tuple[np.ndarray, ...] | None = None) -> np.ndarray:
    """Per triple, whether its session fits where one of the volunteer's windows of the day meets one
    of the citizen's (at its fixed start, if it has one; rules 8, 9); ``tables``: the index's
    :func:`window_tables`, if the caller has them."""
    fit = np.zeros(len(req), bool)
    if len(req):
        for ok, _lo, _hi in _window_meets(index, tables or window_tables(index), req, vol, day):
            fit |= ok
    return fit


def exact_triples(index: ScenarioIndex, fd: FreeDays, tables: tuple[np.ndarray, ...], r: np.ndarray,
                  v: np.ndarray, days: slice) -> Triples:
    """:func:`triples_of_pairs`, but on days of several windows only the triples whose session fits
    where a volunteer window meets a citizen window (:func:`_window_meets`): the triples the exact
    candidates hold, without listing their start ranges."""
    t = triples_of_pairs(index, fd, r, v, days)
    several = np.flatnonzero(~t.exact)
    fits = fits_windows(index, t.req[several], t.vol[several], t.day[several], tables)
    keep = np.ones(len(t), bool)
    keep[several[~fits]] = False
    return Triples(t.req[keep], t.vol[keep], t.day[keep], t.lo[keep], t.hi[keep], t.exact[keep])


def start_union(index: ScenarioIndex, fd: FreeDays, pw: PairWeeks,
                out_of_time: Callable[[], bool] = lambda: False) -> StartUnion:
    """The :class:`StartUnion` of every pair in ``pw`` (vectorised: each volunteer window met with
    each citizen window of the day, as :func:`_start_ranges` meets them; rules 8, 9), a slice of
    pairs at a time (whole requests, so each slice's united ranges are final). ``complete`` is false where
    ``out_of_time()`` stopped it between slices, or where ``pw`` was cut short."""
    n_days = len(index.dates)
    tables = window_tables(index)
    first = pair_runs(pw.req, pw.vol)
    # By request, so that each slice holds its requests' every pair and its ranges are final once united.
    by_req = np.argsort(pw.req[first], kind="stable")
    pr, pv = pw.req[first][by_req], pw.vol[first][by_req]
    step = max(1, PAIRS_PER_STEP * 7 // max(1, n_days))
    cuts = [0]
    while cuts[-1] < len(pr):
        end = min(cuts[-1] + step, len(pr))
        if end < len(pr):  # to the end of the request at the slice's edge
            end = int(np.searchsorted(pr, pr[end - 1], side="right"))
        cuts.append(end)
    parts: list[tuple[np.ndarray, ...]] = []
    complete = pw.complete
    for a, b in zip(cuts[:-1], cuts[1:]):
        if a and out_of_time():
            complete = False
            break
        keys: list[np.ndarray] = []
        los: list[np.ndarray] = []
        his: list[np.ndarray] = []
        r, v = pr[a:b], pv[a:b]
        room, hull_lo, hull_hi = _room(index, fd, r, v, slice(0, n_days))
        i, d = np.nonzero(room)
        tr, tv, c = r[i], v[i], index.req_cit[r[i]]
        key = tr.astype(np.int64) * n_days + d
        # Where both days have one window the hull's starts are exact (as in triples_of_pairs).
        one = ~(fd.v_multi[tv, d] | fd.c_multi[c, d])
        keys.append(key[one])
        los.append(hull_lo[i[one], d[one]].astype(np.int64))
        his.append(hull_hi[i[one], d[one]].astype(np.int64))
        several = ~one
        tr, tv, d, key = tr[several], tv[several], d[several], key[several]
        for ok, lo, hi in _window_meets(index, tables, tr, tv, d):
            keys.append(key[ok])
            los.append(lo[ok])
            his.append(hi[ok])
        parts.append(_merge_ranges(*(np.concatenate(x) for x in (keys, los, his))))
    key, lo, hi = (np.concatenate(x) for x in zip(*parts)) if parts else (np.zeros(0, np.int64),) * 3
    if index.taken_days is not None:  # a request's day a pin serves has no other session of it (rule 13)
        free = ~np.isin(key, index.taken_days)
        key, lo, hi = key[free], lo[free], hi[free]
    return StartUnion((key // n_days).astype(np.int32), (key % n_days).astype(np.int32), lo.astype(np.int32),
                      hi.astype(np.int32), complete)


@dataclass(frozen=True)
class Triples:
    """Compatible (request, volunteer, day) triples as aligned arrays, sorted by request, volunteer, day.

    ``lo``/``hi``: the hull of feasible start minutes (inclusive); ``exact``: the
    start range is exact (both days have a single window).
    """

    req: np.ndarray
    vol: np.ndarray
    day: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    exact: np.ndarray

    def __len__(self) -> int:
        return len(self.req)


def triples_of_pairs(index: ScenarioIndex, fd: FreeDays, r: np.ndarray, v: np.ndarray,
                     days: slice | None = None) -> Triples:
    """The triples of the pairs (``r``, ``v``) on ``days`` (default: the whole horizon); the pairs
    distinct and sorted by request then volunteer, so the triples come sorted too."""
    parts: list[tuple[np.ndarray, ...]] = []
    days = days if days is not None else slice(0, len(index.dates))
    first = days.start or 0
    n_days = days.stop - first
    step = max(1, PAIRS_PER_STEP * 7 // max(1, n_days))
    for a in range(0, len(r), step):
        rc, vc = np.asarray(r[a:a + step]), np.asarray(v[a:a + step])
        room, lo, hi = _room(index, fd, rc, vc, days)
        i, d = np.nonzero(room)
        lo, hi = lo[i, d], hi[i, d]
        d = d + first
        multi = fd.v_multi[vc[i], d] | fd.c_multi[index.req_cit[rc[i]], d]
        parts.append((rc[i], vc[i], d, lo, hi, ~multi))
    if parts:
        req, vol, day, lo_, hi_, exact = (np.concatenate(x) for x in zip(*parts))
    else:
        req = vol = day = lo_ = hi_ = np.zeros(0, int)
        exact = np.zeros(0, bool)
    return Triples(req.astype(np.int32), vol.astype(np.int32), day.astype(np.int32), lo_.astype(np.int32),
                   hi_.astype(np.int32), exact)


@lru_cache(maxsize=200_000)
def _start_ranges(vw: Windows, cw: Windows, duration: int, fixed: int) -> tuple[tuple[int, int], ...]:
    """Feasible start ranges for a session of ``duration`` inside both free times (rules 8, 9)."""
    out = []
    for s, e in intersect(vw, cw):
        if fixed >= 0:
            if s <= fixed and fixed + duration <= e:
                out.append((fixed, fixed))
        elif e - s >= duration:
            out.append((s, e - duration))
    return tuple(out)


@dataclass(frozen=True)
class Candidates:
    """The triples a method schedules from, with exact start ranges and the modes each pair may use.

    ``req``/``vol`` are positions in the scenario's requests / volunteers, ``day``
    in the horizon; ``starts[t]`` holds the feasible start ranges ``((lo, hi), ...)``
    (inclusive). ``complete``: these are all the triples the rules allow (nothing
    thinned or cut), so a model over them bounds the whole problem.
    ``checks``/``distance`` are the pair matrices of :func:`pair_checks` (for reasons).
    """

    req: np.ndarray
    vol: np.ndarray
    day: np.ndarray
    starts: list[tuple[tuple[int, int], ...]]
    in_person: np.ndarray
    phone: np.ndarray
    distance_km: np.ndarray
    complete: bool
    checks: dict[str, np.ndarray] = field(default_factory=dict, repr=False)

    def __len__(self) -> int:
        return len(self.req)

    @cached_property
    def _keys(self) -> tuple[np.ndarray, np.ndarray | None, int, int]:
        """Each triple's key in ascending order, the positions in that order (None: already so), and
        the key's volunteer and day ranges."""
        n_v = int(self.vol.max()) + 1 if len(self) else 1
        n_d = int(self.day.max()) + 1 if len(self) else 1
        key = (self.req.astype(np.int64) * n_v + self.vol) * n_d + self.day
        if bool((key[1:] >= key[:-1]).all()):
            return key, None, n_v, n_d
        order = np.argsort(key, kind="stable")
        return key[order], order, n_v, n_d

    def positions(self, req: Sequence[int] | np.ndarray, vol: Sequence[int] | np.ndarray,
                  day: Sequence[int] | np.ndarray) -> np.ndarray:
        """Where each triple (``req[i]``, ``vol[i]``, ``day[i]``) is, -1 where not here. A search in
        sorted keys, not a dict of every triple: at large size such a dict held 2.5 million tuples,
        445 MB (measured on the third generator's heavy city, 2,000 volunteers / 4,000 citizens / 4
        weeks)."""
        key, order, n_v, n_d = self._keys
        r, v, d = (np.asarray(x, np.int64) for x in (req, vol, day))
        if not len(key):
            return np.full(len(r), -1)
        k = (r * n_v + v) * n_d + d
        i = np.minimum(np.searchsorted(key, k), len(key) - 1)
        found = (v >= 0) & (v < n_v) & (d >= 0) & (d < n_d) & (key[i] == k)
        return np.where(found, i if order is None else order[i], -1)

    def position(self, req: int, vol: int, day: int) -> int | None:
        """Where the triple is (:meth:`positions`), None if not here."""
        at = int(self.positions([req], [vol], [day])[0])
        return at if at >= 0 else None

    @cached_property
    def columns(self) -> tuple[list[int], list[int], list[bool], list[bool]]:
        """Volunteer, day, in person possible, phone possible per triple as Python lists: the repair
        steps read them one triple at a time, and a list item is ~10x cheaper than a numpy scalar."""
        return self.vol.tolist(), self.day.tolist(), self.in_person.tolist(), self.phone.tolist()

    @cached_property
    def week(self) -> np.ndarray:
        return self.day // 7

    @cached_property
    def by_request_week(self) -> dict[tuple[int, int], np.ndarray]:
        """Triple positions per (request, week), nearest volunteer first, then volunteer and day."""
        order = np.lexsort((self.day, self.vol, np.round(self.distance_km, 3), self.week, self.req))
        r, w = self.req[order], self.week[order]
        cut = np.flatnonzero((r[1:] != r[:-1]) | (w[1:] != w[:-1])) + 1
        return {(int(r[g[0]]), int(w[g[0]])): order[g] for g in np.split(np.arange(len(order)), cut) if len(g)}

    def subset(self, idx: np.ndarray, *, complete: bool) -> Candidates:
        """The triples at positions ``idx``; ``complete`` says whether they are still all there are."""
        idx = np.asarray(idx, int)
        return Candidates(req=self.req[idx], vol=self.vol[idx], day=self.day[idx],
                          starts=[self.starts[i] for i in idx.tolist()], in_person=self.in_person[idx],
                          phone=self.phone[idx], distance_km=self.distance_km[idx],
                          complete=complete and self.complete, checks=self.checks)


def refit(cands: Candidates, index: ScenarioIndex, at: np.ndarray,
          out_of_time: Callable[[], bool] = lambda: False) -> Candidates:
    """``cands`` with the triples at positions ``at`` given their start ranges in ``index``'s windows
    (an index whose windows pins carved: bound.pinned_residual), and those left without a start
    dropped; ``complete`` as it was (the caller vouches that no schedule needs what is dropped).
    Where ``out_of_time()`` stops it (asked every ``PAIRS_PER_STEP`` triples), the rest keep their
    ranges: wider than they could be, which the week models' timing still keeps to the rules."""
    starts, keep = list(cands.starts), np.ones(len(cands), bool)
    for n, k in enumerate(np.asarray(at, int).tolist()):
        if n % PAIRS_PER_STEP == 0 and n and out_of_time():
            break
        r, d = int(cands.req[k]), int(cands.day[k])
        starts[k] = _start_ranges(index.volunteer_windows(int(cands.vol[k]), d),
                                  index.citizen_windows(int(index.req_cit[r]), d),
                                  int(index.duration[r]), int(index.fixed_start[r]))
        keep[k] = bool(starts[k])
    return replace(cands, starts=starts).subset(np.flatnonzero(keep), complete=cands.complete)


def exact_candidates(index: ScenarioIndex, triples: Triples, idx: np.ndarray | None, checks: dict[str, np.ndarray],
                     dist: np.ndarray, *, complete: bool) -> Candidates:
    """Candidates from the triples at ``idx``, with exact start ranges (days of several windows
    refined; triples left without any feasible start dropped) and the modes of each pair."""
    idx = np.arange(len(triples)) if idx is None else np.asarray(idx, int)
    r, v, d = triples.req[idx], triples.vol[idx], triples.day[idx]
    lo, hi, exact = triples.lo[idx], triples.hi[idx], triples.exact[idx]
    # One range each, (lo, hi), as 1-tuples built in C (a list comprehension took ~1 s per million).
    starts: list[tuple[tuple[int, int], ...]] = list(zip(zip(lo.tolist(), hi.tolist())))
    keep = np.ones(len(idx), bool)
    for k in np.flatnonzero(~exact).tolist():
        ranges = _start_ranges(index.volunteer_windows(int(v[k]), int(d[k])),
                               index.citizen_windows(int(index.req_cit[r[k]]), int(d[k])),
                               int(index.duration[r[k]]), int(index.fixed_start[r[k]]))
        starts[k] = ranges
        keep[k] = bool(ranges)
    if not keep.all():
        sel = np.flatnonzero(keep)
        r, v, d = r[sel], v[sel], d[sel]
        starts = [starts[k] for k in sel.tolist()]
    km = dist[r, v] if len(r) else np.zeros(0)
    mode = index.request_mode[r]
    in_person = np.asarray(rules.in_person_possible(mode, km, index.max_travel_km[v]), bool)
    return Candidates(req=r, vol=v, day=d, starts=starts, in_person=in_person, phone=mode != "in_person",
                      distance_km=km, complete=complete, checks=checks)
