"""The one place that turns user Markdown or HTML into safe HTML (bleach).

Everything a user writes that is shown as HTML passes through render_markdown; every
other user text is shown through Jinja's autoescaping. Swapping the sanitiser is a
change to this file alone.
"""

from __future__ import annotations

import re
import threading
from itertools import chain
from typing import Any
from urllib.parse import urlsplit

import bleach
from bleach.linkifier import DEFAULT_CALLBACKS
from markdown_it import MarkdownIt
from markupsafe import Markup

ALLOWED_TAGS = frozenset({
    "p", "br", "hr", "strong", "em", "b", "i", "code", "pre", "blockquote", "ul", "ol", "li",
    "a", "h3", "h4", "h5", "h6", "del", "s",
})
ALLOWED_ATTRIBUTES = {"a": ["href", "title", "rel"]}
ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto"})

# Raw HTML in Markdown is not rendered at all: it is shown as text.
_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("strikethrough")
# bleach's Cleaner keeps its HTML parser's state on the instance and is not thread-safe
# (its docs: "Create a separate cleaner per thread!"): a server thread each, made on first
# use. Shared, two notes rendered at once broke each other's parse or swapped their text.
_cleaners = threading.local()


def _cleaner() -> bleach.Cleaner:
    cleaner = getattr(_cleaners, "cleaner", None)
    if cleaner is None:
        cleaner = _cleaners.cleaner = bleach.Cleaner(
            tags=ALLOWED_TAGS,
            attributes=ALLOWED_ATTRIBUTES,
            protocols=ALLOWED_PROTOCOLS,
            strip=True,
            filters=[],
        )
    return cleaner


def _nofollow(attrs, new=False):
    attrs = DEFAULT_CALLBACKS[0](attrs, new)  # rel="nofollow"
    attrs[(None, "rel")] = "nofollow noopener noreferrer"
    return attrs


def render_markdown(text: str) -> Markup:
    """Render user Markdown to sanitised HTML, safe to insert into a page."""
    html = _markdown.render(text or "")
    cleaned = _cleaner().clean(html)
    linked = bleach.linkify(cleaned, callbacks=[_nofollow], parse_email=False)
    return Markup(linked)  # noqa: S704 - bleach has just sanitised it


# Control characters (C0, DEL, C1) and every kind of white space: a browser drops or
# rewrites some of them ("java\tscript:"), so an address holding any is refused outright.
_BAD_URL_CHARS = re.compile(r"[\x00-\x20\x7f-\xa0\u1680\u2000-\u200f\u2028-\u202f"
                            r"\u205f-\u2064\u3000\ufeff]")
MAX_URL = 2000


def is_safe_url(url: str) -> bool:
    """Tell whether url is an absolute http(s) URL with a host, fit to link to and fetch.

    The one URL validator: sources, archived copies, article addresses (typed, fetched or
    imported) all pass through it. Refused: other schemes (``javascript:``, ``data:``),
    control characters and white space anywhere (leading and trailing too), no host,
    addresses longer than ``MAX_URL``.
    """
    if not isinstance(url, str) or not url or len(url) > MAX_URL:
        return False
    if _BAD_URL_CHARS.search(url):
        return False
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        return False
    return parts.scheme in {"http", "https"} and bool(host)


# -- bounded numbers, strict dates, plain text -------------------------------------------------

# Ids and counts are 32-bit integers in the database (PostgreSQL ``integer``): anything
# bigger is not an id of ours, and would make the driver fail rather than find nothing.
MAX_INT = 2**31 - 1


def bounded_int(value, *, low: int = 0, high: int = MAX_INT) -> int | None:
    """Return value as an int in [low, high], or None if it is not one.

    Accepts ints (not bools) and strings of ASCII digits with an optional minus sign; a
    float, "1e3", " 7", "٣" (non-ASCII digits) or a 30-digit number is not an int here.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and _INT_RE.fullmatch(value):
        number = int(value)
    else:
        return None
    return number if low <= number <= high else None


_INT_RE = re.compile(r"-?[0-9]{1,12}")


def is_plain_text(value: str, *, limit: int | None = None) -> bool:
    """Tell whether text has no NUL byte (PostgreSQL cannot store one) and fits the limit."""
    return isinstance(value, str) and "\x00" not in value and (limit is None
                                                               or len(value) <= limit)


def json_nests_deeper(value: Any, limit: int = 64, text: bytes | str | None = None) -> bool:
    """Tell whether a parsed JSON value nests arrays/objects deeper than ``limit``.

    Checked after parsing, level by level (no recursion): Python's JSON parser already stops
    a document nested past its recursion limit with a RecursionError after reading about a
    thousand brackets, so a 5 MB body of brackets costs milliseconds before any of this
    runs, and a flat one (an article pasted as ``{"text": ...}``) is one object to look at
    instead of 4 MB of bytes to scan (issue 19: 16 ms of a paste's request, with the
    interpreter lock held, were the old byte scan). ``text``, the document as it came, lets
    a wide one with few brackets (a long list of numbers) skip the walk: it cannot nest
    deeper than it has opening brackets.
    """
    if text is not None:
        opening = (b"[", b"{") if isinstance(text, bytes | bytearray) else ("[", "{")
        if text.count(opening[0]) + text.count(opening[1]) <= limit:
            return False
    if not isinstance(value, list | dict):
        return False
    depth = 1  # the containers of `lists` and `dicts` are this deep, and not empty
    lists = [value] if isinstance(value, list) else []
    dicts = [] if lists else [value]
    while depth <= limit:
        # One level down, in C where it can be: a 5 MB array of 1.7 million empty arrays is
        # looked through in about 50 ms (a loop per node took 440 ms, as long as parsing it).
        below = chain(chain.from_iterable(lists), chain.from_iterable(map(dict.values, dicts)))
        lists, dicts, deeper = [], [], False
        for item in below:
            if isinstance(item, list):
                deeper = True
                if item:
                    lists.append(item)
            elif isinstance(item, dict):
                deeper = True
                if item:
                    dicts.append(item)
        if not deeper:
            return False
        depth += 1
        if not (lists or dicts):
            return depth > limit
    return True
