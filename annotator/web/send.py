"""Send to the desk from any page: the bookmarklet, its plain-link form, and the import."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for

from annotator.db import engine_for, get_session
from annotator.permissions import requires
from annotator.services import articles as article_service
from annotator.services import fetch, jobs, send
from annotator.services.errors import Duplicate, ServiceError
from annotator.web.helpers import form_dict, user

bp = Blueprint("send", __name__)


def _form(status: int = 200, error: str | None = None, form: dict | None = None):
    values = form if form is not None else {k: request.args.get(k, "")[:send.MAX_QUOTE]
                                            for k in ("url", "quote", "title")}
    return render_template("send/form.html", form=values, error=error), status


@bp.get("/send")
@requires("import")
def form():
    """Show the import form filled from ?url=&quote=&title= (the bookmarklet opens it)."""
    return _form()


@bp.get("/send/bookmarklet")
@requires("import")
def bookmarklet():
    """Offer the bookmarklet, to drag to the browser's bookmarks bar."""
    return render_template("send/bookmarklet.html",
                           target=url_for("send.form", _external=True))


@bp.post("/send")
@requires("import")
def submit():
    """Import the page at the URL, make the selected text a claim, and open it."""
    values = form_dict()
    url = values.get("url", "").strip()
    if not url:
        return _form(400, "Give the page's address.", values)
    db = get_session()
    try:
        # No transaction (and no SQLite write lock) across the network: fetch first.
        db.rollback()
        page = fetch.fetch_page(url, fetch.FetchSettings.from_config(current_app.config))
        try:
            article = article_service.import_page(db, user(), page, title=values.get("title", ""))
        except Duplicate as exc:
            db.rollback()
            article = article_service.article_or_none(db, exc.detail)
            if article is None:
                raise
        claim = send.claim_from_quote(db, user(), article, values.get("quote", ""))
        db.commit()
        jobs.mark_after_import(engine_for(current_app), article.id,
                               current_app.config["CHECKED_BEFORE_JOBS"])
    except ServiceError as exc:
        db.rollback()
        return _form(exc.status, exc.message, values)
    if claim is None:
        if values.get("quote", "").strip():
            flash("The selected text is not in the article's cleaned text: select it here to "
                  "make it a claim.", "error")
        return redirect(url_for("articles.show", article_id=article.id), 303)
    return redirect(url_for("claims.show", claim_id=claim.id), 303)
