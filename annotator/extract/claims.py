"""Turn a cleaned article body into scored, atomic claim candidates."""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable
from difflib import SequenceMatcher

from annotator.extract.lang import detect_language
from annotator.extract.score import PROPOSE_THRESHOLD, score_many
from annotator.extract.sentences import split_sentences
from annotator.extract.types import Candidate


def _words(text: str) -> frozenset[str]:
    """Return the whitespace-separated words of a literal word list."""
    return frozenset(text.split())


CONTEXT_CHARS = 32
CAPTION_FACTOR = 0.2
NEAR_DUPLICATE = 0.9
_BUCKET = 8
_WORD = re.compile(r"\w+")
_MIN_CLAUSE_WORDS = 6

# ", and at least six activists have been ..." : a coordinated clause with its own subject.
_JOIN = re.compile(r",\s+(?:and|but|while|whereas)\s+|;\s+")
_VERB = re.compile(
    r"\b(?:is|are|was|were|be|been|has|have|had|will|would|can|could|did|does|do|said|says|"
    r"told|[a-z]{3,}ed)\b"
)
_SUBJECT_START = _words(
    """the a an at some many most all hundreds dozens thousands millions he she they it we i his
    her their its this that these those there no none several few other others another more
    less only police officials authorities nearly almost about over around up"""
)
_NUMBER_START = re.compile(r"\d|(?:one|two|three|four|five|six|seven|eight|nine|ten)\b")

_ATTR_VERBS = (
    r"(?:said|says|told\s+(?:[A-Z][\w/.-]*|him|her|them|us|me|reporters)|added|claimed"
    r"|stated|announced|insisted)"
)
_NAME = r"(?:he|she|they|it|[A-Z][\w'’/.-]*(?:\s+[A-Z][\w'’/.-]*){0,3})"
_LEADING_ACCORDING = re.compile(r"^according to [^,]{1,80},\s*", re.IGNORECASE)
_INNER_ACCORDING = re.compile(r",?\s*according to [^,.;]{1,80}(?=[,.;]|$)", re.IGNORECASE)
_LEADING_SAID = re.compile(
    rf"^(?:[\w'’-]+\s+){{0,4}}?{_NAME}\s+{_ATTR_VERBS}(?:\s+on\s+[A-Z]\w+\s+\d{{1,2}})?"
    r"\s+(?:that\s+)?",
)
_TRAILING_SAID = re.compile(
    rf"[,\"”]*\s+(?:{_NAME}|(?:the\s+)?[\w-]+(?:\s+[\w-]+){{0,2}}\s+{_NAME})\s+"
    r"(?:said|says|told|added|claimed|stated|announced|insisted)\b[^.,;\"“”]*\.?$"
)
_ATTR_HINTS = (
    " said",
    " says",
    " told",
    " added",
    " claimed",
    " stated",
    " announced",
    " insisted",
)
_HEDGE_HINTS = ("reportedly", "allegedly", "apparently", "purportedly", "perhaps", "possibly")
_HEDGES = re.compile(
    r"\b(?:reportedly|allegedly|apparently|purportedly|perhaps|possibly)\s+", re.IGNORECASE
)
_EDGE = " \t\n\"'“”‘’«»,;:-—–"


def statement_for(quote: str) -> str:
    """Return a concise, editable statement: attribution and hedges removed."""
    s = quote.strip()
    s = _LEADING_ACCORDING.sub("", s)
    if "ccording to" in s:
        s = _INNER_ACCORDING.sub("", s)
    m = _LEADING_SAID.match(s)
    if m and len(s[m.end() :].split()) >= 4:
        s = s[m.end() :]
    m = _TRAILING_SAID.search(s) if any(v in s for v in _ATTR_HINTS) else None
    if m and len(s[: m.start()].split()) >= 4:
        s = s[: m.start()]
    low = s.lower()
    if any(h in low for h in _HEDGE_HINTS):
        s = _HEDGES.sub("", s)
    s = s.strip(_EDGE)
    if s.endswith(".") and not s.endswith(".."):
        s = s[:-1].rstrip(_EDGE)
    if not s:
        return quote.strip()
    return s[0].upper() + s[1:]


def _depth_ok(text: str, pos: int) -> bool:
    """Tell whether `pos` sits outside quotation marks and brackets."""
    before = text[:pos]
    if before.count('"') % 2 or before.count("“") > before.count("”"):
        return False
    return before.count("(") <= before.count(")")


def _starts_clause(words: list[str]) -> bool:
    """Tell whether a right-hand part begins with a subject rather than a verb phrase."""
    first = words[0].strip("\"'“(").lower()
    return first in _SUBJECT_START or bool(_NUMBER_START.match(first)) or words[0][:1].isupper()


def atomic_spans(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Split one sentence `text[start:end]` into spans, one per checkable assertion."""
    sentence = text[start:end]
    spans = []
    cut = 0
    for m in _JOIN.finditer(sentence):
        left = sentence[cut : m.start()]
        right = sentence[m.end() :]
        lw, rw = left.split(), right.split()
        if len(lw) < _MIN_CLAUSE_WORDS or len(rw) < _MIN_CLAUSE_WORDS:
            continue
        if "," in " ".join(lw[-4:]) or "," in left[-3:]:
            continue  # "A, B, and C": a list, not two clauses
        verb = _VERB.search(" ".join(rw[:8]))
        if not (_VERB.search(left) and verb and _starts_clause(rw)):
            continue
        if not _depth_ok(sentence, m.start()):
            continue
        spans.append((start + cut, start + m.start()))
        cut = m.end()
    if not spans:
        return [(start, end)]
    last_end = end
    if sentence.endswith(".") and not sentence.endswith(".."):
        last_end -= 1
    spans.append((start + cut, last_end))
    return spans


def _key(quote: str) -> str:
    return " ".join(_WORD.findall(quote.lower()))


def _near(a: str, b: str) -> bool:
    """Tell whether two normalised quotes are near-identical (ratio >= 0.9)."""
    if abs(len(a) - len(b)) > 0.1 * max(len(a), len(b)):
        return False
    m = SequenceMatcher(None, a, b, autojunk=False)
    return (
        m.real_quick_ratio() >= NEAR_DUPLICATE
        and m.quick_ratio() >= NEAR_DUPLICATE
        and (m.ratio() >= NEAR_DUPLICATE)
    )


def _dedupe(cands: list[Candidate]) -> list[Candidate]:
    """Merge candidates whose quotes are identical or nearly so; keep the better one.

    Near-duplicates are looked for among earlier candidates sharing the first or last
    four words (at most a few per bucket), which keeps this linear on long texts.
    """
    keep: dict[int, Candidate] = {}
    keys: dict[int, str] = {}
    by_key: dict[str, int] = {}
    buckets: dict[str, list[int]] = {}
    for i, c in enumerate(cands):
        key = _key(c.quote)
        j = by_key.get(key)
        words = key.split()
        probes = ("<" + " ".join(words[:4]), ">" + " ".join(words[-4:]))
        if j is None:
            j = next(
                (o for p in probes for o in buckets.get(p, ())[-_BUCKET:] if _near(key, keys[o])),
                None,
            )
        if j is None:
            keep[i], keys[i], by_key[key] = c, key, i
            for probe in probes:
                buckets.setdefault(probe, []).append(i)
        elif c.score > keep[j].score:
            keep[j] = c
    return sorted(keep.values(), key=lambda c: (c.start, c.end))


def _overlaps(a: int, b: int, spans: list[tuple[int, int]], starts: list[int]) -> bool:
    """Tell whether [a, b) overlaps any of the sorted, non-overlapping `spans`."""
    i = bisect_right(starts, b - 1) - 1
    return i >= 0 and spans[i][1] > a


def _score_chunk(
    args: tuple[str, int, str], weights: dict | None = None
) -> list[tuple[int, int, float, list[str]]]:
    """Split and score `text` (which starts at `offset` in the body); return raw candidates."""
    text, offset, lang = args
    spans: list[tuple[int, int]] = []
    for s in split_sentences(text, lang):
        spans.extend(atomic_spans(text, s.start, s.end))
    scored = score_many([text[a:b] for a, b in spans], weights)
    return [
        (offset + a, offset + b, sc.score, sc.reasons)
        for (a, b), sc in zip(spans, scored, strict=True)
    ]


def extract_claims(
    body: str,
    lang: str | None = None,
    captions: Iterable[tuple[int, int]] = (),
    weights: dict | None = None,
) -> list[Candidate]:
    """Return scored claim candidates, one per atomic assertion, in body order.

    `captions` are spans of photo captions in `body` (see `Cleaned.captions`);
    their sentences are kept but never proposed. `weights` is a scorer document (a
    desk's retrained one); the shipped weights are used when it is None.
    """
    lang = lang or detect_language(body)
    captions = sorted(captions)
    caption_starts = [c[0] for c in captions]
    out = []
    for a, b, score, reasons in _score_chunk((body, 0, lang), weights):
        if captions and _overlaps(a, b, captions, caption_starts):
            score = round(score * CAPTION_FACTOR, 6)
            reasons = [*reasons, "photo caption"]
        proposed = score >= PROPOSE_THRESHOLD
        # Only a proposal needs a concise statement; other sentences keep their words.
        statement = statement_for(body[a:b]) if proposed else body[a:b].strip()
        out.append(
            Candidate(
                start=a,
                end=b,
                quote=body[a:b],
                prefix=body[max(0, a - CONTEXT_CHARS) : a],
                suffix=body[b : b + CONTEXT_CHARS],
                statement=statement,
                score=score,
                reasons=reasons,
                proposed=proposed,
            )
        )
    return _dedupe(out)
