"""A source's pages: its archived copy in the reader view, and archiving it again.

Kept apart from ``services.evidence`` (the publishing gate and the at-risk list), which the
claim service consults: this module reads claims, so the claim service must not import it.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from annotator import review
from annotator.models import Source, SourceSnapshot, User
from annotator.services import claims as claim_service
from annotator.services import events, snapshots
from annotator.services.errors import Forbidden, Invalid, NotFound


@dataclass
class Reading:
    """A source's snapshot for the reader view: its text in paragraphs, the quote marked."""

    source: Source
    snapshot: SourceSnapshot | None
    paragraphs: list[list[tuple[str, bool]]]  # each: (text, is it the quote) pieces
    kept_here: bool  # False for a snapshot an import brought without its bytes


def entry(session: Session, user: User, source_id: int) -> tuple[Source, SourceSnapshot | None,
                                                                 bool]:
    """Return a source, its snapshot and whether this user may archive it again."""
    source = session.get(Source, source_id)
    if source is None:
        raise NotFound("No such source.")
    claim = claim_service.get_claim(session, source.claim_id)
    return (source, session.get(SourceSnapshot, source_id),
            claim_service.can_edit(session, claim, user))


def reading(session: Session, source_id: int) -> Reading:
    """Return a source's archived text for the reader view, the quote's span marked."""
    source = session.get(Source, source_id)
    if source is None:
        raise NotFound("No such source.")
    snap = session.get(SourceSnapshot, source_id)
    text = snapshots.text_of(session, source_id, None)
    if text is None:
        return Reading(source, snap, [], kept_here=False)
    start = snap.quote_start if snap and snap.quote == "found" else None
    end = snap.quote_end if start is not None else None
    return Reading(source, snap, split_marked(text, start, end), kept_here=True)


def split_marked(text: str, start: int | None, end: int | None) -> list[list[tuple[str, bool]]]:
    """Split text into paragraphs of (piece, marked) pairs; [start, end) is marked."""
    out, offset = [], 0
    for block in text.split("\n"):
        piece_end = offset + len(block)
        if block.strip():
            if start is None or end <= offset or start >= piece_end:
                out.append([(block, False)])
            else:
                a, b = max(start, offset) - offset, min(end, piece_end) - offset
                out.append([(p, m) for p, m in ((block[:a], False), (block[a:b], True),
                                                 (block[b:], False)) if p])
        offset = piece_end + 1
    return out


def fetch_again(session: Session, user: User, source_id: int) -> SourceSnapshot:
    """Queue a source's snapshot again: any reviewer after a failure, else who may edit it."""
    source, snap, can_edit = entry(session, user, source_id)
    if not review.role_at_least(user.role, review.REVIEWER) or not user.active:
        raise Forbidden("Your role can read sources but not archive them.")
    if snap is not None and snap.status == "pending":
        raise Invalid("This source is being archived already.")
    if snap is not None and snap.status == "stored" and not can_edit:
        raise Forbidden("The archived copy is the evidence as the desk read it; only someone "
                        "who may edit the claim archives it again.")
    found = snapshots.request(session, source_id)
    events.record(session, "archive_source", actor=user, claim_id=source.claim_id,
                  new={"id": source.id, "url": source.url})
    return found
