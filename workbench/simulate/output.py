"""A simulation on disk: tidy CSV tables, the summary and the figures, written as one set.

Layout of the output folder::

    simulation.json            how it was made (scenario, seed, method, parameters), the summary
                               figures and the list of files written
    weeks.csv                  one row per simulated week
    citizens.csv requests.csv volunteers.csv matches.csv sessions.csv
                               the record (see :class:`~workbench.simulate.Simulation`)
    time_to_first_session.csv  Kaplan–Meier curves, overall and by district, priority, language, activity
    matched_within.csv         shares matched within 4, 8, 12 weeks, same groups, with 95% intervals
    waiting_list.csv           the waiting list per week, overall and per group
    match_lengths.csv volunteer_load.csv turnover.csv
    figures/*.html             interactive plotly figures (open in a browser; plotly.min.js beside them)

Everything is computed before the first file is written, the files are written
into a temporary folder beside the output and then moved in, and files an
earlier simulation wrote there but this one does not are removed, so the folder
never mixes two simulations.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from . import figures as _figures
from . import metrics
from .model import Simulation

MANIFEST = "simulation.json"
TABLE_GROUPS: tuple[str | None, ...] = (None, "district", "priority", "language", "activity")
PLOTLY_JS = "plotly.min.js"


def _csv(table: pd.DataFrame) -> str:
    return table.to_csv(index=False, lineterminator="\n")


def _json_safe(value: Any) -> Any:
    import math

    if isinstance(value, Mapping):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, str):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def figure_files(figs: Mapping[str, Any], folder: str = "figures") -> dict[str, str]:
    """HTML text of each plotly figure under ``folder/``, sharing one ``plotly.min.js`` (works offline)."""
    from plotly.offline import get_plotlyjs

    out = {f"{folder}/{name}.html": fig.to_html(include_plotlyjs=PLOTLY_JS, full_html=True)
           for name, fig in figs.items()}
    if out:
        out[f"{folder}/{PLOTLY_JS}"] = get_plotlyjs()
    return out


def contents(sim: Simulation, figures: bool = True, min_group: int = 10,
             groups: Sequence[str | None] = TABLE_GROUPS,
             provenance: Mapping[str, Any] | None = None) -> dict[str, str]:
    """Every file of the output folder as text, keyed by its path relative to the folder.

    ``provenance``: what else made this simulation (the scenario's path, the policies applied), kept in
    simulation.json beside the seed, method and parameters.
    """
    cohort = "referral" if (sim.citizens["cohort"] == "referral").any() else "initial"
    files = {
        "weeks.csv": _csv(sim.weeks), "citizens.csv": _csv(sim.citizens), "requests.csv": _csv(sim.requests),
        "volunteers.csv": _csv(sim.volunteers), "matches.csv": _csv(sim.matches), "sessions.csv": _csv(sim.sessions),
        "time_to_first_session.csv": _csv(pd.concat(
            [metrics.time_to_first_session(sim, by, cohort, min_group) for by in groups], ignore_index=True)),
        "matched_within.csv": _csv(pd.concat(
            [metrics.matched_within(sim, by, metrics.WITHIN, cohort, min_group) for by in groups],
            ignore_index=True)),
        "waiting_list.csv": _csv(pd.concat(
            [metrics.waiting_list(sim, by, min_group) for by in groups if by not in metrics.REQUEST_GROUPS],
            ignore_index=True)),
        "match_lengths.csv": _csv(metrics.match_lengths(sim, None, min_group)),
        "volunteer_load.csv": _csv(metrics.volunteer_load(sim)),
        "turnover.csv": _csv(metrics.turnover(sim)),
    }
    if figures:
        files.update(figure_files(_figures.all_figures(sim, [g for g in groups if g], min_group)))
    manifest = {**sim.describe(), **(provenance or {}), "summary": metrics.summary(sim, min_group),
                "files": sorted([*files, MANIFEST])}
    files[MANIFEST] = json.dumps(_json_safe(manifest), indent=2, ensure_ascii=False, default=str) + "\n"
    return files


def write(sim: Simulation, out_dir: str | os.PathLike[str], figures: bool = True, min_group: int = 10,
          provenance: Mapping[str, Any] | None = None) -> list[Path]:
    """Write the simulation's tables, summary and figures into ``out_dir`` as one set; return the paths."""
    files = contents(sim, figures, min_group, provenance=provenance)
    return write_set(files, out_dir)


def write_set(files: Mapping[str, str], out_dir: str | os.PathLike[str]) -> list[Path]:
    """Write ``files`` (relative path → text) into ``out_dir`` as one set (see the module docstring)."""
    out = Path(out_dir)
    out.parent.mkdir(parents=True, exist_ok=True)
    old = _previous_files(out)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent))
    try:
        for rel, text in files.items():
            path = tmp / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        if not out.exists():
            os.chmod(tmp, 0o777 & ~_umask())
            os.rename(tmp, out)  # the whole set appears at once
        else:
            for rel in files:
                (out / rel).parent.mkdir(parents=True, exist_ok=True)
                os.replace(tmp / rel, out / rel)
            for rel in old - set(files):
                stale = out / rel
                if stale.is_file():
                    stale.unlink()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return [out / rel for rel in files]


def _previous_files(out: Path) -> set[str]:
    """The files an earlier simulation listed in its manifest (only those are ever removed)."""
    try:
        listed = json.loads((out / MANIFEST).read_text(encoding="utf-8")).get("files", [])
    except (OSError, ValueError, AttributeError):
        return set()
    return {str(p) for p in listed if isinstance(p, str) and ".." not in Path(p).parts and not Path(p).is_absolute()}


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
