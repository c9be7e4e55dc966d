"""Blind second review: record independent verdicts; hide the first from those reviewers."""

from __future__ import annotations

from sqlalchemy import and_, case, exists, not_, null, or_, true
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, select

from annotator import review
from annotator.models import Article, BlindReview, Claim, ClaimUpdate, Event, User, Verdict
from annotator.services import events, params, settings
from annotator.services.claims import actor_of, get_claim
from annotator.services.errors import Conflict, Forbidden, Invalid, NotFound


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


# Up to this many blind articles, their claims are looked up by article (see hides_any).
FEW_BLIND = 1000


def verdict_hidden(user: User | None) -> ColumnElement[bool]:
    """Return a SQL condition on ``claim``: true where this user must not see the verdict.

    The same rule as ``review.blind_to``, written as SQL so that lists, search, totals,
    dashboards and exports leave hidden verdicts out *before* counting and paging. It only
    uses correlated sub-queries on ``claim``'s own columns, so it fits any select over
    the claim table (ORM ``Claim`` or Core ``Claim.__table__``).
    """
    if user is None or review.role_at_least(user.role, review.EDITOR):
        return ~true()
    claims = Claim.__table__.c
    blind_articles = select(Article.id).where(Article.blind_review)
    recorded = exists().where(BlindReview.claim_id == claims.id,
                              BlindReview.reviewer_id == user.id)
    return and_(
        claims.article_id.in_(blind_articles),
        claims.state.in_(review.BLIND_STATES),
        or_(claims.verdict.is_not(None), claims.conclusion != ""),
        or_(claims.assignee_id.is_(None), claims.assignee_id != user.id),
        or_(claims.submitted_by_id.is_(None), claims.submitted_by_id != user.id),
        not_(recorded),
    )


def verdict_visible(user: User | None) -> ColumnElement[bool]:
    """Return a SQL condition on ``claim``: true where this user may see verdict and conclusion.

    Apply it wherever a verdict or conclusion decides whether a claim is counted or found:
    a verdict filter, a search in conclusions, totals by verdict, exports filtered by
    verdict. ``.where(verdict_visible(user))`` before counting and paginating.
    """
    if user is None or review.role_at_least(user.role, review.EDITOR):
        return true()
    return not_(verdict_hidden(user))


def hides_any(session: Session, user: User | None) -> bool:
    """Tell whether any claim's first verdict is hidden from this user right now.

    When none is, this reader's view is everyone's, and counts or ranks read from the
    whole index tell them nothing; otherwise they are computed over the reader's view.
    """
    if user is None or review.role_at_least(user.role, review.EDITOR):
        return False
    # Ask for the blind articles first (an index): most desks have few or none, and the
    # claims of a few articles are found by article, not by scanning every claim in review.
    blind_ids = session.exec(select(Article.id).where(Article.blind_review)
                             .limit(FEW_BLIND + 1)).all()
    if not blind_ids:
        return False
    query = select(Claim.id).where(verdict_hidden(user))
    if len(blind_ids) <= FEW_BLIND:
        query = query.where(Claim.article_id.in_(blind_ids))
    return session.exec(query.limit(1)).first() is not None


def reader_verdict(user: User | None):
    """Return the claim's verdict as this user sees it: NULL where blind review hides it.

    Sort by this, never by ``Claim.verdict``: a hidden verdict must not place its row.
    """
    if user is None or review.role_at_least(user.role, review.EDITOR):
        return Claim.verdict
    return case((verdict_hidden(user), null()), else_=Claim.verdict)


def hidden_claim_ids(session: Session, user: User | None,
                     claim_ids: list[int] | None = None) -> set[int]:
    """Return the claims whose first verdict this user must not see."""
    if user is None or review.role_at_least(user.role, review.EDITOR):
        return set()
    query = select(Claim.id).where(verdict_hidden(user))
    if claim_ids is not None:
        if not claim_ids:
            return set()
        query = query.where(Claim.id.in_(claim_ids))
    return set(session.exec(query).all())


def redacted_event(event: Event) -> Event:
    """Copy an event with the first verdict and conclusion hidden."""
    return Event(id=event.id, action=event.action, actor_id=event.actor_id,
                 article_id=event.article_id, claim_id=event.claim_id,
                 created_at=event.created_at, comment=event.comment,
                 old=review.redact_values(event.old),
                 new=review.redact_values(event.new))


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
                      conclusion=params.validated(ClaimUpdate, {
                          "version": 1, "conclusion": (conclusion or "").strip()}).conclusion)
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
