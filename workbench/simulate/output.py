"""A simulation on disk: tidy CSV tables, the summary and the figures, published as one set.

Layout of the output folder::

    simulation.json            how it was made (scenario, seed, method, parameters, policies), the summary
                               figures and the list of files of the set
    weeks.csv                  one row per simulated week
    citizens.csv requests.csv volunteers.csv matches.csv sessions.csv
                               the record (see :class:`~workbench.simulate.Simulation`)
    time_to_first_session.csv  Kaplan–Meier curves, overall and by district, priority, language, activity
    matched_within.csv         shares matched within 4, 8, 12 weeks, same groups, with 95% intervals
    waiting_list.csv           the waiting list per week, overall and per group
    match_lengths.csv volunteer_load.csv turnover.csv
    *.html, plotly.min.js      interactive plotly figures (open in a browser; they work offline)

Everything is computed before anything is written; the files are then published
by :func:`workbench.outputs.publish`: written beside the folder and swapped in at
once, so a reader sees the previous set or the new one, never a mix, and an
interrupted or failed run leaves the folder as it was. Files of the user's in the
folder are kept; files that an earlier simulation listed in its simulation.json
and this one does not write (figures, after ``--no-figures``) are removed after
the swap.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from ..outputs import publish
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


def figure_files(figs: Mapping[str, Any], folder: str = "") -> dict[str, str]:
    """HTML text of each plotly figure (under ``folder/`` if given), sharing one ``plotly.min.js``
    beside them, so they open offline."""
    from plotly.offline import get_plotlyjs

    prefix = f"{folder}/" if folder else ""
    out = {f"{prefix}{name}.html": fig.to_html(include_plotlyjs=PLOTLY_JS, full_html=True)
           for name, fig in figs.items()}
    if out:
        out[f"{prefix}{PLOTLY_JS}"] = get_plotlyjs()
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
          provenance: Mapping[str, Any] | None = None, on_commit: Callable[[], object] | None = None) -> list[Path]:
    """Publish the simulation's tables, summary and figures in ``out_dir`` as one set; return the paths.

    ``on_commit``: called just before the new set is swapped in (see :func:`workbench.outputs.publish`).
    """
    return write_set(contents(sim, figures, min_group, provenance=provenance), out_dir, on_commit=on_commit)


def write_set(files: Mapping[str, str], out_dir: str | os.PathLike[str],
              on_commit: Callable[[], object] | None = None) -> list[Path]:
    """Publish ``files`` (name → text) in ``out_dir`` as one set (see the module docstring)."""
    out = Path(out_dir)
    stale = _previous_files(out) - set(files)

    def write_all(folder: Path) -> None:
        for name, text in files.items():
            (folder / name).write_text(text, encoding="utf-8")

    paths = publish(out, write_all, list(files), on_commit=on_commit)
    for name in stale:  # carried over as "the user's" by the swap; they were the earlier set's
        path = out / name
        if path.is_file() and not path.is_symlink():
            path.unlink()
    return paths


def _previous_files(out: Path) -> set[str]:
    """The files an earlier simulation listed in its manifest (only those are ever removed)."""
    try:
        listed = json.loads((out / MANIFEST).read_text(encoding="utf-8")).get("files", [])
    except (OSError, ValueError, AttributeError):
        return set()
    return {p for p in listed if isinstance(p, str) and p == Path(p).name and not p.startswith(".")}
