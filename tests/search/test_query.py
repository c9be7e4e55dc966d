"""The search language reads words, phrases, exclusions and fields, and emits safe syntax."""

from __future__ import annotations

from annotator.search.query import Term, parse, to_fts5, to_fts5_any, to_tsquery
from annotator.search.snippets import highlight


def test_words_must_all_match_and_are_lower_cased():
    query = parse("Ministry  budget")
    assert query.include == [Term(("ministry",)), Term(("budget",))]
    assert to_fts5(query) == '"ministry" AND "budget"'
    assert to_tsquery(query.include) == "(ministry) & (budget)"


def test_a_quoted_phrase_is_one_term_in_order():
    query = parse('"forty percent of schools" closed')
    assert query.include[0] == Term(("forty", "percent", "of", "schools"))
    assert to_fts5(query) == '"forty percent of schools" AND "closed"'
    assert to_tsquery(query.include[:1]) == "(forty <-> percent <-> of <-> schools)"


def test_an_unterminated_quote_runs_to_the_end():
    assert parse('"half a phrase').include == [Term(("half", "a", "phrase"))]


def test_a_minus_excludes_a_word_or_a_phrase():
    query = parse('budget -draft -"press release"')
    assert query.include == [Term(("budget",))]
    assert query.exclude == [Term(("draft",)), Term(("press", "release"))]
    assert to_fts5_any(query.exclude) == '"draft" OR "press release"'


def test_known_fields_are_filters_and_unknown_ones_are_words():
    query = parse('State:approved verdict:false assignee:ann article:12 '
                  'claimant:"Jane Doe" covid:19')
    assert query.fields == {"state": ["approved"], "verdict": ["false"], "assignee": ["ann"],
                            "article": ["12"], "claimant": ["Jane Doe"]}
    assert query.include == [Term(("covid", "19"))]


def test_punctuation_only_matches_nothing_instead_of_everything():
    query = parse('% "" -')
    assert query.unmatchable and not query.has_text and not query.is_empty
    assert parse("").is_empty and parse("   ").is_empty


def test_syntax_characters_cannot_reach_the_database_query():
    query = parse('a"b) OR NEAR(x* ^col:y & !z | \'w\'')
    fts = to_fts5(query)
    ts = to_tsquery(query.include)
    for text in (fts, ts):
        assert "*" not in text and "^" not in text and "'" not in text and "!" not in text
    assert '"or"' in fts  # the word OR is searched for, not used as an operator


def test_columns_and_weights_limit_where_terms_match():
    query = parse("budget")
    assert to_fts5(query, ("statement", "quote")) == '{statement quote} : ("budget")'
    assert to_tsquery(query.include, weights="ABD") == "(budget:ABD)"


def test_the_number_of_terms_is_bounded():
    assert len(parse(" ".join(f"w{i}" for i in range(100))).include) == 16


def test_a_snippet_marks_words_and_phrases_and_escapes_the_text():
    terms = parse('ministry "forty percent"').include
    html = highlight(["", "The <b>Ministries</b> said forty  percent & more."], terms)
    assert str(html) == ("The &lt;b&gt;<mark>Ministries</mark>&lt;/b&gt; said "
                         "<mark>forty  percent</mark> &amp; more.")


def test_a_snippet_is_a_window_around_the_first_match():
    text = "word " * 100 + "needle " + "word " * 100
    html = str(highlight([text], parse("needle").include, width=60))
    assert html.startswith("…") and html.endswith("…") and "<mark>needle</mark>" in html
    assert len(html) < 120


def test_without_a_match_a_snippet_is_the_escaped_start():
    assert str(highlight(["<i>plain</i>"], [])) == "&lt;i&gt;plain&lt;/i&gt;"
