"""API endpoints: thin wrappers that parse JSON, call one service and present the result.

A refused request raises ``ServiceError`` and the blueprint's one handler answers it
(``annotator.api.errors``); nothing here catches it.
"""

from __future__ import annotations

from flask import abort, current_app, g, jsonify, request, url_for
from sqlmodel import SQLModel

from annotator import review
from annotator.api.blueprint import bp, json_object
from annotator.db import engine_for, get_session
from annotator.models import (
    ArticleCreate,
    ClaimUpdate,
    Job,
    NoteCreate,
    SourceCreate,
)
from annotator.permissions import requires
from annotator.sanitize import bounded_int
from annotator.services import article_jobs, documents, fetch, jobs, params, queries
from annotator.services import articles as article_service
from annotator.services import claims as claim_service
from annotator.services.queries import MAX_PER_PAGE, PER_PAGE


def _body() -> dict:
    return json_object()


def _strings(data: dict, shape: type[SQLModel]) -> dict:
    """Return the shape's fields from the body, as strings ("" when absent)."""
    for key in shape.model_fields:
        if data.get(key) is not None and not isinstance(data[key], str):
            abort(400, description=f"'{key}' must be a string.")
    return {k: data.get(k) or "" for k in shape.model_fields}


def _whole(value, name: str, *, required: bool = False) -> int | None:
    if value is None and not required:
        return None
    if not isinstance(value, int) or bounded_int(value) is None:
        abort(400, description=f"'{name}' (a whole number) is required." if required
              else f"'{name}' must be a whole number.")
    return value


@bp.get("/articles")
@requires("read")
def list_articles():
    """List articles, newest first, a page at a time."""
    page, per_page = params.paging(request.args, default_per_page=PER_PAGE,
                                   max_per_page=MAX_PER_PAGE)
    # Keyset paging: ?after=<next> continues below the last id without an OFFSET scan.
    after = params.cursor(request.args, "after", *_cursor_key())
    items, total, exact, next_key = documents.article_list(get_session(), page=page,
                                                           per_page=per_page, after=after)
    body = {"items": items, "total": total, "page": page, "per_page": per_page}
    if not exact:
        body["total_exact"] = False
    token = params.sign_cursor(next_key, *_cursor_key())
    if token:
        body["next"] = token
    return jsonify(body)


@bp.post("/articles")
@requires("import")
def create_article():
    """Create an article from text, HTML or a URL to fetch, and propose its claims.

    A long one (over IMPORT_QUEUE_BYTES) is imported by the worker: the answer is then 202
    with the job's document, its address in ``Location`` (issue 19).
    """
    fields = _strings(_body(), ArticleCreate)
    req = article_service.ImportRequest(**fields)
    db = get_session()
    if req.url.strip() and not (req.text.strip() or req.html.strip()):
        # Only a URL: fetch the page (SSRF-checked) and extract its text and metadata.
        rest = {k: v for k, v in fields.items() if k not in ("text", "html", "url")}
        settings = fetch.FetchSettings.from_config(current_app.config)
        # No transaction (and no SQLite write lock) across the network: fetch first, then
        # import in one short transaction.
        db.rollback()
        req = article_service.page_request(fetch.fetch_page(req.url, settings), **rest)
    made = article_jobs.import_or_queue(db, g.user, req, current_app.config["IMPORT_QUEUE_BYTES"])
    db.commit()
    if isinstance(made, Job):
        jobs.enqueue_job(made.id)
        return jsonify(jobs.job_document(made, None)), 202, {
            "Location": url_for("api.job", job_id=made.id)}
    jobs.mark_after_import(engine_for(current_app), made.id,
                           current_app.config["CHECKED_BEFORE_JOBS"])
    return jsonify(documents.article_document(db, g.user, made.id)), 201


@bp.get("/articles/<int:article_id>")
@requires("read")
def get_article(article_id: int):
    """Return an article with its body and claims (held-back ones if asked: issue 20)."""
    states = [s for s in request.args.getlist("state") if s]
    if any(s not in review.STATES for s in states):
        abort(400, description=f"state must be one of {', '.join(review.STATES)}.")
    held_back = request.args.get("held_back", "") in ("1", "true")
    return jsonify(documents.article_document(get_session(), g.user, article_id,
                                              states=states, held_back=held_back))


@bp.get("/claims")
@requires("read")
def list_claims():
    """List claims with the claims page's filters, a page at a time (keyset ``next``)."""
    filters = queries.claim_filter(request.args)
    page, per_page = params.paging(request.args, default_per_page=PER_PAGE,
                                   max_per_page=MAX_PER_PAGE)
    after = params.cursor(request.args, "after", *_cursor_key())
    items, found = documents.claim_list(get_session(), g.user, filters, page=page,
                                        per_page=per_page, after=after)
    body = {"items": items, "total": found.total, "page": page, "per_page": found.per_page,
            "sort": found.sort}
    if not found.total_exact:
        body["total_exact"] = False
    token = params.sign_cursor(found.next_cursor, *_cursor_key())
    if token:
        body["next"] = token
    return jsonify(body)


def _cursor_key() -> tuple[str, str]:
    # The app's secret, and the list and sort the cursor belongs to.
    return (current_app.config["SECRET_KEY"],
            f"{request.endpoint}:{request.args.get('sort', '')[:40]}")


@bp.get("/claims/<int:claim_id>")
@requires("read")
def get_claim(claim_id: int):
    """Return a claim with its sources and notes."""
    return jsonify(documents.claim_document(get_session(), g.user, claim_id))


@bp.patch("/claims/<int:claim_id>")
@requires("review")
def patch_claim(claim_id: int):
    """Change the claim's content or published_url; 409 with the current claim when stale."""
    data = _body()
    version = _whole(data.get("version"), "version", required=True)
    changes = {k: data[k] for k in ClaimUpdate.model_fields if k in data and k != "version"}
    for key, value in changes.items():
        if value is not None and not isinstance(value, str):
            abort(400, description=f"'{key}' must be a string.")
    db = get_session()
    claim_service.update_claim(db, g.user, claim_id, version, changes)
    db.commit()
    return jsonify(documents.claim_document(db, g.user, claim_id))


@bp.post("/claims/<int:claim_id>/sources")
@requires("review")
def add_source(claim_id: int):
    """Attach a source to a claim."""
    form = _strings(_body(), SourceCreate)
    db = get_session()
    source = claim_service.add_source(db, g.user, claim_id, form)
    db.commit()
    return jsonify(documents.source_document(db, source)), 201


@bp.post("/claims/<int:claim_id>/notes")
@requires("review")
def add_note(claim_id: int):
    """Add a Markdown note to a claim."""
    form = _strings(_body(), NoteCreate)
    db = get_session()
    note = claim_service.add_note(db, g.user, claim_id, form["body"])
    db.commit()
    return jsonify(documents.note_document(db, note)), 201


@bp.post("/claims/<int:claim_id>/transitions")
@requires("review")
def transition(claim_id: int):
    """Take a workflow action: 403 when not allowed for this user, 409 when not valid now."""
    data = _body()
    action = data.get("action")
    if not isinstance(action, str):
        abort(400, description="'action' is required.")
    comment = data.get("comment")
    if comment is not None and not isinstance(comment, str):
        abort(400, description="'comment' must be a string.")
    version = _whole(data.get("version"), "version")
    assignee_id = _assignee(data.get("assignee"))
    db = get_session()
    claim_service.transition(db, g.user, claim_id, action, comment=comment,
                             assignee_id=assignee_id, version=version)
    db.commit()
    return jsonify(documents.claim_document(db, g.user, claim_id))


def _assignee(value) -> int | None:
    if value is None:
        return None
    from annotator.services.users import user_by_name

    if isinstance(value, str):
        found = user_by_name(get_session(), value)
        return found.id if found else -1
    if isinstance(value, int) and bounded_int(value) is not None:
        return value
    abort(400, description="'assignee' is a username or a user id.")
