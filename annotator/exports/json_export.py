"""The native JSON export: a versioned document streamed article by article."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

import orjson
from sqlmodel import Session

from annotator import __version__
from annotator.exports.rows import (
    BATCH,
    ExportFilter,
    People,
    iso,
    iter_grouped,
    loads,
    verdict_scale,
)
from annotator.models import Article, Claim, Event, Note, Source, utcnow

SCHEMA_VERSION = "1"
__all__ = ["BATCH", "ExportFilter", "People", "export_json", "iso"]


def _dumps(value) -> str:
    # orjson: the same compact UTF-8 JSON as json.dumps, several times faster.
    return orjson.dumps(value).decode("utf-8")


def claim_dict(claim: Claim, person, sources: Iterable[Source], notes: Iterable[Note],
               history: Iterable[Event]) -> dict:
    """Shape one claim, with its sources, notes and history, as the export has it."""
    return {
        "id": claim.id, "start": claim.start, "end": claim.end, "quote": claim.quote,
        "prefix": claim.prefix, "suffix": claim.suffix, "statement": claim.statement,
        "score": claim.score, "reasons": list(loads(claim.reasons) or []), "origin": claim.origin,
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
            "at": iso(e.created_at), "old": loads(e.old), "new": loads(e.new), "comment": e.comment,
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


def verdict_dicts(session: Session) -> list[dict]:
    """Return the verdict scale as the export has it."""
    return [{
        "key": v.key, "label": v.label, "colour": v.colour, "alternate_name": v.alternate_name,
        "rating_value": v.rating_value, "needs_source": v.needs_source,
    } for v in verdict_scale(session)]


def export_json(session: Session, filters: ExportFilter | None = None, *,
                progress: Callable[[int], None] | None = None, **_options) -> Iterator[str]:
    """Stream the export document as text chunks; memory stays flat at any size.

    With a filter on state, verdict or dates, only articles with a selected claim appear.
    """
    filters = filters or ExportFilter()
    person = People(session)
    head = {"schema_version": SCHEMA_VERSION, "exported_at": iso(utcnow()),
            "generator": f"annotator {__version__}", "verdict_scale": verdict_dicts(session),
            "people": person.all()}
    yield _dumps(head)[:-1] + ',"articles":['
    current = None
    first_claim = True
    parts: list[str] = []
    for article, row in iter_grouped(session, filters, progress=progress):
        if article.id != current:
            if current is not None:
                parts.append("]}")
            parts.append(("," if current is not None else "")
                         + _dumps(article_head(article, person))[:-1] + ',"claims":[')
            current, first_claim = article.id, True
        if row is not None:
            parts.append(("" if first_claim else ",") + _dumps(claim_dict(
                row.claim, person, row.sources, row.notes, row.history)))
            first_claim = False
        if len(parts) >= 200:
            yield "".join(parts)
            parts.clear()
    if current is not None:
        parts.append("]}")
    parts.append("]}\n")
    yield "".join(parts)
