"""Send to the desk: import a page someone is reading and make their selection a claim.

The bookmarklet (or a plain link) gives the page's URL and the selected text; the article is
fetched and imported as any URL import, then the selection is found in the cleaned text and
made into a claim (an existing claim on exactly that span is used instead, accepted if
it was only proposed or set aside).
"""

from __future__ import annotations

import re

from sqlmodel import Session, select

from annotator import extract, review
from annotator.models import Claim, User
from annotator.services import claims as claim_service

MAX_QUOTE = 2000


def locate(body: str, quote: str) -> tuple[int, int] | None:
    """Find the selected text in the article's body, whatever its white space and quotes."""
    quote = " ".join((quote or "").split())[:MAX_QUOTE]
    if len(quote) < 3:
        return None
    start = body.find(quote)
    if start >= 0:
        return start, start + len(quote)
    # A selection's line breaks and spaces rarely match the cleaned text's: any white space
    # matches any, and typographic quotes match plain ones.
    parts = []
    for ch in quote:
        if ch == " ":
            parts.append(r"\s+")
        elif ch in "'‘’":
            parts.append("['‘’]")
        elif ch in '"“”':
            parts.append('["“”]')
        else:
            parts.append(re.escape(ch))
    match = re.search("".join(parts), body, re.IGNORECASE)
    return (match.start(), match.end()) if match else None


def claim_from_quote(session: Session, user: User, article, quote: str) -> Claim | None:
    """Make the selected text a claim of the article; None if it is not in the text."""
    span = locate(article.body, quote)
    if span is None:
        return None
    start, end = extract.trim_span(article.body, *span)
    existing = session.exec(select(Claim).where(Claim.article_id == article.id,
                                                Claim.start == start,
                                                Claim.end == end)).first()
    if existing is not None:
        # Someone chose this sentence: a machine proposal (even one set aside) becomes a claim.
        if existing.state == review.DISMISSED:
            claim_service.transition(session, user, existing.id, review.RESTORE)
        if existing.state in (review.PROPOSED, review.HELD_BACK):
            # A sentence the proposal budget held back is accepted as a proposal would be.
            claim_service.transition(session, user, existing.id, review.ACCEPT)
        return existing
    return claim_service.create_claim(session, user, article.id, start, end)
