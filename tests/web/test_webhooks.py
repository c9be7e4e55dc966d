"""Administration → Webhooks (web/webhooks.py): endpoints, the secret shown once, the log."""

from __future__ import annotations

import http.server
import re
import threading

import pytest
from sqlmodel import select

from annotator import tasks
from annotator.db import session_scope
from annotator.models import User, WebhookAttempt
from annotator.services import articles


@pytest.fixture
def receiver():
    hits = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - the standard library's name
            hits.append(self.rfile.read(int(self.headers["Content-Length"])))
            self.send_response(503 if len(hits) == 1 else 200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook", hits
    server.shutdown()
    server.server_close()


def _secret(page: str) -> str | None:
    found = re.search(r'class="secret-value" readonly value="(whsec_[^"]+)"', page)
    return found.group(1) if found else None


def test_an_admin_adds_an_endpoint_and_sees_its_secret_once(app, as_user):
    app.config["ALLOW_PRIVATE_URLS"] = True
    admin = as_user("admin")
    added = admin.post("/admin/webhooks", data={"url": "http://127.0.0.1:9/hook",
                                                "events": ["claim.approved", "job.finished"]})
    assert added.status_code == 201
    secret = _secret(added.get_data(True))
    assert secret
    page = admin.get("/admin/webhooks").get_data(True)
    assert "http://127.0.0.1:9/hook" in page and secret not in page
    assert 'href="/admin/webhooks"' in page  # the admin tabs link here
    listed = admin.get("/admin/webhooks?format=json").get_json()
    assert listed["total"] == 1 and listed["items"][0]["events"] == ["claim.approved",
                                                                     "job.finished"]
    assert "secret" not in listed["items"][0]


def test_it_refuses_a_private_address_and_a_missing_event_with_a_4xx(app, as_user):
    admin = as_user("admin")
    private = admin.post("/admin/webhooks", data={"url": "http://127.0.0.1:9/hook",
                                                  "events": ["job.finished"]})
    assert private.status_code == 400 and "non-public" in private.get_data(True)
    app.config["ALLOW_PRIVATE_URLS"] = True
    none = admin.post("/admin/webhooks", data={"url": "http://127.0.0.1:9/hook"})
    assert none.status_code == 400 and "at least one event" in none.get_data(True)


def test_only_admins_reach_the_webhooks_pages(as_user):
    editor = as_user("editor")
    assert editor.get("/admin/webhooks").status_code == 403
    assert editor.post("/admin/webhooks", data={"url": "https://example.org/h",
                                                "events": ["job.finished"]}).status_code == 403


def test_the_log_shows_each_try_and_a_delivery_can_be_sent_again(
        app, as_user, engine, people, receiver):
    url, hits = receiver
    app.config["ALLOW_PRIVATE_URLS"] = True
    admin = as_user("admin")
    assert admin.post("/admin/webhooks", data={"url": url, "events": ["article.imported"]}
                      ).status_code == 201
    tasks.use(engine, {"ALLOW_PRIVATE_URLS": True, "WEBHOOK_RETRY_SECONDS": "0"})
    with session_scope(engine) as s:
        articles.import_article(s, s.get(User, people["editor"]), articles.ImportRequest(
            text="The mayor said 40 bridges were rebuilt in 2023.", title="Bridges"))
    assert len(hits) == 2  # 503, then the retry got 200
    endpoint = admin.get("/admin/webhooks?format=json").get_json()["items"][0]["id"]
    log = admin.get(f"/admin/webhooks/{endpoint}?format=json").get_json()
    delivery = log["deliveries"]["items"][0]
    assert delivery["status"] == "delivered" and delivery["event"] == "article.imported"
    assert [a["status_code"] for a in delivery["attempts"]] == [503, 200]
    assert "503" in delivery["attempts"][0]["error"]
    page = admin.get(f"/admin/webhooks/{endpoint}").get_data(True)
    assert delivery["webhook_id"] in page and "Send again" in page
    again = admin.post(f"/admin/webhooks/deliveries/{delivery['id']}/resend")
    assert again.status_code == 303
    assert len(hits) == 3
    with session_scope(engine, write=False) as s:
        assert len(s.exec(select(WebhookAttempt)).all()) == 3
    paused = admin.post(f"/admin/webhooks/{endpoint}/active", data={"active": "0"})
    assert paused.status_code == 303
    assert admin.get("/admin/webhooks?format=json").get_json()["items"][0]["active"] is False
