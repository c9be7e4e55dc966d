"""The append-only history: every change writes one Event here."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func
from sqlmodel import Session, select

from annotator.models import Claim, Event, User


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
) -> Event:
    """Append one event."""
    event = Event(
        action=action,
        actor_id=actor.id if actor else None,
        article_id=article_id,
        claim_id=claim_id,
        old=old,
        new=new,
        comment=comment or "",
    )
    session.add(event)
    # Approvals, reopens and edits change which claims "checked before?" can find. Imported
    # here: matching records its own events through this module.
    from annotator.services import matching

    matching.on_event(session, action, claim_id, article_id)
    return event


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
