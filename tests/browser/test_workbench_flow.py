"""The workbench end to end in Chromium: import, review a claim, reload, export JSON."""

from __future__ import annotations

import json
import re
from pathlib import Path

from playwright.sync_api import expect

XSS_NOTE = ("Five names are listed in **the article**.\n\n<script>alert('note')</script> "
            "<img src=x onerror=alert('img')> [click me](javascript:alert('link'))")


def _panel_ready(page, text: str):
    expect(page.locator("#claim-panel")).to_contain_text(text)


def test_a_reviewer_takes_a_claim_through_review_and_exports_it(team, open_page, shared):
    page = open_page("editor")
    # The CSP allows no inline style: nothing the page or htmx does may need one.
    blocked = []
    page.on("console", lambda m: blocked.append(m.text) if "Content Security Policy" in m.text
            else None)
    page.click("text=Import an article")
    page.fill("input[name=title]", "Kazakh conscriptions")
    page.fill("input[name=url]", "https://www.example.org/kazakh-conscriptions")
    page.fill("input[name=published]", "2019-06-07")
    text = (shared / "articles" / "kazakh-conscriptions.txt").read_text(encoding="utf-8")
    page.fill("textarea[name=text]", text)
    page.click("button:has-text('Import and propose claims')")
    expect(page.locator("h1")).to_have_text("Kazakh conscriptions")
    body = page.locator("#article-body")
    expect(body).not_to_contain_text("please wait")
    expect(body).not_to_contain_text("Accessibility links")
    # The extractor proposes the most check-worthy sentences, within its budget.
    assert page.locator("#claim-list .claim-item").count() >= 15

    page.click("#claim-list .claim-item:has-text('at least six male activists')")
    _panel_ready(page, "at least six male activists")
    expect(page.locator("#article-body a.hl.current").first).to_be_visible()
    page.click("#claim-panel .action-accept button")
    page.click("#claim-panel .action-start button")
    expect(page.locator("#claim-panel .state")).to_have_text("in progress")

    page.fill("#claim-panel textarea[name=statement]", "at least six activists conscripted")
    page.click("#claim-panel button:has-text('Save claim')")
    expect(page.locator("#claim-panel .timeline")).to_contain_text("edit")

    for stance, url, title in [
        ("refutes", "https://ministry.example.kz/statement", "Defence ministry statement"),
        ("supports", "https://news.example.org/activists-drafted", "Activists drafted"),
    ]:
        if not page.is_visible("#claim-panel .add-source input[name=url]"):
            page.click("#claim-panel .add-source summary")
        form = page.locator("#claim-panel .add-source form")
        form.locator("input[name=url]").fill(url)
        form.locator("input[name=title]").fill(title)
        form.locator(f"input[name=stance][value={stance}]").check()
        form.locator("button:has-text('Add source')").click()
        expect(page.locator("#claim-panel .source-list")).to_contain_text(title)

    # A javascript: source is refused with a clear message, and nothing is added. (The form
    # stays open for the next source after one is added.)
    expect(page.locator("#claim-panel .add-source input[name=url]")).to_be_visible()
    form = page.locator("#claim-panel .add-source form")
    form.locator("input[name=url]").evaluate("el => el.type = 'text'")
    form.locator("input[name=url]").fill("javascript:alert(1)")
    form.locator("button:has-text('Add source')").click()
    expect(page.locator("#claim-panel .add-source .field-error")).to_contain_text("http")
    expect(page.locator("#claim-panel .source")).to_have_count(2)

    page.select_option("#claim-panel select[name=verdict]", "mostly_true")
    page.fill("#claim-panel textarea[name=conclusion]", "Six activists are named; two sources.")
    page.click("#claim-panel button:has-text('Save claim')")
    expect(page.locator("#claim-panel .timeline")).to_contain_text("mostly true")

    page.fill("#claim-panel textarea[name=body]", XSS_NOTE)
    page.click("#claim-panel button:has-text('Add note')")
    expect(page.locator("#claim-panel .note-body strong")).to_have_text("the article")

    page.reload()
    panel = page.locator("#claim-panel")
    expect(panel.locator("textarea[name=statement]")).to_have_value(
        "at least six activists conscripted")
    expect(panel.locator("select[name=verdict]")).to_have_value("mostly_true")
    expect(panel.locator("textarea[name=conclusion]")).to_have_value(
        "Six activists are named; two sources.")
    expect(panel.locator(".stance-refutes")).to_contain_text("Defence ministry statement")
    expect(panel.locator(".stance-supports")).to_contain_text("Activists drafted")
    expect(panel.locator(".note-body")).to_contain_text("<script>alert('note')</script>")
    assert panel.locator(".note-body img, .note-body script").count() == 0
    assert panel.locator(".note-body a[href^='javascript']").count() == 0

    with page.expect_download() as download_info:
        page.click("a:has-text('export JSON')")
    doc = json.loads(Path(download_info.value.path()).read_text(encoding="utf-8"))
    (article,) = doc["articles"]
    claim = next(c for c in article["claims"]
                 if c["statement"] == "at least six activists conscripted")
    assert article["body"][claim["start"]:claim["end"]] == claim["quote"]
    assert "at least six male activists" in claim["quote"]
    assert claim["verdict"] == "mostly_true"
    assert claim["conclusion"] == "Six activists are named; two sources."
    assert {(s["stance"], s["title"]) for s in claim["sources"]} == {
        ("refutes", "Defence ministry statement"), ("supports", "Activists drafted")}
    assert claim["notes"][0]["body"] == XSS_NOTE
    assert page.dialogs == [] and blocked == []


def test_keyboard_j_and_k_move_through_the_claims(team, open_page, import_article, shared):
    page = open_page("editor")
    text = (shared / "articles" / "kazakh-conscriptions.txt").read_text(encoding="utf-8")
    import_article(page, text)
    items = page.locator("#claim-list .claim-item")
    assert items.count() >= 2
    page.keyboard.press("j")
    expect(page.locator("#claim-panel")).to_have_attribute("data-claim",
                                                           items.nth(0).get_attribute("data-claim"))
    page.keyboard.press("j")  # the focus is on the claim, not in a field: j is a key again
    expect(page.locator("#claim-panel")).to_have_attribute("data-claim",
                                                           items.nth(1).get_attribute("data-claim"))
    page.keyboard.press("k")
    expect(items.nth(0)).to_have_class(re.compile(r"\bcurrent\b"))
