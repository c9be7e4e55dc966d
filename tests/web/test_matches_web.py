"""Checked before? in the browser's HTML: the matches fragment, linking, loading fact-checks."""

from __future__ import annotations

import io
import json
import re
import time

import pytest
from sqlmodel import select

from annotator.db import new_session, session_scope
from annotator.models import Event, ExternalFactCheck, User
from annotator.services import articles, claims, factchecks

FIRST = ("Six activists were conscripted into the army in Kazakhstan last month, a rights "
         "group said. The weather was fine.")
SECOND = ("Kazakhstan conscripted six activists into the army against their will, campaigners "
          "say. Nobody else commented.")
FEED = [{"@type": "ClaimReview", "identifier": "fc-kz", "url": "https://checker.example/kz",
         "claimReviewed": "Six activists were drafted into the army in Kazakhstan.",
         "author": {"@type": "Organization", "name": "Checker"}}]


def approve(engine, people, text, statement, conclusion="Six names are documented.",
            claimant="") -> int:
    """Import text and take its first claim through review to approval; return its id."""
    with session_scope(engine) as s:
        editor, reviewer = s.get(User, people["editor"]), s.get(User, people["reviewer"])
        article = articles.import_article(s, editor, articles.ImportRequest(
            text=text, title="Report", url="https://news.example/a", published="2019-06-07"))
        claim_id = articles.article_claims(s, article.id)[0].id
        claims.transition(s, reviewer, claim_id, "accept")
        claims.transition(s, reviewer, claim_id, "start")
        claims.update_claim(s, reviewer, claim_id, claims.get_claim(s, claim_id).version, {
            "statement": statement, "verdict": "mostly_true", "conclusion": conclusion,
            "claimant": claimant})
        claims.add_source(s, reviewer, claim_id, {"url": "https://a.example/names",
                                                  "stance": "supports", "title": "Names"})
        claims.transition(s, reviewer, claim_id, "submit")
        claims.transition(s, editor, claim_id, "approve")
        return claim_id


def new_claim(engine, people, text) -> int:
    with session_scope(engine) as s:
        article = articles.import_article(s, s.get(User, people["editor"]),
                                          articles.ImportRequest(text=text, title="Second"))
        return articles.article_claims(s, article.id)[0].id


@pytest.fixture
def pair(engine, people):
    factchecks.load(engine, json.dumps(FEED))
    first = approve(engine, people, FIRST, "six activists conscripted in Kazakhstan")
    return first, new_claim(engine, people, SECOND)


def test_the_fragment_lists_the_desks_claim_and_the_outlets_factcheck(as_user, pair):
    first, second = pair
    page = as_user("viewer").get(f"/claims/{second}/matches", headers={"HX-Request": "true"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "<html" not in html
    assert 'id="matches"' in html and "Checked before?" in html
    assert f'href="/claims/{first}"' in html and "https://checker.example/kz" in html
    assert "Mostly true" in html  # the desk's verdict, by its label
    assert "Same claim as this" not in html  # a viewer cannot link
    full = as_user("viewer").get(f"/claims/{second}/matches").get_data(as_text=True)
    assert "<html" in full and "Checked before?" in full


def test_the_fragment_has_a_json_twin_in_the_api_shape(as_user, pair):
    first, second = pair
    body = as_user("viewer").get(f"/claims/{second}/matches",
                                 headers={"Accept": "application/json"}).get_json()
    assert body["total"] == len(body["items"]) >= 1
    assert {"desk", "external"} == {item["kind"] for item in body["items"]}


def test_a_reviewer_links_a_match_and_the_history_records_it(as_user, engine, pair):
    first, second = pair
    reviewer = as_user("reviewer")
    html = reviewer.get(f"/claims/{second}/matches", headers={"HX-Request": "true"}).get_data(
        as_text=True)
    assert "Same claim as this" in html
    response = reviewer.post(f"/claims/{second}/matches/link",
                             data={"kind": "desk", "ref": str(first)},
                             headers={"HX-Request": "true"})
    assert response.status_code == 200 and "Linked" in response.get_data(as_text=True)
    with new_session(engine) as s:
        (event,) = s.exec(select(Event).where(Event.claim_id == second,
                                                 Event.action == "link_match")).all()
        assert event.new["claim_id"] == first
    assert as_user("viewer").post(f"/claims/{second}/matches/link",
                                  data={"kind": "desk", "ref": str(first)}).status_code == 403


def test_an_admin_uploads_a_feed_and_watches_it_load(as_user, engine):
    admin = as_user("admin")
    assert "external fact-checks are loaded" in admin.get("/admin/factchecks").get_data(True)
    assert as_user("editor").get("/admin/factchecks").status_code == 403
    upload = {"file": (io.BytesIO(json.dumps(FEED).encode()), "feed.json")}
    response = admin.post("/admin/factchecks", data=upload,
                          content_type="multipart/form-data")
    assert response.status_code == 303
    job_url = response.headers["Location"]
    assert re.search(r"/admin/factchecks/jobs/\d+$", job_url)
    deadline = time.monotonic() + 60
    while True:
        state = admin.get(job_url, headers={"Accept": "application/json"}).get_json()
        if state["status"] in ("done", "failed") or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert state["status"] == "done" and state["result"]["created"] == 1
    assert "1 added" in admin.get(job_url).get_data(as_text=True)
    with new_session(engine) as s:
        assert len(s.exec(select(ExternalFactCheck)).all()) == 1


def test_an_empty_or_broken_upload_is_refused_clearly(as_user):
    admin = as_user("admin")
    response = admin.post("/admin/factchecks", data={}, content_type="multipart/form-data")
    assert response.status_code == 400 and "Choose a ClaimReview" in response.get_data(True)


def test_a_reviewer_marks_a_match_not_the_same_claim_and_it_is_gone(as_user, engine, pair):
    first, second = pair
    reviewer = as_user("reviewer")
    html = reviewer.get(f"/claims/{second}/matches", headers={"HX-Request": "true"}).get_data(
        as_text=True)
    assert "Not the same claim" in html and 'name="csrf_token"' in html
    response = reviewer.post(f"/claims/{second}/matches/reject",
                             data={"kind": "desk", "ref": str(first)},
                             headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "Marked not the same claim" in html
    assert f'href="/claims/{first}"' not in html
    with new_session(engine) as s:
        (event,) = s.exec(select(Event).where(Event.claim_id == second,
                                              Event.action == "reject_match")).all()
        assert event.new["claim_id"] == first
    # Without htmx the form answers with a redirect back to the claim.
    again = reviewer.post(f"/claims/{second}/matches/reject",
                          data={"kind": "desk", "ref": str(first)})
    assert again.status_code == 303
    assert as_user("viewer").post(f"/claims/{second}/matches/reject",
                                  data={"kind": "desk", "ref": str(first)}).status_code == 403


def test_possibly_related_matches_are_collapsed_under_their_own_heading(as_user, pair,
                                                                        monkeypatch):
    import dataclasses

    from annotator import matching

    first, second = pair
    shipped = matching.load_model()
    # A desk whose model calls nothing the same claim: every match is "possibly related".
    monkeypatch.setattr(matching, "load_model",
                        lambda: dataclasses.replace(shipped, same_threshold=1.01))
    body = as_user("viewer").get(f"/claims/{second}/matches",
                                 headers={"Accept": "application/json"}).get_json()
    assert body["items"] and {i["tier"] for i in body["items"]} == {"related"}
    html = as_user("viewer").get(f"/claims/{second}/matches",
                                 headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "No earlier fact-check of the same claim." in html
    assert f"{len(body['items'])} possibly related" in html
    assert html.index("<details") < html.index(f'href="/claims/{first}"')
