"""Ready-made families of variants: the what-ifs of notebook 04 and the waiting-list policies of notebook 05.

    from workbench.experiments import Spec, catalogue

    spec = Spec(base="demo", modifications=catalogue.what_if_variants(supply=[0.5, 1.0, 1.5]), seeds=range(10))

    city = workbench.load_dataset("city-medium")
    spec = catalogue.policy_spec("city-medium", city, {"weeks": 52, "referrals_per_week": 12}, seeds=range(5))
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ..scenario.types import Scenario
from .spec import Modification, Spec

Policy = tuple[tuple[Modification, ...], dict[str, Any]]  # what a policy changes: modifications, simulation


def _times(k: float) -> str:
    return f"{k:g}"


def what_if_variants(supply: Iterable[float] = (0.5, 1.0, 1.5), helpers: int = 8) -> dict[str, list[Modification]]:
    """The versions of a city that notebook 04 compares, each changing one thing against *today*.

    ============================  ==================================================================
    version                       what changes
    ============================  ==================================================================
    today                         nothing
    supply ×k                     the volunteer pool is scaled (a random part stays, or people like
                                  today's volunteers join), for every k of ``supply`` except 1
    lock-down                     visits become calls; walks, escorts and meals stay unserved
    lock-down, supply ×k          both, to see whether more volunteers make up for a lock-down
    calls OK                      every citizen asking for a visit or IT help also accepts a call
    travel ×1.5                   every volunteer travels 50% further
    vetted 80%                    80% of volunteers hold a background check
    ad-hoc helpers                ``helpers`` neighbours who help once a week on a couple of days
    ============================  ==================================================================
    """
    levels = [float(k) for k in supply if float(k) != 1.0]
    variants: dict[str, list[Modification]] = {"today": []}
    for k in levels:
        variants[f"supply ×{_times(k)}"] = [Modification("supply", k)]
    variants["lock-down"] = [Modification("lockdown", True)]
    for k in levels:
        variants[f"lock-down, supply ×{_times(k)}"] = [Modification("supply", k), Modification("lockdown", True)]
    variants["calls OK"] = [Modification("phone_share", 1.0)]
    variants["travel ×1.5"] = [Modification("travel_radius", 1.5)]
    variants["vetted 80%"] = [Modification("vetting_share", 0.8)]
    variants["ad-hoc helpers"] = [Modification("adhoc_helpers", max(1, int(helpers)))]
    return variants


def underserved_language(scenario: Scenario, min_citizens: int = 3) -> tuple[str, str]:
    """The language with the fewest volunteer speakers per citizen speaker, and the district most of
    those citizens live in: where a recruitment drive would help most.

    Only languages spoken by at least ``min_citizens`` citizens count; a citizen who also speaks
    a language many volunteers speak is still counted (a conversation in one's own language is
    what a befriending match is about). Raises ValueError when no language qualifies.
    """
    citizens = Counter(lang for langs in scenario.citizens["languages"] for lang in set(langs))
    volunteers = Counter(lang for langs in scenario.volunteers["languages"] for lang in set(langs))
    candidates = [lang for lang, n in citizens.items() if n >= min_citizens]
    if not candidates:
        raise ValueError(f"no language is spoken by {min_citizens} or more citizens")
    lang = min(candidates, key=lambda x: (volunteers.get(x, 0) / citizens[x], -citizens[x], x))
    speakers = scenario.citizens[[lang in langs for langs in scenario.citizens["languages"]]]
    districts = Counter(d for d in speakers["district"] if d)
    district = districts.most_common(1)[0][0] if districts else ""
    return lang, district


def policies(scenario: Scenario, weeks: int, recruits: int = 10) -> dict[str, Policy]:
    """Policies for the waiting list, each against *today* (the examples of the simulation's issue).

    ================================  ==============================================================
    policy                            what changes
    ================================  ==============================================================
    today                             nothing
    phone friends                     every visit or IT-help request also accepts a weekly call
    wider radius                      every volunteer travels 50% further
    second visit for the most urgent  priority-5 citizens get two visits a week
    recruit ``recruits`` <lang>       a recruitment drive: ``recruits`` volunteers speaking the
    speakers in <district>            least-served language (:func:`underserved_language`) join
                                      in week 0, living where most of its speakers do
    lock-down weeks a–b               visits become calls for the middle sixth of the simulation
    ================================  ==============================================================
    """
    lang, district = underserved_language(scenario)
    first = weeks // 2
    last = min(weeks - 1, first + max(0, weeks // 6 - 1))
    recruit = {"count": int(recruits), "languages": [lang]}
    if district:
        recruit["district"] = district
    where = f" in {district}" if district else ""
    return {
        "today": ((), {}),
        "phone friends": ((Modification("phone_share", 1.0),), {}),
        "wider radius": ((Modification("travel_radius", 1.5),), {}),
        "second visit for the most urgent": ((Modification("second_visit", 5),), {}),
        f"recruit {recruits} {lang} speakers{where}": ((Modification("recruit", recruit),), {}),
        f"lock-down weeks {first}–{last}": ((), {"lockdown_weeks": [[first, last]]}),
    }


def policy_spec(base: str | Mapping[str, Any], scenario: Scenario, simulation: Mapping[str, Any],
                seeds: Iterable[int] = range(5), methods: Sequence[str] = ("greedy",), *,
                choose: Sequence[str] | None = None, recruits: int = 10, effort: float | None = None,
                time_limit: float | None = None, name: str = "waiting-list policies") -> Spec:
    """An experiment spec simulating :func:`policies` (all, or those whose names start with one of
    ``choose``) for ``simulation["weeks"]`` weeks over ``seeds``."""
    chosen = policies(scenario, int(simulation["weeks"]), recruits)
    if choose is not None:
        chosen = {k: v for k, v in chosen.items() if any(k.startswith(c) for c in choose)}
        if not chosen:
            raise ValueError(f"no policy starts with any of {list(choose)}; have {list(policies(scenario, 1))}")
    return Spec(base=base, modifications={k: m for k, (m, _) in chosen.items()},
                simulation_overrides={k: o for k, (_, o) in chosen.items()}, simulation=dict(simulation),
                seeds=seeds, methods=methods, effort=effort, time_limit=time_limit, name=name)
