"""The morning list: the claims proposed since a chosen time, ranked and grouped.

One row per claim, however many outlets carry it: claims with the same wording (letters and
digits, case folded) are one row, and so are claims of articles in the same story group
(``stories``) whose words overlap by at least SAME_CLAIM. A row is led by its best-scored
copy and counts its outlets. ``checked_before`` is the lead's "checked before?" mark. Only
proposed claims are listed: held-back sentences, and claims someone already accepted or
dismissed, are not. The MAX_SCAN best-scored proposals of the window are grouped: a larger
window is reported as a capped total (``total_exact`` false).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import NamedTuple

from sqlmodel import Session, select

from annotator import review
from annotator.models import Article, Claim, ClaimPublic, MatchMark, TodaySeen, User, utcnow
from annotator.presenters import present_claim
from annotator.services import claims as claim_service
from annotator.services import params, stories
from annotator.services.errors import Forbidden, Invalid

MAX_SCAN = 500
SAME_CLAIM = 0.6
DEFAULT_WINDOW = timedelta(hours=24)
ACTIONS = ("accept", "assign", "dismiss")
_NON_WORD = re.compile(r"\W+")


@dataclass
class TodayFilter:
    """What the list is narrowed to (every field optional but the time)."""

    since: datetime
    outlet: str = ""
    language: str = ""
    feed_id: int | None = None
    checked: str = ""  # "" any, "yes" checked before, "no" not
    min_score: float = 0.0


@dataclass
class Row:
    """One claim of the list, with its copies in other articles (best first).

    ``claims`` and ``articles`` are light records (ids, quote, score; outlet, title); the
    lead's full claim and its mark are loaded for the rows a page shows (``load_page``).
    """

    claims: list
    articles: list
    group: int | None
    claim: Claim | None = None
    mark: MatchMark | None = None
    words: set[str] = field(default_factory=set)

    @property
    def lead(self):
        return self.claim if self.claim is not None else self.claims[0]

    @property
    def article(self):
        return self.articles[0]

    @property
    def outlets(self) -> list[str]:
        return list(dict.fromkeys(a.outlet or f"article {a.id}" for a in self.articles))

    @property
    def checked_before(self) -> bool:
        return self.mark is not None and self.mark.matches > 0


class _Light(NamedTuple):
    id: int
    quote: str
    score: float
    created_at: datetime
    article_id: int


class _Article(NamedTuple):
    id: int
    title: str
    outlet: str
    language: str
    feed_id: int | None


@dataclass
class MorningList:
    rows: list[Row]
    total: int
    exact: bool


def parse_since(value: str | None, now: datetime | None = None) -> datetime:
    """Read an ISO date or time (UTC when no zone is given); empty means 24 hours ago."""
    now = now or utcnow()
    value = (value or "").strip()
    if not value:
        return now - DEFAULT_WINDOW
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00").replace(" ", "T"))
        return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
    except (ValueError, OverflowError):
        raise Invalid(f"since must be an ISO date or time such as 2026-12-06T06:00, not "
                      f"{value[:40]!r}.") from None


def morning_list(session: Session, flt: TodayFilter, scan: int = MAX_SCAN) -> MorningList:
    """Return the list's rows, best first, and how many there are (capped when not exact).

    The rows hold light records only; ``load_page`` loads what a page of them shows.
    """
    query = (select(Claim.id, Claim.quote, Claim.score, Claim.created_at,
                    Article.id.label("article_id"), Article.outlet, Article.language,
                    Article.feed_id, Article.title)
             .join(Article, Article.id == Claim.article_id)
             .where(Claim.state == review.PROPOSED, Claim.created_at >= flt.since))
    if flt.min_score > 0:
        query = query.where(Claim.score >= flt.min_score)
    if flt.outlet:
        query = query.where(Article.outlet == flt.outlet)
    if flt.language:
        query = query.where(Article.language == flt.language)
    if flt.feed_id is not None:
        query = query.where(Article.feed_id == flt.feed_id)
    marked = select(MatchMark.claim_id).where(MatchMark.matches > 0)
    if flt.checked == "yes":
        query = query.where(Claim.id.in_(marked))
    elif flt.checked == "no":
        query = query.where(Claim.id.not_in(marked))
    # Score, then id, both descending: the (state, score, id) index read backwards, so the
    # scan stops at the limit instead of sorting every proposal of the window.
    found = session.exec(query.order_by(Claim.score.desc(), Claim.id.desc())
                         .limit(scan + 1)).all()
    exact = len(found) <= scan
    found = found[:scan]
    groups = stories.groups_of(session, [r.article_id for r in found])
    rows: list[Row] = []
    by_text: dict[str, Row] = {}
    by_group: dict[int, list[Row]] = {}
    for found_row in found:
        claim = _Light(found_row.id, found_row.quote, found_row.score, found_row.created_at,
                       found_row.article_id)
        article = _Article(found_row.article_id, found_row.title, found_row.outlet,
                           found_row.language, found_row.feed_id)
        folded = _NON_WORD.sub(" ", claim.quote.lower()).split()
        key = " ".join(folded)
        group = groups.get(article.id)
        row = by_text.get(key)
        words = set(folded)
        if row is None and group is not None:
            row = next((r for r in by_group.get(group, ())
                        if _overlap(r.words, words) >= SAME_CLAIM), None)
        if row is not None and all(a.id != article.id for a in row.articles):
            row.claims.append(claim)
            row.articles.append(article)
        elif row is None:
            row = Row(claims=[claim], articles=[article], group=group, words=words)
            rows.append(row)
            if group is not None:
                by_group.setdefault(group, []).append(row)
        by_text.setdefault(key, row)
    return MorningList(rows=rows, total=len(rows), exact=exact)


def load_page(session: Session, rows: list[Row]) -> list[Row]:
    """Load the lead claims and their "checked before?" marks of the rows a page shows."""
    ids = [r.claims[0].id for r in rows]
    if not ids:
        return rows
    claims = {c.id: c for c in session.exec(select(Claim).where(Claim.id.in_(ids))).all()}
    marks = {m.claim_id: m for m in session.exec(select(MatchMark).where(
        MatchMark.claim_id.in_(ids))).all()}
    for row in rows:
        row.claim = claims.get(row.claims[0].id)
        row.mark = marks.get(row.claims[0].id)
    return [r for r in rows if r.claim is not None]


def _overlap(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def outlets_and_languages(session: Session) -> tuple[list[str], list[str]]:
    """Return the outlets and languages the filters offer (those of feeds and articles)."""
    from annotator.models import Feed

    outlets = set(session.exec(select(Feed.outlet).distinct()).all())
    languages = set(session.exec(select(Feed.language).distinct()).all())
    return sorted(o for o in outlets if o), sorted(x for x in languages if x)


def read_filter(args) -> TodayFilter:
    """Read the list's filters from a query string (a mapping); refuse a bad value."""
    min_score = params.text(args, "min_score", max_length=20)
    try:
        score = float(min_score) if min_score else 0.0
    except ValueError:
        raise Invalid("min_score must be a number between 0 and 1, such as 0.5.") from None
    if not 0.0 <= score <= 1.0:
        raise Invalid("min_score must be between 0 and 1.")
    return TodayFilter(
        since=parse_since(params.text(args, "since", max_length=40)),
        outlet=params.text(args, "outlet", max_length=200),
        language=params.text(args, "language", max_length=8).lower(),
        feed_id=params.row_id(args, "feed"),
        checked=params.choice(args, "checked", ("yes", "no"), default="") or "",
        min_score=score)


def row_document(row: Row, person, seen) -> dict:
    """Return one row as the API and the JSON twin show it."""
    return {"claim": present_claim(ClaimPublic, row.lead, person), "outlets": len(row.outlets),
            "group": row.group, "checked_before": row.checked_before,
            "claims": [c.id for c in row.claims], "outlet_names": row.outlets,
            "article": {"id": row.article.id, "title": row.article.title,
                        "outlet": row.article.outlet, "language": row.article.language,
                        "feed_id": row.article.feed_id},
            "checked_label": row.mark.best_label if row.checked_before else None,
            "new": bool(seen is not None and row.lead.created_at > seen)}


def last_seen(session: Session, user: User) -> datetime | None:
    """Return when this person last opened the morning list (None: never)."""
    row = session.get(TodaySeen, user.id)
    return row.seen_at if row else None


def mark_seen(session: Session, user: User, when: datetime | None = None) -> None:
    """Remember that this person looked at the list now."""
    row = session.get(TodaySeen, user.id) or TodaySeen(user_id=user.id)
    row.seen_at = when or utcnow()
    session.add(row)


def act(session: Session, user: User, action: str, rows: list[list[int]],
        assignee_id: int | None = None) -> dict[str, int]:
    """Take a bulk action on rows of the list, each given as its claim ids, lead first.

    ``accept`` accepts each row's lead claim into the queue; ``assign`` also assigns it to
    the chosen reviewer; the copies from other outlets are dismissed as the same claim, so
    the desk works each claim once. ``dismiss`` dismisses every copy. Rows whose lead is no
    longer proposed (someone acted meanwhile) are skipped. Every change goes through the
    workflow (``claims.transition``) and is recorded.
    """
    if action not in ACTIONS:
        raise Invalid("Choose accept, assign or dismiss.")
    if not rows:
        raise Invalid("Tick at least one row.")
    if action == "assign" and assignee_id is None:
        raise Invalid("Choose whom to assign the claims to.")
    if action == "assign" and not review.may(user.role, "assign"):
        raise Forbidden("Only an editor can assign claims.")
    done = {"rows": 0, "skipped": 0}
    for ids in rows:
        lead = session.get(Claim, ids[0]) if ids else None
        if lead is None or lead.state != review.PROPOSED:
            done["skipped"] += 1
            continue
        copies = [c for c in (session.get(Claim, i) for i in ids[1:])
                  if c is not None and c.state == review.PROPOSED]
        if action == "dismiss":
            for claim in (lead, *copies):
                claim_service.transition(session, user, claim.id, review.DISMISS,
                                         comment="Dismissed from the morning list.")
        else:
            claim_service.transition(session, user, lead.id, review.ACCEPT)
            if action == "assign":
                claim_service.transition(session, user, lead.id, review.ASSIGN,
                                         assignee_id=assignee_id)
            for claim in copies:
                claim_service.transition(
                    session, user, claim.id, review.DISMISS,
                    comment=f"The same claim as #{lead.id}, from another outlet.")
        done["rows"] += 1
    return done
