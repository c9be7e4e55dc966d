"""Who made each claim, and a statement that stands alone.

For each candidate span this finds the claimant ("X said", "according to X", "X told
RFE/RL", a quotation with its speaker in the same or the neighbouring sentence, else the
outlet) and writes a statement a reader understands without the article: discourse
openers dropped, a leading pronoun or description ("He", "The 23-year-old activist")
replaced by the person it refers to, and a quotation put in its speaker's mouth
("Izbasarov said May 1 is ..."). Numbers, dates and places are copied, never rewritten.
The quote and its offsets are not touched: the statement is only a suggestion.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from annotator.extract.people import People, Person


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


SPEECH = (
    r"(?:said|says|told|tells|added|adds|stated|claimed|claims|announced|insisted|wrote|"
    r"spoke(?:\s+out)?|explained|noted|warned|argued|alleged|declared|confirmed|denied|"
    r"testified|tweeted|asserted|maintained)"
)
_SPEECH = re.compile(rf"\b{SPEECH}\b")
_OPENER = re.compile(
    r"^(?:(?:but|and|yet|so|or)\b,?|(?:however|meanwhile|moreover|furthermore|also|still|"
    r"indeed|nevertheless|nonetheless|besides|in addition|instead|thus|therefore|then|now|"
    r"still|in fact|of course|by contrast|in turn),)\s+",
    re.IGNORECASE,
)
_QUOTE_OPEN = "\"“«„"
_QUOTE_CHARS = "\"“”«»„"
_QUOTE_MARK = re.compile("[\"“”«»„]")
_ACCORDING = re.compile(r"(?:^|,\s*)according to (?P<who>[^,.;\"“”]{2,80}?)(?=[,.;]|$)",
                        re.IGNORECASE)
_TRAIL_QUOTE = re.compile(
    rf"[,.!?…]?[\"”»]\s*,?\s*(?P<who>he|she|they|(?:the\s+)?[\w'’./-]+(?:\s+[\w'’./-]+){{0,3}}?)"
    rf"\s+(?P<verb>{SPEECH})\b"
)
_TRAIL_PLAIN = re.compile(
    rf",\s+(?P<who>he|she|they|(?:the\s+)?[\w'’/.-]+(?:\s+[\w'’/.-]+){{0,2}}?)\s+"
    rf"(?P<verb>{SPEECH})(?:\s+on\s+\w+(?:\s+\d{{1,2}})?)?\s*\.?$",
)
# "said he thinks ...", "said on June 5 that she believes ...": what someone thinks.
_BELIEF = re.compile(
    r"\w+(?:\s+on\s+\w+(?:\s+\d{1,2})?)?\s+(?:that\s+)?(?:he|she|they|we|I|it)\s+"
    r"(?:thinks|think|believes|believe|feels|feel|hopes|hope|suspects|suspect)\b"
)
# A quotation that judges or prescribes rather than reports ("It is time to end them").
_NORMATIVE = re.compile(
    r"\b(?:should|must|ought to|(?:it is|it's) time to|I (?:think|believe|hope|feel)|"
    r"(?:I am|I'm) (?:confident|sure|convinced)|we (?:think|believe|hope))\b",
    re.IGNORECASE,
)
_AGE = re.compile(r"\b(\d+)-year-old\b")
_PASSIVE = re.compile(r"\b(?:was|were|been|be|is|are|being)\s+$", re.IGNORECASE)
_LEAD_QUOTE = re.compile(rf"\b{SPEECH}\s*[:,]\s*[\"“«]")
_PRONOUN = re.compile(r"^(?P<p>He|She|They|His|Her|Their|Him|Them)\b")
_ROLE_WORDS = _words(
    """activist lawyer actor actress journalist blogger man woman student official politician
    president candidate protester demonstrator mother father singer writer dissident
    leader"""
)
_DESCRIPTION = re.compile(
    r"^(?:The|the)\s+(?:(?:\d+-year-old|newly\s+\w+|young|former|jailed|detained|prominent)"
    r"(?:\s+|$))*(?:[a-z]+\b)?"
)
def _description(text: str) -> int:
    """Return the length of a leading definite description of a person ("The 23-year-old
    activist"), or 0 when the text does not start with one."""
    m = _DESCRIPTION.match(text)
    if not m:
        return 0
    found = m.group().rstrip()
    words = found.split()
    if words[-1] not in _ROLE_WORDS and not words[-1].endswith("-year-old"):
        words = words[:-1]  # "The 41-year-old was": the verb is not part of it
    if len(words) < 2 or not (words[-1].endswith("-year-old") or words[-1] in _ROLE_WORDS):
        return 0
    return len(" ".join(words))


def _standin(description: str, person: Person) -> str:
    """Return the person's name, keeping an age the description gave ("Okafor, 41,")."""
    age = _AGE.search(description)
    return f"{person.short}, {age.group(1)}," if age else person.short
_HEDGE_HINTS = ("ly ", "haps ", "Perhaps", "Possibly", "Reportedly", "Allegedly", "Apparently")
_HEDGES = re.compile(
    r"\b(?:reportedly|allegedly|apparently|purportedly|perhaps|possibly)\s+", re.IGNORECASE
)
_FIRST_PERSON = re.compile(r"\b(?:I|I'm|I've|I'll|me|my|we|We|we've|We've|our|Our|us)\b")
_LOWER_FIRST = _words(
    """The A An It This That These Those There We They He She You All Some Many Most No
    Nothing Everything Everyone Nobody Our My Their His Her Its Now Here"""
)
_EDGE = " \t\n\"'“”‘’«»,;:-—–"
_CLAUSE_WORDS = _words("who which that if when because whom whose where while")
MAX_SUBJECT_WORDS = 8
UNRESOLVED = "depends on an earlier sentence"
OPINION = "an opinion (thinks, believes, should)"
NO_SPEAKER = "quotation without a speaker"


@dataclass(frozen=True)
class Attributed:
    """A candidate's suggested statement, its claimant, and why it may not stand alone."""

    statement: str
    claimant: str
    quoted: bool
    problem: str = ""


def _quoted_spans(text: str) -> list[tuple[int, int]]:
    """Return the inner spans of quotations in `text` (an unclosed one runs to the end)."""
    spans, open_at, straight = [], None, False
    for m in _QUOTE_MARK.finditer(text):
        i, ch = m.start(), m.group()
        if open_at is None:
            if ch in _QUOTE_OPEN:
                open_at, straight = i + 1, ch == '"'
        elif (straight and ch == '"') or (not straight and ch in "”»"):
            spans.append((open_at, i))
            open_at = None
    if open_at is not None:
        spans.append((open_at, len(text)))
    return spans


def _outside(pos: int, spans: list[tuple[int, int]]) -> bool:
    return not any(a - 1 <= pos <= b for a, b in spans)


def _lower_first(text: str) -> str:
    first = text.split(" ", 1)[0].rstrip(",")
    return text[0].lower() + text[1:] if first in _LOWER_FIRST else text


def _names(people: list[Person]) -> str:
    names = [p.short for p in people]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


class Attributor:
    """Attribute the candidates of one article body."""

    def __init__(self, body: str, outlet: str = ""):
        self.body = body
        self.outlet = outlet
        self.people = People(body)
        self._previous: tuple[int, int] | None = None

    # -- who said it ---------------------------------------------------------------

    def resolve(self, who: str, at: int, start: int, loose: bool = False
                ) -> tuple[str, str] | None:
        """Return (claimant, short name) for a speaker phrase found at body offset `at`.

        A lower-case phrase ("officials") is a speaker only when `loose` (after a quotation,
        at the end of a sentence, or after "according to").
        """
        who = who.strip(_EDGE)
        low = who.lower()
        if not who:
            return None
        inside = self.people.within(at, at + len(who))
        if inside:
            p = inside[0].person
            return p.full, p.short
        if low in ("he", "she", "him", "her") or _description(who):
            p = self.people.before(start, self._previous, low)
            return (p.full, p.short) if p else None
        if low in ("they", "them"):
            group = self.people.group_before(start)
            return (_names(group), _names(group)) if group else None
        first = who.split()[0]
        if len(who.split()) > 5 or first.lower() in _CLAUSE_WORDS:
            return None
        if not (loose or first[:1].isupper() or first.lower() == "the"):
            return None
        phrase = who[0].upper() + who[1:]
        return phrase, who

    def _leading(self, text: str, base: int, quotes) -> tuple[int, int, tuple[str, str]] | None:
        """Find "SUBJECT said ..." at depth 0; return (subject start, verb start, speaker)."""
        for m in _SPEECH.finditer(text):
            if not _outside(m.start(), quotes) or _PASSIVE.search(text, 0, m.start()):
                continue
            head = text[: m.start()]
            cut = 0
            for sep in (", ", ": "):
                j = head.rfind(sep)
                if j >= 0 and _outside(j, quotes) and " -- " not in head[j:]:
                    cut = max(cut, j + len(sep))
            subject = head[cut:].strip()
            if " -- " in subject:  # "Omarova -- who received ... -- said"
                subject = subject.split(" -- ", 1)[0]
            words = subject.split()
            if not words or len(words) > MAX_SUBJECT_WORDS:
                continue
            if _CLAUSE_WORDS & {w.lower() for w in words} or subject[0] in _QUOTE_CHARS:
                continue
            found = self.resolve(subject, base + cut, base)
            if found:
                return cut, m.start(), found
        return None

    # -- statements ------------------------------------------------------------------

    def attribute(self, spans: list[tuple[int, int]]) -> list[Attributed]:
        """Return one Attributed per (start, end) span, in the same order."""
        out: list[Attributed] = []
        speakers: list[tuple[str, str] | None] = []
        for k, (a, b) in enumerate(spans):
            self._previous = spans[k - 1] if k else None
            text = self.body[a:b]
            opener = _OPENER.match(text)
            skip = opener.end() if opener else 0
            s = text[skip:]
            quotes = _quoted_spans(s)
            speaker, kind, lead = self._speaker(s, a + skip, quotes)
            quoted = bool(quotes) and (
                s[:1] in _QUOTE_OPEN or kind == "trail-quote" or bool(_LEAD_QUOTE.search(s))
            ) and any(len(s[qa:qb].split()) >= 3 and s[qa:qb].strip()[:1].isupper()
                      for qa, qb in quotes)
            if quoted and speaker is None:
                speaker = self._neighbour(k, spans, speakers)
            speakers.append(speaker if quoted or kind else None)
            if quoted:
                out.append(self._quoted(s, self._said_quotes(s, quotes, kind, lead), speaker))
            else:
                out.append(self._reported(s, a + skip, quotes, speaker, kind, lead))
        return out

    def _speaker(self, s: str, base: int, quotes):
        """Return (speaker, kind, leading match) of one candidate's text."""
        m = _ACCORDING.search(s) if "ccording to" in s else None
        if m and _outside(m.start(), quotes):
            found = self.resolve(m.group("who"), base + m.start("who"), base, loose=True)
            if found:
                return found, "according", m
        for m in _TRAIL_QUOTE.finditer(s) if quotes else ():
            found = self.resolve(m.group("who"), base + m.start("who"), base, loose=True)
            if found:
                return found, "trail-quote", m
        lead = self._leading(s, base, quotes)
        if lead:
            return lead[2], "lead", lead
        m = _TRAIL_PLAIN.search(s)
        if m and _outside(m.start(), quotes):
            found = self.resolve(m.group("who"), base + m.start("who"), base, loose=True)
            if found:
                return found, "trail", m
        return None, "", None

    def _neighbour(self, k: int, spans, speakers) -> tuple[str, str] | None:
        """Find a quotation's speaker in the neighbouring sentences of its paragraph."""
        a, b = spans[k]
        if k > 0 and speakers[k - 1] and "\n" not in self.body[spans[k - 1][1] : a]:
            return speakers[k - 1]
        if k + 1 < len(spans) and "\n" not in self.body[b : spans[k + 1][0]]:
            nxt = self.body[spans[k + 1][0] : spans[k + 1][1]]
            m = _TRAIL_QUOTE.search(nxt) or re.match(rf"^\s*(?P<who>he|she)\s+{SPEECH}", nxt)
            if m:
                found = self.resolve(m.group("who"), spans[k + 1][0] + m.start("who"), a)
                if found:
                    return found
        if k > 0:
            prev = self.body[spans[k - 1][0] : spans[k - 1][1]]
            if _SPEECH.search(prev) or prev.rstrip().endswith(":"):
                inside = self.people.within(*spans[k - 1])
                if inside:
                    return inside[-1].person.full, inside[-1].person.short
        return None

    @staticmethod
    def _said_quotes(s: str, quotes, kind: str, lead) -> list[tuple[int, int]]:
        """Keep the quotations the speech verb introduces (not titles quoted on the way)."""
        if kind == "lead":
            after = [q for q in quotes if q[0] > lead[1]]
            return after or quotes
        if kind == "trail-quote":
            before = [q for q in quotes if q[1] <= lead.start() + 2]
            return before or quotes
        return quotes

    def _quoted(self, s: str, quotes, speaker) -> Attributed:
        found = self._quoted_statement(s, quotes, speaker)
        if not found.problem and _NORMATIVE.search(found.statement):
            return Attributed(found.statement, found.claimant, True, OPINION)
        return found

    def _quoted_statement(self, s: str, quotes, speaker) -> Attributed:
        parts = [s[qa:qb].strip().rstrip(",;:").strip() for qa, qb in quotes]
        parts = [p for p in parts if len(p.split()) >= 2] or [p for p in parts if p]
        content = " ".join(parts).strip(" ,;:")
        if content.endswith(".") and not content.endswith(".."):
            content = content[:-1]
        if speaker is None:
            return Attributed(content[:1].upper() + content[1:], "", True, NO_SPEAKER)
        claimant, short = speaker
        if _FIRST_PERSON.search(content):
            return Attributed(f"{short} said: “{content}”", claimant, True)
        return Attributed(f"{short} said {_lower_first(content)}", claimant, True)

    def _reported(self, s: str, base: int, quotes, speaker, kind: str, lead) -> Attributed:
        problem = ""
        if kind == "according":
            rest = (s[: lead.start()] + s[lead.end() :]).strip(_EDGE)
            if len(rest.split()) >= 4:
                s = rest
        elif kind == "trail":
            rest = s[: lead.start()]
            if len(rest.split()) >= 4:
                s = rest
        elif kind == "lead":
            cut, _, (_, short) = lead
            subject = s[cut : lead[1]].strip()
            if _BELIEF.match(s, lead[1]):
                problem = OPINION
            if cut == 0 and _PRONOUN.match(subject):
                s = short + " " + s[lead[1] :]
            elif cut == 0 and _description(subject):
                age = _AGE.search(subject)
                s = (f"{short}, {age.group(1)}, " if age else short + " ") + s[lead[1] :]
        s = s.strip()
        m = _PRONOUN.match(s)
        if m:
            s, problem = self._replace_pronoun(s, m, base)
        else:
            d = _description(s)
            if d:
                who = self.people.before(base, self._previous)
                if who:
                    s = _standin(s[:d], who) + s[d:]
        if not quotes and any(h in s for h in _HEDGE_HINTS):
            s = _HEDGES.sub("", s)
        s = s.strip(_EDGE)
        if s.endswith(".") and not s.endswith(".."):
            s = s[:-1].rstrip(_EDGE)
        if not s:
            s = self.body[base : base + 1]
        s = s[0].upper() + s[1:]
        if s.count('"') % 2:  # the closing mark went with the full stop: put it back
            s += '"'
        elif s.count("“") > s.count("”"):
            s += "”"
        if s.split(" ", 1)[0] in ("It", "Its", "This", "These", "That"):
            problem = UNRESOLVED
        claimant = speaker[0] if speaker else self.outlet
        return Attributed(s, claimant, False, problem)

    def _replace_pronoun(self, s: str, m: re.Match, base: int) -> tuple[str, str]:
        word = m.group("p")
        if word in ("They", "Their", "Them"):
            group = self.people.group_before(base)
            if not group:
                return s, UNRESOLVED
            name = _names(group)
            return (name + "'s" if word == "Their" else name) + s[m.end() :], ""
        who = self.people.before(base, self._previous, word)
        if who is None:
            return s, UNRESOLVED
        name = who.short + "'s" if word in ("His",) else who.short
        if word == "Her":  # "Her dog ..." is possessive; "Her" as an object cannot lead
            name = who.short + "'s"
        return name + s[m.end() :], ""
