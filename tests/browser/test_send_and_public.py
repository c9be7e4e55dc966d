"""In Chromium: the bookmarklet sends a news page and its selected sentence to the desk, and
an approved claim's public page renders with no script while carrying its ClaimReview."""

from __future__ import annotations

import html
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote

import pytest
from sqlmodel import select

from annotator.db import get_engine, new_session
from annotator.models import User
from annotator.services import claims
from tests.web.test_matches_web import FIRST, SECOND, approve, new_claim

PASSWORD = "correct-horse-battery"  # the team fixture's
SENTENCE = "at least six male activists have been either summoned to army-recruitment offices"


@pytest.fixture
def news_site(shared):
    """Serve one news article on 127.0.0.1 for the test, as any news site would."""
    text = (shared / "articles" / "kazakh-conscriptions.txt").read_text(encoding="utf-8")
    paragraphs = "".join(f"<p>{html.escape(p)}</p>" for p in text.split("\n") if p.strip())
    body = (f"<!doctype html><html><head><title>Kazakh activists conscripted</title></head>"
            f"<body><article><h1>Kazakh activists conscripted</h1>{paragraphs}</article>"
            f"</body></html>").encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - the http.server interface
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/2019/06/kazakh-activists.html"
    server.shutdown()
    thread.join(5)
    server.server_close()


def test_the_bookmarklet_sends_the_page_and_makes_the_selection_a_claim(team, open_page,
                                                                        news_site):
    team.config["ALLOW_PRIVATE_URLS"] = True  # the news site is on 127.0.0.1 in this test
    desk = open_page("editor")
    desk.goto(team.config["BASE"] + "/articles/import-url")
    href = desk.locator("#bookmarklet").get_attribute("href")
    assert href.startswith("javascript:")
    code = unquote(href[len("javascript:"):])

    news = desk.context.new_page()
    news.goto(news_site)
    news.evaluate("""(sentence) => {
        const p = [...document.querySelectorAll('p')].find(e => e.textContent.includes(sentence));
        const node = p.firstChild, start = node.textContent.indexOf(sentence);
        const range = document.createRange();
        range.setStart(node, start);
        range.setEnd(node, start + sentence.length);
        getSelection().removeAllRanges();
        getSelection().addRange(range);
    }""", SENTENCE)
    before = news.evaluate("document.documentElement.outerHTML")
    with desk.context.expect_page() as opened:
        news.evaluate(code)  # what clicking the bookmark runs
    form = opened.value
    form.wait_for_load_state()
    # The bookmarklet changed nothing on the news page; it only opened the desk's form.
    assert news.evaluate("document.documentElement.outerHTML") == before
    assert form.url.startswith(team.config["BASE"] + "/send?")
    assert form.input_value("#send-url") == news_site
    assert form.input_value("#send-quote") == SENTENCE
    form.click("form[action$='/send'] button[type=submit]")
    form.wait_for_url(lambda url: "/claims/" in url)
    claim_id = int(form.url.rstrip("/").rsplit("/", 1)[1].split("?")[0])
    with new_session(get_engine(team.config["DATABASE_URL"])) as s:
        claim = claims.get_claim(s, claim_id)
        assert claim.quote.startswith(SENTENCE) and claim.state == "open"
    assert form.locator("mark", has_text="at least six male activists").count() >= 1


def test_a_plain_link_fills_the_form_without_javascript(team, browser, news_site):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(team.config["BASE"] + "/login")
    page.fill("input[name=username]", "editor")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)
    page.goto(team.config["BASE"] + "/send?url=" + news_site + "&quote=six+activists")
    assert page.input_value("#send-url") == news_site
    assert page.input_value("#send-quote") == "six activists"
    context.close()


def test_the_public_page_renders_without_script_and_keeps_its_json_ld(team, browser):
    team.config["PUBLIC_PAGES"] = True
    engine = get_engine(team.config["DATABASE_URL"])
    with new_session(engine) as s:
        people = {u.username: u.id for u in s.exec(select(User)).all()}
    evil = "Proven </script><script>window.pwned=1</script><img src=x onerror=alert(1)>"
    claim_id = approve(engine, people, FIRST, "six activists conscripted", conclusion=evil,
                       claimant="Kazakh Defence Ministry")
    context = browser.new_context()
    page = context.new_page()
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(f"{team.config['BASE']}/claims/{claim_id}/public")
    assert page.locator("h1").inner_text() == "six activists conscripted"
    assert "Kazakh Defence Ministry" in page.inner_text("body")
    assert page.evaluate("window.pwned") is None and dialogs == []
    assert page.evaluate("document.scripts.length") == 1
    data = json.loads(page.evaluate("document.querySelector('script').textContent"))
    assert data["@type"] == "ClaimReview" and data["reviewBody"] == evil
    assert not [e for e in errors if "Content Security Policy" in e]
    context.close()


def test_the_panel_loads_checked_before_lazily_and_links_a_match(team, open_page):
    engine = get_engine(team.config["DATABASE_URL"])
    with new_session(engine) as s:
        people = {u.username: u.id for u in s.exec(select(User)).all()}
    first = approve(engine, people, FIRST, "six activists conscripted in Kazakhstan")
    second = new_claim(engine, people, SECOND)
    page = open_page("reviewer")
    page.goto(f"{team.config['BASE']}/claims/{second}")
    desk_match = page.locator("#matches .match-desk")
    desk_match.wait_for()
    assert desk_match.locator(f"a[href='/claims/{first}']").count() == 1
    desk_match.get_by_role("button", name="Same claim as this").click()
    page.locator("#matches .linked-matches").wait_for()
    assert "Linked" in page.inner_text("#matches")
    assert page.dialogs == []
