"""Long articles are imported by the worker (services/article_jobs.py, issue 19).

The queue runs inline here (immediate mode): the job is done by the time the answer comes
back, so each test reads the job's document to find the article. tests/test_worker.py runs
real workers.
"""

from __future__ import annotations

import re

import pytest
from sqlmodel import func, select

from annotator.db import session_scope
from annotator.models import Article, Event, Job, User
from annotator.services import article_jobs, articles, jobs, users
from annotator.services.errors import Forbidden, Invalid

LIMIT = 2_000


@pytest.fixture
def long_text(shared) -> str:
    """The shared article twice over: over LIMIT bytes, a real article's sentences."""
    text = (shared / "articles" / "kazakh-conscriptions.txt").read_text(encoding="utf-8")
    assert len(text.encode()) > LIMIT
    return text


@pytest.fixture
def api(client, engine, people):
    """A caller with the editor's bearer token: api["editor"]("GET", "/articles")."""
    with session_scope(engine) as s:
        _, secret = users.create_token(s, s.get(User, people["editor"]))

    def call(method, path, body=None):
        return client.open(f"/api/v1{path}", method=method, json=body,
                           headers={"Authorization": f"Bearer {secret}"})
    return {"editor": call}


@pytest.fixture
def small_limit(app):
    app.config["IMPORT_QUEUE_BYTES"] = LIMIT


def _count(engine, model) -> int:
    with session_scope(engine, write=False) as s:
        return s.exec(select(func.count()).select_from(model)).one()


def test_the_api_answers_202_with_the_job_and_the_worker_imports_the_article(
        api, engine, small_limit, long_text):
    response = api["editor"]("POST", "/articles", {"text": long_text, "title": "Long one",
                                                   "outlet": "Desk wire"})
    assert response.status_code == 202, response.get_data(as_text=True)[:300]
    job_id = response.get_json()["id"]
    assert response.headers["Location"].endswith(f"/api/v1/jobs/{job_id}")
    assert response.get_json()["kind"] == "import" and response.get_json()["format"] == "article"

    doc = api["editor"]("GET", f"/jobs/{job_id}").get_json()
    assert doc["state"] == "done", doc
    [article_id] = doc["result"]["article_ids"]
    article = api["editor"]("GET", f"/articles/{article_id}").get_json()
    assert article["title"] == "Long one" and article["outlet"] == "Desk wire"
    proposed = [c for c in article["claims"] if c["state"] == "proposed"]
    assert proposed and f"{len(proposed)} claims proposed" in doc["result"]["summary"]
    # The same pipeline as an import in the request: one import event, by the sender.
    with session_scope(engine, write=False) as s:
        [event] = s.exec(select(Event).where(Event.article_id == article_id,
                                             Event.action == "import")).all()
        assert s.get(User, event.actor_id).username == "editor"


def test_a_short_article_is_still_imported_in_the_request(api, small_limit):
    response = api["editor"]("POST", "/articles", {
        "text": "The mayor said 40 bridges were rebuilt in 2023.", "title": "Short"})
    assert response.status_code == 201
    assert response.get_json()["title"] == "Short"


def test_what_was_typed_is_refused_at_once_not_by_the_job(api, engine, small_limit, long_text):
    too_long_title = "T" * (articles.MAX_TITLE + 1)
    for body, word in [({"text": long_text, "published": "yesterday"}, "Published date"),
                       ({"text": long_text, "url": "javascript:alert(1)"}, "http"),
                       ({"text": long_text, "title": too_long_title}, "title")]:
        response = api["editor"]("POST", "/articles", body)
        assert response.status_code == 400, body
        assert word in response.get_json()["detail"]
    assert _count(engine, Job) == 0 and _count(engine, Article) == 0


def test_a_duplicate_long_article_fails_its_job_with_the_reason(api, engine, small_limit,
                                                                long_text):
    first = api["editor"]("POST", "/articles", {"text": long_text})
    second = api["editor"]("POST", "/articles", {"text": long_text})
    assert first.status_code == second.status_code == 202
    doc = api["editor"]("GET", f"/jobs/{second.get_json()['id']}").get_json()
    assert doc["state"] == "failed"
    assert doc["error"].startswith("This article was imported already")
    assert _count(engine, Article) == 1


def test_the_web_form_goes_to_the_job_page_which_links_the_article(as_user, small_limit,
                                                                   long_text):
    editor = as_user("editor")
    response = editor.post("/articles", data={"text": long_text, "title": "Pasted long"})
    assert response.status_code == 303
    assert "/jobs/" in response.headers["Location"]
    page = editor.get(response.headers["Location"]).get_data(as_text=True)
    assert "a worker imports it" in page
    assert "Pasted long" in page and "claims proposed" in page
    assert "Import of a long article" in page and "Open the article" in page
    assert 'href="/articles/' in page
    # The job page belongs to Import here, not to Exports: the header and the way back say so.
    assert re.search(r'href="/articles/new"[^>]*aria-current="page">Import<', page)
    assert 'aria-current="page">Exports<' not in page and "Back to exports" not in page
    assert 'aria-current="page">Articles<' not in page
    assert '<a href="/articles/new">Import another article</a>' in page


def test_a_long_uploaded_file_is_queued_too(as_user, small_limit, long_text):
    import io

    editor = as_user("editor")
    response = editor.post("/articles", data={
        "file": (io.BytesIO(long_text.encode()), "long.txt")},
        content_type="multipart/form-data")
    assert response.status_code == 303 and "/jobs/" in response.headers["Location"]


def test_the_worker_refuses_a_sender_who_may_no_longer_import(engine, people, long_text):
    with session_scope(engine) as s:
        editor = s.get(User, people["editor"])
        job = article_jobs.queue(s, editor, articles.ImportRequest(text=long_text))
        editor.role = "viewer"
        job_id = job.id
    jobs.run_import_job(engine, job_id, fmt=article_jobs.FORMAT)
    with session_scope(engine, write=False) as s:
        job = s.get(Job, job_id)
        assert job.status == "failed" and "may no longer import" in job.error
    assert _count(engine, Article) == 0


def test_a_kept_request_that_is_not_json_fails_with_a_sentence(engine, people):
    with session_scope(engine) as s:
        with pytest.raises(Invalid, match="could not be read"):
            article_jobs._import_queued(s, b"\xff not json", actor=s.get(User, people["editor"]))
        with pytest.raises(Forbidden):
            article_jobs._import_queued(s, b"{}", actor=None)


def test_the_limit_counts_bytes_and_zero_turns_queueing_off():
    req = articles.ImportRequest(text="é" * 600)  # 1,200 bytes in UTF-8
    assert article_jobs.too_long(req, 1_000)
    assert not article_jobs.too_long(req, 1_200)
    assert not article_jobs.too_long(req, 0)
    assert article_jobs.too_long(articles.ImportRequest(html="<p>x</p>" * 200), 1_000)


def test_a_failure_after_the_import_leaves_the_job_done(engine, people, long_text,
                                                        monkeypatch):
    def broken(*_args):
        raise RuntimeError("the queue is down")

    monkeypatch.setitem(jobs._AFTER_IMPORT, article_jobs.FORMAT, broken)
    with session_scope(engine) as s:
        job_id = article_jobs.queue(s, s.get(User, people["editor"]),
                                    articles.ImportRequest(text=long_text)).id
    jobs.run_import_job(engine, job_id, fmt=article_jobs.FORMAT)
    with session_scope(engine, write=False) as s:
        assert s.get(Job, job_id).status == "done"
    assert _count(engine, Article) == 1
