"""`annotator extract FILE --jsonl` on the shared article: the issue's acceptance checks."""

import json
import re

import pytest
from click.testing import CliRunner

from annotator.cli import main

MUST_HAVE = [
    "at least six male activists have been either summoned",
    "Hundreds of demonstrators have been detained or jailed",
    "on March 19 after 30 years in power",
    "Kazakh men aged 18 to 27",
    "International Women of Courage Award",
]
BARE_STARTS = {"He", "She", "They", "It", "His", "Her", "Their", "We", "I"}
# A quotation is a quoted sentence ("“May 1 is ..."), not a phrase in scare quotes
# ('subjected to "military service harassment and abuse"').
QUOTED_SENTENCE = re.compile(r"[\"“«]\s*[A-Z]\w*(?:\W+\w+){3}")


@pytest.fixture(scope="module")
def proposals(shared):
    path = shared / "articles" / "kazakh-conscriptions.txt"
    result = CliRunner().invoke(main, ["extract", str(path), "--jsonl"])
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.output.splitlines()]


def test_it_gives_at_most_18_proposals(proposals):
    assert 10 <= len(proposals) <= 18


@pytest.mark.parametrize("phrase", MUST_HAVE)
def test_every_must_have_is_proposed(proposals, phrase):
    assert any(phrase in p["quote"] for p in proposals)


def test_no_statement_starts_with_a_bare_pronoun(proposals):
    for p in proposals:
        assert p["statement"].split()[0].strip(",") not in BARE_STARTS, p["statement"]


def test_the_year_of_service_sentence_names_izbasarov_if_proposed(proposals):
    for p in proposals:
        if p["quote"].startswith("He is likely to be there"):
            assert "Izbasarov" in p["statement"]


def test_the_jail_sentence_claim_has_izbasarov_as_claimant(proposals):
    (jail,) = [p for p in proposals if "15-day jail sentence" in p["quote"]]
    assert jail["claimant"] in ("Izbasarov", "Alimzhan Izbasarov")


def test_every_proposed_quotation_names_its_speaker(proposals):
    for p in proposals:
        if QUOTED_SENTENCE.search(p["quote"]):
            assert p["claimant"], p
            assert p["claimant"].split()[-1] in p["statement"] or p["claimant"] in p["quote"], p
