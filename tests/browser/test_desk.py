"""The desk a reviewer lives in, in Chromium: layout, phone width, forms, actions, keyboard."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from annotator.db import get_engine, session_scope
from annotator.services import claims
from annotator.services.users import user_by_name
from tests.browser.conftest import PASSWORD, make_claim

PHONE = {"width": 390, "height": 844}


def _in_viewport(page, selector: str) -> bool:
    return page.locator(selector).evaluate(
        "el => { const r = el.getBoundingClientRect();"
        " return r.top >= 0 && r.left >= 0 && r.bottom <= innerHeight && r.right <= innerWidth; }")


def _phone_page(browser, app, username: str):
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    page.goto(app.config["BASE"] + "/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)
    return context, page


def test_after_an_import_j_puts_the_claim_in_view_with_the_focus_on_it(team, open_page,
                                                                     import_article, shared):
    page = open_page("editor")
    text = (shared / "articles" / "kazakh-conscriptions.txt").read_text(encoding="utf-8")
    import_article(page, text, title="Kazakh conscriptions")
    expect(page.locator("#notices .flash")).to_contain_text("Imported")
    # The message sits above the workspace, not in one of its columns.
    assert page.locator(".workbench > .flash, .workbench .flashes").count() == 0
    list_box = page.locator(".claim-list-col").bounding_box()
    assert list_box["x"] < 40
    page.keyboard.press("j")
    panel = page.locator("#claim-panel")
    expect(panel).to_be_focused()  # on the claim, not in a field: the next key acts on it
    assert _in_viewport(page, "#claim-panel textarea[name=statement]")
    # Further down the list, the panel stays in view (it is sticky and scrolls on its own).
    for n in range(8):
        page.keyboard.press("j")
        expect(panel).to_have_attribute("data-claim", page.locator(
            "#claim-list .claim-item").nth(n + 1).get_attribute("data-claim"))
        expect(panel).to_be_focused()
    assert _in_viewport(page, "#claim-panel textarea[name=statement]")


def test_at_phone_width_nothing_scrolls_sideways_and_the_panel_is_a_sheet(team, browser):
    claim_id = make_claim(team, verdict="mostly_true", conclusion="Close to the report.",
                      source=True)
    context, page = _phone_page(browser, team, "admin")
    base = team.config["BASE"]
    pages = ["/", "/queue", "/claims", "/dashboard", "/articles/new", "/exports",
             "/admin/users", "/admin/tokens", "/admin/verdicts", "/admin/scorer", "/account",
             f"/claims/{claim_id}"]
    for path in pages:
        page.goto(base + path)
        wide = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert wide[0] <= wide[1], f"{path} scrolls sideways: {wide}"
    # The top bar is a menu.
    page.goto(base + "/")
    nav = page.locator("#topnav")
    expect(nav).to_be_hidden()
    page.click(".menu-toggle")
    expect(nav.locator("a:has-text('Dashboard')")).to_be_visible()
    # The article stacks: claim list, then the article; the panel opens as a sheet.
    page.goto(f"{base}/claims/{claim_id}")
    sheet = page.locator(".panel-col")
    box = sheet.bounding_box()
    assert box["x"] == 0 and box["width"] == PHONE["width"] and box["y"] <= 1
    close = page.locator("#claim-panel .panel-head .close")
    expect(close).to_be_visible()
    close.click()
    page.wait_for_url(re.compile(r"/articles/\d+$"))
    expect(page.locator(".panel-col")).to_be_hidden()
    list_box = page.locator(".claim-list-col").bounding_box()
    article_box = page.locator(".article-col").bounding_box()
    assert list_box["y"] < article_box["y"] and article_box["width"] > 300
    page.locator("#claim-list .claim-item a").first.click()
    expect(page.locator(".panel-col")).to_be_visible()
    assert page.locator(".panel-col").bounding_box()["width"] == PHONE["width"]
    context.close()


def test_a_refused_source_keeps_what_was_typed_with_the_error_beside_the_field(team, open_page):
    claim_id = make_claim(team)
    page = open_page("reviewer")
    page.goto(f"{team.config['BASE']}/claims/{claim_id}")
    form = page.locator("#claim-panel .add-source form")
    typed = {"url": "ftp://files.example/report.pdf", "title": "Port annual report",
             "publisher": "Port authority", "excerpt": "3.1 million TEU handled in 2024."}
    for name, value in typed.items():
        form.locator(f"[name={name}]").fill(value)
    form.locator("input[name=stance][value=refutes]").check()
    form.locator("button:has-text('Add source')").click()

    form = page.locator("#claim-panel .add-source form")
    url = form.locator("input[name=url]")
    expect(url).to_have_attribute("aria-invalid", "true")
    for name, value in typed.items():
        expect(form.locator(f"[name={name}]")).to_have_value(value)
    expect(form.locator("input[name=stance][value=refutes]")).to_be_checked()
    error = page.locator("#" + url.get_attribute("aria-describedby"))
    expect(error).to_be_visible()
    expect(error).to_contain_text("http:// or https://")
    # Beside the field, not at the top of the panel; and the field has the focus.
    assert 0 <= error.bounding_box()["y"] - url.bounding_box()["y"] < 80
    expect(url).to_be_focused()
    expect(page.locator("#claim-panel .source-list")).to_contain_text("No sources yet")


def test_a_save_confirms_in_place_without_moving_focus(team, open_page):
    claim_id = make_claim(team)
    page = open_page("reviewer")
    page.goto(f"{team.config['BASE']}/claims/{claim_id}")
    page.fill("#claim-panel textarea[name=statement]", "The port handled 3.1m containers")
    save = page.locator("#claim-panel button:has-text('Save claim')")
    save.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#claim-panel .saved-note")).to_have_text(re.compile(r"Saved · v\d+"))
    expect(page.locator("#announce")).to_have_text(re.compile(r"Saved · v\d+"))
    expect(page.locator("#claim-panel button:has-text('Save claim')")).to_be_focused()


def test_submit_is_disabled_with_the_reason_when_a_source_is_missing(team, open_page):
    claim_id = make_claim(team, verdict="false", conclusion="The report says 2.8 million.")
    page = open_page("reviewer")
    page.goto(f"{team.config['BASE']}/claims/{claim_id}")
    submit = page.locator("#claim-panel .action-submit button")
    expect(submit).to_be_disabled()
    expect(page.locator("#claim-panel .action-submit .why")).to_have_text("Needs a source.")
    assert submit.get_attribute("aria-describedby") == "why-submit"


def test_a_returned_claim_shows_the_comment_above_the_statement_and_in_the_queue(team,
                                                                                 open_page):
    claim_id = make_claim(team, verdict="true", conclusion="Matches the report.", source=True)
    engine = get_engine(team.config["DATABASE_URL"])
    with session_scope(engine) as s:
        claims.transition(s, user_by_name(s, "reviewer"), claim_id, "submit")
        claims.transition(s, user_by_name(s, "editor"), claim_id, "request_changes",
                          comment="Add the 2023 figure from the same report")
    page = open_page("reviewer")
    expect(page.locator("#returned")).to_contain_text("Add the 2023 figure")
    expect(page.locator("#returned")).to_contain_text("Editor")
    page.goto(f"{team.config['BASE']}/claims/{claim_id}")
    banner = page.locator("#claim-panel .returned")
    expect(banner).to_contain_text("Editor")
    expect(banner).to_contain_text("asked for changes")
    expect(banner).to_contain_text("Add the 2023 figure")
    statement = page.locator("#claim-panel textarea[name=statement]")
    assert banner.bounding_box()["y"] < statement.bounding_box()["y"]
    # The claim went back: the header no longer says who submitted it.
    expect(page.locator("#claim-panel .panel-head")).not_to_contain_text("submitted by")


def test_the_first_tab_reaches_a_skip_link_and_focus_rings_are_thick(team, open_page):
    claim_id = make_claim(team)
    page = open_page("reviewer")
    page.goto(f"{team.config['BASE']}/claims/{claim_id}")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.className + '|' + "
                            "document.activeElement.textContent")
    assert focused.startswith("skip|") and "claim list" in focused
    ring = page.evaluate("parseFloat(getComputedStyle(document.activeElement).outlineWidth)")
    assert ring >= 2
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")  # "Skip to the claim panel"
    page.keyboard.press("Tab")
    ring = page.evaluate("[document.activeElement.tagName, "
                         "parseFloat(getComputedStyle(document.activeElement).outlineWidth)]")
    assert ring[1] >= 2, ring


def test_keys_accept_then_move_on_escape_closes_and_question_mark_helps(team, open_page,
                                                                       import_article, shared):
    page = open_page("editor")
    text = (shared / "articles" / "kazakh-conscriptions.txt").read_text(encoding="utf-8")
    import_article(page, text)
    items = page.locator("#claim-list .claim-item[data-state=proposed]")
    assert items.count() >= 2
    # Selecting text shows the "Make claim (c)" button beside the selection.
    adder = page.locator("#adder")
    expect(adder).to_be_hidden()
    words = page.locator("#article-body p").nth(2)
    box = words.bounding_box()
    page.mouse.move(box["x"] + 2, box["y"] + 8)
    page.mouse.down()
    page.mouse.move(box["x"] + 160, box["y"] + 8)
    page.mouse.up()
    expect(adder).to_be_visible()
    near = adder.bounding_box()
    assert abs(near["y"] - box["y"]) < 60 and box["x"] <= near["x"] <= box["x"] + 300
    page.mouse.click(5, 500)  # drop the selection
    first, second = items.nth(0).get_attribute("data-claim"), items.nth(1).get_attribute(
        "data-claim")
    page.keyboard.press("j")
    expect(page.locator("#claim-panel")).to_have_attribute("data-claim", first)
    page.keyboard.press("a")  # j left the focus on the claim: a accepts, never types
    expect(page.locator(f"#claim-item-{first}")).to_have_attribute("data-state", "open")
    expect(page.locator("#claim-panel")).to_have_attribute("data-claim", second)
    page.keyboard.press("?")
    expect(page.locator("#keys-help")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.locator("#keys-help")).to_be_hidden()
    page.keyboard.press("Escape")  # closes the panel
    page.wait_for_url(re.compile(r"/articles/\d+$"))
    expect(page.locator("#claim-panel")).not_to_have_attribute("data-claim", re.compile("."))
    page.keyboard.press("j")
    expect(page.locator("#claim-panel")).to_be_focused()
    page.keyboard.press("2")
    verdict = page.locator("#claim-panel select[name=verdict]")
    expect(verdict).to_have_value(verdict.locator("option").nth(2).get_attribute("value"))
    expect(page.locator("#claim-panel")).to_be_focused()  # a select would eat the next key
    assert page.dialogs == []
