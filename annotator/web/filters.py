"""Jinja filters and globals: the sanitised Markdown renderer, dates, the live-poll interval."""

from __future__ import annotations

from datetime import datetime

from flask import Flask, g, url_for

from annotator import review
from annotator.sanitize import render_markdown


def when(value) -> str:
    """Show a timestamp as YYYY-MM-DD HH:MM UTC."""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M UTC")
    return "" if value is None else str(value)


def shown(value, key: str, people: dict) -> str:
    """Show a history value: people by name, empty values as a dash."""
    if value is None or value == "":
        return "—"
    if key.endswith("_id") and key != "claim_id" and value in people:
        person = people[value]
        return person.display_name or person.username
    return str(value).replace("_", " ") if key in ("state", "verdict") else str(value)


def claim_url(claim_id: int) -> str:
    """Return a claim's URL; built from one url_for per request, since long pages need 600."""
    prefix = g.get("_claim_url_prefix")
    if prefix is None:
        prefix = g._claim_url_prefix = url_for("claims.show", claim_id=0)[:-1]
    return f"{prefix}{int(claim_id)}"


def init_app(app: Flask) -> None:
    """Register the filters and globals."""
    app.jinja_env.filters["markdown"] = render_markdown
    app.jinja_env.filters["when"] = when
    app.jinja_env.filters["shown"] = shown
    app.jinja_env.globals["may"] = review.may
    app.jinja_env.globals["claim_url"] = claim_url
    app.jinja_env.globals["STATE_LABELS"] = review.STATE_LABELS
