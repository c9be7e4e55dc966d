"""The old address of the JSON download, kept working: it redirects to the exports page's."""

from __future__ import annotations

from flask import Blueprint, redirect, request, url_for

from annotator.permissions import requires

bp = Blueprint("exports", __name__)


@bp.get("/exports/json")
@requires("export")
def json_download():
    """Redirect to the one download route, keeping the filters."""
    args = request.args.to_dict(flat=False)
    args["format"] = ["json"]
    return redirect(url_for("exchange.download", **args), 308)
