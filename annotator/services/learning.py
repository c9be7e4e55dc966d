"""Learning from the desk: retrain the check-worthiness scorer on the desk's own decisions.

A machine proposal the desk accepted (anything past `proposed` but `dismissed`) and a claim a
person added count as check-worthy; a dismissed proposal counts as not. The retrained
weights live in the database, so every app server proposes claims the same way.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from sqlmodel import Session, select

from annotator import review
from annotator.extract import score, train
from annotator.models import Claim, Event, User
from annotator.services import events, settings
from annotator.services.errors import Forbidden, Invalid

MIN_EXAMPLES = 20
HELD_OUT_SHARE = 5  # one decision in five is held out to measure the gain


@dataclass
class RetrainReport:
    """What a retraining did and how much it helped on decisions it did not see."""

    examples: int
    positives: int
    held_out: int
    ap_before: float | None
    ap_after: float | None


def decisions(session: Session) -> list[tuple[int, str, int]]:
    """Return (claim id, quote, label) for every decision the desk has made."""
    rows = session.exec(select(Claim.id, Claim.quote, Claim.origin, Claim.state)
                        .where(Claim.state != review.PROPOSED).order_by(Claim.id)).all()
    return [(cid, quote, 0 if state == review.DISMISSED and origin == "machine" else 1)
            for cid, quote, origin, state in rows
            if not (origin == "person" and state == review.DISMISSED)]


def _held_out(claim_id: int) -> bool:
    # A stable split: the same claims are held out on every run.
    return int(hashlib.sha256(str(claim_id).encode()).hexdigest(), 16) % HELD_OUT_SHARE == 0


def average_precision(scores: list[float], labels: list[int]) -> float | None:
    """Return the average precision of a ranking, or None without any positive."""
    order = sorted(range(len(scores)), key=lambda i: -scores[i])
    hits, total = 0, 0.0
    for rank, i in enumerate(order, 1):
        if labels[i]:
            hits += 1
            total += hits / rank
    return total / hits if hits else None


def desk_weights(session: Session) -> dict | None:
    """Return the desk's retrained scorer, or None to use the shipped one."""
    return settings.get(session, settings.SCORER_WEIGHTS)


def retrain_desk(session: Session, actor: User | None,
                 min_examples: int = MIN_EXAMPLES) -> RetrainReport:
    """Retrain from the shipped weights on the desk's decisions and store the result."""
    if actor is not None and not review.may(actor.role, "admin"):
        raise Forbidden("Only an admin can retrain the desk's scorer.")
    rows = decisions(session)
    if len(rows) < min_examples:
        raise Invalid(f"Retraining needs at least {min_examples} decisions; the desk has "
                      f"{len(rows)} so far.")
    base = score.load_weights()
    train_rows = [(q, y) for cid, q, y in rows if not _held_out(cid)]
    test_rows = [(q, y) for cid, q, y in rows if _held_out(cid)]
    before = after = None
    if test_rows and any(y for _, y in test_rows):
        texts, labels = [q for q, _ in test_rows], [y for _, y in test_rows]
        before = average_precision([s.score for s in score.score_many(texts, base)], labels)
        trial = train.retrain(base, train_rows)
        after = average_precision([s.score for s in score.score_many(texts, trial)], labels)
    final = train.retrain(base, [(q, y) for _, q, y in rows])
    settings.put(session, settings.SCORER_WEIGHTS, final)
    report = RetrainReport(examples=len(rows), positives=sum(y for _, _, y in rows),
                           held_out=len(test_rows), ap_before=before, ap_after=after)
    events.record(session, "retrain", actor=actor, new={
        "examples": report.examples, "positives": report.positives,
        "held_out": report.held_out, "ap_before": before, "ap_after": after})
    return report


def last_retrain(session: Session) -> Event | None:
    """Return the event of the newest retraining, with its figures, if any."""
    return session.exec(select(Event).where(Event.action == "retrain")
                        .order_by(Event.id.desc())).first()
