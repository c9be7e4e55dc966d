"""Live updates by polling: a cheap newest-event check answers 204 when nothing changed."""

from __future__ import annotations

from flask import Blueprint, make_response, render_template, request

from annotator.db import get_session
from annotator.permissions import requires
from annotator.sanitize import bounded_int
from annotator.services import blind, events, marks
from annotator.services import claims as claim_service
from annotator.web.helpers import hx_response, render, user

bp = Blueprint("live", __name__)


def _since() -> int:
    value = request.args.get("since", "0")
    return bounded_int(value) or 0


def _nothing_new():
    return make_response("", 204)


@bp.route("/claims/<int:claim_id>/live")
@requires("read")
def claim(claim_id: int):
    """Tell the viewer that a teammate changed the claim: who, and what.

    The panel is never swapped under the reader: the notice offers to show the change, and
    text typed but not saved stays where it is (saving it shows both versions).
    """
    db = get_session()
    claim_service.read_claim(db, claim_id)
    latest = events.latest_event_id(db, claim_id=claim_id)
    if latest <= _since():
        return _nothing_new()
    last = events.event_with_actor(db, latest)
    return hx_response(render_template(
        "live/_claim_notice.html", claim_id=claim_id, latest=latest,
        who=last[1] if last else None, event=last[0] if last else None,
        dirty=request.args.get("dirty") == "1"),
        retarget="#claim-live", reswap="outerHTML")


@bp.route("/articles/<int:article_id>/live")
@requires("read")
def article(article_id: int):
    """Send the claim-list entries that changed since the given event, out of band."""
    db = get_session()
    since = _since()
    latest = events.latest_event_id(db, article_id=article_id)
    if latest <= since:
        return _nothing_new()
    claims = events.claims_changed_since(db, article_id, since)
    hidden = blind.hidden_claim_ids(db, user(), [c.id for c in claims])
    return render("live/_article.html", "live/_article.html", article_id=article_id,
                  latest=latest, changed=claims, hidden=hidden,
                  marks=marks.for_claims(db, [c.id for c in claims]))
