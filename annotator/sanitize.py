"""The one place that turns user Markdown or HTML into safe HTML (bleach).

Everything a user writes that is shown as HTML passes through render_markdown; every
other user text is shown through Jinja's autoescaping. Swapping the sanitiser is a
change to this file alone.
"""

from __future__ import annotations

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
_cleaner = bleach.Cleaner(
    tags=ALLOWED_TAGS,
    attributes=ALLOWED_ATTRIBUTES,
    protocols=ALLOWED_PROTOCOLS,
    strip=True,
    filters=[],
)


def _nofollow(attrs, new=False):
    attrs = DEFAULT_CALLBACKS[0](attrs, new)  # rel="nofollow"
    attrs[(None, "rel")] = "nofollow noopener noreferrer"
    return attrs


def render_markdown(text: str) -> Markup:
    """Render user Markdown to sanitised HTML, safe to insert into a page."""
    html = _markdown.render(text or "")
    cleaned = _cleaner.clean(html)
    linked = bleach.linkify(cleaned, callbacks=[_nofollow], parse_email=False)
    return Markup(linked)  # noqa: S704 - bleach has just sanitised it


def clean_html(html: str) -> Markup:
    """Sanitise a fragment of user HTML with the same allow-list as notes."""
    return Markup(_cleaner.clean(html or ""))  # noqa: S704 - bleach has just sanitised it


def is_safe_url(url: str) -> bool:
    """Tell whether url is an absolute http(s) URL with a host, fit to link to."""
    try:
        parts = urlsplit((url or "").strip())
    except ValueError:
        return False
    return parts.scheme in {"http", "https"} and bool(parts.hostname) and " " not in url.strip()
