"""Import from a URL: a page served by the test itself, size and time limits, SSRF refusals."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from annotator import create_app
from annotator.db import session_scope
from annotator.models import User
from annotator.services import fetch, users
from annotator.services.errors import Invalid

PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Council doubles road budget | Riverton News</title>
<meta name="author" content="Ana Lima">
<meta property="article:published_time" content="2024-03-05T08:00:00Z">
<meta property="og:site_name" content="Riverton News">
</head><body><nav><a href="/">Home</a> <a href="/sport">Sport</a></nav>
<article><h1>Council doubles road budget</h1>
<p>The city council voted on Monday to double the road repair budget to 8.4 million dollars,
the largest increase since 1998, according to the finance office.</p>
<p>Officials said traffic deaths fell by 30 percent in the two years after new speed limits
were introduced on the ring road, citing police figures published in January.</p>
<p>The mayor, Elena Duarte, said unemployment in the city is at its lowest level since 1990,
at 3.1 percent, and that the new spending would create 400 jobs.</p>
<p>Critics argued that the municipal debt has grown by 45 percent in five years and that the
council has not published an audit since 2021.</p>
</article><footer>Subscribe to our newsletter. Cookie settings.</footer></body></html>"""


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):  # keep the test output clean
        pass

    def _send(self, status, body=b"", kind="text/html; charset=utf-8", headers=()):
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        for key, value in headers:
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):  # noqa: N802 - http.server's name
        port = self.server.server_address[1]
        if self.path == "/article":
            self._send(200, PAGE.encode())
        elif self.path == "/hop":
            self._send(302, headers=[("Location", "/article")])
        elif self.path == "/to-loopback":
            self._send(302, headers=[("Location", f"http://localhost:{port}/article")])
        elif self.path == "/loop":
            self._send(302, headers=[("Location", "/loop")])
        elif self.path == "/pdf":
            self._send(200, b"%PDF-1.4", "application/pdf")
        elif self.path == "/slow":
            time.sleep(1.5)
            self._send(200, PAGE.encode())
        else:
            self._send(404, b"not here")


@pytest.fixture
def site():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join(5)


def _token(engine, people, role="editor") -> dict:
    with session_scope(engine) as s:
        _, secret = users.create_token(s, s.get(User, people[role]))
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def open_app(database_url, tmp_path, monkeypatch):
    """An app that may fetch private addresses, as an intranet desk (or this test) sets it."""
    monkeypatch.setenv("ANNOTATOR_INSTANCE", str(tmp_path / "instance"))
    return create_app({"DATABASE_URL": database_url, "SECRET_KEY": "t", "TESTING": True,
                       "WTF_CSRF_ENABLED": False, "ALLOW_PRIVATE_URLS": True,
                       "FETCH_TIMEOUT": 0.5, "FETCH_MAX_BYTES": 100_000})


def test_the_api_imports_a_page_with_its_metadata(open_app, engine, people, site):
    client = open_app.test_client()
    response = client.post("/api/v1/articles", json={"url": f"{site}/hop"},
                           headers=_token(engine, people))
    assert response.status_code == 201, response.get_json()
    article = response.get_json()
    assert article["url"] == f"{site}/article"  # where the redirect led
    assert article["title"] == "Council doubles road budget"
    assert article["byline"] == "Ana Lima" and article["published"] == "2024-03-05"
    assert "double the road repair budget" in article["body"]
    assert "Cookie settings" not in article["body"]
    assert article["claims"]


def test_private_addresses_are_refused_by_default(client, engine, people, site):
    response = client.post("/api/v1/articles", json={"url": f"{site}/article"},
                           headers=_token(engine, people))
    assert response.status_code == 400
    assert response.get_json()["error"] == "Bad Request"
    assert "non-public address" in response.get_json()["detail"]


def test_every_redirect_hop_is_checked(site, monkeypatch):
    real = fetch.check_url
    first = f"{site}/to-loopback"

    def check(url, *, allow_private=False):
        if url != first:  # pretend only the first hop is public; check every other hop
            real(url, allow_private=allow_private)

    monkeypatch.setattr(fetch, "check_url", check)
    with pytest.raises(Invalid, match="non-public address"):
        fetch.fetch_page(first, fetch.FetchSettings())


@pytest.mark.parametrize("url, message", [
    ("ftp://example.org/a", "Only http"),
    ("file:///etc/passwd", "Only http"),
    ("http://10.1.2.3/", "non-public"),
    ("http://169.254.169.254/latest/meta-data/", "non-public"),
    ("http://[::1]:8080/", "non-public"),
    ("http://[::ffff:127.0.0.1]/", "non-public"),
    ("http://0.0.0.0/", "non-public"),
    ("http://user:pw@8.8.8.8/", "user name or password"),
    ("http:///nohost", "no host"),
])
def test_unsafe_addresses_are_refused_before_any_request(url, message):
    with pytest.raises(Invalid, match=message):
        fetch.check_url(url)


@pytest.mark.parametrize("path, message", [
    ("/pdf", "not a web page"),
    ("/missing", "answered 404"),
    ("/loop", "redirected more than 5 times"),
    ("/slow", "did not answer within 0.5 s"),
])
def test_fetch_failures_give_clear_messages(site, path, message):
    settings = fetch.FetchSettings(allow_private=True, timeout=0.5)
    with pytest.raises(Invalid, match=message):
        fetch.fetch_page(site + path, settings)


def test_a_page_over_the_size_limit_is_refused(site):
    settings = fetch.FetchSettings(allow_private=True, max_bytes=500)
    with pytest.raises(Invalid, match="larger than"):
        fetch.fetch_page(f"{site}/article", settings)


def test_the_web_form_imports_and_opens_the_article(open_app, people, site):
    client = open_app.test_client()
    assert client.post("/login", data={"username": "editor",
                                       "password": "correct-horse-battery"}).status_code == 303
    assert client.get("/articles/import-url").status_code == 200
    response = client.post("/articles/import-url", data={"url": f"{site}/article"})
    assert response.status_code == 303 and "/articles/" in response.headers["Location"]
    again = client.post("/articles/import-url", data={"url": f"{site}/article"})
    assert again.status_code == 409 and "imported already" in again.get_data(as_text=True)
    missing = client.post("/articles/import-url", data={"url": f"{site}/pdf"})
    assert missing.status_code == 400 and "not a web page" in missing.get_data(as_text=True)
