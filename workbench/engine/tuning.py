"""Every tuning number of the engine, in one documented settings object.

Each number says what it trades and where it was measured. The benchmark
family (``benchmarks/bench_solve.py``: cities of several generators and knobs at
three sizes, 2 cores) is the measuring stick; none of these is fitted to one
city. Change them through ``solve(..., tuning=Tuning(...))`` to experiment.

What stays beside its code is not a trade-off but a granularity: how often a loop
looks at the clock (``greedy.CLOCK_EVERY``, ``pipeline.CANDIDATE_CHUNK``,
``candidates.PAIRS_PER_STEP``) and how numpy blocks are sized
(``formulation.ENERGY_BLOCK_ELEMENTS``).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Tuning:
    """The engine's tuning numbers (see module docstring)."""

    # ----------------------------------------------------------- candidates
    #: Up to this many compatible triples, greedy, repair and reasons see all of them
    #: (measured: ~0.5 s per million triples to build, ~1 GB per 3 million).
    wide_all_up_to: int = 1_500_000
    #: Above ``wide_all_up_to``, the wide set keeps each request's nearest volunteers per week
    #: (measured: city-large's greedy with 40 reaches within 0.1% of its value with all pairs, at a
    #: tenth of the triples); the pair-weeks count at least that many per request whatever the clock.
    wide_per_request: int = 40
    #: ... and each volunteer's nearest requests per week: where volunteers and citizens live apart (a
    #: town of volunteers, another of citizens), the requests' nearest are the few volunteers of their
    #: own town, all busy, and the others' time was in no set. Measured 2026-12-05 in process, 118 s, on
    #: the third generator's cities of 2,000 volunteers / 4,000 citizens / 4 weeks (weighted ÷ bound,
    #: peak memory): towns 0 → 10 → 20: 0.768 → 0.786-0.792 → 0.794, 1.79 GB at 10, 1.96 GB at 20; mixed
    #: 0.9411 → 0.9427; the whole command at 10 on city-large 0.9519 in 1,606 MB (0.9521, 1,513 MB
    #: without), large-retirees 0.9981 in 1,675 MB (0.9980, 1,639 MB).
    wide_per_volunteer: int = 10
    #: ... and the pairs the relaxation serves (the converged LP's best pairs, else the flow bound's,
    #: in every week: the volunteer it has serve a request in one week can be its friend in all), so
    #: that the wide set, and the week models chosen within it, can serve what the bound serves.
    #: Measured 2026-12-05 on the third generator's towns city at the issue's large size, whose LP does
    #: not converge in its time: the flow value of the nearest pairs alone 62,136 against the whole
    #: problem's 67,895, with the flow's 18,271 pairs added 67,895; in process, 118 s, 0.780 → 0.821 of
    #: the bound, continuity 0.847 → 0.894 (greedy's 0.814 → 0.828). The flow's pairs in their own week
    #: only: 0.807, continuity 0.745. Held in the week models as well (not only ranked first): 0.820,
    #: models twice the size. Where the LP converges, the pairs its solution uses join in every week
    #: too (beside its best pairs per request-week, which had been in their own week only); measured
    #: the same day, in process, 118 s, one run each, without → with: city-large 0.9520 → 0.9566
    #: (continuity 0.856 → 0.880), rural 0.9534 → 0.9562 (0.866 → 0.893), alien 0.9705 → 0.9734,
    #: retirees 0.9981 → 0.9989 (0.962 → 0.983), styled mixed 0.9421 → 0.9435, styled heavy 0.9828 →
    #: 0.9830.
    wide_takes_relaxation: bool = True
    #: Below this many compatible triples every triple goes into the week models, so
    #: their bound is a bound of the whole problem (small cities: 2–10 thousand).
    complete_up_to: int = 12_000
    #: Triples of one week model per second its primary stage gets, between ``week_triples_min``
    #: and ``week_triples_max`` (the size when no clock runs). Measured in process on the medium
    #: cities of the family, 30 s, one run each (2026-12-02), weighted ÷ bound with 650 / 6,000 →
    #: 1,000 / 9,000 → 1,400 / 12,000 → 2,000 / 18,000: city 0.978 → 0.983 → 0.983 → 0.985, rural
    #: 0.987 → 0.988 → 0.990 → 0.991, appointments 0.982 → 0.985 → 0.985 → 0.985, mixed 0.985 →
    #: 0.986 → 0.986, sparse 0.984 → 0.983 → 0.984 → 0.984, alien 0.963 → 0.966 → 0.969 → 0.962,
    #: alien-villages 0.953 → 0.955 → 0.957 → 0.956; retirees and dense equal (they stop at the
    #: bound). Past 12,000 the alien city falls back: a week of that size no longer improves its
    #: warm start as far within its seconds. At 12 s equal or better (alien-villages 0.940 → 0.948).
    #: Continuity moves by −0.03 to +0.04 (city 0.72 → 0.70, alien 0.66 → 0.64). Large cities are
    #: not affected: their warm starts' pairs alone exceed this size.
    week_triples_per_second: float = 1_400.0
    week_triples_min: int = 1_500
    week_triples_max: int = 12_000
    #: The size of a week model in effort mode, where the work, not the clock, limits the search.
    #: Measured with ``effort=30`` (2026-12-02): city-medium 0.975 with 6,000, 0.967 with 12,000;
    #: medium-alien 0.959 with both.
    week_triples_effort: int = 6_000
    #: At most this many triples in all week models together, whatever the time.
    max_model_triples: int = 200_000
    #: Each request-week keeps at least this many of its best pairs in the week models, whatever the
    #: cap. It matters where the warm start's pairs alone exceed the cap (the large cities: the cap
    #: then leaves one pair beside them; the medium cities' caps give five or more anyway).
    #: Measured on the large cities of the family, 120 s (2026-12-02), 1 / 3 / 5 / 6 / 8 pairs: city
    #: 0.9444 / 0.9466 / 0.9481 / 0.9486 / 0.9381 (peak 1,563 / – / 1,897 / 2,161 / 2,358 MB), rural
    #: 0.9444 / – / 0.9487 / 0.9499 / 0.9349, retirees 0.9998 at 1 and 5, alien 0.9700–0.9709 /
    #: – / 0.9684 (4: 0.9664); with effort 30 on city-medium (whose effort cap of 6,000 a week allows
    #: fewer) 5 doubled the models and served 0.9726 against 0.9747. Kept at 1: the large
    #: city and rural gain 0.4 % (still short of 0.95), alien loses 0.2 %, effort mode loses.
    model_pairs_min: int = 1
    #: Should every week model be proven optimal on its (thinned) triples with at least this share
    #: of the week stages' time left, the models grow by ``widen_factor`` and search again
    #: (measured: city-medium-sparse proved all four weeks in 5 of its 30 s, at 0.975 of the bound).
    widen_left_share: float = 0.5
    widen_factor: float = 3.0
    #: ... but only by what the time left builds (see ``build_rate_margin``), and not at all where that
    #: is less than this factor.
    widen_factor_min: float = 1.5

    #: Thinned week models hold a request to its friend only where the LP's reduced cost of the
    #: pair stays above ``-continuity weight × hold_price`` × its priority in every week (see
    #: ``pipeline._priced_out``): with the default weight 20, a twentieth of a session's worth.
    #: Measured on the nine medium cities of the family (2026-12-02, 28 s each): a twentieth
    #: keeps continuity above the baseline's on each (city 0.68 against 0.66, rural 0.68 against
    #: 0.65) and serves 0.978 of the bound on city-medium (0.987 rural); a tenth: 0.972–0.975
    #: (continuity 0.71–0.74); a fiftieth (0.001) changed nothing more; every friend held: 0.97.
    hold_price: float = 0.0025
    #: Held friends together may cost what no one pair's reduced cost shows: the pair LP with every
    #: held request limited to its friend (in the friend's weeks) is solved, and while it is more
    #: than ``hold_loss`` (at the default continuity weight, in proportion to it) below the free LP,
    #: the holds the free LP's plan serves through others are released, the most costly first, a
    #: growing share at a time (``hold_rounds`` LP solves at most; ``pipeline._costly_holds``).
    #: Measured (2026-12-03, 28 s in process, default weights) the holds' LP loss: medium-alien-villages
    #: 2.6 % (its held week models' bounds 11,936 against the honest 12,325: 0.968 at best), medium-alien
    #: 1.1 %, sparse 0.77 %, rural 0.39 %, city 0.29 %. Releasing down to 0.5 % served on
    #: medium-alien-villages 11,809-12,015 in four runs (11,857-11,873 before, continuity 0.66-0.72
    #: against 0.77), but on medium-alien 12,071-12,096 in three (12,131-12,171 before): its models,
    #: searched less far from their bounds, only grew harder. At 1.5 % only the villages release.
    #: The first share released is what matters there (three runs each): an eighth of the costly
    #: holds (62; LP loss 0.9 %) 0.970-0.972 of the bound, a quarter (125; 0.26 %) 0.972-0.975, half
    #: (250; 0.15 %) 0.952: every released request takes all its pairs back into the models, which
    #: then grow harder to search than the holds cost.
    #: Measured again 2026-12-05 (28 s in process, at 56a12e3; weighted ÷ bound / continuity, the aim's
    #: loss against the record's run without it) at 0.003 (0.002 on city and rural the same): medium-city releases 114
    #: of 481 holds, 0.9893 / 0.810 (0.43 %) against 0.9854 / 0.869 (0.83 %); rural 0.9918 / 0.860
    #: (0.55 %) against 0.9896 / 0.884 (0.77 %); mixed 0.9887 / 0.887 (0.65 %) against 0.9868 / 0.905
    #: (0.84 %); appointments releases none. Kept: continuity falls below 0.85 on medium-city, and
    #: medium-alien (LP loss 1.1 %) serves less once released (above).
    hold_loss: float = 0.015
    #: Once every week model is proven holding friends with ``widen_left_share`` of the time left,
    #: the holds are released down to this LP loss (once; ``pipeline.solve``'s ``relax``) and the
    #: same models searched again from the proven plan: ``hold_loss`` buys models easy to search,
    #: and a proven model needs that no more; what a friend is worth is then the weight's, as in the
    #: trade (``friend_trade_cap``). Measured 2026-12-04 in process, 28 s (weighted ÷ bound /
    #: continuity): a city of 220 volunteers / 500 citizens / 5 weeks with knobs the benchmarks never
    #: use (``generate --preset mixed --seed 4242``, limit_scale 0.6, window_scale 0.7, one_off_share
    #: 0.35, area_scale 2.5), its holds' LP loss 1.4 %: 0.9660 / 0.875 → 0.9747 / 0.735 (greedy's
    #: continuity 0.719; without the aim 0.9788 / 0.167, so the aim's loss 1.3 % → 0.43 %); at 0.01,
    #: 0.9708 / 0.833. medium-sparse 0.9838 / 0.981 → 0.9858 / 0.979 (loss 0.43 % → 0.23 %). The other
    #: medium cities of the family are not proven holding friends, or hold none that cost this much.
    hold_loss_proven: float = 0.005
    #: Share of the time left for the week models that price the holds (``pipeline._price_holds``:
    #: models widened to every triple search again without the holds, from the held answer).
    price_share: float = 0.6
    #: What the holds so priced may cost at most (at the default continuity weight, in proportion to
    #: it); the trade for friends and the cross-week neighbourhoods may give up ``friend_trade_cap``
    #: more, so together they stay within the issue's 0.5 %. Measured 2026-12-05 (CLI, 30 s) on a city
    #: of 120 volunteers / 240 citizens / 4 weeks with long windows (widened to 116,110 triples): the
    #: holds cost 18 of 3,730 (0.48 %), the plan then served 3,709 (0.56 % below the free weeks).
    price_loss: float = 0.0025
    #: Thinned week models holding friends: a week proven with time left in its share searches the
    #: same triples without the holds from its held answer, and ``price_loss`` decides as above (where
    #: the week's honest bound leaves the holds no more than that, nothing is priced). Before, only the
    #: LP priced the holds of thinned models, at about a third of what they cost the models
    #: (medium-appointments: 15 points against 42), so a city proven holding friends gave up 0.7-0.8 %.
    #: Measured 2026-12-07 (``bench_solve.py --sizes medium``, whole command, 30 s; weighted ÷ bound /
    #: continuity, the thirty-sixth record → with it): medium-appointments 0.9891 / 86.8 % → 0.9925 /
    #: 79.4 % (holds cost 28 of 5,938, two weeks freed; without the aim 0.9978), mixed 0.9870 / 91.1 %
    #: → 0.9899 / 86.6 % (36 of 8,332, one week), sparse 0.9890 / 98.1 % → 0.9883 / 97.5 % (2 of 6,689,
    #: none freed); dense and retirees are not priced; the other medium cities' held weeks are proven
    #: too late in their share to be priced.
    price_thinned: bool = True
    #: ... in at most this many times the seconds its held model took (built and proven): a free model
    #: that finds no better answer soon takes the time of the stages after it (medium-sparse priced
    #: its holds at 7 points within its allowance in 20 s, and its held models then had no time to
    #: release the holds the LP prices: 6,697 → 6,687 weighted before the continuity stages). At 2 an
    #: unseen medium city (``bench_unseen.py --size medium --seed 91`` city 0: styled shifts, a quarter of
    #: its requests pinned) stopped its free searches at twice their held models' 1.3 s, its stages after
    #: them took 4.6 s of the 15 s kept for them, and the command ended at 19 s of 30 (and at 21 s of 60)
    #: with 0.966-0.971 of the bound. Measured 2026-12-07 in process, 29 s (weighted ÷ bound /
    #: continuity, 2 → 5): that city 0.9658 / 0.80 → 0.9763 / 0.74 in 23 s (10: the same);
    #: medium-mixed 0.9906 / 0.875 → 0.9914 / 0.855 (10: 0.9923 / 0.847); medium-appointments and
    #: sparse equal (0.9921, 0.9883); at 10 city, rural, alien, alien-villages, dense and retirees within
    #: ±0.0007 of the thirty-eighth record, and a pinned unseen city 0.9735 → 0.9742.
    price_time_factor: float = 5.0
    hold_rounds: int = 4

    #: At most this many interval-energy rows per volunteer-day or citizen-day of a week model, the
    #: most violated first (measured: a medium alien city's busiest days yield a few dozen; most days
    #: none). On the small cities' complete models most of the build goes to days of dozens of
    #: candidate sessions (small-city: 0.57 of 0.87 s a week); leaving out the rows of days above 8
    #: sessions proved the weeks 0.3–1.2 s sooner, but continuity fell on three of the five small
    #: cities (alien-villages 0.90 → 0.81) and rose on one (alien 0.915 → 0.923): kept.
    energy_rows_per_day: int = 24

    #: Wall seconds to build a week model, per triple, with two weeks built side by side
    #: (measured with the interval-energy rows: 0.8–1.0 s for ~8,000 triples of a medium week alone,
    #: ~100–120 µs; doubled for the shared interpreter).
    #: A week whose model would not be built and searched in the time left keeps its warm start.
    build_seconds_per_triple: float = 2e-4
    #: Once a solve has built week models, it estimates the next ones (widened, or the later stages'
    #: terms) from its own: the slowest week's seconds per triple times this. The estimate above errs
    #: long where the days are sparse: measured 2026-12-05, a one-week alien city of 500 volunteers
    #: built 10,462 and 34,458 triples at 2.5e-5 and 3e-5 s each; with the estimate above its second
    #: widening (105,270 triples, 21 s) did not fit the 25 s left, and the solve stopped there, at
    #: 14 s of 40.
    build_rate_margin: float = 1.5

    # ----------------------------------------------------------- shares of the time limit
    #: Share of the time left that candidate enumeration may use before it thins.
    candidates_share: float = 0.25
    #: Share of the time left for the LP bound's column generation (the flow bound is
    #: always computed first: ~5 s at large size). A quarter lets city-large's LP (~20 s) run
    #: with 120 s; with 60 s the flow bound stands. The medium cities' LPs take under a second.
    bound_share: float = 0.25
    #: Share of the weeks' time for the primary stage; the rest goes to the other aims (the
    #: primary stage stops early once it reaches the bound). Measured on the medium cities with
    #: 0.6 and 0.85 (when a continuity stage had the difference): equal or better at 0.85.
    primary_share: float = 0.85

    #: Share of the time left for the repair by moving on the warm start, before the week models
    #: (``greedy.fill_by_moving``; a visiting friend's session moves only with all its weeks). A
    #: better warm start also puts better pairs into thinned models. Measured with the CLI on the
    #: benchmark family (2026-12-02): medium-alien-villages 0.936 → 0.948, medium-alien 0.958 →
    #: 0.963, large-alien 0.952 → 0.961, city-large and rural-large 0.941 → 0.942, medium-rural and
    #: medium-appointments −0.002 (little to move, the time is the models'); 0.05 on alien-villages:
    #: 0.946; continuity still above the baseline's on every medium and large city.
    warm_moving_share: float = 0.1

    # ----------------------------------------------------------- the rounded start (rounding)
    #: Where the wide set is thinned (large cities), a warm start from the day LP over it rounded
    #: (:mod:`workbench.engine.rounding`): its LPs within this share of the time left, weeks side by
    #: side. Measured (2026-12-06, whole command at 120 s, against the thirty-first record, with
    #: branch and bound after each LP in 0.3 of the time left, the LP in 0.4 of that): the family's
    #: large city 0.957 -> 0.966 of the bound, rural 0.956 -> 0.972, alien 0.982 -> 0.991; the third
    #: generator's large towns city 0.864 -> 0.916, split shifts 0.950 -> 0.952. The LPs keep the
    #: share they had then (0.3 × 0.4); the branch and bound's time goes to the stages after them.
    rounding_share: float = 0.12
    #: ... only where the warm start so far serves less than this share of the bound: the rounded
    #: start serves 0.93-0.96 of it on the cities measured, so above 0.97 it could hardly serve
    #: more, and the week models get its time (the third generator's large heavy city, 0.998 at the
    #: start: 0.9998 of the bound in the end without it, 0.9988 with it).
    rounding_below: float = 0.97
    #: The LP's columns above this value are the rounded start's sessions; the others are left to
    #: the filler, which times each session it places (see the module's docstring for the
    #: measurements against its columns made integral by branch and bound). Measured 2026-12-06 in
    #: process at 120 s, one run each, weighted sessions at 0.2 / 0.5 / 0.9: the third generator's
    #: towns city 58,001 / 58,166 / 58,163, the family's large city 60,646 / 60,653 / 60,842; at 0.5 /
    #: 0.9: rural 60,727 / 60,760, an alien city of 1,500 volunteers 60,631 and 60,761 / 60,828.
    rounding_sure: float = 0.9
    #: A session with the request's friend for the horizon is worth this many priority points more
    #: in the rounding's LP, so among near-equal weeks it keeps friends (below
    #: one priority point: it never buys a friend with a whole session). The friends' triples are
    #: the LP's columns from its first round. Measured 2026-12-06 in process at 120 s, one run each,
    #: weighted ÷ bound / continuity at 0.1 / 0.25 / 0.5: large alien 0.9902 / 82.5 %, 0.9902 / 82.3 %,
    #: 0.9888 / 84.0 %; large city 0.9766 / 83.8 %, 0.9701 / 84.1 %, 0.9678 / 84.7 %; at 0.1 / 0.5 rural
    #: 0.9744 / 84.0 %, 0.9696 / 84.6 %, the third generator's towns 0.9373 / 90.0 %, 0.9338 / 90.5 %
    #: (the rounding's module docstring gives the runs without the friends' columns first).
    rounding_friend_bonus: float = 0.1
    #: Share of the time left after the LPs for timing their sure sessions exactly (past it,
    #: the greedy inserter places them: what fits stays). Measured in process on the third generator's
    #: large towns city (2026-12-06), where four weeks' timing takes ~16 s: 0.1 timed one week and
    #: placed the others by the inserter, 88 % of the chosen sessions kept; 0.3 timed all four, 91 %;
    #: 0.9164 -> 0.9190 of the bound. The family's large cities, whole command: city 0.9661 -> 0.9654,
    #: rural 0.9723 -> 0.9723, alien 0.9909 -> 0.9899 (one run each: the day's noise; city times in 1.5 s).
    rounding_timing_share: float = 0.3

    # ----------------------------------------------------------- one week's search (weekly.WeekSearch)
    #: Share of a search's seconds left for timing its answer day by day: an answer the timing
    #: cannot place in time is lost. Measured (2026-12-02): a week's timing takes 0.05–0.3 s at
    #: medium size; holding the first search to 45–75 % of the week's time lost more than the
    #: rounds after its cuts won back (medium-alien 0.963 → 0.962–0.963).
    timing_share: float = 0.15
    #: Share of a primary search's time (and work) taken by the leaning objective on week models that
    #: hold every candidate; should it end there without a proof, the primary aim alone searches the
    #: rest from its answer (``WeekSearch._prove``): the lean weakens the bound CP-SAT proves in
    #: primary terms. Measured 2026-12-05, ``workbench solve --time-limit 10`` on 35 small cities (the
    #: family's three slowest and 32 unseen, 60 volunteers / 100 citizens / 2 weeks, random knobs of
    #: both generators): proven optimal 32 → 34 (two unseen cities FEASIBLE at 7.7 s → OPTIMAL at 4.6
    #: and 7.7 s), under 2 s 17 → 18, mean continuity 0.898 → 0.899, 90.9 → 92.6 s in all (two cities
    #: slower: 4.5 → 6.9 s and 4.8 → 7.7 s); 12 other unseen cities (80 / 124, 2-3 weeks) and the
    #: family's other two the same. At 0.3 / 0.7: 34 proven either way, under 2 s 18 / 17, 86.8 / 86.0 s
    #: in all, continuity 0.899 / 0.898 (one city's chaos, 2.5 s either way, is most of the difference).
    lean_search_share: float = 0.5
    #: ... and at most this work (CP-SAT's deterministic units) per triple of the model, at least
    #: ``lean_search_work_min``: a share of the seconds alone made the proof wait on the limit (an
    #: unseen city of 20 volunteers / 47 citizens / 3 weeks: leaning searches of 0.75-1.06 units
    #: without a proof, then the primary aim alone proved each week in 0.02-0.19 units; OPTIMAL in 9.0 s
    #: at --time-limit 20, 13.0 s at 40, FEASIBLE at 10). The proofs that lean searches reached on 24
    #: unseen small cities (60 / 100 / 2 weeks, ``benchmarks/bench_small.py --seed 11``) took 0.08-0.5
    #: units on models of 2,300-7,100 triples a week. Measured 2026-12-07 in process, 10 s, on those
    #: 24, that city, six of 40 / 80 / 3 weeks and the family's five small ones (36 cities), two runs
    #: each, before -> after (with the secondary stage's share per round below): proven optimal 32-33
    #: -> 35 of 36 (that city 9.9 s FEASIBLE -> 4.6 s OPTIMAL; a 3-week one 5.8-6.3 s FEASIBLE -> 3.1 s
    #: OPTIMAL), 97.7-111.1 -> 87.3-87.8 s in all, mean continuity 0.886 -> 0.878: the three cities
    #: now proven keep fewer friends (0.72-0.81 -> 0.57-0.73, below their baseline's 0.81-0.86 either
    #: way), one other 0.915 -> 0.907 (its baseline's 0.909). A mending search after a leaning round
    #: takes at most as much (``WeekSearch._mend``'s ``most``): that city, whole command, 5.0 / 5.1 /
    #: 6.7 s at 10 / 20 / 40 s -> 3.9 / 3.9 / 4.1 s; the 36, two runs each, 89.7-95.3 -> 88.4-92.6 s.
    lean_search_work_per_triple: float = 1e-4
    #: The least work a leaning search gets, however small the model (its first answer comes from a
    #: complete hint, well within it).
    lean_search_work_min: float = 0.1
    #: A model holding every candidate leans in its first round only: the rounds after a timing cut
    #: search the primary aim alone from the best timed answer (the friends it keeps are in its hint),
    #: one search where a leaning search and then the primary aim alone were two. Measured 2026-12-07
    #: in process, 10 s, on the 29 small cities of ``bench_small.py --seed 11`` and the family, two runs:
    #: 51.6-52.5 -> 48.0-49.5 s in all (one city 7.9 -> 5.0 s, its week's second leaning round of 0.9 s
    #: gone), 28 proven either way, mean continuity 0.9029-0.9036 -> 0.9028-0.9032, below the
    #: baseline's 12-13 -> 11-12.
    lean_first_round_only: bool = True
    #: Week models of at least this many triples state the pairs of a day's sessions that cannot both
    #: take place as cliques (one at-most-one row per set of sessions any two of which exclude each
    #: other; ``formulation.exclusive_cliques``), smaller ones as pair rows. Measured 2026-12-05: a city
    #: of short windows and long trips (``generate --volunteers 220 --citizens 480 --weeks 3 --seed 4545
    #: --preset city``, knobs window_scale 0.6, area_scale 6, limit_scale 2, one_off_share 0.5,
    #: no_danish_scale 3; 30 s) has whole week models of ~22,000 triples and 392,537 rows as pairs,
    #: 31,757 as cliques: peak memory 1,184 → 488 MB, and those models' search, which had found no
    #: bound, proves one (the bound shown 3,282 → 3,240 for the same 3,230 served). On the small
    #: cities' complete models (4,000-5,500 triples a week) the cliques cut the rows 2-4 times as well,
    #: but proofs came later (small-appointments 2.0 → 2.7 s, small-alien-villages 1.5 → 1.7 s, three
    #: runs each); large-city and large-alien (models of 10,000-25,000 triples a week, 120 s) the same
    #: within one run's noise (0.9523 / 0.9520, 0.9702 / 0.9696).
    clique_triples: int = 10_000
    #: A week's first timing conflict brings the rows of every three linked sessions (one volunteer's
    #: day, one citizen's, or a chain through both) any two of which, not all three, can be timed
    #: (``formulation.triple_rows``): where at most ``triple_rows_per_triple`` per triple of the model
    #: (estimated on a sample first; more, and the week gets none), checking at most
    #: ``triple_checks_per_triple`` sets per triple, the smallest days' first (~1 µs a set). Where
    #: few, they are what the timing would otherwise find one round at a time; where many (long
    #: sessions on short days: 16–80 per triple on the family's small cities and five of the styled
    #: generator's), the energy rows see most of them and the rows would outnumber the model.
    #: Measured 2026-12-05, in process, 10 s (small) / 30 s (medium), without → with: styled
    #: shifts-s OPTIMAL in 5.0 → 2.4 s (2.2 rows per triple); the other 13 small cities get none (8 give
    #: up on the sample, 5 never meet a conflict), their times within 0.3 s and values equal (heavy-s
    #: 2,315 → 2,308, its spread);
    #: medium (shifts-m, pinned-m, towns-m, two unseen styled towns, medium-city, medium-alien)
    #: within 0.11 % of the bound each.
    triple_rows_per_triple: float = 3.0
    triple_checks_per_triple: float = 150.0
    #: Seconds to check one set of three, for the clock's cap on them (measured 0.6 µs: shifts-m's
    #: week, 486,000 sets in 0.3 s; doubled for two weeks side by side).
    triple_seconds_per_check: float = 1e-6
    #: What a session with its request's friend is worth, in priority points at the default continuity
    #: weight (in proportion to it), when an unproven week answer searched on the primary aim alone
    #: would replace the leaning search's (``weekly.primary_answer_wins``; 0: any gain replaces it).
    #: Measured 2026-12-05 on the independent generator's small cities (``benchmarks/styled_city``,
    #: 10 s in process, three runs each; weighted / continuity): heavy-s 2,315 / 0.521 → 2,309 / 0.638,
    #: mixed-1w (one week) 1,004 / 0.432 → 1,001 / 0.536; two runs each: pinned-s 1,292 / 0.897 →
    #: 1,290 / 0.904; shifts-s, towns-s, phone-s, odd-s and the family's small cities the same (a
    #: proven answer always wins). The whole command on heavy-s (10 s): 2,317 / 0.549 and 2,308 / 0.459
    #: without, 2,294 / 0.597 in three runs with (the same at 0.1): the friends cost it 0.8 % there.
    lean_session_worth: float = 0.25
    #: At most this many rounds of search, timing and cuts in the primary stage (a stop for
    #: pathological weeks: measured, weeks end within 1–25 rounds, by the clock or the bound).
    cut_rounds: int = 50
    #: ... and in each later stage (continuity, secondary aims).
    stage_rounds: int = 10
    #: After a round whose answer the timing cannot place whole, at most this many mending searches
    #: (every session fixed but those around the conflicts; ``WeekSearch._mend``), each with at
    #: most ``mend_share`` of the round's time (or work) left. Measured (2026-12-02): on small-city
    #: mending searches take 0.01–0.2 s and reach the round's value at the first or second try
    #: (its proof 1.65 → 1.06 s of the engine); on medium-alien 0.25 and 0.8 of the time left gave
    #: the same (0.972); on city-large each takes 2–6 s, as the round it saves would.
    mend_rounds: int = 4
    mend_share: float = 0.25
    #: A day the timing proved a conflict on is given to the week model as routes (the sets of its
    #: sessions that fit, :func:`~.formulation.add_day_routes`) where it has at most this many,
    #: else sequenced (0: always sequenced). Measured (2026-12-04, in process): small-appointments,
    #: whose fixed-start appointments the relaxed rows and sequencing left at 295 against a bound of
    #: 301 in week 1 (FEASIBLE after 10 s), proven OPTIMAL in 1.8 s with 6 days as routes (918 sets in
    #: all); the other small cities' proofs as before; medium (28 s) and large-city and -rural (118 s)
    #: within ±0.0008 of their figures with every day sequenced. Days of more sets are sequenced: none
    #: of those cities needed them, and enumerating costs time (routes up front on the small cities'
    #: days slowed each of them more at 200 sets a day than at 64).
    route_cap: int = 500
    #: A week not proven by its whole-model searches spends its last ``explore_share`` of the time
    #: (or work) on neighbourhood searches (``WeekSearch._explore``): the best answer fixed but the
    #: requests of the ``explore_triples`` triples nearest to a citizen still missing a session, each
    #: search at most ``explore_round_seconds`` (``explore_round_work`` units). Measured (2026-12-03)
    #: on a week model of 28,000 triples (an alien city of 12 villages, 2,500 volunteers): the whole
    #: model, one thread, 25 s, found nothing better than its warm start (with CP-SAT's own
    #: interleaved LNS neither); neighbourhoods of 800 triples, most solved to optimality in 0.1 s,
    #: raised the week's model value by 1.6 % in 90 s (300: 1.1 % in 40 s; 500: 1.2 %; 1,500 triples
    #: and 3 s: 0.75 %).
    explore_share: float = 0.3
    explore_triples: int = 800
    #: The neighbourhoods' size adapts (see ``WeekSearch._explore``): divided by ``explore_growth`` after a
    #: search that ends at its limit (never below ``explore_triples_min``), multiplied by it once every region
    #: was searched at one size without gain.
    explore_growth: float = 1.5
    explore_triples_min: int = 100
    explore_round_seconds: float = 1.0
    explore_round_work: float = 0.5
    #: In effort mode a neighbourhood search counts at least this much work per triple of the week
    #: model: its copy, objective and presolve take time that CP-SAT's deterministic time hardly
    #: counts, and the searches only end when their work is spent. Measured 2026-12-07 on an unseen
    #: small city (``bench_small.py --seed 11``, city 3) with ``effort=5``: a week of 3,259 triples
    #: searched neighbourhoods of 100-150 triples at 0.05 s each with deterministic times of 0.0000,
    #: their size swinging between the two (a search stopped at the week's target counts as one that
    #: ended at its limit); after 15 minutes and 18,000 searches the solve had not ended. 0.055 s a
    #: search over 3,259 triples is 1.7e-5 s per triple; a quarter of that is charged, which ends such
    #: loops (that city: 4.7 s) and leaves the neighbourhoods of medium cities nearly all their rounds
    #: (medium-alien at effort 10: 12,306 weighted before, 12,265 at the whole 2e-5, 12,304 at 5e-6).
    explore_charge_per_triple: float = 5e-6
    #: A later stage may search this many times its per-round work cap (rounds after a timing cut).
    stage_work_rounds: int = 3
    #: Work (deterministic units) and seconds for one group's timing model, and for one feasibility
    #: test while shrinking a conflict to a smallest one. Measured: groups hold 2–12 sessions and
    #: solve in well under 0.05 units; the limits only stop pathological groups.
    timing_group_work: float = 2.0
    timing_group_seconds: float = 2.0
    conflict_work: float = 1.0
    conflict_seconds: float = 1.0

    # ----------------------------------------------------------- bounds and continuity swaps
    #: The LP's column generation runs when its estimated seconds, this much per pair-week on one
    #: core (weeks side by side), fit in ``bound_share`` of the time left; the flow bound is
    #: otherwise the bound. Measured 2026-12-02 with the primal simplex: city-large (10.8 million
    #: pair-weeks) 17.0 s for two weeks one after the other (3.1e-6), 19–20 s for four on two cores;
    #: medium cities 1.7–5e-6 (0.14–0.75 s a bound); an alien city of 12 villages (3.2 million) needed
    #: 2.5 times the estimate and was cut (its prices then choose nothing, see ``pipeline.solve``);
    #: one of 12 villages and 4.9 million pair-weeks needed 4 times, 41 s of 120 (see
    #: ``lp_time_factor``).
    #: Where it converges at large, its reduced costs choose the week models' pairs: city-large
    #: 0.943 → 0.961, rural 0.944 → 0.963, alien 0.967 → 0.974 of the bound (the LP's, for city-large
    #: 62,217 instead of the flow's 62,538; benchmarks/RESULTS.md).
    lp_seconds_per_pair_week: float = 4e-6
    #: The LP's solves stop at this multiple of its estimated seconds (never in effort mode). The
    #: alien city of 12 villages (estimate 9.7 s) spent 41 s of 120 on a bound above the flow's and
    #: prices that chose nothing; city-large's LP, which converges, took 19–28 s against its 21.6 s
    #: (the machine's speed varies by day). Stopped at the bound stage's end instead (a quarter of the
    #: time left, 25 s), city-large's LP was cut on a slow day and its models, chosen without its
    #: prices, served 0.947 of the bound instead of 0.959 (measured 2026-12-03). Raised from 2 to 3
    #: (2026-12-06, in process, 118 s): the third generator's towns city at large size converges in 2.2
    #: times its estimate (17 s), 0.820 → 0.862 of the bound; an alien city of 12 villages (1,500 /
    #: 3,000 / 4 weeks, seed 7, 4.8 million pair-weeks, estimate 9.7 s) in 2.5 times (24 s), 0.9876 →
    #: 0.9906; city-large the same (0.9570). Where it does not converge even so (towns drawn with seed
    #: 4949: one of its weeks alone needs 41 s) it takes up to a tenth of the limit more, for nothing.
    lp_time_factor: float = 3.0
    #: ... unless its last round priced in at most this share of the week's pairs: it is then a round or
    #: two from converging and may go on to the bound stage's end (``bound_share``). The third
    #: generator's towns city at large size (3.7 million pair-weeks, estimate 7.3 s on two cores): one
    #: week alone priced in 37 %, 23 %, 1.7 %, 0.17 %, then nothing (converged) in 7.5 s; four weeks on
    #: two cores needed 17 s, and cut at twice the estimate its LP had not converged (measured 2026-12-06).
    lp_near_share: float = 0.02
    #: ... but never fewer seconds than this, within the bound stage's share: small estimates
    #: (~0.01 s) are below HiGHS's own start-up, and a fresh clone's first LP was cut after 0.02 s;
    #: medium-alien's estimate is 0.4 s, its LP took 0.6 s on a fast hour and twice that on a slow one.
    lp_min_seconds: float = 3.0
    #: In effort mode (no clock: which stages run must not depend on the machine) the LP runs only
    #: up to this many pair-weeks.
    lp_max_pair_weeks: int = 1_500_000
    #: The LP's column generation starts from each request's nearest pairs and each volunteer's
    #: nearest requests, then takes at most this many priced-in pairs per request and round, for at
    #: most ``lp_rounds`` rounds (measured on the medium cities of the benchmark family: 3 and 4
    #: reach the full LP's value in 3–6 rounds).
    lp_first_pairs_per_request: int = 3
    lp_first_pairs_per_volunteer: int = 6
    lp_new_pairs_per_request: int = 4
    lp_rounds: int = 12
    #: The day LP (:func:`~workbench.engine.bound.day_lp_bound`, every candidate triple with the days'
    #: minute rows) runs where every triple is a candidate, its solves within this share of the time
    #: left (a week they cut keeps the bound of its last round); in effort mode up to
    #: ``day_lp_max_triples``. Measured 2026-12-06 on a slow day, one core, four weeks: medium-alien
    #: 1.7 s, alien-villages 2.0 s, the styled towns city 1.0 s, split shifts 0.8 s, medium-city 0.9 s,
    #: sparse 0.4 s (half that on two cores). What it gave over the other bounds: towns 10,808 →
    #: 10,613 (1.8 %), split shifts 8,233 → 8,179, sparse 6,771 → 6,754, medium-city 9,008 → 8,996,
    #: medium-alien 12,479 → 12,470; alien-villages, rural, appointments and pinned nothing.
    day_lp_share: float = 0.06
    day_lp_max_triples: int = 1_000_000
    #: Where the wide set is thinned, the days' side runs over every exact triple (no start ranges,
    #: ``pipeline._every_triple``) up to this many days with room over all pair-weeks (what the
    #: triples and the LP's rows take in memory). Measured 2026-12-06, whole command, 120 s: the
    #: third generator's large split-shift city (4.1 million) bound 59,905 → 59,811 (two weeks of four
    #: converged), 0.9486 → 0.9502; its large towns city (8.3 million exact triples) peaked at 1.95 GB
    #: with it (1.26 without), city-large (10.8 million pair-weeks) at 4.5 GB. Since the LP keeps
    #: its rows for its own columns only (stop 54), the towns city's day LP alone takes ~400 MB
    #: (~850 before), 11 s on two cores to converge, bound 62,653 → 61,854.
    day_lp_thinned_max: int = 9_000_000
    #: ... its share of the time left there: at ``day_lp_share`` the towns city converged in no week
    #: and the split-shift city in two of four; the towns city needs ~11-13 s of the ~90 left then.
    day_lp_share_thinned: float = 0.15
    #: Its column generation starts from the pair LP's pairs (all their days) and each request-day's
    #: nearest ``day_lp_first`` triples, then takes at most ``day_lp_new_per_request`` priced-in triples
    #: per request and round. Measured on medium-alien / the styled towns city, one core: 0 and 10
    #: converge in 3 / 4 rounds, 1.7 / 1.0 s; 1 and 10 in 2-3 / 3, 2.8 / 1.1 s; 2 and 10 in 1 / 3-4,
    #: 3.9 / 2.0 s (the first set's size is the time); 0 and 4 as 0 and 10. Measured 2026-12-06 on the
    #: third generator's large towns city (8.3 million triples, two cores, from the pair LP's pairs), new
    #: per request 2 / 3 / 4 / 10 / 25: 10.2 / 10.9 / 11.2 / 13.0 / 19.3 s to converge (a round's
    #: columns cost more simplex time than they save rounds); medium-alien, medium-city and
    #: alien-villages 0.2-0.5 s at 3 and at 10, the same bounds.
    day_lp_first: int = 0
    day_lp_new_per_request: int = 3
    day_lp_rounds: int = 20
    #: CP-SAT's work (deterministic units) per citizen-week of the citizens' bound
    #: (:func:`~workbench.engine.bound.citizen_bound`); a bound, valid whatever stops it. Measured
    #: (2026-12-03): the medium cities' citizen-weeks of two or more requests are proven in well
    #: under a hundredth of this.
    citizen_bound_work: float = 0.5
    #: Cells (sessions × minutes × steps) of one volunteer-week's dynamic programme in the volunteers'
    #: bound (:func:`~workbench.engine.bound.volunteer_knapsack`) above which it takes the lower of two
    #: relaxations instead (still a bound, looser). Measured (2026-12-05): the benchmark's medium cities'
    #: largest volunteer-weeks need ~10^4-10^5 cells (milliseconds); this caps one at ~10 ms.
    volunteer_dp_cells: int = 2_000_000
    #: Seconds of the volunteers' bound per pair-week of a week; it runs only where that fits before the
    #: LP's deadline (measured 2026-12-05, yardstick 1.76 s: city-large's first week, 2.74 million
    #: pair-weeks, 0.53 s, half of it sorting each volunteer's pairs by profit; medium-city 0.02 s).
    volunteer_bound_per_pair: float = 3e-7
    #: A request's visiting friend for the horizon is chosen among its best pairs only (by sessions
    #: they can give, then distance): enough for a choice, and it keeps the friends' flow small at
    #: large size (millions of pairs).
    friend_options: int = 30
    #: Column-generation rounds of the horizon's friend patterns
    #: (:func:`~workbench.engine.continuity.friend_patterns`; 0: the friends' flow alone). Measured
    #: on medium-city (2026-12-03, friends fixed before a 28 s solve): 2 rounds 1.7 s, 485 friends,
    #: 0.988 of the bound and continuity 0.816; 4 rounds 4.2 s, 0.986 / 0.793; converged (12) 12 s,
    #: 0.989 / 0.803; the friends' flow 0.984 / 0.754. With the patterns in the solve (2 rounds, 28 s
    #: in process, against 0): city 0.9891 / 0.787 (0.9845 / 0.755), alien 0.9912 / 0.735 (0.9704 /
    #: 0.709), alien-villages 0.9836 / 0.810 (0.9765 / 0.661), rural 0.9938 / 0.812 (0.9888 / 0.735),
    #: sparse 0.9850 / 0.944 (0.9830 / 0.931), mixed 0.9892 / 0.832 (0.9856 / 0.827), appointments
    #: 0.9863 / 0.749 (0.9855 / 0.724), dense 0.9999 / 0.996 (0.9999 / 0.993), retirees 1.0 proven /
    #: 0.992 (0.9997 / 0.973).
    pattern_rounds: int = 2
    #: What a recurring request's session served by another than a whole-horizon friend costs in the
    #: friend patterns' LP, per unit of the continuity weight (times the default 20: 0.2 of a priority
    #: point). Measured on medium-city, the LP's value at 0.2 is the free LP's (9,046) with ~500
    #: requests on whole patterns; at 1.0 it loses 37, at 100 (no stand-ins) 791.
    pattern_price: float = 0.01
    #: The friend patterns run up to this many pair-weeks (the medium cities of the family have
    #: 85,000-450,000; city-large 10.8 million), within this share of the time left.
    pattern_max_pair_weeks: int = 1_000_000
    pattern_share: float = 0.1
    #: ... but the first round, where the friends come from, may run to this share: cut, the friends
    #: come from the one-week flow instead. Measured 2026-12-06 on medium-alien-villages, 30 s on a
    #: machine 2.4x slower than the records' (seeds 0/1/2): with the first round within 0.1, seed 2's
    #: was cut (11,611 weighted, against 12,032 / 12,009 for seeds 0/1); within 0.15 none was cut
    #: (12,015 / 12,002 / 12,009).
    pattern_first_share: float = 0.2
    #: Volunteers already serving a request that the continuity swaps try as its one friend.
    continuity_targets: int = 10
    #: Passes of the continuity swaps over every request after the weeks (a move can open room for
    #: another; measured: the third pass rarely moves anything).
    swap_passes: int = 3
    #: Volunteers tried (nearest first) for a request the swaps move whole to make room for another's
    #: visiting friend (see :func:`workbench.engine.continuity.improve_continuity`).
    rehome_options: int = 10
    #: What keeping one visiting friend for a request is worth against sessions given up for it, in
    #: priority points per unit of the continuity weight (at the default 20: 2 points, a priority-2
    #: session or two of priority 1; see continuity.trade_for_friends). Measured 2026-12-03 in
    #: process, 28 s, at 0.1 (one run each; continuity before → after the trade, weighted given up
    #: after the refill): medium-city 0.771 → 0.786 for 7, alien 0.697 → 0.732 for -1 (the refill
    #: served more than was given up), alien-villages → 0.827 for 6, rural 0.776 → 0.796 for 9,
    #: appointments → 0.737 for 4, mixed → 0.832 for 5, sparse 1 request for 2, dense none, retirees
    #: proven (no trade). Without the cap below, alien gave up 63 (0.52 %) for 0.737 → 0.792.
    friend_worth: float = 0.1
    #: At most this share of the plan's weighted sessions is given up for friends in all, before the
    #: refill, at the default continuity weight (the aim's loss against the run without it is to stay
    #: within 0.5 %), in proportion to the weight (``pipeline._trade_floor``). Measured 2026-12-04 in
    #: process, 28 s (weight: weighted ÷ bound / continuity): medium-city 20: 0.987 / 0.80, 40: 0.986 /
    #: 0.82, 80: 0.983 / 0.83, 200: 0.972 / 0.88; medium-alien 0.990 / 0.76, 0.987 / 0.77, 0.984 / 0.77,
    #: 0.971 / 0.86; medium-rural 0.992 / 0.81, 0.990 / 0.83, 0.985 / 0.87, 0.973 / 0.92. With the cap
    #: fixed, weight 80 had changed little (medium-city 0.987 / 0.80, alien 0.987 / 0.74).
    friend_trade_cap: float = 0.0025
    #: The quick plan's weeks tried as the pattern repeated in every week (``continuity.repeat_week``),
    #: the most valuable first; 0: none. Measured in process, 28 s (2026-12-04, seeds 0 / 1, weighted ÷
    #: bound and continuity before → after): medium-city 0.9873 / 0.80 → 0.9841 / 0.83 (seed 1: 0.9873
    #: / 0.79 → 0.9847 / 0.83), rural 0.9918 / 0.81 → 0.9896 / 0.84 (0.9918 / 0.81 → 0.9890 / 0.84),
    #: appointments 0.9890 / 0.76 → 0.9857 / 0.84, mixed 0.9894 / 0.83 → 0.9882 / 0.87, alien 0.9896 /
    #: 0.76 → 0.9905 / 0.79, alien-villages 0.9822 / 0.83 → 0.9813 / 0.85, sparse equal; the whole
    #: command, 120 s (the nineteenth record against the eighteenth): large city 0.9589 / 0.75 → 0.9503 /
    #: 0.83 (greedy's 0.87), rural 0.9601 / 0.76 → 0.9516 / 0.84, alien 0.9706 / 0.73 → 0.9685 / 0.84.
    #: Holding every friend of the repeated week in the week models as well cost 1.3-2.3 % (medium-city
    #: 0.9745 / 0.83).
    repeat_weeks: int = 4
    #: Share of the time left for the repeated weeks (at least one is tried where the time needed,
    #: ``repeat_per_candidate`` per wide triple, is left: medium-city, 670,000 triples: 0.15 s a week,
    #: city-large, 1.6 million: 0.6 s).
    repeat_share: float = 0.05
    repeat_per_candidate: float = 4e-7
    #: No week is repeated where the warm start is within this share of the honest bound: the week
    #: models then reach the bound leaning to the friends, and holding the repeated week's friends kept
    #: them from it (medium-retirees, start 0.9997 of the bound: proven 9,679 and continuity 0.995
    #: without; 9,677 and 0.994 with the repeat, every held week proven below its bound).
    repeat_gap: float = 0.002
    #: Seconds the trade needs per candidate triple (its refill goes through them; medium-city, 670,000
    #: triples: 0.14 s, city-large 1.66 million: 0.6 s), kept from the week stages with the swaps' time;
    #: it is skipped when less is left. (At 2e-6, with a refill that copied the candidates and moved
    #: sessions, the weeks left it too little on medium-city and it was skipped in three runs of three.)
    trade_per_candidate: float = 4e-7
    #: Cross-week neighbourhoods (:mod:`workbench.engine.crossweek`), after the trade. Each frees the
    #: volunteers of a request served by several, and in a second pass this many more; with them a few
    #: requests still missing sessions that they could serve (the highest priority first). Measured
    #: 2026-12-04 in process on medium-city, 28 s, the time left after the trade only (weighted ÷ bound
    #: / continuity; before: 0.9851 / 0.830): 8 volunteers and 15 missing, 3 s to build a model: 3
    #: searched; 5 and 8: 0.9848 / 0.838 (17 searched); 4 and 4: 0.9852 / 0.844; 3 and 4: 0.9858 / 0.852
    #: (44); the servers alone and 4: 0.9859 / 0.856 (51); and 8: 0.9857 / 0.852. The smaller the
    #: neighbourhood, the more are searched: most mend with the request's own volunteers.
    cross_week_extra: int = 1
    cross_week_missing: int = 4
    #: Share of the time left at the week stages' start kept for the neighbourhoods (with the swaps'),
    #: on cities of two weeks or more (a one-week city's model needs it: see ``pipeline.solve``).
    #: Measured 2026-12-04 in process (weighted ÷ bound / continuity): medium-city (28 s) 0.0: 0.9859 /
    #: 0.856, 0.15: 0.9859 / 0.854, 0.2: 0.9869 / 0.859, 0.3: 0.9852 / 0.868; medium-alien 0.0: 0.9894 /
    #: 0.795, 0.2: 0.9895 / 0.801, 0.3: 0.9897 / 0.800; city-large (118 s) 0.0: 0.9505 / 0.842 (81
    #: searched), 0.2: 0.9509 / 0.863 (411 searched, 131 better: the neighbourhoods serve more as well).
    cross_week_share: float = 0.2
    #: The same where the wide candidate set is thinned (large cities). Measured 2026-12-04 in process,
    #: 118 s (weighted ÷ bound / continuity, 0.2 / 0.3 / 0.4), with the week models' result the same
    #: at each (city-large 59,201 weighted when the weeks were done, at 93.5 / 84.9 / 77.4 s): city-large
    #: 0.9510 / 0.867, 0.9513 / 0.870, 0.9515 / 0.875; rural 0.9518 / 0.876, 0.9524 / 0.877, –; alien
    #: 0.9699 / 0.848, 0.9707 / 0.852, 0.9698 / 0.854.
    cross_week_share_thinned: float = 0.3
    #: Where the wide set was thinned, the request-weeks still missing a session after the repair are
    #: offered to this many of the nearest volunteers outside it with room that week
    #: (``pipeline._beyond_wide``; 0: not at all), in at most this share of the time left. Found by an
    #: independent checker: 168 sessions could still be added to city-large's schedule at 118 s, every
    #: rule kept. Measured 2026-12-05 in process, 118 s, 0 → 20 (weighted ÷ bound / continuity):
    #: city-large 0.9507 / 0.863 → 0.9521 / 0.860 (46 added in 1.6 s), large-rural 0.9517 / 0.873 →
    #: 0.9526 / 0.866 (51 added).
    beyond_per_request_week: int = 20
    beyond_share: float = 0.25
    #: What a request kept by one volunteer is worth in the neighbourhoods, as a share of the trade's
    #: ``friend_worth`` (0: lexicographic, nothing given up). Measured 2026-12-04 in process, 28 s
    #: (weighted ÷ bound / continuity; the loss against the run without the aim, 0.9936, 0.9973 and
    #: 0.9951 in the record): medium-city 1.0: 0.9852 / 0.869, 0.75: 0.9867 / 0.862, 0: 0.9886 / 0.839
    #: (share 0.3: 0.9877 / 0.843); rural 0.9896 / 0.884, 0.9897 / 0.882, 0.9928 / 0.842 (0.9931 /
    #: 0.849); mixed 0.9866 / 0.903, 0.9875 / 0.895, 0.9892 / 0.871 (0.9894 / 0.870); appointments 1.0:
    #: 0.9842 / 0.885, 0: 0.9868 / 0.855. At 0 the loss is 0.4-0.6 % and continuity 0.84-0.87; at 1.0
    #: 0.65-0.85 % and 0.87-0.90: no share meets both of the issue's aims on medium-city.
    cross_week_worth: float = 1.0
    #: Seconds and work (deterministic units) of one neighbourhood's search; in effort mode the
    #: neighbourhoods together spend at most this share of the effort.
    cross_week_seconds: float = 0.5
    cross_week_work: float = 0.3
    cross_week_effort: float = 0.1
    #: One neighbourhood's search takes at most this share of the stage's time as well (on the clock).
    #: After a small city's proof the stage has a few tenths of a second, and one hard neighbourhood
    #: (48 triples, 15 requests: FEASIBLE at 0.32 s) had taken them whole. Measured 2026-12-06 in
    #: process, 10 s (continuity, three runs): small-appointments 0.707 / 0.707 / 0.707 → 0.720 /
    #: 0.720 / 0.733, the same proven optimum and time; small city, retirees, alien and alien-villages
    #: the same schedules. Stages of 2 s or more (medium and large cities) keep ``cross_week_seconds``.
    cross_week_search_share: float = 0.25
    #: Neighbourhoods searched side by side (one per core, on the clock) must share no volunteer and no
    #: citizen: the next one is the first of this many in the queue that shares none with those
    #: running. Measured 2026-12-05 in process, against one at a time (neighbourhoods searched, weighted
    #: ÷ bound / continuity): medium-city (28 s) 98 → 113-127, 0.9842 / 0.876 → 0.9842-0.9856 / 0.867-0.877;
    #: medium-alien 37 → 42, 0.9896 / 0.800 → 0.9897 / 0.803; rural 151 → 157, 0.9898 / 0.878 → 0.9897 /
    #: 0.885; appointments 108 → 105, 0.9830 / 0.875 → 0.9840 / 0.885; city-large (118 s) 522 → 703,
    #: 0.9513 / 0.870 → 0.9517 / 0.871. Without taking other missing requests than those running, 12 of
    #: 860 tries found one to search beside them.
    cross_week_lookahead: int = 8
    #: After a proven optimum the neighbourhoods may only keep more friends, in at most this share of
    #: the time the solve took so far (measured 2026-12-04 in process, 10 s, unbounded: small-city
    #: continuity 0.917 → 0.935 in 0.2 s, alien 0.940 → 0.949 in 0.1 s, appointments 0.676 → 0.724 in
    #: 1.5 s, the whole solve 3.6 s where the target is 2 s).
    cross_week_proven_share: float = 0.2
    #: ... and the week models' secondary stage (the other aims) in at most this share. Measured
    #: 2026-12-05 in process, 10 s, on the five small cities and eight unseen 60 / 100 / 2-week ones:
    #: unbounded, the stage ended by its work (0.25-0.55 s a week); at 0.15 every city's travel and
    #: continuity were the same, the solves 0.05-0.45 s sooner (23.8 → 21.6 s together); at 0.08 three
    #: cities stopped before the stage's answer. The share is the whole stage's: weeks that take two
    #: rounds on the threads (3 weeks on 2) get half of it each (they took twice the share until
    #: 2026-12-07).
    secondary_proven_share: float = 0.15
    #: The last stage (``pipeline._leftover``, on the clock, unproven schedules only): the time the other
    #: stages left, at least this many seconds. First, where every triple is a candidate, this share of
    #: it to each week's model over every triple (``pipeline._complete_week_models``: its bound tightens
    #: the week's, its answer is taken where worth more); then cross-week neighbourhoods from the
    #: requests still missing sessions (this many passes: the volunteer most able to serve the request,
    #: and in the second also the one most able to take over that one's sessions) and from the requests
    #: split since, for at most this many rounds while any finds better. Measured 2026-12-07, the whole
    #: command: an unseen city of 220 volunteers / 480 citizens / 3 weeks (30 s) ended at 12 s with a
    #: bound of 2,746; now at 29 s, bound 2,727 (its proven optimum at weight 0), 2,715 → 2,716 served;
    #: large-retirees (120 s) 52.7 → 80 s, 64,112 → 64,114; the medium family ends at 29 s where it
    #: ended at 20-27 s, its figures within noise (sparse: continuity 97.5 → 97.7 %); unseen cities of
    #: bench_unseen --seed 74 and 75 within noise of before.
    leftover_min_seconds: float = 0.3
    leftover_bound_share: float = 0.5
    #: In effort mode (no time is left over there) the whole week models get this share of the effort,
    #: on weeks of at most this many triples (the size the week stages build whole, ``complete_up_to``),
    #: for an unproven schedule. Measured 2026-12-07 on
    #: styled "pinned" cities of 10 volunteers / 20 citizens / 2 weeks whose `either` pins were made
    #: visits (whose week models' bound is then not the problem's): effort 3, seeds 1-3: FEASIBLE at 137,
    #: 102, 160 against their optima 121, 96, 154 without; with it OPTIMAL, the optima.
    leftover_effort: float = 0.1
    leftover_effort_triples: int = 12_000
    missing_passes: int = 2
    leftover_rounds: int = 3
    #: Seconds to build a neighbourhood's model per candidate triple (measured on medium-city: 0.7 s
    #: for 3,788, 0.05 s for 500); one that would end past the stage's end is not built.
    cross_week_build_per_triple: float = 2e-4

    # ----------------------------------------------------------- effort (deterministic work)
    #: Work units of the primary stage per model triple when an effort is given and it is
    #: split among the weeks (a unit ≈ one second of one core; measured ~5 units for a
    #: medium week of 5,000 triples to reach its optimum).
    primary_work_share: float = 0.7

    #: A continuity or secondary stage stops after this much work per model triple (at least
    #: ``stage_work_min``), also when time is left: measured, a small city's week reaches its
    #: secondary optimum within ~0.3 units, and more rarely pays at any size.
    stage_work_per_triple: float = 1e-4
    stage_work_min: float = 0.3

    #: Seconds the week stages leave for the repair and the continuity swaps, per session of the
    #: warm start, which the swaps move (measured: three passes of swaps take ~1.5 s for
    #: city-medium's 9,600 sessions; they raise a small city's continuity from 0.25 to 0.85 in
    #: 0.02 s). Since the swaps make
    #: room (eject, rehome) they take longer at large size, where the week models' last seconds add
    #: little: large-alien (21,900 sessions, 120 s) kept one friend for 0.708 of its requests with
    #: 5e-4 against 0.680 with 1.5e-4, serving the same (0.9709 / 0.9706 of the bound); the medium
    #: cities' swaps end sooner, and their figures were the same with either (measured 2026-12-03).
    swaps_per_session: float = 5e-4
    #: ... plus this (the week searches overrun their end by up to ~0.1 s when threads wrap up).
    swaps_min: float = 0.3
    #: Share of the time left for the baseline's own swaps (whose friends the optimiser offers
    #: later): they finish in ~0.5 s on city-medium, but took 44 s of 120 on city-large.
    baseline_swaps_share: float = 0.05

    #: Seconds the baseline needs after the bounds and the friends, per demanded session: the wide
    #: candidates and the greedy (with its swaps). Measured 2026-12-02 alone on the machine:
    #: city-large 5.7 s for 21,238 sessions (2.7e-4), the medium cities 0.8–0.9 s for 3,100–4,350
    #: (2.0–2.8e-4). The bounds and the friends are skipped, and the pair-weeks thinned, rather
    #: than leave the baseline less; the wide candidates get that much at least (or what is left).
    baseline_per_session: float = 3e-4
    #: ... or per triple the pair-weeks hold (``PairWeeks.days`` summed, every pair complete), where
    #: that is less: a city of few triples per session builds its wide set and greedy in a fraction
    #: of what its sessions say. Measured 2026-12-07 (wide candidates and the greedy, seconds per
    #: triple): an unseen medium city of short windows 1.5e-6 (0.86 s for 591,416), a styled
    #: split-shift one 4.6e-6 (0.34 s for 73,536; days of several windows), an unseen city of 150
    #: volunteers / 196 citizens / 6 weeks 1.2e-6 (0.16 s for 133,759, where its 4,101 sessions had
    #: kept 1.23 s back: with a 3 s limit every bound stage was skipped and its optimal greedy plan
    #: reported at 0.76 of the trivial bound; the days' bound proves it in 0.08 s). Kept at 6e-6.
    baseline_per_triple: float = 6e-6
    #: Seconds of the greedy per wide candidate, which the wide candidates leave it: its set-up
    #: (ordering every candidate) dominates when time is short. Measured 2026-12-02: city-large
    #: 1.8 s for 1.65 million (1.1e-6, its swaps included), the medium cities 0.3–0.4 s for
    #: 425,000–674,000 (0.5–0.8e-6); with 0.6 s for 1.5 million it placed 162 sessions.
    greedy_per_candidate: float = 1.5e-6
    #: Seconds of the friends' flow (``continuity.friend_flow``, not interruptible) per pair-week:
    #: measured 3.4 s for city-large's 10.8 million, 0.04 s for city-medium's 250,000 (2.5–3.9 s on
    #: city-large since its pairs are summed without sorting the pair-weeks: kept, the gate errs long).
    friend_flow_per_pair_week: float = 3.2e-7
    #: Seconds per (request, volunteer) pair of what every solve does before it has anything to
    #: cut short: the compatibility checks and ordering the pairs nearest first
    #: (``candidates.pair_checks``, ``pair_weeks``' first step). Measured 2026-12-02 alone on the
    #: machine: 2.7e-7 for city-large (10.2 million pairs: 1.4 s + 1.2 s), 1.9e-7 for
    #: large-retirees, 1.9e-7 for large-alien (12.0 million: 1.6 s + 0.7 s), 2.2e-7 for the medium
    #: cities. A solver's budget more than the contract's extra second below
    #: :func:`~.pipeline.minimum_seconds` makes the command refuse the time limit up front
    #: (large-alien with ``--time-limit 4`` had overrun the solver's 0.26 s by 2.7 s: exit 3).
    setup_per_pair: float = 3e-7

    # ----------------------------------------------------------- finishing
    #: Seconds kept for checking, explaining and returning, per demanded session, plus a fixed
    #: part. Measured 2026-12-02 alone on the machine, since the checker's speed-up: 1.7 s for
    #: city-large (21,238 demanded, 17,810 served), 1.8 s for large-retirees (21,254, all but 21
    #: served), 2.1 s for large-alien's 28,862 (checking 1.1–1.3 s, explaining ~0.8 s): about
    #: 7e-5 a session; kept at twice that for loaded machines. (Before the speed-up: up to 5.7 s
    #: for large-alien, when 2.5e-4 was kept; the CLI's writing has its own estimate.)
    finish_per_session: float = 1.5e-4
    finish_fixed: float = 0.15


TUNING = Tuning()
