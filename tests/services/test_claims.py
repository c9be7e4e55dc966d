"""Claim use cases: optimistic locking, sources, notes, transitions, manual spans, events."""

from __future__ import annotations

import pytest
from sqlmodel import select

from annotator.db import session_scope
from annotator.models import Claim, Event, Source, User
from annotator.services import articles, claims
from annotator.services.errors import Conflict, Forbidden, Invalid

TEXT = ("The council said on Tuesday that bus lanes cut commute times by 34 percent. "
        "Ridership on the number 7 line doubled to 11,800 weekday trips in March.")


@pytest.fixture
def claim_id(engine, people):
    """An article with a manual claim, started by the reviewer."""
    with session_scope(engine) as session:
        editor = session.get(User, people["editor"])
        article = articles.import_article(session, editor, articles.ImportRequest(text=TEXT))
        claim = claims.create_claim(session, editor, article.id, 0, TEXT.index(".") + 1)
        reviewer = session.get(User, people["reviewer"])
        claims.transition(session, reviewer, claim.id, "start")
        return claim.id


def _user(session, people, name):
    return session.get(User, people[name])


def test_it_refuses_a_stale_save_and_keeps_the_newer_text(engine, people, claim_id):
    with session_scope(engine) as session:
        version = session.get(Claim, claim_id).version
        claims.update_claim(session, _user(session, people, "reviewer"), claim_id, version,
                            {"statement": "Bus lanes cut commutes by a third"})
    with pytest.raises(Conflict) as caught, session_scope(engine) as session:
        try:
            claims.update_claim(session, _user(session, people, "editor"), claim_id, version,
                                {"statement": "An older edit"})
        except Conflict as exc:
            assert exc.detail.statement == "Bus lanes cut commutes by a third"
            raise
    assert "overwritten" in caught.value.message
    with session_scope(engine) as session:
        claim = session.get(Claim, claim_id)
        assert claim.statement == "Bus lanes cut commutes by a third"
        assert claim.version == version + 1
        edits = session.exec(select(Event).where(Event.claim_id == claim_id,
                                                 Event.action == "edit")).all()
        assert len(edits) == 1
        assert edits[0].old == {"statement": claim.quote}
        assert edits[0].new == {"statement": "Bus lanes cut commutes by a third"}


def test_it_lets_only_the_assignee_or_an_editor_edit(engine, people, claim_id):
    with session_scope(engine) as session:
        version = session.get(Claim, claim_id).version
        with pytest.raises(Forbidden):
            claims.update_claim(session, _user(session, people, "reviewer2"), claim_id, version,
                                {"statement": "x"})
        with pytest.raises(Forbidden):
            claims.update_claim(session, _user(session, people, "viewer"), claim_id, version,
                                {"statement": "x"})


def test_it_validates_sources(engine, people, claim_id):
    with session_scope(engine) as session:
        reviewer = _user(session, people, "reviewer")
        for bad in ("javascript:alert(1)", "ftp://x.org/a", "", "https://"):
            with pytest.raises(Invalid):
                claims.add_source(session, reviewer, claim_id, {"url": bad, "stance": "supports"})
        with pytest.raises(Invalid):
            claims.add_source(session, reviewer, claim_id,
                              {"url": "https://a.example/x", "stance": "maybe"})
        with pytest.raises(Invalid):
            claims.add_source(session, reviewer, claim_id, {
                "url": "https://a.example/x", "stance": "refutes",
                "archived_url": "javascript:alert(1)"})


def test_it_adds_edits_and_removes_sources_with_history(engine, people, claim_id):
    with session_scope(engine) as session:
        reviewer = _user(session, people, "reviewer")
        source = claims.add_source(session, reviewer, claim_id, {
            "url": "https://transit.example/report", "title": "Transit report",
            "stance": "refutes", "published": "2024-03-01"})
        claims.update_source(session, reviewer, claim_id, source.id, {
            "url": "https://transit.example/report", "title": "Transit report 2024",
            "stance": "context", "updated_at": source.updated_at.isoformat()})
        claims.remove_source(session, reviewer, claim_id, source.id)
    with session_scope(engine) as session:
        assert session.exec(select(Source)).all() == []
        actions = [e.action for e in session.exec(
            select(Event).where(Event.claim_id == claim_id).order_by(Event.id)).all()]
        assert actions[-3:] == ["add_source", "edit_source", "remove_source"]
        removed = session.exec(select(Event).where(Event.action == "remove_source")).one()
        assert removed.old["title"] == "Transit report 2024"


def test_it_takes_a_claim_through_review_to_approval(engine, people, claim_id):
    with session_scope(engine) as session:
        reviewer = _user(session, people, "reviewer")
        claim = session.get(Claim, claim_id)
        claims.update_claim(session, reviewer, claim_id, claim.version,
                            {"verdict": "mostly_false", "conclusion": "The office's count "
                             "does not support a third."})
        claims.add_source(session, reviewer, claim_id,
                          {"url": "https://transit.example/r", "stance": "refutes"})
        claims.transition(session, reviewer, claim_id, "submit")
        with pytest.raises(Forbidden):
            claims.transition(session, reviewer, claim_id, "approve")
        editor = _user(session, people, "editor")
        claims.transition(session, editor, claim_id, "approve")
        claim = session.get(Claim, claim_id)
        assert claim.state == "approved"
        assert claim.approved_by_id == editor.id
        assert claim.submitted_by_id == reviewer.id


def test_it_refuses_to_submit_without_a_verdict(engine, people, claim_id):
    with session_scope(engine) as session, pytest.raises(Conflict, match="verdict"):
        claims.transition(session, _user(session, people, "reviewer"), claim_id, "submit")


def test_it_makes_a_claim_from_a_span_trimmed_to_its_text(engine, people):
    with session_scope(engine) as session:
        editor = _user(session, people, "editor")
        article = articles.import_article(session, editor, articles.ImportRequest(text=TEXT))
        start = TEXT.index("Ridership") - 1
        claim = claims.create_claim(session, _user(session, people, "reviewer"), article.id,
                                    start, len(TEXT))
        assert claim.quote == TEXT[start + 1:]
        assert article.body[claim.start:claim.end] == claim.quote
        assert claim.origin == "person" and claim.state == "open"
        with pytest.raises(Invalid):
            claims.create_claim(session, editor, article.id, 10, 5)
        with pytest.raises(Invalid):
            claims.create_claim(session, editor, article.id, 0, len(TEXT) + 10)
        with pytest.raises(Forbidden):
            claims.create_claim(session, _user(session, people, "viewer"), article.id, 0, 20)


def test_it_keeps_notes_as_markdown_and_refuses_empty_ones(engine, people, claim_id):
    with session_scope(engine) as session:
        viewer = _user(session, people, "viewer")
        with pytest.raises(Forbidden):
            claims.add_note(session, viewer, claim_id, "hi")
        with pytest.raises(Invalid):
            claims.add_note(session, _user(session, people, "reviewer2"), claim_id, "  ")
        note = claims.add_note(session, _user(session, people, "reviewer2"), claim_id,
                               "**Five** names are listed")
        assert note.body == "**Five** names are listed"


def _submitted(engine, people, claim_id):
    with session_scope(engine) as session:
        reviewer = _user(session, people, "reviewer")
        claims.update_claim(session, reviewer, claim_id, session.get(Claim, claim_id).version,
                            {"verdict": "false", "conclusion": "The survey found 12 percent."})
        claims.add_source(session, reviewer, claim_id, {"url": "https://council.example/r",
                                                        "stance": "refutes"})
        claims.transition(session, reviewer, claim_id, "submit")


def test_an_editor_who_rewrites_a_submitted_verdict_cannot_approve_it(
        engine, people, claim_id, client):
    from annotator.services import users
    _submitted(engine, people, claim_id)
    with session_scope(engine) as session:
        _, token = users.create_token(session, _user(session, people, "editor"))
        version = session.get(Claim, claim_id).version
    auth = {"Authorization": f"Bearer {token}"}
    patched = client.patch(f"/api/v1/claims/{claim_id}", headers=auth,
                           json={"verdict": "true", "conclusion": "It is right.",
                                 "version": version})
    assert patched.status_code == 200, patched.get_data(True)
    approve = client.post(f"/api/v1/claims/{claim_id}/transitions", headers=auth,
                          json={"action": "approve"})
    assert approve.status_code == 403
    assert "you edited this claim after it was submitted" in approve.get_data(True)
    with session_scope(engine) as session:
        claim = session.get(Claim, claim_id)
        assert claim.state == "in_review"
        editor = _user(session, people, "editor")
        assert claims.blocked_reasons(session, claim, editor)["approve"] == (
            "Another editor must approve: you edited this claim after it was submitted.")
        # A second editor, who wrote none of it, approves what the first one wrote.
        claims.transition(session, _user(session, people, "editor2"), claim_id, "approve")
        assert session.get(Claim, claim_id).verdict == "true"


def test_an_editor_who_changes_the_sources_or_claimant_becomes_a_co_author(
        engine, people, claim_id):
    _submitted(engine, people, claim_id)
    with session_scope(engine) as session:
        editor, editor2 = _user(session, people, "editor"), _user(session, people, "editor2")
        claims.add_source(session, editor, claim_id, {"url": "https://council.example/2",
                                                      "stance": "context"})
        claims.update_claim(session, editor2, claim_id, session.get(Claim, claim_id).version,
                            {"claimant": "  The   council "})
        assert session.get(Claim, claim_id).claimant == "The council"
        for who in (editor, editor2):
            with pytest.raises(Forbidden, match="after it was submitted"):
                claims.transition(session, who, claim_id, "approve")
        claims.transition(session, _user(session, people, "admin"), claim_id, "approve")


def test_a_claimant_has_a_length_limit(engine, people, claim_id):
    with session_scope(engine) as session, pytest.raises(Invalid, match="300"):
        claims.update_claim(session, _user(session, people, "reviewer"), claim_id,
                            session.get(Claim, claim_id).version, {"claimant": "x" * 301})
