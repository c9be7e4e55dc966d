"""Statements that stand alone, and say how: named, reversible rewrite steps."""

from datetime import date

import pytest

from annotator.extract import extract_claims
from annotator.extract import rewrite as rw
from annotator.extract.attribution import Attributor

MANCHIN = ("Senator Joe Manchin said on Monday that he would not back the bill. "
           "{second}")


def second_of(text: str, published=None):
    first_end = text.index(". ") + 1
    start = first_end + 1
    att = Attributor(text, "Daily Post", published).attribute(
        [(0, first_end), (start, len(text))])
    return att[1]


def test_a_contraction_before_a_participle_becomes_had():
    found = second_of(MANCHIN.format(second="He’d previously told reporters the bill "
                                            "cost 3 trillion dollars."))
    assert found.statement.startswith("Manchin had previously told reporters")
    assert {"step": rw.PRONOUN, "from": "He’d", "to": "Manchin had"} in found.steps
    assert "’d" not in found.statement
    assert found.claimant == "Joe Manchin"


def test_a_contraction_before_a_base_verb_becomes_would():
    found = second_of(MANCHIN.format(second="He’d likely lose his post as chair of the "
                                            "energy committee."))
    assert found.statement.startswith("Manchin would likely lose his post")
    assert "Manchin’d" not in found.statement


def test_a_contraction_it_cannot_settle_is_left_and_asked_about():
    found = second_of(MANCHIN.format(second="He’d 40 votes in the Senate."))
    assert found.statement.startswith("He’d")
    assert found.needs_context == ("who is “he”?",)


def test_a_pronoun_is_never_replaced_by_a_party():
    text = ("Republican leaders met on Monday. "
            "He’d likely lose his post as chair of the energy committee.")
    found = second_of(text)
    assert "Republican" not in found.statement
    assert found.needs_context == ("who is “he”?",)


def test_a_pronoun_with_no_person_before_it_needs_context_and_is_held_back():
    body = ("The ministry published its budget for 2020 on Friday.\n\n"
            "He said the budget would cut spending on hospitals by 12 percent in 2020.")
    claims = extract_claims(body, "en", outlet="Daily Post", threshold=0.0)
    (he,) = [c for c in claims if c.quote.startswith("He said")]
    assert he.needs_context == ["who is “he”?"]
    assert not he.proposed


def test_a_relative_date_is_resolved_against_the_publication_date():
    text = "Police detained 40 protesters in Almaty on Monday, officials said."
    found = Attributor(text, "", date(2019, 11, 20)).attribute([(0, len(text))])[0]
    assert found.statement == "Police detained 40 protesters in Almaty on November 18, 2019"
    assert {"step": rw.RELATIVE_TIME, "from": "on Monday",
            "to": "on November 18, 2019"} in found.steps


@pytest.mark.parametrize(("phrase", "resolved"), [
    ("yesterday", "on November 19, 2019"),
    ("last week", "in the week of November 11, 2019"),
    ("this month", "in November 2019"),
    ("next year", "in 2020"),
    ("in the past three months", "in the three months to November 20, 2019"),
])
def test_each_kind_of_relative_time_gets_a_date(phrase, resolved):
    text = f"The council spent 4 million euros on the bridge {phrase}."
    found = Attributor(text, "", date(2019, 11, 20)).attribute([(0, len(text))])[0]
    assert found.statement == f"The council spent 4 million euros on the bridge {resolved}"


def test_a_relative_time_without_a_date_is_asked_about():
    text = "The council spent 4 million euros on the bridge last week."
    found = Attributor(text).attribute([(0, len(text))])[0]
    assert "last week" in found.statement
    assert found.needs_context == ("when is “last week”?",)


def test_a_dateline_is_removed_and_its_place_kept():
    text = "NUR-SULTAN -- Hundreds of demonstrators have been detained in three months."
    found = Attributor(text).attribute([(0, len(text))])[0]
    assert found.statement == ("Hundreds of demonstrators have been detained in three months "
                               "(Nur-Sultan)")
    assert [s["step"] for s in found.steps] == [rw.DATELINE, rw.PLACE]
    assert found.steps[0]["from"] == "NUR-SULTAN -- "


def test_every_step_can_be_undone_alone():
    text = "But NUR-SULTAN officials reportedly detained 40 people on Monday."
    found = Attributor(text, "", date(2019, 11, 20)).attribute([(0, len(text))])[0]
    names = [s["step"] for s in found.steps]
    assert names == [rw.OPENER, rw.HEDGE, rw.RELATIVE_TIME]
    assert rw.apply_steps(text, list(found.steps)) == found.statement
    undone, kept = rw.without_step(text, list(found.steps), 1)
    assert undone == "NUR-SULTAN officials reportedly detained 40 people on November 18, 2019"
    assert len(kept) == 2


@pytest.mark.parametrize(("name", "kept"), [
    ("His office", ""), ("He has always", ""), ("he’d previously", ""),
    ("Joe Manchin", "Joe Manchin"),
    ("Officials", "Officials"), ("the council", ""), ("RFE/RL", "RFE/RL"),
    ("One Two Three Four Five Six Seven Eight Nine", ""),
])
def test_a_claimant_is_a_name_or_empty(name, kept):
    assert rw.claimant_name(name) == kept


@pytest.mark.parametrize(("name", "proper"), [
    ("Maria Ivanova", True), ("The White House", True), ("RFE/RL", True),
    ("Ministry of Defence", True), ("The minister", False), ("His office", False), ("", False),
])
def test_a_suggestion_for_a_hand_made_claim_is_a_proper_name(name, proper):
    assert rw.proper_name(name) is proper


def test_a_place_named_only_as_the_hotel_is_asked_about():
    text = "Dozens of activists forced their way into the hotel and the capital's main square."
    found = Attributor(text).attribute([(0, len(text))])[0]
    assert found.needs_context == ("which hotel?", "which capital?")
    text = "Dozens of activists forced their way into the hotel Rixos in the city of Almaty."
    assert Attributor(text).attribute([(0, len(text))])[0].needs_context == ()
