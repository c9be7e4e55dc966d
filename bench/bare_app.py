"""The baseline for bench/load.py: a bare Flask route, served by the same gunicorn command."""

from __future__ import annotations

from flask import Flask


def create_app() -> Flask:
    """Return an app with one route that does nothing but answer."""
    app = Flask(__name__)

    @app.get("/")
    def hello():
        return "ok"

    return app
