"""Write the three notebooks of this folder from the cells below, so they are reproducible.

    python notebooks/build_notebooks.py

Outputs are left empty, except for the few cells tagged ``nbval-check-output``:
they print facts that hold for any correct plan of any data (no rule broken, the
contract's columns...), and their expected output is written here. CI runs
``pytest --nbval-lax notebooks/``: every cell must run without error, and the
checked cells must print exactly that.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parent
KERNEL = {"display_name": "Python 3", "language": "python", "name": "python3"}


def md(text: str) -> Any:
    return new_markdown_cell(text.strip())


def code(source: str, *, check: str | None = None, ignore: bool = False, tags: tuple[str, ...] = ()) -> Any:
    """A code cell; ``check`` is the exact stdout the cell must print (tagged nbval-check-output)."""
    cell = new_code_cell(source.strip())
    cell_tags = list(tags)
    if check is not None:
        cell_tags.append("nbval-check-output")
        cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=check)]
        cell.execution_count = 1  # nbval only compares cells that look run
    if ignore:
        cell_tags.append("nbval-ignore-output")
    if cell_tags:
        cell.metadata["tags"] = cell_tags
    return cell


def notebook(cells: list[Any]) -> Any:
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = KERNEL
    nb.metadata["language_info"] = {"name": "python"}
    return nb


# --------------------------------------------------------------------------- 01 quick start

QUICKSTART = [
    md("""
# Quick start: one planning round in code

This notebook makes a plan for the **demo** data (40 volunteers, 80 citizens, two weeks)
in a few lines, and shows what came out. The planner app (`02-planner.ipynb`) does the
same with buttons; this is the same thing for people who like to see the steps.

Every step below uses the `workbench` package:
`load_dataset` → `solve` → `validate` → look at the figures → `export`.
"""),
    code("""
import tempfile
from pathlib import Path

import pandas as pd

import workbench
from workbench.ui import views  # the planner's charts, as plain functions

scenario = workbench.load_dataset("demo")
st = scenario.settings
print(f"{scenario.name}: {len(scenario.volunteers)} volunteers, {len(scenario.citizens)} citizens, "
      f"{len(scenario.requests)} requests = {int(scenario.demand().sum())} sessions needed "
      f"over {st.weeks} weeks from {st.start_date:%A %d %B %Y}")
"""),
    md("""
## The data

Each table is a spreadsheet the coordinator keeps (see `SCENARIO_FORMAT.md`). Here are the
first volunteers and the first requests: *who offers what, when, in which languages* and
*who needs which activity, how long, how often*.
"""),
    code(
        'scenario.volunteers[["volunteer_id", "name", "skills", "languages", "travel_mode", '
        '"max_sessions_per_week"]].head()'
    ),
    code("scenario.requests.head()"),
    md("""
## Who is needed, and who could help?

Before planning it pays to look at need and supply side by side. Hours needed are the
sessions demanded times their length; volunteer hours are the hours volunteers are free.
A district with many hours needed and few volunteers within reach will be hard to serve.
"""),
    code("""
supply = views.supply_demand(scenario)
supply["activity"]
"""),
    code('views.supply_demand_figure(supply["district"], "district")'),
    md("""
## Make a plan

`workbench.solve` first serves as many sessions as possible, urgent citizens first, and then
uses the remaining freedom for continuity, citizens' preferred volunteers, shared interests,
less travel and a fair load. `time_limit` bounds the search in seconds. The status says
`OPTIMAL` when the plan is proven best, `FEASIBLE` when the time ran out first (the plan is
still valid; `bound` says how much better any plan could be at most).
"""),
    code(
        """
result = workbench.solve(scenario, method="cpsat", time_limit=10, seed=0)
k = result.kpis
print(f"status {result.status}: {k['served_sessions']} of {k['demand_sessions']} sessions "
      f"planned in {result.seconds:.1f} s")
""",
        ignore=True,
    ),
    md("""
## Check it

`workbench.validate` checks every hard rule of the contract (languages, vetting, travel,
availability, no double booking, weekly limits, ...). A plan from `solve` always passes.
"""),
    code(
        """
violations = workbench.validate(scenario, result.schedule)
print("Hard-rule violations:", len(violations))
print("Columns:", ", ".join(result.schedule.columns))
""",
        check=(
            "Hard-rule violations: 0\nColumns: request_id, citizen_id, volunteer_id, date, start, end, mode\n"
        ),
    ),
    md("## The headline figures"),
    code('pd.DataFrame(views.kpi_cards(result.kpis), columns=["figure", "value", "meaning"])'),
    md("""
## The schedule

One row per session. `views.filter_schedule` narrows it down, e.g. to one district.
"""),
    code("""
table = views.schedule_view(result.schedule, scenario)
table.head(10)
"""),
    md("## One volunteer's fortnight (the busiest one)"),
    code("""
busiest = result.schedule["volunteer_id"].value_counts().index[0]
views.gantt_figure(result.schedule, scenario, busiest)
"""),
    md("""
## Where are the citizens who were not served?

Green citizens get all their sessions, yellow some, red none; blue diamonds are volunteers'
homes. Bigger dots are more urgent citizens.
"""),
    code("views.map_figure(scenario, result.schedule)"),
    md("""
## What could not be planned, and why

The reasons are written for a coordinator: they say what is lacking (a language, a vetted
volunteer, free time at the right hours, ...), which is where recruiting helps.
"""),
    code("views.unassigned_view(result.unassigned, scenario).head(10)"),
    code("views.district_figure(result.kpis)"),
    md("""
## Send it out

`export_all` writes the schedule as CSV and Excel and, for every volunteer, a calendar file
(`.ics`, for their phone) and a printable page. Here it writes to a temporary folder; give
a folder of your own instead.
"""),
    code(
        """
from workbench.export import export_all

out = Path(tempfile.mkdtemp(prefix="workbench-quickstart-"))
written = export_all(result.schedule, scenario, out, unassigned=result.unassigned)
print(f"{len(written)} files written to {out}, e.g.:")
for path in written[:4]:
    print("  ", path.relative_to(out))
""",
        ignore=True,
    ),
]

# --------------------------------------------------------------------------- 02 planner

PLANNER = [
    # No heading cell: the app shows its own title, and in Voilà the app should be the first thing seen.
    code(
        """
from workbench.ui import planner

planner()
""",
        ignore=True,
    ),
    md("""
### How to use it

1. **Data**: pick a bundled dataset and press *Load*, or *Upload* your own workbook (`.xlsx`)
   or a zip of the CSV files. If something in the file is wrong, a list says which sheet,
   row and column, so you can fix it in the spreadsheet and upload again.
2. **Need & supply** shows, before planning, what is needed and who could do it, per
   activity, language and district.
3. **Solve** makes a plan. A quick first plan appears at once; the optimiser then improves
   it until the time limit (*Method and time limit*). The line under the buttons shows the
   best plan so far and how far from the best possible it can be at most. **Stop** ends the
   search and keeps the best plan found.
4. The cards show the headline figures; the tabs show the **Schedule** (filter by volunteer,
   district, date, or search), each volunteer's **Calendar**, a **Map** of who is served,
   the **Unassigned** sessions with the reason, and coverage per **District**.
5. **What-if**: mark a volunteer absent, change their limits, add or remove a request, or pin
   an agreed session; then **Re-plan**. The new plan stays as close as it can to the old one,
   and *Whom to call* lists every session that was moved, reassigned, added or dropped.
   When the period has already begun, set **Re-plan from** to the first day that may still
   change: the sessions before it stay exactly as they are and nothing new is planned before
   it. Leave it empty to re-plan the whole period.
6. **Runs** compares every plan you made. **Export** downloads the workbook, the schedule,
   and each volunteer's calendar (`.ics`) and printable page, or saves them all to a folder.
7. *Objective weights* change what the plan cares about after serving as many sessions as
   possible: keeping the same volunteer, preferred volunteers, shared interests, travel,
   a fair load, the worst-served district, and (when re-planning) keeping agreed sessions.
"""),
]

# --------------------------------------------------------------------------- 03 what-if

WHAT_IF = [
    md("""
# What if...? Re-planning when things change

A plan rarely survives the week. This notebook plays through two changes on the demo data
and re-plans each time *close to the plan already agreed*, so that as few people as
possible need a phone call:

1. on Tuesday evening of the first week, a busy volunteer falls ill from Wednesday to the
   end of the week;
2. at the weekend a crisis (say, a flu wave) means that from the second week on, every visit
   that *could* be a phone call (`mode = either`) becomes a phone call.

Both happen while the plan is under way, so each re-plan starts from a day (`keep_before`):
what lies before that day has happened and stays exactly as it was.

At the end, the three plans are compared side by side.
"""),
    code(
        """
from datetime import timedelta

import pandas as pd
import plotly.express as px

import workbench
from workbench.compare import compare_runs, diff_schedules, summarize_diff
from workbench.ui import views

SECONDS = 5  # time limit per plan; the demo is small

scenario = workbench.load_dataset("demo")
monday = scenario.settings.start_date
baseline = workbench.solve(scenario, time_limit=SECONDS, seed=0)
print(f"Baseline: {baseline.kpis['served_sessions']} of {baseline.kpis['demand_sessions']} sessions planned "
      f"({baseline.status})")
""",
        ignore=True,
    ),
    md("""
## 1. A volunteer falls ill mid-week

Tuesday evening of the first week, a busy volunteer calls: they go into hospital tomorrow
and will be out for the rest of the week. Monday's and Tuesday's visits have already taken
place, so the new plan must leave them exactly as they were and cannot put anything new on
those days. We take the volunteer with the most sessions from Wednesday to Sunday, and:

- add an **absence** from Wednesday to Sunday;
- solve again with `previous=baseline.schedule` and `keep_before=wednesday`. Every session
  of the agreed plan before Wednesday is kept exactly, and nothing new is planned before
  Wednesday. From Wednesday on, the optimiser rewards every agreed session it keeps (the
  *stability* weight), so most of the plan stays as it is.

In the planner app this is the *Re-plan from* day next to the *Re-plan* button.
"""),
    code(
        """
wednesday, sunday = monday + timedelta(days=2), monday + timedelta(days=6)
s = baseline.schedule
rest_of_week = s[(s["date"] >= wednesday.isoformat()) & (s["date"] <= sunday.isoformat())]
ill = rest_of_week["volunteer_id"].value_counts().index[0]
name = scenario.volunteers.set_index("volunteer_id").at[ill, "name"]
print(f"{name} ({ill}) is ill from {wednesday:%A %d %b} to {sunday:%A %d %b}: "
      f"{(rest_of_week['volunteer_id'] == ill).sum()} of their sessions need someone else.")


absence = pd.DataFrame([{"volunteer_id": ill, "from_date": wednesday, "to_date": sunday}])
scenario_ill = workbench.edit.replace(
    scenario, volunteer_absences=pd.concat([scenario.volunteer_absences, absence], ignore_index=True))
ill_plan = workbench.solve(scenario_ill, time_limit=SECONDS, previous=baseline.schedule,
                           keep_before=wednesday, seed=0)
""",
        ignore=True,
    ),
    md(
        "The new plan keeps every rule and gives the ill volunteer nothing while ill. Monday and Tuesday "
        "are as they were: every session is still there with the same volunteer and time, and nothing "
        "new was added to those days:"
    ),
    code(
        """
def sessions_before(schedule: pd.DataFrame, day) -> set:
    \"\"\"The sessions before ``day``: (request, volunteer, date, start time).\"\"\"
    early = schedule[schedule["date"] < day.isoformat()]
    return set(zip(early["request_id"], early["volunteer_id"], early["date"], early["start"]))


t = ill_plan.schedule
ill_days = (t["date"] >= wednesday.isoformat()) & (t["date"] <= sunday.isoformat())
while_ill = t[(t["volunteer_id"] == ill) & ill_days]
done, done_now = sessions_before(s, wednesday), sessions_before(t, wednesday)
print("Hard-rule violations:", len(workbench.validate(scenario_ill, t)))
print("Sessions of the ill volunteer while ill:", len(while_ill))
print("Every Monday/Tuesday session still in the plan:", done <= done_now)
print("New sessions before Wednesday:", len(done_now - done))
""",
        check="Hard-rule violations: 0\nSessions of the ill volunteer while ill: 0\n"
        "Every Monday/Tuesday session still in the plan: True\nNew sessions before Wednesday: 0\n",
    ),
    md("""
### What changed, and whom to call

`diff_schedules` labels every session: **kept** (nothing to do), **moved** (same volunteer and
day, other time or mode), **reassigned** (same day, another volunteer), **added**, **dropped**.
`views.replan_from_text` is the sentence the planner app shows about the days before the
re-planning day.
"""),
    code("""
diff_ill = diff_schedules(baseline.schedule, ill_plan.schedule)
print(views.replan_from_text(diff_ill, wednesday))
summarize_diff(diff_ill)
"""),
    code("views.diff_figure(diff_ill)"),
    code("views.calls_view(diff_ill, scenario_ill)"),
    md("""
## 2. A crisis: every `either` visit becomes a phone call

At the weekend a flu wave starts. Requests with `mode = either` can be met in person or by
phone; from Monday of the second week they must be phone calls. Phone calls need no travel,
so volunteers far away can now help, but a volunteer's free hours stay what they are.

The first week is over by then, so we re-plan from the second Monday (`keep_before`): the
first week stays as it happened, and the change only reaches the second week.
"""),
    code(
        """
next_monday = monday + timedelta(days=7)
requests = scenario_ill.requests.copy()
either = requests["mode"] == "either"
requests.loc[either, "mode"] = "phone"
scenario_crisis = workbench.edit.replace(scenario_ill, requests=requests)
crisis_plan = workbench.solve(scenario_crisis, time_limit=SECONDS, previous=ill_plan.schedule,
                              keep_before=next_monday, seed=0)
print(f"{either.sum()} requests turned into phone calls from {next_monday:%A %d %b}")
""",
        ignore=True,
    ),
    code(
        """
former_either = set(requests.loc[either, "request_id"])
c = crisis_plan.schedule
second_week = c[c["date"] >= next_monday.isoformat()]
print("Hard-rule violations:", len(workbench.validate(scenario_crisis, c)))
print("In-person sessions in the second week for former 'either' requests:",
      int((second_week["request_id"].isin(former_either) & (second_week["mode"] == "in_person")).sum()))
print("Every first-week session still in the plan:",
      sessions_before(ill_plan.schedule, next_monday) == sessions_before(c, next_monday))
""",
        check="Hard-rule violations: 0\nIn-person sessions in the second week for former 'either' requests: 0\n"
        "Every first-week session still in the plan: True\n",
    ),
    code("""
diff_crisis = diff_schedules(ill_plan.schedule, crisis_plan.schedule)
views.diff_figure(diff_crisis)
"""),
    code("views.calls_view(diff_crisis, scenario_crisis).head(15)"),
    md("""
## 3. The three plans side by side

`compare_runs` puts the figures of each plan in one table; the chart shows the coverage
figures. *Weighted* counts urgent citizens more; *worst district* is the lowest coverage of
any district; *same volunteer* is the share of repeated requests kept with one volunteer.
"""),
    code("""
runs = {"baseline": baseline, "volunteer ill": ill_plan, "crisis": crisis_plan}
table = compare_runs(runs)
views.runs_table(table)
"""),
    code("views.runs_figure(table)"),
    md("Where did the changes land? Coverage per district in each plan:"),
    code("""
per_district = pd.DataFrame([
    {"plan": name, "district": district, "coverage %": 100 * value}
    for name, result in runs.items() for district, value in result.kpis["district_coverage"].items()
])
px.bar(per_district, x="district", y="coverage %", color="plan", barmode="group",
       title="Coverage per district in each plan", range_y=[0, 105])
"""),
    md("""
## What to take away

- A re-plan with `previous` keeps most agreed sessions: the *Whom to call* lists are short.
- `keep_before` (the app's *Re-plan from* day) protects what has already happened: the
  sessions before that day stay exactly as they were, and nothing new is planned in the past.
- Pins protect single sessions that have been promised.
- The same steps are buttons in the planner app (`02-planner.ipynb`, tab *What-if*).
"""),
]


def main() -> None:
    for name, cells in (
        ("01-quickstart.ipynb", QUICKSTART),
        ("02-planner.ipynb", PLANNER),
        ("03-what-if.ipynb", WHAT_IF),
    ):
        nb = notebook(cells)
        nbformat.validate(nb)
        path = HERE / name
        # Cell ids are random by default; derive them from the position so rebuilding changes nothing.
        for i, cell in enumerate(nb.cells):
            cell["id"] = f"{path.stem[:2]}-{i:02d}"
        nbformat.write(nb, path)
        print(f"wrote {path.relative_to(HERE.parent)}")


if __name__ == "__main__":
    main()
