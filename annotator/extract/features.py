"""Turn sentences into sparse features for the check-worthiness scorer.

Shared by scoring (`score.py`) and training (`train.py`) so both see the same features:
word unigrams and bigrams (digits folded to "0"), hand-written cues such as numbers,
dates, names and attribution, and a few cues from the neighbouring sentences.
"""

from __future__ import annotations

import re


def _words(text: str) -> frozenset[str]:
    """Return the whitespace-separated words of a literal word list."""
    return frozenset(text.split())


_TOKEN = re.compile(r"\w+(?:'\w+)?|[$%?!\"“”€£]")
_DIGITS = re.compile(r"\d")
_DATE = re.compile(
    r"\b(?:January|February|March|April|May|June|July|August|September|October|November|"
    r"December|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec|Monday|Tuesday|Wednesday|"
    r"Thursday|Friday|Saturday|Sunday)\b(?:\s+\d{1,2}\b)?|\b(?:1[89]|20)\d\d\b|"
    r"\b(?:last|next|this) (?:year|month|week|decade)\b|\b\d+ (?:years?|months?|days?) ago\b|"
    r"\byesterday\b",
)
_DATE_HINTS = _words(
    """january february march april may june july august september october november december
    jan feb mar apr jun jul aug sep sept oct nov dec monday tuesday wednesday thursday friday
    saturday sunday last next this ago yesterday 0000"""
)
_MONTH_WORDS = _words(
    "January February March April May June July August September October November December "
    "Monday Tuesday Wednesday Thursday Friday Saturday Sunday"
)
# Cue words, matched against a sentence's lower-cased tokens (set lookups are fast).
_NUMBER_WORDS = _words(
    """one two three four five six seven eight nine ten eleven twelve fifteen twenty thirty
    forty fifty hundred thousand million billion trillion dozen dozens hundreds thousands
    millions billions half twice double triple percent majority minority"""
)
_PERCENT_WORDS = _words("% percent procent")
# General words only: no currency or title chosen because one test article used it (issue 20).
_MONEY_WORDS = _words("$ € £ dollar dollars euro euros pounds budget tax taxes")
_ATTRIBUTION_WORDS = _words(
    """said says told according reported reports claimed claims stated announced testified
    wrote confirmed denied insisted acknowledged admitted"""
)
_COMPARISON_WORDS = _words(
    """more less fewer than most least largest biggest highest lowest greatest smallest worst
    best increase increased increases decrease decreased decreases rose risen fell fallen
    doubled tripled record compared only every all never always"""
)
_FIRST_PERSON_WORDS = _words("i i'm i've i'll me my we we're we've our")
_SECOND_PERSON_WORDS = _words("you your you're")
_OPINION_WORDS = _words(
    """think believe feel hope wish want should must ought great wonderful terrible horrible
    beautiful amazing incredible disaster thank thanks love hate opinion honestly frankly
    agree disagree"""
)
_HEDGE_WORDS = _words("maybe perhaps might could possibly probably likely")
_QUOTE_CHARS = ('"', "“", "”", "«", "»")
_CAP_RUN = re.compile(r"\b[A-Z][\w'’.-]*(?:\s+(?:of\s+|the\s+)?[A-Z][\w'’.-]*)+")
_ACRONYM = re.compile(r"\b[A-Z]{2,6}\b")
_ORG_WORDS = _words(
    """Ministry Department Party Committee Council University Agency Service Bank Corporation
    Inc Company Organization Organisation Commission Court Government Association Union
    Institute Foundation Congress Senate Parliament Administration Police Army Navy Group
    Office Board Bureau Federation Fund Times Post News Network Station Church School College
    Hospital Authority Assembly Movement Front Cabinet Kremlin Pentagon"""
)
# A title before a single capitalised name ("Mr. Smith", "Sen. Manchin").
_TITLED = re.compile(
    r"\b(?:Mr|Mrs|Ms|Dr|Sen|Rep|Gov|spokesman|spokeswoman|spokesperson)\.?"
    r"\s+[A-Z][\w'’-]+\b(?!\s+[A-Z])"
)

# Hand cues, each with the reason shown to people when it raises the score.
REASONS = {
    "h:number": "has a number",
    "h:percent": "has a percentage",
    "h:money": "mentions money or taxes",
    "h:date": "has a date",
    "h:person": "names a person",
    "h:org": "names an organisation",
    "h:attribution": "attribution (said/told)",
    "h:comparison": "comparison",
    "h:quote_person": "quotes a named person",
    "h:quote": "has a quotation",
    "h:entities2": "names several people or bodies",
}
NEGATIVE_REASONS = {
    "h:question": "a question",
    "h:opinion": "opinion or feeling",
    "h:first_person": "speaks in the first person",
    "h:second_person": "addresses the listener",
    "h:hedge": "hedged",
    "h:len<5": "too short",
    "h:no_verb": "no verb",
}
CONTEXT_CUES = ("h:number", "h:question", "h:date", "h:first_person", "h:len<5", "h:opinion")
_VERBISH = re.compile(
    r"\b(?:is|are|was|were|be|been|has|have|had|will|would|can|could|did|does|do|said|says|"
    r"[a-z]{3,}ed|[a-z]{3,}s)\b"
)


_NONZERO_DIGIT = re.compile(r"[1-9]")


def tokens(text: str) -> list[str]:
    """Return lower-cased word tokens with every digit folded to "0"."""
    return _TOKEN.findall(_NONZERO_DIGIT.sub("0", text.lower()))


def _entities(text: str) -> tuple[int, int]:
    """Count capitalised runs that look like people and like organisations."""
    people = orgs = 0
    for run in _CAP_RUN.findall(text):
        words = run.split()
        if not _ORG_WORDS.isdisjoint(w.rstrip(".,'’s") for w in words):
            orgs += 1
        elif not (len(words) == 2 and words[0] in _MONTH_WORDS):
            people += 1
    people += len(_TITLED.findall(text))
    orgs += len(_ACRONYM.findall(text))
    return people, orgs


def hand_cues(text: str, toks: list[str] | None = None) -> set[str]:
    """Return the set of hand-written cues present in one sentence."""
    words = set(tokens(text) if toks is None else toks)
    cues: set[str] = set()
    if _DIGITS.search(text) or not words.isdisjoint(_NUMBER_WORDS):
        cues.add("h:number")
    if not words.isdisjoint(_PERCENT_WORDS) or ("per" in words and "cent" in words):
        cues.add("h:percent")
    if not words.isdisjoint(_MONEY_WORDS):
        cues.add("h:money")
    if not words.isdisjoint(_DATE_HINTS) and _DATE.search(text):
        cues.add("h:date")
    people, orgs = _entities(text)
    if people:
        cues.add("h:person")
    if orgs:
        cues.add("h:org")
    if people + orgs >= 2:
        cues.add("h:entities2")
    attribution = not words.isdisjoint(_ATTRIBUTION_WORDS)
    if attribution:
        cues.add("h:attribution")
    if any(q in text for q in _QUOTE_CHARS):
        cues.add("h:quote_person" if attribution and people else "h:quote")
    if not words.isdisjoint(_COMPARISON_WORDS):
        cues.add("h:comparison")
    if not words.isdisjoint(_FIRST_PERSON_WORDS):
        cues.add("h:first_person")
    if not words.isdisjoint(_SECOND_PERSON_WORDS):
        cues.add("h:second_person")
    if not words.isdisjoint(_OPINION_WORDS):
        cues.add("h:opinion")
    if not words.isdisjoint(_HEDGE_WORDS) or " may " in text:
        cues.add("h:hedge")
    stripped = text.rstrip(" \"'”’)")
    if stripped.endswith("?"):
        cues.add("h:question")
    if stripped.endswith("!"):
        cues.add("h:exclaim")
    n = len(words) if toks is None else len(toks)
    cues.add(
        "h:len<5" if n < 5 else "h:len<10" if n < 10 else "h:len<20" if n < 20
        else "h:len<40" if n < 40 else "h:len>=40"
    )  # fmt: skip
    if n < 12 and not _VERBISH.search(text):  # long sentences practically always have one
        cues.add("h:no_verb")
    return cues


def lexical(text: str, toks: list[str] | None = None) -> list[str]:
    """Return unigram and bigram features of one sentence."""
    toks = tokens(text) if toks is None else toks
    feats = ["w:" + t for t in toks]
    padded = ["<s>", *toks, "</s>"]
    feats += ["b:" + a + " " + b for a, b in zip(padded, padded[1:], strict=False)]
    return feats


def featurize(texts: list[str], context: bool = True) -> list[list[str]]:
    """Return the feature names of each sentence, with cues from its neighbours.

    With `context=False` the texts are unrelated sentences (a labelled sample drawn from
    many debates): they get no neighbour features at all.
    """
    toks = [tokens(t) for t in texts]
    cues = [hand_cues(t, k) for t, k in zip(texts, toks, strict=True)]
    out = []
    for i, text in enumerate(texts):
        feats = lexical(text, toks[i])
        feats += sorted(cues[i])
        feats.append("bias")
        if not context:
            out.append(feats)
            continue
        if i > 0:
            feats += ["p:" + c[2:] for c in CONTEXT_CUES if c in cues[i - 1]]
        else:
            feats.append("p:none")
        if i + 1 < len(texts):
            feats += ["n:" + c[2:] for c in CONTEXT_CUES if c in cues[i + 1]]
        else:
            feats.append("n:none")
        out.append(feats)
    return out
