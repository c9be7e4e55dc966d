"""Live updates by polling: a cheap newest-event check answers 204 when nothing changed."""

from __future__ import annotations

from flask import Blueprint, make_response, render_template, request
from sqlmodel import select

from annotator.db import get_session
from annotator.models import Claim, Event, User
from annotator.services import blind, events
from annotator.services import claims as claim_service
from annotator.web.helpers import render, user

bp = Blueprint("live", __name__)


def _since() -> int:
    value = request.args.get("since", "0")
    return int(value) if value.isdigit() else 0


def _nothing_new():
    response = make_response("", 204)
    response.vary.add("HX-Request")
    return response


@bp.route("/claims/<int:claim_id>/live")
def claim(claim_id: int):
    """Re-render the panel when the claim changed, or warn when the viewer has unsaved edits."""
    db = get_session()
    claim_service.get_claim(db, claim_id)
    latest = events.latest_event_id(db, claim_id=claim_id)
    if latest <= _since():
        return _nothing_new()
    if request.args.get("dirty") == "1":
        last = db.exec(select(Event, User).join(User, User.id == Event.actor_id, isouter=True)
                       .where(Event.id == latest)).first()
        response = make_response(render_template(
            "live/_claim_notice.html", claim_id=claim_id, latest=latest,
            who=last[1] if last else None))
        # Keep the panel and the viewer's unsaved text; swap only the notice in.
        response.headers["HX-Retarget"] = "#claim-live"
        response.headers["HX-Reswap"] = "outerHTML"
        return response
    from annotator.web.claims import panel_context

    return render("claims/_panel.html", "claims/_panel.html", oob_item=True,
                  **panel_context(claim_service.get_claim(db, claim_id)))


@bp.route("/articles/<int:article_id>/live")
def article(article_id: int):
    """Send the claim-list entries that changed since the given event, out of band."""
    db = get_session()
    since = _since()
    latest = events.latest_event_id(db, article_id=article_id)
    if latest <= since:
        return _nothing_new()
    changed = db.exec(select(Event.claim_id).where(Event.article_id == article_id,
                                                   Event.id > since,
                                                   Event.claim_id.is_not(None))).all()
    claims = db.exec(select(Claim).where(Claim.id.in_(set(changed)))).all() if changed else []
    hidden = blind.hidden_claim_ids(db, user(), [c.id for c in claims])
    return render("live/_article.html", "live/_article.html", article_id=article_id,
                  latest=latest, changed=claims, hidden=hidden)
