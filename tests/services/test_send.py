"""Send to the desk: the selection is found in the imported text and made a claim."""

from __future__ import annotations

import pytest

from annotator.db import session_scope
from annotator.models import User
from annotator.services import articles, fetch, send

TEXT = ("Officials said on Monday that at least six male activists have been summoned to "
        "army-recruitment offices.\n\nThe ministry denied it. “Nobody was forced,” a "
        "spokesman said.")


@pytest.mark.parametrize("quote, found", [
    ("at least six male activists", "at least six male activists"),
    ("at  least six\nmale   activists", "at least six male activists"),
    ('"Nobody was forced,"', "“Nobody was forced,”"),
    ("AT LEAST SIX", "at least six"),
    ("not in the text at all", None),
    ("  ", None),
])
def test_it_finds_a_selection_whatever_its_spaces_quotes_and_case(quote, found):
    span = send.locate(TEXT, quote)
    assert (TEXT[span[0]:span[1]] if span else None) == found


def test_the_selection_becomes_a_claim_or_reuses_the_one_on_that_span(engine, people):
    with session_scope(engine) as s:
        editor = s.get(User, people["editor"])
        article = articles.import_article(s, editor, articles.ImportRequest(text=TEXT,
                                                                            title="Report"))
        claim = send.claim_from_quote(s, editor, article, "The ministry denied it.")
        assert claim.quote == "The ministry denied it." and claim.state == "open"
        again = send.claim_from_quote(s, editor, article, " The ministry  denied it. ")
        assert again.id == claim.id
        assert send.claim_from_quote(s, editor, article, "words that are not there") is None


def test_the_send_form_is_filled_from_the_link_and_imports_then_opens_the_claim(
        as_user, monkeypatch):
    page = fetch.Page(url="https://news.example/a", html=TEXT, content_type="text/plain")
    monkeypatch.setattr(fetch, "fetch_page", lambda url, settings=None: page)
    editor = as_user("editor")
    form = editor.get("/send?url=https://news.example/a&quote=The+ministry+denied+it.")
    html = form.get_data(as_text=True)
    assert 'value="https://news.example/a"' in html and ">The ministry denied it.<" in html
    assert as_user("viewer").get("/send").status_code == 403
    assert editor.post("/send", data={"url": ""}).status_code == 400
    sent = editor.post("/send", data={"url": "https://news.example/a",
                                      "quote": "The ministry denied it."})
    assert sent.status_code == 303 and "/claims/" in sent.headers["Location"]
    # The same page again: no second article, the claim is made on the first one.
    again = editor.post("/send", data={"url": "https://news.example/a",
                                       "quote": "at least six male activists"})
    assert again.status_code == 303 and "/claims/" in again.headers["Location"]
