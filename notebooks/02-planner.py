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

# %% tags=["nbval-ignore-output"]
from workbench.ui import planner

planner()

# %% [markdown]
# ### How to use it
#
# 1. **Data**: pick a bundled dataset and press *Load*, or *Upload* your own workbook (`.xlsx`)
#    or a zip of the CSV files. If something in the file is wrong, a list says which sheet,
#    row and column, so you can fix it in the spreadsheet and upload again.
# 2. **Need & supply** shows, before planning, what is needed and who could do it, per
#    activity, language and district.
# 3. **Solve** makes a plan. A quick first plan appears at once; the optimiser then improves
#    it until the time limit (*Method and time limit*). The line under the buttons shows the
#    best plan so far in points (sessions weighted by the citizen's priority, 1-5) and the
#    upper bound: no schedule can serve more points than that. **Stop** ends the search and
#    keeps the best plan found.
# 4. The cards show the headline figures; the tabs show the **Schedule** (filter by volunteer,
#    district, date, or search), each volunteer's **Calendar**, a **Map** of who is served,
#    the **Unassigned** sessions with the reason (and the appointment of a fixed-time escort),
#    and coverage per **District**. People are shown as name and id, "Anna Jensen (v12)",
#    because two people may share a name; weeks are counted from 1 (week 1 = the first week
#    of the plan), while the files the workbench writes count from 0.
# 5. **What-if**: mark a volunteer absent, change their limits, add or remove a request, or pin
#    an agreed session; then **Re-plan**. Every agreed session of the plan on screen stays
#    exactly as it is (volunteer, day, time and mode) unless a change you made forces it to
#    move, and *Changes to call about* lists every session that moved, was reassigned, added or
#    dropped, with the change that forced it.
#    When the period has already begun, set **Re-plan from** to the first day that may still
#    change: the sessions before it stay exactly as they are and nothing new is planned before
#    it. Leave it empty to re-plan the whole period.
# 6. **Runs** compares every plan you made. **Export** downloads the workbook, the schedule,
#    and each volunteer's calendar (`.ics`) and printable page, or saves them all to a folder.
# 7. *Objective weights* change what the plan cares about after serving as many sessions as
#    possible: keeping the same volunteer, preferred volunteers, shared interests, travel,
#    a fair load, the worst-served district, and (when re-planning) keeping agreed sessions.
#
# Served as a web page (`voila notebooks/02-planner.ipynb` from the repository's top folder),
# each open page has its own Python process; the `voila.json` there shuts a process down a few
# minutes after its page was closed.
