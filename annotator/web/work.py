"""Finding and sharing work: the filtered claims list, bulk assignment, my queue, activity."""

from __future__ import annotations

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from sqlmodel import select

from annotator import review
from annotator.db import get_session
from annotator.models import Article, User, Verdict
from annotator.services import assignment, blind, queries
from annotator.services.errors import ServiceError
from annotator.web.helpers import render, user

bp = Blueprint("work", __name__)
PAGE = 100


def _filters(args=None, assignee_key: str = "assignee") -> queries.ClaimFilter:
    """Read the claim filters from the query string (or the bulk-assign form's copy)."""
    args = request.args if args is None else args
    article = args.get("article", "").strip()
    return queries.ClaimFilter(
        states=[s for s in args.getlist("state") if s in review.STATES],
        verdicts=[v for v in args.getlist("verdict") if v],
        assignee=args.get(assignee_key, "").strip(),
        article_id=int(article) if article.isdigit() else None,
        q=args.get("q", "").strip()[:200],
    )


def _page() -> int:
    value = request.args.get("page", "1")
    return max(1, int(value)) if value.isdigit() else 1


@bp.route("/claims")
def claim_list():
    """List claims by state, verdict, assignee, article and text; the URL is shareable."""
    db = get_session()
    filters = _filters()
    page = _page()
    rows, total = queries.find_claims(db, filters, user(), limit=PAGE, offset=(page - 1) * PAGE)
    hidden = blind.hidden_claim_ids(db, user(), [c.id for c, _ in rows])
    if hidden and (filters.verdicts or filters.q):
        # A verdict filter or a search of conclusions would reveal what blind review hides.
        rows = [(c, a) for c, a in rows if c.id not in hidden]
    people = {u.id: u for u in db.exec(select(User)).all()}
    if request.args.get("format") == "json":
        return jsonify({"total": total, "page": page, "items": [{
            "id": c.id, "article_id": a.id, "article": a.title, "statement": c.statement,
            "state": c.state, "verdict": None if c.id in hidden else c.verdict,
            "assignee": people[c.assignee_id].username if c.assignee_id else None,
        } for c, a in rows]})
    args = request.args.to_dict(flat=False)
    page_urls = [(p, url_for("work.claim_list", **{**args, "page": p}))
                 for p in range(1, -(-total // PAGE) + 1)]
    return render_template(
        "work/claims.html", rows=rows, total=total, page=page, page_urls=page_urls,
        filters=filters, people=people, states=review.STATES, hidden=hidden,
        verdicts=db.exec(select(Verdict).order_by(Verdict.position)).all(),
        articles=db.exec(select(Article.id, Article.title).order_by(Article.id.desc())).all(),
        reviewers=[u for u in people.values()
                   if u.active and review.role_at_least(u.role, review.REVIEWER)],
        can_assign=review.may(user().role, "assign"))


@bp.route("/claims/bulk-assign", methods=["POST"])
def bulk_assign():
    """Assign the ticked claims round-robin among the chosen reviewers."""
    db = get_session()
    back = request.form.get("back") or url_for("work.claim_list")
    if not back.startswith("/claims"):
        back = url_for("work.claim_list")
    try:
        assignee_ids = [int(x) for x in request.form.getlist("assignee")]
        if request.form.get("scope") == "filter":
            # Every claim the shared filter matches, not only the ticked ones on this page.
            claim_ids = queries.matching_ids(db, _filters(request.form, "assignee_filter"), user())
        else:
            claim_ids = [int(x) for x in request.form.getlist("claim")]
        done = assignment.bulk_assign(db, user(), claim_ids, assignee_ids)
        db.commit()
    except ValueError:
        db.rollback()
        flash("The form sent something that is not a claim or a person.", "error")
        return redirect(back, 303)
    except ServiceError as exc:
        db.rollback()
        flash(exc.message, "error")
        return redirect(back, 303)
    flash(f"Assigned {len(done)} claim(s).", "info")
    return redirect(back, 303)


@bp.route("/queue")
def queue():
    """Show my queue: assigned, waiting for my approval, returned to me, mentions."""
    db = get_session()
    me = user()
    q = queries.queue_for(db, me)
    shown = [c.id for c in (*q.assigned, *q.returned, *q.waiting_approval)]
    hidden = blind.hidden_claim_ids(db, me, shown + [c.id for _, c in q.mentions])
    if request.args.get("format") == "json":
        def ids(claims):
            return [{"id": c.id, "statement": c.statement, "state": c.state} for c in claims]
        return jsonify({"assigned": ids(q.assigned), "waiting_approval": ids(q.waiting_approval),
                        "returned": ids(q.returned),
                        "mentions": [{"note": n.id, "claim": c.id} for n, c in q.mentions]})
    people = {u.id: u for u in db.exec(select(User)).all()}
    return render_template("work/queue.html", q=q, people=people, hidden=hidden)


@bp.route("/articles/<int:article_id>/activity")
def activity(article_id: int):
    """Show an article's activity feed."""
    db = get_session()
    from annotator.services.articles import get_article

    article = get_article(db, article_id)
    events = queries.article_activity(db, article_id)
    hidden = blind.hidden_claim_ids(db, user(), [c.id for _, _, c in events if c])
    events = [(blind.redacted_event(e) if c and c.id in hidden else e, who, c)
              for e, who, c in events]
    return render("work/activity.html", "work/_activity.html", article=article, events=events)
