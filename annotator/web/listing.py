"""Paging helpers every list view shares, and the search-as-you-type pickers.

A list page reads `?page=` (offset, kept for the JSON contract), `?after=` (a signed keyset
cursor, preferred by the "next" link) and `?per_page=` (bounded); a bad value is a 400.
Totals above the count cap are shown as "10,000+" and sent as `"total_exact": false`.
"""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, render_template, request, url_for

from annotator.db import get_session
from annotator.permissions import requires
from annotator.services import params, pickers
from annotator.services.queries import MAX_PER_PAGE, PER_PAGE

bp = Blueprint("pick", __name__)
PICK_LIMIT = pickers.PICK_LIMIT


def page_args(default_per_page: int = PER_PAGE) -> tuple[int, int, list | None]:
    """Read page, per_page and the cursor from the query string; a bad value is a 400."""
    page, per_page = params.paging(request.args, default_per_page=default_per_page,
                                   max_per_page=MAX_PER_PAGE)
    return page, per_page, params.cursor(request.args, "after", _secret(), _scope())


def _secret() -> str:
    return current_app.config["SECRET_KEY"]


def _scope() -> str:
    # A cursor serves the list and the sort it came from, and no other.
    return f"{request.endpoint}:{request.args.get('sort', '')[:40]}"


def sign(next_cursor: list | None) -> str | None:
    """Return the opaque ``?after=`` token for a service's next sort key."""
    return params.sign_cursor(next_cursor, _secret(), _scope())


def total_label(total: int, exact: bool) -> str:
    """Return a total as people read it: "1,234", or "10,000+" for a capped count."""
    return f"{total:,}" if exact else f"{total:,}+"


def pager(endpoint: str, page: int, has_next: bool, next_cursor: list | None, **values) -> dict:
    """Return the previous and next links of a list page, keeping every other argument."""
    args = {k: v for k, v in request.args.to_dict(flat=False).items()
            if k not in ("page", "after", "format")}
    args.update(values)
    prev_url = url_for(endpoint, **{**args, "page": page - 1}) if page > 1 else None
    next_url = None
    if has_next:
        token = sign(next_cursor)
        extra = {"after": token} if token else {}
        next_url = url_for(endpoint, **{**args, "page": page + 1, **extra})
    return {"page": page, "prev_url": prev_url, "next_url": next_url}


def list_json(items: list, total: int, exact: bool, page: int, per_page: int,
              next_cursor: list | None, **extra):
    """Answer a list's JSON twin in the contract's shape."""
    body = {"items": items, "total": total, "page": page, "per_page": per_page, **extra}
    if not exact:
        body["total_exact"] = False
    token = sign(next_cursor)
    if token:
        body["next"] = token
    return jsonify(body)


@bp.route("/pick/articles")
@requires("read")
def articles():
    """Suggest up to 20 articles whose title holds the typed text (or whose id it is)."""
    # htmx sends the typing field under its own name ("article"); ?q= for everyone else.
    text = (request.args.get("q") or request.args.get("article") or "").strip()[:200]
    items = [{"id": i, "title": t} for i, t in pickers.articles(get_session(), text)]
    if request.args.get("format") == "json":
        return jsonify({"items": items, "total": len(items)})
    return render_template("work/_pick_options.html", items=items)


@bp.route("/pick/people")
@requires("read")
def people():
    """Suggest up to 20 active reviewers whose name or username holds the typed text."""
    text = (request.args.get("q") or request.args.get("assignee") or "").strip()[:100]
    rows = pickers.reviewers(get_session(), text)
    items = [{"id": u.id, "title": u.display_name or u.username, "username": u.username}
             for u in rows]
    if request.args.get("format") == "json":
        return jsonify({"items": items, "total": len(items)})
    return render_template("work/_pick_options.html", items=items, by="username")
