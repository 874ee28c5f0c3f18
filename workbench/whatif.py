"""What-if modifications: pure functions ``(scenario, parameter, rng) -> scenario``.

Each builds changed tables and goes through :func:`workbench.scenario.edit.replace`, so the
result is validated like any scenario a planner types in. All randomness comes
from the ``rng`` argument; :func:`apply` derives one generator per modification
kind from the run's seed, which makes runs reproducible *and* gives variants
common random numbers: with the same seed, ``supply=1.5`` clones a subset of the
volunteers ``supply=2.0`` clones, and ``phone_share=0.3`` converts a subset of
the requests ``phone_share=0.6`` converts. Differences between variants then
reflect the modification, not the luck of the draw.

=================  ==========================================================================
kind               parameter and meaning
=================  ==========================================================================
supply             factor k > 0. Volunteer pool × k: below 1 a random subset is kept, above
                   1 random volunteers are cloned (same home, skills, availability, limits;
                   new ids; nobody prefers or excludes a clone). Pins and preferences of
                   removed volunteers go with them.
vetting_share      share s in [0, 1] of volunteers holding a background check; random
                   volunteers are vetted (or un-vetted) until the share is reached.
travel_radius      factor k > 0 on every ``max_travel_km`` (no limit stays no limit).
adhoc_helpers      count n ≥ 0, or a table {count, days = 2, max_travel_km = 2.0,
                   sessions_per_week = 1}: n neighbourhood helpers join, each living near a
                   random citizen, on foot, unvetted, free on ``days`` random dates of the
                   horizon, with skills, languages and hours of a random existing volunteer.
recruit            count n ≥ 0, or a table {count, languages = [], district = ""}: a
                   recruitment drive. n volunteers join, each like a random existing
                   volunteer (skills, hours, limits, travel mode), speaking ``languages``
                   besides the template's own, and living near a random citizen of
                   ``district`` (or near a random volunteer when no district is given), e.g.
                   ten Arabic speakers in Gellerup: {count = 10, languages = ["ar"],
                   district = "Gellerup"}.
second_visit       priority p in 1..5, or a table {min_priority, sessions_per_week = 2,
                   activities = ["visit"]}: recurring requests of those activities by
                   citizens of priority ≥ p get ``sessions_per_week`` sessions a week
                   (never fewer than they had).
phone_share        share s in [0, 1], or a table {share, activities}: among requests whose
                   activity can be done by phone (``activities``, default visit and it_help)
                   the share that accepts a call (mode phone or either). Raising it turns
                   random in-person requests into ``either``; lowering it turns ``either``,
                   then ``phone`` requests into in-person.
lockdown           true/false, or a table {activities, suspended = "keep" | "drop"}. Visits
                   become calls: every request that accepts a call becomes phone-only, and
                   so does every in-person request whose activity can be done by phone.
                   The rest (walks, escorts, meals) cannot happen: with "keep" (default)
                   they stay in the demand but no one can serve them, so coverage stays
                   comparable with the baseline; with "drop" they leave the demand.
=================  ==========================================================================
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from .scenario import edit
from .scenario.types import Scenario

# Activities that still make sense as a phone call (a chat, remote IT support); walks,
# escorts and meals need the volunteer to be there.
PHONE_ACTIVITIES: tuple[str, ...] = ("visit", "it_help")
SUSPENDED_SUFFIX = " (suspended in lock-down)"

Modifier = Callable[[Scenario, Any, np.random.Generator], Scenario]


# --------------------------------------------------------------------------- helpers


def _frame(rows: pd.DataFrame) -> pd.DataFrame:
    # Fresh 0..n-1 index: replace() renumbers rows as a spreadsheet would.
    return rows.reset_index(drop=True)


def _without_volunteers(scenario: Scenario, gone: set[str]) -> dict[str, pd.DataFrame]:
    """Tables with ``gone`` volunteers removed everywhere they are referenced."""
    if not gone:
        return {}
    v = scenario.volunteers
    cit = scenario.citizens.copy()
    for col in ("preferred_volunteers", "excluded_volunteers"):
        cit[col] = [tuple(x for x in items if x not in gone) for items in cit[col]]
    return {
        "volunteers": _frame(v[~v["volunteer_id"].isin(gone)]),
        "volunteer_availability": _frame(
            scenario.volunteer_availability[~scenario.volunteer_availability["volunteer_id"].isin(gone)]
        ),
        "volunteer_absences": _frame(
            scenario.volunteer_absences[~scenario.volunteer_absences["volunteer_id"].isin(gone)]
        ),
        "citizens": _frame(cit),
        "pins": _frame(scenario.pins[~scenario.pins["volunteer_id"].isin(gone)]),
    }


def _count(x: float) -> int:
    """Round half up (22.5 → 23), not to even as round() does: what a reader of "× 1.5" expects."""
    return math.floor(x + 0.5 + 1e-9)


def _fresh_ids(prefix: str, n: int, taken: Iterable[str]) -> list[str]:
    taken = set(taken)
    out: list[str] = []
    i = 1
    while len(out) < n:
        candidate = f"{prefix}{i}"
        if candidate not in taken:
            out.append(candidate)
        i += 1
    return out


def _number(value: Any, name: str, lo: float, hi: float = math.inf, lo_open: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"{name}: expected a number, got {value!r}")
    if value < lo or value > hi or (lo_open and value == lo):
        bound = f"> {lo:g}" if lo_open else f"≥ {lo:g}"
        if math.isfinite(hi):
            bound += f" and ≤ {hi:g}"
        raise ValueError(f"{name}: expected a number {bound}, got {value!r}")
    return float(value)


def _options(value: Any, kind: str, main: str, known: Mapping[str, Any]) -> dict[str, Any]:
    """A scalar parameter or a table of options with ``main`` as its main key → a dict of options."""
    if isinstance(value, Mapping):
        unknown = sorted(set(value) - set(known) - {main})
        if unknown:
            options = ", ".join(dict.fromkeys([main, *known]))
            raise ValueError(f"{kind}: unknown option(s) {', '.join(unknown)}; known: {options}")
        opts = {**known, **value}
        if main not in opts:
            raise ValueError(f"{kind}.{main}: missing")
    else:
        opts = {**known, main: value}
    return opts


def _languages(value: Any) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, list | tuple) or not all(
        isinstance(x, str) and x.strip() for x in value
    ):
        raise ValueError(f"recruit.languages: expected a list of language codes such as [\"ar\"], got {value!r}")
    return tuple(x.strip() for x in value)


def _activities(value: Any, kind: str) -> tuple[str, ...]:
    if (
        isinstance(value, str)
        or not isinstance(value, list | tuple)
        or not all(isinstance(a, str) for a in value)
    ):
        raise ValueError(f"{kind}.activities: expected a list of activities, got {value!r}")
    return tuple(value)


# --------------------------------------------------------------------------- the modifications


def supply(scenario: Scenario, factor: float, rng: np.random.Generator) -> Scenario:
    """Volunteer pool × ``factor``: keep a random subset (< 1) or clone random volunteers (> 1)."""
    factor = _number(factor, "supply", 0, lo_open=True)
    vol = scenario.volunteers
    n = len(vol)
    target = _count(n * factor)
    if n == 0 or target == n:
        return scenario
    order = rng.permutation(n)
    ids = list(vol["volunteer_id"])
    if target < n:
        keep = {ids[i] for i in order[:target]}
        return edit.replace(scenario, **_without_volunteers(scenario, set(ids) - keep))
    # Cycle through the permutation so a factor of 2.5 clones everyone twice, half of them thrice.
    sources = [ids[order[i % n]] for i in range(target - n)]
    new_ids = _fresh_ids("clone-", len(sources), ids)
    by_id = vol.set_index("volunteer_id", drop=False)
    clones = by_id.loc[sources].copy()
    clones["volunteer_id"] = new_ids
    avail, absent = scenario.volunteer_availability, scenario.volunteer_absences
    extra_avail, extra_absent = [], []
    for src, new in zip(sources, new_ids):
        extra_avail.append(avail[avail["volunteer_id"] == src].assign(volunteer_id=new))
        extra_absent.append(absent[absent["volunteer_id"] == src].assign(volunteer_id=new))
    return edit.replace(scenario, volunteers=_frame(pd.concat([vol, clones])),
        volunteer_availability=_frame(pd.concat([avail, *extra_avail])),
        volunteer_absences=_frame(pd.concat([absent, *extra_absent])),
    )


def vetting_share(scenario: Scenario, share: float, rng: np.random.Generator) -> Scenario:
    """Vet (or un-vet) random volunteers until ``share`` of them hold a background check."""
    share = _number(share, "vetting_share", 0, 1)
    vol = scenario.volunteers.copy()
    n = len(vol)
    target = _count(n * share)
    vetted = np.array([bool(x) for x in vol["vetted"]], dtype=bool)
    order = rng.permutation(n)
    have = int(vetted.sum())
    if have < target:
        flip = [i for i in order if not vetted[i]][: target - have]
        vetted[flip] = True
    elif have > target:
        flip = [i for i in order if vetted[i]][: have - target]
        vetted[flip] = False
    else:
        return scenario
    vol["vetted"] = list(vetted)
    return edit.replace(scenario, volunteers=_frame(vol))


def travel_radius(scenario: Scenario, factor: float, rng: np.random.Generator) -> Scenario:
    """Every volunteer's ``max_travel_km`` × ``factor`` (no limit stays no limit)."""
    del rng  # deterministic; the argument keeps every modification's signature alike
    factor = _number(factor, "travel_radius", 0, lo_open=True)
    vol = scenario.volunteers.copy()
    vol["max_travel_km"] = [float(x) * factor for x in vol["max_travel_km"]]
    return edit.replace(scenario, volunteers=_frame(vol))


_ADHOC_OPTIONS = {"days": 2, "max_travel_km": 2.0, "sessions_per_week": 1}


def adhoc_helpers(scenario: Scenario, value: Any, rng: np.random.Generator) -> Scenario:
    """Add neighbourhood helpers (see the module docstring for who they are)."""
    opts = _options(value, "adhoc_helpers", "count", _ADHOC_OPTIONS)
    count = int(opts["count"])
    if count == 0 or scenario.volunteers.empty or scenario.citizens.empty:
        return scenario
    vol, cit, avail = scenario.volunteers, scenario.citizens, scenario.volunteer_availability
    dates = scenario.settings.dates
    days = min(int(opts["days"]), len(dates))
    new_ids = _fresh_ids("adhoc-", count, vol["volunteer_id"])
    rows, windows = [], []
    for vid in new_ids:
        template = vol.iloc[int(rng.integers(len(vol)))]
        near = cit.iloc[int(rng.integers(len(cit)))]
        # ~300 m from a citizen: a neighbour, not a commuter.
        lat = round(float(near["lat"]) + float(rng.normal(0, 0.0027)), 5)
        lon = round(float(near["lon"]) + float(rng.normal(0, 0.0045)), 5)
        rows.append(
            {
                "volunteer_id": vid,
                "name": f"Helper {vid}",
                "lat": lat,
                "lon": lon,
                "skills": template["skills"] or ("visit",),
                "languages": template["languages"],
                "interests": template["interests"],
                "vetted": False,
                "gender": template["gender"],
                "organisation": "ad-hoc",
                "travel_mode": "walk",
                "max_travel_km": float(opts["max_travel_km"]),
                "max_sessions_per_week": int(opts["sessions_per_week"]),
                "max_minutes_per_week": math.inf,
            }
        )
        hours = avail[avail["volunteer_id"] == template["volunteer_id"]]
        for i in sorted(rng.choice(len(dates), size=days, replace=False)):
            if len(hours):
                h = hours.iloc[int(rng.integers(len(hours)))]
                start, end = int(h["start"]), int(h["end"])
            else:
                start, end = 10 * 60, 18 * 60
            windows.append(
                {"volunteer_id": vid, "day": dates[int(i)].isoformat(), "start": start, "end": end}
            )
    return edit.replace(scenario, volunteers=_frame(pd.concat([vol, pd.DataFrame(rows)])),
        volunteer_availability=_frame(pd.concat([avail, pd.DataFrame(windows)])),
    )


_RECRUIT_OPTIONS: dict[str, Any] = {"languages": (), "district": ""}
# ~500 m: recruits live in the district's streets, not on one citizen's doorstep.
_RECRUIT_JITTER_DEG = 0.0045


def recruit(scenario: Scenario, value: Any, rng: np.random.Generator) -> Scenario:
    """A recruitment drive: volunteers like the current ones, speaking given languages, in a district."""
    opts = _options(value, "recruit", "count", _RECRUIT_OPTIONS)
    count = int(opts["count"])
    languages = _languages(opts["languages"])
    district = str(opts["district"])
    vol, avail, cit = scenario.volunteers, scenario.volunteer_availability, scenario.citizens
    templates = vol[vol["volunteer_id"].isin(set(avail["volunteer_id"]))]
    if count == 0:
        return scenario
    if templates.empty:
        raise ValueError("recruit: the scenario has no volunteer with availability to model recruits on")
    if district:
        homes = cit[cit["district"] == district]
        if homes.empty:
            known = sorted({str(d) for d in cit["district"] if d})
            raise ValueError(f"recruit.district: no citizen lives in {district!r}; districts: {', '.join(known)}")
    else:
        homes = templates
    new_ids = _fresh_ids("recruit-", count, vol["volunteer_id"])
    rows, windows = [], []
    for vid in new_ids:
        template = templates.iloc[int(rng.integers(len(templates)))]
        near = homes.iloc[int(rng.integers(len(homes)))]
        lat = round(float(near["lat"]) + float(rng.normal(0, _RECRUIT_JITTER_DEG)), 5)
        lon = round(float(near["lon"]) + float(rng.normal(0, _RECRUIT_JITTER_DEG * 1.7)), 5)
        row = template.to_dict()
        row.update(volunteer_id=vid, name=f"Recruit {vid}", lat=lat, lon=lon,
                   languages=tuple(dict.fromkeys([*template["languages"], *languages])))
        rows.append(row)
        windows.append(avail[avail["volunteer_id"] == template["volunteer_id"]].assign(volunteer_id=vid))
    return edit.replace(scenario, volunteers=_frame(pd.concat([vol, pd.DataFrame(rows)])),
                        volunteer_availability=_frame(pd.concat([avail, *windows])))


_SECOND_VISIT_OPTIONS: dict[str, Any] = {"sessions_per_week": 2, "activities": ("visit",)}


def second_visit(scenario: Scenario, value: Any, rng: np.random.Generator) -> Scenario:
    """More sessions a week for the most urgent citizens' recurring requests."""
    del rng  # deterministic
    opts = _options(value, "second_visit", "min_priority", _SECOND_VISIT_OPTIONS)
    lowest = int(opts["min_priority"])
    target = int(opts["sessions_per_week"])
    activities = set(_activities(opts["activities"], "second_visit"))
    req = scenario.requests.copy()
    priority = req["citizen_id"].map(dict(zip(scenario.citizens["citizen_id"], scenario.citizens["priority"])))
    chosen = ((priority >= lowest) & req["activity"].isin(activities) & req["date"].isna()
              & (req["sessions_per_week"].astype(int) < target)).to_numpy()
    if not chosen.any():
        return scenario
    req.loc[chosen, "sessions_per_week"] = target
    return edit.replace(scenario, requests=_frame(req))


def phone_share(scenario: Scenario, value: Any, rng: np.random.Generator) -> Scenario:
    """Set the share of phone-capable requests that accept a call (see the module docstring)."""
    opts = _options(value, "phone_share", "share", {"activities": PHONE_ACTIVITIES})
    share = _number(opts["share"], "phone_share", 0, 1)
    activities = set(_activities(opts["activities"], "phone_share"))
    req = scenario.requests.copy()
    eligible = [i for i, a in enumerate(req["activity"]) if a in activities]
    if not eligible:
        return scenario
    modes = list(req["mode"])
    target = _count(len(eligible) * share)
    order = [eligible[i] for i in rng.permutation(len(eligible))]
    have = sum(modes[i] != "in_person" for i in eligible)
    if have < target:
        for i in [i for i in order if modes[i] == "in_person"][: target - have]:
            modes[i] = "either"  # the citizen now also accepts a call; in person stays possible
    elif have > target:
        # Take away the call option where it was a choice first, then from phone-only requests.
        losing = [i for i in order if modes[i] == "either"] + [i for i in order if modes[i] == "phone"]
        for i in losing[: have - target]:
            modes[i] = "in_person"
    else:
        return scenario
    req["mode"] = modes
    return edit.replace(scenario, requests=_frame(req))


_LOCKDOWN_OPTIONS = {"on": True, "activities": PHONE_ACTIVITIES, "suspended": "keep"}


def lockdown(scenario: Scenario, value: Any, rng: np.random.Generator) -> Scenario:
    """Visits become calls; what cannot be done by phone is suspended (see the module docstring)."""
    del rng  # deterministic
    opts = _options(value, "lockdown", "on", _LOCKDOWN_OPTIONS)
    if not opts["on"]:
        return scenario
    activities = set(_activities(opts["activities"], "lockdown"))
    req = scenario.requests.copy()
    by_phone = [m != "in_person" or a in activities for m, a in zip(req["mode"], req["activity"])]
    suspended = [rid for rid, ok in zip(req["request_id"], by_phone) if not ok]
    req["mode"] = ["phone" if ok else m for ok, m in zip(by_phone, req["mode"])]
    if opts["suspended"] == "drop":
        req = req[by_phone]
    else:
        # No volunteer offers the renamed activity, so the session stays demanded but unservable,
        # and the planner's "why unassigned" text names the reason.
        req["activity"] = [a if ok else a + SUSPENDED_SUFFIX for ok, a in zip(by_phone, req["activity"])]
    pins = scenario.pins[~scenario.pins["request_id"].isin(set(suspended))]
    return edit.replace(scenario, requests=_frame(req), pins=_frame(pins))


# --------------------------------------------------------------------------- registry

MODIFICATIONS: dict[str, Modifier] = {
    "supply": supply,
    "vetting_share": vetting_share,
    "travel_radius": travel_radius,
    "adhoc_helpers": adhoc_helpers,
    "recruit": recruit,
    "second_visit": second_visit,
    "phone_share": phone_share,
    "lockdown": lockdown,
}
# The order a variant's modifications are applied in when read from TOML: the pool first
# (who volunteers, who is vetted, how far they go), then helpers (who are unvetted by
# definition), then how requests may be served.
ORDER: tuple[str, ...] = (
    "supply",
    "vetting_share",
    "travel_radius",
    "adhoc_helpers",
    "recruit",
    "second_visit",
    "phone_share",
    "lockdown",
)
# The value a results-table column takes for a variant that does not use the modification.
NEUTRAL: dict[str, Any] = {
    "supply": 1.0,
    "vetting_share": math.nan,
    "travel_radius": 1.0,
    "adhoc_helpers": 0,
    "recruit": 0,
    "second_visit": math.nan,
    "phone_share": math.nan,
    "lockdown": False,
}


def check_parameter(kind: str, value: Any) -> None:
    """Raise ValueError with a readable message if ``value`` is not a valid parameter for ``kind``."""
    if kind in ("supply", "travel_radius"):
        _number(value, kind, 0, lo_open=True)
    elif kind == "vetting_share":
        _number(value, kind, 0, 1)
    elif kind == "adhoc_helpers":
        opts = _options(value, kind, "count", _ADHOC_OPTIONS)
        for key, lo in (("count", 0), ("days", 1), ("sessions_per_week", 0)):
            v = opts[key]
            if isinstance(v, bool) or not isinstance(v, int) or v < lo:
                raise ValueError(f"{kind}.{key}: expected a whole number ≥ {lo}, got {v!r}")
        _number(opts["max_travel_km"], f"{kind}.max_travel_km", 0)
    elif kind == "recruit":
        opts = _options(value, kind, "count", _RECRUIT_OPTIONS)
        v = opts["count"]
        if isinstance(v, bool) or not isinstance(v, int) or v < 0:
            raise ValueError(f"{kind}.count: expected a whole number ≥ 0, got {v!r}")
        _languages(opts["languages"])
        if not isinstance(opts["district"], str):
            raise ValueError(f"{kind}.district: expected a district name, got {opts['district']!r}")
    elif kind == "second_visit":
        opts = _options(value, kind, "min_priority", _SECOND_VISIT_OPTIONS)
        p, n = opts["min_priority"], opts["sessions_per_week"]
        if isinstance(p, bool) or not isinstance(p, int) or not 1 <= p <= 5:
            raise ValueError(f"{kind}.min_priority: expected a priority 1..5, got {p!r}")
        if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= 14:
            raise ValueError(f"{kind}.sessions_per_week: expected a whole number 1..14, got {n!r}")
        _activities(opts["activities"], kind)
    elif kind == "phone_share":
        opts = _options(value, kind, "share", {"activities": PHONE_ACTIVITIES})
        _number(opts["share"], kind, 0, 1)
        _activities(opts["activities"], kind)
    elif kind == "lockdown":
        opts = _options(value, kind, "on", _LOCKDOWN_OPTIONS)
        if not isinstance(opts["on"], bool):
            raise ValueError(f"{kind}: expected true or false, got {opts['on']!r}")
        _activities(opts["activities"], kind)
        if opts["suspended"] not in ("keep", "drop"):
            raise ValueError(f'{kind}.suspended: expected "keep" or "drop", got {opts["suspended"]!r}')


def column_value(kind: str, value: Any) -> Any:
    """The scalar shown in the results table for a modification's parameter."""
    main = {"adhoc_helpers": "count", "recruit": "count", "second_visit": "min_priority", "phone_share": "share",
            "lockdown": "on"}.get(kind)
    if isinstance(value, Mapping) and main:
        value = value.get(main, True if kind == "lockdown" else None)
    return value


def rng_for(seed: int, kind: str) -> np.random.Generator:
    """The generator a modification kind draws from in a run with ``seed`` (stable across machines)."""
    return np.random.default_rng([int(seed) & 0xFFFFFFFF, zlib.crc32(kind.encode())])


def apply(scenario: Scenario, modifications: Iterable[Any], seed: int) -> Scenario:
    """Apply modifications (objects with ``kind`` and ``value``, or (kind, value) pairs) in order,
    each with its own seeded rng."""
    for m in modifications:
        kind, value = (m.kind, m.value) if hasattr(m, "kind") else m
        scenario = MODIFICATIONS[kind](scenario, value, rng_for(seed, kind))
    return scenario
