"""Administration: users, API tokens and the verdict scale. Every route needs "admin".

Forms work without JavaScript: a POST answers 303 back to its page with a flash message,
or re-renders the page with the error and the status the service gave.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, url_for

from annotator import review
from annotator.db import get_session
from annotator.models import User
from annotator.services import learning
from annotator.services import users as user_service
from annotator.services import verdicts as verdict_service
from annotator.services.errors import Invalid, ServiceError
from annotator.web.helpers import form_dict, render, user

bp = Blueprint("admin", __name__, url_prefix="/admin")


def _done(message: str, endpoint: str, **values):
    get_session().commit()
    flash(message, "info")
    return redirect(url_for(endpoint, **values), 303)


def _users_page(status: int = 200, error: str | None = None, form: dict | None = None):
    db = get_session()
    return render("admin/users.html", status=status, error=error, form=form or {},
                  people=user_service.list_users(db), roles=review.ROLES)


def _user_page(user_id: int, status: int = 200, error: str | None = None,
               secret: str | None = None):
    db = get_session()
    person = user_service.get_user(db, user_id)
    response = render("admin/user.html", status=status, error=error, person=person,
                      roles=review.ROLES, tokens=user_service.list_tokens(db, person),
                      token_status=user_service.token_status, secret=secret)
    if secret:
        response.headers["Cache-Control"] = "no-store"
    return response


def _tokens_page(status: int = 200, error: str | None = None, secret: str | None = None,
                 form: dict | None = None):
    db = get_session()
    response = render("admin/tokens.html", status=status, error=error, secret=secret,
                      form=form or {}, tokens=user_service.list_tokens(db),
                      people=[p for p in user_service.list_users(db) if p.active],
                      token_status=user_service.token_status)
    if secret:
        response.headers["Cache-Control"] = "no-store"  # the secret is shown once, never cached
    return response


def _verdicts_page(status: int = 200, error: str | None = None, form: dict | None = None):
    db = get_session()
    return render("admin/verdicts.html", status=status, error=error, form=form or {},
                  verdicts=verdict_service.list_verdicts(db), usage=verdict_service.usage(db))


def _refused(exc: ServiceError, page, *args, **extra):
    get_session().rollback()
    return page(*args, status=exc.status, error=exc.message, **extra)


# -- users --------------------------------------------------------------------------------


@bp.route("/")
def index():
    """Open the users page, the first of the admin pages."""
    return redirect(url_for("admin.users"))


@bp.route("/users")
def users():
    """List users, with the form to add one."""
    return _users_page()


@bp.route("/users", methods=["POST"])
def create_user():
    """Add a user."""
    form = form_dict()
    try:
        person = user_service.create_user(
            get_session(), form.get("username", ""), form.get("role", ""),
            form.get("password", ""), form.get("display_name", ""), actor=user())
    except ServiceError as exc:
        form.pop("password", None)
        return _refused(exc, _users_page, form=form)
    return _done(f"Created {person.role} {person.username}.", "admin.users")


@bp.route("/users/<int:user_id>")
def user_detail(user_id: int):
    """Show one user: name, role, password reset, active state and their tokens."""
    return _user_page(user_id)


def _user_action(user_id: int, action, message: str, back: str):
    db = get_session()
    try:
        person = user_service.get_user(db, user_id)
        action(db, person)
    except ServiceError as exc:
        if back == "admin.users":
            return _refused(exc, _users_page)
        db.rollback()
        if db.get(User, user_id) is None:
            return render("error.html", status=exc.status, title="Not found",
                          message=exc.message)
        return _user_page(user_id, status=exc.status, error=exc.message)
    text = message.format(name=person.username, role=person.role)
    if back == "admin.users":
        return _done(text, back)
    return _done(text, back, user_id=user_id)


def _back() -> str:
    # The list and the user page both post here; go back to where the form was.
    return "admin.user_detail" if form_dict().get("back") == "user" else "admin.users"


@bp.route("/users/<int:user_id>/role", methods=["POST"])
def set_role(user_id: int):
    """Change a user's role."""
    role = form_dict().get("role", "")
    return _user_action(user_id, lambda db, p: user_service.change_role(db, user(), p, role),
                        "{name} is now {role}.", _back())


@bp.route("/users/<int:user_id>/deactivate", methods=["POST"])
def deactivate(user_id: int):
    """Stop a user signing in and their tokens working; their history stays."""
    return _user_action(user_id, lambda db, p: user_service.deactivate(db, user(), p),
                        "{name} is deactivated: they cannot sign in and their tokens stop "
                        "working.", _back())


@bp.route("/users/<int:user_id>/reactivate", methods=["POST"])
def reactivate(user_id: int):
    """Let a deactivated user sign in again."""
    return _user_action(user_id, lambda db, p: user_service.reactivate(db, user(), p),
                        "{name} is active again.", _back())


@bp.route("/users/<int:user_id>/password", methods=["POST"])
def reset_password(user_id: int):
    """Set a new password for a user."""
    password = form_dict().get("password", "")
    return _user_action(
        user_id, lambda db, p: user_service.reset_password(db, user(), p, password),
        "{name}'s password is reset; tell them the new one in person.", "admin.user_detail")


@bp.route("/users/<int:user_id>/name", methods=["POST"])
def set_name(user_id: int):
    """Change a user's display name."""
    name = form_dict().get("display_name", "")
    return _user_action(
        user_id, lambda db, p: user_service.update_display_name(db, user(), p, name),
        "{name}'s display name is saved.", "admin.user_detail")


# -- tokens -------------------------------------------------------------------------------


@bp.route("/tokens")
def tokens():
    """List every user's API tokens, with the form to make one."""
    return _tokens_page()


@bp.route("/tokens", methods=["POST"])
def create_token():
    """Make a token for a user and show its secret once."""
    form = form_dict()
    db = get_session()
    try:
        try:
            owner = user_service.get_user(db, int(form.get("user_id", "")))
        except ValueError:
            raise Invalid("Choose whose token this is.") from None
        expires = user_service.expiry_in_days(form.get("expires_days"))
        _, secret = user_service.create_token(db, owner, form.get("name", ""), expires,
                                              actor=user())
    except ServiceError as exc:
        return _refused(exc, _tokens_page, form=form)
    db.commit()
    return _tokens_page(status=201, secret=secret)


@bp.route("/tokens/<int:token_id>/revoke", methods=["POST"])
def revoke_token(token_id: int):
    """Revoke a token at once."""
    db = get_session()
    try:
        user_service.revoke_token(db, user(), token_id)
    except ServiceError as exc:
        return _refused(exc, _tokens_page)
    return _done("The token is revoked.", "admin.tokens")


# -- verdict scale -------------------------------------------------------------------------


def _verdict_fields(form: dict) -> dict:
    fields = {f: form[f] for f in verdict_service.EDITABLE if f in form}
    # An unticked checkbox sends nothing: absent means "no" on this form.
    fields["needs_source"] = form.get("needs_source", "") != ""
    return fields


@bp.route("/verdicts")
def verdicts():
    """Show the verdict scale and its ClaimReview mapping, editable."""
    return _verdicts_page()


@bp.route("/verdicts", methods=["POST"])
def create_verdict():
    """Add a verdict to the scale."""
    form = form_dict()
    try:
        verdict = verdict_service.create_verdict(get_session(), user(), form.get("key", ""),
                                                 _verdict_fields(form))
    except ServiceError as exc:
        return _refused(exc, _verdicts_page, form=form)
    return _done(f"Added the verdict {verdict.label}.", "admin.verdicts")


@bp.route("/verdicts/<key>", methods=["POST"])
def update_verdict(key: str):
    """Save one verdict's label, colour and mapping."""
    form = form_dict()
    try:
        verdict = verdict_service.update_verdict(get_session(), user(), key,
                                                 _verdict_fields(form))
    except ServiceError as exc:
        return _refused(exc, _verdicts_page)
    return _done(f"Saved the verdict {verdict.label}.", "admin.verdicts")


@bp.route("/verdicts/<key>/delete", methods=["POST"])
def delete_verdict(key: str):
    """Remove a verdict no claim uses."""
    try:
        verdict_service.delete_verdict(get_session(), user(), key)
    except ServiceError as exc:
        return _refused(exc, _verdicts_page)
    return _done(f"Removed the verdict {key}.", "admin.verdicts")


# -- the claim scorer ---------------------------------------------------------------------


@bp.route("/scorer")
def scorer():
    """Show whether the desk's retrained scorer is in use, and how the last retraining went."""
    db = get_session()
    return render("admin/scorer.html", decisions=len(learning.decisions(db)),
                  retrained=learning.desk_weights(db) is not None,
                  last=learning.last_retrain(db), minimum=learning.MIN_EXAMPLES)


@bp.route("/scorer", methods=["POST"])
def retrain():
    """Retrain the claim scorer on the desk's decisions (as `annotator retrain` does)."""
    db = get_session()
    try:
        report = learning.retrain_desk(db, user())
    except ServiceError as exc:
        db.rollback()
        flash(exc.message, "error")
        return redirect(url_for("admin.scorer"), 303)
    return _done(f"Retrained on {report.examples} decisions; the next import uses it.",
                 "admin.scorer")
