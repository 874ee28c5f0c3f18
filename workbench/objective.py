"""The objective, documented in one place.

Aims, in order of importance:

1. **Priority-weighted sessions served** (the primary aim): each session of a
   citizen with priority *p* is worth *p*. The optimiser first maximises this
   alone; everything below is then optimised *without giving any of it up*
   (a lexicographic objective: the primary value found is kept as a constraint).
2. The secondary aims, traded against each other by the weights below:

   - ``continuity``: a recurring request is served by the same volunteer
     (a visiting friend is the same person every week): a bonus for every
     session whose volunteer already serves that request in an earlier week,
     and within a week for keeping one volunteer per request;
   - ``preferred``: the citizen's own choice of contact person;
   - ``interests``: per shared interest between citizen and volunteer (capped at 3);
   - ``travel``: a penalty per road km of an in-person visit (there and back);
   - ``fair_load``: a penalty per session above half a volunteer's weekly limit,
     so nobody is loaded far above the others relative to their own limit;
   - ``equity`` (optional, 0 by default): a bonus per percentage point of the
     least-covered district's coverage.

Continuity across weeks is the one exception to "without giving any of it up",
and it has stages of its own (see :mod:`workbench.engine.continuity`): each
recurring request's visiting friend is chosen for the whole horizon before any
week is planned (up to medium size by a linear relaxation of all weeks together, in
which a friend takes a request whole; see ``continuity.friend_patterns``). The quick plan
then repeats one of its weeks in every week (``continuity.repeat_week``: its recurring
sessions with the same volunteers, where the friends that keeps are worth what it gives up
at the weight; not on small cities, whose week models hold every candidate). On
cities too large for the week models to hold every candidate, a request the quick
plan already serves with one friend is then planned with that friend alone in every
week the friend can come; where the quick
plan sees every candidate (up to medium size), unless the linear relaxation prices
that pair out by more than the ``continuity`` weight allows (weight ×
``Tuning.hold_price`` of a session's worth: with the default 20, a twentieth), or
the friends held together cost the relaxation more than ``Tuning.hold_loss`` (at the
default weight, in proportion to it): then the costliest holds are released. The
weight is the trade-off (at large size, holding every friend was measured to serve
more and keep more friends). Measured on city-medium (2026-12-04, the whole command, 30 s):
0.985 of the bound and continuity 0.83 at the default (0.987 and 0.80 before the repeated
week, 0.994 and 0.07 with weight 0); earlier, with the friends' flow, 0.978
and 0.68, 0.97 and 0.71 holding every friend, 0.99 and 0.08 with weight 0
(benchmarks/RESULTS.md shows both runs per city). Last, a request served twice or more by its most
frequent volunteer gives up the few sessions others serve where they are worth less than a friend
(``Tuning.friend_worth`` × the weight, priority points), within ``Tuning.friend_trade_cap`` of the
schedule at the default weight (in proportion to the weight: 1 % at 80), and the freed time is
offered to what is still missing (``continuity.trade_for_friends``). From a proven optimum only the
weight above the default trades (0.25 % at 40, 0.75 % at 80): at the default the optimum stays, and
its status ``OPTIMAL``; a raised weight is the planner choosing friends over sessions even there.
Then a few volunteers' whole horizon at a time is planned
again with a request kept by one volunteer worth the same in the model (``crossweek``), within the
same floor (lexicographic, nothing given up, where there was no trade). Raising the weight is how
a planner buys more continuity with sessions: on medium-city, before the cross-week neighbourhoods,
0.83 at the default, 0.86 at 40, 0.87 at 80, 0.93 at 200, for 0.985, 0.982, 0.980 and 0.965 of the
bound (measured 2026-12-04 in process, 28 s; before the repeated week 0.80, 0.82, 0.83 and 0.88; see
``Tuning.friend_trade_cap``); with them, at the default, 0.87 for 0.985 (the whole command). Set the
``continuity`` weight to 0 to aim at the most sessions alone (the friends are then still
chosen, to guide the quick plan, and nothing is held, swapped or given up for them). Otherwise every
week leans to the friends among equally good answers, keeps its sessions with them
while the other aims are searched, and swaps finish it without giving up priority.
Agreed sessions, when re-planning, are not an aim at all: they are kept exactly unless
a change forces them to move (see :mod:`workbench.engine.agreed`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, fields
from typing import Any


@dataclass(frozen=True)
class Weights:
    """Weights of the secondary aims (integers; the UI shows them as sliders)."""

    continuity: int = 20
    preferred: int = 30
    interests: int = 3
    travel: int = 2
    fair_load: int = 5
    equity: int = 0

    @classmethod
    def of(cls, value: Weights | dict[str, Any] | None) -> Weights:
        """Weights from a Weights, a dict of some of the fields, or None (defaults)."""
        if value is None:
            return cls()
        if isinstance(value, Weights):
            return value
        names = {f.name for f in fields(cls)}
        unknown = set(value) - names
        if unknown:
            raise ValueError(f"unknown weight(s) {sorted(unknown)}; known: {sorted(names)}")
        return cls(**{k: int(v) for k, v in value.items()})

    def as_dict(self) -> dict[str, int]:
        return asdict(self)

    @classmethod
    def parse(cls, items: Sequence[str]) -> tuple[dict[str, int], list[str]]:
        """``NAME=INT`` items (the command line's ``--weight``): the weights, and a problem per bad item."""
        out: dict[str, int] = {}
        problems = []
        known = [f.name for f in fields(cls)]
        for item in items:
            name, _, value = item.partition("=")
            if name not in known or not value.lstrip("-").isdigit():
                problems.append(f"--weight {item!r}: expected NAME=INTEGER with NAME one of {', '.join(sorted(known))}")
            else:
                out[name] = int(value)
        return out, problems

    def at_continuity(self, amount: float) -> float:
        """A continuity allowance measured at the default continuity weight (the engine's
        ``Tuning.hold_loss``, ``friend_trade_cap``, ``lean_session_worth``), in proportion to this weight."""
        return amount * self.continuity / Weights().continuity
