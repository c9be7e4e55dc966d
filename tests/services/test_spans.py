"""Merging, splitting and re-anchoring claims after the article's text is corrected."""

from __future__ import annotations

import pytest
from sqlmodel import select

from annotator.db import session_scope
from annotator.models import Article, Claim, Event, Note, Source, User
from annotator.services import articles, claims, spans
from annotator.services.errors import Invalid

TEXT = ("Hundreds of demonstrators have been detained in the past three months.\n\n"
        "At least six male activists have been summoned to army offices.\n\n"
        "Officials declined to comment on the summonses on Friday.")


@pytest.fixture
def setup(engine, people):
    with session_scope(engine) as s:
        editor = s.get(User, people["editor"])
        article = articles.import_article(s, editor, articles.ImportRequest(text=TEXT))
        for c in articles.article_claims(s, article.id):
            claims.transition(s, editor, c.id, "dismiss")
        ids = []
        for needle in ("Hundreds", "At least six", "Officials"):
            start = TEXT.index(needle)
            ids.append(claims.create_claim(s, editor, article.id, start,
                                           TEXT.index(".", start) + 1).id)
        return article.id, ids


def _editor(s, people):
    return s.get(User, people["editor"])


def test_it_merges_adjacent_claims_and_keeps_their_sources_and_notes(engine, people, setup):
    _, (a, b, c) = setup
    with session_scope(engine) as s:
        editor = _editor(s, people)
        claims.add_source(s, editor, b, {"url": "https://x.example/b", "stance": "context"})
        claims.add_note(s, editor, b, "note on b")
        merged = spans.merge(s, editor, a, b, s.get(Claim, a).version)
        body = s.get(Article, merged.article_id).body
        assert body[merged.start:merged.end] == merged.quote
        assert merged.quote.startswith("Hundreds") and merged.quote.endswith("army offices.")
        assert s.get(Claim, b).state == "dismissed"
        assert s.exec(select(Source).where(Source.claim_id == a)).one()
        assert s.exec(select(Note).where(Note.claim_id == a)).one()
        # With b merged away, a and c are now adjacent.
        spans.merge(s, editor, c, a, s.get(Claim, c).version)
        assert s.get(Claim, c).quote.startswith("Hundreds")


def test_it_refuses_to_merge_across_another_claim(engine, people, setup):
    _, (a, _b, c) = setup
    with session_scope(engine) as s, pytest.raises(Invalid, match="adjacent"):
        spans.merge(s, _editor(s, people), a, c, s.get(Claim, a).version)


def test_it_splits_a_claim_in_two_exact_spans(engine, people, setup):
    _, (_a, b, _c) = setup
    with session_scope(engine) as s:
        claim = s.get(Claim, b)
        at = claim.start + claim.quote.index(" have been")
        left, right = spans.split(s, _editor(s, people), b, at, claim.version)
        body = s.get(Article, left.article_id).body
        assert left.quote == "At least six male activists"
        assert right.quote == "have been summoned to army offices."
        for c in (left, right):
            assert body[c.start:c.end] == c.quote
        assert [e.action for e in s.exec(select(Event).where(Event.claim_id == right.id))] == [
            "create"]
        with pytest.raises(Invalid):
            spans.split(s, _editor(s, people), b, left.start + 1, left.version)


@pytest.mark.parametrize("change, expect", [
    (lambda t: "UPDATE: a correction was added.\n\n" + t, "moved"),
    (lambda t: t.replace("in the past three months", "in the past 3 months"), "moved"),
    (lambda t: t.replace("Hundreds of demonstrators have been detained in the past three "
                         "months.\n\n", ""), "orphaned"),
])
def test_it_reanchors_claims_after_a_correction(engine, people, setup, change, expect):
    article_id, (a, b, c) = setup
    with session_scope(engine) as s:
        article = s.get(Article, article_id)
        new_body = change(article.body)
        result = spans.correct_body(s, _editor(s, people), article_id, new_body, article.version)
    with session_scope(engine) as s:
        first = s.get(Claim, a)
        body = s.get(Article, article_id).body
        if expect == "orphaned":
            assert first.orphaned and result["orphaned"] >= 1
            assert first.quote.startswith("Hundreds")  # kept, never silently dropped
            assert s.exec(select(Event).where(Event.claim_id == a,
                                              Event.action == "orphan")).one()
        else:
            assert not first.orphaned
            assert body[first.start:first.end] == first.quote
            assert first.quote.startswith("Hundreds of demonstrators")
        for cid in (b, c):
            claim = s.get(Claim, cid)
            assert not claim.orphaned and body[claim.start:claim.end] == claim.quote


def test_a_crafted_long_correction_reanchors_in_linear_time(engine, people, setup):
    import time
    article_id, ids = setup
    with session_scope(engine) as s:
        claim = s.get(Claim, ids[1])
        # The claim's own prefix repeated: this made re-anchoring quadratic (19 s at 1.5 MB).
        crafted = (claim.prefix * (1_500_000 // len(claim.prefix) + 1))[:1_500_000]
        version = s.get(Article, article_id).version
    began = time.monotonic()
    with session_scope(engine) as s:
        result = spans.correct_body(s, _editor(s, people), article_id, crafted, version)
    assert time.monotonic() - began < 2.0
    with session_scope(engine) as s:
        every = s.exec(select(Claim).where(Claim.article_id == article_id)).all()
    assert result["orphaned"] == len(every)  # none of the sentences is left in the text


def test_a_correction_past_the_size_limit_is_refused_with_413(engine, people, setup):
    from annotator.services.errors import TooLarge
    article_id, _ = setup
    with session_scope(engine) as s, pytest.raises(TooLarge) as caught:
        spans.correct_body(s, _editor(s, people), article_id, "x" * (spans.MAX_BODY + 1),
                           s.get(Article, article_id).version)
    assert caught.value.status == 413


def test_the_correction_is_planned_without_writing_and_refused_if_overtaken(
        engine, people, setup):
    from annotator.services.claims import actor_of
    from annotator.services.errors import Conflict
    article_id, ids = setup
    corrected = TEXT.replace("three months", "four months")
    with session_scope(engine, write=False) as s:
        plan = spans.plan_correction(s, actor_of(_editor(s, people)), article_id, corrected,
                                     s.get(Article, article_id).version)
        assert not s.dirty and not s.new
    with session_scope(engine) as s:
        assert spans.apply_correction(s, _editor(s, people), plan)["orphaned"] == 0
    with session_scope(engine) as s, pytest.raises(Conflict):
        spans.apply_correction(s, _editor(s, people), plan)  # the article moved on
