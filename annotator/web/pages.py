"""Small pages every screen uses: the verdict colours stylesheet."""

from __future__ import annotations

from flask import Blueprint, Response

from annotator.db import get_session
from annotator.permissions import requires
from annotator.services.verdicts import list_verdicts

bp = Blueprint("pages", __name__)


@bp.route("/verdicts.css")
@requires("public")
def verdict_css():
    """Serve the verdict scale's colours as CSS, so no inline style is ever needed."""
    rules = []
    for v in list_verdicts(get_session()):
        colour = v.colour if _is_colour(v.colour) else "#888888"
        rules.append(f".verdict-{v.key} {{ --verdict: {colour}; }}")
    return Response("\n".join(rules) + "\n", mimetype="text/css",
                    headers={"Cache-Control": "no-cache"})


def _is_colour(value: str) -> bool:
    return len(value) == 7 and value[0] == "#" and all(c in "0123456789abcdefABCDEF"
                                                     for c in value[1:])
