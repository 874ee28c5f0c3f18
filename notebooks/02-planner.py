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
#    best plan so far and how far from the best possible it can be at most. **Stop** ends the
#    search and keeps the best plan found.
# 4. The cards show the headline figures; the tabs show the **Schedule** (filter by volunteer,
#    district, date, or search), each volunteer's **Calendar**, a **Map** of who is served,
#    the **Unassigned** sessions with the reason, and coverage per **District**.
# 5. **What-if**: mark a volunteer absent, change their limits, add or remove a request, or pin
#    an agreed session; then **Re-plan**. The new plan stays as close as it can to the old one,
#    and *Whom to call* lists every session that was moved, reassigned, added or dropped.
#    When the period has already begun, set **Re-plan from** to the first day that may still
#    change: the sessions before it stay exactly as they are and nothing new is planned before
#    it. Leave it empty to re-plan the whole period.
# 6. **Runs** compares every plan you made. **Export** downloads the workbook, the schedule,
#    and each volunteer's calendar (`.ics`) and printable page, or saves them all to a folder.
# 7. *Objective weights* change what the plan cares about after serving as many sessions as
#    possible: keeping the same volunteer, preferred volunteers, shared interests, travel,
#    a fair load, the worst-served district, and (when re-planning) keeping agreed sessions.
