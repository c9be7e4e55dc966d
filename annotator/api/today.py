"""The morning list in the API: GET /api/v1/today?since=<ISO time>, the list shape."""

from __future__ import annotations

from flask import jsonify, request

from annotator.api.blueprint import bp
from annotator.db import get_session
from annotator.exports.people import People
from annotator.permissions import requires
from annotator.services import params, today

PER_PAGE, MAX_PER_PAGE = 50, 200


@bp.get("/today")
@requires("read")
def today_list():
    """List the claims proposed since ?since= (default: 24 hours ago), one item per group of
    the same claim, ranked by score: each {"claim", "outlets", "group", "checked_before"}.

    Filters: outlet, language, feed, checked (yes|no), min_score; pages: page, per_page.
    """
    flt = today.read_filter(request.args)
    page, per_page = params.paging(request.args, default_per_page=PER_PAGE,
                                   max_per_page=MAX_PER_PAGE)
    db = get_session()
    found = today.morning_list(db, flt)
    rows = today.load_page(db, found.rows[(page - 1) * per_page:page * per_page])
    person = People(db)
    body = {"items": [today.row_document(r, person, None) for r in rows],
            "total": found.total, "page": page, "per_page": per_page,
            "since": flt.since.isoformat()}
    if not found.exact:
        body["total_exact"] = False
    return jsonify(body)
