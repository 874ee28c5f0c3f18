"""Bounds on the numbers of a scenario: beyond ``ERROR`` no programme could mean the value (it is an
input error, contract section 1: "values no programme could mean"); beyond ``WARN`` the value is
legal but so unusual that the planner should look at it (a warning).

Each bound says why it is where it is. They protect the rest of the workbench too: a horizon of
100 million weeks, a detour factor of ``inf`` or a speed of ``nan`` would otherwise reach the solver.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Bound:
    """Allowed values ``low..high`` (errors outside) and plausible ones ``plausible_low..plausible_high``."""

    low: float
    high: float
    plausible_low: float
    plausible_high: float
    why: str  # why the hard upper bound is where it is: the hint of a value above it


# Settings (scenario.toml / the scenario sheet)
WEEKS = Bound(1, 520, 1, 104, "520 weeks are ten years; a longer horizon is not a plan")
DETOUR_FACTOR = Bound(1.0, 5.0, 1.0, 2.0,
                      "roads more than five times longer than the straight line are no road network")
SPEED_KMH = Bound(0.1, 200.0, 0.1, 200.0, "no travel between visits is faster than 200 km/h")
# Plausible speeds per travel mode (a warning outside them: a typo such as bike = 150).
SPEED_PLAUSIBLE: dict[str, tuple[float, float]] = {
    "walk": (2.0, 8.0), "bike": (5.0, 35.0), "transit": (5.0, 80.0), "car": (10.0, 130.0),
}

# volunteers.csv
_NO_LIMIT = "; leave the cell empty for no limit"
MAX_TRAVEL_KM = Bound(0, 20_038, 0, 200, "no two places on Earth are more than 20,038 km apart" + _NO_LIMIT)
VOLUNTEER_SESSIONS_PER_WEEK = Bound(0, 168, 0, 14, "168 sessions a week are one an hour, day and night" + _NO_LIMIT)
VOLUNTEER_MINUTES_PER_WEEK = Bound(0, 7 * 24 * 60, 0, 50 * 60, "a week has 10,080 minutes" + _NO_LIMIT)

# requests.csv
DURATION_MIN = Bound(1, 24 * 60, 1, 8 * 60,
                     "a session lies within one day (00:00-24:00), so it lasts at most 1,440 minutes")
# At most one session of a request per day is ever served (hard rule 13), so more than 7 a week cannot all be.
REQUEST_SESSIONS_PER_WEEK = Bound(1, 100, 1, 7, "at most one session of a request a day can be served "
                                                "(hard rule 13)")
# Sessions a week one citizen asks for over all their recurring requests.
CITIZEN_SESSIONS_PER_WEEK_PLAUSIBLE = 14

# Coordinates
FAR_KM = 300.0  # a citizen farther than this from every volunteer (or the reverse) is worth a look
SWAPPED_KM = 100.0  # a point this far from the others whose swapped lat/lon lies among them looks swapped


def expected(bound: Bound, what: str) -> str:
    """``what`` with the allowed range, for a message: ``a whole number 1..520``."""
    high = f"{bound.high:,.0f}" if float(bound.high).is_integer() else f"{bound.high:g}"
    low = f"{bound.low:g}"
    return f"{what} {low}..{high}"
