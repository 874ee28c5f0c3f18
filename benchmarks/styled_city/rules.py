"""The styled-city generator's own reading of the contract (/work/shared/SCENARIO_FORMAT.md, v1.1).

Written from the contract only, sharing no code with the workbench: :class:`Scenario` loads a scenario
folder, :meth:`Scenario.violations` checks a schedule against the 14 hard rules and
:meth:`Scenario.figures` computes the contract's figures. ``generate.py`` uses it to build pins that keep
every hard rule (``make_pins``).
"""

from __future__ import annotations

import datetime as dt
import math
import os
import tomllib
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

import pandas as pd

Interval = tuple[int, int]  # minutes after midnight, [start, end)
Point = tuple[float, float]  # (lat, lon)

WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
DEFAULT_SPEED = {"walk": 4.5, "bike": 15.0, "transit": 18.0, "car": 30.0}


def tmin(s: str) -> int:
    """Minutes after midnight of ``HH:MM``."""
    s = s.strip()
    h, m = s.split(":")
    return int(h) * 60 + int(m)


def fmt(m: int) -> str:
    """``HH:MM`` of minutes after midnight."""
    return f"{m // 60:02d}:{m % 60:02d}"


def plist(s: object) -> list[str]:
    """A list cell: ``;``-separated, items trimmed, empty cell = empty list."""
    s = "" if s is None else str(s)
    return [x.strip() for x in s.split(";") if x.strip() != ""]


def pbool(s: object, default: bool = False) -> bool:
    """A bool cell (true/false/yes/no/1/0, any case); empty = ``default``."""
    s = ("" if s is None else str(s)).strip().lower()
    if s == "":
        return default
    if s in ("true", "yes", "1"):
        return True
    if s in ("false", "no", "0"):
        return False
    raise ValueError(f"bad bool {s!r}")


def popt(s: object, conv: Callable[[str], Any]) -> Any:
    """An optional cell: ``None`` if empty, else ``conv`` of its trimmed text."""
    s = ("" if s is None else str(s)).strip()
    return None if s == "" else conv(s)


def haversine(a: Point, b: Point) -> float:
    """Great-circle km between two (lat, lon) points."""
    lat1, lon1 = map(math.radians, a)
    lat2, lon2 = map(math.radians, b)
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6371.0 * math.asin(min(1.0, math.sqrt(h)))


def merge(iv: Iterable[Interval]) -> list[Interval]:
    """The union of intervals, sorted, touching ones joined."""
    iv = sorted(iv)
    out = []
    for s, e in iv:
        if out and s <= out[-1][1]:
            out[-1][1] = max(out[-1][1], e)
        else:
            out.append([s, e])
    return [tuple(x) for x in out]


def inside(iv: list[Interval], s: int, e: int) -> bool:
    """Whether [s, e) lies within one of the (merged) intervals."""
    return any(a <= s and e <= b for a, b in iv)


def intersect(a: list[Interval], b: list[Interval]) -> list[Interval]:
    """The intersection of two interval lists."""
    out = []
    for s1, e1 in a:
        for s2, e2 in b:
            s, e = max(s1, s2), min(e1, e2)
            if s < e:
                out.append((s, e))
    return merge(out)


def read(folder: str, name: str, required: bool = True) -> pd.DataFrame | None:
    """One CSV of the folder as text cells; ``None`` if an optional file is missing."""
    p = os.path.join(folder, name)
    if not os.path.exists(p):
        if required:
            raise FileNotFoundError(p)
        return None
    return pd.read_csv(p, dtype=str, keep_default_na=False, encoding="utf-8-sig")


class Scenario:
    """A scenario folder as plain dicts and interval lists."""

    def __init__(self, folder: str) -> None:
        with open(os.path.join(folder, "scenario.toml"), "rb") as f:
            t = tomllib.load(f)
        sd = t["start_date"]
        self.start = sd if isinstance(sd, dt.date) else dt.date.fromisoformat(str(sd))
        self.weeks = int(t["weeks"])
        cw = t.get("citizen_window", ["09:00", "20:00"])
        self.cwin = [(tmin(cw[0]), tmin(cw[1]))]
        self.detour = float(t.get("detour_factor", 1.3))
        self.speed = dict(DEFAULT_SPEED)
        self.speed.update({k: float(v) for k, v in t.get("speed_kmh", {}).items()})
        self.dates = [self.start + dt.timedelta(days=i) for i in range(7 * self.weeks)]
        self.dateset = set(self.dates)

        V = read(folder, "volunteers.csv")
        self.vols = {}
        for _, r in V.iterrows():
            self.vols[r["volunteer_id"]] = dict(
                pos=(float(r["lat"]), float(r["lon"])),
                skills=set(plist(r["skills"])),
                langs=set(plist(r["languages"])),
                vetted=pbool(r.get("vetted", "")),
                gender=(r.get("gender", "") or "").strip(),
                mode=(r.get("travel_mode", "") or "").strip() or "bike",
                maxkm=popt(r.get("max_travel_km", ""), float),
                maxs=popt(r.get("max_sessions_per_week", ""), int),
                maxm=popt(r.get("max_minutes_per_week", ""), int),
            )
        VA = read(folder, "volunteer_availability.csv")
        self.vavail = {v: {} for v in self.vols}
        raw = defaultdict(lambda: defaultdict(list))
        for _, r in VA.iterrows():
            for d in self._days(r["day"]):
                raw[r["volunteer_id"]][d].append((tmin(r["start"]), tmin(r["end"])))
        ab = read(folder, "volunteer_absences.csv", False)
        absent = defaultdict(set)
        if ab is not None:
            for _, r in ab.iterrows():
                a, b = dt.date.fromisoformat(r["from_date"].strip()), dt.date.fromisoformat(r["to_date"].strip())
                for d in self.dates:
                    if a <= d <= b:
                        absent[r["volunteer_id"]].add(d)
        self.absent = absent
        for v, dd in raw.items():
            for d, iv in dd.items():
                if d not in absent[v]:
                    self.vavail[v][d] = merge(iv)

        C = read(folder, "citizens.csv")
        self.cits = {}
        for _, r in C.iterrows():
            self.cits[r["citizen_id"]] = dict(
                pos=(float(r["lat"]), float(r["lon"])),
                langs=set(plist(r["languages"])),
                district=r.get("district", ""),
                prio=popt(r.get("priority", ""), int) or 3,
                gpref=(r.get("gender_preference", "") or "").strip() or "any",
                pref=plist(r.get("preferred_volunteers", "")),
                excl=set(plist(r.get("excluded_volunteers", ""))),
            )
        CA = read(folder, "citizen_availability.csv", False)
        craw = defaultdict(lambda: defaultdict(list))
        if CA is not None:
            for _, r in CA.iterrows():
                craw[r["citizen_id"]]  # mark as having rows
                for d in self._days(r["day"]):
                    craw[r["citizen_id"]][d].append((tmin(r["start"]), tmin(r["end"])))
        self.cavail = {}
        for c in self.cits:
            if c in craw:
                self.cavail[c] = {d: merge(iv) for d, iv in craw[c].items()}
            else:
                self.cavail[c] = {d: list(self.cwin) for d in self.dates}

        R = read(folder, "requests.csv")
        self.reqs = {}
        for _, r in R.iterrows():
            date = popt(r.get("date", ""), dt.date.fromisoformat)
            self.reqs[r["request_id"]] = dict(
                cit=r["citizen_id"],
                act=r["activity"].strip(),
                dur=int(r["duration_min"]),
                spw=popt(r.get("sessions_per_week", ""), int) or 1,
                mode=(r.get("mode", "") or "").strip() or "in_person",
                vet=pbool(r.get("requires_vetting", "")),
                date=date,
                start=popt(r.get("start", ""), tmin),
            )
        P = read(folder, "pins.csv", False)
        self.pins = []
        if P is not None:
            for _, r in P.iterrows():
                date = dt.date.fromisoformat(r["date"])
                self.pins.append((r["request_id"], r["volunteer_id"], date, tmin(r["start"])))

    def _days(self, day: str) -> list[dt.date]:
        day = day.strip()
        if day in WEEKDAYS:
            k = WEEKDAYS.index(day)
            return [d for d in self.dates if d.weekday() == k]
        d = dt.date.fromisoformat(day)
        return [d] if d in self.dateset else []

    def demand(self, rid: str) -> int:
        """Sessions the request asks for over the horizon."""
        r = self.reqs[rid]
        return 1 if r["date"] else r["spw"] * self.weeks

    def dist(self, v: str, c: str) -> float:
        """Straight-line km from volunteer ``v``'s home to citizen ``c``."""
        return haversine(self.vols[v]["pos"], self.cits[c]["pos"])

    def travel(self, v: str, p1: Point, p2: Point) -> int:
        """Whole minutes volunteer ``v`` needs from ``p1`` to ``p2`` (road km at the mode's speed)."""
        if p1 == p2:
            return 0
        d = haversine(p1, p2)
        return math.ceil(d * self.detour / self.speed[self.vols[v]["mode"]] * 60)

    def static_ok(self, rid: str, v: str) -> set[str]:
        """The modes in which ``v`` may serve ``rid`` under hard rules 2-7 (empty: not at all)."""
        r, V = self.reqs[rid], self.vols[v]
        c = self.cits[r["cit"]]
        if r["act"] not in V["skills"] or not (c["langs"] & V["langs"]):
            return set()
        if r["vet"] and not V["vetted"]:
            return set()
        if c["gpref"] != "any" and c["gpref"] != V["gender"]:
            return set()
        if v in c["excl"]:
            return set()
        modes = set()
        if r["mode"] in ("phone", "either"):
            modes.add("phone")
        if r["mode"] in ("in_person", "either"):
            if V["maxkm"] is None or self.dist(v, r["cit"]) <= V["maxkm"] + 1e-9:
                modes.add("in_person")
        return modes

    def week_of(self, d: dt.date) -> int:
        """0-based week of the horizon holding date ``d``."""
        return (d - self.start).days // 7

    # ---------------------------------------------------------------- schedule checking
    def violations(self, sched: pd.DataFrame) -> list[tuple[int, int, str]]:
        """(hard rule, schedule row, message) for every rule the schedule breaks (rule 0: unparseable row)."""
        out = []
        rows = []
        for i, r in sched.iterrows():
            row = i + 2
            try:
                d = dt.date.fromisoformat(str(r["date"]))
                s, e = tmin(r["start"]), tmin(r["end"])
            except Exception as ex:
                out.append((0, row, f"unparseable {ex}"))
                continue
            rid, cid, v, mode = str(r["request_id"]), str(r["citizen_id"]), str(r["volunteer_id"]), str(r["mode"])
            if rid not in self.reqs or v not in self.vols or cid not in self.cits or self.reqs[rid]["cit"] != cid:
                out.append((1, row, "unknown ids or wrong citizen"))
                continue
            R = self.reqs[rid]
            V, C = self.vols[v], self.cits[cid]
            if R["act"] not in V["skills"]:
                out.append((2, row, "skill"))
            if not (C["langs"] & V["langs"]):
                out.append((3, row, "language"))
            if R["vet"] and not V["vetted"]:
                out.append((4, row, "vetting"))
            if C["gpref"] != "any" and C["gpref"] != V["gender"]:
                out.append((5, row, "gender"))
            if v in C["excl"]:
                out.append((6, row, "excluded"))
            if mode not in ("in_person", "phone") or (R["mode"] != "either" and R["mode"] != mode):
                out.append((7, row, f"mode {mode} for {R['mode']}"))
            if mode == "in_person" and V["maxkm"] is not None and self.dist(v, cid) > V["maxkm"] + 1e-9:
                out.append((7, row, f"distance {self.dist(v, cid):.3f} > {V['maxkm']}"))
            if d not in self.dateset:
                out.append((8, row, "date outside horizon"))
            if not inside(self.vavail[v].get(d, []), s, e):
                out.append((8, row, f"volunteer not available {d} {fmt(s)}-{fmt(e)}"))
            if not inside(self.cavail[cid].get(d, []), s, e):
                out.append((8, row, f"citizen not available {d} {fmt(s)}-{fmt(e)}"))
            if e - s != R["dur"]:
                out.append((8, row, "duration"))
            if R["date"] and (d != R["date"] or (R["start"] is not None and s != R["start"])):
                out.append((9, row, "one-off date/start"))
            rows.append((row, rid, cid, v, d, s, e, mode))
        byvd = defaultdict(list)
        bycd = defaultdict(list)
        for x in rows:
            byvd[(x[3], x[4])].append(x)
            bycd[(x[2], x[4])].append(x)
        for (v, _day), xs in byvd.items():
            xs.sort(key=lambda x: (x[5], x[6]))
            for a, b in zip(xs, xs[1:]):
                if b[5] < a[6]:
                    out.append((10, b[0], f"volunteer overlap with row {a[0]}"))
            ip = [x for x in xs if x[7] == "in_person"]
            for a, b in zip(ip, ip[1:]):
                tt = self.travel(v, self.cits[a[2]]["pos"], self.cits[b[2]]["pos"])
                if b[5] - a[6] < tt:
                    out.append((10, b[0], f"travel gap {b[5]-a[6]} < {tt} after row {a[0]}"))
        for xs in bycd.values():
            xs.sort(key=lambda x: (x[5], x[6]))
            for a, b in zip(xs, xs[1:]):
                if b[5] < a[6]:
                    out.append((11, b[0], f"citizen overlap with row {a[0]}"))
        vw = defaultdict(lambda: [0, 0])
        for x in rows:
            k = (x[3], self.week_of(x[4]))
            vw[k][0] += 1
            vw[k][1] += x[6] - x[5]
        for (v, w), (n, m) in vw.items():
            V = self.vols[v]
            if V["maxs"] is not None and n > V["maxs"]:
                out.append((12, 0, f"{v} week {w}: {n} sessions > {V['maxs']}"))
            if V["maxm"] is not None and m > V["maxm"]:
                out.append((12, 0, f"{v} week {w}: {m} min > {V['maxm']}"))
        rw = defaultdict(int)
        rd = defaultdict(int)
        rn = defaultdict(int)
        for x in rows:
            rw[(x[1], self.week_of(x[4]))] += 1
            rd[(x[1], x[4])] += 1
            rn[x[1]] += 1
        for (rid, w), n in rw.items():
            if not self.reqs[rid]["date"] and n > self.reqs[rid]["spw"]:
                out.append((13, 0, f"{rid} week {w}: {n} > {self.reqs[rid]['spw']}"))
        for (rid, d), n in rd.items():
            if n > 1:
                out.append((13, 0, f"{rid} twice on {d}"))
        for rid, n in rn.items():
            if self.reqs[rid]["date"] and n > 1:
                out.append((13, 0, f"one-off {rid} {n} times"))
        have = {(x[1], x[3], x[4], x[5]) for x in rows}
        for p in self.pins:
            if p not in have:
                out.append((14, 0, f"pin {p} missing"))
            elif self.reqs[p[0]]["dur"] and not any(
                (x[1], x[3], x[4], x[5]) == p and x[6] - x[5] == self.reqs[p[0]]["dur"] for x in rows
            ):
                out.append((14, 0, f"pin {p} wrong duration"))
        return out

    def figures(self, sched: pd.DataFrame) -> dict[str, Any]:
        """Demand, sessions served (also weighted by priority) and continuity of a schedule."""
        dem = sum(self.demand(r) for r in self.reqs)
        wdem = sum(self.cits[R["cit"]]["prio"] * self.demand(r) for r, R in self.reqs.items())
        served_p = sum(self.cits[str(c)]["prio"] for c in sched["citizen_id"].astype(str)) if len(sched) else 0
        by = defaultdict(list)
        for _, r in sched.iterrows():
            by[str(r["request_id"])].append(str(r["volunteer_id"]))
        multi = [vs for vs in by.values() if len(vs) >= 2]
        cont = (sum(1 for vs in multi if len(set(vs)) == 1) / len(multi)) if multi else None
        return dict(demand=dem, served=len(sched), weighted_served=served_p, weighted_demand=wdem, continuity=cont)
