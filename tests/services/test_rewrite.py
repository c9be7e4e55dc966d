"""Undoing a rewrite step, restoring a removed line, suggesting a claimant (issue 20)."""

from __future__ import annotations

import pytest
from sqlmodel import select

from annotator.db import session_scope
from annotator.extract import rewrite as rw
from annotator.models import Article, Claim, Event, User
from annotator.services import articles, claims, rewrite
from annotator.services.errors import Conflict

TEXT = ("NUR-SULTAN -- Activist Maria Ivanova was fined 50,000 tenge on Monday for a protest "
        "outside the parliament building.\n\n"
        "Police detained 40 people at the rally, and 12 of them were jailed for 15 days.\n\n"
        "Accessibility links\n\n"
        "Ivanova told reporters the fine was the largest given to a protester in 2019.")


@pytest.fixture
def imported(engine, people):
    with session_scope(engine) as s:
        editor = s.get(User, people["editor"])
        article = articles.import_article(s, editor, articles.ImportRequest(
            text=TEXT, outlet="Daily Post", published="2019-06-07"))
        return article.id


def _first(s, article_id) -> Claim:
    return s.exec(select(Claim).where(Claim.article_id == article_id)
                  .order_by(Claim.start)).first()


def test_an_import_stores_the_steps_and_the_removed_lines(engine, imported):
    with session_scope(engine) as s:
        claim = _first(s, imported)
        assert [st["step"] for st in claim.rewrite] == [
            rw.DATELINE, rw.RELATIVE_TIME, rw.PLACE]
        assert "on June 3, 2019" in claim.statement
        assert claim.statement == rw.apply_steps(claim.quote, claim.rewrite)
        article = s.get(Article, imported)
        assert article.cleaned_away == [{
            "text": "Accessibility links", "reason": "page furniture (a button, menu or label)",
            "at": article.body.index("Ivanova told")}]


def test_undoing_a_step_edits_the_statement_with_its_events(engine, people, imported):
    with session_scope(engine) as s:
        editor = s.get(User, people["editor"])
        claim = _first(s, imported)
        claims.transition(s, editor, claim.id, "accept")
        version = s.get(Claim, claim.id).version
        claim = rewrite.undo_step(s, editor, claim.id, 1, version)
        assert "on Monday" in claim.statement
        assert claim.statement.startswith("Activist Maria Ivanova")
        assert [st["step"] for st in claim.rewrite] == [rw.DATELINE, rw.PLACE]
        assert claim.version == version + 1
        actions = [e.action for e in s.exec(select(Event).where(Event.claim_id == claim.id))]
        assert actions[-2:] == ["edit", "undo_step"]


def test_a_statement_edited_by_hand_refuses_to_undo_a_step(engine, people, imported):
    with session_scope(engine) as s:
        editor = s.get(User, people["editor"])
        claim = _first(s, imported)
        claims.transition(s, editor, claim.id, "accept")
        claim = claims.update_claim(s, editor, claim.id, s.get(Claim, claim.id).version,
                                    {"statement": "Ivanova was fined."})
        with pytest.raises(Conflict):
            rewrite.undo_step(s, editor, claim.id, 0, claim.version)


def test_a_restored_line_comes_back_and_the_claims_re_anchor(engine, people, imported):
    with session_scope(engine) as s:
        editor = s.get(User, people["editor"])
        article = s.get(Article, imported)
        last = s.exec(select(Claim).where(Claim.article_id == imported)
                      .order_by(Claim.start.desc())).first()
        old_start = last.start
        result = rewrite.restore_line(s, editor, imported, 0, article.version)
        article = s.get(Article, imported)
        assert "Accessibility links\n\nIvanova told" in article.body
        assert article.cleaned_away == []
        s.refresh(last)
        assert last.start == old_start + len("Accessibility links\n\n")
        assert article.body[last.start:last.end] == last.quote
        assert result["orphaned"] == 0
        actions = [e.action for e in s.exec(select(Event).where(
            Event.article_id == imported, Event.claim_id.is_(None)))]
        assert actions[-2:] == ["correct_body", "restore_line"]


def test_a_hand_made_claim_gets_the_speaker_as_suggested_claimant(engine, people, imported):
    with session_scope(engine) as s:
        editor = s.get(User, people["editor"])
        body = s.get(Article, imported).body
        start = body.index("Ivanova told")
        claim = claims.create_claim(s, editor, imported, start, len(body))
        assert claim.claimant == "Maria Ivanova"
        start = body.index("Police detained")
        claim = claims.create_claim(s, editor, imported, start, body.index(",", start))
        assert claim.claimant == "Daily Post"


def test_a_suggested_claimant_is_not_counted_as_the_creators_authorship(engine, people,
                                                                        imported):
    with session_scope(engine) as s:
        editor = s.get(User, people["editor"])
        body = s.get(Article, imported).body
        start = body.index("Ivanova told")
        claim = claims.create_claim(s, editor, imported, start, len(body))
        assert claim.claimant == "Maria Ivanova"
        (create,) = s.exec(select(Event).where(Event.claim_id == claim.id)).all()
        assert create.action == "create" and create.fields == []
