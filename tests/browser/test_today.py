"""The morning list in Chromium, at desk (1400 px) and phone (390 px) widths."""

from __future__ import annotations

import re

from playwright.sync_api import expect
from sqlmodel import select

from annotator.db import get_engine, session_scope
from annotator.models import Claim
from annotator.services import feeds, polling
from annotator.services.users import user_by_name
from tests.browser.conftest import PASSWORD
from tests.services.test_feeds import LOCAL, feed_site, rss, story  # noqa: F401 - fixture

PHONE = {"width": 390, "height": 844}


def _morning(app, site) -> None:
    """Two outlets carry the Lakeside story; the second also has the Oakbridge one."""
    site.page("/a/story-1", story(1, "Gazette"))
    site.page("/b/copy", story(1, "Courier", variant="rewrite"))
    site.page("/b/other", story(4, "Courier"))
    engine = get_engine(app.config["DATABASE_URL"])
    with session_scope(engine) as s:
        editor = user_by_name(s, "editor")
        a = feeds.add_feed(s, editor, site.feed("/a.xml", rss(site.base, [("/a/story-1", "S")])),
                           "Gazette", "en").id
        b = feeds.add_feed(s, editor, site.feed("/b.xml", rss(
            site.base, [("/b/copy", "S"), ("/b/other", "O")])), "Courier", "en").id
    polling.poll_feeds(engine, [a, b], LOCAL)


def _no_sideways_scroll(page) -> bool:
    return page.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth + 1")


def test_the_morning_list_groups_filters_and_triages_at_desk_width(team, open_page,
                                                                  feed_site):  # noqa: F811
    page = open_page("editor")
    violations = []
    page.on("console", lambda m: violations.append(m.text)
            if "Content Security Policy" in m.text else None)
    page.goto(team.config["BASE"] + "/today")
    expect(page.locator("main")).to_contain_text("This is your first look.")
    _morning(team, feed_site)
    page.goto(team.config["BASE"] + "/today")
    expect(page.locator("nav a[aria-current=page]")).to_have_text("Today")
    rows = page.locator("tr.today-row")
    expect(rows.first).to_be_visible()
    lakeside = rows.filter(has_text="crime dropped by 21")
    expect(lakeside).to_have_count(1)
    expect(lakeside.locator("td.outlets")).to_have_text("2 outlets")
    scores = [float(x) for x in page.locator("tr.today-row td.num").all_inner_texts()]
    assert scores == sorted(scores, reverse=True)
    expect(page.locator("main")).to_contain_text("new since you last looked")
    expect(lakeside.locator(".badge.new-since")).to_have_text("new")
    total = rows.count()

    # Filter to one outlet: htmx swaps the list, the URL follows.
    page.select_option("select[name=outlet]", "Gazette")
    page.click("#today-filters button[type=submit]")
    expect(page).to_have_url(re.compile(r"outlet=Gazette"))
    expect(rows.filter(has_text="Oakbridge")).to_have_count(0)
    expect(lakeside.locator("td.outlets")).to_have_text("Gazette")
    page.click("#today-filters a:has-text('clear')")
    expect(rows).to_have_count(total)

    # Accept the grouped row: its lead goes to the queue, the copy is set aside.
    lead = int(lakeside.get_attribute("data-claim"))
    lakeside.locator("input[name=claim]").check()
    page.click("button:has-text('Accept into the queue')")
    expect(page.locator("#notices .flash")).to_contain_text("Accepted 1 row(s)")
    expect(rows.filter(has_text="crime dropped by 21")).to_have_count(0)
    expect(rows).to_have_count(total - 1)
    with session_scope(get_engine(team.config["DATABASE_URL"]), write=False) as s:
        assert s.get(Claim, lead).state == "open"
        copies = s.exec(select(Claim).where(Claim.quote == s.get(Claim, lead).quote,
                                            Claim.id != lead)).all()
        assert copies and all(c.state == "dismissed" for c in copies)

    # Tick two rows and dismiss them.
    first_two = [int(rows.nth(i).get_attribute("data-claim")) for i in (0, 1)]
    for i in (0, 1):
        rows.nth(i).locator("input[name=claim]").check()
    page.click("button:has-text('Dismiss')")
    expect(page.locator("#notices .flash")).to_contain_text("Dismissed 2 row(s)")
    expect(rows).to_have_count(total - 3)
    with session_scope(get_engine(team.config["DATABASE_URL"]), write=False) as s:
        assert {s.get(Claim, i).state for i in first_two} == {"dismissed"}
    assert violations == []


def test_the_morning_list_works_at_phone_width(team, browser, feed_site):  # noqa: F811
    _morning(team, feed_site)
    context = browser.new_context(viewport=PHONE)
    try:
        page = context.new_page()
        page.goto(team.config["BASE"] + "/login")
        page.fill("input[name=username]", "editor")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(lambda url: "/login" not in url)
        page.goto(team.config["BASE"] + "/today")
        rows = page.locator("tr.today-row")
        expect(rows.first).to_be_visible()
        assert _no_sideways_scroll(page)
        box = rows.first.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
        row = rows.filter(has_text="crime dropped by 21")
        expect(row.locator("td.outlets")).to_have_text("2 outlets")
        lead = int(row.get_attribute("data-claim"))
        row.locator("input[name=claim]").check()
        page.select_option("select[name=assignee]", label="Reviewer")
        page.click("button:has-text('Accept and assign')")
        expect(page.locator("#notices .flash")).to_contain_text("Assigned 1 row(s)")
        assert _no_sideways_scroll(page)
        with session_scope(get_engine(team.config["DATABASE_URL"]), write=False) as s:
            claim = s.get(Claim, lead)
            assert claim.state == "open"
            assert claim.assignee_id == user_by_name(s, "reviewer").id
    finally:
        context.close()
