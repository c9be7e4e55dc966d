"""Blind second review: an independent verdict, hidden first verdict, editors see both."""

from __future__ import annotations

import pytest

from annotator.db import session_scope
from annotator.models import Claim, User
from annotator.services import articles, blind, claims
from annotator.services.errors import Conflict, Forbidden

TEXT = "The port handled 3.1 million containers in 2024, up 12 percent on the year before."
FIRST_CONCLUSION = "The annual report gives 3.1 million."


@pytest.fixture
def in_review(engine, people):
    """A blind article whose claim the reviewer has submitted with a verdict."""
    with session_scope(engine) as s:
        editor, reviewer = s.get(User, people["editor"]), s.get(User, people["reviewer"])
        blind.set_desk_default(s, editor, True)
        article = articles.import_article(s, editor, articles.ImportRequest(text=TEXT))
        assert article.blind_review
        claim = claims.create_claim(s, editor, article.id, 0, len(TEXT))
        claims.transition(s, reviewer, claim.id, "start")
        claims.update_claim(s, reviewer, claim.id, s.get(Claim, claim.id).version,
                            {"verdict": "true", "conclusion": FIRST_CONCLUSION})
        claims.add_source(s, reviewer, claim.id, {"url": "https://port.example/r",
                                                  "stance": "supports"})
        claims.transition(s, reviewer, claim.id, "submit")
        return claim.id


def test_it_hides_the_first_verdict_from_a_second_reviewer_only(engine, people, in_review):
    with session_scope(engine) as s:
        assert blind.hidden_claim_ids(s, s.get(User, people["reviewer2"])) == {in_review}
        assert blind.hidden_claim_ids(s, s.get(User, people["viewer"])) == {in_review}
        assert blind.hidden_claim_ids(s, s.get(User, people["reviewer"])) == set()
        assert blind.hidden_claim_ids(s, s.get(User, people["editor"])) == set()


def test_a_second_reviewer_records_an_independent_verdict_once(engine, people, in_review):
    with session_scope(engine) as s:
        second = s.get(User, people["reviewer2"])
        blind.record(s, second, in_review, "mostly_true", "Close, but rounded.")
        with pytest.raises(Conflict):
            blind.record(s, second, in_review, "true", "")
        with pytest.raises(Forbidden):
            blind.record(s, s.get(User, people["reviewer"]), in_review, "true", "")
        assert blind.hidden_claim_ids(s, second) == set()
        (row, who), = blind.reviews_of(s, in_review)
        assert (row.verdict, who.username) == ("mostly_true", "reviewer2")


def test_the_page_api_history_and_activity_hide_the_first_verdict(
        engine, people, in_review, as_user, client):
    second = as_user("reviewer2")
    panel = second.get(f"/claims/{in_review}", headers={"HX-Request": "true"}).get_data(True)
    assert FIRST_CONCLUSION not in panel
    assert "hidden (blind review)" in panel
    assert "Your independent verdict" in panel
    with session_scope(engine) as s:
        article_id = s.get(Claim, in_review).article_id
    for url in (f"/articles/{article_id}", f"/articles/{article_id}/activity",
                "/claims?format=json", f"/claims/{in_review}/live?since=0", "/queue"):
        assert FIRST_CONCLUSION not in second.get(url).get_data(True), url
    assert "verdict-true" not in second.get(f"/articles/{article_id}").get_data(True)

    from annotator.services import users
    with session_scope(engine) as s:
        _, token = users.create_token(s, s.get(User, people["reviewer2"]))
    api = client.get(f"/api/v1/claims/{in_review}", headers={"Authorization": f"Bearer {token}"})
    assert api.get_json()["verdict"] is None and api.get_json()["blinded"] is True
    assert FIRST_CONCLUSION not in api.get_data(True)

    for fmt in ("json", "csv", "wadm"):
        export = second.get(f"/exports/download?format={fmt}").get_data(True)
        assert FIRST_CONCLUSION not in export, fmt
        assert FIRST_CONCLUSION in as_user("editor").get(f"/exports/download?format={fmt}"
                                                         ).get_data(True), fmt
    assert FIRST_CONCLUSION not in second.get("/exports/json").get_data(True)
    api_export = client.get("/api/v1/exports/json",
                            headers={"Authorization": f"Bearer {token}"}).get_data(True)
    assert FIRST_CONCLUSION not in api_export and "hidden (blind review)" in api_export

    editor = as_user("editor")
    second.post(f"/claims/{in_review}/blind", data={"verdict": "false", "conclusion": "No."})
    both = editor.get(f"/claims/{in_review}", headers={"HX-Request": "true"}).get_data(True)
    assert FIRST_CONCLUSION in both and "Blind second verdicts" in both
    assert "differs from true" in both
