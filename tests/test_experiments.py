"""Tests of workbench.experiments: specs, modifications, sweeps, resuming, executors, stats, CLI, notebook."""

from __future__ import annotations

import argparse
import json
import math
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import workbench
from workbench import whatif as mods
from workbench.experiments import Modification, Spec, SpecError, load_spec, run_experiment, spec_from_dict
from workbench.experiments import run as run_mod
from workbench.experiments.run import FIGURES, VOLATILE_COLUMNS, load_results
from workbench.experiments.stats import mean_ci, paired_difference, summarize
from workbench.scenario import edit

ROOT = Path(__file__).resolve().parent.parent
REAL_SOLVE = workbench.solve  # before any test wraps it
SMALL = {"volunteers": 15, "citizens": 30, "weeks": 1}


@pytest.fixture(scope="module")
def city() -> workbench.Scenario:
    """A small generated city (with a vetted/unvetted mix, phone and in-person requests)."""
    return workbench.generate(volunteers=20, citizens=40, weeks=1, seed=3)


def half_up(x: float) -> int:
    """Counts after scaling round half up (22.5 → 23)."""
    return math.floor(x + 0.5 + 1e-9)


def tiny_spec(**kw: object) -> Spec:
    args: dict = {
        "base": SMALL,
        "modifications": {"baseline": [], "supply=1.5": [Modification("supply", 1.5)]},
        "seeds": [0, 1],
        "methods": ["greedy"],
        "time_limit": 5.0,
        "name": "tiny",
    }
    args.update(kw)
    return Spec(**args)


# --------------------------------------------------------------------------- spec


def test_toml_spec_builds_variants_grid_and_runs(tmp_path: Path) -> None:
    """A TOML spec crosses named variants with the grid, orders modifications canonically and counts runs."""
    (tmp_path / "spec.toml").write_text(
        """
name = "t"
seeds = 3
methods = ["greedy", "cpsat"]
time_limit = 4

[base]
generate = { volunteers = 15, citizens = 30, weeks = 1 }

[variants.baseline]
[variants.lockdown]
lockdown = true
vetting_share = 0.5

[grid]
supply = [0.5, 1.5]
""",
        encoding="utf-8",
    )
    spec = load_spec(tmp_path / "spec.toml")
    assert spec.variants == [
        "baseline | supply=0.5",
        "baseline | supply=1.5",
        "lockdown | supply=0.5",
        "lockdown | supply=1.5",
    ]
    assert [m.kind for m in spec.modifications["lockdown | supply=1.5"]] == [
        "supply",
        "vetting_share",
        "lockdown",
    ]
    assert spec.seeds == (0, 1, 2) and spec.methods == ("greedy", "cpsat") and spec.time_limit == 4
    assert len(spec.runs()) == 4 * 3 * 2 == len(spec)
    params = spec.parameters("baseline | supply=0.5")
    assert params["supply"] == 0.5 and params["lockdown"] is False and math.isnan(params["vetting_share"])
    assert spec.parameters("lockdown | supply=1.5") == {"supply": 1.5, "vetting_share": 0.5, "lockdown": True}


def test_spec_path_base_is_relative_to_the_spec_file(tmp_path: Path) -> None:
    """base.path is resolved against the spec file's folder, and a spec without variants has one baseline."""
    workbench.save(workbench.generate(volunteers=5, citizens=5, weeks=1, seed=0), tmp_path / "data" / "city")
    (tmp_path / "spec.toml").write_text('[base]\npath = "data/city"\n', encoding="utf-8")
    spec = load_spec(tmp_path / "spec.toml")
    assert spec.base == str((tmp_path / "data" / "city").resolve())
    assert spec.variants == ["baseline"] and spec.methods == ("greedy",)


@pytest.mark.parametrize(
    "text, key",
    [
        ('colour = "red"\n[base]\ndataset = "demo"', "colour"),
        ("[base]\ngenerate = { volunteers = 15 }\n[variants.x]\nsupply = -1", "variants.x.supply"),
        ("[base]\ngenerate = { volunteers = 15 }\n[variants.x]\nteleport = 2", "variants.x.teleport"),
        ("[base]\ngenerate = { volunteers = 15 }\n[grid]\nsupply = 1.5", "grid.supply"),
        ("[base]\ngenerate = { volunteers = 15 }\n[grid]\nphone_share = [0.5, 1.5]", "grid.phone_share"),
        ('methods = ["magic"]\n[base]\ngenerate = { volunteers = 15 }', "methods"),
        ('seeds = "many"\n[base]\ngenerate = { volunteers = 15 }', "seeds"),
        ("time_limit = 0\n[base]\ngenerate = { volunteers = 15 }", "time_limit"),
        ('[base]\ndataset = "no-such-city"', "base.dataset"),
        ('[base]\npath = "missing/folder"', "base.path"),
        ("[base]\ngenerate = { volunteers = 15, seed = 3 }", "base.generate.seed"),
        ("[base]\ngenerate = { volunteers = 0 }", "base.generate.volunteers"),
        ('[base]\ndataset = "demo"\npath = "x"', "base"),
        ("seeds = 2", "base"),
        (
            '[base]\ngenerate = { volunteers = 15 }\n[variants.x]\nlockdown = { suspended = "maybe" }',
            "variants.x.lockdown",
        ),
        (
            "[base]\ngenerate = { volunteers = 15 }\n[variants.x]\nsupply = 2\n[grid]\nsupply = [1.0]",
            "variants.x",
        ),
    ],
)
def test_spec_errors_name_the_key(tmp_path: Path, text: str, key: str) -> None:
    """Every invalid spec raises SpecError whose message names the file and the offending key."""
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SpecError) as err:
        load_spec(path)
    assert err.value.key == key
    assert str(err.value).startswith(f"{path}: {key}")


def test_toml_spec_sets_objective_weights_for_every_run_and_per_variant(tmp_path: Path) -> None:
    """[weights] holds for every run, a variant's weight.NAME for its own; the table gets a weight_NAME
    column for each weight some variant sets, the default where a variant does not."""
    (tmp_path / "spec.toml").write_text(
        """
        [base]
        generate = { volunteers = 15, citizens = 30, weeks = 1 }
        [weights]
        travel = 0
        [variants.plain]
        [variants.friends]
        weight.continuity = 80
        [variants.no-friends]
        weight = { continuity = 0, preferred = 5 }
        """,
        encoding="utf-8",
    )
    spec = load_spec(tmp_path / "spec.toml")
    assert spec.run_weights("plain") == {"travel": 0}
    assert spec.run_weights("friends") == {"travel": 0, "continuity": 80}
    assert spec.run_weights("no-friends") == {"travel": 0, "continuity": 0, "preferred": 5}
    assert spec.weight_keys == ["continuity", "preferred"]
    assert spec.parameters("plain") == {"weight_continuity": 20, "weight_preferred": 30}
    assert spec.parameters("friends") == {"weight_continuity": 80, "weight_preferred": 30}
    assert not spec.simulation_overrides  # weights are not simulation parameters
    ids = {run_mod.run_id(spec, k) for k in spec.runs()}
    assert len(ids) == len(spec.runs())


def test_the_grid_varies_a_weight_like_a_modification() -> None:
    """weight.continuity = [...] in [grid] is one axis: crossed with the others, one variant per point."""
    spec = spec_from_dict({"base": {"generate": SMALL},
                           "grid": {"supply": [1.0, 1.5], "weight": {"continuity": [0, 80]}}})
    assert spec.variants == ["supply=1.0,weight.continuity=0", "supply=1.0,weight.continuity=80",
                             "supply=1.5,weight.continuity=0", "supply=1.5,weight.continuity=80"]
    assert [spec.run_weights(v) for v in spec.variants] == [{"continuity": 0}, {"continuity": 80}] * 2
    assert [spec.parameters(v)["weight_continuity"] for v in spec.variants] == [0, 80, 0, 80]


@pytest.mark.parametrize("top, tables, key", [
    ("", "[weights]\ncontinuity = -1", "weights.continuity"),
    ("", "[weights]\nspeed = 3", "weights.speed"),
    ("weights = 3", "", "weights"),
    ("", "[variants.x]\nweight.continuity = 2.5", "variants.x.weight.continuity"),
    ("", "[variants.x]\nweight.speed = 1", "variants.x.weight.speed"),
    ("", "[variants.x]\nweight = 3", "variants.x.weight"),
    ("", "[variants.x]\nweight.continuity = 80\n[grid]\nweight.continuity = [0, 20]", "variants.x"),
], ids=["negative", "unknown", "not a table", "not whole", "unknown in a variant", "no name", "grid clash"])
def test_weight_errors_name_the_key(tmp_path: Path, top: str, tables: str, key: str) -> None:
    """A weight that cannot work is a SpecError naming its key, before any run."""
    path = tmp_path / "bad.toml"
    path.write_text(f"{top}\n[base]\ngenerate = {{ volunteers = 15 }}\n{tables}", encoding="utf-8")
    with pytest.raises(SpecError) as err:
        load_spec(path)
    assert err.value.key == key


def test_runs_and_simulations_get_their_variants_weights(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each run's solve (and each simulated week's) is called with its variant's weights; a variant with
    none set gets the defaults (weights=None)."""
    from workbench import engine

    seen: list[object] = []

    def solve(scenario: workbench.Scenario, **kw: object) -> object:
        seen.append(kw.get("weights"))
        return REAL_SOLVE(scenario, method="greedy", time_limit=None)

    monkeypatch.setattr(workbench, "solve", solve)
    monkeypatch.setattr(engine, "solve", solve)
    spec = tiny_spec(modifications={"plain": [], "friends": []}, weight_overrides={"friends": {"continuity": 80}},
                     seeds=[0])
    for key in spec.runs():
        run_mod.run_one(spec, key)
    assert seen == [None, {"continuity": 80}]
    seen.clear()
    sim = tiny_spec(modifications={"friends": []}, weight_overrides={"friends": {"continuity": 0}}, seeds=[0],
                    simulation={"weeks": 2})
    run_mod.run_one(sim, sim.runs()[0])
    assert seen == [{"continuity": 0}] * 2


def test_a_weight_sweep_tabulates_each_runs_weight_and_continuity(tmp_path: Path) -> None:
    """The tidy table of a sweep over the continuity weight holds the weight each run used beside the
    figures it trades (continuity, weighted coverage), also when read back without the spec."""
    spec = tiny_spec(modifications={"no-friends": [], "default": []},
                     weight_overrides={"no-friends": {"continuity": 0}}, seeds=[0], methods=["cpsat"],
                     time_limit=None, effort=1.0)
    table = run_experiment(spec, tmp_path, workers=0, progress=False)
    assert list(table["weight_continuity"]) == [0, 20]
    assert table[["continuity", "weighted_coverage"]].notna().all().all()
    back = load_results(tmp_path)
    assert dict(zip(back["variant"], back["weight_continuity"])) == {"no-friends": 0, "default": 20}


def test_spec_rejects_broken_toml_and_missing_file(tmp_path: Path) -> None:
    """Invalid TOML and a missing file are SpecErrors too (the CLI turns them into exit code 2)."""
    (tmp_path / "broken.toml").write_text("seeds = [1,", encoding="utf-8")
    with pytest.raises(SpecError, match="not valid TOML"):
        load_spec(tmp_path / "broken.toml")
    with pytest.raises(SpecError, match="no such file"):
        load_spec(tmp_path / "absent.toml")
    with pytest.raises(SpecError, match="seeds repeat"):
        spec_from_dict({"base": {"generate": SMALL}, "seeds": [1, 1]})


# --------------------------------------------------------------------------- modifications


def test_supply_scales_the_pool_and_cleans_references(city: workbench.Scenario) -> None:
    """supply ×1.5 gives 1.5× volunteers with copied availability; ×0.5 removes half and their references."""
    more = mods.supply(city, 1.5, np.random.default_rng(0))
    assert len(more.volunteers) == half_up(1.5 * len(city.volunteers))
    clones = set(more.volunteers["volunteer_id"]) - set(city.volunteers["volunteer_id"])
    assert clones and clones <= set(more.volunteer_availability["volunteer_id"])

    first = city.volunteers["volunteer_id"].iloc[0]
    cit = city.citizens.copy()
    cit["preferred_volunteers"] = [(first,)] * len(cit)
    marked = edit.replace(city, citizens=cit)
    fewer = mods.supply(marked, 0.5, np.random.default_rng(1))
    kept = set(fewer.volunteers["volunteer_id"])
    assert len(kept) == half_up(0.5 * len(city.volunteers))
    assert set(fewer.volunteer_availability["volunteer_id"]) <= kept
    prefs = {v for items in fewer.citizens["preferred_volunteers"] for v in items}
    assert prefs <= kept and (first in kept) == bool(prefs)


def test_supply_uses_common_random_numbers(city: workbench.Scenario) -> None:
    """With one seed, a smaller pool is a subset of a larger one, and the same seed gives the same pool."""
    small = mods.apply(city, [Modification("supply", 0.4)], seed=7)
    large = mods.apply(city, [Modification("supply", 0.8)], seed=7)
    again = mods.apply(city, [Modification("supply", 0.4)], seed=7)
    other = mods.apply(city, [Modification("supply", 0.4)], seed=8)
    small, large, again, other = (set(s.volunteers["volunteer_id"]) for s in (small, large, again, other))
    assert small < large and small == again and small != other


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(factor=st.floats(0.05, 3.0), share=st.floats(0.0, 1.0), seed=st.integers(0, 2**31))
def test_supply_and_vetting_hit_their_targets_for_any_parameter(
    city: workbench.Scenario, factor: float, share: float, seed: int
) -> None:
    """Any factor, share, seed: half_up(n·k) volunteers, half_up(s·n) of them vetted, no dangling ids."""
    out = mods.apply(city, [Modification("supply", factor), Modification("vetting_share", share)], seed)
    n = half_up(factor * len(city.volunteers))
    assert len(out.volunteers) == n
    assert sum(out.volunteers["vetted"]) == half_up(share * n)
    ids = set(out.volunteers["volunteer_id"])
    assert set(out.volunteer_availability["volunteer_id"]) <= ids and len(ids) == n


def test_vetting_share_sets_the_share(city: workbench.Scenario) -> None:
    """vetting_share s leaves half_up(s·n) volunteers vetted, upwards and downwards."""
    n = len(city.volunteers)
    for share in (0.0, 0.8, 1.0):
        out = mods.vetting_share(city, share, np.random.default_rng(0))
        assert sum(out.volunteers["vetted"]) == half_up(share * n)


def test_travel_radius_multiplies_max_travel_km(city: workbench.Scenario) -> None:
    """travel_radius ×2 doubles every max_travel_km; no limit stays no limit."""
    limits = list(city.volunteers["max_travel_km"])
    assert any(math.isinf(x) for x in limits) and any(math.isfinite(x) for x in limits)  # both cases present
    out = mods.travel_radius(city, 2.0, np.random.default_rng(0))
    for before, after in zip(limits, out.volunteers["max_travel_km"]):
        assert (math.isinf(before) and math.isinf(after)) or after == pytest.approx(2 * before)


def test_adhoc_helpers_join_as_local_unvetted_walkers(city: workbench.Scenario) -> None:
    """adhoc_helpers adds n unvetted walkers, one session a week, free on dates inside the horizon."""
    out = mods.adhoc_helpers(city, {"count": 4, "days": 2}, np.random.default_rng(0))
    new = out.volunteers[~out.volunteers["volunteer_id"].isin(city.volunteers["volunteer_id"])]
    assert len(new) == 4
    assert (
        not any(new["vetted"])
        and set(new["travel_mode"]) == {"walk"}
        and set(new["max_sessions_per_week"]) == {1}
    )
    avail = out.volunteer_availability[out.volunteer_availability["volunteer_id"].isin(new["volunteer_id"])]
    assert len(avail) == 8
    horizon = {d.isoformat() for d in city.settings.dates}
    assert set(avail["day"]) <= horizon


def test_phone_share_sets_share_among_phone_capable_requests(city: workbench.Scenario) -> None:
    """phone_share 1.0 makes every visit/it_help accept calls; 0.0 none; other activities are untouched."""
    capable = city.requests["activity"].isin(mods.PHONE_ACTIVITIES)
    all_ok = mods.phone_share(city, 1.0, np.random.default_rng(0)).requests
    assert (all_ok.loc[capable.to_numpy(), "mode"] != "in_person").all()
    none_ok = mods.phone_share(city, 0.0, np.random.default_rng(0)).requests
    assert (none_ok.loc[capable.to_numpy(), "mode"] == "in_person").all()
    for out in (all_ok, none_ok):
        assert list(out.loc[~capable.to_numpy(), "mode"]) == list(city.requests.loc[~capable, "mode"])
    half = mods.phone_share(city, 0.5, np.random.default_rng(0)).requests
    assert (half.loc[capable.to_numpy(), "mode"] != "in_person").sum() == half_up(0.5 * capable.sum())


def test_lockdown_turns_visits_into_calls_and_suspends_the_rest(city: workbench.Scenario) -> None:
    """Lock-down: what can be a call becomes phone-only; walks/escorts stay demanded but are never served."""
    out = mods.lockdown(city, True, np.random.default_rng(0))
    req, before = out.requests, city.requests
    can_call = (before["mode"] != "in_person") | before["activity"].isin(mods.PHONE_ACTIVITIES)
    assert (req.loc[can_call.to_numpy(), "mode"] == "phone").all()
    suspended = req.loc[~can_call.to_numpy()]
    assert len(suspended) > 0 and suspended["activity"].str.endswith(mods.SUSPENDED_SUFFIX).all()
    assert int(out.demand().sum()) == int(city.demand().sum())  # coverage stays comparable with the baseline
    result = workbench.solve(out, method="greedy")
    assert set(result.schedule["mode"]) <= {"phone"}
    assert not set(result.schedule["request_id"]) & set(suspended["request_id"])
    dropped = mods.lockdown(city, {"suspended": "drop"}, np.random.default_rng(0))
    assert len(dropped.requests) == int(can_call.sum())


def test_modification_parameters_are_checked() -> None:
    """Invalid parameters are rejected when the Modification is made, naming the kind."""
    for kind, value in [
        ("supply", 0),
        ("vetting_share", 1.2),
        ("travel_radius", "far"),
        ("adhoc_helpers", -1),
        ("phone_share", {"share": 0.5, "activities": "visit"}),
        ("lockdown", "yes"),
        ("adhoc_helpers", {"days": 2}),
    ]:
        with pytest.raises(SpecError, match=kind):
            Modification(kind, value)


# --------------------------------------------------------------------------- sweeps


def test_tiny_sweep_on_local_processes_gives_one_row_per_run(tmp_path: Path) -> None:
    """2 variants × 2 seeds × greedy on 2 local processes: 4 rows with every contract figure, all stored."""
    spec = tiny_spec()
    table = run_experiment(spec, tmp_path, workers=2, progress=True)
    assert len(table) == 4 and list(table["variant"]) == ["baseline"] * 2 + ["supply=1.5"] * 2
    assert (table["status"] != "ERROR").all(), table["error"].tolist()
    for figure in FIGURES:
        assert figure in table.columns
    for figure in (
        "demand_sessions",
        "served_sessions",
        "coverage",
        "weighted_coverage",
        "citizens_with_demand",
        "citizens_served",
        "travel_km",
        "min_district_coverage",
        "solve_seconds",
    ):
        assert table[figure].notna().all(), figure
    assert table["coverage"].between(0, 1).all()
    assert list(table["n_volunteers"]) == [15, 15, 23, 23] and list(table["supply"]) == [1.0, 1.0, 1.5, 1.5]
    assert any(c.startswith("district_coverage.") for c in table.columns)
    assert len(list((tmp_path / "runs").glob("*.json"))) == 4
    on_disk = pd.read_csv(tmp_path / "results.csv")
    assert list(on_disk["run_id"]) == list(table["run_id"])
    assert json.loads((tmp_path / "spec.json").read_text())["name"] == "tiny"
    pd.testing.assert_frame_equal(load_results(tmp_path, spec), table)


def _counting_solve(monkeypatch: pytest.MonkeyPatch, fail: object = None) -> list[tuple[int, str]]:
    """Replace workbench.solve by a wrapper that records calls and can fail (in this process only)."""
    calls: list[tuple[int, str]] = []
    real = REAL_SOLVE

    def solve(scenario: workbench.Scenario, **kw: object) -> object:
        calls.append((kw["seed"], kw["method"]))
        if callable(fail):
            fail(len(calls), kw)
        return real(scenario, **kw)

    monkeypatch.setattr(workbench, "solve", solve)
    return calls


def test_interrupted_sweep_resumes_where_it_stopped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Ctrl-C after two runs keeps them; the rerun solves only the two missing runs; a third solves none."""

    def interrupt_third(n: int, kw: dict) -> None:
        if n == 3:
            raise KeyboardInterrupt

    spec = tiny_spec()
    calls = _counting_solve(monkeypatch, interrupt_third)
    with pytest.raises(KeyboardInterrupt):
        run_experiment(spec, tmp_path, workers=0, progress=False)
    assert len(list((tmp_path / "runs").glob("*.json"))) == 2
    assert len(pd.read_csv(tmp_path / "results.csv")) == 2

    calls = _counting_solve(monkeypatch)
    table = run_experiment(spec, tmp_path, workers=0, progress=False)
    assert len(calls) == 2 and len(table) == 4 and (table["status"] != "ERROR").all()
    calls = _counting_solve(monkeypatch)
    run_experiment(spec, tmp_path, workers=0, progress=False)
    assert calls == []
    changed = tiny_spec(time_limit=6.0)  # a different definition is not mistaken for the finished one
    calls = _counting_solve(monkeypatch)
    run_experiment(changed, tmp_path, workers=0, progress=False)
    assert len(calls) == 4


def test_failing_run_is_recorded_and_the_others_finish(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A run that raises becomes an ERROR row with its error; the others finish; retry_failed reruns it."""

    def fail_seed_1(n: int, kw: dict) -> None:
        if kw["seed"] == 1:
            raise ValueError("boom")

    spec = tiny_spec()
    _counting_solve(monkeypatch, fail_seed_1)
    table = run_experiment(spec, tmp_path, workers=0, progress=False)
    failed = table[table["status"] == "ERROR"]
    assert list(failed["seed"]) == [1, 1] and failed["error"].str.contains("ValueError: boom").all()
    assert (table.loc[table["seed"] == 0, "coverage"].notna()).all()
    stored = [json.loads(p.read_text()) for p in (tmp_path / "runs").glob("*.json")]
    assert sorted(r["status"] == "ERROR" for r in stored) == [False, False, True, True]
    assert all("Traceback" in r["traceback"] for r in stored if r["status"] == "ERROR")

    calls = _counting_solve(monkeypatch)
    run_experiment(spec, tmp_path, workers=0, progress=False)
    assert calls == []  # a failure counts as finished ...
    table = run_experiment(spec, tmp_path, workers=0, progress=False, retry_failed=True)
    assert len(calls) == 2 and (table["status"] != "ERROR").all()  # ... until asked to retry


def test_a_dying_worker_process_loses_no_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A worker dying mid-run (crash, out of memory) breaks the pool; the sweep replaces it and finishes."""
    marker = tmp_path / "crashed"

    def crash_once(n: int, kw: dict) -> None:
        if kw["seed"] == 1 and not marker.exists():
            marker.touch()
            os._exit(1)

    _counting_solve(monkeypatch, crash_once)
    monkeypatch.setattr(run_mod, "MP_CONTEXT", "fork")  # so the workers see the patched solver
    table = run_experiment(tiny_spec(), tmp_path / "out", workers=2, progress=False)
    assert marker.exists()
    assert len(table) == 4 and (table["status"] != "ERROR").all(), table["error"].tolist()


def test_dask_local_cluster_gives_the_same_table_as_local_processes(tmp_path: Path) -> None:
    """The same spec on a dask LocalCluster (2 worker processes) and on local processes: the same table."""
    distributed = pytest.importorskip("distributed")
    spec = tiny_spec()
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, host="127.0.0.1"
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        on_dask = run_experiment(
            spec, tmp_path / "dask", executor=client.get_executor(pure=False), progress=False
        )
    local = run_experiment(spec, tmp_path / "local", workers=2, progress=False)
    assert (on_dask["status"] != "ERROR").all(), on_dask["error"].tolist()
    pd.testing.assert_frame_equal(
        on_dask.drop(columns=list(VOLATILE_COLUMNS)), local.drop(columns=list(VOLATILE_COLUMNS))
    )


def test_dataset_base_runs_with_modification_seeds(tmp_path: Path) -> None:
    """With a dataset base, seeds drive the modifications: different seeds clone different volunteers."""
    workbench.save(workbench.generate(volunteers=10, citizens=20, weeks=1, seed=4), tmp_path / "city")
    spec = Spec(
        base=str(tmp_path / "city"), modifications={"more": [Modification("supply", 1.5)]}, seeds=[0, 1]
    )
    table = run_experiment(spec, tmp_path / "out", workers=0, progress=False)
    assert list(table["n_volunteers"]) == [15, 15] and (table["status"] != "ERROR").all()
    a, b = (run_mod.build_scenario(spec, k) for k in spec.runs())
    assert set(a.volunteers["volunteer_id"]) == set(b.volunteers["volunteer_id"])  # same ids (clone-1..5) ...
    assert not a.volunteers.set_index("volunteer_id")["lat"].equals(
        b.volunteers.set_index("volunteer_id")["lat"]
    )


# --------------------------------------------------------------------------- statistics


def test_mean_ci_matches_the_student_t_interval() -> None:
    """mean_ci([1..5]) = 3 ± t(0.975, 4)·sd/√5 = 3 ± 1.9632; one value has no interval."""
    m, lo, hi = mean_ci([1, 2, 3, 4, 5])
    assert m == 3 and lo == pytest.approx(1.03675, abs=1e-4) and hi == pytest.approx(4.96325, abs=1e-4)
    m, lo, hi = mean_ci([0.5])
    assert m == 0.5 and math.isnan(lo) and math.isnan(hi)
    assert mean_ci([2, 2, None, float("nan")]) == (2, 2, 2)


def test_summarize_and_paired_difference_on_known_numbers() -> None:
    """Per-group means/CIs skip failed runs (counted); paired cpsat−greedy differences use the same seeds."""
    runs = pd.DataFrame(
        {
            "variant": ["a"] * 6,
            "method": ["cpsat", "greedy"] * 3,
            "seed": [0, 0, 1, 1, 2, 2],
            "coverage": [0.8, 0.7, 0.9, 0.7, 0.7, 0.6],
            "status": ["OPTIMAL", "FEASIBLE"] * 3,
        }
    )
    runs.loc[len(runs)] = ["a", "greedy", 3, np.nan, "ERROR"]
    s = summarize(runs, ["coverage"], by=["variant", "method"]).set_index("method")
    assert s.loc["cpsat", "mean"] == pytest.approx(0.8) and s.loc["cpsat", "n"] == 3
    assert s.loc["greedy", "errors"] == 1 and s.loc["greedy", "n"] == 3
    assert 0.8 - s.loc["cpsat", "ci_low"] == pytest.approx(4.302653 * 0.1 / math.sqrt(3), rel=1e-5)
    assert s.loc["cpsat", "ci_high"] == 1.0  # 0.8 + 0.248: a share's interval is cut at 1
    d = paired_difference(runs, "coverage").iloc[0]
    # differences 0.1, 0.2, 0.1: mean 0.1333, sd 0.0577
    assert d["n"] == 3 and d["diff"] == pytest.approx(0.13333, abs=1e-4)
    assert d["ci_high"] - d["diff"] == pytest.approx(4.302653 * 0.057735 / math.sqrt(3), rel=1e-4)
    assert d["a_better"] == 1.0 and d["p_value"] == pytest.approx(0.05719, abs=1e-4)  # t = 4 on 2 df


def test_plots_show_means_with_ci_error_bars() -> None:
    """Each plot has one trace per series with asymmetric CI error bars of the right length."""
    from workbench.experiments import plots

    rows = []
    for supply in (0.5, 1.0, 1.5):
        for seed in range(3):
            for method in ("cpsat", "greedy"):
                cov = 0.4 * supply + 0.01 * seed + (0.05 if method == "cpsat" else 0)
                rows.append(
                    {
                        "variant": f"s{supply}",
                        "supply": supply,
                        "seed": seed,
                        "method": method,
                        "coverage": cov,
                        "status": "OPTIMAL",
                        "district_coverage.A": cov,
                        "district_coverage.B": cov / 2,
                    }
                )
    runs = pd.DataFrame(rows)
    fig = plots.coverage_vs_supply(runs)
    assert [t.name for t in fig.data] == ["cpsat", "greedy"]
    assert list(fig.data[0].x) == [0.5, 1.0, 1.5] and len(fig.data[0].error_y.array) == 3
    assert fig.data[0].error_y.array[0] == pytest.approx(4.302653 * 0.01 / math.sqrt(3), rel=1e-4)
    equity = plots.district_equity(runs)
    assert len(equity.data) == 3 and list(equity.data[0].x) == ["B", "A"]  # worst district first
    comparison = plots.method_comparison(runs)
    assert [t.name for t in comparison.data] == ["cpsat", "greedy"] and len(comparison.data[0].x) == 3


# --------------------------------------------------------------------------- CLI and notebook


def _cli(argv: list[str]) -> int:
    from workbench.experiments import cli

    parser = argparse.ArgumentParser(prog="workbench")
    cli.add_parser(parser.add_subparsers(dest="command"))
    return cli.run(parser.parse_args(["experiment", *argv]))


def test_cli_bad_spec_exits_2_with_a_message(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A bad spec gives exit code 2 and one clear line on stderr naming the key, no traceback."""
    (tmp_path / "bad.toml").write_text("[base]\ngenerate = { volunteers = 15 }\n[variants.x]\nsupply = -2\n")
    assert _cli([str(tmp_path / "bad.toml"), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "variants.x.supply" in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_cli_runs_a_spec_and_writes_results_and_summary(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`workbench experiment SPEC --out DIR` runs the sweep, writes results.csv and summary.csv, exits 0."""
    (tmp_path / "spec.toml").write_text(
        "seeds = 2\n[base]\ngenerate = { volunteers = 10, citizens = 20, weeks = 1 }\n"
        "[variants.today]\n[variants.lockdown]\nlockdown = true\n"
    )
    out = tmp_path / "out"
    assert _cli([str(tmp_path / "spec.toml"), "--out", str(out), "--workers", "0", "--no-progress"]) == 0
    assert len(pd.read_csv(out / "results.csv")) == 4
    summary = pd.read_csv(out / "summary.csv")
    assert {"variant", "method", "metric", "mean", "ci_low", "ci_high"} <= set(summary.columns)
    assert "lockdown" in capsys.readouterr().out


def test_notebook_runs_under_papermill_with_other_parameters(tmp_path: Path) -> None:
    """papermill executes the notebook with different (small) parameters, and the run uses them."""
    papermill = pytest.importorskip("papermill")
    out = tmp_path / "runs"
    papermill.execute_notebook(
        str(ROOT / "notebooks" / "04-experiments.ipynb"),
        str(tmp_path / "out.ipynb"),
        parameters={
            "base": {"volunteers": 10, "citizens": 20, "weeks": 1},
            "supply": [1.0, 2.0],
            "seeds": 2,
            "workers": 0,
            "out_dir": str(out),
        },
        cwd=str(ROOT / "notebooks"),
        kernel_name="python3",
        progress_bar=False,
    )
    table = pd.read_csv(out / "results.csv")
    # today, supply ×2, lock-down, lock-down ×2, calls OK, travel, vetted, helpers = 8 versions × 2 seeds
    assert len(table) == 16 and set(table["seed"]) == {0, 1} and (table["status"] != "ERROR").all()
    assert set(table.loc[table["variant"] == "supply ×2", "n_volunteers"]) == {20}


# --------------------------------------------------------------------------- reproducible research runs


def test_research_runs_are_bounded_by_effort_unless_a_time_limit_is_asked_for(tmp_path: Path) -> None:
    """No budget given: effort 10 (deterministic), no wall clock; a time_limit alone keeps effort unset."""
    spec = spec_from_dict({"base": {"generate": SMALL}})
    assert spec.effort == 10.0 and spec.time_limit is None
    timed = spec_from_dict({"base": {"generate": SMALL}, "time_limit": 3})
    assert timed.effort is None and timed.time_limit == 3
    both = spec_from_dict({"base": {"generate": SMALL}, "time_limit": 3, "effort": 2.5})
    assert (both.effort, both.time_limit) == (2.5, 3)
    assert run_mod.run_id(spec, spec.runs()[0]) != run_mod.run_id(both, both.runs()[0])
    with pytest.raises(SpecError, match="effort"):
        spec_from_dict({"base": {"generate": SMALL}, "effort": 0})


def test_optimiser_runs_get_the_effort_and_greedy_runs_no_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    """cpsat runs are called with effort=E and no time limit; greedy runs with neither."""
    seen: list[dict] = []

    def solve(scenario: workbench.Scenario, **kw: object) -> object:
        seen.append(dict(kw))
        return REAL_SOLVE(scenario, method="greedy", time_limit=None)

    monkeypatch.setattr(workbench, "solve", solve)
    spec = tiny_spec(methods=["cpsat", "greedy"], time_limit=None, effort=3.0, seeds=[0])
    for key in spec.runs()[:2]:
        run_mod.run_one(spec, key)
    cpsat, greedy = seen
    assert cpsat["method"] == "cpsat" and cpsat["effort"] == 3.0 and cpsat["time_limit"] is None
    assert greedy["method"] == "greedy" and "effort" not in greedy and greedy["time_limit"] is None


def test_every_row_carries_status_gap_and_bound(tmp_path: Path) -> None:
    """The results table has status, gap and objective_bound for every run (empty where greedy has none)."""
    table = run_experiment(tiny_spec(seeds=[0]), tmp_path, workers=0, progress=False)
    for column in ("status", "gap", "objective_bound"):
        assert column in table.columns
    assert table["status"].isin(["FEASIBLE", "OPTIMAL"]).all() and table["objective_bound"].notna().all()
    expected = (table["objective_bound"] - table["objective"]) / table["objective_bound"]
    assert np.allclose(table["gap"], expected) and table["gap"].between(0, 1).all()
    assert (summarize(table, ["coverage"])["flag"] == "").all()  # greedy is a rule of its own: never flagged


def test_shares_intervals_stay_within_0_and_1_and_counts_above_0() -> None:
    """A share near 1 over few seeds: the t interval would pass 1; summarize cuts it at 1 (and waits at 0)."""
    runs = pd.DataFrame({"variant": "a", "method": "greedy", "seed": [0, 1, 2],
                         "coverage": [1.0, 0.98, 0.9], "matched_within_4w": [0.02, 0.0, 0.1],
                         "median_wait_weeks": [0.1, 0.2, 3.0], "travel_km": [5.0, 6.0, 7.0],
                         "status": "FEASIBLE"})
    s = summarize(runs, ["coverage", "matched_within_4w", "median_wait_weeks", "travel_km"], by=["variant"])
    s = s.set_index("metric")
    raw_high = mean_ci(runs["coverage"])[2]
    assert raw_high > 1 and s.at["coverage", "ci_high"] == 1.0
    assert mean_ci(runs["matched_within_4w"])[1] < 0 and s.at["matched_within_4w", "ci_low"] == 0.0
    assert s.at["median_wait_weeks", "ci_low"] == 0.0
    assert s.at["travel_km", "ci_low"] == pytest.approx(mean_ci(runs["travel_km"])[1])  # not cut: well inside
    d = paired_difference(pd.DataFrame({"variant": ["x", "y"] * 3, "method": "g", "seed": [0, 0, 1, 1, 2, 2],
                                        "coverage": [1.0, 0.0, 1.0, 0.0, 0.2, 0.0], "status": "OK"}),
                          "coverage", column="variant", a="x", b="y", by=["method"]).iloc[0]
    assert d["ci_high"] == 1.0 and d["diff"] == pytest.approx(0.7333, abs=1e-3)


def test_comparisons_of_runs_far_from_their_bound_are_flagged() -> None:
    """Runs stopping 5% below their bound flag the group and its paired comparison; 0.1% does not."""
    runs = pd.DataFrame({"variant": ["tight", "loose"] * 3, "method": "cpsat", "seed": [0, 0, 1, 1, 2, 2],
                         "coverage": [0.8, 0.76, 0.82, 0.77, 0.81, 0.78],
                         "gap": [0.001, 0.05, 0.0, 0.048, 0.002, 0.051], "status": "FEASIBLE"})
    s = summarize(runs, ["coverage"], by=["variant"]).set_index("variant")
    assert s.at["tight", "flag"] == "" and s.at["tight", "max_gap"] == pytest.approx(0.002)
    assert "far from bound" in s.at["loose", "flag"] and s.at["loose", "max_gap"] == pytest.approx(0.051)
    d = paired_difference(runs, "coverage", column="variant", a="loose", b="tight", by=["method"]).iloc[0]
    assert d["max_gap"] == pytest.approx(0.051) and "far from bound" in d["flag"]
    assert "5.1%" in d["flag"]


# --------------------------------------------------------------------------- simulated policies


SIM_SPEC = """
name = "policies"
seeds = 2
[base]
dataset = "demo"
[simulate]
weeks = 3
referrals_per_week = 2
[variants.today]
[variants.calls]
phone_share = 1.0
[variants.lockdown]
lockdown_weeks = [1, 2]
"""


def test_simulation_spec_reads_policies_as_variants(tmp_path: Path) -> None:
    """[simulate] makes every run a simulation; variants may set modifications and simulation parameters."""
    (tmp_path / "spec.toml").write_text(SIM_SPEC + "[grid]\nrecruits_per_week = [0, 2]\n", encoding="utf-8")
    spec = load_spec(tmp_path / "spec.toml")
    assert spec.simulates and len(spec.variants) == 6
    assert spec.simulation_parameters("lockdown | recruits_per_week=2").lockdown_weeks == ((1, 2),)
    assert spec.simulation_parameters("lockdown | recruits_per_week=2").recruits_per_week == 2
    assert spec.parameters("calls | recruits_per_week=0") == {"phone_share": 1.0, "recruits_per_week": 0,
                                                              "lockdown_weeks": ""}


@pytest.mark.parametrize("text, key", [
    ("[base]\ndataset = 'demo'\n[variants.x]\nreferrals_per_week = 3", "variants.x.referrals_per_week"),
    ("[base]\ndataset = 'demo'\n[simulate]\nweeks = 0", "simulate.weeks"),
    ("[base]\ndataset = 'demo'\n[simulate]\nreferrals_per_week = 3", "simulate.weeks"),
    ("[base]\ndataset = 'demo'\n[simulate]\nweeks = 4\n[variants.x]\nmatch_end_hazard = 1.5",
     "variants.x.match_end_hazard"),
    ("[base]\ndataset = 'demo'\n[simulate]\nweeks = 4\n[variants.x]\nweeks = 8", "variants.x.weeks"),
    ("[base]\ndataset = 'demo'\n[simulate]\nweeks = 4\nspeed = 2", "simulate.speed"),
    ("[base]\ndataset = 'demo'\n[simulate]\nweeks = 4\n[grid]\nvolunteer_leave_hazard = [0.1, -1]",
     "variants.volunteer_leave_hazard=-1.volunteer_leave_hazard"),
])
def test_simulation_spec_errors_name_the_key(tmp_path: Path, text: str, key: str) -> None:
    """Bad simulation settings in a spec name the key (simulate.x, variants.v.x)."""
    (tmp_path / "bad.toml").write_text(text, encoding="utf-8")
    with pytest.raises(SpecError) as err:
        load_spec(tmp_path / "bad.toml")
    assert err.value.key == key


def test_simulated_sweep_is_reproducible_and_keeps_weekly_series(tmp_path: Path) -> None:
    """A policy × seed sweep of simulations: one row per run with the simulation's figures; the same spec
    run again elsewhere gives the same table; the weekly series and curves are kept per run."""
    (tmp_path / "spec.toml").write_text(SIM_SPEC, encoding="utf-8")
    spec = load_spec(tmp_path / "spec.toml")
    a = run_experiment(spec, tmp_path / "a", workers=2, progress=False)
    b = run_experiment(spec, tmp_path / "b", workers=0, progress=False)
    assert len(a) == 6 and (a["status"] != "ERROR").all(), a["error"].tolist()
    for figure in run_mod.SIMULATION_FIGURES:
        assert figure in a.columns
    assert set(a["weeks"]) == {3} and list(a["lockdown_weeks"]) == ["", "", "", "", "1-2", "1-2"]
    assert a.groupby("seed")["referrals"].nunique().eq(1).all()  # common random numbers across policies
    pd.testing.assert_frame_equal(a.drop(columns=list(VOLATILE_COLUMNS)), b.drop(columns=list(VOLATILE_COLUMNS)))
    series, curves = run_mod.load_series(tmp_path / "a", spec)
    assert len(series) == 6 * 3 and set(series["week"]) == {0, 1, 2}
    assert set(curves["variant"]) == {"today", "calls", "lockdown"}
    assert curves["matched"].dropna().between(0, 1).all()


def test_cli_writes_figures_and_summary_for_a_simulated_spec(tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    """`workbench experiment` with a [simulate] spec writes results, summary and the policy figures."""
    (tmp_path / "spec.toml").write_text(SIM_SPEC.replace("seeds = 2", "seeds = 1"), encoding="utf-8")
    out = tmp_path / "out"
    assert _cli([str(tmp_path / "spec.toml"), "--out", str(out), "--workers", "0", "--no-progress"]) == 0
    figures = {p.name for p in (out / "figures").iterdir()}
    assert {"matched_within_by_variant.html", "waiting_list_by_variant.html", "time_to_match_by_variant.html",
            "plotly.min.js"} <= figures
    summary = pd.read_csv(out / "summary.csv")
    assert {"max_gap", "flag"} <= set(summary.columns) and "matched_within_4w" in set(summary["metric"])
    printed = capsys.readouterr().out  # a headline per policy: the longest share observed, else the mean list
    assert all(v in printed for v in ("today", "calls", "lockdown")) and "mean_waiting" in printed


def test_cli_writes_figures_for_a_plain_sweep(tmp_path: Path) -> None:
    """A sweep without simulation gets its coverage figures (per variant, against supply)."""
    (tmp_path / "spec.toml").write_text(
        "seeds = 2\n[base]\ngenerate = { volunteers = 10, citizens = 20, weeks = 1 }\n[grid]\nsupply = [0.5, 1.0]\n")
    out = tmp_path / "out"
    assert _cli([str(tmp_path / "spec.toml"), "--out", str(out), "--workers", "0", "--no-progress"]) == 0
    assert {"coverage_by_variant.html", "coverage_vs_supply.html"} <= {p.name for p in (out / "figures").iterdir()}
    assert _cli([str(tmp_path / "spec.toml"), "--out", str(tmp_path / "bare"), "--workers", "0", "--no-progress",
                 "--no-figures"]) == 0
    assert not (tmp_path / "bare" / "figures").exists()


# --------------------------------------------------------------------------- policies as modifications


def test_recruit_adds_speakers_living_in_the_district(city: workbench.Scenario) -> None:
    """recruit {count 4, languages [ar], district D}: four volunteers speaking ar, homes near D's citizens."""
    district = city.citizens["district"].iloc[0]
    out = mods.recruit(city, {"count": 4, "languages": ["ar"], "district": district}, np.random.default_rng(0))
    new = out.volunteers[~out.volunteers["volunteer_id"].isin(city.volunteers["volunteer_id"])]
    assert len(new) == 4 and all("ar" in langs for langs in new["languages"])
    homes = city.citizens[city.citizens["district"] == district]
    for lat, lon in zip(new["lat"], new["lon"]):
        nearest = min(workbench.geo.haversine_km(lat, lon, a, b) for a, b in zip(homes["lat"], homes["lon"]))
        assert nearest < 3.0
    assert set(new["volunteer_id"]) <= set(out.volunteer_availability["volunteer_id"])
    with pytest.raises(ValueError, match="recruit.district"):
        mods.recruit(city, {"count": 1, "district": "Atlantis"}, np.random.default_rng(0))


def test_second_visit_doubles_recurring_visits_of_the_most_urgent(city: workbench.Scenario) -> None:
    """second_visit 5: recurring visit requests of priority-5 citizens get 2 a week; nothing else changes."""
    out = mods.second_visit(city, 5, np.random.default_rng(0))
    prio = city.requests["citizen_id"].map(dict(zip(city.citizens["citizen_id"], city.citizens["priority"])))
    chosen = ((prio >= 5) & (city.requests["activity"] == "visit") & city.requests["date"].isna()).to_numpy()
    assert chosen.any()
    after = out.requests["sessions_per_week"].to_numpy(int)
    before = city.requests["sessions_per_week"].to_numpy(int)
    assert (after[chosen] == np.maximum(before[chosen], 2)).all() and (after[~chosen] == before[~chosen]).all()
    for bad in (0, 6, {"min_priority": 4, "sessions_per_week": 0}):
        with pytest.raises(SpecError, match="second_visit"):
            Modification("second_visit", bad)


def test_catalogue_policies_target_the_least_served_language() -> None:
    """The recruitment policy names the language with fewest volunteer speakers per citizen, where they live."""
    from workbench.experiments import catalogue

    base = workbench.generate(volunteers=10, citizens=20, weeks=1, seed=1)
    cit = base.citizens.copy()
    cit["languages"] = [("so",) if i < 4 else ("da",) for i in range(len(cit))]
    cit["district"] = ["Vest" if i < 3 else "Øst" for i in range(len(cit))]
    vol = base.volunteers.copy()
    vol["languages"] = [("da", "so") if i == 0 else ("da",) for i in range(len(vol))]
    scenario = edit.replace(base, citizens=cit, volunteers=vol)
    assert catalogue.underserved_language(scenario) == ("so", "Vest")
    names = list(catalogue.policies(scenario, weeks=12))
    assert names[0] == "today" and "recruit 10 so speakers in Vest" in names and "lock-down weeks 6–7" in names
    spec = catalogue.policy_spec("demo", scenario, {"weeks": 12}, seeds=[0], choose=["today", "recruit"])
    assert spec.variants == ["today", "recruit 10 so speakers in Vest"]
    assert list(catalogue.what_if_variants([0.5, 1.0])) == [
        "today", "supply ×0.5", "lock-down", "lock-down, supply ×0.5", "calls OK", "travel ×1.5", "vetted 80%",
        "ad-hoc helpers"]


ENGINE_HAS_EFFORT = "effort" in __import__("inspect").signature(REAL_SOLVE).parameters


@pytest.mark.skipif(not ENGINE_HAS_EFFORT, reason="the engine has no deterministic effort budget yet")
def test_identical_optimiser_sweeps_give_identical_tables(tmp_path: Path) -> None:
    """Two sweeps of one effort-bounded cpsat spec (one on 2 processes, one inline) agree in every figure."""
    spec = tiny_spec(methods=["cpsat"], time_limit=None, effort=1.0, seeds=[0, 1, 2])
    a = run_experiment(spec, tmp_path / "a", workers=2, progress=False)
    b = run_experiment(spec, tmp_path / "b", workers=0, progress=False)
    assert (a["status"] != "ERROR").all(), a["error"].tolist()
    pd.testing.assert_frame_equal(a.drop(columns=list(VOLATILE_COLUMNS)), b.drop(columns=list(VOLATILE_COLUMNS)))
    assert a["gap"].notna().all() and a["objective_bound"].notna().all()
