"""Sentence splitting: the Golden Rules, Russian abbreviations, exact offsets."""

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from annotator.extract import detect_language, split_sentences

REQUIRED_GOLDEN = 48


def golden_rules(shared):
    path = shared / "data" / "sbd-golden-rules" / "english_golden_rules.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_it_passes_the_english_golden_rules(shared):
    cases = golden_rules(shared)
    failed = [
        c["rule"] for c in cases if [s.text for s in split_sentences(c["text"])] != c["expected"]
    ]
    passed = len(cases) - len(failed)
    print(f"Golden Rules: {passed}/{len(cases)} pass; failing rules: {failed}")
    assert len(cases) == REQUIRED_GOLDEN
    assert failed == []


def test_it_splits_a_russian_paragraph_without_breaking_on_abbreviations():
    text = (
        "Президент Н. Назарбаев ушёл в отставку 19 марта. Протесты продолжились в г. Алматы "
        "и др. городах! Что дальше? Власти, т.е. полиция и суды, ответили арестами, штрафами "
        "и т.д. Акции прошли в 2019 г. Потом начались призывы в армию."
    )
    assert [s.text for s in split_sentences(text, "ru")] == [
        "Президент Н. Назарбаев ушёл в отставку 19 марта.",
        "Протесты продолжились в г. Алматы и др. городах!",
        "Что дальше?",
        "Власти, т.е. полиция и суды, ответили арестами, штрафами и т.д.",
        "Акции прошли в 2019 г.",
        "Потом начались призывы в армию.",
    ]


def test_it_treats_blank_lines_and_line_breaks_as_boundaries():
    text = "Headline without a stop\n\nFirst sentence. Second\nstill second.\nThird"
    assert [s.text for s in split_sentences(text)] == [
        "Headline without a stop",
        "First sentence.",
        "Second\nstill second.",
        "Third",
    ]


@pytest.mark.parametrize("text", ["", "   ", "\n\n"])
def test_it_returns_nothing_for_blank_text(text):
    assert split_sentences(text) == []


@given(st.text(alphabet=st.sampled_from(list("ab AB.!?\n\"'()1…")), max_size=80))
def test_every_sentence_slices_back_out_of_its_input(text):
    last = 0
    for s in split_sentences(text):
        assert text[s.start : s.end] == s.text == s.text.strip()
        assert s.text and s.start >= last
        last = s.end


def test_it_detects_english_and_russian_and_defaults_to_english():
    assert detect_language("The government is fighting back with waves of arrests.") == "en"
    assert detect_language("Президент ушёл в отставку после тридцати лет у власти.") == "ru"
    assert detect_language("OK 42") == "en"
