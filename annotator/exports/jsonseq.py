"""The inside of a JSON array, written a chunk at a time (streamed exports)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import orjson


def json_sequence(nodes: Iterable[dict], batch: int = 200) -> Iterator[str]:
    """Serialise items as the inside of a JSON array, in chunks of `batch` items."""
    parts: list[str] = []
    separator = ""
    for node in nodes:
        parts.append(separator + orjson.dumps(node).decode())
        separator = ","
        if len(parts) >= batch:
            yield "".join(parts)
            parts.clear()
    if parts:
        yield "".join(parts)
