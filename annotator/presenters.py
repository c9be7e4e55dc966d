"""Turn rows into the public shapes of ``annotator.models`` (``*Public``): one path for all.

The API's JSON and the native export both come from here, so the two cannot drift: a field
added to a ``*Base`` or ``*Public`` class appears in both, and in the OpenAPI schemas, which
are generated from the same classes.

Rows may be ORM objects or SQLAlchemy Core rows (the export reads those, for speed): values
are read by name. Dates and times come out as ISO 8601 (UTC times end in Z), JSON
columns parsed, and a person-typed field (``UserPublic | None``) reads the ``<name>_id``
column and becomes ``{"username", "display_name", "role"}`` through ``person``.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Callable
from datetime import UTC, date, datetime
from functools import cache, partial

import orjson
from sqlalchemy.engine import Row
from sqlmodel import SQLModel

from annotator.models import ClaimPublic, UserPublic


def iso(value) -> str | None:
    """Format a date or time as ISO 8601 (UTC times end in Z).

    Takes date and datetime objects (naive ones are UTC) and SQLite's stored text
    ("2026-05-01 12:00:00.000000" becomes "2026-05-01T12:00:00Z").
    """
    if value is None:
        return None
    if value.__class__ is str or isinstance(value, str):
        # SQLite's stored text, "2026-05-01 12:00:00.000000": the usual cases first.
        if len(value) == 26 and value[10] == " " and value[19] == ".":
            if value[20:] == "000000":
                return value[:10] + "T" + value[11:19] + "Z"
            return value[:10] + "T" + value[11:] + "Z"
        if len(value) > 10 and value[10] == " ":
            text = value[:10] + "T" + value[11:]
            if text.endswith(".000000"):
                text = text[:-7]
            if text.endswith("+00:00"):
                text = text[:-6]
            return text + "Z"
        return value
    if isinstance(value, datetime):
        if value.tzinfo is None:
            return value.isoformat() + "Z"
        if value.utcoffset():
            value = value.astimezone(UTC)
        return value.isoformat()[:-6] + "Z"  # drop the "+00:00"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def loads(value):
    """Return a JSON column's value: SQLite gives its text, PostgreSQL the parsed value."""
    return orjson.loads(value) if isinstance(value, str) else value


Person = Callable[[int | None], dict | None]
_MISSING = object()


def _parts(annotation) -> tuple:
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        return typing.get_args(annotation)
    return (annotation,)


def _json_list(value) -> list:
    value = loads(value)
    return [] if value is None else value


def _no_children(_value) -> list:
    # Children (sources, notes, ...) come from the caller, who reads them in batches.
    return []


_PERSON = object()


@cache
def _plan(shape: type[SQLModel]) -> tuple[tuple[str, str, object, object], ...]:
    """Return (name, attribute, converter, default) for each field of the shape, in order."""
    plan = []
    for name, info in shape.model_fields.items():
        parts = _parts(info.annotation)
        attr = info.validation_alias if isinstance(info.validation_alias, str) else name
        default = _MISSING if info.is_required() else info.get_default(call_default_factory=True)
        if any(isinstance(p, type) and issubclass(p, UserPublic) for p in parts):
            convert, attr = _PERSON, f"{name}_id"
        elif any(p in (datetime, date) for p in parts):
            convert = iso
        elif typing.get_origin(info.annotation) is list and _is_shape_list(info.annotation):
            convert = _no_children
        elif typing.get_origin(info.annotation) is list:
            convert = _json_list
        elif info.annotation is typing.Any:
            convert = loads
        else:
            convert = None
        plan.append((name, attr, convert, default))
    return tuple(plan)


def _is_shape_list(annotation) -> bool:
    (item,) = typing.get_args(annotation) or (None,)
    return isinstance(item, type) and issubclass(item, SQLModel)


_BY_RESULT: dict = {}


@cache
def _compiled(shape: type[SQLModel], fields: tuple[str, ...], given: tuple[str, ...],
              raw_json: bool = False):
    """Build a function that presents a Core row with these columns: one dict display.

    The export's hot path: reading by position and converting inline is several times
    faster than walking the plan for each of a million rows. With ``raw_json`` a JSON
    column's stored text goes out as it is (an orjson.Fragment), never parsed: only for
    dicts that orjson writes.
    """
    index = {name: i for i, name in enumerate(fields)}
    env: dict = {}
    items = []
    for name, attr, convert, default in _plan(shape):
        if name in given:
            value = f"given[{name!r}]"
        elif attr in index:
            value = f"row[{index[attr]}]"
            if convert is _PERSON:
                value = f"person({value})"
            elif convert is loads:  # inline: a call less per JSON value
                env["_text"] = str
                env["_parse"] = orjson.Fragment if raw_json else orjson.loads
                value = f"(_parse({value}) if {value}.__class__ is _text else {value})"
            elif convert is iso:  # inline SQLite's usual "2026-05-01 12:00:00.000000"
                env["_text"], env["_iso"] = str, iso
                value = (f"(v[:10] + 'T' + v[11:19] + 'Z' if (v := {value}).__class__ is _text"
                         " and len(v) == 26 and v[20:] == '000000' and v[10] == ' '"
                         " else _iso(v))")
            elif convert is not None:
                env[f"c{len(env)}"] = convert
                value = f"c{len(env) - 1}({value})"
        elif default is _MISSING:
            return None  # the generic path raises the readable error
        else:
            env[f"d{len(env)}"] = default
            value = f"d{len(env) - 1}"
        items.append(f"{name!r}: {value}")
    code = "def fn(row, person, given):\n    return {" + ", ".join(items) + "}\n"
    exec(code, env)  # noqa: S102 - built from the shape's own field names, no input
    return env["fn"]


def _fast(shape: type[SQLModel], row, given: tuple[str, ...], raw_json: bool = False):
    # Rows of one result share their metadata: look the function up by it (cheap), not by
    # the column names (reading them costs more than presenting the row).
    key = (row._parent, shape, given, raw_json)
    fn = _BY_RESULT.get(key)
    if fn is None:
        if len(_BY_RESULT) > 256:
            _BY_RESULT.clear()
        fn = _BY_RESULT[key] = _compiled(shape, row._fields, given, raw_json) or False
    return fn


def present_all(shape: type[SQLModel], rows: list, person: Person, *,
                raw_json: bool = False) -> list[dict]:
    """Present several rows (of one query) in the shape.

    ``raw_json``: JSON columns stay the database's text, for output through orjson only.
    """
    if rows and type(rows[0]) is Row:
        fn = _fast(shape, rows[0], (), raw_json)
        if fn:
            none: dict = {}
            return [fn(row, person, none) for row in rows]
    return [present(shape, row, person) for row in rows]


def present(shape: type[SQLModel], row, person: Person, **given) -> dict:
    """Return the row in the shape's fields; ``given`` supplies or overrides fields."""
    if type(row) is Row:
        fn = _fast(shape, row, tuple(given))
        if fn:
            return fn(row, person, given)
    out = {}
    # A Core row reads fastest through its mapping; ORM objects and the rest by attribute.
    mapping = getattr(row, "_mapping", None)
    read = mapping.get if mapping is not None else partial(getattr, row)
    for name, attr, convert, default in _plan(shape):
        if name in given:
            out[name] = given[name]
            continue
        value = read(attr, default)
        if value is _MISSING:
            raise AttributeError(f"{type(row).__name__} has no {attr!r} for {shape.__name__}")
        if convert is not None:
            value = person(value) if convert is _PERSON else convert(value)
        out[name] = value
    return out


def present_claim(shape: type[ClaimPublic], claim, person: Person, *, blinded: bool = False,
                  **given) -> dict:
    """Present a claim; a blinded one (blind second review) without verdict or conclusion."""
    if blinded:
        given = {"verdict": None, "conclusion": "", "blinded": True} | given
    return present(shape, claim, person, **given)


def field_names(shape: type[SQLModel]) -> list[str]:
    """Return the names a shape's JSON has, in order."""
    return list(shape.model_fields)


# -- issue 22: a source's snapshot -------------------------------------------------------------
SNAPSHOT_FIELDS = ("status", "fetched_at", "sha256", "final_url", "http_status", "content_type",
                   "quote", "health", "error")


def present_snapshot(row, prefix: str = "") -> dict | None:
    """Return a source's ``snapshot`` key: None when none was tried, else the DESIGN shape.

    ``row`` is a SourceSnapshot (or None), or a joined row whose snapshot columns are named
    ``prefix + field`` (the export reads them with the sources).
    """
    if row is None:
        return None
    mapping = getattr(row, "_mapping", None)
    read = mapping.get if mapping is not None else partial(getattr, row)
    if read(prefix + "status", None) is None:
        return None
    return {name: iso(read(prefix + name, None)) if name == "fetched_at"
            else read(prefix + name, None) for name in SNAPSHOT_FIELDS}
