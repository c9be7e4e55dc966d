"""Search finds words and phrases in claims, sources, notes and titles, ranked and safe.

Runs on SQLite (FTS5) and, with TEST_DATABASE_URL, on PostgreSQL (tsvector + GIN).
"""

from __future__ import annotations

from sqlmodel import select

from annotator.db import session_scope
from annotator.models import User
from annotator.services import queries


def find(engine, q, who="editor", **kw):
    with session_scope(engine, write=False) as s:
        me = s.exec(select(User).where(User.username == who)).one()
        page = queries.find_claims(s, queries.ClaimFilter(q=q, **kw), me)
        return [c.id for c, _ in page.rows], page


def test_words_are_found_in_statements_sources_notes_and_titles(engine, archive):
    assert find(engine, "ministry")[0] == [archive["c1"]]
    assert find(engine, "jobless")[0] == [archive["c2"]]           # a source's excerpt
    assert find(engine, "statistics office")[0] == [archive["c2"]]  # its publisher
    assert find(engine, "stats")[0] == [archive["c2"]]              # its URL's host
    assert find(engine, "archivist")[0] == [archive["c3"]]          # a note
    assert set(find(engine, "harbour")[0]) == {archive["c4"]}      # the article title


def test_every_word_must_match_and_stems_match_their_forms(engine, archive):
    assert find(engine, "ministries schools")[0] == [archive["c1"]]
    assert find(engine, "ministry unemployment")[0] == []


def test_a_phrase_matches_only_in_order(engine, archive):
    assert find(engine, '"forty percent"')[0] == [archive["c1"]]
    assert find(engine, '"percent forty"')[0] == []


def test_excluded_words_remove_claims(engine, archive):
    assert set(find(engine, "schools")[0]) == {archive["c1"], archive["c3"]}
    assert find(engine, "schools -ministry")[0] == [archive["c3"]]
    assert archive["c1"] not in find(engine, "-ministry")[0]


def test_fields_filter_by_state_article_and_assignee(engine, archive):
    assert find(engine, "state:in_progress")[0] == [archive["c4"]]
    assert find(engine, "fell state:open")[0] == [archive["c2"]]
    assert set(find(engine, f"article:{archive['b']}")[0]) == {archive["c4"]}
    assert set(find(engine, "article:harbour")[0]) == {archive["c4"]}
    assert find(engine, "assignee:reviewer2")[0] == [archive["c4"]]


def test_results_are_ranked_statement_matches_first(engine, archive):
    ids, page = find(engine, "schools")
    # "schools" twice in c3's statement-and-quote vs once in c1's: both rank above notes.
    assert page.sort == "rank" and set(ids) == {archive["c1"], archive["c3"]}


def test_snippets_mark_the_words_and_escape_the_text(engine, archive):
    with session_scope(engine) as s:
        from annotator.models import Claim
        claim = s.get(Claim, archive["c3"])
        claim.statement = "Percent <script>alert(1)</script> figures"
        s.add(claim)
    _, page = find(engine, "figures")
    html = str(page.snippets[archive["c3"]])
    assert "<mark>figures</mark>" in html and "&lt;script&gt;" in html and "<script>" not in html


def test_punctuation_alone_finds_nothing(engine, archive):
    assert find(engine, "%")[0] == [] and find(engine, '"" -')[0] == []


def test_a_blinded_reviewer_cannot_find_a_hidden_conclusion(engine, archive):
    assert find(engine, "metallurgist", who="editor")[0] == [archive["c4"]]
    ids, page = find(engine, "metallurgist", who="reviewer")
    assert ids == [] and page.total == 0
    # The rest of the claim stays searchable for them.
    assert find(engine, "corrosion", who="reviewer")[0] == [archive["c4"]]
    # Excluding a hidden word must not reveal it either.
    assert find(engine, "corrosion -metallurgist", who="reviewer")[0] == [archive["c4"]]
    # The assignee doing the review sees their own conclusion.
    assert find(engine, "metallurgist", who="reviewer2")[0] == [archive["c4"]]
    # A verdict filter leaves hidden verdicts out before counting.
    assert find(engine, "", who="reviewer", verdicts=["true"])[1].total == 0
    assert find(engine, "", who="editor", verdicts=["true"])[1].total == 1
