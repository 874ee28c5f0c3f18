"""Cities in nine styles from a third, independent generator (written from the contract only).

This generator was written from /work/shared/SCENARIO_FORMAT.md (v1.1) alone. It shares nothing with
the project's generator (``workbench.scenario.generate``) or the benchmarks' other one
(``benchmarks/alien_city.py``): its own places, names, distributions and its own reading of the contract
(``rules.py`` next to it, which it uses to build pins that keep every hard rule). Between them its styles
exercise every optional column and file of the contract (absences, citizen availability, pins,
preferred/excluded volunteers, vetting, gender, travel limits, one-offs, date rows, the settings):

- ``towns``: 3-6 Danish towns, volunteers and citizens shared out between them independently (supply
  and demand mismatched); preferences among the same town's volunteers; own window, detour and speeds.
- ``shifts``: Aarhus; volunteers free in split shifts (early morning and evening) on 1-3 weekdays plus
  date rows (some outside the horizon); citizens free mornings or evenings, some on given dates only.
- ``heavy``: Copenhagen; long days, high weekly limits (up to 20 sessions), 90-240 minute sessions
  asked 2-3 times a week.
- ``phone``: Copenhagen; many phone and either-mode requests, phone-only volunteers (max_travel_km 0),
  few Danish speakers, gender preferences.
- ``oneoffs``: Aarhus; half the requests are dated one-offs (escorts), most with a fixed start, some at
  odd minutes.
- ``pinned``: Copenhagen; a plain city with 20 % of its requests pinned (``--pin-conflicts K`` adds
  absences that break K pins: an input error on purpose).
- ``odd``: the contract's corners: ids typed as numbers with leading zeros ("07", "007", "7.0"), an id
  used by a volunteer and a citizen, booleans in every spelling, spaces in lists, an unknown column,
  availability in touching and overlapping pieces up to 24:00, off-grid minutes, a BOM and CRLF line
  ends, no citizen_availability.csv, care homes (citizens at one address).
- ``extremes``: round-the-clock volunteers without limits next to one-hour ones, sessions_per_week up
  to 9, 5-minute and 8-hour sessions, priorities 1 and 5 only, vetting always required.
- ``mixed``: a realistic mixture of the above in one city.

Every style writes pins.csv (3 % of the requests pinned unless ``--pin-share``) and
volunteer_absences.csv; ``--xlsx`` also writes the same scenario as a workbook ``DIR.xlsx``. The same
arguments give byte-identical files. From code: :func:`write_city`.

    python benchmarks/styled_city/generate.py --out DIR --style STYLE [--volunteers 60] [--citizens 120]
        [--weeks 2] [--seed 0] [--start YYYY-MM-DD] [--pin-share P] [--pin-conflicts K] [--xlsx]
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import os
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

try:
    from . import rules
except ImportError:  # run as a script: its own folder is on sys.path
    import rules

WD = rules.WEEKDAYS
fmt = rules.fmt

Row = dict[str, Any]  # one row of volunteers.csv, citizens.csv or requests.csv
Slot = tuple[str, str, str, str]  # (id, day, start, end): one availability row
Absence = tuple[str, str, str]  # (volunteer_id, from_date, to_date)
Tables = tuple[list[Row], list[Slot], list[Absence], list[Row], list[Slot] | None, list[Row], dict[str, Any]]


@dataclass(frozen=True)
class Params:
    """What a city is drawn from (the command line's options)."""

    style: str
    volunteers: int = 60
    citizens: int = 120
    weeks: int = 2
    seed: int = 0
    start: str | None = None  # a Monday, YYYY-MM-DD; None: drawn


PLACES = {  # name: (lat, lon, districts)
    "Aalborg": (57.048, 9.919, ["Vestbyen", "Nørresundby", "Hasseris", "Øst"]),
    "Viborg": (56.453, 9.402, ["Centrum", "Overlund", "Vestervang"]),
    "Herning": (56.139, 8.974, ["Centrum", "Holtbjerg", "Gullestrup"]),
    "Esbjerg": (55.476, 8.459, ["Centrum", "Kvaglund", "Jerne", "Gjesing"]),
    "Rønne": (55.100, 14.706, ["Rønne", "Nylars"]),
    "Skagen": (57.721, 10.584, ["Skagen", "Ålbæk"]),
    "Tønder": (54.933, 8.867, ["Tønder", "Møgeltønder"]),
    "Odense": (55.403, 10.402, ["Centrum", "Vollsmose", "Bolbro", "Hjallese"]),
}
BIGCITY = {
    "aarhus": (56.157, 10.211, ["Midtbyen", "Gellerup", "Trøjborg", "Viby", "Risskov", "Åbyhøj", "Brabrand"]),
    "cph": (55.676, 12.568, ["Indre By", "Nørrebro", "Vesterbro", "Amager Øst", "Bispebjerg", "Valby", "Østerbro",
                             "Tingbjerg"]),
}
FIRST = ["Ahmed", "Birgit", "Søren", "Fatima", "Jørgen", "Åse", "Mette", "Olga", "Nguyen", "Ib", "Zeynep", "Hodan",
         "Kirsten", "Mads", "Oksana", "Bo", "Lærke", "Piotr", "Amina", "Hans-Christian", "Ægir", "Yusuf", "Grethe"]
LAST = ["Møller", "Jensen", "Nielsen", "Hansen", "Yılmaz", "Abdi", "Kowalski", "Østergaard", "Lund", "Ali", "Brøndum",
        "Kristensen", "O'Neill", "Dahl", "Shevchenko"]
ORGS = ["Røde Kors", "Ældre Sagen", "Kirkens Korshær", "Frivilligcenter", "Mødrehjælpen", "Boligsocialt Hus, Vest",
        "Dansk Flygtningehjælp", ""]
INTERESTS = ["cards", "gardening", "football", "history", "music", "chess", "knitting", "cooking", "fishing", "bible",
             "birds", "politics", "films", "dogs", "dance", "crosswords", "tech"]
ACTS = ["visit", "walk", "it_help", "escort", "shopping", "reading", "chat"]
LANG_POOL = ["ar", "so", "tr", "ur", "pl", "uk", "fa", "ti", "en", "de", "ps", "vi", "ku", "ro"]


class G:
    """Holds the rng and makes the tables of one city."""

    def __init__(self, a: Params) -> None:
        self.a = a
        self.rng = np.random.default_rng(a.seed * 7919 + sum(map(ord, a.style)))
        self.start = self.pick_start()
        self.dates = [self.start + dt.timedelta(days=i) for i in range(7 * a.weeks)]

    # ------------------------------------------------------------------ helpers
    def pick_start(self) -> dt.date:
        if self.a.start:
            d = dt.date.fromisoformat(self.a.start)
            assert d.weekday() == 0, "start must be a Monday"
            return d
        base = dt.date(2027, 1, 4)  # a Monday
        return base + dt.timedelta(days=7 * int(self.rng.integers(0, 60)))

    def ch(self, seq: Sequence[Any], p: Sequence[float] | None = None) -> Any:
        i = self.rng.choice(len(seq), p=p)
        return seq[i]

    def name(self) -> str:
        n = f"{self.ch(FIRST)} {self.ch(LAST)}"
        if self.rng.random() < 0.08:  # comma inside a name -> CSV quoting
            n = f"{self.ch(LAST)}, {self.ch(FIRST)}"
        return n

    def around(self, lat: float, lon: float, n: int, r_km: float, tail: float = 1.6) -> list[tuple[float, float]]:
        """points scattered with a heavy-tailed (log-normal) radius and a uniform bearing; a share on a
        straight 'high street' line; a few sharing an address (care homes)."""
        out = []
        for _ in range(n):
            u = self.rng.random()
            if u < 0.15:  # strip along a road through the centre
                t = self.rng.normal(0, 2.5 * r_km)
                ang = 0.6
                dx, dy = t * math.cos(ang), t * math.sin(ang)
            else:
                rad = r_km * self.rng.lognormal(0, 0.55) * (tail if self.rng.random() < 0.1 else 1.0)
                th = self.rng.uniform(0, 2 * math.pi)
                dx, dy = rad * math.cos(th), rad * math.sin(th)
            out.append((round(lat + dy / 111.2, 6), round(lon + dx / (111.2 * math.cos(math.radians(lat))), 6)))
        return out

    def langs(self, p_da: float, n_extra_max: int, pool: Sequence[str] = LANG_POOL, keep_da: bool = True) -> list[str]:
        L = []
        if self.rng.random() < p_da:
            L.append("da")
        k = int(self.rng.integers(0, n_extra_max + 1))
        extra = list(self.rng.choice(pool, size=min(k, len(pool)), replace=False))
        L += [x for x in extra if x not in L]
        if not L:
            L = ["da"] if keep_da else [self.ch(pool)]
        return L

    def boolstr(self, b: bool, wild: bool = False) -> str:
        if not wild:
            return "true" if b else "false"
        return self.ch(["TRUE", "Yes", "1", "true"] if b else ["FALSE", "no", "0", "False", ""])

    def lst(self, xs: list[str], wild: bool = False) -> str:
        if wild and len(xs) > 1 and self.rng.random() < 0.5:
            return " ; ".join(xs)
        return ";".join(xs)

    def snap(self, m: float, g: int = 5) -> int:
        return int(round(m / g) * g)

    # ------------------------------------------------------------------ tables
    def volunteer_row(self, vid: str, pos: tuple[float, float], *, mode_p: Sequence[float],
                      km_by_mode: dict[str, tuple[float, float, float]], p_da: float = 0.9, n_extra: int = 2,
                      skills_p: Sequence[float] | None = None, vet_p: float = 0.5, lim_sess: tuple[int, int] = (1, 4),
                      lim_min: tuple[float, float] = (90, 480), p_nolimit: float = 0.2,
                      gender_p: Sequence[float] = (0.55, 0.35, 0.05, 0.05), wild: bool = False,
                      phone_only: float = 0.0, lang_pool: Sequence[str] = LANG_POOL) -> Row:
        modes = ["walk", "bike", "transit", "car"]
        mode = self.ch(modes, p=mode_p)
        lo, hi, p_inf = km_by_mode[mode]
        maxkm = "" if self.rng.random() < p_inf else f"{self.rng.uniform(lo, hi):.1f}"
        if self.rng.random() < phone_only:
            maxkm = "0"
        sp = skills_p or [0.35, 0.15, 0.15, 0.1, 0.1, 0.05, 0.1]
        k = 1 + int(self.rng.poisson(1.0))
        skills = list(self.rng.choice(ACTS, size=min(k, len(ACTS)), replace=False, p=sp))
        ms = "" if self.rng.random() < p_nolimit else str(int(self.rng.integers(lim_sess[0], lim_sess[1] + 1)))
        mm = "" if self.rng.random() < p_nolimit else str(self.snap(self.rng.uniform(*lim_min), 15))
        g = self.ch(["f", "m", "x", ""], p=list(gender_p))
        return dict(
            volunteer_id=vid, name=self.name(), lat=pos[0], lon=pos[1],
            skills=self.lst(skills, wild), languages=self.lst(self.langs(p_da, n_extra, lang_pool), wild),
            interests=";".join(self.rng.choice(INTERESTS, size=int(self.rng.integers(0, 4)), replace=False)),
            vetted=self.boolstr(self.rng.random() < vet_p, wild) if self.rng.random() > 0.1 else "",
            gender=g, organisation=self.ch(ORGS), travel_mode=mode if self.rng.random() > 0.08 else "",
            max_travel_km=maxkm, max_sessions_per_week=ms, max_minutes_per_week=mm,
        )

    def citizen_row(self, cid: str, pos: tuple[float, float], district: str, *, p_da: float = 0.85,
                    n_extra: int = 1, prio_p: Sequence[float] = (0.1, 0.2, 0.35, 0.2, 0.15),
                    gpref_p: Sequence[float] = (0.8, 0.15, 0.05), vol_ids: Sequence[str] = (), p_pref: float = 0.1,
                    p_excl: float = 0.05, wild: bool = False, lang_pool: Sequence[str] = LANG_POOL) -> Row:
        prio = int(self.rng.choice([1, 2, 3, 4, 5], p=list(prio_p)))
        pref, excl = [], []
        if vol_ids and self.rng.random() < p_pref:
            pref = list(self.rng.choice(vol_ids, size=int(self.rng.integers(1, 3)), replace=False))
        if vol_ids and self.rng.random() < p_excl:
            excl = list(self.rng.choice(vol_ids, size=int(self.rng.integers(1, 4)), replace=False))
        return dict(
            citizen_id=cid, name=self.name(), lat=pos[0], lon=pos[1],
            languages=self.lst(self.langs(p_da, n_extra, lang_pool), wild),
            interests=";".join(self.rng.choice(INTERESTS, size=int(self.rng.integers(0, 3)), replace=False)),
            district=district,
            priority=str(prio) if (prio != 3 or self.rng.random() < 0.5) else "",
            gender_preference=self.ch(["any", "f", "m"], p=list(gpref_p)) if self.rng.random() > 0.1 else "",
            preferred_volunteers=self.lst(pref, wild), excluded_volunteers=self.lst(excl, wild),
        )

    def day_block(self, lo: float, hi: float, len_lo: float, len_hi: float, g: int = 30) -> tuple[int, int]:
        s = self.snap(self.rng.uniform(lo, hi), g)
        e = min(24 * 60, s + self.snap(self.rng.uniform(len_lo, len_hi), g))
        return s, e

    def weekly_avail(self, who: str, ndays_p: Sequence[float], lo: float, hi: float, len_lo: float, len_hi: float,
                     g: int = 30, split: float = 0.0) -> list[Slot]:
        rows = []
        nd = int(self.rng.choice(np.arange(1, len(ndays_p) + 1), p=ndays_p))
        days = self.rng.choice(7, size=nd, replace=False, p=[0.16, 0.16, 0.16, 0.16, 0.14, 0.11, 0.11])
        for d in sorted(days):
            s, e = self.day_block(lo, hi, len_lo, len_hi, g)
            if split and self.rng.random() < split and e - s >= 120:
                # the same time typed as two or three touching / overlapping rows
                cut = self.snap(self.rng.uniform(s + 30, e - 30), 5)
                ov = int(self.rng.choice([0, 0, 15]))
                rows += [(who, WD[d], fmt(s), fmt(cut + ov)), (who, WD[d], fmt(cut), fmt(e))]
            else:
                rows.append((who, WD[d], fmt(s), fmt(e)))
        return rows

    def date_rows(self, who: str, n: int, lo: float, hi: float, len_lo: float, len_hi: float, g: int = 30,
                  outside: float = 0.0) -> list[Slot]:
        rows = []
        for _ in range(n):
            if self.rng.random() < outside:
                d = self.start - dt.timedelta(days=int(self.rng.integers(1, 20)))
            else:
                d = self.ch(self.dates)
            s, e = self.day_block(lo, hi, len_lo, len_hi, g)
            rows.append((who, d.isoformat(), fmt(s), fmt(e)))
        return rows

    def absences(self, vids: Sequence[str], share: float, len_max: int, outside: float = 0.1) -> list[Absence]:
        rows = []
        for v in vids:
            if self.rng.random() < share:
                day = self.ch(self.dates)
                back = int(self.rng.integers(0, 4)) if self.rng.random() < outside else 0
                a = day - dt.timedelta(days=back)
                ln = int(min(len_max, self.rng.geometric(0.3)))
                rows.append((v, a.isoformat(), (a + dt.timedelta(days=ln - 1)).isoformat()))
        return rows

    def request_rows(self, cits: Sequence[str], *, per_cit_p: Sequence[float] = (0.75, 0.2, 0.05),
                     act_p: Sequence[float] | None = None, dur: Sequence[int] = (30, 45, 60, 90, 120),
                     dur_p: Sequence[float] | None = None, spw_p: Sequence[float] = (0.75, 0.2, 0.05),
                     mode_p: Sequence[float] = (0.7, 0.1, 0.2), vet_p: float = 0.15, oneoff_p: float = 0.05,
                     fixed_start_p: float = 0.6, oneoff_hours: tuple[int, int] = (8 * 60, 16 * 60),
                     odd_dur: float = 0.0) -> list[Row]:
        rows = []
        k = 0
        ap = act_p or [0.45, 0.15, 0.12, 0.08, 0.08, 0.04, 0.08]
        for c in cits:
            n = int(self.rng.choice([1, 2, 3], p=list(per_cit_p)))
            acts = self.rng.choice(ACTS, size=n, replace=False, p=ap)
            for act in acts:
                k += 1
                d = int(self.rng.choice(dur, p=dur_p))
                if odd_dur and self.rng.random() < odd_dur:
                    d = int(self.rng.integers(17, 133))
                row = dict(request_id=f"R{k:05d}", citizen_id=c, activity=act, duration_min=str(d),
                           sessions_per_week="", mode="", requires_vetting="", date="", start="")
                if self.rng.random() < oneoff_p or act == "escort" and self.rng.random() < 0.7:
                    day = self.ch(self.dates)
                    row["date"] = day.isoformat()
                    if self.rng.random() < fixed_start_p:
                        row["start"] = fmt(self.snap(self.rng.uniform(*oneoff_hours), 5))
                else:
                    spw = int(self.rng.choice(np.arange(1, len(spw_p) + 1), p=list(spw_p)))
                    row["sessions_per_week"] = str(spw) if (spw != 1 or self.rng.random() < 0.5) else ""
                m = self.ch(["in_person", "phone", "either"], p=list(mode_p))
                row["mode"] = m if (m != "in_person" or self.rng.random() < 0.6) else ""
                if act in ("escort", "it_help") and self.rng.random() < 0.3:
                    row["mode"] = "in_person" if act == "escort" else row["mode"]
                if self.rng.random() > 0.2:  # else left empty (the default)
                    row["requires_vetting"] = "true" if self.rng.random() < vet_p else "false"
                rows.append(row)
        return rows


# ====================================================================== styles
def style_towns(g: G) -> Tables:
    """3-6 towns sharing volunteers and citizens out independently; preferences within a town."""
    a, rng = g.a, g.rng
    k = int(rng.integers(3, 7))
    names = list(rng.choice(list(PLACES), size=k, replace=False))
    wv = rng.dirichlet([0.8] * k)
    wc = rng.dirichlet([0.8] * k)  # demand and supply deliberately mismatched
    nv = np.maximum(3, np.round(wv * a.volunteers).astype(int))
    nc = np.maximum(2, np.round(wc * a.citizens).astype(int))
    V, C, VA, CA = [], [], [], []
    vi = ci = 0
    km = {"walk": (1.0, 4.0, 0.1), "bike": (3, 12, 0.15), "transit": (5, 25, 0.2), "car": (10, 90, 0.3)}
    for t, n_v, n_c in zip(names, nv, nc):
        lat, lon, dists = PLACES[t]
        r = float(rng.uniform(0.8, 2.5))
        for p in g.around(lat, lon, n_v, r):
            vi += 1
            vid = f"{t[:3].lower()}-v{vi}"
            V.append(g.volunteer_row(vid, p, mode_p=[0.2, 0.35, 0.1, 0.35], km_by_mode=km))
            VA += g.weekly_avail(vid, [0.15, 0.3, 0.3, 0.15, 0.1], 8 * 60, 15 * 60, 120, 420)
        for p in g.around(lat, lon, n_c, r * 1.2):
            ci += 1
            cid = f"{t[:3].lower()}-c{ci}"
            C.append(g.citizen_row(cid, p, f"{t} {g.ch(dists)}"))
            if rng.random() < 0.45:
                CA += g.weekly_avail(cid, [0.2, 0.3, 0.3, 0.2], 9 * 60, 16 * 60, 120, 360)
    vids = [v["volunteer_id"] for v in V]
    for c in C:  # preferred/excluded only among the same town's volunteers
        pre = c["citizen_id"].split("-")[0]
        same = [v for v in vids if v.startswith(pre)]
        if rng.random() < 0.12:
            c["preferred_volunteers"] = ";".join(rng.choice(same, size=1))
        if rng.random() < 0.06:
            c["excluded_volunteers"] = ";".join(rng.choice(same, size=min(2, len(same)), replace=False))
    R = g.request_rows([c["citizen_id"] for c in C], mode_p=(0.8, 0.05, 0.15))
    AB = g.absences(vids, 0.15, 10)
    toml = dict(citizen_window=("08:30", "19:00"), detour_factor=1.45,
                speed=dict(walk=4.0, bike=16.0, transit=25.0, car=55.0))
    return V, VA, AB, C, CA, R, toml


def style_shifts(g: G) -> Tables:
    """Aarhus: split shifts (early morning, evening) and date rows; citizens free mornings or evenings."""
    a, rng = g.a, g.rng
    lat, lon, dists = BIGCITY["aarhus"]
    km = {"walk": (1, 3, 0.0), "bike": (2, 8, 0.1), "transit": (4, 15, 0.2), "car": (8, 30, 0.3)}
    V, VA, C, CA = [], [], [], []
    for i, p in enumerate(g.around(lat, lon, a.volunteers, 3.5), 1):
        vid = f"S{i:04d}"
        V.append(g.volunteer_row(vid, p, mode_p=[0.1, 0.6, 0.2, 0.1], km_by_mode=km, lim_sess=(1, 3),
                                 lim_min=(60, 300)))
        days = rng.choice(5, size=int(rng.integers(1, 4)), replace=False)  # few weekdays
        for d in days:
            ms = int(rng.choice([7 * 60, 7 * 60 + 30, 8 * 60]))
            me = ms + int(rng.choice([90, 120, 150]))
            es = int(rng.choice([16 * 60, 17 * 60, 17 * 60 + 30]))
            ee = min(es + int(rng.choice([120, 180, 210])), 24 * 60)
            shape = rng.random()
            if shape < 0.7:
                VA += [(vid, WD[d], fmt(ms), fmt(me)), (vid, WD[d], fmt(es), fmt(ee))]
            elif shape < 0.85:
                VA.append((vid, WD[d], fmt(es), fmt(ee)))
            else:
                VA.append((vid, WD[d], fmt(ms), fmt(me)))
        if rng.random() < 0.35:  # a date-specific extra (a Saturday, a holiday)
            VA += g.date_rows(vid, int(rng.integers(1, 3)), 9 * 60, 14 * 60, 120, 300, outside=0.1)
    vids = [v["volunteer_id"] for v in V]
    for i, p in enumerate(g.around(lat, lon, a.citizens, 4.0), 1):
        cid = f"K{i:04d}"
        C.append(g.citizen_row(cid, p, g.ch(dists), vol_ids=vids))
        u = rng.random()
        if u < 0.85:
            for d in rng.choice(5, size=int(rng.integers(1, 4)), replace=False):
                part = rng.random()
                if part < 0.45:
                    s = g.snap(rng.uniform(7 * 60, 9 * 60 + 30), 15)
                elif part < 0.9:
                    s = g.snap(rng.uniform(16 * 60 + 30, 19 * 60), 15)
                else:
                    s = g.snap(rng.uniform(10 * 60, 15 * 60), 15)
                CA.append((cid, WD[d], fmt(s), fmt(s + int(rng.choice([60, 75, 90, 120])))))
            if rng.random() < 0.2:
                CA += g.date_rows(cid, 1, 8 * 60, 18 * 60, 60, 120, g=15)
        elif u < 0.95:  # only date-specific rows: available on those dates alone
            CA += g.date_rows(cid, int(rng.integers(1, 4)), 8 * 60, 18 * 60, 60, 150, g=15)
        # else: no rows -> citizen_window
    R = g.request_rows([c["citizen_id"] for c in C], dur=(30, 45, 60, 90), dur_p=[0.3, 0.3, 0.3, 0.1],
                       mode_p=(0.75, 0.1, 0.15), oneoff_p=0.04, oneoff_hours=(7 * 60, 19 * 60))
    AB = g.absences(vids, 0.3, 12)
    toml = dict(citizen_window=("07:00", "21:00"), detour_factor=1.3, speed=None)
    return V, VA, AB, C, CA, R, toml


def style_heavy(g: G) -> Tables:
    """Copenhagen: long days, high weekly limits, long sessions asked 2-3 times a week."""
    a, rng = g.a, g.rng
    lat, lon, dists = BIGCITY["cph"]
    km = {"walk": (2, 4, 0.0), "bike": (5, 15, 0.3), "transit": (8, 25, 0.4), "car": (15, 40, 0.5)}
    V, VA, C, CA = [], [], [], []
    for i, p in enumerate(g.around(lat, lon, a.volunteers, 4.0), 1):
        vid = f"H{i}"
        V.append(g.volunteer_row(vid, p, mode_p=[0.1, 0.5, 0.2, 0.2], km_by_mode=km, lim_sess=(8, 20),
                                 lim_min=(600, 1500), p_nolimit=0.25, vet_p=0.7))
        VA += g.weekly_avail(vid, [0.0, 0.0, 0.1, 0.3, 0.3, 0.2, 0.1], 7 * 60, 11 * 60, 360, 720)
    vids = [v["volunteer_id"] for v in V]
    for i, p in enumerate(g.around(lat, lon, a.citizens, 4.5), 1):
        cid = f"B{i}"
        C.append(g.citizen_row(cid, p, g.ch(dists), vol_ids=vids, prio_p=(0.05, 0.1, 0.3, 0.3, 0.25)))
        if rng.random() < 0.5:
            CA += g.weekly_avail(cid, [0.0, 0.2, 0.3, 0.3, 0.2], 8 * 60, 13 * 60, 240, 540)
    R = g.request_rows([c["citizen_id"] for c in C], per_cit_p=(0.85, 0.15, 0.0), dur=(90, 120, 150, 180, 240),
                       spw_p=(0.0, 0.6, 0.4), mode_p=(0.85, 0.0, 0.15), oneoff_p=0.02, vet_p=0.3)
    AB = g.absences(vids, 0.1, 5)
    toml = dict(citizen_window=("09:00", "20:00"), detour_factor=1.3, speed=dict(walk=4.5, bike=15, transit=18, car=30))
    return V, VA, AB, C, CA, R, toml


def style_phone(g: G) -> Tables:
    """Copenhagen: phone and either-mode requests, phone-only volunteers, few Danish speakers."""
    a, rng = g.a, g.rng
    lat, lon, dists = BIGCITY["cph"]
    km = {"walk": (1, 3, 0.0), "bike": (3, 9, 0.1), "transit": (5, 20, 0.2), "car": (10, 30, 0.2)}
    pool = ["ar", "so", "tr", "ur", "pl", "uk", "fa", "ti", "en"]
    V, VA, C, CA = [], [], [], []
    for i, p in enumerate(g.around(lat, lon, a.volunteers, 5.0), 1):
        vid = f"tel{i:03d}"
        V.append(g.volunteer_row(vid, p, mode_p=[0.2, 0.4, 0.3, 0.1], km_by_mode=km, p_da=0.6, n_extra=2,
                                 phone_only=0.3, lang_pool=pool, gender_p=(0.6, 0.3, 0.05, 0.05),
                                 skills_p=[0.3, 0.05, 0.2, 0.05, 0.05, 0.1, 0.25]))
        VA += g.weekly_avail(vid, [0.2, 0.3, 0.3, 0.2], 9 * 60, 19 * 60, 60, 240, g=15)
    vids = [v["volunteer_id"] for v in V]
    for i, p in enumerate(g.around(lat, lon, a.citizens, 5.5), 1):
        cid = f"bo{i:03d}"
        C.append(g.citizen_row(cid, p, g.ch(dists), p_da=0.55, n_extra=1, lang_pool=pool, gpref_p=(0.6, 0.28, 0.12),
                               vol_ids=vids, p_pref=0.08))
        if rng.random() < 0.6:
            CA += g.weekly_avail(cid, [0.1, 0.3, 0.3, 0.3], 9 * 60, 18 * 60, 60, 300, g=15)
    R = g.request_rows([c["citizen_id"] for c in C], mode_p=(0.2, 0.45, 0.35),
                       act_p=[0.3, 0.05, 0.2, 0.05, 0.05, 0.1, 0.25], dur=(20, 30, 45, 60), dur_p=[0.2, 0.4, 0.2, 0.2])
    AB = g.absences(vids, 0.1, 7)
    toml = dict(citizen_window=("10:00", "18:00"), detour_factor=1.3, speed=None)
    return V, VA, AB, C, CA, R, toml


def style_oneoffs(g: G) -> Tables:
    """Aarhus: half the requests dated one-offs, most at a fixed start, some at odd minutes."""
    a, rng = g.a, g.rng
    lat, lon, dists = BIGCITY["aarhus"]
    km = {"walk": (1, 3, 0.0), "bike": (3, 10, 0.1), "transit": (5, 20, 0.2), "car": (10, 40, 0.4)}
    V, VA, C, CA = [], [], [], []
    for i, p in enumerate(g.around(lat, lon, a.volunteers, 4.0), 1):
        vid = f"E{i:03d}"
        V.append(g.volunteer_row(vid, p, mode_p=[0.1, 0.3, 0.2, 0.4], km_by_mode=km,
                                 skills_p=[0.25, 0.1, 0.1, 0.3, 0.15, 0.05, 0.05], vet_p=0.6))
        VA += g.weekly_avail(vid, [0.1, 0.2, 0.3, 0.2, 0.2], 7 * 60, 12 * 60, 180, 600, g=15)
        if rng.random() < 0.3:
            VA += g.date_rows(vid, 2, 7 * 60, 13 * 60, 120, 480)
    vids = [v["volunteer_id"] for v in V]
    for i, p in enumerate(g.around(lat, lon, a.citizens, 4.5), 1):
        cid = f"P{i:03d}"
        C.append(g.citizen_row(cid, p, g.ch(dists), vol_ids=vids))
        if rng.random() < 0.3:
            CA += g.weekly_avail(cid, [0.2, 0.4, 0.4], 8 * 60, 14 * 60, 180, 480)
    R = g.request_rows([c["citizen_id"] for c in C], per_cit_p=(0.5, 0.35, 0.15),
                       act_p=[0.25, 0.1, 0.05, 0.3, 0.2, 0.05, 0.05], dur=(45, 60, 90, 120, 150, 180, 240),
                       dur_p=[0.1, 0.2, 0.2, 0.2, 0.1, 0.1, 0.1], oneoff_p=0.5, fixed_start_p=0.8,
                       oneoff_hours=(7 * 60 + 30, 15 * 60 + 30), mode_p=(0.9, 0.02, 0.08))
    # a few appointments at odd minutes, one late in the day that cannot end before 24:00
    for r in R[:: max(1, len(R) // 8)]:
        if r["date"]:
            r["start"] = fmt(int(rng.integers(8 * 60, 15 * 60)))
    AB = g.absences(vids, 0.2, 6)
    toml = dict(citizen_window=("07:30", "18:00"), detour_factor=1.25, speed=dict(walk=5, bike=14, transit=20, car=35))
    return V, VA, AB, C, CA, R, toml


def style_pinned(g: G) -> Tables:
    """Copenhagen: a plain city (``write_city`` pins 20 % of its requests)."""
    a, rng = g.a, g.rng
    lat, lon, dists = BIGCITY["cph"]
    km = {"walk": (1, 3, 0.0), "bike": (3, 10, 0.2), "transit": (5, 20, 0.3), "car": (10, 30, 0.4)}
    V, VA, C, CA = [], [], [], []
    for i, p in enumerate(g.around(lat, lon, a.volunteers, 4.0), 1):
        vid = f"v{i:04d}"
        V.append(g.volunteer_row(vid, p, mode_p=[0.15, 0.5, 0.2, 0.15], km_by_mode=km))
        VA += g.weekly_avail(vid, [0.2, 0.3, 0.3, 0.1, 0.1], 8 * 60, 16 * 60, 120, 480)
    vids = [v["volunteer_id"] for v in V]
    for i, p in enumerate(g.around(lat, lon, a.citizens, 4.5), 1):
        cid = f"c{i:04d}"
        C.append(g.citizen_row(cid, p, g.ch(dists), vol_ids=vids, p_pref=0.15))
        if rng.random() < 0.5:
            CA += g.weekly_avail(cid, [0.1, 0.3, 0.3, 0.3], 9 * 60, 15 * 60, 120, 420)
    R = g.request_rows([c["citizen_id"] for c in C], spw_p=(0.7, 0.25, 0.05), oneoff_p=0.08)
    AB = g.absences(vids, 0.12, 8)
    toml = dict(citizen_window=("09:00", "20:00"), detour_factor=1.3, speed=None)
    return V, VA, AB, C, CA, R, toml


def style_odd(g: G) -> Tables:
    """Contract corners: ids typed as numbers and with leading zeros ('07' and '007' both exist),
    the same id used by a volunteer and a citizen, no limits, availability typed in touching and
    overlapping pieces, 00:00-24:00, minutes off any grid, booleans in every spelling, spaces in
    lists, an unknown column, no citizen_availability.csv (all citizens use citizen_window), priorities
    1 and 5 only, preferred volunteers who are also excluded, vetting required, a 24:00 window end."""
    a, rng = g.a, g.rng
    lat, lon, dists = BIGCITY["aarhus"]
    km = {"walk": (0.5, 3, 0.5), "bike": (2, 8, 0.5), "transit": (3, 15, 0.5), "car": (5, 20, 0.5)}
    V, VA, C = [], [], []  # no citizen_availability.csv: every citizen uses citizen_window
    pts = g.around(lat, lon, a.volunteers, 3.0)
    for i, p in enumerate(pts, 1):
        vid = {1: "07", 2: "007", 3: "7.0"}.get(i, str(i))
        row = g.volunteer_row(vid, p, mode_p=[0.25, 0.25, 0.25, 0.25], km_by_mode=km, p_nolimit=0.7, vet_p=0.5,
                              wild=True, lim_sess=(1, 6), lim_min=(45, 600))
        row["notes"] = 'said "yes, Tuesdays", maybe'
        V.append(row)
        u = rng.random()
        if u < 0.1:
            VA.append((vid, g.ch(WD), "00:00", "24:00"))
        VA += g.weekly_avail(vid, [0.2, 0.3, 0.3, 0.2], 7 * 60, 18 * 60, 90, 400, g=1, split=0.6)
        if u > 0.85:  # evening that ends at midnight
            VA.append((vid, g.ch(WD), "21:13", "24:00"))
    vids = [v["volunteer_id"] for v in V]
    cp = g.around(lat, lon, a.citizens, 3.5)
    for i in range(0, len(cp) - 4, 9):  # a care home: several citizens at one address
        for j in range(1, 4):
            cp[i + j] = cp[i]
    if len(cp) > 4:
        cp[4] = V[3]["lat"], V[3]["lon"]  # a citizen living with a volunteer (distance 0)
    for i, p in enumerate(cp, 1):
        cid = str(i) if i % 3 else f"{i:03d}"
        row = g.citizen_row(cid, p, g.ch(dists), prio_p=(0.5, 0, 0, 0, 0.5), vol_ids=vids, p_pref=0.25, p_excl=0.1,
                            wild=True)
        if row["preferred_volunteers"] and rng.random() < 0.2:
            row["excluded_volunteers"] = row["preferred_volunteers"].split(";")[0].strip()
        row["priority"] = row["priority"] or "5"
        C.append(row)
    R = g.request_rows([c["citizen_id"] for c in C], vet_p=0.5, odd_dur=0.4, oneoff_p=0.1,
                       oneoff_hours=(8 * 60, 17 * 60), spw_p=(0.6, 0.25, 0.1, 0.0, 0.0, 0.0, 0.05))
    for r in R:
        b = r["requires_vetting"]
        if b:
            r["requires_vetting"] = g.boolstr(b == "true", wild=True)
        if r["start"]:
            r["start"] = fmt(int(rng.integers(8 * 60, 17 * 60)))
    AB = g.absences(vids, 0.2, 4, outside=0.5)
    toml = dict(citizen_window=("07:45", "21:15"), detour_factor=1.0,
                speed=dict(walk=3.5, bike=18.0, transit=22.0, car=40.0))
    return V, VA, AB, C, None, R, toml


def style_extremes(g: G) -> Tables:
    """Volunteers with no limits at all and round-the-clock availability next to volunteers with one
    hour a week; sessions_per_week up to 7 and one above 7 (one-per-day caps it); priorities 1 and 5;
    durations of 5 minutes and of 8 hours; identical coordinates; every request requires vetting."""
    a, rng = g.a, g.rng
    lat, lon, dists = PLACES["Odense"]
    km = {"walk": (1, 3, 1.0), "bike": (2, 8, 1.0), "transit": (3, 15, 1.0), "car": (5, 20, 1.0)}
    V, VA, C, CA = [], [], [], []
    for i, p in enumerate(g.around(lat, lon, a.volunteers, 2.5), 1):
        vid = f"X-{i}"
        tight = rng.random() < 0.4
        row = g.volunteer_row(vid, p, mode_p=[0.3, 0.3, 0.2, 0.2], km_by_mode=km, p_nolimit=0.0 if tight else 1.0,
                              lim_sess=(1, 2), lim_min=(30, 120), vet_p=0.8)
        V.append(row)
        if tight:
            VA += g.weekly_avail(vid, [1.0], 9 * 60, 17 * 60, 60, 60, g=15)
        else:
            for d in WD:
                VA.append((vid, d, "00:00", "24:00"))
    vids = [v["volunteer_id"] for v in V]
    for i, p in enumerate(g.around(lat, lon, a.citizens, 3.0), 1):
        cid = f"Y-{i}"
        C.append(g.citizen_row(cid, p, g.ch(dists), prio_p=(0.6, 0, 0, 0, 0.4), vol_ids=vids, p_pref=0.3))
        if rng.random() < 0.3:
            CA.append((cid, g.ch(WD), "06:00", "23:00"))
    R = g.request_rows([c["citizen_id"] for c in C], dur=(5, 30, 60, 240, 480), dur_p=[0.1, 0.3, 0.3, 0.2, 0.1],
                       spw_p=(0.4, 0.2, 0.1, 0.05, 0.05, 0.05, 0.1, 0.0, 0.05), vet_p=1.0, oneoff_p=0.05)
    for r in R:
        r["requires_vetting"] = "true"
    AB = g.absences(vids, 0.1, 3)
    toml = dict(citizen_window=("00:00", "24:00"), detour_factor=2.0, speed=dict(walk=4.5, bike=15, transit=18, car=30))
    return V, VA, AB, C, CA, R, toml


def style_mixed(g: G) -> Tables:
    """a realistic city: a mixture of the above in one place."""
    a, rng = g.a, g.rng
    lat, lon, dists = BIGCITY["aarhus"]
    km = {"walk": (1, 3, 0.0), "bike": (3, 10, 0.2), "transit": (5, 20, 0.3), "car": (10, 35, 0.4)}
    V, VA, C, CA = [], [], [], []
    for i, p in enumerate(g.around(lat, lon, a.volunteers, 4.5), 1):
        vid = f"m{i:04d}"
        V.append(g.volunteer_row(vid, p, mode_p=[0.15, 0.45, 0.2, 0.2], km_by_mode=km, phone_only=0.08, p_da=0.85))
        VA += g.weekly_avail(vid, [0.2, 0.3, 0.25, 0.15, 0.1], 8 * 60, 18 * 60, 90, 420, g=15, split=0.2)
        if rng.random() < 0.15:
            VA += g.date_rows(vid, 2, 9 * 60, 15 * 60, 120, 300)
    vids = [v["volunteer_id"] for v in V]
    for i, p in enumerate(g.around(lat, lon, a.citizens, 5.0), 1):
        cid = f"n{i:04d}"
        C.append(g.citizen_row(cid, p, g.ch(dists), vol_ids=vids, p_da=0.8, gpref_p=(0.75, 0.18, 0.07)))
        if rng.random() < 0.5:
            CA += g.weekly_avail(cid, [0.1, 0.3, 0.3, 0.3], 8 * 60, 17 * 60, 90, 360, g=15)
    R = g.request_rows([c["citizen_id"] for c in C], mode_p=(0.6, 0.15, 0.25), oneoff_p=0.15, spw_p=(0.65, 0.25, 0.1))
    AB = g.absences(vids, 0.25, 14)
    toml = dict(citizen_window=("09:00", "19:30"), detour_factor=1.35, speed=None)
    return V, VA, AB, C, CA, R, toml


STYLES: dict[str, Callable[[G], Tables]] = dict(
    towns=style_towns, shifts=style_shifts, heavy=style_heavy, phone=style_phone, oneoffs=style_oneoffs,
    pinned=style_pinned, odd=style_odd, extremes=style_extremes, mixed=style_mixed,
)


# ====================================================================== pins
def make_pins(folder: str, rng: np.random.Generator, share: float, n_conflicts: int = 0) -> int:
    """Pins that keep every hard rule, built session by session against an independent checker;
    then optionally absences that break n_conflicts of them (an input error per the contract).
    Writes pins.csv; returns the number of pins."""
    S = rules.Scenario(folder)
    pins = []  # (rid, v, date, start, end, mode, cid)
    by_vd, by_cd, vweek, rweek = {}, {}, {}, {}

    def fits(rid: str, v: str, d: dt.date, s: int, mode: str) -> bool:
        R = S.reqs[rid]
        e = s + R["dur"]
        c = R["cit"]
        w = S.week_of(d)
        V = S.vols[v]
        n, m = vweek.get((v, w), (0, 0))
        if V["maxs"] is not None and n + 1 > V["maxs"]:
            return False
        if V["maxm"] is not None and m + R["dur"] > V["maxm"]:
            return False
        if not R["date"] and rweek.get((rid, w), 0) + 1 > R["spw"]:
            return False
        if any(p[0] == rid and p[2] == d for p in pins):
            return False
        for p in by_cd.get((c, d), []):
            if s < p[4] and p[3] < e:
                return False
        day = by_vd.get((v, d), [])
        for p in day:
            if s < p[4] and p[3] < e:
                return False
        if mode == "in_person":
            ip = sorted([p for p in day if p[5] == "in_person"] + [(rid, v, d, s, e, mode, c)], key=lambda p: p[3])
            for x, y in zip(ip, ip[1:]):
                if y[3] - x[4] < S.travel(v, S.cits[x[6]]["pos"], S.cits[y[6]]["pos"]):
                    return False
        return True

    def add(rid: str, v: str, d: dt.date, s: int, mode: str) -> None:
        R = S.reqs[rid]
        p = (rid, v, d, s, s + R["dur"], mode, R["cit"])
        pins.append(p)
        by_vd.setdefault((v, d), []).append(p)
        by_cd.setdefault((R["cit"], d), []).append(p)
        w = S.week_of(d)
        n, m = vweek.get((v, w), (0, 0))
        vweek[(v, w)] = (n + 1, m + R["dur"])
        rweek[(rid, w)] = rweek.get((rid, w), 0) + 1

    rids = list(S.reqs)
    rng.shuffle(rids)
    vids = list(S.vols)
    for rid in rids[: int(len(rids) * share)]:
        R = S.reqs[rid]
        cands = []
        for v in vids:
            modes = S.static_ok(rid, v)
            if modes:
                # an 'either' pin is checked as a call (it needs no travel); the planner may choose either mode
                cands.append((v, "in_person" if R["mode"] == "in_person" else "phone"))
        rng.shuffle(cands)
        for v, mode in cands[:25]:
            if R["date"]:
                days = [R["date"]] if R["date"] in S.dateset else []
            else:
                # the same weekday every week (a visiting friend), all weeks of the horizon, as many weekdays as
                # sessions_per_week allows
                wd = [int(x) for x in rng.permutation(7)]
                days = []
                for k in wd[: R["spw"]]:
                    days += [d for d in S.dates if d.weekday() == k]
            placed = []
            for d in days:
                iv = rules.intersect(S.vavail[v].get(d, []), S.cavail[R["cit"]].get(d, []))
                starts = []
                for a_, b_ in iv:
                    if R["date"] and R["start"] is not None:
                        if a_ <= R["start"] and R["start"] + R["dur"] <= b_:
                            starts.append(R["start"])
                    elif b_ - a_ >= R["dur"]:
                        starts += [a_, b_ - R["dur"], a_ + ((b_ - a_ - R["dur"]) // 2) // 5 * 5]
                for s in starts:
                    if fits(rid, v, d, s, mode):
                        add(rid, v, d, s, mode)
                        placed.append(d)
                        break
            if placed:
                break
    pins.sort(key=lambda p: (p[2], p[3], p[1]))
    df = pd.DataFrame([dict(request_id=p[0], volunteer_id=p[1], date=p[2].isoformat(), start=fmt(p[3])) for p in pins],
                      columns=["request_id", "volunteer_id", "date", "start"])
    df.to_csv(os.path.join(folder, "pins.csv"), index=False)
    if n_conflicts:
        ab = pd.read_csv(os.path.join(folder, "volunteer_absences.csv"), dtype=str, keep_default_na=False)
        idx = rng.choice(len(pins), size=min(n_conflicts, len(pins)), replace=False)
        extra = [dict(volunteer_id=pins[i][1], from_date=pins[i][2].isoformat(),
                      to_date=(pins[i][2] + dt.timedelta(days=1)).isoformat()) for i in idx]
        pd.concat([ab, pd.DataFrame(extra)]).to_csv(os.path.join(folder, "volunteer_absences.csv"), index=False)
    return len(pins)


# ====================================================================== writing
def write_toml(path: str, name: str, start: dt.date, weeks: int, toml: dict[str, Any]) -> None:
    """scenario.toml: the settings a style chose (citizen_window only when not the default)."""
    lines = [f'name = "{name}"', f"start_date = {start.isoformat()}", f"weeks = {weeks}"]
    cw = toml.get("citizen_window")
    if cw and tuple(cw) != ("09:00", "20:00"):
        lines.append(f'citizen_window = ["{cw[0]}", "{cw[1]}"]')
    lines.append(f"detour_factor = {float(toml.get('detour_factor', 1.3))}")
    sp = toml.get("speed")
    if sp:
        lines.append("")
        lines.append("[speed_kmh]")
        lines += [f"{k} = {float(v)}" for k, v in sp.items()]
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")


def to_xlsx(folder: str, path: str) -> None:
    """The same scenario as one workbook typed the way people type it: dates and times as real cells,
    numbers as number cells, ids that look like whole numbers as numbers (unless a leading zero)."""
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)

    def typed(col: str, v: str) -> Any:
        if v == "":
            return None
        if col in ("date", "from_date", "to_date") or (col == "day" and len(v) == 10):
            return dt.datetime.fromisoformat(v)
        if col in ("start", "end") and v != "24:00":
            h, m = map(int, v.split(":"))
            return dt.time(h, m)
        if col.endswith("_id") or col in ("lat", "lon", "priority", "duration_min", "sessions_per_week",
                                          "max_travel_km", "max_sessions_per_week", "max_minutes_per_week"):
            try:
                if v.isdigit() and not (len(v) > 1 and v[0] == "0"):
                    return int(v)
                if col in ("lat", "lon", "max_travel_km"):
                    return float(v)
            except ValueError:
                pass
        return v

    for fn in sorted(os.listdir(folder)):
        if not fn.endswith(".csv"):
            continue
        df = pd.read_csv(os.path.join(folder, fn), dtype=str, keep_default_na=False, encoding="utf-8-sig")
        ws = wb.create_sheet(fn[:-4])
        ws.append(list(df.columns))
        for row in df.itertuples(index=False):
            ws.append([typed(c, v) for c, v in zip(df.columns, row)])
        for _ in range(3):
            ws.append([None] * len(df.columns))  # empty rows at the end
    with open(os.path.join(folder, "scenario.toml"), "rb") as f:
        t = tomllib.load(f)
    ws = wb.create_sheet("scenario")
    ws.append(["key", "value"])
    for k, v in t.items():
        if isinstance(v, dict):
            for kk, vv in v.items():
                ws.append([f"{k}.{kk}", vv])
        elif isinstance(v, list):
            ws.append([k, ";".join(v)])
        elif isinstance(v, dt.date):
            ws.append([k, dt.datetime(v.year, v.month, v.day)])
        else:
            ws.append([k, v])
    wb.save(path)


def write_city(folder: str | os.PathLike[str], style: str, volunteers: int = 60, citizens: int = 120, weeks: int = 2,
               seed: int = 0, *, start: str | None = None, pin_share: float | None = None, pin_conflicts: int = 0,
               xlsx: bool = False) -> str:
    """Write one city of ``style`` into ``folder`` (made if missing; the files in it are removed first).

    ``pin_share``: the share of requests to pin (default 0.2 for ``pinned``, else 0.03); ``pin_conflicts``:
    absences that break that many pins (an input error); ``xlsx``: also write the workbook ``folder.xlsx``.
    The scenario's name is the folder's name. Returns a one-line summary.
    """
    if style not in STYLES:
        raise ValueError(f"unknown style {style!r}: one of {', '.join(sorted(STYLES))}")
    out = os.fspath(folder)
    g = G(Params(style, volunteers, citizens, weeks, seed, start))
    V, VA, AB, C, CA, R, toml = STYLES[style](g)
    os.makedirs(out, exist_ok=True)
    for fn in os.listdir(out):
        os.remove(os.path.join(out, fn))
    vcols = ["volunteer_id", "name", "lat", "lon", "skills", "languages", "interests", "vetted", "gender",
             "organisation", "travel_mode", "max_travel_km", "max_sessions_per_week", "max_minutes_per_week"]
    Vd = pd.DataFrame(V)
    # column order is free: shuffle it
    cols = list(Vd.columns)
    g.rng.shuffle(cols)
    odd = style == "odd"
    Vd[cols].to_csv(os.path.join(out, "volunteers.csv"), index=False, encoding="utf-8-sig" if odd else "utf-8")
    assert set(vcols) <= set(cols)
    pd.DataFrame(VA, columns=["volunteer_id", "day", "start", "end"]).to_csv(
        os.path.join(out, "volunteer_availability.csv"), index=False)
    pd.DataFrame(AB, columns=["volunteer_id", "from_date", "to_date"]).to_csv(
        os.path.join(out, "volunteer_absences.csv"), index=False)
    Cd = pd.DataFrame(C)
    Cd.to_csv(os.path.join(out, "citizens.csv"), index=False, lineterminator="\r\n" if odd else "\n")
    if CA is not None:
        pd.DataFrame(CA, columns=["citizen_id", "day", "start", "end"]).to_csv(
            os.path.join(out, "citizen_availability.csv"), index=False)
    Rd = pd.DataFrame(R)
    Rd = Rd[["start", "date", "request_id", "citizen_id", "activity", "duration_min", "sessions_per_week", "mode",
             "requires_vetting"]]
    Rd.to_csv(os.path.join(out, "requests.csv"), index=False)
    write_toml(os.path.join(out, "scenario.toml"), os.path.basename(os.path.normpath(out)), g.start, weeks, toml)
    share = pin_share if pin_share is not None else (0.2 if style == "pinned" else 0.03)
    npins = make_pins(out, g.rng, share, pin_conflicts)
    if xlsx:
        to_xlsx(out, os.path.normpath(out) + ".xlsx")
    return (f"{out}: {len(V)} volunteers, {len(C)} citizens, {len(R)} requests, {npins} pins, start {g.start}, "
            f"{weeks} weeks")


def main(argv: Sequence[str] | None = None) -> None:
    """The command line (see the module's docstring)."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True)
    ap.add_argument("--style", required=True, choices=sorted(STYLES))
    ap.add_argument("--volunteers", type=int, default=60)
    ap.add_argument("--citizens", type=int, default=120)
    ap.add_argument("--weeks", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--start", default=None, help="a Monday")
    ap.add_argument("--pin-share", type=float, default=None, help="share of requests to pin (default: 0.2 for pinned)")
    ap.add_argument("--pin-conflicts", type=int, default=0, help="add absences that break this many pins (input error)")
    ap.add_argument("--xlsx", action="store_true", help="also write OUT.xlsx, the same scenario as a workbook")
    a = ap.parse_args(argv)
    print(write_city(a.out, a.style, a.volunteers, a.citizens, a.weeks, a.seed, start=a.start, pin_share=a.pin_share,
                     pin_conflicts=a.pin_conflicts, xlsx=a.xlsx))


if __name__ == "__main__":
    main()
