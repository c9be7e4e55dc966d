"""Feeds: the desk's RSS, Atom and JSON Feed addresses, and reading what they list.

Adding a feed does not poll it: ``annotator.services.polling`` does, on the queue's
schedule or when `annotator feeds poll` asks. This module manages the feeds (add, switch
on and off, list with their items) and reads a feed's answer into items (feedparser for
RSS and Atom; JSON Feed by hand, which feedparser 6 does not read) and a page's canonical
address (its ``<link rel="canonical">``, tracking parameters and fragments dropped).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import feedparser
from sqlalchemy import func, update
from sqlmodel import Session, select

from annotator import review
from annotator.models import Feed, FeedItem, User, utcnow
from annotator.sanitize import is_safe_url
from annotator.services import events, fetch
from annotator.services.errors import Conflict, Duplicate, Invalid, NotFound

JSON_TYPES = ("application/feed+json", "application/json")
TRACKING = ("utm_", "fbclid", "gclid", "mc_cid", "mc_eid", "at_medium", "at_campaign")
NEW, OK, ERROR = "new", "ok", "error"
IMPORTED, DUPLICATE = "imported", "duplicate"


@dataclass(frozen=True)
class Entry:
    """One item a feed lists."""

    guid: str
    link: str
    title: str = ""
    published: str = ""  # YYYY-MM-DD, or ""


# -- feeds as the desk manages them ----------------------------------------------------------

def add_feed(session: Session, actor: User, url: str, outlet: str, language: str = "") -> Feed:
    """Add a feed (it is not polled now: the next scheduled poll, or `feeds poll`, reads it)."""
    if not review.may(actor.role, "import") or not actor.active:
        raise Invalid("Only editors and admins add feeds.")
    url = (url or "").strip()
    outlet = (outlet or "").strip()
    language = (language or "").strip().lower()
    if not is_safe_url(url):
        raise Invalid("The feed address must be a web address starting with http:// or "
                      "https://.", field="url")
    if not outlet:
        raise Invalid("Name the outlet the feed belongs to.", field="outlet")
    if len(outlet) > 200:
        raise Invalid("The outlet name has at most 200 characters.", field="outlet")
    if language and (len(language) > 8 or not language.replace("-", "").isalpha()):
        raise Invalid("The language is a code such as en or pt-br.", field="language")
    existing = session.exec(select(Feed).where(Feed.url == url)).first()
    if existing is not None:
        raise Duplicate(f"That feed is there already (feed {existing.id}).", existing.id)
    feed = Feed(url=url, outlet=outlet, language=language, created_by_id=actor.id)
    session.add(feed)
    session.flush()
    events.record(session, "feed_add", actor=actor,
                  new={"feed": feed.id, "url": url, "outlet": outlet, "language": language})
    return feed


def get_feed(session: Session, feed_id: int) -> Feed:
    """Return a feed by id."""
    feed = session.get(Feed, feed_id)
    if feed is None:
        raise NotFound("No such feed.")
    return feed


def list_feeds(session: Session) -> list[Feed]:
    """Return every feed, by outlet then id."""
    return list(session.exec(select(Feed).order_by(Feed.outlet, Feed.id)).all())


def set_active(session: Session, actor: User, feed_id: int, active: bool, version) -> Feed:
    """Switch a feed on or off; a stale version is a conflict."""
    if not review.may(actor.role, "import") or not actor.active:
        raise Invalid("Only editors and admins change feeds.")
    feed = get_feed(session, feed_id)
    try:
        expected = int(str(version))
    except ValueError:
        raise Invalid("The form's version is missing; reload the page.") from None
    if expected != feed.version:
        raise Conflict("The feed changed since you loaded it; look again.", feed.id)
    old = feed.active
    # A feed switched back on is due at once.
    values = {"active": active, "version": feed.version + 1, "updated_at": utcnow()}
    if active and not old:
        values["next_poll_at"] = None
    done = session.exec(update(Feed).where(Feed.id == feed.id, Feed.version == expected)
                        .values(**values))
    if done.rowcount != 1:
        raise Conflict("The feed changed since you loaded it; look again.", feed.id)
    session.refresh(feed)
    events.record(session, "feed_update", actor=actor,
                  old={"feed": feed.id, "active": old}, new={"feed": feed.id, "active": active})
    return feed


def recent_items(session: Session, feed_id: int, limit: int = 20) -> list[FeedItem]:
    """Return a feed's latest items, newest first (the feed page lists them)."""
    return list(session.exec(select(FeedItem).where(FeedItem.feed_id == feed_id)
                             .order_by(FeedItem.id.desc()).limit(limit)).all())


def due_feed_ids(session: Session, now: datetime | None = None) -> list[int]:
    """Return the active feeds whose next poll is due."""
    now = now or utcnow()
    return list(session.exec(select(Feed.id).where(
        Feed.active, (Feed.next_poll_at.is_(None)) | (Feed.next_poll_at <= now))
        .order_by(Feed.id)).all())


def item_counts(session: Session, feed_ids: list[int]) -> dict[int, dict[str, int]]:
    """Return, per feed, how many of its items were imported, duplicates or errors."""
    counts: dict[int, dict[str, int]] = {i: {} for i in feed_ids}
    if feed_ids:
        for feed_id, status, n in session.exec(
                select(FeedItem.feed_id, FeedItem.status, func.count()).where(
                    FeedItem.feed_id.in_(feed_ids)).group_by(FeedItem.feed_id,
                                                             FeedItem.status)).all():
            counts[feed_id][status] = n
    return counts


# -- reading a feed ------------------------------------------------------------------------

def canonical_url(url: str) -> str:
    """Return the address with its host lower-cased, no fragment and no tracking parameters."""
    try:
        parts = urlsplit(url.strip())
        netloc = parts.netloc.lower()
        if parts.port in (80, 443) and (parts.scheme, parts.port) in (("http", 80),
                                                                      ("https", 443)):
            netloc = netloc.rsplit(":", 1)[0]
    except ValueError:
        return url.strip()
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
             if not k.lower().startswith(TRACKING)]
    return urlunsplit((parts.scheme.lower(), netloc, parts.path or "/", urlencode(query), ""))


class _Canonical(HTMLParser):
    """Find <link rel="canonical" href> in a page's head."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.href = ""

    def handle_starttag(self, tag, attrs):
        found = dict(attrs)
        if (tag == "link" and not self.href
                and "canonical" in (found.get("rel") or "").lower().split()):
            self.href = (found.get("href") or "").strip()


def page_canonical(page: fetch.Page) -> str:
    """Return the page's canonical address: its <link rel=canonical>, else where it ended."""
    head = page.html[:page.html.lower().find("</head>")] if "</head>" in page.html.lower() \
        else page.html[:20000]
    parser = _Canonical()
    try:
        parser.feed(head)
    except Exception:  # noqa: BLE001 - a broken head simply has no canonical link
        parser.href = ""
    href = urljoin(page.url, parser.href) if parser.href else page.url
    return canonical_url(href if is_safe_url(href) else page.url)


def _day(parsed) -> str:
    if not parsed:
        return ""
    try:
        return date(*parsed[:3]).isoformat()
    except (TypeError, ValueError):
        return ""


def parse_entries(data: bytes, content_type: str = "", base: str = "") -> list[Entry]:
    """Read a feed's items (RSS, Atom, or JSON Feed); raise Invalid when it is none of them."""
    start = data.lstrip()[:1]
    if content_type in JSON_TYPES or start in (b"{", b"["):
        return _json_feed(data, base)
    parsed = feedparser.parse(data, response_headers={"content-location": base} if base else None)
    # A slightly broken feed that the loose parser still reads items from is taken (real
    # feeds often are); one it reads no linked item from is refused with the reason.
    if parsed.bozo and not any(item.get("link") for item in parsed.entries):
        reason = str(parsed.get("bozo_exception") or "not well-formed")
        raise Invalid(f"The feed is not valid RSS or Atom ({reason[:200]}).")
    if not parsed.version and not parsed.entries:
        raise Invalid("The address does not answer with an RSS, Atom or JSON feed.")
    found = []
    for item in parsed.entries:
        link = (item.get("link") or "").strip()
        guid = (item.get("id") or link).strip()
        if link and guid:
            found.append(Entry(guid=guid[:2000], link=urljoin(base, link)[:2000],
                               title=(item.get("title") or "")[:500],
                               published=_day(item.get("published_parsed")
                                              or item.get("updated_parsed"))))
    return found


def _json_feed(data: bytes, base: str) -> list[Entry]:
    """Read a JSON Feed (jsonfeed.org, versions 1 and 1.1): feedparser 6 reads XML only."""
    try:
        doc = json.loads(data.decode("utf-8-sig", errors="replace"))
    except ValueError as exc:
        raise Invalid(f"The feed is not valid JSON ({str(exc)[:120]}).") from None
    if not isinstance(doc, dict) or not str(doc.get("version", "")).startswith(
            "https://jsonfeed.org/version/") or not isinstance(doc.get("items"), list):
        raise Invalid("The JSON is not a JSON Feed (no jsonfeed.org version and items).")
    found = []
    for item in doc["items"]:
        if not isinstance(item, dict):
            continue
        link = str(item.get("url") or item.get("external_url") or "").strip()
        guid = str(item.get("id") or link).strip()
        if link and guid:
            found.append(Entry(guid=guid[:2000], link=urljoin(base, link)[:2000],
                               title=str(item.get("title") or "")[:500],
                               published=str(item.get("date_published") or "")[:10]))
    return found
