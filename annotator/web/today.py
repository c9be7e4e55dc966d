"""The morning list (/today): claims proposed since a time, ranked and grouped, bulk triage."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, request, url_for

from annotator import review
from annotator.db import engine_for, get_session, session_scope
from annotator.exports.people import People
from annotator.permissions import requires
from annotator.services import feeds as feed_service
from annotator.services import pickers, today
from annotator.services import users as user_service
from annotator.services.errors import Invalid
from annotator.web import listing
from annotator.web.helpers import attempt, flash_back, render, user

bp = Blueprint("today", __name__)


def list_answer(flt: today.TodayFilter, seen, **extra):
    """Answer the list in the API's list shape, a page at a time."""
    db = get_session()
    page, per_page, _after = listing.page_args()
    found = today.morning_list(db, flt)
    rows = today.load_page(db, found.rows[(page - 1) * per_page:page * per_page])
    person = People(db)
    return listing.list_json([today.row_document(r, person, seen) for r in rows], found.total,
                             found.exact, page, per_page, None,
                             since=flt.since.isoformat(), **extra)


def _seen_param():
    value = (request.args.get("seen") or "").strip()
    if not value:
        return None
    try:
        return today.parse_since(value)
    except Invalid:
        return None


@bp.route("/today")
@requires("read")
def index():
    """Show the morning list; a full visit remembers when you last looked."""
    db = get_session()
    me = user()
    try:
        flt = today.read_filter(request.args)
    except Invalid as exc:
        abort(400, description=exc.message)
    # The marker stays put while you filter (the form carries it as ?seen=); opening the
    # page afresh moves it to now.
    seen = _seen_param()
    if seen is None and "seen" not in request.args:
        seen = today.last_seen(db, me)
        if request.args.get("format") != "json":
            with session_scope(engine_for(current_app)) as writer:
                today.mark_seen(writer, user_service.user_or_none(writer, me.id))
    if request.args.get("format") == "json":
        return list_answer(flt, seen, last_seen=seen.isoformat() if seen else None)
    page, per_page, _after = listing.page_args()
    found = today.morning_list(db, flt)
    rows = today.load_page(db, found.rows[(page - 1) * per_page:page * per_page])
    outlets, languages = today.outlets_and_languages(db)
    feeds = feed_service.list_feeds(db)
    reviewers = pickers.reviewers(db, limit=listing.PICK_LIMIT * 5)
    return render("today/index.html", "today/_list.html", rows=rows, flt=flt, seen=seen,
                  total_text=listing.total_label(found.total, found.exact),
                  new_count=sum(1 for r in found.rows
                                if seen is not None and r.lead.created_at > seen),
                  pager=listing.pager("today.index", page,
                                      len(found.rows) > page * per_page, None),
                  outlets=outlets, languages=languages, feeds=feeds, reviewers=reviewers,
                  can_assign=review.may(me.role, "assign"),
                  can_triage=review.may(me.role, "review"),
                  since_value=flt.since.strftime("%Y-%m-%dT%H:%M"),
                  seen_value=seen.isoformat() if seen else "")


@bp.route("/today/act", methods=["POST"])
@requires("review")
def act():
    """Accept, assign or dismiss the ticked rows of the list."""
    back = request.form.get("back") or url_for("today.index")
    if not back.startswith("/today"):
        back = url_for("today.index")
    try:
        rows = [[int(x) for x in value.split(",") if x.strip()]
                for value in request.form.getlist("claim")]
        assignee = (request.form.get("assignee") or "").strip()
        assignee_id = int(assignee) if assignee else None
    except ValueError:
        flash("The form sent something that is not a claim or a person.", "error")
        return redirect(back, 303)
    action = request.form.get("action", "")

    def done(result):
        verb = {"accept": "Accepted", "assign": "Assigned", "dismiss": "Dismissed"}[action]
        skipped = (f"; {result['skipped']} skipped (someone acted on them meanwhile)"
                   if result["skipped"] else "")
        flash(f"{verb} {result['rows']} row(s){skipped}.", "info")
        return redirect(back, 303)

    return attempt(lambda db: today.act(db, user(), action, rows, assignee_id),
                   flash_back(back), done)

