"""Finding and sharing work: the filtered claims list, bulk assignment, my queue, activity."""

from __future__ import annotations

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for

from annotator import review
from annotator.db import get_session
from annotator.permissions import requires
from annotator.services import (
    articles,
    assignment,
    blind,
    documents,
    events,
    params,
    pickers,
    queries,
    search,
)
from annotator.services import queue as queue_service
from annotator.services import users as user_service
from annotator.services.errors import Invalid
from annotator.services.verdicts import list_verdicts
from annotator.web import listing
from annotator.web.helpers import attempt, flash_back, render, user

bp = Blueprint("work", __name__)


def _filters(args=None, assignee_key: str = "assignee") -> queries.ClaimFilter:
    """Read the claim filters from the query string (or the bulk-assign form's copy)."""
    return queries.claim_filter(request.args if args is None else args, assignee_key)


@bp.route("/claims")
@requires("read")
def claim_list():
    """List claims by state, verdict, assignee, article and text; the URL is shareable."""
    db = get_session()
    filters = _filters()
    page, per_page, after = listing.page_args()
    if request.args.get("format") == "json":
        # The twin is GET /api/v1/claims's list: the same items, fields and formats.
        items, found = documents.claim_list(db, user(), filters, page=page, per_page=per_page,
                                            after=after)
        return listing.list_json(items, found.total, found.total_exact, page, found.per_page,
                                 found.next_cursor, sort=found.sort)
    found = queries.find_claims(db, filters, user(), page=page, per_page=per_page, after=after)
    rows = found.rows
    hidden = blind.hidden_claim_ids(db, user(), [c.id for c, _ in rows])
    ids = {c.assignee_id for c, _ in rows} | {c.submitted_by_id for c, _ in rows}
    people = events.people_by_id(db, ids)
    article_title = ("" if filters.article_id is None
                     else pickers.article_title(db, filters.article_id))
    return render_template(
        "work/claims.html", rows=rows, total=found.total, total_exact=found.total_exact,
        total_text=listing.total_label(found.total, found.total_exact), page=page,
        pager=listing.pager("work.claim_list", page, found.has_next, found.next_cursor),
        filters=filters, sort=found.sort, people=people, states=review.STATES, hidden=hidden,
        snippets=found.snippets,
        in_statement={c.id for c, _ in rows if c.id in found.snippets
                      and search.statement_matches(c, filters.parsed())},
        article_value=request.args.get("article", "").strip()[:200],
        article_title=article_title,
        verdicts=list_verdicts(db),
        reviewers=pickers.reviewers(db, limit=listing.PICK_LIMIT * 5),
        can_assign=review.may(user().role, "assign"))


@bp.route("/claims/bulk-assign", methods=["POST"])
@requires("assign")
def bulk_assign():
    """Assign the ticked claims round-robin among the chosen reviewers."""
    back = request.form.get("back") or url_for("work.claim_list")
    if not back.startswith("/claims"):
        back = url_for("work.claim_list")
    try:
        assignee_ids = params.row_ids(request.form.getlist("assignee"), "assignee")
        claim_ids = (None if request.form.get("scope") == "filter"
                     else params.row_ids(request.form.getlist("claim"), "claim"))
    except Invalid:
        flash("The form sent something that is not a claim or a person.", "error")
        return redirect(back, 303)

    def run(db):
        # "filter": every claim the shared filter matches, not only the ticked ones.
        ids = claim_ids if claim_ids is not None else queries.matching_ids(
            db, _filters(request.form, "assignee_filter"), user())
        return assignment.bulk_assign(db, user(), ids, assignee_ids)

    def done(assigned):
        flash(f"Assigned {len(assigned)} claim(s).", "info")
        return redirect(back, 303)

    return attempt(run, flash_back(back), done)


@bp.route("/queue")
@requires("read")
def queue():
    """Show my queue: assigned, waiting for my approval, returned to me, mentions."""
    db = get_session()
    me = user()
    q = queue_service.queue_for(db, me)
    shown = [c.id for c in (*q.assigned, *q.returned, *q.waiting_approval)]
    hidden = blind.hidden_claim_ids(db, me, shown + [c.id for _, c in q.mentions])
    if request.args.get("format") == "json":
        def ids(claims):
            # The API's claim, field for field (GET /api/v1/claims), blind review applied.
            return documents.present_claims(db, me, claims)
        asked = events.change_requests(db, [c.id for c in q.returned])
        return jsonify({"assigned": ids(q.assigned), "waiting_approval": ids(q.waiting_approval),
                        "returned": [{**row, "comment": asked[row["id"]][0].comment
                                      if row["id"] in asked else None}
                                     for row in ids(q.returned)],
                        "mentions": [{"note": n.id, "claim": c.id} for n, c in q.mentions],
                        "counts": {k: n for k, (n, _exact) in q.counts.items()},
                        "counts_exact": {k: e for k, (_n, e) in q.counts.items()}})
    people = user_service.everyone_by_id(db)
    return render_template("work/queue.html", q=q, people=people, hidden=hidden,
                           requests=events.change_requests(db, [c.id for c in q.returned]),
                           can_approve=review.may(me.role, "assign"))


@bp.route("/queue/<section>")
@requires("read")
def queue_section(section: str):
    """Show every row of one queue section, a page at a time."""
    if section not in queue_service.QUEUE_SECTIONS:
        abort(404)
    db = get_session()
    me = user()
    page, per_page, _after = listing.page_args()
    rows, total, exact = queue_service.queue_section(db, me, section, limit=per_page + 1,
                                               offset=(page - 1) * per_page)
    has_next = len(rows) > per_page
    rows = rows[:per_page]
    claims = [r[1] for r in rows] if section == "mentions" else rows
    hidden = blind.hidden_claim_ids(db, me, [c.id for c in claims])
    if request.args.get("format") == "json":
        return listing.list_json(
            [{**item, **({"note": r[0].id} if section == "mentions" else {})}
             for r, item in zip(rows, documents.present_claims(db, me, claims), strict=True)],
            total, exact, page, per_page, None, section=section)
    ids = {c.submitted_by_id for c in claims} | {r[0].author_id for r in rows
                                                 if section == "mentions"}
    people = events.people_by_id(db, ids)
    return render_template("work/queue_section.html", section=section, rows=rows,
                           claims=claims, people=people, hidden=hidden,
                           article_titles=queue_service.article_titles(
                               db, [c.article_id for c in claims]),
                           total_text=listing.total_label(total, exact),
                           pager=listing.pager("work.queue_section", page, has_next, None,
                                               section=section))


@bp.route("/articles/<int:article_id>/activity")
@requires("read")
def activity(article_id: int):
    """Show an article's activity feed."""
    db = get_session()
    article = articles.get_article(db, article_id)
    events = queries.article_activity(db, article_id, limit=queries.ACTIVITY_PAGE + 1,
                                      before=params.row_id(request.args, "before"))
    older = None
    if len(events) > queries.ACTIVITY_PAGE:
        events = events[:queries.ACTIVITY_PAGE]
        older = url_for("work.activity", article_id=article_id, before=events[-1][0].id)
    hidden = blind.hidden_claim_ids(db, user(), [c.id for _, _, c in events if c])
    events = [(blind.redacted_event(e) if c and c.id in hidden else e, who, c)
              for e, who, c in events]
    return render("work/activity.html", "work/_activity.html", article=article, events=events,
                  older=older)
