"""The dashboard: charts drawn as SVG on the server, each with a JSON twin."""

from __future__ import annotations

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for

from annotator import review
from annotator.db import get_session
from annotator.permissions import requires
from annotator.sanitize import bounded_int
from annotator.services import blind, stats
from annotator.web.helpers import user

bp = Blueprint("dashboard", __name__)


def _figures(article_id: int | None) -> dict:
    db = get_session()
    me = user()
    editor = review.role_at_least(me.role, review.EDITOR)
    return {
        "by_state": stats.by_state(db, article_id),
        # Results are the verdicts of approved claims, which blind review never hides;
        # draft verdicts are counted apart, for editors only.
        "by_verdict": stats.by_verdict(db, article_id),
        "draft_verdicts": stats.by_verdict(db, article_id, drafts=True) if editor else [],
        "per_article": stats.per_article(db),
        "reviews_per_week": stats.reviews_per_week(db),
        # Second verdicts are for editors: a reviewer would learn first verdicts from them.
        "agreement": stats.agreement_table(db) if editor else [],
    }


@bp.route("/dashboard")
@requires("read")
def show():
    """Show claims by state and verdict, reviews per week, and reviewer agreement."""
    article = request.args.get("article", "")
    article_id = bounded_int(article, low=1)  # out of range: no such article, all articles
    figures = _figures(article_id)
    if request.args.get("format") == "json":
        def bars(rows):
            return [{"key": b.key, "label": b.label, "count": b.value} for b in rows]
        return jsonify({"article": article_id, "by_state": bars(figures["by_state"]),
                        "by_verdict": bars(figures["by_verdict"]),
                        "draft_verdicts": bars(figures["draft_verdicts"]),
                        "per_article": figures["per_article"],
                        "reviews_per_week": figures["reviews_per_week"],
                        "agreement": figures["agreement"]})
    return render_template("dashboard/show.html", article_id=article_id,
                           blind_default=blind.desk_default(get_session()),
                           can_set=review.may(user().role, "assign"), **figures)


@bp.route("/dashboard/blind-default", methods=["POST"])
@requires("assign")
def blind_default():
    """Switch blind second review on or off for articles imported from now on."""
    db = get_session()
    on = request.form.get("on") == "1"
    blind.set_desk_default(db, user(), on)
    db.commit()
    flash("New articles " + ("get" if on else "no longer get") + " blind second review.", "info")
    return redirect(url_for("dashboard.show"), 303)
