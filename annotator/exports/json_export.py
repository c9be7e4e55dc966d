"""The native JSON export: a versioned document streamed article by article."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

import orjson
from sqlmodel import Session

from annotator import __version__
from annotator.exports.filters import ExportFilter
from annotator.exports.people import People, verdict_scale
from annotator.exports.rows import BATCH, iter_grouped
from annotator.models import (
    ArticleDocument,
    ClaimRecord,
    EventPublic,
    NotePublic,
    SourcePublic,
    VerdictPublic,
    utcnow,
)
from annotator.presenters import iso, present, present_all, present_claim, present_snapshot

SCHEMA_VERSION = "1"
__all__ = ["BATCH", "ExportFilter", "People", "export_json", "iso"]


def _dumps(value) -> str:
    # orjson: the same compact UTF-8 JSON as json.dumps, several times faster.
    return orjson.dumps(value).decode("utf-8")


def claim_dict(claim, person, sources: Iterable, notes: Iterable, history: Iterable) -> dict:
    """Shape one claim, with its sources, notes and history, as the export has it."""
    return present_claim(
        ClaimRecord, claim, person,
        sources=with_snapshots(list(sources), person),
        notes=present_all(NotePublic, list(notes), person),
        history=present_all(EventPublic, list(history), person, raw_json=True))


def with_snapshots(sources: list, person) -> list[dict]:
    """Present sources with their ``snapshot`` (read with them as ``snapshot_*`` columns)."""
    shaped = present_all(SourcePublic, sources, person)
    for out, row in zip(shaped, sources, strict=True):
        out["snapshot"] = present_snapshot(row, "snapshot_")
    return shaped


def article_head(article, person) -> dict:
    """Shape an article's own fields, without its claims."""
    return present(ArticleDocument, article, person)


def verdict_dicts(session: Session) -> list[dict]:
    """Return the verdict scale as the export has it."""
    return [present(VerdictPublic, v, None) for v in verdict_scale(session)]


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
    parts.append("]")
    yield "".join(parts)
    if not filters.article_ids and not filters.narrows_claims:
        # Other outlets' fact-checks belong to the whole desk, not to an article.
        yield ',"external_factchecks":['
        yield from _external_factchecks(session)
        yield "]"
    yield "}\n"


EXTERNAL_FIELDS = ("identifier", "url", "claim_reviewed", "title", "summary", "rating",
                   "publisher", "author", "claimant", "published", "language")


def _external_factchecks(session: Session) -> Iterator[str]:
    """Stream every loaded external fact-check, in id order, a batch at a time."""
    from sqlmodel import select

    from annotator.models import ExternalFactCheck

    last, first = 0, True
    while True:
        rows = session.exec(select(ExternalFactCheck).where(ExternalFactCheck.id > last)
                            .order_by(ExternalFactCheck.id).limit(BATCH)).all()
        if not rows:
            return
        chunk = []
        for row in rows:
            chunk.append(("" if first else ",") + _dumps(
                {f: iso(getattr(row, f)) if f == "published" else getattr(row, f)
                 for f in EXTERNAL_FIELDS}))
            first = False
            session.expunge(row)  # memory stays flat however many there are
        last = rows[-1].id
        yield "".join(chunk)
