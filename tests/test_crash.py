"""SIGKILL the gunicorn-served app mid-import and mid-bulk-assignment: all or nothing survives.

The app runs as in production (gunicorn, two workers) in its own process group, which the
test kills outright, master and workers together, while a request is inside its
transaction. After a restart the database must hold each import or assignment whole or not
at all, and (SQLite) pass PRAGMA integrity_check. The database is the pass's own: SQLite,
or PostgreSQL when TEST_DATABASE_URL names one.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests
from sqlalchemy import func, insert, select

from annotator import extract
from annotator.db import get_engine, session_scope
from annotator.models import Article, Claim, Event
from annotator.services import users as user_service
from annotator.services.articles import content_hash

GUNICORN = Path(sys.executable).parent / "gunicorn"
PASSWORD = "crash-test-password"
KIND = "postgresql" if os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql") \
    else "sqlite"


class Server:
    """The app under gunicorn, as deployed, in a process group of its own."""

    def __init__(self, url: str, folder: Path, workers: int = 2):
        self.url, self.folder, self.workers = url, folder, workers
        self.proc: subprocess.Popen | None = None
        self.log = folder / "gunicorn.log"

    def start(self) -> str:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        env = {**os.environ, "DATABASE_URL": self.url, "SECRET_KEY": "crash-test",
               "ANNOTATOR_INSTANCE": str(self.folder / "instance"),
               # The import itself is what the kill interrupts: keep it in the request.
               "IMPORT_QUEUE_BYTES": "0"}
        with self.log.open("a") as log:
            self.proc = subprocess.Popen(
                [str(GUNICORN), "-w", str(self.workers), "-b", f"127.0.0.1:{port}",
                 "--timeout", "120", "annotator.wsgi:app"],
                env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        self.base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, self.log.read_text()[-3000:]
            # A worker still importing the app leaves the connection waiting in the backlog.
            with contextlib.suppress(requests.RequestException):
                if requests.get(f"{self.base}/login", timeout=30).status_code == 200:
                    return self.base
            time.sleep(0.1)
        raise AssertionError("gunicorn did not come up:\n" + self.log.read_text()[-3000:])

    def kill(self) -> None:
        """SIGKILL master and workers at once: no graceful shutdown, no rollback."""
        if self.proc is not None and self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)
        self.proc = None


@pytest.fixture
def server(fresh_database, tmp_path):
    url = fresh_database(KIND)
    srv = Server(url, tmp_path)
    yield srv
    srv.kill()
    get_engine(url).dispose()


def _check_integrity(url: str) -> None:
    if not url.startswith("sqlite"):
        return
    conn = sqlite3.connect(url.removeprefix("sqlite:///"))
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    finally:
        conn.close()


def _post_in_background(method, *args, **kwargs) -> dict:
    """Send a request from a thread; the dict gets the response, or the error."""
    out: dict = {}

    def run():
        try:
            out["response"] = method(*args, timeout=120, **kwargs)
        except requests.RequestException as exc:
            out["error"] = exc

    out["thread"] = threading.Thread(target=run, daemon=True)
    out["thread"].start()
    return out


def _big_text(shared: Path, n: int, copies: int = 120) -> str:
    """About 1.2 MB of article text, different for each n so no import is a duplicate."""
    base = (shared / "articles" / "kazakh-conscriptions.txt").read_text(encoding="utf-8")
    return "\n\n".join(base.replace("Kazakh", f"Kazakh-{n}-{i}") for i in range(copies))


def _article_state(url: str, digest: str) -> tuple[bool, int]:
    """Return whether the article exists (checking it is whole) and its proposal count."""
    engine = get_engine(url)
    with session_scope(engine, write=False) as session:
        article = session.exec(select(Article).where(Article.content_hash == digest)).scalar()
        orphans = session.exec(select(func.count()).select_from(Claim).where(
            Claim.article_id.not_in(select(Article.id)))).scalar()
        assert orphans == 0
        if article is None:
            return False, 0
        claims = session.exec(select(func.count()).select_from(Claim)
                              .where(Claim.article_id == article.id)).scalar()
        imports = session.exec(select(Event).where(Event.article_id == article.id,
                                                   Event.action == "import")).scalars().all()
        assert len(imports) == 1
        # Every candidate the import stored: the proposals and those held back by the budget.
        recorded = imports[0].new
        assert claims == recorded["proposed"] + recorded["below_budget"]
        assert recorded["proposed"] > 0
        assert len(article.raw) > 1_000_000
        return True, recorded["proposed"]


def test_a_killed_import_leaves_the_whole_article_or_none(server, shared):
    url = server.url
    with session_scope(get_engine(url)) as session:
        editor = user_service.create_user(session, "ed", "editor", PASSWORD)
        _, token = user_service.create_token(session, editor)
    get_engine(url).dispose()
    headers = {"Authorization": f"Bearer {token}"}

    interrupted = 0
    for n, delay in enumerate((0.3, 1.2, 2.5)):
        text = _big_text(shared, n)
        digest = content_hash(extract.clean_text(text).text)
        base = server.start()
        call = _post_in_background(requests.post, f"{base}/api/v1/articles", headers=headers,
                                   json={"text": text, "title": f"Big {n}"})
        time.sleep(delay)
        server.kill()
        call["thread"].join(30)
        if "error" in call:
            interrupted += 1
        else:
            assert call["response"].status_code == 201, call["response"].text[:500]
        server.start()  # a restart recovers the database (SQLite replays or drops its WAL)
        server.kill()
        _check_integrity(url)
        exists, _ = _article_state(url, digest)
        assert exists == ("response" in call), (n, delay)
    assert interrupted >= 2, "the imports finished before the kill; make them bigger"

    # The server still imports a whole article after all that.
    text = _big_text(shared, 99)
    base = server.start()
    response = requests.post(f"{base}/api/v1/articles", headers=headers,
                             json={"text": text, "title": "Whole"}, timeout=120)
    assert response.status_code == 201, response.text[:500]
    server.kill()
    _check_integrity(url)
    assert _article_state(url, content_hash(extract.clean_text(text).text)) == (
        True, len(response.json()["claims"]))
    assert "Traceback" not in server.log.read_text()


BATCH = 400


def _seed_claims(url: str, batches: int) -> tuple[list[list[int]], list[int]]:
    engine = get_engine(url)
    with session_scope(engine) as session:
        user_service.create_user(session, "ed", "editor", PASSWORD)
        reviewers = [user_service.create_user(session, f"r{i}", "reviewer", PASSWORD).id
                     for i in range(2)]
        article = Article(title="Many claims", body="x" * 1000, raw="x", content_hash="m" * 64)
        session.add(article)
        session.flush()
        session.exec(insert(Claim), params=[
            {"article_id": article.id, "start": i, "end": i + 1, "quote": "x",
             "statement": f"claim {i}", "state": "open", "reasons": []}
            for i in range(BATCH * batches)])
        ids = list(session.exec(select(Claim.id).order_by(Claim.id)).scalars())
    engine.dispose()
    return [ids[i * BATCH:(i + 1) * BATCH] for i in range(batches)], reviewers


def _login(base: str) -> tuple[requests.Session, str]:
    browser = requests.Session()
    page = browser.get(f"{base}/login", timeout=30).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = browser.post(f"{base}/login", data={"csrf_token": token, "username": "ed",
                                                   "password": PASSWORD},
                            allow_redirects=False, timeout=30)
    assert response.status_code == 303, response.text[:300]
    page = browser.get(f"{base}/claims", timeout=30).text
    return browser, re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def _assigned(url: str, claim_ids: list[int]) -> tuple[int, int]:
    """Return how many of the claims are assigned, checking each has its one event."""
    with session_scope(get_engine(url), write=False) as session:
        claims = session.exec(select(Claim).where(Claim.id.in_(claim_ids))).scalars().all()
        events = session.exec(select(Event).where(Event.claim_id.in_(claim_ids),
                                                  Event.action == "assign")).scalars().all()
    assigned = [c for c in claims if c.assignee_id is not None]
    # Assigning is not starting: an assigned claim stays open, one version on.
    assert all(c.state == "open" and c.version == 2 for c in assigned)
    assert all(c.state == "open" and c.version == 1 for c in claims if c.assignee_id is None)
    assert sorted(e.claim_id for e in events) == sorted(c.id for c in assigned)
    return len(assigned), len(events)


def _bulk_form(token: str, claim_ids: list[int], reviewers: list[int]) -> list[tuple]:
    return [("csrf_token", token), *(("claim", c) for c in claim_ids),
            *(("assignee", r) for r in reviewers)]


def test_a_killed_bulk_assignment_leaves_every_assignment_or_none(server):
    url = server.url
    batches, reviewers = _seed_claims(url, 4)

    # A bulk assignment allowed to finish, timed, so the kills land inside the next ones.
    base = server.start()
    browser, token = _login(base)
    began = time.monotonic()
    response = browser.post(f"{base}/claims/bulk-assign", allow_redirects=False, timeout=120,
                            data=_bulk_form(token, batches[0], reviewers))
    duration = time.monotonic() - began
    assert response.status_code == 303
    assert _assigned(url, batches[0]) == (BATCH, BATCH)

    interrupted = 0
    for claim_ids, fraction in zip(batches[1:], (0.2, 0.45, 0.7), strict=True):
        base = server.start() if server.proc is None else base
        browser, token = _login(base)
        call = _post_in_background(browser.post, f"{base}/claims/bulk-assign",
                                   allow_redirects=False,
                                   data=_bulk_form(token, claim_ids, reviewers))
        time.sleep(duration * fraction)
        server.kill()
        call["thread"].join(30)
        interrupted += "error" in call
        server.start()
        server.kill()
        _check_integrity(url)
        assert _assigned(url, claim_ids) in {(0, 0), (BATCH, BATCH)}
        if "error" in call:
            continue
        assert _assigned(url, claim_ids) == (BATCH, BATCH)
    assert interrupted >= 2, f"bulk assignment took {duration:.2f}s; the kills came too late"
