"""Source snapshots in the API (issue 22): the archived WARC file of a source."""

from __future__ import annotations

from flask import Response

from annotator.api.blueprint import bp
from annotator.db import get_session
from annotator.permissions import requires
from annotator.services import snapshots


@bp.get("/sources/<int:source_id>/warc")
@requires("read")
def source_warc(source_id: int):
    """Serve a source's snapshot as a WARC file (gzipped records); 404 when none is stored."""
    data = snapshots.warc_of(get_session(), source_id)
    return Response(data, mimetype="application/warc", headers={
        "Content-Disposition": f'attachment; filename="source-{source_id}.warc.gz"'})
