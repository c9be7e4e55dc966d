"""What every view shares: fragment-or-page rendering, the current user, the one write path.

htmx goes through flask-htmx only: ``is_htmx`` asks its request object, and ``hx_response``
is its response helper (redirect, retarget, reswap, trigger, push URL). The ``Vary`` header
for htmx requests is added once, for every response, by the app factory.
"""

from __future__ import annotations

from flask import current_app, flash, g, redirect, render_template, request, url_for
from flask import make_response as flask_response
from flask_htmx import make_response as hx_response

from annotator.db import engine_for, get_session
from annotator.models import Job, User
from annotator.services import jobs
from annotator.services.errors import Duplicate, ServiceError

__all__ = ["attempt", "flash_back", "form_dict", "hx_response", "import_or_form", "is_htmx",
           "render", "user"]


def user() -> User:
    """Return the signed-in user the guard let through."""
    return g.user


def is_htmx() -> bool:
    """Tell whether htmx sent this request (and it is not a history restore)."""
    hx = current_app.htmx
    return bool(hx) and not hx.history_restore_request


def render(page: str, partial: str | None = None, status: int = 200, **context):
    """Render the fragment for htmx requests and the full page otherwise."""
    template = partial if partial and is_htmx() else page
    return flask_response(render_template(template, **context), status)


def form_dict() -> dict:
    """Return the submitted form as a plain dict of strings."""
    return {key: request.form.get(key, "") for key in request.form}


def attempt(action, refused, done=None):
    """Run ``action(db)`` in the request's transaction and commit it.

    This is the one place the HTML views catch a ``ServiceError``: the transaction is rolled
    back and ``refused(exc)`` answers, typically the form again with what was typed and the
    message beside the field. Otherwise ``done(result)`` answers (or the result itself).
    Errors no form can show (a missing page) reach the app's handler by raising from
    ``refused``.
    """
    db = get_session()
    try:
        result = action(db)
        db.commit()
    except ServiceError as exc:
        db.rollback()
        return refused(exc)
    return done(result) if done else result


def flash_back(url: str):
    """Return a refusal answer for forms with nothing to keep: flash the reason, go back."""
    def refused(exc: ServiceError):
        flash(exc.message, "error")
        return redirect(url, 303)
    return refused


def field_of(exc: ServiceError) -> str | None:
    """Name the form field a refusal is about, when the service said so."""
    return getattr(exc, "field", None)


def import_or_form(template: str, form: dict, create):
    """Run an import in the request's transaction and go to the new article (or, when the
    import was queued as a job, to the job's page).

    On a refusal, show the form again with what was typed and the reason (and a link to the
    existing article for a duplicate); nothing of the failed import is kept.
    """
    def refused(exc: ServiceError):
        duplicate = exc.detail if isinstance(exc, Duplicate) else None
        return render_template(template, form=form, error=exc.message, field=field_of(exc),
                               duplicate=duplicate), exc.status

    def done(article):
        if isinstance(article, Job):  # a long article: the worker imports it (issue 19)
            jobs.enqueue_job(article.id)
            flash("This article is long, so a worker imports it; this page shows when it is "
                  "in.", "info")
            return redirect(url_for("exchange.job", job_id=article.id), 303)
        jobs.mark_after_import(engine_for(current_app), article.id,
                               current_app.config["CHECKED_BEFORE_JOBS"])
        flash(f"Imported “{article.title}”.", "info")
        return redirect(url_for("articles.show", article_id=article.id), 303)

    return attempt(create, refused, done)
