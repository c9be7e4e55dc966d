"""Exports streamed as a download: the one path the web and API faces share."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from sqlalchemy.engine import Engine
from sqlmodel import Session

from annotator.engine import new_session
from annotator.exports import FORMATS, filename, run_export
from annotator.exports.filters import filters_from_query
from annotator.models import User
from annotator.services import blind
from annotator.services.errors import Invalid, NotFound


@dataclass(frozen=True)
class Download:
    """An export ready to stream: its chunks, Content-Type and file name."""

    chunks: Iterator[bytes]
    content_type: str
    filename: str

    @property
    def headers(self) -> dict[str, str]:
        """Return the headers that make the browser save the body as a file."""
        return {"Content-Disposition": f'attachment; filename="{self.filename}"'}


def export_download(session: Session, user: User | None, fmt_name: str, args,
                    engine: Engine, config: Mapping) -> Download:
    """Prepare the named export, filtered by query-style ``args``, for this reader.

    The chunks read through their own session on ``engine``: a streamed body outlives the
    request's session. What a blind second reviewer may not see stays out of the file.
    """
    fmt = FORMATS.get(fmt_name)
    if fmt is None:
        raise NotFound(f"Unknown export format; use one of {', '.join(FORMATS)}.")
    try:
        filters = filters_from_query(args)
    except ValueError as exc:
        raise Invalid(str(exc)) from None
    filters.hidden = blind.hidden_claim_ids(session, user)
    base_url, desk = config["PUBLIC_BASE_URL"], config["DESK_NAME"]

    def generate() -> Iterator[bytes]:
        reader = new_session(engine)
        try:
            for chunk in run_export(reader, fmt.name, filters, base_url=base_url,
                                    desk_name=desk):
                yield chunk.encode("utf-8")
        finally:
            reader.close()

    return Download(generate(), fmt.content_type, filename(fmt, filters))
