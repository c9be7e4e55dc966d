"""Checked before? Matching a claim against the desk's approved claims and other outlets'."""

from __future__ import annotations

import json

import pytest
from sqlmodel import select

from annotator.db import new_session, session_scope
from annotator.models import Event, MatchCandidate, User
from annotator.services import articles, claims, factchecks, matching
from annotator.services.errors import Forbidden, Invalid

SECOND_REPORT = (
    "Kazakh activists sent to the army, relatives say\n\n"
    "ALMATY -- Kazakhstan has conscripted six young opposition activists into the army after "
    "they joined street protests, their relatives say. "
    "The Defence Ministry said the call-ups were routine. "
    "Relatives of the men told reporters they would appeal to the courts."
)


def _approve(s, reviewer, editor, claim_id, statement, verdict="mostly_true"):
    if claims.get_claim(s, claim_id).state == "proposed":
        claims.transition(s, reviewer, claim_id, "accept")
    claims.transition(s, reviewer, claim_id, "start")
    claim = claims.get_claim(s, claim_id)
    claims.update_claim(s, reviewer, claim_id, claim.version, {
        "statement": statement, "verdict": verdict,
        "conclusion": "Six names are documented by rights groups."})
    claims.add_source(s, reviewer, claim_id, {"url": "https://a.example/names",
                                              "stance": "supports", "title": "Names"})
    claims.transition(s, reviewer, claim_id, "submit")
    claims.transition(s, editor, claim_id, "approve")


@pytest.fixture
def desk(engine, people, shared):
    """Import the shared article and approve its "at least six activists" claim."""
    text = (shared / "articles" / "kazakh-conscriptions.txt").read_text(encoding="utf-8")
    feed = json.loads((shared / "data" / "claim-matching" /
                       "snopes-factchecks.claimreview.json").read_text(encoding="utf-8"))
    # Some real noise: a few hundred other outlets' fact-checks, army drafts among them.
    items = [i for i in feed["dataFeedElement"] if "draft" in i["claimReviewed"].lower()]
    items += feed["dataFeedElement"][:300]
    factchecks.load(engine, json.dumps(items))
    with session_scope(engine) as s:
        editor, reviewer = s.get(User, people["editor"]), s.get(User, people["reviewer"])
        article = articles.import_article(s, editor, articles.ImportRequest(
            text=text, title="Kazakh conscriptions", url="https://example.org/kz",
            published="2019-06-07"))
        six = next(c for c in articles.article_claims(s, article.id)
                   if "at least six male activists" in c.quote)
        _approve(s, reviewer, editor, six.id, "at least six activists conscripted")
        return six.id


def _second_claim(engine, people) -> int:
    """Import the second report; return its claim on the six activists (made if not proposed)."""
    with session_scope(engine) as s:
        editor = s.get(User, people["editor"])
        article = articles.import_article(s, editor, articles.ImportRequest(
            text=SECOND_REPORT, title="Activists forced into the army"))
        found = [c.id for c in articles.article_claims(s, article.id)
                 if "six young opposition activists" in c.quote]
        if found:
            return found[0]
        start = article.body.index("Kazakhstan has conscripted")
        end = article.body.index("relatives say.", start) + len("relatives say")
        return claims.create_claim(s, editor, article.id, start, end).id


def test_a_repeated_claim_finds_the_desks_approved_one_first(engine, people, desk):
    second = _second_claim(engine, people)
    with new_session(engine) as s:
        found = matching.matches_for_claim(s, claims.get_claim(s, second))
        assert found, "the approved claim should be found"
        first = found[0].as_dict()
        assert first["kind"] == "desk" and first["claim_id"] == desk
        assert first["verdict"] == "mostly_true"
        assert first["statement"] == "at least six activists conscripted"
        assert 0 < first["score"] <= 1


def test_a_claims_own_matches_leave_it_out(engine, people, desk):
    with new_session(engine) as s:
        found = matching.matches_for_claim(s, claims.get_claim(s, desk), threshold=0.0)
        assert desk not in [m.claim.id for m in found if m.claim is not None]


def test_an_unrelated_text_matches_nothing_rather_than_noise(engine, people, desk):
    with new_session(engine) as s:
        assert matching.matches_for_text(s, "The central bank raised interest rates to "
                                            "four percent on Thursday.") == []
        assert matching.matches_for_text(s, "   ") == []


def test_retrieval_keeps_the_rarest_words_that_fit_the_budget():
    counts = {"rare": 3, "middling": matching.TERM_CAP, "common": matching.TERM_CAP + 1,
              "unknown": 0}
    assert matching.rare_terms(counts) == ["rare", "middling"]
    fits = matching.DOC_BUDGET // matching.TERM_CAP
    many = {f"word{i:03d}": matching.TERM_CAP for i in range(fits + 1)}
    assert matching.rare_terms(many) == sorted(many)[:fits]


def test_a_text_of_common_words_only_is_retrieved_by_its_rarest_one():
    big = matching.TERM_CAP + 1
    assert matching.rare_terms({"said": big * 3, "people": big}) == ["people"]
    assert matching.rare_terms({"zzzz": 0}) == []


def test_reopening_takes_a_claim_out_and_approving_puts_it_back(engine, people, desk):
    with session_scope(engine) as s:
        editor = s.get(User, people["editor"])
        claims.transition(s, editor, desk, "reopen", comment="New evidence")
        assert s.exec(select(MatchCandidate).where(MatchCandidate.kind == "desk",
                                                MatchCandidate.ref_id == desk)).first() is None
    second = _second_claim(engine, people)
    with new_session(engine) as s:
        found = matching.matches_for_claim(s, claims.get_claim(s, second), threshold=0.0)
        assert desk not in [m.claim.id for m in found if m.claim is not None]


def test_a_reviewer_links_a_match_once_and_it_is_in_the_history(engine, people, desk):
    second = _second_claim(engine, people)
    with session_scope(engine) as s:
        reviewer = s.get(User, people["reviewer"])
        value = matching.link_match(s, reviewer, second, "desk", desk)
        matching.link_match(s, reviewer, second, "desk", str(desk))  # twice: recorded once
        assert value["claim_id"] == desk
    with new_session(engine) as s:
        events = s.exec(select(Event).where(Event.claim_id == second,
                                                Event.action == "link_match")).all()
        assert len(events) == 1 and events[0].new["kind"] == "desk"
        assert matching.linked(s, second) == [events[0].new]


def test_linking_refuses_viewers_and_bad_references(engine, people, desk):
    second = _second_claim(engine, people)
    with session_scope(engine, write=True) as s:
        with pytest.raises(Forbidden):
            matching.link_match(s, s.get(User, people["viewer"]), second, "desk", desk)
        reviewer = s.get(User, people["reviewer"])
        with pytest.raises(Invalid):
            matching.link_match(s, reviewer, second, "elsewhere", 1)
        with pytest.raises(Invalid):
            matching.link_match(s, reviewer, second, "desk", second)
        with pytest.raises(Invalid):
            matching.link_match(s, reviewer, second, "external", "x")


def test_reindex_rebuilds_the_candidates_from_approved_claims_and_factchecks(engine, desk):
    with session_scope(engine) as s:
        before = sorted((c.kind, c.ref_id) for c in s.exec(select(MatchCandidate)).all())
        assert ("desk", desk) in before
        assert matching.reindex(s, batch=7) == len(before)
    with new_session(engine) as s:
        assert sorted((c.kind, c.ref_id) for c in s.exec(select(MatchCandidate)).all()) == before
