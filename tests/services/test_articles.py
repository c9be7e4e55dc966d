"""Importing articles: cleaning, duplicates, proposals, metadata, bad input."""

from __future__ import annotations

import pytest
from sqlmodel import select

from annotator.db import session_scope
from annotator.models import Article, Claim, Event, User
from annotator.services import articles
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
        assert len(claims) >= 25
        assert all(article.body[c.start:c.end] == c.quote for c in claims)
        assert any("at least six male activists" in c.quote for c in claims)
        assert any("International Women of Courage Award" in c.quote for c in claims)
        assert all(0.0 <= c.score <= 1.0 and c.reasons for c in claims)
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
