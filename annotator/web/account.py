"""The signed-in user's own account: display name, password and API tokens."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, session, url_for

from annotator.db import get_session
from annotator.services import users as user_service
from annotator.services.errors import ServiceError
from annotator.web.helpers import form_dict, render, user

bp = Blueprint("account", __name__, url_prefix="/account")


def _page(status: int = 200, error: str | None = None, secret: str | None = None):
    db = get_session()
    me = user()
    response = render("account/index.html", status=status, error=error, secret=secret,
                      me=me, tokens=user_service.list_tokens(db, me),
                      token_status=user_service.token_status)
    if secret:
        response.headers["Cache-Control"] = "no-store"  # the secret is shown once, never cached
    return response


def _run(action, message: str):
    db = get_session()
    try:
        action(db)
    except ServiceError as exc:
        db.rollback()
        return _page(status=exc.status, error=exc.message)
    db.commit()
    flash(message, "info")
    return redirect(url_for("account.index"), 303)


@bp.route("")
def index():
    """Show the account page."""
    return _page()


@bp.route("/name", methods=["POST"])
def set_name():
    """Change my display name."""
    name = form_dict().get("display_name", "")
    return _run(lambda db: user_service.update_display_name(db, user(), user(), name),
                "Your display name is saved.")


@bp.route("/password", methods=["POST"])
def change_password():
    """Change my password; the current one is required."""
    form = form_dict()
    def change(db):
        changed = user_service.change_own_password(
            db, user(), form.get("current", ""), form.get("password", ""), form.get("confirm"))
        # This session stays signed in; every other one of this user ends.
        session["sv"] = changed.session_version

    return _run(change, "Your password is changed; your other sessions are signed out.")


@bp.route("/tokens", methods=["POST"])
def create_token():
    """Make myself an API token and show its secret once."""
    form = form_dict()
    db = get_session()
    try:
        expires = user_service.expiry_in_days(form.get("expires_days"))
        _, secret = user_service.create_token(db, user(), form.get("name", ""), expires,
                                              actor=user())
    except ServiceError as exc:
        db.rollback()
        return _page(status=exc.status, error=exc.message)
    db.commit()
    return _page(status=201, secret=secret)


@bp.route("/tokens/<int:token_id>/revoke", methods=["POST"])
def revoke_token(token_id: int):
    """Revoke one of my tokens."""
    return _run(lambda db: user_service.revoke_token(db, user(), token_id, owner=user()),
                "The token is revoked.")
