"""Route permissions, written beside each route: ``@requires("review")`` under ``@bp.post``.

The permission names and who holds them are the workflow's (``review.PERMISSIONS``); which
route needs which lives with the route. The web guard and the API guard read it through
``permission_of``, and refuse a route that has none: nothing ships unguarded.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from annotator.review import PERMISSIONS

PUBLIC = "public"
# Flask's own static files route has no view of ours to mark.
_BUILT_IN = {"static": PUBLIC}


def requires(permission: str) -> Callable:
    """Mark a view with the permission its route needs (a name in review.PERMISSIONS)."""
    if permission not in PERMISSIONS:
        raise KeyError(f"Unknown permission {permission!r}.")

    def mark(view: Callable) -> Callable:
        view.permission = permission
        return view

    return mark


def permission_of(view_functions: Mapping[str, Callable], endpoint: str) -> str | None:
    """Return the permission an endpoint's route needs, or None when it has no rule."""
    if endpoint in _BUILT_IN:
        return _BUILT_IN[endpoint]
    return getattr(view_functions.get(endpoint), "permission", None)


def route_permissions(view_functions: Mapping[str, Callable]) -> dict[str, str | None]:
    """Map every endpoint to its permission (None where a route has no rule)."""
    return {endpoint: permission_of(view_functions, endpoint) for endpoint in view_functions}
