"""The JSON API under /api/v1: bearer tokens only, JSON errors."""

from __future__ import annotations

from flask import Blueprint, abort, g, request

from annotator import review
from annotator.db import get_session
from annotator.services import users

bp = Blueprint("api", __name__, url_prefix="/api/v1")


@bp.before_request
def _authenticate():
    """Resolve the bearer token and check the endpoint's permission."""
    permission = review.ROUTES.get(request.endpoint or "", "")
    if permission == "public":
        g.user = None
        return None
    header = request.headers.get("Authorization", "")
    scheme, _, secret = header.partition(" ")
    user = None
    if scheme.lower() == "bearer" and secret.strip():
        user = users.user_for_token(get_session(), secret.strip())
    if user is None:
        abort(401, description="Send a valid API token as 'Authorization: Bearer <token>'.")
    g.user = user
    if not review.may(user.role, permission):
        abort(403, description="The token's role does not allow this.")
    return None


from annotator.api import routes  # noqa: E402,F401  (registers the endpoints on bp)
