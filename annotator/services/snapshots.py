"""Source snapshots (issue 22): archive every source, verify its quote, watch its link.

Attaching a source never waits for the network: a mapper event gives the new source a
``pending`` snapshot row in the same transaction and, once that commits, the queue runs
``snapshot_task``. The task fetches the page through the guarded fetcher of URL import
(``fetch.fetch_resource``: every hop checked, the address pinned, size and time capped) with
no transaction open, then stores in one short transaction: the response as a gzipped WARC
record, the page's text (trafilatura for HTML, pypdf for PDF), the body's sha256, and whether
the source's excerpt is in that text (``anchor.find_quote``, as claims are anchored).

Link health (``check_source_health``, and the periodic ``check_due_links``) fetches the
source again politely (conditional GET with ETag / Last-Modified, a per-host pace) and
records what it finds against the stored text: unchanged, changed (with how much), moved
or gone. The snapshot itself is never replaced: it is the evidence as the desk read it.

Services here take a Session and never commit; tasks and the CLI open their own sessions.
"""

from __future__ import annotations

import hashlib
import io
import logging
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import delete, event, insert, inspect, update
from sqlalchemy.orm import object_session
from sqlmodel import Session, select

from annotator import tasks
from annotator.engine import session_scope
from annotator.extract.anchor import find_quote
from annotator.models import Source, SourceArchive, SourceSnapshot, utcnow
from annotator.presenters import iso
from annotator.services import fetch
from annotator.services.errors import Invalid, NotFound

log = logging.getLogger(__name__)

STATUSES = ("pending", "stored", "failed")
QUOTES = ("found", "not_found", "none")
HEALTH = ("unchecked", "unchanged", "changed", "moved", "gone")
AT_RISK = ("changed", "moved", "gone")
USER_AGENT = fetch.USER_AGENT.replace("article import", "source archive")
MAX_TEXT = 2_000_000  # characters of extracted text kept
PDF_PAGES = 300  # pages of a PDF read for its text

Fetcher = Callable[..., fetch.Resource]


@dataclass(frozen=True)
class ArchiveSettings:
    """The limits of archiving and link checks, from the app's settings."""

    allow_private: bool = False
    timeout: float = 20.0
    max_bytes: int = 20 * 1024 * 1024
    host_seconds: float = 5.0
    check_hours: float = 24.0
    enabled: bool = True

    @classmethod
    def from_config(cls, config) -> ArchiveSettings:
        return cls(allow_private=bool(config.get("ALLOW_PRIVATE_URLS", False)),
                   timeout=float(config.get("SNAPSHOT_TIMEOUT", 20)),
                   max_bytes=int(config.get("SNAPSHOT_MAX_BYTES", 20 * 1024 * 1024)),
                   host_seconds=float(config.get("LINK_CHECK_HOST_SECONDS", 5)),
                   check_hours=float(config.get("LINK_CHECK_HOURS", 24)),
                   # Only a full app config turns archiving on (a bare runtime has none).
                   enabled=bool(config.get("SNAPSHOTS", False)))

    def fetcher(self) -> Fetcher:
        """Return the guarded fetcher with these limits."""
        limits = fetch.FetchSettings(allow_private=self.allow_private, timeout=self.timeout,
                                     max_bytes=self.max_bytes)

        def get(url: str, headers: dict | None = None) -> fetch.Resource:
            return fetch.fetch_resource(url, limits,
                                        headers={"User-Agent": USER_AGENT, **(headers or {})})
        return get


# -- what a fetch gives: no database here -----------------------------------------------------


@dataclass
class Capture:
    """One fetch of a source, ready to store: the WARC record and text, or why it failed."""

    url: str
    fetched_at: datetime
    error: str = ""
    final_url: str = ""
    http_status: int | None = None
    content_type: str = ""
    sha256: str = ""
    size: int = 0
    warc: bytes = b""
    text: str = ""
    etag: str = ""
    last_modified: str = ""


def kind_of(resource: fetch.Resource) -> str:
    return resource.header("Content-Type").split(";")[0].strip().lower()


def charset_of(resource: fetch.Resource) -> str | None:
    for part in resource.header("Content-Type").split(";")[1:]:
        name, _, value = part.partition("=")
        if name.strip().lower() == "charset":
            return value.strip()
    return None


def extract_text(body: bytes, content_type: str, url: str, charset: str | None = None) -> str:
    """Return a response's readable text: trafilatura for HTML, pypdf for PDF, else as is."""
    if content_type == "application/pdf" or body[:5] == b"%PDF-":
        return _pdf_text(body)
    if content_type.startswith("text/plain"):
        return fetch.decode_body(body, charset)[:MAX_TEXT]
    if content_type in ("", "text/html", "application/xhtml+xml") or content_type.endswith(
            "+xml") or content_type.startswith("text/"):
        import trafilatura  # slow to import; only workers need it

        html = fetch.decode_body(body, charset)
        text = trafilatura.extract(html, url=url, include_comments=False, include_tables=True,
                                   favor_recall=True, deduplicate=False)
        if not text:
            text = trafilatura.html2txt(html, clean=True) or ""
        return text[:MAX_TEXT]
    return ""


def _pdf_text(body: bytes) -> str:
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(io.BytesIO(body))
        parts = []
        for page in reader.pages[:PDF_PAGES]:
            parts.append(page.extract_text() or "")
            if sum(map(len, parts)) > MAX_TEXT:
                break
        return "\n\n".join(parts)[:MAX_TEXT]
    except (PyPdfError, ValueError, KeyError, TypeError, OSError):
        return ""


def warc_record(resource: fetch.Resource, fetched_at: datetime) -> bytes:
    """Return the response as a gzipped WARC file: a warcinfo and a response record.

    The body is stored as received (the fetch asks for no content coding); a chunked
    answer's transfer coding is removed, so Content-Length states the body's length.
    """
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    out = io.BytesIO()
    writer = WARCWriter(out, gzip=True)
    date = iso(fetched_at)
    info = writer.create_warcinfo_record("source.warc.gz", {
        "software": USER_AGENT, "format": "WARC File Format 1.1"})
    info.rec_headers.replace_header("WARC-Date", date)
    writer.write_record(info)
    headers = [(k, v) for k, v in resource.headers
               if k.lower() not in ("transfer-encoding", "content-length")]
    headers.append(("Content-Length", str(len(resource.body))))
    http = StatusAndHeaders(f"{resource.status} {resource.reason}".strip(), headers,
                            protocol="HTTP/1.1")
    record = writer.create_warc_record(resource.url, "response",
                                       payload=io.BytesIO(resource.body),
                                       length=len(resource.body), http_headers=http,
                                       warc_headers_dict={"WARC-Date": date})
    writer.write_record(record)
    return out.getvalue()


def capture(url: str, fetcher: Fetcher) -> Capture:
    """Fetch a source and build what a snapshot stores; never raises for a failed fetch."""
    now = utcnow()
    try:
        resource = fetcher(url)
    except Invalid as exc:
        return Capture(url=url, fetched_at=now, error=exc.message)
    got = Capture(url=url, fetched_at=now, final_url=resource.url,
                  http_status=resource.status, content_type=kind_of(resource)[:200])
    if resource.status != 200:
        got.error = f"The site answered {resource.status} {resource.reason}".strip() + "."
        return got
    body = resource.body
    got.sha256 = hashlib.sha256(body).hexdigest()
    got.size = len(body)
    try:
        got.warc = warc_record(resource, now)
        got.text = extract_text(body, got.content_type, resource.url, charset_of(resource))
    except Exception as exc:  # a page that breaks a parser fails with the reason, not the task
        log.exception("archiving %s failed", url)
        got.error = f"The page could not be archived ({type(exc).__name__})."
        return got
    got.etag = resource.header("ETag")[:500]
    got.last_modified = resource.header("Last-Modified")[:100]
    return got


# -- storing ----------------------------------------------------------------------------------


def _snapshot(session: Session, source_id: int) -> SourceSnapshot:
    found = session.get(SourceSnapshot, source_id)
    if found is None:
        if session.get(Source, source_id) is None:
            raise NotFound("No such source.")
        found = SourceSnapshot(source_id=source_id)
        session.add(found)
    return found


def quote_status(text: str, excerpt: str) -> tuple[str, tuple[int, int] | None]:
    """Say whether the excerpt is in the text: "found" (with its span), "not_found", "none"."""
    if not (excerpt or "").strip():
        return "none", None
    span = find_quote(text, excerpt)
    return ("found", span) if span else ("not_found", None)


def store(session: Session, source_id: int, got: Capture) -> SourceSnapshot:
    """Record a capture as the source's snapshot (stored, or failed with the reason)."""
    source = session.get(Source, source_id)
    if source is None:
        raise NotFound("No such source.")
    snap = _snapshot(session, source_id)
    snap.attempts += 1
    if got.error and session.get(SourceArchive, source_id) is not None:
        # Archiving again failed: the copy the desk read stays the evidence.
        snap.status, snap.error = "stored", f"Archiving again failed: {got.error}"
        session.add(snap)
        session.flush()
        return snap
    snap.fetched_at = got.fetched_at
    snap.final_url = got.final_url[:2000]
    snap.http_status = got.http_status
    snap.content_type = got.content_type
    if got.error:
        snap.status, snap.error = "failed", got.error
        session.add(snap)
        session.flush()
        return snap
    snap.status, snap.error = "stored", ""
    snap.sha256, snap.size = got.sha256, got.size
    snap.etag, snap.last_modified = got.etag, got.last_modified
    snap.health, snap.change, snap.moved_to, snap.check_error = "unchecked", None, "", ""
    snap.checked_at = None
    snap.quote, span = quote_status(got.text, source.excerpt)
    snap.quote_start, snap.quote_end = span if span else (None, None)
    archive = session.get(SourceArchive, source_id) or SourceArchive(source_id=source_id,
                                                                     warc=b"", text_z=b"")
    archive.warc = got.warc
    archive.text_z = zlib.compress(got.text.encode("utf-8"), 6)
    session.add(snap)
    session.add(archive)
    session.flush()
    return snap


def snapshot_source(session: Session, source_id: int, fetcher: Fetcher) -> SourceSnapshot:
    """Fetch and store a source's snapshot now (CLI, tests): the fetch runs in this call.

    Workers use ``run_snapshot``, which holds no transaction open while fetching.
    """
    source = session.get(Source, source_id)
    if source is None:
        raise NotFound("No such source.")
    return store(session, source_id, capture(source.url, fetcher))


def run_snapshot(engine, settings: ArchiveSettings, source_id: int,
                 fetcher: Fetcher | None = None) -> str | None:
    """Snapshot one source: read, fetch with no transaction open, store. Return the status."""
    with session_scope(engine, write=False) as session:
        source = session.get(Source, source_id)
        snap = session.get(SourceSnapshot, source_id)
        if source is None or (snap is not None and snap.status != "pending"):
            return snap.status if snap else None  # removed, or done by another run
        url = source.url
    got = capture(url, fetcher or settings.fetcher())
    with session_scope(engine) as session:
        source = session.get(Source, source_id)
        if source is None or source.url != url:
            return None  # removed or changed meanwhile: its own snapshot is queued
        return store(session, source_id, got).status


def text_of(session: Session, source_id: int, missing: str | None = "") -> str | None:
    """Return a stored snapshot's text (``missing`` when its bytes are not here)."""
    archive = session.get(SourceArchive, source_id)
    return zlib.decompress(archive.text_z).decode("utf-8") if archive else missing


def warc_of(session: Session, source_id: int) -> bytes:
    """Return a stored snapshot's WARC file (gzipped records), or raise NotFound."""
    archive = session.get(SourceArchive, source_id)
    if archive is None:
        raise NotFound("This source has no stored snapshot.")
    return archive.warc


def request(session: Session, source_id: int) -> SourceSnapshot:
    """Queue a source's (first or next) snapshot: pending now, fetched once this commits."""
    snap = _snapshot(session, source_id)
    snap.status, snap.error, snap.requested_at = "pending", "", utcnow()
    session.add(snap)
    session.flush()
    tasks.after_commit(session, snapshot_task, source_id)
    return snap


def verify_quote(session: Session, source_id: int) -> str:
    """Look for the source's excerpt in its stored text again; return the quote status."""
    snap, source = session.get(SourceSnapshot, source_id), session.get(Source, source_id)
    if snap is None or source is None or snap.status != "stored":
        return snap.quote if snap else "none"
    snap.quote, span = quote_status(text_of(session, source_id), source.excerpt)
    snap.quote_start, snap.quote_end = span if span else (None, None)
    session.add(snap)
    return snap.quote


# A new source gets its pending snapshot in its own transaction, whichever path added it
# (panel, API, CLI); a changed address is archived again, a changed excerpt re-verified.
@event.listens_for(Source, "after_insert")
def _source_added(_mapper, connection, source: Source) -> None:
    connection.execute(insert(SourceSnapshot), [{
        "source_id": source.id, "status": "pending", "attempts": 0,
        "requested_at": utcnow(), "sha256": "", "final_url": "", "content_type": "",
        "size": 0, "error": "", "quote": "none", "health": "unchecked", "moved_to": "",
        "check_error": "", "etag": "", "last_modified": ""}])
    session = object_session(source)
    if session is not None:
        tasks.after_commit(session, snapshot_task, source.id)


@event.listens_for(Source, "after_update")
def _source_edited(_mapper, connection, source: Source) -> None:
    state = inspect(source)
    session = object_session(source)
    if state.attrs.url.history.has_changes():
        # Another page: the old address's copy is no evidence for it.
        connection.execute(delete(SourceArchive).where(SourceArchive.source_id == source.id))
        connection.execute(update(SourceSnapshot).where(
            SourceSnapshot.source_id == source.id).values(
            status="pending", error="", requested_at=utcnow(), quote="none",
            health="unchecked", change=None, moved_to="", check_error=""))
        if session is not None:
            tasks.after_commit(session, snapshot_task, source.id)
    elif state.attrs.excerpt.history.has_changes():
        text_z = connection.execute(select(SourceArchive.text_z).where(
            SourceArchive.source_id == source.id)).scalar()
        if text_z is None:
            return
        quote, span = quote_status(zlib.decompress(text_z).decode("utf-8"), source.excerpt)
        connection.execute(update(SourceSnapshot).where(
            SourceSnapshot.source_id == source.id).values(
            quote=quote, quote_start=span[0] if span else None,
            quote_end=span[1] if span else None))


# -- queue tasks ------------------------------------------------------------------------------


def _runtime() -> tuple:
    rt = tasks.runtime()
    return rt.engine, ArchiveSettings.from_config(rt.settings)


@tasks.task(retries=2, retry_delay=60)
def snapshot_task(source_id: int) -> None:
    """Archive one source (queued when it is attached or its address changes)."""
    engine, settings = _runtime()
    if settings.enabled:
        run_snapshot(engine, settings, source_id)


@tasks.task(retries=2, retry_delay=60)
def snapshot_many_task(source_ids: list[int]) -> None:
    """Archive imported sources that came without a snapshot, one after the other."""
    engine, settings = _runtime()
    if settings.enabled:
        for source_id in source_ids:
            run_snapshot(engine, settings, source_id)


def _time(value: str | None) -> datetime | None:
    if not value:
        return None
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


def import_snapshots(session: Session, pairs: Iterable[tuple[int, dict | None]]) -> int:
    """Write imported sources' snapshot rows (bulk); queue a fetch for those without one.

    A snapshot an export carries keeps its metadata and quote status and is not fetched
    again (its archived bytes stayed with the exporting desk); a source without one is
    archived like a new one once the import commits. Return how many were queued.
    """
    rows, due = [], []
    now = utcnow()
    for source_id, snap in pairs:
        row = {"source_id": source_id, "status": "pending", "attempts": 0,
               "requested_at": now, "fetched_at": None, "sha256": "", "final_url": "",
               "http_status": None, "content_type": "", "size": 0, "error": "",
               "quote": "none", "quote_start": None, "quote_end": None,
               "health": "unchecked", "change": None, "moved_to": "", "checked_at": None,
               "check_error": "", "etag": "", "last_modified": ""}
        if snap:
            row |= {k: snap[k] for k in ("status", "sha256", "final_url", "http_status",
                                          "content_type", "quote", "health", "error")
                    if snap.get(k) is not None}
            row["fetched_at"] = _time(snap.get("fetched_at"))
            row["final_url"] = row["final_url"][:2000]
            row["content_type"] = row["content_type"][:200]
        if row["status"] == "pending":
            due.append(source_id)
        rows.append(row)
    if rows:
        session.connection().execute(insert(SourceSnapshot), rows)
    for start in range(0, len(due), 100):
        tasks.after_commit(session, snapshot_many_task, due[start:start + 100])
    return len(due)
