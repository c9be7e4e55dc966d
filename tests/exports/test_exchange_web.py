"""The Exports page: formats and filters, background jobs with progress, JSON import jobs."""

from __future__ import annotations

import json
import re
import time

import pytest

from annotator.db import new_session
from annotator.exports import FORMATS
from annotator.models import Job
from annotator.services import jobs


def _wait(client, job_id: int, timeout: float = 60) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = client.get(f"/jobs/{job_id}?format=json").get_json()
        if state["status"] in ("done", "failed"):
            return state
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} did not finish")


def _job_id(response) -> int:
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    return int(re.search(r"/jobs/(\d+)$", response.headers["Location"]).group(1))


def test_the_exports_page_offers_every_format_and_filter(as_user, work):
    page = as_user("viewer").get("/exports").get_data(as_text=True)
    for name in FORMATS:
        assert f'value="{name}"' in page
    for field in ('name="article"', 'name="state"', 'name="verdict"', 'name="since"',
                  'name="until"'):
        assert field in page


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_a_background_export_reports_progress_and_gives_the_file(as_user, work, fmt):
    client = as_user("viewer")
    job_id = _job_id(client.post("/exports/jobs", data={"format": fmt,
                                                        "article": work.article_id}))
    state = _wait(client, job_id)
    assert state["status"] == "done", state["error"]
    assert state["done"] == state["total"] > 0
    page = client.get(f"/jobs/{job_id}").get_data(as_text=True)
    assert "<progress" in page and "hx-trigger" not in page  # finished: polling stops
    assert re.search(r'href="/exports"[^>]*aria-current="page">Exports<', page)
    assert '<a href="/exports">Back to exports</a>' in page
    with client.get(state["download"]) as response:
        assert response.status_code == 200
        body = response.get_data(as_text=True)
    with client.post("/exports/download", data={"format": fmt,
                                                "article": work.article_id}) as direct:
        expected = direct.get_data(as_text=True)
    if fmt == "json":
        body, expected = json.loads(body), json.loads(expected)
        body.pop("exported_at"), expected.pop("exported_at")
    assert body == expected


def test_a_running_job_polls_every_second(as_user, work, engine, people):
    with new_session(engine) as s:
        job = Job(kind="export", format="csv", status="running", total=10, done=4,
                  created_by_id=people["viewer"])
        s.add(job)
        s.commit()
        job_id = job.id
    client = as_user("viewer")
    fragment = client.get(f"/jobs/{job_id}", headers={"HX-Request": "true"})
    html = fragment.get_data(as_text=True)
    assert html.lstrip().startswith(f'<section id="job-{job_id}"')
    assert 'hx-trigger="every 1s"' in html and 'value="4"' in html and 'max="10"' in html
    assert "HX-Request" in fragment.headers["Vary"]
    assert "style=" not in html  # the CSP has no unsafe-inline
    # Someone else's job is not shown to a viewer.
    assert as_user("reviewer").get(f"/jobs/{job_id}").status_code == 404


def test_a_job_whose_worker_died_waits_for_a_worker_then_is_taken_up_again(
        as_user, engine, people, work):
    from datetime import timedelta

    from annotator import tasks
    from annotator.models import utcnow

    silent = utcnow() - timedelta(seconds=jobs.STALE_SECONDS + 5)
    with new_session(engine) as s:
        job = Job(kind="export", format="json", status="running", attempts=1,
                  created_by_id=people["viewer"], params={}, filename="x.json",
                  updated_at=silent, heartbeat_at=silent)
        s.add(job)
        s.commit()
        job_id = job.id
    client = as_user("viewer")
    state = client.get(f"/jobs/{job_id}?format=json").get_json()
    assert state["state"] == "running" and state["waiting_for_worker"] is True
    assert "waiting for a worker" in client.get(f"/jobs/{job_id}").get_data(as_text=True)
    # The sweep (when a worker starts, then every half JOB_STALE_SECONDS) queues it; in immediate
    # mode the new take runs at once, and the job completes on its second attempt.
    tasks.use(engine, {})
    assert jobs._sweep() == [job_id]
    state = client.get(f"/jobs/{job_id}?format=json").get_json()
    assert state["state"] == state["status"] == "done" and state["attempts"] == 2
    assert state["download"] == f"/jobs/{job_id}/download"
    assert client.get(state["download"]).status_code == 200


def test_the_export_form_refuses_bad_input(as_user, work):
    client = as_user("viewer")
    assert client.post("/exports/jobs", data={"format": "pdf"}).status_code == 400
    assert client.post("/exports/jobs", data={"format": "json",
                                              "since": "soon"}).status_code == 400
    assert client.post("/exports/download", data={}).status_code == 400


def test_a_json_export_uploaded_as_a_job_is_imported(as_user, work, export):
    import io

    doc = json.loads(export("json"))
    doc["articles"][0]["body"] += " Appendix."
    doc["articles"][0]["content_hash"] = ""
    client = as_user("editor")
    assert as_user("viewer").post("/imports/json").status_code == 403
    data = {"file": (io.BytesIO(json.dumps(doc).encode()), "dump.json")}
    job_id = _job_id(client.post("/imports/json", data=data,
                                 content_type="multipart/form-data"))
    state = _wait(client, job_id)
    assert state["status"] == "done", state["error"]
    assert f"{work.claim_count} claims" in state["result"]["summary"]
    # Importing the unchanged export fails as a whole, with the reason on the job.
    data = {"file": (io.BytesIO(export("json").encode()), "dump.json")}
    failed = _wait(client, _job_id(client.post("/imports/json", data=data,
                                               content_type="multipart/form-data")))
    assert failed["status"] == "failed" and "nothing was imported" in failed["error"]


def test_one_claimreview_page_per_approved_claim(as_user, work):
    client = as_user("viewer")
    response = client.get(f"/claims/{work.approved}/claimreview.jsonld")
    assert response.status_code == 200 and response.mimetype == "application/ld+json"
    assert client.get(f"/claims/{work.in_progress}/claimreview.jsonld").status_code == 404
