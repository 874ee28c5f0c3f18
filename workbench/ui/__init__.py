"""The planner app for coordinators (ipywidgets; in a notebook or served by Voilà).

``import workbench`` does not import this package. The parts that need no widgets
load without ipywidgets: :mod:`~workbench.ui.runner` (solving in the background),
:mod:`~workbench.ui.state` (what the app remembers), :mod:`~workbench.ui.upload`
(reading an uploaded file) and :mod:`~workbench.ui.messages`; the figures and tables
live in :mod:`workbench.views`. The widget parts (:mod:`~workbench.ui.app` with the
controller :class:`Planner`, :mod:`~workbench.ui.controls`, :mod:`~workbench.ui.tabs`,
:mod:`~workbench.ui.whatif`, :mod:`~workbench.ui.export_panel`) load ipywidgets, and
are imported when ``Planner`` or ``planner`` is first asked for.
"""

from __future__ import annotations

import importlib
from typing import Any

from .upload import scenario_from_upload

__all__ = ["Planner", "planner", "scenario_from_upload"]


def __getattr__(name: str) -> Any:
    # PEP 562: the widget part of the package is loaded on first use, so the runner and the state can be
    # used (and tested) where ipywidgets is not installed. No import cycle hides here: app imports this
    # package's plain modules, never the other way round.
    if name in ("Planner", "planner"):
        return getattr(importlib.import_module(".app", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
