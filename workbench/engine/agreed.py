"""Sessions already agreed with people: pins, and an agreed schedule that is being re-planned.

Re-planning keeps every agreed session exactly — volunteer, date, start and
mode — unless a change forces it to move. A session is forced only by the
scenario as it is now: a rule it breaks on its own (the volunteer is absent,
the request was removed, a new distance limit), or a clash with sessions that
rank before it (pins first, then agreed sessions in date order) under a tightened
weekly limit. Each forced session is reported with the reason in words, so the
planner and the command line can say which change forced each move.

A session whose request no longer allows its mode but allows the other one
(a lock-down turns visits into calls) stays at its volunteer, date and time in
the allowed mode, reported as forced too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import pandas as pd

from ..contract import SCHEDULE_COLUMNS
from ..index import ScenarioIndex
from ..timeutil import format_time, parse_date, parse_time
from ..validate import validate
from ..words import count, person_label
from .plan import Plan, Session

FORCED_COLUMNS = (*SCHEDULE_COLUMNS, "reason")


@dataclass
class Agreed:
    """Agreed sessions to keep (``fixed``), those a change forced to move (``forced``), and pins
    whose mode is free (an ``either`` pin no agreed schedule gave a mode: a visit where it fits)."""

    fixed: list[Session] = field(default_factory=list)
    forced: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=list(FORCED_COLUMNS)))
    free_mode: set[tuple[int, int, int]] = field(default_factory=set)

    @property
    def keys(self) -> set[tuple[int, int, int]]:
        return {(s.req, s.vol, s.day) for s in self.fixed}


def _cell_date(value: object) -> date | None:
    return value if isinstance(value, date) else parse_date(str(value))


def _cell_time(value: object) -> int | None:
    if isinstance(value, int):
        return value
    return parse_time(str(value))


def agreed_sessions(index: ScenarioIndex, previous: pd.DataFrame | None) -> Agreed:
    """The sessions to keep exactly: the scenario's pins, then what of ``previous`` still keeps the rules.

    ``previous`` has the schedule columns (request_id, citizen_id, volunteer_id,
    date, start, end, mode), as text or parsed.
    """
    sc = index.scenario
    out = Agreed()
    plan = Plan(index)
    forced: list[dict] = []
    prev_mode: dict[tuple[str, str, date, int], str] = {}
    rows = _previous_rows(previous)
    for r in rows:
        prev_mode[(r["request_id"], r["volunteer_id"], r["date"], r["start"])] = r["mode"]

    # Pins were checked at load time (each keeps every rule, all fit together as calls where
    # the request allows either); an agreed mode wins, else an `either` pin may become a visit.
    for pin in sc.pins.itertuples(index=False):
        req, vol, day = index.request_pos[pin.request_id], index.volunteer_pos[pin.volunteer_id], \
            index.day_pos[pin.date]
        mode = prev_mode.get((pin.request_id, pin.volunteer_id, pin.date, pin.start))
        request_mode = index.request_mode[req]
        if request_mode == "either" and mode is None:
            out.free_mode.add((req, vol, day))
        in_person = mode == "in_person" if request_mode == "either" and mode else request_mode == "in_person"
        s = Session(req, vol, day, int(pin.start), in_person)
        plan.add(s)
        out.fixed.append(s)
    pinned = {(s.req, s.day) for s in out.fixed}

    if rows:
        frame = pd.DataFrame([{c: r[c] for c in ("request_id", "citizen_id", "volunteer_id")} |
                              {"date": r["date"].isoformat() if r["date"] else r["date_text"],
                               "start": r["start_text"], "end": r["end_text"], "mode": r["mode"]} for r in rows],
                             columns=list(SCHEDULE_COLUMNS))
        alone = _broken_alone(index, frame)
        for k, r in enumerate(rows):
            key = (index.request_pos.get(r["request_id"]), index.day_pos.get(r["date"]) if r["date"] else None)
            if key in pinned:
                continue  # a pin of the same request that day holds the place
            reasons = alone.get(k, [])
            mode = r["mode"]
            mode_only = reasons and all(rule == 7 and "does not fit request" in msg for rule, msg in reasons)
            if mode_only:
                other = "phone" if mode == "in_person" else "in_person"
                if not _broken_alone(index, frame.iloc[[k]].assign(mode=other)):
                    forced.append(_forced(r, f"now {'by phone' if other == 'phone' else 'in person'}: "
                                             f"request {r['request_id']} is now {index.request_mode[key[0]]}"))
                    mode = other
                    reasons = []
            if reasons:
                forced.append(_forced(r, "; ".join(msg for _rule, msg in reasons)))
                continue
            s = Session(key[0], index.volunteer_pos[r["volunteer_id"]], key[1], r["start"], mode == "in_person")
            why = _clash(plan, s)
            if why:
                forced.append(_forced(r, why))
                continue
            plan.add(s)
            out.fixed.append(s)
    if forced:
        out.forced = pd.DataFrame(forced, columns=list(FORCED_COLUMNS))
    return out


def _previous_rows(previous: pd.DataFrame | None) -> list[dict]:
    if previous is None or not len(previous):
        return []
    rows = []
    for rec in previous.to_dict("records"):
        d = _cell_date(rec.get("date"))
        s = _cell_time(rec.get("start"))
        rows.append({
            "request_id": str(rec.get("request_id", "")).strip(),
            "citizen_id": str(rec.get("citizen_id", "")).strip(),
            "volunteer_id": str(rec.get("volunteer_id", "")).strip(),
            "date": d,
            "date_text": str(rec.get("date", "")),
            "start": s,
            "start_text": format_time(s) if s is not None else str(rec.get("start", "")),
            "end_text": str(rec.get("end", "")) if not isinstance(rec.get("end"), int) else format_time(rec["end"]),
            "mode": str(rec.get("mode", "")).strip(),
        })
    # Earlier sessions first: when a tightened limit leaves room for only some, the earliest stay.
    rows.sort(key=lambda r: (r["date"] or date.max, r["start"] if r["start"] is not None else 0,
                             r["volunteer_id"]))
    return rows


def _broken_alone(index: ScenarioIndex, frame: pd.DataFrame) -> dict[int, list[tuple[int, str]]]:
    """Per row of ``frame`` (position): the rules (1–9) it breaks on its own in the scenario as it is now."""
    out: dict[int, list[tuple[int, str]]] = {}
    for v in validate(index.scenario, frame, check_pins=False):
        if v.rule <= 9 and v.row is not None:
            out.setdefault(v.row - 2, []).append((v.rule, v.message))
    return out


def _clash(plan: Plan, s: Session) -> str | None:
    """Why ``s`` cannot join the sessions kept so far (rules 10–13), or None."""
    ix = plan.index
    w = s.week
    vid = person_label(ix.scenario.volunteers["name"].iat[s.vol], ix.volunteer_ids[s.vol])
    if (s.req, s.day) in plan.req_days or plan.req_week_n[(s.req, w)] >= ix.week_demand[s.req, w]:
        return f"request {ix.request_ids[s.req]} already has all its sessions of week {w} (weeks count from 0)"
    if plan.vol_week_n[(s.vol, w)] + 1 > ix.max_sessions[s.vol]:
        return f"volunteer {vid} now does at most {count(int(ix.max_sessions[s.vol]), 'session')} a week"
    if plan.vol_week_min[(s.vol, w)] + ix.duration[s.req] > ix.max_minutes[s.vol]:
        return f"volunteer {vid} now gives at most {int(ix.max_minutes[s.vol])} minutes a week"
    if not plan.fits_at(s.req, s.vol, s.day, s.start, s.in_person):
        return f"it clashes with a pinned session of volunteer {vid} or of the citizen on {ix.dates[s.day]}"
    return None


def _forced(row: dict, reason: str) -> dict:
    return {"request_id": row["request_id"], "citizen_id": row["citizen_id"], "volunteer_id": row["volunteer_id"],
            "date": row["date"].isoformat() if row["date"] else row["date_text"], "start": row["start_text"],
            "end": row["end_text"], "mode": row["mode"], "reason": reason}
