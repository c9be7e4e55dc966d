"""The matches API: GET /api/v1/matches?q= and GET /api/v1/claims/{id}/matches."""

from __future__ import annotations

import json

import pytest

from annotator.db import session_scope
from annotator.models import User
from annotator.services import articles, claims, factchecks, users

FEED = [
    {"@type": "ClaimReview", "identifier": "fc-kz", "url": "https://checker.example/kz",
     "claimReviewed": "Six activists were conscripted into the army in Kazakhstan.",
     "name": "Were six Kazakh activists conscripted?",
     "reviewRating": {"alternateName": "True"}, "datePublished": "2019-06-12",
     "author": {"@type": "Organization", "name": "Checker"}},
    {"@type": "ClaimReview", "identifier": "fc-moon",
     "claimReviewed": "The moon landing was staged in a film studio."},
]
ITEM_KEYS = {"kind", "statement", "url", "identifier", "publisher", "date", "score"}


@pytest.fixture
def token(engine, people):
    factchecks.load(engine, json.dumps(FEED))
    with session_scope(engine) as s:
        _, secret = users.create_token(s, s.get(User, people["viewer"]))
    return secret


def _get(client, path, token):
    return client.get(f"/api/v1{path}", headers={"Authorization": f"Bearer {token}"})


def test_a_text_query_lists_the_matching_external_factcheck(client, token):
    body = _get(client, "/matches?q=Kazakhstan+drafted+six+activists+into+the+army&limit=3",
                token).get_json()
    assert set(body) == {"items", "total"} and body["total"] == len(body["items"]) >= 1
    first = body["items"][0]
    assert set(first) >= ITEM_KEYS and first["kind"] == "external"
    assert (first["identifier"], first["rating"], first["publisher"], first["date"]) == (
        "fc-kz", "True", "Checker", "2019-06-12")


def test_a_claims_matches_have_the_same_shape(client, token, engine, people):
    with session_scope(engine) as s:
        article = articles.import_article(s, s.get(User, people["editor"]),
                                          articles.ImportRequest(
            text="Officials admitted that six activists were conscripted into the army in "
                 "Kazakhstan last month. The weather was fine.", title="Report"))
        claim_id = articles.article_claims(s, article.id)[0].id
        assert "six activists" in claims.get_claim(s, claim_id).quote
    body = _get(client, f"/claims/{claim_id}/matches", token).get_json()
    assert body["items"][0]["identifier"] == "fc-kz"
    assert all(item["kind"] in ("desk", "external") for item in body["items"])


@pytest.mark.parametrize("path", ["/matches", "/matches?q=", "/matches?q=x&limit=0",
                                  "/matches?q=x&limit=51", "/matches?q=x&limit=two",
                                  "/matches?q=" + "x" * 2001])
def test_bad_queries_get_a_400_with_a_reason(client, token, path):
    response = _get(client, path, token)
    assert response.status_code == 400
    assert response.get_json()["error"] == "Bad Request" and response.get_json()["detail"]


def test_matches_need_a_token_and_an_existing_claim(client, token):
    assert client.get("/api/v1/matches?q=army").status_code == 401
    assert _get(client, "/claims/999/matches", token).status_code == 404
