"""The history's one write path: what a write reads to record the fields it changed."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, event, text
from sqlmodel import select

from annotator.db import session_scope
from annotator.models import Claim, Event, Source, User
from annotator.services import articles, claims, events


@pytest.fixture
def claim_id(engine, people):
    """The machine's first proposal from an article, taken on by the reviewer, one source."""
    body = ("The minister said unemployment fell by a third last year, to 4.1 percent. "
            "Officials declined to comment on the figures on Friday.")
    with session_scope(engine) as s:
        reviewer = s.get(User, people["reviewer"])
        article = articles.import_article(s, s.get(User, people["editor"]),
                                          articles.ImportRequest(text=body))
        first = articles.article_claims(s, article.id)[0].id
        for step in ("accept", "start"):
            claims.transition(s, reviewer, first, step)
        claims.add_source(s, reviewer, first, {"url": "https://stats.example/a",
                                               "stance": "refutes"})
        return first


def _source_reads(engine):
    seen = []

    def remember(conn, cursor, statement, parameters, context, executemany):
        words = statement.split()
        if words[0].upper() == "SELECT" and "source" in words[words.index("FROM") + 1:][:1]:
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", remember)
    return seen, lambda: event.remove(engine, "before_cursor_execute", remember)


def test_an_edit_reads_the_claims_sources_once_for_its_history_and_its_rules(
        engine, people, claim_id):
    seen, stop = _source_reads(engine)
    try:
        with session_scope(engine) as s:
            claim = s.get(Claim, claim_id)
            claims.update_claim(s, s.get(User, people["reviewer"]), claim_id, claim.version,
                                {"verdict": "false", "conclusion": "It rose."})
    finally:
        stop()
    assert len(seen) == 1
    with session_scope(engine) as s:
        last = s.exec(select(Event).where(Event.claim_id == claim_id)
                      .order_by(Event.id.desc())).first()
        assert last.fields == ["verdict", "conclusion"]


def test_the_sources_read_once_follow_every_change_made_in_the_transaction(
        engine, people, claim_id):
    with session_scope(engine) as s:
        first = events.claim_sources(s, claim_id)
        assert [x.url for x in first] == ["https://stats.example/a"]
        # Added and not yet flushed: read again (and flushed first), so it is there.
        s.add(Source(claim_id=claim_id, url="https://stats.example/b", stance="context",
                     created_by_id=people["reviewer"]))
        assert [x.url for x in events.claim_sources(s, claim_id)] == [
            "https://stats.example/a", "https://stats.example/b"]
        # Changed in memory: the session's own object shows it, as a fresh read would.
        events.claim_sources(s, claim_id)[0].stance = "supports"
        assert events.claim_sources(s, claim_id)[0].stance == "supports"
        # Removed by a statement the session never sees as objects.
        s.exec(delete(Source).where(Source.url == "https://stats.example/b"))
        assert [x.url for x in events.claim_sources(s, claim_id)] == ["https://stats.example/a"]
        # Plain SQL may write anything: read again.
        s.exec(text("DELETE FROM source"))
        assert events.claim_sources(s, claim_id) == []
    with session_scope(engine) as s:
        assert events.claim_sources(s, claim_id) == []  # a new transaction reads afresh


def test_a_source_deleted_through_the_session_is_gone_from_the_next_read(
        engine, people, claim_id):
    with session_scope(engine) as s:
        (source,) = events.claim_sources(s, claim_id)
        s.delete(source)
        assert events.claim_sources(s, claim_id) == []
