"""The API blueprint and its guard: bearer tokens only, then the endpoint's permission."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, g, request

from annotator import review
from annotator.api.errors import service_error
from annotator.db import engine_for, get_session, session_scope
from annotator.models import utcnow
from annotator.permissions import PUBLIC, permission_of
from annotator.services import users
from annotator.services.errors import ServiceError

bp = Blueprint("api", __name__, url_prefix="/api/v1")
bp.register_error_handler(ServiceError, service_error)


@bp.before_request
def _authenticate():
    """Resolve the bearer token and check the endpoint's permission."""
    permission = permission_of(current_app.view_functions, request.endpoint or "")
    if permission == PUBLIC:
        g.user = None
        return None
    header = request.headers.get("Authorization", "")
    scheme, _, secret = header.partition(" ")
    user = None
    if scheme.lower() == "bearer" and secret.strip():
        db = get_session()
        token = users.token_for_secret(db, secret.strip())
        user = users.token_owner(db, token)
        if user is not None:
            _touch(token)
    if user is None:
        abort(401, description="Send a valid API token as 'Authorization: Bearer <token>'.")
    g.user = user
    if not review.may(user.role, permission):
        abort(403, description="The token's role does not allow this.")
    return None


def _touch(token) -> None:
    """Stamp the token's last use, at most once a minute so reads stay cheap."""
    last = token.last_used_at
    if last is not None and last.tzinfo is not None and (
            utcnow() - last).total_seconds() < users.TOKEN_TOUCH_SECONDS:
        return
    # In a short transaction of its own, never the request's: a write request takes no
    # write lock before its view's first write (issue 19).
    with session_scope(engine_for(current_app)) as session:
        users.touch_token(session, token.id)


def json_object(ask: str = "Send a JSON object with Content-Type: application/json.") -> dict:
    """Return the request's JSON object, or answer 400: `ask` for what is no JSON object, the
    reason for JSON that cannot be read (say, nested deeper than the desk reads)."""
    data = None
    if request.is_json:
        try:
            data = current_app.json.loads(request.get_data(cache=True))
        except ValueError as exc:  # not JSON, not UTF-8, or refused by web.limits
            reason = str(exc).rstrip(".")
            abort(400, description=f"The body cannot be read as JSON: {reason}. {ask}")
    if not isinstance(data, dict):
        abort(400, description=ask)
    return data
