"""Polling: a local feed site's new items are imported once, conditionally, de-duplicated."""

from __future__ import annotations

import os
import threading
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlmodel import select

from annotator.db import session_scope
from annotator.models import Article, ArticleSketch, Claim, Feed, FeedItem, utcnow
from annotator.services import feeds, fetch, polling
from tests.services.test_feeds import (
    LAST_MODIFIED,
    LOCAL,
    add,
    atom,
    json_feed,
    rss,
    serve_site,
    story,
    two_stories,
)


@pytest.fixture
def feed_site():
    """Serve a local feed site for the test (tests.services.test_feeds.FeedSite)."""
    with serve_site() as site:
        yield site


def test_polling_imports_new_items_and_a_second_poll_sends_conditional_requests(
        engine, people, feed_site):
    a = add(engine, people, feed_site.feed("/a.xml", rss(feed_site.base,
                                                        two_stories(feed_site, "a", 1))))
    b = add(engine, people, feed_site.feed("/b.atom", atom(feed_site.base,
                                                          two_stories(feed_site, "b", 3)),
                                           "application/atom+xml"), "Courier")
    c = add(engine, people, feed_site.feed("/c.json", json_feed(
        feed_site.base, two_stories(feed_site, "c", 5)), "application/feed+json"), "Post")
    results = polling.poll_feeds(engine, None, LOCAL)
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

    again = polling.poll_feeds(engine, [a, b, c], LOCAL)
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
    assert polling.poll_feeds(engine, [a], LOCAL)[0].new == 2
    feed_site.page("/a/story-9", story(9, "a"))
    feed_site.feed("/a.xml", rss(feed_site.base, [("/a/story-9", "Story 9"), *items]))
    assert polling.poll_feeds(engine, [a], LOCAL)[0].line() == f"{a} new=1 unchanged=2 errors=0"


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
    results = {r.feed_id: r for r in polling.poll_feeds(engine, None, LOCAL)}
    assert results[bad].errors == 1 and results[bad].new == 0
    assert results[good].new == 2
    with session_scope(engine, write=False) as s:
        feed = s.get(Feed, bad)
        assert feed.status == "error" and reason in feed.error and feed.failures == 1
        first_wait = feed.next_poll_at - feed.last_polled_at
        assert first_wait > LOCAL.every  # backed off: later than a healthy feed
        assert bad not in feeds.due_feed_ids(s)
        assert bad in feeds.due_feed_ids(s, utcnow() + first_wait + timedelta(seconds=1))
    polling.poll_feeds(engine, [bad], LOCAL)  # still broken: the wait doubles
    with session_scope(engine, write=False) as s:
        feed = s.get(Feed, bad)
        assert feed.failures == 2
        assert feed.next_poll_at - feed.last_polled_at == min(first_wait * 2, LOCAL.max_backoff)
    feed_site.feed("/bad", rss(feed_site.base, two_stories(feed_site, "r", 7)))
    assert polling.poll_feeds(engine, [bad], LOCAL)[0].new == 2  # retried, and it recovered
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
    lines = [r.line() for r in polling.poll_feeds(engine, [a, b, c], LOCAL)]
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
    polling.poll_feeds(engine, [a], LOCAL)
    assert polling.poll_feeds(engine, [b], LOCAL)[0].line() == f"{b} new=0 unchanged=1 errors=0"
    assert len([p for p, _ in feed_site.requests if p.startswith("/a/story-1")]) == 1


def test_a_private_address_in_a_feed_is_refused(engine, people, feed_site):
    strict = polling.PollSettings(fetch=fetch.FetchSettings(timeout=5), host_interval=0.0)
    a = add(engine, people, feed_site.feed("/a.xml", rss(feed_site.base,
                                                        two_stories(feed_site, "a", 1))))
    result = polling.poll_feeds(engine, [a], strict)[0]
    assert (result.new, result.errors) == (0, 1)
    assert feed_site.requests == []  # refused before connecting
    with session_scope(engine, write=False) as s:
        feed = s.get(Feed, a)
        assert feed.status == "error" and "private" in feed.error


def test_a_private_address_in_an_item_is_refused(engine, people, feed_site, monkeypatch):
    strict = polling.PollSettings(fetch=fetch.FetchSettings(timeout=5), host_interval=0.0)
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
    result = polling.poll_feeds(engine, [a], strict)[0]
    assert result.line() == f"{a} new=0 unchanged=0 errors=3"
    assert [p for p, _ in feed_site.requests] == ["/a.xml"]  # no item was fetched
    with session_scope(engine, write=False) as s:
        items = s.exec(select(FeedItem).where(FeedItem.feed_id == a)).all()
        assert {i.status for i in items} == {"error"}
        assert all("private" in i.error for i in items)
        assert s.exec(select(Article)).all() == []


def test_the_host_limiter_spaces_requests_to_one_host_only():
    now = [100.0]
    slept = []

    def sleep(seconds):
        slept.append(round(seconds, 3))
        now[0] += seconds

    limiter = polling.HostLimiter(1.0, clock=lambda: now[0], sleep=sleep)
    for url in ("http://a.example/1", "http://a.example/2", "http://b.example/1",
                "http://a.example/3"):
        limiter.wait(url)
    assert slept == [1.0, 1.0]  # a.example waits; b.example goes at once


def test_the_periodic_task_queues_the_due_feeds_and_they_are_polled(engine, people, feed_site,
                                                                    monkeypatch):
    from annotator import tasks

    monkeypatch.setattr(tasks.huey, "immediate", True)  # queued tasks run inline
    tasks.use(engine, {"ALLOW_PRIVATE_URLS": True, "FEED_HOST_INTERVAL": 0,
                       "CHECKED_BEFORE_JOBS": False})
    a = add(engine, people, feed_site.feed("/a.xml", rss(feed_site.base,
                                                        two_stories(feed_site, "a", 1))))
    polling.poll_due_feeds.call_local()
    with session_scope(engine, write=False) as s:
        assert len(s.exec(select(Article).where(Article.feed_id == a)).all()) == 2
        feed = s.get(Feed, a)
        assert feed.status == "ok" and feed.next_poll_at > utcnow()
    requests = len(feed_site.requests)
    polling.poll_due_feeds.call_local()  # nothing is due: nothing is requested
    assert len(feed_site.requests) == requests


def test_host_batches_keep_one_hosts_feeds_together(engine, people):
    hosts = {add(engine, people, f"https://{host}.example/{n}", host): host
             for host in ("a", "b", "c") for n in range(3)}
    batches = polling.host_batches(engine, list(hosts), size=4)
    assert sorted(i for b in batches for i in b) == sorted(hosts)
    assert [sorted({hosts[i] for i in b}) for b in batches] == [["a"], ["b"], ["c"]]


def test_the_polling_threads_run_below_the_worker_and_the_web(engine, people, feed_site):
    """Each polling thread lowers its own priority to FEED_POLL_NICE; the caller's stays."""
    ids = [add(engine, people, feed_site.feed(f"/{n}.xml", rss(
        feed_site.base, two_stories(feed_site, n, 10 * i + 1))), n) for i, n in enumerate("ab")]
    seen: list[tuple[int, int]] = []

    def after_import(_article_id: int) -> None:
        thread = threading.get_native_id()
        seen.append((thread, os.getpriority(os.PRIO_PROCESS, thread)))

    ours = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    settings = replace(LOCAL, nice=min(19, ours + 5))
    results = polling.poll_feeds(engine, ids, settings, after_import=after_import)
    assert sum(r.new for r in results) == 4 and len(seen) == 4
    assert all(thread != threading.get_native_id() for thread, _ in seen)
    assert {nice for _, nice in seen} == {min(19, ours + 5)}
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == ours
    assert polling.PollSettings.from_config({}).nice == 19
    assert polling.PollSettings.from_config({"FEED_POLL_NICE": "7"}).nice == 7


def test_the_same_text_imported_by_another_poll_at_that_moment_is_recorded_as_its_twin(
        engine, people, feed_site, monkeypatch):
    """The unique text hash refuses the second of two simultaneous imports: the item is
    then looked at again and recorded as a duplicate of the article that got in."""
    from sqlalchemy.exc import IntegrityError

    from annotator.services import articles

    feed_site.page("/a/story-1", story(1, "Gazette"))
    feed_site.page("/c/again", story(1, "Gazette"))
    a = add(engine, people, feed_site.feed("/a.xml", rss(feed_site.base, [("/a/story-1", "S")])))
    c = add(engine, people, feed_site.feed("/c.xml", rss(feed_site.base, [("/c/again", "S")])),
            "Third")
    real = articles.import_article
    raced = []

    def racing(session, actor, req):
        if req.url.endswith("/c/again") and not raced:
            raced.append(1)  # the other poll's import of the same text commits first
            polling.poll_feeds(engine, [a], LOCAL)
            raise IntegrityError("INSERT INTO article", {}, Exception("UNIQUE content_hash"))
        return real(session, actor, req)

    monkeypatch.setattr(articles, "import_article", racing)
    assert polling.poll_feeds(engine, [c], LOCAL)[0].line() == f"{c} new=0 unchanged=1 errors=0"
    with session_scope(engine, write=False) as s:
        first = s.exec(select(Article.id)).one()
        item = s.exec(select(FeedItem).where(FeedItem.feed_id == c)).one()
        assert (item.status, item.article_id) == ("duplicate", first)
