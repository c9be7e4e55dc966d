"""Named, reversible steps from a sentence to a statement that stands alone.

A statement is its quote with a list of steps applied in order. Each step is a dict
`{"step": <name>, "from": <text>, "to": <text>}` that replaces the first occurrence of
`from` in the running text with `to` (an empty `from` appends `to`); `tidy` then trims the
edges, drops the full stop and capitalises. So `apply_steps(quote, steps)` rebuilds the
statement, and leaving one step out undoes it. A step is only taken when it is sure.
Relative times are resolved against the article's publication date with python-dateutil.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

OPENER = "dropped the opener"
PRONOUN = "pronoun to the person named before"
DESCRIPTION = "description to the person named before"
ATTRIBUTION = "attribution moved to the claimant"
HEDGE = "dropped the hedge"
QUOTATION = "quotation put in its speaker's mouth"
RELATIVE_TIME = "relative time to a date"
DATELINE = "dateline removed"
PLACE = "place from the dateline"

def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_EDGE = " \t\n\"'“”‘’«»,;:-—–"


def step(name: str, frm: str, to: str) -> dict:
    """Return one step."""
    return {"step": name, "from": frm, "to": to}


def apply_one(text: str, s: dict) -> str:
    """Apply one step to the running text (a no-op when its `from` is no longer there)."""
    frm, to = s.get("from", ""), s.get("to", "")
    if not frm:  # an addition goes at the end, inside the sentence's full stop
        end = text.rstrip()
        if end.endswith(".") and not end.endswith(".."):
            return end[:-1] + to + "."
        return end + to
    return text.replace(frm, to, 1)


def tidy(text: str) -> str:
    """Trim the edges, drop a final full stop, capitalise, and re-pair a quotation mark."""
    s = text.strip(_EDGE)
    if s.endswith(".") and not s.endswith(".."):
        s = s[:-1].rstrip(_EDGE)
    if not s:
        return s
    s = s[0].upper() + s[1:]
    if s.count('"') % 2:  # the closing mark went with the full stop: put it back
        s += '"'
    elif s.count("“") > s.count("”"):
        s += "”"
    return s


def apply_steps(quote: str, steps: list[dict]) -> str:
    """Return the statement the steps make of `quote`."""
    text = quote
    for s in steps:
        text = apply_one(text, s)
    return tidy(text)


def without_step(quote: str, steps: list[dict], index: int) -> tuple[str, list[dict]]:
    """Return the statement and steps with step `index` undone (the others still apply)."""
    kept = [s for i, s in enumerate(steps) if i != index]
    return apply_steps(quote, kept), kept


# -- contractions ---------------------------------------------------------------------

_PARTICIPLES = _words(
    """been had done gone said told made seen known taken given written become won lost
    left met brought thought found kept held run paid sent spent built led begun chosen
    fallen spoken broken grown shown driven ridden eaten forgotten gotten got put set
    let cut hit read hurt quit heard felt sold stood understood taught caught bought
    fought sought drawn flown worn torn sworn thrown blown known risen hidden bitten
    struck stuck"""
)
_ADVERBS = _words(
    """not never also already previously still just long once always ever recently since
    actually really probably certainly"""
)
_BASE_HINTS = _words(
    """be have do go say tell make see know take give write become win lose leave meet
    bring think find keep hold run pay send spend build lead begin choose fall speak
    break grow show drive eat get put set let cut hit read like want need try use call
    ask work seem feel come look turn start serve face vote support oppose resign return
    stay lose"""
)
_CONTRACTION = re.compile(r"(?P<mark>['’])(?P<c>d|s|ll|re|ve|m)\b", re.IGNORECASE)


def _next_verb(rest: str) -> str:
    """Return the first word after the contraction that is not an adverb."""
    for word in re.findall(r"[A-Za-z]+", rest)[:4]:
        low = word.lower()
        if low in _ADVERBS or (low.endswith("ly") and low not in ("fly", "rely", "apply")):
            continue
        return low
    return ""


def expand(contraction: str, rest: str) -> str | None:
    """Return the auxiliary a contraction stands for ("’d" + "told" -> "had"), or None
    when the following words do not settle it."""
    c = contraction.lower()
    if c == "ll":
        return "will"
    if c == "re":
        return "are"
    if c == "ve":
        return "have"
    if c == "m":
        return "am"
    verb = _next_verb(rest)
    if c == "d":
        if verb in _PARTICIPLES or (verb.endswith("ed") and len(verb) > 3):
            return "had"
        if verb == "better":
            return "had"
        if verb in _BASE_HINTS or verb == "rather":
            return "would"
        return None
    if c == "s":
        if verb in ("been", "got", "had") or (verb.endswith("ed") and len(verb) > 3):
            return "has"
        if verb.endswith("ing") or verb in ("a", "an", "the", "not", "likely", "expected",
                                            "going", "still", "also", "now", "here", "there"):
            return "is"
        return None
    return None


def contraction_after(text: str, end: int) -> re.Match | None:
    """Match a contraction ("’d", "'s") right after a word ending at `end`."""
    return _CONTRACTION.match(text, end) if end < len(text) else None


# -- relative times -------------------------------------------------------------------

_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
RELATIVE = re.compile(
    r"\b(?P<all>(?:(?P<on>on|last|this|next)\s+)?(?P<wd>Monday|Tuesday|Wednesday|Thursday|"
    r"Friday|Saturday|Sunday)(?!,? (?:January|February|March|April|May|June|July|August|"
    r"September|October|November|December|\d))|(?P<day>yesterday|today|tomorrow)|"
    r"(?P<which>last|this|next)\s+(?P<unit>week|month|year)|"
    r"the\s+(?:past|last)\s+(?P<n>\d+|one|two|three|four|five|six|seven|eight|nine|ten|"
    r"eleven|twelve)\s+(?P<span>days|weeks|months|years))\b",
    re.IGNORECASE,
)
# The words a bench counts as a relative time kept (the list).
KEPT_RELATIVE = re.compile(
    r"\b(?:yesterday|today|tomorrow|(?:last|this|next)\s+(?:week|month|year)|"
    r"on\s+(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday))\b",
    re.IGNORECASE,
)
_FUTURE = re.compile(r"\b(?:will|would|is to|are to|plans? to|is expected to|are expected to|"
                     r"is due to|are due to|is set to|are set to|scheduled)\b", re.IGNORECASE)


def _day(d: date) -> str:
    return f"{d:%B} {d.day}, {d.year}"


def _month(d: date) -> str:
    return f"{d:%B} {d.year}"


def _resolve(m: re.Match, published: date, future: bool) -> str | None:
    """Return the absolute text for one relative time, or None if it is not sure."""
    from dateutil.relativedelta import relativedelta

    if m.group("wd"):
        wd = _WEEKDAYS.index(m.group("wd").lower())
        on = (m.group("on") or "").lower()
        if on == "this":
            return None  # "this Monday" may be either side of the date
        if on == "next" or (future and on != "last"):
            target = published + relativedelta(days=1, weekday=_wd(wd, 1))
        elif on == "last":
            target = published + relativedelta(days=-1, weekday=_wd(wd, -1))
        else:  # "on Monday" in the past tense: that day of the article's week, or before
            target = published + relativedelta(weekday=_wd(wd, -1))
        return f"on {_day(target)}" if on else _day(target)
    if m.group("day"):
        shift = {"yesterday": -1, "today": 0, "tomorrow": 1}[m.group("day").lower()]
        return f"on {_day(published + timedelta(days=shift))}"
    if m.group("unit"):
        shift = {"last": -1, "this": 0, "next": 1}[m.group("which").lower()]
        unit = m.group("unit").lower()
        if unit == "week":
            monday = published - timedelta(days=published.weekday()) + timedelta(weeks=shift)
            return f"in the week of {_day(monday)}"
        if unit == "month":
            return f"in {_month(published + relativedelta(months=shift))}"
        return f"in {published.year + shift}"
    return f"the {m.group('n')} {m.group('span').lower()} to {_day(published)}"


def _wd(index: int, n: int):
    from dateutil.relativedelta import weekday

    return weekday(index, n)


def resolve_times(text: str, published: date | None) -> list[dict]:
    """Return the steps that turn each relative time in `text` into a date."""
    if published is None:
        return []
    steps = []
    for m in RELATIVE.finditer(text):
        clause = re.split(r",\s|;\s|\s(?:and|but|while)\s", text[: m.start()])[-1]
        future = bool(_FUTURE.search(clause))
        found = m.group(0)
        to = _resolve(m, published, future)
        if to is None:
            continue
        if found[:1].isupper() and not m.group("wd"):
            to = to[0].upper() + to[1:]
        # "in the week of ..." after "in"/"on" would double the preposition.
        before = re.search(r"\b(?:in|on|during)\s+$", text[max(0, m.start() - 8) : m.start()],
                           re.IGNORECASE)
        if before and to.lower().startswith(("in ", "on ")):
            found = text[m.start() - len(before.group()) : m.end()]
        steps.append(step(RELATIVE_TIME, found, to))
    return steps


def relative_questions(text: str) -> list[str]:
    """Return what a reader needs to know about relative times when no date is known."""
    return [f"when is “{m.group(0)}”?" for m in RELATIVE.finditer(text)]


# -- datelines ------------------------------------------------------------------------

DATELINE_RE = re.compile(
    r"^(?P<place>[A-Z][A-Z.'’-]+(?:[ -][A-Z][A-Z.'’-]+){0,3})"
    r"(?:,\s*(?P<region>[A-Z][A-Za-z.]+(?:\s+[A-Z][A-Za-z.]+){0,2}))?"
    r"(?:\s*\([^)]{1,40}\))?\s*(?:--|—|–|-)\s+"
)


def dateline(text: str) -> tuple[str, str] | None:
    """Return (the dateline's text, its place in title case) when `text` opens with one."""
    m = DATELINE_RE.match(text)
    if not m or len(m.group("place")) < 3:
        return None
    place = "-".join(p.capitalize() for p in m.group("place").title().split("-"))
    if m.group("region"):
        place += ", " + m.group("region")
    return m.group(0), place


# -- claimants ------------------------------------------------------------------------

_NOT_NAME_START = _words(
    """he she they it we i you his her their its our my your this that these those there
    him them us me who which what some many several most all any each both few one
    another other someone somebody anyone"""
)
MAX_CLAIMANT_WORDS = 8


def claimant_name(text: str) -> str:
    """Return `text` if it can name a person or an organisation, else "".

    Fragments ("His office", "He has always", "he’d previously") and long phrases go.
    """
    name = " ".join((text or "").split()).strip(_EDGE)
    words = name.split()
    if not words or len(words) > MAX_CLAIMANT_WORDS:
        return ""
    first = re.sub(r"['’].*$", "", words[0]).lower()
    if first in _NOT_NAME_START or not words[0][:1].isupper():
        return ""
    if any(re.search(r"['’](?:d|ll|re|ve|m)$", w) for w in words):
        return ""
    return name


_CONNECTORS = _words("of and for the de da di del der van von bin al el la le du on in &")


def proper_name(text: str) -> bool:
    """Tell whether `text` is a proper name ("Maria Ivanova", "The White House", "RFE/RL"),
    not a description ("The minister", "His office")."""
    name = claimant_name(text)
    words = name.split()
    return bool(words) and all(w[:1].isupper() or (i and w.lower() in _CONNECTORS)
                               for i, w in enumerate(words))


# -- what a statement still needs ---------------------------------------------------------

_DANGLING = re.compile(
    r"^(?P<w>he|she|they|it|this|that|these|those|his|her|their|its|there|we|i|you)\b",
    re.IGNORECASE,
)


def dangling(statement: str) -> str:
    """Return the word a statement starts with that needs its referent, or ""."""
    m = _DANGLING.match(statement.strip(_EDGE))
    return m.group("w").lower() if m else ""


# "the hotel", "the capital": a place the reader cannot tell without the article.
_PLACE_NOUNS = "hotel capital city country region building venue village town province"
_DEFINITE_PLACE = re.compile(rf"\b[Tt]he\s+({'|'.join(_PLACE_NOUNS.split())})\b(?!\s+of\b)"
                             r"(?!\s+[A-Z])")


def place_questions(statement: str) -> list[str]:
    """Return "which hotel?" for each place named only by a definite description."""
    return [f"which {m.group(1)}?" for m in _DEFINITE_PLACE.finditer(statement)]


def question_for(word: str) -> str:
    """Return the short question that resolves a dangling opening word."""
    if word in ("he", "she", "his", "her", "we", "i", "you"):
        return f"who is “{word}”?"
    if word in ("they", "their"):
        return f"who are “{word}”?"
    if word == "there":
        return "where or what is “there”?"
    return f"what is “{word}”?"
