"""The HTML workbench: sign in, import, the article page, the claim panel, fragments vs pages."""

from __future__ import annotations

import re

import pytest
from sqlmodel import select

from annotator.db import session_scope
from annotator.models import Article, Claim
from annotator.services.articles import article_claims

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
    assert "<h1>Bus lanes</h1>" in page and "<span>Gazette</span>" in page
    marked = {int(i) for ids in re.findall(r'data-claims="([\d ]+)"', page)
              for i in ids.split()}
    with session_scope(engine) as session:
        shown = {c.id for c in article_claims(session, article.id)}
    assert shown and marked == shown
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


def _started(editor, engine) -> Claim:
    _import(editor)
    claim = _claims(engine)[0]
    editor.post(f"/claims/{claim.id}/transitions", data={"action": "accept"})
    editor.post(f"/claims/{claim.id}/transitions", data={"action": "start"})
    return _claims(engine)[0]


def test_a_refused_source_comes_back_with_what_was_typed_and_the_reason_beside_it(editor,
                                                                                   engine):
    claim = _started(editor, engine)
    typed = {"url": "ftp://files.example/report.pdf", "title": "Annual <report>",
             "publisher": "Port authority", "stance": "refutes", "excerpt": "3.1m TEU"}
    response = editor.post(f"/claims/{claim.id}/sources", headers={"HX-Request": "true"},
                           data=typed)
    assert response.status_code == 400
    form = response.get_data(True).split('class="add-source"', 1)[1]
    assert 'value="ftp://files.example/report.pdf"' in form
    assert 'value="Annual &lt;report&gt;"' in form and 'value="Port authority"' in form
    assert re.search(r'value="refutes"\s+checked', form) and "3.1m TEU</textarea>" in form
    assert ('aria-invalid="true" aria-describedby="source-url-error"' in form
            and 'id="source-url-error"' in form and "http:// or https://" in form)


def test_a_save_confirms_with_the_new_version(editor, engine):
    claim = _started(editor, engine)
    response = editor.post(f"/claims/{claim.id}", headers={"HX-Request": "true"},
                           data={"version": claim.version, "statement": "Commutes fell 34%"})
    assert f'data-saved="Saved · v{claim.version + 1}"' in response.get_data(True)


def test_the_panel_shows_submit_disabled_with_the_missing_piece(editor, engine):
    claim = _started(editor, engine)
    editor.post(f"/claims/{claim.id}", data={"version": claim.version, "verdict": "false",
                                             "conclusion": "The office says 11,000."})
    panel = editor.get(f"/claims/{claim.id}", headers={"HX-Request": "true"}).get_data(True)
    submit = panel.split("action-submit", 1)[1].split("</form>", 1)[0]
    assert 'disabled aria-describedby="why-submit"' in submit
    assert '<span class="why" id="why-submit">Needs a source.</span>' in submit


def test_history_rows_name_the_source_and_quote_the_note(editor, engine):
    claim = _started(editor, engine)
    editor.post(f"/claims/{claim.id}/sources", data={
        "url": "https://transport.example/march", "title": "March ridership",
        "stance": "supports"})
    editor.post(f"/claims/{claim.id}/notes", data={"body": "Asked @reviewer to check"})
    panel = editor.get(f"/claims/{claim.id}", headers={"HX-Request": "true"}).get_data(True)
    history = panel.split('class="timeline"', 1)[1]
    assert "“March ridership” (supports)" in history
    assert "“Asked @reviewer to check”" in history
    assert '<a class="mention" href="/claims?assignee=reviewer"' in panel


def test_a_hand_made_claim_says_who_added_it_instead_of_a_score(editor, engine):
    _import(editor)
    article = _article(engine)
    response = editor.post(f"/articles/{article.id}/claims", data={"start": 0, "end": 30})
    page = editor.get(response.headers["Location"]).get_data(True)
    assert "added by Editor" in page


def test_every_response_varies_with_htmx_requests(editor):
    for url in ("/", "/queue", "/static/app.css"):
        response = editor.get(url)
        response.close()  # a static file is streamed; close it like a server would
        assert "HX-Request" in response.headers["Vary"], url


def test_the_article_page_offers_the_sentences_below_the_proposal_budget(editor, engine):
    text = "\n\n".join(f"The council spent {n} million euros on the {w} in 202{n % 10}."
                       for n, w in zip(range(2, 12), ("bridge", "school", "park", "tram", "road",
                                                       "port", "museum", "clinic", "library",
                                                       "stadium"), strict=True))
    _import(editor, text=text)
    article = _article(engine)
    with session_scope(engine) as session:
        shown = article_claims(session, article.id)
        everything = article_claims(session, article.id, below_budget=True)
    held = len(everything) - len(shown)
    assert 0 < len(shown) <= 4 and held > 0
    page = editor.get(f"/articles/{article.id}").get_data(True)
    assert f"Show {held} more sentences" in page
    more = editor.get(f"/articles/{article.id}?more=1").get_data(True)
    assert "more sentences" not in more
    assert all(f'data-claim="{c.id}"' in more or f"/claims/{c.id}" in more for c in everything)


def test_the_headline_is_not_repeated_as_the_first_paragraph(editor):
    response = editor.post("/articles", data={
        "text": "Bus lanes cut commutes by a third\n\n" + TEXT})
    page = editor.get(response.headers["Location"]).get_data(True)
    assert "<h1>Bus lanes cut commutes by a third</h1>" in page
    body = page.split('id="article-body"', 1)[1]
    assert "Bus lanes cut commutes by a third" not in body
    assert "Riverton council said on Tuesday" in body


def test_a_refused_claim_form_keeps_what_was_typed(editor, engine):
    claim = _started(editor, engine)
    response = editor.post(f"/claims/{claim.id}", headers={"HX-Request": "true"}, data={
        "version": claim.version, "statement": "  ", "verdict": "false",
        "conclusion": "The office counted 11,000."})
    assert response.status_code == 400
    form = response.get_data(True).split('class="stack claim-form"', 1)[1].split("</form>")[0]
    assert 'aria-invalid="true" aria-describedby="statement-error"' in form
    assert "The statement cannot be empty." in form
    assert "The office counted 11,000.</textarea>" in form
    assert re.search(r'value="false"\s+selected', form)


def test_a_refused_note_keeps_its_text(editor, engine):
    claim = _started(editor, engine)
    long_note = "x" * 20001
    response = editor.post(f"/claims/{claim.id}/notes", headers={"HX-Request": "true"},
                           data={"body": long_note})
    assert response.status_code == 400
    form = response.get_data(True).split('class="stack note-form"', 1)[1]
    assert f">{long_note}</textarea>" in form and 'id="note-body-error"' in form


def test_a_refused_import_keeps_what_was_typed(editor):
    response = editor.post("/articles", data={"text": "  ", "title": "Bus lanes",
                                              "outlet": "Gazette", "byline": "A. Writer"})
    assert response.status_code == 400
    page = response.get_data(True)
    assert 'value="Bus lanes"' in page and 'value="Gazette"' in page
    assert 'value="A. Writer"' in page
    assert 'aria-invalid="true" aria-describedby="import-error"' in page
    assert 'id="import-error"' in page
