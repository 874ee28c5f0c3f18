"""Comparing plans: what changed between two schedules, why, and the figures of several runs.

They answer a coordinator's questions after re-planning: *whom do I have to
call?* (:func:`diff_schedules`), *why did this agreed session move?*
(:func:`explain_changes`, from the solver's ``Result.forced``), *did the days
already past stay as they were?* (:func:`sessions_before`) and *which plan is
better?* (:func:`compare_runs`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from numbers import Integral
from typing import Any

import pandas as pd

from .contract import SCHEDULE_COLUMNS

#: Every status :func:`diff_schedules` gives, from "nothing to do" to "call someone".
STATUSES = ("kept", "moved", "reassigned", "added", "dropped")

DIFF_COLUMNS = (
    "status",
    "request_id",
    "citizen_id",
    "date",
    "old_volunteer_id",
    "old_start",
    "old_end",
    "old_mode",
    "new_volunteer_id",
    "new_start",
    "new_end",
    "new_mode",
    "notify",
)

# The figures compare_runs shows, in the order a coordinator reads them.
RUN_FIGURES = (
    "served_sessions",
    "demand_sessions",
    "coverage",
    "weighted_coverage",
    "citizens_served",
    "citizens_with_demand",
    "min_district_coverage",
    "continuity",
    "travel_km",
)


def _as_text(schedule: pd.DataFrame) -> pd.DataFrame:
    """The contract columns as stripped text, so a parsed and a read-from-CSV schedule compare equal."""
    missing = [c for c in SCHEDULE_COLUMNS if c not in schedule.columns]
    if missing:
        raise ValueError(f"schedule lacks column(s): {', '.join(missing)}")
    out = pd.DataFrame(index=range(len(schedule)))
    for c in SCHEDULE_COLUMNS:
        values = schedule[c].tolist()
        if c == "date":
            values = [v.isoformat()[:10] if hasattr(v, "isoformat") else v for v in values]
        elif c in ("start", "end"):
            # minutes after midnight (parsed form) → HH:MM, as schedule.csv writes them
            values = [
                f"{int(v) // 60:02d}:{int(v) % 60:02d}"
                if isinstance(v, Integral) and not isinstance(v, bool)
                else v
                for v in values
            ]
        out[c] = [str(v).strip() for v in values]
    return out


def diff_schedules(old: pd.DataFrame, new: pd.DataFrame) -> pd.DataFrame:
    """Every session of ``old`` or ``new``, labelled with what happened to it.

    Both schedules have the contract columns (``request_id, citizen_id,
    volunteer_id, date, start, end, mode``; text or parsed cells). Sessions are
    paired one to one, closest match first:

    - **kept**: same request, date, volunteer, start, end and mode — nobody needs a call;
    - **moved**: same request, date and volunteer, but another time (or mode, e.g. a
      visit that became a phone call) — call the volunteer and the citizen;
    - **reassigned**: same request and date, another volunteer — call both volunteers
      and the citizen;
    - **dropped**: only in ``old`` (cancelled, or moved to another day) — call the
      volunteer and the citizen;
    - **added**: only in ``new`` — call the volunteer and the citizen.

    A session moved to another date therefore shows as one *dropped* and one
    *added* row: both people must learn the new date anyway. When a request has
    several sessions on one date (not allowed by rule 13, but an old plan may be
    odd), they are paired in time order.

    Returns one row per pair with :data:`DIFF_COLUMNS`: the ``old_*`` fields are
    empty for added sessions, the ``new_*`` fields for dropped ones; ``notify`` lists
    the volunteers to call (``;``-separated, empty for kept). Sorted by date, then
    status in :data:`STATUSES` order, then request.
    """
    a = _as_text(old).sort_values(["date", "start", "volunteer_id"], kind="stable").reset_index(drop=True)
    b = _as_text(new).sort_values(["date", "start", "volunteer_id"], kind="stable").reset_index(drop=True)
    a["_i"] = range(len(a))
    b["_j"] = range(len(b))
    pairs: list[tuple[str, int, int]] = []
    stages = (
        ("kept", ["request_id", "date", "volunteer_id", "start", "end", "mode"]),
        ("moved", ["request_id", "date", "volunteer_id"]),
        ("reassigned", ["request_id", "date"]),
    )
    for status, keys in stages:
        left = a[~a["_i"].isin([p[1] for p in pairs])].copy()
        right = b[~b["_j"].isin([p[2] for p in pairs])].copy()
        # cumcount pairs repeated keys one to one instead of forming their cross product
        left["_n"] = left.groupby(keys, sort=False).cumcount()
        right["_n"] = right.groupby(keys, sort=False).cumcount()
        m = left[[*keys, "_n", "_i"]].merge(right[[*keys, "_n", "_j"]], on=[*keys, "_n"])
        pairs += [(status, int(i), int(j)) for i, j in zip(m["_i"], m["_j"])]

    rows: list[dict[str, Any]] = []
    for status, i, j in pairs:
        rows.append(_row(status, a.iloc[i], b.iloc[j]))
    paired_a = {p[1] for p in pairs}
    paired_b = {p[2] for p in pairs}
    rows += [_row("dropped", r, None) for _, r in a[~a["_i"].isin(paired_a)].iterrows()]
    rows += [_row("added", None, r) for _, r in b[~b["_j"].isin(paired_b)].iterrows()]
    out = pd.DataFrame(rows, columns=list(DIFF_COLUMNS))
    if out.empty:
        return out
    order = {s: k for k, s in enumerate(STATUSES)}
    out["_o"] = out["status"].map(order)
    out["_t"] = out["new_start"].where(out["new_start"] != "", out["old_start"])
    out = out.sort_values(["date", "_o", "_t", "request_id"], kind="stable")
    return out.drop(columns=["_o", "_t"]).reset_index(drop=True)


def _row(status: str, old: pd.Series | None, new: pd.Series | None) -> dict[str, Any]:
    some = new if new is not None else old
    assert some is not None
    row: dict[str, Any] = {
        "status": status,
        "request_id": some["request_id"],
        "citizen_id": some["citizen_id"],
        "date": some["date"],
    }
    for prefix, side in (("old_", old), ("new_", new)):
        for c in ("volunteer_id", "start", "end", "mode"):
            row[prefix + c] = side[c] if side is not None else ""
    if status == "kept":
        notify: list[str] = []
    else:
        notify = [v for v in dict.fromkeys([row["old_volunteer_id"], row["new_volunteer_id"]]) if v]
    row["notify"] = ";".join(notify)
    return row


#: The ``reason`` :func:`explain_changes` gives a session only the new plan has.
REASON_ADDED = "newly planned: serves demand that had no session"
#: … and an agreed session that changed although no change of the data forced it.
REASON_UNFORCED = "not forced by any change: the optimiser chose it"

def explain_changes(diff: pd.DataFrame, forced: pd.DataFrame | None) -> pd.DataFrame:
    """``diff`` (:func:`diff_schedules`) with a ``reason`` column saying why each session changed.

    ``forced`` lists the agreed sessions that could not be kept (``Result.forced`` of a re-plan:
    the schedule's columns for the old session, and ``reason``, the change that forced it, in words).
    A moved, reassigned or dropped row takes the reason of its old session (matched on request,
    date, volunteer and start); an added row reads :data:`REASON_ADDED`; a changed agreed session
    with no forcing reason reads :data:`REASON_UNFORCED`; kept rows have none.
    """
    out = diff.copy()
    reasons: dict[tuple[str, str, str, str], str] = {}
    if forced is not None and len(forced):
        f = _as_text(forced)
        for key, reason in zip(zip(f["request_id"], f["date"], f["volunteer_id"], f["start"]),
                               forced["reason"].astype(str)):
            reasons.setdefault(key, reason)
    out["reason"] = [
        "" if status == "kept"
        else REASON_ADDED if status == "added"
        else reasons.get((str(r), str(d), str(v), str(t)), REASON_UNFORCED)
        for status, r, d, v, t in zip(out["status"], out["request_id"], out["date"], out["old_volunteer_id"],
                                      out["old_start"])
    ]
    return out


def sessions_before(schedule: pd.DataFrame, day: date) -> pd.DataFrame:
    """The sessions of ``schedule`` dated before ``day``, as text, in a fixed order.

    Needs the contract's schedule columns (text or parsed cells). Two plans whose
    ``sessions_before(…, day)`` are equal agree exactly (request, citizen, volunteer, date,
    start, end, mode) on every day before ``day``, which a re-plan with ``keep_before=day``
    promises.
    """
    text = _as_text(schedule)
    early = text[text["date"] < day.isoformat()]
    return early.sort_values(list(SCHEDULE_COLUMNS), kind="stable").reset_index(drop=True)


def summarize_diff(diff: pd.DataFrame) -> dict[str, int]:
    """Number of sessions per status (every status of :data:`STATUSES`, zeros included)."""
    counts = diff["status"].value_counts() if len(diff) else pd.Series(dtype=int)
    return {s: int(counts.get(s, 0)) for s in STATUSES}


def compare_runs(results: Mapping[str, Any]) -> pd.DataFrame:
    """The figures of several solves side by side: one row per run name, in the given order.

    ``results`` maps a run's name to a :class:`~workbench.result.Result` (anything with
    ``kpis``, ``status``, ``objective``, ``bound``, ``seconds``, ``method`` and
    ``unassigned`` will do). Columns: ``method``, ``status``, ``seconds``, ``objective``,
    ``bound``, the figures in :data:`RUN_FIGURES` (``None`` where undefined, e.g.
    continuity with no repeated request) and ``unassigned_sessions`` (sessions demanded
    but not planned).
    """
    rows = []
    for name, result in results.items():
        kpis = dict(getattr(result, "kpis", {}) or {})
        row: dict[str, Any] = {
            "run": name,
            "method": getattr(result, "method", None),
            "status": getattr(result, "status", kpis.get("status")),
            "seconds": getattr(result, "seconds", kpis.get("solve_seconds")),
            "objective": getattr(result, "objective", None),
            "bound": getattr(result, "bound", kpis.get("objective_bound")),
        }
        for figure in RUN_FIGURES:
            row[figure] = kpis.get(figure)
        unassigned = getattr(result, "unassigned", None)
        if unassigned is not None and "missing" in getattr(unassigned, "columns", ()):
            row["unassigned_sessions"] = int(pd.to_numeric(unassigned["missing"]).sum())
        else:
            row["unassigned_sessions"] = None
        rows.append(row)
    columns = [
        "run",
        "method",
        "status",
        "seconds",
        "objective",
        "bound",
        *RUN_FIGURES,
        "unassigned_sessions",
    ]
    return pd.DataFrame(rows, columns=columns).set_index("run")
