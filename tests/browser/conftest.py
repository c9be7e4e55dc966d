"""Browser fixtures: the app served on 127.0.0.1 in a thread, Debian's Chromium via Playwright."""

from __future__ import annotations

import os
import re
import threading

import pytest
from werkzeug.serving import make_server

from annotator import create_app
from annotator.db import get_engine, session_scope
from annotator.services import articles, claims
from annotator.services import users as user_service
from annotator.services.users import user_by_name

CHROMIUM = "/usr/bin/chromium"
# Without these, Chromium keeps trying to reach Google's hosts on this closed network.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--disable-dev-shm-usage"]
PASSWORD = "correct-horse-battery"
TEXT = ("The port handled 3.1 million containers in 2024, up 12 percent on 2023.\n\n"
        "Mayor Ana Silva said the new crane cost 8 million euros, half the budget.\n\n"
        "Officials said 40 ships were delayed in March because of the strike.")


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser():
    """Launch the system Chromium once per session; never download a browser."""
    from playwright.sync_api import sync_playwright

    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium package")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def live_app(database_url, tmp_path, monkeypatch):
    """Serve the real app (CSRF on) on a free port of 127.0.0.1 for one test."""
    monkeypatch.setenv("ANNOTATOR_INSTANCE", str(tmp_path / "instance"))
    app = create_app({"DATABASE_URL": database_url, "SECRET_KEY": "browser-test",
                      "CHECKED_BEFORE_JOBS": True,
                      "LIVE_POLL_SECONDS": 1})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    app.config["BASE"] = f"http://127.0.0.1:{server.server_port}"
    yield app
    server.shutdown()
    thread.join(5)
    server.server_close()
    get_engine(database_url).dispose()


@pytest.fixture
def team(live_app):
    """Create a team: two editors, two reviewers, an admin and a viewer."""
    engine = get_engine(live_app.config["DATABASE_URL"])
    with session_scope(engine) as session:
        for name, role in [("admin", "admin"), ("editor", "editor"), ("editor2", "editor"),
                           ("reviewer", "reviewer"), ("reviewer2", "reviewer"),
                           ("viewer", "viewer")]:
            user_service.create_user(session, name, role, PASSWORD, name.title())
    return live_app


@pytest.fixture
def open_page(browser, live_app):
    """Return a function that opens a new signed-in page (its own browser context)."""
    contexts = []

    def make(username: str):
        context = browser.new_context(viewport={"width": 1400, "height": 900},
                                      accept_downloads=True)
        contexts.append(context)
        page = context.new_page()
        page.dialogs = []
        page.on("dialog", lambda d: (page.dialogs.append(d.message), d.dismiss()))
        page.goto(live_app.config["BASE"] + "/login")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        # Reviewers land on their queue, everyone else on the articles.
        page.wait_for_url(lambda url: "/login" not in url)
        return page

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def import_article(live_app):
    """Return a function that imports a text through the page and waits for its scripts.

    The article page must have loaded (htmx and app.js wired) before a test presses a key.
    """
    def run(page, text: str, **fields: str):
        page.goto(live_app.config["BASE"] + "/articles/new")
        for name, value in fields.items():
            page.fill(f"input[name={name}]", value)
        page.fill("textarea[name=text]", text)
        page.click("button:has-text('Import and propose claims')")
        page.wait_for_url(re.compile(r"/articles/\d+$"))
        page.wait_for_load_state("load")
        return page

    return run


def make_claim(app, *, started_by: str | None = "reviewer", verdict: str | None = None,
           conclusion: str = "", source: bool = False) -> int:
    """Import an article and make one claim, started by someone, with what the test needs."""
    engine = get_engine(app.config["DATABASE_URL"])
    with session_scope(engine) as s:
        editor = user_by_name(s, "editor")
        article = articles.import_article(s, editor, articles.ImportRequest(
            text=TEXT, title="Port figures"))
        claim = claims.create_claim(s, editor, article.id, 0, TEXT.index("\n"))
        if started_by:
            worker = user_by_name(s, started_by)
            claims.transition(s, worker, claim.id, "start")
            if verdict or conclusion:
                claims.update_claim(s, worker, claim.id, claim.version,
                                    {"verdict": verdict, "conclusion": conclusion})
            if source:
                claims.add_source(s, worker, claim.id, {
                    "url": "https://port.example/report-2024", "title": "Port annual report",
                    "stance": "supports"})
        return claim.id
