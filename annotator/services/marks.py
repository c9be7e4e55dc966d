"""Checked before? marks on the article page, worked out after an import, never during it.

An import commits first; then a background job (``jobs.run_mark_job``) asks the matcher for
each claim still to be worked (proposed, open, in progress) and stores, per claim, how many
earlier fact-checks are the same claim (tier ``same``; a "possibly related" one marks
nothing, and neither does one a reviewer marked "not the same claim") and the best one.
The article page reads the marks with its claims: no matching while a page renders or
while the import holds its transaction.
"""

from __future__ import annotations

from sqlalchemy import delete
from sqlmodel import Session, select

from annotator import review
from annotator.models import Claim, MatchMark
from annotator.services import articles, matching

TO_WORK = (review.PROPOSED, review.OPEN, review.IN_PROGRESS)


def compute(session: Session, article_id: int) -> dict[int, list]:
    """Return each to-be-worked claim's matches (read only: no write, no lock held)."""
    claims = [c for c in articles.article_claims(session, article_id) if c.state in TO_WORK]
    return {c.id: matching.matches_for_claim(session, c, tier=matching.SAME) for c in claims}


def store(session: Session, found: dict[int, list]) -> int:
    """Replace these claims' marks with what `compute` found; return how many are marked."""
    if not found:
        return 0
    ids = list(found)
    existing = set(session.exec(select(Claim.id).where(Claim.id.in_(ids))).all())
    session.exec(delete(MatchMark).where(MatchMark.claim_id.in_(ids)))
    marked = 0
    for claim_id, matches in found.items():
        mark = matching.mark_for(claim_id, matches)
        if mark is None or claim_id not in existing:  # none rather than noise; gone meanwhile
            continue
        session.add(mark)
        marked += 1
    session.flush()
    return marked


def for_claims(session: Session, claim_ids: list[int]) -> dict[int, MatchMark]:
    """Return the marks of these claims, by claim id."""
    if not claim_ids:
        return {}
    return {m.claim_id: m for m in session.exec(
        select(MatchMark).where(MatchMark.claim_id.in_(claim_ids))).all()}
