"""The append-only history: every change writes one Event here."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import event as sa_event
from sqlalchemy import func
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session, select

from annotator import review
from annotator.models import Claim, Event, Source, User

# Recorded authorship (issue 19). Every change to a claim goes through ``record``, which
# compares the claim's published fields (and its sources) as they were when the service
# first read it in this transaction (``remember``) with how they are now, and writes the
# names of those that differ on the event. Four eyes reads only that record, never the
# payload's keys.
_SNAPSHOTS = "issue19_published_before"
_SOURCE_COLUMNS = ("url", "title", "publisher", "published", "stance", "excerpt",
                   "archived_url")


_SOURCES = "claim_sources_read"


def claim_sources(session: Session, claim_id: int) -> list[Source]:
    """Return the claim's sources in id order, read once per transaction while none change.

    A write reads them for the history before and after it changes the claim, and for the
    workflow's facts between: one query, not three, unless sources were added, removed or
    written in between (a flush of any source, or any statement on the source table,
    forgets them; so does a source added or deleted in the session and not yet flushed).
    The objects are the session's own, so a change made to one in memory shows as it would
    after a fresh read.
    """
    read = session.info.setdefault(_SOURCES, {})
    pending = any(isinstance(o, Source) for o in (*session.new, *session.deleted))
    if claim_id not in read or pending:
        read[claim_id] = list(session.exec(select(Source).where(Source.claim_id == claim_id)
                                           .order_by(Source.id)).all())
    return read[claim_id]


@sa_event.listens_for(OrmSession, "before_flush")
def _sources_flushed(session, flush_context, instances) -> None:
    if any(isinstance(o, Source) for o in (*session.new, *session.dirty, *session.deleted)):
        session.info.pop(_SOURCES, None)


@sa_event.listens_for(OrmSession, "do_orm_execute")
def _sources_written(state) -> None:
    # Any statement that may write (ORM or plain SQL) forgets them unless it is a claim's
    # own update, which leaves the sources as they were.
    if state.is_select:
        return
    table = getattr(state.statement, "table", None)
    if getattr(table, "name", None) != Claim.__tablename__:
        state.session.info.pop(_SOURCES, None)


def published_state(session: Session, claim_id: int) -> dict[str, Any] | None:
    """Return what an approval of the claim would publish, as comparable values."""
    claim = session.get(Claim, claim_id)
    if claim is None:
        return None
    rows = claim_sources(session, claim_id)
    state: dict[str, Any] = {f: getattr(claim, f) for f in review.PUBLISHED_FIELDS
                             if f != "sources"}
    state["sources"] = tuple((s.id, *(getattr(s, c) for c in _SOURCE_COLUMNS)) for s in rows)
    return state


def remember(session: Session, claim_id: int | None) -> None:
    """Note the claim's published values before this transaction changes them (once)."""
    if claim_id is None:
        return
    seen = session.info.setdefault(_SNAPSHOTS, {})
    if claim_id not in seen:
        seen[claim_id] = published_state(session, claim_id)


def changed_fields(before: dict | None, after: dict | None) -> list[str]:
    """Name the published fields that differ between two states (None: no claim yet)."""
    if after is None:
        return []
    blank = {"statement": "", "claimant": "", "verdict": None, "conclusion": "",
             "sources": ()}
    before = before or blank
    return [f for f in review.PUBLISHED_FIELDS
            if (before.get(f) or blank[f]) != (after.get(f) or blank[f])]


@sa_event.listens_for(OrmSession, "after_commit")
@sa_event.listens_for(OrmSession, "after_rollback")
def _forget(session) -> None:
    # Another transaction may change the claim next: read it afresh then.
    session.info.pop(_SNAPSHOTS, None)
    session.info.pop(_SOURCES, None)


def record(
    session: Session,
    action: str,
    *,
    actor: User | None,
    article_id: int | None = None,
    claim_id: int | None = None,
    old: Any = None,
    new: Any = None,
    comment: str = "",
    new_claim: bool = False,
) -> Event:
    """Append one event, with the published fields the action changed.

    ``new_claim``: the claim did not exist before this action (create, split's second
    half); it is compared with a claim whose statement is its quote and nothing else.
    """
    fields: list[str] = []
    if claim_id is not None:
        seen = session.info.setdefault(_SNAPSHOTS, {})
        after = published_state(session, claim_id)
        if new_claim and after is not None:
            # A new claim starts as the article's own words: its quote is the statement
            # nobody wrote. Giving it other words, a verdict or sources is authorship.
            claim = session.get(Claim, claim_id)
            # Issue 20: the claimant a new claim starts with is the attribution step's
            # suggestion (or the half it was split from), never typed: not authorship.
            fields = changed_fields({"statement": claim.quote, "claimant": claim.claimant},
                                    after)
        elif claim_id in seen:
            fields = changed_fields(seen[claim_id], after)
        # The next event in this transaction compares against this one's outcome.
        seen[claim_id] = after
    event = Event(
        action=action,
        actor_id=actor.id if actor else None,
        article_id=article_id,
        claim_id=claim_id,
        old=old,
        new=new,
        comment=comment or "",
        fields=fields,
    )
    session.add(event)
    # Approvals, reopens and edits change which claims "checked before?" can find: whoever
    # follows the history (matching) subscribed below, so this module imports none of them.
    for listener in _LISTENERS:
        listener(session, action, claim_id, article_id)
    return event


# Called with (session, action, claim_id, article_id) after each recorded event.
Listener = Callable[[Session, str, "int | None", "int | None"], None]
_LISTENERS: list[Listener] = []


def subscribe(listener: Listener) -> Listener:
    """Have ``listener`` hear every event this module records (in the same transaction).

    Registered by the module that listens (``services.matching``) when it loads; the
    services package loads it, so every process that records events has it.
    """
    if listener not in _LISTENERS:
        _LISTENERS.append(listener)
    return listener


def claim_history(session: Session, claim_id: int) -> list[tuple[Event, User | None]]:
    """Return a claim's events, oldest first, with their actors."""
    rows = session.exec(
        select(Event, User)
        .join(User, User.id == Event.actor_id, isouter=True)
        .where(Event.claim_id == claim_id)
        .order_by(Event.id)
    ).all()
    return list(rows)


def latest_event_id(session: Session, *, article_id: int | None = None,
                    claim_id: int | None = None) -> int:
    """Return the newest event id for an article or claim: the cheap live-update version."""
    query = select(func.max(Event.id))
    if claim_id is not None:
        query = query.where(Event.claim_id == claim_id)
    if article_id is not None:
        query = query.where(Event.article_id == article_id)
    return session.exec(query).one() or 0


def creators(session: Session, claim_ids: list[int]) -> dict[int, User]:
    """Return who made each hand-made claim (the actor of its "create" event), by claim id."""
    if not claim_ids:
        return {}
    rows = session.exec(
        select(Event.claim_id, User)
        .join(User, User.id == Event.actor_id)
        .where(Event.action == "create", Event.claim_id.in_(claim_ids))
    ).all()
    return {claim_id: person for claim_id, person in rows}


def change_requests(session: Session, claim_ids: list[int]) -> dict[int, tuple[Event, User | None]]:
    """Return the latest "request changes" event of each claim, with who asked."""
    if not claim_ids:
        return {}
    rows = session.exec(
        select(Event, User)
        .join(User, User.id == Event.actor_id, isouter=True)
        .where(Event.action == "request_changes", Event.claim_id.in_(claim_ids))
        .order_by(Event.id)
    ).all()
    return {event.claim_id: (event, who) for event, who in rows}


def people_by_id(session: Session, ids) -> dict[int, User]:
    """Return the users with these ids (None ignored), keyed by id, in one query."""
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return {u.id: u for u in session.exec(select(User).where(User.id.in_(wanted))).all()}


def event_with_actor(session: Session, event_id: int) -> tuple[Event, User | None] | None:
    """Return one event and the person who did it."""
    return session.exec(select(Event, User).join(User, User.id == Event.actor_id, isouter=True)
                        .where(Event.id == event_id)).first()


def claims_changed_since(session: Session, article_id: int, since: int) -> list[Claim]:
    """Return the article's claims that have history events after event `since`."""
    changed = select(Event.claim_id).where(Event.article_id == article_id, Event.id > since,
                                           Event.claim_id.is_not(None))
    return list(session.exec(select(Claim).where(Claim.id.in_(changed))).all())
