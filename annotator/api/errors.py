"""The API's one error path: every refusal answers {"error": <status phrase>, "detail": ...}.

``detail`` is never empty: a sentence saying what went wrong, or for a 409 on a claim the
current claim with the sentence as ``detail.reason``.
"""

from __future__ import annotations

from flask import g, jsonify, request
from werkzeug.http import HTTP_STATUS_CODES

from annotator.db import get_session
from annotator.services import documents
from annotator.services.errors import ServiceError


def error_body(status: int, detail) -> dict:
    """Return the error document for a status: its HTTP phrase and the detail."""
    return {"error": HTTP_STATUS_CODES.get(status, "Error"), "detail": detail}


def service_error(exc: ServiceError):
    """Answer a refused request: roll back what it did, then say why."""
    db = get_session()
    db.rollback()
    detail = _conflict_detail(exc) if exc.status == 409 else exc.message
    return jsonify(error_body(exc.status, detail)), exc.status


def _conflict_detail(exc: ServiceError) -> dict:
    claim_id = (request.view_args or {}).get("claim_id")
    if claim_id is not None:
        try:
            current = documents.claim_document(get_session(), g.get("user"), claim_id)
        except ServiceError:
            current = None
        if current is not None:
            return current | {"reason": exc.message}
    if isinstance(exc.detail, int) and not isinstance(exc.detail, bool):
        return {"article_id": exc.detail, "reason": exc.message}
    return {"reason": exc.message}
