"""The native JSON export: schema, spans, people without secrets, filters, streaming."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from sqlmodel import select

from annotator.db import new_session, session_scope
from annotator.exports import ExportFilter, export_json
from annotator.models import User
from annotator.services import articles, claims, users

SCHEMA = json.loads((Path(__file__).resolve().parents[2] / "annotator" / "exports"
                     / "export.schema.json").read_text())


@pytest.fixture
def reviewed(engine, people, shared):
    """The shared article with one claim taken through review to approval."""
    text = (shared / "articles" / "kazakh-conscriptions.txt").read_text(encoding="utf-8")
    with session_scope(engine) as s:
        editor, reviewer = s.get(User, people["editor"]), s.get(User, people["reviewer"])
        article = articles.import_article(s, editor, articles.ImportRequest(
            text=text, title="Kazakh conscriptions", url="https://example.org/kz",
            published="2019-06-07"))
        claim = next(c for c in articles.article_claims(s, article.id)
                     if "at least six male activists" in c.quote)
        for action in ("accept", "start"):
            claims.transition(s, reviewer, claim.id, action)
        claims.update_claim(s, reviewer, claim.id, claim.version, {
            "statement": "at least six activists conscripted", "verdict": "mostly_true",
            "conclusion": "Six names are documented."})
        claims.add_source(s, reviewer, claim.id, {"url": "https://a.example/1",
                                                  "stance": "supports", "title": "List"})
        claims.add_note(s, reviewer, claim.id, "Five names in the **article**")
        claims.transition(s, reviewer, claim.id, "submit")
        claims.transition(s, editor, claim.id, "approve")
        return article.id, claim.id


def _export(engine, filters=None) -> dict:
    session = new_session(engine)
    try:
        return json.loads("".join(export_json(session, filters)))
    finally:
        session.close()


def test_the_export_validates_against_its_schema_and_slices_back(engine, reviewed):
    doc = _export(engine)
    jsonschema.Draft202012Validator(SCHEMA, format_checker=jsonschema.FormatChecker()
                                    ).validate(doc)
    (article,) = doc["articles"]
    # The proposals of the shared article (the proposal budget holds back the rest).
    assert 10 <= len(article["claims"]) <= 18
    for claim in article["claims"]:
        assert article["body"][claim["start"]:claim["end"]] == claim["quote"]


def test_the_export_carries_the_whole_review(engine, reviewed):
    _, claim_id = reviewed
    claim = next(c for c in _export(engine)["articles"][0]["claims"] if c["id"] == claim_id)
    assert claim["statement"] == "at least six activists conscripted"
    assert claim["verdict"] == "mostly_true" and claim["state"] == "approved"
    assert claim["submitted_by"]["username"] == "reviewer"
    assert claim["approved_by"]["username"] == "editor"
    assert claim["sources"][0]["stance"] == "supports"
    assert claim["notes"][0]["body"] == "Five names in the **article**"
    actions = [e["action"] for e in claim["history"]]
    assert actions == ["accept", "start", "edit", "add_source", "note", "submit", "approve"]


def test_the_export_names_people_without_secrets(engine, people, reviewed):
    with session_scope(engine) as s:
        _, secret = users.create_token(s, s.get(User, people["editor"]))
        hashes = [u.password_hash for u in s.exec(select(User)).all()]
    with new_session(engine) as session:
        text = "".join(export_json(session))
    assert "$argon2" not in text and secret not in text
    assert not any(h in text for h in hashes)
    for person in json.loads(text)["people"]:
        assert set(person) == {"username", "display_name", "role", "active"}


def test_filters_narrow_the_claims(engine, reviewed):
    article_id, claim_id = reviewed
    doc = _export(engine, ExportFilter(states=["approved"]))
    assert [c["id"] for c in doc["articles"][0]["claims"]] == [claim_id]
    assert _export(engine, ExportFilter(article_ids=[article_id + 1]))["articles"] == []


def test_the_old_download_address_redirects_to_the_one_download_route(as_user, reviewed):
    article_id, _ = reviewed
    old = as_user("viewer").get(f"/exports/json?article={article_id}")
    assert old.status_code == 308
    assert old.headers["Location"].startswith("/exports/download?")
    assert f"article={article_id}" in old.headers["Location"]
    assert "format=json" in old.headers["Location"]


def test_the_download_streams_an_attachment(as_user, reviewed):
    article_id, _ = reviewed
    response = as_user("viewer").get(f"/exports/json?article={article_id}", follow_redirects=True)
    assert response.status_code == 200
    assert response.is_streamed
    assert f"annotator-article-{article_id}.json" in response.headers["Content-Disposition"]
    assert json.loads(response.get_data())["articles"][0]["id"] == article_id
    assert as_user("viewer").get("/exports/json?article=abc",
                                 follow_redirects=True).status_code == 400
