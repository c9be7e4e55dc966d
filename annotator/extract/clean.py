"""Turn raw article text (or a saved web page) into the clean body claims point into."""

from __future__ import annotations

import re

from annotator.extract.lang import detect_language
from annotator.extract.types import Cleaned

# Whole lines that are page furniture, compared case-insensitively without end punctuation.
_FURNITURE_LIST = """
    accessibility links|breaking news|skip to main content|skip to content|skip navigation
    |menu|search|share|share this|share this article|print|email|advertisement|advert|ad
    |loading|please wait|no media source currently available|read more|related|related content
    |related articles|comments|see comments|sign in|log in|subscribe|newsletter|cookie settings
    |back to top|listen|watch|image|video|photo|getty images|close|next|previous|most read
    |most popular|more from|also read|see also|top stories|trending|follow us|show comments
    |the embed code has been copied to your clipboard|embed|download|open in new window
    |click here|continue reading|latest news|you may also like|recommended
    """
_FURNITURE = frozenset(" ".join(item.split()) for item in _FURNITURE_LIST.split("|"))
_JUNK_PATTERNS = [
    re.compile(p, re.IGNORECASE)
    for p in (
        r"^(?:\d{1,2}:)?\d{1,2}:\d{2}(?:\s+(?:\d{1,2}:)?\d{1,2}:\d{2})*$",  # player clock
        r"^to find out more,? click here\.?$",
        r"\bclick here\b.{0,40}$",
        r"undesirable organi[sz]ation",
        r"russia-controlled parts of ukraine",
        r"\ball rights reserved\b",
        r"^(?:©|copyright\b)",
        r"\bcookies?\b.{0,80}\b(?:accept|consent|policy|settings)\b",
        r"^(?:follow|like) us on\b",
        r"^(?:share|sign up|subscribe)\b.{0,40}$",
        r"^(?:photo|image|video|credit)s?\s*:",
    )
]
_BYLINE = re.compile(
    r"^(?i:written|reported|compiled|edited)\s+(?i:by)\s+\S|^by\s+[A-Z][\w.'-]+\s+[A-Z]"
)
_MEDIA = re.compile(r"^(?:please wait|no media source currently available)$", re.IGNORECASE)


def _is_furniture(line: str) -> bool:
    """Tell whether one stripped line is page furniture rather than article text."""
    key = line.strip(" .:!|•-–—").lower()
    if key in _FURNITURE or not key:
        return True
    if len(line) > 400:
        return False
    return any(p.search(line) for p in _JUNK_PATTERNS)


def clean_text(raw: str) -> Cleaned:
    """Remove page furniture, keep repeated captions once, and map the result back to `raw`."""
    raw_lines = []
    pos = 0
    for physical in raw.split("\n"):
        a, b = pos, pos + len(physical)
        while a < b and raw[a].isspace():
            a += 1
        while b > a and raw[b - 1].isspace():
            b -= 1
        raw_lines.append((a, b))
        pos += len(physical) + 1

    kept: list[tuple[int, int, bool, int]] = []  # (raw_start, raw_end, is_caption, block)
    byline = None
    block = 0
    prev_text = None
    n = len(raw_lines)
    for i, (a, b) in enumerate(raw_lines):
        line = raw[a:b]
        if not line:
            block += 1
            prev_text = None
            continue
        if line == prev_text:
            if kept and raw[kept[-1][0] : kept[-1][1]] == line:
                kept[-1] = (kept[-1][0], kept[-1][1], True, kept[-1][3])
            continue
        prev_text = line
        nxt = raw[raw_lines[i + 1][0] : raw_lines[i + 1][1]] if i + 1 < n else ""
        if _is_furniture(line) or _MEDIA.match(nxt):  # a video title sits above its player
            continue
        if byline is None and _BYLINE.match(line) and len(line) < 300:
            byline = line
            continue
        kept.append((a, b, False, block))

    parts: list[str] = []
    source_map: list[tuple[int, int, int]] = []
    captions: list[tuple[int, int]] = []
    length = 0
    for j, (a, b, is_caption, blk) in enumerate(kept):
        if j:
            pa, pb, _, pblk = kept[j - 1]
            sep = "\n" if blk == pblk else "\n\n"
            gap = raw.find(sep, pb, a)
            if gap >= 0 and (sep == "\n\n" or gap + 1 <= a):
                source_map.append((length, gap, len(sep)))
            parts.append(sep)
            length += len(sep)
        if is_caption:
            captions.append((length, length + b - a))
        source_map.append((length, a, b - a))
        parts.append(raw[a:b])
        length += b - a
    return Cleaned("".join(parts), captions, _merge(source_map), byline)


def _merge(runs: list[tuple[int, int, int]]) -> list[tuple[int, int, int]]:
    """Join runs that continue each other in both texts."""
    out: list[tuple[int, int, int]] = []
    for c, r, n in runs:
        if out and out[-1][0] + out[-1][2] == c and out[-1][1] + out[-1][2] == r:
            out[-1] = (out[-1][0], out[-1][1], out[-1][2] + n)
        else:
            out.append((c, r, n))
    return out


def clean_html(html: str, url: str | None = None) -> tuple[Cleaned, dict]:
    """Extract the article from a web page; return its cleaned text and metadata.

    Offsets in the returned `Cleaned` map back to the text trafilatura extracted,
    not to the HTML.
    """
    import trafilatura  # imported lazily: it is slow to import and only pages need it

    found = trafilatura.bare_extraction(
        html, url=url, with_metadata=True, include_comments=False, include_tables=False
    )
    doc = found.as_dict() if found is not None else {}
    text = doc.get("text") or ""
    # trafilatura puts one paragraph per line; make paragraphs blank-line separated.
    text = "\n\n".join(line for line in text.split("\n") if line.strip())
    cleaned = clean_text(text)
    meta = {
        "title": doc.get("title"),
        "author": doc.get("author"),
        "byline": doc.get("author") or cleaned.byline,
        "date": doc.get("date"),
        "sitename": doc.get("sitename"),
        "outlet": doc.get("sitename") or doc.get("hostname"),
        "url": doc.get("url") or url,
        "language": doc.get("language") or detect_language(cleaned.text),
    }
    return cleaned, meta
