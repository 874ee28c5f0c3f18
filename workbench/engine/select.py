"""Which triples the methods work on.

Two sets, both made of whole pair-weeks (a pair in a week brings all its days):

- the **wide** set, for the greedy baseline, the repair step and the reasons:
  each request's nearest volunteers in each week, plus everything the model set
  holds. On small and medium cities it is every compatible triple.
- the **model** set, for the week models: the pairs the LP relaxation values
  (reduced cost at least ``-reduced_cost_slack``: the LP's own pairs and their
  near-equal alternatives), each request's nearest few, the greedy schedule's
  pairs (so the warm start stays possible), agreed pairs and the citizens' own
  choices. Below ``complete_up_to`` triples it is every triple, so the week
  models' bound is a bound of the whole problem.
"""

from __future__ import annotations

import numpy as np

from ..index import ScenarioIndex
from .bound import rank_within
from .candidates import PairWeeks
from .tuning import Tuning

# The wide set keeps each request's nearest volunteers per week (measured: city-large's
# greedy with 40 reaches within 0.1% of its value with all pairs, at a tenth of the triples).
WIDE_PER_REQUEST = 40


def pair_mask(pw: PairWeeks, pairs: set[tuple[int, int]]) -> np.ndarray:
    """The pair-weeks of ``pw`` whose (request, volunteer) is in ``pairs``."""
    if not pairs:
        return np.zeros(len(pw), bool)
    n_v = int(pw.vol.max()) + 1 if len(pw) else 1
    keys = np.array([r * n_v + v for r, v in pairs if v < n_v], np.int64)
    return np.isin(pw.req.astype(np.int64) * n_v + pw.vol, keys)


def preferred_pairs(index: ScenarioIndex) -> set[tuple[int, int]]:
    return {(r, v) for r, vs in enumerate(index.preferred) for v in vs}


def nearest(pw: PairWeeks, distance: np.ndarray, k: int) -> np.ndarray:
    """Each request's ``k`` nearest volunteers in each week (a mask over ``pw``)."""
    if not len(pw):
        return np.zeros(0, bool)
    group = pw.req.astype(np.int64) * (int(pw.week.max()) + 1) + pw.week
    return rank_within(group, distance[pw.req, pw.vol]) < k


def wide_set(pw: PairWeeks, distance: np.ndarray, forced: np.ndarray) -> np.ndarray:
    """The wide set (a mask over ``pw``): the nearest volunteers and everything ``forced`` in."""
    return nearest(pw, distance, WIDE_PER_REQUEST) | forced


def model_set(pw: PairWeeks, distance: np.ndarray, reduced_cost: np.ndarray | None, forced: np.ndarray,
              tuning: Tuning) -> np.ndarray:
    """The model set (a mask over ``pw``, see module docstring); never more than
    ``tuning.max_model_triples`` triples unless ``forced`` alone holds more."""
    if int(pw.days.sum()) <= tuning.complete_up_to:
        return np.ones(len(pw), bool)
    k = tuning.nearest_per_request
    slack = tuning.reduced_cost_slack
    while True:
        mask = nearest(pw, distance, k) | forced
        if reduced_cost is not None:
            mask |= reduced_cost >= -slack
        if int(pw.days[mask].sum()) <= tuning.max_model_triples or (k <= 1 and slack < 0.01):
            return mask
        # Too many: keep fewer near-equal alternatives first, then fewer nearest volunteers.
        if slack >= 0.01:
            slack /= 2
        else:
            k -= 1
