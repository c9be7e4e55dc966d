"""The panel shows how a statement was made and undoes a step; removed lines (issue 20)."""

from __future__ import annotations

import pytest
from sqlmodel import select

from annotator.db import session_scope
from annotator.models import Article, Claim

TEXT = ("NUR-SULTAN -- Activist Maria Ivanova was fined 50,000 tenge on Monday for a protest "
        "outside the parliament building.\n\n"
        "Accessibility links\n\n"
        "Police detained 40 people at the rally, and 12 of them were jailed for 15 days.")


@pytest.fixture
def editor(as_user):
    return as_user("editor")


@pytest.fixture
def claim_id(editor, engine):
    response = editor.post("/articles", data={"text": TEXT, "title": "Fines",
                                              "published": "2019-06-07"})
    assert response.status_code == 303
    with session_scope(engine) as s:
        claim = s.exec(select(Claim).order_by(Claim.start)).first()
        return claim.id


def test_the_panel_lists_each_step_and_undoes_one(editor, engine, claim_id):
    editor.post(f"/claims/{claim_id}/transitions", data={"action": "accept"})
    page = editor.get(f"/claims/{claim_id}", headers={"HX-Request": "true"}).get_data(True)
    assert "Statement made in 3 steps" in page
    assert "dateline removed" in page and "<del>NUR-SULTAN -- </del>" in page
    assert "relative time to a date" in page and "<ins>on June 3, 2019</ins>" in page
    assert f'action="/claims/{claim_id}/rewrite/1/undo"' in page
    with session_scope(engine) as s:
        version = s.get(Claim, claim_id).version
    response = editor.post(f"/claims/{claim_id}/rewrite/1/undo", data={"version": version},
                           headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert "Step undone" in response.get_data(True)
    assert "Statement made in 2 steps" in response.get_data(True)
    with session_scope(engine) as s:
        claim = s.get(Claim, claim_id)
        assert "on Monday" in claim.statement and "June 3" not in claim.statement


def test_a_stale_undo_is_refused_and_changes_nothing(editor, engine, claim_id):
    editor.post(f"/claims/{claim_id}/transitions", data={"action": "accept"})
    response = editor.post(f"/claims/{claim_id}/rewrite/0/undo", data={"version": 1})
    assert response.status_code == 409
    response = editor.post(f"/claims/{claim_id}/rewrite/9/undo", data={"version": 2})
    assert response.status_code == 404


def test_the_article_lists_the_lines_cleaned_away_and_restores_one(editor, engine, claim_id):
    with session_scope(engine) as s:
        article = s.exec(select(Article)).one()
        article_id, version = article.id, article.version
    page = editor.get(f"/articles/{article_id}").get_data(True)
    assert "1 line cleaned away: show" in page
    assert "Accessibility links" in page
    response = editor.post(f"/articles/{article_id}/cleaned/0/restore",
                           data={"version": version})
    assert response.status_code == 303
    with session_scope(engine) as s:
        article = s.get(Article, article_id)
        assert "Accessibility links" in article.body
        assert article.cleaned_away == []
        for claim in s.exec(select(Claim)).all():
            assert article.body[claim.start:claim.end] == claim.quote
    assert "cleaned away" not in editor.get(f"/articles/{article_id}").get_data(True)


def test_a_reviewer_cannot_restore_a_line(as_user, editor, engine, claim_id):
    with session_scope(engine) as s:
        article = s.exec(select(Article)).one()
    reviewer = as_user("reviewer")
    response = reviewer.post(f"/articles/{article.id}/cleaned/0/restore",
                             data={"version": article.version})
    assert response.status_code == 403
