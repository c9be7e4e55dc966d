"""Claimants and statements that stand alone: attribution, pronouns, quotations."""

import re

import pytest

from annotator.extract import clean_text, extract_claims
from annotator.extract.attribution import Attributor
from annotator.extract.people import People

BARE_STARTS = {"He", "She", "They", "It", "His", "Her", "Their", "We", "I"}
# A quotation is a quoted sentence ("“May 1 is ..."), not a phrase in scare quotes
# ('subjected to "military service harassment and abuse"') nor the words a banner or sign
# read ('a banner ... that read, "You can't run from the truth."'): nobody speaks those.
QUOTED_SENTENCE = re.compile(r"(?<!\bread, )(?<!\bread )[\"“«]\s*[A-Z]\w*(?:\W+\w+){3}")
QUOTE_MARKS = ('"', "“", "”", "«", "»")


@pytest.fixture(scope="module")
def article(article_raw):
    cleaned = clean_text(article_raw)
    return cleaned, extract_claims(cleaned.text, captions=cleaned.captions, outlet="RFE/RL")


def one(text, outlet=""):
    return Attributor(text, outlet).attribute([(0, len(text))])[0]


def attribute_all(text, outlet=""):
    """Attribute every sentence-like piece of `text` (split on blank lines and ". ")."""
    spans, pos = [], 0
    for piece in re.split(r"(?<=[.!?])\s+(?=[A-Z\"“])", text):
        start = text.index(piece, pos)
        spans.append((start, start + len(piece)))
        pos = start + len(piece)
    return Attributor(text, outlet).attribute(spans)


def test_no_proposed_statement_starts_with_a_bare_pronoun(article):
    _, claims = article
    for c in claims:
        if c.proposed:
            assert c.statement.split()[0].strip(",") not in BARE_STARTS, c.statement


def test_the_year_of_service_sentence_names_izbasarov(article):
    _, claims = article
    (claim,) = [c for c in claims if c.quote.startswith("He is likely to be there")]
    assert claim.statement.startswith("Izbasarov is likely to be there")
    assert "18 to 27" in claim.statement


def test_the_jail_sentence_claim_is_izbasarovs(article):
    _, claims = article
    (claim,) = [c for c in claims if "15-day jail sentence" in c.quote]
    assert claim.claimant in ("Izbasarov", "Alimzhan Izbasarov")


def test_every_proposed_quotation_names_its_speaker(article):
    _, claims = article
    quoted = [c for c in claims if c.proposed and QUOTED_SENTENCE.search(c.quote)]
    assert quoted
    for c in quoted:
        assert c.claimant and c.claimant != "RFE/RL", c.quote
        assert c.claimant.split()[-1] in c.statement, c.statement


def test_a_quotation_is_put_in_its_speakers_mouth(article):
    _, claims = article
    (claim,) = [c for c in claims if c.quote.startswith("\"May 1 is the day")]
    assert claim.statement == "Izbasarov said May 1 is the day when people overcame their fears"
    assert claim.claimant == "Alimzhan Izbasarov"


def test_a_quotation_split_over_sentences_stays_whole(article):
    _, claims = article
    (claim,) = [c for c in claims if "We've been living for 30 years" in c.quote]
    assert claim.quote.endswith("It is time to end them.\"")
    assert claim.claimant == "Anuar Nurpeisov"
    assert "It is time to end them" in claim.statement


def test_a_quotation_takes_its_speaker_from_the_sentence_before(article):
    _, claims = article
    (claim,) = [c for c in claims if c.quote.startswith("\"We, the youth")]
    assert claim.claimant == "Alimzhan Izbasarov"
    (claim,) = [c for c in claims if c.quote.startswith("\"I know that sending me")]
    assert claim.claimant == "Alimzhan Izbasarov"
    assert claim.statement.startswith("Izbasarov said: “I know that sending me")


def test_the_outlets_own_assertions_have_the_outlet_as_claimant(article):
    _, claims = article
    (claim,) = [c for c in claims if c.quote.startswith("Kazakh authorities have refused")]
    assert claim.claimant == "RFE/RL"
    assert claim.statement.startswith("Kazakh authorities have refused to comment")


def test_numbers_dates_and_places_are_copied_exactly(article):
    _, claims = article
    for c in claims:
        if c.proposed and not any(q in c.quote for q in QUOTE_MARKS):
            for number in re.findall(r"\d+(?:[.,]\d+)*", c.quote):
                assert number in c.statement, (number, c.statement)


def test_a_statement_keeps_its_quotation_marks_paired(article):
    _, claims = article
    for c in claims:
        assert c.statement.count('"') % 2 == 0, c.statement
        assert c.statement.count("“") == c.statement.count("”"), c.statement


def test_the_quote_and_offsets_never_change(article):
    cleaned, claims = article
    for c in claims:
        assert cleaned.text[c.start : c.end] == c.quote


@pytest.mark.parametrize(("text", "statement", "claimant"), [
    ("According to the ministry, 300 people were fined.", "300 people were fined",
     "The ministry"),
    ("Police detained 40 people in Almaty on Sunday, officials said.",
     "Police detained 40 people in Almaty on Sunday", "Officials"),
    ("But the council spent 4 million euros on the bridge in 2023.",
     "The council spent 4 million euros on the bridge in 2023", "Daily Post"),
    ("However, the port handled 3.1 million containers.",
     "The port handled 3.1 million containers", "Daily Post"),
    ("The dog was reportedly poisoned in June.", "The dog was poisoned in June", "Daily Post"),
])
def test_a_sentence_alone_loses_openers_hedges_and_attribution(text, statement, claimant):
    found = one(text, outlet="Daily Post")
    assert (found.statement, found.claimant) == (statement, claimant)


def test_a_pronoun_becomes_the_person_named_before():
    text = ("Activist Maria Ivanova was fined 50,000 tenge on May 2. "
            "She said she would appeal the fine in the Supreme Court.")
    _, second = attribute_all(text)
    assert second.statement == "Ivanova said she would appeal the fine in the Supreme Court"
    assert second.claimant == "Maria Ivanova"


def test_a_description_becomes_the_person_named_before():
    text = ("Opposition leader John Okafor was arrested in Lagos on Friday. "
            "The 41-year-old was released on bail of 2 million naira.")
    _, second = attribute_all(text)
    assert second.statement == "Okafor, 41, was released on bail of 2 million naira"


def test_they_becomes_the_group_named_before():
    text = ("Police detained journalists Ana Lopez and Tom Baker in Madrid. "
            "They were held for 12 hours.")
    _, second = attribute_all(text)
    assert second.statement == "Lopez and Baker were held for 12 hours"


def test_a_trailing_he_said_after_a_quotation_names_the_speaker():
    text = ("Mayor Ana Costa opened the bridge on Monday. "
            "\"The bridge cost 12 million euros,\" she said.")
    _, second = attribute_all(text)
    assert second.claimant == "Ana Costa"
    assert second.statement == "Costa said the bridge cost 12 million euros"


def test_people_are_found_with_their_later_surname_mentions():
    body = ("Alimzhan Izbasarov was drafted. Izbasarov told RFE/RL he was fit. He left "
            "Nur-Sultan for Taraz. Life in Taraz is hard.")
    people = People(body)
    assert people.known["Izbasarov"].full == "Alimzhan Izbasarov"
    assert "Taraz" not in people.known
    assert [m.person.short for m in people.within(0, len(body))] == ["Izbasarov", "Izbasarov"]
