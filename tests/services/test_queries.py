"""Held back is its own state: lists, search, the index, the dashboard and exports leave the
sentences the proposal budget held back out unless asked for (issue 20)."""

from __future__ import annotations

import json
import re

import pytest

from annotator.db import new_session, session_scope
from annotator.exports.filters import ExportFilter, filters_from_query
from annotator.exports.json_export import export_json
from annotator.models import User
from annotator.services import articles, claims, queries, stats, users


@pytest.fixture
def article(engine, people, shared) -> int:
    text = (shared / "articles" / "kazakh-conscriptions.txt").read_text(encoding="utf-8")
    with session_scope(engine) as s:
        return articles.import_article(s, s.get(User, people["editor"]), articles.ImportRequest(
            text=text, title="Kazakh conscriptions")).id


def _ids(page) -> set[int]:
    return {c.id for c, _ in page.rows}


def _split(engine, article_id) -> tuple[set[int], set[int]]:
    with new_session(engine) as s:
        shown = {c.id for c in articles.article_claims(s, article_id)}
        held = {c.id for c in articles.below_budget_claims(s, article_id)}
    assert shown and held and not shown & held
    return shown, held


def test_the_claims_list_leaves_held_back_out_unless_asked(engine, people, article):
    shown, held = _split(engine, article)
    with new_session(engine) as s:
        me = s.get(User, people["editor"])
        page = queries.find_claims(s, queries.ClaimFilter(), me, per_page=200)
        assert _ids(page) == shown and page.total == len(shown)
        page = queries.find_claims(s, queries.ClaimFilter(held_back=True), me, per_page=200)
        assert _ids(page) == shown | held and page.total == len(shown | held)
        page = queries.find_claims(s, queries.ClaimFilter(states=["held_back"]), me,
                                   per_page=200)
        assert _ids(page) == held
        page = queries.find_claims(s, queries.ClaimFilter(q="state:held_back"), me,
                                   per_page=200)
        assert _ids(page) == held
        # A page of 5 of many: the total comes from the tallies, and still leaves them out.
        page = queries.find_claims(s, queries.ClaimFilter(), me, per_page=5)
        assert page.total == len(shown)


def test_search_finds_a_held_back_sentence_only_when_asked(engine, people, article):
    shown, held = _split(engine, article)
    with new_session(engine) as s:
        me = s.get(User, people["editor"])
        everything = articles.article_claims(s, article, below_budget=True)
        seen = " ".join(f"{c.quote} {c.statement}" for c in everything
                        if c.id in shown).lower()
        word, claim_id = next((w, c.id) for c in everything if c.id in held
                              for w in re.findall(r"[a-z]{7,}", c.quote.lower())
                              if w not in seen)
        # The article's text is searched too: its other claims may come up, never held ones.
        page = queries.find_claims(s, queries.ClaimFilter(q=word), me, per_page=200)
        assert _ids(page) <= shown and page.total == len(_ids(page))
        page = queries.find_claims(s, queries.ClaimFilter(q=word, held_back=True), me,
                                   per_page=200)
        assert claim_id in _ids(page) and page.total == len(_ids(page))
        assert queries.find_claims(s, queries.ClaimFilter(q=word), me,
                                   per_page=1).total == len(_ids(page) - held)


def test_the_index_and_the_dashboard_count_no_held_back_sentence(engine, people, article):
    shown, held = _split(engine, article)
    with new_session(engine) as s:
        rows, *_ = queries.list_articles(s)
        assert next(r for r in rows if r.id == article).counts == {"proposed": len(shown)}
        bars = {b.key: b.value for b in stats.by_state(s)}
        assert "held_back" not in bars and bars["dismissed"] == 0
        assert bars["proposed"] == len(shown)
        assert {b.key: b.value for b in stats.by_state(s, article)}["dismissed"] == 0
        assert next(a for a in stats.per_article(s) if a["id"] == article)["total"] == len(shown)
    with session_scope(engine) as s:
        claims.transition(s, s.get(User, people["editor"]), min(shown), "dismiss")
    with new_session(engine) as s:
        assert {b.key: b.value for b in stats.by_state(s)}["dismissed"] == 1


def _exported(engine, filters) -> set[int]:
    with new_session(engine) as s:
        document = json.loads("".join(export_json(s, filters)))
    return {c["id"] for a in document["articles"] for c in a["claims"]}


def test_exports_leave_held_back_out_unless_asked(engine, people, article):
    shown, held = _split(engine, article)
    assert _exported(engine, ExportFilter()) == shown
    assert _exported(engine, ExportFilter(held_back=True)) == shown | held
    assert _exported(engine, ExportFilter(states=["held_back"])) == held
    asked = filters_from_query(_Args(held_back=["1"]))
    assert asked.held_back and ExportFilter.from_params(asked.as_params()).held_back


class _Args(dict):
    """A query string as werkzeug's MultiDict shows it (get and getlist)."""

    def __init__(self, **values):
        super().__init__(values)

    def getlist(self, key):
        return list(super().get(key, []))

    def get(self, key, default=None):
        values = super().get(key)
        return values[0] if values else default


def test_the_article_api_lists_held_back_sentences_only_when_asked(client, engine, people,
                                                                   article):
    shown, held = _split(engine, article)
    with session_scope(engine) as s:
        _, token = users.create_token(s, s.get(User, people["viewer"]))
    headers = {"Authorization": f"Bearer {token}"}

    def ids(query=""):
        answer = client.get(f"/api/v1/articles/{article}{query}", headers=headers)
        assert answer.status_code == 200
        return {c["id"] for c in answer.get_json()["claims"]}

    assert ids() == shown
    assert ids("?held_back=1") == shown | held
    assert ids("?state=held_back") == held
    assert ids("?state=proposed") == shown
    bad = client.get(f"/api/v1/articles/{article}?state=lost", headers=headers)
    assert bad.status_code == 400 and bad.get_json()["detail"]


def test_restoring_a_held_back_sentence_proposes_it_and_accepting_opens_it(engine, people,
                                                                        article):
    _, held = _split(engine, article)
    first, second = sorted(held)[:2]
    with session_scope(engine) as s:
        editor = s.get(User, people["editor"])
        assert claims.transition(s, editor, first, "restore").state == "proposed"
        assert claims.transition(s, editor, second, "accept").state == "open"
    with new_session(engine) as s:
        assert {first, second} <= {c.id for c in articles.article_claims(s, article)}
