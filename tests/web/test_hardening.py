"""Hardening: login throttling, session rotation, cookies, headers, upload limits, error pages."""

from __future__ import annotations

import io

import pytest

from annotator import create_app, review
from annotator.db import get_engine

PASSWORD = "correct-horse-battery"  # the suite's password, see tests/conftest.py


def _login(client, username, password=PASSWORD, address="10.1.1.1"):
    return client.post("/login", data={"username": username, "password": password},
                       environ_base={"REMOTE_ADDR": address})


def _signed_in(client) -> bool:
    return client.get("/", follow_redirects=False).status_code == 200


# Login throttling

def test_it_refuses_an_account_after_five_failures_without_checking_the_password(
        client, people):
    for _ in range(5):
        assert _login(client, "reviewer", "wrong-password").status_code == 401
    response = _login(client, "reviewer")  # the right password, too late
    assert response.status_code == 429
    page = response.get_data(as_text=True)
    assert "Too many failed sign-ins for this account" in page
    assert 0 < int(response.headers["Retry-After"]) <= 15 * 60 + 1
    assert not _signed_in(client)


def test_it_refuses_an_address_after_twenty_failures_whatever_the_account(client, people):
    for i in range(20):
        assert _login(client, f"guess{i}", "wrong-password", "10.2.2.2").status_code == 401
    response = _login(client, "editor", address="10.2.2.2")
    assert response.status_code == 429
    assert "from your network" in response.get_data(as_text=True)
    # Another address still gets in.
    assert _login(client, "editor", address="10.3.3.3").status_code == 303


def test_a_success_clears_the_accounts_failures(client, people):
    for _ in range(4):
        _login(client, "reviewer", "wrong-password")
    assert _login(client, "reviewer").status_code == 303
    client.post("/logout")
    for _ in range(4):
        assert _login(client, "reviewer", "wrong-password").status_code == 401
    assert _login(client, "reviewer").status_code == 303


def test_the_counts_hold_across_app_servers(app, people, database_url, tmp_path):
    other = create_app({"DATABASE_URL": database_url, "SECRET_KEY": "test-secret",
                        "TESTING": True, "WTF_CSRF_ENABLED": False})
    first, second = app.test_client(), other.test_client()
    for client in (first, second, first, second, first):
        assert _login(client, "editor", "wrong-password").status_code == 401
    assert _login(second, "editor").status_code == 429
    get_engine(database_url).dispose()


def test_behind_a_proxy_the_forwarded_address_is_counted(database_url, people):
    proxied = create_app({"DATABASE_URL": database_url, "SECRET_KEY": "s", "TESTING": True,
                          "WTF_CSRF_ENABLED": False, "PROXY_COUNT": 1})
    client = proxied.test_client()

    def attempt(username, password, client_address):
        return client.post("/login", data={"username": username, "password": password},
                           environ_base={"REMOTE_ADDR": "192.168.0.1"},
                           headers={"X-Forwarded-For": client_address})

    for i in range(20):
        assert attempt(f"guess{i}", "wrong-password", "203.0.113.9").status_code == 401
    assert attempt("editor", PASSWORD, "203.0.113.9").status_code == 429
    # Everyone else behind the same proxy still signs in.
    assert attempt("editor", PASSWORD, "198.51.100.7").status_code == 303
    get_engine(database_url).dispose()


def test_unknown_accounts_are_throttled_like_real_ones(client, people):
    for _ in range(5):
        assert _login(client, "nobody-here", "wrong-password").status_code == 401
    assert _login(client, "nobody-here", "wrong-password").status_code == 429


# Sessions and cookies

def test_signing_in_rotates_the_session(client, people):
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
    assert _login(client, "editor").status_code == 303
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session.get("_user_id")


def test_cookies_are_http_only_and_same_site_and_secure_when_switched_on(
        database_url, tmp_path, monkeypatch, people):
    monkeypatch.setenv("ANNOTATOR_INSTANCE", str(tmp_path / "instance"))
    monkeypatch.setenv("SESSION_COOKIE_SECURE", "true")
    secure = create_app({"DATABASE_URL": database_url, "SECRET_KEY": "s", "TESTING": True,
                         "WTF_CSRF_ENABLED": False})
    assert secure.config["SESSION_COOKIE_SECURE"] is True
    cookie = _login(secure.test_client(), "editor").headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    get_engine(database_url).dispose()


def test_cookies_are_not_secure_by_default_for_plain_http(client, people):
    cookie = _login(client, "editor").headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "Secure" not in cookie


# Headers

@pytest.mark.parametrize("path", ["/login", "/", "/no-such-page", "/api/v1/openapi.json",
                                  "/api/v1/articles"])
def test_every_response_carries_the_security_headers(as_user, path):
    response = as_user("editor").get(path)
    csp = response.headers["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in csp.split(";"))
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'"
    assert directives["object-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["base-uri"] == "'self'"
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] in {"same-origin", "no-referrer",
                                                   "strict-origin-when-cross-origin"}
    assert response.headers["X-Frame-Options"] == "DENY"


# Upload limits

def test_an_upload_over_the_size_limit_gets_a_clear_413_page(app, as_user):
    editor = as_user("editor")
    app.config["MAX_CONTENT_LENGTH"] = 64 * 1024
    response = editor.post("/articles", data={
        "title": "Big", "file": (io.BytesIO(b"word " * 40_000), "big.txt")},
        content_type="multipart/form-data")
    assert response.status_code == 413
    page = response.get_data(as_text=True)
    assert "more than this desk accepts in one request (0.1 MB)" in page
    assert "<html" in page.lower() and "Traceback" not in page


def test_an_api_body_over_the_size_limit_is_a_json_413(app, people, engine):
    from annotator.db import session_scope
    from annotator.services import users

    with session_scope(engine) as session:
        _, token = users.create_token(session, users.get_user(session, people["editor"]))
    app.config["MAX_CONTENT_LENGTH"] = 64 * 1024
    response = app.test_client().post("/api/v1/articles", json={"text": "word " * 40_000},
                                      headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 413
    assert response.get_json()["error"] == "Too large"


@pytest.mark.parametrize("name,data", [
    ("article.pdf", b"%PDF-1.4 not text"),
    ("article.exe", b"MZ\x90\x00"),
    ("article", b"no suffix at all"),
    ("article.txt", b"\xff\xfe\x00\x00 binary"),
    ("article.html", b"<p>text</p>\x00\x01"),
])
def test_it_refuses_uploads_that_are_not_text_articles(as_user, name, data):
    response = as_user("editor").post("/articles", data={
        "title": "Upload", "file": (io.BytesIO(data), name)},
        content_type="multipart/form-data")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert ("Upload a .txt, .md or .html file." in page or "not UTF-8 text" in page
            or "not a text file" in page)


# Error pages

@pytest.fixture
def crashing_app(app, monkeypatch):
    """The app with one extra route that fails the way a bug would."""
    def boom():
        raise RuntimeError("secret internals: /srv/annotator/db.py line 42")

    def api_boom():
        raise KeyError("internal key")

    monkeypatch.setitem(review.ROUTES, "boom", "public")
    monkeypatch.setitem(review.ROUTES, "api.boom", "public")
    app.add_url_rule("/boom", "boom", boom)
    app.add_url_rule("/api/v1/boom", "api.boom", api_boom)
    app.testing = False  # as deployed: nothing propagates to a debugger
    return app


def test_an_unexpected_error_is_a_500_page_without_a_stack_trace(crashing_app, caplog):
    response = crashing_app.test_client().get("/boom")
    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert "Something went wrong" in page
    for leak in ("Traceback", "RuntimeError", "secret internals", "db.py", 'File "'):
        assert leak not in page
    # The operator's log keeps the trace.
    assert any("secret internals" in (r.exc_text or "") or r.exc_info for r in caplog.records)


def test_an_unexpected_api_error_is_json_without_a_stack_trace(crashing_app):
    response = crashing_app.test_client().get("/api/v1/boom")
    assert response.status_code == 500
    body = response.get_json()
    assert body["error"] == "Something went wrong"
    assert "Traceback" not in response.get_data(as_text=True)
    assert "internal key" not in response.get_data(as_text=True)


def test_debug_mode_is_off_unless_asked_for(app):
    assert not app.debug
    assert app.config["SECRET_KEY"] and app.config["SESSION_COOKIE_HTTPONLY"]


def test_a_password_reset_or_role_change_ends_the_users_other_sessions(app, as_user, engine,
                                                                        people):
    from annotator.db import session_scope
    from annotator.models import User
    from annotator.services import users

    elsewhere, here = as_user("reviewer"), as_user("reviewer")
    assert elsewhere.get("/queue").status_code == 200
    response = here.post("/account/password", data={
        "current": "correct-horse-battery", "password": "a-brand-new-password",
        "confirm": "a-brand-new-password"})
    assert response.status_code == 303
    assert here.get("/queue").status_code == 200  # the session that changed it stays
    assert elsewhere.get("/queue").status_code == 302  # every other one is signed out

    with session_scope(engine) as s:
        users.change_role(s, s.get(User, people["admin"]), s.get(User, people["reviewer"]),
                          "editor")
    assert here.get("/queue").status_code == 302
