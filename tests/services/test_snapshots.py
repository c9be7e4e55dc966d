"""Source snapshots: WARC and text stored, quotes verified, links checked, the guard kept."""

from __future__ import annotations

import contextlib
import hashlib
import io
import itertools
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlmodel import select
from warcio.archiveiterator import ArchiveIterator

from annotator.db import session_scope
from annotator.models import Source, SourceArchive, SourceSnapshot, User
from annotator.services import articles, claims, fetch, snapshots
from annotator.services.errors import Invalid

TEXT = ("The council said on Tuesday that bus lanes cut commute times by 34 percent. "
        "Ridership on the number 7 line doubled to 11,800 weekday trips in March.")
REPORT = ("<!doctype html><html><head><title>Transit report</title></head><body>"
          "<nav>Home | News | Sport</nav><article><h1>Transit report 2026</h1>"
          "<p>The city\u2019s bus lanes cut average commute times by 34 percent between "
          "January and June, the transit authority\u2019s annual report says.</p>"
          "<p>Ridership on the number 7 line doubled \u2014 to 11,800 weekday trips \u2014 "
          "after the lanes opened in March, according to the authority\u2019s counts.</p>"
          "<p>The report was published on 2 June and reviewed by the council auditors, "
          "who confirmed the methodology and the sample of 4,000 journeys.</p>"
          "</article></body></html>")
EXCERPT = "Ridership on the number 7 line doubled - to 11,800 weekday trips"


class Site:
    """A local web server whose pages a test sets and changes: {path: (status, headers, body)}."""

    def __init__(self):
        self.pages: dict[str, tuple[int, dict, bytes]] = {}
        self.requests: list[tuple[str, dict]] = []
        site = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):  # noqa: N802 - http.server's name
                site.requests.append((self.path, dict(self.headers)))
                status, headers, body = site.pages.get(self.path, (404, {}, b"Not found"))
                etag = headers.get("ETag")
                if etag and self.headers.get("If-None-Match") == etag:
                    status, body = 304, b""
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                if status != 304:
                    self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def page(self, path: str, html: str | bytes, status: int = 200,
             kind: str = "text/html; charset=utf-8", **headers) -> str:
        body = html.encode() if isinstance(html, str) else html
        self.pages[path] = (status, {"Content-Type": kind, **headers}, body)
        return self.url + path


@contextlib.contextmanager
def serving():
    """Serve a Site on 127.0.0.1 for the length of the block."""
    made = Site()
    thread = threading.Thread(target=made.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield made
    finally:
        made.server.shutdown()
        made.server.server_close()


@pytest.fixture
def site():
    with serving() as made:
        yield made


OPEN = snapshots.ArchiveSettings(allow_private=True, timeout=3, host_seconds=0)


_CASES = itertools.count(1)


def add_source(engine, people, url: str, excerpt: str = EXCERPT) -> int:
    """Make a claim in progress and attach a source to it; return the source's id."""
    with session_scope(engine) as session:
        editor = session.get(User, people["editor"])
        text = f"{TEXT} This is case {next(_CASES)} of the desk."
        article = articles.import_article(session, editor, articles.ImportRequest(text=text))
        claim = claims.create_claim(session, editor, article.id, 0, TEXT.index(".") + 1)
        claims.transition(session, editor, claim.id, "start")
        source = claims.add_source(session, editor, claim.id, {
            "url": url, "title": "Transit report", "stance": "supports", "excerpt": excerpt})
        return source.id


def snapshot_of(engine, source_id: int) -> SourceSnapshot:
    with session_scope(engine, write=False) as session:
        return session.get(SourceSnapshot, source_id)


def test_attaching_a_source_leaves_a_pending_snapshot_and_fetches_nothing(engine, people,
                                                                         site):
    url = site.page("/report", REPORT)
    source_id = add_source(engine, people, url)
    snap = snapshot_of(engine, source_id)
    assert snap.status == "pending"
    assert site.requests == []


def test_a_snapshot_is_a_warc_record_warcio_reads_back_with_the_page_text(engine, people,
                                                                          site):
    url = site.page("/report", REPORT)
    source_id = add_source(engine, people, url)
    assert snapshots.run_snapshot(engine, OPEN, source_id) == "stored"
    snap = snapshot_of(engine, source_id)
    body = REPORT.encode()
    assert (snap.sha256, snap.size) == (hashlib.sha256(body).hexdigest(), len(body))
    assert (snap.final_url, snap.http_status, snap.content_type) == (url, 200, "text/html")
    assert snap.fetched_at is not None and snap.error == ""
    with session_scope(engine, write=False) as session:
        warc = snapshots.warc_of(session, source_id)
        text = snapshots.text_of(session, source_id)
    read = [(r.rec_type, r.rec_headers.get_header("WARC-Target-URI"),
             r.http_headers.get_statuscode() if r.http_headers else None,
             r.content_stream().read()) for r in ArchiveIterator(io.BytesIO(warc))]
    assert [(kind, target, status) for kind, target, status, _ in read] == [
        ("warcinfo", None, None), ("response", url, "200")]
    assert read[1][3] == body
    assert "bus lanes cut average commute times by 34 percent" in text
    assert "Home | News | Sport" not in text  # the page's furniture is not its text


def test_an_excerpt_on_the_page_is_found_despite_dashes_quotes_and_case(engine, people,
                                                                      site):
    url = site.page("/report", REPORT)
    source_id = add_source(engine, people, url, excerpt="THE CITY'S BUS LANES cut average "
                                                        "commute times by 34 percent")
    snapshots.run_snapshot(engine, OPEN, source_id)
    snap = snapshot_of(engine, source_id)
    assert snap.quote == "found"
    with session_scope(engine, write=False) as session:
        text = snapshots.text_of(session, source_id)
    assert text[snap.quote_start:snap.quote_end].startswith("The city\u2019s bus lanes")


def test_an_excerpt_not_on_the_page_is_not_found_and_an_edit_rechecks_it(engine, people,
                                                                        site):
    url = site.page("/report", REPORT)
    source_id = add_source(engine, people, url, excerpt="Trams replaced every bus in 2025.")
    snapshots.run_snapshot(engine, OPEN, source_id)
    assert snapshot_of(engine, source_id).quote == "not_found"
    with session_scope(engine) as session:
        source = session.get(Source, source_id)
        claims.update_source(session, session.get(User, people["editor"]), source.claim_id,
                             source_id, {"url": url, "stance": "supports",
                                         "excerpt": EXCERPT})
    assert snapshot_of(engine, source_id).quote == "found"
    assert [p for p, _ in site.requests] == ["/report"]  # checked again without a fetch


def test_a_source_without_an_excerpt_has_no_quote_to_check(engine, people, site):
    source_id = add_source(engine, people, site.page("/report", REPORT), excerpt="")
    snapshots.run_snapshot(engine, OPEN, source_id)
    assert snapshot_of(engine, source_id).quote == "none"


def test_a_pdf_source_is_archived_with_its_text(engine, people, site):
    pdf = _pdf("Ridership on the number 7 line doubled to 11,800 weekday trips")
    url = site.page("/report.pdf", pdf, kind="application/pdf")
    source_id = add_source(engine, people, url, excerpt="number 7 line doubled")
    assert snapshots.run_snapshot(engine, OPEN, source_id) == "stored"
    snap = snapshot_of(engine, source_id)
    assert (snap.content_type, snap.quote) == ("application/pdf", "found")


def _pdf(line: str) -> bytes:
    """Build a one-page PDF showing one line of text (no PDF writer library needed)."""
    stream = f"BT /F1 12 Tf 72 720 Td ({line}) Tj ET".encode()
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>",
               b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
               b"/Resources << /Font << /F1 5 0 R >> >> >>",
               b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1, xref)
    return bytes(out)


def test_a_page_over_the_size_cap_fails_with_the_reason_and_can_be_fetched_again(
        engine, people, site):
    url = site.page("/big", "<p>" + "x" * 5000 + "</p>")
    source_id = add_source(engine, people, url)
    small = snapshots.ArchiveSettings(allow_private=True, timeout=3, max_bytes=1024)
    assert snapshots.run_snapshot(engine, small, source_id) == "failed"
    snap = snapshot_of(engine, source_id)
    assert "larger than the 1 KB limit" in snap.error
    with session_scope(engine, write=False) as session:
        assert session.get(SourceArchive, source_id) is None  # never a cut copy
    with session_scope(engine) as session:
        assert snapshots.request(session, source_id).status == "pending"
    assert snapshots.run_snapshot(engine, OPEN, source_id) == "stored"
    assert snapshot_of(engine, source_id).attempts == 2


def test_a_failed_fetch_says_why(engine, people, site):
    source_id = add_source(engine, people, site.url + "/nothing-here")
    assert snapshots.run_snapshot(engine, OPEN, source_id) == "failed"
    snap = snapshot_of(engine, source_id)
    assert (snap.http_status, snap.error) == (404, "The site answered 404 Not Found.")


def test_the_guard_refuses_a_private_address(engine, people, site):
    source_id = add_source(engine, people, site.page("/report", REPORT))
    guarded = snapshots.ArchiveSettings(timeout=3)
    assert snapshots.run_snapshot(engine, guarded, source_id) == "failed"
    assert "non-public address" in snapshot_of(engine, source_id).error
    assert site.requests == []


def test_the_guard_refuses_a_private_address_reached_by_a_redirect(engine, people, site,
                                                                    monkeypatch):
    site.page("/report", REPORT)
    first = site.page("/moved", "", status=302, Location="/report")
    real = fetch.check_url

    def check(url, *, allow_private=False):
        if url != first:  # only the first hop passes as public; every other is checked
            return real(url, allow_private=allow_private)
        return None

    monkeypatch.setattr(fetch, "check_url", check)
    source_id = add_source(engine, people, first)
    assert snapshots.run_snapshot(engine, snapshots.ArchiveSettings(timeout=3),
                                  source_id) == "failed"
    assert "non-public address" in snapshot_of(engine, source_id).error
    assert [p for p, _ in site.requests] == ["/moved"]


def _stored(engine, people, site, path="/report", html=REPORT, **headers) -> int:
    source_id = add_source(engine, people, site.page(path, html, **headers))
    assert snapshots.run_snapshot(engine, OPEN, source_id) == "stored"
    return source_id


def test_removing_a_source_removes_its_snapshot(engine, people, site):
    source_id = _stored(engine, people, site)
    with session_scope(engine) as session:
        source = session.get(Source, source_id)
        claims.remove_source(session, session.get(User, people["editor"]), source.claim_id,
                             source_id)
    with session_scope(engine, write=False) as session:
        assert session.exec(select(SourceSnapshot)).all() == []
        assert session.exec(select(SourceArchive)).all() == []


def test_a_refused_address_is_a_clear_error():
    with pytest.raises(Invalid, match="Only http"):
        fetch.fetch_resource("ftp://example.org/x")




def test_archiving_again_that_fails_keeps_the_copy_the_desk_read(engine, people, site):
    source_id = _stored(engine, people, site, "/kept")
    before = snapshot_of(engine, source_id)
    site.page("/kept", "Not here", status=404)
    with session_scope(engine) as session:
        snapshots.request(session, source_id)
    assert snapshots.run_snapshot(engine, OPEN, source_id) == "stored"
    after = snapshot_of(engine, source_id)
    assert (after.sha256, after.fetched_at, after.quote) == (before.sha256, before.fetched_at,
                                                             "found")
    assert after.error == "Archiving again failed: The site answered 404 Not Found."


def test_a_new_address_drops_the_old_copy_and_archives_the_new_page(engine, people, site):
    source_id = _stored(engine, people, site, "/old")
    with session_scope(engine) as session:
        source = session.get(Source, source_id)
        claims.update_source(session, session.get(User, people["editor"]), source.claim_id,
                             source_id, {"url": site.url + "/missing", "stance": "supports",
                                         "excerpt": EXCERPT})
    with session_scope(engine, write=False) as session:
        assert session.get(SourceArchive, source_id) is None
    assert snapshot_of(engine, source_id).status == "pending"
    assert snapshots.run_snapshot(engine, OPEN, source_id) == "failed"
