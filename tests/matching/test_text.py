"""Matching's tokens: tweets cleaned, terms safe for full-text queries, numbers, names, dates."""

from __future__ import annotations

from datetime import date

from annotator.matching import text


def test_a_tweets_links_go_and_its_tags_split_into_words():
    cleaned = text.clean_query("#ScarfaceRemake with @LeoDiCaprio https://t.co/x "
                               "pic.twitter.com/abc")
    assert "http" not in cleaned and "pic.twitter" not in cleaned
    assert {"Scarface", "Remake", "DiCaprio"} <= set(cleaned.split())


def test_query_terms_are_letters_and_digits_only_and_skip_stop_words():
    terms = text.query_terms('Is "the" NEAR(x) -- 6 activists\' OR draft* ^ conscripted?')
    assert all(t.isalnum() for t in terms)
    assert "the" not in terms and {"activists", "conscripted", "draft"} <= set(terms)


def test_query_terms_are_capped_keeping_the_rarer_or_else_the_longer_words():
    many = " ".join(f"word{i:03d}" for i in range(100)) + " extraordinarily"
    terms = text.query_terms(many)
    assert len(terms) == text.MAX_QUERY_TERMS and "extraordinarily" in terms
    rare = text.query_terms(many, rarity=lambda stem: 9.0 if stem == "word042" else 1.0)
    assert "word042" in rare and len(rare) == text.MAX_QUERY_TERMS


def test_numbers_agree_whether_written_in_digits_or_words():
    assert text.numbers("six activists") == text.numbers("6 activists") == {"6"}
    assert text.numbers("1,000 people") == {"1000"}


def test_names_are_capitalised_words_inside_a_sentence():
    assert text.names("Reports say Nursultan Nazarbayev resigned.") == {"nursultan",
                                                                        "nazarbayev"}


def test_negation_is_noticed():
    assert text.negated("He did not say that") and text.negated("It isn't true")
    assert not text.negated("He said that")


def test_the_last_date_a_text_mentions_is_its_date():
    tweet = "Wow — Someone (@someone) January 14, 2020"
    assert text.mentioned_date(tweet) == date(2020, 1, 14)
    assert text.mentioned_date("on 2 December 2015") == date(2015, 12, 2)
    assert text.mentioned_date("no date here, or 31 February 2020") is None
