"""Find the people an article names, and who a pronoun or description refers to.

People are capitalised name sequences ("Alimzhan Izbasarov") that the article marks as
people: a title or role before them ("activist Aslan Saghutdinov", "President Nursultan
Nazarbaev"), a later surname-only mention ("Izbasarov"), speech after them ("Izbasarov
told"), or a place in a list beside other people. Every later mention of a surname
points back to its person. All patterns are compiled once; one pass over the body.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_CAP = r"[A-Z][a-z\u00e0-\u024f]+(?:-[A-Za-z\u00e0-\u024f]+)*(?:['’][A-Z][a-z\u00e0-\u024f]+)?"
# A run of capitalised words (names, titles, places), possessive allowed on the last one.
_RUN = re.compile(rf"\b{_CAP}(?:[ \t]+{_CAP})*(?:['’]s\b)?")
_SINGLE = re.compile(rf"\b({_CAP})(?:['’]s)?\b")
TITLES = _words(
    """President Minister Premier Prime Senator Governor Mayor General Colonel Judge Chairman
    Chairwoman Chief Director Ambassador Secretary Spokesman Spokeswoman Leader King Queen
    Prince Pope Patriarch Mr Mrs Ms Dr Professor Prof Sir Lady Lord Interim Acting Former
    Deputy Vice Speaker Commander Captain Activist Lawyer Actor Journalist"""
)
ROLES = _words(
    """activist activists lawyer actor actress journalist blogger writer singer poet artist
    president minister premier senator governor mayor general official spokesman spokeswoman
    spokesperson leader chairman chairwoman director ambassador secretary judge prosecutor
    mother father wife husband son daughter brother sister uncle aunt colleague friend
    student professor candidate politician opponent correspondent correspondents reporter
    editor analyst economist expert defender dissident opposition businessman businesswoman
    protester demonstrator member head chief founder"""
)
# Words that are never part of a person's name.
NOT_NAMES = _words(
    """The A An And But Or Of In On At To For From By With As If When While After Before Since
    Until Because Although Though However Meanwhile Moreover This That These Those There Here
    It Its He She His Her They Their Them We Our Us I My Me You Your Who What Where Why How
    Which Asked Earlier Later Other Another Some Many Most All Both Each Every No Not Also
    Still Yet So Then Now Today Yesterday Tomorrow Last Next New Old Up Down Out Over Under
    Mr Mrs Ms Dr January February March April May June July August September October
    November December Monday Tuesday Wednesday Thursday Friday Saturday Sunday Day Award
    Department State Party Ministry Court Council Assembly Committee Service Marathon Camp
    Movement Union University Agency Government Parliament Army Police Station News Times
    Street Square North South East West Central Western Eastern Northern Southern
    International National Police Officials Authorities Rights"""
)
_LOCATIVE = re.compile(
    rf"\b(?:in|at|from|near|across|throughout|into|outside)\s+({_CAP})(?:['’]s)?\b"
)
_SPEECH_AFTER = re.compile(
    r"^(?:['’]s\b)?\s*(?:,\s*\d{1,3},|,\s*who\b|\s+(?:said|says|told|added|stated|claimed|"
    r"announced|insisted|wrote|spoke|asked|believes|thinks|was|is|had|has|received|served))"
)
_SPOKE_AFTER = re.compile(
    r"^(?:['’]s\b)?\s*(?:,\s*\d{1,3},|\s+(?:said|says|told|added|stated|claimed|announced|"
    r"insisted|wrote|asked|tweeted|argued|explained|noted|warned))"
)
_PLURAL = re.compile(r"(?:ists|ials|ers|ies|ents|ans)$")


_FEMININE = re.compile(r"(?:ova|eva|yeva|ina|aya|skaya)$")


def _gender(pronoun: str) -> str | None:
    low = pronoun.lower()
    return "m" if low in ("he", "his", "him") else "f" if low in ("she", "her") else None


def _gender_of(person: Person) -> str | None:
    return "f" if _FEMININE.search(person.short) else None


@dataclass(frozen=True)
class Person:
    """One person: the full name as first given and the surname used later."""

    full: str
    short: str


@dataclass(frozen=True)
class Mention:
    start: int
    end: int
    person: Person


def _name_of(run: str) -> tuple[int, str] | None:
    """Return (offset in run, name) of the part of a capitalised run that can be a name."""
    if run.endswith(("'s", "’s")):
        run = run[:-2]
    words = run.split()
    cut = 0
    for i, w in enumerate(words):
        if w in TITLES or w in NOT_NAMES:
            cut = i + 1
    name_words = words[cut:]
    if not name_words or any(w in NOT_NAMES for w in name_words):
        return None
    offset = len(" ".join(words[:cut])) + (1 if cut else 0)
    return offset, " ".join(name_words)


class People:
    """The people of one article and where each is mentioned, in body order."""

    def __init__(self, body: str):
        self.body = body
        # Surnames named with a title or role before them, or a speech verb after: people.
        self.strong: set[str] = set()
        candidates: list[tuple[int, int, str, bool]] = []  # start, end, name, marked
        for m in _RUN.finditer(body):
            found = _name_of(m.group())
            if found is None:
                continue
            off, name = found
            start = m.start() + off
            end = start + len(name)
            words = name.split()
            titled = off > 0 and m.group()[:off].split()[-1] in TITLES
            before = body[max(0, start - 30) : start].rstrip(" ,").rsplit(None, 1)
            role = before[-1] if before and body[start - 1 : start] in (" ", ",") else ""
            marked = titled or role in ROLES or role[:-1] in ROLES
            strong = marked or bool(_SPOKE_AFTER.match(body[end : end + 30]))
            if strong:
                self.strong.add(words[-1])
            marked = marked or bool(_SPEECH_AFTER.match(body[end : end + 30]))
            if len(words) >= 2 or marked:
                candidates.append((start, end, name, marked))
        singles: dict[str, list[int]] = {}
        for m in _SINGLE.finditer(body):
            singles.setdefault(m.group(1), []).append(m.start())
        locative = {m.group(1) for m in _LOCATIVE.finditer(body)}
        known: dict[str, Person] = {}  # surname -> person
        multi = [c for c in candidates if " " in c[2]]
        for _start, end, name, marked in multi:
            surname = name.split()[-1]
            if surname in locative:
                continue
            seen = singles.get(surname)
            if marked or (seen and seen[-1] > end - len(surname)):  # mentioned again later
                known.setdefault(surname, Person(name, surname))
        # People in a list beside known people ("A, B, C, and D") are people too.
        anchors = sorted(s for s, _, n, _ in multi if n.split()[-1] in known)
        for start, end, name, _ in multi:
            surname = name.split()[-1]
            if surname in known or surname in locative:
                continue
            before = self.body[max(0, start - 3) : start]
            after = self.body[end : end + 6]
            if before.endswith((", ", "nd ")) or after.startswith((",", " and")):
                i = bisect_left(anchors, start - 79)
                if i < len(anchors) and anchors[i] < start + 80:
                    known[surname] = Person(name, surname)
        for _start, _end, name, marked in candidates:
            if (" " not in name and marked and name not in known and name not in locative
                    and not _PLURAL.search(name)):
                known[name] = Person(name, name)
        mentions = []
        for surname, person in known.items():
            for p in singles.get(surname, ()):
                mentions.append(Mention(p, p + len(surname), person))
        self.mentions = sorted(mentions, key=lambda m: m.start)
        self._starts = [m.start for m in self.mentions]
        self.known = known

    def within(self, start: int, end: int) -> list[Mention]:
        """Return the mentions inside [start, end)."""
        i = bisect_left(self._starts, start)
        out = []
        while i < len(self.mentions) and self.mentions[i].start < end:
            out.append(self.mentions[i])
            i += 1
        return out

    def before(self, pos: int, previous: tuple[int, int] | None = None,
               pronoun: str = "") -> Person | None:
        """Return the person a pronoun (or description) at `pos` most likely refers to.

        The first person named in the previous sentence (its likely subject) comes first;
        otherwise the person mentioned last before `pos`. A surname with a feminine ending
        ("-ova", "-eva") is passed over for "he" and preferred for "she" when possible.
        """
        want = _gender(pronoun)
        if previous is not None:
            named = [m.person for m in self.within(*previous)]
            for p in named:
                if want is None or _gender_of(p) in (want, None):
                    return p
        i = bisect_left(self._starts, pos) - 1
        first = None
        while i >= 0:
            p = self.mentions[i].person
            first = first or p
            if want is None or _gender_of(p) in (want, None):
                return p
            i -= 1
        return first

    def group_before(self, pos: int, window: int = 400) -> list[Person]:
        """Return the people of the nearest earlier sentence naming two or more of them."""
        i = bisect_left(self._starts, pos) - 1
        while i >= 0 and pos - self.mentions[i].start <= window:
            last = self.mentions[i]
            stop = 1 + max(self.body.rfind(". ", 0, last.start),
                           self.body.rfind("\n", 0, last.start))
            people: list[Person] = []
            for m in self.within(stop, last.end):
                if m.person not in people:
                    people.append(m.person)
            if len(people) >= 2:
                return people
            i = bisect_left(self._starts, stop) - 1
        return []
