"""Checked before? The matches API: earlier fact-checks that look like a claim or a text."""

from __future__ import annotations

from flask import abort, g, jsonify, request

from annotator.api.blueprint import bp, json_object
from annotator.db import get_session
from annotator.permissions import requires
from annotator.services import claims as claim_service
from annotator.services import matching

MAX_QUERY = 2000


def _limit() -> int:
    raw = request.args.get("limit", "5")
    try:
        value = int(raw)
    except ValueError:
        abort(400, description="limit must be a whole number.")
    if not 1 <= value <= matching.MAX_LIMIT:
        abort(400, description=f"limit must be between 1 and {matching.MAX_LIMIT}.")
    return value


def _tier() -> str | None:
    value = request.args.get("tier", "").strip()
    if value and value not in matching.TIERS:
        abort(400, description=f"tier must be one of {', '.join(matching.TIERS)}.")
    return value or None


def _answer(found: list[matching.Match]):
    items = [m.as_dict() for m in found]
    return jsonify({"items": items, "total": len(items)})


@bp.get("/claims/<int:claim_id>/matches")
@requires("read")
def claim_matches(claim_id: int):
    """List earlier fact-checks (desk and external) that look like this claim, best first.

    Each has its `tier`: `same` or `related`; ?tier= keeps one. Pairs a reviewer marked
    "not the same claim" are left out.
    """
    db = get_session()
    claim = claim_service.read_claim(db, claim_id)
    return _answer(matching.matches_for_claim(db, claim, limit=_limit(), tier=_tier()))


@bp.post("/claims/<int:claim_id>/matches/reject")
@requires("review")
def reject_match(claim_id: int):
    """Mark one match "not the same claim": hidden from this claim from then on."""
    data = json_object()
    kind, ref = data.get("kind"), data.get("ref")
    if not isinstance(kind, str) or isinstance(ref, bool) or not isinstance(ref, (int, str)):
        abort(400, description='Send {"kind": "desk" or "external", "ref": <its id>}.')
    db = get_session()
    value = matching.reject_match(db, g.user, claim_id, kind, ref)
    db.commit()
    return jsonify(value)


@bp.get("/matches")
@requires("read")
def text_matches():
    """List earlier fact-checks that look like the text in ?q=, best first."""
    query = (request.args.get("q") or "").strip()
    if not query:
        abort(400, description="Give the claim's text as ?q=.")
    if len(query) > MAX_QUERY:
        abort(400, description=f"q has at most {MAX_QUERY} characters.")
    return _answer(matching.matches_for_text(get_session(), query, limit=_limit(),
                                             tier=_tier()))
