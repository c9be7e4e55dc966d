"""Feeds: polling a local feed site imports new items once, conditionally, de-duplicated."""

from __future__ import annotations

import hashlib
import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlmodel import select

from annotator.db import session_scope
from annotator.models import Article, ArticleSketch, Claim, Event, Feed, FeedItem, User, utcnow
from annotator.services import feeds, fetch
from annotator.services.errors import Duplicate, Invalid

LAST_MODIFIED = "Sat, 05 Dec 2026 06:00:00 GMT"
PLACES = ["Riverton", "Lakeside", "Hillford", "Marsh End", "Oakbridge", "Stonehaven"]


def story(n: int, outlet: str = "Gazette", variant: str = "") -> str:
    """Return an article page: story n, as outlet prints it (variant: a small rewrite)."""
    place = PLACES[n % len(PLACES)]
    said = "officials said" if not variant else "officials told reporters"
    body = (
        f"<p>The council of {place} spent {n + 3}.2 million pounds on road repairs in 2025, "
        f"{said}, up {n + 11} percent on the year before.</p>"
        f"<p>Unemployment in {place} fell to {n + 4} percent last year, the lowest rate "
        f"since 2008, according to the regional statistics office.</p>"
        f"<p>The mayor of {place} claimed that crime dropped by {n + 20} percent after the "
        f"new street lighting scheme was introduced in {2019 + n % 5}.</p>"
        f"<p>Local schools received {n + 150} new teachers in September, the education "
        f"department of {place} announced on Monday.</p>"
        f"<p>Residents of {place} will vote on the proposed bypass in a referendum next "
        f"spring, the council confirmed in a statement.</p>")
    return (f"<!doctype html><html><head><title>{place} council story {n}</title>"
            f"</head><body><nav>{outlet} home | news | sport</nav><article>"
            f"<h1>{place} council story {n}</h1>{body}</article>"
            f"<footer>(c) {outlet}</footer></body></html>")


def rss(base: str, items: list[tuple[str, str]]) -> bytes:
    """Return an RSS 2.0 feed listing (path, title) items on the site."""
    entries = "".join(f"<item><title>{t}</title><link>{base}{p}</link><guid>{base}{p}</guid>"
                      f"<pubDate>Sat, 05 Dec 2026 05:00:00 GMT</pubDate></item>"
                      for p, t in items)
    return (f'<?xml version="1.0"?><rss version="2.0"><channel><title>News</title>'
            f"<link>{base}/</link><description>d</description>{entries}</channel></rss>"
            ).encode()


def atom(base: str, items: list[tuple[str, str]]) -> bytes:
    """Return an Atom feed listing (path, title) items on the site."""
    entries = "".join(f'<entry><title>{t}</title><link href="{base}{p}"/><id>tag:x,{p}</id>'
                      f"<updated>2026-12-05T05:00:00Z</updated></entry>" for p, t in items)
    return (f'<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
            f"<title>News</title><id>tag:x,feed</id><updated>2026-12-05T05:00:00Z</updated>"
            f"{entries}</feed>").encode()


def json_feed(base: str, items: list[tuple[str, str]]) -> bytes:
    return json.dumps({"version": "https://jsonfeed.org/version/1.1", "title": "News",
                       "items": [{"id": p, "url": base + p, "title": t,
                                  "date_published": "2026-12-05T05:00:00Z"}
                                 for p, t in items]}).encode()


class FeedSite:
    """A local news site: feeds and pages by path, every request and its headers kept."""

    def __init__(self):
        self.routes: dict[str, tuple[int, str, bytes]] = {}
        self.requests: list[tuple[str, dict]] = []
        self.base = ""

    def page(self, path: str, html: str) -> None:
        self.routes[path] = (200, "text/html; charset=utf-8", html.encode())

    def feed(self, path: str, body: bytes, kind: str = "application/rss+xml") -> str:
        self.routes[path] = (200, kind, body)
        return self.base + path

    def fail(self, path: str, status: int) -> str:
        self.routes[path] = (status, "text/plain", b"broken")
        return self.base + path

    def hits(self, path: str) -> list[dict]:
        return [h for p, h in self.requests if p == path]


def _handler(site: FeedSite):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):  # noqa: N802 - http.server's name
            site.requests.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
            status, kind, body = site.routes.get(self.path, (404, "text/plain", b"nothing"))
            tag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'  # noqa: S324 - an ETag
            if status == 200 and self.headers.get("If-None-Match") == tag:
                self.send_response(304)
                self.send_header("ETag", tag)
                self.end_headers()
                return
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            if status == 200:
                self.send_header("ETag", tag)
                self.send_header("Last-Modified", LAST_MODIFIED)
            self.end_headers()
            self.wfile.write(body)

    return Handler


@pytest.fixture
def feed_site():
    """Serve a FeedSite on 127.0.0.1 for the test."""
    site = FeedSite()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(site))
    server.daemon_threads = True
    site.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield site
    server.shutdown()
    server.server_close()


# Tests talk to 127.0.0.1 only, so they allow private addresses (as a local desk would);
# no waiting between requests to the one local host.
LOCAL = feeds.PollSettings(fetch=fetch.FetchSettings(allow_private=True, timeout=5),
                           host_interval=0.0, threads=2)


def add(engine, people, url: str, outlet: str = "Gazette", language: str = "en") -> int:
    with session_scope(engine) as s:
        return feeds.add_feed(s, s.get(User, people["editor"]), url, outlet, language).id


def two_stories(site: FeedSite, prefix: str, first: int) -> list[tuple[str, str]]:
    items = []
    for n in (first, first + 1):
        path = f"/{prefix}/story-{n}"
        site.page(path, story(n, prefix))
        items.append((path, f"Story {n}"))
    return items


def test_adding_a_feed_does_not_poll_it(engine, people, feed_site):
    url = feed_site.feed("/a.xml", rss(feed_site.base, []))
    feed_id = add(engine, people, url)
    assert feed_site.requests == []
    with session_scope(engine, write=False) as s:
        feed = s.get(Feed, feed_id)
        assert (feed.status, feed.last_polled_at, feed.outlet) == ("new", None, "Gazette")
        assert feeds.due_feed_ids(s) == [feed_id]
        assert s.exec(select(Event.action).where(Event.action == "feed_add")).all()


def test_it_refuses_a_second_feed_with_the_same_address_and_odd_input(engine, people):
    add(engine, people, "https://news.example/feed")
    with pytest.raises(Duplicate):
        add(engine, people, "https://news.example/feed")
    for url, outlet in [("javascript:alert(1)", "X"), ("https://n.example/f", " ")]:
        with pytest.raises(Invalid):
            add(engine, people, url, outlet)
    with session_scope(engine) as s, pytest.raises(Invalid):
        feeds.add_feed(s, s.get(User, people["reviewer"]), "https://r.example/f", "R")


def test_polling_imports_new_items_and_a_second_poll_sends_conditional_requests(
        engine, people, feed_site):
    a = add(engine, people, feed_site.feed("/a.xml", rss(feed_site.base,
                                                        two_stories(feed_site, "a", 1))))
    b = add(engine, people, feed_site.feed("/b.atom", atom(feed_site.base,
                                                          two_stories(feed_site, "b", 3)),
                                           "application/atom+xml"), "Courier")
    c = add(engine, people, feed_site.feed("/c.json", json_feed(
        feed_site.base, two_stories(feed_site, "c", 5)), "application/feed+json"), "Post")
    results = feeds.poll_feeds(engine, None, LOCAL)
    assert [r.line() for r in results] == [f"{a} new=2 unchanged=0 errors=0",
                                           f"{b} new=2 unchanged=0 errors=0",
                                           f"{c} new=2 unchanged=0 errors=0"]
    with session_scope(engine, write=False) as s:
        imported = s.exec(select(Article).order_by(Article.id)).all()
        assert sorted((x.feed_id, x.outlet) for x in imported) == [
            (a, "Gazette"), (a, "Gazette"), (b, "Courier"), (b, "Courier"), (c, "Post"),
            (c, "Post")]
        assert all(x.url.startswith(feed_site.base) for x in imported)
        # The same pipeline as any import: proposals with scores and reasons.
        proposed = s.exec(select(Claim).where(Claim.article_id == imported[0].id,
                                              Claim.state == "proposed")).all()
        assert proposed and all(c.score > 0 and c.reasons for c in proposed)
        feed = s.get(Feed, a)
        assert feed.status == "ok" and feed.last_new == 2 and feed.etag
        assert feed.next_poll_at > utcnow() + timedelta(minutes=10)
        # Nothing is due until the next poll time.
        assert feeds.due_feed_ids(s) == []
    pages = len([p for p, _ in feed_site.requests if "story" in p])
    assert pages == 6

    again = feeds.poll_feeds(engine, [a, b, c], LOCAL)
    assert [r.line() for r in again] == [f"{i} new=0 unchanged=2 errors=0" for i in (a, b, c)]
    for path in ("/a.xml", "/b.atom", "/c.json"):
        second = feed_site.hits(path)[-1]
        assert second["if-none-match"].startswith('"')
        assert second["if-modified-since"] == LAST_MODIFIED
    assert len([p for p, _ in feed_site.requests if "story" in p]) == pages  # no page again
    with session_scope(engine, write=False) as s:
        assert len(s.exec(select(Article)).all()) == 6


def test_a_changed_feed_imports_only_its_new_item(engine, people, feed_site):
    items = two_stories(feed_site, "a", 1)
    a = add(engine, people, feed_site.feed("/a.xml", rss(feed_site.base, items)))
    assert feeds.poll_feeds(engine, [a], LOCAL)[0].new == 2
    feed_site.page("/a/story-9", story(9, "a"))
    feed_site.feed("/a.xml", rss(feed_site.base, [("/a/story-9", "Story 9"), *items]))
    assert feeds.poll_feeds(engine, [a], LOCAL)[0].line() == f"{a} new=1 unchanged=2 errors=0"


@pytest.mark.parametrize(("route", "reason"), [
    ("500", "answered 500"), ("xml", "not valid RSS or Atom"), ("json", "not valid JSON")])
def test_a_broken_feed_is_marked_and_retried_later_while_the_others_go_on(
        engine, people, feed_site, route, reason):
    if route == "500":
        bad_url = feed_site.fail("/bad", 500)
    elif route == "xml":
        bad_url = feed_site.feed("/bad", b"<rss><channel><item><title>oops</chan")
    else:
        bad_url = feed_site.feed("/bad", b'{"version": "https://jsonfeed.org/ver',
                                 "application/feed+json")
    bad = add(engine, people, bad_url, "Broken")
    good = add(engine, people, feed_site.feed("/a.xml", rss(feed_site.base,
                                                           two_stories(feed_site, "a", 1))))
    results = {r.feed_id: r for r in feeds.poll_feeds(engine, None, LOCAL)}
    assert results[bad].errors == 1 and results[bad].new == 0
    assert results[good].new == 2
    with session_scope(engine, write=False) as s:
        feed = s.get(Feed, bad)
        assert feed.status == "error" and reason in feed.error and feed.failures == 1
        first_wait = feed.next_poll_at - feed.last_polled_at
        assert first_wait > LOCAL.every  # backed off: later than a healthy feed
        assert bad not in feeds.due_feed_ids(s)
        assert bad in feeds.due_feed_ids(s, utcnow() + first_wait + timedelta(seconds=1))
    feeds.poll_feeds(engine, [bad], LOCAL)  # still broken: the wait doubles
    with session_scope(engine, write=False) as s:
        feed = s.get(Feed, bad)
        assert feed.failures == 2
        assert feed.next_poll_at - feed.last_polled_at == min(first_wait * 2, LOCAL.max_backoff)
    feed_site.feed("/bad", rss(feed_site.base, two_stories(feed_site, "r", 7)))
    assert feeds.poll_feeds(engine, [bad], LOCAL)[0].new == 2  # retried, and it recovered
    with session_scope(engine, write=False) as s:
        feed = s.get(Feed, bad)
        assert (feed.status, feed.error, feed.failures) == ("ok", "", 0)


def test_the_same_story_from_two_feeds_becomes_one_article_group(engine, people, feed_site):
    feed_site.page("/a/story-1", story(1, "Gazette"))
    # The same story in another outlet's page furniture, with a small rewrite.
    feed_site.page("/b/wire-copy", story(1, "Courier", variant="rewrite"))
    # And the very same text again, under a third address: a duplicate, not imported.
    feed_site.page("/c/again", story(1, "Gazette"))
    feed_site.page("/b/other", story(4, "Courier"))
    a = add(engine, people, feed_site.feed("/a.xml", rss(feed_site.base, [("/a/story-1", "S")])))
    b = add(engine, people, feed_site.feed("/b.xml", rss(
        feed_site.base, [("/b/wire-copy", "S"), ("/b/other", "O")])), "Courier")
    c = add(engine, people, feed_site.feed("/c.xml", rss(feed_site.base, [("/c/again", "S")])),
            "Third")
    lines = [r.line() for r in feeds.poll_feeds(engine, [a, b, c], LOCAL)]
    assert lines == [f"{a} new=1 unchanged=0 errors=0", f"{b} new=2 unchanged=0 errors=0",
                     f"{c} new=0 unchanged=1 errors=0"]
    with session_scope(engine, write=False) as s:
        by_url = {x.url.rsplit("/", 2)[-2] + "/" + x.url.rsplit("/", 1)[-1]: x.id
                  for x in s.exec(select(Article)).all()}
        groups = dict(s.exec(select(ArticleSketch.article_id, ArticleSketch.group_id)).all())
        assert groups[by_url["a/story-1"]] == groups[by_url["b/wire-copy"]]
        assert groups[by_url["b/other"]] != groups[by_url["a/story-1"]]
        item = s.exec(select(FeedItem).where(FeedItem.feed_id == c)).one()
        assert (item.status, item.article_id) == ("duplicate", by_url["a/story-1"])


def test_an_address_already_imported_is_not_fetched_again(engine, people, feed_site):
    feed_site.page("/a/story-1", story(1))
    a = add(engine, people, feed_site.feed("/a.xml", rss(feed_site.base, [("/a/story-1", "S")])))
    # Another feed lists the same article with tracking parameters and a fragment.
    b = add(engine, people, feed_site.feed("/b.xml", rss(
        feed_site.base, [("/a/story-1?utm_source=rss&amp;utm_medium=feed#top", "S")])), "B")
    feeds.poll_feeds(engine, [a], LOCAL)
    assert feeds.poll_feeds(engine, [b], LOCAL)[0].line() == f"{b} new=0 unchanged=1 errors=0"
    assert len([p for p, _ in feed_site.requests if p.startswith("/a/story-1")]) == 1


def test_a_private_address_in_a_feed_is_refused(engine, people, feed_site):
    strict = feeds.PollSettings(fetch=fetch.FetchSettings(timeout=5), host_interval=0.0)
    a = add(engine, people, feed_site.feed("/a.xml", rss(feed_site.base,
                                                        two_stories(feed_site, "a", 1))))
    result = feeds.poll_feeds(engine, [a], strict)[0]
    assert (result.new, result.errors) == (0, 1)
    assert feed_site.requests == []  # refused before connecting
    with session_scope(engine, write=False) as s:
        feed = s.get(Feed, a)
        assert feed.status == "error" and "private" in feed.error


def test_a_private_address_in_an_item_is_refused(engine, people, feed_site, monkeypatch):
    strict = feeds.PollSettings(fetch=fetch.FetchSettings(timeout=5), host_interval=0.0)
    feed_url = feed_site.feed("/a.xml", (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>N</title>'
        f"<item><link>{feed_site.base}/a/story-1</link></item>"
        "<item><link>http://169.254.169.254/latest/meta-data/</link></item>"
        "<item><link>http://10.0.0.7/intranet</link></item>"
        "</channel></rss>").encode())
    feed_site.page("/a/story-1", story(1))
    real = fetch.check_url

    def only_the_feed_is_let_through(url, *, allow_private=False):
        # The feed stands for a public site: only its own address skips the check.
        return real(url, allow_private=allow_private or url == feed_url)

    monkeypatch.setattr(fetch, "check_url", only_the_feed_is_let_through)
    a = add(engine, people, feed_url)
    result = feeds.poll_feeds(engine, [a], strict)[0]
    assert result.line() == f"{a} new=0 unchanged=0 errors=3"
    assert [p for p, _ in feed_site.requests] == ["/a.xml"]  # no item was fetched
    with session_scope(engine, write=False) as s:
        items = s.exec(select(FeedItem).where(FeedItem.feed_id == a)).all()
        assert {i.status for i in items} == {"error"}
        assert all("private" in i.error for i in items)
        assert s.exec(select(Article)).all() == []


def test_a_feed_switched_off_is_not_due_and_a_stale_switch_is_refused(engine, people):
    from annotator.services.errors import Conflict

    a = add(engine, people, "https://news.example/feed")
    with session_scope(engine) as s:
        feeds.set_active(s, s.get(User, people["editor"]), a, False, 1)
    with session_scope(engine) as s:
        assert feeds.due_feed_ids(s) == []
        with pytest.raises(Conflict):
            feeds.set_active(s, s.get(User, people["editor"]), a, True, 1)


def test_the_host_limiter_spaces_requests_to_one_host_only():
    now = [100.0]
    slept = []

    def sleep(seconds):
        slept.append(round(seconds, 3))
        now[0] += seconds

    limiter = feeds.HostLimiter(1.0, clock=lambda: now[0], sleep=sleep)
    for url in ("http://a.example/1", "http://a.example/2", "http://b.example/1",
                "http://a.example/3"):
        limiter.wait(url)
    assert slept == [1.0, 1.0]  # a.example waits; b.example goes at once


@pytest.mark.parametrize(("given", "canonical"), [
    ("HTTP://News.Example:80/a?utm_source=x&id=3#top", "http://news.example/a?id=3"),
    ("https://news.example", "https://news.example/"),
    ("https://news.example:8443/a?fbclid=1", "https://news.example:8443/a")])
def test_canonical_addresses_drop_tracking_and_fragments(given, canonical):
    assert feeds.canonical_url(given) == canonical


def test_the_page_canonical_link_wins_over_its_address():
    page = fetch.Page(url="https://news.example/amp/1", content_type="text/html", html=(
        '<html><head><link rel="canonical" href="/stories/1?utm_campaign=x"></head>'
        "<body>x</body></html>"))
    assert feeds.page_canonical(page) == "https://news.example/stories/1"


def test_the_periodic_task_queues_the_due_feeds_and_they_are_polled(engine, people, feed_site,
                                                                    monkeypatch):
    from annotator import tasks

    monkeypatch.setattr(tasks.huey, "immediate", True)  # queued tasks run inline
    tasks.use(engine, {"ALLOW_PRIVATE_URLS": True, "FEED_HOST_INTERVAL": 0,
                       "CHECKED_BEFORE_JOBS": False})
    a = add(engine, people, feed_site.feed("/a.xml", rss(feed_site.base,
                                                        two_stories(feed_site, "a", 1))))
    feeds.poll_due_feeds.call_local()
    with session_scope(engine, write=False) as s:
        assert len(s.exec(select(Article).where(Article.feed_id == a)).all()) == 2
        feed = s.get(Feed, a)
        assert feed.status == "ok" and feed.next_poll_at > utcnow()
    requests = len(feed_site.requests)
    feeds.poll_due_feeds.call_local()  # nothing is due: nothing is requested
    assert len(feed_site.requests) == requests


def test_host_batches_keep_one_hosts_feeds_together(engine, people):
    hosts = {add(engine, people, f"https://{host}.example/{n}", host): host
             for host in ("a", "b", "c") for n in range(3)}
    batches = feeds.host_batches(engine, list(hosts), size=4)
    assert sorted(i for b in batches for i in b) == sorted(hosts)
    assert [sorted({hosts[i] for i in b}) for b in batches] == [["a"], ["b"], ["c"]]
