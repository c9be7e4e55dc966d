"""The matches API: GET /api/v1/matches?q= and GET /api/v1/claims/{id}/matches."""

from __future__ import annotations

import json

import pytest
from sqlmodel import select

from annotator.db import session_scope
from annotator.models import Event, User
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
ITEM_KEYS = {"kind", "statement", "url", "identifier", "publisher", "date", "score", "tier"}


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


# -- issue 20: tiers and "not the same claim" -------------------------------------------------

NEAR = [
    {"@type": "ClaimReview", "identifier": f"fc-kz-{i}", "url": f"https://checker.example/{i}",
     "claimReviewed": text, "reviewRating": {"alternateName": "Mixed"}}
    for i, text in enumerate([
        "Kazakhstan drafted opposition activists into the army after protests.",
        "Six protesters in Kazakhstan were fined for joining street protests.",
        "The army of Kazakhstan recruits conscripts twice a year.",
    ])
]


def _claim(engine, people) -> int:
    with session_scope(engine) as s:
        article = articles.import_article(s, s.get(User, people["editor"]),
                                          articles.ImportRequest(
            text="Officials admitted that six activists were conscripted into the army in "
                 "Kazakhstan last month. The weather was fine.", title="Report"))
        return articles.article_claims(s, article.id)[0].id


def _token(engine, people, name: str) -> str:
    with session_scope(engine) as s:
        return users.create_token(s, s.get(User, people[name]))[1]


def test_each_match_has_a_tier_and_tier_same_keeps_only_the_same_claim(client, token,
                                                                        engine):
    factchecks.load(engine, json.dumps(NEAR))
    query = "/matches?q=Kazakhstan+drafted+six+activists+into+the+army&limit=50"
    every = _get(client, query, token).get_json()["items"]
    assert {i["tier"] for i in every} <= {"same", "related"}
    assert every[0]["tier"] == "same"
    same = _get(client, query + "&tier=same", token).get_json()["items"]
    assert "fc-kz" in {i["identifier"] for i in same}
    assert all(i["tier"] == "same" for i in same)
    assert [i for i in every if i["tier"] == "same"] == same
    related = _get(client, query + "&tier=related", token).get_json()["items"]
    assert [i for i in every if i["tier"] == "related"] == related
    # limit counts both tiers.
    two = _get(client, query.replace("limit=50", "limit=2"), token).get_json()["items"]
    assert two == every[:2]
    assert _get(client, query + "&tier=maybe", token).status_code == 400


def test_a_match_marked_not_the_same_claim_is_hidden_from_then_on(client, token, engine,
                                                                   people):
    claim_id = _claim(engine, people)
    before = _get(client, f"/claims/{claim_id}/matches", token).get_json()["items"]
    assert before[0]["identifier"] == "fc-kz"
    reviewer = _token(engine, people, "reviewer")
    answer = client.post(f"/api/v1/claims/{claim_id}/matches/reject",
                         json={"kind": "external", "ref": before[0]["factcheck_id"]},
                         headers={"Authorization": f"Bearer {reviewer}"})
    assert answer.status_code == 200 and answer.get_json()["kind"] == "external"
    after = _get(client, f"/claims/{claim_id}/matches", token).get_json()["items"]
    assert "fc-kz" not in {i["identifier"] for i in after}
    with session_scope(engine) as s:
        recorded = s.exec(select(Event).where(Event.claim_id == claim_id,
                                              Event.action == "reject_match")).all()
        assert [e.new["factcheck_id"] for e in recorded] == [before[0]["factcheck_id"]]
    # Twice is harmless: one pair, one event.
    again = client.post(f"/api/v1/claims/{claim_id}/matches/reject",
                        json={"kind": "external", "ref": str(before[0]["factcheck_id"])},
                        headers={"Authorization": f"Bearer {reviewer}"})
    assert again.status_code == 200


@pytest.mark.parametrize(("body", "status"), [
    ({"kind": "elsewhere", "ref": 1}, 400), ({"kind": "external"}, 400),
    ({"kind": "external", "ref": "one"}, 400), ({"kind": "external", "ref": 10**30}, 400),
    ({"kind": "external", "ref": True}, 400), ({"kind": "external", "ref": 999}, 404),
    ("not an object", 400),
])
def test_a_bad_rejection_gets_a_clear_4xx(client, token, engine, people, body, status):
    claim_id = _claim(engine, people)
    reviewer = _token(engine, people, "reviewer")
    answer = client.post(f"/api/v1/claims/{claim_id}/matches/reject", json=body,
                         headers={"Authorization": f"Bearer {reviewer}"})
    assert answer.status_code == status and answer.get_json()["detail"]


def test_a_viewer_may_not_reject_a_match(client, token, engine, people):
    claim_id = _claim(engine, people)
    answer = client.post(f"/api/v1/claims/{claim_id}/matches/reject",
                         json={"kind": "external", "ref": 1},
                         headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 403
