"""Checked before?, first stage: which of a query's words retrieve the candidates."""

from __future__ import annotations

from annotator.services import match_retrieval


def test_retrieval_keeps_the_rarest_words_that_fit_the_budget():
    cap = match_retrieval.TERM_CAP
    counts = {"rare": 3, "middling": cap, "common": cap + 1, "unknown": 0}
    assert match_retrieval.rare_terms(counts) == ["rare", "middling"]
    fits = match_retrieval.DOC_BUDGET // match_retrieval.TERM_CAP
    many = {f"word{i:03d}": match_retrieval.TERM_CAP for i in range(fits + 1)}
    assert match_retrieval.rare_terms(many) == sorted(many)[:fits]


def test_a_text_of_common_words_only_is_retrieved_by_its_rarest_one():
    big = match_retrieval.TERM_CAP + 1
    assert match_retrieval.rare_terms({"said": big * 3, "people": big}) == ["people"]
    assert match_retrieval.rare_terms({"zzzz": 0}) == []
