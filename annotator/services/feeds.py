"""Feeds: add RSS, Atom or JSON Feed addresses, poll them, import their new items.

Polling never holds a transaction across the network. For each feed: a conditional GET
(If-None-Match / If-Modified-Since from the last answer) through the guarded fetcher, then
each item not seen before is fetched through the same guard (a private address is refused,
unless ALLOW_PRIVATE_URLS) and imported by ``articles.import_article``, the pipeline every
import takes (cleaning, proposals, claimants; the caller's job adds "checked before?"
marks). Each item is de-duplicated by its canonical URL, then by the hash of its cleaned
text (the import's own check), and a near-duplicate joins its story's group
(``stories.group_article``). Requests to one host are spaced by a per-host interval; a feed
that fails is marked with the reason and tried again after a back-off that doubles with
each failure, while the other feeds go on.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import feedparser
from sqlalchemy import func, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from annotator import review, tasks
from annotator.engine import session_scope
from annotator.models import Article, Feed, FeedItem, User, utcnow
from annotator.sanitize import is_safe_url
from annotator.services import articles, events, fetch, stories
from annotator.services.errors import Conflict, Duplicate, Invalid, NotFound, ServiceError

log = logging.getLogger(__name__)

JSON_TYPES = ("application/feed+json", "application/json")
TRACKING = ("utm_", "fbclid", "gclid", "mc_cid", "mc_eid", "at_medium", "at_campaign")
NEW, OK, ERROR = "new", "ok", "error"
IMPORTED, DUPLICATE = "imported", "duplicate"
IMPORTS_AT_ONCE = 2  # per process: below the engine's pool, above one to overlap I/O
ACCEPT = ("application/rss+xml, application/atom+xml, application/feed+json, "
          "application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5")


@dataclass(frozen=True)
class PollSettings:
    """How polling behaves, from the app's settings (README "Feeds")."""

    fetch: fetch.FetchSettings = fetch.FetchSettings()
    host_interval: float = 1.0  # seconds between two requests to one host
    every: timedelta = timedelta(minutes=15)  # a healthy feed's polling interval
    max_backoff: timedelta = timedelta(hours=6)
    max_items: int = 100  # items read from one answer, newest first as the feed lists them
    threads: int = 8  # feeds polled at once (each waits on its own hosts)

    @classmethod
    def from_config(cls, config) -> PollSettings:
        return cls(fetch=fetch.FetchSettings.from_config(config),
                   host_interval=float(config.get("FEED_HOST_INTERVAL", 1.0)),
                   every=timedelta(minutes=float(config.get("FEED_POLL_MINUTES", 15))),
                   max_backoff=timedelta(minutes=float(config.get("FEED_MAX_BACKOFF_MINUTES",
                                                                  360))),
                   max_items=int(config.get("FEED_MAX_ITEMS", 100)),
                   threads=max(1, int(config.get("FEED_POLL_THREADS", 8))))


@dataclass
class PollResult:
    """What one feed's poll did: `feeds poll` prints it as `<id> new= unchanged= errors=`."""

    feed_id: int
    new: int = 0
    unchanged: int = 0
    errors: int = 0
    error: str = ""
    article_ids: list[int] | None = None

    def line(self) -> str:
        return f"{self.feed_id} new={self.new} unchanged={self.unchanged} errors={self.errors}"


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


# -- polling -------------------------------------------------------------------------------

class HostLimiter:
    """Space requests to one host by `interval` seconds, across this process's threads."""

    def __init__(self, interval: float, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep):
        self.interval = interval
        self._next: dict[str, float] = {}
        self._lock = threading.Lock()
        self._clock, self._sleep = clock, sleep

    def wait(self, url: str) -> None:
        host = (urlsplit(url).hostname or "").lower()
        with self._lock:
            now = self._clock()
            at = max(now, self._next.get(host, now))
            self._next[host] = at + self.interval
        if at > now:
            self._sleep(at - now)


def _importer(session: Session, feed: Feed) -> User:
    """Return who an item's import is recorded as: the feed's adder, else an editor."""
    person = session.get(User, feed.created_by_id) if feed.created_by_id else None
    if person is not None and person.active:
        return person
    person = session.exec(select(User).where(User.active, User.role.in_(
        (review.ADMIN, review.EDITOR))).order_by(User.id)).first()
    if person is None:
        raise Invalid("No active editor or admin to record the feed's imports as.")
    return person


def _record_item(session: Session, feed_id: int, entry: Entry, status: str, *, url: str = "",
                 error: str = "", article_id: int | None = None) -> None:
    session.add(FeedItem(feed_id=feed_id, guid=entry.guid, url=url[:2000],
                         title=entry.title[:500], status=status, error=error,
                         article_id=article_id))


def _known_article(session: Session, url: str) -> int | None:
    """Return the article already imported from this canonical address, if any."""
    found = session.exec(select(Article.id).where(Article.url == url)).first()
    if found is not None:
        return found
    return session.exec(select(FeedItem.article_id).where(
        FeedItem.url == url, FeedItem.article_id.is_not(None))).first()


def _take(engine: Engine, feed: Feed, entry: Entry, settings: PollSettings,
          limiter: HostLimiter, gate: threading.Semaphore) -> tuple[str, int | None]:
    """Fetch and import one new item; return ("new" | "unchanged" | "error", article id)."""
    link = canonical_url(entry.link)
    with session_scope(engine, write=False) as session:
        known = _known_article(session, link)
    if known is not None:
        with session_scope(engine) as session:
            _record_item(session, feed.id, entry, DUPLICATE, url=link, article_id=known)
        return "unchanged", None
    try:
        if not is_safe_url(entry.link):
            raise Invalid("The item's address is not an http(s) web address.")
        limiter.wait(entry.link)
        page = fetch.fetch_page(entry.link, settings.fetch)
        url = page_canonical(page)
    except Invalid as exc:
        with session_scope(engine) as session:
            _record_item(session, feed.id, entry, ERROR, url=link, error=exc.message)
        return "error", None
    try:
        with gate, session_scope(engine) as session:
            known = _known_article(session, url)
            if known is not None:
                _record_item(session, feed.id, entry, DUPLICATE, url=url, article_id=known)
                return "unchanged", None
            req = articles.ImportRequest(html=page.html, url=url, outlet=feed.outlet,
                                         language=feed.language, published=entry.published)
            if page.content_type == "text/plain":
                req = articles.ImportRequest(text=page.html, url=url, outlet=feed.outlet,
                                             title=entry.title, language=feed.language,
                                             published=entry.published)
            article = articles.import_article(session, _importer(session, feed), req)
            article.feed_id = feed.id
            session.add(article)
            group_id, twin, score = stories.group_article(session, article)
            if twin is not None:
                events.record(session, "group", actor=None, article_id=article.id,
                              new={"group": group_id, "near": twin, "similarity": score})
            _record_item(session, feed.id, entry, IMPORTED, url=url, article_id=article.id)
            return "new", article.id
    except Duplicate as exc:
        with session_scope(engine) as session:
            _record_item(session, feed.id, entry, DUPLICATE, url=url, article_id=exc.detail)
        return "unchanged", None
    except IntegrityError:
        # Another poll took this item, or imported the same text, a moment ago.
        with session_scope(engine) as session:
            if session.exec(select(FeedItem.id).where(FeedItem.feed_id == feed.id,
                                                      FeedItem.guid == entry.guid)).first():
                return "unchanged", None
            _record_item(session, feed.id, entry, DUPLICATE, url=url,
                         article_id=_known_article(session, url))
        return "unchanged", None
    except ServiceError as exc:
        with session_scope(engine) as session:
            _record_item(session, feed.id, entry, ERROR, url=url, error=exc.message)
        return "error", None


def _finish(engine: Engine, feed_id: int, settings: PollSettings, *, error: str = "",
            new: int = 0, seen: int = 0, etag: str | None = None,
            last_modified: str | None = None) -> None:
    """Record a poll's outcome on the feed: status, the next poll (backed off on error)."""
    now = utcnow()
    with session_scope(engine) as session:
        feed = session.get(Feed, feed_id)
        if feed is None:
            return
        # Poll bookkeeping is not the desk's content: it does not bump the feed's version,
        # so an editor's on/off switch never conflicts with a poll.
        values: dict = {"last_polled_at": now, "updated_at": now}
        if error:
            failures = feed.failures + 1
            wait = min(settings.every * (2 ** min(failures, 16)), settings.max_backoff)
            values.update(status=ERROR, error=error[:2000], failures=failures,
                          next_poll_at=now + wait, last_new=0)
        else:
            values.update(status=OK, error="", failures=0, next_poll_at=now + settings.every,
                          last_new=new, items_seen=seen)
            if etag is not None:
                values.update(etag=etag, last_modified=last_modified or "")
        session.exec(update(Feed).where(Feed.id == feed_id).values(**values))


def poll_feed(engine: Engine, feed_id: int, settings: PollSettings,
              limiter: HostLimiter | None = None,
              after_import: Callable[[int], None] | None = None,
              gate: threading.Semaphore | None = None) -> PollResult:
    """Poll one feed now and import its new items; `after_import` gets each new article id.

    Opens its own short transactions; none is held while the network is used. `gate`
    bounds how many of a process's threads import at once (imports are CPU work, and the
    threads are there to wait on the network, not to queue for the database).
    """
    limiter = limiter or HostLimiter(settings.host_interval)
    gate = gate or threading.BoundedSemaphore(IMPORTS_AT_ONCE)
    result = PollResult(feed_id=feed_id, article_ids=[])
    with session_scope(engine, write=False) as session:
        feed = get_feed(session, feed_id)
        known = set(session.exec(select(FeedItem.guid).where(FeedItem.feed_id == feed_id)))
    try:
        limiter.wait(feed.url)
        answer = fetch.fetch_resource(feed.url, settings.fetch, headers={
            "Accept": ACCEPT, **({"If-None-Match": feed.etag} if feed.etag else {}),
            **({"If-Modified-Since": feed.last_modified} if feed.last_modified else {})})
        if answer.status == 304:
            result.unchanged = feed.items_seen
            _finish(engine, feed_id, settings, seen=feed.items_seen, etag=feed.etag,
                    last_modified=feed.last_modified)
            return result
        if answer.status != 200:
            raise Invalid(f"The feed answered {answer.status} {answer.reason}".strip() + ".")
        kind = answer.header("Content-Type").split(";")[0].strip().lower()
        entries = parse_entries(answer.body, kind, answer.url)[:settings.max_items]
    except Invalid as exc:
        result.errors, result.error = 1, exc.message
        _finish(engine, feed_id, settings, error=exc.message)
        return result
    for entry in dict((e.guid, e) for e in entries).values():
        if entry.guid in known:
            result.unchanged += 1
            continue
        outcome, article_id = _take(engine, feed, entry, settings, limiter, gate)
        if outcome == "new":
            result.new += 1
            result.article_ids.append(article_id)
            if after_import is not None:
                with gate:
                    after_import(article_id)
        elif outcome == "error":
            result.errors += 1
        else:
            result.unchanged += 1
    _finish(engine, feed_id, settings, new=result.new, seen=len(entries),
            etag=answer.header("ETag")[:500], last_modified=answer.header("Last-Modified")[:200])
    return result


def poll_feeds(engine: Engine, feed_ids: list[int] | None, settings: PollSettings,
               after_import: Callable[[int], None] | None = None) -> list[PollResult]:
    """Poll the given feeds (None: the active feeds that are due), several at once.

    One feed's failure never stops the others; results come back in feed id order.
    """
    if feed_ids is None:
        with session_scope(engine, write=False) as session:
            feed_ids = due_feed_ids(session)
    else:
        with session_scope(engine, write=False) as session:
            present = set(session.exec(select(Feed.id).where(Feed.id.in_(feed_ids))).all())
        if missing := [i for i in feed_ids if i not in present]:
            raise NotFound(f"No such feed: {', '.join(map(str, missing))}.")
    limiter = HostLimiter(settings.host_interval)
    gate = threading.BoundedSemaphore(IMPORTS_AT_ONCE)

    def one(feed_id: int) -> PollResult:
        try:
            return poll_feed(engine, feed_id, settings, limiter, after_import, gate)
        except Exception as exc:  # one broken feed must not stop the others
            log.exception("polling feed %s failed", feed_id)
            _finish(engine, feed_id, settings, error=f"The poll failed: {type(exc).__name__}.")
            return PollResult(feed_id=feed_id, errors=1, error=type(exc).__name__)

    if len(feed_ids) <= 1 or settings.threads <= 1:
        return [one(i) for i in feed_ids]
    with ThreadPoolExecutor(max_workers=min(settings.threads, len(feed_ids)),
                            thread_name_prefix="annotator-feed") as pool:
        return list(pool.map(one, feed_ids))


def claim_due(engine: Engine, settings: PollSettings, now: datetime | None = None) -> list[int]:
    """Take the due feeds for this poll: their next poll moves a lease ahead, so a second
    worker (or the next tick, while this run lasts) does not poll them too."""
    now = now or utcnow()
    with session_scope(engine) as session:
        ids = due_feed_ids(session, now)
        if ids:
            session.exec(update(Feed).where(Feed.id.in_(ids)).values(
                next_poll_at=now + max(settings.every, timedelta(minutes=10))))
    return ids


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


# -- the queue: a periodic task polls the due feeds ----------------------------------------

BATCH = 25  # feeds per queued task


def host_batches(engine: Engine, feed_ids: list[int], size: int = BATCH) -> list[list[int]]:
    """Cut feeds into batches of about `size`, the feeds of one host always in one batch,
    so one worker's per-host spacing covers every request to that host."""
    with session_scope(engine, write=False) as session:
        urls = dict(session.exec(select(Feed.id, Feed.url).where(Feed.id.in_(feed_ids))).all())
    by_host: dict[str, list[int]] = {}
    for feed_id in feed_ids:
        host = (urlsplit(urls.get(feed_id, "")).hostname or "").lower()
        by_host.setdefault(host, []).append(feed_id)
    batches: list[list[int]] = [[]]
    for ids in by_host.values():
        if batches[-1] and len(batches[-1]) + len(ids) > size:
            batches.append([])
        batches[-1].extend(ids)
    return [b for b in batches if b]


def _marks_after(rt) -> Callable[[int], None] | None:
    from annotator.services import jobs

    if not rt.settings.get("CHECKED_BEFORE_JOBS", True):
        return None
    return lambda article_id: jobs.run_mark_job(rt.engine, article_id)


@tasks.task()
def poll_feed_batch(feed_ids: list[int]) -> None:
    """Poll these feeds now and mark each new article's claims "checked before?"."""
    rt = tasks.runtime()
    results = poll_feeds(rt.engine, feed_ids, PollSettings.from_config(rt.settings),
                         after_import=_marks_after(rt))
    log.info("polled %d feed(s): %d new article(s), %d error(s)", len(results),
             sum(r.new for r in results), sum(r.errors for r in results))


@tasks.periodic_task(tasks.crontab(minute="*"))
def poll_due_feeds() -> None:
    """Each minute, take the due feeds and queue them in batches, one host per batch."""
    rt = tasks.runtime()
    ids = claim_due(rt.engine, PollSettings.from_config(rt.settings))
    for batch in host_batches(rt.engine, ids) if ids else []:
        tasks.enqueue(poll_feed_batch, batch)
