"""Every API refusal has one shape: {"error": <HTTP status phrase>, "detail": <non-empty>}."""

from __future__ import annotations

import pytest

from annotator.db import session_scope
from annotator.models import User
from annotator.services import users

TEXT = "The port handled 3.1 million containers in 2024, up 12 percent on 2023."


@pytest.fixture
def call(client, engine, people):
    """Return call(role, method, path, body); role None sends no token."""
    secrets = {}
    with session_scope(engine) as s:
        for name in ("editor", "reviewer", "viewer"):
            _, secrets[name] = users.create_token(s, s.get(User, people[name]))

    def caller(role, method, path, body=None):
        headers = {"Authorization": f"Bearer {secrets[role]}"} if role else {}
        return client.open(f"/api/v1{path}", method=method, json=body, headers=headers)

    return caller


@pytest.fixture
def claim(call):
    created = call("editor", "POST", "/articles", {"text": TEXT, "title": "Port"})
    assert created.status_code == 201
    return created.get_json()["claims"][0]


def _error(response, status: int, phrase: str):
    assert response.status_code == status
    body = response.get_json()
    assert set(body) == {"error", "detail"}
    assert body["error"] == phrase
    assert body["detail"]
    return body["detail"]


def test_bad_input_answers_400_bad_request_with_the_reason(call, claim):
    detail = _error(call("reviewer", "PATCH", f"/claims/{claim['id']}", {"statement": "x"}),
                    400, "Bad Request")
    assert "version" in detail


def test_a_missing_token_answers_401_unauthorized(call):
    detail = _error(call(None, "GET", "/articles"), 401, "Unauthorized")
    assert "Bearer" in detail


def test_a_role_too_low_answers_403_forbidden_with_a_sentence(call, claim):
    detail = _error(call("viewer", "POST", f"/claims/{claim['id']}/notes", {"body": "x"}),
                    403, "Forbidden")
    assert detail.endswith(".")


def test_an_unknown_claim_answers_404_not_found(call):
    detail = _error(call("viewer", "GET", "/claims/999999"), 404, "Not Found")
    assert "claim" in detail.lower()


def test_an_unknown_api_route_answers_404_in_the_same_shape(call):
    _error(call("viewer", "GET", "/no-such-thing"), 404, "Not Found")


def test_a_stale_write_answers_409_with_the_current_claim_and_the_reason(call, claim):
    path = f"/claims/{claim['id']}"
    assert call("editor", "PATCH", path, {"version": claim["version"],
                                          "statement": "Traffic rose 12%"}).status_code == 200
    detail = _error(call("editor", "PATCH", path, {"version": claim["version"],
                                                   "statement": "Older"}), 409, "Conflict")
    assert detail["id"] == claim["id"] and detail["statement"] == "Traffic rose 12%"
    assert detail["version"] == claim["version"] + 1
    assert detail["reason"].startswith("Someone else saved this claim")


def test_an_action_not_valid_now_answers_409_with_the_reason(call, claim):
    detail = _error(call("editor", "POST", f"/claims/{claim['id']}/transitions",
                         {"action": "approve"}), 409, "Conflict")
    assert detail["state"] == "proposed" and detail["reason"]


def test_a_duplicate_article_answers_409_naming_the_article(call, claim):
    detail = _error(call("editor", "POST", "/articles", {"text": TEXT, "title": "Again"}),
                    409, "Conflict")
    assert detail["article_id"] == claim["article_id"] and detail["reason"]
