"""Read-side queries: filtered claim lists, full-text search, the queue, activity, mentions."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sqlalchemy import and_, func, or_
from sqlmodel import Session, select

from annotator import review
from annotator.models import Article, Claim, Event, Note, User

MENTION_RE = re.compile(r"(?<![\w@])@([A-Za-z0-9_.-]{2,64})")


@dataclass
class ClaimFilter:
    """The filters of the claims list; every field is optional and they combine."""

    states: list[str] = field(default_factory=list)
    verdicts: list[str] = field(default_factory=list)
    assignee: str = ""  # a username, "me", or "none"
    article_id: int | None = None
    q: str = ""

    def apply(self, query, me: User | None = None):
        """Narrow a select(Claim) query."""
        if self.states:
            query = query.where(Claim.state.in_(self.states))
        if self.verdicts:
            query = query.where(Claim.verdict.in_(self.verdicts))
        if self.article_id is not None:
            query = query.where(Claim.article_id == self.article_id)
        if self.assignee == "none":
            query = query.where(Claim.assignee_id.is_(None))
        elif self.assignee == "me" and me is not None:
            query = query.where(Claim.assignee_id == me.id)
        elif self.assignee:
            query = query.join(User, User.id == Claim.assignee_id).where(
                User.username == self.assignee)
        for word in self.q.split()[:8]:
            # Every word must appear in statement, quote or conclusion, case-insensitively.
            pattern = f"%{_escape_like(word.lower())}%"
            query = query.where(or_(
                func.lower(Claim.statement).like(pattern, escape="\\"),
                func.lower(Claim.quote).like(pattern, escape="\\"),
                func.lower(Claim.conclusion).like(pattern, escape="\\"),
            ))
        return query


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def find_claims(session: Session, filters: ClaimFilter, me: User | None, *, limit: int = 200,
                offset: int = 0) -> tuple[list[tuple[Claim, Article]], int]:
    """Return one page of matching claims with their articles, and the total count."""
    base = filters.apply(select(Claim), me)
    total = session.exec(select(func.count()).select_from(base.subquery())).one()
    rows = session.exec(
        filters.apply(select(Claim, Article).join(Article, Article.id == Claim.article_id), me)
        .order_by(Claim.article_id.desc(), Claim.start, Claim.id).offset(offset).limit(limit)
    ).all()
    return list(rows), total


def matching_ids(session: Session, filters: ClaimFilter, me: User | None) -> list[int]:
    """Return the ids of every claim the filter matches, in reading order."""
    query = filters.apply(select(Claim.id), me).order_by(Claim.article_id, Claim.start, Claim.id)
    return list(session.exec(query).all())


def mentioned_usernames(text: str) -> set[str]:
    """Return the usernames @mentioned in a note."""
    return set(MENTION_RE.findall(text or ""))


@dataclass
class Queue:
    """What a person has to do now."""

    assigned: list[Claim]
    waiting_approval: list[Claim]
    returned: list[Claim]
    mentions: list[tuple[Note, Claim]]


def queue_for(session: Session, me: User) -> Queue:
    """Gather what is assigned to me, waiting for my approval, returned to me, mentions."""
    mine = session.exec(select(Claim).where(Claim.assignee_id == me.id,
                                            Claim.state == review.IN_PROGRESS)
                        .order_by(Claim.updated_at.desc())).all()
    last_actions = _last_transition(session, [c.id for c in mine])
    returned = [c for c in mine if last_actions.get(c.id) == review.REQUEST_CHANGES]
    assigned = [c for c in mine if last_actions.get(c.id) != review.REQUEST_CHANGES]
    waiting: list[Claim] = []
    if review.may(me.role, "assign"):
        waiting = list(session.exec(select(Claim).where(
            Claim.state == review.IN_REVIEW,
            or_(Claim.submitted_by_id.is_(None), Claim.submitted_by_id != me.id))
            .order_by(Claim.submitted_at)).all())
    pattern = f"%@{_escape_like(me.username.lower())}%"
    candidates = session.exec(
        select(Note, Claim).join(Claim, Claim.id == Note.claim_id)
        .where(func.lower(Note.body).like(pattern, escape="\\"))
        .order_by(Note.id.desc()).limit(200)).all()
    mentions = [(n, c) for n, c in candidates
                if me.username.lower() in {u.lower() for u in mentioned_usernames(n.body)}]
    return Queue(assigned=assigned, waiting_approval=waiting, returned=returned,
                 mentions=mentions[:50])


def _last_transition(session: Session, claim_ids: list[int]) -> dict[int, str]:
    if not claim_ids:
        return {}
    transitions = set(review.ACTIONS)
    latest = (select(Event.claim_id, func.max(Event.id).label("last"))
              .where(Event.claim_id.in_(claim_ids), Event.action.in_(transitions))
              .group_by(Event.claim_id).subquery())
    rows = session.exec(select(Event.claim_id, Event.action).join(
        latest, and_(Event.claim_id == latest.c.claim_id, Event.id == latest.c.last))).all()
    return dict(rows)


def article_activity(session: Session, article_id: int,
                     limit: int = 100) -> list[tuple[Event, User | None, Claim | None]]:
    """Return an article's newest events with their actors and claims."""
    return list(session.exec(
        select(Event, User, Claim)
        .join(User, User.id == Event.actor_id, isouter=True)
        .join(Claim, Claim.id == Event.claim_id, isouter=True)
        .where(Event.article_id == article_id)
        .order_by(Event.id.desc()).limit(limit)).all())
