"""Jinja filters and globals: the sanitised Markdown renderer, dates, the live-poll interval."""

from __future__ import annotations

from datetime import datetime

from flask import Flask

from annotator import review
from annotator.sanitize import render_markdown


def when(value) -> str:
    """Show a timestamp as YYYY-MM-DD HH:MM UTC."""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M UTC")
    return "" if value is None else str(value)


def init_app(app: Flask) -> None:
    """Register the filters and globals."""
    app.jinja_env.filters["markdown"] = render_markdown
    app.jinja_env.filters["when"] = when
    app.jinja_env.globals["may"] = review.may
    app.jinja_env.globals["STATE_LABELS"] = review.STATE_LABELS
