"""Sources in the browser and the API: archived through the queue, flagged in the panel,
listed when at risk, gated at approval, carried by exports, backups and imports."""

from __future__ import annotations

import csv
import io
import itertools
import json
import re
import shutil

import pytest
from click.testing import CliRunner
from sqlmodel import select
from warcio.archiveiterator import ArchiveIterator

from annotator import create_app, tasks
from annotator.cli import main
from annotator.db import get_engine, session_scope
from annotator.exports import export_json
from annotator.models import Claim, Source, SourceSnapshot, User
from annotator.services import articles, claims, json_import, link_health, snapshots, users
from tests.conftest import PASSWORD, login
from tests.services.test_snapshots import EXCERPT, OPEN, REPORT, TEXT, serving

XSS = ("<html><head><script>window.__pwned = 1</script><title>x</title></head><body>"
       "<article><h1>Budget statement</h1>"
       "<p>The minister said the budget grows by 4 percent next year, the statement says."
       "</p><p>&lt;img src=x onerror=alert(1)&gt; and &lt;script&gt;alert(2)&lt;/script&gt; "
       "are quoted in this paragraph as text about an attack on the site.</p>"
       "<img src=x onerror=\"window.__pwned = 2\"><svg onload=\"window.__pwned = 3\"></svg>"
       "<iframe srcdoc=\"<script>parent.__pwned = 4</script>\"></iframe></article>"
       "</body></html>")


@pytest.fixture
def site():
    with serving() as made:
        yield made


@pytest.fixture
def archiving_app(database_url, tmp_path, monkeypatch):
    """An app that archives sources (the queue runs inline in tests) from 127.0.0.1."""
    monkeypatch.setenv("ANNOTATOR_INSTANCE", str(tmp_path / "instance"))
    app = create_app({"DATABASE_URL": database_url, "SECRET_KEY": "t", "TESTING": True,
                      "WTF_CSRF_ENABLED": False, "ALLOW_PRIVATE_URLS": True,
                      "SNAPSHOTS": True, "SNAPSHOT_TIMEOUT": 3,
                      "PUBLIC_BASE_URL": "https://desk.example"})
    # The queue runs tasks inline in tests (huey's immediate mode), with these settings.
    monkeypatch.setattr(tasks.huey, "immediate", True)
    tasks.use(get_engine(database_url), app.config)
    yield app
    get_engine(database_url).dispose()


_ARTICLES = itertools.count(1)


def _claim_in_progress(engine, people, who="reviewer") -> int:
    with session_scope(engine) as s:
        editor = s.get(User, people["editor"])
        text = f"{TEXT} This is case {next(_ARTICLES)} of the desk."
        article = articles.import_article(s, editor, articles.ImportRequest(text=text,
                                                                            title="Buses"))
        claim = claims.create_claim(s, editor, article.id, 0, TEXT.index(".") + 1)
        claims.transition(s, s.get(User, people[who]), claim.id, "start")
        return claim.id


def _signed_in(app, name):
    client = app.test_client()
    login(client, name)
    return client


def _token(engine, people, name="editor") -> dict:
    with session_scope(engine) as s:
        _, secret = users.create_token(s, s.get(User, people[name]))
    return {"Authorization": f"Bearer {secret}"}


def _source_id(engine, claim_id) -> int:
    with session_scope(engine, write=False) as s:
        return s.exec(select(Source.id).where(Source.claim_id == claim_id)).one()


def test_a_source_attached_in_the_panel_is_archived_through_the_queue(archiving_app, engine,
                                                                      people, site):
    claim_id = _claim_in_progress(engine, people)
    url = site.page("/report", REPORT)
    reviewer = _signed_in(archiving_app, "reviewer")
    response = reviewer.post(f"/claims/{claim_id}/sources", data={
        "url": url, "title": "Transit report", "stance": "supports", "excerpt": EXCERPT},
        headers={"HX-Request": "true"})
    assert response.status_code == 200
    source_id = _source_id(engine, claim_id)
    html = reviewer.get(f"/sources/{source_id}/snapshot/status",
                        headers={"HX-Request": "true"}).get_data(as_text=True)
    assert re.search(r"Archived \d{1,2} [A-Z][a-z]{2} \d{4}", html)
    assert "quote found" in html
    panel = reviewer.get(f"/claims/{claim_id}", headers={"HX-Request": "true"}).get_data(True)
    assert f'id="snapshot-{source_id}"' in panel and "quote found" in panel
    # The API's source has the snapshot key of DESIGN.md, and serves the WARC file.
    api = archiving_app.test_client()
    document = api.get(f"/api/v1/claims/{claim_id}", headers=_token(engine, people)).get_json()
    snap = document["sources"][0]["snapshot"]
    assert set(snap) == {"status", "fetched_at", "sha256", "final_url", "http_status",
                         "content_type", "quote", "health", "error"}
    assert (snap["status"], snap["quote"], snap["health"], snap["http_status"]) == (
        "stored", "found", "unchecked", 200)
    warc = api.get(f"/api/v1/sources/{source_id}/warc", headers=_token(engine, people))
    assert warc.status_code == 200 and warc.mimetype == "application/warc"
    bodies = [r.content_stream().read() for r in ArchiveIterator(io.BytesIO(warc.data))
              if r.rec_type == "response"]
    assert bodies == [REPORT.encode()]
    reader = reviewer.get(f"/sources/{source_id}/snapshot").get_data(as_text=True)
    assert '<mark id="quote">Ridership on the number 7 line doubled' in reader


def test_a_source_without_a_snapshot_has_null_and_no_warc(client, engine, people):
    claim_id = _claim_in_progress(engine, people)
    headers = _token(engine, people)
    made = client.post(f"/api/v1/claims/{claim_id}/sources", headers=headers, json={
        "url": "https://example.org/a", "title": "A", "stance": "supports"})
    assert made.status_code == 201
    assert made.get_json()["snapshot"]["status"] == "pending"  # queued, never waited for
    source_id = made.get_json()["id"]
    with session_scope(engine) as s:
        s.delete(s.get(SourceSnapshot, source_id))
    document = client.get(f"/api/v1/claims/{claim_id}", headers=headers).get_json()
    assert document["sources"][0]["snapshot"] is None
    missing = client.get(f"/api/v1/sources/{source_id}/warc", headers=headers)
    assert missing.status_code == 404 and missing.get_json()["error"] == "Not Found"


def test_an_excerpt_not_on_the_page_is_flagged_in_the_panel(archiving_app, engine, people,
                                                            site):
    claim_id = _claim_in_progress(engine, people)
    reviewer = _signed_in(archiving_app, "reviewer")
    reviewer.post(f"/claims/{claim_id}/sources", data={
        "url": site.page("/report", REPORT), "stance": "supports",
        "excerpt": "Trams replaced every bus in 2025."})
    panel = reviewer.get(f"/claims/{claim_id}", headers={"HX-Request": "true"}).get_data(True)
    assert "quote not found on the page" in panel


def test_a_failed_fetch_says_why_and_a_reviewer_fetches_it_again(archiving_app, engine,
                                                                 people, site):
    claim_id = _claim_in_progress(engine, people)
    reviewer = _signed_in(archiving_app, "reviewer")
    reviewer.post(f"/claims/{claim_id}/sources", data={
        "url": site.url + "/later", "stance": "supports", "excerpt": EXCERPT})
    source_id = _source_id(engine, claim_id)
    html = reviewer.get(f"/sources/{source_id}/snapshot/status").get_data(as_text=True)
    assert "Not archived" in html and "The site answered 404 Not Found." in html
    site.page("/later", REPORT)
    again = reviewer.post(f"/sources/{source_id}/snapshot", headers={"HX-Request": "true"})
    assert again.status_code == 200
    assert "Archiving…" in again.get_data(as_text=True)  # the answer never waits for it
    polled = reviewer.get(f"/sources/{source_id}/snapshot/status",
                          headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "quote found" in polled and "hx-trigger" not in polled
    with session_scope(engine, write=False) as s:
        assert s.get(SourceSnapshot, source_id).attempts == 2


def test_a_viewer_cannot_fetch_again(archiving_app, engine, people, site):
    claim_id = _claim_in_progress(engine, people)
    _signed_in(archiving_app, "reviewer").post(f"/claims/{claim_id}/sources", data={
        "url": site.url + "/none", "stance": "supports"})
    source_id = _source_id(engine, claim_id)
    refused = _signed_in(archiving_app, "viewer").post(f"/sources/{source_id}/snapshot")
    assert refused.status_code == 403


def _approved(engine, people, site, path: str, excerpt: str = EXCERPT,
              stance: str = "supports") -> tuple[int, int]:
    """An approved claim with one archived source; return (claim id, source id)."""
    claim_id = _claim_in_progress(engine, people)
    with session_scope(engine) as s:
        reviewer = s.get(User, people["reviewer"])
        claims.update_claim(s, reviewer, claim_id, s.get(Claim, claim_id).version, {
            "verdict": "true", "conclusion": "The report says so."})
        source = claims.add_source(s, reviewer, claim_id, {
            "url": site.page(path, REPORT), "stance": stance, "excerpt": excerpt,
            "title": f"Report {path}"})
        source_id = source.id
    assert snapshots.run_snapshot(engine, OPEN, source_id) == "stored"
    with session_scope(engine) as s:
        claims.transition(s, s.get(User, people["reviewer"]), claim_id, "submit")
        claims.transition(s, s.get(User, people["editor"]), claim_id, "approve")
    return claim_id, source_id


def test_changed_and_gone_sources_show_in_the_panel_and_on_the_at_risk_page(
        as_user, engine, people, site):
    changed_claim, changed_source = _approved(engine, people, site, "/a")
    gone_claim, gone_source = _approved(engine, people, site, "/b")
    quiet_claim, _ = _approved(engine, people, site, "/c")
    site.page("/a", REPORT.replace("34 percent", "29 percent"))
    site.page("/b", "Not here", status=404)
    link_health.run_checks(engine, OPEN, [changed_source, gone_source, changed_source + 2])
    viewer = as_user("viewer")
    panel = viewer.get(f"/claims/{changed_claim}", headers={"HX-Request": "true"}).get_data(
        True)
    assert re.search(r"page changed \(\d+ %\) since archived", panel)
    assert "page gone" in viewer.get(f"/claims/{gone_claim}",
                                     headers={"HX-Request": "true"}).get_data(True)
    page = viewer.get("/sources/at-risk").get_data(as_text=True)
    assert "Its only supporting source is gone." in page
    assert page.index(f"/claims/{gone_claim}") < page.index(f"/claims/{changed_claim}")
    assert f"/claims/{quiet_claim}" not in page
    twin = viewer.get("/sources/at-risk?format=json").get_json()
    assert [i["claim_id"] for i in twin["items"]] == [gone_claim, changed_claim]
    assert twin["total"] == 2
    assert twin["items"][1]["sources"][0]["health"] == "changed"


def test_the_gate_refuses_approval_with_the_reason_then_allows_it(as_user, engine, people,
                                                                  site):
    admin = as_user("admin")
    assert "Approval needs a source archived" in admin.get("/admin/evidence").get_data(True)
    assert admin.post("/admin/evidence", data={"gate": "on"}).status_code == 303
    assert as_user("editor").post("/admin/evidence", data={"gate": ""}).status_code == 403
    claim_id = _claim_in_progress(engine, people)
    with session_scope(engine) as s:
        reviewer = s.get(User, people["reviewer"])
        claims.update_claim(s, reviewer, claim_id, s.get(Claim, claim_id).version, {
            "verdict": "true", "conclusion": "The report says so."})
        source_id = claims.add_source(s, reviewer, claim_id, {
            "url": site.page("/r", REPORT), "stance": "supports", "title": "Transit report",
            "excerpt": "Trams replaced every bus in 2025."}).id
        claims.transition(s, reviewer, claim_id, "submit")
    snapshots.run_snapshot(engine, OPEN, source_id)
    editor = as_user("editor")
    panel = editor.get(f"/claims/{claim_id}", headers={"HX-Request": "true"}).get_data(True)
    reason = ("Needs a source archived with its quote found on the page: “Transit report” "
              "has its quote not found on the page.")
    assert reason.replace("“", "&#34;").replace("”", "&#34;") in panel or reason in panel
    api = editor.post(f"/api/v1/claims/{claim_id}/transitions", json={"action": "approve"},
                      headers=_token(engine, people))
    assert api.status_code == 409
    assert api.get_json()["detail"]["reason"] == reason
    with session_scope(engine) as s:  # the reviewer's excerpt, corrected, is on the page
        claims.transition(s, s.get(User, people["editor"]), claim_id, "request_changes",
                          comment="The excerpt is not on the page.")
        claims.update_source(s, s.get(User, people["reviewer"]), claim_id, source_id, {
            "url": site.url + "/r", "stance": "supports", "title": "Transit report",
            "excerpt": EXCERPT})
        claims.transition(s, s.get(User, people["reviewer"]), claim_id, "submit")
    ok = editor.post(f"/api/v1/claims/{claim_id}/transitions", json={"action": "approve"},
                     headers=_token(engine, people))
    assert ok.status_code == 200 and ok.get_json()["state"] == "approved"


def test_the_gate_is_off_by_default(as_user, engine, people):
    assert as_user("admin").get("/admin/evidence?format=json").get_json() == {"gate": False}


def test_the_reader_view_shows_text_only_never_the_page_markup(archiving_app, engine, people,
                                                               site):
    claim_id = _claim_in_progress(engine, people)
    reviewer = _signed_in(archiving_app, "reviewer")
    reviewer.post(f"/claims/{claim_id}/sources", data={
        "url": site.page("/xss", XSS), "stance": "supports",
        "excerpt": "the budget grows by 4 percent"})
    source_id = _source_id(engine, claim_id)
    html = reviewer.get(f"/sources/{source_id}/snapshot").get_data(as_text=True)
    assert "grows by 4 percent" in html
    body = html[html.index('class="reader-text"'):]
    assert "<script" not in body and "onerror=" not in body.replace("onerror=alert", "")
    assert "&lt;img src=x onerror=alert(1)&gt;" in body  # the page's words, as text
    assert "<iframe" not in body and "<svg" not in body and "<img" not in body


def test_exports_carry_the_evidence_and_an_import_keeps_the_quote_status(
        as_user, app, engine, people, site, database_url, fresh_database):
    claim_id, source_id = _approved(engine, people, site, "/e")
    editor = as_user("editor")
    document = json.loads(editor.get("/exports/download?format=json").get_data(as_text=True))
    (claim,) = [c for c in document["articles"][0]["claims"] if c["id"] == claim_id]
    (source,) = claim["sources"]
    assert source["snapshot"]["quote"] == "found"
    assert re.fullmatch(r"[0-9a-f]{64}", source["snapshot"]["sha256"])
    review_doc = json.loads(editor.get("/exports/download?format=claimreview").get_data(
        as_text=True))
    (cited,) = review_doc["@graph"][0]["citation"]
    assert cited["url"] == site.url + "/e"
    assert cited["archivedAt"].endswith(f"/sources/{source_id}/snapshot")
    table = csv.DictReader(io.StringIO(editor.get("/exports/download?format=csv").get_data(
        as_text=True).lstrip("\ufeff")))
    (row,) = [r for r in table if r["claim_id"] == str(claim_id)]
    assert (row["sources_archived"], row["quotes_found"], row["sources_at_risk"]) == (
        "1", "1", "0")
    # Import into an empty desk: the snapshot's metadata and quote status come back as they
    # were, and nothing is fetched again.
    requests_before = len(site.requests)
    other = get_engine(fresh_database("postgresql" if database_url.startswith("postgresql")
                                      else "sqlite"))
    with session_scope(other) as s:
        json_import.import_json(s, document)
    with session_scope(other, write=False) as s:
        (snap,) = s.exec(select(SourceSnapshot)).all()
        assert (snap.status, snap.quote, snap.sha256) == (
            "stored", "found", source["snapshot"]["sha256"])
    assert len(site.requests) == requests_before


def test_an_imported_source_without_a_snapshot_is_archived_like_a_new_one(
        archiving_app, engine, people, site, database_url, fresh_database):
    claim_id = _claim_in_progress(engine, people)
    with session_scope(engine) as s:
        claims.add_source(s, s.get(User, people["reviewer"]), claim_id, {
            "url": site.page("/imported", REPORT), "stance": "supports", "excerpt": EXCERPT})
    with session_scope(engine, write=False) as s:
        document = json.loads("".join(export_json(s)))
    for article in document["articles"]:
        for claim in article["claims"]:
            for source in claim["sources"]:
                del source["snapshot"]  # an export from before snapshots existed
    other = get_engine(fresh_database("postgresql" if database_url.startswith("postgresql")
                                      else "sqlite"))
    tasks.use(other, archiving_app.config)  # the queue (inline in tests) runs the fetch
    with session_scope(other) as s:
        json_import.import_json(s, document)
    with session_scope(other, write=False) as s:
        snaps = s.exec(select(SourceSnapshot)).all()
    assert [(x.status, x.quote) for x in snaps] == [("stored", "found")]


def test_a_backup_restored_elsewhere_keeps_the_snapshots(fresh_database, tmp_path, site,
                                                         monkeypatch):
    url = fresh_database("sqlite")
    engine = get_engine(url)
    with session_scope(engine) as s:
        editor = users.create_user(s, "ed", "editor", PASSWORD, "Ed")
        article = articles.import_article(s, editor, articles.ImportRequest(text=TEXT))
        claim = claims.create_claim(s, editor, article.id, 0, TEXT.index(".") + 1)
        claims.transition(s, editor, claim.id, "start")
        source_id = claims.add_source(s, editor, claim.id, {
            "url": site.page("/kept", REPORT), "stance": "supports", "excerpt": EXCERPT}).id
    snapshots.run_snapshot(engine, OPEN, source_id)
    with session_scope(engine, write=False) as s:
        warc, text = snapshots.warc_of(s, source_id), snapshots.text_of(s, source_id)
    monkeypatch.setenv("DATABASE_URL", url)
    target = tmp_path / "elsewhere" / "backup.db"
    assert CliRunner().invoke(main, ["backup", str(target)]).exit_code == 0
    restored = tmp_path / "restored" / "annotator.db"
    restored.parent.mkdir()
    shutil.copy(target, restored)
    elsewhere = get_engine(f"sqlite:///{restored}")
    with session_scope(elsewhere, write=False) as s:
        assert snapshots.warc_of(s, source_id) == warc
        assert snapshots.text_of(s, source_id) == text
        assert s.get(SourceSnapshot, source_id).quote == "found"
    elsewhere.dispose()


def test_the_cli_checks_sources_now(engine, people, site, monkeypatch, database_url):
    _, source_id = _approved(engine, people, site, "/cli")
    site.page("/cli", "gone", status=410)
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("ALLOW_PRIVATE_URLS", "1")
    monkeypatch.setenv("LINK_CHECK_HOST_SECONDS", "0")
    result = CliRunner().invoke(main, ["sources", "check", str(source_id)])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [f"{source_id} gone", "gone=1"]
    refused = CliRunner().invoke(main, ["sources", "check"])
    assert refused.exit_code == 1 and "Give source ids, or --all" in refused.output
