"""Checked before? marks: worked out after an import by a background job, shown on the page."""

from __future__ import annotations

import json

from sqlmodel import select

from annotator.db import session_scope
from annotator.models import MatchMark, User
from annotator.services import articles, factchecks, jobs, marks

FEED = [{"@type": "ClaimReview", "identifier": "fc-kz", "url": "https://checker.example/kz",
         "claimReviewed": "Six activists were conscripted into the army in Kazakhstan.",
         "name": "Were six Kazakh activists conscripted?",
         "reviewRating": {"alternateName": "True"}, "datePublished": "2019-06-12",
         "author": {"@type": "Organization", "name": "Checker"}}]
TEXT = ("Officials admitted that six activists were conscripted into the army in Kazakhstan "
        "last month. The harbour festival drew 4,000 visitors on Sunday, organisers said.")


def _import(engine, people) -> tuple[int, dict[str, int]]:
    with session_scope(engine) as s:
        article = articles.import_article(s, s.get(User, people["editor"]),
                                          articles.ImportRequest(text=TEXT, title="Report"))
        ids = {c.quote.split()[1]: c.id for c in articles.article_claims(s, article.id)}
        return article.id, ids


def test_the_job_marks_the_claims_an_earlier_fact_check_covers(engine, people):
    factchecks.load(engine, json.dumps(FEED))
    article_id, ids = _import(engine, people)
    with session_scope(engine, write=False) as s:
        assert marks.for_claims(s, list(ids.values())) == {}  # nothing during the import
    assert jobs.run_mark_job(engine, article_id) == 1
    with session_scope(engine, write=False) as s:
        found = marks.for_claims(s, list(ids.values()))
    assert set(found) == {ids["admitted"]}  # the festival has no earlier fact-check
    mark = found[ids["admitted"]]
    assert mark.best_kind == "external" and "Six activists" in mark.best_label
    assert mark.matches == 1 and 0 < mark.probability <= 1
    # Running it again replaces the marks, it does not add to them.
    assert jobs.run_mark_job(engine, article_id) == 1
    with session_scope(engine, write=False) as s:
        assert len(s.exec(select(MatchMark)).all()) == 1


def test_a_failing_job_leaves_no_marks_and_raises_nothing(engine, people, monkeypatch):
    article_id, ids = _import(engine, people)

    def broken(*_args, **_kw):
        raise RuntimeError("matcher down")

    monkeypatch.setattr(marks.matching, "matches_for_claim", broken)
    assert jobs.run_mark_job(engine, article_id) == 0
    with session_scope(engine, write=False) as s:
        assert marks.for_claims(s, list(ids.values())) == {}


def test_only_the_same_claim_marks_and_a_rejected_match_takes_its_mark_away(engine, people,
                                                                              monkeypatch):
    import dataclasses

    from annotator import matching as pure
    from annotator.services import matching

    factchecks.load(engine, json.dumps(FEED))
    article_id, ids = _import(engine, people)
    shipped = pure.load_model()
    # A "possibly related" match marks nothing: with no match called the same claim, no mark.
    monkeypatch.setattr(pure, "load_model",
                        lambda: dataclasses.replace(shipped, same_threshold=1.01))
    assert jobs.run_mark_job(engine, article_id) == 0
    monkeypatch.setattr(pure, "load_model", lambda: shipped)
    assert jobs.run_mark_job(engine, article_id) == 1
    with session_scope(engine) as s:
        (fc_id,) = [c.ref_id for c in matching.retrieve(s, FEED[0]["claimReviewed"])]
        matching.reject_match(s, s.get(User, people["reviewer"]), ids["admitted"], "external",
                              fc_id)
    with session_scope(engine, write=False) as s:
        assert marks.for_claims(s, list(ids.values())) == {}
    assert jobs.run_mark_job(engine, article_id) == 0  # and the job does not bring it back
