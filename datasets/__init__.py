"""The bundled datasets, installed as the resource package ``workbench.bundled``.

This folder holds data, not code: pyproject.toml maps it into the package so that an installed
wheel carries the datasets, and :mod:`workbench.datasets` reads them with importlib.resources.
"""
