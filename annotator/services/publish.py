"""Publishing: where the desk published a claim's fact-check (``published_url``).

An editor sets it on an approved claim without reopening it (it is not part of what the
four-eyes rule protects); the change is recorded in the claim's history.
"""

from __future__ import annotations

from sqlalchemy import update
from sqlmodel import Session, select

from annotator import review
from annotator.models import Article, Claim, Source, User, Verdict, utcnow
from annotator.sanitize import is_safe_url
from annotator.services import events, webhooks
from annotator.services.errors import Conflict, Forbidden, Invalid, NotFound

MAX_URL = 2000
ACTION = "publish"


def public_claim(session: Session, claim_id: int):
    """Return (claim, article, sources, verdict) of an approved claim; None for any other."""
    claim = session.get(Claim, claim_id)
    if claim is None or claim.state != review.APPROVED:
        return None
    sources = session.exec(select(Source).where(Source.claim_id == claim.id)
                           .order_by(Source.id)).all()
    verdict = session.get(Verdict, claim.verdict) if claim.verdict else None
    return claim, session.get(Article, claim.article_id), list(sources), verdict


def clean_url(url: str) -> str:
    """Return the URL stripped, refusing anything but an absolute http(s) address."""
    url = (url or "").strip()
    if url and (not is_safe_url(url) or len(url) > MAX_URL):
        raise Invalid("The published address must be an http:// or https:// URL of at most "
                      f"{MAX_URL} characters.", field="published_url")
    return url


def set_published_url(session: Session, user: User, claim_id: int, url: str,
                      version=None) -> Claim:
    """Record where the desk published an approved claim's fact-check ("" clears it)."""
    claim = session.get(Claim, claim_id)
    if claim is None:
        raise NotFound("No such claim.")
    if not user.active or not review.role_at_least(user.role, review.EDITOR):
        raise Forbidden("Only an editor can say where a fact-check was published.")
    if claim.state != review.APPROVED:
        raise Conflict("Only an approved claim is published; approve it first.", claim)
    url = clean_url(url)
    if version not in (None, ""):
        try:
            expected = int(version)
        except (TypeError, ValueError):
            raise Invalid("The save is missing the claim's version; reload the claim.") from None
        if expected != claim.version:
            raise Conflict("The claim changed since you loaded it; look again before you act.",
                           claim)
    if url == claim.published_url:
        return claim
    old = claim.published_url
    result = session.exec(update(Claim).where(Claim.id == claim.id,
                                              Claim.version == claim.version)
                          .values(published_url=url, version=claim.version + 1,
                                  updated_at=utcnow())
                          .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        session.refresh(claim)
        raise Conflict("Someone else saved this claim meanwhile; look again.", claim)
    session.refresh(claim)
    events.record(session, ACTION, actor=user, article_id=claim.article_id, claim_id=claim.id,
                  old={"published_url": old}, new={"published_url": url})
    webhooks.claim_event(session, ACTION, claim)  # issue 21: claim.published
    return claim
