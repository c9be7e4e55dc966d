"""My queue names the article of every claim it shows (issue 18)."""

from __future__ import annotations

from annotator.db import session_scope
from annotator.models import User
from annotator.services import articles, claims, queue

TEXT = "The port handled 3.1 million containers in 2024, up 12 percent on the year before."


def test_the_queue_knows_the_title_of_each_shown_claims_article(engine, people):
    with session_scope(engine) as s:
        editor, reviewer = s.get(User, people["editor"]), s.get(User, people["reviewer"])
        article = articles.import_article(s, editor, articles.ImportRequest(
            text=TEXT, title="Port figures"))
        other = articles.import_article(s, editor, articles.ImportRequest(
            text="Nobody is assigned anything here, said the mayor on Monday.",
            title="Not in the queue"))
        claim = claims.create_claim(s, editor, article.id, 0, len(TEXT))
        claims.transition(s, reviewer, claim.id, "start")
        mine = queue.queue_for(s, reviewer)
        assert [c.id for c in mine.assigned] == [claim.id]
        assert mine.titles == {article.id: "Port figures"}
        assert other.id not in mine.titles


def test_article_titles_reads_only_the_ids_asked_for(engine, people):
    with session_scope(engine) as s:
        editor = s.get(User, people["editor"])
        a = articles.import_article(s, editor, articles.ImportRequest(text=TEXT, title="A"))
        assert queue.article_titles(s, [a.id, a.id]) == {a.id: "A"}
        assert queue.article_titles(s, []) == {}
