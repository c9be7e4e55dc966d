"""Polling feeds: fetch each due feed, import its new items, group near-duplicates.

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

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from annotator import review, tasks
from annotator.engine import session_scope
from annotator.models import Article, Feed, FeedItem, User, utcnow
from annotator.priority import lower_thread_priority
from annotator.sanitize import is_safe_url
from annotator.services import articles, events, fetch, stories
from annotator.services.errors import Duplicate, Invalid, NotFound, ServiceError
from annotator.services.feeds import (
    DUPLICATE,
    ERROR,
    IMPORTED,
    OK,
    Entry,
    canonical_url,
    due_feed_ids,
    get_feed,
    page_canonical,
    parse_entries,
)

log = logging.getLogger(__name__)

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
    # The polling threads' niceness. The scheduler weighs each thread on its own, so many
    # threads at a worker's niceness 10 together outweigh the web's few processes; at 19
    # they take what the pages leave (see the README's monitoring figures).
    nice: int = 19

    @classmethod
    def from_config(cls, config) -> PollSettings:
        return cls(fetch=fetch.FetchSettings.from_config(config),
                   host_interval=float(config.get("FEED_HOST_INTERVAL", 1.0)),
                   every=timedelta(minutes=float(config.get("FEED_POLL_MINUTES", 15))),
                   max_backoff=timedelta(minutes=float(config.get("FEED_MAX_BACKOFF_MINUTES",
                                                                  360))),
                   max_items=int(config.get("FEED_MAX_ITEMS", 100)),
                   threads=max(1, int(config.get("FEED_POLL_THREADS", 8))),
                   nice=min(19, max(0, int(config.get("FEED_POLL_NICE", 19)))))


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
    return (_import_item(engine, feed, entry, page, url, gate, retry=True)
            or _import_item(engine, feed, entry, page, url, gate, retry=False))


def _import_item(engine: Engine, feed: Feed, entry: Entry, page: fetch.Page, url: str,
                 gate: threading.Semaphore, retry: bool) -> tuple[str, int | None] | None:
    """Import a fetched item; None: another poll imported the same text at the same moment,
    so look again (the second look finds it and records this item as its duplicate)."""
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
        if retry:
            return None
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
                            thread_name_prefix="annotator-feed",
                            initializer=lower_thread_priority, initargs=(settings.nice,)) as pool:
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
