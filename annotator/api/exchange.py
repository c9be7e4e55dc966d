"""API endpoints for exchange: streamed exports, one ClaimReview, JSON import, OpenAPI."""

from __future__ import annotations

from flask import Response, current_app, g, jsonify, request, stream_with_context

from annotator.api.blueprint import bp, json_object
from annotator.api.openapi import openapi_document
from annotator.db import engine_for, get_session
from annotator.exports.claimreview import dumps, single_claimreview
from annotator.permissions import requires
from annotator.services import claims as claim_service
from annotator.services import downloads
from annotator.services.errors import NotFound
from annotator.services.json_import import import_json


@bp.get("/exports/<fmt>")
@requires("export")
def export(fmt: str):
    """Stream an export: json, claimreview, wadm or csv, with the same filters as the CLI."""
    download = downloads.export_download(get_session(), g.user, fmt, request.args,
                                         engine_for(current_app), current_app.config)
    return Response(stream_with_context(download.chunks), content_type=download.content_type,
                    headers=download.headers)


@bp.get("/claims/<int:claim_id>/claimreview")
@requires("export")
def claimreview(claim_id: int):
    """Return one approved claim's ClaimReview JSON-LD."""
    db = get_session()
    claim = claim_service.read_claim(db, claim_id)
    doc = single_claimreview(db, claim, base_url=current_app.config["PUBLIC_BASE_URL"],
                             desk_name=current_app.config["DESK_NAME"])
    if doc is None:
        raise NotFound(f"Only approved claims have a ClaimReview; this one is {claim.state}.")
    # HTML-safe JSON (<, > and & escaped): a page may embed it in a <script> as it is.
    return Response(dumps(doc), mimetype="application/ld+json")


@bp.post("/imports/json")
@requires("import")
def import_export():
    """Load a native JSON export (the request body) in one transaction."""
    data = json_object("Send an annotator export with Content-Type: application/json.")
    db = get_session()
    report = import_json(db, data, actor=g.user)
    db.commit()
    return jsonify({"articles": report.articles, "claims": report.claims,
                    "sources": report.sources, "notes": report.notes, "events": report.events,
                    "verdicts": report.verdicts, "people_created": report.people_created,
                    "renumbered": report.renumbered,
                    "article_ids": {str(k): v for k, v in report.article_ids.items()}}), 201


@bp.get("/jobs/<int:job_id>")
@requires("export")
def job(job_id: int):
    """Return a background job: state (queued, running, done, failed), progress, download."""
    from flask import url_for

    from annotator.services import jobs

    found = jobs.get_job(get_session(), g.user, job_id)
    return jsonify(jobs.job_document(found, url_for("api.job_download", job_id=found.id)))


@bp.get("/jobs/<int:job_id>/download")
@requires("export")
def job_download(job_id: int):
    """Stream a finished export job's file."""
    from annotator.exports import FORMATS
    from annotator.services import jobs
    from annotator.services.errors import Conflict

    found = jobs.get_job(get_session(), g.user, job_id)
    if found.kind != "export" or found.status != "done":
        raise Conflict("The file is not ready.")
    fmt = FORMATS.get(found.format, FORMATS["json"])
    stream = jobs.iter_output(engine_for(current_app), found.id)
    return Response(stream_with_context(stream), content_type=fmt.content_type,
                    headers={"Content-Disposition": f'attachment; filename="{found.filename}"'})


@bp.get("/openapi.json")
@requires("public")
def openapi():
    """Describe this API as OpenAPI 3 (public: no token needed)."""
    response = jsonify(openapi_document(current_app.config["PUBLIC_BASE_URL"]))
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response
