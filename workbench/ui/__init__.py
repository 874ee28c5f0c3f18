"""The planner app for coordinators (ipywidgets; in a notebook or served by Voilà).

``import workbench`` does not import this package (nor ipywidgets); ``import
workbench.ui`` does. :func:`planner` returns the app's widget; :class:`Planner`
gives the app plus methods to drive it from code. :mod:`workbench.ui.views` holds
the figure builders (pure functions) and :mod:`workbench.ui.state` the view state.
"""

from __future__ import annotations

from .app import Planner, planner, scenario_from_upload

__all__ = ["Planner", "planner", "scenario_from_upload"]
