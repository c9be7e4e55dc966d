"""Cleaning raw article text: furniture out, captions once, offsets traceable."""

import pytest

from annotator.extract import Cleaned, clean_html, clean_text

JUNK = [
    "Accessibility links",
    "Breaking News",
    "please wait",
    "No media source currently available",
    "0:00 0:02:21 0:00",
    "To find out more, click here.",
    "undesirable organization",
    "If you are in Russia",
    "Meta Protest: Kazakh Man Detained Holding Blank Poster",
    "Woke In Kazakhstan: Viral Videos Open Eyes To Political Problems",
]


@pytest.fixture(scope="module")
def cleaned(article_raw) -> Cleaned:
    return clean_text(article_raw)


@pytest.mark.parametrize("junk", JUNK)
def test_it_removes_page_furniture_from_the_article(cleaned, junk):
    assert junk not in cleaned.text


def test_it_keeps_a_repeated_caption_once_and_lists_its_span(cleaned):
    caption = "Kazakh activist Asya Tulesova"
    assert cleaned.text.count(caption) == 1
    assert any(cleaned.text[a:b] == caption for a, b in cleaned.captions)
    assert len(cleaned.captions) == 4


def test_it_keeps_no_line_twice_in_a_row(cleaned):
    lines = [line for line in cleaned.text.split("\n") if line]
    assert all(a != b for a, b in zip(lines, lines[1:], strict=False))


def test_it_takes_the_author_line_out_as_the_byline(cleaned):
    assert cleaned.byline.startswith("Written by Pete Baumgartner")
    assert "Written by" not in cleaned.text


def test_it_keeps_paragraphs_separated_by_one_blank_line(cleaned):
    assert "\n\n" in cleaned.text
    assert "\n\n\n" not in cleaned.text
    assert cleaned.text == cleaned.text.strip()


def test_every_cleaned_character_maps_back_to_the_raw_text(article_raw, cleaned):
    covered = 0
    for clean_start, raw_start, length in cleaned.source_map:
        assert (
            cleaned.text[clean_start : clean_start + length]
            == (article_raw[raw_start : raw_start + length])
        )
        covered += length
    assert covered == len(cleaned.text)
    pos = cleaned.text.index("at least six male activists")
    raw = cleaned.to_raw(pos)
    assert article_raw[raw : raw + 27] == "at least six male activists"


def test_it_maps_synthesised_separators_to_nothing():
    cleaned = clean_text("First paragraph here.\n \nSecond one.")
    assert cleaned.text == "First paragraph here.\n\nSecond one."
    assert cleaned.to_raw(len("First paragraph here.")) is None
    assert cleaned.to_raw(cleaned.text.index("Second")) == 24


def test_it_extracts_text_and_metadata_from_html():
    html = """<html lang="en"><head><title>Protests grow | Example News</title>
    <meta name="author" content="Jane Doe"><meta property="og:site_name" content="Example News">
    <meta property="article:published_time" content="2019-06-07"></head><body>
    <nav>Breaking News</nav><article><h1>Protests grow</h1>
    <p>Hundreds of demonstrators have been detained in the past three months, officials said.</p>
    <p>At least six activists have been summoned to army-recruitment offices since May.</p>
    </article><footer>To find out more, click here.</footer></body></html>"""
    cleaned, meta = clean_html(html, url="https://example.org/news/1")
    assert "Hundreds of demonstrators" in cleaned.text
    assert "click here" not in cleaned.text
    assert meta["date"] == "2019-06-07"
    assert meta["author"] == "Jane Doe"
    assert meta["language"] == "en"
    assert set(meta) >= {"title", "author", "byline", "date", "sitename", "outlet", "language"}


def test_every_removed_line_is_kept_with_its_reason_and_place(article_raw, cleaned):
    removed = {r.text: r for r in cleaned.removed}
    assert removed["Accessibility links"].reason == "page furniture (a button, menu or label)"
    assert removed["0:00 0:02:21 0:00"].reason == "a media player's controls or clock"
    sign_off = removed["To find out more, click here."]
    assert sign_off.reason == "after the author's sign-off at the end"
    assert sign_off.at == len(cleaned.text)
    # Nothing vanishes: every non-blank raw line is kept or listed as removed.
    kept_or_removed = {line for line in cleaned.text.split("\n") if line} | set(removed)
    assert {line.strip() for line in article_raw.split("\n") if line.strip()} <= kept_or_removed


def test_no_rule_names_an_outlet_or_a_subject():
    text = ("RFE/RL has been declared an \"undesirable organization\" by the Russian "
            "government, the ministry said on Monday.\n\n"
            "Residents of Russia-controlled parts of Ukraine were told to click here to "
            "register.\n\nThe site's cookies policy was changed, officials said.")
    assert clean_text(text).text == text


def test_a_removed_line_goes_back_before_the_paragraph_it_preceded():
    body = "First paragraph.\n\nSecond paragraph."
    from annotator.extract.clean import restore_line

    assert restore_line(body, "Restored line.", body.index("Second")) == (
        "First paragraph.\n\nRestored line.\n\nSecond paragraph.")
    assert restore_line(body, "Tail.", len(body)) == body + "\n\nTail."


PAGE = """<html lang="en"><head><title>Party switchers | Example News</title>
<meta property="og:site_name" content="Example News"></head><body><article>
<h1>Party switchers</h1>
<p>Dozens of state legislators have switched parties since 1994, a review of the records shows,
and most of them moved from the Democratic to the Republican party in the South.</p>
<table><tr><th>Name</th><th>State</th><th>Year</th></tr>
<tr><td>Jim Justice</td><td>West Virginia</td><td>2017</td></tr>
<tr><td>Parker Griffith</td><td>Alabama</td><td>2009</td></tr></table>
<p>The pace of switching slowed after 2012, when only four legislators changed sides in a
single year, according to the review of the records kept by the states themselves.</p>
<p>Our forecast of every House race in 2020 is out now. Read more. »</p>
<ul><li><a href="https://example.org/other-story">Why the South turned red</a></li>
<li><a href="https://example.org/more">The 2020 map, explained</a></li></ul>
</article></body></html>"""


def test_html_keeps_tables_as_text_and_drops_link_teasers():
    cleaned, meta = clean_html(PAGE, url="https://example.org/2019/11/18/switchers")
    assert "Jim Justice" in cleaned.text and "West Virginia" in cleaned.text
    assert "Parker Griffith" in cleaned.text
    assert "Why the South turned red" not in cleaned.text
    reasons = {r.text: r.reason for r in cleaned.removed}
    assert reasons["Our forecast of every House race in 2020 is out now. Read more. »"] == (
        "a promotion ending in “read more”")
    assert "|---" not in cleaned.text
    assert reasons["Party switchers"] == "the headline (kept as the title)"
    assert cleaned.text.startswith("Dozens of state legislators")


def test_link_teasers_after_the_last_paragraph_go_but_links_inside_the_article_stay():
    from lxml import etree

    from annotator.extract.clean import _blocks_text

    prose = " ".join(["The council approved the budget of 4 million euros for the bridge."] * 3)
    body = etree.fromstring(
        f"<body><p>{prose}</p>"
        "<p>See <ref target='https://example.org/report'>the council's report</ref> for the "
        "full figures and the vote of each member of the council on the bridge budget.</p>"
        f"<p>{prose}</p>"
        "<list><item><ref target='https://example.org/a'>Rams top Bears</ref> Neither side "
        "scored</item></list></body>")
    text, flags = _blocks_text(body)
    teaser_at = text.index("Rams top Bears")
    assert flags == {teaser_at: "a link to another page (a teaser)"}
    cleaned = clean_text(text, flags)
    assert "Rams top Bears" not in cleaned.text
    assert "the council's report" in cleaned.text
