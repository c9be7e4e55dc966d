"""Administration: users, API tokens and the verdict scale. Every route needs "admin".

Forms work without JavaScript: a POST answers 303 back to its page with a flash message,
or re-renders the page with the error and the status the service gave.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, url_for

from annotator import review
from annotator.db import get_session
from annotator.models import User
from annotator.permissions import requires
from annotator.services import learning, settings
from annotator.services import users as user_service
from annotator.services import verdicts as verdict_service
from annotator.services.errors import Invalid, NotFound, ServiceError
from annotator.web.helpers import attempt, field_of, flash_back, form_dict, render, user

bp = Blueprint("admin", __name__, url_prefix="/admin")


def _done(message: str, endpoint: str, **values):
    flash(message, "info")
    return redirect(url_for(endpoint, **values), 303)


def _users_page(status: int = 200, error: str | None = None, form: dict | None = None,
                field: str | None = None):
    db = get_session()
    return render("admin/users.html", status=status, error=error, form=form or {},
                  field=field, people=user_service.list_users(db), roles=review.ROLES)


def _user_page(user_id: int, status: int = 200, error: str | None = None,
               secret: str | None = None, form: dict | None = None, field: str | None = None):
    db = get_session()
    person = user_service.get_user(db, user_id)
    response = render("admin/user.html", status=status, error=error, person=person,
                      roles=review.ROLES, tokens=user_service.list_tokens(db, person),
                      token_status=user_service.token_status, secret=secret,
                      form=form or {}, field=field)
    if secret:
        response.headers["Cache-Control"] = "no-store"
    return response


def _tokens_page(status: int = 200, error: str | None = None, secret: str | None = None,
                 form: dict | None = None, field: str | None = None):
    db = get_session()
    response = render("admin/tokens.html", status=status, error=error, secret=secret,
                      form=form or {}, field=field, tokens=user_service.list_tokens(db),
                      people=[p for p in user_service.list_users(db) if p.active],
                      token_status=user_service.token_status)
    if secret:
        response.headers["Cache-Control"] = "no-store"  # the secret is shown once, never cached
    return response


def _verdicts_page(status: int = 200, error: str | None = None, form: dict | None = None,
                   field: str | None = None, key: str | None = None):
    db = get_session()
    return render("admin/verdicts.html", status=status, error=error, form=form or {},
                  field=field, failed_key=key,
                  verdicts=verdict_service.list_verdicts(db), usage=verdict_service.usage(db))


def _refused(page, *args, **extra):
    """Answer a refusal with the page again, the message beside the field, the input kept."""
    def refused(exc: ServiceError):
        return page(*args, status=exc.status, error=exc.message, field=field_of(exc), **extra)
    return refused


# -- users --------------------------------------------------------------------------------


@bp.route("/")
@requires("admin")
def index():
    """Open the users page, the first of the admin pages."""
    return redirect(url_for("admin.users"))


@bp.route("/users")
@requires("admin")
def users():
    """List users, with the form to add one."""
    return _users_page()


@bp.route("/users", methods=["POST"])
@requires("admin")
def create_user():
    """Add a user."""
    form = form_dict()
    kept = {k: v for k, v in form.items() if k != "password"}  # never echo a password
    return attempt(
        lambda db: user_service.create_user(
            db, form.get("username", ""), form.get("role", ""),
            form.get("password", ""), form.get("display_name", ""), actor=user()),
        _refused(_users_page, form=kept),
        lambda person: _done(f"Created {person.role} {person.username}.", "admin.users"))


@bp.route("/users/<int:user_id>")
@requires("admin")
def user_detail(user_id: int):
    """Show one user: name, role, password reset, active state and their tokens."""
    return _user_page(user_id)


def _user_action(user_id: int, action, message: str, back: str, form: dict | None = None):
    def run(db):
        person = user_service.get_user(db, user_id)
        action(db, person)
        return person

    def refused(exc: ServiceError):
        if isinstance(exc, NotFound) or get_session().get(User, user_id) is None:
            raise exc  # no such user: the error page, not a form
        if back == "admin.users":
            return _users_page(status=exc.status, error=exc.message)
        return _user_page(user_id, status=exc.status, error=exc.message, form=form,
                          field=field_of(exc))

    def done(person):
        text = message.format(name=person.username, role=person.role)
        if back == "admin.users":
            return _done(text, back)
        return _done(text, back, user_id=user_id)

    return attempt(run, refused, done)


def _back() -> str:
    # The list and the user page both post here; go back to where the form was.
    return "admin.user_detail" if form_dict().get("back") == "user" else "admin.users"


@bp.route("/users/<int:user_id>/role", methods=["POST"])
@requires("admin")
def set_role(user_id: int):
    """Change a user's role."""
    role = form_dict().get("role", "")
    return _user_action(user_id, lambda db, p: user_service.change_role(db, user(), p, role),
                        "{name} is now {role}.", _back())


@bp.route("/users/<int:user_id>/deactivate", methods=["POST"])
@requires("admin")
def deactivate(user_id: int):
    """Stop a user signing in and their tokens working; their history stays."""
    return _user_action(user_id, lambda db, p: user_service.deactivate(db, user(), p),
                        "{name} is deactivated: they cannot sign in and their tokens stop "
                        "working.", _back())


@bp.route("/users/<int:user_id>/reactivate", methods=["POST"])
@requires("admin")
def reactivate(user_id: int):
    """Let a deactivated user sign in again."""
    return _user_action(user_id, lambda db, p: user_service.reactivate(db, user(), p),
                        "{name} is active again.", _back())


@bp.route("/users/<int:user_id>/password", methods=["POST"])
@requires("admin")
def reset_password(user_id: int):
    """Set a new password for a user."""
    password = form_dict().get("password", "")
    return _user_action(
        user_id, lambda db, p: user_service.reset_password(db, user(), p, password),
        "{name}'s password is reset; tell them the new one in person.", "admin.user_detail",
        form={"failed": "password"})


@bp.route("/users/<int:user_id>/name", methods=["POST"])
@requires("admin")
def set_name(user_id: int):
    """Change a user's display name."""
    name = form_dict().get("display_name", "")
    return _user_action(
        user_id, lambda db, p: user_service.update_display_name(db, user(), p, name),
        "{name}'s display name is saved.", "admin.user_detail",
        form={"failed": "name", "display_name": name})


# -- tokens -------------------------------------------------------------------------------


@bp.route("/tokens")
@requires("admin")
def tokens():
    """List every user's API tokens, with the form to make one."""
    return _tokens_page()


@bp.route("/tokens", methods=["POST"])
@requires("admin")
def create_token():
    """Make a token for a user and show its secret once."""
    form = form_dict()

    def make(db):
        try:
            owner = user_service.get_user(db, int(form.get("user_id", "")))
        except ValueError:
            raise Invalid("Choose whose token this is.", field="user_id") from None
        expires = user_service.expiry_in_days(form.get("expires_days"))
        return user_service.create_token(db, owner, form.get("name", ""), expires,
                                         actor=user())[1]

    return attempt(make, _refused(_tokens_page, form=form),
                   lambda secret: _tokens_page(status=201, secret=secret))


@bp.route("/tokens/<int:token_id>/revoke", methods=["POST"])
@requires("admin")
def revoke_token(token_id: int):
    """Revoke a token at once."""
    return attempt(lambda db: user_service.revoke_token(db, user(), token_id),
                   _refused(_tokens_page), lambda _: _done("The token is revoked.", "admin.tokens"))


# -- verdict scale -------------------------------------------------------------------------


def _verdict_fields(form: dict) -> dict:
    fields = {f: form[f] for f in verdict_service.EDITABLE if f in form}
    # An unticked checkbox sends nothing: absent means "no" on this form.
    fields["needs_source"] = form.get("needs_source", "") != ""
    return fields


@bp.route("/verdicts")
@requires("admin")
def verdicts():
    """Show the verdict scale and its ClaimReview mapping, editable."""
    return _verdicts_page()


@bp.route("/verdicts", methods=["POST"])
@requires("admin")
def create_verdict():
    """Add a verdict to the scale."""
    form = form_dict()
    return attempt(
        lambda db: verdict_service.create_verdict(db, user(), form.get("key", ""),
                                                  _verdict_fields(form)),
        _refused(_verdicts_page, form=form),
        lambda verdict: _done(f"Added the verdict {verdict.label}.", "admin.verdicts"))


@bp.route("/verdicts/<key>", methods=["POST"])
@requires("admin")
def update_verdict(key: str):
    """Save one verdict's label, colour and mapping."""
    form = form_dict()
    return attempt(
        lambda db: verdict_service.update_verdict(db, user(), key, _verdict_fields(form)),
        _refused(_verdicts_page, form=form, key=key),
        lambda verdict: _done(f"Saved the verdict {verdict.label}.", "admin.verdicts"))


@bp.route("/verdicts/<key>/delete", methods=["POST"])
@requires("admin")
def delete_verdict(key: str):
    """Remove a verdict no claim uses."""
    return attempt(lambda db: verdict_service.delete_verdict(db, user(), key),
                   _refused(_verdicts_page),
                   lambda _: _done(f"Removed the verdict {key}.", "admin.verdicts"))


# -- the claim scorer ---------------------------------------------------------------------


@bp.route("/scorer")
@requires("admin")
def scorer():
    """Show whether the desk's retrained scorer is in use, and how the last retraining went."""
    db = get_session()
    return render("admin/scorer.html", decisions=len(learning.decisions(db)),
                  retrained=learning.desk_weights(db) is not None,
                  last=learning.last_retrain(db), minimum=learning.MIN_EXAMPLES,
                  threshold=settings.propose_threshold(db))


@bp.route("/scorer/threshold", methods=["POST"])
@requires("admin")
def set_threshold():
    """Set the calibrated probability a sentence needs to be proposed."""
    value = form_dict().get("threshold", "")
    return attempt(lambda db: settings.set_propose_threshold(db, value),
                   flash_back(url_for("admin.scorer")),
                   lambda number: _done(f"New articles propose sentences scoring {number:g} "
                                        "or more (at most a third of an article).",
                                        "admin.scorer"))


@bp.route("/scorer", methods=["POST"])
@requires("admin")
def retrain():
    """Retrain the claim scorer on the desk's decisions (as `annotator retrain` does)."""
    return attempt(lambda db: learning.retrain_desk(db, user()),
                   flash_back(url_for("admin.scorer")),
                   lambda report: _done(f"Retrained on {report.examples} decisions; the next "
                                        "import uses it.", "admin.scorer"))
