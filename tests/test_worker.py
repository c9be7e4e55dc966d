"""Real consumers (`annotator worker` subprocesses) on SQLite-backed huey and on Redis.

A killed worker's job is taken up by the next one and completes exactly once; a job queued
while no worker runs waits ("waiting for a worker") and is done once one starts; webhooks
reach a local receiver once each, signed, and a receiver that fails twice gets the third try.
"""

from __future__ import annotations

import contextlib
import http.server
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest
from sqlmodel import func, select
from standardwebhooks.webhooks import Webhook

from annotator import tasks
from annotator.db import session_scope
from annotator.models import Article, Claim, Event, Job, User, WebhookAttempt, WebhookDelivery
from annotator.priority import autogroup_enabled
from annotator.services import articles, jobs, webhooks
from annotator.services import users as user_service

ANNOTATOR = str(Path(sys.executable).parent / "annotator")
REDIS_URL = "redis://127.0.0.1:6379/0"


def _redis_answers() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


def _wait_for(condition, timeout: float = 60.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


class Workers:
    """Start and stop `annotator worker` processes against the test's database and queue."""

    def __init__(self, env: dict, folder: Path):
        self.env, self.folder, self.procs = env, folder, []

    def start(self, *args: str, own_session: bool = False) -> subprocess.Popen:
        log = open(self.folder / f"worker{len(self.procs)}.log", "wb")  # noqa: SIM115
        proc = subprocess.Popen([ANNOTATOR, "worker", *args], env=self.env, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=own_session)
        self.procs.append((proc, log))
        return proc

    def stop_all(self) -> None:
        for proc, log in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGCONT)
                proc.terminate()
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
            log.close()

    def logs(self) -> str:
        return "\n".join(p.read_text(errors="replace")
                         for p in sorted(self.folder.glob("worker*.log")))


@pytest.fixture(params=["sqlite", "redis"])
def workers(request, app, tmp_path):
    """Point this process's queue at a real store and give a way to start workers on it."""
    name = f"annotator-test-{uuid.uuid4().hex[:10]}"
    queue = {"QUEUE_NAME": name}
    if request.param == "redis":
        if not _redis_answers():
            if os.environ.get("CI"):
                raise AssertionError(f"Redis does not answer at {REDIS_URL}")
            pytest.skip("no Redis at 127.0.0.1:6379")
        queue["REDIS_URL"] = REDIS_URL
    else:
        queue["QUEUE_FILE"] = str(tmp_path / "queue.sqlite3")
    tasks.configure({**queue, "QUEUE_IMMEDIATE": "0"})
    env = {**os.environ, **queue, "DATABASE_URL": app.config["DATABASE_URL"],
           "ANNOTATOR_INSTANCE": str(tmp_path / "instance"), "SECRET_KEY": "test-secret",
           "JOB_STALE_SECONDS": "2", "JOB_HEARTBEAT_SECONDS": "0.3",
           "WEBHOOK_RETRY_SECONDS": "0.2,0.4,0.8", "ALLOW_PRIVATE_URLS": "1",
           "PYTHONWARNINGS": "ignore",
           # The tests' workers keep the test's priority: their heartbeats are due every
           # 0.3 s, and a loaded CI machine must not make a niced worker miss them.
           "WORKER_NICE": "0"}
    if "REDIS_URL" not in queue:
        env.pop("REDIS_URL", None)
    found = Workers(env, tmp_path)
    try:
        yield found
    finally:
        found.stop_all()
        print(found.logs()[-4000:])  # shown when the test failed
        with contextlib.suppress(Exception):
            tasks.huey.storage.flush_all()
        tasks.configure({"QUEUE_NAME": tasks.QUEUE_NAME, "QUEUE_IMMEDIATE": "1"})


def _many_claims(engine, user_id: int, articles_n: int, claims_per: int) -> None:
    """Store articles with many claims quickly (rows straight in, as an import leaves them)."""
    sentence = "The minister said {n} schools opened this year in the region. "
    with session_scope(engine) as s:
        for a in range(articles_n):
            body = "".join(sentence.format(n=a * claims_per + i) for i in range(claims_per))
            article = Article(title=f"Article {a}", body=body, raw=body, language="en",
                              content_hash=uuid.uuid4().hex, created_by_id=user_id)
            s.add(article)
            s.flush()
            start = 0
            for i in range(claims_per):
                quote = sentence.format(n=a * claims_per + i).strip()
                start = body.index(quote, start)
                s.add(Claim(article_id=article.id, start=start, end=start + len(quote),
                            quote=quote, prefix="", suffix="", statement=quote, score=0.5,
                            reasons=["bulk"], origin="machine", state="open"))
                start += len(quote)


def _job(engine, job_id: int) -> Job:
    with session_scope(engine, write=False) as s:
        return s.get(Job, job_id)


def _taken_up_after_kill(workers, engine, job_id: int, first, what: str) -> Job:
    """Kill `first` (SIGKILL), start another worker; return the job once that one is done."""
    first.kill()
    first.wait()
    workers.start()
    _wait_for(lambda: _job(engine, job_id).status in ("done", "failed"), 120,
              f"the {what} to be taken up again and finish")
    job = _job(engine, job_id)
    assert job.status == "done", (job.error, workers.logs()[-3000:])
    return job


def _job_id(response) -> int:
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    return int(re.search(r"/jobs/(\d+)$", response.headers["Location"]).group(1))


def test_a_killed_workers_export_is_completed_by_the_next_and_equals_the_cli_export(
        workers, engine, people, as_user, tmp_path):
    _many_claims(engine, people["admin"], 40, 150)
    client = as_user("viewer")
    job_id = _job_id(client.post("/exports/jobs", data={"format": "json"}))
    first = workers.start()
    _wait_for(lambda: _job(engine, job_id).done > 0, what="the export to make progress")
    first.send_signal(signal.SIGSTOP)  # frozen at once: it cannot finish meanwhile
    assert _job(engine, job_id).status == "running", "the export finished before the kill"
    job = _taken_up_after_kill(workers, engine, job_id, first, "export")
    assert job.attempts == 2
    state = client.get(f"/jobs/{job_id}?format=json").get_json()
    assert state["state"] == "done" and state["download"]
    served = client.get(state["download"]).get_data()
    cli = tmp_path / "cli.json"
    subprocess.run([ANNOTATOR, "export", "--format", "json", "-o", str(cli)],
                   env=workers.env, check=True, capture_output=True)
    def strip(data: bytes) -> bytes:
        return re.sub(rb'"exported_at": ?"[^"]*"', b'"exported_at": ""', data, count=1)

    assert strip(served) == strip(cli.read_bytes())
    assert json.loads(served)["articles"][0]["claims"]


def test_a_killed_workers_json_import_lands_once(workers, engine, people):
    _many_claims(engine, people["admin"], 30, 150)
    from annotator.exports import ExportFilter, run_export

    with session_scope(engine, write=False) as s:
        data = "".join(run_export(s, "json", ExportFilter(), base_url="http://x",
                                  desk_name="Desk")).encode()
    doc = json.loads(data)
    for article in doc["articles"]:  # the same stories again, as new articles
        article["body"] += " Updated."
        article["content_hash"] = ""
    with session_scope(engine, write=False) as s:
        before = s.exec(select(func.count()).select_from(Article)).one()
    # Queued as the import page does it (the page itself: tests/exports/test_exchange_web.py).
    with session_scope(engine) as s:
        job_id = jobs.create_import_job(s, s.get(User, people["editor"]), "again.json",
                                        json.dumps(doc).encode()).id
    jobs.enqueue_job(job_id)
    first = workers.start()
    _wait_for(lambda: _job(engine, job_id).status == "running", what="the import to start")
    first.send_signal(signal.SIGSTOP)  # frozen at once: it cannot finish meanwhile
    assert _job(engine, job_id).status == "running"
    _taken_up_after_kill(workers, engine, job_id, first, "import")
    with session_scope(engine, write=False) as s:
        after = s.exec(select(func.count()).select_from(Article)).one()
    assert after - before == len(doc["articles"]) == 30


def test_a_long_article_posted_to_the_api_is_imported_once_by_a_worker_killed_midway(
        workers, app, engine, people, shared):
    """Issue 19: the API queues a long paste; a worker killed while it extracts loses
    nothing, and the next worker imports the article exactly once."""
    base = (shared / "articles" / "kazakh-conscriptions.txt").read_text(encoding="utf-8")
    text = "\n\n".join(base.replace("Kazakh", f"Kazakh-{i}") for i in range(200))
    app.config["IMPORT_QUEUE_BYTES"] = 64 * 1024
    with session_scope(engine) as s:
        _, token = user_service.create_token(s, s.get(User, people["editor"]))
    response = app.test_client().post("/api/v1/articles", json={"text": text, "title": "Long"},
                                      headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 202, response.get_data(as_text=True)[:300]
    job_id = response.get_json()["id"]
    assert _job(engine, job_id).status == "queued"
    first = workers.start("--no-periodic")
    _wait_for(lambda: _job(engine, job_id).status == "running", what="the import to start")
    job = _taken_up_after_kill(workers, engine, job_id, first, "import")
    with session_scope(engine, write=False) as s:
        found = s.exec(select(Article).where(Article.title == "Long")).all()
        assert [a.id for a in found] == job.result["article_ids"]
        assert s.exec(select(func.count()).select_from(Event).where(
            Event.article_id == found[0].id, Event.action == "import")).one() == 1


def test_a_job_queued_with_no_worker_waits_then_is_done_once_one_starts(
        workers, engine, people, as_user):
    _many_claims(engine, people["admin"], 2, 20)
    client = as_user("viewer")
    job_id = _job_id(client.post("/exports/jobs", data={"format": "csv"}))
    page = client.get(f"/jobs/{job_id}").get_data(as_text=True)
    assert "waiting for a worker" in page
    assert client.get(f"/jobs/{job_id}?format=json").get_json()["state"] == "queued"
    workers.start("--no-periodic")
    _wait_for(lambda: _job(engine, job_id).status == "done", what="the queued job")
    assert "waiting for a worker" not in client.get(f"/jobs/{job_id}").get_data(as_text=True)


class Receiver:
    """A local webhook receiver: records each request, answers from a list of statuses."""

    def __init__(self, statuses: list[int] | None = None):
        self.statuses, self.requests = list(statuses or []), []
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - the standard library's name
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append((dict(self.headers), body))
                status = receiver.statuses.pop(0) if receiver.statuses else 204
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def test_webhooks_arrive_once_signed_and_a_failing_receiver_gets_the_third_try(
        workers, engine, people, as_user):
    good, flaky = Receiver(), Receiver([500, 500])
    try:
        with session_scope(engine) as s:
            admin = s.get(User, people["admin"])
            one = webhooks.add_endpoint(s, admin, good.url, "article.imported,job.finished",
                                        allow_private=True)
            two = webhooks.add_endpoint(s, admin, flaky.url, ["article.imported"],
                                        allow_private=True)
            secrets_ = {one.url: one.secret, two.url: two.secret}
        with session_scope(engine) as s:
            article = articles.import_article(s, s.get(User, people["editor"]),
                                              articles.ImportRequest(
                text="The mayor said 40 bridges were rebuilt in 2023. Nobody checked it.",
                title="Bridges"))
            article_id = article.id
        workers.start()
        _wait_for(lambda: len(good.requests) >= 1 and len(flaky.requests) >= 3,
                  what="the deliveries")

        def all_delivered() -> bool:
            with session_scope(engine, write=False) as s:
                return all(d.status == "delivered"
                           for d in s.exec(select(WebhookDelivery)).all())

        _wait_for(all_delivered, what="every delivery to be marked delivered")
        for receiver in (good, flaky):
            headers, body = receiver.requests[-1]
            verified = Webhook(secrets_[receiver.url]).verify(body, headers)
            assert verified["type"] == "article.imported"
            assert verified["data"]["id"] == article_id and verified["data"]["title"]
        assert len(good.requests) == 1
        assert len(flaky.requests) == 3
        assert len({h["webhook-id"] for h, _ in flaky.requests}) == 1  # one delivery, 3 tries
        with session_scope(engine, write=False) as s:
            tries = s.exec(select(WebhookAttempt).order_by(WebhookAttempt.id)).all()
            codes = sorted((t.status_code for t in tries), key=lambda c: c or 0)
        assert codes == [204, 204, 500, 500]
    finally:
        good.close()
        flaky.close()


def _niceness(pid: int) -> int:
    # /proc/PID/stat: the 19th field is the nice value ("comm" may hold spaces: split after it).
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[16])


@pytest.mark.parametrize("workers", ["sqlite"], indirect=True)
def test_a_worker_lowers_its_own_cpu_priority_below_the_web(workers):
    """`annotator worker` runs at niceness 10 unless told otherwise, as `make run` starts it."""
    workers.env.pop("WORKER_NICE")
    ours = os.nice(0)
    default = workers.start("--no-periodic")
    _wait_for(lambda: f"niceness {min(19, ours + 10)}" in workers.logs(),
              what="the worker to start")
    assert _niceness(default.pid) == min(19, ours + 10)
    chosen = workers.start("--no-periodic", "--nice", "3")
    _wait_for(lambda: f"niceness {min(19, ours + 3)}" in workers.logs(),
              what="the second worker")
    assert _niceness(chosen.pid) == min(19, ours + 3)


def _group_niceness(pid: int) -> int | None:
    """ "/autogroup-9 nice 0"; None in the root group (init's session), whose file reads empty."""
    words = Path(f"/proc/{pid}/autogroup").read_text().split()
    return int(words[-1]) if words else None


@pytest.mark.parametrize("workers", ["sqlite"], indirect=True)
def test_a_worker_in_a_session_of_its_own_lowers_its_cpu_group_too(workers):
    """As systemd or supervisord start it: its session is a CPU group of its own (autogroup).

    Niceness ranks threads only within their group; without this the worker's group would
    get as much CPU as the web server's while it extracts a long paste (issue 19).
    """
    workers.env.pop("WORKER_NICE")
    ours = os.nice(0)
    if not autogroup_enabled():  # a kernel without session groups
        alone = workers.start("--no-periodic", own_session=True)
        _wait_for(lambda: "annotator worker: queue" in workers.logs(),
                  what="the worker to start")
        assert f"niceness {min(19, ours + 10)}" in workers.logs()
        assert "CPU group" not in workers.logs()  # it claims no group it could not lower
        assert _niceness(alone.pid) == min(19, ours + 10)
        return
    shell = _group_niceness(os.getpid())
    alone = workers.start("--no-periodic", own_session=True)
    _wait_for(lambda: "CPU group at niceness" in workers.logs(), what="the worker to start")
    assert f"its session's CPU group at niceness {min(19, ours + 10)}" in workers.logs()
    assert _group_niceness(alone.pid) == min(19, ours + 10)
    # Started from this session (as `make run` does), it leaves this session's group alone.
    beside = workers.start("--no-periodic")
    _wait_for(lambda: workers.logs().count("annotator worker: queue") == 2,
              what="the second worker")
    assert _group_niceness(beside.pid) == _group_niceness(os.getpid()) == shell
