"""Two people at once in Chromium: four-eyes approval, conflicts, live updates."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.conftest import make_claim


def test_four_eyes_request_changes_and_approval(team, open_page):
    claim_id = make_claim(team)
    url = f"{team.config['BASE']}/claims/{claim_id}"
    reviewer, editor = open_page("reviewer"), open_page("editor")

    reviewer.goto(url)
    panel = reviewer.locator("#claim-panel")
    panel.locator("select[name=verdict]").select_option("true")
    panel.locator("textarea[name=conclusion]").fill("The port's report says 3.1 million.")
    panel.locator("button:has-text('Save claim')").click()
    expect(panel.locator(".timeline")).to_contain_text("conclusion")
    panel.locator(".add-source input[name=url]").fill("https://port.example/report-2024")
    panel.locator(".add-source input[name=title]").fill("Port annual report")
    panel.locator(".add-source input[name=stance][value=supports]").check()
    panel.locator(".add-source button:has-text('Add source')").click()
    expect(panel.locator(".source-list")).to_contain_text("Port annual report")
    panel.locator(".action-submit button").click()
    expect(panel.locator(".state").first).to_have_text("in review")
    # The person who submitted is never offered approval.
    expect(panel.locator(".action-approve")).to_have_count(0)

    editor.goto(f"{team.config['BASE']}/queue")
    expect(editor.locator("#waiting")).to_contain_text("The port handled 3.1 million")
    editor.click("#waiting a:has-text('The port handled')")
    epanel = editor.locator("#claim-panel")
    epanel.locator(".action-request_changes input[name=comment]").fill("Add the 2023 figure")
    epanel.locator(".action-request_changes button").click()
    expect(epanel.locator(".state").first).to_have_text("in progress")

    reviewer.goto(f"{team.config['BASE']}/queue")
    expect(reviewer.locator("#returned")).to_contain_text("The port handled 3.1 million")
    reviewer.goto(url)
    expect(panel.locator(".timeline")).to_contain_text("Add the 2023 figure")
    panel.locator(".action-submit button").click()
    expect(panel.locator(".state").first).to_have_text("in review")

    editor.goto(url)
    epanel.locator(".action-approve button").click()
    expect(epanel.locator(".state").first).to_have_text("approved")
    assert reviewer.dialogs == [] and editor.dialogs == []


def test_two_people_saving_one_claim_get_the_conflict_view(team, open_page):
    claim_id = make_claim(team, started_by=None)
    url = f"{team.config['BASE']}/claims/{claim_id}"
    first, second = open_page("editor"), open_page("editor2")
    first.goto(url)
    second.goto(url)
    first.fill("#claim-panel textarea[name=statement]", "Port traffic rose 12% in 2024")
    first.click("#claim-panel button:has-text('Save claim')")
    expect(first.locator("#claim-panel .timeline")).to_contain_text("Port traffic rose 12%")

    second.fill("#claim-panel textarea[name=statement]", "The port moved 3.1m containers")
    second.click("#claim-panel button:has-text('Save claim')")
    conflict = second.locator("#claim-panel .conflict")
    expect(conflict).to_be_visible()
    expect(conflict.locator(".theirs-statement")).to_have_text("Port traffic rose 12% in 2024")
    expect(conflict.locator(".mine-statement")).to_have_text("The port moved 3.1m containers")
    conflict.locator("button:has-text('Keep mine')").click()
    expect(second.locator("#claim-panel .conflict")).to_have_count(0)
    expect(second.locator("#claim-panel textarea[name=statement]")).to_have_value(
        "The port moved 3.1m containers")
    # Nothing was lost: both texts are in the history.
    history = second.locator("#claim-panel .timeline")
    expect(history).to_contain_text("Port traffic rose 12% in 2024")
    expect(history).to_contain_text("The port moved 3.1m containers")


def test_a_change_appears_in_the_other_context_within_five_seconds(team, open_page):
    claim_id = make_claim(team)
    url = f"{team.config['BASE']}/claims/{claim_id}"
    watcher, worker = open_page("viewer"), open_page("reviewer")
    watcher.goto(url)
    worker.goto(url)
    worker.locator("#claim-panel select[name=verdict]").select_option("mostly_true")
    worker.locator("#claim-panel textarea[name=conclusion]").fill("Close to the report.")
    worker.click("#claim-panel button:has-text('Save claim')")
    # The watcher's panel is not swapped under them: a notice names who changed what.
    notice = watcher.locator("#claim-live")
    expect(notice).to_contain_text("Reviewer edited the verdict and conclusion just now",
                                   timeout=5000)
    expect(watcher.locator("#claim-panel textarea[name=conclusion]")).to_have_value("")
    expect(watcher.locator(f"#claim-item-{claim_id} .verdict")).to_have_text(
        re.compile("mostly true"), timeout=5000)
    notice.locator("a:has-text('Show their change')").click()
    expect(watcher.locator("#claim-panel textarea[name=conclusion]")).to_have_value(
        "Close to the report.")
    worker.locator("#claim-panel textarea[name=body]").fill("Second source coming")
    worker.click("#claim-panel button:has-text('Add note')")
    expect(watcher.locator("#claim-live")).to_contain_text("Reviewer added a note just now",
                                                           timeout=5000)
    watcher.locator("#claim-live a:has-text('Show their change')").click()
    expect(watcher.locator("#claim-panel .notes")).to_contain_text("Second source coming")


def test_typed_text_survives_a_teammates_change(team, open_page):
    claim_id = make_claim(team, started_by=None)
    url = f"{team.config['BASE']}/claims/{claim_id}"
    mine, theirs = open_page("editor"), open_page("editor2")
    mine.goto(url)
    theirs.goto(url)
    mine.fill("#claim-panel textarea[name=conclusion]", "My half-written conclusion")
    theirs.locator("#claim-panel textarea[name=body]").fill("Checked the port report")
    theirs.click("#claim-panel button:has-text('Add note')")
    expect(mine.locator("#claim-live")).to_contain_text("Editor2 added a note just now",
                                                        timeout=5000)
    expect(mine.locator("#claim-live")).to_contain_text("Your unsaved text is kept")
    expect(mine.locator("#claim-panel textarea[name=conclusion]")).to_have_value(
        "My half-written conclusion")
