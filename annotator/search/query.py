"""The search language: words (all must match), "quoted phrases", -excluded, field:value.

`parse` never fails: anything it cannot read becomes plain words, and characters that are
neither letters nor digits only separate words. The compilers emit nothing but quoted
tokens of letters and digits and fixed operators, so user text can never inject syntax.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

FIELDS = ("state", "verdict", "assignee", "article", "claimant")
MAX_TERMS = 16
# A term is a run of letters and digits: what both databases' tokenizers treat as a word.
_TOKEN = re.compile(r"[^\W_]+")
_PART = re.compile(r'(-?)(?:(\w+):)?(?:"([^"]*)"?|(\S+))')


@dataclass(frozen=True)
class Term:
    """A word or a phrase: the tokens that must appear together, in this order."""

    tokens: tuple[str, ...]

    @property
    def is_phrase(self) -> bool:
        return len(self.tokens) > 1


@dataclass
class Query:
    """What to look for: terms that must all match, terms that must not, field filters."""

    include: list[Term] = field(default_factory=list)
    exclude: list[Term] = field(default_factory=list)
    fields: dict[str, list[str]] = field(default_factory=dict)
    # Text was typed but none of it is searchable (only punctuation): nothing matches.
    unmatchable: bool = False

    @property
    def has_text(self) -> bool:
        return bool(self.include or self.exclude)

    @property
    def is_empty(self) -> bool:
        return not (self.has_text or self.fields or self.unmatchable)


def tokens(text: str) -> tuple[str, ...]:
    """Split text into lower-case words of letters and digits."""
    return tuple(t.lower() for t in _TOKEN.findall(text or ""))


def parse(text: str) -> Query:
    """Read a search box's text into a Query."""
    query = Query()
    typed = False
    for match in _PART.finditer(text or ""):
        minus, name, quoted, bare = match.groups()
        value = quoted if quoted is not None else bare
        typed = True
        if name and name.lower() in FIELDS and not minus:
            value = value.strip()
            if value:
                query.fields.setdefault(name.lower(), []).append(value)
            continue
        if name:
            # An unknown field is just more words ("covid:19" searches covid and 19).
            value = f"{name} {value}"
        words = tokens(value)
        if not words:
            continue
        # A quoted text is one phrase; a bare word like "e-mail" is the phrase "e mail".
        term = Term(words)
        target = query.exclude if minus else query.include
        if len(query.include) + len(query.exclude) < MAX_TERMS and term not in target:
            target.append(term)
    if typed and not query.has_text and not query.fields:
        query.unmatchable = True
    return query


def _fts5_term(term: Term) -> str:
    # Double quotes make a phrase; the tokens hold only letters and digits.
    return '"' + " ".join(term.tokens) + '"'


def to_fts5(query: Query, columns: tuple[str, ...] | None = None) -> str:
    """Return an FTS5 MATCH expression, optionally limited to some columns; '' if no text.

    Only the included terms are matched here; excluded terms are returned by
    `to_fts5_any` and subtracted by the caller, because FTS5 has no stand-alone NOT.
    """
    if not query.include:
        return ""
    expr = " AND ".join(_fts5_term(t) for t in query.include)
    if columns:
        return "{" + " ".join(columns) + "} : (" + expr + ")"
    return expr


def to_fts5_any(terms: list[Term], columns: tuple[str, ...] | None = None) -> str:
    """Return an FTS5 expression matching any of the terms; '' if there are none."""
    if not terms:
        return ""
    expr = " OR ".join(_fts5_term(t) for t in terms)
    return "{" + " ".join(columns) + "} : (" + expr + ")" if columns else expr


def _ts_term(term: Term, weights: str) -> str:
    suffix = f":{weights}" if weights else ""
    return "(" + " <-> ".join(f"{t}{suffix}" for t in term.tokens) + ")"


def to_tsquery(terms: list[Term], *, weights: str = "", joiner: str = " & ") -> str:
    """Return text for PostgreSQL's to_tsquery: terms joined by AND (or another operator).

    `weights` limits each lexeme to some weight classes (the columns they were indexed from).
    """
    return joiner.join(_ts_term(t, weights) for t in terms)
