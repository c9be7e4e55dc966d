"""Importing articles: cleaning, duplicates, proposals, metadata, bad input."""

from __future__ import annotations

import pytest
from sqlmodel import select

from annotator.db import session_scope
from annotator.models import Article, Claim, Event, User
from annotator.services import articles, claims, settings
from annotator.services.errors import Duplicate, Invalid

JUNK = ("Accessibility links", "Breaking News", "please wait",
        "No media source currently available", "0:00 0:02:21 0:00",
        "To find out more, click here.", "undesirable organization")


@pytest.fixture
def editor(engine, people):
    with session_scope(engine) as session:
        return session.get(User, people["editor"])


def _import(engine, editor, **fields) -> int:
    with session_scope(engine) as session:
        return articles.import_article(session, editor, articles.ImportRequest(**fields)).id


def test_it_imports_the_shared_article_without_page_furniture(engine, editor, shared):
    text = (shared / "articles" / "kazakh-conscriptions.txt").read_text(encoding="utf-8")
    article_id = _import(engine, editor, text=text, title="Kazakh conscriptions")
    with session_scope(engine) as session:
        article = session.get(Article, article_id)
        for junk in JUNK:
            assert junk not in article.body
        caption = ("Interim Kazakh President Qasym-Zhomart Toqaev delivers a speech as he "
                   "attends military exercises in the Almaty region on May 3.")
        assert article.body.count(caption) == 1
        claims = session.exec(select(Claim).where(Claim.article_id == article_id)).all()
        proposed = [c for c in claims if c.state == "proposed"]
        assert 10 <= len(proposed) <= 18
        assert all(article.body[c.start:c.end] == c.quote for c in claims)
        assert any("at least six male activists" in c.quote for c in proposed)
        assert any("International Women of Courage Award" in c.quote for c in proposed)
        assert all(0.0 <= c.score <= 1.0 and c.reasons for c in claims)
        jail = next(c for c in proposed if "15-day jail sentence" in c.quote)
        assert jail.claimant in ("Izbasarov", "Alimzhan Izbasarov")
        assert article.language == "en"
        assert session.exec(select(Event).where(Event.article_id == article_id,
                                                Event.action == "import")).one()


def test_it_refuses_a_duplicate_with_the_existing_article_id(engine, editor):
    text = "The mayor said on Monday that 40 percent of buses ran late in May 2024."
    first = _import(engine, editor, text=text)
    with pytest.raises(Duplicate) as caught:
        _import(engine, editor, text="  " + text.replace(" ", "  ") + "\n")
    assert caught.value.detail == first


def test_it_refuses_empty_text_and_bad_dates_and_urls(engine, editor):
    with pytest.raises(Invalid, match="Paste"):
        _import(engine, editor, text="   ")
    with pytest.raises(Invalid, match="date"):
        _import(engine, editor, text="Some text about 3 things.", published="yesterday")
    with pytest.raises(Invalid, match="http"):
        _import(engine, editor, text="Some text about 3 things.", url="javascript:alert(1)")


def test_it_leaves_nothing_behind_when_an_import_fails(engine, editor, monkeypatch):
    def explode(*args, **kwargs):
        raise RuntimeError("extractor crashed")

    monkeypatch.setattr(articles.extract, "extract_claims", explode)
    with pytest.raises(RuntimeError):
        _import(engine, editor, text="The council spent 4 million euros in 2023.")
    with session_scope(engine) as session:
        assert session.exec(select(Article)).all() == []
        assert session.exec(select(Event)).all() == []


def test_it_reads_metadata_from_html(engine, editor):
    html = ("<html><head><title>Port traffic falls</title></head><body><article>"
            "<h1>Port traffic falls</h1><p>Container traffic at the port fell by 12 percent "
            "in 2024, the harbour authority said on Monday.</p><p>The authority said 3.1 "
            "million containers passed through, down from 3.5 million a year earlier.</p>"
            "</article></body></html>")
    req = articles.request_from_upload("page.html", html.encode(), articles.ImportRequest())
    with session_scope(engine) as session:
        article = articles.import_article(session, editor, req)
        assert "12 percent" in article.body
        assert "<p>" not in article.body
        assert article.title == "Port traffic falls"


@pytest.mark.parametrize("name, data, message", [
    ("article.pdf", b"%PDF-1.4", "Upload a .txt"),
    ("article.txt", b"\xff\xfe\x00bad", "UTF-8"),
])
def test_it_refuses_uploads_it_cannot_read(name, data, message):
    with pytest.raises(Invalid, match=message):
        articles.request_from_upload(name, data, articles.ImportRequest())


@pytest.fixture
def shared_article(engine, editor, shared) -> int:
    text = (shared / "articles" / "kazakh-conscriptions.txt").read_text(encoding="utf-8")
    return _import(engine, editor, text=text, outlet="RFE/RL")


def test_the_rest_of_the_sentences_wait_below_the_budget(engine, shared_article):
    with session_scope(engine) as session:
        shown = articles.article_claims(session, shared_article)
        held = articles.below_budget_claims(session, shared_article)
        everything = articles.article_claims(session, shared_article, below_budget=True)
        assert shown and all(c.state == "proposed" for c in shown)
        assert len(held) >= 12 and len(everything) == len(shown) + len(held)
        assert all(c.state == "held_back" and c.origin == "machine" for c in held)
        assert all(articles.BELOW_BUDGET in c.reasons for c in held)
        assert [c.score for c in held] == sorted((c.score for c in held), reverse=True)
        assert max(c.score for c in held) <= min(c.score for c in shown)
        event = session.exec(select(Event).where(Event.article_id == shared_article,
                                                 Event.action == "import")).one()
        assert event.new["proposed"] == len(shown) and event.new["below_budget"] == len(held)


def test_the_index_counts_held_back_sentences_as_nobody_s_dismissal(engine, editor,
                                                                     shared_article):
    from annotator.services import queries

    with session_scope(engine) as session:
        rows, *_ = queries.list_articles(session)
        counts = next(r for r in rows if r.id == shared_article).counts
        assert counts == {"proposed": len(articles.article_claims(session, shared_article))}
        claims.transition(session, editor, articles.article_claims(session, shared_article)[0].id,
                          "dismiss")
    with session_scope(engine) as session:
        rows, *_ = queries.list_articles(session)
        assert next(r for r in rows if r.id == shared_article).counts["dismissed"] == 1


def test_restoring_a_held_back_sentence_proposes_it(engine, editor, shared_article):
    with session_scope(engine) as session:
        held = articles.below_budget_claims(session, shared_article)[0]
        claims.transition(session, editor, held.id, "restore")
    with session_scope(engine) as session:
        assert held.id in {c.id for c in articles.article_claims(session, shared_article)}
        assert held.id not in {c.id for c in articles.below_budget_claims(session,
                                                                          shared_article)}


def test_the_outlet_is_the_claimant_of_its_own_assertions(engine, shared_article):
    with session_scope(engine) as session:
        everything = articles.article_claims(session, shared_article, below_budget=True)
        own = next(c for c in everything if c.quote.startswith("Kazakh authorities have"))
        assert own.claimant == "RFE/RL"


def test_the_desks_threshold_decides_what_is_proposed(engine, editor):
    text = ("The council spent 4 million euros on the bridge in 2023. Officials said 300 "
            "people were fined in May. It was a nice day. We all enjoyed the sun.")
    with session_scope(engine) as session:
        settings.set_propose_threshold(session, 0.99)
        article = articles.import_article(session, editor, articles.ImportRequest(text=text))
        assert articles.article_claims(session, article.id) == []
        assert articles.below_budget_claims(session, article.id)


@pytest.mark.parametrize("value", ["0", "1", "1.5", "-0.2", "abc", ""])
def test_the_threshold_must_be_a_probability(engine, value):
    with session_scope(engine) as session:
        with pytest.raises(Invalid, match="between 0 and 1"):
            settings.set_propose_threshold(session, value)
        assert settings.propose_threshold(session) == pytest.approx(
            articles.extract.PROPOSE_THRESHOLD)
