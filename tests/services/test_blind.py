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
    assert "differs from true" in both.lower()


SECOND_CONCLUSION = "The regulator's figure is 12 percent."


@pytest.fixture
def two_in_review(engine, people, in_review):
    """A second claim on the same blind article, submitted with verdict "true" too."""
    with session_scope(engine) as s:
        editor, reviewer = s.get(User, people["editor"]), s.get(User, people["reviewer"])
        article_id = s.get(Claim, in_review).article_id
        claim = claims.create_claim(s, editor, article_id, 50, len(TEXT))
        claims.transition(s, reviewer, claim.id, "start")
        claims.update_claim(s, reviewer, claim.id, s.get(Claim, claim.id).version,
                            {"verdict": "true", "conclusion": SECOND_CONCLUSION})
        claims.add_source(s, reviewer, claim.id, {"url": "https://port.example/s",
                                                  "stance": "supports"})
        claims.transition(s, reviewer, claim.id, "submit")
        return article_id, in_review, claim.id


def test_the_full_claim_page_hides_the_other_claims_verdicts_too(as_user, two_in_review):
    article_id, first, other = two_in_review
    second = as_user("reviewer2")
    # The full page of one claim lists the article's other claims too: none shows a verdict.
    for claim_id in (first, other):
        page = second.get(f"/claims/{claim_id}").get_data(True)
        assert "verdict-true" not in page, claim_id
        assert FIRST_CONCLUSION not in page and SECOND_CONCLUSION not in page
    assert "verdict-true" in as_user("editor").get(f"/claims/{first}").get_data(True)


def test_exports_filtered_by_verdict_count_no_hidden_claim(engine, people, as_user, client,
                                                          two_in_review):
    from annotator.exports.filters import ExportFilter
    from annotator.exports.rows import count_claims
    from annotator.services import users
    article_id, first, other = two_in_review
    second = as_user("reviewer2")
    editor = as_user("editor")
    for fmt in ("json", "csv", "wadm"):
        url = f"/exports/download?format={fmt}&verdict=true&article={article_id}"
        assert TEXT[50:70] not in second.get(url).get_data(True), fmt
        assert TEXT[50:70] in editor.get(url).get_data(True), fmt
    exported = second.get("/exports/download?format=json&verdict=true").get_json()
    assert [c for a in exported["articles"] for c in a["claims"]] == []
    exported = editor.get("/exports/download?format=json&verdict=true").get_json()
    assert len([c for a in exported["articles"] for c in a["claims"]]) == 2
    with session_scope(engine) as s:
        _, token = users.create_token(s, s.get(User, people["reviewer2"]))
        reader = s.get(User, people["reviewer2"])
        hidden = blind.hidden_claim_ids(s, reader)
        assert hidden == {first, other}
        assert count_claims(s, ExportFilter(verdicts=["true"], hidden=hidden)) == 0
        assert count_claims(s, ExportFilter(verdicts=["true"])) == 2
    api = client.get("/api/v1/exports/json?verdict=true",
                     headers={"Authorization": f"Bearer {token}"}).get_json()
    assert [c for a in api["articles"] for c in a["claims"]] == []


def test_the_sql_rule_agrees_with_the_pure_rule(engine, people, two_in_review):
    from sqlmodel import select

    from annotator import review
    from annotator.models import Article, BlindReview
    with session_scope(engine) as s:
        blind.record(s, s.get(User, people["reviewer2"]), two_in_review[1], "false", "No.")
        for name in people:
            user = s.get(User, people[name])
            hidden_sql = set(s.exec(select(Claim.id).where(blind.verdict_hidden(user))).all())
            visible_sql = set(s.exec(select(Claim.id).where(blind.verdict_visible(user))).all())
            pure = set()
            for claim in s.exec(select(Claim)).all():
                article = s.get(Article, claim.article_id)
                own = s.exec(select(BlindReview).where(BlindReview.claim_id == claim.id,
                                                       BlindReview.reviewer_id == user.id)
                             ).first() is not None
                if review.blind_to(article_blind=article.blind_review,
                                   actor=claims.actor_of(user), assignee_id=claim.assignee_id,
                                   submitted_by_id=claim.submitted_by_id, recorded_own=own,
                                   state=claim.state,
                                   has_verdict=bool(claim.verdict or claim.conclusion)):
                    pure.add(claim.id)
            assert hidden_sql == pure, name
            assert visible_sql.isdisjoint(hidden_sql) and visible_sql | hidden_sql == set(
                s.exec(select(Claim.id)).all()), name


@pytest.mark.parametrize("query", ["verdict=true", "article={article}&verdict=true",
                                   "q=regulator", "article={article}&q=regulator",
                                   "q=verdict:true"])
def test_lists_and_totals_count_no_hidden_claim(as_user, two_in_review, query):
    article_id, first, other = two_in_review
    url = "/claims?format=json&" + query.format(article=article_id)
    hidden = as_user("reviewer2").get(url).get_json()
    assert hidden["total"] == 0 and hidden["items"] == [], url
    shown = as_user("editor").get(url).get_json()
    assert shown["total"] >= 1 and shown["items"], url
    page = as_user("reviewer2").get(url.replace("format=json&", "")).get_data(True)
    assert SECOND_CONCLUSION not in page


def test_the_dashboard_counts_no_hidden_verdict(as_user, two_in_review):
    article_id, _, _ = two_in_review
    for url in ("/dashboard?format=json", f"/dashboard?format=json&article={article_id}"):
        bars = {b["key"]: b["count"] for b in
                as_user("reviewer2").get(url).get_json()["by_verdict"]}
        assert bars.get("true", 0) == 0, url
