"""Shared fixtures: named tiny scenarios written from inline CSV text."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

import workbench

# "base": one week from Monday 2026-01-05. A valid schedule (BASE_SCHEDULE) keeps every
# rule; the volunteers v3..v7 each lack exactly one thing, so a test can break one rule alone.
BASE = {
    "scenario.toml": """
        name = "base"
        start_date = 2026-01-05
        weeks = 1
    """,
    "volunteers.csv": """
        volunteer_id,name,lat,lon,skills,languages,vetted,gender,travel_mode,max_travel_km,max_sessions_per_week,max_minutes_per_week
        v1,Anna,55.680,12.570,visit;walk,da;en,yes,f,bike,5,3,150
        v2,Bo,55.700,12.600,visit,da,no,m,walk,10,,
        v3,Cille,55.680,12.570,walk,da;en;ar,yes,f,bike,5,,
        v4,Dorota,55.680,12.570,visit;walk,pl,yes,f,bike,5,,
        v5,Emil,55.680,12.570,visit;walk,da;en,no,m,bike,5,,
        v7,Gry,55.800,12.570,visit;walk,da,yes,f,bike,3,,
    """,
    "volunteer_availability.csv": """
        volunteer_id,day,start,end
        v1,mon,09:00,12:00
        v1,mon,12:00,15:00
        v1,wed,09:00,17:00
        v2,tue,10:00,16:00
        v3,mon,09:00,15:00
        v3,tue,09:00,15:00
        v4,mon,09:00,15:00
        v5,mon,09:00,15:00
        v7,mon,09:00,15:00
    """,
    "volunteer_absences.csv": """
        volunteer_id,from_date,to_date
        v1,2026-01-07,2026-01-07
    """,
    "citizens.csv": """
        citizen_id,name,lat,lon,languages,priority,gender_preference,excluded_volunteers,district
        c1,Carl,55.681,12.571,da,5,any,v2,north
        c2,Dagmar,55.690,12.580,ar;da,3,f,,north
        c3,Erik,55.682,12.575,en,2,any,v5,south
    """,
    "citizen_availability.csv": """
        citizen_id,day,start,end
        c3,mon,13:00,15:00
    """,
    "requests.csv": """
        request_id,citizen_id,activity,duration_min,sessions_per_week,mode,requires_vetting,date,start
        r1,c1,visit,60,1,in_person,true,,
        r2,c2,walk,60,1,either,false,,
        r3,c3,visit,30,1,phone,false,,
        r4,c2,walk,60,1,in_person,false,2026-01-05,12:00
        r5,c1,walk,30,1,phone,false,,
    """,
    "pins.csv": """
        request_id,volunteer_id,date,start
        r5,v3,2026-01-05,14:00
    """,
}

BASE_SCHEDULE = """
    request_id,citizen_id,volunteer_id,date,start,end,mode
    r1,c1,v1,2026-01-05,09:00,10:00,in_person
    r2,c2,v1,2026-01-05,10:30,11:30,in_person
    r4,c2,v3,2026-01-05,12:00,13:00,in_person
    r3,c3,v1,2026-01-05,13:00,13:30,phone
    r5,c1,v3,2026-01-05,14:00,14:30,phone
"""


def write_scenario(folder: Path, files: dict[str, str]) -> Path:
    """Write inline CSV/TOML texts (dedented) into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(textwrap.dedent(text).strip() + "\n", encoding="utf-8")
    return folder


def csv_frame(text: str) -> pd.DataFrame:
    """A text-cell DataFrame from inline CSV."""
    import io

    return pd.read_csv(io.StringIO(textwrap.dedent(text).strip()), dtype=str, keep_default_na=False)


@pytest.fixture
def base_dir(tmp_path: Path) -> Path:
    return write_scenario(tmp_path / "base", BASE)


@pytest.fixture
def base(base_dir: Path) -> workbench.Scenario:
    return workbench.load(base_dir)


@pytest.fixture
def base_schedule() -> pd.DataFrame:
    return csv_frame(BASE_SCHEDULE)


@pytest.fixture
def make_scenario(tmp_path: Path) -> Callable[..., Path]:
    """Write BASE with some files replaced (or removed with None) and return the folder."""
    counter = iter(range(10_000))

    def make(**files: str | None) -> Path:
        merged = dict(BASE)
        for key, text in files.items():
            name = key.replace("__", ".")
            if text is None:
                merged.pop(name, None)
            else:
                merged[name] = text
        return write_scenario(tmp_path / f"s{next(counter)}", merged)

    return make
