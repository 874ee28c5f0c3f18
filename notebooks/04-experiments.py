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
# # What if? Many scenarios, many seeds, honest answers
#
# A single schedule tells you what happens next week. Programme decisions need a different kind of
# answer: *how many more citizens would we reach with 20% more volunteers? If more citizens accepted
# phone calls? If volunteers travelled further? If more of them were vetted? If neighbours helped
# now and then? What happens in a lock-down, when visits must become calls?*
#
# This notebook answers such questions by experiment. It takes a city (a generated one or one of our
# datasets), changes one thing at a time, and schedules every version many times with different
# random **seeds**. One seed is one plausible week: a different city drawn by the generator, or a
# different random choice of which volunteers join or which requests change. Averaging over seeds,
# with a **95% confidence interval**, separates what a change really does from the luck of one draw.
#
# How to read an interval: *coverage 78% [74%, 82%]* means our best estimate is 78%, and the true
# average over all such weeks lies between 74% and 82% with 95% confidence. When two intervals do
# not overlap, the difference is real; when they overlap, look at the *paired* comparison further
# down, which compares the two versions on the same seeds and is much sharper.

# %% tags=["parameters"]
# Parameters. papermill replaces this cell's values; the defaults are a small, quick sweep.
# The city: generator settings, or a dataset name such as "demo".
base = {"volunteers": 15, "citizens": 30, "weeks": 1}
# The volunteer pool × these factors (1.0 = today).
supply = [0.5, 1.0, 1.5]
# Replications per version; use 20 or more before deciding anything.
seeds = 3
# Add "cpsat" to compare the optimiser with the greedy baseline.
methods = ["greedy"]
# The optimiser's work per schedule: deterministic (about seconds on a typical core), so the same
# parameters give the same table on any machine. Greedy needs none.
effort = 2.0
# Local processes running schedules side by side.
workers = 2
# Address of a dask scheduler (tcp://host:8786) to run on a cluster; "" = this machine.
scheduler = ""
# Folder that keeps every finished run (re-running resumes); "" = a temporary folder.
out_dir = ""
# The continuity weights compared in "What a visiting friend costs" (the optimiser's default is 20);
# [] skips that section.
continuity_weights = [0, 20, 80]

# %%
import tempfile

import pandas as pd
from IPython.display import display

from workbench.experiments import Spec, catalogue, paired_difference, plots, run_experiment, summarize
from workbench.experiments.stats import format_ci, is_share

pd.set_option("display.max_columns", 40)
out_dir = out_dir or tempfile.mkdtemp(prefix="workbench-experiment-")


# %% [markdown]
# ## The versions we compare
#
# *Today* is the city as it is. Every other version changes one thing:
#
# | version | what changes |
# |---|---|
# | supply ×k | the volunteer pool is scaled: a random part stays, or people like today's volunteers join |
# | lock-down | visits become calls; walks, escorts and meals cannot happen and stay unserved |
# | calls OK | every citizen asking for a visit or IT help also accepts a phone call |
# | travel ×1.5 | every volunteer is willing to travel 50% further |
# | vetted 80% | 80% of volunteers hold a background check |
# | ad-hoc helpers | neighbours who help once a week on a couple of days, on foot, unvetted |
#
# Lock-down is also combined with every supply level, to see whether more volunteers would make up
# for it.

# %%
helpers = max(1, (base.get("volunteers", 40) if isinstance(base, dict) else 40) // 5)
variants = catalogue.what_if_variants(supply, helpers=helpers)
spec = Spec(base=base, modifications=variants, seeds=range(seeds), methods=methods, effort=effort, name="what-if")
print(f"{len(spec)} runs: {len(variants)} versions × {seeds} seeds × {len(methods)} method(s)")
print(f"results in {out_dir}")

# %% [markdown]
# ## Run the sweep
#
# Each run is stored as soon as it finishes, so an interrupted sweep loses nothing: run this cell
# again (with the same `out_dir`) and it continues where it stopped. A run that fails is recorded
# with its error and the others carry on. With `scheduler` set, the runs go to a dask cluster.

# %%
runs = run_experiment(spec, out_dir, workers=workers, scheduler=scheduler or None)

failed = runs[runs["status"] == "ERROR"]
print(f"{len(runs)} runs, {len(failed)} failed")
display(failed[["variant", "seed", "method", "error"]])
runs[["variant", "seed", "method", "coverage", "citizens_served", "min_district_coverage", "status", "gap",
      "solve_seconds"]].head(10)

# %% [markdown]
# ## The answers, with their uncertainty
#
# Mean over seeds and 95% confidence interval, per version. *Coverage* is the share of demanded
# sessions that are scheduled; *worst district* is the coverage of the least-served district, our
# equity figure. Shares cannot leave [0, 1], so their intervals are cut there.
#
# **How far from the best?** The optimiser stops when its work budget is spent. Each run reports
# its *gap*: how far its schedule may be below the best possible one. Relaxing a rule can never
# lower the best coverage, yet two searches cut short can say it did, so a version whose runs stop
# more than 1% from their bound is marked ⚠: its differences may be the search, not the change.

# %%
metrics = ["coverage", "citizens_served", "min_district_coverage"]
summary = summarize(runs, metrics=metrics, by=["variant", "method"])
summary["estimate"] = [format_ci(m, lo, hi, percent=is_share(metric)) + (" ⚠" if flag else "")
                       for m, lo, hi, metric, flag in zip(summary["mean"], summary["ci_low"], summary["ci_high"],
                                                          summary["metric"], summary["flag"])]
table = summary.pivot(index=["variant", "method"], columns="metric", values="estimate").reindex(
    columns=["coverage", "citizens_served", "min_district_coverage"]).loc[list(variants)]
gaps = summary.groupby(["variant", "method"], sort=False)["max_gap"].first()
table["largest gap"] = [("–" if pd.isna(g) else f"{g:.1%}") for g in gaps.reindex(table.index)]
table

# %% [markdown]
# ### Compared with today, seed by seed
#
# Each version against *today* on the same seeds: the change in coverage (percentage points) and in
# citizens reached, with 95% intervals. An interval that excludes 0 is a real effect.

# %%
rows = []
for v in variants:
    if v == "today":
        continue
    for metric in ("coverage", "citizens_served"):
        d = paired_difference(runs, metric, column="variant", a=v, b="today", by=["method"])
        for _, r in d.iterrows():
            scale = 100 if metric == "coverage" else 1
            unit = " pp" if metric == "coverage" else ""
            ci = "" if pd.isna(r["ci_low"]) else f" [{scale * r['ci_low']:+.1f}, {scale * r['ci_high']:+.1f}]"
            rows.append({"version": v, "method": r["method"], "metric": metric,
                         "change": f"{scale * r['diff']:+.1f}{unit}{ci}" + (" ⚠" if r["flag"] else ""),
                         "seeds": r["n"]})
changes = pd.DataFrame(rows)
flagged = sum("⚠" in c for c in changes.get("change", []))
if flagged:
    print(f"⚠ {flagged} comparison(s) involve runs far from their proven bound: give more effort before "
          "reading them as effects of the change.")
changes.pivot(index=["version", "method"], columns="metric", values="change") if len(changes) else changes

# %% [markdown]
# ## Coverage against volunteer supply
#
# How coverage grows as the pool grows, today and in a lock-down. A flattening curve means more
# volunteers alone no longer help: the bottleneck is elsewhere (languages, hours, districts).

# %%
supply_family = [v for v in variants if v == "today" or v.startswith("supply") or v.startswith("lock-down")]
plots.coverage_vs_supply(runs[runs["variant"].isin(supply_family)], metric="coverage").show()

# %% [markdown]
# ## Equity across districts
#
# Coverage per district, worst first. A what-if that raises the average but leaves the worst
# districts where they were does not help the citizens who need it most.

# %%
equity_versions = [v for v in ("today", "lock-down", "calls OK", "travel ×1.5", "ad-hoc helpers")
                   if v in variants]
plots.district_equity(runs[runs["variant"].isin(equity_versions)]).show()

# %% [markdown]
# ## The optimiser against the greedy baseline
#
# Only when both methods ran (`methods = ["greedy", "cpsat"]`): what the optimiser adds over a
# coordinator's first-come, first-served assignment, per version and paired on seeds.

# %%
if {"cpsat", "greedy"} <= set(methods):
    plots.method_comparison(runs, metric="coverage").show()
    display(paired_difference(runs, "coverage", column="method", a="cpsat", b="greedy"))
else:
    print('Add "cpsat" to methods to compare the optimiser with the greedy baseline.')

# %% [markdown]
# ## What a visiting friend costs
#
# A visiting friend should be the same person every week. The optimiser keeps one volunteer per
# recurring request as far as its **continuity weight** allows: at 0 it serves the most sessions and
# lets anyone come each week; the higher the weight, the more friends it keeps and the more sessions
# it may give up for them. The same city (with at least two weeks, so that there are weeks to keep a
# friend across) is solved by the optimiser at each weight, on the same seeds: *same volunteer* is
# the share of repeat requests kept with one volunteer, *weighted coverage* what that costs.

# %%
if continuity_weights:
    friends_base = {**base, "weeks": max(2, int(base.get("weeks", 1)))} if isinstance(base, dict) else base
    names = {w: f"continuity weight {w}" for w in continuity_weights}
    friends = Spec(base=friends_base, modifications={n: [] for n in names.values()},
                   weight_overrides={n: {"continuity": w} for w, n in names.items()}, seeds=range(seeds),
                   methods=["cpsat"], effort=effort, name="continuity")
    friend_runs = run_experiment(friends, f"{out_dir}/continuity", workers=workers, scheduler=scheduler or None)
    trade = summarize(friend_runs, metrics=["continuity", "weighted_coverage"], by=["variant", "weight_continuity"])
    trade["estimate"] = [format_ci(m, lo, hi, percent=True) for m, lo, hi in
                         zip(trade["mean"], trade["ci_low"], trade["ci_high"])]
    display(trade.pivot(index="weight_continuity", columns="metric", values="estimate")
            .rename(columns={"continuity": "same volunteer", "weighted_coverage": "weighted coverage"}))
else:
    print("No continuity weights to compare (continuity_weights = []).")

# %% [markdown]
# ## Going bigger
#
# The same notebook runs a large sweep when given large parameters, for example with papermill:
#
# ```
# papermill notebooks/04-experiments.ipynb sweep.ipynb -p seeds 30 -y 'methods: [greedy, cpsat]' \
#     -y 'base: {volunteers: 60, citizens: 100, weeks: 2}' -p effort 10 -p workers 8 -p out_dir sweep
# ```
#
# or from the command line with a spec file, on this machine or on a dask cluster:
#
# ```
# workbench experiment spec.toml --out sweep --workers 8
# workbench experiment spec.toml --out sweep --scheduler tcp://scheduler:8786
# ```
#
# Every run lands in `out_dir/runs/` as it finishes and the whole table in `out_dir/results.csv`;
# `workbench experiment` also writes `summary.csv` and the figures (`figures/*.html`). The work
# budget (`effort`) is deterministic: a reviewer who runs the same spec gets the same table.
#
# **Caveats.** Generated cities are plausible, not real: use them to compare policies, not to
# promise numbers. Lock-down keeps unservable walks and escorts in the demand, so its coverage is
# comparable with today's. A few seeds give wide intervals; that is the honest answer until more
# seeds have run.
