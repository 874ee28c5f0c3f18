"""Reading scenarios: every input rule checked, all problems at once, clear messages, nothing modified."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest
from conftest import BASE

import workbench
from workbench.errors import InputError


def _problems(folder: Path) -> list[str]:
    with pytest.raises(InputError) as exc:
        workbench.load(folder)
    return [str(p) for p in exc.value.problems]


def _digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_base_loads(base):
    """The base scenario loads with its parsed values."""
    v = base.volunteers.set_index("volunteer_id")
    assert v.at["v1", "skills"] == ("visit", "walk")
    assert v.at["v1", "max_sessions_per_week"] == 3
    assert v.at["v2", "max_sessions_per_week"] == float("inf")
    assert base.requests.set_index("request_id").at["r4", "start"] == 12 * 60


BAD = [
    ("missing file", {"citizens.csv": None}, ["citizens.csv", "required file is missing"]),
    ("missing column", {"volunteers.csv": "volunteer_id,lat,lon,skills\nv1,55.6,12.5,visit\n"},
     ["volunteers.csv", "column 'languages'", "required column is missing"]),
    ("duplicate id", {"citizens.csv": "citizen_id,lat,lon,languages\nc1,55.6,12.5,da\nc2,55.6,12.5,da\n"
                                      "c3,55.6,12.5,da\nc1,55.6,12.5,da\n"},
     ["citizens.csv, row 5, column 'citizen_id'", "duplicate id (first used in row 2)"]),
    ("unknown reference", {"requests.csv": "request_id,citizen_id,activity,duration_min\nr1,c9,visit,60\n"},
     ["requests.csv, row 2, column 'citizen_id'", "unknown reference", "'c9'"]),
    ("25:00", {"volunteer_availability.csv": "volunteer_id,day,start,end\nv1,mon,09:00,25:00\n"},
     ["volunteer_availability.csv, row 2, column 'end'", "'25:00'", "HH:MM"]),
    ("end before start", {"volunteer_availability.csv": "volunteer_id,day,start,end\nv1,mon,12:00,12:00\n"},
     ["volunteer_availability.csv, row 2, column 'end'", "end is not after start"]),
    ("start not a Monday", {"scenario.toml": "start_date = 2026-01-06\nweeks = 1\n"},
     ["scenario.toml, line 1, setting 'start_date'", "must be a Monday", "Tuesday", "2026-01-05"]),
    ("latitude 200", {"citizens.csv": "citizen_id,lat,lon,languages\nc1,200,12.5,da\nc2,55,12,da\nc3,55,12,da\n"},
     ["citizens.csv, row 2, column 'lat'", "'200'", "between -90 and 90"]),
    ("negative duration", {"requests.csv": "request_id,citizen_id,activity,duration_min\nr1,c1,visit,-30\n"},
     ["requests.csv, row 2, column 'duration_min'", "'-30'", "> 0"]),
    ("empty languages", {"citizens.csv": "citizen_id,lat,lon,languages\nc1,55,12,\nc2,55,12,da\nc3,55,12,da\n"},
     ["citizens.csv, row 2, column 'languages'", "must not be empty"]),
    ("non-numeric cell", {"volunteers.csv": BASE["volunteers.csv"].replace("v2,Bo,55.700", "v2,Bo,north")},
     ["volunteers.csv, row 3, column 'lat'", "'north'"]),
    ("start without date",
     {"requests.csv": "request_id,citizen_id,activity,duration_min,start\nr1,c1,visit,60,10:00\n"},
     ["requests.csv, row 2, column 'start'", "start without date"]),
    ("empty id", {"requests.csv": "request_id,citizen_id,activity,duration_min\n,c1,visit,60\n"},
     ["requests.csv, row 2, column 'request_id'", "required value is empty"]),
    ("pin without volunteer", {"pins.csv": "request_id,volunteer_id,date,start\nr1,,2026-01-05,09:00\n"},
     ["pins.csv, row 2, column 'volunteer_id'", "required value is empty"]),
    ("unknown travel mode", {"volunteers.csv": BASE["volunteers.csv"].replace(",bike,5,3,150", ",rocket,5,3,150")},
     ["volunteers.csv, row 2, column 'travel_mode'", "'rocket'", "walk, bike, transit or car"]),
    ("priority 6", {"citizens.csv": "citizen_id,lat,lon,languages,priority\nc1,55,12,da,6\nc2,55,12,da,\n"
                                    "c3,55,12,da,1\n"},
     ["citizens.csv, row 2, column 'priority'", "'6'", "1..5"]),
    ("unknown gender", {"volunteers.csv": BASE["volunteers.csv"].replace(",yes,f,bike,5,3", ",yes,q,bike,5,3")},
     ["volunteers.csv, row 2, column 'gender'", "'q'", "f, m, x or empty"]),
    ("bad bool", {"volunteers.csv": BASE["volunteers.csv"].replace(",da;en,yes,f", ",da;en,maybe,f")},
     ["volunteers.csv, row 2, column 'vetted'", "'maybe'", "true/false"]),
    ("bad mode", {"requests.csv": "request_id,citizen_id,activity,duration_min,mode\nr1,c1,visit,60,video\n"},
     ["requests.csv, row 2, column 'mode'", "'video'", "in_person, phone or either"]),
    ("absence backwards", {"volunteer_absences.csv": "volunteer_id,from_date,to_date\nv1,2026-01-07,2026-01-06\n"},
     ["volunteer_absences.csv, row 2, column 'to_date'", "to_date before from_date"]),
    ("weeks 0", {"scenario.toml": "start_date = 2026-01-05\nweeks = 0\n"},
     ["scenario.toml, line 2, setting 'weeks'", "'0'", "a whole number of weeks 1..520"]),
    ("detour below 1", {"scenario.toml": "start_date = 2026-01-05\nweeks = 1\ndetour_factor = 0.5\n"},
     ["scenario.toml, line 3, setting 'detour_factor'", "'0.5'", "a number 1..5"]),
    ("citizen window backwards",
     {"scenario.toml": 'start_date = 2026-01-05\nweeks = 1\ncitizen_window = ["20:00", "09:00"]\n'},
     ["scenario.toml, line 3, setting 'citizen_window'", "the end after the start"]),
    ("bad speed", {"scenario.toml": "start_date = 2026-01-05\nweeks = 1\n[speed_kmh]\nbike = -3\n"},
     ["scenario.toml, line 4, setting 'speed_kmh.bike'", "'-3'", "km/h > 0"]),
    ("impossible pin", {"pins.csv": "request_id,volunteer_id,date,start\nr1,v2,2026-01-05,09:00\n"},
     ["pins.csv, row 2", "pin breaks hard rule"]),
]


@pytest.mark.parametrize(("what", "files", "expected"), BAD, ids=[b[0] for b in BAD])
def test_bad_input_is_named_precisely(make_scenario, what, files, expected):
    """Each kind of bad input gives a message naming file, row, column and what is expected."""
    folder = make_scenario(**{k.replace(".", "__"): v for k, v in files.items()})
    text = "\n".join(_problems(folder))
    for part in expected:
        assert part in text, f"{what}: {part!r} not in\n{text}"


def test_all_problems_are_reported_at_once(make_scenario):
    """Several problems in several files come back together."""
    folder = make_scenario(
        citizens__csv="citizen_id,lat,lon,languages\nc1,200,12.5,da\nc2,55,12,\nc3,55,12,da\n",
        volunteer_availability__csv="volunteer_id,day,start,end\nv1,mon,09:00,25:00\nv1,funday,09:00,10:00\n",
    )
    text = "\n".join(_problems(folder))
    for part in ("column 'lat'", "column 'languages'", "'25:00'", "'funday'"):
        assert part in text


def test_bom_and_extra_columns_are_fine(make_scenario):
    """A UTF-8 BOM is tolerated and unknown columns are kept (and ignored by the rules)."""
    folder = make_scenario()
    vol = folder / "volunteers.csv"
    text = vol.read_text(encoding="utf-8").splitlines()
    text[0] += ",notes"
    text[1:] = [line + ",likes cats" for line in text[1:]]
    vol.write_bytes(b"\xef\xbb\xbf" + ("\n".join(text) + "\n").encode("utf-8"))
    s = workbench.load(folder)
    assert list(s.volunteers["notes"].unique()) == ["likes cats"]
    assert s.volunteers["volunteer_id"].iloc[0] == "v1"


def test_blank_rows_keep_spreadsheet_row_numbers(make_scenario):
    """A blank line is skipped but later rows keep the numbers a spreadsheet shows."""
    folder = make_scenario(citizens__csv="citizen_id,lat,lon,languages\nc1,55,12,da\n\nc2,55,12,da\nc3,95,12,da\n")
    assert any("row 5, column 'lat'" in p for p in _problems(folder))


def test_round_trip_folder_and_workbook(base, tmp_path):
    """load → save → load gives the same scenario, as a folder and as one workbook."""
    for target in (tmp_path / "copy", tmp_path / "copy.xlsx"):
        workbench.save(base, target)
        again = workbench.load(target)
        assert again.equals(base), target


def test_save_never_overwrites_without_asking(base, base_dir):
    """Saving over existing scenario files is refused unless asked, and leaves them untouched."""
    before = _digest(base_dir)
    with pytest.raises(FileExistsError):
        workbench.save(base, base_dir)
    assert _digest(base_dir) == before


def test_workbook_cells_typed_by_people(base, tmp_path):
    """Real date/time cells, numbers typed as ids and trailing empty rows are read as their text."""
    import datetime as dt

    path = tmp_path / "typed.xlsx"
    workbench.save(base, path)
    wb = openpyxl.load_workbook(path)
    ws = wb["volunteer_availability"]
    ws["C2"] = dt.time(9, 0)
    ws["B2"] = "mon"
    ws.append([None, None, None, None])
    assert wb["scenario"]["A3"].value == "start_date"
    wb["scenario"]["B3"] = dt.datetime(2026, 1, 5)
    req = wb["requests"]
    for row in req.iter_rows(min_row=2):
        if row[0].value == "r4":
            row[7].value = dt.datetime(2026, 1, 5)
            row[8].value = dt.time(12, 0)
    wb.save(path)
    again = workbench.load(path)
    assert again.equals(base)


def _workbook_without(scenario: workbench.Scenario, path: Path, sheet: str) -> Path:
    """The scenario saved as one workbook, minus one sheet."""
    workbench.save(scenario, path)
    wb = openpyxl.load_workbook(path)
    del wb[sheet]
    wb.save(path)
    return path


def test_workbook_missing_sheet(base, tmp_path):
    """A workbook without a required sheet names the sheet."""
    path = _workbook_without(base, tmp_path / "w.xlsx", "citizens")
    with pytest.raises(InputError) as exc:
        workbench.load(path)
    assert "w.xlsx, sheet citizens: required sheet is missing" in str(exc.value)


def test_warnings_for_suspicious_data(make_scenario):
    """Legal but suspicious data loads with warnings: unknown activity, no availability, unspoken language."""
    folder = make_scenario(
        requests__csv="request_id,citizen_id,activity,duration_min\nr1,c1,juggling,60\n",
        citizens__csv="citizen_id,lat,lon,languages\nc1,55,12,da\nc2,55,12,sw\nc3,55,12,da\n",
        pins__csv=None,
    )
    s = workbench.load(folder)
    text = "\n".join(str(w) for w in s.warnings)
    assert "no volunteer offers the activity 'juggling'" in text
    assert "citizen c2: no volunteer speaks sw" in text
    assert "has no availability" not in text
    folder2 = make_scenario(volunteer_availability__csv="volunteer_id,day,start,end\nv1,mon,09:00,15:00\n"
                                                         "v3,mon,09:00,15:00\n")
    s2 = workbench.load(folder2)
    assert any("volunteer v2 has no availability" in str(w) for w in s2.warnings)


@pytest.mark.parametrize(("what", "files", "expected"), BAD, ids=[b[0] for b in BAD])
def test_cli_bad_input_exit_2_no_traceback_nothing_changed(make_scenario, tmp_path, what, files, expected):
    """The CLI reports bad input on stderr with exit code 2, no traceback, and changes no file."""
    folder = make_scenario(**{k.replace(".", "__"): v for k, v in files.items()})
    before = _digest(folder)
    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, "-m", "workbench.cli", "solve", str(folder), "--out", str(out)],
                          capture_output=True, text=True)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and "problem(s) in the input" in proc.stderr
    assert expected[0] in proc.stderr
    assert _digest(folder) == before
    assert not (out / "schedule.csv").exists()


def test_cli_workbook_missing_sheet_exit_2(base, tmp_path):
    """A workbook with a missing sheet: exit code 2, the sheet named, the workbook unchanged."""
    path = _workbook_without(base, tmp_path / "w.xlsx", "requests")
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    proc = subprocess.run([sys.executable, "-m", "workbench.cli", "validate", str(path), str(path)],
                          capture_output=True, text=True)
    assert proc.returncode == 2 and "w.xlsx, sheet requests: required sheet is missing" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before
