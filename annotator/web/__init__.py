"""Blueprints for the HTML interface, and the one guard every request passes."""

from __future__ import annotations

from flask import Flask, abort, g, redirect, request, session, url_for
from flask_login import current_user

from annotator import review
from annotator.app import login_manager
from annotator.db import get_session
from annotator.models import User


def register(app: Flask) -> None:
    """Attach blueprints, the user loader, the permission guard and template helpers."""
    from annotator.api import bp as api_bp
    from annotator.api import exchange as _api_exchange  # noqa: F401  (adds its endpoints)
    from annotator.web import (
        account,
        admin,
        articles,
        auth,
        claims,
        dashboard,
        exchange,
        exports,
        live,
        pages,
        work,
    )

    for module in (auth, dashboard, articles, claims, exports, live, pages, work, account,
                   admin, exchange):
        app.register_blueprint(module.bp)
    app.register_blueprint(api_bp)
    from annotator.app import csrf

    # The API authenticates with bearer tokens only, never the session cookie, so a
    # cross-site form cannot ride on it: CSRF tokens do not apply there.
    csrf.exempt(api_bp)
    login_manager.user_loader(_load_user)
    app.before_request(_guard)
    from annotator.web import filters

    filters.init_app(app)


def _load_user(user_id: str) -> User | None:
    try:
        user = get_session().get(User, int(user_id))
    except ValueError:
        return None
    if user is None or not user.active:
        return None
    # A password or role change since this session signed in ends it.
    if session.get("sv") != user.session_version:
        return None
    return user


def _guard():
    """Check the endpoint's permission from review.ROUTES before any view runs."""
    endpoint = request.endpoint
    if endpoint is None:
        return None  # 404 or 405: nothing to guard
    permission = review.ROUTES.get(endpoint)
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
