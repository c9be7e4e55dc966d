"""Learning from the desk: retrain the check-worthiness scorer on the desk's own decisions.

A machine proposal the desk accepted (anything past `proposed` but `dismissed`) and a claim a
person added count as check-worthy; a dismissed proposal counts as not. The retrained
weights live in the database, so every app server proposes claims the same way.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from sqlalchemy import and_, func, not_
from sqlmodel import Session, select

from annotator import review
from annotator.extract import score, train
from annotator.models import Claim, Event, User
from annotator.services import articles, events, settings
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
    threshold_before: float | None = None
    threshold_after: float | None = None


def _decided():
    """The SQL condition of a decision: a claim someone accepted, dismissed or worked on.

    Candidates the proposal budget held back were never looked at, and a claim a person
    added and then dismissed says nothing about the machine's proposals: neither counts.
    """
    return and_(Claim.state != review.PROPOSED, not_(articles.below_budget_condition()),
                not_(and_(Claim.origin == "person", Claim.state == review.DISMISSED)))


def decisions(session: Session) -> list[tuple[int, str, int]]:
    """Return (claim id, quote, label) for every decision the desk has made."""
    rows = session.exec(select(Claim.id, Claim.quote, Claim.state, Claim.origin)
                        .where(_decided()).order_by(Claim.id)).all()
    return [(claim_id, quote, 0 if state == review.DISMISSED and origin == "machine" else 1)
            for claim_id, quote, state, origin in rows]


def decision_count(session: Session) -> int:
    """Return how many decisions there are (counted in SQL: the pages and the retrain button
    ask on every view, and a desk has hundreds of thousands of claims)."""
    return session.exec(select(func.count()).select_from(Claim).where(_decided())).one()


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
    final = train.retrain(base, [(q, y) for _, q, y in rows])
    threshold_before = settings.propose_threshold(session)
    threshold_after = None
    if test_rows and any(y for _, y in test_rows):
        texts, labels = [q for q, _ in test_rows], [y for _, y in test_rows]
        before = average_precision([s.score for s in score.score_many(texts, base)], labels)
        trial = train.retrain(base, train_rows)
        after = average_precision([s.score for s in score.score_many(texts, trial)], labels)
        if 0 < sum(labels) < len(labels):
            # Recalibrate on decisions the trial model did not see, then pick the threshold
            # that best separates what the desk kept from what it dismissed.
            logits = score.logits_alone(texts, trial)
            final = train.recalibrate(final, logits, labels)
            calibrated = train.recalibrate(trial, logits, labels)
            probs = [score.sigmoid(z) for z in score.logits_alone(texts, calibrated)]
            threshold_after = best_threshold(probs, labels)
    # The weights (600 KB of JSON) are written first and alone: a transaction takes SQLite's
    # write lock at its first write, and their encoding, done just before that statement,
    # then runs before the lock is taken, not while every other writer waits (in a worker
    # at low CPU priority, the 16 ms it takes can stretch to 150 ms under load; issue 19).
    settings.put(session, settings.SCORER_WEIGHTS, final)
    session.flush()
    if threshold_after is not None:
        settings.put(session, settings.PROPOSE_THRESHOLD, threshold_after)
    report = RetrainReport(examples=len(rows), positives=sum(y for _, _, y in rows),
                           held_out=len(test_rows), ap_before=before, ap_after=after,
                           threshold_before=threshold_before, threshold_after=threshold_after)
    events.record(session, "retrain", actor=actor, new={
        "examples": report.examples, "positives": report.positives,
        "held_out": report.held_out, "ap_before": before, "ap_after": after,
        "threshold_before": threshold_before, "threshold_after": threshold_after})
    return report


def best_threshold(probs: list[float], labels: list[int]) -> float:
    """Return the probability threshold with the best F1 on (probability, label) pairs,
    kept within [0.05, 0.95] so that a few decisions cannot switch proposals off."""
    best, best_f1 = 0.5, -1.0
    positives = sum(labels)
    for t in sorted(set(round(p, 4) for p in probs)):
        t = min(max(t, 0.05), 0.95)
        tp = sum(1 for p, y in zip(probs, labels, strict=True) if p >= t and y)
        chosen = sum(1 for p in probs if p >= t)
        if not tp:
            continue
        precision, recall = tp / chosen, tp / positives
        f1 = 2 * precision * recall / (precision + recall)
        if f1 >= best_f1:  # on a tie, the higher threshold: fewer proposals
            best, best_f1 = t, f1
    return round(best, 4)


def last_retrain(session: Session) -> Event | None:
    """Return the event of the newest retraining, with its figures, if any."""
    return session.exec(select(Event).where(Event.action == "retrain")
                        .order_by(Event.id.desc())).first()
