"""The waiting list over months: a programme simulated week by week, each week planned by the engine.

    import workbench
    from workbench.simulate import Parameters, simulate, metrics

    city = workbench.load_dataset("city-medium")
    sim = simulate(city, Parameters(weeks=52, referrals_per_week=12), seed=1)
    metrics.matched_within(sim, by="district")      # Kaplan–Meier shares matched within 4/8/12 weeks
    sim.weeks[["week", "waiting", "active_volunteers"]]

``workbench simulate SCENARIO --weeks N --out DIR`` does the same from the command line.
"""

from __future__ import annotations

from .model import Simulation, WeekReport, simulate
from .params import ParameterError, Parameters, parameters_from_dict

__all__ = ["ParameterError", "Parameters", "Simulation", "WeekReport", "parameters_from_dict", "simulate"]
