"""Which triples the methods work on.

Two sets, both made of whole pair-weeks (a pair in a week brings all its days):

- the **wide** set, for the greedy baseline, the repair step and the reasons:
  every compatible triple on small and medium cities; at large size each
  request's nearest volunteers and each volunteer's nearest requests in each
  week, plus everything the model set holds.
- the **model** set, for the week models: per request and week its best pairs
  by the LP relaxation (the pairs it uses, then by reduced cost: their near-equal
  alternatives), the nearest where the LP says nothing (at large size, where no
  LP runs: the pairs the flow bound uses, then the nearest), as many as the model
  budget allows; plus the warm start's pairs in every week (so the hint stays
  possible; a pair that serves a request in one week is among its best in the
  others: measured on city-large, holding them in their own week only made the
  models a tenth smaller and the result 0.9426 → 0.9391), agreed pairs and the
  citizens' own choices. Below ``complete_up_to`` triples it is
  every triple, so the week models' bound is a bound of the whole problem.
"""

from __future__ import annotations

import numpy as np

from ..index import ScenarioIndex
from .candidates import PairWeeks, rank_within
from .tuning import Tuning


def pair_mask(pw: PairWeeks, pairs: set[tuple[int, int]]) -> np.ndarray:
    """The pair-weeks of ``pw`` whose (request, volunteer) is in ``pairs``."""
    if not pairs:
        return np.zeros(len(pw), bool)
    n_v = int(pw.vol.max()) + 1 if len(pw) else 1
    keys = np.array([r * n_v + v for r, v in pairs if v < n_v], np.int64)
    return np.isin(pw.req.astype(np.int64) * n_v + pw.vol, keys)


def in_every_week(pw: PairWeeks, mask: np.ndarray) -> np.ndarray:
    """The pair-weeks of ``pw`` whose pair is in ``mask`` in some week: a volunteer the relaxation has
    serve a request in one week can serve it in the others (the same friend every week). A matrix of
    pairs, not :func:`pair_mask`'s keys: no sort over every pair-week."""
    if not len(pw):
        return np.zeros(0, bool)
    pairs = np.zeros((int(pw.req.max()) + 1, int(pw.vol.max()) + 1), bool)
    pairs[pw.req[mask], pw.vol[mask]] = True
    return pairs[pw.req, pw.vol]


def preferred_pairs(index: ScenarioIndex) -> set[tuple[int, int]]:
    return {(r, v) for r, vs in enumerate(index.preferred) for v in vs}


def nearest(pw: PairWeeks, distance: np.ndarray, k: int, per_volunteer: bool = False) -> np.ndarray:
    """Each request's ``k`` nearest volunteers in each week (a mask over ``pw``); with
    ``per_volunteer``, each volunteer's ``k`` nearest requests."""
    mask = np.zeros(len(pw), bool)
    who = pw.vol if per_volunteer else pw.req
    # Week by week (the groups are per week; ties keep their order, so the same mask): the sorts'
    # temporaries of one week at a time. Measured on a dense city of long windows (2,000 volunteers /
    # 4,000 citizens / 4 weeks, 20.7 million pair-weeks), all weeks at once: 4.6 s and 949 MB above
    # the pair-weeks themselves, the whole command's peak.
    for w in range(int(pw.week.max()) + 1 if len(pw) else 0):
        sel = np.flatnonzero(pw.week == w)
        mask[sel] = rank_within(who[sel], distance[pw.req[sel], pw.vol[sel]]) < k
    return mask


def wide_set(pw: PairWeeks, distance: np.ndarray, forced: np.ndarray, tuning: Tuning) -> np.ndarray:
    """The wide set (a mask over ``pw``): every triple up to ``tuning.wide_all_up_to``, else each
    request's nearest ``tuning.wide_per_request`` volunteers, each volunteer's nearest
    ``tuning.wide_per_volunteer`` requests (per week) and everything ``forced`` in."""
    if int(pw.days.sum()) <= tuning.wide_all_up_to:
        return np.ones(len(pw), bool)
    wide = nearest(pw, distance, tuning.wide_per_request) | forced
    if tuning.wide_per_volunteer:
        wide |= nearest(pw, distance, tuning.wide_per_volunteer, per_volunteer=True)
    return wide


def complete_models(pw: PairWeeks, tuning: Tuning) -> bool:
    """Whether the week models take every pair of ``pw`` (up to ``tuning.complete_up_to`` triples)."""
    return int(pw.days.sum()) <= tuning.complete_up_to


def model_set(pw: PairWeeks, distance: np.ndarray, reduced_cost: np.ndarray | None, use: np.ndarray | None,
              forced: np.ndarray, tuning: Tuning, cap: int | None = None) -> np.ndarray:
    """The model set (a mask over ``pw``, see module docstring).

    Per request and week, pairs rank by: used by the relaxation (``use``: the LP's, or the flow's
    where no LP ran; measured on the large cities: city 58,826 → 58,880, rural 0.9407 → 0.9411,
    alien and retirees equal), then reduced cost (the LP is very degenerate, many pairs tie
    at 0), then distance; each request-week keeps its
    best ``m`` pairs, ``m`` as large as ``cap`` triples allow (``tuning.max_model_triples``
    when not given; at least ``tuning.model_pairs_min``), plus everything ``forced``.
    """
    if complete_models(pw, tuning):
        return np.ones(len(pw), bool)
    km = distance[pw.req, pw.vol]
    score = km.copy()
    if reduced_cost is not None:
        # Lower is better: LP-used pairs first, then by reduced cost, ties by distance.
        score = -np.clip(reduced_cost, -50.0, 0.0) * 1e4 + km
    if use is not None:
        score = np.where(use > 1e-9, -1.0, score)
    group = pw.req.astype(np.int64) * (int(pw.week.max()) + 1) + pw.week
    rank = rank_within(group, score)
    budget = min(cap if cap is not None else tuning.max_model_triples, tuning.max_model_triples) \
        - int(pw.days[forced].sum())
    if int(pw.days[~forced].sum()) <= budget:
        # Everything fits: the models are complete (their bound a bound of the problem), not the
        # 64 best pairs of each request-week (a city of 100 volunteers, most able to serve each
        # request, had stayed 299 triples short of its 14,009 through every widening).
        return np.ones(len(pw), bool)
    lo, hi = tuning.model_pairs_min, 64
    while lo < hi:  # the largest m whose selection fits the budget
        mid = (lo + hi + 1) // 2
        if int(pw.days[(rank < mid) & ~forced].sum()) <= budget:
            lo = mid
        else:
            hi = mid - 1
    return (rank < lo) | forced
