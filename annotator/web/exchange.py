"""Exports page, background jobs with progress, import from a URL or an export file."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)

from annotator import review
from annotator.api.exchange import MAX_DB_ID, stream_export
from annotator.db import engine_for, get_session
from annotator.exports import FORMATS
from annotator.exports.claimreview import single_claimreview
from annotator.exports.rows import filters_from_query, verdict_scale
from annotator.services import blind, fetch, jobs
from annotator.services import claims as claim_service
from annotator.services.errors import ServiceError
from annotator.web.helpers import form_dict, import_or_form, render, user

bp = Blueprint("exchange", __name__)


def _index(status: int = 200, error: str | None = None, form=None):
    db = get_session()
    form = form if form is not None else request.args
    return render_template("exchange/index.html", formats=FORMATS, states=review.STATES,
                           verdicts=verdict_scale(db), jobs=jobs.recent_jobs(db, user()),
                           form=form, chosen_states=form.getlist("state"),
                           chosen_verdicts=form.getlist("verdict"), error=error), status


@bp.get("/exports")
def index():
    """Show the export form (format and filters) and the user's recent jobs."""
    return _index()


@bp.route("/exports/download", methods=["GET", "POST"])
def download():
    """Stream an export straight away (the same as GET /api/v1/exports/<format>).

    The exports form posts here (its CSRF token stays out of URLs); a link may GET it.
    """
    args = request.form if request.method == "POST" else request.args
    fmt = args.get("format", "")
    if fmt not in FORMATS:
        return _index(400, f"Choose a format: {', '.join(FORMATS)}.", args)
    return stream_export(fmt, args)


@bp.post("/exports/jobs")
def start_job():
    """Start an export in the background and go to its progress page."""
    fmt = request.form.get("format", "")
    try:
        filters = filters_from_query(request.form)
    except ValueError as exc:
        return _index(400, str(exc), request.form)
    db = get_session()
    filters.hidden = blind.hidden_claim_ids(db, user())
    try:
        job = jobs.create_export_job(db, user(), fmt, filters)
        db.commit()
    except ServiceError as exc:
        db.rollback()
        return _index(exc.status, exc.message, request.form)
    jobs.start(jobs.run_export_job, engine_for(current_app), job.id,
               base_url=current_app.config["PUBLIC_BASE_URL"],
               desk_name=current_app.config["DESK_NAME"])
    return redirect(url_for("exchange.job", job_id=job.id), 303)


@bp.get("/jobs/<int:job_id>")
def job(job_id: int):
    """Show a job's progress; htmx polls the fragment every second until it finishes."""
    if job_id > MAX_DB_ID:
        abort(404)
    db = get_session()
    found = jobs.get_job(db, user(), job_id)
    db.commit()  # a stale job was just marked failed
    if request.args.get("format") == "json" or request.accept_mimetypes.best == "application/json":
        return jsonify({"id": found.id, "kind": found.kind, "format": found.format,
                        "status": found.status, "done": found.done, "total": found.total,
                        "error": found.error, "result": found.result,
                        "download": url_for("exchange.job_download", job_id=found.id)
                        if found.kind == "export" and found.status == "done" else None})
    return render("exchange/job.html", "exchange/_job.html", job=found)


@bp.get("/jobs/<int:job_id>/download")
def job_download(job_id: int):
    """Stream a finished export job's file from the database."""
    if job_id > MAX_DB_ID:
        abort(404)
    db = get_session()
    found = jobs.get_job(db, user(), job_id)
    if found.kind != "export" or found.status != "done":
        abort(409, description="The file is not ready.")
    media = FORMATS[found.format].media_type if found.format in FORMATS else "application/json"
    stream = jobs.iter_output(engine_for(current_app), found.id)
    return Response(stream_with_context(stream), content_type=media if "charset" in media
                    else f"{media}; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{found.filename}"'})


@bp.get("/claims/<int:claim_id>/claimreview.jsonld")
def claimreview(claim_id: int):
    """Serve one approved claim's ClaimReview JSON-LD."""
    if claim_id > MAX_DB_ID:
        abort(404)
    db = get_session()
    claim = claim_service.get_claim(db, claim_id)
    doc = single_claimreview(db, claim, base_url=current_app.config["PUBLIC_BASE_URL"],
                             desk_name=current_app.config["DESK_NAME"])
    if doc is None:
        abort(404, description="Only approved claims have a ClaimReview.")
    response = jsonify(doc)
    response.mimetype = "application/ld+json"
    return response


@bp.get("/articles/import-url")
def import_url_form():
    """Show the import-from-a-URL form."""
    return render_template("exchange/import_url.html", form={}, error=None, duplicate=None)


@bp.post("/articles/import-url")
def import_url():
    """Fetch a page (SSRF-checked), extract its text and metadata, and import it."""
    form = form_dict()
    if not form.get("url", "").strip():
        return render_template("exchange/import_url.html", form=form,
                               error="Give the article's address.", duplicate=None), 400
    return import_or_form("exchange/import_url.html", form, lambda db: fetch.import_url(
        db, user(), form["url"], fetch.FetchSettings.from_config(current_app.config),
        title=form.get("title", ""), language=form.get("language", "")))


@bp.get("/imports/json")
def import_json_form():
    """Show the form to load a native JSON export file."""
    return render_template("exchange/import_json.html", error=None)


@bp.post("/imports/json")
def import_json():
    """Start a background import of an uploaded export and go to its progress page."""
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return render_template("exchange/import_json.html",
                               error="Choose an export file (.json)."), 400
    db = get_session()
    try:
        job = jobs.create_import_job(db, user(), upload.filename, upload.read())
        db.commit()
    except ServiceError as exc:
        db.rollback()
        return render_template("exchange/import_json.html", error=exc.message), exc.status
    jobs.start(jobs.run_import_job, engine_for(current_app), job.id)
    return redirect(url_for("exchange.job", job_id=job.id), 303)
