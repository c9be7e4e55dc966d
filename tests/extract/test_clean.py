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
