"""Checked before? The matches API: earlier fact-checks that look like a claim or a text."""

from __future__ import annotations

from flask import abort, jsonify, request

from annotator.api.blueprint import bp
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


def _answer(found: list[matching.Match]):
    items = [m.as_dict() for m in found]
    return jsonify({"items": items, "total": len(items)})


@bp.get("/claims/<int:claim_id>/matches")
@requires("read")
def claim_matches(claim_id: int):
    """List earlier fact-checks (desk and external) that look like this claim, best first."""
    db = get_session()
    claim = claim_service.get_claim(db, claim_id)
    return _answer(matching.matches_for_claim(db, claim, limit=_limit()))


@bp.get("/matches")
@requires("read")
def text_matches():
    """List earlier fact-checks that look like the text in ?q=, best first."""
    query = (request.args.get("q") or "").strip()
    if not query:
        abort(400, description="Give the claim's text as ?q=.")
    if len(query) > MAX_QUERY:
        abort(400, description=f"q has at most {MAX_QUERY} characters.")
    return _answer(matching.matches_for_text(get_session(), query, limit=_limit()))
