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

from annotator.extract import rewrite as rw
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
DATELINE_PARAGRAPHS = 4  # a dateline opens one of the article's first paragraphs
# Words that make a capitalised name an organisation, an event or a place, not a person.
_NOT_PERSON = _words(
    """Festival Party Republican Republicans Democrat Democrats Times News Company Inc Corp
    Group Bank University College School Council Ministry Department Agency Association
    Foundation Institute Center Centre Committee Commission Court Club League Union
    Airlines Motors Post Journal Network Television Radio Press Service Services Office House
    States Kingdom Republic Protection County City Valley Francisco Angeles York""")
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
    # The named steps from the quote to the statement (see rewrite.py), in order.
    steps: tuple = ()
    # Short questions a reader needs answered for the statement to stand alone.
    needs_context: tuple = ()


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


def _is_person(person: Person | None, people: People, marked: bool = True) -> bool:
    """Tell whether a found name is a person's: named in full, marked as a person by a
    title, a role or a speech verb (unless not `marked`), and not a party, a body or a
    place."""
    return (person is not None and " " in person.full
            and (person.short in people.strong or not marked)
            and not any(w in _NOT_PERSON for w in person.full.split()))


def _names(people: list[Person]) -> str:
    names = [p.short for p in people]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


class Attributor:
    """Attribute the candidates of one article body."""

    def __init__(self, body: str, outlet: str = "", published=None):
        self.body = body
        self.outlet = outlet
        self.published = published
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
            steps: list[dict] = []
            skip = 0
            at_paragraph = (a == 0 or self.body[a - 1 : a] == "\n") and (
                self.body.count("\n\n", 0, a) < DATELINE_PARAGRAPHS)
            found_dateline = rw.dateline(text) if at_paragraph else None
            if found_dateline:
                steps.append(rw.step(rw.DATELINE, found_dateline[0], ""))
                skip = len(found_dateline[0])
            opener = _OPENER.match(text, skip)
            if opener:
                steps.append(rw.step(rw.OPENER, text[skip : opener.end()], ""))
                skip = opener.end()
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
                found = self._quoted(s, self._said_quotes(s, quotes, kind, lead), speaker)
            else:
                found = self._reported(s, a + skip, quotes, speaker, kind, lead)
            out.append(self._finish(text, steps, found, found_dateline))
        return out

    def _finish(self, text: str, steps: list[dict], found: Attributed,
                found_dateline) -> Attributed:
        """Add the dates, the dateline's place and the open questions; check the claimant."""
        steps = steps + list(found.steps)
        running = text
        for st in steps:
            running = rw.apply_one(running, st)
        times = rw.resolve_times(running, self.published)
        steps += times
        for st in times:
            running = rw.apply_one(running, st)
        if found_dateline:
            steps.append(rw.step(rw.PLACE, "", f" ({found_dateline[1]})"))
        statement = rw.apply_steps(text, steps)
        questions = list(found.needs_context)
        word = rw.dangling(statement)
        if word and not questions:
            questions.append(rw.question_for(word))
        if self.published is None:
            questions += rw.relative_questions(statement)
        questions += rw.place_questions(statement)
        problem = found.problem or (UNRESOLVED if word else "")
        return Attributed(statement, rw.claimant_name(found.claimant), found.quoted, problem,
                          tuple(steps), tuple(dict.fromkeys(questions)))

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
            return Attributed(found.statement, found.claimant, True, OPINION, found.steps)
        return found

    def _quoted_statement(self, s: str, quotes, speaker) -> Attributed:
        parts = [s[qa:qb].strip().rstrip(",;:").strip() for qa, qb in quotes]
        parts = [p for p in parts if len(p.split()) >= 2] or [p for p in parts if p]
        content = " ".join(parts).strip(" ,;:")
        if content.endswith(".") and not content.endswith(".."):
            content = content[:-1]
        if speaker is None:
            text = content[:1].upper() + content[1:]
            steps = (rw.step(rw.QUOTATION, s, text),) if text != s else ()
            return Attributed(text, "", True, NO_SPEAKER, steps,
                              ("who said this?",))
        claimant, short = speaker
        if _FIRST_PERSON.search(content):
            text = f"{short} said: “{content}”"
        else:
            text = f"{short} said {_lower_first(content)}"
        return Attributed(text, claimant, True, "", (rw.step(rw.QUOTATION, s, text),))

    def _reported(self, s: str, base: int, quotes, speaker, kind: str, lead) -> Attributed:
        problem = ""
        steps: list[dict] = []
        questions: list[str] = []
        if kind == "according":
            rest = (s[: lead.start()] + s[lead.end() :]).strip(_EDGE)
            if len(rest.split()) >= 4:
                steps.append(rw.step(rw.ATTRIBUTION, s[lead.start() : lead.end()], ""))
        elif kind == "trail":
            rest = s[: lead.start()]
            if len(rest.split()) >= 4:
                steps.append(rw.step(rw.ATTRIBUTION, s[lead.start() :], ""))
        elif kind == "lead":
            cut, _, (full, short) = lead
            subject = s[cut : lead[1]].strip()
            if _BELIEF.match(s, lead[1]):
                problem = OPINION
            if cut == 0 and _PRONOUN.match(subject) and subject.lower() != short.lower():
                if _is_person(Person(full, short), self.people):
                    steps += self._pronoun_step(s, subject, short)
            elif cut == 0 and _description(subject):
                age = _AGE.search(subject)
                name = f"{short}, {age.group(1)}," if age else short
                steps.append(rw.step(rw.DESCRIPTION, s[: lead[1]].rstrip(), name))
        text = s
        for st in steps:
            text = rw.apply_one(text, st)
        lead_text = text.lstrip(_EDGE)
        m = _PRONOUN.match(lead_text)
        if m:
            more, question = self._replace_pronoun(lead_text, m, base)
            steps += more
            if question:
                questions.append(question)
                problem = UNRESOLVED
            elif m.group("p") in ("He", "She") and _SPEECH.search(" ".join(
                    lead_text[m.end() :].split()[:3])):
                # "He’d previously told reporters ...": the person named is the speaker.
                who = self.people.before(base, self._previous, m.group("p"))
                speaker = (who.full, who.short) if who else speaker
        else:
            d = _description(lead_text)
            if d:
                who = self.people.before(base, self._previous)
                if _is_person(who, self.people):
                    steps.append(rw.step(rw.DESCRIPTION, lead_text[:d],
                                         _standin(lead_text[:d], who)))
        text = s
        for st in steps:
            text = rw.apply_one(text, st)
        if not quotes and any(h in text for h in _HEDGE_HINTS):
            steps += [rw.step(rw.HEDGE, h.group(), "") for h in _HEDGES.finditer(text)]
        claimant = speaker[0] if speaker else self.outlet
        return Attributed(rw.apply_steps(s, steps), claimant, False, problem, tuple(steps),
                          tuple(questions))

    @staticmethod
    def _pronoun_step(s: str, subject: str, short: str) -> list[dict]:
        """Replace a leading pronoun subject ("He told ...") by the speaker's name."""
        end = len(subject)
        c = rw.contraction_after(s, end)
        if c:
            aux = rw.expand(c.group("c"), s[c.end() :])
            if aux is None:
                return []
            return [rw.step(rw.PRONOUN, s[: c.end()], f"{short} {aux}")]
        return [rw.step(rw.PRONOUN, s[:end], short)]

    def _replace_pronoun(self, s: str, m: re.Match, base: int) -> tuple[list[dict], str]:
        """Return the steps naming a leading pronoun's person, or the question to ask."""
        word = m.group("p")
        if word in ("They", "Their", "Them"):
            group = self.people.group_before(base)
            if not group or not (all(_is_person(p, self.people, False) for p in group)
                                 and any(_is_person(p, self.people) for p in group)):
                return [], rw.question_for(word.lower())
            name = _names(group)
            return [rw.step(rw.PRONOUN, s[: m.end()],
                            name + "'s" if word == "Their" else name)], ""
        who = self.people.before(base, self._previous, word)
        # Only a person named in full (first and last name) stands in for a pronoun: never
        # a party, a place or an outlet that happens to be capitalised.
        if not _is_person(who, self.people):
            return [], rw.question_for(word.lower())
        if word in ("His", "Her"):  # "Her dog ..." is possessive; "Her" cannot lead as object
            return [rw.step(rw.PRONOUN, s[: m.end()], who.short + "'s")], ""
        c = rw.contraction_after(s, m.end())
        if c:
            aux = rw.expand(c.group("c"), s[c.end() :])
            if aux is None:
                return [], rw.question_for(word.lower())
            return [rw.step(rw.PRONOUN, s[: c.end()], f"{who.short} {aux}")], ""
        return [rw.step(rw.PRONOUN, s[: m.end()], who.short)], ""


def suggested_claimant(body: str, outlet: str, published, start: int, end: int) -> str:
    """Return who made the claim in body[start:end], by the same attribution step the
    import uses (a speaker, "according to", a quotation's speaker), or the outlet; "" when
    it names nobody by name (a suggestion is a name, never a description such as "the
    minister")."""
    found = Attributor(body, outlet, published).attribute([(start, end)])
    claimant = found[0].claimant
    return claimant[:300] if rw.proper_name(claimant) else ""
