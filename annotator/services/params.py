"""One typed parser for query strings, form values and JSON members, on every face.

Each reader takes a mapping (Flask's ``request.args`` or ``request.form``, a JSON object, or a
plain dict), the parameter's name and its rule, and returns the typed value or raises
``Invalid`` naming the parameter: the faces answer that with a 400. Nothing here falls back
silently on a bad value, and nothing reaches a query unchecked: integers are bounded by what
the databases store, text holds no NUL and no lone surrogate, dates are dates.

Keyset cursors are opaque: a versioned, signed token (``itsdangerous``, keyed by the app's
secret and salted by the list and its sort), so a forged or tampered cursor is a 400 before
any query runs.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date, datetime

from itsdangerous import BadData, URLSafeSerializer
from pydantic import ValidationError
from sqlmodel import SQLModel

from annotator.sanitize import MAX_INT
from annotator.services.errors import Invalid

# The largest page number a list accepts; past it no desk has rows, and OFFSET would crawl.
MAX_PAGE = 1_000_000
CURSOR_VERSION = "c1"
_DIGITS = re.compile(r"-?[0-9]{1,20}")  # ASCII digits only: "²" and "٣" pass str.isdigit
_SURROGATE = re.compile("[\ud800-\udfff]")


def _raw(values: Mapping, name: str):
    getter = getattr(values, "get", None)
    return getter(name) if getter is not None else None


def clean_text(value: str, name: str) -> str:
    """Refuse text no field may hold: a NUL byte or a lone surrogate."""
    if "\x00" in value:
        raise Invalid(f"{name} contains a NUL byte, which no field may hold.", field=name)
    if _SURROGATE.search(value):
        raise Invalid(f"{name} contains a lone surrogate, which is not text.", field=name)
    return value


def fit(found: str, limit: int) -> str:
    """Shorten text the machine found (a page's title, a feed item's) visibly to fit a field:
    cut at a word where one is near, and end it with an ellipsis. Never for typed text."""
    found = " ".join((found or "").split())
    if len(found) <= limit:
        return found
    cut = found[:limit - 1]
    space = cut.rfind(" ")
    if space > limit * 0.8:
        cut = cut[:space]
    return cut.rstrip(" ,;:-") + "\u2026"


def text(values: Mapping, name: str, *, default: str = "", max_length: int = 2000,
         strip: bool = True) -> str:
    """Return a text parameter, refused when too long or not text."""
    raw = _raw(values, name)
    if raw is None:
        return default
    if not isinstance(raw, str):
        raise Invalid(f"{name} must be text.", field=name)
    raw = clean_text(raw.strip() if strip else raw, name)
    if len(raw) > max_length:
        raise Invalid(f"{name} is longer than {max_length:,} characters.", field=name)
    return raw


def to_int(raw, name: str, *, low: int = 0, high: int = MAX_INT) -> int:
    """Return ``raw`` (text or a JSON number) as an integer within [low, high], else refuse."""
    if isinstance(raw, bool):
        raise Invalid(f"{name} must be a whole number.", field=name)
    if isinstance(raw, int):
        value = raw
    elif isinstance(raw, str) and _DIGITS.fullmatch(raw.strip()):
        value = int(raw.strip())
    else:
        raise Invalid(f"{name} must be a whole number.", field=name)
    if not low <= value <= high:
        raise Invalid(f"{name} must be between {low:,} and {high:,}.", field=name)
    return value


def integer(values: Mapping, name: str, *, default: int | None = None, low: int = 0,
            high: int = MAX_INT) -> int | None:
    """Return an integer parameter; missing or empty gives ``default``."""
    raw = _raw(values, name)
    if raw is None or raw == "":
        return default
    return to_int(raw, name, low=low, high=high)


def row_id(values: Mapping, name: str) -> int | None:
    """Return a row id (1 to the database's integer bound), or None when absent."""
    return integer(values, name, low=1)


def row_ids(raw: Iterable, name: str) -> list[int]:
    """Return a list of row ids (form checkboxes, a JSON array), each one checked."""
    if isinstance(raw, (str, bytes)) or not isinstance(raw, Iterable):
        raise Invalid(f"{name} must be a list of ids.", field=name)
    return [to_int(item, name, low=1) for item in raw]


def choice(values: Mapping, name: str, allowed: Iterable[str], *,
           default: str | None = None) -> str | None:
    """Return one of ``allowed``; anything else is refused with the choices named."""
    raw = _raw(values, name)
    if raw is None or raw == "":
        return default
    allowed = list(allowed)
    if raw not in allowed:
        shown = ", ".join(allowed[:12]) + (", ..." if len(allowed) > 12 else "")
        raise Invalid(f"{name} must be one of: {shown}.", field=name)
    return raw


def day(values: Mapping, name: str) -> date | None:
    """Return a YYYY-MM-DD date parameter (a full ISO time is cut to its date)."""
    raw = _raw(values, name)
    if raw is None or raw == "":
        return None
    return to_day(raw, name)


def to_day(raw, name: str) -> date:
    """Parse a YYYY-MM-DD date, or an ISO time's date part."""
    if not isinstance(raw, str) or len(raw) > 40:
        raise Invalid(f"{name} must be a date (YYYY-MM-DD).", field=name)
    try:
        return date.fromisoformat(raw.strip()[:10])
    except ValueError:
        raise Invalid(f"{name} must be a date (YYYY-MM-DD).", field=name) from None


def moment(values: Mapping, name: str) -> datetime | None:
    """Return an ISO 8601 time parameter, timezone-aware (UTC when none is given)."""
    from datetime import UTC

    raw = _raw(values, name)
    if raw is None or raw == "":
        return None
    if not isinstance(raw, str) or len(raw) > 40:
        raise Invalid(f"{name} must be an ISO 8601 time.", field=name)
    try:
        found = datetime.fromisoformat(raw.strip().replace("Z", "+00:00"))
    except ValueError:
        raise Invalid(f"{name} must be an ISO 8601 time.", field=name) from None
    return found if found.tzinfo else found.replace(tzinfo=UTC)


def paging(values: Mapping, *, default_per_page: int, max_per_page: int) -> tuple[int, int]:
    """Return (page, per_page) from ``?page=`` and ``?per_page=``, bounded."""
    page = integer(values, "page", default=1, low=1, high=MAX_PAGE)
    per_page = integer(values, "per_page", default=default_per_page, low=1, high=max_per_page)
    return page, per_page


# ---------------------------------------------------------------- cursors


def _serializer(secret: str, scope: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret, salt=f"annotator.cursor.{CURSOR_VERSION}.{scope}")


def sign_cursor(values: list | None, secret: str, scope: str) -> str | None:
    """Pack a row's sort key into an opaque token for ``?after=``, bound to its list."""
    if values is None:
        return None
    plain = [v.isoformat() if isinstance(v, (datetime, date)) else v for v in values]
    return f"{CURSOR_VERSION}.{_serializer(secret, scope).dumps(plain)}"


def cursor(values: Mapping, name: str, secret: str, scope: str) -> list | None:
    """Return the sort key a signed ``?after=`` token carries; a bad token is a 400."""
    raw = _raw(values, name)
    if raw is None or raw == "":
        return None
    refused = Invalid(f"{name} is not a cursor this list gave out; start again from the "
                      "first page.", field=name)
    if not isinstance(raw, str) or len(raw) > 400 or not raw.startswith(CURSOR_VERSION + "."):
        raise refused
    try:
        found = _serializer(secret, scope).loads(raw[len(CURSOR_VERSION) + 1:])
    except (BadData, ValueError, TypeError, UnicodeError):
        raise refused from None
    if not isinstance(found, list) or not found:
        raise refused
    return found


# ---------------------------------------------------------------- the models' field rules


def validated(shape: type[SQLModel], data: dict) -> SQLModel:
    """Validate ``data`` with a ``*Create``/``*Update`` shape; a broken rule is a 400."""
    try:
        return shape.model_validate(data)
    except ValidationError as exc:
        raise invalid_from(exc) from None


def invalid_from(exc: ValidationError) -> Invalid:
    """Turn pydantic's first error into the documented 400: the field, and the rule broken."""
    error = exc.errors(include_url=False)[0]
    name = ".".join(str(part) for part in error.get("loc", ())) or "body"
    kind, ctx = error.get("type", ""), error.get("ctx") or {}
    if kind == "string_too_long":
        message = f"{name} is longer than {ctx.get('max_length', 0):,} characters."
    elif kind == "string_too_short":
        message = f"{name} cannot be empty." if ctx.get("min_length") == 1 else (
            f"{name} needs at least {ctx.get('min_length', 0):,} characters.")
    elif kind == "missing":
        message = f"{name} is required."
    elif kind in ("less_than_equal", "greater_than_equal", "less_than", "greater_than"):
        bound = next(iter(ctx.values()), "")
        message = f"{name} is out of range ({kind.replace('_', ' ')} {bound})."
    elif kind.startswith("int") or kind.startswith("float"):
        message = f"{name} must be a number."
    elif kind.startswith("string") or kind == "str_type":
        message = f"{name} must be text."
    elif kind.startswith("date"):
        message = f"{name} must be a date (YYYY-MM-DD)."
    else:
        message = f"{name}: {error.get('msg', 'is not valid')}."
    return Invalid(message, field=name)
