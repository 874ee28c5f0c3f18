"""What an experiment is: a base scenario, named variants of it, seeds and methods.

A :class:`Spec` describes a family of scenarios and the grid of runs over it:
every variant × every seed × every method is one run. It is plain, picklable
data, so a worker on another machine can rebuild any run from (spec, run key)
alone.

The same thing as a TOML file (``workbench experiment SPEC.toml --out DIR``)::

    name = "supply and lock-down"
    seeds = 5                      # 0..4, or a list such as [11, 12, 13]
    methods = ["greedy", "cpsat"]  # default ["greedy"]
    effort = 10.0                  # CP-SAT's deterministic work per solve (default 10 when no time_limit)
    # time_limit = 5.0             # wall-clock seconds per solve instead: results then depend on the machine
    workers_per_run = 1            # CP-SAT threads per run (default 1: one core per run)

    [base]
    dataset = "demo"               # a bundled dataset ...
    # path = "../data/city"        # ... or a scenario folder/workbook, relative to this file ...
    # generate = { volunteers = 40, citizens = 80, weeks = 2 }   # ... or generator settings

    [variants.baseline]            # no modification
    [variants.lockdown]
    lockdown = true
    [variants.more-phone]
    phone_share = 0.6
    travel_radius = 1.5

    [grid]                         # optional; every combination becomes a variant
    supply = [0.5, 1.0, 1.5, 2.0]

**Objective weights.** ``[weights]`` sets the optimiser's weights (:class:`workbench.Weights`:
continuity, preferred, interests, travel, fair_load, equity) for every run, and a variant or the
grid may set them too, as ``weight.NAME``; the results table then has a ``weight_NAME`` column per
weight some variant sets (the default where it does not). What keeping one visiting friend costs,
over five cities::

    [weights]
    travel = 0                     # every run
    [grid]
    weight.continuity = [0, 20, 80]

A run is bounded by ``effort``, deterministic work (CP-SAT's deterministic time,
about seconds on a typical core but the same on any machine and under any load),
so the same spec gives the same table anywhere; ``time_limit`` bounds wall-clock
time instead (or as well) for those who want it, and such runs are not reproducible.

**Simulations.** With a ``[simulate]`` table every run is a simulated programme
(:func:`workbench.simulate.simulate`) over ``weeks`` weeks, each week planned by
the run's method within ``effort`` (per week), and the figures of a run are the
simulation's summary (shares matched within 4/8/12 weeks, waiting list, ...).
Variants and the grid may then also set simulation parameters, so a policy is a
variant::

    [simulate]
    weeks = 52
    referrals_per_week = 12

    [variants.today]
    [variants.phone-friends]
    phone_share = 1.0
    [variants.winter-lockdown]
    lockdown_weeks = [44, 51]
    [variants.recruit-arabic]
    recruit = { count = 10, languages = ["ar"], district = "Gellerup" }

    [grid]
    recruits_per_week = [3, 6]

With both ``[variants]`` and ``[grid]``, every variant is crossed with every
grid point (``lockdown | supply=1.5``). The modifications of a variant are
applied in the fixed order of :data:`MODIFICATION_ORDER`, whatever the order in
the file, so ``supply = 1.5`` with ``vetting_share = 0.8`` means 80% of the
enlarged pool is vetted. See :mod:`workbench.whatif` for what
each modification does and which parameters it takes.

"Seed" means: for a generator base, the generator's seed (each seed is a
different city); for a dataset base, the seed of the randomised modifications
and of the solver (the city stays the same). Modification randomness is also
seeded by it in both cases, and so is a simulation's (referrals, recruits, who
leaves when).
"""

from __future__ import annotations

import itertools
import math
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from .. import whatif as _mods
from ..objective import Weights
from ..simulate.params import NAMES as SIMULATION_KEYS
from ..simulate.params import ParameterError, Parameters, parameters_from_dict

METHODS = ("cpsat", "greedy")
# The research default: deterministic work, not wall time, bounds each solve (see the module docstring).
DEFAULT_EFFORT = 10.0
MODIFICATION_ORDER: tuple[str, ...] = _mods.ORDER
GENERATOR_KEYS = ("volunteers", "citizens", "weeks", "start_date", "name")
_TOP_KEYS = ("name", "base", "variants", "grid", "seeds", "methods", "effort", "time_limit", "workers_per_run",
             "simulate", "weights")
# A variant's or the grid's objective weight: ``weight.continuity = 80`` (a TOML dotted key).
WEIGHT = "weight"
WEIGHT_NAMES: tuple[str, ...] = tuple(Weights().as_dict())


class SpecError(ValueError):
    """An experiment spec is invalid; the message names the offending key."""

    def __init__(self, key: str, message: str, source: str | None = None) -> None:
        self.key = key
        self.message = message
        self.source = source
        where = f"{source}: " if source else ""
        super().__init__(f"{where}{key}: {message}" if key else f"{where}{message}")


@dataclass(frozen=True)
class Modification:
    """One change to a scenario: ``kind`` (e.g. ``"supply"``) with its parameter ``value``."""

    kind: str
    value: Any = True

    def __post_init__(self) -> None:
        if self.kind not in _mods.MODIFICATIONS:
            raise SpecError(self.kind, f"unknown modification; known: {', '.join(MODIFICATION_ORDER)}")
        try:
            _mods.check_parameter(self.kind, self.value)
        except ValueError as e:
            raise SpecError(self.kind, str(e)) from None

    def label(self) -> str:
        """Short text such as ``supply=1.5``, used to name grid variants."""
        return f"{self.kind}={_format_value(self.value)}"


@dataclass(frozen=True)
class RunKey:
    """Which run of the grid: a variant, a seed and a method."""

    variant: str
    seed: int
    method: str


@dataclass(frozen=True)
class Spec:
    """A family of scenarios and the grid of runs over it (see the module docstring).

    ``base`` is a bundled dataset name, a scenario path, or a dict of generator
    settings (``volunteers``, ``citizens``, ``weeks``; the seed comes from
    ``seeds``). ``modifications`` maps a variant name to the modifications
    applied, in list order, to the base scenario. ``effort`` / ``time_limit``:
    deterministic work / wall-clock seconds per solve (per simulated week in a
    simulation); with neither, ``effort`` is :data:`DEFAULT_EFFORT`.
    ``simulation``: simulation parameters (:class:`workbench.simulate.Parameters`
    fields, ``weeks`` required) to make every run a simulation;
    ``simulation_overrides``: per variant, the parameters it sets differently.
    ``weights``: objective weights (:class:`workbench.Weights` fields) for every run;
    ``weight_overrides``: per variant, the weights it sets differently.
    """

    base: str | Mapping[str, Any]
    modifications: Mapping[str, Sequence[Modification]] = field(default_factory=lambda: {"baseline": ()})
    seeds: Sequence[int] = (0,)
    methods: Sequence[str] = ("greedy",)
    time_limit: float | None = None
    workers_per_run: int = 1
    name: str = "experiment"
    effort: float | None = None
    simulation: Mapping[str, Any] | None = None
    simulation_overrides: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    weights: Mapping[str, int] = field(default_factory=dict)
    weight_overrides: Mapping[str, Mapping[str, int]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Normalise to immutable, hashable containers so a Spec is safe to share between processes.
        object.__setattr__(self, "seeds", tuple(int(s) for s in self.seeds))
        methods = (self.methods,) if isinstance(self.methods, str) else self.methods
        object.__setattr__(self, "methods", tuple(methods))
        object.__setattr__(
            self, "modifications", {str(k): tuple(v) for k, v in dict(self.modifications).items()}
        )
        if isinstance(self.base, Mapping):
            object.__setattr__(self, "base", dict(self.base))
        if self.time_limit is None and self.effort is None:
            object.__setattr__(self, "effort", DEFAULT_EFFORT)
        if self.simulation is not None:
            object.__setattr__(self, "simulation", dict(self.simulation))
        object.__setattr__(self, "simulation_overrides",
                           {str(k): dict(v) for k, v in dict(self.simulation_overrides).items() if v})
        object.__setattr__(self, "weights", dict(self.weights))
        object.__setattr__(self, "weight_overrides",
                           {str(k): dict(v) for k, v in dict(self.weight_overrides).items() if v})
        self._check()

    def _check(self) -> None:
        if isinstance(self.base, dict):
            unknown = sorted(set(self.base) - set(GENERATOR_KEYS))
            if unknown:
                raise SpecError(
                    "base.generate",
                    f"unknown generator setting(s) {', '.join(unknown)}; "
                    f"known: {', '.join(GENERATOR_KEYS)} (the seed comes from 'seeds')",
                )
            for k in ("volunteers", "citizens", "weeks"):
                v = self.base.get(k)
                if v is not None and (not _is_int(v) or v < 1):
                    raise SpecError(f"base.generate.{k}", f"expected a whole number ≥ 1, got {v!r}")
            start = self.base.get("start_date")
            if start is not None and (
                not isinstance(start, date) or isinstance(start, datetime) or start.weekday() != 0
            ):
                raise SpecError(
                    "base.generate.start_date", f"expected a Monday such as 2026-01-05, got {start!r}"
                )
        elif not isinstance(self.base, str) or not self.base:
            raise SpecError("base", "expected a dataset name, a scenario path or generator settings")
        else:
            from .. import datasets

            if self.base not in datasets.names() and not Path(self.base).exists():
                raise SpecError(
                    "base",
                    f"{self.base!r} is neither a bundled dataset "
                    f"({', '.join(datasets.names()) or 'none'}) nor an existing scenario path",
                )
        if not self.modifications:
            raise SpecError("variants", "at least one variant is needed (an empty one is the baseline)")
        for name, mods in self.modifications.items():
            if not name:
                raise SpecError("variants", "a variant name must not be empty")
            for m in mods:
                if not isinstance(m, Modification):
                    raise SpecError(f"variants.{name}", f"expected Modification objects, got {m!r}")
        if not self.seeds:
            raise SpecError("seeds", "at least one seed is needed")
        if len(set(self.seeds)) != len(self.seeds):
            raise SpecError("seeds", "seeds repeat")
        if not self.methods:
            raise SpecError("methods", "at least one method is needed")
        for m in self.methods:
            if m not in METHODS:
                raise SpecError("methods", f"unknown method {m!r}; known: {', '.join(METHODS)}")
        if len(set(self.methods)) != len(self.methods):
            raise SpecError("methods", "methods repeat")
        for key, value, unit in (("time_limit", self.time_limit, "seconds"), ("effort", self.effort, "work")):
            if value is not None and (
                not isinstance(value, int | float) or isinstance(value, bool) or not math.isfinite(value)
                or value <= 0
            ):
                raise SpecError(key, f"expected {unit} > 0, got {value!r}")
        self._check_simulation()
        self._check_weights()
        if not _is_int(self.workers_per_run) or self.workers_per_run < 1:
            raise SpecError("workers_per_run", f"expected a whole number ≥ 1, got {self.workers_per_run!r}")

    def _check_simulation(self) -> None:
        unknown = sorted(set(self.simulation_overrides) - set(self.modifications))
        if unknown:
            raise SpecError("simulation_overrides", f"no variant named {unknown[0]!r}")
        if self.simulation is None:
            for variant, over in self.simulation_overrides.items():
                raise SpecError(f"variants.{variant}.{next(iter(over))}",
                                "a simulation parameter; add a [simulate] table (with weeks) to simulate")
            return
        try:
            parameters_from_dict(self.simulation)
        except ParameterError as e:
            key, _, message = e.problems[0].partition(": ")
            raise SpecError(f"simulate.{key}", message) from None
        for variant in self.modifications:
            try:
                self.simulation_parameters(variant)
            except ParameterError as e:
                key, _, message = e.problems[0].partition(": ")
                raise SpecError(f"variants.{variant}.{key}", message) from None

    def _check_weights(self) -> None:
        unknown = sorted(set(self.weight_overrides) - set(self.modifications))
        if unknown:
            raise SpecError("weight_overrides", f"no variant named {unknown[0]!r}")
        for where, given in (("weights", self.weights),
                             *((f"variants.{v}.weight", w) for v, w in self.weight_overrides.items())):
            for name, value in given.items():
                if name not in WEIGHT_NAMES:
                    raise SpecError(f"{where}.{name}", f"unknown weight; known: {', '.join(WEIGHT_NAMES)}")
                if not _is_int(value) or value < 0:
                    raise SpecError(f"{where}.{name}", f"expected a whole number ≥ 0, got {value!r}")

    def run_weights(self, variant: str) -> dict[str, int]:
        """The objective weights a variant's runs use: ``weights`` with the variant's own (the rest default)."""
        return {**self.weights, **self.weight_overrides.get(variant, {})}

    @property
    def weight_keys(self) -> list[str]:
        """The weights some variant sets differently (each a ``weight_NAME`` column), in the weights' order."""
        used = {k for over in self.weight_overrides.values() for k in over}
        return [k for k in WEIGHT_NAMES if k in used]

    @property
    def simulates(self) -> bool:
        """Whether every run is a simulation (a ``[simulate]`` table was given)."""
        return self.simulation is not None

    def simulation_parameters(self, variant: str) -> Parameters:
        """The simulation parameters of a variant: the ``[simulate]`` table with the variant's own settings."""
        if self.simulation is None:
            raise ValueError("this spec does not simulate (no [simulate] table)")
        return parameters_from_dict({**self.simulation, **self.simulation_overrides.get(variant, {})})

    @property
    def simulation_keys(self) -> list[str]:
        """The simulation parameters some variant sets differently, in the parameters' order."""
        used = {k for over in self.simulation_overrides.values() for k in over}
        return [k for k in SIMULATION_KEYS if k in used]

    # ------------------------------------------------------------------ the grid

    @property
    def variants(self) -> list[str]:
        return list(self.modifications)

    def runs(self) -> list[RunKey]:
        """Every run of the grid, variant-major (the order of the results table)."""
        return [RunKey(v, s, m) for v in self.modifications for s in self.seeds for m in self.methods]

    def __len__(self) -> int:
        return len(self.modifications) * len(self.seeds) * len(self.methods)

    @property
    def kinds(self) -> list[str]:
        """The modification kinds used by any variant, in the canonical order."""
        used = {m.kind for mods in self.modifications.values() for m in mods}
        return [k for k in MODIFICATION_ORDER if k in used]

    def parameters(self, variant: str) -> dict[str, Any]:
        """One scalar per modification kind of the spec, for the results table.

        A kind the variant does not use gets its neutral value (supply 1.0,
        lockdown False, ...) so that e.g. coverage can be plotted against supply
        across every variant.
        """
        own = {m.kind: _mods.column_value(m.kind, m.value) for m in self.modifications[variant]}
        out = {k: own.get(k, _mods.NEUTRAL[k]) for k in self.kinds}
        if self.simulation is not None:
            sim = self.simulation_parameters(variant).to_dict()
            out.update({k: _column(sim[k]) for k in self.simulation_keys})
        weights = Weights.of(self.run_weights(variant)).as_dict()
        out.update({f"{WEIGHT}_{k}": weights[k] for k in self.weight_keys})
        return out

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able description (written next to the results for provenance)."""
        return {
            "name": self.name,
            "base": self.base,
            "variants": {
                k: [{"kind": m.kind, "value": m.value} for m in v] for k, v in self.modifications.items()
            },
            "seeds": list(self.seeds),
            "methods": list(self.methods),
            "effort": self.effort,
            "time_limit": self.time_limit,
            "workers_per_run": self.workers_per_run,
            "simulate": self.simulation,
            "simulation_overrides": self.simulation_overrides,
            "weights": self.weights,
            "weight_overrides": self.weight_overrides,
        }


# --------------------------------------------------------------------------- TOML


def load_spec(path: str | Path) -> Spec:
    """Read a spec from a TOML file; :class:`SpecError` names the file and the bad key."""
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SpecError("", "no such file", source=str(path)) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise SpecError("", f"not valid TOML: {e}", source=str(path)) from None
    try:
        return spec_from_dict(raw, root=path.parent)
    except SpecError as e:
        raise SpecError(e.key, e.message, source=str(path)) from None


def spec_from_dict(raw: Mapping[str, Any], root: str | Path | None = None) -> Spec:
    """Build a spec from the TOML structure (see the module docstring); paths are relative to ``root``."""
    unknown = sorted(set(raw) - set(_TOP_KEYS))
    if unknown:
        raise SpecError(unknown[0], f"unknown key; known: {', '.join(_TOP_KEYS)}")
    base = _base(raw.get("base"), Path(root) if root is not None else None)
    named = _variants(raw.get("variants"))
    grid = _grid(raw.get("grid"))
    modifications: dict[str, tuple[Modification, ...]] = {}
    overrides: dict[str, dict[str, Any]] = {}
    if named and grid:
        for (vname, (vmods, vsim)), (gname, (gmods, gsim)) in itertools.product(named.items(), grid.items()):
            clash = ({m.kind for m in vmods} & {m.kind for m in gmods}) | (set(vsim) & set(gsim))
            if clash:
                raise SpecError(
                    f"variants.{vname}", f"sets {', '.join(sorted(clash))}, which [grid] also varies"
                )
            modifications[f"{vname} | {gname}"] = _ordered(vmods + gmods)
            overrides[f"{vname} | {gname}"] = {**vsim, **gsim}
    else:
        chosen = named or grid or {"baseline": ((), {})}
        modifications = {k: mods for k, (mods, _) in chosen.items()}
        overrides = {k: sim for k, (_, sim) in chosen.items()}
    # The variants' weights travel with their simulation parameters (so that a clash with the grid is
    # found the same way) and are parted from them here.
    prefix = f"{WEIGHT}."
    weight_overrides = {k: {n[len(prefix):]: v for n, v in over.items() if n.startswith(prefix)}
                        for k, over in overrides.items()}
    overrides = {k: {n: v for n, v in over.items() if not n.startswith(prefix)} for k, over in overrides.items()}
    weights = raw.get("weights", {})
    if not isinstance(weights, dict):
        raise SpecError("weights", f"expected a table of weights such as continuity = 80, got {weights!r}")

    seeds_raw = raw.get("seeds", [0])
    if _is_int(seeds_raw):
        if seeds_raw < 1:
            raise SpecError("seeds", f"expected a count ≥ 1 or a list of seeds, got {seeds_raw!r}")
        seeds: list[int] = list(range(seeds_raw))
    elif isinstance(seeds_raw, list) and all(_is_int(s) for s in seeds_raw):
        seeds = list(seeds_raw)
    else:
        raise SpecError("seeds", f"expected a count or a list of whole numbers, got {seeds_raw!r}")

    methods = raw.get("methods", ["greedy"])
    if isinstance(methods, str):
        methods = [methods]
    if not isinstance(methods, list) or not all(isinstance(m, str) for m in methods):
        raise SpecError("methods", f'expected a list such as ["greedy", "cpsat"], got {methods!r}')
    name = raw.get("name", "experiment")
    if not isinstance(name, str):
        raise SpecError("name", f"expected text, got {name!r}")
    simulation = raw.get("simulate")
    if simulation is not None and not isinstance(simulation, dict):
        raise SpecError("simulate", f"expected a table of simulation parameters such as weeks = 52, got {simulation!r}")
    return Spec(
        base=base,
        modifications=modifications,
        seeds=seeds,
        methods=methods,
        time_limit=raw.get("time_limit"),
        effort=raw.get("effort"),
        workers_per_run=raw.get("workers_per_run", 1),
        name=name,
        simulation=simulation,
        simulation_overrides=overrides,
        weights=weights,
        weight_overrides=weight_overrides,
    )


def _base(raw: Any, root: Path | None) -> str | dict[str, Any]:
    if raw is None:
        raise SpecError("base", "missing; give [base] with dataset = ..., path = ... or generate = {...}")
    if isinstance(raw, str):  # shorthand: base = "demo"
        raw = {"dataset": raw}
    if not isinstance(raw, dict):
        raise SpecError("base", f"expected a table, got {raw!r}")
    given = [k for k in ("dataset", "path", "generate") if k in raw]
    unknown = sorted(set(raw) - {"dataset", "path", "generate"})
    if unknown:
        raise SpecError(f"base.{unknown[0]}", "unknown key; use one of dataset, path, generate")
    if len(given) != 1:
        raise SpecError("base", "give exactly one of dataset, path, generate")
    key = given[0]
    value = raw[key]
    if key == "generate":
        if not isinstance(value, dict):
            raise SpecError("base.generate", f"expected a table of generator settings, got {value!r}")
        if "seed" in value:
            raise SpecError("base.generate.seed", "the generator seed comes from 'seeds'; remove it here")
        return dict(value)
    if not isinstance(value, str) or not value:
        raise SpecError(f"base.{key}", f"expected text, got {value!r}")
    if key == "dataset":
        from .. import datasets

        if value not in datasets.names():
            raise SpecError(
                "base.dataset", f"no bundled dataset {value!r}; have: {', '.join(datasets.names()) or 'none'}"
            )
        return value
    p = Path(value)
    if not p.is_absolute() and root is not None:
        p = root / p
    if not p.exists():
        raise SpecError("base.path", f"{str(p)!r} does not exist")
    return str(p.resolve())


Variant = tuple[tuple[Modification, ...], dict[str, Any]]  # what a variant changes: modifications, simulation


def _setting(key: str, name: str, value: Any) -> tuple[Modification | None, dict[str, Any]]:
    """One ``name = value`` of a variant: a modification, or a simulation parameter or objective weights
    (``weight = {continuity = 80}``, as ``weight.continuity``; both checked with the spec)."""
    if name == WEIGHT:
        if not isinstance(value, dict) or not value:
            raise SpecError(key, f"expected weights such as weight.continuity = 80, got {value!r}")
        return None, {f"{WEIGHT}.{k}": v for k, v in value.items()}
    if name in SIMULATION_KEYS and name not in _mods.MODIFICATIONS:
        if name == "weeks":
            raise SpecError(key, "the simulated weeks are the same for every variant; set them in [simulate]")
        return None, {name: value}
    if name not in _mods.MODIFICATIONS:
        raise SpecError(key, f"unknown modification or simulation parameter; modifications: "
                             f"{', '.join(MODIFICATION_ORDER)}; simulation: {', '.join(SIMULATION_KEYS)}")
    return _modification(key, name, value), {}


def _variants(raw: Any) -> dict[str, Variant]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise SpecError("variants", "expected tables such as [variants.lockdown]")
    out: dict[str, Variant] = {}
    for name, params in raw.items():
        if not isinstance(params, dict):
            raise SpecError(f"variants.{name}", f"expected a table of modifications, got {params!r}")
        mods: list[Modification] = []
        sim: dict[str, Any] = {}
        for k, v in params.items():
            m, s = _setting(f"variants.{name}.{k}", k, v)
            mods += [m] if m is not None else []
            sim.update(s)
        out[name] = (_ordered(tuple(mods)), sim)
    return out


def _grid(raw: Any) -> dict[str, Variant]:
    if raw is None:
        return {}
    if not isinstance(raw, dict) or not raw:
        raise SpecError("grid", "expected a table of modification = [values]")
    axes: list[list[tuple[str, Modification | None, dict[str, Any]]]] = []
    # weight.continuity = [0, 20, 80] arrives as weight = {continuity = [...]}: one axis per weight.
    flat: list[tuple[str, Any]] = []
    for kind, values in raw.items():
        if kind == WEIGHT and isinstance(values, dict):
            flat += [(f"{WEIGHT}.{name}", v) for name, v in values.items()]
        else:
            flat.append((kind, values))
    for kind, values in flat:
        if not isinstance(values, list) or not values:
            raise SpecError(f"grid.{kind}", f"expected a non-empty list of values, got {values!r}")
        axis = []
        for v in values:
            if kind.startswith(f"{WEIGHT}."):
                axis.append((f"{kind}={_format_value(v)}", None, {kind: v}))
                continue
            m, s = _setting(f"grid.{kind}", kind, v)
            axis.append((m.label() if m is not None else f"{kind}={_format_value(v)}", m, s))
        axes.append(axis)
    out: dict[str, Variant] = {}
    for combo in itertools.product(*axes):
        mods = tuple(m for _, m, _ in combo if m is not None)
        sim = {k: v for _, _, s in combo for k, v in s.items()}
        out[",".join(label for label, _, _ in combo)] = (_ordered(mods), sim)
    return out


def _modification(key: str, kind: str, value: Any) -> Modification:
    try:
        return Modification(kind, value)
    except SpecError as e:
        raise SpecError(key, e.message) from None


def _ordered(mods: tuple[Modification, ...]) -> tuple[Modification, ...]:
    return tuple(sorted(mods, key=lambda m: MODIFICATION_ORDER.index(m.kind)))


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _column(value: Any) -> Any:
    """A simulation parameter as one cell of the results table (lock-down ranges as ``44-51;60-62``)."""
    if isinstance(value, list | tuple):
        return ";".join(f"{a}-{b}" for a, b in value) if value else ""
    return math.nan if value is None else value


def _format_value(v: Any) -> str:
    if isinstance(v, bool):
        return "on" if v else "off"
    if isinstance(v, float) and v.is_integer():
        return f"{v:.1f}"
    if isinstance(v, dict):
        return "(" + ",".join(f"{k}={_format_value(x)}" for k, x in v.items()) + ")"
    if isinstance(v, list | tuple):
        return "+".join(str(x) for x in v)
    return str(v)
