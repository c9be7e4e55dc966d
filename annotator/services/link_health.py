"""Link health (issue 22): fetch each archived source again, politely, and say what changed.

A check is a conditional GET (ETag / Last-Modified) through the guarded fetcher, paced per
host (LINK_CHECK_HOST_SECONDS). What it finds is compared with the stored snapshot's text:
``unchanged``; ``changed`` (with how much of the text changed, in per cent); ``moved`` (the
address now redirects elsewhere); ``gone`` (404, 410, or the host no longer resolves). A
timeout or a server error leaves the health as it was and records the error. The snapshot
itself is never replaced: it is the evidence as the desk read it.
"""

from __future__ import annotations

import difflib
import hashlib
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

from sqlalchemy import or_
from sqlmodel import Session, select

from annotator import tasks
from annotator.engine import session_scope
from annotator.models import Source, SourceSnapshot, utcnow
from annotator.services import fetch
from annotator.services.errors import Invalid, NotFound
from annotator.services.snapshots import (
    ArchiveSettings,
    Fetcher,
    capture,
    charset_of,
    extract_text,
    kind_of,
    request,
    snapshot_source,
    snapshot_task,
    store,
    text_of,
)


@dataclass
class Probe:
    """What a link check found: the health and its details, or an error that left it as is."""

    health: str | None
    change: int | None = None
    moved_to: str = ""
    error: str = ""
    etag: str = ""
    last_modified: str = ""


def _same_place(a: str, b: str) -> bool:
    pa, pb = urlsplit(a), urlsplit(b)
    return (pa.scheme, (pa.hostname or "").lower(), pa.port, pa.path.rstrip("/") or "/",
            pa.query) == (pb.scheme, (pb.hostname or "").lower(), pb.port,
                          pb.path.rstrip("/") or "/", pb.query)


def changed_share(old: str, new: str) -> int:
    """Return how much of the text changed, in per cent (0 = same words, 100 = none kept)."""
    if old == new:
        return 0
    a, b = old.split(), new.split()
    if a == b:
        return 0
    ratio = difflib.SequenceMatcher(None, a, b).ratio()
    return max(1, min(100, round(100 * (1 - ratio))))


def probe(snap: SourceSnapshot, url: str, old_text: str | None, fetcher: Fetcher) -> Probe:
    """Fetch a stored source again (conditionally) and compare it with the snapshot."""
    headers = {}
    if snap.etag:
        headers["If-None-Match"] = snap.etag
    if snap.last_modified:
        headers["If-Modified-Since"] = snap.last_modified
    try:
        resource = fetcher(url, headers)
    except fetch.HostNotFound as exc:
        return Probe("gone", error=exc.message)
    except Invalid as exc:
        return Probe(None, error=exc.message)
    if resource.status in (404, 410):
        return Probe("gone", error=f"The site answered {resource.status}.")
    if resource.status == 304:
        return Probe(snap.health if snap.health != "unchecked" else "unchanged",
                     change=snap.change, moved_to=snap.moved_to, etag=snap.etag,
                     last_modified=snap.last_modified)
    if resource.status != 200:
        return Probe(None, error=f"The site answered {resource.status} "
                                 f"{resource.reason}".strip() + ".")
    etag, modified = resource.header("ETag")[:500], resource.header("Last-Modified")[:100]
    share: int | None
    if hashlib.sha256(resource.body).hexdigest() == snap.sha256:
        share = 0
    elif old_text is None:  # an imported snapshot: its text stayed with the exporting desk
        share = None
    else:
        share = changed_share(old_text, extract_text(resource.body, kind_of(resource),
                                                     resource.url, charset_of(resource)))
    if not _same_place(resource.url, snap.final_url or url):
        return Probe("moved", change=share, moved_to=resource.url[:2000], etag=etag,
                     last_modified=modified)
    return Probe("unchanged" if share == 0 else "changed", change=share, etag=etag,
                 last_modified=modified)


def record_health(session: Session, source_id: int, found: Probe) -> SourceSnapshot:
    """Write what a link check found on the source's snapshot."""
    snap = session.get(SourceSnapshot, source_id)
    if snap is None:
        raise NotFound("This source has no snapshot.")
    snap.checked_at = utcnow()
    snap.check_error = found.error
    if found.health is not None:
        snap.health, snap.change, snap.moved_to = found.health, found.change, found.moved_to
        if found.health != "gone":
            snap.etag, snap.last_modified = found.etag, found.last_modified
    session.add(snap)
    session.flush()
    return snap


def check_source_health(session: Session, source_id: int, fetcher: Fetcher) -> SourceSnapshot:
    """Check one stored source's link now; a source never stored is snapshotted instead."""
    snap, source = session.get(SourceSnapshot, source_id), session.get(Source, source_id)
    if source is None:
        raise NotFound(f"No source {source_id}.")
    if snap is None or snap.status != "stored":
        return snapshot_source(session, source_id, fetcher)
    return record_health(session, source_id,
                         probe(snap, source.url, text_of(session, source_id, None), fetcher))


class HostPacer:
    """Space requests to one host at least ``seconds`` apart (politeness)."""

    def __init__(self, seconds: float, clock=time.monotonic, sleep=time.sleep):
        self.seconds, self.clock, self.sleep = seconds, clock, sleep
        self.last: dict[str, float] = {}

    def wait(self, url: str) -> None:
        host = (urlsplit(url).hostname or "").lower()
        if host in self.last:
            left = self.last[host] + self.seconds - self.clock()
            if left > 0:
                self.sleep(left)
        self.last[host] = self.clock()


def interleave(rows: Iterable[tuple[int, str]]) -> list[tuple[int, str]]:
    """Order (id, url) pairs round-robin by host, so the pace rarely has to wait."""
    by_host: dict[str, list[tuple[int, str]]] = {}
    for row in rows:
        by_host.setdefault((urlsplit(row[1]).hostname or "").lower(), []).append(row)
    queues = list(by_host.values())
    out = []
    while queues:
        out += [q.pop(0) for q in queues]
        queues = [q for q in queues if q]
    return out


def due_for_check(session: Session, settings: ArchiveSettings, limit: int = 500) -> list[int]:
    """Return stored sources whose link was not checked for LINK_CHECK_HOURS, oldest first."""
    cutoff = utcnow() - timedelta(hours=settings.check_hours)
    return list(session.exec(
        select(SourceSnapshot.source_id).where(
            SourceSnapshot.status == "stored",
            or_(SourceSnapshot.checked_at.is_(None), SourceSnapshot.checked_at < cutoff))
        .order_by(SourceSnapshot.checked_at.is_not(None), SourceSnapshot.checked_at,
                  SourceSnapshot.source_id).limit(limit)).all())


def run_checks(engine, settings: ArchiveSettings, source_ids: list[int],
               fetcher: Fetcher | None = None,
               pacer: HostPacer | None = None,
               deadline: float | None = None) -> dict[int, str]:
    """Check these sources' links, one short transaction each, politely; return the health.

    A source never stored (or failed) is snapshotted instead (its status is returned).
    """
    fetcher = fetcher or settings.fetcher()
    pacer = pacer or HostPacer(settings.host_seconds)
    with session_scope(engine, write=False) as session:
        rows = session.exec(select(Source.id, Source.url).where(
            Source.id.in_(source_ids))).all()
    results: dict[int, str] = {}
    for source_id, url in interleave(rows):
        if deadline is not None and time.monotonic() > deadline:
            break  # the next run takes up the rest: runs never overlap on a slow host
        with session_scope(engine, write=False) as session:
            snap = session.get(SourceSnapshot, source_id)
            stored = snap is not None and snap.status == "stored"
            old_text = text_of(session, source_id, None) if stored else None
        if not stored:
            got = capture(url, fetcher)
            with session_scope(engine) as session:
                results[source_id] = store(session, source_id, got).status
            continue
        pacer.wait(url)
        found = probe(snap, url, old_text, fetcher)
        with session_scope(engine) as session:
            results[source_id] = record_health(session, source_id, found).health
    return results


@tasks.periodic_task(tasks.crontab(minute="7"))
def check_due_links() -> None:
    """Every hour: check the links not checked for LINK_CHECK_HOURS; archive the sources
    never archived; queue again the snapshots whose task was lost."""
    rt = tasks.runtime()
    engine, settings = rt.engine, ArchiveSettings.from_config(rt.settings)
    if not settings.enabled:
        return
    stale = utcnow() - timedelta(minutes=30)
    with session_scope(engine, write=False) as session:
        due = due_for_check(session, settings)
        lost = list(session.exec(select(SourceSnapshot.source_id).where(
            SourceSnapshot.status == "pending", SourceSnapshot.requested_at < stale)
            .limit(500)).all())
    with session_scope(engine) as session:
        # Sources from before snapshots existed are archived a batch an hour.
        for source_id in session.exec(select(Source.id).outerjoin(
                SourceSnapshot, SourceSnapshot.source_id == Source.id).where(
                SourceSnapshot.source_id.is_(None)).order_by(Source.id).limit(200)).all():
            request(session, source_id)
    for source_id in lost:
        tasks.enqueue(snapshot_task, source_id)
    run_checks(engine, settings, due, deadline=time.monotonic() + 50 * 60)

