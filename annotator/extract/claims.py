"""Turn a cleaned article body into scored, atomic claim candidates."""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable
from difflib import SequenceMatcher

from annotator.extract import rewrite as rw
from annotator.extract.attribution import Attributor
from annotator.extract.lang import detect_language
from annotator.extract.score import PROPOSE_THRESHOLD, score_many
from annotator.extract.sentences import split_sentences
from annotator.extract.types import Candidate


def _words(text: str) -> frozenset[str]:
    """Return the whitespace-separated words of a literal word list."""
    return frozenset(text.split())


CONTEXT_CHARS = 32
CAPTION_FACTOR = 0.2
# A statement that leans on an earlier sentence, or a quotation nobody is named as saying,
# is worth less to a desk: its score is multiplied by this.
DEPENDENT_FACTOR = 0.6
# Propose at most this share of an article's candidate sentences (captions aside).
BUDGET_SHARE = 1 / 3
BUDGET_REASON = "below the proposal budget"
# A statement that still opens with a word needing its referent ("He", "It", "There") is
# held back rather than proposed: resolve it or do not show it.
NEEDS_CONTEXT_REASON = "needs context"
MIN_BUDGET = 3  # a short text may still have three proposals
MAX_QUOTE_SENTENCES = 8
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



def statement_for(quote: str) -> str:
    """Return a statement for a quote read alone (no article around it to resolve names)."""
    return Attributor(quote).attribute([(0, len(quote))])[0].statement


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


def _dedupe_raw(body: str, raw: list[tuple[int, int, float, list[str]]]
                ) -> list[tuple[int, int, float, list[str]]]:
    """Merge candidates whose quotes are identical or nearly so; keep the better one.

    Near-duplicates are looked for among earlier candidates sharing the first or last
    four words (at most a few per bucket), which keeps this linear on long texts.
    """
    keep: dict[int, tuple[int, int, float, list[str]]] = {}
    keys: dict[int, str] = {}
    by_key: dict[str, int] = {}
    buckets: dict[str, list[int]] = {}
    for i, c in enumerate(raw):
        key = _key(body[c[0] : c[1]])
        j = by_key.get(key)
        if j is None:
            words = key.split()
            probes = ("<" + " ".join(words[:4]), ">" + " ".join(words[-4:]))
            j = next(
                (o for p in probes for o in buckets.get(p, ())[-_BUCKET:] if _near(key, keys[o])),
                None,
            )
            if j is None:
                keep[i], keys[i], by_key[key] = c, key, i
                for probe in probes:
                    buckets.setdefault(probe, []).append(i)
                continue
        if c[2] > keep[j][2]:
            keep[j] = c
    return sorted(keep.values(), key=lambda c: (c[0], c[1]))


def _overlaps(a: int, b: int, spans: list[tuple[int, int]], starts: list[int]) -> bool:
    """Tell whether [a, b) overlaps any of the sorted, non-overlapping `spans`."""
    i = bisect_right(starts, b - 1) - 1
    return i >= 0 and spans[i][1] > a


def _quote_open(text: str) -> bool:
    """Tell whether a quotation opened in `text` is still open at its end."""
    return text.count('"') % 2 == 1 or text.count("“") > text.count("”")


def _merge_quotations(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Join sentences that one quotation runs across, so a quotation stays whole."""
    out = []
    i = 0
    while i < len(spans):
        a, b = spans[i]
        j = i
        while (j + 1 < len(spans) and j - i < MAX_QUOTE_SENTENCES - 1
               and "\n" not in text[b : spans[j + 1][0]] and _quote_open(text[a:b])):
            j += 1
            b = spans[j][1]
        out.append((a, b))
        i = j + 1
    return out


def _score_chunk(
    text: str, lang: str, weights: dict | None = None
) -> tuple[list[tuple[int, int, float, list[str]]], list[tuple[int, int]]]:
    """Split and score `text`; return raw candidates and the sentences."""
    sentences = [(s.start, s.end) for s in split_sentences(text, lang)]
    spans: list[tuple[int, int]] = []
    for a, b in _merge_quotations(text, sentences):
        spans.extend(atomic_spans(text, a, b))
    scored = score_many([text[a:b] for a, b in spans], weights)
    raw = [(a, b, sc.score, sc.reasons) for (a, b), sc in zip(spans, scored, strict=True)]
    return raw, sentences


def budget(scores: list[float], eligible: list[bool], threshold: float,
           sentences: int, share: float = BUDGET_SHARE) -> set[int]:
    """Return the indices to propose: the best eligible scores at or above `threshold`,
    at most `share` of the article's `sentences` (but up to MIN_BUDGET on a short text)."""
    ranked = sorted((i for i, ok in enumerate(eligible) if ok), key=lambda i: -scores[i])
    cap = max(MIN_BUDGET, round(sentences * share))
    return {i for i in ranked[:cap] if scores[i] >= threshold}


def extract_claims(
    body: str,
    lang: str | None = None,
    captions: Iterable[tuple[int, int]] = (),
    weights: dict | None = None,
    *,
    outlet: str = "",
    threshold: float | None = None,
    share: float = BUDGET_SHARE,
    published=None,
) -> list[Candidate]:
    """Return scored, attributed claim candidates, one per atomic assertion, in body order.

    The best of them are `proposed`: those scoring at least `threshold` (a calibrated
    probability; PROPOSE_THRESHOLD by default), at most `share` of the candidates. The
    rest stay available, with the reason "below the proposal budget".
    `captions` are spans of photo captions in `body` (see `Cleaned.captions`);
    their sentences are kept but never proposed. `weights` is a scorer document (a
    desk's retrained one); the shipped weights are used when it is None. `outlet` is the
    claimant of the outlet's own assertions. `published` (a date) resolves relative times
    ("on Monday"); a statement still opening with a pronoun is held back, never proposed.
    """
    lang = lang or detect_language(body)
    threshold = PROPOSE_THRESHOLD if threshold is None else threshold
    captions = sorted(captions)
    caption_starts = [c[0] for c in captions]
    raw, sentences = _score_chunk(body, lang, weights)
    raw = _dedupe_raw(body, raw)
    n_sentences = len(sentences) - (
        sum(1 for a, b in sentences if _overlaps(a, b, captions, caption_starts))
        if captions else 0
    )
    attributed = Attributor(body, outlet, published).attribute(
        [(a, b) for a, b, _, _ in raw])
    scores, eligible, reasons_of = [], [], []
    for (a, b, score, reasons), att in zip(raw, attributed, strict=True):
        caption = bool(captions) and _overlaps(a, b, captions, caption_starts)
        if caption:
            score = round(score * CAPTION_FACTOR, 6)
            reasons = [*reasons, "photo caption"]
        elif att.problem:
            score = round(score * DEPENDENT_FACTOR, 6)
            reasons = [*reasons, att.problem]
        dangling = not caption and bool(rw.dangling(att.statement))
        if dangling:
            reasons = [*reasons, NEEDS_CONTEXT_REASON]
        scores.append(score)
        eligible.append(not caption and not dangling)
        reasons_of.append(reasons)
    chosen = budget(scores, eligible, threshold, n_sentences, share)
    out = []
    for i, ((a, b, _, _), att) in enumerate(zip(raw, attributed, strict=True)):
        reasons = reasons_of[i]
        if i not in chosen and (eligible[i] or NEEDS_CONTEXT_REASON in reasons):
            reasons = [*reasons, BUDGET_REASON]
        out.append(
            Candidate(
                start=a,
                end=b,
                quote=body[a:b],
                prefix=body[max(0, a - CONTEXT_CHARS) : a],
                suffix=body[b : b + CONTEXT_CHARS],
                statement=att.statement,
                score=scores[i],
                reasons=reasons,
                proposed=i in chosen,
                claimant=att.claimant,
                rewrite=[dict(st) for st in att.steps],
                needs_context=list(att.needs_context),
            )
        )
    return out
