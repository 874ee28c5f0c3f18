"""The simulation checked against queueing theory: an M/M/c programme against Erlang C.

The programme: every volunteer can serve every citizen of their group (one language,
one skill, no distance limit, free all week) and takes one weekly visit
(``max_sessions_per_week = 1``), so a volunteer is one *server* and a match is one
*service*. Referrals arrive as a Poisson stream (λ a week) and a match ends with a
fixed weekly hazard h, so a service lasts 1/h weeks on average: μ = h. With c
servers, Erlang C gives the probability of waiting C(c, λ/μ) and the mean wait
C / (cμ − λ).

The weekly step. A referral made during a week is first planned at the next
weekly round, and a volunteer freed during a week takes a new citizen at the next
round too. The wait counted here is in weekly rounds: the rounds a referral is
planned without getting a visit. Rounding every event up to the next round
keeps the mean (E[⌈U + W⌉] − 1 = E[W] for a uniform arrival phase U), so the mean
wait in rounds is Erlang C's mean wait (up to a discretisation error of order h,
a few per cent here). Whether a referral waits at least one round, though, is
not C: a wait shorter than the rest of the week is absorbed by the round. Since
Erlang C's wait beyond 0 is exponential with rate cμ − λ, the chance that it
outlasts the uniform rest of the week is C · (1 − e^{−(cμ−λ)}) / (cμ − λ).

To measure the stationary queue from the first week, each group starts in a
state drawn from the M/M/c stationary distribution of the number in the system,
and the mean wait is read from the time-average waiting list (Little's law:
E[W] = E[Q] / λ), which censoring at the end of the run does not bias. Sixteen
groups (languages) share each simulated week, so one weekly plan serves sixteen
independent queues; the replications of the confidence interval are the seeds.
"""

from __future__ import annotations

import concurrent.futures as cf
import math
import multiprocessing

import numpy as np
import pandas as pd
import pytest

from workbench.experiments.stats import mean_ci
from workbench.scenario import scenario_from_tables
from workbench.simulate import Parameters, simulate

SERVERS = 10  # volunteers per group
ARRIVALS = 0.8  # referrals per week and group (λ)
HAZARD = 0.1  # weekly probability that a match ends (μ = h: a match lasts 10 weeks on average)
GROUPS = 16
WEEKS = 20
SEEDS = range(6)
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def erlang_c(c: int, a: float) -> float:
    """Erlang C: the probability that an arrival waits, with c servers and offered load a = λ/μ < c."""
    head = sum(a**k / math.factorial(k) for k in range(c))
    tail = a**c / math.factorial(c) * c / (c - a)
    return tail / (head + tail)


def theory(c: int, lam: float, mu: float) -> tuple[float, float]:
    """(mean wait in weeks, probability of waiting at least one weekly round) for M/M/c (see the docstring)."""
    p_wait = erlang_c(c, lam / mu)
    rate = c * mu - lam
    return p_wait / rate, p_wait * (1 - math.exp(-rate)) / rate


def stationary_in_system(c: int, a: float, rng: np.random.Generator, limit: int = 400) -> int:
    """A draw of the number in an M/M/c system in equilibrium (a = λ/μ)."""
    n = np.arange(limit)
    logp = np.where(n <= c, n * math.log(a) - np.array([math.lgamma(k + 1) for k in n]),
                    c * math.log(a) - math.lgamma(c + 1) + (n - c) * math.log(a / c))
    p = np.exp(logp - logp.max())
    return int(rng.choice(limit, p=p / p.sum()))


def programme(seed: int) -> object:
    """GROUPS independent groups (one language each) of SERVERS one-visit volunteers, started in equilibrium."""
    rng = np.random.default_rng(10_000 + seed)
    volunteers, windows, citizens, requests = [], [], [], []
    for g in range(GROUPS):
        lang = f"l{g}"
        for i in range(SERVERS):
            vid = f"v{g}-{i}"
            volunteers.append({"volunteer_id": vid, "lat": "55.0", "lon": "12.0", "skills": "visit", "languages": lang,
                               "max_sessions_per_week": "1", "travel_mode": "car"})
            windows += [{"volunteer_id": vid, "day": d, "start": "08:00", "end": "20:00"} for d in DAYS]
        # At least one citizen per group: the template its referrals are drawn from (P(N = 0) ≈ 3e-4).
        for k in range(max(1, stationary_in_system(SERVERS, ARRIVALS / HAZARD, rng))):
            cid = f"c{g}-{k}"
            citizens.append({"citizen_id": cid, "lat": "55.0", "lon": "12.0", "languages": lang})
            requests.append({"request_id": f"r{g}-{k}", "citizen_id": cid, "activity": "visit", "duration_min": "60"})
    tables = {"volunteers": pd.DataFrame(volunteers), "volunteer_availability": pd.DataFrame(windows),
              "citizens": pd.DataFrame(citizens), "requests": pd.DataFrame(requests)}
    return scenario_from_tables(tables, {"start_date": "2026-01-05", "weeks": 1, "name": "m-m-c"})


def one_seed(seed: int) -> tuple[float, float, float]:
    """(mean wait in weeks by Little's law, share of referrals waiting a round, referrals per group-week)."""
    scenario = programme(seed)
    params = Parameters(weeks=WEEKS, referrals_per_week=ARRIVALS * GROUPS, recruits_per_week=0,
                        match_end_hazard=HAZARD, volunteer_leave_hazard=0, jitter_km=0)
    sim = simulate(scenario, params, seed=seed, method="greedy")
    queue = sim.weeks["waiting"].to_numpy(float)
    referrals = sim.citizens[sim.citizens["cohort"] == "referral"]
    waited = referrals["first_session_week"].fillna(np.inf) > referrals["first_week"]
    return float(queue.mean() / (ARRIVALS * GROUPS)), float(waited.mean()), len(referrals) / (GROUPS * (WEEKS - 1))


@pytest.fixture(scope="module")
def per_seed() -> np.ndarray:
    """The seeds' figures, simulated two at a time."""
    with cf.ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("forkserver")) as pool:
        return np.array(list(pool.map(one_seed, SEEDS)))


def test_erlang_c_reference_values() -> None:
    """The theory used below reproduces textbook Erlang C values (c = 2, a = 1: C = 1/3; c = 1: C = ρ)."""
    assert erlang_c(2, 1.0) == pytest.approx(1 / 3)
    assert erlang_c(1, 0.6) == pytest.approx(0.6)
    wait, _ = theory(1, 0.6, 1.0)  # M/M/1: Wq = ρ / (μ − λ)
    assert wait == pytest.approx(0.6 / 0.4)


def test_referrals_arrive_at_the_poisson_rate(per_seed: np.ndarray) -> None:
    """Referrals per group and week average λ within the interval over seeds."""
    _, lo, hi = mean_ci(per_seed[:, 2])
    assert lo <= ARRIVALS <= hi


def test_mean_wait_matches_erlang_c(per_seed: np.ndarray) -> None:
    """The mean wait (weekly rounds) lies in the 95% CI over seeds of Erlang C's C/(cμ − λ); c − 1 servers' not."""
    expected, _ = theory(SERVERS, ARRIVALS, HAZARD)
    one_fewer, _ = theory(SERVERS - 1, ARRIVALS, HAZARD)
    mean, lo, hi = mean_ci(per_seed[:, 0])
    assert lo <= expected <= hi, (mean, lo, hi, expected)
    assert not lo <= one_fewer <= hi, (mean, lo, hi, one_fewer)


def test_probability_of_waiting_matches_erlang_c(per_seed: np.ndarray) -> None:
    """The share of referrals waiting at least one weekly round lies within the 95% CI over seeds of
    C · (1 − e^{−(cμ−λ)}) / (cμ − λ); with c − 1 servers it would not."""
    _, expected = theory(SERVERS, ARRIVALS, HAZARD)
    _, one_fewer = theory(SERVERS - 1, ARRIVALS, HAZARD)
    mean, lo, hi = mean_ci(per_seed[:, 1])
    assert lo <= expected <= hi, (mean, lo, hi, expected)
    assert not lo <= one_fewer <= hi, (mean, lo, hi, one_fewer)
