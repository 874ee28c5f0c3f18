"""Experiments: many runs over variants of a scenario, seeds and methods, into one tidy table.

    from workbench.experiments import Modification, Spec, run_experiment, summarize

    spec = Spec(base={"volunteers": 15, "citizens": 30, "weeks": 1},
                modifications={"baseline": [], "more volunteers": [Modification("supply", 1.5)]},
                seeds=range(5), methods=["greedy"])
    runs = run_experiment(spec, "out/supply")      # one row per run; resumable
    summarize(runs, metrics=["coverage"])          # means with 95% CIs over seeds

A spec with ``simulation={"weeks": 52, ...}`` (TOML: a ``[simulate]`` table) makes every run a
simulated programme (:mod:`workbench.simulate`), so policies for the waiting list are compared the
same way; :mod:`.catalogue` has ready-made variants and policies. ``weights`` and
``weight_overrides={"friends": {"continuity": 80}}`` (TOML: ``[weights]``, ``weight.continuity``)
set the optimiser's objective weights, so a trade-off such as continuity against sessions is swept
like any variant.

See :mod:`.spec` for the TOML form used by ``workbench experiment SPEC.toml --out DIR``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .spec import Modification, RunKey, Spec, SpecError, load_spec, spec_from_dict

if TYPE_CHECKING:
    from .run import InlineExecutor, load_results, load_series, run_experiment, run_one
    from .stats import mean_ci, paired_difference, summarize

__all__ = [
    "InlineExecutor",
    "Modification",
    "RunKey",
    "Spec",
    "SpecError",
    "load_results",
    "load_series",
    "load_spec",
    "mean_ci",
    "paired_difference",
    "run_experiment",
    "run_one",
    "spec_from_dict",
    "summarize",
]

_LAZY = {
    "InlineExecutor": "run",
    "load_results": "run",
    "load_series": "run",
    "run_experiment": "run",
    "run_one": "run",
    "mean_ci": "stats",
    "paired_difference": "stats",
    "summarize": "stats",
}


def __getattr__(name: str) -> Any:
    # scipy and the executor machinery load on first use; reading a spec stays quick.
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
