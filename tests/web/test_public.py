"""An approved claim's public page, its embedded ClaimReview, and publishing its address."""

from __future__ import annotations

import html
import json
import re

import pytest
from sqlmodel import select

from annotator import create_app
from annotator.db import new_session
from annotator.models import Event
from annotator.services import claims
from tests.web.test_matches_web import FIRST, approve

EVIL = 'Proven </script><script>alert(1)</script> & <!-- "quoted"'


@pytest.fixture
def approved(engine, people):
    return approve(engine, people, FIRST, "six activists conscripted", conclusion=EVIL,
                   claimant="Kazakh Defence Ministry")


@pytest.fixture
def public_client(database_url, tmp_path, monkeypatch):
    monkeypatch.setenv("ANNOTATOR_INSTANCE", str(tmp_path / "instance-public"))
    app = create_app({"DATABASE_URL": database_url, "SECRET_KEY": "test", "TESTING": True,
                      "PUBLIC_PAGES": True, "PUBLIC_BASE_URL": "https://desk.example.org"})
    return app.test_client()


def _jsonld(page: str) -> dict:
    blocks = re.findall(r'<script type="application/ld\+json">(.*?)</script>', page, re.S)
    assert len(blocks) == 1
    return json.loads(blocks[0])


def test_public_pages_are_off_by_default(client, approved):
    assert client.get(f"/claims/{approved}/public").status_code == 404


def test_the_public_page_shows_the_review_to_anyone_with_its_claimreview(public_client,
                                                                          approved):
    response = public_client.get(f"/claims/{approved}/public")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "six activists conscripted" in page and "Mostly true" in page
    assert "Kazakh Defence Ministry" in page and "https://a.example/names" in page
    doc = _jsonld(page)
    assert doc["@type"] == "ClaimReview" and doc["reviewBody"] == EVIL
    assert doc["url"] == f"https://desk.example.org/claims/{approved}/public"
    assert doc["itemReviewed"]["author"] == {"@type": "Organization",
                                             "name": "Kazakh Defence Ministry"}
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "unsafe-inline" not in csp


def test_a_script_in_the_conclusion_cannot_leave_the_json_ld(public_client, approved):
    page = public_client.get(f"/claims/{approved}/public").get_data(as_text=True)
    # One <script> element only (the data block); the conclusion's tags are text.
    assert page.count("<script") == 1 and page.count("</script>") == 1
    block = re.search(r'<script type="application/ld\+json">(.*?)</script>', page, re.S)[1]
    assert "<" not in block and ">" not in block and "&" not in block
    assert "alert(1)" in html.unescape(page.split("</script>", 1)[1])


def test_only_approved_claims_have_a_public_page(public_client, engine, people):
    from tests.web.test_matches_web import new_claim

    draft = new_claim(engine, people, FIRST + " A second printing.")
    assert public_client.get(f"/claims/{draft}/public").status_code == 404
    assert public_client.get("/claims/999999/public").status_code == 404


def test_an_editor_sets_the_published_url_without_reopening(as_user, engine, approved):
    editor = as_user("editor")
    response = editor.post(f"/claims/{approved}/publish",
                           data={"published_url": "https://desk.example.org/fc/six"})
    assert response.status_code == 303
    with new_session(engine) as s:
        claim = claims.get_claim(s, approved)
        assert claim.published_url == "https://desk.example.org/fc/six"
        assert claim.state == "approved"
        (event,) = s.exec(select(Event).where(Event.claim_id == approved,
                                                 Event.action == "publish")).all()
        assert event.new == {"published_url": "https://desk.example.org/fc/six"}


@pytest.mark.parametrize("who, url", [("reviewer", "https://desk.example.org/x"),
                                      ("editor", "javascript:alert(1)"),
                                      ("editor", "ftp://desk.example.org/x")])
def test_published_url_refuses_non_editors_and_non_http_addresses(as_user, engine, approved,
                                                                  who, url):
    as_user(who).post(f"/claims/{approved}/publish", data={"published_url": url})
    with new_session(engine) as s:
        assert claims.get_claim(s, approved).published_url == ""


def test_the_panel_offers_editors_the_published_address_field(as_user, approved):
    page = as_user("editor").get(f"/claims/{approved}", headers={"HX-Request": "true"})
    assert 'name="published_url"' in page.get_data(as_text=True)
    page = as_user("reviewer").get(f"/claims/{approved}", headers={"HX-Request": "true"})
    assert 'name="published_url"' not in page.get_data(as_text=True)
    assert 'id="matches"' in page.get_data(as_text=True)
