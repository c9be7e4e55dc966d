"""Feeds: the list with each feed's last poll, status, new items and errors; add, switch."""

from __future__ import annotations

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for

from annotator import review
from annotator.db import get_session
from annotator.permissions import requires
from annotator.presenters import iso
from annotator.services import feeds as feed_service
from annotator.services.errors import Duplicate, ServiceError
from annotator.web.helpers import attempt, flash_back, form_dict, user

bp = Blueprint("feeds", __name__)


def feed_json(feed, counts: dict | None = None) -> dict:
    """Return one feed as the JSON twin shows it."""
    return {"id": feed.id, "url": feed.url, "outlet": feed.outlet, "language": feed.language,
            "active": feed.active, "status": feed.status, "error": feed.error or None,
            "failures": feed.failures, "last_polled_at": iso(feed.last_polled_at),
            "next_poll_at": iso(feed.next_poll_at), "last_new": feed.last_new,
            "version": feed.version, **({"items": counts} if counts is not None else {})}


def _page(form: dict | None = None, error: str | None = None, field: str | None = None,
          status: int = 200):
    db = get_session()
    rows = feed_service.list_feeds(db)
    counts = feed_service.item_counts(db, [f.id for f in rows])
    if request.args.get("format") == "json":
        return jsonify({"items": [feed_json(f, counts[f.id]) for f in rows],
                        "total": len(rows)})
    return render_template("feeds/index.html", feeds=rows, counts=counts, form=form or {},
                           error=error, field=field,
                           can_edit=review.may(user().role, "import")), status


@bp.route("/feeds")
@requires("read")
def index():
    """List the feeds with their last poll, status, new items and errors."""
    return _page()


@bp.route("/feeds", methods=["POST"])
@requires("import")
def create():
    """Add a feed (not polled now: the queue polls it at its next round)."""
    form = form_dict()

    def refused(exc: ServiceError):
        if isinstance(exc, Duplicate):
            return _page(form, exc.message, "url", exc.status)
        return _page(form, exc.message, exc.field, exc.status)

    def done(feed):
        flash(f"Feed {feed.id} added for {feed.outlet}; it is read at the next poll.", "info")
        return redirect(url_for("feeds.index"), 303)

    return attempt(lambda db: feed_service.add_feed(
        db, user(), form.get("url", ""), form.get("outlet", ""), form.get("language", "")),
        refused, done)


@bp.route("/feeds/<int:feed_id>")
@requires("read")
def show(feed_id: int):
    """Show one feed and its latest items, with the reason of each error."""
    db = get_session()
    feed = feed_service.get_feed(db, feed_id)
    items = feed_service.recent_items(db, feed_id, limit=50)
    if request.args.get("format") == "json":
        return jsonify({**feed_json(feed, feed_service.item_counts(db, [feed_id])[feed_id]),
                        "recent": [{"id": i.id, "url": i.url, "title": i.title,
                                    "status": i.status, "error": i.error or None,
                                    "article": i.article_id, "at": iso(i.created_at)}
                                   for i in items]})
    return render_template("feeds/show.html", feed=feed, items=items,
                           can_edit=review.may(user().role, "import"))


@bp.route("/feeds/<int:feed_id>/active", methods=["POST"])
@requires("import")
def set_active(feed_id: int):
    """Switch a feed on or off."""
    on = request.form.get("on") == "1"
    back = url_for("feeds.show", feed_id=feed_id)

    def done(feed):
        flash(f"Feed {feed.id} is {'on' if feed.active else 'off'}.", "info")
        return redirect(back, 303)

    return attempt(lambda db: feed_service.set_active(db, user(), feed_id, on,
                                                      request.form.get("version", "")),
                   flash_back(back), done)
