"""The lists read at 1400 px (no word broken inside itself) and are cards at 390 px (issue 18)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from annotator.db import get_engine, session_scope
from annotator.services import articles, claims
from annotator.services.users import user_by_name
from tests.browser.conftest import PASSWORD

WIDE = {"width": 1400, "height": 900}
PHONE = {"width": 390, "height": 844}
LISTS = ["/", "/claims", "/dashboard"]

# Every word of the given cells on one line: a word broken inside itself has two client rects.
# A line may end after a hyphen or a slash ("Nur-/Sultan"): those parts count as words.
BROKEN_WORDS = """sel => {
  const broken = [];
  for (const cell of document.querySelectorAll(sel)) {
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const re = /[^\\s\\-\\/]+/g;
      let m;
      while ((m = re.exec(node.textContent))) {
        const range = document.createRange();
        range.setStart(node, m.index);
        range.setEnd(node, m.index + m[0].length);
        const tops = new Set([...range.getClientRects()].filter(r => r.width > 0)
                             .map(r => Math.round(r.top)));
        if (tops.size > 1) { broken.push(m[0]); }
      }
    }
  }
  return broken;
}"""

# Elements wider than their box: the page, anything scrolling sideways inside itself, and
# any element whose right edge passes its parent's.
OVERFLOW = """() => {
  const out = [];
  const page = document.documentElement;
  if (page.scrollWidth > innerWidth) { out.push('page ' + page.scrollWidth); }
  const placed = el => { for (let a = el; a; a = a.parentElement) {
    if (/absolute|fixed/.test(getComputedStyle(a).position)) { return true; } } return false; };
  for (const el of document.querySelectorAll('main *')) {
    if (el.closest('svg') && el.tagName.toLowerCase() !== 'svg') { continue; }
    const style = getComputedStyle(el);
    // Out of the flow (the cards' hidden header row, the adder): not part of the layout.
    if (style.display === 'none' || placed(el)) { continue; }
    if (el.scrollWidth > el.clientWidth + 1 && /auto|scroll/.test(style.overflowX)) {
      out.push(`${el.tagName}.${el.className} scrolls ${el.scrollWidth}>${el.clientWidth}`);
    }
    const parent = el.parentElement;
    const r = el.getBoundingClientRect(), p = parent.getBoundingClientRect();
    if (r.width && (r.right > p.right + 1 || r.left < p.left - 1)) {
      out.push(`${el.tagName}.${el.className} ${Math.round(r.left)}-${Math.round(r.right)}`
               + ` outside ${parent.tagName}.${parent.className}`
               + ` ${Math.round(p.left)}-${Math.round(p.right)}`);
    }
  }
  return out.slice(0, 10);
}"""


# Every table ends inside the page's content box.
FITS = """() => { const m = document.querySelector('main');
  const edge = m.getBoundingClientRect().right - parseFloat(getComputedStyle(m).paddingRight);
  return [...m.querySelectorAll('table')].every(t => t.getBoundingClientRect().right <= edge + 1);
}"""


@pytest.fixture
def desk(team, shared):
    """Two articles with claims in every state, verdicts, a reviewer's weeks and a note."""
    engine = get_engine(team.config["DATABASE_URL"])
    text = (shared / "articles" / "kazakh-conscriptions.txt").read_text(encoding="utf-8")
    with session_scope(engine) as s:
        editor, editor2 = user_by_name(s, "editor"), user_by_name(s, "editor2")
        reviewer = user_by_name(s, "reviewer")
        kazakh = articles.import_article(s, editor, articles.ImportRequest(
            text=text, title="Kazakh activists say they were conscripted for their views",
            outlet="Radio Free Europe", published="2019-06-07"))
        found = articles.article_claims(s, kazakh.id)
        for i, claim in enumerate(found[:6]):
            claims.transition(s, editor, claim.id, "accept")
            if i == 5:
                continue
            claims.transition(s, editor, claim.id, "assign", assignee_id=reviewer.id)
            claims.transition(s, reviewer, claim.id, "start")
            if i == 4:
                continue
            version = claims.get_claim(s, claim.id).version
            claims.update_claim(s, reviewer, claim.id, version, {
                "verdict": ["mostly_false", "true", "misleading", "unproven"][i],
                "conclusion": "The ministry's list and the activists' accounts differ."})
            claims.add_source(s, reviewer, claim.id, {
                "url": "https://rferl.example/kazakh", "title": "RFE/RL report",
                "stance": "supports"})
            claims.transition(s, reviewer, claim.id, "submit")
            if i < 2:
                claims.transition(s, editor2, claim.id, "approve")
        for claim in found[6:9]:
            claims.transition(s, editor, claim.id, "dismiss")
        port = articles.import_article(s, editor, articles.ImportRequest(
            text="Mayor Ana Silva said the new crane cost 8 million euros, half the budget.",
            title="Port figures"))
        claims.create_claim(s, editor, port.id, 0, 20)
    return team


def _page(browser, app, viewport, username="editor"):
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    page.blocked = []  # CSP violations: the cards need no inline style either
    page.on("console", lambda m: page.blocked.append(m.text)
            if "Content Security Policy" in m.text else None)
    page.goto(app.config["BASE"] + "/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)
    return context, page


def test_at_1400_px_no_header_or_number_breaks_inside_a_word(desk, browser):
    context, page = _page(browser, desk, WIDE)
    base = desk.config["BASE"]
    for path in LISTS:
        page.goto(base + path)
        assert page.locator("main table th").count() >= 4, path
        # The table fits its page, headers and figures stay whole, and so does every word.
        assert page.evaluate(FITS), path
        assert page.evaluate(BROKEN_WORDS, "main table th") == [], path
        assert page.evaluate(BROKEN_WORDS, "main table td") == [], path
        # Each header on one line.
        assert page.evaluate("""() => [...document.querySelectorAll('main table th')]
            .filter(th => th.textContent.trim())
            .filter(th => { const r = document.createRange(); r.selectNodeContents(th);
                            const tops = [...r.getClientRects()].map(x => Math.round(x.top));
                            return new Set(tops).size > 1; })
            .map(th => th.textContent.trim())""") == [], path
    context.close()


def test_at_390_px_the_lists_are_cards_and_nothing_is_wider_than_its_box(desk, browser):
    context, page = _page(browser, desk, PHONE)
    base = desk.config["BASE"]
    for path in LISTS:
        page.goto(base + path)
        assert page.evaluate(OVERFLOW) == [], path
        assert page.blocked == [], path
        rows = page.locator("main table.cards tbody tr")
        assert rows.count() >= 2, path
        # A card: the row is a box of its own, its header row is not shown.
        display = rows.first.evaluate("tr => getComputedStyle(tr).display")
        assert display not in ("table-row",), (path, display)
        expect(page.locator("main table.cards thead").first).to_have_css("position", "absolute")
        box = rows.first.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], (path, box)
    # The claims' cards show state and verdict in view, with the statement first.
    page.goto(base + "/claims")
    card = page.locator("main table.cards tbody tr:has(.verdict)").first
    for part in (".state", ".verdict", "td.card-title a"):
        el = card.locator(part)
        expect(el).to_be_visible()
        b = el.bounding_box()
        assert b["x"] >= 0 and b["x"] + b["width"] <= PHONE["width"], (part, b)
    assert card.locator("td.card-title").bounding_box()["y"] <= card.locator(
        ".state").bounding_box()["y"]
    # The articles' cards show their claims by state.
    page.goto(base + "/")
    expect(page.locator("main table.cards tbody tr").first.locator(".state").first).to_be_visible()
    # The charts keep their labels legible (at least 11 px on screen).
    page.goto(base + "/dashboard")
    sizes = page.evaluate("""() => [...document.querySelectorAll('svg.chart .bar-label')]
        .map(t => t.getBoundingClientRect().height)""")
    assert sizes and min(sizes) >= 11, sizes
    context.close()


def test_the_queue_names_each_claims_article(desk, open_page):
    page = open_page("reviewer")
    page.goto(desk.config["BASE"] + "/queue")
    rows = page.locator("#assigned .queue-list li")
    assert rows.count() >= 1
    for i in range(rows.count()):
        expect(rows.nth(i).locator(".article-of")).to_contain_text("Kazakh activists")
    # So does the page of one whole section.
    page.goto(desk.config["BASE"] + "/queue/assigned")
    expect(page.locator(".queue-list li .article-of").first).to_contain_text("Kazakh activists")
