"""Find a claim's span again after the article body changed (a text-quote anchor).

Like Hypothesis's dom-anchor-text-quote: try the exact quote near the old position,
then the exact quote chosen by its prefix/suffix context, then an approximate match
that allows small edits. When nothing fits well enough the claim is an orphan (None).
"""

from __future__ import annotations

from difflib import SequenceMatcher

MIN_SIMILARITY = 0.75  # quote vs. found text, for an approximate match
MIN_CONTEXT_SIMILARITY = 0.5  # when prefix and suffix both pin the span down
_MAX_EXACT = 50
_MAX_SCAN = 10_000  # prefix occurrences looked at, at most
_MAX_CANDIDATES = 50  # spans compared with the quote, at most


def _ratio(a: str, b: str) -> float:
    return SequenceMatcher(None, a, b, autojunk=False).ratio() if a or b else 1.0


def _context_score(body: str, start: int, end: int, prefix: str, suffix: str) -> float:
    """Return how well the text around a span matches the stored prefix and suffix."""
    before = body[max(0, start - len(prefix)) : start]
    after = body[end : end + len(suffix)]
    return _ratio(prefix, before) + _ratio(suffix, after)


def _exact(body: str, quote: str, prefix: str, suffix: str, hint: int | None):
    """Return the best exact occurrence of `quote`, or None."""
    if hint is not None and body.startswith(quote, hint):
        return hint, hint + len(quote)
    found = []
    pos = body.find(quote)
    while pos >= 0 and len(found) < _MAX_EXACT:
        found.append(pos)
        pos = body.find(quote, pos + 1)
    if not found:
        return None
    if len(found) == 1:
        return found[0], found[0] + len(quote)
    best = max(
        found,
        key=lambda p: (
            round(_context_score(body, p, p + len(quote), prefix, suffix), 3),
            -abs(p - hint) if hint is not None else 0,
        ),
    )
    return best, best + len(quote)


def _between_context(body: str, quote: str, prefix: str, suffix: str, hint: int | None):
    """Return the span between an exact prefix and suffix, if it still resembles the quote.

    Linear in the body: the suffix is looked for only within reach of each prefix, and at
    most ``_MAX_CANDIDATES`` prefix occurrences are compared (nearest the old place first).
    """
    if len(prefix) < 8 or len(suffix) < 8:
        return None
    reach = 2 * len(quote) + 20
    candidates = []
    pos = body.find(prefix)
    while pos >= 0 and len(candidates) < _MAX_SCAN:
        start = pos + len(prefix)
        end = body.find(suffix, start, start + reach + len(suffix))
        if end >= 0:
            candidates.append((start, end))
        pos = body.find(prefix, pos + 1)
    if hint is not None:
        candidates.sort(key=lambda span: abs(span[0] - hint))
    best = None
    for start, end in candidates[:_MAX_CANDIDATES]:
        sim = _ratio(quote, body[start:end])
        dist = abs(start - hint) if hint is not None else 0
        if sim >= MIN_CONTEXT_SIMILARITY and (best is None or (sim, -dist) > best[0]):
            best = ((sim, -dist), (start, end))
    return best[1] if best else None


def _seeds(body: str, quote: str, hint: int | None) -> list[tuple[int, int]]:
    """Return (votes, origin) pairs: where the quote may start, best (then nearest) first.

    Pieces of the quote (k characters each) are found in the body with ``str.find`` (each
    at most ``_MAX_EXACT`` times); every find votes for the origin it implies. This replaces
    a SequenceMatcher over the whole body, whose cost grows with body x quote.
    """
    n = len(quote)
    k = min(12, max(4, n // 4))
    votes: dict[int, int] = {}
    for i in range(0, max(1, n - k + 1), max(1, k // 2)):
        gram = quote[i:i + k]
        if len(gram) < k or gram.isspace():
            continue
        pos, found = body.find(gram), 0
        while pos >= 0 and found < _MAX_EXACT:
            votes[pos - i] = votes.get(pos - i, 0) + 1
            pos, found = body.find(gram, pos + 1), found + 1
    near = hint if hint is not None else 0
    ranked = sorted(votes.items(), key=lambda item: (-item[1], abs(item[0] - near)))
    return [(v, o) for o, v in ranked]


def _approximate(body: str, quote: str, hint: int | None):
    """Return the span of `body` that best matches `quote` allowing small edits, or None."""
    n = len(quote)
    seeds = _seeds(body, quote, hint)
    best = None
    tried = set()
    for _, origin in seeds[:8]:
        lo = max(0, origin - n // 2)
        if lo in tried:
            continue
        tried.add(lo)
        window = body[lo : origin + n + n // 2]
        blocks = [
            blk
            for blk in SequenceMatcher(None, quote, window, autojunk=False).get_matching_blocks()
            if blk.size
        ]
        if not blocks:
            continue
        start = lo + max(0, blocks[0].b - blocks[0].a)
        last = blocks[-1]
        end = min(len(body), lo + last.b + last.size + (n - last.a - last.size))
        start, end = trim_span(body, start, end)
        sim = _ratio(quote, body[start:end])
        dist = abs(start - hint) if hint is not None else 0
        if sim >= MIN_SIMILARITY and (best is None or (sim, -dist) > best[0]):
            best = ((sim, -dist), (start, end))
    return best[1] if best else None


def trim_span(body: str, start: int, end: int) -> tuple[int, int]:
    """Shrink a span so it neither starts nor ends with whitespace."""
    while start < end and body[start].isspace():
        start += 1
    while end > start and body[end - 1].isspace():
        end -= 1
    return start, end


def reanchor(
    body: str, quote: str, prefix: str = "", suffix: str = "", start_hint: int | None = None
) -> tuple[int, int] | None:
    """Return the (start, end) of `quote` in `body`, or None if it cannot be placed."""
    if not quote:
        return None
    return (
        _exact(body, quote, prefix, suffix, start_hint)
        or _between_context(body, quote, prefix, suffix, start_hint)
        or _approximate(body, quote, start_hint)
    )


# -- quotes in a source's text (issue 22) ---------------------------------------------------
# Typographic variants a copied excerpt and the page may disagree on.
_FOLD = str.maketrans({
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'", "`": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"', "\u00ab": '"',
    "\u00bb": '"', "\u2039": "'", "\u203a": "'",
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2015": "-",
    "\u2212": "-", "\u00ad": None, "\u200b": None, "\u2026": "...",
})


def fold(text: str) -> tuple[str, list[int]]:
    """Normalise quotes, dashes, whitespace and case; return the text and where each came from.

    ``where[i]`` is the offset in ``text`` of the folded text's character ``i`` (plus one
    last entry, the end), so a span found in the folded text maps back to the original.
    """
    out: list[str] = []
    where: list[int] = []
    space = False
    for i, char in enumerate(text):
        if char.isspace():
            if out and not space:
                out.append(" ")
                where.append(i)
            space = True
            continue
        space = False
        folded = char.translate(_FOLD).lower()
        for piece in folded:
            out.append(piece)
            where.append(i)
    if out and out[-1] == " ":
        out.pop()
        where.pop()
    where.append(len(text) if not where else where[-1] + 1)
    return "".join(out), where


def find_quote(body: str, quote: str) -> tuple[int, int] | None:
    """Return where an excerpt is in a text, as claims are re-anchored, or None.

    Quotes, dashes, whitespace and case are normalised on both sides first; then the exact,
    then the approximate match of ``reanchor`` is tried. The span is in ``body``'s offsets.
    """
    needle, _ = fold(quote)
    if not needle:
        return None
    folded, where = fold(body)
    span = reanchor(folded, needle)
    if span is None:
        return None
    start, end = span
    return where[start], where[end - 1] + 1
