"""Manual spans in Chromium: a claim from a text selection, then merge and split."""

from __future__ import annotations

from playwright.sync_api import expect

TEXT = ("The port handled 3.1 million containers in 2024, up 12 percent on 2023.\n\n"
        "Mayor Ana Silva said the new crane cost 8 million euros.\n\n"
        "Dock workers went on strike for two days in March over pay and safety rules.")

SELECT_JS = """([phrase]) => {
  const body = document.getElementById('article-body');
  const walker = document.createTreeWalker(body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    const at = node.textContent.indexOf(phrase);
    if (at >= 0) {
      const range = document.createRange();
      range.setStart(node, at);
      range.setEnd(node, at + phrase.length);
      const sel = window.getSelection();
      sel.removeAllRanges();
      sel.addRange(range);
      body.dispatchEvent(new MouseEvent('mouseup', {bubbles: true}));
      return true;
    }
  }
  return false;
}"""


def test_a_reviewer_makes_merges_and_splits_claims(team, open_page, import_article):
    page = open_page("editor")
    import_article(page, TEXT, title="Port news")

    phrase = "Dock workers went on strike for two days in March"
    assert page.evaluate(SELECT_JS, [phrase])
    expect(page.locator("#new-claim button")).to_be_enabled()
    page.keyboard.press("c")
    page.wait_for_url("**/claims/*")
    panel = page.locator("#claim-panel")
    expect(panel.locator("blockquote mark")).to_have_text(phrase)
    expect(panel.locator(".state").first).to_have_text("open")
    first_id = panel.get_attribute("data-claim")

    phrase2 = "over pay and safety rules"
    assert page.evaluate(SELECT_JS, [phrase2])
    with page.expect_navigation():
        page.click("#new-claim button")
    expect(panel.locator("blockquote mark")).to_have_text(phrase2)

    # Back to the first manual claim, merge the next one into it.
    page.click(f"#claim-item-{first_id} a")
    expect(panel.locator("blockquote mark")).to_have_text(phrase)
    panel.locator(".span-tools summary").click()
    panel.locator("button:has-text('Merge with the next claim')").click()
    expect(panel.locator("blockquote mark")).to_have_text(
        "Dock workers went on strike for two days in March over pay and safety rules")
    expect(page.locator("#claim-list .claim-item.state-dismissed",
                        has_text=phrase2)).to_have_count(1)

    panel.locator(".span-tools summary").click()
    panel.locator("select[name=at]").select_option(label="before “over pay and safety rules…”")
    panel.locator(".split-form button").click()
    expect(panel.locator("blockquote mark")).to_have_text(phrase)
    expect(page.locator("#claim-list .claim-item.state-open",
                        has_text="over pay and safety rules")).to_have_count(1)
    assert page.dialogs == []
