"""Articles: the list, import, and the article page with its claims."""

from __future__ import annotations

from contextlib import closing

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for

from annotator.db import engine_for, get_session, new_session
from annotator.permissions import requires
from annotator.services import article_jobs, blind, queries, spans
from annotator.services import articles as article_service
from annotator.services import claims as claim_service
from annotator.services.errors import ServiceError
from annotator.web import listing
from annotator.web.helpers import attempt, flash_back, form_dict, import_or_form, user
from annotator.web.workspace import article_page

bp = Blueprint("articles", __name__)


@bp.route("/")
@requires("read")
def index():
    """List articles, newest first, a page at a time, with their claim counts by state."""
    page, per_page, after = listing.page_args()
    rows, total, exact, cursor = queries.list_articles(get_session(), page=page,
                                                        per_page=per_page, after=after)
    if request.args.get("format") == "json":
        return listing.list_json(
            [{"id": a.id, "title": a.title, "outlet": a.outlet,
              "published": a.published.isoformat() if a.published else None,
              "claims": a.counts} for a in rows], total, exact, page, per_page, cursor)
    return render_template("articles/index.html", articles=rows,
                           total_text=listing.total_label(total, exact),
                           pager=listing.pager("articles.index", page, cursor is not None,
                                               cursor))


@bp.route("/articles")
@requires("read")
def list_at_its_name():
    """``/articles`` typed or bookmarked: the list is the home page (its query kept)."""
    return redirect(url_for("articles.index", **request.args.to_dict(flat=False)), 302)


@bp.route("/articles/new")
@requires("import")
def new():
    """Show the import form."""
    return render_template("articles/new.html", form={}, error=None, duplicate=None)


@bp.route("/articles", methods=["POST"])
@requires("import")
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
        return article_jobs.import_or_queue(db, user(), chosen,
                                            current_app.config["IMPORT_QUEUE_BYTES"])

    return import_or_form("articles/new.html", form, create_article)


@bp.route("/articles/<int:article_id>")
@requires("read")
def show(article_id: int):
    """Show the article with its claims highlighted."""
    return article_page(article_id)


@bp.route("/articles/<int:article_id>/claims", methods=["POST"])
@requires("review")
def add_claim(article_id: int):
    """Make a claim from a span of the article that a person selected."""
    form = form_dict()
    return attempt(
        lambda db: claim_service.create_claim(db, user(), article_id, form.get("start"),
                                              form.get("end"), form.get("statement", "")),
        flash_back(url_for("articles.show", article_id=article_id)),
        lambda claim: redirect(url_for("claims.show", claim_id=claim.id), 303))


@bp.route("/articles/<int:article_id>/cleaned/<int:index>/restore", methods=["POST"])
@requires("import")
def restore_line(article_id: int, index: int):
    """Put a line the cleaner removed back into the text; the claims re-anchor (issue 20)."""
    from annotator.services import rewrite as rewrite_service

    back = url_for("articles.show", article_id=article_id)

    def done(result):
        flash(f"Line restored: {result['moved']} claim(s) moved, {result['orphaned']} "
              "orphaned.", "info")
        return redirect(back, 303)

    return attempt(lambda db: rewrite_service.restore_line(
        db, user(), article_id, index, request.form.get("version")), flash_back(back), done)


@bp.route("/articles/<int:article_id>/blind", methods=["POST"])
@requires("assign")
def set_blind(article_id: int):
    """Switch blind second review on or off for this article."""
    db = get_session()
    on = request.form.get("on") == "1"
    blind.set_article_blind(db, user(), article_id, on)
    db.commit()
    flash("Blind second review is " + ("on" if on else "off") + " for this article.", "info")
    return redirect(url_for("articles.show", article_id=article_id), 303)


@bp.route("/articles/<int:article_id>/edit")
@requires("import")
def edit(article_id: int):
    """Show the form to correct an article's text."""
    article = article_service.get_article(get_session(), article_id)
    return render_template("articles/edit.html", article=article, body=article.body, error=None)


@bp.route("/articles/<int:article_id>/edit", methods=["POST"])
@requires("import")
def correct(article_id: int):
    """Save a corrected text and re-anchor the claims; orphans are reported, never dropped."""
    form = form_dict()

    def refused(exc: ServiceError):
        article = article_service.get_article(get_session(), article_id)
        return render_template("articles/edit.html", article=article,
                               body=form.get("body", ""), error=exc.message), exc.status

    def done(result):
        flash(f"Text corrected: {result['moved']} claim(s) moved, {result['orphaned']} "
              "orphaned.", "info")
        return redirect(url_for("articles.show", article_id=article_id), 303)

    def run(db):
        me = user()
        actor = claim_service.actor_of(me)
        # Re-anchoring takes a while on a long text: work it out on a read session with
        # no write lock held, then write it in one short transaction.
        db.rollback()
        with closing(new_session(engine_for(current_app))) as reader:
            plan = spans.plan_correction(reader, actor, article_id, form.get("body", ""),
                                         form.get("version"))
        return spans.apply_correction(db, me, plan)

    return attempt(run, refused, done)
