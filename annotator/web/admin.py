"""Administration: users, API tokens and the verdict scale. Every route needs "admin".

Forms work without JavaScript: a POST answers 303 back to its page with a flash message,
or re-renders the page with the error and the status the service gave. The users and tokens
lists read one bounded page (``annotator.web.listing``) and have JSON twins (``?format=json``).
"""

from __future__ import annotations

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for

from annotator import review
from annotator.db import get_session
from annotator.models import User
from annotator.permissions import requires
from annotator.presenters import iso
from annotator.services import jobs, learning, params, settings
from annotator.services import users as user_service
from annotator.services import verdicts as verdict_service
from annotator.services.errors import Invalid, NotFound, ServiceError
from annotator.web import listing
from annotator.web.helpers import attempt, field_of, flash_back, form_dict, render, user

bp = Blueprint("admin", __name__, url_prefix="/admin")
# The users list's ?status= filter.
STATUSES = {"active": True, "deactivated": False}


def _done(message: str, endpoint: str, **values):
    flash(message, "info")
    return redirect(url_for(endpoint, **values), 303)


def _listed_users() -> user_service.Page:
    """Read the page of users the query string asks for (?q=, ?status=, paging)."""
    page, per_page, after = listing.page_args()
    return user_service.page_users(
        get_session(), request.args.get("q", "").strip()[:64],
        STATUSES.get(request.args.get("status", "")), page=page, per_page=per_page, after=after)


def _listed_tokens(owner: User | None = None) -> user_service.Page:
    page, per_page, after = listing.page_args()
    return user_service.page_tokens(get_session(), owner, page=page, per_page=per_page,
                                    after=after)


def _listed(found: user_service.Page, endpoint: str, **values) -> dict:
    """Return what a list template shows besides its rows: the total and the pager."""
    return {"total_text": listing.total_label(found.total, found.total_exact),
            "pager": listing.pager(endpoint, found.page, found.next_cursor is not None,
                                   found.next_cursor, **values)}


def _users_page(status: int = 200, error: str | None = None, form: dict | None = None,
                field: str | None = None, partial: str | None = None):
    found = _listed_users()
    return render("admin/users.html", partial, status=status, error=error, form=form or {},
                  field=field, people=found.rows, roles=review.ROLES, q=request.args.get("q", ""),
                  shown=request.args.get("status", ""), **_listed(found, "admin.users"))


def _user_page(user_id: int, status: int = 200, error: str | None = None,
               secret: str | None = None, form: dict | None = None, field: str | None = None):
    db = get_session()
    person = user_service.get_user(db, user_id)
    found = _listed_tokens(person)
    response = render("admin/user.html", status=status, error=error, person=person,
                      roles=review.ROLES, tokens=found.rows,
                      token_status=user_service.token_status, secret=secret,
                      form=form or {}, field=field,
                      **_listed(found, "admin.user_detail", user_id=user_id))
    if secret:
        response.headers["Cache-Control"] = "no-store"
    return response


def _tokens_page(status: int = 200, error: str | None = None, secret: str | None = None,
                 form: dict | None = None, field: str | None = None):
    found = _listed_tokens()
    response = render("admin/tokens.html", status=status, error=error, secret=secret,
                      form=form or {}, field=field, tokens=found.rows,
                      token_status=user_service.token_status, **_listed(found, "admin.tokens"))
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
    """List users a page at a time, by username, with the form to add one.

    ``?q=`` keeps names starting with the text, ``?status=active|deactivated`` one state;
    htmx (the search-as-you-type field) gets the list fragment alone.
    """
    if request.args.get("format") == "json":
        found = _listed_users()
        return listing.list_json(
            [{"id": p.id, "username": p.username, "display_name": p.display_name,
              "role": p.role, "active": p.active} for p in found.rows],
            found.total, found.total_exact, found.page, found.per_page, found.next_cursor)
    return _users_page(partial="admin/_users.html")


@bp.route("/pick/users")
@requires("admin")
def pick_users():
    """Suggest up to 20 active users whose name starts with the typed text (token owners)."""
    text = (request.args.get("q") or request.args.get("username") or "").strip()[:64]
    found = user_service.page_users(get_session(), text, True, per_page=listing.PICK_LIMIT)
    items = [{"id": p.id, "title": f"{p.display_name or p.username} ({p.role})",
              "username": p.username} for p in found.rows]
    if request.args.get("format") == "json":
        return jsonify({"items": items, "total": len(items)})
    return render_template("work/_pick_options.html", items=items, by="username")


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
        if isinstance(exc, NotFound) or user_service.user_or_none(get_session(), user_id) is None:
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
    """List every user's API tokens, newest first, a page at a time, with the form to make one."""
    if request.args.get("format") == "json":
        found = _listed_tokens()
        return listing.list_json(
            [{"id": t.id, "name": t.name, "user_id": owner.id, "user": owner.username,
              "status": user_service.token_status(t), "created_at": iso(t.created_at),
              "expires_at": iso(t.expires_at), "last_used_at": iso(t.last_used_at),
              "revoked_at": iso(t.revoked_at)} for t, owner in found.rows],
            found.total, found.total_exact, found.page, found.per_page, found.next_cursor)
    return _tokens_page()


@bp.route("/tokens", methods=["POST"])
@requires("admin")
def create_token():
    """Make a token for a user and show its secret once."""
    form = form_dict()

    def make(db):
        # The user page sends the id; the tokens page a username typed (or picked).
        name = form.get("username", "").strip()
        if name and not form.get("user_id"):
            owner = user_service.user_by_name(db, name)
            if owner is None:
                raise Invalid(f"No user called {name!r}.", field="username")
        else:
            owner_id = params.row_id(form, "user_id")
            if owner_id is None:
                raise Invalid("Choose whose token this is.", field="user_id")
            owner = user_service.get_user(db, owner_id)
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
    return render("admin/scorer.html", decisions=learning.decision_count(db),
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
    """Queue a retraining of the claim scorer on the desk's decisions (issue 21: a worker
    does it, as `annotator retrain` does)."""
    return attempt(lambda db: jobs.create_retrain_job(db, user()),
                   flash_back(url_for("admin.scorer")), _retrain_queued)


def _retrain_queued(job):
    jobs.enqueue_job(job.id)
    found = jobs.get_job(get_session(), user(), job.id)
    get_session().refresh(found)
    if found.status == "done":  # a worker (or the queue's immediate mode) was quick
        return _done(f"Retrained on {found.result.get('examples')} decisions; the next "
                     "import uses it.", "admin.scorer")
    return _done("Retraining is queued; a worker does it and the next import uses it "
                 f"(job {job.id}).", "admin.scorer")
