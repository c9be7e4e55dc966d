"""Story groups: near-duplicate articles by word-shingle similarity, found through bands."""

from __future__ import annotations

from annotator.db import session_scope
from annotator.models import User
from annotator.services import articles, stories

BASE = ("The council of Riverton spent 4.2 million pounds on road repairs in 2025, officials "
        "said, up 12 percent on the year before. Unemployment fell to 5 percent last year, "
        "the lowest rate since 2008, according to the regional statistics office. The mayor "
        "claimed that crime dropped by 21 percent after the new street lighting scheme.")


def test_a_small_rewrite_is_near_and_another_story_is_not():
    rewrite = BASE.replace("officials said", "officials told reporters")
    other = ("Lakeside's harbour handled 3.1 million containers in 2024, the port authority "
             "said. The ferry company will add two routes to the islands next summer.")
    assert stories.similarity(stories.sketch(BASE), stories.sketch(rewrite)) >= \
        stories.NEAR_DUPLICATE
    assert stories.similarity(stories.sketch(BASE), stories.sketch(other)) < 0.2
    assert set(stories.bands(stories.sketch(BASE))) & set(stories.bands(stories.sketch(rewrite)))


def test_a_near_duplicate_joins_the_first_articles_group(engine, people):
    with session_scope(engine) as s:
        editor = s.get(User, people["editor"])
        first = articles.import_article(s, editor, articles.ImportRequest(text=BASE))
        second = articles.import_article(s, editor, articles.ImportRequest(
            text=BASE.replace("officials said", "officials told reporters")))
        third = articles.import_article(s, editor, articles.ImportRequest(
            text="A different story: the ferry company will add two routes next summer."))
        group, twin, _ = stories.group_article(s, first)
        assert twin is None
        assert stories.group_article(s, second)[:2] == (group, first.id)
        assert stories.group_article(s, third)[0] != group
        assert stories.groups_of(s, [first.id, second.id]) == {first.id: group,
                                                               second.id: group}
