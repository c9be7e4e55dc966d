"""The Flask extension objects, created unbound here and bound to the app by the factory.

They live apart from `app.py` so blueprints can use them without importing the factory.
"""

from __future__ import annotations

from flask_htmx import HTMX
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect

csrf = CSRFProtect()
htmx = HTMX()
login_manager = LoginManager()

# The request header htmx sends: a page and its fragment share a URL, so caches must key on it.
HTMX_REQUEST_HEADER = "HX-Request"


def vary_on_htmx(response):
    """Mark a response as depending on whether htmx asked: the one place Vary is set."""
    response.vary.add(HTMX_REQUEST_HEADER)
    return response
