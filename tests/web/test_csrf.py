"""CSRF: every state-changing form and htmx request needs the token."""

from __future__ import annotations

import re

import pytest

from annotator import create_app


@pytest.fixture
def csrf_app(database_url, tmp_path, monkeypatch):
    monkeypatch.setenv("ANNOTATOR_INSTANCE", str(tmp_path / "instance"))
    return create_app({"DATABASE_URL": database_url, "SECRET_KEY": "t", "TESTING": True})


def _token(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def test_it_refuses_a_form_without_the_token(csrf_app, people):
    client = csrf_app.test_client()
    response = client.post("/login", data={"username": "editor",
                                           "password": "correct-horse-battery"})
    assert response.status_code == 400
    assert "security token" in response.get_data(True)


def test_it_accepts_the_form_token_and_the_htmx_header(csrf_app, people):
    client = csrf_app.test_client()
    token = _token(client.get("/login").get_data(True))
    response = client.post("/login", data={"username": "editor",
                                           "password": "correct-horse-battery",
                                           "csrf_token": token})
    assert response.status_code == 303
    page = client.get("/articles/new").get_data(True)
    header_token = re.search(r'"X-CSRFToken": "([^"]+)"', page).group(1)
    without = client.post("/articles", data={"text": "The port handled 3 million boxes."},
                          headers={"HX-Request": "true"})
    assert without.status_code == 400
    with_header = client.post("/articles", data={"text": "The port handled 3 million boxes."},
                              headers={"HX-Request": "true", "X-CSRFToken": header_token})
    assert with_header.status_code == 303


def test_forms_get_their_token_from_the_one_macro():
    from annotator.config import ROOT

    literal = 'name="csrf_token"'
    users = [p.relative_to(ROOT / "templates").as_posix()
             for p in (ROOT / "templates").rglob("*.html") if literal in p.read_text("utf-8")]
    assert users == ["_macros.html"]
