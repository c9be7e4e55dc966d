"""Span surgery on claims: merge two adjacent claims, split one, re-anchor after a correction."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlmodel import Session, select

from annotator import extract, review
from annotator.models import Article, Claim, Note, Source, User, utcnow
from annotator.services import events
from annotator.services.articles import content_hash
from annotator.services.claims import CONTEXT, _require_edit, _version, get_claim
from annotator.services.errors import Conflict, Forbidden, Invalid, NotFound, TooLarge

CLOSED = (review.APPROVED, review.DISMISSED)


def _context(body: str, start: int, end: int) -> dict:
    return {"start": start, "end": end, "quote": body[start:end],
            "prefix": body[max(0, start - CONTEXT):start], "suffix": body[end:end + CONTEXT]}


def next_claim(session: Session, claim: Claim) -> Claim | None:
    """Return the first workable claim that starts after this one ends, if any."""
    return session.exec(
        select(Claim).where(Claim.article_id == claim.article_id, Claim.id != claim.id,
                            Claim.start >= claim.end, Claim.state.not_in(CLOSED),
                            Claim.orphaned.is_(False))
        .order_by(Claim.start, Claim.id)).first()


def merge(session: Session, user: User, claim_id: int, other_id: int, version) -> Claim:
    """Merge another claim of the same article into this one; the other is dismissed."""
    claim, other = get_claim(session, claim_id), get_claim(session, other_id)
    if _version(version) != claim.version:
        raise Conflict("The claim changed since you loaded it; look again before merging.",
                       claim)
    if claim.id == other.id or claim.article_id != other.article_id:
        raise Invalid("Merge two different claims of the same article.")
    for c in (claim, other):
        if c.state in CLOSED:
            raise Conflict(f"Claim #{c.id} is {c.state}; it cannot be merged.", c)
        _require_edit(session, c, user)
    article = session.get(Article, claim.article_id)
    first, second = sorted((claim, other), key=lambda c: c.start)
    between = session.exec(select(Claim.id).where(
        Claim.article_id == claim.article_id, Claim.id.not_in((claim.id, other.id)),
        Claim.state.not_in(CLOSED), Claim.start >= first.end, Claim.end <= second.start)).first()
    if between is not None:
        raise Invalid("Only adjacent claims can be merged: another claim lies between them.")
    old = {"start": claim.start, "end": claim.end, "statement": claim.statement}
    span = _context(article.body, min(first.start, second.start), max(first.end, second.end))
    statement = f"{first.statement.rstrip('. ')}; {second.statement}".strip()
    for model in (Source, Note):
        for row in session.exec(select(model).where(model.claim_id == other.id)).all():
            row.claim_id = claim.id
            session.add(row)
    for key, value in {**span, "statement": statement[:2000]}.items():
        setattr(claim, key, value)
    claim.version += 1
    claim.updated_at = utcnow()
    session.add(claim)
    events.record(session, "merge", actor=user, article_id=claim.article_id, claim_id=claim.id,
                  old=old, new={"start": claim.start, "end": claim.end,
                                "statement": claim.statement, "merged": other.id})
    events.record(session, "dismiss", actor=user, article_id=other.article_id,
                  claim_id=other.id, old={"state": other.state, "assignee_id": other.assignee_id},
                  new={"state": review.DISMISSED, "assignee_id": None},
                  comment=f"merged into #{claim.id}")
    other.state, other.assignee_id = review.DISMISSED, None
    other.version += 1
    session.add(other)
    session.flush()
    return claim


def split(session: Session, user: User, claim_id: int, at, version) -> tuple[Claim, Claim]:
    """Split a claim at a body offset into two claims; the second one is new and open."""
    claim = get_claim(session, claim_id)
    if _version(version) != claim.version:
        raise Conflict("The claim changed since you loaded it; look again before splitting.",
                       claim)
    if claim.state in CLOSED:
        raise Conflict(f"The claim is {claim.state}; it cannot be split.", claim)
    _require_edit(session, claim, user)
    try:
        at = int(at)
    except (TypeError, ValueError):
        raise Invalid("Choose where to split the claim.") from None
    body = session.get(Article, claim.article_id).body
    left = extract.trim_span(body, claim.start, at)
    right = extract.trim_span(body, at, claim.end)
    if not (claim.start < at < claim.end) or left[1] - left[0] < 3 or right[1] - right[0] < 3:
        raise Invalid("Split inside the claim, leaving a few words on each side.")
    old = {"start": claim.start, "end": claim.end, "statement": claim.statement}
    for key, value in _context(body, *left).items():
        setattr(claim, key, value)
    claim.statement = claim.quote
    claim.version += 1
    claim.updated_at = utcnow()
    session.add(claim)
    new = Claim(article_id=claim.article_id, **_context(body, *right),
                statement=body[right[0]:right[1]], score=claim.score,
                reasons=list(claim.reasons or []), origin="person", state=review.OPEN)
    session.add(new)
    session.flush()
    events.record(session, "split", actor=user, article_id=claim.article_id, claim_id=claim.id,
                  old=old, new={"start": claim.start, "end": claim.end, "into": new.id})
    events.record(session, "create", actor=user, article_id=claim.article_id, claim_id=new.id,
                  new={"start": new.start, "end": new.end, "quote": new.quote,
                       "split_from": claim.id}, new_claim=True)
    return claim, new


MAX_BODY = 2 * 1024 * 1024  # characters: a corrected text longer than this is refused


@dataclass(frozen=True)
class Correction:
    """A text correction worked out ahead of the write: the new body and each claim's place.

    ``spans`` maps claim id to (version it was read at, (start, end) or None for an orphan).
    """

    article_id: int
    article_version: int
    body: str
    digest: str
    spans: dict[int, tuple[int, tuple[int, int] | None]] = field(default_factory=dict)


def plan_correction(session: Session, actor: review.Actor, article_id: int, body: str,
                    version) -> Correction | None:
    """Re-anchor every claim in a corrected text, writing nothing (None: text unchanged).

    This is the slow part: run it on a read session, with no write lock held, then hand
    the plan to ``apply_correction`` for a short write.
    """
    if not review.may(actor.role, "import") or not actor.active:
        raise Forbidden("Only an editor can correct an article's text.")
    article = session.get(Article, article_id)
    if article is None:
        raise NotFound("No such article.")
    if _version(version) != article.version:
        raise Conflict("Someone corrected this article meanwhile; reload it and try again.")
    body = (body or "").replace("\r\n", "\n").strip()
    if not body:
        raise Invalid("The corrected text is empty.")
    if len(body) > MAX_BODY:
        raise TooLarge(f"The corrected text is longer than {MAX_BODY:,} characters.")
    if "\x00" in body:
        raise Invalid("The corrected text contains a NUL byte.")
    if body == article.body:
        return None
    plan = Correction(article.id, article.version, body, content_hash(body))
    for claim in session.exec(select(Claim).where(Claim.article_id == article.id)).all():
        found = extract.reanchor(body, claim.quote, claim.prefix, claim.suffix, claim.start)
        plan.spans[claim.id] = (claim.version, found)
    return plan


def apply_correction(session: Session, user: User, plan: Correction | None) -> dict:
    """Write a planned correction in one short transaction; refuse if anything moved on."""
    if plan is None:
        return {"moved": 0, "orphaned": 0}
    article = session.get(Article, plan.article_id)
    if article is None:
        raise NotFound("No such article.")
    if article.version != plan.article_version:
        raise Conflict("Someone corrected this article meanwhile; reload it and try again.")
    body, digest = plan.body, plan.digest
    clash = session.exec(select(Article.id).where(Article.content_hash == digest,
                                                  Article.id != article.id)).first()
    if clash is not None:
        raise Invalid(f"Another article (#{clash}) already has exactly this text.")
    moved = orphaned = 0
    for claim in session.exec(select(Claim).where(Claim.article_id == article.id)).all():
        read_at, found = plan.spans.get(claim.id, (None, None))
        if read_at != claim.version:
            # Added, merged or split since the plan: place this one claim now.
            found = extract.reanchor(body, claim.quote, claim.prefix, claim.suffix,
                                     claim.start)
        old = {"start": claim.start, "end": claim.end, "quote": claim.quote,
               "orphaned": claim.orphaned}
        # Re-anchoring records its authorship like any other write (it changes no
        # published field, so its event names none).
        events.remember(session, claim.id)
        if found is None:
            if claim.orphaned:
                continue
            claim.orphaned = True
            orphaned += 1
        else:
            span = _context(body, *found)
            if (span["start"], span["end"], span["quote"]) == (claim.start, claim.end,
                                                                 claim.quote) \
                    and not claim.orphaned:
                continue
            for key, value in span.items():
                setattr(claim, key, value)
            claim.orphaned = False
            moved += 1
        claim.version += 1
        claim.updated_at = utcnow()
        session.add(claim)
        events.record(session, "orphan" if claim.orphaned else "reanchor", actor=user,
                      article_id=article.id, claim_id=claim.id, old=old,
                      new={"start": claim.start, "end": claim.end, "quote": claim.quote,
                           "orphaned": claim.orphaned})
    events.record(session, "correct_body", actor=user, article_id=article.id,
                  old={"content_hash": article.content_hash, "length": len(article.body)},
                  new={"content_hash": digest, "length": len(body), "moved": moved,
                       "orphaned": orphaned})
    article.body, article.content_hash = body, digest
    article.version += 1
    article.updated_at = utcnow()
    session.add(article)
    session.flush()
    return {"moved": moved, "orphaned": orphaned}


def correct_body(session: Session, user: User, article_id: int, body: str, version) -> dict:
    """Replace an article's body and re-anchor its claims; unplaceable claims are orphaned.

    Plans and writes in the caller's transaction; a web view plans on a read session first
    (``plan_correction``) and writes briefly (``apply_correction``).
    """
    actor = review.Actor(id=user.id, role=user.role, active=user.active)
    return apply_correction(session, user,
                            plan_correction(session, actor, article_id, body, version))
