"""The article page shows "checked before?" marks worked out by the job after an import."""

from __future__ import annotations

import json
import time

import pytest
from sqlmodel import select

from annotator import create_app
from annotator.db import get_engine, session_scope
from annotator.models import MatchMark
from annotator.services import factchecks
from tests.conftest import login
from tests.services.test_marks import FEED, TEXT


@pytest.fixture
def marking_app(database_url, tmp_path, monkeypatch):
    monkeypatch.setenv("ANNOTATOR_INSTANCE", str(tmp_path / "instance"))
    app = create_app({"DATABASE_URL": database_url, "SECRET_KEY": "t", "TESTING": True,
                      "WTF_CSRF_ENABLED": False, "CHECKED_BEFORE_JOBS": True})
    yield app
    get_engine(database_url).dispose()


def test_an_import_in_the_browser_marks_its_claims_on_the_article_page(marking_app, people):
    engine = get_engine(marking_app.config["DATABASE_URL"])
    factchecks.load(engine, json.dumps(FEED))
    client = marking_app.test_client()
    login(client, "editor")
    response = client.post("/articles", data={"text": TEXT, "title": "Report"})
    assert response.status_code == 303
    article_url = response.headers["Location"]
    deadline = time.monotonic() + 30
    while True:  # the job runs in a thread after the import committed
        with session_scope(engine, write=False) as s:
            if s.exec(select(MatchMark)).first() is not None:
                break
        assert time.monotonic() < deadline, "no mark 30 s after the import"
        time.sleep(0.1)
    page = client.get(article_url).get_data(as_text=True)
    assert page.count('class="badge checked-before" title=') == 1  # one claim, not the legend
    assert "Looks like an earlier fact-check: Six activists were conscripted" in page
