"""Small pages every screen uses: the verdict colours stylesheet."""

from __future__ import annotations

from flask import Blueprint, Response
from sqlmodel import select

from annotator.db import get_session
from annotator.models import Verdict
from annotator.permissions import requires

bp = Blueprint("pages", __name__)


@bp.route("/verdicts.css")
@requires("public")
def verdict_css():
    """Serve the verdict scale's colours as CSS, so no inline style is ever needed."""
    rules = []
    for v in get_session().exec(select(Verdict)).all():
        colour = v.colour if _is_colour(v.colour) else "#888888"
        rules.append(f".verdict-{v.key} {{ --verdict: {colour}; }}")
    return Response("\n".join(rules) + "\n", mimetype="text/css",
                    headers={"Cache-Control": "no-cache"})


def _is_colour(value: str) -> bool:
    return len(value) == 7 and value[0] == "#" and all(c in "0123456789abcdefABCDEF"
                                                     for c in value[1:])
