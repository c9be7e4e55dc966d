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
from annotator.db import engine_for, get_session
from annotator.exports import FORMATS
from annotator.exports.claimreview import dumps, single_claimreview
from annotator.exports.filters import filters_from_query
from annotator.exports.people import verdict_scale
from annotator.permissions import requires
from annotator.services import article_jobs, blind, downloads, fetch, jobs
from annotator.services import articles as article_service
from annotator.services import claims as claim_service
from annotator.web.helpers import attempt, form_dict, import_or_form, render, user

bp = Blueprint("exchange", __name__)


def _index(status: int = 200, error: str | None = None, form=None):
    db = get_session()
    form = form if form is not None else request.args
    return render_template("exchange/index.html", formats=FORMATS, states=review.STATES,
                           verdicts=verdict_scale(db), jobs=jobs.recent_jobs(db, user()),
                           form=form, chosen_states=form.getlist("state"),
                           chosen_verdicts=form.getlist("verdict"), error=error), status


@bp.get("/exports")
@requires("export")
def index():
    """Show the export form (format and filters) and the user's recent jobs."""
    return _index()


@bp.route("/exports/download", methods=["GET", "POST"])
@requires("export")
def download():
    """Stream an export straight away (the same as GET /api/v1/exports/<format>).

    The exports form posts here (its CSRF token stays out of URLs); a link may GET it.
    """
    args = request.form if request.method == "POST" else request.args
    fmt = args.get("format", "")
    if fmt not in FORMATS:
        return _index(400, f"Choose a format: {', '.join(FORMATS)}.", args)
    download = downloads.export_download(get_session(), user(), fmt, args,
                                         engine_for(current_app), current_app.config)
    return Response(stream_with_context(download.chunks), content_type=download.content_type,
                    headers=download.headers)


@bp.post("/exports/jobs")
@requires("export")
def start_job():
    """Start an export in the background and go to its progress page."""
    fmt = request.form.get("format", "")
    try:
        filters = filters_from_query(request.form)
    except ValueError as exc:
        return _index(400, str(exc), request.form)
    filters.hidden = blind.hidden_claim_ids(get_session(), user())

    def started(job):
        jobs.enqueue_job(job.id)  # committed: a worker takes it from the queue
        return redirect(url_for("exchange.job", job_id=job.id), 303)

    return attempt(lambda db: jobs.create_export_job(db, user(), fmt, filters),
                   lambda exc: _index(exc.status, exc.message, request.form), started)


@bp.get("/jobs/<int:job_id>")
@requires("export")
def job(job_id: int):
    """Show a job's progress; htmx polls the fragment every second until it finishes."""
    found = jobs.get_job(get_session(), user(), job_id)
    doc = jobs.job_document(found, url_for("exchange.job_download", job_id=found.id))
    if request.args.get("format") == "json" or request.accept_mimetypes.best == "application/json":
        return jsonify(doc)
    return render("exchange/job.html", "exchange/_job.html", job=found, doc=doc)


@bp.get("/jobs/<int:job_id>/download")
@requires("export")
def job_download(job_id: int):
    """Stream a finished export job's file from the database."""
    db = get_session()
    found = jobs.get_job(db, user(), job_id)
    if found.kind != "export" or found.status != "done":
        abort(409, description="The file is not ready.")
    fmt = FORMATS.get(found.format, FORMATS["json"])
    stream = jobs.iter_output(engine_for(current_app), found.id)
    return Response(stream_with_context(stream), content_type=fmt.content_type,
                    headers={"Content-Disposition": f'attachment; filename="{found.filename}"'})


@bp.get("/claims/<int:claim_id>/claimreview.jsonld")
@requires("export")
def claimreview(claim_id: int):
    """Serve one approved claim's ClaimReview JSON-LD."""
    db = get_session()
    claim = claim_service.read_claim(db, claim_id)
    doc = single_claimreview(db, claim, base_url=current_app.config["PUBLIC_BASE_URL"],
                             desk_name=current_app.config["DESK_NAME"])
    if doc is None:
        abort(404, description="Only approved claims have a ClaimReview.")
    # HTML-safe JSON (<, > and & escaped): a page may embed it in a <script> as it is.
    return Response(dumps(doc), mimetype="application/ld+json")


@bp.get("/articles/import-url")
@requires("import")
def import_url_form():
    """Show the import-from-a-URL form."""
    return render_template("exchange/import_url.html", form={}, error=None, duplicate=None)


@bp.post("/articles/import-url")
@requires("import")
def import_url():
    """Fetch a page (SSRF-checked), extract its text and metadata, and import it."""
    form = form_dict()
    if not form.get("url", "").strip():
        return render_template("exchange/import_url.html", form=form,
                               error="Give the article's address.", duplicate=None), 400

    def fetch_then_import(db):
        settings, me = fetch.FetchSettings.from_config(current_app.config), user()
        # No transaction (and no SQLite write lock) across the network: fetch first, then
        # import in one short transaction.
        db.rollback()
        page = fetch.fetch_page(form["url"], settings)
        req = article_service.page_request(page, title=form.get("title", ""),
                                           language=form.get("language", ""))
        return article_jobs.import_or_queue(db, me, req,
                                            current_app.config["IMPORT_QUEUE_BYTES"])

    return import_or_form("exchange/import_url.html", form, fetch_then_import)


@bp.get("/imports/json")
@requires("import")
def import_json_form():
    """Show the form to load a native JSON export file."""
    return render_template("exchange/import_json.html", error=None)


@bp.post("/imports/json")
@requires("import")
def import_json():
    """Start a background import of an uploaded export and go to its progress page."""
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return render_template("exchange/import_json.html",
                               error="Choose an export file (.json)."), 400
    content = upload.read()
    upload.close()  # a large upload is spooled to a temporary file

    def started(job):
        jobs.enqueue_job(job.id)
        return redirect(url_for("exchange.job", job_id=job.id), 303)

    return attempt(
        lambda db: jobs.create_import_job(db, user(), upload.filename, content),
        lambda exc: (render_template("exchange/import_json.html", error=exc.message),
                     exc.status), started)
