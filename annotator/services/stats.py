"""Dashboard figures: claims by state and verdict, reviews per reviewer per week, agreement.

Desk-wide counts read the tally tables that triggers keep in the writing transaction
(migration 0007), so they cost a few rows however large the archive. One article's counts
read its claims through the (article_id, ...) index.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func
from sqlmodel import Session, select

from annotator import agreement, review
from annotator.models import Article, BlindReview, Claim, ClaimTally, ReviewTally, User, Verdict


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


def _counts(session: Session, article_id: int | None) -> dict[tuple[str, str], int]:
    """Return claims per (state, verdict or ""), desk-wide from the tally or for one article."""
    if article_id is None:
        rows = session.exec(select(ClaimTally.state, ClaimTally.verdict, ClaimTally.n)).all()
    else:
        rows = session.exec(select(Claim.state, Claim.verdict, func.count())
                            .where(Claim.article_id == article_id)
                            .group_by(Claim.state, Claim.verdict)).all()
    return {(state, verdict or ""): n for state, verdict, n in rows if n}


def by_state(session: Session, article_id: int | None = None) -> list[Bar]:
    """Count claims per workflow state; held-back sentences are nobody's work yet: left out."""
    counts: Counter = Counter()
    for (state, _verdict), n in _counts(session, article_id).items():
        counts[state] += n
    return _bars([Bar(s, review.STATE_LABELS[s], counts.get(s, 0), f"state-{s}")
                  for s in review.STATES if s != review.HELD_BACK])


def by_verdict(session: Session, article_id: int | None = None, *,
               drafts: bool = False) -> list[Bar]:
    """Count verdicts of approved claims (the desk's results), or the drafts of the others.

    Approved verdicts are never hidden by blind review; drafts are for editors only.
    """
    counts: Counter = Counter()
    for (state, verdict), n in _counts(session, article_id).items():
        if verdict and (state == review.APPROVED) != drafts:
            counts[verdict] += n
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
                .where(Claim.article_id.in_(ids), Claim.state != review.HELD_BACK)
                .group_by(Claim.article_id, Claim.state)).all():
            counts[article_id][state] = n
    return [{"id": a.id, "title": a.title, "states": dict(counts[a.id]),
             "total": sum(counts[a.id].values())} for a in articles]


def _week_label(monday: date) -> str:
    year, week, _ = monday.isocalendar()
    return f"{year}-W{week:02d}"


def reviews_per_week(session: Session, weeks: int = 12) -> dict:
    """Count reviews submitted per person per ISO week (whoever submitted), newest last."""
    recent = session.exec(select(ReviewTally.week).distinct()
                          .order_by(ReviewTally.week.desc()).limit(weeks)).all()
    if not recent:
        return {"weeks": [], "reviewers": []}
    rows = session.exec(select(ReviewTally.week, ReviewTally.n, User.username,
                               User.display_name)
                        .join(User, User.id == ReviewTally.user_id)
                        .where(ReviewTally.week >= min(recent))).all()
    table: dict[str, Counter] = defaultdict(Counter)
    names: dict[str, str] = {}
    for week, n, username, display in rows:
        table[username][_week_label(week)] += n
        names[username] = display or username
    labels = [_week_label(w) for w in sorted(recent)]
    return {"weeks": labels,
            "reviewers": [{"username": u, "name": names[u],
                           "counts": [table[u][w] for w in labels],
                           "total": sum(table[u][w] for w in labels)}
                          for u in sorted(table, key=lambda u: names[u].lower())]}


def agreement_table(session: Session) -> list[dict]:
    """Compare first verdicts with blind second verdicts, per pair of reviewers."""
    rows = session.exec(
        select(Claim.id, Claim.verdict, Claim.submitted_by_id, BlindReview.reviewer_id,
               BlindReview.verdict)
        .join(BlindReview, BlindReview.claim_id == Claim.id)
        .where(Claim.verdict.is_not(None), Claim.submitted_by_id.is_not(None))).all()
    people = {uid: (name, display) for uid, name, display in session.exec(
        select(User.id, User.username, User.display_name).where(User.id.in_(
            {r[2] for r in rows} | {r[3] for r in rows}))).all()} if rows else {}
    ratings: dict = defaultdict(dict)
    for claim_id, first, submitter, second_reviewer, second in rows:
        # Each blind review pairs with the claim's first verdict as its own item.
        item = (claim_id, second_reviewer)
        ratings[item][people[submitter][0]] = first
        ratings[item][people[second_reviewer][0]] = second
    display = {name: (shown or name) for name, shown in people.values()}
    labels = session.exec(select(Verdict.key)).all()
    return [{"rater_a": p.rater_a, "rater_b": p.rater_b, "name_a": display[p.rater_a],
             "name_b": display[p.rater_b], "n": p.n,
             "percent": round(100 * p.percent, 1), "kappa": round(p.kappa, 3)}
            for p in agreement.pairwise_agreement(ratings, labels=labels)]
