"""Tests of the scenario generator (workbench.scenario.generate)."""

from __future__ import annotations

import re
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workbench.scenario.generate import DEFAULT_START_DATE, demanded_sessions, generate, generate_tables
from workbench.scenario.types import COLUMNS

TIME = re.compile(r"^\d{2}:\d{2}$")
WEEKDAYS = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"}


def _minutes(text: str) -> int:
    h, m = text.split(":")
    return int(h) * 60 + int(m)


def _horizon(settings_: dict) -> tuple[date, date]:
    start = settings_["start_date"]
    return start, start + timedelta(days=7 * settings_["weeks"] - 1)


def _contract_problems(tables: dict[str, pd.DataFrame], settings_: dict) -> list[str]:
    """Check the generated text cells against the contract's input rules, independently of the reader."""
    problems: list[str] = []
    first, last = _horizon(settings_)
    if first.weekday() != 0:
        problems.append("start_date is not a Monday")
    for name, table in tables.items():
        if list(table.columns) != list(COLUMNS[name]):
            problems.append(f"{name}: columns {list(table.columns)}")
        if not all(isinstance(v, str) for col in table.columns for v in table[col]):
            problems.append(f"{name}: a cell is not text")
    vol, cit, req = tables["volunteers"], tables["citizens"], tables["requests"]
    vids, cids = set(vol["volunteer_id"]), set(cit["citizen_id"])
    for name, table, key in (("volunteers", vol, "volunteer_id"), ("citizens", cit, "citizen_id"),
                             ("requests", req, "request_id")):
        if table[key].duplicated().any() or (table[key] == "").any():
            problems.append(f"{name}: ids not unique or empty")
    for table in (vol, cit):
        lat, lon = table["lat"].astype(float), table["lon"].astype(float)
        if not (lat.between(-90, 90).all() and lon.between(-180, 180).all()):
            problems.append("coordinates out of range")
        if (table["languages"] == "").any():
            problems.append("empty languages")
    if not vol["vetted"].isin(["true", "false"]).all():
        problems.append("vetted not a bool")
    if not vol["gender"].isin(["f", "m", "x", ""]).all():
        problems.append("bad gender")
    if not vol["travel_mode"].isin(["walk", "bike", "transit", "car"]).all():
        problems.append("bad travel_mode")
    for col in ("max_travel_km", "max_sessions_per_week", "max_minutes_per_week"):
        values = vol[col][vol[col] != ""].astype(float)
        if (values < 0).any():
            problems.append(f"negative {col}")
    if not cit["priority"].astype(int).between(1, 5).all():
        problems.append("priority outside 1..5")
    if not cit["gender_preference"].isin(["any", "f", "m"]).all():
        problems.append("bad gender_preference")
    for col in ("preferred_volunteers", "excluded_volunteers"):
        refs = {v for cell in cit[col] for v in cell.split(";") if v}
        if not refs <= vids:
            problems.append(f"{col} names unknown volunteers")
    for name, table, key, known in (("volunteer_availability", tables["volunteer_availability"], "volunteer_id",
                                     vids),
                                    ("citizen_availability", tables["citizen_availability"], "citizen_id", cids)):
        if not set(table[key]) <= known:
            problems.append(f"{name}: unknown ids")
        for day, s, e in zip(table["day"], table["start"], table["end"]):
            if not (TIME.match(s) and TIME.match(e) and _minutes(s) < _minutes(e) <= 24 * 60):
                problems.append(f"{name}: bad window {s}-{e}")
            if day not in WEEKDAYS and not first <= date.fromisoformat(day) <= last:
                problems.append(f"{name}: date {day} outside the horizon")
    absences = tables["volunteer_absences"]
    if not set(absences["volunteer_id"]) <= vids:
        problems.append("absence of an unknown volunteer")
    for a, b in zip(absences["from_date"], absences["to_date"]):
        if date.fromisoformat(a) > date.fromisoformat(b):
            problems.append("absence ends before it starts")
    if not set(req["citizen_id"]) <= cids:
        problems.append("request of an unknown citizen")
    if not (req["duration_min"].astype(int) > 0).all() or not (req["sessions_per_week"].astype(int) >= 1).all():
        problems.append("bad duration or sessions_per_week")
    if not req["mode"].isin(["in_person", "phone", "either"]).all():
        problems.append("bad mode")
    for d, s, dur in zip(req["date"], req["start"], req["duration_min"]):
        if d and not first <= date.fromisoformat(d) <= last:
            problems.append(f"one-off date {d} outside the horizon")
        if s and (not d or not TIME.match(s) or _minutes(s) + int(dur) > 24 * 60):
            problems.append(f"bad one-off start {s}")
    if len(tables["pins"]):
        problems.append("a fresh scenario should have no pins")
    return problems


def test_same_seed_gives_identical_tables() -> None:
    """The same arguments produce exactly the same tables and settings."""
    a_tables, a_settings = generate_tables(60, 120, 2, seed=7)
    b_tables, b_settings = generate_tables(60, 120, 2, seed=7)
    assert a_settings == b_settings
    for name in a_tables:
        pd.testing.assert_frame_equal(a_tables[name], b_tables[name])


def test_different_seeds_differ() -> None:
    """Different seeds produce different volunteers, citizens and requests."""
    a, _ = generate_tables(60, 120, 2, seed=1)
    b, _ = generate_tables(60, 120, 2, seed=2)
    for name in ("volunteers", "citizens", "requests", "volunteer_availability"):
        assert not a[name].equals(b[name]), name


def test_sizes_and_ids_respected() -> None:
    """Exactly the requested numbers of volunteers and citizens, with readable ids."""
    tables, _ = generate_tables(123, 457, 1, seed=0)
    assert len(tables["volunteers"]) == 123
    assert len(tables["citizens"]) == 457
    assert tables["volunteers"]["volunteer_id"].iloc[[0, -1]].tolist() == ["v0001", "v0123"]
    assert tables["citizens"]["citizen_id"].iloc[[0, -1]].tolist() == ["c0001", "c0457"]
    assert tables["requests"]["request_id"].iloc[0] == "r0001"
    assert set(tables["requests"]["citizen_id"]) == set(tables["citizens"]["citizen_id"])


def test_generated_tables_obey_the_contract() -> None:
    """Every generated cell obeys the contract's input rules (checked here independently of the reader)."""
    tables, settings_ = generate_tables(200, 400, 3, seed=11)
    assert _contract_problems(tables, settings_) == []


def test_ten_volunteers_and_one_citizen_work() -> None:
    """Tiny scenarios (10 volunteers; a single citizen) generate and load."""
    small = generate(10, 30, 1, seed=4)
    assert len(small.volunteers) == 10 and len(small.citizens) == 30
    single = generate(10, 1, 1, seed=5)
    assert len(single.citizens) == 1 and len(single.requests) >= 1


def test_weeks_and_start_date_respected() -> None:
    """The horizon has the requested weeks and start; the default start is the fixed Monday 2026-01-05."""
    _, settings_ = generate_tables(20, 20, 3, seed=0)
    assert settings_["weeks"] == 3
    assert settings_["start_date"] == DEFAULT_START_DATE == date(2026, 1, 5)
    assert DEFAULT_START_DATE.weekday() == 0
    scenario = generate(20, 20, 5, seed=0, start_date=date(2026, 3, 2))
    assert scenario.settings.weeks == 5
    assert scenario.settings.start_date == date(2026, 3, 2)


def test_non_monday_start_and_bad_sizes_are_refused() -> None:
    """A start that is not a Monday, or a size below 1, raises ValueError."""
    with pytest.raises(ValueError, match="Monday"):
        generate_tables(start_date=date(2026, 1, 6))
    with pytest.raises(ValueError):
        generate_tables(volunteers=10, citizens=0)
    with pytest.raises(ValueError):
        generate_tables(weeks=0)


def test_one_offs_and_dated_rows_lie_in_the_horizon() -> None:
    """One-off request dates, ad-hoc availability dates and absences all fall inside the horizon."""
    for weeks in (1, 2, 4):
        tables, settings_ = generate_tables(80, 300, weeks, seed=weeks)
        first, last = _horizon(settings_)
        req = tables["requests"]
        one_off = req[req["date"] != ""]
        assert len(one_off) > 0
        assert all(first <= date.fromisoformat(d) <= last for d in one_off["date"])
        dated = [d for d in tables["volunteer_availability"]["day"] if d not in WEEKDAYS]
        assert dated, "ad-hoc helpers have dated availability rows"
        assert all(first <= date.fromisoformat(d) <= last for d in dated)
        absences = tables["volunteer_absences"]
        assert all(first <= date.fromisoformat(d) <= last for d in pd.concat([absences["from_date"],
                                                                            absences["to_date"]]))


def test_escort_one_offs_usually_fit_the_citizen_window() -> None:
    """Escorts have a date and start, and mostly start and end inside the citizen's free time."""
    tables, settings_ = generate_tables(100, 600, 2, seed=3)
    req = tables["requests"]
    escorts = req[req["activity"] == "escort"]
    assert len(escorts) > 0 and (escorts["date"] != "").all() and (escorts["start"] != "").all()
    rows = tables["citizen_availability"]
    fits = 0
    for cid, d, s, dur in zip(escorts["citizen_id"], escorts["date"], escorts["start"], escorts["duration_min"]):
        begin, end = _minutes(s), _minutes(s) + int(dur)
        own = rows[rows["citizen_id"] == cid]
        weekday = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")[date.fromisoformat(d).weekday()]
        if own.empty:
            window = [(_minutes(settings_["citizen_window"][0]), _minutes(settings_["citizen_window"][1]))]
        else:
            window = [(_minutes(a), _minutes(b)) for day, a, b in zip(own["day"], own["start"], own["end"])
                      if day == weekday]
        fits += any(a <= begin and end <= b for a, b in window)
    assert fits >= 0.8 * len(escorts)


def test_calibrated_to_modelling_notes() -> None:
    """300/600/4 weeks gives about 760 requests and 3,200 demanded sessions, as the notes measured."""
    tables, _ = generate_tables(300, 600, 4, seed=2)
    assert 680 <= len(tables["requests"]) <= 840
    assert 2800 <= demanded_sessions(tables, 4) <= 3600


def test_realistic_mix_of_people() -> None:
    """The population has the documented variety: kinds, languages, districts with unequal supply."""
    tables, _ = generate_tables(300, 600, 2, seed=8)
    vol, cit = tables["volunteers"], tables["citizens"]
    assert (cit["languages"].str.split(";").map(lambda ls: "da" not in ls)).mean() > 0.03
    assert (vol["languages"].str.contains("da")).mean() > 0.9
    assert (vol["max_travel_km"] == "").any() and (vol["max_sessions_per_week"] == "").any()
    assert (vol["gender"] == "").any() and set(vol["gender"]) >= {"f", "m"}
    assert 5 <= cit["priority"].value_counts()["5"] <= 0.25 * len(cit)
    assert (cit["preferred_volunteers"] != "").any() and (cit["excluded_volunteers"] != "").any()
    assert 0.2 <= cit["citizen_id"].isin(tables["citizen_availability"]["citizen_id"]).mean() <= 0.4
    assert set(tables["requests"]["activity"]) == {"visit", "walk", "it_help", "escort", "meal"}
    assert set(tables["requests"]["mode"]) == {"in_person", "phone", "either"}
    # Equity matters: some district has fewer volunteers than citizens. Volunteers have no district
    # column, so compare against the nearest district centre.
    from workbench.scenario.generate import DISTRICTS

    def nearest(lat: pd.Series, lon: pd.Series) -> pd.Series:
        d = pd.DataFrame({x.name: (lat.astype(float) - x.lat) ** 2 + ((lon.astype(float) - x.lon) * 0.56) ** 2
                          for x in DISTRICTS})
        return d.idxmin(axis=1)

    v_counts = nearest(vol["lat"], vol["lon"]).value_counts()
    c_counts = cit["district"].value_counts()
    assert (c_counts.reindex(v_counts.index, fill_value=0) > v_counts).any()


def test_large_generation_is_fast() -> None:
    """5,000 volunteers and 10,000 citizens are generated in well under 10 seconds."""
    began = time.perf_counter()
    tables, _ = generate_tables(5000, 10000, 4, seed=9)
    assert time.perf_counter() - began < 10
    assert len(tables["volunteers"]) == 5000 and len(tables["citizens"]) == 10000


def test_generate_loads_with_only_realistic_warnings() -> None:
    """generate() returns a validated Scenario whose demand matches the tables; warnings only on languages."""
    tables, settings_ = generate_tables(40, 80, 2, seed=1)
    scenario = generate(40, 80, 2, seed=1)
    assert scenario.name == settings_["name"]
    assert int(scenario.demand().sum()) == demanded_sessions(tables, 2)
    # A small city may lack a volunteer for a rare language (realistic); nobody lacks availability.
    assert all("no volunteer speaks" in str(w) for w in scenario.warnings)


def test_name_is_used() -> None:
    """An explicit name ends up in the settings and the scenario."""
    assert generate(12, 12, 1, seed=0, name="my test").name == "my test"


@settings(max_examples=15, deadline=None)
@given(
    volunteers=st.integers(1, 40),
    citizens=st.integers(1, 40),
    weeks=st.integers(1, 3),
    seed=st.integers(0, 2**32 - 1),
)
def test_generated_scenarios_load_and_round_trip(volunteers: int, citizens: int, weeks: int, seed: int) -> None:
    """Any small generated scenario loads and survives save → load as CSV folder and as .xlsx."""
    from workbench.scenario.read import load, scenario_from_tables
    from workbench.scenario.write import save

    tables, settings_ = generate_tables(volunteers, citizens, weeks, seed)
    assert _contract_problems(tables, settings_) == []
    scenario = scenario_from_tables(tables, settings_, source="generated")
    with tempfile.TemporaryDirectory() as tmp:
        folder = save(scenario, Path(tmp) / "scenario")
        assert load(folder).equals(scenario)
        workbook = save(scenario, Path(tmp) / "scenario.xlsx")
        assert load(workbook).equals(scenario)
