"""My queue: what is returned to me, assigned to me, waiting for my approval, mentions.

Each section shows its first QUEUE_ROWS rows through an index and counts the rest from the
tallies or up to the count cap; `queue_section` pages through one section.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, or_
from sqlmodel import Session, select

from annotator import review
from annotator.models import Article, Claim, Event, Mention, Note, User
from annotator.services.queries import ClaimFilter, _tallied_total, count_capped

QUEUE_ROWS = 10

QUEUE_SECTIONS = ("returned", "assigned", "waiting_approval", "mentions")


def _last_transition():
    """A correlated subquery: the claim's latest workflow action."""
    return (select(Event.action).where(Event.claim_id == Claim.id,
                                       Event.action.in_(review.ACTIONS))
            .order_by(Event.id.desc()).limit(1).scalar_subquery())


def _section(me: User, name: str):
    """Return the select of one queue section, newest first, or None if not for this role."""
    if name in ("returned", "assigned"):
        # Assigned claims wait open until started; a returned claim is back in progress.
        states = ((review.IN_PROGRESS,) if name == "returned"
                  else (review.OPEN, review.IN_PROGRESS))
        mine = select(Claim).where(Claim.assignee_id == me.id, Claim.state.in_(states))
        last = func.coalesce(_last_transition(), "")
        if name == "returned":
            # Only claims that ever had a change request (few) need their history read.
            asked = select(Event.claim_id).where(Event.action == review.REQUEST_CHANGES)
            mine = mine.where(Claim.id.in_(asked), last == review.REQUEST_CHANGES)
        else:
            mine = mine.where(last != review.REQUEST_CHANGES)
        return mine.order_by(Claim.id.desc())
    if name == "waiting_approval":
        if not review.may(me.role, "assign"):
            return None
        return (select(Claim).where(Claim.state == review.IN_REVIEW,
                                    or_(Claim.submitted_by_id.is_(None),
                                        Claim.submitted_by_id != me.id))
                .order_by(Claim.id))
    return (select(Note, Claim).join(Mention, Mention.note_id == Note.id)
            .join(Claim, Claim.id == Note.claim_id).where(Mention.user_id == me.id)
            .order_by(Mention.note_id.desc()))


@dataclass
class Queue:
    """What a person has to do now: up to QUEUE_ROWS of each section, and each count."""

    assigned: list[Claim]
    waiting_approval: list[Claim]
    returned: list[Claim]
    mentions: list[tuple[Note, Claim]]
    counts: dict[str, tuple[int, bool]] = field(default_factory=dict)
    titles: dict[int, str] = field(default_factory=dict)  # article id -> title of the rows'

    def label(self, name: str) -> str:
        """Return a section's count as shown: "12", or "10,000+" when capped."""
        n, exact = self.counts.get(name, (0, True))
        return f"{n:,}" if exact else f"{n:,}+"

    def more(self, name: str) -> bool:
        """Tell whether a section has more rows than the queue shows."""
        shown = {"assigned": self.assigned, "returned": self.returned,
                 "waiting_approval": self.waiting_approval, "mentions": self.mentions}[name]
        return self.counts.get(name, (0, True))[0] > len(shown)


def queue_section(session: Session, me: User, name: str, *, limit: int = QUEUE_ROWS,
                  offset: int = 0) -> tuple[list, int, bool]:
    """Return one page of a queue section, its capped count and whether that is exact."""
    statement = _section(me, name)
    if statement is None:
        return [], 0, True
    if name == "assigned":
        # One query per state, each read in id order from (assignee_id, state, id), merged:
        # an IN over states would make the database sort all of a person's claims.
        rows = sorted((c for state in (review.OPEN, review.IN_PROGRESS)
                       for c in session.exec(statement.where(Claim.state == state)
                                             .limit(offset + limit)).all()),
                      key=lambda c: -c.id)[offset:offset + limit]
    else:
        rows = session.exec(statement.offset(offset).limit(limit)).all()
    rows = [tuple(r) for r in rows] if name == "mentions" else list(rows)
    if offset == 0 and len(rows) < limit:
        return rows, len(rows), True
    if name == "assigned":
        # Everything assigned in these states (the index alone), less what was returned.
        everything = select(Claim.id).where(Claim.assignee_id == me.id,
                                            Claim.state.in_((review.OPEN, review.IN_PROGRESS)))
        total, exact = count_capped(session, everything)
        returned, _ = count_capped(session, _section(me, "returned").with_only_columns(
            Claim.id).order_by(None))
        return rows, max(total - returned, len(rows)), exact
    if name == "waiting_approval":
        # Everything in review (the tally) less what I submitted myself (an index range).
        everything = _tallied_total(session, ClaimFilter(states=[review.IN_REVIEW]))
        own, _ = count_capped(session, select(Claim.id).where(
            Claim.submitted_by_id == me.id, Claim.state == review.IN_REVIEW))
        return rows, max(everything - own, len(rows)), True
    ids = statement.with_only_columns(Claim.id if name != "mentions" else Mention.note_id)
    total, exact = count_capped(session, ids.order_by(None))
    return rows, total, exact


def queue_for(session: Session, me: User, limit: int = QUEUE_ROWS) -> Queue:
    """Gather the first rows of what is returned to me, assigned, waiting, and mentions."""
    parts = {name: queue_section(session, me, name, limit=limit) for name in QUEUE_SECTIONS}
    shown = [c for name in ("assigned", "waiting_approval", "returned") for c in parts[name][0]]
    shown += [c for _note, c in parts["mentions"][0]]
    return Queue(assigned=parts["assigned"][0], waiting_approval=parts["waiting_approval"][0],
                 returned=parts["returned"][0], mentions=parts["mentions"][0],
                 counts={k: (v[1], v[2]) for k, v in parts.items()},
                 titles=article_titles(session, {c.article_id for c in shown}))


def article_titles(session: Session, article_ids) -> dict[int, str]:
    """Return the titles of the given articles, by id (one query; the queue names each)."""
    ids = sorted(set(article_ids))
    if not ids:
        return {}
    return dict(session.exec(select(Article.id, Article.title).where(Article.id.in_(ids))).all())
