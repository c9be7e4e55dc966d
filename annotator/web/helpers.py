"""What every view shares: fragment-or-page rendering, the current user, error display."""

from __future__ import annotations

from flask import flash, g, make_response, redirect, render_template, request, url_for

from annotator.db import get_session
from annotator.models import User
from annotator.services.errors import Duplicate, ServiceError


def user() -> User:
    """Return the signed-in user the guard let through."""
    return g.user


def is_htmx() -> bool:
    """Tell whether htmx sent this request (and it is not a history restore)."""
    return request.headers.get("HX-Request") == "true" and not request.headers.get(
        "HX-History-Restore-Request"
    )


def render(page: str, partial: str | None = None, status: int = 200, **context):
    """Render the fragment for htmx requests and the full page otherwise."""
    template = partial if partial and is_htmx() else page
    response = make_response(render_template(template, **context), status)
    response.vary.add("HX-Request")
    return response


def form_dict() -> dict:
    """Return the submitted form as a plain dict of strings."""
    return {key: request.form.get(key, "") for key in request.form}


def import_or_form(template: str, form: dict, create):
    """Run an import in the request's transaction and go to the new article.

    On a refusal, show the form again with the reason (and a link to the existing
    article for a duplicate); nothing of the failed import is kept.
    """
    db = get_session()
    try:
        article = create(db)
        db.commit()
    except ServiceError as exc:
        db.rollback()
        duplicate = exc.detail if isinstance(exc, Duplicate) else None
        return render_template(template, form=form, error=exc.message,
                               duplicate=duplicate), exc.status
    flash(f"Imported “{article.title}”.", "info")
    return redirect(url_for("articles.show", article_id=article.id), 303)
