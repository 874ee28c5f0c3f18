# ---
# jupyter:
#   jupytext:
#     notebook_metadata_filter: -jupytext.text_representation.jupytext_version
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Quick start: one planning round in code
#
# This notebook makes a plan for the **demo** data (40 volunteers, 80 citizens, two weeks)
# in a few lines, and shows what came out. The planner app (`02-planner.ipynb`) does the
# same with buttons; this is the same thing for people who like to see the steps.
#
# Every step below uses the `workbench` package:
# `load_dataset` → `solve` → `validate` → look at the figures → `export`.

# %%
import tempfile
from pathlib import Path

import pandas as pd

import workbench
from workbench import views  # the planner's charts, as plain functions (no widgets)

scenario = workbench.load_dataset("demo")
st = scenario.settings
print(f"{scenario.name}: {len(scenario.volunteers)} volunteers, {len(scenario.citizens)} citizens, "
      f"{len(scenario.requests)} requests = {int(scenario.demand().sum())} sessions needed "
      f"over {st.weeks} weeks from {st.start_date:%A %d %B %Y}")

# %% [markdown]
# ## The data
#
# Each table is a spreadsheet the coordinator keeps (see `SCENARIO_FORMAT.md`). Here are the
# first volunteers and the first requests: *who offers what, when, in which languages* and
# *who needs which activity, how long, how often*.

# %%
scenario.volunteers[["volunteer_id", "name", "skills", "languages", "travel_mode", "max_sessions_per_week"]].head()

# %%
scenario.requests.head()

# %% [markdown]
# ## Who is needed, and who could help?
#
# Before planning it pays to look at need and supply side by side. Hours needed are the
# sessions demanded times their length; volunteer hours are the hours volunteers are free.
# A district with many hours needed and few volunteers within reach will be hard to serve.

# %%
supply = views.supply_demand(scenario)
supply["activity"]

# %%
views.supply_demand_figure(supply["district"], "district")

# %% [markdown]
# ## Make a plan
#
# `workbench.solve` first serves as many sessions as possible, urgent citizens first, and then
# uses the remaining freedom for continuity, citizens' preferred volunteers, shared interests,
# less travel and a fair load. `time_limit` bounds the search in seconds. The status says
# `OPTIMAL` when the plan is proven best, `FEASIBLE` when the time ran out first (the plan is
# still valid; `bound` says how much better any plan could be at most).

# %% tags=["nbval-ignore-output"]
result = workbench.solve(scenario, method="cpsat", time_limit=10, seed=0)
k = result.kpis
print(f"status {result.status}: {k['served_sessions']} of {k['demand_sessions']} sessions "
      f"planned in {result.seconds:.1f} s")

# %% [markdown]
# ## Check it
#
# `workbench.validate` checks every hard rule of the contract (languages, vetting, travel,
# availability, no double booking, weekly limits, ...). A plan from `solve` always passes.

# %% tags=["nbval-check-output"]
violations = workbench.validate(scenario, result.schedule)
print("Hard-rule violations:", len(violations))
print("Columns:", ", ".join(result.schedule.columns))

# %% [markdown]
# ## The headline figures

# %%
pd.DataFrame(views.kpi_cards(result.kpis), columns=["figure", "value", "meaning"])

# %% [markdown]
# ## The schedule
#
# One row per session. `views.filter_schedule` narrows it down, e.g. to one district.

# %%
table = views.schedule_view(result.schedule, scenario)
table.head(10)

# %% [markdown]
# ## One volunteer's fortnight (the busiest one)

# %%
busiest = result.schedule["volunteer_id"].value_counts().index[0]
views.gantt_figure(result.schedule, scenario, busiest)

# %% [markdown]
# ## Where are the citizens who were not served?
#
# Green citizens get all their sessions, yellow some, red none; blue diamonds are volunteers'
# homes. Bigger dots are more urgent citizens.

# %%
views.map_figure(scenario, result.schedule)

# %% [markdown]
# ## What could not be planned, and why
#
# The reasons are written for a coordinator: they say what is lacking (a language, a vetted
# volunteer, free time at the right hours, ...), which is where recruiting helps.

# %%
views.unassigned_view(result.unassigned, scenario).head(10)

# %%
views.district_figure(result.kpis)

# %% [markdown]
# ## Send it out
#
# `export_all` writes the schedule as CSV and Excel and, for every volunteer, a calendar file
# (`.ics`, for their phone) and a printable page. Here it writes to a temporary folder; give
# a folder of your own instead.

# %% tags=["nbval-ignore-output"]
from workbench.export import export_all

out = Path(tempfile.mkdtemp(prefix="workbench-quickstart-"))
written = export_all(result.schedule, scenario, out, unassigned=result.unassigned)
print(f"{len(written)} files written to {out}, e.g.:")
for path in written[:4]:
    print("  ", path.relative_to(out))
