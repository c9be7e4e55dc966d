"""SQL the exporters share: timestamps and JSON read as the stored text, on both databases.

Skipping SQLAlchemy's per-value conversion is most of an export's speed; ``presenters.iso``
and ``presenters.loads`` finish the job where a value is used.
"""

from __future__ import annotations

from sqlalchemy import JSON, DateTime, String
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement


class utc_text(FunctionElement):  # noqa: N801 - reads like the SQL function it renders
    """A timestamp as SQLite stores it, "2026-05-01 12:00:00.000000" (UTC), on both databases.

    PostgreSQL formats it in the query (its timestamps all have a time zone): cheaper than
    the driver building a datetime and ``presenters.iso`` formatting it again.
    """

    type = String()
    inherit_cache = True


class json_text(FunctionElement):  # noqa: N801 - reads like the SQL it renders
    """A JSON column as its stored text on both databases (PostgreSQL's driver would parse it)."""

    type = String()
    inherit_cache = True


@compiles(json_text)
def _json_text(element, compiler, **kw):
    return compiler.process(element.clauses, **kw)


@compiles(json_text, "postgresql")
def _json_text_postgresql(element, compiler, **kw):
    return f"CAST(({compiler.process(element.clauses, **kw)}) AS TEXT)"


@compiles(utc_text)
def _utc_text(element, compiler, **kw):
    return compiler.process(element.clauses, **kw)


@compiles(utc_text, "postgresql")
def _utc_text_postgresql(element, compiler, **kw):
    return (f"to_char(({compiler.process(element.clauses, **kw)}) AT TIME ZONE 'UTC', "
            "'YYYY-MM-DD HH24:MI:SS.US')")


def _raw(table) -> list:
    """Select a table's columns, timestamps and JSON as the driver gives them.

    Skipping SQLAlchemy's per-value conversion (SQLite keeps both as text) is most of an
    export's speed; ``presenters.iso`` and ``loads`` finish the job where a value is used.
    """
    cols = []
    for col in table.c:
        kind = getattr(col.type, "impl", col.type)
        if isinstance(kind, DateTime):
            cols.append(utc_text(col).label(col.name))
        elif isinstance(kind, JSON):
            cols.append(json_text(col).label(col.name))
        else:
            cols.append(col)
    return cols


_RAW: dict = {}


def raw_columns(table) -> list:
    if table.name not in _RAW:
        _RAW[table.name] = _raw(table)
    return _RAW[table.name]
