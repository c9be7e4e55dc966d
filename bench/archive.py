"""Archive 1,000 sources from a local web server through the queue; report time and memory.

    .venv/bin/python bench/archive.py [--sources 1000] [--threads 2] [--database-url URL]

A local site on 127.0.0.1 serves distinct article pages (about 6 KB of HTML each). The app
runs under gunicorn (2 workers) and a queue worker (`annotator worker --no-periodic`) runs
beside it, both on a fresh database (SQLite by default) and a SQLite queue file. Steps:

1. The web's p99 for reading another claim (`GET /api/v1/claims/ID`), idle.
2. The sources are attached through the API (`POST /api/v1/claims/ID/sources`): each answer
   is timed; the fetch is queued, never waited for.
3. The worker archives them (fetch, WARC record, text, sha256, quote check); meanwhile the
   same read is timed again. The clock stops when no snapshot is pending.

Printed: sources archived per second, the worker's peak memory (VmHWM), the attach p99, and
the read's p99 idle and during archiving.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import serving  # noqa: E402
from load import percentile  # noqa: E402

WORDS = ["council", "budget", "harbour", "transit", "report", "minister", "figures", "percent",
         "census", "ministry", "election", "turnout", "hospital", "waiting", "list", "school",
         "results", "inflation", "wages"]


def page(n: int) -> bytes:
    """A distinct article page: a title, furniture and eight paragraphs."""
    paras = []
    for p in range(8):
        words = [WORDS[(n * 7 + p * 3 + i) % len(WORDS)] for i in range(60)]
        paras.append(f"<p>Paragraph {p} of report {n}: {' '.join(words)}. The figure was "
                     f"{n % 97}.{p} percent in {2000 + n % 25}.</p>")
    return (f"<!doctype html><html><head><title>Report {n}</title></head><body>"
            f"<nav>Home | News | Sport | Weather</nav><article><h1>Report {n}</h1>"
            f"{''.join(paras)}</article><footer>Copyright</footer></body></html>").encode()


class Site(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):  # noqa: N802 - http.server's name
        try:
            n = int(self.path.rsplit("/", 1)[1])
        except ValueError:
            self.send_error(404)
            return
        body = page(n)
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def seed(url: str) -> tuple[str, int, int]:
    """Make an editor with a token, a claim to attach sources to and one to read."""
    from annotator import migrate
    from annotator.db import get_engine, session_scope
    from annotator.services import articles, claims, users

    migrate.upgrade(url)
    engine = get_engine(url)
    with session_scope(engine) as s:
        editor = users.create_user(s, "bench-editor", "editor", "bench-password-long", "Ed")
        _, token = users.create_token(s, editor)
        text = "The council said the harbour handled 3.1 million containers in 2024."
        article = articles.import_article(s, editor, articles.ImportRequest(text=text))
        claim = claims.create_claim(s, editor, article.id, 0, len(text))
        claims.transition(s, editor, claim.id, "start")
        claim_id = claim.id
        other = "Officials said 40 ships were delayed in March because of the strike."
        read = articles.import_article(s, editor, articles.ImportRequest(text=other))
        read_id = claims.create_claim(s, editor, read.id, 0, len(other)).id
    engine.dispose()
    return token, claim_id, read_id


def pending(url: str) -> tuple[int, int, int]:
    """Return (pending, stored, failed) snapshot counts."""
    from sqlalchemy import func
    from sqlmodel import select

    from annotator.db import get_engine, session_scope
    from annotator.models import SourceSnapshot

    with session_scope(get_engine(url), write=False) as s:
        rows = dict(s.exec(select(SourceSnapshot.status, func.count())
                           .group_by(SourceSnapshot.status)).all())
    return rows.get("pending", 0), rows.get("stored", 0), rows.get("failed", 0)


def reads(base: str, headers: dict, claim_id: int, stop: threading.Event,
          times: list[float]) -> None:
    """Read the claim with its sources over and over until stopped, timing each."""
    http = requests.Session()
    while not stop.is_set():
        began = time.perf_counter()
        http.get(f"{base}/api/v1/claims/{claim_id}", headers=headers, timeout=60)
        times.append(time.perf_counter() - began)
        time.sleep(0.05)  # one reader, about 15 reads a second


def peak_memory(pid: int) -> float:
    """Return a process's and its children's peak resident set (VmHWM), in MB."""
    total = 0.0
    for p in [pid, *_children(pid)]:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    total += int(line.split()[1]) / 1024
        except OSError:
            pass
    return total


def _children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sources", type=int, default=1000)
    parser.add_argument("--threads", type=int, default=2, help="the worker's threads")
    parser.add_argument("--database-url", default="")
    parser.add_argument("--idle-seconds", type=float, default=15)
    args = parser.parse_args()

    site = ThreadingHTTPServer(("127.0.0.1", 0), Site)
    site.daemon_threads = True
    threading.Thread(target=site.serve_forever, daemon=True).start()
    site_url = f"http://127.0.0.1:{site.server_address[1]}"

    folder = Path(tempfile.mkdtemp(prefix="annotator-archive-bench-"))
    url = args.database_url or f"sqlite:///{folder / 'annotator.db'}"
    token, claim_id, read_id = seed(url)
    headers = {"Authorization": f"Bearer {token}"}
    env = {"DATABASE_URL": url, "ANNOTATOR_INSTANCE": str(folder), "SECRET_KEY": "bench",
           "ALLOW_PRIVATE_URLS": "1", "SNAPSHOTS": "1", "QUEUE_FILE": str(folder / "q.db"),
           "CHECKED_BEFORE_JOBS": "0"}
    log = folder / "bench.log"
    with serving.gunicorn("annotator.wsgi:app", log, env=env, workers=2, settle=2,
                          probe="/login") as (base, _):
        warm = requests.Session()
        for _ in range(30):  # every worker has served the read before the clock starts
            warm.get(f"{base}/api/v1/claims/{read_id}", headers=headers, timeout=60)
        stop, idle = threading.Event(), []
        reader = threading.Thread(target=reads, args=(base, headers, read_id, stop, idle))
        reader.start()
        time.sleep(args.idle_seconds)  # the idle baseline's duration, not a wait on a result
        stop.set()
        reader.join()

        http = requests.Session()
        attach = []
        for n in range(args.sources):
            began = time.perf_counter()
            answer = http.post(f"{base}/api/v1/claims/{claim_id}/sources", headers=headers,
                               json={"url": f"{site_url}/report/{n}", "title": f"Report {n}",
                                     "stance": "supports",
                                     "excerpt": f"The figure was {n % 97}.0 percent"})
            attach.append(time.perf_counter() - began)
            answer.raise_for_status()

        worker = subprocess.Popen(
            [str(Path(sys.executable).parent / "annotator"), "worker", "--no-periodic",
             "--threads", str(args.threads)], env={**os.environ, **env},
            stdout=log.open("a"), stderr=subprocess.STDOUT, start_new_session=True)
        busy: list[float] = []
        stop = threading.Event()
        reader = threading.Thread(target=reads, args=(base, headers, read_id, stop, busy))
        began = time.monotonic()
        reader.start()
        try:
            while True:
                waiting, stored, failed = pending(url)
                if not waiting:
                    break
                if worker.poll() is not None:
                    raise SystemExit("the worker stopped:\n" + log.read_text()[-3000:])
                time.sleep(0.5)
            took = time.monotonic() - began
            memory = peak_memory(worker.pid)
        finally:
            stop.set()
            reader.join()
            os.killpg(worker.pid, signal.SIGTERM)
            worker.wait(30)
    print(f"sources archived: {stored} stored, {failed} failed, in {took:.1f} s "
          f"({stored / took:.1f}/s) by a worker with {args.threads} thread(s)")
    print(f"worker peak memory (VmHWM): {memory:.0f} MB")
    print(f"attach (POST /claims/ID/sources): p50 {percentile(attach, 50) * 1000:.1f} ms, "
          f"p99 {percentile(attach, 99) * 1000:.1f} ms")
    print(f"read (GET /api/v1/claims/ID): p99 idle {percentile(idle, 99) * 1000:.1f} ms "
          f"(n={len(idle)}), p99 while archiving {percentile(busy, 99) * 1000:.1f} ms "
          f"(n={len(busy)})")
    print(f"database: {url.split(':', 1)[0]}; files in {folder}")


if __name__ == "__main__":
    main()
