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
# ('subjected to "military service harassment and abuse"') nor the words a banner or sign
# read ('a banner ... that read, "You can't run from the truth."'): nobody speaks those.
QUOTED_SENTENCE = re.compile(r"(?<!\bread, )(?<!\bread )[\"“«]\s*[A-Z]\w*(?:\W+\w+){3}")


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


PAGE = """<html lang="en"><head><title>Senate vote | Example News</title>
<meta property="og:site_name" content="Example News"></head><body><article>
<h1>Senate vote</h1>
<p>WASHINGTON -- Senator Joe Manchin said on Monday that he would vote against the 3 trillion
dollar spending bill, which the Senate is expected to take up in December.</p>
<p>He’d previously told reporters that the bill would add 1.5 trillion dollars to the national
debt over ten years, a figure the Congressional Budget Office has disputed.</p>
<p>Manchin has voted with his party on 88 percent of the bills that reached the Senate floor
this year, according to a tally kept by the Senate clerk.</p>
</article></body></html>"""


@pytest.fixture()
def page(tmp_path):
    path = tmp_path / "vote.html"
    path.write_text(PAGE, encoding="utf-8")
    return path


def test_clean_prints_the_text_an_import_would_store(page, monkeypatch):
    monkeypatch.setenv("ARTICLE_URL", "https://example.org/2021/11/18/senate-vote")
    result = CliRunner().invoke(main, ["clean", str(page)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("WASHINGTON -- Senator Joe Manchin said on Monday")
    assert "Senate vote" not in result.output.split("\n")[0]


def test_extract_reads_html_with_the_date_from_its_url(page, monkeypatch):
    monkeypatch.setenv("ARTICLE_URL", "https://example.org/2021/11/18/senate-vote")
    result = CliRunner().invoke(main, ["extract", str(page), "--jsonl"])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert rows and all({"rewrite", "needs_context"} <= set(r) for r in rows)
    statements = " ".join(r["statement"] for r in rows)
    assert "on Monday" not in statements and "this year" not in statements
    assert "on November 15, 2021" in statements or "in 2021" in statements
    for r in rows:
        assert "Manchin’d" not in r["statement"]
        assert r["statement"] == __import__("annotator.extract.rewrite", fromlist=["x"]
                                            ).apply_steps(r["quote"], r["rewrite"])
