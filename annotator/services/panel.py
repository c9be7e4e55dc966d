"""The claim panel's reads: everything it shows about one claim, for one person.

Blind visibility, the workflow's offers and refusals (from ``review.py``), the history and
the change request a claim came back with are decided here, not in the view.
"""

from __future__ import annotations

from sqlmodel import Session, select

from annotator import review
from annotator.models import Article, Claim, Note, User, Verdict
from annotator.services import blind, events, evidence, spans
from annotator.services import claims as claim_service
from annotator.services import rewrite as rewrite_service  # issue 20

# The transitions that send a claim back to work with a comment: its banner in the panel.
RETURNING_ACTIONS = ("request_changes", "reopen")


def claim_panel(session: Session, claim: Claim, me: User) -> dict:
    """Return what the panel shows of a claim to this person."""
    people = {u.id: u for u in session.exec(select(User)).all()}
    article = session.get(Article, claim.article_id)
    # Only an article under blind review hides verdicts (``blind.verdict_hidden``'s first
    # condition), and it has just been read: no query for the others.
    blinded = article.blind_review and claim.id in blind.hidden_claim_ids(session, me,
                                                                          [claim.id])
    history = events.claim_history(session, claim.id)
    # The history is every event of the claim, oldest first: the authorship four eyes reads
    # and the newest event's id (for live updates) come from it, not from two more queries.
    recorded = [event for event, _ in history]
    if blinded:
        history = [(blind.redacted_event(e), actor) for e, actor in history]
    sources = events.claim_sources(session, claim.id)
    # Read before the facts, whose look-up of the claim's verdict it then answers.
    verdicts = session.exec(select(Verdict).order_by(Verdict.position)).all()
    # One read of the workflow facts serves editing, the actions and their reasons.
    facts = claim_service.facts(session, claim, sources, recorded)
    actor = claim_service.actor_of(me)
    can_edit = review.can_edit(facts, actor)
    second_verdicts = blind.reviews_of(session, claim.id)
    actions = review.allowed_actions(facts, actor)
    refusals = review.blocked(facts, actor)
    blocked = {action: exc.reason for action, exc in refusals.items()}
    return {
        "claim": claim,
        "article": article,
        "sources": sources,
        "snapshots": evidence.by_source(session, claim.id),  # issue 22
        "rewrite_live": rewrite_service.steps_apply(claim),  # issue 20: steps undoable
        "notes": session.exec(select(Note).where(Note.claim_id == claim.id)
                              .order_by(Note.id)).all(),
        "history": history,
        "returned": returned_by(claim, history),
        "blinded": blinded,
        "hidden": {claim.id} if blinded else set(),
        "blind_article": article.blind_review,
        "may_record_blind": review.may_record_blind(
            article_blind=article.blind_review, state=claim.state, actor=actor,
            assignee_id=claim.assignee_id, submitted_by_id=claim.submitted_by_id) and not any(
                r.reviewer_id == me.id for r, _ in second_verdicts),
        "blind_reviews": second_verdicts if review.role_at_least(me.role, review.EDITOR) else [],
        "live_since": recorded[-1].id if recorded else 0,
        "verdicts": verdicts,
        "verdict_labels": {v.key: v.label for v in verdicts},
        "people": people,
        "assignable": [u for u in people.values()
                       if u.active and review.role_at_least(u.role, review.REVIEWER)],
        # Every action the role could take, in workflow order: possible now, or why not.
        "buttons": [(a, blocked.get(a)) for a in review.ACTIONS
                    if a in actions or shown_blocked(refusals.get(a))],
        "actions": actions,
        "editable": claim_service.EDITABLE,
        "can_edit": can_edit,
        "can_note": review.may(me.role, "review"),
        "state_labels": review.STATE_LABELS,
        "split_points": split_points(claim) if can_edit else [],
        "next_claim": spans.next_claim(session, claim) if can_edit else None,
    }


def shown_blocked(refusal: review.ReviewError | None) -> bool:
    """Tell whether a refusal is worth a disabled button.

    A missing source or the four-eyes rule is; an action that could never apply from this
    state (``review.WrongState``) is noise. Decided by the refusal's kind, never its words.
    """
    return refusal is not None and not isinstance(refusal, review.WrongState)


def returned_by(claim: Claim, history) -> tuple | None:
    """Return (event, actor) of the change request a claim in progress came back with."""
    if claim.state != review.IN_PROGRESS:
        return None
    for event, actor in reversed(history):
        if event.action in review.ACTIONS:
            return (event, actor) if event.action in RETURNING_ACTIONS else None
    return None


def split_points(claim: Claim) -> list[tuple[int, str]]:
    """Offer the word gaps of a claim as split points, each labelled by the words after it."""
    points = []
    quote = claim.quote
    for i, ch in enumerate(quote):
        if ch == " " and 3 <= i <= len(quote) - 3:
            words = quote[i + 1:].split()[:5]
            points.append((claim.start + i, "before “" + " ".join(words) + "…”"))
    return points
