"""Tokens for matching: cleaning a query, content words, light stems, numbers and names."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date

STOPWORDS = frozenset((
    "a", "about", "above", "after", "again", "against", "all", "am", "an", "and", "any",
    "are", "as", "at", "be", "because", "been", "before", "being", "below", "between",
    "both", "but", "by", "can", "could", "did", "do", "does", "doing", "down", "during",
    "each", "few", "for", "from", "further", "had", "has", "have", "having", "he", "her",
    "here", "hers", "herself", "him", "himself", "his", "how", "i", "if", "in", "into",
    "is", "it", "its", "itself", "just", "me", "more", "most", "my", "myself", "no", "nor",
    "not", "of", "off", "on", "once", "only", "or", "other", "our", "ours", "ourselves",
    "out", "over", "own", "same", "she", "should", "so", "some", "such", "than", "that",
    "the", "their", "theirs", "them", "themselves", "then", "there", "these", "they",
    "this", "those", "through", "to", "too", "under", "until", "up", "very", "was", "we",
    "were", "what", "when", "where", "which", "while", "who", "whom", "why", "will", "with",
    "would", "you", "your", "yours", "yourself", "yourselves", "also", "via", "just", "s",
    "t", "rt", "amp",
))
NEGATIONS = frozenset((
    "not", "no", "never", "none", "nobody", "nothing", "neither", "nor", "without",
    "cannot", "false", "fake", "hoax", "deny", "denies", "denied", "isn", "t", "n't",
))

_URL = re.compile(r"(?:https?://|www\.|pic\.twitter\.com/)\S+", re.IGNORECASE)
_TAG = re.compile(r"[@#](\w+)")
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Za-z])(?=\d)")
MONTHS = {m: i for i, m in enumerate((
    "january", "february", "march", "april", "may", "june", "july", "august", "september",
    "october", "november", "december"), start=1)}
_DATE_MDY = re.compile(r"\b(" + "|".join(MONTHS) + r")\.?\s+(\d{1,2}),?\s+(\d{4})\b",
                       re.IGNORECASE)
_DATE_DMY = re.compile(r"\b(\d{1,2})\s+(" + "|".join(MONTHS) + r")\.?,?\s+(\d{4})\b",
                       re.IGNORECASE)
_DATE_ISO = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
_WORD = re.compile(r"[A-Za-z0-9]+(?:['’][A-Za-z]+)?")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_NAME = re.compile(r"\b[A-Z][a-zA-Z]+(?:\s+[A-Z][a-zA-Z]+)*")
NUMBER_WORDS = {"one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6",
                "seven": "7", "eight": "8", "nine": "9", "ten": "10", "eleven": "11",
                "twelve": "12", "dozen": "12", "twenty": "20", "hundred": "100",
                "thousand": "1000", "million": "1000000", "billion": "1000000000"}
MAX_QUERY_TERMS = 24


def _split_tag(match: re.Match) -> str:
    # "@LeoDiCaprio" may be written "DiCaprio" elsewhere: keep the parts and adjacent pairs.
    tag = match.group(1)
    parts = _CAMEL.sub(" ", tag.replace("_", " ")).split()
    pairs = [a + b for a, b in zip(parts, parts[1:], strict=False)] if len(parts) > 2 else []
    words = [tag] if len(parts) > 1 else []
    return " " + " ".join([*parts, *pairs, *words]) + " "


def clean_query(text: str) -> str:
    """Drop links (a tweet's furniture); split @handles and #hashtags into their words."""
    text = _URL.sub(" ", text or "")
    text = _TAG.sub(_split_tag, text)
    return " ".join(text.split())


def mentioned_date(text: str) -> date | None:
    """Return the last full date the text mentions (a tweet's signature gives its own)."""
    found: list[tuple[int, date]] = []
    for pattern, order in ((_DATE_MDY, "mdy"), (_DATE_DMY, "dmy"), (_DATE_ISO, "ymd")):
        for m in pattern.finditer(text or ""):
            parts = dict(zip(order, m.groups(), strict=True))
            month = parts["m"]
            month = int(month) if month.isdigit() else MONTHS[month.lower().rstrip(".")]
            try:
                found.append((m.start(), date(int(parts["y"]), month, int(parts["d"]))))
            except ValueError:
                continue
    return max(found)[1] if found else None


def stem(word: str) -> str:
    """Reduce a lower-case word to a rough stem, enough to match plurals and tenses."""
    word = word.replace("’", "'")
    if word.endswith("'s"):
        word = word[:-2]
    for suffix, keep in (("ies", "y"), ("sses", "ss"), ("ing", ""), ("ed", ""), ("es", ""),
                         ("s", ""), ("ly", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3 and not word.endswith("ss"):
            return word[: -len(suffix)] + keep
    return word


def words(text: str) -> list[str]:
    """Return the lower-case words of text, in order."""
    return [w.lower() for w in _WORD.findall(text or "")]


def content_stems(text: str) -> list[str]:
    """Return the stems of text's content words (no stop words), in order."""
    return [stem(w) for w in words(text) if w not in STOPWORDS and len(w) > 1
            or w.isdigit()]


def query_terms(text: str, limit: int = MAX_QUERY_TERMS,
                rarity: Callable[[str], float] | None = None) -> list[str]:
    """Return distinct plain terms for a full-text OR query: letters and digits only.

    At most `limit`, the rarest by `rarity` (a stem's inverse document frequency), else the
    longest: every term costs the index a scan of the documents holding it, and common
    words add the most work and the least evidence.
    """
    seen: dict[str, None] = {}
    for word in words(clean_query(text)):
        term = re.sub(r"[^a-z0-9]", "", word.split("'")[0])
        if len(term) > 1 and term not in STOPWORDS:
            seen.setdefault(term, None)
    terms = list(seen)
    if len(terms) > limit:
        key = (lambda t: -rarity(stem(t))) if rarity else (lambda t: -len(t))
        keep = set(sorted(terms, key=key)[:limit])
        terms = [t for t in terms if t in keep]
    return terms


def numbers(text: str) -> set[str]:
    """Return the numbers in text, digits or number words, normalised ("1,000" -> "1000")."""
    found = {n.replace(",", "") for n in _NUMBER.findall(text or "")}
    found |= {NUMBER_WORDS[w] for w in words(text) if w in NUMBER_WORDS}
    return found


def names(text: str) -> set[str]:
    """Return capitalised words that are not the first word of a sentence: likely names."""
    out: set[str] = set()
    for match in _NAME.finditer(text or ""):
        start = match.start()
        before = (text[:start].rstrip()[-1:] if start else "")
        for i, part in enumerate(match.group(0).split()):
            low = part.lower()
            if i == 0 and (not before or before in ".!?\"“:"):
                continue
            if low not in STOPWORDS:
                out.add(stem(low))
    return out


def name_phrases(text: str) -> set[tuple[str, ...]]:
    """Return the stems of each run of capitalised words ("West Virginia"), as a whole.

    A name is matched as a whole: "West Virginia" is not "Kanye West". A sentence's first
    word is left out, as in `names`.
    """
    out: set[tuple[str, ...]] = set()
    for match in _NAME.finditer(text or ""):
        start = match.start()
        before = (text[:start].rstrip()[-1:] if start else "")
        parts = [w.lower() for w in match.group(0).split()]
        if not before or before in ".!?\"“:":
            parts = parts[1:]
        while parts and parts[0] in STOPWORDS:
            parts = parts[1:]
        while parts and parts[-1] in STOPWORDS:
            parts = parts[:-1]
        if parts:
            out.add(tuple(stem(w) for w in parts))
    return out


def holds_phrase(sequence: list[str], phrase: tuple[str, ...]) -> bool:
    """Tell whether the stems of `phrase` occur one after another in `sequence`."""
    n = len(phrase)
    return any(tuple(sequence[i:i + n]) == phrase for i in range(len(sequence) - n + 1))


def is_year(number: str) -> bool:
    """Tell whether a number reads as a year (1800-2099): it dates a claim, it is not one."""
    return len(number) == 4 and number.isdigit() and 1800 <= int(number) <= 2099


def negated(text: str) -> bool:
    """Tell whether text carries a negation or a denial."""
    low = (text or "").lower().replace("’", "'")
    return "n't" in low or any(w in NEGATIONS for w in words(low))
