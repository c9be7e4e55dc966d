"""The claim panel: edit, sources, notes, workflow actions. Each POST answers with the panel."""

from __future__ import annotations

from flask import Blueprint, flash, make_response, redirect, url_for
from sqlmodel import select

from annotator import review
from annotator.db import get_session
from annotator.models import Article, Claim, Note, Source, User, Verdict
from annotator.services import blind, events, spans
from annotator.services import claims as claim_service
from annotator.services.errors import Conflict, Invalid, ServiceError
from annotator.web.helpers import form_dict, is_htmx, render, user

bp = Blueprint("claims", __name__)


def panel_context(claim: Claim, *, error: str | None = None, conflict: dict | None = None,
                  draft: dict | None = None) -> dict:
    """Gather everything the claim panel shows."""
    db = get_session()
    me = user()
    people = {u.id: u for u in db.exec(select(User)).all()}
    article = db.get(Article, claim.article_id)
    blinded = claim.id in blind.hidden_claim_ids(db, me, [claim.id])
    history = events.claim_history(db, claim.id)
    can_edit_now = claim_service.can_edit(db, claim, me)
    if blinded:
        history = [(blind.redacted_event(e), actor) for e, actor in history]
    return {
        "claim": claim,
        "sources": db.exec(select(Source).where(Source.claim_id == claim.id)
                           .order_by(Source.id)).all(),
        "notes": db.exec(select(Note).where(Note.claim_id == claim.id).order_by(Note.id)).all(),
        "history": history,
        "blinded": blinded,
        "hidden": {claim.id} if blinded else set(),
        "blind_article": article.blind_review,
        "may_record_blind": review.may_record_blind(
            article_blind=article.blind_review, state=claim.state,
            actor=claim_service.actor_of(me), assignee_id=claim.assignee_id,
            submitted_by_id=claim.submitted_by_id) and not any(
                r.reviewer_id == me.id for r, _ in blind.reviews_of(db, claim.id)),
        "blind_reviews": (blind.reviews_of(db, claim.id)
                          if review.role_at_least(me.role, review.EDITOR) else []),
        "live_since": events.latest_event_id(db, claim_id=claim.id),
        "verdicts": db.exec(select(Verdict).order_by(Verdict.position)).all(),
        "people": people,
        "assignable": [u for u in people.values()
                       if u.active and review.role_at_least(u.role, review.REVIEWER)],
        "actions": claim_service.allowed_actions(db, claim, me),
        "can_edit": can_edit_now,
        "can_note": review.may(me.role, "review"),
        "error": error,
        "conflict": conflict,
        "draft": draft or {},
        "state_labels": review.STATE_LABELS,
        "split_points": split_points(claim) if can_edit_now else [],
        "next_claim": spans.next_claim(db, claim) if can_edit_now else None,
    }


def split_points(claim: Claim) -> list[tuple[int, str]]:
    """Offer the word gaps of a claim as split points, each labelled by the words after it."""
    points = []
    quote = claim.quote
    for i, ch in enumerate(quote):
        if ch == " " and 3 <= i <= len(quote) - 3:
            words = quote[i + 1:].split()[:5]
            points.append((claim.start + i, "before “" + " ".join(words) + "…”"))
    return points


def _panel(claim_id: int, status: int = 200, **extra):
    from annotator.web.articles import article_page

    db = get_session()
    claim = claim_service.get_claim(db, claim_id)
    if is_htmx():
        # The list entry is swapped out of band, so its state and verdict stay current.
        return render("claims/_panel.html", status=status, oob_item=True,
                      **panel_context(claim, **extra))
    return article_page(claim.article_id, claim_id, status=status, **extra)


def _after_write(claim_id: int, message: str, reload: bool = False):
    if is_htmx() and reload:
        # Spans moved: the whole page (highlights and list) must be drawn again.
        response = make_response("", 204)
        response.headers["HX-Redirect"] = url_for("claims.show", claim_id=claim_id)
        flash(message, "info")
        return response
    if is_htmx():
        return _panel(claim_id)
    flash(message, "info")
    return redirect(url_for("claims.show", claim_id=claim_id), 303)


def _run(claim_id: int, action, message: str, draft: dict | None = None,
         reload: bool = False):
    """Run one service call in the request's transaction and answer with the panel."""
    db = get_session()
    try:
        action(db)
        db.commit()
    except Conflict as exc:
        db.rollback()
        conflict = {"message": exc.message, "mine": draft} if draft is not None else None
        return _panel(claim_id, status=409, error=None if conflict else exc.message,
                      conflict=conflict, draft=draft)
    except ServiceError as exc:
        db.rollback()
        return _panel(claim_id, status=exc.status, error=exc.message, draft=draft)
    return _after_write(claim_id, message, reload)


@bp.route("/claims/<int:claim_id>")
def show(claim_id: int):
    """Show a claim: its panel for htmx, else the article page with the panel open."""
    try:
        return _panel(claim_id)
    except ServiceError as exc:
        return render("error.html", status=exc.status, title="Not found", message=exc.message)


@bp.route("/claims/<int:claim_id>", methods=["POST"])
def update(claim_id: int):
    """Save statement, verdict and conclusion against the version the form was loaded at."""
    form = form_dict()
    changes = {k: form[k] for k in claim_service.EDITABLE if k in form}
    return _run(claim_id, lambda db: claim_service.update_claim(
        db, user(), claim_id, form.get("version"), changes), "Saved.", draft=changes)


@bp.route("/claims/<int:claim_id>/sources", methods=["POST"])
def add_source(claim_id: int):
    """Attach a source."""
    form = form_dict()
    return _run(claim_id, lambda db: claim_service.add_source(db, user(), claim_id, form),
                "Source added.")


@bp.route("/claims/<int:claim_id>/sources/<int:source_id>", methods=["POST"])
def update_source(claim_id: int, source_id: int):
    """Change a source."""
    form = form_dict()
    return _run(claim_id, lambda db: claim_service.update_source(
        db, user(), claim_id, source_id, form), "Source saved.")


@bp.route("/claims/<int:claim_id>/sources/<int:source_id>/delete", methods=["POST"])
def remove_source(claim_id: int, source_id: int):
    """Remove a source (its content stays in the history)."""
    return _run(claim_id, lambda db: claim_service.remove_source(
        db, user(), claim_id, source_id), "Source removed.")


@bp.route("/claims/<int:claim_id>/notes", methods=["POST"])
def add_note(claim_id: int):
    """Add a note to the thread."""
    form = form_dict()
    return _run(claim_id, lambda db: claim_service.add_note(
        db, user(), claim_id, form.get("body", "")), "Note added.")


@bp.route("/claims/<int:claim_id>/transitions", methods=["POST"])
def transition(claim_id: int):
    """Take a workflow action."""
    form = form_dict()
    assignee = form.get("assignee", "").strip()
    try:
        assignee_id = int(assignee) if assignee else None
    except ValueError:
        assignee_id = -1  # the service refuses it with a clear message

    return _run(claim_id, lambda db: claim_service.transition(
        db, user(), claim_id, form.get("action", ""), comment=form.get("comment"),
        assignee_id=assignee_id, version=form.get("version")), "Done.")


@bp.route("/claims/<int:claim_id>/blind", methods=["POST"])
def record_blind(claim_id: int):
    """Record an independent second verdict without seeing the first."""
    form = form_dict()
    return _run(claim_id, lambda db: blind.record(db, user(), claim_id, form.get("verdict", ""),
                                                  form.get("conclusion", "")),
                "Your independent verdict is recorded.")


@bp.route("/claims/<int:claim_id>/merge", methods=["POST"])
def merge(claim_id: int):
    """Merge the next claim (or the one named) into this one."""
    form = form_dict()

    def run(db):
        other = form.get("other", "")
        if not other.isdigit():
            following = spans.next_claim(db, claim_service.get_claim(db, claim_id))
            if following is None:
                raise Invalid("There is no following claim to merge with.")
            other = following.id
        spans.merge(db, user(), claim_id, int(other), form.get("version"))

    return _run(claim_id, run, "Claims merged.", reload=True)


@bp.route("/claims/<int:claim_id>/split", methods=["POST"])
def split(claim_id: int):
    """Split this claim in two at the chosen point."""
    form = form_dict()
    return _run(claim_id, lambda db: spans.split(db, user(), claim_id, form.get("at"),
                                                 form.get("version")), "Claim split in two.",
                reload=True)
