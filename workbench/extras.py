"""The optional parts of the workbench and the pip extras that install them.

``pip install workbench`` installs what solving, checking and exporting need. The planner app and
the research tools need more; a command that reaches for a missing one says which extra to install
instead of failing with a bare ``ModuleNotFoundError``.
"""

from __future__ import annotations

# Top-level module → the extra(s) that install it (pyproject.toml's [project.optional-dependencies]).
MODULE_EXTRAS: dict[str, tuple[str, ...]] = {
    "ipywidgets": ("planner",),
    "jupyterlab": ("planner",),
    "voila": ("planner",),
    "plotly": ("planner", "research"),
    "dask": ("research",),
    "distributed": ("research",),
    "papermill": ("research",),
    "nbformat": ("research",),
    "ipykernel": ("research",),
    "tqdm": ("research",),
    "lifelines": ("research",),
}


def missing_extra_message(exc: ImportError) -> str | None:
    """What to install when ``exc`` is an optional package missing; ``None`` for any other import error."""
    name = (getattr(exc, "name", None) or "").split(".")[0]
    extras = MODULE_EXTRAS.get(name)
    if not extras:
        return None
    install = " or ".join(f"pip install 'workbench[{e}]'" for e in extras)
    which = " or ".join(f"[{e}]" for e in extras)
    return f"this needs the optional package '{name}', part of the {which} extra: {install}"
