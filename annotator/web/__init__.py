"""Blueprints for the HTML interface, and the one guard every request passes."""

from __future__ import annotations

from flask import Flask, abort, current_app, g, redirect, request, session, url_for
from flask_login import current_user

from annotator import review
from annotator.extensions import login_manager
from annotator.models import User
from annotator.permissions import permission_of


def blueprints() -> list:
    """Return the HTML interface's blueprints, for the factory to register."""
    from annotator.web import (
        account,
        admin,
        articles,
        auth,
        claims,
        dashboard,
        exchange,
        exports,
        feeds,
        listing,
        live,
        matches,
        pages,
        public,
        send,
        sources,
        today,
        webhooks,
        work,
    )

    return [module.bp for module in (auth, dashboard, articles, claims, exports, live, pages,
                                     work, account, admin, exchange, listing, matches,
                                     public, send, feeds, today, sources, webhooks)]


def init_app(app: Flask) -> None:
    """Attach the user loader, the permission guard and the template helpers."""
    from annotator.web import filters

    login_manager.user_loader(_load_user)
    app.before_request(_guard)
    app.before_request(_task_runtime)  # issue 21
    from annotator import tasks

    tasks.configure(app.config)  # issue 21: REDIS_URL or QUEUE_FILE from the settings
    filters.init_app(app)


def _load_user(user_id: str) -> User | None:
    try:
        uid = int(user_id)
    except ValueError:
        return None
    from annotator.web.auth import live_session_user

    # Logout, deactivation, resets and the idle and absolute lifetimes end it on the server.
    user = live_session_user(uid)  # read with its session row: one query
    if user is None or not user.active:
        return None
    # A password or role change since this session signed in ends it.
    if session.get("sv") != user.session_version:
        return None
    return user


def _task_runtime():
    """Give tasks run inline (the queue's immediate mode, in tests) this app's database."""
    from annotator import tasks
    from annotator.db import engine_for

    if tasks.huey.immediate:
        tasks.use(engine_for(current_app), current_app.config)


def _guard():
    """Check the permission the endpoint's route requires before any view runs."""
    endpoint = request.endpoint
    if endpoint is None:
        return None  # 404 or 405: nothing to guard
    permission = permission_of(current_app.view_functions, endpoint)
    if permission is None:
        # A route with no rule is refused, never served unguarded.
        abort(403, description=f"No permission rule for {endpoint}.")
    if endpoint.startswith("api."):
        return None  # the API's own guard runs after it has read the token
    user = current_user if current_user.is_authenticated else None
    g.user = user
    if review.may(user.role if user else None, permission):
        return None
    if user is None:
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    abort(403, description="Your role does not allow this.")
