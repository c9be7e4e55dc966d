"""Split text into sentences with exact character offsets.

A single regex finds every candidate boundary (terminal punctuation followed by
whitespace); a few rules then decide, from the word before and the word after,
whether each candidate is a real boundary. The rules follow the Pragmatic
Segmenter's Golden Rules (abbreviations, initials, numbers, ellipses, quotes,
lists) and cover Russian abbreviations and initials too.
"""

from __future__ import annotations

import re

from annotator.extract.types import Sentence


def _words(text: str) -> frozenset[str]:
    """Return the whitespace-separated words of a literal word list."""
    return frozenset(text.split())


# Terminal punctuation (an ellipsis, runs of ?!, or a period), closers, then whitespace.
_CANDIDATE = re.compile(
    r"(?P<term>\.(?:[ \u00a0]?\.){2,}|…+|[!?][!?.]*|\.)"
    r"(?P<close>[\"'’”»)\]]*)"
    r"(?=\s|$)"
)
_NEXT = re.compile(r"\s*[\"'“‘«(\[]*(\S*)")
_LIST_MARKER = re.compile(r"(?:(?<=\s)|^)([•⁃·]\s?)?(\d{1,2}|[a-z])(\.\)|\)|\.)(?=\s)")
_NEWLINE = re.compile(r"\n")
_MULTI_ABBR = re.compile(r"^(?:[^\W\d_]\.){2,}$")

# Abbreviations that precede a name or number: never a boundary after them.
_PREPOSITIVE = _words(
    """
    mr mrs ms messrs mme mlle dr prof st mt ft gen gov sen rep capt lt col sgt maj cpl pvt adm
    cmdr rev hon pres supt insp det gens atty vs v no nos n° nr art fig figs p pp vol vols ch
    sec sect para jan feb mar apr jun jul aug sep sept oct nov dec approx ca cf ed eds
    г ул пр им проф акад ген св пос д тов гр р оз обл пл ст
    """
)
# Abbreviations that may end a sentence: a boundary when a capitalised word follows.
_POSTPOSITIVE = _words(
    """
    co corp inc ltd llc plc bros jr sr etc al esq dept est univ assn
    др т.д т.п тыс млн млрд руб коп гг вв
    """
)
# Abbreviations after which a number-like year ends a sentence ("в 2019 г. Потом").
_YEAR = frozenset({"г", "гг"})
# Words that commonly start a sentence: after "U.S." they mark a boundary.
_STARTERS = _words(
    """
    i you he she it we they this that these those there here the a an my our his her their its
    how what when where why who which whose did do does is are was were will would can could
    should however but and so then yet in on at after before if while although though as
    because since once also still now today yesterday
    """
)
_HONORIFICS = _words("mr mrs ms dr prof")


def _list_items(text: str) -> tuple[list[int], list[tuple[int, int]]]:
    """Return the start of each list item and the span of each item's marker."""
    found = []
    for m in _LIST_MARKER.finditer(text):
        value = m.group(2)
        num = int(value) if value.isdigit() else ord(value) - ord("a") + 1
        found.append((m.start(), m.end(), num, m.group(3), value.isdigit()))
    keep: set[int] = set()
    for i in range(len(found) - 1):
        a, b = found[i], found[i + 1]
        if b[2] != a[2] + 1 or a[3] != b[3] or a[4] != b[4]:
            continue
        if not a[4] and i not in keep and a[2] != 1:
            continue  # a lettered list must start at "a."
        keep.update((i, i + 1))
    items = sorted(keep)
    return [found[i][0] for i in items], [(found[i][0], found[i][1]) for i in items]


def _is_boundary(text: str, m: re.Match, n: int) -> int | None:
    """Return where the sentence ends for candidate `m`, or None if it is not a boundary."""
    term, close = m.group("term"), m.group("close")
    end = m.end()
    if end >= n:
        return end
    nxt = _NEXT.match(text, end).group(1)
    first = nxt[:1]
    if first.islower() and not nxt.startswith("•"):
        return None
    s = m.start()
    toks = text[max(0, s - 60) : s].split()
    attached = bool(toks) and not text[s - 1].isspace()
    word = toks[-1].lstrip("\"'“‘«([") if attached else ""
    before = toks[-2] if attached and len(toks) > 1 else ""

    if term[0] in "!?":
        return end
    if (len(term) > 1 and term[0] == ".") or term[0] == "…":
        if text[s - 1 : s] == "[":
            return None
        if not (first.isupper() or first.isdigit()):
            return None
        if term[0] == "." and len(term) > 1 and term[1] == " ":
            if word:  # "compounds. . . . The": the sentence ends at the word's own period
                return s + 1
            return end if term.count(".") >= 4 else None
        return end
    # A single period from here on.
    if close:
        return end if (first.isupper() or first.isdigit() or not first.isalnum()) else None
    if not word:
        return end
    low = word.lower()
    if first.isdigit():
        if low in _PREPOSITIVE or low in _POSTPOSITIVE or len(word) == 1 or "." in word:
            return None
        return end if word.isalpha() else None
    full = word + "."
    if _MULTI_ABBR.match(full):
        key = nxt.lower().rstrip(".,")
        if word.islower():
            return end if low in _POSTPOSITIVE and first.isupper() else None
        return end if key in _STARTERS or key in _HONORIFICS else None
    if low in _YEAR:
        return end if before.isdigit() and first.isupper() else None
    if len(word) == 1 and word.isalpha():
        if word.isupper() and before[:1].islower() and nxt.lower() in _STARTERS:
            return end
        return None
    if low in _PREPOSITIVE:
        return None
    return end


def boundaries(text: str) -> list[int]:
    """Return sorted cut positions (sentence ends and list-item starts)."""
    n = len(text)
    starts, markers = _list_items(text) if ("." in text or ")" in text) else ([], [])
    cuts = set(starts)
    marker_ends = {e for _, e in markers}
    for m in _CANDIDATE.finditer(text):
        if markers and m.end() in marker_ends:
            continue
        cut = _is_boundary(text, m, n)
        if cut is not None:
            cuts.add(cut)
    for m in _NEWLINE.finditer(text):
        i = m.start()
        if _soft_wrap(text, i, n):
            continue
        cuts.add(i)
    cuts.discard(0)
    cuts.add(n)
    return sorted(cuts)


def _soft_wrap(text: str, i: int, n: int) -> bool:
    """Tell whether the newline at `i` only wraps a line inside a sentence."""
    if i + 1 < n and text[i + 1] == "\n":
        return False
    j = i - 1
    while j >= 0 and text[j] in " \t\r":
        j -= 1
    k = i + 1
    while k < n and text[k] in " \t":
        k += 1
    if j < 0 or k >= n or text[k] == "\n":
        return False
    return (text[j].islower() or text[j] in ",;") and text[k].islower()


def split_sentences(text: str, lang: str = "en") -> list[Sentence]:
    """Split `text` into sentences whose offsets slice back to their text exactly."""
    del lang  # one rule set covers English and Russian; kept for API stability
    out: list[Sentence] = []
    prev = 0
    for cut in boundaries(text):
        a, b = prev, cut
        prev = cut
        while a < b and text[a].isspace():
            a += 1
        while b > a and text[b - 1].isspace():
            b -= 1
        if a < b:
            out.append(Sentence(a, b, text[a:b]))
    return out
