"""The exchange API: streamed exports, one ClaimReview, JSON import, the OpenAPI document."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest

from annotator.db import session_scope
from annotator.models import User
from annotator.services import articles, claims, users

TEXT = ("The city spent 4.2 million dollars on road repairs in 2023, the council said on "
        "Monday. Officials claimed that traffic deaths fell by 30 percent after the new "
        "speed limits. The mayor said unemployment is at its lowest level since 1990. "
        "Critics argue the budget doubled in five years.")


@pytest.fixture
def desk(engine, people):
    """One article with one approved claim, and a token per role."""
    with session_scope(engine) as s:
        editor, reviewer = s.get(User, people["editor"]), s.get(User, people["reviewer"])
        article = articles.import_article(s, editor, articles.ImportRequest(
            text=TEXT, title="Council budget", url="https://news.example/council",
            published="2024-01-15"))
        claim = articles.article_claims(s, article.id)[0]
        claims.transition(s, reviewer, claim.id, "accept")
        claims.transition(s, reviewer, claim.id, "start")
        claim = claims.get_claim(s, claim.id)
        claims.update_claim(s, reviewer, claim.id, claim.version, {
            "verdict": "false", "conclusion": "The budget records say otherwise.",
            "claimant": "The council"})
        claims.add_source(s, reviewer, claim.id, {"url": "https://budget.example/2023",
                                                  "stance": "refutes", "title": "Budget"})
        claims.transition(s, reviewer, claim.id, "submit")
        claims.transition(s, editor, claim.id, "approve")
        tokens = {role: users.create_token(s, s.get(User, people[role]))[1]
                  for role in ("admin", "editor", "reviewer", "viewer")}
        other = claims.create_claim(s, editor, article.id, 0, TEXT.index(","))
        return {"article": article.id, "claim": claim.id, "other": other.id, "tokens": tokens}


def _auth(desk, role="viewer") -> dict:
    return {"Authorization": f"Bearer {desk['tokens'][role]}"}


@pytest.mark.parametrize("fmt, media", [
    ("json", "application/json"), ("claimreview", "application/ld+json"),
    ("wadm", "application/ld+json"), ("csv", "text/csv"),
])
def test_every_format_streams_as_a_download(client, desk, fmt, media):
    with client.get(f"/api/v1/exports/{fmt}?article={desk['article']}",
                    headers=_auth(desk)) as response:
        assert response.status_code == 200
        assert response.is_streamed
        assert response.mimetype == media
        assert "attachment; filename=" in response.headers["Content-Disposition"]
        body = response.get_data(as_text=True)
    if fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(body.lstrip("\ufeff"))))
        (row,) = [r for r in rows if r["claim_id"] == str(desk["claim"])]
        assert row["claimant"] == "The council"
    else:
        assert json.loads(body)


def test_exports_take_the_cli_filters(client, desk):
    url = "/api/v1/exports/json?state=approved&verdict=false&since=2000-01-01&until=2999-01-01"
    with client.get(url, headers=_auth(desk)) as response:
        doc = json.loads(response.get_data())
    assert [c["id"] for a in doc["articles"] for c in a["claims"]] == [desk["claim"]]


@pytest.mark.parametrize("url, status", [
    ("/api/v1/exports/pdf", 404),
    ("/api/v1/exports/json?article=abc", 400),
    ("/api/v1/exports/json?since=yesterday", 400),
])
def test_bad_export_requests_get_json_errors(client, desk, url, status):
    with client.get(url, headers=_auth(desk)) as response:
        assert response.status_code == status
        assert response.get_json()["error"]


def test_exports_need_a_token(client, desk):
    with client.get("/api/v1/exports/json") as response:
        assert response.status_code == 401


def test_one_claimreview_per_approved_claim(client, desk):
    response = client.get(f"/api/v1/claims/{desk['claim']}/claimreview", headers=_auth(desk))
    assert response.status_code == 200 and response.mimetype == "application/ld+json"
    doc = response.get_json(force=True)
    assert doc["@context"] == "https://schema.org" and doc["@type"] == "ClaimReview"
    assert doc["reviewRating"]["alternateName"] == "False"
    assert f"/claims/{desk['claim']}" in doc["url"]
    assert client.get(f"/api/v1/claims/{desk['other']}/claimreview",
                      headers=_auth(desk)).status_code == 404
    assert client.get("/api/v1/claims/999999/claimreview", headers=_auth(desk)).status_code \
        == 404


def test_an_export_posted_back_is_refused_as_a_duplicate_and_needs_an_editor(client, desk):
    with client.get("/api/v1/exports/json", headers=_auth(desk)) as response:
        doc = json.loads(response.get_data())
    assert client.post("/api/v1/imports/json", json=doc,
                       headers=_auth(desk, "reviewer")).status_code == 403
    response = client.post("/api/v1/imports/json", json=doc, headers=_auth(desk, "editor"))
    assert response.status_code == 409
    detail = response.get_json()["detail"]
    assert detail["article_id"] == desk["article"] and "already" in detail["reason"]
    doc["articles"][0]["body"] += " A new paragraph."
    doc["articles"][0]["content_hash"] = ""
    response = client.post("/api/v1/imports/json", json=doc, headers=_auth(desk, "editor"))
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["articles"] == 1
    assert "articles" in response.get_json()["renumbered"]


def test_the_openapi_document_is_public_and_covers_every_api_route(app, client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    doc = response.get_json()
    assert doc["openapi"].startswith("3.")
    assert doc["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1"):
            continue
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
        assert path in doc["paths"], f"{rule.rule} is not in openapi.json"
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            operation = doc["paths"][path].get(method.lower())
            assert operation, f"{method} {path} is not in openapi.json"
            assert "200" in operation["responses"] or "201" in operation["responses"]
            for param in re.findall(r"{(\w+)}", path):
                assert param in [p["name"] for p in operation.get("parameters", [])]


def test_ids_beyond_the_database_range_are_not_found(client, desk):
    with client.get("/api/v1/claims/99999999999999999999/claimreview",
                    headers=_auth(desk)) as response:
        assert response.status_code == 404


def test_an_editor_records_where_an_approved_claim_was_published(client, desk):
    path = f"/api/v1/claims/{desk['claim']}"
    claim = client.get(path, headers=_auth(desk)).get_json()
    assert claim["state"] == "approved" and claim["published_url"] == ""
    url = "https://news.example/fact-checks/council-budget"
    refused = client.patch(path, headers=_auth(desk, "reviewer"),
                           json={"version": claim["version"], "published_url": url})
    assert refused.status_code == 403 and refused.get_json()["error"] == "Forbidden"
    done = client.patch(path, headers=_auth(desk, "editor"),
                        json={"version": claim["version"], "published_url": url})
    assert done.status_code == 200, done.get_json()
    assert done.get_json()["published_url"] == url and done.get_json()["state"] == "approved"
    with client.get(f"/api/v1/exports/json?article={desk['article']}",
                    headers=_auth(desk)) as response:
        doc = json.loads(response.get_data())
    (exported,) = [c for c in doc["articles"][0]["claims"] if c["id"] == desk["claim"]]
    assert exported["published_url"] == url and exported["claimant"] == "The council"


def test_claimant_and_published_url_come_back_from_an_exported_file(client, desk):
    path = f"/api/v1/claims/{desk['claim']}"
    version = client.get(path, headers=_auth(desk)).get_json()["version"]
    url = "https://news.example/fact-checks/1"
    assert client.patch(path, headers=_auth(desk, "editor"),
                        json={"version": version, "published_url": url}).status_code == 200
    with client.get(f"/api/v1/exports/json?article={desk['article']}",
                    headers=_auth(desk)) as response:
        doc = json.loads(response.get_data())
    doc["articles"][0]["body"] += " A new paragraph."
    doc["articles"][0]["content_hash"] = ""
    imported = client.post("/api/v1/imports/json", json=doc, headers=_auth(desk, "admin"))
    assert imported.status_code == 201, imported.get_json()
    new_id = imported.get_json()["article_ids"][str(desk["article"])]
    article = client.get(f"/api/v1/articles/{new_id}", headers=_auth(desk)).get_json()
    (claim,) = [c for c in article["claims"] if c["state"] == "approved"]
    assert (claim["claimant"], claim["published_url"]) == ("The council", url)
