"""URL import: one deadline for the whole fetch, the checked address pinned, no lock held."""

from __future__ import annotations

import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlmodel import select

from annotator import create_app
from annotator.db import session_scope
from annotator.models import Article, User
from annotator.services import events, fetch, users
from annotator.services.errors import Invalid

PAGE = (b"<!doctype html><html><head><title>Harbour report</title></head><body><article>"
        b"<p>The harbour handled 3.1 million containers in 2024, the port authority said, "
        b"up 12 percent on the year before.</p></article></body></html>")


class Handler(BaseHTTPRequestHandler):
    trickling = threading.Event()  # set once a /trickle request has its headers

    def log_message(self, *args):
        pass

    def do_GET(self):  # noqa: N802 - http.server's name
        if self.path == "/trickle":
            # Headers at once, then one byte at a time: each read is quick, the whole is not.
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            Handler.trickling.set()
            for _ in range(200):
                try:
                    self.wfile.write(b"x")
                    self.wfile.flush()
                except OSError:
                    return
                time.sleep(0.2)
        elif self.path == "/slow-headers":
            for line in (b"HTTP/1.1 200 OK\r\n", b"Content-Type: text/html\r\n",
                         b"X-A: 1\r\n", b"X-B: 2\r\n", b"X-C: 3\r\n", b"X-D: 4\r\n") * 20:
                try:
                    self.wfile.write(line)
                    self.wfile.flush()
                except OSError:
                    return
                time.sleep(0.2)
        elif self.path.startswith("/charset/"):
            # A page that declares a codec that is no text encoding, in the header or a meta.
            name = self.path.rsplit("/", 1)[1]
            body = (f'<html><head><meta charset="{name}"><title>Caf\u00e9</title></head>'
                    f'<body><p>Caf\u00e9 prices rose 4 percent in 2024.</p></body></html>'
                    ).encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html" if "meta" in self.headers.get(
                "X-Where", "") else f"text/html; charset={name}")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        elif self.path == "/host":
            body = (self.headers.get("Host") or "").encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        else:
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(PAGE)))
            self.end_headers()
            self.wfile.write(PAGE)


@pytest.fixture
def site():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("path", ["/trickle", "/slow-headers"])
def test_the_timeout_bounds_the_whole_fetch_not_each_read(site, path):
    settings = fetch.FetchSettings(allow_private=True, timeout=1.0)
    began = time.monotonic()
    with pytest.raises(Invalid, match="did not answer within 1 s"):
        fetch.fetch_page(site + path, settings)
    assert time.monotonic() - began < 2.5


def test_the_connection_goes_to_the_address_that_was_checked(monkeypatch):
    """DNS rebinding: the second answer (loopback) is never asked for, never connected to."""
    answers = [[(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", 80))],
               [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", 80))]]
    asked, connected = [], []

    def getaddrinfo(host, port, *args, **kwargs):
        asked.append(host)
        return answers[min(len(asked) - 1, 1)]

    def create_connection(address, timeout=None, *args, **kwargs):
        connected.append(address)
        raise ConnectionRefusedError("test: not really connecting")

    monkeypatch.setattr(fetch.socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(fetch.socket, "create_connection", create_connection)
    with pytest.raises(Invalid, match="could not be fetched"):
        fetch.fetch_page("http://rebind.example/article", fetch.FetchSettings(timeout=2))
    assert asked == ["rebind.example"]
    assert connected == [("93.184.216.34", 80)]


def test_the_pinned_connection_keeps_the_host_name(site, monkeypatch):
    port = site.rsplit(":", 1)[1]
    real = socket.getaddrinfo
    monkeypatch.setattr(fetch.socket, "getaddrinfo", lambda host, *a, **k: real(
        "127.0.0.1" if host == "news.example" else host, *a, **k))
    page = fetch.fetch_page(f"http://news.example:{port}/host",
                            fetch.FetchSettings(allow_private=True, timeout=2))
    assert page.html == f"news.example:{port}"


@pytest.mark.parametrize("name", ["idna", "punycode", "base64", "rot13", "unicode_escape",
                                  "no-such-codec", "utf-7"])
def test_a_page_declaring_a_codec_that_is_no_page_encoding_reads_as_utf8(site, name):
    settings = fetch.FetchSettings(allow_private=True, timeout=2)
    page = fetch.fetch_page(f"{site}/charset/{name}", settings)
    assert "Caf\u00e9 prices rose" in page.html


@pytest.mark.parametrize("declared,codec", [("idna", "utf-8"), ("PUNYCODE", "utf-8"),
                                            ("windows-1251", "cp1251"), ("latin1", "iso8859-1"),
                                            ("'utf-8'", "utf-8"), ("zlib", "utf-8")])
def test_a_declared_charset_is_checked_against_the_codec_registry(declared, codec):
    assert fetch.safe_codec(declared) == codec


@pytest.mark.parametrize("url", ["javascript:alert(1)", "http://a.example/\x01",
                                 " http://a.example/", "http://a.example/\n"])
def test_one_validator_refuses_odd_addresses(url):
    with pytest.raises(Invalid):
        fetch.check_url(url, allow_private=True)


@pytest.fixture
def slow_app(database_url, tmp_path, monkeypatch):
    monkeypatch.setenv("ANNOTATOR_INSTANCE", str(tmp_path / "instance"))
    return create_app({"DATABASE_URL": database_url, "SECRET_KEY": "t", "TESTING": True,
                       "WTF_CSRF_ENABLED": False, "ALLOW_PRIVATE_URLS": True,
                       "FETCH_TIMEOUT": 1.5})


@pytest.mark.parametrize("face", ["api", "html"])
def test_a_slow_site_holds_no_lock_and_answers_a_4xx_in_time(slow_app, engine, people, site,
                                                             face):
    client = slow_app.test_client()
    if face == "api":
        with session_scope(engine) as s:
            _, secret = users.create_token(s, s.get(User, people["editor"]))

        def call():
            return client.post("/api/v1/articles", json={"url": f"{site}/trickle"},
                               headers={"Authorization": f"Bearer {secret}"})
    else:
        assert client.post("/login", data={"username": "editor",
                                           "password": "correct-horse-battery"}
                           ).status_code == 303

        def call():
            return client.post("/articles/import-url", data={"url": f"{site}/trickle"})

    result = {}

    def run():
        began = time.monotonic()
        result["response"] = call()
        result["took"] = time.monotonic() - began

    Handler.trickling.clear()
    thread = threading.Thread(target=run)
    thread.start()
    assert Handler.trickling.wait(10)  # the fetch is under way
    began = time.monotonic()
    with session_scope(engine) as s:  # a concurrent write, as a note or an edit would be
        events.record(s, "note", actor=s.get(User, people["editor"]), new={"body": "meanwhile"})
    write_took = time.monotonic() - began
    thread.join(10)
    assert write_took < 1.0
    response = result["response"]
    assert 400 <= response.status_code < 500
    assert "did not answer within 1.5 s" in response.get_data(as_text=True)
    assert result["took"] < 1.5 + 3
    with session_scope(engine) as s:
        assert s.exec(select(Article)).all() == []
