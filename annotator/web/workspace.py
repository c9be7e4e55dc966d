"""The article workspace both article and claim views render: the article page with its
highlighted text and claim list, and the claim panel's context.

Shared by ``web.articles`` (the page) and ``web.claims`` (the panel, which falls back to the
whole page without htmx), so neither imports the other.
"""

from __future__ import annotations

from flask import request

from annotator.db import get_session
from annotator.models import Claim
from annotator.services import articles as article_service
from annotator.services import blind, events, marks
from annotator.services import claims as claim_service
from annotator.services import panel as panel_service
from annotator.web import present
from annotator.web.helpers import render, user


def panel_context(claim: Claim, *, error: str | None = None, conflict: dict | None = None,
                  draft: dict | None = None, failed: str | None = None,
                  field: str | None = None, saved: str | None = None,
                  saved_form: str | None = None) -> dict:
    """Gather everything the claim panel shows: the service's reads plus this request's state.

    ``failed`` names the form a refusal came from ("claim", "source", "source-7", "note",
    "action"), ``draft`` holds what was typed in it and ``field`` the field the message is
    about; ``saved`` is the in-place confirmation of the last write.
    """
    return {**panel_service.claim_panel(get_session(), claim, user()), "error": error,
            "conflict": conflict, "draft": draft or {}, "failed": failed, "field": field,
            "saved": saved, "saved_form": saved_form}


def article_page(article_id: int, claim_id: int | None = None, status: int = 200, **extra):
    """Render the article page, with a claim's panel open when claim_id is given."""
    db = get_session()
    article = article_service.get_article(db, article_id)
    # ?more=1 also lists the sentences the proposal budget held back (state held_back).
    more = request.args.get("more") == "1"
    claims = article_service.article_claims(db, article_id, below_budget=more)
    held_back = 0 if more else len(article_service.below_budget_claims(db, article_id))
    hidden = blind.hidden_claim_ids(db, user(), [c.id for c in claims])
    context = {"article": article, "claims": claims, "hidden": hidden,
               "paragraphs": present.paragraphs(article.body, claims, article.captions, hidden),
               "current_id": claim_id, "claim": None, "held_back": held_back,
               "creators": events.creators(db, [c.id for c in claims if c.origin != "machine"]),
               "marks": marks.for_claims(db, [c.id for c in claims]),
               "latest": events.latest_event_id(db, article_id=article_id)}
    if claim_id is not None:
        panel = panel_context(claim_service.read_claim(db, claim_id), **extra)
        # The panel knows only its own claim: keep the article's other hidden verdicts hidden.
        panel["hidden"] = set(context["hidden"]) | set(panel["hidden"])
        context.update(panel)
    return render("articles/show.html", status=status, **context)
