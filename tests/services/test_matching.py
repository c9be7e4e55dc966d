"""Checked before? Matching a claim against the desk's approved claims and other outlets'."""

from __future__ import annotations

import json

import pytest
from sqlmodel import select

from annotator.db import new_session, session_scope
from annotator.models import Event, ExternalFactCheck, MatchCandidate, User
from annotator.services import articles, claims, factchecks, matching
from annotator.services.errors import Forbidden, Invalid
from tests.exports.test_json_import import empty_engine  # noqa: F401  (a fixture)

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


# -- issue 20: two tiers, "not the same claim" ------------------------------------------------

WYOMING = ("Only Wyoming voted more Republican than West Virginia in the 2020 presidential "
           "election")


@pytest.fixture
def election_feed(engine, shared):
    """Load the whole shared Snopes feed (14k checks): the re-ranker weighs each candidate
    against the others retrieved, so the test sees what the desk would."""
    data = (shared / "data" / "claim-matching" /
            "snopes-factchecks.claimreview.json").read_text(encoding="utf-8")
    factchecks.load(engine, data)
    return {i["identifier"] for i in json.loads(data)["dataFeedElement"]
            if i["identifier"].startswith("vclaim-sno-kanye")}


def test_wyoming_voting_republican_is_not_the_same_claim_as_kanye_wests_votes(engine,
                                                                          election_feed):
    kanye = "vclaim-sno-kanye-west-receive-60000-votes"
    assert kanye in election_feed
    with new_session(engine) as s:
        found = matching.matches_for_text(s, WYOMING, limit=matching.MAX_LIMIT)
        tiers = {m.factcheck.identifier: m.tier for m in found}
        # Retrieval and the re-ranker still find it plausible, but it shares no whole name
        # ("West Virginia" is not "Kanye West"), no number but a year, and no key term.
        assert tiers.get(kanye) == "related"
        assert "same" not in tiers.values()
        # The same claim, told another way, is the same claim.
        again = matching.matches_for_text(
            s, "Kanye West garnered tens of thousands of votes for president, screenshots "
               "of state-by-state vote counts showed")
        assert again[0].factcheck.identifier == kanye and again[0].tier == "same"


def test_a_candidate_sharing_no_name_number_or_key_term_is_never_same():
    from annotator.matching.features import Candidate, Query, shared_evidence
    from annotator.matching.model import Model

    query = Query(WYOMING)
    kanye = Candidate("external", 1, "A Facebook post showed rapper Kanye West as having "
                      "garnered tens of thousands of presidential votes in the 2020 election.",
                      title="Did Kanye West Receive 60K Votes for US President?")
    virginia = Candidate("external", 2, "West Virginia voted Republican in 2020.")
    assert shared_evidence(query, kanye) == []
    assert "west virginia" in shared_evidence(query, virginia)
    model = Model(weights=(0.0,), threshold=0.2, same_threshold=0.6)
    assert model.tier(0.99, evidence=False) == "related"
    assert model.tier(0.99, evidence=True) == "same"
    assert model.tier(0.5, evidence=True) == "related"
    assert model.tier(0.1, evidence=True) is None


def test_a_rejected_match_stays_hidden_and_is_in_the_history_and_the_export(engine, people,
                                                                            desk):
    from annotator.exports.json_export import export_json

    second = _second_claim(engine, people)
    with new_session(engine) as s:
        found = matching.matches_for_claim(s, claims.get_claim(s, second), threshold=0.0)
        assert desk in [m.claim.id for m in found if m.claim is not None]
    with session_scope(engine) as s:
        reviewer = s.get(User, people["reviewer"])
        matching.link_match(s, reviewer, second, "desk", desk)
        value = matching.reject_match(s, reviewer, second, "desk", desk)
        matching.reject_match(s, reviewer, second, "desk", str(desk))  # once per pair
        assert value["claim_id"] == desk
    with new_session(engine) as s:
        found = matching.matches_for_claim(s, claims.get_claim(s, second), threshold=0.0)
        assert desk not in [m.claim.id for m in found if m.claim is not None]
        assert matching.linked(s, second) == []  # no longer "same claim as"
        events = s.exec(select(Event).where(Event.claim_id == second,
                                            Event.action == "reject_match")).all()
        assert len(events) == 1 and events[0].new["claim_id"] == desk
        document = json.loads("".join(export_json(s)))
    exported = next(c for a in document["articles"] for c in a["claims"] if c["id"] == second)
    assert [h["new"]["claim_id"] for h in exported["history"]
            if h["action"] == "reject_match"] == [desk]
    # Another claim still sees it: the rejection is per pair.
    with new_session(engine) as s:
        found = matching.matches_for_text(s, "at least six activists conscripted",
                                          threshold=0.0)
        assert desk in [m.claim.id for m in found if m.claim is not None]


def test_rejecting_refuses_viewers_and_bad_references(engine, people, desk):
    second = _second_claim(engine, people)
    with session_scope(engine, write=True) as s:
        with pytest.raises(Forbidden):
            matching.reject_match(s, s.get(User, people["viewer"]), second, "desk", desk)
        reviewer = s.get(User, people["reviewer"])
        for kind, ref in (("elsewhere", 1), ("desk", second), ("external", "x"),
                          ("external", 2**70)):
            with pytest.raises(Invalid):
                matching.reject_match(s, reviewer, second, kind, ref)


def test_a_rejected_pair_is_a_negative_when_the_matcher_is_retrained(engine, people, desk):
    from annotator.matching import train
    from annotator.matching.features import Query
    from annotator.matching.model import feature_rows

    second = _second_claim(engine, people)
    with new_session(engine) as s:
        claim = claims.get_claim(s, second)
        query = Query(claim.statement, claim.claimant)
        candidates = [c for _, c in matching.rank(s, claim.statement,
                                                  exclude_claim_id=second)]
        # What training saw before: the desk's claim taken for the same claim.
        rows = feature_rows(query, candidates)
        labels = [int(c.kind == "desk" and c.ref_id == desk) for c in candidates]
        assert sum(labels) == 1
        assert matching.feedback(s) == []
    with session_scope(engine) as s:
        matching.reject_match(s, s.get(User, people["reviewer"]), second, "desk", desk)
    with new_session(engine) as s:
        examples = matching.feedback(s)
    assert [(e.candidate.kind, e.candidate.ref_id, e.label) for e in examples] == [
        ("desk", desk, 0)]
    pair = feature_rows(examples[0].query, [examples[0].candidate])
    before = train.train(rows, labels)
    after = train.train(rows + pair, labels + [0])
    assert after.probability(pair[0]) < before.probability(pair[0])


def test_rejections_come_back_with_the_native_export_into_another_database(
        engine, people, desk, empty_engine):  # noqa: F811
    from annotator.exports.json_export import export_json
    from annotator.services.json_import import import_json

    second = _second_claim(engine, people)
    with session_scope(engine) as s:
        reviewer = s.get(User, people["reviewer"])
        found = matching.matches_for_claim(s, claims.get_claim(s, second), threshold=0.0,
                                           limit=matching.MAX_LIMIT)
        external = next(m.factcheck for m in found if m.factcheck is not None)
        matching.reject_match(s, reviewer, second, "desk", desk)
        matching.reject_match(s, reviewer, second, "external", external.id)
    with new_session(engine) as s:
        document = "".join(export_json(s))
    with session_scope(empty_engine) as s:
        import_json(s, document)
    with new_session(empty_engine) as s:
        moved = s.exec(select(ExternalFactCheck).where(
            ExternalFactCheck.url == external.url,
            ExternalFactCheck.identifier == external.identifier)).one()
        assert matching.rejected(s, second) == {("desk", desk), ("external", moved.id)}
        shown = matching.matches_for_claim(s, claims.get_claim(s, second), threshold=0.0,
                                           limit=matching.MAX_LIMIT)
        assert not {m.key for m in shown} & {("desk", desk), ("external", moved.id)}
