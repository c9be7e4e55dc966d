"""Read a native JSON export as a stream: its head first, then one article at a time.

The document is never held whole. A file is read where it is (a stream that cannot seek is
spooled to a temporary file first); ``head`` walks it once, checking the nesting depth and
keeping every top-level value but the articles; ``articles`` walks it again and yields one
article (with its claims) at a time, so memory follows the largest article, not the file.
"""

from __future__ import annotations

import io
import json
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, Any

import ijson

from annotator.services.errors import Invalid

MAX_DEPTH = 64
SPOOL_BYTES = 32 * 1024 * 1024
_START = ("start_map", "start_array")
_END = ("end_map", "end_array")
# The C parser (yajl2_c) refuses integers beyond 64 bits; the pure Python one reads them,
# so that the importer's own checks can name the field that is out of range.
_EXACT = ijson.get_backend("python")


class _Overflow(Exception):
    """A number too large for the fast parser: read the file again with the exact one."""


def not_json(exc: Exception) -> Invalid:
    detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return Invalid(f"The file is not JSON: {detail[:200]}")


class ExportFile:
    """A seekable binary export document, read in passes."""

    def __init__(self, fh: IO[bytes]):
        self.fh = fh
        self.origin = fh.tell()
        self.backend: Any = ijson

    def _rewind(self) -> IO[bytes]:
        self.fh.seek(self.origin)
        return self.fh

    def _guard(self, run):
        """Run a pass; on a 64-bit overflow switch to the exact parser and run it again."""
        try:
            return run()
        except _Overflow:
            self.backend = _EXACT
            return run()

    def _events(self):
        try:
            yield from self.backend.basic_parse(self._rewind(), use_float=True)
        except ijson.JSONError as exc:
            if "integer overflow" in str(exc):
                raise _Overflow from None
            raise not_json(exc) from None
        except (UnicodeDecodeError, ValueError) as exc:
            raise not_json(exc) from None

    def may_hold_nul(self) -> bool:
        """Tell whether a NUL character may be in a string (JSON writes it as \\u0000).

        Scanned in raw chunks at C speed, so the per-value walk runs only when needed.
        """
        fh, tail = self._rewind(), b""
        while chunk := fh.read(1 << 20):
            if b"\\u0000" in tail + chunk:
                return True
            tail = chunk[-5:]
        return False

    def head(self) -> dict:
        """Return the top-level values; ``articles`` is [] when it is an array (read later).

        Raise Invalid for what is not JSON, not an object, or nests deeper than MAX_DEPTH.
        """
        return self._guard(self._head)

    def _head(self) -> dict:
        events = self._events()
        first = next(events, None)
        if first is None or first[0] != "start_map":
            for _ in events:  # the whole text must still parse: "not JSON" comes first
                pass
            raise Invalid("The file is not an annotator export (schema_version 1).")
        head: dict = {}
        depth, key, mode, builder = 1, None, None, None
        for event, value in events:
            if event in _START:
                depth += 1
                if depth > MAX_DEPTH:
                    raise Invalid(f"The file nests deeper than {MAX_DEPTH} levels; it is not "
                                  "an annotator export.")
            elif event in _END:
                depth -= 1
            if mode is None:
                if depth == 1 and event == "map_key":
                    key, mode = value, "value"
                continue
            if mode == "value":
                if key == "articles" and event == "start_array":
                    head[key], mode = [], "skip"
                    continue
                builder, mode = ijson.ObjectBuilder(), "build"
            if mode == "build":
                builder.event(event, value)
            if depth == 1:  # the value is complete
                if mode == "build":
                    head[key] = builder.value
                mode, builder = None, None
        return head

    def articles(self) -> Iterator[dict]:
        """Yield the articles one at a time, in document order."""
        # The head pass walked the whole file and chose the parser that reads its numbers.
        try:
            yield from self.backend.items(self._rewind(), "articles.item", use_float=True)
        except ijson.JSONError as exc:
            raise not_json(exc) from None


@contextmanager
def open_export(source: Any) -> Iterator[ExportFile]:
    """Open an export given as a dict, text, bytes or a file (binary or text)."""
    if isinstance(source, dict):
        try:
            source = json.dumps(source, ensure_ascii=False)
        except (RecursionError, ValueError):
            raise Invalid(f"The file nests deeper than {MAX_DEPTH} levels; it is not an "
                          "annotator export.") from None
    if isinstance(source, str):
        try:
            source = source.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise not_json(exc) from None
    if isinstance(source, bytes | bytearray | memoryview):
        yield ExportFile(io.BytesIO(source))
        return
    probe = source.read(0)
    if isinstance(probe, bytes) and _seekable(source):
        yield ExportFile(source)
        return
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as spool:
        if isinstance(probe, str):
            while chunk := source.read(1 << 20):
                spool.write(chunk.encode("utf-8", "surrogatepass"))
        else:
            shutil.copyfileobj(source, spool, 1 << 20)
        spool.seek(0)
        yield ExportFile(spool)


def _seekable(fh) -> bool:
    try:
        return bool(fh.seekable())
    except (AttributeError, OSError, ValueError):
        return False
