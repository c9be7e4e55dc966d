"""axe-core (pinned in package-lock.json) finds no critical or serious problem on any page."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from annotator.config import ROOT
from tests.browser.conftest import make_claim

AXE = Path(ROOT) / "node_modules" / "axe-core" / "axe.min.js"
SERIOUS = ("critical", "serious")


def _violations(page) -> list[dict]:
    if not AXE.is_file():
        pytest.fail(f"{AXE} is missing: `make test` installs it from package-lock.json")
    # Served from the app's own origin (intercepted, never reaching the app), so the page's
    # Content-Security-Policy stays on while axe runs.
    page.route("**/__axe-core.js", lambda route: route.fulfill(
        path=str(AXE), content_type="application/javascript"))
    page.add_script_tag(url="/__axe-core.js")
    found = page.evaluate("async () => (await axe.run(document)).violations")
    return [{"id": v["id"], "impact": v["impact"], "help": v["help"],
             "where": [n["target"] for n in v["nodes"]][:3]}
            for v in found if v["impact"] in SERIOUS]


def test_the_sign_in_page_has_no_serious_accessibility_problem(browser, live_app):
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.goto(live_app.config["BASE"] + "/login")
    assert _violations(page) == []
    context.close()


def test_every_page_of_the_desk_has_no_serious_accessibility_problem(team, open_page):
    claim_id = make_claim(team, verdict="mostly_true", conclusion="Close to the report.",
                      source=True)
    page = open_page("admin")
    base = team.config["BASE"]
    problems = {}
    for path in ["/", f"/claims/{claim_id}", "/claims", "/queue", "/dashboard", "/exports",
                 "/articles/new", "/account", "/admin/users", "/admin/users/1",
                 "/admin/tokens", "/admin/verdicts", "/admin/scorer"]:
        page.goto(base + path)
        if found := _violations(page):
            problems[path] = found
    # An article with the panel opened from the list (the htmx swap, not a page load).
    page.goto(base + "/")
    page.locator("table a").first.click()
    page.locator("#claim-list .claim-item a").first.click()
    page.wait_for_selector("#claim-panel[data-claim]")
    if found := _violations(page):
        problems["article with the panel open"] = found
    assert problems == {}, json.dumps(problems, indent=1)
