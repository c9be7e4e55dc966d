"""What every view shares: fragment-or-page rendering, the current user, error display."""

from __future__ import annotations

from flask import g, make_response, render_template, request

from annotator.models import User


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
