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
# # The waiting list over months
#
# A weekly schedule answers *who goes where next week*. A visiting-friend programme is judged by a
# different question: **how long does a lonely person wait for a visiting friend, and who waits
# longest?** An Irish befriending service reported that 28% of referrals were matched and that a match
# took about three months.
#
# This notebook lives through a programme week by week. Every week new citizens are referred (drawn
# from the programme's own mix of districts, languages, needs and hours), volunteers join and leave,
# friendships end when the citizen no longer needs visits, and the week is planned by the same engine
# a coordinator uses, keeping every running match with its volunteer and giving free time to those
# waiting, most urgent first. Then it asks what would shorten the wait: calls instead of visits, a wider
# travel radius, a second weekly visit for the most urgent, a recruitment drive in one community, or
# what a lock-down would do.
#
# **Reading waiting times.** Some people are still waiting when the simulation ends. Their wait is at
# least that long, not exactly that long; averaging only those already matched would make a long list
# look short. Every waiting-time figure here is a *Kaplan–Meier* estimate, which counts those still
# waiting for what they tell us, with a 95% interval.

# %% tags=["parameters"]
# Parameters. papermill replaces this cell's values; the defaults are small and run in seconds.
# The programme: a bundled dataset (demo, city-medium, city-large) or a scenario folder / workbook.
scenario = "demo"
# Weeks to simulate for the detailed look (52 = a year).
weeks = 12
# New citizens referred per week; None = as many as leave when everyone is matched.
referrals_per_week = 3.0
# Volunteers joining per week; None = as many as leave.
recruits_per_week = None
# Weekly probability that a matched citizen no longer needs visits (0.02 ≈ a year on average).
match_end_hazard = 0.05
# Weekly probability that a volunteer stops (0.015 ≈ 15 months on average).
volunteer_leave_hazard = 0.015
# How each week is planned: "greedy" (the coordinator's way, fast) or "cpsat" (the optimiser).
method = "greedy"
# The optimiser's deterministic work per week (reproducible on any machine); greedy needs none.
effort_per_week = 2.0
# The seed of the detailed simulation: the same seed gives the same simulation.
seed = 1
# Policies to compare (names start with these; see workbench.experiments.catalogue.policies).
policies = ["today", "phone friends", "second visit", "recruit"]
# Replications per policy; use 20 or more before deciding anything.
seeds = 5
# Weeks per simulation in the policy comparison.
policy_weeks = 8
# Local processes running simulations side by side (0 = in this process).
workers = 2
# Address of a dask scheduler (tcp://host:8786) to run on a cluster; "" = this machine.
scheduler = ""
# Folder that keeps every finished run (re-running resumes); "" = a temporary folder.
out_dir = ""

# %%
import tempfile

import pandas as pd
from IPython.display import display

import workbench
from workbench.experiments import catalogue, paired_difference, plots, run_experiment, summarize
from workbench.experiments.run import load_series
from workbench.experiments.stats import format_ci, is_share
from workbench.simulate import Parameters, figures, metrics, simulate

pd.set_option("display.max_columns", 30)
out_dir = out_dir or tempfile.mkdtemp(prefix="workbench-waiting-list-")
city = workbench.load_dataset(scenario) if scenario in workbench.datasets.names() else workbench.load(scenario)
print(f"{city.name}: {len(city.volunteers)} volunteers, {len(city.citizens)} citizens, "
      f"{len(city.requests)} requests")

# %% [markdown]
# ## A year (or a few weeks) of the programme
#
# The citizens of the scenario are the caseload at the start, none of them matched yet; everyone
# referred later is a *referral*, and the waiting-time figures below are about them.

# %% tags=["nbval-ignore-output"]
params = Parameters(weeks=weeks, referrals_per_week=referrals_per_week, recruits_per_week=recruits_per_week,
                    match_end_hazard=match_end_hazard, volunteer_leave_hazard=volunteer_leave_hazard)
sim = simulate(city, params, seed=seed, method=method,
               effort_per_week=effort_per_week if method == "cpsat" else None, progress=True)
p = sim.parameters
print(f"{sim.weeks_done} weeks: {p.referrals_per_week:.3g} referrals and {p.recruits_per_week:.3g} recruits a week "
      f"on average; {len(sim.sessions)} sessions held")

# %% [markdown]
# Two checks that hold for every simulation: each week's plan keeps all the hard rules (the engine
# checks every schedule it returns; here the week's sessions are checked again), and the same seed
# gives the same simulation.

# %% tags=["nbval-check-output"]
again = simulate(city, params, seed=seed, method=method,
                 effort_per_week=effort_per_week if method == "cpsat" else None)
same = all(getattr(sim, t).drop(columns=[c for c in ("solve_seconds", "week_seconds")
                                         if c in getattr(sim, t).columns]).equals(
    getattr(again, t).drop(columns=[c for c in ("solve_seconds", "week_seconds") if c in getattr(again, t).columns]))
    for t in ("weeks", "citizens", "matches", "sessions"))
print("Same seed, same simulation:", same)
print("Every week's sessions are in the week they were planned:",
      bool((pd.to_datetime(sim.sessions["date"]).dt.date.map(lambda d: (d - sim.start_date).days // 7)
            == sim.sessions["week"]).all()))

# %% [markdown]
# ### The waiting list
#
# Citizens referred and not yet visited, after each week's plan. A list that keeps growing means
# referrals outpace the free capacity; a flat list with a long tail of the same people means some
# needs fit nobody (a language no volunteer speaks, hours no one is free).

# %%
figures.waiting_list(sim).show()
figures.waiting_list(sim, by="priority", min_group=3).show()

# %% [markdown]
# ### How long until a first visit
#
# The share of referrals with a first session by each number of weeks after referral, and the shares
# within 4, 8 and 12 weeks. A share the simulation was too short to observe is left blank.

# %%
figures.time_to_match(sim).show()
within = metrics.matched_within(sim, min_group=3)
within.assign(estimate=[format_ci(s, lo, hi, percent=True) for s, lo, hi in
                        zip(within["share"], within["ci_low"], within["ci_high"])])[
    ["within_weeks", "n", "matched_count", "censored", "estimate", "median_weeks"]]

# %% [markdown]
# ### Who waits longest?
#
# The same figure per group: by need (priority 5 = most urgent), district, the citizen's languages
# and the activity asked for. Groups with few people are pooled as *other*.

# %%
for by in ("priority", "district", "language", "activity"):
    figures.time_to_match(sim, by=by, min_group=3).show()

# %%
rows = []
for by in ("priority", "district", "language", "activity"):
    t = metrics.matched_within(sim, by, (4,), min_group=3)
    rows.append(t)
groups = pd.concat(rows, ignore_index=True)
groups["matched within 4 weeks"] = [format_ci(s, lo, hi, percent=True) for s, lo, hi in
                                    zip(groups["share"], groups["ci_low"], groups["ci_high"])]
groups.sort_values("share")[["by", "group", "n", "matched within 4 weeks", "median_weeks"]].head(10)

# %% [markdown]
# ### Matches and volunteers
#
# How long friendships last (ended by the citizen's need, a volunteer leaving, or the planner giving
# the citizen another volunteer), and how the volunteers fare: who joins and leaves, and how the load
# spreads.

# %%
figures.match_length(sim).show()
display(metrics.end_reasons(sim))
figures.volunteers(sim).show()

# %% [markdown]
# ## What would shorten the wait? Policies as experiments
#
# Each policy is simulated over several seeds. A seed fixes who is referred when, who joins, and how
# long each person's need lasts, so every policy meets *the same* people: differences come from the
# policy, not from luck, and the comparison below is paired on the seed. Intervals are 95% over seeds.

# %%
spec = catalogue.policy_spec(
    scenario, city,
    {"weeks": policy_weeks, "referrals_per_week": referrals_per_week, "recruits_per_week": recruits_per_week,
     "match_end_hazard": match_end_hazard, "volunteer_leave_hazard": volunteer_leave_hazard},
    seeds=range(seeds), methods=[method], choose=policies, effort=effort_per_week,
)
pd.DataFrame({"policy": spec.variants})

# %% tags=["nbval-ignore-output"]
runs = run_experiment(spec, out_dir, workers=workers, scheduler=scheduler or None)
series, curves = load_series(out_dir, spec)
print(f"{len(runs)} runs, {int((runs['status'] == 'ERROR').sum())} failed; results in {out_dir}")

# %% [markdown]
# ### The policies side by side
#
# Mean over seeds with its 95% interval. Shares matched are Kaplan–Meier estimates per run; an
# interval never leaves [0, 1]. When the optimiser plans the weeks, a policy whose runs stopped far
# from their proven bound is marked ⚠: its differences may be the search, not the policy.

# %%
# A share "within 12 weeks" exists only when every run observed referrals that long.
measures = [m for m in ("matched_within_4w", "matched_within_8w", "matched_within_12w", "median_wait_weeks",
                        "mean_waiting", "coverage") if runs[m].notna().all()]
summary = summarize(runs, measures, by=["variant"])
summary["estimate"] = [format_ci(m, lo, hi, percent=is_share(metric)) + (" ⚠" if flag else "")
                       for m, lo, hi, metric, flag in zip(summary["mean"], summary["ci_low"], summary["ci_high"],
                                                          summary["metric"], summary["flag"])]
summary.pivot(index="variant", columns="metric", values="estimate").reindex(index=spec.variants, columns=measures)

# %%
plots.matched_within_by_variant(runs).show()
plots.waiting_list_by_variant(series).show()
plots.time_to_match_by_variant(curves).show()

# %% [markdown]
# ### Each policy against today, seed by seed
#
# The change in the share matched within 4 weeks (percentage points) and in the mean waiting list,
# paired on the seed. An interval that excludes 0 is a real effect of the policy.

# %%
rows = []
for v in spec.variants[1:]:
    for metric in ("matched_within_4w", "mean_waiting"):
        d = paired_difference(runs, metric, column="variant", a=v, b=spec.variants[0], by=[])
        for _, r in d.iterrows():
            scale, unit = (100, " pp") if metric == "matched_within_4w" else (1, "")
            ci = "" if pd.isna(r["ci_low"]) else f" [{scale * r['ci_low']:+.1f}, {scale * r['ci_high']:+.1f}]"
            rows.append({"policy": v, "metric": metric, "seeds": r["n"],
                         "change": f"{scale * r['diff']:+.1f}{unit}{ci}" + (" ⚠" if r["flag"] else "")})
pd.DataFrame(rows).pivot(index="policy", columns="metric", values="change") if rows else pd.DataFrame()

# %% [markdown]
# ## Going bigger
#
# The same notebook with a year of the medium city, ten seeds and the optimiser, for example with
# papermill:
#
# ```
# papermill notebooks/05-waiting-list.ipynb year.ipynb -p scenario city-medium -p weeks 52 \
#     -p referrals_per_week 12 -p policy_weeks 52 -p seeds 10 -p workers 8 -p out_dir year
# ```
#
# or from the command line, one simulation with its tables and figures, or a policy sweep from a spec
# file (see `workbench.experiments.spec`), locally or on a dask cluster:
#
# ```
# workbench simulate datasets/city-medium --weeks 52 --out out/sim --referrals-per-week 12
# workbench experiment policies.toml --out sweep --workers 8
# ```
#
# **Caveats.** New citizens and volunteers are drawn from today's people, so the programme's mix stays
# as it is unless a policy changes it. Rates and hazards are the user's assumptions: vary them (the
# `[grid]` of a spec) before trusting a conclusion. The engine plans one week at a time, as a
# coordinator does; it does not hold back capacity for next week's referrals.
