"""Link health: a stored source fetched again, politely, and compared with its snapshot."""

from __future__ import annotations

import pytest

from annotator.db import session_scope
from annotator.models import SourceSnapshot
from annotator.services import fetch, link_health
from tests.services.test_snapshots import (
    OPEN,
    REPORT,
    _stored,
    add_source,
    serving,
    snapshot_of,
)


@pytest.fixture
def site():
    with serving() as made:
        yield made


def _check(engine, source_id) -> SourceSnapshot:
    link_health.run_checks(engine, OPEN, [source_id])
    return snapshot_of(engine, source_id)


def test_an_unchanged_page_is_unchanged_and_asked_for_conditionally(engine, people, site):
    source_id = _stored(engine, people, site, ETag='"v1"')
    snap = _check(engine, source_id)
    assert (snap.health, snap.change) == ("unchanged", None)
    assert site.requests[-1][1].get("If-None-Match") == '"v1"'
    assert snap.checked_at is not None


def test_a_changed_page_is_changed_with_how_much(engine, people, site):
    source_id = _stored(engine, people, site)
    site.page("/report", REPORT.replace("34 percent", "29 percent").replace(
        "4,000 journeys", "1,000 journeys"))
    snap = _check(engine, source_id)
    assert snap.health == "changed"
    assert 0 < snap.change < 30
    site.page("/report", "<html><body><p>This page was replaced by a notice about "
                         "cookies and nothing else at all.</p></body></html>")
    assert _check(engine, source_id).change > 80


def test_a_page_that_only_changed_its_markup_is_unchanged(engine, people, site):
    source_id = _stored(engine, people, site)
    site.page("/report", REPORT.replace("<nav>Home | News | Sport</nav>", "<nav>Home</nav>"))
    snap = _check(engine, source_id)
    assert (snap.health, snap.change) == ("unchanged", 0)


@pytest.mark.parametrize("status", [404, 410])
def test_a_page_answering_404_or_410_is_gone(engine, people, site, status):
    source_id = _stored(engine, people, site)
    site.page("/report", "Not here", status=status)
    snap = _check(engine, source_id)
    assert snap.health == "gone"
    assert str(status) in snap.check_error


def test_a_host_that_no_longer_resolves_is_gone(engine, people, site, monkeypatch):
    source_id = _stored(engine, people, site)

    def nowhere(host, port, *args, **kwargs):
        raise fetch.socket.gaierror(-2, "Name or service not known")

    monkeypatch.setattr(fetch.socket, "getaddrinfo", nowhere)
    snap = _check(engine, source_id)
    assert snap.health == "gone"
    assert "could not be found" in snap.check_error


def test_a_page_now_redirecting_elsewhere_has_moved(engine, people, site):
    source_id = _stored(engine, people, site)
    site.page("/new-home", REPORT)
    site.page("/report", "", status=301, Location="/new-home")
    snap = _check(engine, source_id)
    assert (snap.health, snap.moved_to) == ("moved", site.url + "/new-home")


def test_a_server_error_leaves_the_health_as_it_was(engine, people, site):
    source_id = _stored(engine, people, site)
    site.page("/report", "oops", status=503)
    snap = _check(engine, source_id)
    assert snap.health == "unchecked"
    assert "503" in snap.check_error


def test_checks_are_paced_per_host():
    waits, now = [], [0.0]
    pacer = link_health.HostPacer(5, clock=lambda: now[0], sleep=waits.append)
    for url in ("http://a.example/1", "http://b.example/1", "http://a.example/2"):
        pacer.wait(url)
        now[0] += 1
    assert waits == [3.0]  # a.example again after 2 s: 3 s more


def test_checks_interleave_hosts():
    rows = [(1, "http://a.example/1"), (2, "http://a.example/2"), (3, "http://b.example/1")]
    assert [i for i, _ in link_health.interleave(rows)] == [1, 3, 2]


def test_a_source_never_archived_is_archived_by_a_check(engine, people, site):
    source_id = add_source(engine, people, site.page("/report", REPORT))
    assert link_health.run_checks(engine, OPEN, [source_id]) == {source_id: "stored"}


def test_the_hourly_task_checks_the_links_not_checked_lately(engine, people, site,
                                                             monkeypatch):
    from annotator import tasks

    monkeypatch.setattr(tasks.huey, "immediate", True)  # what it queues runs inline

    fresh = _stored(engine, people, site, "/fresh")
    stale = _stored(engine, people, site, "/stale", html=REPORT.replace("2026", "2025"))
    link_health.run_checks(engine, OPEN, [fresh])
    site.page("/fresh", "Not here", status=404)
    site.page("/stale", "Not here", status=404)
    older = add_source(engine, people, site.page("/older", REPORT))
    with session_scope(engine) as session:  # a source from before snapshots existed
        session.delete(session.get(SourceSnapshot, older))
    tasks.use(engine, {"SNAPSHOTS": True, "ALLOW_PRIVATE_URLS": True, "LINK_CHECK_HOURS": 24,
                       "LINK_CHECK_HOST_SECONDS": 0, "SNAPSHOT_TIMEOUT": 3})
    link_health.check_due_links.call_local()
    assert snapshot_of(engine, stale).health == "gone"
    assert snapshot_of(engine, fresh).health == "unchanged"  # checked within the day
    assert snapshot_of(engine, older).status == "stored"
