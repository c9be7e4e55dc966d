"""Hardening: login throttling, session rotation, cookies, headers, upload limits, error pages."""

from __future__ import annotations

import io

import pytest
from sqlmodel import select

from annotator import create_app
from annotator.db import get_engine
from annotator.permissions import requires

PASSWORD = "correct-horse-battery"  # the suite's password, see tests/conftest.py


def _login(client, username, password=PASSWORD, address="10.1.1.1"):
    return client.post("/login", data={"username": username, "password": password},
                       environ_base={"REMOTE_ADDR": address})


def _signed_in(client) -> bool:
    return client.get("/", follow_redirects=False).status_code == 200


# Login throttling

def test_a_guesser_is_slowed_but_the_owner_elsewhere_signs_in(client, people):
    for _ in range(3):
        assert _login(client, "reviewer", "wrong-password").status_code == 401
    response = _login(client, "reviewer")  # the right password, from the guessing address
    assert response.status_code == 429
    assert "Too many failed sign-ins for this account from here" in response.get_data(True)
    assert 0 < int(response.headers["Retry-After"]) <= 15 * 60
    assert not _signed_in(client)
    assert _login(client, "reviewer", address="10.9.9.9").status_code == 303


def test_a_newsrooms_shared_address_does_not_lock_everyone_out(client, people):
    for i in range(20):
        assert _login(client, f"guess{i}", "wrong-password", "10.2.2.2").status_code == 401
    assert _login(client, "editor", address="10.2.2.2").status_code == 303


def test_a_success_clears_the_failures_from_that_address(client, people):
    for _ in range(2):
        _login(client, "reviewer", "wrong-password")
    assert _login(client, "reviewer").status_code == 303
    client.post("/logout")
    for _ in range(2):
        assert _login(client, "reviewer", "wrong-password").status_code == 401
    assert _login(client, "reviewer").status_code == 303


def test_the_counts_hold_across_app_servers(app, people, database_url, tmp_path):
    other = create_app({"DATABASE_URL": database_url, "SECRET_KEY": "test-secret",
                        "TESTING": True, "WTF_CSRF_ENABLED": False})
    first, second = app.test_client(), other.test_client()
    for client in (first, second, first):
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

    for _ in range(3):
        assert attempt("editor", "wrong-password", "203.0.113.9").status_code == 401
    assert attempt("editor", PASSWORD, "203.0.113.9").status_code == 429
    # Everyone else behind the same proxy still signs in.
    assert attempt("editor", PASSWORD, "198.51.100.7").status_code == 303
    get_engine(database_url).dispose()


def test_unknown_accounts_are_throttled_like_real_ones(client, people):
    for _ in range(3):
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
    assert response.get_json()["error"] == "Request Entity Too Large"


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

    app.add_url_rule("/boom", "boom", requires("public")(boom))
    app.add_url_rule("/api/v1/boom", "api.boom", requires("public")(api_boom))
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
    assert any(r.exc_info and "secret internals" in str(r.exc_info[1])
               for r in caplog.records)


def test_an_unexpected_api_error_is_json_without_a_stack_trace(crashing_app):
    response = crashing_app.test_client().get("/api/v1/boom")
    assert response.status_code == 500
    body = response.get_json()
    assert body["error"] == "Internal Server Error" and "logged" in body["detail"]
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


# Bad input gets a 4xx (the fuzz test in test_fuzz_routes.py covers every route)

@pytest.mark.parametrize("url", [
    "/claims?page=9999999999999999999999999",
    "/claims?article=18446744073709551621",
    "/dashboard?article=18446744073709551621",
    "/exports/json?article=18446744073709551621",
    "/exports/download?format=json&article=18446744073709551621",
    "/exports/download?format=csv&since=0001-01-01T00:00:00%2B14:00",
    "/exports/download?format=csv&until=9999-12-31T23:59:59-14:00",
    "/claims/1/live?since=18446744073709551621",
    "/pick/articles?q=18446744073709551621",
])
def test_hostile_numbers_and_dates_never_give_a_500(as_user, url, caplog):
    import logging
    with caplog.at_level(logging.ERROR):
        response = as_user("editor").get(url, follow_redirects=True)
        body = response.get_data()  # the whole body: an export must not break off midway
    assert response.status_code < 500, body[:300]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_a_nul_byte_is_refused_before_it_reaches_the_database(as_user, app, people):
    client = as_user("editor")
    response = client.post("/articles", data={"text": "The council said \x00 bus lanes cut "
                                                      "commutes by 34 percent on Tuesday."})
    assert response.status_code == 400 and "NUL byte" in response.get_data(as_text=True)
    from annotator.db import session_scope
    from annotator.models import User
    from annotator.services import users
    with session_scope(get_engine(app.config["DATABASE_URL"])) as s:
        _, token = users.create_token(s, s.get(User, people["editor"]))
    api = app.test_client().post("/api/v1/articles", json={"text": "nul \u0000 here"},
                                 headers={"Authorization": f"Bearer {token}"})
    assert api.status_code == 400


@pytest.mark.parametrize("body", [
    "[" * 100_000,  # unbalanced: the parser stops some thousand levels down
    "[" * (5 * 1024 * 1024),
    '{"text": "x", "title": ' + "[" * 65 + "]" * 65 + "}",  # parses, one level too deep
    '{"a": ' * 2000 + "1" + "}" * 2000,
])
def test_a_deeply_nested_json_body_gets_a_400(app, people, body):
    from annotator.db import session_scope
    from annotator.models import User
    from annotator.services import users
    with session_scope(get_engine(app.config["DATABASE_URL"])) as s:
        _, token = users.create_token(s, s.get(User, people["editor"]))
    response = app.test_client().post("/api/v1/articles", data=body,
                                      headers={"Authorization": f"Bearer {token}",
                                               "Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.get_json()["detail"] == (
        "The body cannot be read as JSON: The JSON nests deeper than 64 levels. "
        "Send a JSON object with Content-Type: application/json.")


def test_json_nested_to_the_limit_is_read(app, people):
    from annotator.db import session_scope
    from annotator.models import User
    from annotator.services import users
    with session_scope(get_engine(app.config["DATABASE_URL"])) as s:
        _, token = users.create_token(s, s.get(User, people["editor"]))
    deep = "[" * 63 + "]" * 63  # in an object: 64 levels
    response = app.test_client().post(
        "/api/v1/articles", data='{"text": "The mayor said 40 buses run.", "x": ' + deep + "}",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    assert "nests deeper" not in response.get_data(as_text=True)


# Sessions end on the server

def _copy_cookie(app, client):
    """Return a second client holding a copy of this client's session cookie."""
    thief = app.test_client()
    thief.set_cookie("session", client.get_cookie("session").value)
    return thief


def test_a_copied_cookie_stops_working_at_logout(app, as_user):
    editor = as_user("editor")
    thief = _copy_cookie(app, editor)
    assert thief.get("/queue").status_code == 200
    editor.post("/logout")
    assert thief.get("/queue").status_code == 302  # the login page


def test_a_signed_in_request_reads_its_session_and_its_user_in_one_query(app, as_user,
                                                                         engine, people):
    """The user loader's one round trip: the user read with the session row is kept."""
    from sqlalchemy import event

    editor = as_user("editor")
    editor.get("/queue")  # the session's last use is written (once a minute at most)
    seen: list[str] = []

    def remember(conn, cursor, statement, parameters, context, executemany):
        seen.append(" ".join(statement.replace('"', "").split()))  # "user" on PostgreSQL

    event.listen(engine, "before_cursor_execute", remember)
    try:
        assert editor.get("/account").status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", remember)
    sessions = [q for q in seen if "FROM loginsession" in q]
    assert len(sessions) == 1 and "JOIN user ON" in sessions[0]
    by_id = [q for q in seen if q.startswith("SELECT") and "FROM user WHERE user.id =" in q]
    assert by_id == [], by_id  # not read a second time by the loader


def test_deactivation_ends_sessions_and_reactivation_does_not_revive_them(app, as_user,
                                                                          engine, people):
    from annotator.db import session_scope
    from annotator.models import User
    from annotator.services import users

    reviewer = as_user("reviewer")
    thief = _copy_cookie(app, reviewer)
    with session_scope(engine) as s:
        admin, target = s.get(User, people["admin"]), s.get(User, people["reviewer"])
        users.deactivate(s, admin, target)
        users.reactivate(s, admin, target)
    assert reviewer.get("/queue").status_code == 302
    assert thief.get("/queue").status_code == 302


def test_an_admin_reset_ends_sessions_and_revokes_api_tokens(app, as_user, engine, people):
    from annotator.db import session_scope
    from annotator.models import ApiToken, User
    from annotator.services import users

    reviewer = as_user("reviewer")
    with session_scope(engine) as s:
        _, secret = users.create_token(s, s.get(User, people["reviewer"]))
    api = {"Authorization": f"Bearer {secret}"}
    assert app.test_client().get("/api/v1/articles", headers=api).status_code == 200
    with session_scope(engine) as s:
        users.reset_password(s, s.get(User, people["admin"]), s.get(User, people["reviewer"]),
                             "a-fresh-password-9")
        assert all(t.revoked_at for t in s.exec(select(ApiToken)).all())
    assert reviewer.get("/queue").status_code == 302
    assert app.test_client().get("/api/v1/articles", headers=api).status_code == 401


@pytest.mark.parametrize("column, age", [("last_seen_at", {"hours": 13}),
                                         ("created_at", {"days": 15})])
def test_sessions_expire_when_idle_and_at_their_lifetime(app, as_user, engine, column, age):
    from datetime import timedelta

    from sqlalchemy import update

    from annotator.db import session_scope
    from annotator.models import LoginSession, utcnow

    editor = as_user("editor")
    assert editor.get("/queue").status_code == 200
    with session_scope(engine) as s:
        s.exec(update(LoginSession).values({column: utcnow() - timedelta(**age)}))
    assert editor.get("/queue").status_code == 302


def test_session_lifetimes_are_settings(database_url, people):
    from annotator.services.sessions import Lifetimes
    app = create_app({"DATABASE_URL": database_url, "SECRET_KEY": "s", "TESTING": True,
                      "SESSION_IDLE_HOURS": 1, "SESSION_LIFETIME_DAYS": 2})
    lifetimes = Lifetimes.from_config(app.config)
    assert (lifetimes.idle.total_seconds(), lifetimes.absolute.days) == (3600, 2)
    assert Lifetimes.from_config(create_app({"DATABASE_URL": database_url, "SECRET_KEY": "s",
                                             "TESTING": True}).config) == Lifetimes()
    get_engine(database_url).dispose()
