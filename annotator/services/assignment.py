"""Assignment: hand claims to reviewers one by one or in bulk, round-robin."""

from __future__ import annotations

from sqlmodel import Session, select

from annotator import review
from annotator.models import Claim, User
from annotator.services import claims as claim_service
from annotator.services.errors import Forbidden, Invalid

ASSIGNABLE_STATES = (review.OPEN, review.IN_PROGRESS, review.IN_REVIEW)


def bulk_assign(session: Session, actor: User, claim_ids: list[int],
                assignee_ids: list[int]) -> list[Claim]:
    """Assign claims round-robin among the chosen reviewers, all in the caller's transaction.

    Claims that cannot be assigned now (proposed, dismissed, approved) are skipped; the
    whole batch is one transaction, so a crash leaves either every assignment or none.
    Assigning is not starting: an open claim stays open until its assignee starts it.
    """
    if not review.may(actor.role, "assign") or not actor.active:
        raise Forbidden("Only an editor can assign claims.")
    claim_ids = list(dict.fromkeys(int(c) for c in claim_ids))
    assignee_ids = list(dict.fromkeys(int(a) for a in assignee_ids))
    if not claim_ids:
        raise Invalid("Choose at least one claim to assign.")
    if not assignee_ids:
        raise Invalid("Choose at least one reviewer to assign the claims to.")
    people = session.exec(select(User).where(User.id.in_(assignee_ids))).all()
    usable = {u.id for u in people if u.active and review.role_at_least(u.role, review.REVIEWER)}
    if missing := [a for a in assignee_ids if a not in usable]:
        raise Invalid(f"These people cannot take claims: {missing}.")
    rows = session.exec(select(Claim).where(Claim.id.in_(claim_ids),
                                            Claim.state.in_(ASSIGNABLE_STATES))
                        .order_by(Claim.article_id, Claim.start, Claim.id)).all()
    done = []
    for i, claim in enumerate(rows):
        assignee = assignee_ids[i % len(assignee_ids)]
        if claim.assignee_id == assignee:
            continue
        done.append(claim_service.transition(session, actor, claim.id, review.ASSIGN,
                                             assignee_id=assignee))
    return done
