"""The native JSON export: a versioned document streamed article by article."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlmodel import Session, select

from annotator import __version__
from annotator.models import Article, Claim, Event, Note, Source, User, Verdict, utcnow

SCHEMA_VERSION = "1"
BATCH = 500


@dataclass
class ExportFilter:
    """Which claims to export; empty means everything."""

    article_ids: list[int] = field(default_factory=list)
    states: list[str] = field(default_factory=list)
    verdicts: list[str] = field(default_factory=list)
    since: datetime | None = None
    until: datetime | None = None

    def claims_query(self, article_id: int):
        query = select(Claim).where(Claim.article_id == article_id)
        if self.states:
            query = query.where(Claim.state.in_(self.states))
        if self.verdicts:
            query = query.where(Claim.verdict.in_(self.verdicts))
        if self.since:
            query = query.where(Claim.updated_at >= self.since)
        if self.until:
            query = query.where(Claim.updated_at < self.until)
        return query.order_by(Claim.start, Claim.id)


def iso(value) -> str | None:
    """Format a date or time as ISO 8601 (UTC times end in Z)."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


class People:
    """Turn user ids into the public shape: username, display name, role; never secrets."""

    def __init__(self, session: Session):
        self._by_id = {u.id: u for u in session.exec(select(User)).all()}

    def __call__(self, user_id: int | None) -> dict | None:
        user = self._by_id.get(user_id) if user_id is not None else None
        if user is None:
            return None
        return {"username": user.username, "display_name": user.display_name, "role": user.role}

    def all(self) -> list[dict]:
        return [self(uid) | {"active": u.active} for uid, u in sorted(self._by_id.items())]


def _dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _grouped(session: Session, model, claim_ids: list[int], order) -> dict[int, list]:
    groups: dict[int, list] = defaultdict(list)
    for row in session.exec(select(model).where(model.claim_id.in_(claim_ids))
                            .order_by(order)).all():
        groups[row.claim_id].append(row)
    return groups


def claim_dict(claim: Claim, person, sources: Iterable[Source], notes: Iterable[Note],
               history: Iterable[Event]) -> dict:
    """Shape one claim, with its sources, notes and history, as the export has it."""
    return {
        "id": claim.id, "start": claim.start, "end": claim.end, "quote": claim.quote,
        "prefix": claim.prefix, "suffix": claim.suffix, "statement": claim.statement,
        "score": claim.score, "reasons": list(claim.reasons or []), "origin": claim.origin,
        "state": claim.state, "verdict": claim.verdict, "conclusion": claim.conclusion,
        "assignee": person(claim.assignee_id), "submitted_by": person(claim.submitted_by_id),
        "submitted_at": iso(claim.submitted_at), "approved_by": person(claim.approved_by_id),
        "approved_at": iso(claim.approved_at), "orphaned": claim.orphaned,
        "version": claim.version, "created_at": iso(claim.created_at),
        "updated_at": iso(claim.updated_at),
        "sources": [{
            "id": s.id, "url": s.url, "title": s.title, "publisher": s.publisher,
            "published": iso(s.published), "stance": s.stance, "excerpt": s.excerpt,
            "archived_url": s.archived_url, "created_by": person(s.created_by_id),
            "created_at": iso(s.created_at), "updated_at": iso(s.updated_at),
        } for s in sources],
        "notes": [{
            "id": n.id, "author": person(n.author_id), "body": n.body,
            "created_at": iso(n.created_at),
        } for n in notes],
        "history": [{
            "id": e.id, "action": e.action, "actor": person(e.actor_id),
            "at": iso(e.created_at), "old": e.old, "new": e.new, "comment": e.comment,
        } for e in history],
    }


def article_head(article: Article, person) -> dict:
    """Shape an article's own fields, without its claims."""
    return {
        "id": article.id, "title": article.title, "url": article.url, "outlet": article.outlet,
        "byline": article.byline, "published": iso(article.published),
        "language": article.language, "body": article.body,
        "captions": [list(c) for c in article.captions or []],
        "content_hash": article.content_hash, "blind_review": article.blind_review,
        "created_by": person(article.created_by_id), "created_at": iso(article.created_at),
    }


def iter_claims(session: Session, query, person) -> Iterator[dict]:
    """Yield export-shaped claims for a query, loading their children in batches."""
    offset = 0
    while True:
        batch = session.exec(query.offset(offset).limit(BATCH)).all()
        if not batch:
            return
        ids = [c.id for c in batch]
        sources = _grouped(session, Source, ids, Source.id)
        notes = _grouped(session, Note, ids, Note.id)
        history = _grouped(session, Event, ids, Event.id)
        for claim in batch:
            yield claim_dict(claim, person, sources[claim.id], notes[claim.id],
                             history[claim.id])
        offset += BATCH


def export_json(session: Session, filters: ExportFilter | None = None) -> Iterator[str]:
    """Stream the export document as text chunks; memory stays flat at any size."""
    filters = filters or ExportFilter()
    person = People(session)
    verdicts = [{
        "key": v.key, "label": v.label, "colour": v.colour, "alternate_name": v.alternate_name,
        "rating_value": v.rating_value, "needs_source": v.needs_source,
    } for v in session.exec(select(Verdict).order_by(Verdict.position)).all()]
    head = {"schema_version": SCHEMA_VERSION, "exported_at": iso(utcnow()),
            "generator": f"annotator {__version__}", "verdict_scale": verdicts,
            "people": person.all()}
    yield _dumps(head)[:-1] + ',"articles":['
    query = select(Article.id).order_by(Article.id)
    if filters.article_ids:
        query = query.where(Article.id.in_(filters.article_ids))
    for n, article_id in enumerate(session.exec(query).all()):
        article = session.get(Article, article_id)
        yield ("," if n else "") + _dumps(article_head(article, person))[:-1] + ',"claims":['
        for i, claim in enumerate(iter_claims(session, filters.claims_query(article_id), person)):
            yield ("," if i else "") + _dumps(claim)
        yield "]}"
        session.expunge_all()
    yield "]}\n"
