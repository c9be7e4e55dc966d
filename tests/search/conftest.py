"""Small archives built straight into the tables, so search tests don't depend on extraction."""

from __future__ import annotations

import hashlib

import pytest

from annotator.db import session_scope
from annotator.models import Article, Claim, Note, Source


def make_article(session, title: str, sentences: list[str], **fields) -> tuple[Article, list]:
    """Insert an article whose claims are its sentences; return it and its claims."""
    body = " ".join(sentences)
    article = Article(title=title, body=body, raw=body,
                      content_hash=hashlib.sha256(body.encode()).hexdigest(), **fields)
    session.add(article)
    session.flush()
    claims, at = [], 0
    for sentence in sentences:
        claim = Claim(article_id=article.id, start=at, end=at + len(sentence), quote=sentence,
                      statement=sentence, state="open")
        session.add(claim)
        claims.append(claim)
        at += len(sentence) + 1
    session.flush()
    return article, claims


@pytest.fixture
def archive(engine, people):
    """Two articles; sources and notes carry words the statements don't have."""
    with session_scope(engine) as s:
        a, (c1, c2, c3) = make_article(s, "Budget week in Parliament", [
            "The ministry spent forty percent more on schools.",
            "Unemployment fell to a record low in March.",
            "Percent figures for schools were never published.",
        ])
        b, (c4,) = make_article(s, "Harbour crane collapse", [
            "The crane fell because of corrosion, inspectors said.",
        ], blind_review=True)
        s.add(Source(claim_id=c2.id, url="https://stats.example.org/labour/2026",
                     title="Labour force survey", publisher="Statistics Office",
                     excerpt="The jobless rate reached its lowest level."))
        s.add(Note(claim_id=c3.id, author_id=people["editor"], body="Ask the treasury archivist."))
        c4.conclusion = "Sabotage was ruled out by the metallurgist."
        c4.verdict = "true"
        c4.state = "in_progress"
        c4.assignee_id = people["reviewer2"]
        s.add(c4)
        ids = {"a": a.id, "b": b.id, "c1": c1.id, "c2": c2.id, "c3": c3.id, "c4": c4.id}
    return ids
