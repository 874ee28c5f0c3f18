"""Running an experiment: every run of the grid on an executor, each stored as it finishes.

Layout of ``out_dir``::

    spec.json           the spec that produced the runs (provenance)
    runs/<run_id>.json  one file per finished run (figures, or the error), written atomically;
                        a simulation's record also keeps its weekly series and waiting-time curve
    results.csv         the tidy table: one row per run of the spec, in grid order

A run's id is a readable slug plus a hash of everything that determines its
result (base, the variant's modifications and simulation parameters, seed,
method, effort, time limit, threads), so resuming skips exactly the runs already
done *for this definition*; after changing, say, the effort the old files stay
but are not reused.

Each row carries the run's ``status``, ``gap`` and ``objective_bound`` (for a
simulation: summed over its weeks), so a reader sees how far from proven optimal
each optimiser run stopped. With ``effort`` (the default) and no ``time_limit``
a run's figures depend only on the spec: two sweeps of it give the same table
(``VOLATILE_COLUMNS`` aside) on any machine.

The parent process writes the files, never the workers, so a cluster's workers
need no shared disk with the machine that starts the sweep.
"""

from __future__ import annotations

import concurrent.futures as cf
import functools
import hashlib
import json
import math
import multiprocessing
import os
import re
import socket
import time
import traceback
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from .. import whatif as _mods
from ..outputs import write_text
from .spec import SIMULATION_KEYS, WEIGHT, WEIGHT_NAMES, RunKey, Spec

RECORD_VERSION = 2
# The figures of contract section 4, in its order; every run row carries each one.
FIGURES: tuple[str, ...] = (
    "demand_sessions",
    "served_sessions",
    "coverage",
    "weighted_coverage",
    "citizens_with_demand",
    "citizens_served",
    "travel_km",
    "continuity",
    "min_district_coverage",
    "solve_seconds",
    "status",
    "objective_bound",
)
# A simulation's figures (see workbench.simulate.metrics.summary), the row of each simulated run.
SIMULATION_FIGURES: tuple[str, ...] = (
    "weeks",
    "referrals",
    "matched_within_4w",
    "matched_within_8w",
    "matched_within_12w",
    "median_wait_weeks",
    "matched_by_end",
    "min_district_matched_within_12w",
    "mean_waiting",
    "final_waiting",
    "max_waiting",
    "sessions",
    "demand_sessions",
    "coverage",
    "median_match_weeks",
    "matches",
    "matches_reassigned",
    "volunteers_start",
    "volunteers_end",
    "volunteers_joined",
    "volunteers_left",
    "volunteer_turnover",
    "mean_load",
    "idle_share",
    "solve_seconds",
    "status",
    "weeks_optimal",
    "objective_bound",
)
# How far from proven optimal a run stopped; every row has them (None where a method has no bound).
SEARCH_COLUMNS: tuple[str, ...] = ("gap",)
KEY_COLUMNS: tuple[str, ...] = ("run_id", "variant", "seed", "method")
# Columns that differ between two executions of the same run (timing, where it ran).
VOLATILE_COLUMNS: tuple[str, ...] = ("solve_seconds", "run_seconds", "worker", "finished_at")
# How often a run may be lost to a dying worker process before it is given up (recorded as ERROR).
MAX_ATTEMPTS = 3
# Start method for the default local pool. fork would copy OR-Tools' threads into the children;
# forkserver starts each worker from a clean process instead.
MP_CONTEXT = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"


# --------------------------------------------------------------------------- one run


def run_id(spec: Spec, key: RunKey) -> str:
    """A file-safe id: readable slug plus a hash of the run's full definition."""
    definition = {
        "v": RECORD_VERSION,
        "base": spec.base,
        "modifications": [[m.kind, m.value] for m in spec.modifications[key.variant]],
        "seed": key.seed,
        "method": key.method,
        "time_limit": spec.time_limit,
        "effort": spec.effort,
        "workers_per_run": spec.workers_per_run,
    }
    if spec.simulates:
        definition["simulation"] = spec.simulation_parameters(key.variant).to_dict()
    if spec.run_weights(key.variant):  # only where set: the ids of runs at the default weights stay
        definition["weights"] = spec.run_weights(key.variant)
    digest = hashlib.sha1(json.dumps(definition, sort_keys=True, default=str).encode()).hexdigest()[:10]
    slug = re.sub(r"[^A-Za-z0-9.=,_-]+", "_", key.variant).strip("_")[:60] or "variant"
    return f"{slug}__s{key.seed}__{key.method}__{digest}"


@functools.lru_cache(maxsize=4)
def _dataset(base: str) -> Any:
    # Cached per worker process: a sweep loads its dataset once per process, not once per run.
    from .. import datasets
    from ..scenario import load

    return datasets.load_dataset(base) if base in datasets.names() else load(base)


@functools.lru_cache(maxsize=8)
def _generated(settings: tuple[tuple[str, Any], ...], seed: int) -> Any:
    from ..scenario.generate import generate

    return generate(**dict(settings), seed=seed)


def base_scenario(spec: Spec, seed: int) -> Any:
    """The unmodified scenario of a run: the dataset, or the generator's city for ``seed``."""
    if isinstance(spec.base, Mapping):
        return _generated(tuple(sorted(spec.base.items())), seed)
    return _dataset(spec.base)


def build_scenario(spec: Spec, key: RunKey) -> Any:
    """The scenario a run solves: the base with the variant's modifications applied."""
    return _mods.apply(base_scenario(spec, key.seed), spec.modifications[key.variant], key.seed)


def _clean(value: Any) -> Any:
    """JSON-safe: non-finite floats become null, numpy scalars plain Python, containers recursively."""
    if isinstance(value, Mapping):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, str):  # numpy scalar
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)


def run_one(spec: Spec, key: RunKey) -> dict[str, Any]:
    """Build and solve one run; return its record. Never raises for a failing run: the record says ERROR.

    This is what a worker executes; it depends on nothing but its arguments.
    """
    import workbench  # looked up at call time, so tests can count or break solver calls

    t0 = time.perf_counter()
    record: dict[str, Any] = {
        **_header(spec, key),
        "worker": f"{socket.gethostname()}:{os.getpid()}",
    }
    try:
        scenario = build_scenario(spec, key)
        record["size"] = {
            "volunteers": len(scenario.volunteers),
            "citizens": len(scenario.citizens),
            "requests": len(scenario.requests),
        }
        if spec.simulates:
            record.update(_simulate(spec, key, scenario))
        else:
            budget: dict[str, Any] = {"time_limit": spec.time_limit if key.method == "cpsat" else None}
            if key.method == "cpsat" and spec.effort is not None:
                budget["effort"] = spec.effort
            result = workbench.solve(scenario, method=key.method, seed=key.seed, workers=spec.workers_per_run,
                                     weights=spec.run_weights(key.variant) or None, **budget)
            record.update(
                status=str(result.status),
                error=None,
                kpis=_clean(result.kpis),
                objective=_clean(result.objective),
                bound=_clean(result.bound),
            )
    except Exception as e:  # noqa: BLE001 - a failing run must not stop the sweep; its error is the result
        record.update(status="ERROR", error=f"{type(e).__name__}: {e}", traceback=traceback.format_exc())
    record["run_seconds"] = round(time.perf_counter() - t0, 3)
    record["finished_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    return record


def _simulate(spec: Spec, key: RunKey, scenario: Any) -> dict[str, Any]:
    """A simulation run: its summary as the run's figures, plus the weekly series and waiting-time curve."""
    from ..simulate import metrics
    from ..simulate.model import simulate

    cpsat = key.method == "cpsat"
    sim = simulate(scenario, spec.simulation_parameters(key.variant), seed=key.seed, method=key.method,
                   effort_per_week=spec.effort if cpsat else None,
                   time_limit_per_week=spec.time_limit if cpsat else None,
                   weights=spec.run_weights(key.variant) or None)
    summary = metrics.summary(sim)
    return {
        "kind": "simulation",
        "status": str(summary["status"]),
        "error": None,
        "kpis": _clean(summary),
        "objective": _clean(summary["objective"]),
        "bound": _clean(summary["objective_bound"]),
        "series": _clean(metrics.weekly_series(sim).to_dict("list")),
        "curve": _clean(metrics.survival_grid(sim).to_dict("list")),
    }


def _header(spec: Spec, key: RunKey) -> dict[str, Any]:
    """What identifies a run, at the head of every record (finished, failed or lost)."""
    return {
        "version": RECORD_VERSION,
        "run_id": run_id(spec, key),
        "experiment": spec.name,
        "variant": key.variant,
        "seed": key.seed,
        "method": key.method,
        "parameters": _clean(spec.parameters(key.variant)),
    }


def _lost_record(spec: Spec, key: RunKey, error: BaseException) -> dict[str, Any]:
    """A run the executor could not complete (worker died, cluster lost): not stored, so resume retries it."""
    return {
        **_header(spec, key),
        "status": "ERROR",
        "error": f"{type(error).__name__}: {error} (not stored; a resumed sweep runs it again)",
    }


# --------------------------------------------------------------------------- executors


class InlineExecutor(cf.Executor):
    """Runs each task in the calling process when submitted: for debugging and tests (no pickling)."""

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> cf.Future:
        future: cf.Future = cf.Future()
        future.set_running_or_notify_cancel()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as e:  # delivered through the future, as a real executor does
            if isinstance(e, KeyboardInterrupt | SystemExit):
                raise
            future.set_exception(e)
        return future


def local_executor(workers: int | None = None) -> cf.ProcessPoolExecutor:
    """A pool of ``workers`` local processes (default: every core), started cleanly (see MP_CONTEXT)."""
    n = workers or os.cpu_count() or 1
    return cf.ProcessPoolExecutor(max_workers=n, mp_context=multiprocessing.get_context(MP_CONTEXT))


# --------------------------------------------------------------------------- the sweep


def _read_record(path: Path) -> dict[str, Any] | None:
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None  # unreadable: treat as not done (files are written atomically, so this is rare)
    return record if isinstance(record, dict) and record.get("version") == RECORD_VERSION else None


def run_experiment(
    spec: Spec,
    out_dir: str | os.PathLike[str],
    executor: cf.Executor | None = None,
    progress: bool = True,
    *,
    workers: int | None = None,
    retry_failed: bool = False,
    max_in_flight: int | None = None,
    scheduler: str | None = None,
) -> pd.DataFrame:
    """Run every run of ``spec`` not yet finished in ``out_dir``; return the tidy table of all of them.

    ``executor``: any ``concurrent.futures.Executor`` (e.g. ``distributed.Client(address).get_executor()``);
    it is used, not shut down. Default: a pool of ``workers`` local processes (every core if
    None; ``workers=0`` runs in this process). ``scheduler``: the address of a dask scheduler
    (``tcp://host:8786``) to run on instead (a client is opened for the sweep and closed after it).
    ``progress``: show a tqdm bar. ``retry_failed``:
    run again runs stored as ERROR (by default they count as finished). ``max_in_flight``: how
    many runs are submitted ahead of completion (default: 2 per local process, all for a given
    executor), which bounds what an interruption cancels.

    Each finished run is written to ``runs/<run_id>.json`` as soon as it arrives, and
    ``results.csv`` is rewritten at the end, also after an interruption (Ctrl-C), which then
    propagates. A rerun with the same spec and ``out_dir`` resumes.
    """
    if scheduler:
        if executor is not None:
            raise ValueError("give an executor or a scheduler address, not both")
        from distributed import Client

        with Client(scheduler, timeout="10s") as client:
            return run_experiment(spec, out_dir, client.get_executor(pure=False), progress, workers=workers,
                                  retry_failed=retry_failed, max_in_flight=max_in_flight)
    from tqdm.auto import tqdm

    out = Path(out_dir)
    runs_dir = out / "runs"
    runs_dir.mkdir(parents=True, exist_ok=True)
    write_text(out / "spec.json", json.dumps(_clean(spec.to_dict()), indent=2, ensure_ascii=False) + "\n")

    keys = spec.runs()
    ids = {k: run_id(spec, k) for k in keys}
    records: dict[RunKey, dict[str, Any]] = {}
    for k in keys:
        rec = _read_record(runs_dir / f"{ids[k]}.json")
        if rec is not None and not (retry_failed and rec.get("status") == "ERROR"):
            records[k] = {**rec, "variant": k.variant}
    pending = [k for k in keys if k not in records]

    own = executor is None and bool(pending)
    if own:
        executor = (
            InlineExecutor()
            if workers == 0
            else local_executor(min(workers or os.cpu_count() or 1, len(pending)))
        )
    if max_in_flight is None:
        if isinstance(executor, InlineExecutor):
            max_in_flight = 1
        elif own:
            max_in_flight = 2 * (executor._max_workers if isinstance(executor, cf.ProcessPoolExecutor) else 1)
        else:
            max_in_flight = len(pending) or 1

    bar = tqdm(
        total=len(keys),
        initial=len(records),
        desc=spec.name,
        unit="run",
        disable=not progress,
        dynamic_ncols=True,
    )
    errors = sum(r.get("status") == "ERROR" for r in records.values())
    attempts: dict[RunKey, int] = {}
    queue = list(pending)
    # Each future remembers the pool generation it was submitted to: when a worker process dies,
    # every future of that pool fails, but only the first report of a generation replaces the pool.
    in_flight: dict[cf.Future, tuple[RunKey, int]] = {}
    generation = 0
    interrupted = False

    def finish(key: RunKey, rec: dict[str, Any]) -> None:
        nonlocal errors
        records[key] = rec
        errors += rec.get("status") == "ERROR"
        bar.update(1)
        if errors:
            bar.set_postfix(errors=errors)

    try:
        while queue or in_flight:
            while queue and len(in_flight) < max_in_flight:
                key = queue.pop(0)
                attempts[key] = attempts.get(key, 0) + 1
                try:
                    in_flight[executor.submit(run_one, spec, key)] = (key, generation)  # type: ignore[union-attr]
                except cf.BrokenExecutor as e:
                    if own and attempts[key] < MAX_ATTEMPTS:
                        queue.insert(0, key)
                        executor, generation = _replace_pool(executor), generation + 1  # type: ignore[arg-type]
                    else:
                        finish(key, _lost_record(spec, key, e))
            done, _ = cf.wait(in_flight, return_when=cf.FIRST_COMPLETED)
            for fut in done:
                key, gen = in_flight.pop(fut)
                try:
                    rec = fut.result()
                except cf.BrokenExecutor as e:
                    # A worker process died (crash, out of memory) and took the pool down. Every run
                    # in flight fails with it, mostly innocent ones: give each a few more attempts.
                    if own and gen == generation:
                        executor, generation = _replace_pool(executor), generation + 1  # type: ignore[arg-type]
                    if own and attempts[key] < MAX_ATTEMPTS:
                        queue.insert(0, key)
                        continue
                    rec = _lost_record(spec, key, e)
                except Exception as e:  # noqa: BLE001 - the executor lost the task (e.g. a dask worker died)
                    rec = _lost_record(spec, key, e)
                else:
                    write_text(
                        runs_dir / f"{ids[key]}.json", json.dumps(rec, indent=1, ensure_ascii=False) + "\n"
                    )
                finish(key, rec)
    except BaseException:
        interrupted = True
        raise
    finally:
        for fut in in_flight:
            fut.cancel()
        bar.close()
        if own and executor is not None:
            # After Ctrl-C, do not wait for runs in flight (the workers got the signal too).
            executor.shutdown(wait=not interrupted, cancel_futures=True)
        table = records_to_frame([records[k] for k in keys if k in records], spec)
        write_text(out / "results.csv", table.to_csv(index=False, lineterminator="\n"))
    return table


def _replace_pool(executor: cf.Executor) -> cf.Executor:
    workers = executor._max_workers if isinstance(executor, cf.ProcessPoolExecutor) else None
    executor.shutdown(wait=False, cancel_futures=True)
    return local_executor(workers)


# --------------------------------------------------------------------------- the table


def _flat(record: Mapping[str, Any], kinds: Iterable[str], figures: Iterable[str]) -> dict[str, Any]:
    row: dict[str, Any] = {c: record.get(c) for c in KEY_COLUMNS}
    params = record.get("parameters") or {}
    for k in kinds:
        row[k] = params.get(k, _mods.NEUTRAL.get(k))
    row["status"] = record.get("status")
    kpis = record.get("kpis") or {}
    for f in (*figures, *SEARCH_COLUMNS):
        if f != "status":
            row[f] = kpis.get(f)
    size = record.get("size") or {}
    for k in ("volunteers", "citizens", "requests"):
        row[f"n_{k}"] = size.get(k)
    row["objective"] = record.get("objective")
    row["bound"] = record.get("bound")
    row["run_seconds"] = record.get("run_seconds")
    # Further figures the solver reports (gap, greedy objective, ...) and dicts flattened one level,
    # e.g. district_coverage.Gellerup.
    for k, v in kpis.items():
        if k in row or k in ("status", "method"):
            continue
        if isinstance(v, Mapping):
            for sub, x in v.items():
                if not isinstance(x, Mapping | list):
                    row[f"{k}.{sub}"] = x
        elif not isinstance(v, list):
            row[k] = v
    row["error"] = record.get("error")
    row["worker"] = record.get("worker")
    row["finished_at"] = record.get("finished_at")
    return row


def records_to_frame(records: Iterable[Mapping[str, Any]], spec: Spec | None = None) -> pd.DataFrame:
    """Run records → the tidy table (one row per run; see ``FIGURES`` and ``SIMULATION_FIGURES``)."""
    records = list(records)
    if spec is not None:
        kinds: list[str] = [*spec.kinds, *spec.simulation_keys, *(f"{WEIGHT}_{k}" for k in spec.weight_keys)]
        simulated = spec.simulates
    else:
        used = {k for r in records for k in (r.get("parameters") or {})}
        kinds = [k for k in (*_mods.ORDER, *SIMULATION_KEYS, *(f"{WEIGHT}_{k}" for k in WEIGHT_NAMES)) if k in used]
        simulated = any(r.get("kind") == "simulation" for r in records)
    figures = SIMULATION_FIGURES if simulated else FIGURES
    rows = [_flat(r, kinds, figures) for r in records]
    base_cols = [
        *KEY_COLUMNS,
        *kinds,
        *figures,
        *SEARCH_COLUMNS,
        "n_volunteers",
        "n_citizens",
        "n_requests",
        "objective",
        "bound",
        "run_seconds",
    ]
    extra = sorted(
        {c for r in rows for c in r} - set(base_cols) - {"error", "worker", "finished_at"},
        key=lambda c: ("." in c, c),
    )
    columns = base_cols + extra + ["error", "worker", "finished_at"]
    table = pd.DataFrame(rows, columns=columns)
    counts = ("seed", "demand_sessions", "served_sessions", "citizens_with_demand", "citizens_served", "weeks",
              "referrals", "final_waiting", "max_waiting", "sessions", "matches", "matches_reassigned",
              "volunteers_start", "volunteers_end", "volunteers_joined", "volunteers_left", "weeks_optimal")
    for c in counts:
        if c in table.columns:
            table[c] = pd.to_numeric(table[c], errors="coerce").astype("Int64")
    for c in figures:
        if c not in counts and c != "status":
            table[c] = pd.to_numeric(table[c], errors="coerce").astype(float)
    for c in ("gap", "objective", "bound", "run_seconds"):
        table[c] = pd.to_numeric(table[c], errors="coerce").astype(float)
    return table


def load_series(out_dir: str | os.PathLike[str], spec: Spec) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The simulated runs' weekly series and waiting-time curves stored in ``out_dir``, as two long tables.

    ``series``: variant, seed, method, week, waiting, referrals, first_sessions, active_citizens,
    active_volunteers, sessions, coverage, mean_load. ``curves``: variant, seed, method, weeks,
    matched (Kaplan–Meier share of referrals with a first session within that many weeks).
    """
    runs_dir = Path(out_dir) / "runs"
    series, curves = [], []
    for k in spec.runs():
        rec = _read_record(runs_dir / f"{run_id(spec, k)}.json")
        if rec is None or rec.get("status") == "ERROR" or "series" not in rec:
            continue
        ids = {"variant": k.variant, "seed": k.seed, "method": k.method}
        series.append(pd.DataFrame(rec["series"]).assign(**ids))
        curves.append(pd.DataFrame(rec["curve"]).assign(**ids))
    first = ["variant", "seed", "method"]
    s = pd.concat(series, ignore_index=True) if series else pd.DataFrame(columns=[*first, "week"])
    c = pd.concat(curves, ignore_index=True) if curves else pd.DataFrame(columns=[*first, "weeks", "matched"])
    s = s[first + [x for x in s.columns if x not in first]]
    c = c[first + [x for x in c.columns if x not in first]]
    return s, c


def load_results(out_dir: str | os.PathLike[str], spec: Spec | None = None) -> pd.DataFrame:
    """The tidy table of the runs stored in ``out_dir``: those of ``spec`` in grid order, or all of them."""
    runs_dir = Path(out_dir) / "runs"
    if spec is not None:
        found = [_read_record(runs_dir / f"{run_id(spec, k)}.json") for k in spec.runs()]
        # The spec names the variants; a stored record might carry an older name for the same definition.
        records = [{**r, "variant": k.variant} for r, k in zip(found, spec.runs()) if r is not None]
        return records_to_frame(records, spec)
    records = [r for p in sorted(runs_dir.glob("*.json")) if (r := _read_record(p)) is not None]
    return records_to_frame(records)
