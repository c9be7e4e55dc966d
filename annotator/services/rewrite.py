"""How a statement was made and what cleaning took out: undo a step, restore a line.

Undoing a rewrite step is an edit of the statement through the normal write path (version
check, permissions, an "edit" event) plus an "undo_step" event naming the step. Restoring
a line the cleaner removed is a text correction (claims re-anchor, "correct_body" event)
plus a "restore_line" event.
"""

from __future__ import annotations

from sqlmodel import Session

from annotator import extract
from annotator.extract import attribution
from annotator.extract import rewrite as rw
from annotator.models import Article, Claim, User
from annotator.services import claims as claim_service
from annotator.services import events, spans
from annotator.services.errors import Conflict, Invalid, NotFound


def _index(value, items: list, what: str) -> int:
    try:
        index = int(value)
    except (TypeError, ValueError):
        raise Invalid(f"Say which {what} by its number.") from None
    if not 0 <= index < len(items):
        raise NotFound(f"No such {what}.")
    return index


def steps_apply(claim: Claim) -> bool:
    """Tell whether the claim's statement is still what its steps make of its quote (a
    statement edited by hand since keeps its steps for the record, but they cannot be
    undone one by one)."""
    steps = list(claim.rewrite or [])
    return bool(steps) and rw.apply_steps(claim.quote, steps) == claim.statement


def undo_step(session: Session, user: User, claim_id: int, index, version) -> Claim:
    """Undo one rewrite step of a claim's statement; the other steps still apply."""
    claim = claim_service.get_claim(session, claim_id)
    steps = list(claim.rewrite or [])
    i = _index(index, steps, "rewrite step")
    if not steps_apply(claim):
        raise Conflict("The statement was edited by hand since it was written: edit it "
                       "directly instead.", claim)
    statement, kept = rw.without_step(claim.quote, steps, i)
    if not statement.strip():
        raise Invalid("Undoing this step would leave the statement empty.")
    claim = claim_service.update_claim(session, user, claim_id, version,
                                       {"statement": statement})
    claim.rewrite = kept
    session.add(claim)
    events.record(session, "undo_step", actor=user, article_id=claim.article_id,
                  claim_id=claim.id, old={"step": steps[i]}, new={"statement": statement})
    session.flush()
    return claim


def suggested_claimant(article: Article, start: int, end: int) -> str:
    """Return who made the claim in body[start:end], by the same attribution step the
    import uses (a speaker, "according to", a quotation's speaker), or the article's
    outlet; "" when it names nobody by name (a suggestion nobody asked for is a name, never
    a description such as "the minister")."""
    return attribution.suggested_claimant(article.body, article.byline or article.outlet or "",
                                          article.published, start, end)


def cleaned_lines(article: Article) -> list[dict]:
    """Return the lines the cleaner took out of an article, each with its index."""
    return [{"index": i, **line} for i, line in enumerate(article.cleaned_away or [])]


def restore_line(session: Session, user: User, article_id: int, index, version) -> dict:
    """Put a removed line back into the article's text; its claims re-anchor."""
    article = session.get(Article, article_id)
    if article is None:
        raise NotFound("No such article.")
    lines = list(article.cleaned_away or [])
    i = _index(index, lines, "removed line")
    line = lines[i]
    before = article.body
    body = extract.restore_line(before, line["text"], int(line.get("at", len(before))))
    result = spans.correct_body(session, user, article_id, body, version)
    # Where the text grew, and by how much: the other removed lines' places move with it.
    at = next((k for k, (a, b) in enumerate(zip(before, body, strict=False)) if a != b),
              len(before))
    grown = len(body) - len(before)
    rest = []
    for k, other in enumerate(lines):
        if k == i:
            continue
        other = dict(other)
        if int(other.get("at", 0)) >= at and (int(other.get("at", 0)) > at or k > i):
            other["at"] = int(other.get("at", 0)) + grown
        rest.append(other)
    article = session.get(Article, article_id)
    article.cleaned_away = rest
    session.add(article)
    events.record(session, "restore_line", actor=user, article_id=article_id,
                  old={"line": line}, new={"moved": result["moved"],
                                           "orphaned": result["orphaned"]})
    session.flush()
    return result
