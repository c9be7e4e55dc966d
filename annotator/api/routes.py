"""API endpoints: thin wrappers that parse JSON, call one service and present the result."""

from __future__ import annotations

from flask import abort, g, jsonify, request
from sqlalchemy import func
from sqlmodel import select

from annotator.api import bp
from annotator.db import get_session
from annotator.exports.json_export import People, iso
from annotator.models import Article, Claim, Note, Source
from annotator.services import articles as article_service
from annotator.services import blind
from annotator.services import claims as claim_service
from annotator.services.errors import Conflict, Duplicate, ServiceError

MAX_PER_PAGE = 200


def claim_json(claim: Claim, person, full: bool = False, hidden: set[int] | None = None) -> dict:
    """Present a claim for the API, hiding a first verdict from a blind second reviewer."""
    if hidden is None:
        hidden = blind.hidden_claim_ids(get_session(), g.user, [claim.id])
    out = {
        "id": claim.id, "article_id": claim.article_id, "start": claim.start, "end": claim.end,
        "quote": claim.quote, "prefix": claim.prefix, "suffix": claim.suffix,
        "statement": claim.statement, "score": claim.score, "reasons": claim.reasons,
        "origin": claim.origin, "state": claim.state, "verdict": claim.verdict,
        "conclusion": claim.conclusion, "assignee": person(claim.assignee_id),
        "submitted_by": person(claim.submitted_by_id), "approved_by": person(claim.approved_by_id),
        "approved_at": iso(claim.approved_at), "orphaned": claim.orphaned,
        "version": claim.version, "updated_at": iso(claim.updated_at),
    }
    if claim.id in hidden:
        out.update(verdict=None, conclusion="", blinded=True)
    if full:
        db = get_session()
        out["sources"] = [source_json(s, person) for s in db.exec(
            select(Source).where(Source.claim_id == claim.id).order_by(Source.id)).all()]
        out["notes"] = [note_json(n, person) for n in db.exec(
            select(Note).where(Note.claim_id == claim.id).order_by(Note.id)).all()]
    return out


def source_json(s: Source, person) -> dict:
    return {"id": s.id, "url": s.url, "title": s.title, "publisher": s.publisher,
            "published": iso(s.published), "stance": s.stance, "excerpt": s.excerpt,
            "archived_url": s.archived_url, "created_by": person(s.created_by_id),
            "created_at": iso(s.created_at)}


def note_json(n: Note, person) -> dict:
    return {"id": n.id, "author": person(n.author_id), "body": n.body,
            "created_at": iso(n.created_at)}


def article_json(a: Article) -> dict:
    return {"id": a.id, "title": a.title, "url": a.url, "outlet": a.outlet, "byline": a.byline,
            "published": iso(a.published), "language": a.language,
            "created_at": iso(a.created_at)}


def _body() -> dict:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        abort(400, description="Send a JSON object with Content-Type: application/json.")
    return data


def _error(exc: ServiceError):
    detail = exc.detail
    if isinstance(detail, Claim):
        detail = claim_json(detail, People(get_session()))
    return jsonify({"error": exc.message, "detail": detail}), exc.status


def _page_arg(name: str, default: int, high: int) -> int:
    try:
        value = int(request.args.get(name, default))
    except ValueError:
        abort(400, description=f"{name} must be a whole number.")
    if not 1 <= value <= high:
        abort(400, description=f"{name} must be between 1 and {high}.")
    return value


@bp.get("/articles")
def list_articles():
    """List articles, newest first, a page at a time."""
    db = get_session()
    page = _page_arg("page", 1, 10**6)
    per_page = _page_arg("per_page", 50, MAX_PER_PAGE)
    total = db.exec(select(func.count()).select_from(Article)).one()
    rows = db.exec(select(Article).order_by(Article.id.desc())
                   .offset((page - 1) * per_page).limit(per_page)).all()
    return jsonify({"items": [article_json(a) for a in rows], "total": total, "page": page,
                    "per_page": per_page})


@bp.post("/articles")
def create_article():
    """Create an article from text, HTML or a URL to fetch, and propose its claims."""
    data = _body()
    fields = {k: data.get(k) for k in ("text", "html", "title", "url", "outlet", "byline",
                                        "published", "language")}
    if any(v is not None and not isinstance(v, str) for v in fields.values()):
        abort(400, description="Every field of the article must be a string.")
    req = article_service.ImportRequest(**{k: v or "" for k, v in fields.items()})
    db = get_session()
    try:
        if req.url.strip() and not (req.text.strip() or req.html.strip()):
            # Only a URL: fetch the page (SSRF-checked) and extract its text and metadata.
            from flask import current_app

            from annotator.services import fetch

            rest = {k: v or "" for k, v in fields.items() if k not in ("text", "html", "url")}
            article = fetch.import_url(db, g.user, req.url,
                                       fetch.FetchSettings.from_config(current_app.config),
                                       **rest)
        else:
            article = article_service.import_article(db, g.user, req)
        db.commit()
    except Duplicate as exc:
        db.rollback()
        return jsonify({"error": exc.message, "detail": {"article_id": exc.detail}}), 409
    except ServiceError as exc:
        db.rollback()
        return _error(exc)
    return get_article(article.id)[0], 201


@bp.get("/articles/<int:article_id>")
def get_article(article_id: int):
    """Return an article with its body and claims."""
    db = get_session()
    try:
        article = article_service.get_article(db, article_id)
    except ServiceError as exc:
        return _error(exc)
    person = People(db)
    claims = article_service.article_claims(db, article_id)
    hidden = blind.hidden_claim_ids(db, g.user, [c.id for c in claims])
    out = article_json(article) | {"body": article.body, "claims": [
        claim_json(c, person, hidden=hidden) for c in claims]}
    return jsonify(out), 200


@bp.get("/claims/<int:claim_id>")
def get_claim(claim_id: int):
    """Return a claim with its sources and notes."""
    db = get_session()
    try:
        claim = claim_service.get_claim(db, claim_id)
    except ServiceError as exc:
        return _error(exc)
    return jsonify(claim_json(claim, People(db), full=True))


def _write(claim_id: int, action, status: int = 200):
    db = get_session()
    try:
        result = action(db)
        db.commit()
    except Conflict as exc:
        db.rollback()
        current = claim_service.get_claim(db, claim_id)
        return jsonify({"error": exc.message,
                        "detail": claim_json(current, People(db), full=True)}), 409
    except ServiceError as exc:
        db.rollback()
        return _error(exc)
    person = People(db)
    if isinstance(result, Source):
        return jsonify(source_json(result, person)), status
    if isinstance(result, Note):
        return jsonify(note_json(result, person)), status
    return jsonify(claim_json(claim_service.get_claim(db, claim_id), person, full=True)), status


@bp.patch("/claims/<int:claim_id>")
def patch_claim(claim_id: int):
    """Change statement, verdict or conclusion; 409 with the current claim when stale."""
    data = _body()
    if "version" not in data or not isinstance(data["version"], int) or isinstance(
            data["version"], bool):
        abort(400, description="'version' (a whole number) is required.")
    changes = {k: data[k] for k in claim_service.EDITABLE if k in data}
    for key, value in changes.items():
        if value is not None and not isinstance(value, str):
            abort(400, description=f"'{key}' must be a string.")
    return _write(claim_id, lambda db: claim_service.update_claim(
        db, g.user, claim_id, data["version"], changes))


def _strings(data: dict, keys) -> dict:
    for key in keys:
        if data.get(key) is not None and not isinstance(data[key], str):
            abort(400, description=f"'{key}' must be a string.")
    return {k: data.get(k) or "" for k in keys}


@bp.post("/claims/<int:claim_id>/sources")
def add_source(claim_id: int):
    """Attach a source to a claim."""
    form = _strings(_body(), ("url", "title", "stance", "publisher", "published", "excerpt",
                              "archived_url"))
    return _write(claim_id, lambda db: claim_service.add_source(db, g.user, claim_id, form), 201)


@bp.post("/claims/<int:claim_id>/notes")
def add_note(claim_id: int):
    """Add a Markdown note to a claim."""
    form = _strings(_body(), ("body",))
    return _write(claim_id, lambda db: claim_service.add_note(
        db, g.user, claim_id, form["body"]), 201)


@bp.post("/claims/<int:claim_id>/transitions")
def transition(claim_id: int):
    """Take a workflow action: 403 when not allowed for this user, 409 when not valid now."""
    data = _body()
    action = data.get("action")
    if not isinstance(action, str):
        abort(400, description="'action' is required.")
    comment = data.get("comment")
    if comment is not None and not isinstance(comment, str):
        abort(400, description="'comment' must be a string.")
    version = data.get("version")
    if version is not None and (not isinstance(version, int) or isinstance(version, bool)):
        abort(400, description="'version' must be a whole number.")
    assignee_id = _assignee(data.get("assignee"))
    return _write(claim_id, lambda db: claim_service.transition(
        db, g.user, claim_id, action, comment=comment, assignee_id=assignee_id,
        version=version))


def _assignee(value) -> int | None:
    if value is None:
        return None
    from annotator.services.users import user_by_name

    if isinstance(value, str):
        found = user_by_name(get_session(), value)
        return found.id if found else -1
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    abort(400, description="'assignee' is a username or a user id.")
