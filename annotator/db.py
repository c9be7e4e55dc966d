"""The per-request database session for the web and API faces (engines: annotator.engine)."""

from __future__ import annotations

from flask import Flask, g, request
from sqlalchemy.engine import Engine
from sqlmodel import Session

from annotator.engine import (
    SAFE_METHODS,
    SQLITE_BUSY_MS,
    get_engine,
    new_session,
    session_scope,
)

__all__ = ["SAFE_METHODS", "SQLITE_BUSY_MS", "engine_for", "get_engine", "get_session",
           "init_app", "new_session", "session_scope"]


def engine_for(app: Flask) -> Engine:
    """Return the app's engine."""
    return get_engine(app.config["DATABASE_URL"])


def get_session() -> Session:
    """Return this request's session, opening it on first use."""
    if "db_session" not in g:
        from flask import current_app

        g.db_session = new_session(
            engine_for(current_app), write=request.method not in SAFE_METHODS
        )
    return g.db_session


def _close_session(_exc: BaseException | None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        # Views commit once; anything uncommitted here belongs to a failed request.
        session.rollback()
        session.close()


def init_app(app: Flask) -> None:
    """Register the per-request session teardown."""
    app.teardown_appcontext(_close_session)
