"""20 threads × 50 conflicting PATCHes to one claim, through the API under gunicorn.

Every accepted write must be in the history exactly once, every refused one must be a
409, and nothing may answer 500 or say "database is locked". The database is the pass's
own: SQLite, or PostgreSQL when TEST_DATABASE_URL names one (CI runs both passes).
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
import requests
from sqlmodel import select

from annotator.db import get_engine, session_scope
from annotator.models import Article, Claim, Event
from annotator.services import claims as claim_service
from annotator.services import users as user_service

ROOT = Path(__file__).resolve().parent.parent
KIND = "postgresql" if os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql") \
    else "sqlite"
THREADS, WRITES = 20, 50
BODY = "The ministry said 40 percent of schools closed in March, and reopened in May."


def _serving():
    """The one gunicorn starter the benchmarks use (bench/serving.py), loaded by path."""
    spec = importlib.util.spec_from_file_location("bench_serving", ROOT / "bench" / "serving.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@contextlib.contextmanager
def gunicorn(url: str, folder: Path, log: Path):
    """Serve the app as in production: 4 workers × 2 threads, in its own process group."""
    env = {"DATABASE_URL": url, "SECRET_KEY": "concurrency",
           "ANNOTATOR_INSTANCE": str(folder / "instance")}
    with _serving().gunicorn("annotator.wsgi:app", log, env=env, workers=4, threads=2,
                             probe="/api/v1/openapi.json") as (base, _pid):
        yield base


def _seed(url: str) -> tuple[int, int, str]:
    """An in-progress claim assigned to an editor, and that editor's API token."""
    engine = get_engine(url)
    with session_scope(engine) as session:
        editor = user_service.create_user(session, "ed", "editor", "concurrency-pw")
        _, token = user_service.create_token(session, editor)
        article = Article(title="Schools", body=BODY, raw=BODY, content_hash="s" * 64)
        session.add(article)
        session.flush()
        claim = claim_service.create_claim(session, editor, article.id, 0, BODY.index(","))
        claim = claim_service.transition(session, editor, claim.id, "start")
        assert claim.state == "in_progress" and claim.assignee_id == editor.id
        claim_id, version = claim.id, claim.version
    engine.dispose()
    return claim_id, version, token


def _writer(base, token, claim_id, version, thread, barrier, results):
    http = requests.Session()
    http.headers["Authorization"] = f"Bearer {token}"
    barrier.wait()
    for n in range(WRITES):
        statement = f"{thread}-{n}"
        try:
            response = http.patch(f"{base}/api/v1/claims/{claim_id}", timeout=60,
                                  json={"version": version, "statement": statement})
        except requests.RequestException as exc:
            results.append((statement, version, None, repr(exc), None))
            continue
        body = response.text
        seen = None
        with contextlib.suppress(ValueError, KeyError, TypeError):
            data = response.json()
            seen = data["version"] if response.status_code == 200 else data["detail"]["version"]
        results.append((statement, version, response.status_code, body, seen))
        if seen is not None:
            version = seen


@pytest.fixture
def database(fresh_database):
    return fresh_database(KIND)


def test_conflicting_updates_lose_nothing_and_never_fail(database, tmp_path):
    claim_id, start_version, token = _seed(database)
    log = tmp_path / "gunicorn.log"
    results: list = []
    with gunicorn(database, tmp_path, log) as base:
        barrier = threading.Barrier(THREADS)
        threads = [threading.Thread(target=_writer, daemon=True,
                                    args=(base, token, claim_id, start_version, t, barrier,
                                          results))
                   for t in range(THREADS)]
        began = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
        elapsed = time.monotonic() - began

    statuses = Counter(status for _, _, status, _, _ in results)
    accepted = {statement: seen for statement, _, status, _, seen in results if status == 200}
    refused = [(statement, sent, seen) for statement, sent, status, _, seen in results
               if status == 409]
    print(f"\n{KIND}: {len(results)} PATCHes in {elapsed:.1f}s "
          f"({len(results) / elapsed:.0f}/s): {dict(statuses)}")

    assert len(results) == THREADS * WRITES
    assert set(statuses) <= {200, 409}, statuses
    assert statuses[200] == len(accepted) > 0
    assert statuses[409] == len(refused)
    everything = "\n".join(body or "" for _, _, _, body, _ in results) + log.read_text()
    assert "database is locked" not in everything
    assert "Traceback" not in log.read_text()
    # A refusal always came from a stale version, and told the caller the newer one.
    assert all(seen is not None and seen > sent for _, sent, seen in refused)
    # The accepted writes got the versions after the start, one each, with no gaps.
    assert sorted(accepted.values()) == list(
        range(start_version + 1, start_version + 1 + len(accepted)))

    with session_scope(get_engine(database), write=False) as session:
        claim = session.get(Claim, claim_id)
        edits = session.exec(select(Event).where(Event.claim_id == claim_id,
                                                 Event.action == "edit")
                             .order_by(Event.id)).all()
    get_engine(database).dispose()
    assert claim.version == start_version + len(accepted)
    written = [e.new["statement"] for e in edits]
    assert sorted(written) == sorted(accepted), "each accepted write is one edit event"
    assert not {statement for statement, _, _ in refused} & set(written)
    # The history chains: each edit's old statement is the previous edit's new one.
    assert all(e.old["statement"] == p.new["statement"]
               for p, e in zip(edits, edits[1:], strict=False))
    latest = max(accepted, key=accepted.get)
    assert claim.statement == latest == written[-1]
    assert elapsed < 60
