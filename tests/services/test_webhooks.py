"""Webhooks (services/webhooks.py): endpoints, events from the services, signed deliveries.

The queue runs inline here (immediate mode); tests/test_worker.py sends through real workers.
"""

from __future__ import annotations

import http.server
import json
import threading

import pytest
from sqlmodel import select
from standardwebhooks.webhooks import Webhook

from annotator import tasks
from annotator.db import session_scope
from annotator.models import Event, User, WebhookAttempt, WebhookDelivery
from annotator.services import articles, claims, publish, webhooks
from annotator.services.errors import Forbidden, Invalid

TEXT = ("The mayor said 40 bridges were rebuilt in 2023. The council says only 12 were. "
        "Unemployment fell to 4 percent last year, the minister claimed.")


class Receiver:
    """A local receiver on 127.0.0.1: records requests, answers from a list of statuses."""

    def __init__(self, statuses=()):
        self.statuses, self.requests = list(statuses), []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - the standard library's name
                body = self.rfile.read(int(self.headers["Content-Length"]))
                outer.requests.append((dict(self.headers), body))
                self.send_response(outer.statuses.pop(0) if outer.statuses else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    found = Receiver()
    yield found
    found.close()


@pytest.fixture
def inline(engine):
    """Tasks run inline with this test's database, private addresses allowed, no waits."""
    tasks.use(engine, {"ALLOW_PRIVATE_URLS": True, "WEBHOOK_RETRY_SECONDS": "0,0,0"})
    yield


def _endpoint(engine, people, url, events) -> tuple[int, str]:
    with session_scope(engine) as s:
        endpoint = webhooks.add_endpoint(s, s.get(User, people["admin"]), url, events,
                                         allow_private=True)
        return endpoint.id, endpoint.secret


def _approved_claim(engine, people) -> int:
    with session_scope(engine) as s:
        editor, reviewer = s.get(User, people["editor"]), s.get(User, people["reviewer"])
        article = articles.import_article(s, editor, articles.ImportRequest(text=TEXT,
                                                                            title="Bridges"))
        claim = articles.article_claims(s, article.id)[0]
        claims.transition(s, editor, claim.id, "accept")
        claims.transition(s, reviewer, claim.id, "start")
        current = claims.get_claim(s, claim.id)
        claims.update_claim(s, reviewer, claim.id, current.version,
                            {"verdict": "false", "conclusion": "Only 12 were rebuilt."})
        claims.add_source(s, reviewer, claim.id, {"url": "https://council.example.org/r",
                                                  "stance": "refutes", "title": "Council"})
        claims.transition(s, reviewer, claim.id, "submit")
        claims.transition(s, editor, claim.id, "approve")
        return claim.id


def test_it_refuses_a_private_address_unless_private_addresses_are_allowed(engine, people):
    with session_scope(engine) as s:
        admin = s.get(User, people["admin"])
        for url in ("http://127.0.0.1:9/hook", "http://10.0.0.1/hook", "ftp://example.org/x"):
            with pytest.raises(Invalid):
                webhooks.add_endpoint(s, admin, url, "claim.approved")
        assert webhooks.add_endpoint(s, admin, "http://127.0.0.1:9/hook", "claim.approved",
                                     allow_private=True).id


def test_it_refuses_unknown_events_and_non_admins(engine, people):
    with session_scope(engine) as s:
        with pytest.raises(Invalid):
            webhooks.add_endpoint(s, s.get(User, people["admin"]), "http://127.0.0.1/x",
                                  "claim.eaten", allow_private=True)
        with pytest.raises(Forbidden):
            webhooks.add_endpoint(s, s.get(User, people["editor"]), "http://127.0.0.1/x",
                                  "claim.approved", allow_private=True)


def test_an_approval_reaches_the_receiver_once_with_a_verifiable_signature(
        engine, people, receiver, inline):
    endpoint_id, secret = _endpoint(engine, people, receiver.url, "claim.approved")
    claim_id = _approved_claim(engine, people)
    assert len(receiver.requests) == 1
    headers, body = receiver.requests[0]
    payload = Webhook(secret).verify(body, headers)
    assert payload["type"] == "claim.approved" and payload["timestamp"]
    assert payload["data"]["id"] == claim_id and payload["data"]["state"] == "approved"
    assert payload["data"]["verdict"] == "false" and "sources" in payload["data"]
    with pytest.raises(Exception):  # noqa: B017 - any verification failure
        Webhook(webhooks.new_secret()).verify(body, headers)
    with session_scope(engine, write=False) as s:
        delivery = s.exec(select(WebhookDelivery)).one()
        assert delivery.endpoint_id == endpoint_id and delivery.status == "delivered"
        assert headers["webhook-id"] == delivery.msg_id


def test_publishing_and_reopening_a_published_claim_send_their_events(
        engine, people, receiver, inline):
    _endpoint(engine, people, receiver.url, ["claim.published", "claim.reopened"])
    claim_id = _approved_claim(engine, people)
    assert receiver.requests == []  # approval is not asked for
    with session_scope(engine) as s:
        editor = s.get(User, people["editor"])
        publish.set_published_url(s, editor, claim_id, "https://desk.example.org/fc/1")
        claims.transition(s, editor, claim_id, "reopen", comment="New evidence")
    types = [json.loads(body)["type"] for _, body in receiver.requests]
    assert types == ["claim.published", "claim.reopened"]


def test_a_failing_receiver_is_retried_and_each_try_is_logged(engine, people, inline):
    flaky = Receiver([500, 500])
    try:
        _endpoint(engine, people, flaky.url, "article.imported")
        with session_scope(engine) as s:
            articles.import_article(s, s.get(User, people["editor"]),
                                    articles.ImportRequest(text=TEXT, title="Bridges"))
        assert len(flaky.requests) == 3
        assert len({h["webhook-id"] for h, _ in flaky.requests}) == 1
        with session_scope(engine, write=False) as s:
            tries = s.exec(select(WebhookAttempt).order_by(WebhookAttempt.id)).all()
            assert [t.status_code for t in tries] == [500, 500, 200]
            assert tries[0].error and not tries[2].error
            assert s.exec(select(WebhookDelivery)).one().status == "delivered"
    finally:
        flaky.close()


def test_a_delivery_can_be_sent_again_from_the_log(engine, people, receiver, inline):
    _endpoint(engine, people, receiver.url, "article.imported")
    with session_scope(engine) as s:
        articles.import_article(s, s.get(User, people["editor"]),
                                articles.ImportRequest(text=TEXT, title="Bridges"))
    with session_scope(engine) as s:
        delivery = s.exec(select(WebhookDelivery)).one()
        webhooks.resend(s, s.get(User, people["admin"]), delivery.id)
    assert len(receiver.requests) == 2
    assert receiver.requests[0][0]["webhook-id"] == receiver.requests[1][0]["webhook-id"]
    with session_scope(engine, write=False) as s:
        assert s.exec(select(Event).where(Event.action == "webhook_resend")).first()


def test_the_retry_schedule_starts_within_seconds_and_ends_within_a_day():
    waits = webhooks.RETRY_SECONDS
    assert waits[0] <= 10 and sum(waits[:2]) < 240  # the third try within four minutes
    assert list(waits) == sorted(waits) and waits[-1] == 24 * 3600


def test_nothing_is_recorded_when_no_endpoint_wants_the_event(engine, people, inline):
    _approved_claim(engine, people)
    with session_scope(engine, write=False) as s:
        assert s.exec(select(WebhookDelivery)).all() == []


def test_a_finished_job_sends_job_finished_with_its_json(engine, people, receiver):
    from annotator.exports import ExportFilter
    from annotator.services import jobs

    tasks.use(engine, {"ALLOW_PRIVATE_URLS": True, "PUBLIC_BASE_URL": "https://desk.example"})
    _endpoint(engine, people, receiver.url, "job.finished")
    with session_scope(engine) as s:
        job_id = jobs.create_export_job(s, s.get(User, people["viewer"]), "csv",
                                        ExportFilter()).id
    jobs.enqueue_job(job_id)  # immediate mode: the job runs now
    assert len(receiver.requests) == 1
    data = json.loads(receiver.requests[0][1])["data"]
    assert data["id"] == job_id and data["state"] == data["status"] == "done"
    assert data["download"] == f"https://desk.example/jobs/{job_id}/download"
