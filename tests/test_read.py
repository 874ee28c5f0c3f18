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
from workbench import errors
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


# --------------------------------------------------------------------------- every problem of every file at once


def _error(folder: Path) -> InputError:
    with pytest.raises(InputError) as exc:
        workbench.load(folder)
    return exc.value


def test_broken_files_do_not_hide_the_others(make_scenario):
    """A TOML syntax error, a Latin-1 file and a pins.csv that is a folder are reported with the cells of the rest."""
    folder = make_scenario(
        scenario__toml="start_date = 05-01-2026\nweeks = 1\n",
        citizens__csv="citizen_id,name,lat,lon,languages\nc1,Søren,55.681,12.571,da\nc2,Bo,55.69,12.58,ar;da\n"
                      "c3,Åse,55.682,12.575,en\n",
        requests__csv="request_id,citizen_id,activity,duration_min\nr1,c1,visit,sixty\nr2,c2,walk,60\n",
        pins__csv=None,
    )
    (folder / "citizens.csv").write_bytes((folder / "citizens.csv").read_text().encode("cp1252"))
    (folder / "pins.csv").mkdir()
    text = "\n".join(str(p) for p in _error(folder).problems)
    assert "scenario.toml, line 1: is not valid TOML" in text
    assert "for 5 January 2026 write 2026-01-05" in text
    assert "citizens.csv, row 2: is not UTF-8 text" in text and "'ø'" in text
    assert "pins.csv: is a folder, not a file" in text
    assert "requests.csv, row 2, column 'duration_min'" in text and "'sixty'" in text
    # the settings are broken, so nothing that needs them is judged: no follow-on noise
    assert "start_date" not in text.replace("start_date = 05-01-2026", "")
    assert len(_error(folder).problems) == 4


def test_missing_settings_file_still_checks_every_table(make_scenario):
    """Without scenario.toml the cells of every table are still checked."""
    folder = make_scenario(scenario__toml=None,
                           volunteer_availability__csv="volunteer_id,day,start,end\nv1,funday,09:00,10:00\n")
    text = "\n".join(str(p) for p in _error(folder).problems)
    assert "scenario.toml: required file is missing" in text
    assert "volunteer_availability.csv, row 2, column 'day'" in text


def test_pins_are_checked_in_the_same_pass_as_every_cell(make_scenario):
    """A pin that breaks a hard rule is reported together with a bad cell elsewhere."""
    folder = make_scenario(
        pins__csv="request_id,volunteer_id,date,start\nr1,v2,2026-01-05,09:00\n",
        volunteer_availability__csv=BASE["volunteer_availability.csv"].replace("v5,mon,09:00,15:00",
                                                                               "v5,mon,09:00,25:00"),
    )
    text = "\n".join(str(p) for p in _error(folder).problems)
    assert "volunteer_availability.csv, row 9, column 'end'" in text
    assert "pins.csv, row 2, column 'start': pin breaks hard rule 8" in text


def test_a_pin_whose_rows_are_broken_is_not_judged_again(make_scenario):
    """A pin of a volunteer whose own row is broken gets no follow-on 'pin breaks' message."""
    folder = make_scenario(
        volunteers__csv=BASE["volunteers.csv"].replace("v3,Cille,55.680", "v3,Cille,north"),
    )
    problems = _error(folder).problems
    assert [(p.file, p.row, p.column) for p in problems] == [("volunteers.csv", 4, "lat")]


def test_unknown_references_into_a_cut_file_are_not_reported(make_scenario):
    """Rows lost after an unclosed quote are reported once, not again as unknown ids in other files."""
    folder = make_scenario(
        volunteers__csv=BASE["volunteers.csv"].replace("v3,Cille", 'v3,"Cille'),
    )
    text = "\n".join(str(p) for p in _error(folder).problems)
    assert "volunteers.csv, row 4: a quote (\") opens a cell in this row and is never closed" in text
    assert "unknown reference" not in text


# --------------------------------------------------------------------------- numbers no programme could mean


NON_FINITE = ["nan", "inf", "-inf", "NaN", "Infinity"]


@pytest.mark.parametrize("value", NON_FINITE)
@pytest.mark.parametrize(("file", "old", "column"), [
    ("citizens.csv", "c1,Carl,55.681", "lat"),
    ("volunteers.csv", ",bike,5,3,150", "max_travel_km"),
    ("requests.csv", "r1,c1,visit,60", "duration_min"),
])
def test_non_finite_cells_are_errors(make_scenario, file, old, column, value):
    """nan and inf in a number cell are input errors naming the cell."""
    new = {"lat": f"c1,Carl,{value}", "max_travel_km": f",bike,{value},3,150",
           "duration_min": f"r1,c1,visit,{value}"}[column]
    folder = make_scenario(**{file.replace(".", "__"): BASE[file].replace(old, new)})
    problems = _error(folder).problems
    assert any(p.file == file and p.row == 2 and p.column == column and p.value == value for p in problems)


@pytest.mark.parametrize(("setting", "line"), [
    ("detour_factor = nan", 3), ("detour_factor = inf", 3), ("weeks = 100000000", 2), ("weeks = 1e400", 2),
    ("detour_factor = 7.5", 3), ("[speed_kmh]\nbike = nan", 4), ("[speed_kmh]\ncar = inf", 4),
    ("[speed_kmh]\nwalk = 5000", 4), ("[speed_kmh]\nwalk = 0", 4),
])
def test_settings_no_programme_could_mean_are_errors(make_scenario, setting, line):
    """Non-finite or absurd settings are caught at load (never reach the solver), naming the line."""
    key = setting.split("=")[0].split("\n")[-1].strip()
    lines = ["start_date = 2026-01-05", "weeks = 1"]
    if key == "weeks":
        lines = ["start_date = 2026-01-05", setting]
    else:
        lines.append(setting)
    folder = make_scenario(scenario__toml="\n".join(lines) + "\n")
    problems = _error(folder).problems
    assert any(p.file == "scenario.toml" and p.line == line and p.key and p.key.endswith(key) for p in problems), \
        problems


@pytest.mark.parametrize(("row", "column", "expected"), [
    ("r1,c1,visit,5000,1", "duration_min", "at most 1,440"),
    ("r1,c1,visit,60,1000", "sessions_per_week", "at most 100"),
])
def test_request_numbers_beyond_any_programme_are_errors(make_scenario, row, column, expected):
    """A 5,000-minute session or 1,000 sessions a week cannot be meant: an error with the bound."""
    folder = make_scenario(requests__csv=f"request_id,citizen_id,activity,duration_min,sessions_per_week\n{row}\n")
    text = "\n".join(str(p) for p in _error(folder).problems)
    assert f"requests.csv, row 2, column '{column}'" in text and expected in text


def test_absurd_horizon_fails_fast_without_building_dates(make_scenario):
    """weeks = 100000000 is an input error found at once (the horizon's dates are never built)."""
    folder = make_scenario(scenario__toml="start_date = 2026-01-05\nweeks = 100000000\n")
    problems = _error(folder).problems
    assert [(p.line, p.key, p.message) for p in problems] == [(2, "weeks", "value out of range")]


@pytest.mark.parametrize("cell", ['"1,000"', "1.000"])
def test_a_whole_number_with_a_group_separator_is_refused(make_scenario, cell):
    """1,000 or 1.000 minutes a week is an error naming both readings, never silently one minute."""
    folder = make_scenario(volunteers__csv=BASE["volunteers.csv"].replace(",bike,5,3,150", f",bike,5,3,{cell}"))
    [p] = _error(folder).problems
    assert (p.file, p.row, p.column, p.value) == ("volunteers.csv", 2, "max_minutes_per_week", cell.strip('"'))
    assert "1000" in p.hint and "or 1?" in p.hint


def test_a_minus_sign_copied_from_a_web_page_is_a_minus(make_scenario):
    """A longitude with U+2212 (as copied from Wikipedia or Word) reads as the negative number it shows."""
    folder = make_scenario(citizens__csv=BASE["citizens.csv"].replace("c1,Carl,55.681,12.571",
                                                                      "c1,Carl,55.681,\u221212.571"))
    citizens = workbench.load(folder).citizens.set_index("citizen_id")
    assert citizens.at["c1", "lon"] == -12.571


def test_an_underscore_in_a_number_is_refused(make_scenario):
    """6_0 is a typo, not the Python literal 60: an error naming the cell."""
    folder = make_scenario(requests__csv=BASE["requests.csv"].replace("r1,c1,visit,60", "r1,c1,visit,6_0"))
    [p] = _error(folder).problems
    assert (p.file, p.row, p.column, p.value) == ("requests.csv", 2, "duration_min", "6_0")


@pytest.mark.parametrize(("cell", "hint"), [
    ("V1", "did you mean 'v1'? ids are compared exactly"), ("v1\u200b", "invisible characters"),
])
def test_an_id_that_only_looks_unknown_gets_the_known_id(make_scenario, cell, hint):
    """An unknown reference that differs from a known id only in case or hidden characters names that id."""
    folder = make_scenario(volunteer_availability__csv=BASE["volunteer_availability.csv"].replace("v1,mon,09:00,12:00",
                                                                                                  f"{cell},mon,09:00,12:00"))
    [p] = _error(folder).problems
    assert (p.row, p.column, p.message) == (2, "volunteer_id", "unknown reference") and hint in p.hint


def test_a_stray_cell_far_right_names_few_column_letters(make_scenario):
    """A row with hundreds of cells beyond the header gets a short hint, not hundreds of column letters."""
    folder = make_scenario(citizen_availability__csv="citizen_id,day,start,end\nc3,mon,13:00,15:00" + ",x" * 500 + "\n")
    [p] = _error(folder).problems
    assert p.row == 2 and "(500 columns)" in p.hint and len(p.hint) < 300


# --------------------------------------------------------------------------- no silent loss, exact rows


def test_cells_beyond_the_header_name_the_row(make_scenario):
    """A row with more cells than the header has names is an error naming that row and the lost cells."""
    folder = make_scenario(citizen_availability__csv="citizen_id,day,start,end\nc3,mon,13:00,15:00\n"
                                                     "c3,tue,13:00,15:00,extra,more\nc3,wed,13:00,15:00,,\n")
    problems = _error(folder).problems
    assert [(p.file, p.row, p.value) for p in problems] == [("citizen_availability.csv", 3, "extra | more")]


def test_a_second_column_with_the_same_name_is_an_error(make_scenario):
    """Two 'lat' columns: an error naming both columns, never silently one of them."""
    folder = make_scenario(citizens__csv="citizen_id,lat,lon,languages,lat\nc1,55.6,12.5,da,56.1\n"
                                         "c2,55.6,12.5,da,56.1\nc3,55.6,12.5,da,56.1\n")
    text = "\n".join(str(p) for p in _error(folder).problems)
    assert "citizens.csv, row 1, column 'lat': two columns are named 'lat' (columns B and E)" in text


def test_an_unclosed_quote_names_the_row_where_it_opened(make_scenario):
    """An unterminated quote is reported at the row where it opened; the rows before it are still checked."""
    folder = make_scenario(volunteer_availability__csv='volunteer_id,day,start,end\nv1,mon,09:00,25:00\n'
                                                       'v1,"wed,09:00,17:00\nv2,tue,10:00,16:00\n')
    problems = _error(folder).problems
    assert [(p.row, p.column) for p in problems] == [(2, "end"), (3, None)]
    assert "never closed" in problems[1].message


def test_a_quote_that_swallows_rows_is_an_error(make_scenario):
    """A quote closed only rows later (swallowing them into one cell) is reported at its row."""
    folder = make_scenario(citizen_availability__csv='citizen_id,day,start,end,note\nc3,mon,13:00,15:00,"oops\n'
                                                     'c3,tue,13:00,15:00,\nc3,wed,13:00,15:00,"\n')
    problems = _error(folder).problems
    assert len(problems) == 1 and problems[0].row == 2 and "look like rows" in problems[0].message


def test_line_breaks_inside_quoted_cells_keep_spreadsheet_rows(make_scenario):
    """A note with a line break is one row (as in a spreadsheet): a later bad cell has its spreadsheet row."""
    folder = make_scenario(citizens__csv='citizen_id,lat,lon,languages,note\nc1,55,12,da,"first line\nsecond line"\n'
                                         'c2,55,12,da,\nc3,95,12,da,\n')
    problems = _error(folder).problems
    assert [(p.row, p.column) for p in problems] == [(4, "lat")]


def test_a_long_cell_is_read_whole(make_scenario):
    """A cell longer than the csv module's 128 KB default is read whole and kept."""
    note = "x" * 300_000
    folder = make_scenario(citizens__csv=f'citizen_id,lat,lon,languages,note\nc1,55,12,da,"{note}"\nc2,55,12,da,\n'
                                         'c3,55,12,da,\n')
    s = workbench.load(folder)
    assert s.citizens.set_index("citizen_id").at["c1", "note"] == note


def test_a_long_cell_in_a_bad_row_is_reported_precisely(make_scenario):
    """A long cell next to a bad cell: the bad cell is named, never 'not UTF-8'."""
    folder = make_scenario(citizens__csv=f'citizen_id,lat,lon,languages,note\nc1,north,12,da,{"y" * 200_000}\n'
                                         'c2,55,12,da,\nc3,55,12,da,\n')
    problems = _error(folder).problems
    assert [(p.row, p.column, p.value) for p in problems] == [(2, "lat", "north")]


# --------------------------------------------------------------------------- hints for spreadsheet mistakes


def test_semicolon_separated_file_gets_one_hint(make_scenario):
    """A ';'-separated file (Danish Excel) gives one problem with the cause, not a list of follow-on errors."""
    folder = make_scenario(requests__csv="request_id;citizen_id;activity;duration_min;mode\nr1;c1;visit;60;phone\n"
                                         'r2;c2;walk;60;"in_person"\n')
    problems = _error(folder).problems
    assert len(problems) == 1
    assert "separated by semicolons" in problems[0].message and "CSV UTF-8" in problems[0].hint


@pytest.mark.parametrize(("encoding", "expected"), [("utf-16", "UTF-16"), ("utf-16-le", "UTF-16"),
                                                    ("latin-1", "Windows-1252/Latin-1"),
                                                    ("cp1252", "Windows-1252/Latin-1")])
def test_other_encodings_get_a_save_as_hint(make_scenario, encoding, expected):
    """Latin-1, Windows-1252 and UTF-16 files are named with the cause and how to save as CSV UTF-8."""
    folder = make_scenario()
    path = folder / "volunteers.csv"
    path.write_bytes(path.read_text(encoding="utf-8").replace("Dorota", "Dörte").encode(encoding))
    problems = _error(folder).problems
    assert len(problems) == 1
    p = problems[0]
    assert p.file == "volunteers.csv" and "CSV UTF-8" in p.hint
    assert expected in p.message + p.hint
    if expected.startswith("Windows"):
        assert p.row == 5 and p.value == "Dörte"


def test_a_byte_order_mark_before_legacy_text_is_not_a_header_name(make_scenario):
    """A UTF-8 byte order mark in front of Windows-1252 text: one problem naming the bad byte, no missing column."""
    folder = make_scenario()
    path = folder / "volunteers.csv"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_text(encoding="utf-8").replace("Dorota", "Dörte").encode("cp1252"))
    [p] = _error(folder).problems
    assert (p.file, p.row, p.value) == ("volunteers.csv", 5, "Dörte") and "0xF6" in p.hint


def test_a_legacy_encoded_settings_file_gets_a_text_editor_hint(make_scenario):
    """scenario.toml in Windows-1252: the line is named and the hint is about saving TOML, not a CSV."""
    folder = make_scenario()
    (folder / "scenario.toml").write_bytes('name = "Århus"\nstart_date = 2026-01-05\nweeks = 1\n'.encode("cp1252"))
    [p] = _error(folder).problems
    assert (p.file, p.line) == ("scenario.toml", 1) and "UTF-8" in p.hint and "CSV" not in p.hint


def test_a_title_row_above_the_header_is_named(make_scenario):
    """A title row above the header: one problem saying where the header is; the cells below are still read."""
    folder = make_scenario(citizen_availability__csv="Citizen availability (spring),,,\n"
                                                     "citizen_id,day,start,end\nc3,mon,13:00,25:00\n")
    problems = _error(folder).problems
    assert [(p.row, p.column) for p in problems] == [(2, None), (3, "end")]
    assert "the header is in row 2, not in row 1" in problems[0].message


@pytest.mark.parametrize(("cell", "hint"), [
    ("25:00", "25:00 is not a clock time"), ("9.30", "09:30"), ("0.375", "Excel time number (0.375 = 09:00)"),
    ("2:30 pm", "14:30"), ("9", "09:00"), ("09:00:30", "without seconds"), ("0900", "09:00"), ("1430", "14:30"),
])
def test_time_hints(make_scenario, cell, hint):
    """A mistyped time shows what was typed and how to write it."""
    folder = make_scenario(volunteer_availability__csv=f"volunteer_id,day,start,end\nv1,mon,08:00,{cell}\n")
    p = _error(folder).problems[0]
    assert (p.row, p.column, p.value) == (2, "end", cell) and hint in p.hint


@pytest.mark.parametrize(("cell", "hint"), [
    ("46027", "Excel date number (46027 = 2026-01-05)"), ("07-01-2026", "write 2026-01-07"),
    ("7/1/2026", "write 2026-01-07"), ("2026-1-7", "2026-01-07"), ("2026-01-07 00:00:00", "date only"),
    ("2026/1/7", "with '-': 2026-01-07"), ("2026.01.07", "with '-': 2026-01-07"),
])
def test_date_hints(make_scenario, cell, hint):
    """A date typed the spreadsheet's way (or kept as an Excel number) gets a hint with the ISO date."""
    folder = make_scenario(volunteer_absences__csv=f"volunteer_id,from_date,to_date\nv1,2026-01-07,{cell}\n")
    p = _error(folder).problems[0]
    assert (p.row, p.column, p.value) == (2, "to_date", cell) and hint in p.hint


def test_weekday_and_choice_hints(make_scenario):
    """A weekday in full or a misspelt travel mode gets the accepted spelling."""
    folder = make_scenario(
        volunteer_availability__csv="volunteer_id,day,start,end\nv1,Monday,09:00,12:00\nv1,onsdag,09:00,12:00\n",
        volunteers__csv=BASE["volunteers.csv"].replace(",bike,5,3,150", ",bicycle,5,3,150"),
    )
    hints = {(p.file, p.row): p.hint for p in _error(folder).problems}
    assert "write 'mon'" in hints[("volunteer_availability.csv", 2)]
    assert "write 'wed'" in hints[("volunteer_availability.csv", 3)]
    assert "did you mean 'bike'?" in hints[("volunteers.csv", 2)]


def test_file_name_in_the_wrong_case_is_named_and_read(make_scenario):
    """Volunteers.csv instead of volunteers.csv: the rename is hinted and the file's cells are still checked."""
    folder = make_scenario()
    (folder / "volunteers.csv").rename(folder / "Volunteers.csv")
    text = (folder / "Volunteers.csv").read_text().replace("v2,Bo,55.700", "v2,Bo,north")
    (folder / "Volunteers.csv").write_text(text)
    problems = _error(folder).problems
    assert problems[0].file == "volunteers.csv" and "rename it to 'volunteers.csv'" in problems[0].hint
    assert any(p.row == 3 and p.column == "lat" for p in problems)


# --------------------------------------------------------------------------- workbooks typed by people


def _edited_workbook(base: workbench.Scenario, path: Path, edit) -> Path:
    workbench.save(base, path)
    wb = openpyxl.load_workbook(path)
    edit(wb)
    wb.save(path)
    return path


@pytest.mark.parametrize("name", ["Volunteers", "volunteers ", " VOLUNTEERS"])
def test_sheet_name_in_the_wrong_case_or_with_spaces(base, tmp_path, name):
    """A sheet named 'Volunteers' or 'volunteers ' is named with the fix; its cells are still checked."""
    def edit(wb):
        ws = wb["volunteers"]
        ws.title = "renamed"  # openpyxl refuses a title that equals another one in any case
        ws.title = name
        ws["C3"] = "north"

    path = _edited_workbook(base, tmp_path / "w.xlsx", edit)
    problems = _error(path).problems
    assert problems[0].file == "w.xlsx, sheet volunteers" and f"found a sheet named '{name}'" in problems[0].hint
    assert any(p.row == 3 and p.column == "lat" and p.value == "north" for p in problems)
    assert not any("volunteers.csv" in str(p) for p in problems)


def test_workbook_cell_messages_name_the_sheet(base, tmp_path):
    """A bad cell in a workbook is named by workbook, sheet, row and column, never as a CSV file."""
    path = _edited_workbook(base, tmp_path / "demo.xlsx", lambda wb: wb["volunteers"].__setitem__("D5", "east"))
    assert [str(p).split(":")[0] for p in _error(path).problems] == ["demo.xlsx, sheet volunteers, row 5, column 'lon'"]


def test_excel_times_and_dates_show_what_was_typed(base, tmp_path):
    """25:00 typed into a time cell shows as '25:00'; an Excel date number and time fraction get hints."""
    import datetime as dt

    def edit(wb):
        ws = wb["volunteer_availability"]
        ws["D2"] = dt.timedelta(hours=25)
        ws["D2"].number_format = "[h]:mm"
        ws["C3"] = 0.375
        wb["volunteer_absences"]["B2"] = 46027

    problems = {(p.file.split("sheet ")[1], p.row, p.column): p for p in _error(
        _edited_workbook(base, tmp_path / "w.xlsx", edit)).problems}
    assert problems[("volunteer_availability", 2, "end")].value == "25:00"
    assert "09:00" in problems[("volunteer_availability", 3, "start")].hint
    assert "2026-01-05" in problems[("volunteer_absences", 2, "from_date")].hint


def test_formula_without_result_and_merged_cells_are_named_once(base, tmp_path):
    """A formula never calculated and merged cells are each one problem, not followed by 'empty value' noise."""
    def edit(wb):
        wb["requests"]["D3"] = "=D2*2"
        wb["citizens"].merge_cells("C3:C4")

    problems = _error(_edited_workbook(base, tmp_path / "w.xlsx", edit)).problems
    text = [str(p) for p in problems]
    assert len(problems) == 2, text
    assert any("sheet citizens, row 3, column 'lat'" in t and "C3:C4 are merged" in t for t in text)
    assert any("sheet requests, row 3, column 'duration_min'" in t and "formula" in t for t in text)


def test_settings_sheet_messages_carry_their_row(base, tmp_path):
    """A bad value in the scenario sheet names its row and the setting; nan is refused there too."""
    def edit(wb):
        ws = wb["scenario"]
        for row in ws.iter_rows(min_row=2):
            if row[0].value == "detour_factor":
                row[1].value = "nan"
                target = row[1].row

        ws["Z1"] = target  # remember where it was for the assertion

    path = _edited_workbook(base, tmp_path / "w.xlsx", edit)
    row = openpyxl.load_workbook(path)["scenario"]["Z1"].value
    problems = [p for p in _error(path).problems if p.key == "detour_factor"]
    assert [(p.file, p.row, p.column, p.value) for p in problems] == [("w.xlsx, sheet scenario", row, "value", "nan")]


@pytest.mark.parametrize(("edit", "hint"), [
    (lambda ws: (ws.cell(1, 1, "Key"), ws.cell(1, 2, "Value")), "header names are lower case"),
    (lambda ws: ws.delete_rows(1), "row 1 holds the setting"),
])
def test_a_settings_sheet_without_its_header_says_what_row_1_holds(base, tmp_path, edit, hint):
    """'Key'/'Value' or no header row at all in the scenario sheet: row 1 and its cells are named, with the fix."""
    path = _edited_workbook(base, tmp_path / "w.xlsx", lambda wb: edit(wb["scenario"]))
    [p] = _error(path).problems
    assert (p.file, p.row) == ("w.xlsx, sheet scenario", 1) and " | " in p.value and hint in p.hint


# --------------------------------------------------------------------------- warnings


def test_unknown_columns_and_settings_warn_with_the_nearest_name(make_scenario):
    """max_travel_kms (a column) and max_travel_kms (a setting) are ignored with a warning naming the nearest."""
    folder = make_scenario(
        volunteers__csv=BASE["volunteers.csv"].replace("max_travel_km,", "max_travel_kms,"),
        scenario__toml="start_date = 2026-01-05\nweeks = 1\ndetour_factr = 1.4\n",
    )
    s = workbench.load(folder)
    w = {(p.file, p.column or p.key): p for p in s.warnings}
    assert "did you mean 'max_travel_km'?" in w[("volunteers.csv", "max_travel_kms")].message
    assert "did you mean 'detour_factor'?" in w[("scenario.toml", "detour_factr")].message
    assert w[("scenario.toml", "detour_factr")].line == 3
    assert s.volunteers["max_travel_km"].tolist() == [float("inf")] * 6  # the misspelt column is not used


def test_implausible_values_warn(make_scenario):
    """Swapped lat/lon, a citizen far from every volunteer, > 7 sessions of a request and a long session warn."""
    folder = make_scenario(
        citizens__csv="citizen_id,lat,lon,languages\nc1,55.681,12.571,da\nc2,12.58,55.69,da\nc3,40.71,-74.0,en\n",
        requests__csv="request_id,citizen_id,activity,duration_min,sessions_per_week\nr1,c1,visit,600,1\n"
                      "r2,c1,walk,60,10\nr3,c1,visit,60,7\n",
        pins__csv=None,
    )
    w = [p for p in workbench.load(folder).warnings]
    where = {(p.file, p.row, p.column): p.message for p in w}
    assert "swapped" in where[("citizens.csv", 3, "lat")]
    assert "km from every volunteer" in where[("citizens.csv", 4, "lat")]
    assert "very long session" in where[("requests.csv", 2, "duration_min")]
    assert "at most 7" in where[("requests.csv", 3, "sessions_per_week")]
    assert "more than 14 sessions" in where[("citizens.csv", 2, "citizen_id")]
    assert ("citizens.csv", 2, "lat") not in where  # a plausible point is not warned about


def test_a_skill_in_another_case_than_the_activity_warns(make_scenario):
    """'Visit' as a skill never matches the activity 'visit': a warning on the skill and on an unmatched activity."""
    folder = make_scenario(
        volunteers__csv=BASE["volunteers.csv"].replace("v2,Bo,55.700,12.600,visit,", "v2,Bo,55.700,12.600,Visit,"),
        requests__csv=BASE["requests.csv"].replace("r3,c3,visit,", "r3,c3,Walk,"),
    )
    where = {(p.file, p.row, p.column): p for p in workbench.load(folder).warnings}
    skill = where[("volunteers.csv", 3, "skills")]
    assert "only in upper/lower case" in skill.message and skill.value == "Visit"
    assert "volunteers offer 'walk'" in where[("requests.csv", 4, "activity")].message


def test_warnings_are_problems_with_a_place(base):
    """Scenario.warnings are Problems (file, row, column) whose text is one readable line."""
    folder_warning = [w for w in base.warnings]
    assert all(isinstance(w, workbench.Problem) and "\n" not in str(w) for w in folder_warning)


def test_many_identical_problems_are_summed_up(make_scenario):
    """Hundreds of cells with the same problem give the first ones in full and one line counting the rest."""
    rows = "".join(f"v1,mon,09:00,{h}.00\n" for h in range(10, 24)) * 20
    folder = make_scenario(volunteer_availability__csv="volunteer_id,day,start,end\n" + rows, pins__csv=None)
    problems = _error(folder).problems
    assert len(problems) == errors.SAME_PROBLEM_SHOWN + 1
    assert problems[-1].message.startswith(f"{280 - errors.SAME_PROBLEM_SHOWN:,} more row(s) like the above")
    assert "rows 32–281" in problems[-1].message


# --------------------------------------------------------------------------- schedule.csv


def test_read_schedule_reports_structural_problems(base_dir, tmp_path):
    """validate's schedule reader names a legacy encoding and an unclosed quote with their rows."""
    path = tmp_path / "schedule.csv"
    path.write_bytes("request_id,citizen_id,volunteer_id,date,start,end,mode,note\n"
                     "r1,c1,v1,2026-01-05,09:00,10:00,in_person,Søren\n"
                     'r2,c2,v1,2026-01-05,"10:30,11:30,in_person,\n'.encode("cp1252"))
    with pytest.raises(InputError) as exc:
        workbench.read_schedule(path)
    assert [(p.file, p.row) for p in exc.value.problems] == [("schedule.csv", 2), ("schedule.csv", 3)]


def test_read_schedule_keeps_spreadsheet_rows(base_dir, tmp_path):
    """Rows of schedule.csv keep their spreadsheet numbers through blank lines and quoted line breaks."""
    path = tmp_path / "schedule.csv"
    path.write_text("request_id,citizen_id,volunteer_id,date,start,end,mode,note\n\n"
                    'r1,c1,v1,2026-01-05,09:00,10:00,in_person,"a\nb"\nr9,c1,v1,2026-01-05,11:00,12:00,in_person,\n')
    table = workbench.read_schedule(path)
    assert list(table.index) == [3, 4]
    broken = workbench.validate(workbench.load(base_dir), table)
    assert {v.row for v in broken if v.rule == 1} == {4}


def test_an_unreadable_sheet_does_not_hide_the_others(base, tmp_path):
    """A damaged sheet is reported, and the other sheets are still checked (no follow-on references)."""
    import zipfile

    good = tmp_path / "good.xlsx"
    workbench.save(base, good)
    book = openpyxl.load_workbook(good, read_only=True)
    paths = {ws.title: ws._worksheet_path for ws in book.worksheets}
    book.close()
    wb = openpyxl.load_workbook(good)
    wb["volunteers"]["C3"] = "north"
    wb.save(good)
    broken = tmp_path / "broken.xlsx"
    with zipfile.ZipFile(good) as zin, zipfile.ZipFile(broken, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item)
            zout.writestr(item, data[: len(data) // 2] if item.filename == paths["citizens"] else data)
    problems = _error(broken).problems
    assert [(p.file, p.row, p.column) for p in problems] == [("broken.xlsx, sheet volunteers", 3, "lat"),
                                                            ("broken.xlsx, sheet citizens", None, None)]
    assert "cannot be read" in problems[1].message


@pytest.mark.parametrize(("value", "number_format", "text"), [
    (1.0, "h:mm", "24:00"), (1 + 1 / 24, "h:mm", "25:00"), (0.375, "h:mm", "09:00"), (1 + 1 / 24, "[h]:mm", "25:00"),
])
def test_excel_time_cells_read_as_typed(base, tmp_path, value, number_format, text):
    """Time cells past midnight read as the hours typed (24:00 valid, 25:00 refused showing '25:00')."""
    def edit(wb):
        ws = wb["volunteer_availability"]
        ws["C2"] = 8 / 24
        ws["C2"].number_format = "h:mm"
        ws["D2"] = value
        ws["D2"].number_format = number_format

    path = _edited_workbook(base, tmp_path / "w.xlsx", edit)
    if text == "25:00":
        assert [(p.row, p.column, p.value) for p in _error(path).problems] == [(2, "end", "25:00")]
    else:
        loaded = workbench.load(path)
        assert loaded.volunteer_availability["end"].iloc[0] == int(text[:2]) * 60


def test_a_misspelt_required_setting_is_named(make_scenario):
    """'Weeks' or 'start date' instead of the contract's names: the missing setting says what was found."""
    folder = make_scenario(scenario__toml='Weeks = 2\n"start date" = 2026-01-05\n')
    hints = {p.key: p.hint for p in _error(folder).problems}
    assert "found 'Weeks'" in hints["weeks"] and "found 'start date'" in hints["start_date"]


def test_big_files_are_read_the_same_way_as_small_ones(make_scenario, monkeypatch):
    """A file over 1 MB (cells stored as categories to save memory) gives the same table and the same
    problems, row by row, as the plain way small files are read."""
    from workbench import csvfile

    rows = [f"v{1 + i % 5},{('mon', 'tue', '2026-01-07')[i % 3]},09:00,{10 + i % 8:02d}:00" for i in range(60_000)]
    rows[10] = "v1,mon,09:00,25:00"
    rows[20_000] = 'v2,tue,09:00,12:00,"a note\nover two lines"'
    rows[40_000] = "v3,funday,09:00,12:00"
    text = "volunteer_id,day,start,end,note\n" + "\n".join(rows) + "\n"
    assert len(text) > csvfile._CATEGORICAL_FROM
    folder = make_scenario(volunteer_availability__csv=text, pins__csv=None)
    big = _error(folder).problems
    monkeypatch.setattr(csvfile, "_CATEGORICAL_FROM", 10**12)
    small = _error(folder).problems
    assert big == small
    assert [(p.row, p.column) for p in big] == [(12, "end"), (40_002, "day")]
    monkeypatch.undo()
    good = make_scenario(volunteer_availability__csv=text.replace("25:00", "12:00").replace("funday", "fri"),
                         pins__csv=None)
    table = workbench.load(good).volunteer_availability
    assert table.loc[20_002, "note"] == "a note\nover two lines" and len(table) == 60_000


@pytest.mark.parametrize(("pin", "where"), [
    ("r1,v1,2026-01-07,10:00", "column 'date': pin breaks hard rule 8"),  # v1 is absent that day
    ("r1,v1,2026-01-05,16:00", "column 'start': pin breaks hard rule 8"),  # after v1's Monday
    ("r3,v3,2026-01-05,13:00", "column 'volunteer_id': pin breaks hard rule 2"),  # v3 does not visit
])
def test_a_broken_pin_names_the_column_it_breaks_on(make_scenario, pin, where):
    """A pin that breaks a hard rule is reported at the cell that breaks it: the day, the start or the volunteer."""
    folder = make_scenario(pins__csv=f"request_id,volunteer_id,date,start\n{pin}\n")
    text = "\n".join(str(p) for p in _error(folder).problems)
    assert f"pins.csv, row 2, {where}" in text
