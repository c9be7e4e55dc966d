"""Read a claim or an article as the API shows it, with blind second review applied."""

from __future__ import annotations

from sqlmodel import Session, select

from annotator.exports.rows import People
from annotator.models import (
    ArticlePublicWithClaims,
    ClaimPublic,
    ClaimPublicWithChildren,
    Note,
    NotePublic,
    Source,
    SourcePublic,
    User,
)
from annotator.presenters import present, present_claim
from annotator.services import articles as article_service
from annotator.services import blind
from annotator.services import claims as claim_service


def claim_document(session: Session, user: User | None, claim_id: int) -> dict:
    """Return a claim with its sources and notes (``ClaimPublicWithChildren``)."""
    claim = claim_service.get_claim(session, claim_id)
    person = People(session)
    sources = session.exec(select(Source).where(Source.claim_id == claim.id)
                           .order_by(Source.id)).all()
    notes = session.exec(select(Note).where(Note.claim_id == claim.id).order_by(Note.id)).all()
    return present_claim(
        ClaimPublicWithChildren, claim, person,
        blinded=claim.id in blind.hidden_claim_ids(session, user, [claim.id]),
        sources=[present(SourcePublic, s, person) for s in sources],
        notes=[present(NotePublic, n, person) for n in notes])


def article_document(session: Session, user: User | None, article_id: int) -> dict:
    """Return an article with its text and claims (``ArticlePublicWithClaims``)."""
    article = article_service.get_article(session, article_id)
    person = People(session)
    claims = article_service.article_claims(session, article_id)
    hidden = blind.hidden_claim_ids(session, user, [c.id for c in claims])
    return present(ArticlePublicWithClaims, article, person, claims=[
        present_claim(ClaimPublic, c, person, blinded=c.id in hidden) for c in claims])


def source_document(session: Session, source: Source) -> dict:
    """Return one source as the API shows it."""
    return present(SourcePublic, source, People(session))


def note_document(session: Session, note: Note) -> dict:
    """Return one note as the API shows it."""
    return present(NotePublic, note, People(session))
