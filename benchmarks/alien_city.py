"""Cities drawn by a generator that is *not* the project's (``workbench.scenario.generate``).

The engine must be strong on scenarios it was never tuned on. This generator
shares nothing with the project's: no districts or volunteer kinds, a uniform
square region (or villages), availability windows of any length on any day,
several windows a day, durations and weekly frequencies from wide ranges, its
own activities and languages. It writes the contract's CSV files only.

    python benchmarks/alien_city.py --out DIR --volunteers 300 --citizens 600 --weeks 4 --seed 1 [--villages 6]
"""

from __future__ import annotations

import argparse
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

ACTIVITIES = ("company", "shopping", "computer", "garden", "hospital", "reading")
LANGS = ("da", "en", "de", "ar", "pl", "tr", "so", "uk")
LANG_P = np.array([0.9, 0.5, 0.1, 0.08, 0.06, 0.05, 0.03, 0.04])
START = date(2027, 3, 1)  # a Monday


def _hhmm(m: int) -> str:
    return f"{m // 60:02d}:{m % 60:02d}"


def _windows(rng: np.random.Generator, n_days: tuple[int, int], length_h: tuple[float, float]) -> list[tuple]:
    rows = []
    days = rng.choice(7, size=int(rng.integers(*n_days)), replace=False)
    for d in sorted(days):
        for _ in range(1 if rng.random() < 0.75 else 2):
            length = int(rng.uniform(*length_h) * 4) * 15
            start = int(rng.integers(7 * 4, 20 * 4)) * 15
            end = min(start + max(length, 30), 22 * 60)
            rows.append((("mon", "tue", "wed", "thu", "fri", "sat", "sun")[d], start, end))
    return rows


def alien_tables(volunteers: int, citizens: int, weeks: int, seed: int, villages: int = 0,
                 side_km: float = 12.0) -> tuple[dict[str, pd.DataFrame], dict]:
    rng = np.random.default_rng(seed + 7919)
    lat0, lon0 = 55.4, 9.9

    def place(n: int) -> tuple[np.ndarray, np.ndarray]:
        if villages:
            centres = rng.uniform(0, side_km, size=(villages, 2))
            which = rng.integers(0, villages, n)
            xy = centres[which] + rng.normal(0, 0.8, size=(n, 2))
        else:
            xy = rng.uniform(0, side_km, size=(n, 2))
        return lat0 + xy[:, 0] / 111.2, lon0 + xy[:, 1] / (111.2 * np.cos(np.radians(lat0)))

    vlat, vlon = place(volunteers)
    v_rows, va_rows = [], []
    for i in range(volunteers):
        langs = [lang for lang, p in zip(LANGS, LANG_P) if rng.random() < p] or ["en"]
        skills = [a for a in ACTIVITIES if rng.random() < 0.45] or [ACTIVITIES[int(rng.integers(0, 6))]]
        mode = rng.choice(["walk", "bike", "transit", "car"], p=[0.15, 0.35, 0.2, 0.3])
        v_rows.append({
            "volunteer_id": f"V{i}", "name": f"Volunteer {i}", "lat": f"{vlat[i]:.5f}", "lon": f"{vlon[i]:.5f}",
            "skills": ";".join(skills), "languages": ";".join(langs), "vetted": str(rng.random() < 0.5).lower(),
            "gender": rng.choice(["f", "m", "x", ""], p=[0.55, 0.4, 0.03, 0.02]), "travel_mode": mode,
            "max_travel_km": "" if rng.random() < 0.2 else f"{rng.uniform(1.5, 20):.1f}",
            "max_sessions_per_week": "" if rng.random() < 0.1 else str(int(rng.integers(1, 7))),
            "max_minutes_per_week": str(int(rng.integers(2, 20)) * 30) if rng.random() < 0.35 else "",
        })
        for day, s, e in _windows(rng, (1, 7), (1.0, 11.0)):
            va_rows.append({"volunteer_id": f"V{i}", "day": day, "start": _hhmm(s), "end": _hhmm(e)})
    horizon = [START + timedelta(days=k) for k in range(7 * weeks)]
    ab_rows = []
    for i in np.flatnonzero(rng.random(volunteers) < 0.1):
        a = int(rng.integers(0, len(horizon)))
        b = min(len(horizon) - 1, a + int(rng.integers(0, 10)))
        ab_rows.append({"volunteer_id": f"V{i}", "from_date": horizon[a].isoformat(),
                        "to_date": horizon[b].isoformat()})

    clat, clon = place(citizens)
    c_rows, ca_rows, r_rows = [], [], []
    rid = 0
    for i in range(citizens):
        langs = [lang for lang, p in zip(LANGS, LANG_P) if rng.random() < p * 0.9] or ["da"]
        c_rows.append({
            "citizen_id": f"C{i}", "name": f"Citizen {i}", "lat": f"{clat[i]:.5f}", "lon": f"{clon[i]:.5f}",
            "languages": ";".join(langs), "district": f"zone-{int(clat[i] * 1000) % 5}",
            "priority": str(int(rng.integers(1, 6))),
            "gender_preference": rng.choice(["any", "f", "m"], p=[0.8, 0.15, 0.05]),
        })
        own = rng.random() < 0.5
        windows = _windows(rng, (2, 6), (2.0, 9.0)) if own else []
        for day, s, e in windows:
            ca_rows.append({"citizen_id": f"C{i}", "day": day, "start": _hhmm(s), "end": _hhmm(e)})
        for _ in range(int(rng.choice([1, 2, 3], p=[0.6, 0.3, 0.1]))):
            act = ACTIVITIES[int(rng.integers(0, 6))]
            one_off = rng.random() < 0.15
            duration = int(rng.integers(2, 13)) * 15
            row = {"request_id": f"R{rid}", "citizen_id": f"C{i}", "activity": act, "duration_min": str(duration),
                   "sessions_per_week": "1" if one_off else str(int(rng.choice([1, 2, 3], p=[0.7, 0.25, 0.05]))),
                   "mode": rng.choice(["in_person", "phone", "either"], p=[0.6, 0.15, 0.25]),
                   "requires_vetting": str(rng.random() < 0.3).lower(), "date": "", "start": ""}
            if one_off:
                d = horizon[int(rng.integers(0, len(horizon)))]
                row["date"] = d.isoformat()
                if rng.random() < 0.6:
                    row["start"] = _hhmm(int(rng.integers(8 * 4, 17 * 4)) * 15)
                    row["mode"] = "in_person"
            r_rows.append(row)
            rid += 1
    tables = {
        "volunteers": pd.DataFrame(v_rows), "volunteer_availability": pd.DataFrame(va_rows),
        "volunteer_absences": pd.DataFrame(ab_rows, columns=["volunteer_id", "from_date", "to_date"]),
        "citizens": pd.DataFrame(c_rows), "citizen_availability": pd.DataFrame(ca_rows, columns=[
            "citizen_id", "day", "start", "end"]),
        "requests": pd.DataFrame(r_rows), "pins": pd.DataFrame(columns=["request_id", "volunteer_id", "date", "start"]),
    }
    settings = {"name": f"alien-{volunteers}v-{citizens}c-{weeks}w-seed{seed}", "start_date": START, "weeks": weeks}
    return tables, settings


def write(out: Path, tables: dict[str, pd.DataFrame], settings: dict) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for name, frame in tables.items():
        frame.to_csv(out / f"{name}.csv", index=False)
    (out / "scenario.toml").write_text(f'name = "{settings["name"]}"\nstart_date = '
                                       f'{settings["start_date"].isoformat()}\nweeks = {settings["weeks"]}\n')


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", required=True, type=Path)
    p.add_argument("--volunteers", type=int, default=300)
    p.add_argument("--citizens", type=int, default=600)
    p.add_argument("--weeks", type=int, default=4)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--villages", type=int, default=0, help="people live in this many villages (0: spread evenly)")
    p.add_argument("--side-km", type=float, default=12.0)
    a = p.parse_args()
    write(a.out, *alien_tables(a.volunteers, a.citizens, a.weeks, a.seed, a.villages, a.side_km))


if __name__ == "__main__":
    main()
