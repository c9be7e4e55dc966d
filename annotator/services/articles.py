"""Import articles: clean, de-duplicate, detect the language, propose claims."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from sqlmodel import Session, select

from annotator import extract, review
from annotator.models import Article, ArticleCreate, Claim, User, max_length
from annotator.sanitize import is_safe_url
from annotator.services import events, params, search, settings, webhooks
from annotator.services.errors import Duplicate, Invalid, NotFound

if TYPE_CHECKING:  # the page a fetch returns; fetching itself is not this module's job
    from annotator.services.fetch import Page

TEXT_SUFFIXES = {".txt", ".md", ".markdown", ".text"}
HTML_SUFFIXES = {".html", ".htm"}
MAX_TITLE = 500
BELOW_BUDGET = extract.BUDGET_REASON


@dataclass
class ImportRequest:
    """What a person gives to import an article; every field is optional but the content."""

    text: str = ""
    html: str = ""
    title: str = ""
    url: str = ""
    outlet: str = ""
    byline: str = ""
    published: str = ""
    language: str = ""


def content_hash(body: str) -> str:
    """Hash the body with whitespace folded, so a re-paste of the same text is caught."""
    folded = re.sub(r"\s+", " ", body).strip().lower()
    return hashlib.sha256(folded.encode("utf-8")).hexdigest()


def _limit(name: str, shape=ArticleCreate) -> int:
    return max_length(shape, name) or 10_000


def page_request(page: Page, **fields) -> ImportRequest:
    """The import request for a fetched page (``fetch.fetch_page``); title, byline and date
    come from the page unless given."""
    if page.content_type == "text/plain":
        return ImportRequest(text=page.html, url=page.url, **fields)
    return ImportRequest(html=page.html, url=page.url, **fields)


def import_page(session: Session, actor: User, page: Page, **fields) -> Article:
    """Import a fetched page as an article. Fetch first, with no transaction open."""
    return import_article(session, actor, page_request(page, **fields))


def article_or_none(session: Session, article_id: int) -> Article | None:
    """Return an article by id, or None."""
    return session.get(Article, article_id)


def parse_date(value: str, field: str) -> date | None:
    """Parse an ISO date (YYYY-MM-DD, or the date part of a timestamp); empty means none."""
    value = (value or "").strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        raise Invalid(f"{field} must be a date like 2019-06-07, not {value[:40]!r}.") from None


def request_from_upload(filename: str, data: bytes, req: ImportRequest) -> ImportRequest:
    """Fill req from an uploaded .txt, .md or .html file, refusing other kinds."""
    name = (filename or "").lower()
    suffix = name[name.rfind("."):] if "." in name else ""
    if suffix not in TEXT_SUFFIXES | HTML_SUFFIXES:
        raise Invalid("Upload a .txt, .md or .html file.")
    try:
        content = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise Invalid("The file is not UTF-8 text.") from None
    if "\x00" in content:
        raise Invalid("The file is not a text file.")
    if suffix in HTML_SUFFIXES:
        req.html = content
    else:
        req.text = content
    return req


def import_article(session: Session, actor: User, req: ImportRequest) -> Article:
    """Create an article and its proposed claims in the caller's transaction."""
    meta: dict = {}
    if req.html.strip():
        cleaned, meta = extract.clean_html(req.html, url=req.url or None)
        raw = req.html
    elif req.text.strip():
        cleaned = extract.clean_text(req.text)
        raw = req.text
    else:
        raise Invalid("Paste the article's text or choose a file.")
    body = cleaned.text
    if not body.strip():
        raise Invalid("Nothing is left of the article once page furniture is removed.")

    url = (req.url or meta.get("url") or "").strip()
    typed = check_request(req, url)
    title = typed.title or params.fit(meta.get("title") or _first_line(body), MAX_TITLE)
    published = parse_date(req.published or meta.get("date") or "", "Published date")
    # Issue 20: a page's URL often spells its date; relative times resolve against it.
    published = published or extract.date_from_url(url)

    digest = content_hash(body)
    existing = session.exec(select(Article).where(Article.content_hash == digest)).first()
    if existing is not None:
        raise Duplicate(f"This article was imported already: “{existing.title}”.", existing.id)

    language = (req.language or "").strip().lower() or extract.detect_language(body)
    article = Article(
        title=title,
        url=url,
        outlet=typed.outlet or params.fit(meta.get("sitename") or "", _limit("outlet")),
        byline=typed.byline or params.fit(meta.get("author") or "", _limit("byline")),
        published=published,
        language=language[:8],
        body=body,
        raw=raw,
        captions=[list(span) for span in cleaned.captions],
        cleaned_away=[r.as_dict() for r in cleaned.removed],  # issue 20: listed, restorable
        content_hash=digest,
        created_by_id=actor.id,
        blind_review=bool(settings.get(session, settings.BLIND_REVIEW_DEFAULT, False)),
    )
    # Extract before the first write (issue 19): on SQLite the write lock is taken at the
    # article's INSERT, and a long text takes seconds to extract.
    candidates = extract.extract_claims(
        body, language, captions=cleaned.captions,
        weights=settings.get(session, settings.SCORER_WEIGHTS),
        outlet=article.byline or article.outlet, threshold=settings.propose_threshold(session),
        published=published)
    session.add(article)
    session.flush()
    search.defer_tally(session)  # counted once, at the end: the tally's lock held briefly
    proposed = [c for c in candidates if c.proposed]
    # The rest stay one click away: stored held back (their own state, never "dismissed":
    # nobody dismissed them), so `restore` proposes any of them (see below_budget_claims).
    held_back = [c for c in candidates if not c.proposed and BELOW_BUDGET in c.reasons]
    session.add_all(
        Claim(
            article_id=article.id,
            start=c.start,
            end=c.end,
            quote=c.quote,
            prefix=c.prefix,
            suffix=c.suffix,
            statement=c.statement,
            claimant=params.fit(c.claimant, _limit("claimant", Claim)),
            score=round(c.score, 4),
            reasons=list(c.reasons),
            rewrite=c.rewrite,  # issue 20: how the statement was made, and what it lacks
            needs_context=c.needs_context,
            origin="machine",
            state=review.PROPOSED if c.proposed else review.HELD_BACK,
        )
        for c in sorted(proposed + held_back, key=lambda c: (c.start, c.end))
    )
    events.record(
        session, "import", actor=actor, article_id=article.id,
        new={"title": article.title, "proposed": len(proposed),
             "below_budget": len(held_back)},
    )
    session.flush()
    webhooks.article_event(session, article.id)  # issue 21: article.imported
    search.count_deferred(session, [article.id])
    return article


def check_request(req: ImportRequest, url: str | None = None) -> ArticleCreate:
    """Refuse what a person typed that cannot be imported, before any slow work.

    What a person typed is held to ArticleCreate's limits (refused when too long); what the
    machine finds later (the page's title, site name, author) is shortened visibly to fit.
    """
    url = (req.url if url is None else url).strip()
    if url and not is_safe_url(url):
        raise Invalid("The article URL must start with http:// or https://.")
    if not (req.text.strip() or req.html.strip()):
        raise Invalid("Paste the article's text or choose a file.")
    parse_date(req.published, "Published date")
    return params.validated(ArticleCreate, {k: (getattr(req, k, None) or "").strip() or None
                                            for k in ("url", "title", "outlet", "byline",
                                                      "language")})


def _first_line(body: str) -> str:
    return next((line for line in body.splitlines() if line.strip()), "Untitled article")


def get_article(session: Session, article_id: int) -> Article:
    """Return an article by id."""
    article = session.get(Article, article_id)
    if article is None:
        raise NotFound("No such article.")
    return article


def is_below_budget(claim: Claim) -> bool:
    """Tell whether a claim is held back by the proposal budget (state ``held_back``;
    restoring, accepting or dismissing it makes it an ordinary claim)."""
    return claim.state == review.HELD_BACK


def below_budget_condition():
    """Return the SQL condition of is_below_budget, for lists and counts that leave the
    held-back sentences out unless asked."""
    return Claim.state == review.HELD_BACK


def article_claims(session: Session, article_id: int,
                   below_budget: bool = False) -> list[Claim]:
    """Return an article's claims in reading order.

    Candidates held back by the proposal budget are left out unless `below_budget`.
    """
    query = select(Claim).where(Claim.article_id == article_id)
    if not below_budget:
        query = query.where(Claim.state != review.HELD_BACK)
    return list(session.exec(query.order_by(Claim.start, Claim.id)).all())


def below_budget_claims(session: Session, article_id: int) -> list[Claim]:
    """Return the article's candidates held back by the proposal budget, best first.

    The article page offers them as "show N more sentences"; `restore` proposes one.
    """
    rows = session.exec(
        select(Claim).where(Claim.article_id == article_id, below_budget_condition())
    ).all()
    return sorted(rows, key=lambda c: (-c.score, c.start))
