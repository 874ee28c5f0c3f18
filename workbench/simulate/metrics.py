"""The figures that matter, computed from a :class:`~workbench.simulate.Simulation`'s record.

Waiting times are *censored*: a citizen still waiting when the simulation ends,
or who left the list unmatched, has waited at least so long, not exactly so
long. Averaging only the matched would make a long list look short, so every
waiting-time figure here is a Kaplan–Meier estimate (``lifelines``) that uses
the censored waits for what they say. Shares matched within 4, 8 and 12 weeks
are read off the same curve, with its (Greenwood, exponential) 95% interval.

Groups (``by``): ``district``, ``priority``, ``language`` (the citizen's
languages as listed, e.g. ``da;ar``), ``cohort`` (``initial`` caseload or
``referral``) per citizen, and ``activity`` or ``mode`` per request (a citizen
with a visit and a walk waits for each). Groups with fewer than ``min_group``
people are pooled as ``other`` so that a curve is never drawn through three points.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import numpy as np
import pandas as pd

from .model import Simulation

WITHIN: tuple[int, ...] = (4, 8, 12)
CITIZEN_GROUPS = ("district", "priority", "language", "cohort")
REQUEST_GROUPS = ("activity", "mode")
GROUPS = CITIZEN_GROUPS + REQUEST_GROUPS
OTHER = "other"
LEVEL = 0.95


def _check_by(by: str | None) -> None:
    if by is not None and by not in GROUPS:
        raise ValueError(f"by: expected one of {', '.join(GROUPS)} (or None for everyone), got {by!r}")


def _cohort(table: pd.DataFrame, cohort: str) -> pd.DataFrame:
    if cohort == "all":
        return table
    if cohort not in ("referral", "initial"):
        raise ValueError(f"cohort: expected 'referral', 'initial' or 'all', got {cohort!r}")
    return table[table["cohort"] == cohort]


def waits(sim: Simulation, unit: str = "citizen", cohort: str = "referral") -> pd.DataFrame:
    """One row per citizen (or request): how long they waited for a first session, in weeks.

    Columns: the id, ``cohort``, ``district``, ``priority``, ``language`` (and ``activity``,
    ``mode`` per request), ``weeks`` (referral → first session, or → the end of the
    observation when ``matched`` is false: censored) and ``matched``. ``cohort``:
    ``"referral"`` (those referred during the simulation; the default: their referral date is
    known), ``"initial"`` (the caseload at the start, counted from week 0) or ``"all"``.
    """
    if unit not in ("citizen", "request"):
        raise ValueError(f"unit: expected 'citizen' or 'request', got {unit!r}")
    table = sim.citizens if unit == "citizen" else sim.requests
    table = _cohort(table, cohort)
    left_col = "left_week" if unit == "citizen" else "closed_week"
    end = sim.end_date
    referred = pd.to_datetime(table["referral_date"])
    first = pd.to_datetime(table["first_session_date"])
    left = table[left_col].astype(float)
    stop = [min(end, sim.start_date + timedelta(days=7 * int(w))) if not math.isnan(w) else end for w in left]
    observed_until = pd.to_datetime(pd.Series(stop, index=table.index, dtype=object))
    matched = first.notna().to_numpy()
    until = np.where(matched, first, observed_until)
    days = (pd.to_datetime(pd.Series(until, index=table.index)) - referred).dt.days.to_numpy(float)
    out = pd.DataFrame({
        "id": table["citizen_id" if unit == "citizen" else "request_id"].to_numpy(),
        "cohort": table["cohort"].to_numpy(),
        "district": table["district"].astype(str).to_numpy(),
        "priority": table["priority"].astype(int).to_numpy(),
        "language": table["languages"].astype(str).to_numpy(),
        "weeks": np.maximum(days, 0.0) / 7.0,
        "matched": matched,
    })
    if unit == "request":
        out["activity"] = table["activity"].to_numpy()
        out["mode"] = table["mode"].to_numpy()
    return out


def _grouped(table: pd.DataFrame, by: str | None, min_group: int) -> pd.DataFrame:
    """``table`` with a ``group`` column: the ``by`` value, small groups pooled as ``other``."""
    if by is None:
        return table.assign(group="everyone")
    values = table[by].astype(str)
    if by == "district":
        values = values.replace("", "(no district)")
    counts = values.value_counts()
    small = set(counts[counts < min_group].index)
    values = values.where(~values.isin(small), OTHER) if len(small) > 1 else values
    return table.assign(group=values.to_numpy())


def _group_order(table: pd.DataFrame, by: str | None) -> list[str]:
    groups = list(dict.fromkeys(table["group"]))
    if by == "priority":
        return sorted(groups, key=lambda g: (g == OTHER, -int(g) if g.isdigit() else 0))
    sizes = table["group"].value_counts()
    return sorted(groups, key=lambda g: (g == OTHER, -int(sizes[g]), g))


def _km(durations: np.ndarray, events: np.ndarray) -> Any:
    # lifelines is the research extra's; without it the ImportError names the module, and the
    # command line turns that into which extra to install (workbench.extras).
    from lifelines import KaplanMeierFitter

    kmf = KaplanMeierFitter(alpha=1 - LEVEL)
    kmf.fit(durations, event_observed=events)
    return kmf


def _at(kmf: Any, t: float) -> tuple[float, float, float]:
    """(S(t), low, high): the step function and its interval at ``t``."""
    sf = kmf.survival_function_.iloc[:, 0]
    ci = kmf.confidence_interval_survival_function_
    upto = sf.index <= t
    if not upto.any():
        return 1.0, 1.0, 1.0
    k = int(np.flatnonzero(upto)[-1])
    return float(sf.iloc[k]), float(ci.iloc[k, 0]), float(ci.iloc[k, 1])


def _waits_by_group(sim: Simulation, by: str | None, cohort: str, min_group: int) -> Any:
    """(group, its waits, its Kaplan–Meier fit) for each non-empty group, in display order."""
    _check_by(by)
    w = _grouped(waits(sim, "request" if by in REQUEST_GROUPS else "citizen", cohort), by, min_group)
    for g in _group_order(w, by):
        part = w[w["group"] == g]
        if len(part):
            yield g, part, _km(part["weeks"].to_numpy(float), part["matched"].to_numpy(bool))


def time_to_first_session(sim: Simulation, by: str | None = None, cohort: str = "referral",
                          min_group: int = 10) -> pd.DataFrame:
    """Kaplan–Meier curves of the wait for a first session, per group: a tidy long table.

    Columns: ``by``, ``group``, ``n`` (people in the group), ``weeks``, ``waiting`` (share
    still without a first session after that many weeks), ``matched`` (1 − waiting),
    ``matched_low``/``matched_high`` (95% interval), ``at_risk``, ``events``, ``censored``.
    """
    rows = []
    for g, part, kmf in _waits_by_group(sim, by, cohort, min_group):
        sf = kmf.survival_function_.iloc[:, 0]
        ci = kmf.confidence_interval_survival_function_
        table = kmf.event_table
        for k, t in enumerate(sf.index):
            rows.append({
                "by": by or "", "group": g, "n": len(part), "weeks": float(t), "waiting": float(sf.iloc[k]),
                "matched": 1.0 - float(sf.iloc[k]), "matched_low": 1.0 - float(ci.iloc[k, 1]),
                "matched_high": 1.0 - float(ci.iloc[k, 0]), "at_risk": int(table["at_risk"].iloc[k]),
                "events": int(table["observed"].iloc[k]), "censored": int(table["censored"].iloc[k]),
            })
    return pd.DataFrame(rows, columns=["by", "group", "n", "weeks", "waiting", "matched", "matched_low",
                                       "matched_high", "at_risk", "events", "censored"])


def matched_within(sim: Simulation, by: str | None = None, weeks: Sequence[int] = WITHIN, cohort: str = "referral",
                   min_group: int = 10) -> pd.DataFrame:
    """Share matched (first session) within each of ``weeks`` after referral, per group (Kaplan–Meier).

    Columns: ``by``, ``group``, ``n``, ``matched_count`` (first sessions seen), ``censored``,
    ``within_weeks``, ``share``, ``ci_low``, ``ci_high``, and ``median_weeks`` (the
    Kaplan–Meier median wait; NaN when fewer than half were ever matched, i.e. not reached).
    A group whose people were observed for less than ``within_weeks`` gets NaN there: the
    curve does not reach that far.
    """
    rows = []
    for g, part, kmf in _waits_by_group(sim, by, cohort, min_group):
        median = float(kmf.median_survival_time_)
        longest = float(part["weeks"].max())
        for t in weeks:
            s, lo, hi = _at(kmf, t) if longest >= t or (part["matched"].all()) else (math.nan,) * 3
            rows.append({
                "by": by or "", "group": g, "n": len(part), "matched_count": int(part["matched"].sum()),
                "censored": int((~part["matched"]).sum()), "within_weeks": int(t), "share": 1.0 - s,
                "ci_low": 1.0 - hi, "ci_high": 1.0 - lo, "median_weeks": median if math.isfinite(median) else math.nan,
            })
    return pd.DataFrame(rows, columns=["by", "group", "n", "matched_count", "censored", "within_weeks", "share",
                                       "ci_low", "ci_high", "median_weeks"])


def waiting_list(sim: Simulation, by: str | None = None, min_group: int = 10) -> pd.DataFrame:
    """The waiting list after each week's plan (citizens referred, still in, never visited), per group.

    Columns: ``week``, ``date``, ``by``, ``group``, ``waiting``.
    """
    _check_by(by)
    if by in REQUEST_GROUPS:
        raise ValueError(f"by: the waiting list counts citizens; group it by one of {', '.join(CITIZEN_GROUPS)}")
    c = sim.citizens.rename(columns={"languages": "language"})
    c = _grouped(c, by, min_group)
    first = c["first_week"].to_numpy(int)
    fs = c["first_session_week"].astype(float).fillna(np.inf).to_numpy()
    left = c["left_week"].astype(float).fillna(np.inf).to_numpy()
    groups = _group_order(c, by)
    rows = []
    for t, day in zip(sim.weeks["week"], sim.weeks["date"]):
        waiting = (first <= t) & (fs > t) & (left > t)
        counts = pd.Series(c["group"].to_numpy()[waiting]).value_counts()
        for g in groups:
            rows.append({"week": int(t), "date": day, "by": by or "", "group": g, "waiting": int(counts.get(g, 0))})
    return pd.DataFrame(rows, columns=["week", "date", "by", "group", "waiting"])


def match_lengths(sim: Simulation, by: str | None = None, min_group: int = 10) -> pd.DataFrame:
    """Kaplan–Meier curves of how long matches last (weeks from first session to the end), per group.

    A match still running at the end is censored. Ends of every kind count as ends (need
    ended, volunteer left, re-assigned); ``end_reasons`` tells them apart. One-off errands are
    not matches and are left out. ``by``: ``activity`` or None.
    Columns: ``by``, ``group``, ``n``, ``weeks``, ``running`` (share still running), ``ci_low``,
    ``ci_high``, ``at_risk``.
    """
    if by not in (None, "activity"):
        raise ValueError(f"by: match lengths can be grouped by 'activity' or None, got {by!r}")
    m = sim.matches[sim.matches["end_reason"] != "one-off done"]
    m = _grouped(m, by, min_group)
    rows = []
    for g in _group_order(m, by):
        part = m[m["group"] == g]
        if part.empty:
            continue
        kmf = _km(part["weeks"].to_numpy(float), (part["end_reason"] != "running").to_numpy(bool))
        sf = kmf.survival_function_.iloc[:, 0]
        ci = kmf.confidence_interval_survival_function_
        for k, t in enumerate(sf.index):
            rows.append({"by": by or "", "group": g, "n": len(part), "weeks": float(t), "running": float(sf.iloc[k]),
                         "ci_low": float(ci.iloc[k, 0]), "ci_high": float(ci.iloc[k, 1]),
                         "at_risk": int(kmf.event_table["at_risk"].iloc[k])})
    return pd.DataFrame(rows, columns=["by", "group", "n", "weeks", "running", "ci_low", "ci_high", "at_risk"])


def end_reasons(sim: Simulation) -> pd.DataFrame:
    """How matches ended (counts and shares), one-off errands left out."""
    m = sim.matches[sim.matches["end_reason"] != "one-off done"]
    counts = m["end_reason"].value_counts()
    return pd.DataFrame({"end_reason": counts.index, "matches": counts.to_numpy(int),
                         "share": (counts / max(1, len(m))).to_numpy(float)})


def _active_volunteers(sim: Simulation, week: int) -> np.ndarray:
    v = sim.volunteers
    join = v["join_week"].to_numpy(int)
    left = v["left_week"].astype(float).fillna(np.inf).to_numpy()
    return (join <= week) & (left > week)


def volunteer_load(sim: Simulation) -> pd.DataFrame:
    """Per week: how the load spreads over the volunteers active that week.

    Columns: ``week``, ``active_volunteers``, ``sessions``, ``mean_sessions`` (per active
    volunteer), ``p90_sessions``, ``max_sessions``, ``idle_share`` (share with no session),
    ``full_share`` (share at their ``max_sessions_per_week``).
    """
    s = sim.sessions
    per = s.groupby(["week", "volunteer_id"]).size() if len(s) else pd.Series(dtype=int)
    v = sim.volunteers
    cap = pd.to_numeric(v["max_sessions_per_week"], errors="coerce").fillna(np.inf).to_numpy(float)
    ids = v["volunteer_id"].to_numpy(object)
    rows = []
    for t in sim.weeks["week"].astype(int):
        active = _active_volunteers(sim, t)
        counts = per.get(t, pd.Series(dtype=int)) if len(per) else pd.Series(dtype=int)
        load = np.array([counts.get(i, 0) for i in ids[active]], float)
        n = int(active.sum())
        rows.append({
            "week": t, "active_volunteers": n, "sessions": int(load.sum()),
            "mean_sessions": float(load.mean()) if n else math.nan,
            "p90_sessions": float(np.percentile(load, 90)) if n else math.nan,
            "max_sessions": int(load.max()) if n else 0,
            "idle_share": float((load == 0).mean()) if n else math.nan,
            "full_share": float((load >= cap[active]).mean()) if n else math.nan,
        })
    return pd.DataFrame(rows, columns=["week", "active_volunteers", "sessions", "mean_sessions", "p90_sessions",
                                       "max_sessions", "idle_share", "full_share"])


def turnover(sim: Simulation) -> pd.DataFrame:
    """Per week: volunteers active, joined before it, left before it (and how many after a heavy week).

    Columns: ``week``, ``active_volunteers``, ``joined``, ``left``, ``left_after_heavy_week``,
    ``cumulative_joined``, ``cumulative_left``.
    """
    v = sim.volunteers
    rows = []
    for t in sim.weeks["week"].astype(int):
        joined = int(((v["cohort"] == "recruit") & (v["join_week"] == t)).sum())
        leaving = v["left_week"].astype(float) == t
        rows.append({"week": t, "active_volunteers": int(_active_volunteers(sim, t).sum()), "joined": joined,
                     "left": int(leaving.sum()),
                     "left_after_heavy_week": int((leaving & (v["left_reason"] == "left after a heavy week")).sum())})
    out = pd.DataFrame(rows, columns=["week", "active_volunteers", "joined", "left", "left_after_heavy_week"])
    out["cumulative_joined"] = out["joined"].cumsum()
    out["cumulative_left"] = out["left"].cumsum()
    return out


def summary(sim: Simulation, min_group: int = 10) -> dict[str, Any]:
    """The headline figures of a simulation, one number each (the row of an experiment's table).

    Waiting figures are for the referrals (Kaplan–Meier); ``matched_by_end`` is the plain share
    of referrals with a first session by the end (what a service would report, censoring aside).
    ``status`` is ``OPTIMAL`` when every week was, ``gap`` the share of the summed weekly bounds
    not reached, ``objective_bound`` that sum (None when a week has no bound, e.g. greedy).
    """
    weeks = sim.weeks
    ref = sim.citizens[sim.citizens["cohort"] == "referral"]
    out: dict[str, Any] = {
        "weeks": sim.weeks_done,
        "referrals": len(ref),
        "initial_citizens": int((sim.citizens["cohort"] == "initial").sum()),
        "matched_by_end": float(ref["first_session_date"].notna().mean()) if len(ref) else None,
    }
    if len(ref):
        within = matched_within(sim, None, WITHIN, "referral", min_group).set_index("within_weeks")
        for t in WITHIN:
            out[f"matched_within_{t}w"] = _finite(within.at[t, "share"])
        out["median_wait_weeks"] = _finite(within["median_weeks"].iloc[0])
        by_d = matched_within(sim, "district", (12,), "referral", min_group)
        by_d = by_d[(by_d["group"] != OTHER)]
        shares = {str(g): _finite(s) for g, s in zip(by_d["group"], by_d["share"])}
        known = [s for s in shares.values() if s is not None]
        out["min_district_matched_within_12w"] = min(known) if known else None
        out["district_matched_within_12w"] = shares
    else:
        out.update({f"matched_within_{t}w": None for t in WITHIN})
        out.update(median_wait_weeks=None, min_district_matched_within_12w=None, district_matched_within_12w={})
    demand = float(weeks["demand_sessions"].sum()) if len(weeks) else 0.0
    out.update(
        mean_waiting=float(weeks["waiting"].mean()) if len(weeks) else None,
        final_waiting=int(weeks["waiting"].iloc[-1]) if len(weeks) else None,
        max_waiting=int(weeks["waiting"].max()) if len(weeks) else None,
        sessions=int(weeks["sessions"].sum()) if len(weeks) else 0,
        demand_sessions=int(demand),
        coverage=float(weeks["sessions"].sum()) / demand if demand else None,
    )
    m = sim.matches[sim.matches["end_reason"] != "one-off done"]
    if len(m):
        kmf = _km(m["weeks"].to_numpy(float), (m["end_reason"] != "running").to_numpy(bool))
        out["median_match_weeks"] = _finite(float(kmf.median_survival_time_))
    else:
        out["median_match_weeks"] = None
    out["matches"] = len(m)
    out["matches_reassigned"] = int((m["end_reason"] == "reassigned").sum())
    load = volunteer_load(sim)
    v = sim.volunteers
    volunteer_weeks = float(load["active_volunteers"].sum())
    out.update(
        volunteers_start=int(load["active_volunteers"].iloc[0]) if len(load) else 0,
        volunteers_end=int(load["active_volunteers"].iloc[-1]) if len(load) else 0,
        volunteers_joined=int((v["cohort"] == "recruit").sum()),
        volunteers_left=int(v["left_week"].notna().sum()),
        volunteer_turnover=float(v["left_week"].notna().sum()) / volunteer_weeks if volunteer_weeks else None,
        mean_load=float(load["sessions"].sum()) / volunteer_weeks if volunteer_weeks else None,
        idle_share=float((load["idle_share"] * load["active_volunteers"]).sum()) / volunteer_weeks
        if volunteer_weeks else None,
    )
    statuses = set(weeks["status"]) if len(weeks) else set()
    bounds = weeks["bound"] if len(weeks) else pd.Series(dtype=float)
    has_bound = len(weeks) > 0 and bounds.notna().all()
    objective = float(weeks["objective"].sum()) if len(weeks) else 0.0
    bound = float(bounds.sum()) if has_bound else None
    out.update(
        status="OPTIMAL" if statuses == {"OPTIMAL"} else ("FEASIBLE" if statuses else None),
        weeks_optimal=int((weeks["status"] == "OPTIMAL").sum()) if len(weeks) else 0,
        objective=objective,
        objective_bound=bound,
        gap=(bound - objective) / bound if bound else (0.0 if bound == 0 else None),
        max_week_gap=_finite(pd.to_numeric(weeks["gap"], errors="coerce").max()) if has_bound else None,
        solve_seconds=float(weeks["solve_seconds"].sum()) if len(weeks) else 0.0,
        interrupted=sim.interrupted,
    )
    return out


def _finite(x: Any) -> float | None:
    try:
        x = float(x)
    except (TypeError, ValueError):
        return None
    return x if math.isfinite(x) else None


def weekly_series(sim: Simulation) -> pd.DataFrame:
    """The per-week figures an experiment keeps of each run (to plot variants over time)."""
    w = sim.weeks
    load = volunteer_load(sim)
    return pd.DataFrame({
        "week": w["week"].astype(int), "waiting": w["waiting"].astype(int),
        "referrals": w["referrals"].astype(int), "first_sessions": w["first_sessions"].astype(int),
        "active_citizens": w["active_citizens"].astype(int), "active_volunteers": w["active_volunteers"].astype(int),
        "sessions": w["sessions"].astype(int), "coverage": w["coverage"].astype(float),
        "mean_load": load["mean_sessions"].astype(float),
    })


def survival_grid(sim: Simulation, cohort: str = "referral") -> pd.DataFrame:
    """The share matched within 0, 1, 2, … weeks of referral (Kaplan–Meier), on whole weeks.

    Columns: ``weeks``, ``matched``. Beyond the longest observed wait the curve is unknown (NaN).
    """
    w = waits(sim, "citizen", cohort)
    grid = np.arange(sim.weeks_done + 1)
    if w.empty:
        return pd.DataFrame({"weeks": grid, "matched": np.nan})
    kmf = _km(w["weeks"].to_numpy(float), w["matched"].to_numpy(bool))
    longest = float(w["weeks"].max())
    matched = [1.0 - _at(kmf, float(t))[0] if t <= longest else math.nan for t in grid]
    return pd.DataFrame({"weeks": grid, "matched": matched})

