"""Load benchmark: simulated reviewers against the app served by gunicorn, as in production.

    .venv/bin/python bench/load.py --db sqlite|postgres --mode human|max --seconds N

It seeds a fresh database (SQLite in a temporary folder, or a throwaway schema on the
PostgreSQL at 127.0.0.1:5432), serves the app with gunicorn on 127.0.0.1 only, and runs 20
reviewers. Each signs in through the HTML form and works through the claims of its own
article: queue, article page, claim panel (htmx), accept, start, save a verdict, add a source
and a note, submit, with live-update polls between. `human` pauses 0.5-2 s between actions,
`max` never pauses and also measures a bare Flask route served the same way, for a ratio.
It then checks that every accepted write is in the database, and times the server-side
render of an article page with 300 claims through Flask's test client.

`--bursts` (issue 19) adds, every `--burst-every` seconds during the run, a burst of slow work
at once: an editor pastes a 4 MB article through the API, an admin retrains the scorer from
the admin page, and a viewer tries 20 wrong passwords on the password form in parallel. A
queue worker runs beside the server (at its own niceness 10), as `make run` has one: the
paste (over IMPORT_QUEUE_BYTES) and the retraining are jobs, and a burst lasts until the
worker has done them. The report then gives the p99 of the reviewers' writes (saves, sources, notes,
transitions) overall and inside the bursts; run once with and once without to compare.

`--archive PATH` runs on a large archive instead (a SQLite file kept by `bench/scale.py
--keep DIR --build-only`, or a PostgreSQL URL); `--export` meanwhile has a queue worker, at a
lower CPU priority, prepare a JSON export of the whole archive, as the Exports page does.
"""

from __future__ import annotations

import argparse
import gc
import json
import multiprocessing
import os
import random
import re
import secrets
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import requests
import serving  # bench/serving.py, beside this script

ROOT = Path(__file__).resolve().parent.parent
SHARED_ARTICLE = ROOT.parent / "shared" / "articles" / "kazakh-conscriptions.txt"
# Longer than a reviewer's pause, so an idle keep-alive connection is not closed just as the
# next request goes out (a reverse proxy does this in production).
KEEP_ALIVE = ("--keep-alive", "10")
PG_BASE = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
TARGETS_MS = {"panel": 50, "save": 50}
VERSION_RE = re.compile(r'name="version" value="(\d+)"')
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


# Measurements

@dataclass
class Stats:
    """Latencies per action, errors, and the ledger of writes the server accepted."""

    times: dict = field(default_factory=lambda: defaultdict(list))
    errors: list = field(default_factory=list)
    ledger: list = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    ended: dict = field(default_factory=lambda: defaultdict(list))

    def add(self, action: str, seconds: float) -> None:
        with self.lock:
            self.times[action].append(seconds)
            self.ended[action].append((time.monotonic(), seconds))

    def error(self, action: str, message: str) -> None:
        with self.lock:
            self.errors.append((action, message))

    def wrote(self, kind: str, claim_id: int, value: str) -> None:
        with self.lock:
            self.ledger.append((kind, claim_id, value))


def percentile(values: list[float], p: float) -> float:
    """Return the p-th percentile (nearest rank) of values."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


# Database and seed data

def database_url(kind: str, folder: Path) -> tuple[str, str | None]:
    """Return a fresh database URL, and the PostgreSQL schema to drop afterwards."""
    if kind == "sqlite":
        return f"sqlite:///{folder / 'bench.db'}", None
    from sqlalchemy import text

    from annotator.db import get_engine

    schema = f"bench_{uuid.uuid4().hex[:10]}"
    with get_engine(PG_BASE).begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    return f"{PG_BASE}?options=-csearch_path%3D{schema}", schema


def drop_schema(schema: str) -> None:
    from sqlalchemy import text

    from annotator.db import get_engine

    with get_engine(PG_BASE).begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))


@dataclass
class Seed:
    password: str
    reviewers: list[tuple[str, int]]  # username, article id
    claims: dict[int, list[int]]  # article id -> proposed claim ids in reading order
    big_article: int
    big_reader: int


def seed(url: str, reviewers: int, copies: int = 3, prefix: str = "bench") -> Seed:
    """Create the desk: an editor, reviewers, one article each, and a 300-claim article."""
    from sqlmodel import select

    from annotator import extract, migrate
    from annotator.db import get_engine, session_scope
    from annotator.models import Article, Claim
    from annotator.services import articles, events, users

    migrate.upgrade(url)
    engine = get_engine(url)
    password = secrets.token_urlsafe(16)
    text = SHARED_ARTICLE.read_text(encoding="utf-8")
    out_reviewers, out_claims = [], {}
    with session_scope(engine) as session:
        editor = users.create_user(session, f"{prefix}-editor", "editor", password)
        if prefix != "bench":  # a run on an --archive: its own copies, beside earlier runs'
            text = text.replace("Kazakh", f"Kazakh ({prefix})", 1)
        first = articles.import_article(session, editor, articles.ImportRequest(
            text=text, title="Kazakh conscriptions", outlet="RFE/RL"))
        proposed = articles.article_claims(session, first.id)
        # Each reviewer gets a copy of the article, the text `copies` times over, so there
        # is enough work for a long run without pauses.
        unit = first.body + "\n\n"
        for i in range(reviewers):
            name = f"{prefix}-r{i + 1:02d}"
            reviewer = users.create_user(session, name, "reviewer", password, f"Reviewer {i + 1}")
            body = unit * copies + f"Desk copy {i + 1}."
            article = Article(title=f"Kazakh conscriptions, desk copy {i + 1}", body=body,
                              raw=body, outlet="RFE/RL", language=first.language,
                              content_hash=articles.content_hash(body),
                              created_by_id=editor.id)
            session.add(article)
            session.flush()
            session.add_all(
                Claim(article_id=article.id, start=c.start + k * len(unit),
                      end=c.end + k * len(unit), quote=c.quote, prefix=c.prefix,
                      suffix=c.suffix, statement=c.statement, score=c.score,
                      reasons=c.reasons, origin="machine", state="proposed")
                for k in range(copies) for c in proposed)
            events.record(session, "import", actor=editor, article_id=article.id,
                          new={"title": article.title, "proposed": copies * len(proposed)})
            session.flush()
            out_claims[article.id] = list(session.exec(
                select(Claim.id).where(Claim.article_id == article.id)
                .order_by(Claim.start)).all())
            out_reviewers.append((name, article.id))
        big, reader = _big_article(session, editor, text, extract), reviewer.id
    engine.dispose()
    return Seed(password, out_reviewers, out_claims, big, reader)


def _big_article(session, editor, text: str, extract) -> int:
    """An article with 300 claims in every state, for the page-render timing."""
    from annotator.models import Article, Claim, Source
    from annotator.services import articles, events

    body = "\n\n".join(text.replace("Kazakh", f"Kazakh ({i})") for i in range(6))
    sentences = [s for s in extract.split_sentences(body, "en") if len(s.text) > 25][:300]
    assert len(sentences) == 300, len(sentences)
    article = Article(title="Three hundred claims", body=body, raw=body,
                      content_hash=articles.content_hash(body), created_by_id=editor.id)
    session.add(article)
    session.flush()
    states = ["proposed", "open", "in_progress", "in_review", "approved", "dismissed"]
    claims = []
    for n, s in enumerate(sentences):
        state = states[n % len(states)]
        done = state in {"in_review", "approved"}
        claims.append(Claim(
            article_id=article.id, start=s.start, end=s.end, quote=s.text,
            prefix=body[max(0, s.start - 32):s.start], suffix=body[s.end:s.end + 32],
            statement=s.text, score=0.5, reasons=["bench"], state=state,
            verdict="mixed" if done else None, conclusion="Checked." if done else "",
            assignee_id=editor.id if state == "in_progress" else None))
    session.add_all(claims)
    session.flush()
    for c in claims[::3]:
        session.add(Source(claim_id=c.id, url="https://example.org/s", title="Source",
                           stance="context", created_by_id=editor.id))
        events.record(session, "add_source", actor=editor, article_id=article.id,
                      claim_id=c.id, new={"url": "https://example.org/s"})
    session.flush()
    return article.id


# Serving

# The simulated reviewer

class Reviewer(threading.Thread):
    """One person at the desk, working through the claims of their article."""

    def __init__(self, base, username, password, article_id, claim_ids, start, pause,
                 stats, seed_value):
        super().__init__(daemon=True)
        self.base, self.username, self.password = base, username, password
        self.article_id, self.claim_ids = article_id, list(claim_ids)
        self.start_gate, self.pause, self.stats = start, pause, stats
        self.deadline = float("inf")
        self.random = random.Random(seed_value)
        self.http = requests.Session()
        self.latest_poll = 0.0
        self.done: list[int] = []
        self.htmx = {"HX-Request": "true"}

    def call(self, action, method, path, expect=(200,), **kwargs):
        """Send one request, timing it; return the response, or None on any error."""
        began = time.perf_counter()
        try:
            response = self.http.request(method, self.base + path, timeout=30,
                                         allow_redirects=False, **kwargs)
        except requests.RequestException as exc:
            self.stats.error(action, f"{method} {path}: {exc!r}")
            return None
        self.stats.add(action, time.perf_counter() - began)
        if response.status_code not in expect:
            self.stats.error(action, f"{method} {path}: {response.status_code} "
                                     f"{response.text[:200]!r}")
            return None
        return response

    def wait(self) -> bool:
        """Pause like a person, poll for live updates as htmx would; False when time is up."""
        if self.pause:
            time.sleep(self.random.uniform(*self.pause))
        now = time.monotonic()
        if now - self.latest_poll >= 3:
            self.latest_poll = now
            self.call("live_poll", "GET", f"/articles/{self.article_id}/live?since=0",
                      expect=(200, 204), headers=self.htmx)
        return time.monotonic() < self.deadline

    def login(self) -> bool:
        page = self.call("login_page", "GET", "/login")
        if page is None:
            return False
        response = self.call("login", "POST", "/login", expect=(303,), data={
            "csrf_token": CSRF_RE.search(page.text).group(1), "username": self.username,
            "password": self.password})
        if response is None:
            return False
        home = self.call("login_queue", "GET", "/queue")
        if home is None:
            return False
        self.htmx["X-CSRFToken"] = CSRF_RE.search(home.text).group(1)
        return True

    def post(self, action, path, data, kind=None, claim_id=None, value=None):
        response = self.call(action, "POST", path, data=data, headers=self.htmx,
                             expect=(200, 201))
        if response is not None and kind:
            self.stats.wrote(kind, claim_id, value)
        return response

    def transition(self, claim_id: int, name: str, version: str):
        response = self.post("transition", f"/claims/{claim_id}/transitions",
                             {"action": name, "version": version}, "transition", claim_id, name)
        return _version(response)

    def work_on(self, claim_id: int, n: int) -> bool:
        """Take one claim from proposed to submitted; False when time is up."""
        panel = self.call("panel", "GET", f"/claims/{claim_id}", headers=self.htmx)
        version = _version(panel)
        for step in ("accept", "start"):
            if version is None or not self.wait():
                return False
            version = self.transition(claim_id, step, version)
        if version is None or not self.wait():
            return False
        statement = f"{self.username} checked claim {claim_id} ({n})"
        saved = self.post("save", f"/claims/{claim_id}", {
            "version": version, "statement": statement, "verdict": "mostly_false",
            "conclusion": f"The record does not support it. {n}"}, "save", claim_id, statement)
        version = _version(saved)
        if version is None or not self.wait():
            return False
        url = f"https://example.org/{self.username}/{claim_id}/{n}"
        self.post("add_source", f"/claims/{claim_id}/sources", {
            "url": url, "title": "Ministry statement", "stance": "refutes",
            "publisher": "Ministry", "excerpt": "Figures for 2019."},
            "source", claim_id, url)
        if not self.wait():
            return False
        note = f"Called the ministry about **claim {claim_id}**, {self.username}."
        self.post("add_note", f"/claims/{claim_id}/notes", {"body": note}, "note",
                  claim_id, note)
        if not self.wait():
            return False
        panel = self.call("panel", "GET", f"/claims/{claim_id}", headers=self.htmx)
        version = _version(panel)
        if version is None or not self.wait():
            return False
        self.transition(claim_id, "submit", version)
        return self.wait()

    def run(self) -> None:
        # Everyone signs in first (Argon2 is slow on purpose); the clock starts after.
        signed_in = self.login()
        self.deadline = self.start_gate()
        if not signed_in:
            return
        n = 0
        while time.monotonic() < self.deadline:
            if self.call("queue", "GET", "/queue") is None or not self.wait():
                continue
            if self.call("article_page", "GET", f"/articles/{self.article_id}") is None:
                continue
            if not self.wait():
                break
            if not self.claim_ids:
                # Out of work: keep reading, as a reviewer with an empty queue would.
                if self.done:
                    self.call("panel", "GET", f"/claims/{self.random.choice(self.done)}",
                              headers=self.htmx)
                continue
            claim_id = self.claim_ids.pop(0)
            self.done.append(claim_id)
            n += 1
            if not self.work_on(claim_id, n):
                break


def _version(response) -> str | None:
    if response is None:
        return None
    found = VERSION_RE.search(response.text)
    return found.group(1) if found else None


# Checks and reports

def lost_writes(url: str, ledger: list) -> list:
    """Return the accepted writes the database does not hold."""
    from sqlmodel import select

    from annotator.db import get_engine, session_scope
    from annotator.models import Event, Note, Source

    # Only the claims this run wrote to: on a large archive (--archive) the rest is millions
    # of rows, which would take the load generator minutes and gigabytes to read.
    touched = sorted({claim_id for _, claim_id, _ in ledger})
    edits, actions, sources, notes = set(), Counter(), set(), set()
    with session_scope(get_engine(url), write=False) as session:
        for at in range(0, len(touched), 500):
            ids = touched[at:at + 500]
            events = session.exec(select(Event).where(Event.claim_id.in_(ids))).all()
            edits |= {(e.claim_id, (e.new or {}).get("statement"))
                      for e in events if e.action == "edit"}
            actions.update((e.claim_id, e.action) for e in events)
            sources |= {(s.claim_id, s.url)
                        for s in session.exec(select(Source).where(Source.claim_id.in_(ids)))}
            notes |= {(n.claim_id, n.body)
                      for n in session.exec(select(Note).where(Note.claim_id.in_(ids)))}
    expected_actions = Counter((c, v) for kind, c, v in ledger if kind == "transition")
    lost = [w for w in ledger if w[0] == "save" and (w[1], w[2]) not in edits]
    lost += [w for w in ledger if w[0] == "source" and (w[1], w[2]) not in sources]
    lost += [w for w in ledger if w[0] == "note" and (w[1], w[2]) not in notes]
    lost += [("transition", c, a) for (c, a), n in expected_actions.items()
             if actions[(c, a)] != n]
    return lost


def render_timing(url: str, seed_data: Seed, samples: int) -> dict:
    """Time the 300-claim article page and one of its panels through Flask's test client."""
    from annotator import create_app, extract
    from annotator.db import get_engine

    with tempfile.TemporaryDirectory() as folder:
        os.environ["ANNOTATOR_INSTANCE"] = folder
        app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench"})
        # As annotator.wsgi does in production: long-lived objects out of the GC's way.
        extract.score_texts(["The council spent 4 million euros."])
        gc.freeze()
        client = app.test_client()
        from annotator.db import session_scope
        from annotator.models import User
        from annotator.services import sessions

        with session_scope(get_engine(url)) as db:  # sign in: a server-side session too
            sid = sessions.start(db, db.get(User, seed_data.big_reader))
        with client.session_transaction() as session:
            session["_user_id"] = str(seed_data.big_reader)
            session["sv"] = 1  # the reader has never changed password or role
            session["sid"] = sid
            session["_fresh"] = True
        out = {}
        for name, path, headers in [
                ("article_page_300_claims", f"/articles/{seed_data.big_article}", {}),
        ]:
            client.get(path, headers=headers)  # warm the template cache
            times = []
            for _ in range(samples):
                began = time.perf_counter()
                response = client.get(path, headers=headers)
                times.append(time.perf_counter() - began)
                assert response.status_code == 200, response.status_code
            out[name] = {"n": samples, "p50_ms": percentile(times, 50) * 1000,
                         "p99_ms": percentile(times, 99) * 1000,
                         "bytes": len(response.data)}
        get_engine(url).dispose()
    return out


def run_reviewers(base: str, seed_data: Seed, seconds: float, pause) -> tuple[Stats, float]:
    stats = Stats()
    barrier = threading.Barrier(len(seed_data.reviewers))
    clock: dict = {}

    def start_gate() -> float:
        """Wait until every reviewer has signed in; return the shared deadline."""
        if barrier.wait(120) == 0:
            clock["began"] = time.monotonic()
        barrier.wait(120)
        return clock["began"] + seconds

    crew = [Reviewer(base, name, seed_data.password, article_id, seed_data.claims[article_id],
                     start_gate, pause, stats, i)
            for i, (name, article_id) in enumerate(seed_data.reviewers)]
    for person in crew:
        person.start()
    for person in crew:
        person.join(seconds + 180)
    return stats, time.monotonic() - clock["began"]


# A slow site and an editor importing from it (--slow-import, issue 10)

class _Trickle(BaseHTTPRequestHandler):
    """Answer headers at once, then one byte every second: slower than any FETCH_TIMEOUT."""

    def log_message(self, *args):
        pass

    def do_GET(self):  # noqa: N802 - http.server's name
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.end_headers()
        for _ in range(600):
            try:
                self.wfile.write(b"x")
                self.wfile.flush()
            except OSError:
                return
            time.sleep(1)


def slow_site() -> str:
    """Serve the trickling site on 127.0.0.1 in a thread; return its URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Trickle)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}/article"


def archive_url(archive: str) -> str:
    """The database URL of an --archive: a PostgreSQL URL as given, else a SQLite file."""
    if archive.startswith("postgresql"):
        return archive
    path = Path(archive).resolve()
    if not path.is_file():
        raise SystemExit(f"no archive at {path}")
    return f"sqlite:///{path}"


def export_in_worker(url: str, env: dict, folder: Path, editor: str):
    """Queue a JSON export of everything and start a worker at a lower CPU priority for it."""
    from annotator import tasks
    from annotator.db import get_engine, session_scope
    from annotator.exports import ExportFilter
    from annotator.services import jobs, users

    with session_scope(get_engine(url)) as session:
        job = jobs.create_export_job(session, users.user_by_name(session, editor), "json",
                                     ExportFilter())
        job_id = job.id
    tasks.configure({"QUEUE_FILE": env["QUEUE_FILE"], "QUEUE_IMMEDIATE": "0"})
    jobs.enqueue_job(job_id)
    proc, log = start_worker(env, folder)
    return proc, log, job_id, time.monotonic()


def start_worker(env: dict, folder: Path):
    """Start a queue worker as a supervisor would: in a session of its own, like the server.

    It lowers its own CPU priority, and its session's group's (niceness 10, its default).
    """
    log = open(folder / "worker.log", "ab")  # noqa: SIM115 - closed with the worker
    proc = subprocess.Popen([str(ROOT / ".venv" / "bin" / "annotator"),
                             "worker", "--no-periodic"], env={**os.environ, **env},
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    return proc, log


def finish_export(url: str, worker) -> dict:
    """Stop the export's worker; say how far the export got while the reviewers worked."""
    from annotator.db import get_engine, session_scope
    from annotator.models import Job

    proc, log, job_id, started = worker
    with session_scope(get_engine(url), write=False) as session:
        job = session.get(Job, job_id)
        found = {"state": job.status, "done": job.done, "total": job.total,
                 "seconds": round(time.monotonic() - started, 1),
                 "bytes": (job.result or {}).get("bytes")}
    proc.terminate()
    proc.wait(30)
    log.close()
    return found


def editor_token(url: str, prefix: str = "bench") -> str:
    from annotator.db import get_engine, session_scope
    from annotator.services import users

    engine = get_engine(url)
    with session_scope(engine) as session:
        _, secret = users.create_token(session, users.user_by_name(session,
                                                                   f"{prefix}-editor"))
    engine.dispose()
    return secret


def slow_importer(base: str, site: str, token: str, stats: Stats, stop: threading.Event):
    """Import from the slow site again and again: each must end in a 4xx, in time."""
    http = requests.Session()
    while not stop.is_set():
        began = time.perf_counter()
        try:
            response = http.post(f"{base}/api/v1/articles", json={"url": site},
                                 headers={"Authorization": f"Bearer {token}"}, timeout=60)
        except requests.RequestException as exc:
            stats.error("slow_import", type(exc).__name__)
            continue
        stats.add("slow_import", time.perf_counter() - began)
        if not 400 <= response.status_code < 500:
            stats.error("slow_import", f"HTTP {response.status_code}")


# Bursts of slow work beside the reviewers (--bursts, issue 19)

WRITES = ("transition", "save", "add_source", "add_note")


def burst_people(url: str, password: str, prefix: str = "bench") -> str:
    """Create the admin and the viewer who make the bursts; return an editor's API token."""
    from annotator.db import get_engine, session_scope
    from annotator.services import users

    engine = get_engine(url)
    with session_scope(engine) as session:
        for role in ("admin", "viewer"):
            if users.user_by_name(session, f"{prefix}-{role}") is None:
                users.create_user(session, f"{prefix}-{role}", role, password)
    engine.dispose()
    return editor_token(url, prefix)


def _form_session(base: str, username: str, password: str) -> tuple[requests.Session, str]:
    http = requests.Session()
    page = http.get(f"{base}/login", timeout=60)
    http.post(f"{base}/login", timeout=60, allow_redirects=False, data={
        "csrf_token": CSRF_RE.search(page.text).group(1), "username": username,
        "password": password})
    token = CSRF_RE.search(http.get(f"{base}/account", timeout=60).text).group(1)
    return http, token


def burster(base: str, url: str, token: str, password: str, prefix: str, every: float,
            stats: Stats, windows: list, stop) -> None:
    """Every `every` seconds: a 4 MB paste, a retrain and 20 password tries, all at once.

    The paste and the retraining are queued (the paste, being over IMPORT_QUEUE_BYTES): the
    burst's window lasts until the worker has done them too.
    """
    admin, admin_csrf = _form_session(base, f"{prefix}-admin", password)
    viewer, viewer_csrf = _form_session(base, f"{prefix}-viewer", password)
    unit = SHARED_ARTICLE.read_text(encoding="utf-8") + "\n\n"
    text = (unit * (4 * 1024 * 1024 // len(unit) + 1))[:4 * 1024 * 1024]

    def encoded(n: int) -> bytes:
        return json.dumps({"text": f"{text}\nBurst {n}.", "title": f"Burst {n}"}).encode()

    # Each paste is made and encoded well before its burst (the first as this process starts,
    # each next one as soon as a burst is over): on a real desk the editor's own machine does
    # this, not the two cores this benchmark's server shares with its clients, where it took
    # 100 ms of CPU at the very moment each burst began.
    n, body = 1, encoded(1)
    while not stop.wait(every):

        def timed(action, fn):
            began = time.perf_counter()
            try:
                status = fn().status_code
            except requests.RequestException as exc:
                stats.error(action, type(exc).__name__)
                return
            stats.add(action, time.perf_counter() - began)
            if status >= 500:
                stats.error(action, f"HTTP {status}")

        def paste(b=body):
            return requests.post(f"{base}/api/v1/articles", timeout=300, data=b,
                                 headers={"Authorization": f"Bearer {token}",
                                          "Content-Type": "application/json"})

        jobs = [threading.Thread(target=timed, args=("burst_paste", paste)),
                threading.Thread(target=timed, args=("burst_retrain", lambda: admin.post(
                    f"{base}/admin/scorer", data={"csrf_token": admin_csrf}, timeout=300,
                    allow_redirects=False)))]
        jobs += [threading.Thread(target=timed, args=("burst_password", lambda: viewer.post(
                     f"{base}/account/password", timeout=300, allow_redirects=False,
                     data={"csrf_token": viewer_csrf, "current": "not-the-password",
                           "password": "a-new-password-42", "confirm": "a-new-password-42"})))
                 for _ in range(20)]
        first = last_job_id(url)
        began = time.monotonic()
        for job in jobs:
            job.start()
        for job in jobs:
            job.join(300)
        # The burst lasts until the work it queued (the long paste, the retraining) is done.
        if wait_for_jobs(url, first):
            stats.add("burst_whole", time.monotonic() - began)
        else:
            stats.error("burst_whole", "the queued work was not done within 600 s")
        windows.append((began, time.monotonic()))
        n += 1
        body = encoded(n)


def bursts_apart(how: tuple, stop, out) -> None:
    """Run ``burster`` in a process of its own; hand back its timings when stopped."""
    stats, windows = Stats(), []
    burster(*how, stats, windows, stop)
    out.put({"times": dict(stats.times), "ended": dict(stats.ended), "errors": stats.errors,
             "windows": windows})


def last_job_id(url: str) -> int:
    from sqlalchemy import func, select

    from annotator.db import get_engine, session_scope
    from annotator.models import Job

    with session_scope(get_engine(url), write=False) as session:
        return session.execute(select(func.max(Job.id))).scalar() or 0


def wait_for_jobs(url: str, after: int) -> bool:
    """Wait (up to 600 s) until every job after `after` is finished."""
    from sqlalchemy import func, select

    from annotator.db import get_engine, session_scope
    from annotator.models import Job

    began = time.monotonic()
    while time.monotonic() - began < 600:
        with session_scope(get_engine(url), write=False) as session:
            pending = session.execute(select(func.count()).where(
                Job.id > after, Job.status.in_(("queued", "running")))).scalar()
        if not pending:
            return True
        time.sleep(0.25)
    return False


def writes_p99(stats: Stats, windows: list | None = None) -> tuple[int, float]:
    """Return (n, p99 ms) of the reviewers' writes, only those inside `windows` if given."""
    times = []
    for action in WRITES:
        for ended, seconds in stats.ended.get(action, []):
            if windows is None or any(a <= ended - seconds <= b or a <= ended <= b
                                      for a, b in windows):
                times.append(seconds)
    return len(times), percentile(times, 99) * 1000 if times else 0.0


def run_bare(workers: int, threads: int, seconds: float, clients: int, log: Path) -> float:
    """Return the requests per second a bare Flask route serves with the same setup."""
    count = [0]
    lock = threading.Lock()
    with serving.gunicorn("bare_app:create_app()", log, workers=workers, threads=threads,
                          options=KEEP_ALIVE, settle=2, chdir=ROOT / "bench") as (base, _):
        deadline = time.monotonic() + seconds

        def hammer():
            http = requests.Session()
            done = 0
            while time.monotonic() < deadline:
                if http.get(base + "/", timeout=30).status_code == 200:
                    done += 1
            with lock:
                count[0] += done

        began = time.monotonic()
        crew = [threading.Thread(target=hammer, daemon=True) for _ in range(clients)]
        for t in crew:
            t.start()
        for t in crew:
            t.join(seconds + 30)
        return count[0] / (time.monotonic() - began)


def report(args, stats: Stats, elapsed: float, lost: list, render: dict, bare: float | None,
           log_text: str) -> dict:
    # Signing in happens before the clock starts; throughput counts the work after it.
    total = sum(len(v) for k, v in stats.times.items() if not k.startswith("login"))
    rows = []
    print(f"\n{args.db} · {args.mode} · {args.reviewers} reviewers · {elapsed:.1f} s · "
          f"gunicorn -w {args.workers} --threads {args.threads}")
    print(f"{'action':<16}{'n':>7}{'per s':>9}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}")
    for action in sorted(stats.times):
        times = stats.times[action]
        row = {"action": action, "n": len(times), "per_s": len(times) / elapsed,
               "p50_ms": percentile(times, 50) * 1000, "p99_ms": percentile(times, 99) * 1000,
               "max_ms": max(times) * 1000}
        rows.append(row)
        print(f"{action:<16}{row['n']:>7}{row['per_s']:>9.1f}{row['p50_ms']:>9.1f}"
              f"{row['p99_ms']:>9.1f}{row['max_ms']:>9.1f}")
    throughput = total / elapsed
    print(f"{'all':<16}{total:>7}{throughput:>9.1f}")
    errors = Counter(action for action, _ in stats.errors)
    print(f"errors: {len(stats.errors)} {dict(errors) if errors else ''}")
    for action, message in stats.errors[:10]:
        print(f"  {action}: {message}")
    writes = Counter(kind for kind, _, _ in stats.ledger)
    print(f"accepted writes: {sum(writes.values())} {dict(writes)}; lost: {len(lost)}")
    for item in lost[:10]:
        print(f"  lost {item}")
    locked = log_text.count("database is locked")
    tracebacks = log_text.count("Traceback")
    print(f"gunicorn log: {tracebacks} tracebacks, {locked} 'database is locked'")
    # The log goes with the run's temporary folder: keep the first tracebacks in the report.
    for found in re.findall(r"^.*Traceback.*(?:\n(?:\s.*|[A-Za-z_.]+(?:Error|Exception).*))+",
                            log_text, flags=re.MULTILINE)[:3]:
        print("  " + found.replace("\n", "\n  ")[-4000:])
    for name, r in render.items():
        print(f"server-side render, {name}: p50 {r['p50_ms']:.1f} ms, p99 {r['p99_ms']:.1f} ms "
              f"over {r['n']} renders ({r['bytes'] // 1024} KB)")
    if bare:
        print(f"bare Flask route, same gunicorn: {bare:.1f} req/s; "
              f"ours {throughput:.1f} req/s = {throughput / bare:.2f} of it")
    verdicts = []
    for action, limit in TARGETS_MS.items():
        if action in stats.times:
            p99 = percentile(stats.times[action], 99) * 1000
            verdicts.append(f"{action} p99 {p99:.1f} ms {'<' if p99 < limit else '>='} {limit}")
    if render:
        p = render["article_page_300_claims"]["p99_ms"]
        verdicts.append(f"300-claim page p99 {p:.1f} ms {'<' if p < 100 else '>='} 100")
    print("targets: " + "; ".join(verdicts))
    return {"db": args.db, "mode": args.mode, "seconds": elapsed, "reviewers": args.reviewers,
            "workers": args.workers, "threads": args.threads, "actions": rows,
            "throughput": throughput, "errors": len(stats.errors), "lost": len(lost),
            "accepted_writes": dict(writes), "render": render, "bare_throughput": bare,
            "ratio": throughput / bare if bare else None, "tracebacks": tracebacks,
            "database_locked": locked}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--mode", choices=["human", "max"], default="human")
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--reviewers", type=int, default=20)
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers")
    parser.add_argument("--threads", type=int, default=1, help="threads per worker")
    parser.add_argument("--render-samples", type=int, default=50)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--bursts", action="store_true",
                        help="add bursts of a 4 MB paste, a retrain and 20 password tries")
    parser.add_argument("--burst-every", type=float, default=10.0)
    parser.add_argument("--archive", help="run on this archive instead of a fresh database: "
                        "a SQLite file (bench/scale.py --keep DIR --build-only makes one) or a "
                        "postgresql+psycopg:// URL; the run adds its own reviewers and articles")
    parser.add_argument("--export", action="store_true",
                        help="meanwhile, a queue worker (niceness 10, --no-periodic) prepares a "
                             "JSON export of the whole archive as a background job")
    parser.add_argument("--slow-import", action="store_true",
                        help="meanwhile, an editor imports from a site trickling one byte a "
                             "second (FETCH_TIMEOUT 5 s): every import must end in a 4xx")
    parser.add_argument("--timeline", type=Path,
                        help="also write every timed request (end and duration, seconds on "
                             "the run's clock) and the bursts' windows here, to see what the "
                             "slow ones coincided with")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="annotator-bench-") as tmp:
        folder = Path(tmp)
        prefix = "bench"
        if args.archive:
            url, schema = archive_url(args.archive), None
            prefix = f"load-{uuid.uuid4().hex[:6]}"
        else:
            url, schema = database_url("sqlite" if args.db == "sqlite" else "postgresql",
                                       folder)
        worker = None
        try:
            print(f"seeding {args.db} ...", flush=True)
            seed_data = seed(url, args.reviewers, prefix=prefix)
            log = folder / "gunicorn.log"
            env = {"DATABASE_URL": url, "SECRET_KEY": secrets.token_hex(16),
                   "ANNOTATOR_INSTANCE": str(folder / "instance")}
            pause = (0.5, 2.0) if args.mode == "human" else None
            importer = None
            env["QUEUE_FILE"] = str(folder / "queue.sqlite3")
            if args.slow_import:
                site, token = slow_site(), editor_token(url, prefix)
                env.update(ALLOW_PRIVATE_URLS="1", FETCH_TIMEOUT="5")
            burst_token = burst_people(url, seed_data.password, prefix) if args.bursts else None
            bursts, windows = Stats(), []
            with serving.gunicorn("annotator.wsgi:app", log, env=env, workers=args.workers,
                                  threads=args.threads, options=KEEP_ALIVE,
                                  settle=2) as (base, _):
                print(f"serving at {base}; {args.reviewers} reviewers for {args.seconds:.0f} s",
                      flush=True)
                if args.export:
                    worker = export_in_worker(url, env, folder, f"{prefix}-editor")
                stop = threading.Event()
                imports = Stats()
                if args.slow_import:
                    importer = threading.Thread(target=slow_importer, daemon=True,
                                                args=(base, site, token, imports, stop))
                    importer.start()
                if burst_token:
                    worker = worker or (*start_worker(env, folder), None, time.monotonic())
                    # The bursts come from a process of their own, as from other people's
                    # machines: their 22 client threads do not share the reviewers' GIL.
                    spawn = multiprocessing.get_context("spawn")
                    stop_bursts, burst_out = spawn.Event(), spawn.Queue()
                    burst_process = spawn.Process(target=bursts_apart, daemon=True, args=(
                        (base, url, burst_token, seed_data.password, prefix, args.burst_every),
                        stop_bursts, burst_out))
                    burst_process.start()
                stats, elapsed = run_reviewers(base, seed_data, args.seconds, pause)
                stop.set()
                if burst_token:
                    stop_bursts.set()  # the burst under way finishes first
                    got = burst_out.get(timeout=900)
                    burst_process.join(60)
                    bursts.times.update(got["times"])
                    bursts.ended.update(got["ended"])
                    bursts.errors.extend(got["errors"])
                    windows.extend(got["windows"])
                if importer is not None:
                    importer.join(70)
                    stats.times.update(imports.times)
                    stats.errors.extend(imports.errors)
            export = finish_export(url, worker) if worker and worker[2] else None
            if worker and not worker[2]:
                worker[0].terminate()
                worker[0].wait(30)
                worker[1].close()
            worker = None
            log_text = log.read_text()
            lost = lost_writes(url, stats.ledger)
            bare = None
            if args.mode == "max":
                bare = run_bare(args.workers, args.threads, min(args.seconds, 30),
                                args.reviewers, folder / "bare.log")
            render = render_timing(url, seed_data, args.render_samples)
            if burst_token:
                stats.times.update(bursts.times)
                stats.ended.update(bursts.ended)
                stats.errors.extend(bursts.errors)
            result = report(args, stats, elapsed, lost, render, bare, log_text)
            n_all, p99_all = writes_p99(stats)
            result["writes"] = {"n": n_all, "p99_ms": p99_all}
            print(f"reviewers' writes: n {n_all}, p99 {p99_all:.1f} ms")
            if burst_token:
                n_in, p99_in = writes_p99(stats, windows)
                result["writes_in_bursts"] = {"n": n_in, "p99_ms": p99_in,
                                              "bursts": len(windows)}
                print(f"reviewers' writes during {len(windows)} bursts: n {n_in}, "
                      f"p99 {p99_in:.1f} ms")
            if export:
                result["export"] = export
                print(f"export in the worker (niceness 10): {export}")
        finally:
            from annotator.db import get_engine

            if worker is not None:
                worker[0].terminate()
                worker[0].wait(30)
            get_engine(url).dispose()
            if schema:
                drop_schema(schema)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    if args.timeline:
        args.timeline.write_text(json.dumps({
            "requests": stats.ended, "windows": windows,
            "wall_minus_monotonic": time.time() - time.monotonic()}))
    ok = not result["errors"] and not result["lost"] and not result["database_locked"]
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
