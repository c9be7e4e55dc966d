"""Dashboard figures: claims by state and verdict, reviews per reviewer per week, agreement."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import Session, select

from annotator import agreement, review
from annotator.models import Article, BlindReview, Claim, Event, User, Verdict


@dataclass
class Bar:
    """One bar of a chart: its label, value, CSS class and width in the chart's units."""

    key: str
    label: str
    value: int
    css: str
    width: float = 0.0


def _bars(rows: list[Bar], scale: float = 300.0) -> list[Bar]:
    top = max((b.value for b in rows), default=0) or 1
    for bar in rows:
        bar.width = round(scale * bar.value / top, 1)
    return rows


def by_state(session: Session, article_id: int | None = None) -> list[Bar]:
    """Count claims per workflow state."""
    query = select(Claim.state, func.count()).group_by(Claim.state)
    if article_id is not None:
        query = query.where(Claim.article_id == article_id)
    counts = dict(session.exec(query).all())
    return _bars([Bar(s, review.STATE_LABELS[s], counts.get(s, 0), f"state-{s}")
                  for s in review.STATES])


def by_verdict(session: Session, article_id: int | None = None,
               exclude: set[int] | frozenset = frozenset()) -> list[Bar]:
    """Count claims per verdict of the scale, leaving out the excluded claims."""
    query = select(Claim.verdict, func.count()).where(Claim.verdict.is_not(None)).group_by(
        Claim.verdict)
    if exclude:
        query = query.where(Claim.id.not_in(exclude))
    if article_id is not None:
        query = query.where(Claim.article_id == article_id)
    counts = dict(session.exec(query).all())
    scale = session.exec(select(Verdict).order_by(Verdict.position)).all()
    return _bars([Bar(v.key, v.label, counts.get(v.key, 0), f"verdict-{v.key}") for v in scale])


def per_article(session: Session, limit: int = 30) -> list[dict]:
    """Return state counts for the newest articles."""
    articles = session.exec(select(Article.id, Article.title).order_by(Article.id.desc())
                            .limit(limit)).all()
    ids = [a.id for a in articles]
    counts: dict[int, Counter] = defaultdict(Counter)
    if ids:
        for article_id, state, n in session.exec(
                select(Claim.article_id, Claim.state, func.count())
                .where(Claim.article_id.in_(ids)).group_by(Claim.article_id, Claim.state)).all():
            counts[article_id][state] = n
    return [{"id": a.id, "title": a.title, "states": dict(counts[a.id]),
             "total": sum(counts[a.id].values())} for a in articles]


def reviews_per_week(session: Session, weeks: int = 12) -> dict:
    """Count submitted reviews per reviewer per ISO week, newest weeks last."""
    rows = session.exec(select(Event.created_at, User.username)
                        .join(User, User.id == Event.actor_id)
                        .where(Event.action == review.SUBMIT)).all()
    table: dict[str, Counter] = defaultdict(Counter)
    seen: set[str] = set()
    for at, username in rows:
        year, week, _ = at.isocalendar()
        label = f"{year}-W{week:02d}"
        seen.add(label)
        table[username][label] += 1
    labels = sorted(seen)[-weeks:]
    return {"weeks": labels,
            "reviewers": [{"username": u, "counts": [table[u][w] for w in labels],
                           "total": sum(table[u][w] for w in labels)}
                          for u in sorted(table)]}


def agreement_table(session: Session) -> list[dict]:
    """Compare first verdicts with blind second verdicts, per pair of reviewers."""
    rows = session.exec(
        select(Claim.id, Claim.verdict, Claim.submitted_by_id, BlindReview.reviewer_id,
               BlindReview.verdict)
        .join(BlindReview, BlindReview.claim_id == Claim.id)
        .where(Claim.verdict.is_not(None), Claim.submitted_by_id.is_not(None))).all()
    names = dict(session.exec(select(User.id, User.username)).all())
    ratings: dict = defaultdict(dict)
    for claim_id, first, submitter, second_reviewer, second in rows:
        # Each blind review pairs with the claim's first verdict as its own item.
        item = (claim_id, second_reviewer)
        ratings[item][names[submitter]] = first
        ratings[item][names[second_reviewer]] = second
    labels = session.exec(select(Verdict.key)).all()
    return [{"rater_a": p.rater_a, "rater_b": p.rater_b, "n": p.n,
             "percent": round(100 * p.percent, 1), "kappa": round(p.kappa, 3)}
            for p in agreement.pairwise_agreement(ratings, labels=labels)]
