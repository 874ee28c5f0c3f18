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
# # What if...? Re-planning when things change
#
# A plan rarely survives the week. This notebook plays through two changes on the demo data
# and re-plans each time *close to the plan already agreed*, so that as few people as
# possible need a phone call:
#
# 1. on Tuesday evening of the first week, a busy volunteer falls ill from Wednesday to the
#    end of the week;
# 2. at the weekend a crisis (say, a flu wave) means that from the second week on, every visit
#    that *could* be a phone call (`mode = either`) becomes a phone call.
#
# Both happen while the plan is under way, so each re-plan starts from a day (`keep_before`):
# what lies before that day has happened and stays exactly as it was.
#
# At the end, the three plans are compared side by side.

# %% tags=["nbval-ignore-output"]
from datetime import timedelta

import pandas as pd
import plotly.express as px

import workbench
from workbench import views
from workbench.compare import compare_runs, diff_schedules, explain_changes, sessions_before, summarize_diff
from workbench.scenario import edit

# A deterministic work budget per plan (about 2 s of one core) instead of a clock: the same plans on
# every machine, however busy it is.
EFFORT = 2

scenario = workbench.load_dataset("demo")
monday = scenario.settings.start_date
baseline = workbench.solve(scenario, time_limit=None, effort=EFFORT, seed=0)
print(f"Baseline: {baseline.kpis['served_sessions']} of {baseline.kpis['demand_sessions']} sessions planned "
      f"({baseline.status})")

# %% [markdown]
# ## 1. A volunteer falls ill mid-week
#
# Tuesday evening of the first week, a busy volunteer calls: they go into hospital tomorrow
# and will be out for the rest of the week. Monday's and Tuesday's visits have already taken
# place, so the new plan must leave them exactly as they were and cannot put anything new on
# those days. We take the volunteer with the most sessions from Wednesday to Sunday, and:
#
# - add an **absence** from Wednesday to Sunday (`edit.mark_absent`: the scenario edits are pure
#   functions that return a new, checked scenario; the planner app's buttons use the same ones);
# - solve again with `previous=baseline.schedule` and `keep_before=wednesday`. Every session
#   of the agreed plan before Wednesday is kept exactly, and nothing new is planned before
#   Wednesday. From Wednesday on, every agreed session that still keeps the rules stays exactly
#   (volunteer, date, time and mode); `again.forced` lists the others with the change that forced
#   each, and only the free places are planned anew.
#
# In the planner app this is the *Re-plan from* day next to the *Re-plan* button.

# %% tags=["nbval-ignore-output"]
wednesday, sunday = monday + timedelta(days=2), monday + timedelta(days=6)
s = baseline.schedule
rest_of_week = s[(s["date"] >= wednesday.isoformat()) & (s["date"] <= sunday.isoformat())]
ill = rest_of_week["volunteer_id"].value_counts().index[0]
name = scenario.volunteers.set_index("volunteer_id").at[ill, "name"]
print(f"{name} ({ill}) is ill from {wednesday:%A %d %b} to {sunday:%A %d %b}: "
      f"{(rest_of_week['volunteer_id'] == ill).sum()} of their sessions need someone else.")

scenario_ill = edit.mark_absent(scenario, ill, wednesday, sunday)
ill_plan = workbench.solve(scenario_ill, time_limit=None, effort=EFFORT, previous=baseline.schedule,
                           keep_before=wednesday, seed=0)


# %% [markdown]
# The new plan keeps every rule and gives the ill volunteer nothing while ill. Monday and Tuesday are as
# they were: every session is still there with the same volunteer and time, and nothing new was added to
# those days:

# %% tags=["nbval-check-output"]
t = ill_plan.schedule
ill_days = (t["date"] >= wednesday.isoformat()) & (t["date"] <= sunday.isoformat())
while_ill = t[(t["volunteer_id"] == ill) & ill_days]
# compare.sessions_before: the sessions before a day, in a fixed order, to compare two plans on the past
print("Sessions of the ill volunteer while ill:", len(while_ill))
print("Monday and Tuesday exactly as agreed:", sessions_before(s, wednesday).equals(sessions_before(t, wednesday)))

# %% [markdown]
# ### What changed, and whom to call
#
# `diff_schedules` labels every session: **kept** (nothing to do), **moved** (same volunteer and
# day, other time or mode), **reassigned** (same day, another volunteer), **added**, **dropped**.
# `explain_changes` adds the reason each agreed session had to change (`Result.forced` lists the
# agreed sessions the solver could not keep, each with the change that forced it), and
# `views.replan_from_text` is the sentence the planner app shows about the days before the
# re-planning day.

# %%
diff_ill = explain_changes(diff_schedules(baseline.schedule, ill_plan.schedule), ill_plan.forced)
print(views.replan_from_text(diff_ill, wednesday))
print(views.changes_text(diff_ill))
summarize_diff(diff_ill)

# %%
views.diff_figure(diff_ill)

# %%
views.calls_view(diff_ill, scenario_ill)

# %% [markdown]
# ## 2. A crisis: every `either` visit becomes a phone call
#
# At the weekend a flu wave starts. Requests with `mode = either` can be met in person or by
# phone; from Monday of the second week they must be phone calls. Phone calls need no travel,
# so volunteers far away can now help, but a volunteer's free hours stay what they are.
#
# The first week is over by then, so we re-plan from the second Monday (`keep_before`): the
# first week keeps its volunteers, days and times, and nothing new is planned in it. A request's
# mode holds for the whole period, though, so the first week's visits of a request that now
# allows only calls are recorded as calls; `crisis_plan.forced` lists each with that reason.

# %% tags=["nbval-ignore-output"]
next_monday = monday + timedelta(days=7)
former_either = set(scenario_ill.requests.loc[scenario_ill.requests["mode"] == "either", "request_id"])
scenario_crisis = edit.set_request_mode(scenario_ill, former_either, "phone")
crisis_plan = workbench.solve(scenario_crisis, time_limit=None, effort=EFFORT, previous=ill_plan.schedule,
                              keep_before=next_monday, seed=0)
print(f"{len(former_either)} requests turned into phone calls from {next_monday:%A %d %b}")

# %% tags=["nbval-check-output"]
c = crisis_plan.schedule
second_week = c[c["date"] >= next_monday.isoformat()]
print("In-person sessions in the second week for former 'either' requests:",
      int((second_week["request_id"].isin(former_either) & (second_week["mode"] == "in_person")).sum()))
who_when = ["request_id", "volunteer_id", "date", "start", "end"]
print("The first week's sessions with the same volunteer, day and time:",
      sessions_before(ill_plan.schedule, next_monday)[who_when].equals(sessions_before(c, next_monday)[who_when]))
before_crisis, after_crisis = sessions_before(ill_plan.schedule, next_monday), sessions_before(c, next_monday)
relabelled = before_crisis[before_crisis["mode"] != after_crisis["mode"]]
forced_early = crisis_plan.forced[crisis_plan.forced["date"] < next_monday.isoformat()]
print("Every other first-week change is a visit now recorded as a call, with that reason:",
      (relabelled["request_id"].isin(former_either) & (relabelled["mode"] == "in_person")).all()
      and set(relabelled["request_id"]) == set(forced_early["request_id"])
      and forced_early["reason"].str.startswith("now by phone").all())

# %%
diff_crisis = explain_changes(diff_schedules(ill_plan.schedule, crisis_plan.schedule), crisis_plan.forced)
print(views.changes_text(diff_crisis))
views.diff_figure(diff_crisis)

# %%
views.calls_view(diff_crisis, scenario_crisis).head(15)

# %% [markdown]
# ## 3. The three plans side by side
#
# `compare_runs` puts the figures of each plan in one table; the chart shows the coverage
# figures. *Weighted* counts urgent citizens more; *worst district* is the lowest coverage of
# any district; *same volunteer* is the share of repeated requests kept with one volunteer.

# %%
runs = {"baseline": baseline, "volunteer ill": ill_plan, "crisis": crisis_plan}
table = compare_runs(runs)
views.runs_table(table)

# %%
views.runs_figure(table)

# %% [markdown]
# Where did the changes land? Coverage per district in each plan:

# %%
per_district = pd.DataFrame([
    {"plan": name, "district": district, "coverage %": 100 * value}
    for name, result in runs.items() for district, value in result.kpis["district_coverage"].items()
])
px.bar(per_district, x="district", y="coverage %", color="plan", barmode="group",
       title="Coverage per district in each plan", range_y=[0, 105])

# %% [markdown]
# ## What to take away
#
# - A re-plan with `previous` keeps every agreed session unless a change forces it to move, and
#   says which change forced each move: the *Changes to call about* lists are short.
# - `keep_before` (the app's *Re-plan from* day) protects what has already happened: the
#   sessions before that day stay exactly as they were, and nothing new is planned in the past.
# - Pins protect single sessions that have been promised.
# - The same steps are buttons in the planner app (`02-planner.ipynb`, tab *What-if*).
