"""Request-level limits: JSON bodies nested too deeply, or holding what no text may hold, are
refused where they are read."""

from __future__ import annotations

import re

from flask.json.provider import DefaultJSONProvider

from annotator.sanitize import json_nests_deeper

MAX_JSON_DEPTH = 64


class DepthLimitedJSON(DefaultJSONProvider):
    """Parse JSON like Flask does, but refuse nesting deeper than ``MAX_JSON_DEPTH``.

    A refused body is a ValueError, which ``request.get_json`` turns into a 400 (or None
    with ``silent=True``): never a RecursionError and a 500. The parser itself stops a
    document nested past Python's recursion limit within its first thousand brackets; one
    that parses is then measured level by level (``sanitize.json_nests_deeper``).
    """

    def loads(self, s, **kwargs):
        too_deep = f"The JSON nests deeper than {MAX_JSON_DEPTH} levels."
        try:
            found = super().loads(s, **kwargs)
        except RecursionError:  # the parser stops some thousand levels down
            raise ValueError(too_deep) from None
        if json_nests_deeper(found, MAX_JSON_DEPTH, s):
            raise ValueError(too_deep)
        # A lone surrogate (\ud800 alone) is no text any field may hold, and PostgreSQL and
        # UTF-8 writers refuse it later: refuse it here, where the request is read.
        # Looked for in the bytes as they came: no decoding of a 4 MB paste a second time.
        if (_ESCAPED_SURROGATE if isinstance(s, str) else _ESCAPED_SURROGATE_BYTES).search(s):
            _refuse_lone_surrogates(found)
        return found


_ESCAPED_SURROGATE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")
_ESCAPED_SURROGATE_BYTES = re.compile(_ESCAPED_SURROGATE.pattern.encode())


def _refuse_lone_surrogates(node) -> None:
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                raise ValueError("The JSON holds a lone surrogate (\\ud800 alone), which is "
                                 "not text.") from None
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def refuse_nul_bytes():
    """Refuse a request whose query, form or JSON holds a NUL byte (a 400, before any view).

    No text the desk stores may hold one (PostgreSQL refuses them), and no honest form
    sends one. Uploaded files are checked where they are read.
    """
    from flask import abort, request

    message = "The request contains a NUL byte, which no field may hold."
    for values in (request.args, request.form):
        for key, value in values.items(multi=True):
            if "\x00" in key or "\x00" in value:
                abort(400, description=message)
    if request.is_json:
        raw = request.get_data(cache=True)
        # JSON spells the escape with a small u only (a capital one fails to parse).
        if b"\x00" in raw or b"\\u0000" in raw:
            abort(400, description=message)
    return None
