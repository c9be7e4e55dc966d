"""The one sanitiser: user Markdown becomes safe HTML; addresses and numbers are checked."""

from __future__ import annotations

import json
import threading

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from annotator.sanitize import (
    MAX_INT,
    bounded_int,
    is_plain_text,
    is_safe_url,
    json_nests_deeper,
    render_markdown,
)


def test_markdown_becomes_the_allowed_html():
    html = str(render_markdown("Checked **page 4** and *the annex*.\n\n- one\n- two"))
    assert "<strong>page 4</strong>" in html and "<em>the annex</em>" in html
    assert "<ul>" in html and "<li>one</li>" in html


@pytest.mark.parametrize("attack", [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '<a href="javascript:alert(1)">x</a>',
    "[x](javascript:alert(1))",
    "<iframe src=//evil.example></iframe>",
    '<p style="background:url(javascript:alert(1))">x</p>',
])
def test_it_never_lets_script_through(attack):
    html = str(render_markdown(attack)).lower()
    for tag in ("<script", "<img", "<iframe", "<p style"):
        assert tag not in html
    assert 'href="javascript' not in html


def test_raw_html_in_markdown_is_shown_as_text():
    assert "&lt;b&gt;bold&lt;/b&gt;" in str(render_markdown("<b>bold</b>"))


def test_links_open_without_handing_over_the_page():
    html = str(render_markdown("See [the statement](https://ministry.example/statement)"))
    assert 'href="https://ministry.example/statement"' in html
    assert 'rel="nofollow noopener noreferrer"' in html


def test_nothing_renders_as_nothing():
    assert str(render_markdown("")) == "" and str(render_markdown(None)) == ""


@pytest.mark.parametrize("url, safe", [
    ("https://example.org/a?b=c", True),
    ("http://example.org", True),
    ("javascript:alert(1)", False),
    ("java\tscript:alert(1)", False),
    ("data:text/html,<script>", False),
    ("https://", False),
    ("//example.org", False),
    ("https://exa mple.org", False),
    ("", False),
])
def test_only_web_addresses_with_a_host_are_safe(url, safe):
    assert is_safe_url(url) is safe


@pytest.mark.parametrize("value, expected", [
    (7, 7), ("42", 42), ("-1", None), (True, None), (1.5, None), ("1e3", None), (" 7", None),
    ("٣", None), (MAX_INT, MAX_INT), (MAX_INT + 1, None), ("9" * 30, None),
])
def test_bounded_int_takes_only_whole_numbers_in_range(value, expected):
    assert bounded_int(value) == expected


def test_plain_text_has_no_nul_and_fits_its_limit():
    assert is_plain_text("fine", limit=4)
    assert not is_plain_text("too long", limit=4)
    assert not is_plain_text("nul\x00byte")
    assert not is_plain_text(5)


def test_deep_json_is_measured_on_what_was_parsed():
    text = '{"a": [1, {"b": "[[[[[[["}]}'
    assert not json_nests_deeper(json.loads(text), limit=4, text=text)
    assert not json_nests_deeper(json.loads(text), limit=3)
    assert json_nests_deeper(json.loads(text), limit=2)
    deep = "[" * 100 + "]" * 100
    assert json_nests_deeper(json.loads(deep), limit=64, text=deep)
    assert json_nests_deeper(json.loads(deep), limit=64, text=deep.encode())


# The one URL validator, bounded numbers and JSON depth (issue 10)

@pytest.mark.parametrize("url", ["javascript:alert(1)", "java\tscript:alert(1)",
                                 "javascript\n:alert(1)", "\x01javascript:alert(1)",
                                 " https://a.example/", "https://a.example/\n",
                                 "https://a.example/\u00a0x", "https://a.example/\u200bx",
                                 "data:text/html,x", "//a.example/", "https://",
                                 "https://a.example:99999/", "https://" + "a" * 2000 + ".ex"])
def test_the_url_validator_refuses_odd_addresses(url):
    from annotator.sanitize import is_safe_url
    assert not is_safe_url(url)


@pytest.mark.parametrize("url", ["https://a.example/", "http://a.example/x?y=1#z",
                                 "HTTPS://A.EXAMPLE/", "https://a.example:8443/p"])
def test_the_url_validator_accepts_plain_web_addresses(url):
    from annotator.sanitize import is_safe_url
    assert is_safe_url(url)


def test_bounded_int_takes_only_plain_numbers_in_range():
    from annotator.sanitize import MAX_INT, bounded_int
    assert [bounded_int(v) for v in ("7", 7, "0", str(MAX_INT))] == [7, 7, 0, MAX_INT]
    for bad in (str(MAX_INT + 1), "18446744073709551621", "-1", "1e3", " 7", "\u0663",
                "\u00b2", True, 1.0, None, ""):
        assert bounded_int(bad) is None, bad
    assert bounded_int("0", low=1) is None


def test_json_depth_is_counted_level_by_level_at_the_limit():
    for text, too_deep in [("[" * 65 + "]" * 65, True), ("[" * 64 + "]" * 64, False),
                           ('{"a": "[[[[[[[[[[[[[[[[[[[["}', False),
                           ('[[], [[]], {"x": [{"y": []}]}]', True)]:
        for given_text in (None, text, text.encode()):
            assert json_nests_deeper(json.loads(text), 64 if len(text) > 100 else 4,
                                     given_text) == too_deep, (text, given_text)
    assert not json_nests_deeper(json.loads('[[], [[]], {"x": [{"y": []}]}]'), 5)
    # Scalars and empty containers: nothing, or one level.
    assert not json_nests_deeper("[[[[", 1) and not json_nests_deeper(None, 0)
    assert json_nests_deeper([], 0) and not json_nests_deeper([], 1)


def test_a_wide_document_with_few_brackets_skips_the_walk_but_not_a_deep_one():
    wide = [0] * 100_000
    text = json.dumps(wide)
    assert not json_nests_deeper(wide, 64, text)
    # The count is only a shortcut: with more opening brackets than the limit the value
    # itself is measured, however the text spells it.
    assert not json_nests_deeper([[]] * 100, 64, json.dumps([[]] * 100))
    nested: list = []
    for _ in range(70):
        nested = [nested]
    assert json_nests_deeper(nested, 64, json.dumps(nested))


def _nesting(value) -> int:
    if isinstance(value, list):
        return 1 + max(map(_nesting, value), default=0)
    if isinstance(value, dict):
        return 1 + max(map(_nesting, value.values()), default=0)
    return 0


_JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(alphabet='[]{}"\\/ab\n\u00e9'),
    lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(st.text(alphabet='[]{}"\\a', max_size=4), inner, max_size=4),
    max_leaves=30)


@settings(max_examples=300, deadline=None)
@given(_JSON_VALUES, st.integers(min_value=0, max_value=6), st.booleans())
def test_the_depth_check_measures_real_json_as_a_parser_nests_it(value, limit, ascii_only):
    text = json.dumps(value, ensure_ascii=ascii_only)
    expected = _nesting(value) > limit
    assert json_nests_deeper(json.loads(text), limit) == expected
    assert json_nests_deeper(json.loads(text), limit, text) == expected
    assert json_nests_deeper(json.loads(text), limit, text.encode()) == expected


def test_notes_rendered_at_once_on_many_threads_each_come_out_whole():
    """bleach's Cleaner keeps its parser's state on the instance and is not thread-safe:
    shared by a server's threads, two notes rendered at once broke each other's parse (a
    500 under load, found by the burst benchmark) or could mix one note into another's."""
    texts = [f"Note {i}: **bold {i}**, a [link](https://example.org/{i}) and\n\n"
             + "\n\n".join(f"> quote {i}.{k} with *em* and `code`\n\n- item {k}"
                           for k in range(30)) for i in range(8)]
    expected = [str(render_markdown(text)) for text in texts]
    start, wrong = threading.Barrier(len(texts)), []

    def render_many(i: int) -> None:
        start.wait()
        for _ in range(40):
            try:
                got = str(render_markdown(texts[i]))
            except Exception as exc:  # noqa: BLE001 - any failure is the finding
                wrong.append((i, repr(exc)))
                return
            if got != expected[i]:
                wrong.append((i, got[:80]))
                return

    threads = [threading.Thread(target=render_many, args=(i,)) for i in range(len(texts))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert wrong == []
