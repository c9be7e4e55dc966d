"""The signed-in user's own account: display name, password and API tokens."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, session, url_for

from annotator.db import get_session
from annotator.permissions import requires
from annotator.services import sessions, throttle
from annotator.services import users as user_service
from annotator.services.errors import ServiceError
from annotator.web.auth import throttled_check
from annotator.web.helpers import attempt, field_of, form_dict, render, user

bp = Blueprint("account", __name__, url_prefix="/account")


def _page(status: int = 200, error: str | None = None, secret: str | None = None,
          form: dict | None = None, field: str | None = None):
    db = get_session()
    me = user()
    response = render("account/index.html", status=status, error=error, secret=secret,
                      form=form or {}, field=field, me=me, tokens=user_service.list_tokens(db, me),
                      token_status=user_service.token_status)
    if secret:
        response.headers["Cache-Control"] = "no-store"  # the secret is shown once, never cached
    return response


def _run(action, message: str, form: dict):
    """Run the change; a refusal shows the page again with the form's input (never a password)."""
    def refused(exc: ServiceError):
        return _page(status=exc.status, error=exc.message, form=form, field=field_of(exc))

    def done(_):
        flash(message, "info")
        return redirect(url_for("account.index"), 303)

    return attempt(action, refused, done)


@bp.route("")
@requires("read")
def index():
    """Show the account page."""
    return _page()


@bp.route("/name", methods=["POST"])
@requires("read")
def set_name():
    """Change my display name."""
    name = form_dict().get("display_name", "")
    return _run(lambda db: user_service.update_display_name(db, user(), user(), name),
                "Your display name is saved.", {"failed": "name", "display_name": name})


@bp.route("/password", methods=["POST"])
@requires("read")
def change_password():
    """Change my password; the current one is required."""
    form = form_dict()
    me = user()
    current = form.get("current", "")
    # Checked like a sign-in (issue 19): throttled per account and address, no lock held.
    try:
        right = throttled_check(me.username,
                                lambda: user_service.check_password(me, current))
    except throttle.Throttled as exc:
        response = _page(status=429, error=exc.message, form={"failed": "password"})
        response.headers["Retry-After"] = str(exc.detail)
        return response
    if not right:
        return _page(status=400, error="The current password is wrong.",
                     form={"failed": "password"}, field="current")

    def change(db):
        changed = user_service.change_own_password(
            db, user(), current, form.get("password", ""), form.get("confirm"),
            current_checked=True)
        # This session stays signed in (with a new server-side session); every other ends.
        session["sv"] = changed.session_version
        session["sid"] = sessions.start(db, changed)

    return _run(change, "Your password is changed; your other sessions are signed out.",
                {"failed": "password"})


@bp.route("/tokens", methods=["POST"])
@requires("read")
def create_token():
    """Make myself an API token and show its secret once."""
    form = form_dict()

    def make(db):
        expires = user_service.expiry_in_days(form.get("expires_days"))
        return user_service.create_token(db, user(), form.get("name", ""), expires,
                                         actor=user())[1]

    return attempt(make, lambda exc: _page(status=exc.status, error=exc.message,
                                           form={"failed": "token", **form},
                                           field=field_of(exc)),
                   lambda secret: _page(status=201, secret=secret))


@bp.route("/tokens/<int:token_id>/revoke", methods=["POST"])
@requires("read")
def revoke_token(token_id: int):
    """Revoke one of my tokens."""
    return _run(lambda db: user_service.revoke_token(db, user(), token_id, owner=user()),
                "The token is revoked.", {})
