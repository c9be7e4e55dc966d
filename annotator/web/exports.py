"""Download exports."""

from __future__ import annotations

from flask import Blueprint, Response, abort, request, stream_with_context

from annotator.db import engine_for, get_session, new_session
from annotator.exports import ExportFilter, export_json
from annotator.services import blind
from annotator.web.helpers import user

bp = Blueprint("exports", __name__)


def filters_from_args() -> ExportFilter:
    """Read export filters from the query string."""
    try:
        article_ids = [int(a) for a in request.args.getlist("article") if a]
    except ValueError:
        abort(400, description="article must be an article id.")
    return ExportFilter(article_ids=article_ids, states=request.args.getlist("state"),
                        verdicts=request.args.getlist("verdict"))


@bp.route("/exports/json")
def json_download():
    """Stream the native JSON export as a file download."""
    from flask import current_app

    filters = filters_from_args()
    filters.hidden = blind.hidden_claim_ids(get_session(), user())
    engine = engine_for(current_app)

    def generate():
        # Its own session: the response body outlives the request's session.
        session = new_session(engine)
        try:
            yield from export_json(session, filters)
        finally:
            session.close()

    name = "annotator-export.json"
    if len(filters.article_ids) == 1:
        name = f"annotator-article-{filters.article_ids[0]}.json"
    return Response(stream_with_context(generate()), mimetype="application/json",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
