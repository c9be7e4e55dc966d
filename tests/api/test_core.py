"""The JSON API's core: articles, claims, sources, notes, transitions, errors."""

from __future__ import annotations

import pytest

TEXT = ("The port handled 3.1 million containers in 2024, up 12 percent on 2023.\n\n"
        "Mayor Ana Silva said the new crane cost 8 million euros.")


@pytest.fixture
def claim(api):
    """A claim the reviewer has taken, with a source: ready for a verdict."""
    created = api["editor"]("POST", "/articles", {"text": TEXT, "title": "Port"})
    assert created.status_code == 201, created.get_json()
    article = created.get_json()
    first = article["claims"][0]
    for action in ("accept", "start"):
        assert api["reviewer"]("POST", f"/claims/{first['id']}/transitions",
                               {"action": action}).status_code == 200
    added = api["reviewer"]("POST", f"/claims/{first['id']}/sources", {
        "url": "https://port.example/report", "title": "Annual report", "stance": "supports"})
    assert added.status_code == 201
    return api["reviewer"]("GET", f"/claims/{first['id']}").get_json()


def test_articles_are_listed_paginated_and_read_with_their_claims(api, claim):
    listed = api["viewer"]("GET", "/articles?page=1&per_page=1").get_json()
    assert listed["total"] == 1 and len(listed["items"]) == 1
    article = api["viewer"]("GET", f"/articles/{claim['article_id']}").get_json()
    for c in article["claims"]:
        assert article["body"][c["start"]:c["end"]] == c["quote"]
        assert {"id", "start", "end", "quote", "statement", "state", "verdict", "conclusion",
                "assignee", "version"} <= set(c)


def test_a_stale_patch_gets_409_with_the_current_claim(api, claim):
    fresh = api["reviewer"]("PATCH", f"/claims/{claim['id']}", {
        "version": claim["version"], "statement": "Port traffic rose 12%"})
    assert fresh.status_code == 200
    assert fresh.get_json()["version"] == claim["version"] + 1
    stale = api["reviewer"]("PATCH", f"/claims/{claim['id']}", {
        "version": claim["version"], "statement": "An older statement"})
    assert stale.status_code == 409
    assert stale.get_json()["detail"]["statement"] == "Port traffic rose 12%"
    assert api["viewer"]("GET", f"/claims/{claim['id']}").get_json()["statement"] == (
        "Port traffic rose 12%")


def test_four_eyes_refuses_self_approval_and_a_second_editor_approves(api, claim):
    patch = api["reviewer"]("PATCH", f"/claims/{claim['id']}", {
        "version": claim["version"], "verdict": "true", "conclusion": "The report agrees."})
    assert patch.status_code == 200
    assert api["reviewer"]("POST", f"/claims/{claim['id']}/notes",
                           {"body": "Checked **page 4**"}).status_code == 201
    submitted = api["reviewer"]("POST", f"/claims/{claim['id']}/transitions",
                                {"action": "submit"})
    assert submitted.status_code == 200
    # A reviewer may never approve; neither may an editor who submitted (tested below).
    assert api["reviewer"]("POST", f"/claims/{claim['id']}/transitions",
                           {"action": "approve"}).status_code == 403
    back = api["editor"]("POST", f"/claims/{claim['id']}/transitions",
                         {"action": "request_changes", "comment": "Add the 2023 figure"})
    assert back.status_code == 200
    # The editor takes over the claim and submits it: now the four-eyes rule binds them.
    api["editor"]("POST", f"/claims/{claim['id']}/transitions",
                  {"action": "assign", "assignee": "editor"})
    assert api["editor"]("POST", f"/claims/{claim['id']}/transitions",
                         {"action": "submit"}).status_code == 200
    own = api["editor"]("POST", f"/claims/{claim['id']}/transitions", {"action": "approve"})
    assert own.status_code == 403
    assert own.get_json()["error"] == "Forbidden"
    assert "another editor" in own.get_json()["detail"].lower()
    approved = api["editor2"]("POST", f"/claims/{claim['id']}/transitions",
                              {"action": "approve"})
    assert approved.status_code == 200
    body = approved.get_json()
    assert body["state"] == "approved" and body["approved_by"]["username"] == "editor2"
    assert body["notes"][0]["body"] == "Checked **page 4**"


def test_invalid_actions_and_versions_get_409(api, claim):
    assert api["reviewer"]("POST", f"/claims/{claim['id']}/transitions",
                           {"action": "approve"}).status_code in (403, 409)
    assert api["editor"]("POST", f"/claims/{claim['id']}/transitions",
                         {"action": "approve"}).status_code == 409
    assert api["reviewer"]("POST", f"/claims/{claim['id']}/transitions",
                           {"action": "submit", "version": claim["version"] - 1}
                           ).status_code == 409
    assert api["reviewer"]("POST", f"/claims/{claim['id']}/transitions",
                           {"action": "fly"}).status_code == 409


@pytest.mark.parametrize("method, path, body, status", [
    ("PATCH", "/claims/{id}", {"statement": "no version"}, 400),
    ("PATCH", "/claims/{id}", {"version": "1"}, 400),
    ("PATCH", "/claims/{id}", {"version": 1, "verdict": "nonsense"}, 400),
    ("POST", "/claims/{id}/sources", {"url": "javascript:alert(1)", "stance": "supports"}, 400),
    ("POST", "/claims/{id}/sources", {"url": "https://a.example", "stance": "maybe"}, 400),
    ("POST", "/claims/{id}/notes", {"body": ""}, 400),
    ("POST", "/claims/{id}/notes", {"body": 5}, 400),
    ("POST", "/claims/{id}/transitions", {}, 400),
    ("GET", "/claims/999999", None, 404),
    ("GET", "/articles?per_page=0", None, 400),
])
def test_bad_input_gets_a_json_error_never_a_500(api, claim, method, path, body, status):
    response = api["reviewer"](method, path.format(id=claim["id"]), body)
    assert response.status_code == status
    body = response.get_json()
    assert set(body) == {"error", "detail"} and body["detail"]


def test_a_viewer_cannot_change_anything(api, claim):
    assert api["viewer"]("PATCH", f"/claims/{claim['id']}", {
        "version": claim["version"], "statement": "x"}).status_code == 403
    assert api["viewer"]("POST", f"/claims/{claim['id']}/notes", {"body": "x"}
                         ).status_code == 403
