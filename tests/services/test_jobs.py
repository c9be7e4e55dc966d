"""Jobs on the queue (services/jobs.py): claiming, heartbeats, superseded takes, the sweep.

The queue runs inline (immediate mode) here; tests/test_worker.py kills real workers.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import func, select

from annotator import tasks
from annotator.db import session_scope
from annotator.models import Article, Job, JobChunk, User, utcnow
from annotator.services import articles, jobs


def _job(engine, **values) -> int:
    with session_scope(engine) as s:
        job = Job(kind="export", format="json", params={}, filename="x.json", **values)
        s.add(job)
        s.flush()
        return job.id


def _get(engine, job_id) -> Job:
    with session_scope(engine, write=False) as s:
        return s.get(Job, job_id)


def test_a_queued_job_is_claimed_once_and_a_duplicate_message_does_nothing(engine, people):
    job_id = _job(engine, created_by_id=people["viewer"])
    assert jobs.claim(engine, job_id) == 1
    assert jobs.claim(engine, job_id) is None  # its worker is alive: the heartbeat is fresh
    job = _get(engine, job_id)
    assert job.status == "running" and job.attempts == 1 and job.heartbeat_at is not None


def test_a_running_job_whose_heartbeat_stopped_is_claimed_again(engine, people):
    old = utcnow() - timedelta(seconds=jobs.STALE_SECONDS + 1)
    job_id = _job(engine, status="running", attempts=1, heartbeat_at=old, updated_at=old)
    assert jobs.claim(engine, job_id) == 2


def test_a_superseded_take_may_write_nothing(engine, people):
    job_id = _job(engine, created_by_id=people["viewer"])
    first = jobs.claim(engine, job_id)
    with session_scope(engine) as s:  # its worker went silent; another took the job
        s.get(Job, job_id).heartbeat_at = utcnow() - timedelta(minutes=5)
    second = jobs.claim(engine, job_id)
    assert (first, second) == (1, 2)
    with pytest.raises(jobs.Superseded):
        jobs.update_job(engine, job_id, first, done=10)
    with pytest.raises(jobs.Superseded):
        jobs._write_chunk(engine, job_id, 0, b"half", 5, first)
    with session_scope(engine, write=False) as s:
        assert s.exec(select(func.count()).select_from(JobChunk)).one() == 0
    jobs.update_job(engine, job_id, second, done=10)
    assert _get(engine, job_id).done == 10


def test_a_superseded_import_rolls_back_so_nothing_lands_twice(engine, people, work_file):
    with session_scope(engine) as s:
        job_id = jobs.create_import_job(s, s.get(User, people["editor"]), "f.json",
                                        work_file).id
    first = jobs.claim(engine, job_id)
    with session_scope(engine) as s:
        s.get(Job, job_id).attempts = first + 1  # another worker took it meanwhile
    with session_scope(engine, write=False) as s:
        before = s.exec(select(func.count()).select_from(Article)).one()
    jobs.run_import_job(engine, job_id, attempt=first)
    with session_scope(engine, write=False) as s:
        assert s.exec(select(func.count()).select_from(Article)).one() == before
    assert _get(engine, job_id).status == "running"  # left to the current take


def test_the_sweep_queues_silent_and_long_queued_jobs_again_and_fails_worn_ones(engine, people):
    old = utcnow() - timedelta(seconds=jobs.STALE_SECONDS + 1)
    again = _job(engine, status="running", attempts=1, heartbeat_at=old, updated_at=old)
    worn = _job(engine, status="running", attempts=jobs.MAX_ATTEMPTS, heartbeat_at=old,
                updated_at=old)
    alive = _job(engine, status="running", attempts=1, heartbeat_at=utcnow())
    lost = _job(engine, status="queued",
                updated_at=utcnow() - timedelta(seconds=jobs.RESEND_QUEUED_SECONDS + 1))
    fresh = _job(engine, status="queued")
    with session_scope(engine) as s:
        assert jobs.requeue_stale(s) == [again, lost]  # `fresh` still has its message
    with session_scope(engine) as s:
        assert jobs.requeue_stale(s) == []  # sent again once, not at every sweep
    assert _get(engine, fresh).status == "queued"
    assert _get(engine, again).status == "queued"
    assert _get(engine, worn).status == "failed" and "stopped" in _get(engine, worn).error
    assert _get(engine, alive).status == "running"


def test_the_job_document_has_state_with_status_as_its_alias(engine, people):
    job_id = _job(engine, status="done", result={"bytes": 3})
    doc = jobs.job_document(_get(engine, job_id), "/jobs/1/download")
    assert doc["state"] == doc["status"] == "done"
    assert {"done", "total", "error", "download"} <= set(doc)
    assert doc["download"] == "/jobs/1/download" and doc["waiting_for_worker"] is False
    queued = jobs.job_document(_get(engine, _job(engine)), "/x")
    assert queued["download"] is None and queued["waiting_for_worker"] is True


def test_marks_after_an_import_go_through_the_queue(engine, people, monkeypatch):
    ran = []
    monkeypatch.setattr(jobs, "run_mark_job", lambda engine, article_id: ran.append(article_id))
    tasks.use(engine, {})
    jobs.mark_after_import(engine, 7)
    jobs.mark_after_import(engine, 8, enabled=False)
    assert ran == [7]


@pytest.fixture
def work_file(engine, people) -> bytes:
    """A native export of one article, changed so that it imports as a new one."""
    import json

    from annotator.exports import ExportFilter, run_export

    with session_scope(engine) as s:
        articles.import_article(s, s.get(User, people["editor"]), articles.ImportRequest(
            text="The mayor said 40 bridges were rebuilt in 2023.", title="Bridges"))
    with session_scope(engine, write=False) as s:
        doc = json.loads("".join(run_export(s, "json", ExportFilter(), base_url="http://x",
                                            desk_name="Desk")))
    doc["articles"][0]["body"] += " Updated."
    doc["articles"][0]["content_hash"] = ""
    return json.dumps(doc).encode()
