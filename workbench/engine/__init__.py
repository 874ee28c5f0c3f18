"""The scheduling engine: from a validated scenario to a checked schedule (see :mod:`.pipeline`)."""

from .pipeline import METHODS, minimum_seconds, solve
from .tuning import TUNING, Tuning

__all__ = ["METHODS", "TUNING", "Tuning", "minimum_seconds", "solve"]
