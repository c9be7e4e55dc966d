"""Read a claim or an article as the API shows it, with blind second review applied."""

from __future__ import annotations

from sqlmodel import Session, select

from annotator import review
from annotator.exports.people import People
from annotator.models import (
    Article,
    ArticlePublic,
    ArticlePublicWithClaims,
    ClaimPublic,
    ClaimPublicWithChildren,
    Note,
    NotePublic,
    Source,
    SourcePublic,
    SourceSnapshot,
    User,
)
from annotator.presenters import present, present_claim, present_snapshot
from annotator.services import articles as article_service
from annotator.services import blind, queries, webhooks
from annotator.services import claims as claim_service


def claim_document(session: Session, user: User | None, claim_id: int) -> dict:
    """Return a claim with its sources and notes (``ClaimPublicWithChildren``)."""
    claim = claim_service.read_claim(session, claim_id)
    person = People(session)
    sources = session.exec(select(Source).where(Source.claim_id == claim.id)
                           .order_by(Source.id)).all()
    notes = session.exec(select(Note).where(Note.claim_id == claim.id).order_by(Note.id)).all()
    snaps = {n.source_id: n for n in session.exec(select(SourceSnapshot).where(
        SourceSnapshot.source_id.in_([s.id for s in sources]))).all()} if sources else {}
    return present_claim(
        ClaimPublicWithChildren, claim, person,
        blinded=claim.id in blind.hidden_claim_ids(session, user, [claim.id]),
        sources=[present(SourcePublic, s, person, snapshot=present_snapshot(snaps.get(s.id)))
                 for s in sources],
        notes=[present(NotePublic, n, person) for n in notes])


def article_document(session: Session, user: User | None, article_id: int, *,
                     states: list[str] | None = None, held_back: bool = False) -> dict:
    """Return an article with its text and claims (``ArticlePublicWithClaims``).

    Sentences the proposal budget held back are left out unless `held_back` is true or
    `states` (the claims' states to keep; empty for all) names ``held_back``.
    """
    article = article_service.get_article(session, article_id)
    person = People(session)
    states = list(states or [])
    claims = article_service.article_claims(
        session, article_id, below_budget=held_back or review.HELD_BACK in states)
    if states:
        claims = [c for c in claims if c.state in states]
    hidden = blind.hidden_claim_ids(session, user, [c.id for c in claims])
    return present(ArticlePublicWithClaims, article, person, claims=[
        present_claim(ClaimPublic, c, person, blinded=c.id in hidden) for c in claims])


def source_document(session: Session, source: Source) -> dict:
    """Return one source as the API shows it."""
    return present(SourcePublic, source, People(session), snapshot=present_snapshot(
        session.get(SourceSnapshot, source.id)))


def note_document(session: Session, note: Note) -> dict:
    """Return one note as the API shows it."""
    return present(NotePublic, note, People(session))


def present_claims(session: Session, user: User | None, claims: list) -> list[dict]:
    """Return claims as the API shows them in a list (``ClaimPublic``), blind review applied."""
    person = People(session)
    hidden = blind.hidden_claim_ids(session, user, [c.id for c in claims])
    return [present_claim(ClaimPublic, c, person, blinded=c.id in hidden) for c in claims]


def article_list(session: Session, *, page: int, per_page: int, after: list | None):
    """Return (items, total, exact, next key): articles newest first as ``ArticlePublic``."""
    cursor = queries.decode_cursor(after)
    query = select(Article).order_by(Article.id.desc())
    if cursor is not None:
        query = query.where(Article.id < cursor[1])
    else:
        query = query.offset((page - 1) * per_page)
    rows = session.exec(query.limit(per_page + 1)).all()
    more, rows = len(rows) > per_page, rows[:per_page]
    total, exact = queries.count_capped(session, select(Article.id))
    person = People(session)
    next_key = queries.encode_cursor([rows[-1].id, rows[-1].id]) if more else None
    return [present(ArticlePublic, a, person) for a in rows], total, exact, next_key


def claim_list(session: Session, user: User | None, filters, *, page: int, per_page: int,
               after: list | None):
    """Return (items, page) for the claims list: each item the API's claim (``ClaimPublic``).

    The one list shape behind ``GET /api/v1/claims`` and the claims page's JSON twin, blind
    review applied; a text search adds each claim's ``snippet`` (escaped, with ``<mark>``).
    """
    found = queries.find_claims(session, filters, user, page=page, per_page=per_page,
                                after=after)
    items = present_claims(session, user, [claim for claim, _article in found.rows])
    for item in items:
        snippet = found.snippets.get(item["id"])
        if snippet is not None:
            item["snippet"] = str(snippet)
    return items, found


# The payloads of claim and article webhooks are these shapes, as an anonymous reader sees
# them (blind review hides nothing once approved or imported).
@webhooks.shape("claim")
def _claim_payload(session: Session, claim_id: int) -> dict:
    return claim_document(session, None, claim_id)


@webhooks.shape("article")
def _article_payload(session: Session, article_id: int) -> dict:
    return article_document(session, None, article_id)
