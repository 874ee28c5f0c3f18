"""Synthetic but realistic scenarios of volunteers visiting citizens in Aarhus.

:func:`generate_tables` draws the seven tables as *text cells*, exactly as they
would appear in the CSV files of the contract (``SCENARIO_FORMAT.md``), plus the
``scenario.toml`` settings; :func:`generate` parses them into a validated
:class:`~workbench.scenario.types.Scenario`. All randomness comes from one
``numpy.random.default_rng(seed)``, so the same arguments always give the same
scenario, and nothing depends on the clock or the machine.

Sizes are calibrated to ``MODELLING_NOTES.md``: 300 volunteers / 600 citizens /
4 weeks gives about 760 requests and 3,200 demanded sessions, roughly 30% of
(request, volunteer) pairs are compatible, and supply is a little scarcer than
demand (it is concentrated in the wrong districts, hours and languages), so
even a good optimiser leaves some sessions unserved.

Assumptions
-----------

==========================  ===============================================================
Topic                       Assumption
==========================  ===============================================================
City                        Aarhus; 10 districts (centre, spread 0.6-1.2 km, normal around
                            the centre). Volunteers live mostly centrally (Midtbyen,
                            Trøjborg, Frederiksbjerg, Risskov), citizens more in Gellerup,
                            Viby and Hasle, so some districts have fewer volunteers than
                            citizens and equity matters.
Kinds of volunteer          retired 40% (2-5 weekdays, daytime, 70% vetted, often car or
                            walk), working 30% (1-3 weekday evenings 16:30-21:00 and/or a
                            weekend day, 45% vetted), students 20% (weekday afternoons,
                            sometimes a morning or weekend, 30% vetted, bike), ad-hoc
                            helpers 10% (1-3 one-off dates ``YYYY-MM-DD`` in the horizon).
Absences                    ~12% of volunteers take a holiday of 4-14 days and ~5% miss a
                            single day; all clipped to the horizon.
Languages (volunteers)      da ~97% (students 88%), en 45-95% by kind, and a few speak de,
                            sv, ar, tr, ur, so, pl, fa, uk, es (Arabic, Turkish, Somali ...
                            4x as likely among volunteers living in Gellerup/Hasle).
Languages (citizens)        Danish speakers, some also en (12%) or a second language (6%).
                            3% (central districts) to 35% (Gellerup) speak no Danish: ar,
                            tr, so, uk, ur, fa, pl, de; a fifth of them also speak en.
Skills                      visit (75-92% of volunteers), walk (~40%), it_help (students
                            60%, working 35%), escort (retired 40%), meal (15-30%).
Interests                   1-4 tags each from cards, gardening, football, music, reading,
                            history, cooking, chess, knitting, walking, church, films.
Gender                      volunteers f 55-65% by kind, x 2%, 3% empty; citizens wish any
                            85%, f 11%, m 4%.
Organisations               Ældre Sagen, Røde Kors, Ungdommens Røde Kors, Aarhus Kommune,
                            Boligforeningen Brabrand, Frivilligcenter Aarhus, Folkekirken;
                            some empty.
Travel                      walk (max 2-3 km), bike (4-8 km), transit (8-15 km), car
                            (10-25 km); 15% leave max_travel_km empty (no limit).
Weekly limits               max_sessions_per_week 1-4 by kind (retired ~2.9 on average,
                            working ~1.9, students ~2.1; empty for 70% of ad-hoc helpers
                            and 5% of others); max_minutes_per_week (120-480 min) set for
                            ~25%, and always for regular volunteers without a session limit.
Citizens                    priority 1..5 with shares 10/22/35/21/12% (5 = lonely, no
                            network, a minority); 30% have their own availability rows
                            (2-4 days, windows of 2-6 h), the rest use citizen_window
                            09:00-20:00; 5% name a preferred volunteer (preferably from
                            their district), 3% exclude one.
Requests                    1 (76%), 2 (21%) or 3 (3%) distinct activities per citizen
                            (~1.27 per citizen), drawn with weights visit 58, walk 14,
                            it_help 11, escort 9, meal 8; distinctness makes the shares of
                            requests about 52/18/10/9/11%.
                            visit: weekly, 60-120 min, 17% twice a week, 68% in person,
                            22% either, 10% phone, 30% need vetting. walk: 45-90 min, 25%
                            twice a week. it_help: 30-90 min, often either/phone, 20%
                            one-off on a date. escort: one-off with a fixed weekday date
                            and start, 90-180 min, in person, 60% need vetting. meal:
                            60-90 min, in person.
One-off timing              dates inside the horizon; a start chosen inside one of the
                            citizen's windows that fits the duration when there is one.
Settings                    citizen_window 09:00-20:00, detour_factor 1.3, speeds walk 4.5,
                            bike 15, transit 18, car 30 km/h; default start 2026-01-05.
Scarcity (measured)         at 300/600/4: ~31% of pairs compatible; a week-by-week LP
                            bound on assignments (weekly limits, free minutes, no timing)
                            serves ~90% of demanded sessions, a real schedule less.
==========================  ===============================================================
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .types import COLUMNS

if TYPE_CHECKING:
    from .types import Scenario

DEFAULT_START_DATE = date(2026, 1, 5)  # a Monday
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
ACTIVITIES = ("visit", "walk", "it_help", "escort", "meal")
INTERESTS = ("cards", "gardening", "football", "music", "reading", "history", "cooking", "chess",
             "knitting", "walking", "church", "films")
INTEREST_WEIGHTS = np.array([8, 7, 5, 8, 8, 6, 7, 4, 4, 7, 3, 6], float)
SPEED_KMH = {"walk": 4.5, "bike": 15.0, "transit": 18.0, "car": 30.0}


@dataclass(frozen=True)
class District:
    """One district of the city; shares say where volunteers and citizens live."""

    name: str
    lat: float
    lon: float
    spread_km: float
    volunteer_share: float
    citizen_share: float
    no_danish_share: float  # citizens who speak no Danish at all


@dataclass(frozen=True)
class Knobs:
    """What makes real programmes differ; the defaults draw the Aarhus city described above.

    Each knob scales one assumption of the table in the module docstring:

    - ``free_days``: share of retired volunteers who are free whole days (08:00-20:00) on
      their weekdays, as many retirees are; long windows make many more candidate times.
    - ``window_scale``: every availability window (volunteers and citizens) is stretched
      (> 1) or shrunk (< 1) around its middle, kept inside 07:00-22:00.
    - ``area_scale``: distances from the district centres are multiplied (a rural
      municipality: 4-10); travel limits are not, so fewer citizens are within reach.
    - ``remote_share``: share of requests that allow a phone call (``phone`` or
      ``either``, half each); ``None`` keeps the per-activity shares.
    - ``one_off_share``: share of requests that are one-offs with a fixed date and start
      (appointments); ``None`` keeps the per-activity shares.
    - ``limit_scale``: volunteers' weekly limits (sessions, minutes) are multiplied
      (0.5 tight, 2 loose; at least 1 session).
    - ``no_danish_scale``: the districts' shares of citizens who speak no Danish are
      multiplied (a more or less mixed city); capped at 90%.
    - ``skill_scale``: the chances of offering each activity and of being vetted are
      multiplied (capped at 98%): with ``area_scale`` this sets the pair density,
      from ~5% (0.3, rural) to ~60% (2, compact).
    """

    free_days: float = 0.0
    window_scale: float = 1.0
    area_scale: float = 1.0
    remote_share: float | None = None
    one_off_share: float | None = None
    limit_scale: float = 1.0
    no_danish_scale: float = 1.0
    skill_scale: float = 1.0

    def __post_init__(self) -> None:
        for name in ("window_scale", "area_scale", "limit_scale", "no_danish_scale", "skill_scale"):
            value = getattr(self, name)
            if not (isinstance(value, int | float) and 0 < value < 100):
                raise ValueError(f"knob {name} must be a number > 0 (found {value!r})")
        for name in ("free_days", "remote_share", "one_off_share"):
            value = getattr(self, name)
            if value is not None and not (isinstance(value, int | float) and 0 <= value <= 1):
                raise ValueError(f"knob {name} must be a share between 0 and 1 (found {value!r})")


# Knob settings of the benchmark families (benchmarks/bench_solve.py): cities that differ the
# way real programmes do, so no tuning can fit one generator's city only.
PRESETS: dict[str, Knobs] = {
    "city": Knobs(),
    "retirees": Knobs(free_days=0.8, window_scale=1.5, limit_scale=1.5),
    "rural": Knobs(area_scale=6.0, remote_share=0.5, skill_scale=1.3),
    "appointments": Knobs(one_off_share=0.35, window_scale=0.7, limit_scale=0.6),
    "mixed": Knobs(no_danish_scale=2.5, skill_scale=0.6, remote_share=0.3),
    "dense": Knobs(skill_scale=2.5, area_scale=0.5, window_scale=1.3, limit_scale=2.0),
    "sparse": Knobs(skill_scale=0.25, area_scale=3.0, window_scale=0.8, remote_share=0.05),
}


# Volunteers concentrate in the centre and the wealthier north/south; need concentrates
# in the western social-housing areas (Gellerup, Hasle) and Viby.
DISTRICTS = (
    District("Midtbyen", 56.1560, 10.2080, 0.8, 0.16, 0.09, 0.03),
    District("Frederiksbjerg", 56.1480, 10.2000, 0.6, 0.12, 0.08, 0.03),
    District("Trøjborg", 56.1710, 10.2130, 0.6, 0.13, 0.06, 0.03),
    District("Risskov", 56.1900, 10.2300, 1.2, 0.12, 0.10, 0.02),
    District("Skejby", 56.1960, 10.1770, 1.0, 0.07, 0.08, 0.06),
    District("Hasle", 56.1770, 10.1560, 0.9, 0.07, 0.12, 0.12),
    District("Åbyhøj", 56.1560, 10.1560, 0.8, 0.08, 0.09, 0.04),
    District("Gellerup", 56.1540, 10.1330, 0.7, 0.04, 0.16, 0.35),
    District("Viby", 56.1270, 10.1630, 1.2, 0.10, 0.13, 0.08),
    District("Højbjerg", 56.1170, 10.1990, 1.1, 0.11, 0.09, 0.02),
)
_MULTICULTURAL = np.array([d.name in ("Gellerup", "Hasle") for d in DISTRICTS])

FEMALE_NAMES = (
    "Anne", "Kirsten", "Mette", "Hanne", "Helle", "Susanne", "Lene", "Marianne", "Camilla", "Louise",
    "Ida", "Emma", "Sofie", "Freja", "Inge", "Birgit", "Aisha", "Fatma", "Olena", "Agnieszka",
)
MALE_NAMES = (
    "Peter", "Jens", "Lars", "Michael", "Henrik", "Søren", "Niels", "Anders", "Morten", "Jesper",
    "Mads", "Rasmus", "Frederik", "Mikkel", "Poul", "Erik", "Ahmed", "Mehmet", "Ali", "Hassan",
)
SURNAMES = (
    "Nielsen", "Jensen", "Hansen", "Pedersen", "Andersen", "Christensen", "Larsen", "Sørensen",
    "Rasmussen", "Jørgensen", "Petersen", "Madsen", "Kristensen", "Olsen", "Thomsen", "Christiansen",
    "Poulsen", "Johansen", "Møller", "Mortensen", "Østergaard", "Kjær", "Yilmaz", "Hussein", "Kowalski",
)

# --------------------------------------------------------------------------- volunteer kinds
# Kinds (rows of the tables below): retired, working, student, ad-hoc helper.
KIND_SHARES = np.array([0.40, 0.30, 0.20, 0.10])
# Per kind (rows) and activity (columns, order of ACTIVITIES): chance of offering it.
SKILL_P = np.array([
    [0.92, 0.45, 0.10, 0.40, 0.30],
    [0.80, 0.35, 0.35, 0.20, 0.20],
    [0.75, 0.40, 0.60, 0.10, 0.15],
    [0.60, 0.40, 0.25, 0.35, 0.25],
])
VETTED_P = np.array([0.70, 0.45, 0.30, 0.20])
FEMALE_P = np.array([0.65, 0.55, 0.60, 0.55])
DANISH_P = np.array([0.98, 0.97, 0.88, 0.95])
ENGLISH_P = np.array([0.45, 0.80, 0.95, 0.60])
# Languages besides da/en among volunteers, and the base chance of speaking each.
OTHER_VOLUNTEER_LANGS = ("de", "sv", "ar", "tr", "ur", "so", "pl", "fa", "uk", "es")
OTHER_VOLUNTEER_P = np.array([0.05, 0.03, 0.04, 0.025, 0.015, 0.01, 0.02, 0.015, 0.02, 0.02])
_IMMIGRANT_LANG = np.array([lang in ("ar", "tr", "ur", "so", "fa") for lang in OTHER_VOLUNTEER_LANGS])
# Languages of citizens who speak no Danish (or speak Danish and a mother tongue).
OTHER_CITIZEN_LANGS = ("ar", "tr", "so", "uk", "ur", "fa", "pl", "de")
OTHER_CITIZEN_P = np.array([0.30, 0.18, 0.13, 0.12, 0.08, 0.08, 0.07, 0.04])
TRAVEL_MODES = ("walk", "bike", "transit", "car")
TRAVEL_P = np.array([
    [0.25, 0.25, 0.15, 0.35],
    [0.10, 0.40, 0.20, 0.30],
    [0.10, 0.70, 0.20, 0.00],
    [0.20, 0.40, 0.30, 0.10],
])
TRAVEL_KM = {"walk": (2.0, 3.0), "bike": (4.0, 8.0), "transit": (8.0, 15.0), "car": (10.0, 25.0)}
ORGANISATIONS = ("Ældre Sagen", "Røde Kors", "Ungdommens Røde Kors", "Aarhus Kommune",
                 "Boligforeningen Brabrand", "Frivilligcenter Aarhus", "Folkekirken", "")
ORGANISATION_P = np.array([
    [0.50, 0.20, 0.00, 0.10, 0.02, 0.03, 0.10, 0.05],
    [0.20, 0.30, 0.00, 0.20, 0.08, 0.07, 0.05, 0.10],
    [0.05, 0.15, 0.35, 0.20, 0.05, 0.05, 0.00, 0.15],
    [0.10, 0.10, 0.05, 0.20, 0.05, 0.30, 0.00, 0.20],
])
# max_sessions_per_week choices 1..4 per kind (ad-hoc helpers are limited by their dates).
SESSIONS_P = np.array([
    [0.05, 0.25, 0.40, 0.30],
    [0.30, 0.50, 0.20, 0.00],
    [0.15, 0.55, 0.30, 0.00],
    [0.40, 0.40, 0.20, 0.00],
])
NO_SESSION_LIMIT_P = np.array([0.05, 0.05, 0.05, 0.70])
MINUTES_CHOICES = np.array([120, 180, 240, 300, 360, 480])

# Availability templates: (start, end) in minutes.
RETIRED_WINDOWS = ((540, 720), (600, 840), (570, 930), (780, 1020), (600, 960))
EVENING_WINDOWS = ((1020, 1260), (990, 1200), (1080, 1260))
WEEKEND_WINDOWS = ((600, 960), (720, 1020), (600, 840))
AFTERNOON_WINDOWS = ((840, 1080), (780, 1020), (900, 1140))
ADHOC_WINDOWS = ((600, 840), (780, 1080), (540, 780), (1020, 1200))
CITIZEN_WINDOWS = ((600, 780), (780, 960), (840, 1080), (600, 960), (1020, 1200), (540, 720), (660, 1020))

# --------------------------------------------------------------------------- requests
REQUESTS_PER_CITIZEN_P = np.array([0.76, 0.21, 0.03])  # 1, 2 or 3 requests: mean 1.27
ACTIVITY_P = np.array([0.58, 0.14, 0.11, 0.09, 0.08])
DURATIONS = {
    "visit": ((60, 75, 90, 120), (0.35, 0.15, 0.35, 0.15)),
    "walk": ((45, 60, 90), (0.30, 0.50, 0.20)),
    "it_help": ((30, 45, 60, 90), (0.25, 0.30, 0.35, 0.10)),
    "escort": ((90, 120, 150, 180), (0.30, 0.35, 0.20, 0.15)),
    "meal": ((60, 90), (0.60, 0.40)),
}
TWICE_WEEKLY_P = {"visit": 0.17, "walk": 0.25, "it_help": 0.0, "escort": 0.0, "meal": 0.10}
REQUEST_MODES = ("in_person", "phone", "either")
MODE_P = {
    "visit": (0.68, 0.10, 0.22),
    "walk": (0.95, 0.00, 0.05),
    "it_help": (0.30, 0.20, 0.50),
    "escort": (1.0, 0.0, 0.0),
    "meal": (1.0, 0.0, 0.0),
}
VETTING_P = {"visit": 0.30, "walk": 0.15, "it_help": 0.10, "escort": 0.60, "meal": 0.20}
ONE_OFF_P = {"visit": 0.0, "walk": 0.0, "it_help": 0.20, "escort": 1.0, "meal": 0.0}

PRIORITY_P = np.array([0.10, 0.22, 0.35, 0.21, 0.12])
GENDER_PREFERENCE = ("any", "f", "m")
GENDER_PREFERENCE_P = np.array([0.85, 0.11, 0.04])


# --------------------------------------------------------------------------- helpers


def _categorical(rng: np.random.Generator, probs: np.ndarray, n: int | None = None) -> np.ndarray:
    """Draw one index per row of ``probs`` (or ``n`` draws from one distribution), vectorised."""
    probs = np.asarray(probs, float)
    if probs.ndim == 1:
        probs = np.broadcast_to(probs, (n if n is not None else 1, len(probs)))
    cum = np.cumsum(probs / probs.sum(axis=1, keepdims=True), axis=1)
    u = rng.random(len(cum))
    return np.minimum((u[:, None] >= cum).sum(axis=1), probs.shape[1] - 1)


def _points(rng: np.random.Generator, district: np.ndarray, area_scale: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """Homes around their district's centre (normal, cut at 2.5 spreads so nobody lives in the bay);
    ``area_scale`` stretches the whole map around the city centre."""
    c_lat, c_lon = DISTRICTS[0].lat, DISTRICTS[0].lon
    lat0 = c_lat + (np.array([d.lat for d in DISTRICTS])[district] - c_lat) * area_scale
    lon0 = c_lon + (np.array([d.lon for d in DISTRICTS])[district] - c_lon) * area_scale
    spread = np.array([d.spread_km for d in DISTRICTS])[district] * area_scale
    off = np.clip(rng.normal(size=(len(district), 2)), -2.5, 2.5) * spread[:, None]
    lat = lat0 + off[:, 0] / 111.2
    lon = lon0 + off[:, 1] / (111.2 * np.cos(np.radians(lat0)))
    return lat, lon


def _names(rng: np.random.Generator, female: np.ndarray) -> list[str]:
    """A first name that fits the gender (either list when it is x or unknown) and a surname."""
    first = rng.integers(0, len(FEMALE_NAMES), len(female))
    last = rng.integers(0, len(SURNAMES), len(female))
    return [f"{(FEMALE_NAMES if f else MALE_NAMES)[a]} {SURNAMES[b]}" for f, a, b in zip(female, first, last)]


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _lists(flags: np.ndarray, items: tuple[str, ...]) -> list[str]:
    """Boolean matrix (rows × items) → ';'-joined cells in the items' order."""
    return [";".join(items[j] for j in np.flatnonzero(row)) for row in flags]


def _interests(rng: np.random.Generator, n: int) -> list[str]:
    """1-4 distinct interest tags per person, weighted by popularity (Gumbel top-k, vectorised)."""
    count = rng.integers(1, 5, n)
    keys = np.log(INTEREST_WEIGHTS)[None, :] - np.log(-np.log(rng.random((n, len(INTERESTS)))))
    order = np.argsort(-keys, axis=1)
    return [";".join(INTERESTS[j] for j in sorted(order[i, :count[i]])) for i in range(n)]


def _frame(name: str, columns: dict[str, list[str]]) -> pd.DataFrame:
    """A text table with the contract's columns in the contract's order."""
    n = len(next(iter(columns.values()))) if columns else 0
    return pd.DataFrame({c: pd.Series(columns.get(c, [""] * n), dtype=object) for c in COLUMNS[name]})


# --------------------------------------------------------------------------- tables


def _volunteers(rng: np.random.Generator, n: int, dates: list[date],
                knobs: Knobs) -> tuple[dict[str, pd.DataFrame], dict]:
    ids = [f"v{i + 1:04d}" for i in range(n)]
    kind = _categorical(rng, KIND_SHARES, n)
    district = _categorical(rng, np.array([d.volunteer_share for d in DISTRICTS]), n)
    lat, lon = _points(rng, district, knobs.area_scale)
    g = rng.random(n)
    female = FEMALE_P[kind]
    gender = np.where(g < female, "f", np.where(g < 0.95, "m", np.where(g < 0.97, "x", "")))
    names = _names(rng, (gender == "f") | ((gender != "m") & (rng.random(n) < 0.5)))

    skills = rng.random((n, len(ACTIVITIES))) < np.minimum(0.98, SKILL_P[kind] * knobs.skill_scale)
    skills[~skills.any(axis=1), 0] = True  # everybody can at least visit

    # Languages: da, en, then others; immigrant languages 4x as common in Gellerup/Hasle.
    other_p = np.where(_MULTICULTURAL[district][:, None] & _IMMIGRANT_LANG[None, :],
                       4 * OTHER_VOLUNTEER_P[None, :], OTHER_VOLUNTEER_P[None, :])
    lang_p = np.column_stack([DANISH_P[kind], ENGLISH_P[kind], other_p])
    langs = rng.random(lang_p.shape) < lang_p
    langs[~langs.any(axis=1), 1] = True  # a volunteer without Danish speaks at least English
    lang_names = ("da", "en") + OTHER_VOLUNTEER_LANGS

    vetted = rng.random(n) < np.minimum(0.98, VETTED_P[kind] * knobs.skill_scale)
    organisation = _categorical(rng, ORGANISATION_P[kind])
    mode = _categorical(rng, TRAVEL_P[kind])
    lo = np.array([TRAVEL_KM[m][0] for m in TRAVEL_MODES])[mode]
    hi = np.array([TRAVEL_KM[m][1] for m in TRAVEL_MODES])[mode]
    km = np.round((lo + rng.random(n) * (hi - lo)) * 2) / 2  # half-km steps, as a planner would type
    no_km_limit = rng.random(n) < 0.15
    sessions = np.maximum(1, np.round((_categorical(rng, SESSIONS_P[kind]) + 1) * knobs.limit_scale)).astype(int)
    no_session_limit = rng.random(n) < NO_SESSION_LIMIT_P[kind]
    minutes = MINUTES_CHOICES[rng.integers(0, len(MINUTES_CHOICES), n)]
    minutes = np.maximum(60, np.round(minutes * knobs.limit_scale / 15).astype(int) * 15)
    # Regular volunteers without a session limit cap their time instead, or a few of them would
    # carry a whole district; ad-hoc helpers are capped by their few dates.
    has_minutes = (no_session_limit & (kind != 3)) | (rng.random(n) < 0.25)

    volunteers = _frame("volunteers", {
        "volunteer_id": ids,
        "name": names,
        "lat": [f"{x:.5f}" for x in lat],
        "lon": [f"{x:.5f}" for x in lon],
        "skills": _lists(skills, ACTIVITIES),
        "languages": _lists(langs, lang_names),
        "interests": _interests(rng, n),
        "vetted": ["true" if v else "false" for v in vetted],
        "gender": [str(x) for x in gender],
        "organisation": [ORGANISATIONS[o] for o in organisation],
        "travel_mode": [TRAVEL_MODES[m] for m in mode],
        "max_travel_km": ["" if no else f"{k:g}" for k, no in zip(km, no_km_limit)],
        "max_sessions_per_week": ["" if no else str(s) for s, no in zip(sessions, no_session_limit)],
        "max_minutes_per_week": [str(m) if has else "" for m, has in zip(minutes, has_minutes)],
    })

    avail = _volunteer_availability(rng, ids, kind, dates, knobs)
    absences = _absences(rng, ids, dates)
    info = {"district": district, "lat": lat, "lon": lon}
    return {"volunteers": volunteers, "volunteer_availability": avail, "volunteer_absences": absences}, info


def _pick_days(rng: np.random.Generator, pool: tuple[str, ...], k: int) -> list[str]:
    chosen = rng.choice(len(pool), size=min(k, len(pool)), replace=False)
    return [pool[i] for i in sorted(chosen)]


def _stretch(window: tuple[int, int], scale: float) -> tuple[int, int]:
    """A window stretched around its middle by ``scale``, on a 15-minute grid, inside 07:00-22:00."""
    if scale == 1.0:
        return window
    mid, half = (window[0] + window[1]) / 2, (window[1] - window[0]) * scale / 2
    lo = max(7 * 60, int(round((mid - half) / 15)) * 15)
    hi = min(22 * 60, int(round((mid + half) / 15)) * 15)
    return (lo, hi) if hi - lo >= 30 else (int(mid // 15) * 15 - 15, int(mid // 15) * 15 + 15)


def _volunteer_availability(rng: np.random.Generator, ids: list[str], kind: np.ndarray,
                            dates: list[date], knobs: Knobs) -> pd.DataFrame:
    rows: list[tuple[str, str, int, int]] = []
    weekdays = WEEKDAYS[:5]
    weekend = WEEKDAYS[5:]
    for vid, k in zip(ids, kind):
        if k == 0:  # retired: a fixed daytime window on some weekdays, sometimes a weekend morning
            w = RETIRED_WINDOWS[rng.integers(len(RETIRED_WINDOWS))]
            if knobs.free_days and rng.random() < knobs.free_days:  # no draw by default: same cities
                w = (8 * 60, 20 * 60)  # free the whole day
            for day in _pick_days(rng, weekdays, int(rng.choice([2, 3, 4, 5], p=[0.3, 0.35, 0.25, 0.1]))):
                rows.append((vid, day, *w))
            if rng.random() < 0.2:
                rows.append((vid, weekend[rng.integers(2)], 600, 840))
        elif k == 1:  # working: evenings and/or a weekend day
            has_evenings = rng.random() < 0.8
            if has_evenings:
                w = EVENING_WINDOWS[rng.integers(len(EVENING_WINDOWS))]
                for day in _pick_days(rng, weekdays, int(rng.integers(1, 4))):
                    rows.append((vid, day, *w))
            if not has_evenings or rng.random() < 0.5:
                w = WEEKEND_WINDOWS[rng.integers(len(WEEKEND_WINDOWS))]
                for day in _pick_days(rng, weekend, int(rng.integers(1, 3))):
                    rows.append((vid, day, *w))
        elif k == 2:  # student: afternoons, sometimes a morning off or a weekend slot
            w = AFTERNOON_WINDOWS[rng.integers(len(AFTERNOON_WINDOWS))]
            days = _pick_days(rng, weekdays, int(rng.integers(2, 4)))
            for day in days:
                rows.append((vid, day, *w))
            if rng.random() < 0.3:
                if rng.random() < 0.5:
                    rows.append((vid, weekdays[rng.integers(5)], 540, 720))
                else:
                    rows.append((vid, weekend[rng.integers(2)], 660, 900))
        else:  # ad-hoc helper: a few specific dates of the horizon
            count = int(rng.integers(1, 4))
            picks = rng.choice(len(dates), size=min(count, len(dates)), replace=False)
            for i in sorted(picks):
                w = ADHOC_WINDOWS[rng.integers(len(ADHOC_WINDOWS))]
                rows.append((vid, dates[i].isoformat(), *w))
    rows = [(v, d, *_stretch((a, b), knobs.window_scale)) for v, d, a, b in rows]
    return _frame("volunteer_availability", {
        "volunteer_id": [r[0] for r in rows],
        "day": [r[1] for r in rows],
        "start": [_hhmm(r[2]) for r in rows],
        "end": [_hhmm(r[3]) for r in rows],
    })


def _absences(rng: np.random.Generator, ids: list[str], dates: list[date]) -> pd.DataFrame:
    """Holidays (4-14 days, may start before the horizon) and single missed days, clipped to the horizon."""
    n, days = len(ids), len(dates)
    u = rng.random(n)
    holiday = u < 0.12
    single = (u >= 0.12) & (u < 0.17)
    first = np.where(holiday, rng.integers(-3, days, n), rng.integers(0, days, n))
    length = np.where(holiday, rng.integers(4, 15, n), 1)
    last = np.minimum(first + length - 1, days - 1)
    first = np.maximum(first, 0)
    rows = [(ids[i], dates[first[i]].isoformat(), dates[last[i]].isoformat())
            for i in np.flatnonzero(holiday | single) if last[i] >= first[i]]
    return _frame("volunteer_absences", {
        "volunteer_id": [r[0] for r in rows],
        "from_date": [r[1] for r in rows],
        "to_date": [r[2] for r in rows],
    })


def _citizens(rng: np.random.Generator, n: int, volunteer_info: dict, volunteer_ids: list[str],
              knobs: Knobs) -> tuple[dict[str, pd.DataFrame], list[list[tuple[str, int, int]]]]:
    ids = [f"c{i + 1:04d}" for i in range(n)]
    district = _categorical(rng, np.array([d.citizen_share for d in DISTRICTS]), n)
    lat, lon = _points(rng, district, knobs.area_scale)
    names = _names(rng, rng.random(n) < 0.6)  # most citizens who need visits are older women

    no_danish_p = np.minimum(0.9, np.array([d.no_danish_share for d in DISTRICTS]) * knobs.no_danish_scale)
    no_danish = rng.random(n) < no_danish_p[district]
    mother_tongue = _categorical(rng, OTHER_CITIZEN_P, n)
    english = rng.random(n) < np.where(no_danish, 0.20, 0.12)
    bilingual = ~no_danish & (rng.random(n) < 0.06)
    languages = []
    for i in range(n):
        items = [] if no_danish[i] else ["da"]
        if english[i]:
            items.append("en")
        if no_danish[i] or bilingual[i]:
            items.append(OTHER_CITIZEN_LANGS[mother_tongue[i]])
        languages.append(";".join(items))

    priority = _categorical(rng, PRIORITY_P, n) + 1
    preference = _categorical(rng, GENDER_PREFERENCE_P, n)

    # A few citizens name a volunteer they know (usually a neighbour) or one they do not want.
    vol_district = volunteer_info["district"]
    by_district = [np.flatnonzero(vol_district == d) for d in range(len(DISTRICTS))]
    u = rng.random(n)
    preferred = [""] * n
    excluded = [""] * n
    for i in np.flatnonzero(u < 0.05):
        local = by_district[district[i]]
        pool = local if len(local) else np.arange(len(volunteer_ids))
        preferred[i] = volunteer_ids[int(pool[rng.integers(len(pool))])]
    for i in np.flatnonzero((u >= 0.05) & (u < 0.08)):
        excluded[i] = volunteer_ids[int(rng.integers(len(volunteer_ids)))]

    # About 30% of citizens state their own free time; the rest use citizen_window.
    windows: list[list[tuple[str, int, int]]] = [[] for _ in range(n)]
    has_rows = rng.random(n) < 0.30
    for i in np.flatnonzero(has_rows):
        for day in _pick_days(rng, WEEKDAYS, int(rng.choice([2, 3, 4], p=[0.4, 0.4, 0.2]))):
            windows[i].append((day, *_stretch(CITIZEN_WINDOWS[rng.integers(len(CITIZEN_WINDOWS))],
                                              knobs.window_scale)))
    avail_rows = [(ids[i], day, s, e) for i in range(n) for day, s, e in windows[i]]

    citizens = _frame("citizens", {
        "citizen_id": ids,
        "name": names,
        "lat": [f"{x:.5f}" for x in lat],
        "lon": [f"{x:.5f}" for x in lon],
        "languages": languages,
        "interests": _interests(rng, n),
        "district": [DISTRICTS[d].name for d in district],
        "priority": [str(p) for p in priority],
        "gender_preference": [GENDER_PREFERENCE[p] for p in preference],
        "preferred_volunteers": preferred,
        "excluded_volunteers": excluded,
    })
    citizen_availability = _frame("citizen_availability", {
        "citizen_id": [r[0] for r in avail_rows],
        "day": [r[1] for r in avail_rows],
        "start": [_hhmm(r[2]) for r in avail_rows],
        "end": [_hhmm(r[3]) for r in avail_rows],
    })
    return {"citizens": citizens, "citizen_availability": citizen_availability}, windows


def _one_off_time(rng: np.random.Generator, windows: list[tuple[str, int, int]], duration: int,
                  dates: list[date], weekdays_only: bool) -> tuple[date, int]:
    """A date in the horizon and a start on a 15-minute grid inside the citizen's free time.

    Appointments (escorts) fall on weekdays, 09:00-16:00 for citizens without own
    rows. When none of a citizen's windows is long enough the start is the window's
    start: such a one-off is (realistically) unservable.
    """
    if not windows:
        pool = [d for d in dates if d.weekday() < 5] if weekdays_only else dates
        day = pool[rng.integers(len(pool))]
        latest = min(16 * 60, 20 * 60 - duration)
        start = 9 * 60 + 15 * int(rng.integers(0, max(latest - 9 * 60, 0) // 15 + 1))
        return day, start
    fitting = [w for w in windows if w[2] - w[1] >= duration]
    day_name, s, e = (fitting or windows)[rng.integers(len(fitting or windows))]
    pool = [d for d in dates if WEEKDAYS[d.weekday()] == day_name]
    day = pool[rng.integers(len(pool))]
    slack = max(e - s - duration, 0) // 15
    return day, s + 15 * int(rng.integers(0, slack + 1))


def _requests(rng: np.random.Generator, citizen_ids: list[str],
              windows: list[list[tuple[str, int, int]]], dates: list[date], knobs: Knobs) -> pd.DataFrame:
    n = len(citizen_ids)
    count = _categorical(rng, REQUESTS_PER_CITIZEN_P, n) + 1
    owner = np.repeat(np.arange(n), count)
    activity = np.empty(len(owner), int)
    first = np.concatenate([[0], np.cumsum(count)[:-1]])
    activity[first[count == 1]] = _categorical(rng, ACTIVITY_P, int((count == 1).sum()))
    for i in np.flatnonzero(count > 1):  # distinct activities for one citizen
        activity[first[i]:first[i] + count[i]] = rng.choice(len(ACTIVITIES), count[i], replace=False, p=ACTIVITY_P)

    m = len(owner)
    duration = np.zeros(m, int)
    spw = np.ones(m, int)
    mode = np.zeros(m, int)
    vetting = np.zeros(m, bool)
    one_off = np.zeros(m, bool)
    for a, act in enumerate(ACTIVITIES):
        idx = np.flatnonzero(activity == a)
        choices, p = DURATIONS[act]
        duration[idx] = np.array(choices)[_categorical(rng, np.array(p), len(idx))]
        spw[idx] = 1 + (rng.random(len(idx)) < TWICE_WEEKLY_P[act])
        mode[idx] = _categorical(rng, np.array(MODE_P[act]), len(idx))
        vetting[idx] = rng.random(len(idx)) < VETTING_P[act]
        one_off[idx] = rng.random(len(idx)) < ONE_OFF_P[act]
    if knobs.remote_share is not None:  # phone or either, half each; the rest in person
        u = rng.random(m)
        mode = np.where(u < knobs.remote_share / 2, 1, np.where(u < knobs.remote_share, 2, 0))
    appointment = np.array([ACTIVITIES[a] == "escort" for a in activity], bool)
    if knobs.one_off_share is not None:  # appointments with a fixed date and start
        one_off = appointment = rng.random(m) < knobs.one_off_share

    dates_col = [""] * m
    starts_col = [""] * m
    for j in np.flatnonzero(one_off):
        escort = bool(appointment[j])
        day, start = _one_off_time(rng, windows[owner[j]], int(duration[j]), dates, weekdays_only=escort)
        dates_col[j] = day.isoformat()
        if escort:  # an appointment has a fixed time; other one-offs only a date
            starts_col[j] = _hhmm(start)

    return _frame("requests", {
        "request_id": [f"r{j + 1:04d}" for j in range(m)],
        "citizen_id": [citizen_ids[i] for i in owner],
        "activity": [ACTIVITIES[a] for a in activity],
        "duration_min": [str(d) for d in duration],
        "sessions_per_week": ["1" if o else str(s) for s, o in zip(spw, one_off)],
        "mode": [REQUEST_MODES[x] for x in mode],
        "requires_vetting": ["true" if v else "false" for v in vetting],
        "date": dates_col,
        "start": starts_col,
    })


# --------------------------------------------------------------------------- public API


def default_name(volunteers: int, citizens: int, weeks: int, seed: int) -> str:
    """The scenario name used when none is given, e.g. ``aarhus-40v-80c-2w-seed1``."""
    return f"aarhus-{volunteers}v-{citizens}c-{weeks}w-seed{seed}"


def generate_tables(volunteers: int = 40, citizens: int = 80, weeks: int = 2, seed: int = 0,
                    start_date: date | None = None, name: str | None = None,
                    knobs: Knobs | None = None) -> tuple[dict[str, pd.DataFrame], dict]:
    """Generate a scenario as text tables plus the ``scenario.toml`` settings dict.

    The tables (``volunteers``, ``volunteer_availability``, ``volunteer_absences``,
    ``citizens``, ``citizen_availability``, ``requests``, ``pins``) hold every cell
    as the text a CSV file would hold. Settings hold ``start_date`` as a date,
    ``weeks``, ``name``, ``citizen_window``, ``detour_factor`` and ``speed_kmh``.
    ``knobs`` change the city's character (see :class:`Knobs`); the default knobs draw
    exactly the city of the module docstring. Deterministic: the same arguments give
    identical tables.
    """
    knobs = knobs if knobs is not None else Knobs()
    if volunteers < 1 or citizens < 1 or weeks < 1:
        raise ValueError("volunteers, citizens and weeks must each be at least 1")
    start = start_date if start_date is not None else DEFAULT_START_DATE
    if start.weekday() != 0:
        raise ValueError(f"start_date must be a Monday, {start.isoformat()} is a {start.strftime('%A')}")
    rng = np.random.default_rng(seed)
    dates = [start + timedelta(days=i) for i in range(7 * weeks)]

    tables, vinfo = _volunteers(rng, volunteers, dates, knobs)
    volunteer_ids = list(tables["volunteers"]["volunteer_id"])
    citizen_tables, windows = _citizens(rng, citizens, vinfo, volunteer_ids, knobs)
    tables.update(citizen_tables)
    tables["requests"] = _requests(rng, list(tables["citizens"]["citizen_id"]), windows, dates, knobs)
    tables["pins"] = _frame("pins", {})  # nothing is agreed yet in a fresh scenario

    settings = {
        "name": name if name is not None else default_name(volunteers, citizens, weeks, seed),
        "start_date": start,
        "weeks": weeks,
        "citizen_window": ["09:00", "20:00"],
        "detour_factor": 1.3,
        "speed_kmh": dict(SPEED_KMH),
    }
    order = ("volunteers", "volunteer_availability", "volunteer_absences", "citizens", "citizen_availability",
             "requests", "pins")
    return {k: tables[k] for k in order}, settings


def generate(volunteers: int = 40, citizens: int = 80, weeks: int = 2, seed: int = 0,
             start_date: date | None = None, name: str | None = None, knobs: Knobs | None = None) -> Scenario:
    """Generate and validate a scenario (see :func:`generate_tables` and the module docstring)."""
    tables, settings = generate_tables(volunteers, citizens, weeks, seed, start_date, name, knobs)
    from .read import scenario_from_tables

    return scenario_from_tables(tables, settings, source=name or "generated")


def demanded_sessions(tables: dict[str, pd.DataFrame], weeks: int) -> int:
    """Σ demand of the generated requests: sessions_per_week × weeks, or 1 per one-off."""
    r = tables["requests"]
    one_off = r["date"] != ""
    return int(np.where(one_off, 1, r["sessions_per_week"].astype(int) * weeks).sum())


__all__ = ["DEFAULT_START_DATE", "DISTRICTS", "PRESETS", "Knobs", "default_name", "demanded_sessions", "generate",
           "generate_tables"]
