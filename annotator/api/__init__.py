"""The JSON API under /api/v1: bearer tokens only, JSON errors.

Importing this package loads every endpoint module onto `bp`, the one blueprint the
factory registers.
"""

from annotator.api import exchange, matches, routes, sources, today
from annotator.api.blueprint import bp

__all__ = ["bp", "exchange", "matches", "routes", "sources", "today"]
