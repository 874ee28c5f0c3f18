"""What drives a simulated programme week by week: rates, hazards and timed policies.

A *rate* is an expected count per week (Poisson); a *hazard* is a weekly
probability (0..1) that something ends for one person in one week. Every value
is checked and every problem reported at once (:class:`ParameterError`), so a
user who set three things wrong hears about all three.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

# Longest simulation a person could mean (40 years of weeks); beyond it a typo is likelier than intent.
MAX_WEEKS = 2080
DEFAULT_MATCH_END_HAZARD = 0.02  # a visiting friendship lasts about a year on average (1 / 0.02 weeks)
DEFAULT_VOLUNTEER_LEAVE_HAZARD = 0.015  # a volunteer stays about 15 months on average


class ParameterError(ValueError):
    """Simulation parameters that cannot work; ``problems`` lists each, naming the parameter."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(self.problems))


@dataclass(frozen=True)
class Parameters:
    """How a programme changes from week to week (see the module docstring for rates and hazards).

    ``weeks``: how many weeks to simulate (week 0 starts on the scenario's start date).
    ``referrals_per_week``: new citizens referred per week (Poisson mean), each drawn from the
    scenario's own citizens with their requests and availability. ``None``: as many as leave when
    everyone is matched (``match_end_hazard`` × citizens), so the caseload keeps its size.
    ``recruits_per_week``: volunteers joining per week, drawn like the scenario's volunteers.
    ``None``: as many as leave at ``volunteer_leave_hazard``.
    ``match_end_hazard``: weekly probability that a matched citizen no longer needs visits.
    ``waiting_leave_hazard``: weekly probability that a citizen still waiting leaves the list
    (moves, goes into care, declines); such waits are censored, not counted as matches.
    ``volunteer_leave_hazard``: weekly probability that a volunteer stops.
    ``heavy_load_sessions`` / ``heavy_load_leave_hazard``: a volunteer who had at least that many
    sessions in a week leaves with the heavier hazard after it (burn-out); both or neither.
    ``lockdown_weeks``: inclusive ranges of weeks ``(first, last)`` in which visits become calls
    and what cannot be a call is suspended (see :func:`workbench.whatif.lockdown`).
    ``jitter_km``: how far (standard deviation, km) a new citizen or volunteer lives from the
    person they were drawn from, so that arrivals are new neighbours, not copies.
    """

    weeks: int
    referrals_per_week: float | None = None
    recruits_per_week: float | None = None
    match_end_hazard: float = DEFAULT_MATCH_END_HAZARD
    waiting_leave_hazard: float = 0.0
    volunteer_leave_hazard: float = DEFAULT_VOLUNTEER_LEAVE_HAZARD
    heavy_load_sessions: int | None = None
    heavy_load_leave_hazard: float | None = None
    lockdown_weeks: tuple[tuple[int, int], ...] = ()
    jitter_km: float = 0.3

    def __post_init__(self) -> None:
        object.__setattr__(self, "lockdown_weeks", _ranges(self.lockdown_weeks))
        problems = self.problems()
        if problems:
            raise ParameterError(problems)

    def problems(self) -> list[str]:
        """Every parameter that cannot work, in words (empty when all is well)."""
        out: list[str] = []
        if not _is_int(self.weeks) or not 1 <= self.weeks <= MAX_WEEKS:
            out.append(f"weeks: expected a whole number of weeks 1..{MAX_WEEKS}, got {self.weeks!r}")
        for name in ("referrals_per_week", "recruits_per_week"):
            value = getattr(self, name)
            if value is not None and not _number_in(value, 0, 1e6):
                out.append(f"{name}: expected a rate ≥ 0 (expected count per week), got {value!r}")
        for name in ("match_end_hazard", "waiting_leave_hazard", "volunteer_leave_hazard", "heavy_load_leave_hazard"):
            value = getattr(self, name)
            if value is not None and not _number_in(value, 0, 1):
                out.append(f"{name}: expected a weekly probability between 0 and 1, got {value!r}")
        if self.heavy_load_sessions is not None and (not _is_int(self.heavy_load_sessions)
                                                     or self.heavy_load_sessions < 1):
            out.append("heavy_load_sessions: expected a whole number of sessions ≥ 1, "
                       f"got {self.heavy_load_sessions!r}")
        if (self.heavy_load_sessions is None) != (self.heavy_load_leave_hazard is None):
            out.append("heavy_load_sessions and heavy_load_leave_hazard: give both (a heavy load and the hazard "
                       "that goes with it) or neither")
        for first, last in self.lockdown_weeks:
            if not (_is_int(first) and _is_int(last)) or first < 0 or last < first:
                out.append(f"lockdown_weeks: expected ranges [first, last] of weeks with 0 ≤ first ≤ last, "
                           f"got [{first!r}, {last!r}]")
        if not _number_in(self.jitter_km, 0, 50):
            out.append(f"jitter_km: expected a distance 0..50 km, got {self.jitter_km!r}")
        return out

    def locked_down(self, week: int) -> bool:
        """Whether ``week`` (0-based) lies in a lock-down range."""
        return any(first <= week <= last for first, last in self.lockdown_weeks)

    def resolved(self, citizens: int, volunteers: int) -> Parameters:
        """A copy with the steady-state defaults filled in for a programme of this size."""
        return replace(
            self,
            referrals_per_week=(self.match_end_hazard * citizens if self.referrals_per_week is None
                                else self.referrals_per_week),
            recruits_per_week=(self.volunteer_leave_hazard * volunteers if self.recruits_per_week is None
                               else self.recruits_per_week),
        )

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able form (lists for the lock-down ranges)."""
        d = asdict(self)
        d["lockdown_weeks"] = [list(r) for r in self.lockdown_weeks]
        return d


NAMES: tuple[str, ...] = tuple(f.name for f in fields(Parameters))


def parameters_from_dict(raw: Mapping[str, Any], prefix: str = "") -> Parameters:
    """Parameters from a mapping (a TOML table, JSON); unknown keys and bad values are all reported."""
    unknown = sorted(set(raw) - set(NAMES))
    problems = [f"{prefix}{k}: unknown simulation parameter; known: {', '.join(NAMES)}" for k in unknown]
    if "weeks" not in raw:
        problems.append(f"{prefix}weeks: missing; how many weeks to simulate")
    if problems:
        raise ParameterError(problems)
    try:
        return Parameters(**{k: _plain(v) for k, v in raw.items()})
    except ParameterError as e:
        raise ParameterError([prefix + p for p in e.problems]) from None


def _plain(value: Any) -> Any:
    return tuple(_plain(v) for v in value) if isinstance(value, list) else value


def _ranges(value: Any) -> tuple[tuple[Any, Any], ...]:
    """``[a, b]`` or ``[[a, b], [c, d]]`` or ``()`` → tuple of pairs; anything else kept as one bad pair."""
    if value is None:
        return ()
    if isinstance(value, list | tuple):
        items = list(value)
        if len(items) == 2 and all(not isinstance(x, list | tuple) for x in items):
            return ((items[0], items[1]),)
        if all(isinstance(x, list | tuple) and len(x) == 2 for x in items):
            return tuple((x[0], x[1]) for x in items)
    return ((value, None),)


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _number_in(v: Any, lo: float, hi: float) -> bool:
    return (isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) and lo <= v <= hi)
