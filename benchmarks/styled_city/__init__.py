"""A third, independent city generator for the benchmarks, written from the scenario contract only.

``generate.py`` draws cities in nine styles (see its docstring) and is also a script; ``rules.py`` is
its own reading of the contract. Import :func:`write_city` with ``benchmarks/`` on ``sys.path``::

    from styled_city import STYLES, write_city
"""

from .generate import STYLES, write_city

__all__ = ["STYLES", "write_city"]
