"""Feeds: polling a local feed site imports new items once, conditionally, de-duplicated."""

from __future__ import annotations

import contextlib
import hashlib
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlmodel import select

from annotator.db import session_scope
from annotator.models import Event, Feed, User
from annotator.services import feeds, fetch, polling
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


@contextlib.contextmanager
def serve_site():
    """Serve a FeedSite on 127.0.0.1 while the block runs."""
    site = FeedSite()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(site))
    server.daemon_threads = True
    site.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield site
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def feed_site():
    """Serve a FeedSite on 127.0.0.1 for the test."""
    with serve_site() as site:
        yield site


# Tests talk to 127.0.0.1 only, so they allow private addresses (as a local desk would);
# no waiting between requests to the one local host.
LOCAL = polling.PollSettings(fetch=fetch.FetchSettings(allow_private=True, timeout=5),
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


def test_a_feed_switched_off_is_not_due_and_a_stale_switch_is_refused(engine, people):
    from annotator.services.errors import Conflict

    a = add(engine, people, "https://news.example/feed")
    with session_scope(engine) as s:
        feeds.set_active(s, s.get(User, people["editor"]), a, False, 1)
    with session_scope(engine) as s:
        assert feeds.due_feed_ids(s) == []
        with pytest.raises(Conflict):
            feeds.set_active(s, s.get(User, people["editor"]), a, True, 1)


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
