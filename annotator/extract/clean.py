"""Turn raw article text (or a saved web page) into the clean body claims point into.

Only general page furniture goes: navigation and sharing buttons, player clocks, credits,
copyright and cookie notices, calls to follow or subscribe, links to other articles, the
headline and author line (kept as metadata) and what follows the author's sign-off. No rule
names an outlet or a subject. Every line taken out is kept in `Cleaned.removed` with its
reason, so the article page can list it and a person can put it back.
"""

from __future__ import annotations

import re

from annotator.extract.lang import detect_language
from annotator.extract.types import Cleaned, Removed

# Whole lines that are page furniture, compared case-insensitively without end punctuation.
_FURNITURE_LIST = """
    accessibility links|breaking news|skip to main content|skip to content|skip navigation
    |menu|search|share|share this|share this article|print|email|advertisement|advert|ad
    |loading|please wait|no media source currently available|read more|related|related content
    |related articles|comments|see comments|sign in|log in|subscribe|newsletter|cookie settings
    |back to top|listen|watch|image|video|photo|getty images|close|next|previous|most read
    |most popular|more from|also read|see also|top stories|trending|follow us|show comments
    |the embed code has been copied to your clipboard|embed|download|open in new window
    |click here|continue reading|latest news|you may also like|recommended|sorry
    |thanks for signing up|advertisement - scroll to continue|story continues below|thank you
    |order reprints|print article|this article has been sent to|don't miss|don’t miss
    """
_FURNITURE = frozenset(" ".join(item.split()) for item in _FURNITURE_LIST.split("|"))
FURNITURE = "page furniture (a button, menu or label)"
PLAYER = "a media player's controls or clock"
PLAYER_TITLE = "a video's title above its player"
REPEATED = "the same line again (a caption shown twice)"
BYLINE = "the author line (kept as the byline)"
HEADLINE = "the headline (kept as the title)"
SIGN_OFF = "after the author's sign-off at the end"
TEASER = "a link to another page (a teaser)"
PROMO = "a promotion ending in “read more”"
# Short lines: (pattern, reason). Each is boilerplate on any site, never a subject.
_JUNK_PATTERNS = [
    (re.compile(p, re.IGNORECASE), reason)
    for p, reason in (
        (r"^(?:\d{1,2}:)?\d{1,2}:\d{2}(?:\s+(?:\d{1,2}:)?\d{1,2}:\d{2})*$", PLAYER),
        (r"^(?:to [^.]{0,40},?\s*)?click here\b[^.]{0,30}\.?$", "a call to click a link"),
        (r"\ball rights reserved\b", "a copyright notice"),
        (r"^(?:©|copyright\b)", "a copyright notice"),
        (r"\b(?:we|this (?:site|website)|our (?:site|website|partners))\b[^.]{0,40}\buses?\s+"
         r"cookies\b|\bcookies?\b[^.]{0,60}\byou (?:agree|accept|consent)\b", "a cookie notice"),
        (r"^(?:follow|like) us on\b", "a call to follow the outlet"),
        (r"^(?:share|sign up|subscribe)\b.{0,40}$", "a call to share or subscribe"),
        (r"^(?:photo|image|video|credit)s?\s*:", "a photo or video credit"),
        (r"^there was an error processing your subscription", "a sign-up form's message"),
        (r"^keep an eye on your inbox\b", "a sign-up form's message"),
        (r"^https?://\S+$", "a bare web address"),
        (r"^(?:see more|read more|read also|also read|more|related|watch)\s*:", TEASER),
        (r"^an error (?:has )?occurred\b", "a form's error message"),
        (r"^(?:write to|contact|e-?mail)\b.{0,80}@[\w.-]+\.\w+\.?$", "the author's address"),
    )
]
_REPRINT = re.compile(r"\bfor your personal,? non-?commercial use only\b", re.IGNORECASE)
_SHORT = 160  # a junk pattern removes only a line this short: a long line is text
_BYLINE = re.compile(
    r"^(?i:written|reported|compiled|edited)\s+(?i:by)\s+\S|^by\s+[A-Z][\w.'-]+\s+[A-Z]"
)
_MEDIA = re.compile(r"^(?:please wait|no media source currently available)$", re.IGNORECASE)
_PROMO = re.compile(r"(?:\bread more|\bcontinue reading|\blearn more)\W{0,3}[»›>]?\s*$",
                    re.IGNORECASE)
# What may follow an author's sign-off and still be furniture: a few short lines.
_TAIL_LINES = 5
_TAIL_CHARS = 600


def _furniture(line: str) -> str:
    """Return why one stripped line is page furniture, or "" when it is article text."""
    key = line.strip(" .:!|•-–—").lower()
    if not key or key in _FURNITURE:
        return FURNITURE
    if len(line) < 400 and _REPRINT.search(line):
        return "a reprint notice"
    if len(line) > _SHORT:
        return ""
    for pattern, reason in _JUNK_PATTERNS:
        if pattern.search(line):
            return reason
    if len(line) < 300 and _PROMO.search(line) and len(line.split()) > 3:
        return PROMO
    return ""


def _is_headline(line: str, headline: str) -> bool:
    """Tell whether a line is the page's title (which may carry the site's name after it)."""
    words = " ".join(line.split()).lower()
    return words == headline or (len(words) >= 20 and headline.startswith(words))


def _lines(raw: str) -> list[tuple[int, int]]:
    """Return the (start, end) of each physical line of `raw`, whitespace trimmed."""
    out = []
    pos = 0
    for physical in raw.split("\n"):
        a, b = pos, pos + len(physical)
        while a < b and raw[a].isspace():
            a += 1
        while b > a and raw[b - 1].isspace():
            b -= 1
        out.append((a, b))
        pos += len(physical) + 1
    return out


def _sign_off_tail(raw: str, lines: list[tuple[int, int]], drop: dict[int, str]) -> None:
    """Mark the few short lines after an author's sign-off near the end ("Written by ...")."""
    text_lines = [i for i, (a, b) in enumerate(lines) if b > a and i not in drop]
    if len(text_lines) < 4:
        return
    for pos, i in enumerate(text_lines):
        a, b = lines[i]
        rest = text_lines[pos + 1 :]
        if pos < len(text_lines) * 0.6 or not rest or len(rest) > _TAIL_LINES:
            continue
        if _BYLINE.match(raw[a:b]) and b - a < 300:
            if all(lines[j][1] - lines[j][0] <= _TAIL_CHARS for j in rest):
                for j in rest:
                    drop[j] = SIGN_OFF
            return


def clean_text(raw: str, flagged: dict[int, str] | None = None,
               title: str | None = None) -> Cleaned:
    """Remove page furniture, keep repeated captions once, and map the result back to `raw`.

    `flagged` maps the raw offset of a line's start to a reason for removing it (what the
    HTML stage found: links to other pages). A first line equal to `title` is the headline.
    """
    flagged = flagged or {}
    raw_lines = _lines(raw)
    drop: dict[int, str] = {}
    for i, (a, _b) in enumerate(raw_lines):
        if a in flagged:
            drop[i] = flagged[a]
    _sign_off_tail(raw, raw_lines, drop)
    headline = " ".join((title or "").split()).lower()

    kept: list[tuple[int, int, bool, int]] = []  # (raw_start, raw_end, is_caption, block)
    gone: list[tuple[int, str, int]] = []  # (raw line index, reason, index in kept after it)
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
        reason = drop.get(i, "")
        if not reason and line == prev_text:
            if kept and raw[kept[-1][0] : kept[-1][1]] == line:
                kept[-1] = (kept[-1][0], kept[-1][1], True, kept[-1][3])
            reason = REPEATED
        prev_text = line
        if not reason:
            nxt = raw[raw_lines[i + 1][0] : raw_lines[i + 1][1]] if i + 1 < n else ""
            reason = _furniture(line) or (PLAYER_TITLE if _MEDIA.match(nxt) else "")
        if not reason and headline and len(kept) < 2 and _is_headline(line, headline):
            reason = HEADLINE
        if not reason and byline is None and _BYLINE.match(line) and len(line) < 300:
            byline = line
            reason = BYLINE
        if reason:
            gone.append((i, reason, len(kept)))
            continue
        kept.append((a, b, False, block))

    parts: list[str] = []
    source_map: list[tuple[int, int, int]] = []
    captions: list[tuple[int, int]] = []
    starts: list[int] = []
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
        starts.append(length)
        if is_caption:
            captions.append((length, length + b - a))
        source_map.append((length, a, b - a))
        parts.append(raw[a:b])
        length += b - a
    removed = [
        Removed(raw[raw_lines[i][0] : raw_lines[i][1]], reason,
                starts[k] if k < len(starts) else length)
        for i, reason, k in gone
    ]
    return Cleaned("".join(parts), captions, _merge(source_map), byline, removed)


def _merge(runs: list[tuple[int, int, int]]) -> list[tuple[int, int, int]]:
    """Join runs that continue each other in both texts."""
    out: list[tuple[int, int, int]] = []
    for c, r, n in runs:
        if out and out[-1][0] + out[-1][2] == c and out[-1][1] + out[-1][2] == r:
            out[-1] = (out[-1][0], out[-1][1], out[-1][2] + n)
        else:
            out.append((c, r, n))
    return out


def restore_line(body: str, line: str, at: int) -> str:
    """Return `body` with a removed `line` put back as its own paragraph at offset `at`.

    `at` is clamped to the text and moved to the nearest paragraph start at or before it,
    so a line never lands inside a sentence even when the text was corrected since.
    """
    at = max(0, min(at, len(body)))
    if at < len(body):
        para = body.rfind("\n", 0, at + 1) if body[at : at + 1] != "\n" else at
        at = para + 1 if para >= 0 else 0
        return body[:at] + line + "\n\n" + body[at:].lstrip("\n")
    return body.rstrip("\n") + ("\n\n" if body.strip() else "") + line


# -- HTML -------------------------------------------------------------------------------

_BLOCKS = ("p", "head", "list", "table", "quote", "code", "graphic", "div")
_LINK_SHARE = 0.5  # a block whose words are mostly links to other pages may be a teaser
_OPENING_LINK_SHARE = 0.3  # ... or one that opens with a link ("Headline: its summary")
_PROSE_WORDS = 20
_TABLE_RULE = re.compile(r"^\|(?:-+\|)+$")
_TEASER_WORDS = 35  # a longer block, even all links, is the article's own text
_HEADLINE_WORDS = 15


def _link_share(element) -> float:
    """Return the share of an element's words that sit in links to other pages."""
    words = len("".join(element.itertext()).split())
    if not words:
        return 0.0
    linked = sum(len("".join(ref.itertext()).split()) for ref in element.iter("ref")
                 if not (ref.get("target") or "").startswith("#"))
    return linked / words


def _link_heavy(element) -> bool:
    """Tell whether a block is mostly links to other pages, or opens with one."""
    share = _link_share(element)
    first = next(iter(element), None)
    opens = (first is not None and first.tag == "ref" and not (element.text or "").strip())
    return share >= _LINK_SHARE or (opens and share >= _OPENING_LINK_SHARE)


def _headline_shaped(lines: list[str]) -> bool:
    """Tell whether a block reads as a link's headline: short, no sentence end."""
    text = " ".join(lines)
    return len(text.split()) <= _HEADLINE_WORDS and not text.rstrip("\"'”’)").endswith(".")


def _blocks_text(body) -> tuple[str, dict[int, str]]:
    """Turn trafilatura's XML body into plain text, one block per paragraph, and flag the
    related-link teasers: the link-heavy blocks before the first and after the last
    paragraph of prose (a list of deals or sources inside the article stays)."""
    from lxml import etree
    from trafilatura.xml import xmltotxt

    blocks: list[tuple[list[str], bool, bool]] = []  # lines, link-heavy, prose
    for child in list(body):
        # A list item by item: one teaser in a list goes, the others may stay.
        items = list(child) if child.tag == "list" else [child]
        for item in items:
            heavy = (child.tag != "table" and _link_heavy(item)
                     and len("".join(item.itertext()).split()) <= _TEASER_WORDS)
            etree.strip_tags(item, "ref")
            tail, item.tail = item.tail, None
            text = xmltotxt(item, include_formatting=False).strip()
            item.tail = tail
            # A table's header rule ("|---|---|") is markup, not text.
            lines = [line.strip() for line in text.split("\n")
                     if line.strip() and not _TABLE_RULE.match(line.strip())]
            if child.tag == "list":
                lines = [line.lstrip("-•*").strip() for line in lines]
            lines = [line for line in lines if line]
            if lines:
                prose = not heavy and child.tag == "p" and len(text.split()) >= _PROSE_WORDS
                blocks.append((lines, heavy, prose))
    prose_at = [i for i, b in enumerate(blocks) if b[2]]
    first, last = (prose_at[0], prose_at[-1]) if prose_at else (len(blocks), -1)
    flags: dict[int, str] = {}
    parts: list[str] = []
    length = 0
    for i, (lines, heavy, _) in enumerate(blocks):
        for line in lines:
            if heavy and (i < first or i > last or _headline_shaped(lines)):
                flags[length] = TEASER
            parts.append(line)
            length += len(line) + 1
        parts.append("")
        length += 1
    return "\n".join(parts), flags


def clean_html(html: str, url: str | None = None) -> tuple[Cleaned, dict]:
    """Extract the article from a web page; return its cleaned text and metadata.

    Tables stay, one row a line. Offsets in the returned `Cleaned` map back to the text
    built from trafilatura's extraction, not to the HTML.
    """
    import trafilatura  # imported lazily: it is slow to import and only pages need it

    found = trafilatura.bare_extraction(
        html, url=url, with_metadata=True, include_comments=False, include_tables=True,
        include_links=True,
    )
    doc = found.as_dict() if found is not None else {}
    body = getattr(found, "body", None)
    if body is not None:
        text, flags = _blocks_text(body)
    else:
        text, flags = "", {}
    cleaned = clean_text(text, flags, title=doc.get("title"))
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
