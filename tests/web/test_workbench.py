"""The HTML workbench: sign in, import, the article page, the claim panel, fragments vs pages."""

from __future__ import annotations

import re

import pytest
from sqlmodel import select

from annotator.db import session_scope
from annotator.models import Article, Claim

TEXT = ("Riverton council said on Tuesday that bus lanes cut commute times by 34 percent.\n\n"
        "Ridership on the number 7 line doubled to 11,800 weekday trips in March 2024, the "
        "transport office said.")


@pytest.fixture
def editor(as_user):
    return as_user("editor")


def _import(client, text=TEXT, **fields):
    return client.post("/articles", data={"text": text, "title": "Bus lanes", **fields})


def _article(engine) -> Article:
    with session_scope(engine) as session:
        return session.exec(select(Article)).one()


def _claims(engine) -> list[Claim]:
    with session_scope(engine) as session:
        return list(session.exec(select(Claim).order_by(Claim.start)).all())


def test_it_refuses_a_wrong_password(client, people):
    response = client.post("/login", data={"username": "editor", "password": "nope-nope"})
    assert response.status_code == 401
    assert "Wrong username or password" in response.get_data(True)


def test_it_signs_out(editor):
    assert editor.post("/logout").status_code == 303
    assert editor.get("/").status_code == 302


def test_it_does_not_redirect_off_site_after_sign_in(client, people):
    response = client.post("/login?next=//evil.example/x",
                           data={"username": "editor", "password": "correct-horse-battery"})
    assert response.headers["Location"] == "/"


def test_it_imports_pasted_text_and_shows_the_article(editor, engine):
    response = _import(editor, outlet="Gazette", published="2024-04-02",
                       url="https://gazette.example/bus")
    assert response.status_code == 303
    article = _article(engine)
    page = editor.get(response.headers["Location"]).get_data(True)
    assert "Bus lanes" in page and "Gazette" in page
    for claim in _claims(engine):
        assert f'data-claims="{claim.id}"' in page or f"{claim.id} " in page
    assert article.published.isoformat() == "2024-04-02"


def test_it_imports_an_uploaded_file(editor, engine):
    from io import BytesIO

    response = editor.post("/articles", data={
        "title": "", "file": (BytesIO(TEXT.encode()), "bus.md")},
        content_type="multipart/form-data")
    assert response.status_code == 303
    assert _article(engine).title.startswith("Riverton council said")


def test_it_refuses_a_duplicate_with_a_link_to_the_existing_article(editor, engine):
    _import(editor)
    response = _import(editor)
    assert response.status_code == 409
    assert f'href="/articles/{_article(engine).id}"' in response.get_data(True)


def test_it_shows_a_clear_error_for_bad_input(editor):
    response = _import(editor, text="   ")
    assert response.status_code == 400
    assert "Paste the article" in response.get_data(True)
    response = _import(editor, published="31/02/2024")
    assert response.status_code == 400
    assert "date" in response.get_data(True)


def test_a_viewer_cannot_import(as_user, people):
    assert _import(as_user("viewer")).status_code == 403


def test_the_claim_panel_is_a_fragment_for_htmx_and_a_page_otherwise(editor, engine):
    _import(editor)
    claim = _claims(engine)[0]
    fragment = editor.get(f"/claims/{claim.id}", headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    assert fragment.get_data(True).lstrip().startswith('<section id="claim-panel"')
    assert "HX-Request" in fragment.headers["Vary"]
    page = editor.get(f"/claims/{claim.id}").get_data(True)
    assert page.lstrip().lower().startswith("<!doctype html>")
    assert 'id="claim-panel"' in page and 'id="article-body"' in page


def test_it_saves_through_the_panel_and_refuses_a_stale_save(editor, engine, as_user):
    _import(editor)
    claim = _claims(engine)[0]
    editor.post(f"/claims/{claim.id}/transitions", data={"action": "accept"})
    editor.post(f"/claims/{claim.id}/transitions", data={"action": "start"})
    version = _claims(engine)[0].version
    first = editor.post(f"/claims/{claim.id}", headers={"HX-Request": "true"},
                        data={"version": version, "statement": "Bus lanes cut commutes by 34%"})
    assert first.status_code == 200
    stale = as_user("editor2").post(f"/claims/{claim.id}", headers={"HX-Request": "true"},
                                    data={"version": version, "statement": "Older text"})
    assert stale.status_code == 409
    body = stale.get_data(True)
    assert "Someone else saved this claim" in body
    assert "Older text" in body and "Bus lanes cut commutes by 34%" in body
    assert _claims(engine)[0].statement == "Bus lanes cut commutes by 34%"


def test_a_note_is_rendered_through_the_sanitiser(editor, engine):
    _import(editor)
    claim = _claims(engine)[0]
    editor.post(f"/claims/{claim.id}/notes", data={
        "body": "**Five** names <script>alert(1)</script> <img src=x onerror=alert(1)> "
                "[x](javascript:alert(1))"})
    page = editor.get(f"/claims/{claim.id}", headers={"HX-Request": "true"}).get_data(True)
    assert "<strong>Five</strong>" in page
    assert "<script>alert" not in page
    assert "<img" not in page
    assert 'href="javascript' not in page


def test_pages_carry_the_security_headers(editor):
    response = editor.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"]


def test_pages_have_no_inline_script_or_handlers(editor, engine):
    _import(editor)
    claim = _claims(engine)[0]
    for url in ("/", "/articles/new", f"/articles/{claim.article_id}", f"/claims/{claim.id}"):
        page = editor.get(url).get_data(True)
        assert not re.search(r"<script(?![^>]*\bsrc=)", page), url
        assert not re.search(r"\son[a-z]+\s*=", page), url
        assert " style=" not in page, url


def test_the_session_cookie_is_httponly_and_lax(client, people):
    response = client.post("/login", data={"username": "editor",
                                           "password": "correct-horse-battery"})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_an_unknown_claim_is_a_404_page_not_a_crash(editor):
    response = editor.get("/claims/999")
    assert response.status_code == 404
    assert "No such claim" in response.get_data(True)
    assert editor.post("/claims/999", data={"version": "1"}).status_code == 404


def test_an_id_too_large_for_the_database_is_a_404(editor):
    assert editor.get("/claims/99999999999999999999").status_code == 404
    assert editor.get("/articles/99999999999999999999").status_code == 404
    assert editor.post("/claims/99999999999999999999", data={"version": "1"}).status_code in (
        404, 405)
