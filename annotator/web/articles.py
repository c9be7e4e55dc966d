"""Articles: the list, import, and the article page with its claims."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from sqlalchemy import func
from sqlmodel import select

from annotator.db import get_session
from annotator.models import Article, Claim
from annotator.services import articles as article_service
from annotator.services import blind, events, spans
from annotator.services import claims as claim_service
from annotator.services.errors import ServiceError
from annotator.web import present
from annotator.web.helpers import form_dict, import_or_form, render, user

bp = Blueprint("articles", __name__)


@bp.route("/")
def index():
    """List articles, newest first, with their claim counts by state."""
    db = get_session()
    rows = db.exec(select(Article).order_by(Article.id.desc())).all()
    counts: dict[int, dict[str, int]] = {}
    for article_id, state, n in db.exec(
        select(Claim.article_id, Claim.state, func.count()).group_by(Claim.article_id, Claim.state)
    ).all():
        counts.setdefault(article_id, {})[state] = n
    return render_template("articles/index.html", articles=rows, counts=counts)


@bp.route("/articles/new")
def new():
    """Show the import form."""
    return render_template("articles/new.html", form={}, error=None, duplicate=None)


@bp.route("/articles", methods=["POST"])
def create():
    """Import an article from pasted text or an uploaded file."""
    form = form_dict()
    req = article_service.ImportRequest(
        text=form.get("text", ""), title=form.get("title", ""), url=form.get("url", ""),
        outlet=form.get("outlet", ""), byline=form.get("byline", ""),
        published=form.get("published", ""), language=form.get("language", ""),
    )

    def create_article(db):
        upload = request.files.get("file")
        chosen = req
        if upload is not None and upload.filename:
            chosen = article_service.request_from_upload(upload.filename, upload.read(), req)
        return article_service.import_article(db, user(), chosen)

    return import_or_form("articles/new.html", form, create_article)


def article_page(article_id: int, claim_id: int | None = None, status: int = 200, **extra):
    """Render the article page, with a claim's panel open when claim_id is given."""
    db = get_session()
    article = article_service.get_article(db, article_id)
    claims = article_service.article_claims(db, article_id)
    context = {"article": article, "claims": claims,
               "hidden": blind.hidden_claim_ids(db, user(), [c.id for c in claims]),
               "paragraphs": present.paragraphs(article.body, claims, article.captions),
               "current_id": claim_id, "claim": None,
               "latest": events.latest_event_id(db, article_id=article_id)}
    if claim_id is not None:
        from annotator.web.claims import panel_context

        context.update(panel_context(claim_service.get_claim(db, claim_id), **extra))
    return render("articles/show.html", status=status, **context)


@bp.route("/articles/<int:article_id>")
def show(article_id: int):
    """Show the article with its claims highlighted."""
    try:
        return article_page(article_id)
    except ServiceError as exc:
        return render_template("error.html", status=exc.status, title="Not found",
                               message=exc.message), exc.status


@bp.route("/articles/<int:article_id>/claims", methods=["POST"])
def add_claim(article_id: int):
    """Make a claim from a span of the article that a person selected."""
    db = get_session()
    form = form_dict()
    try:
        claim = claim_service.create_claim(db, user(), article_id, form.get("start"),
                                           form.get("end"), form.get("statement", ""))
        db.commit()
    except ServiceError as exc:
        db.rollback()
        flash(exc.message, "error")
        return redirect(url_for("articles.show", article_id=article_id), 303)
    return redirect(url_for("claims.show", claim_id=claim.id), 303)


@bp.route("/articles/<int:article_id>/blind", methods=["POST"])
def set_blind(article_id: int):
    """Switch blind second review on or off for this article."""
    db = get_session()
    on = request.form.get("on") == "1"
    blind.set_article_blind(db, user(), article_id, on)
    db.commit()
    flash("Blind second review is " + ("on" if on else "off") + " for this article.", "info")
    return redirect(url_for("articles.show", article_id=article_id), 303)


@bp.route("/articles/<int:article_id>/edit")
def edit(article_id: int):
    """Show the form to correct an article's text."""
    article = article_service.get_article(get_session(), article_id)
    return render_template("articles/edit.html", article=article, body=article.body, error=None)


@bp.route("/articles/<int:article_id>/edit", methods=["POST"])
def correct(article_id: int):
    """Save a corrected text and re-anchor the claims; orphans are reported, never dropped."""
    db = get_session()
    form = form_dict()
    try:
        result = spans.correct_body(db, user(), article_id, form.get("body", ""),
                                    form.get("version"))
        db.commit()
    except ServiceError as exc:
        db.rollback()
        article = article_service.get_article(db, article_id)
        return render_template("articles/edit.html", article=article,
                               body=form.get("body", ""), error=exc.message), exc.status
    flash(f"Text corrected: {result['moved']} claim(s) moved, {result['orphaned']} orphaned.",
          "info")
    return redirect(url_for("articles.show", article_id=article_id), 303)
