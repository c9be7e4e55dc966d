"""API endpoints for exchange: streamed exports, one ClaimReview, JSON import, OpenAPI."""

from __future__ import annotations

from flask import Response, abort, current_app, g, jsonify, request, stream_with_context

from annotator.api import bp
from annotator.api.openapi import openapi_document
from annotator.db import engine_for, get_session, new_session
from annotator.exports import FORMATS, filename, run_export
from annotator.exports.claimreview import single_claimreview
from annotator.exports.json_import import import_json
from annotator.exports.rows import filters_from_query
from annotator.services import blind
from annotator.services import claims as claim_service
from annotator.services.errors import ServiceError

MAX_DB_ID = 2**63 - 1


def stream_export(fmt_name: str, args) -> Response:
    """Answer with the export streamed from its own session (the body outlives the request)."""
    fmt = FORMATS.get(fmt_name)
    if fmt is None:
        abort(404, description=f"Unknown export format; use one of {', '.join(FORMATS)}.")
    try:
        filters = filters_from_query(args)
    except ValueError as exc:
        abort(400, description=str(exc))
    # Blind second review: what this reader may not see stays out of the file too.
    filters.hidden = blind.hidden_claim_ids(get_session(), g.user)
    engine = engine_for(current_app)
    base_url, desk = current_app.config["PUBLIC_BASE_URL"], current_app.config["DESK_NAME"]

    def generate():
        session = new_session(engine)
        try:
            for chunk in run_export(session, fmt.name, filters, base_url=base_url,
                                    desk_name=desk):
                yield chunk.encode("utf-8")
        finally:
            session.close()

    return Response(stream_with_context(generate()), mimetype=None,
                    content_type=fmt.media_type if "charset" in fmt.media_type
                    else f"{fmt.media_type}; charset=utf-8",
                    headers={"Content-Disposition":
                             f'attachment; filename="{filename(fmt, filters)}"'})


@bp.get("/exports/<fmt>")
def export(fmt: str):
    """Stream an export: json, claimreview, wadm or csv, with the same filters as the CLI."""
    return stream_export(fmt, request.args)


@bp.get("/claims/<int:claim_id>/claimreview")
def claimreview(claim_id: int):
    """Return one approved claim's ClaimReview JSON-LD."""
    if claim_id > MAX_DB_ID:  # the database cannot even look it up
        abort(404, description="No such claim.")
    db = get_session()
    try:
        claim = claim_service.get_claim(db, claim_id)
    except ServiceError as exc:
        return jsonify({"error": exc.message, "detail": None}), exc.status
    doc = single_claimreview(db, claim, base_url=current_app.config["PUBLIC_BASE_URL"],
                             desk_name=current_app.config["DESK_NAME"])
    if doc is None:
        return jsonify({"error": "Only approved claims have a ClaimReview.",
                        "detail": {"state": claim.state}}), 404
    response = jsonify(doc)
    response.mimetype = "application/ld+json"
    return response


@bp.post("/imports/json")
def import_export():
    """Load a native JSON export (the request body) in one transaction."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        abort(400, description="Send an annotator export with Content-Type: application/json.")
    db = get_session()
    try:
        report = import_json(db, data, actor=g.user)
        db.commit()
    except ServiceError as exc:
        db.rollback()
        detail = {"article_id": exc.detail} if isinstance(exc.detail, int) else None
        return jsonify({"error": exc.message, "detail": detail}), exc.status
    return jsonify({"articles": report.articles, "claims": report.claims,
                    "sources": report.sources, "notes": report.notes, "events": report.events,
                    "verdicts": report.verdicts, "people_created": report.people_created,
                    "renumbered": report.renumbered,
                    "article_ids": {str(k): v for k, v in report.article_ids.items()}}), 201


@bp.get("/openapi.json")
def openapi():
    """Describe this API as OpenAPI 3 (public: no token needed)."""
    response = jsonify(openapi_document(current_app.config["PUBLIC_BASE_URL"]))
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response
