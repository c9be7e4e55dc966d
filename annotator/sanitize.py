"""The one place that turns user Markdown or HTML into safe HTML (bleach).

Everything a user writes that is shown as HTML passes through render_markdown; every
other user text is shown through Jinja's autoescaping. Swapping the sanitiser is a
change to this file alone.
"""

from __future__ import annotations

import re
import threading
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


def json_too_deep(data: bytes | str, limit: int = 64) -> bool:
    """Tell whether a JSON text nests arrays/objects deeper than ``limit`` (without parsing).

    Parsing a deeply nested document recurses once per level, so it is checked first, in
    time linear in the text and stopping at the first chunk that goes too deep (issue 19: a
    5 MB body of brackets is refused in milliseconds). Brackets inside strings do not count;
    unbalanced ones count as they come (a parser may recurse into them before it fails).
    """
    raw = data if isinstance(data, bytes | bytearray) else data.encode("utf-8", "replace")
    if raw.count(b"[") + raw.count(b"{") <= limit:
        return False
    # Only brackets and quotes matter once the escapes are gone; the rest is dropped in C
    # first, so a 4 MB article pasted as JSON leaves a few kilobytes to count instead of
    # 4 MB. Escapes pair backslashes from the left, as ``replace`` scans: the escaped
    # backslashes go first, then a backslash left before a quote escapes that quote. (Any
    # other escaped character is a letter or digit, which the translation drops, or not
    # JSON, which counts as it comes.) Two scans in C: about two thirds of a regular
    # expression's time on a 4 MB paste, with the interpreter lock held either way.
    skeleton = (raw.replace(b"\\\\", b"").replace(b'\\"', b"")
                .translate(None, _NOT_STRUCTURAL))
    import numpy as np

    whole = np.frombuffer(skeleton, dtype=np.uint8)
    depth, in_string = 0, 0  # carried from chunk to chunk
    start, size = 0, 1 << 14
    while start < len(whole):
        chunk = whole[start:start + size]
        start, size = start + len(chunk), min(size * 4, 1 << 20)
        quotes = chunk == 0x22
        steps = _BRACKET_STEPS[chunk]
        if in_string or quotes.any():
            inside = (np.cumsum(quotes, dtype=np.int32) + in_string) & 1
            in_string = int(inside[-1])
            steps[inside.astype(bool)] = 0
        levels = np.cumsum(steps, dtype=np.int32) + depth
        if levels.max() > limit:
            return True
        depth = int(levels[-1])
    return False


_NOT_STRUCTURAL = bytes(b for b in range(256) if b not in b'[]{}"')


def _bracket_steps():
    import numpy as np

    steps = np.zeros(256, dtype=np.int8)
    steps[[0x5B, 0x7B]] = 1
    steps[[0x5D, 0x7D]] = -1
    return steps


class _LazySteps:
    """The +1/-1 table of bracket bytes, built on first use (numpy loads only then)."""

    table = None

    def __getitem__(self, chunk):
        if _LazySteps.table is None:
            _LazySteps.table = _bracket_steps()
        return _LazySteps.table[chunk]


_BRACKET_STEPS = _LazySteps()
