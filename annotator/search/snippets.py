"""Highlighted snippets: a short window of text around the first match, as safe HTML."""

from __future__ import annotations

import re

from markupsafe import Markup, escape

from annotator.search.query import Term

WINDOW = 160
# Endings dropped before matching, so "ministries" highlights "ministry" as the index finds it.
_SUFFIXES = ("ations", "ation", "ings", "ing", "ies", "ied", "ed", "es", "s", "y", "e")


def _stem(word: str) -> str:
    for suffix in _SUFFIXES:
        if len(word) - len(suffix) >= 3 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def pattern(terms: list[Term]) -> re.Pattern | None:
    """Return a regex finding any term (a phrase's words in a row), or None."""
    parts = []
    for term in terms:
        words = [re.escape(_stem(t)) + r"\w*" for t in term.tokens]
        parts.append(r"\b" + r"\W+".join(words))
    if not parts:
        return None
    # Longest first, so a phrase wins over one of its own words.
    parts.sort(key=len, reverse=True)
    return re.compile("|".join(parts), re.IGNORECASE)


def highlight(texts: list[str], terms: list[Term], width: int = WINDOW) -> Markup:
    """Return the window around the first match in the texts, matches wrapped in <mark>.

    Every piece of user text goes through markupsafe's escape; only <mark> is added.
    Without a match, the start of the first non-empty text is returned, escaped.
    """
    regex = pattern(terms)
    chosen, at = next((t for t in texts if t), ""), 0
    if regex is not None:
        for text in texts:
            found = regex.search(text or "")
            if found:
                chosen, at = text, found.start()
                break
    start = max(0, at - width // 3)
    if start:
        # Start the window on a word boundary.
        space = chosen.find(" ", start)
        start = space + 1 if 0 <= space < at else start
    window = chosen[start:start + width]
    # Plain strings, each piece of text escaped once; wrapped as Markup at the end.
    out = ["…" if start else ""]
    last = 0
    if regex is not None:
        for found in regex.finditer(window):
            out.append(str(escape(window[last:found.start()])))
            out.append("<mark>" + str(escape(found.group())) + "</mark>")
            last = found.end()
    out.append(str(escape(window[last:])))
    if start + width < len(chosen):
        out.append("…")
    return Markup("".join(out))  # noqa: S704  (every user text above went through escape)
