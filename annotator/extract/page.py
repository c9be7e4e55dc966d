"""Read one article file (a web page or plain text) the way an import does."""

from __future__ import annotations

import re
from datetime import date

from annotator.extract.clean import clean_html, clean_text
from annotator.extract.types import Cleaned

HTML_SUFFIXES = (".html", ".htm")
# /2019/11/18/, /2019-11-18, 20191118 in a path: the date most news sites put in a URL.
_URL_DATE = re.compile(
    r"/(?P<y>(?:19|20)\d\d)[/-](?P<m>[01]?\d)[/-](?P<d>[0-3]?\d)(?:/|-|\b)"
    r"|[/_-](?P<y2>(?:19|20)\d\d)(?P<m2>[01]\d)(?P<d2>[0-3]\d)(?:[/_.-]|$)"
)


def looks_like_html(content: str, name: str = "") -> bool:
    """Tell whether a file is a web page: by its name, else by its first characters."""
    if name.lower().endswith(HTML_SUFFIXES):
        return True
    head = content[:2000].lstrip().lower()
    return head.startswith(("<!doctype html", "<html")) or "<body" in head


def date_from_url(url: str) -> date | None:
    """Return the publication date a URL spells out, if any."""
    m = _URL_DATE.search(url or "")
    if not m:
        return None
    y, mo, d = (m.group("y"), m.group("m"), m.group("d")) if m.group("y") else (
        m.group("y2"), m.group("m2"), m.group("d2"))
    try:
        return date(int(y), int(mo), int(d))
    except ValueError:
        return None


def publication_date(value: str | None, url: str | None = None) -> date | None:
    """Return the page's date (ISO text from its metadata), else the one in its URL."""
    if value:
        try:
            return date.fromisoformat(str(value)[:10])
        except ValueError:
            pass
    return date_from_url(url or "")


def read_page(content: str, url: str | None = None, name: str = "") -> tuple[Cleaned, dict]:
    """Clean a page or text as an import would; return it and its metadata.

    The metadata has `title`, `author`, `byline`, `outlet`, `url`, `language` and
    `published` (a date or None, from the page or its URL).
    """
    if looks_like_html(content, name):
        cleaned, meta = clean_html(content, url=url)
    else:
        cleaned = clean_text(content)
        meta = {"title": None, "author": None, "byline": cleaned.byline, "date": None,
                "sitename": None, "outlet": None, "url": url, "language": None}
    meta["published"] = publication_date(meta.get("date"), meta.get("url") or url)
    return cleaned, meta
