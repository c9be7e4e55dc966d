"""The one streaming reader every exporter shares: filtered claims in batches, with children.

It reads plain rows through SQLAlchemy Core (no ORM identity map), pages with keyset
pagination over (article_id, start, id), and loads each batch's sources, notes and history
with one query per kind, so an export makes a handful of queries per thousand claims and its
memory stays flat at any size.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from types import SimpleNamespace
from typing import Any

import orjson
from sqlalchemy import (
    ARRAY,
    JSON,
    DateTime,
    Integer,
    String,
    and_,
    any_,
    bindparam,
    func,
    or_,
    select,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement
from sqlmodel import Session
from sqlmodel import select as orm_select

from annotator.models import (
    Article,
    Claim,
    Event,
    Note,
    Source,
    SourceSnapshot,
    User,
    UserPublic,
    UserRecord,
    Verdict,
)
from annotator.presenters import SNAPSHOT_FIELDS, loads, present
from annotator.sanitize import MAX_INT

BATCH = 1000
ARTICLE_BATCH = 100
CHILDREN = ("sources", "notes", "history")

_claims = Claim.__table__
_articles = Article.__table__


class utc_text(FunctionElement):  # noqa: N801 - reads like the SQL function it renders
    """A timestamp as SQLite stores it, "2026-05-01 12:00:00.000000" (UTC), on both databases.

    PostgreSQL formats it in the query (its timestamps all have a time zone): cheaper than
    the driver building a datetime and ``presenters.iso`` formatting it again.
    """

    type = String()
    inherit_cache = True


class json_text(FunctionElement):  # noqa: N801 - reads like the SQL it renders
    """A JSON column as its stored text on both databases (PostgreSQL's driver would parse it)."""

    type = String()
    inherit_cache = True


@compiles(json_text)
def _json_text(element, compiler, **kw):
    return compiler.process(element.clauses, **kw)


@compiles(json_text, "postgresql")
def _json_text_postgresql(element, compiler, **kw):
    return f"CAST(({compiler.process(element.clauses, **kw)}) AS TEXT)"


@compiles(utc_text)
def _utc_text(element, compiler, **kw):
    return compiler.process(element.clauses, **kw)


@compiles(utc_text, "postgresql")
def _utc_text_postgresql(element, compiler, **kw):
    return (f"to_char(({compiler.process(element.clauses, **kw)}) AT TIME ZONE 'UTC', "
            "'YYYY-MM-DD HH24:MI:SS.US')")


def _raw(table) -> list:
    """Select a table's columns, timestamps and JSON as the driver gives them.

    Skipping SQLAlchemy's per-value conversion (SQLite keeps both as text) is most of an
    export's speed; ``presenters.iso`` and ``loads`` finish the job where a value is used.
    """
    cols = []
    for col in table.c:
        kind = getattr(col.type, "impl", col.type)
        if isinstance(kind, DateTime):
            cols.append(utc_text(col).label(col.name))
        elif isinstance(kind, JSON):
            cols.append(json_text(col).label(col.name))
        else:
            cols.append(col)
    return cols


_RAW: dict = {}


def raw_columns(table) -> list:
    if table.name not in _RAW:
        _RAW[table.name] = _raw(table)
    return _RAW[table.name]


# Everything but raw: the export never carries the input the article came from.
_ARTICLE_COLUMNS = [c for c in _articles.c if c.name != "raw"]


@dataclass
class ExportFilter:
    """Which claims to export; empty means everything.

    ``since`` and ``until`` bound the claim's last change (``updated_at``): since is
    inclusive, until exclusive. ``parse_day`` turns a plain date into the right bound.
    """

    article_ids: list[int] = field(default_factory=list)
    states: list[str] = field(default_factory=list)
    verdicts: list[str] = field(default_factory=list)
    since: datetime | None = None
    until: datetime | None = None
    # Claims whose verdict and conclusion the reader may not see (blind second review).
    hidden: set[int] = field(default_factory=set)
    # Sentences the proposal budget held back go out only when asked for, by this or by
    # ``states`` naming ``held_back`` (issue 20).
    held_back: bool = False

    @property
    def narrows_claims(self) -> bool:
        """Tell whether the filter leaves out some claims of the selected articles."""
        return bool(self.states or self.verdicts or self.since or self.until)

    def conditions(self) -> list:
        """Return the WHERE conditions on the claim table."""
        # Sentences the proposal budget held back are no desk work: out unless asked.
        where = ([] if self.held_back or self.states
                 else [_claims.c.state != "held_back"])
        if self.article_ids:
            where.append(_claims.c.article_id.in_(self.article_ids))
        if self.states:
            where.append(_claims.c.state.in_(self.states))
        if self.verdicts:
            where.append(_claims.c.verdict.in_(self.verdicts))
            if self.hidden:
                # Blind review: a hidden verdict must not decide what is exported.
                where.append(_claims.c.id.not_in(sorted(self.hidden)))
        if self.since:
            where.append(_claims.c.updated_at >= _utc(self.since))
        if self.until:
            where.append(_claims.c.updated_at < _utc(self.until))
        return where

    def as_params(self) -> dict:
        """Return the filter as JSON-ready values (a background job keeps them)."""
        return {"article_ids": list(self.article_ids), "states": list(self.states),
                "verdicts": list(self.verdicts),
                "since": self.since.isoformat() if self.since else None,
                "until": self.until.isoformat() if self.until else None,
                "hidden": sorted(self.hidden), "held_back": self.held_back}

    @classmethod
    def from_params(cls, params: dict) -> ExportFilter:
        """Rebuild a filter from ``as_params`` output."""
        return cls(article_ids=[int(a) for a in params.get("article_ids") or []],
                   states=list(params.get("states") or []),
                   verdicts=list(params.get("verdicts") or []),
                   since=datetime.fromisoformat(params["since"]) if params.get("since") else None,
                   until=datetime.fromisoformat(params["until"]) if params.get("until") else None,
                   hidden=set(params.get("hidden") or []),
                   held_back=bool(params.get("held_back")))


def _utc(value: datetime) -> datetime:
    # Timestamp columns take aware values only, and store UTC.
    return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)


def parse_day(value: str | None, *, end: bool = False) -> datetime | None:
    """Parse a --since/--until value: a date (YYYY-MM-DD) or an ISO timestamp.

    A plain date as the end of a range means "up to and including that day".
    Raise ValueError with a readable message for anything else.
    """
    value = (value or "").strip()
    if not value:
        return None
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            moment = datetime.combine(day, time(0), tzinfo=UTC)
            if end:
                # The last day there is has no next day: no upper bound then.
                return moment + timedelta(days=1) if day < date.max else None
            return moment
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{value[:40]!r} is not a date like 2026-05-20") from None
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    try:
        # Checked before any export starts: year 1 at +14:00 is no moment in UTC.
        return moment.astimezone(UTC)
    except OverflowError:
        raise ValueError(f"{value[:40]!r} is out of the range of dates") from None


class People:
    """Turn user ids into the public shape (``UserPublic``); never secrets."""

    def __init__(self, session: Session):
        rows = session.exec(select(User.id, User.username, User.display_name, User.role,
                                      User.active)).all()
        self._by_id = {r.id: present(UserPublic, r, None) for r in rows}
        self._records = {r.id: present(UserRecord, r, None) for r in rows}

    def __call__(self, user_id: int | None) -> dict | None:
        # Shared, never mutated: callers serialise it.
        return self._by_id.get(user_id) if user_id is not None else None

    def username(self, user_id: int | None) -> str:
        person = self._by_id.get(user_id) if user_id is not None else None
        return person["username"] if person else ""

    def all(self) -> list[dict]:
        """Return everyone as the export's list of people (with whether they are active)."""
        return [self._records[uid] for uid in sorted(self._records)]


def verdict_scale(session: Session) -> list[Verdict]:
    """Return the verdict scale in its display order."""
    return list(session.exec(orm_select(Verdict).order_by(Verdict.position, Verdict.key)).all())


@dataclass
class ClaimRow:
    """One claim (a Core row: attribute access by column name) and its loaded children."""

    claim: Any
    sources: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    history: list = field(default_factory=list)


HIDDEN = "hidden (blind review)"


def _hide(value):
    if isinstance(value, dict):
        return {k: (HIDDEN if k in ("verdict", "conclusion") and v not in (None, "") else v)
                for k, v in value.items()}
    return value


def _redacted(row: ClaimRow) -> ClaimRow:
    """Copy a claim row without its verdict and conclusion, in the claim and its history."""
    claim = SimpleNamespace(**row.claim._mapping)
    claim.verdict, claim.conclusion, claim.blinded = None, "", True
    history = []
    for event in row.history:
        copy = SimpleNamespace(**event._mapping)
        copy.old, copy.new = _hide(loads(copy.old)), _hide(loads(copy.new))
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


def filters_from_query(args) -> ExportFilter:
    """Build a filter from query-string style args (article, state, verdict, since, until).

    ``args`` needs ``getlist`` and ``get`` (a werkzeug MultiDict). Raise ValueError with a
    readable message for a bad value.
    """
    try:
        article_ids = [int(a) for a in args.getlist("article") if a != ""]
    except ValueError:
        raise ValueError("article must be an article id (a whole number).") from None
    if any(not 0 < a <= MAX_INT for a in article_ids):
        raise ValueError("article must be a positive article id.")
    return ExportFilter(article_ids=article_ids,
                        states=[s for s in args.getlist("state") if s],
                        verdicts=[v for v in args.getlist("verdict") if v],
                        since=parse_day(args.get("since")),
                        until=parse_day(args.get("until"), end=True),
                        held_back=args.get("held_back", "") in ("1", "true"))


def json_sequence(nodes: Iterable[dict], batch: int = 200) -> Iterator[str]:
    """Serialise items as the inside of a JSON array, in chunks of `batch` items."""
    parts: list[str] = []
    separator = ""
    for node in nodes:
        parts.append(separator + orjson.dumps(node).decode())
        separator = ","
        if len(parts) >= batch:
            yield "".join(parts)
            parts.clear()
    if parts:
        yield "".join(parts)
