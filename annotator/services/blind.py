"""Blind second review: record independent verdicts; hide the first from those reviewers."""

from __future__ import annotations

from sqlalchemy import or_
from sqlmodel import Session, select

from annotator import review
from annotator.models import Article, BlindReview, Claim, Event, User, Verdict
from annotator.services import events, settings
from annotator.services.claims import actor_of, get_claim
from annotator.services.errors import Conflict, Forbidden, Invalid, NotFound

HIDDEN = "hidden (blind review)"
HIDDEN_FIELDS = ("verdict", "conclusion")


def desk_default(session: Session) -> bool:
    """Return whether new articles get blind second review."""
    return bool(settings.get(session, settings.BLIND_REVIEW_DEFAULT, False))


def set_desk_default(session: Session, actor: User, on: bool) -> None:
    """Switch blind second review on or off for articles imported from now on."""
    if not review.may(actor.role, "assign"):
        raise Forbidden("Only an editor can change the desk's review settings.")
    old = settings.put(session, settings.BLIND_REVIEW_DEFAULT, on)
    events.record(session, "desk_setting", actor=actor,
                  old={settings.BLIND_REVIEW_DEFAULT: bool(old)},
                  new={settings.BLIND_REVIEW_DEFAULT: on})


def set_article_blind(session: Session, actor: User, article_id: int, on: bool) -> Article:
    """Switch blind second review on or off for one article."""
    if not review.may(actor.role, "assign"):
        raise Forbidden("Only an editor can change an article's review settings.")
    article = session.get(Article, article_id)
    if article is None:
        raise NotFound("No such article.")
    if article.blind_review != on:
        events.record(session, "blind_review", actor=actor, article_id=article.id,
                      old={"blind_review": article.blind_review}, new={"blind_review": on})
        article.blind_review = on
        session.add(article)
    return article


def hidden_claim_ids(session: Session, user: User | None,
                     claim_ids: list[int] | None = None) -> set[int]:
    """Return the claims whose first verdict this user must not see."""
    if user is None or review.role_at_least(user.role, review.EDITOR):
        return set()
    query = (select(Claim.id).join(Article, Article.id == Claim.article_id)
             .where(Article.blind_review,
                    # Once approved, the verdict is the desk's published answer.
                    Claim.state.in_((review.IN_PROGRESS, review.IN_REVIEW)),
                    or_(Claim.verdict.is_not(None), Claim.conclusion != ""),
                    or_(Claim.assignee_id.is_(None), Claim.assignee_id != user.id),
                    or_(Claim.submitted_by_id.is_(None), Claim.submitted_by_id != user.id)))
    if claim_ids is not None:
        query = query.where(Claim.id.in_(claim_ids))
    candidates = set(session.exec(query).all())
    if not candidates:
        return set()
    recorded = set(session.exec(select(BlindReview.claim_id).where(
        BlindReview.reviewer_id == user.id, BlindReview.claim_id.in_(candidates))).all())
    return candidates - recorded


def redact_values(value):
    """Replace verdict and conclusion inside an event's old/new values."""
    if isinstance(value, dict):
        return {k: (HIDDEN if k in HIDDEN_FIELDS and v not in (None, "") else v)
                for k, v in value.items()}
    return value


def redacted_event(event: Event) -> Event:
    """Copy an event with the first verdict and conclusion hidden."""
    return Event(id=event.id, action=event.action, actor_id=event.actor_id,
                 article_id=event.article_id, claim_id=event.claim_id,
                 created_at=event.created_at, comment=event.comment,
                 old=redact_values(event.old), new=redact_values(event.new))


def record(session: Session, user: User, claim_id: int, verdict: str,
           conclusion: str) -> BlindReview:
    """Record this reviewer's independent verdict on a claim in review."""
    claim = get_claim(session, claim_id)
    article = session.get(Article, claim.article_id)
    if not review.may_record_blind(article_blind=article.blind_review, state=claim.state,
                                   actor=actor_of(user), assignee_id=claim.assignee_id,
                                   submitted_by_id=claim.submitted_by_id):
        if not article.blind_review:
            raise Conflict("This article does not use blind second review.", claim)
        if claim.state != review.IN_REVIEW:
            raise Conflict("A second verdict is recorded while the claim is in review.", claim)
        raise Forbidden("The person who did the review cannot also give the second verdict.")
    if session.get(Verdict, verdict or "") is None:
        raise Invalid("Choose a verdict.")
    existing = session.exec(select(BlindReview).where(BlindReview.claim_id == claim.id,
                                                      BlindReview.reviewer_id == user.id)).first()
    if existing is not None:
        raise Conflict("You have already recorded your verdict on this claim.", claim)
    row = BlindReview(claim_id=claim.id, reviewer_id=user.id, verdict=verdict,
                      conclusion=(conclusion or "").strip()[:5000])
    session.add(row)
    session.flush()
    events.record(session, "blind_verdict", actor=user, article_id=claim.article_id,
                  claim_id=claim.id, new={"verdict": verdict, "conclusion": row.conclusion})
    return row


def reviews_of(session: Session, claim_id: int) -> list[tuple[BlindReview, User]]:
    """Return a claim's blind second verdicts with their reviewers."""
    query = (select(BlindReview, User).join(User, User.id == BlindReview.reviewer_id)
             .where(BlindReview.claim_id == claim_id).order_by(BlindReview.id))
    return list(session.exec(query).all())
