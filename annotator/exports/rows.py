"""The one streaming reader every exporter shares: filtered claims in batches, with children.

It reads plain rows through SQLAlchemy Core (no ORM identity map), pages with keyset
pagination over (article_id, start, id), and loads each batch's sources, notes and history
with one query per kind, so an export makes a handful of queries per thousand claims and its
memory stays flat at any size.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from sqlalchemy import ARRAY, Integer, and_, any_, bindparam, func, or_, select
from sqlmodel import Session

from annotator import review
from annotator.exports.filters import ExportFilter
from annotator.exports.sql import raw_columns, utc_text
from annotator.models import Article, Claim, Event, Note, Source, SourceSnapshot
from annotator.presenters import SNAPSHOT_FIELDS, loads

BATCH = 1000
ARTICLE_BATCH = 100
CHILDREN = ("sources", "notes", "history")

_claims = Claim.__table__
_articles = Article.__table__


# Everything but raw: the export never carries the input the article came from.
_ARTICLE_COLUMNS = [c for c in _articles.c if c.name != "raw"]


@dataclass
class ClaimRow:
    """One claim (a Core row: attribute access by column name) and its loaded children."""

    claim: Any
    sources: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    history: list = field(default_factory=list)


def _redacted(row: ClaimRow) -> ClaimRow:
    """Copy a claim row without its verdict and conclusion, in the claim and its history."""
    claim = SimpleNamespace(**row.claim._mapping)
    claim.verdict, claim.conclusion, claim.blinded = None, "", True
    history = []
    for event in row.history:
        copy = SimpleNamespace(**event._mapping)
        copy.old, copy.new = (review.redact_values(loads(copy.old)),
                              review.redact_values(loads(copy.new)))
        history.append(copy)
    return ClaimRow(claim, row.sources, row.notes, history)


def count_claims(session: Session, filters: ExportFilter, extra: list | None = None) -> int:
    """Count the claims an export will contain (for progress and collection totals)."""
    query = select(func.count()).select_from(_claims).where(*filters.conditions(), *(extra or []))
    return session.exec(query).scalar_one()


def _children(session: Session, model, ids: list[int]) -> dict[int, list]:
    table = model.__table__
    groups: dict[int, list] = defaultdict(list)
    if session.get_bind().dialect.name == "postgresql":
        # One array parameter: a thousand placeholders cost the driver more than the query.
        batch = table.c.claim_id == any_(bindparam("ids", ids, type_=ARRAY(Integer)))
    else:
        batch = table.c.claim_id.in_(ids)
    query = select(*raw_columns(table))
    if model is Source:  # issue 22: each source's snapshot metadata rides along
        snap = SourceSnapshot.__table__
        query = select(*raw_columns(table), *(
            (utc_text(snap.c[n]) if n == "fetched_at" else snap.c[n]).label("snapshot_" + n)
            for n in SNAPSHOT_FIELDS)).select_from(
            table.outerjoin(snap, snap.c.source_id == table.c.id))
    rows = session.exec(query.where(batch).order_by(table.c.id)).all()
    for row in rows:
        groups[row.claim_id].append(row)
    return groups


def iter_claim_rows(session: Session, filters: ExportFilter, *, children=CHILDREN,
                    extra: list | None = None,
                    progress: Callable[[int], None] | None = None) -> Iterator[ClaimRow]:
    """Yield the selected claims in (article, start, id) order, batch by batch.

    ``children`` names what to load with each batch: any of sources, notes, history.
    ``extra`` adds conditions on the claim table; ``progress`` hears the running count.
    """
    where = [*filters.conditions(), *(extra or [])]
    order = (_claims.c.article_id, _claims.c.start, _claims.c.id)
    last = None
    done = 0
    while True:
        query = select(*raw_columns(_claims)).where(*where)
        if last is not None:
            a, s, i = last
            # The leading `>=` lets the database seek in the index; the OR alone would make
            # it read the index from the start at every batch (quadratic at a million).
            query = query.where(_claims.c.article_id >= a, or_(
                _claims.c.article_id > a,
                and_(_claims.c.article_id == a, _claims.c.start > s),
                and_(_claims.c.article_id == a, _claims.c.start == s, _claims.c.id > i)))
        batch = session.exec(query.order_by(*order).limit(BATCH)).all()
        if not batch:
            return
        ids = [c.id for c in batch]
        kids = {name: _children(session, model, ids) for name, model in
                (("sources", Source), ("notes", Note), ("history", Event)) if name in children}
        for claim in batch:
            row = ClaimRow(claim, *(kids[name].get(claim.id, []) if name in kids else []
                                    for name in CHILDREN))
            yield _redacted(row) if claim.id in filters.hidden else row
        done += len(batch)
        if progress is not None:
            progress(done)
        tail = batch[-1]
        last = (tail.article_id, tail.start, tail.id)


def iter_articles(session: Session, filters: ExportFilter, *, only_with_claims: bool,
                  extra: list | None = None) -> Iterator[Any]:
    """Yield selected articles (Core rows, without raw) in id order, a batch at a time."""
    last = 0
    where = [_articles.c.id > 0]
    if filters.article_ids:
        where.append(_articles.c.id.in_(filters.article_ids))
    if only_with_claims:
        picked = select(_claims.c.article_id).where(*filters.conditions(), *(extra or []))
        where.append(_articles.c.id.in_(picked))
    while True:
        rows = session.exec(select(*_ARTICLE_COLUMNS).where(*where, _articles.c.id > last)
                               .order_by(_articles.c.id).limit(ARTICLE_BATCH)).all()
        if not rows:
            return
        yield from rows
        last = rows[-1].id


def iter_grouped(session: Session, filters: ExportFilter, *, children=CHILDREN,
                 include_empty: bool | None = None, extra: list | None = None,
                 progress: Callable[[int], None] | None = None,
                 ) -> Iterator[tuple[Any, ClaimRow | None]]:
    """Yield (article, claim row) pairs in order; (article, None) for an article with none.

    Articles without a selected claim come out only when ``include_empty`` is true, which
    by default it is unless the filter narrows the claims (state, verdict or dates).
    """
    if include_empty is None:
        include_empty = not filters.narrows_claims and not extra
    claims = iter_claim_rows(session, filters, children=children, extra=extra,
                             progress=progress)
    pending = next(claims, None)
    for article in iter_articles(session, filters, only_with_claims=not include_empty,
                                 extra=extra):
        found = False
        while pending is not None and pending.claim.article_id == article.id:
            found = True
            yield article, pending
            pending = next(claims, None)
        if not found and include_empty:
            yield article, None


