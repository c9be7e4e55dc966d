"""Source snapshots in the browser (issue 22): reader view, WARC download, fetch again,
sources at risk, and the admin's publishing gate.

The reader view shows the snapshot's extracted text only, autoescaped: never the page's own
HTML or scripts.
"""

from __future__ import annotations

from datetime import date, datetime

from flask import Blueprint, Response, flash, jsonify, redirect, request, url_for

from annotator.db import get_session
from annotator.permissions import requires
from annotator.presenters import iso, present_snapshot
from annotator.services import evidence, snapshots
from annotator.services import sources as source_pages
from annotator.services.errors import ServiceError
from annotator.web.helpers import attempt, flash_back, is_htmx, render, user

bp = Blueprint("sources", __name__)


@bp.app_template_filter("day")
def day(value) -> str:
    """Show a date as "6 Dec 2026"."""
    if isinstance(value, datetime | date):
        return f"{value.day} {value:%b %Y}"
    return "" if value is None else str(value)


def _fragment(source_id: int, status: int = 200, error: str | None = None):
    source, snap, can_edit = source_pages.entry(get_session(), user(), source_id)
    return render("claims/panel/_snapshot.html", status=status, s=source, snap=snap,
                  can_edit=can_edit, error=error)


@bp.route("/sources/<int:source_id>/snapshot/status")
@requires("read")
def snapshot_status(source_id: int):
    """Answer one source's snapshot fragment (the panel polls it while archiving)."""
    return _fragment(source_id)


@bp.route("/sources/<int:source_id>/snapshot", methods=["POST"])
@requires("review")
def fetch_again(source_id: int):
    """Queue the source's snapshot again (after a failure, or to archive it anew)."""
    db = get_session()
    source, _, _ = source_pages.entry(db, user(), source_id)
    back = url_for("claims.show", claim_id=source.claim_id)
    if is_htmx():
        def refused(exc: ServiceError):
            return _fragment(source_id, status=exc.status)
        return attempt(lambda s: source_pages.fetch_again(s, user(), source_id), refused,
                       lambda _snap: _fragment(source_id))

    def done(_snap):
        flash("The source will be archived again.", "info")
        return redirect(back, 303)
    return attempt(lambda s: source_pages.fetch_again(s, user(), source_id), flash_back(back),
                   done)


@bp.route("/sources/<int:source_id>/snapshot")
@requires("read")
def reader(source_id: int):
    """Show the snapshot's text (the reader view), the source's excerpt highlighted."""
    found = source_pages.reading(get_session(), source_id)
    if request.args.get("format") == "json":
        return jsonify({"source": found.source.id, "url": found.source.url,
                        "claim": found.source.claim_id,
                        "snapshot": present_snapshot(found.snapshot),
                        "text": "\n\n".join("".join(p for p, _ in para)
                                            for para in found.paragraphs)})
    return render("sources/reader.html", reading=found, source=found.source,
                  snap=found.snapshot)


@bp.route("/sources/<int:source_id>/warc")
@requires("read")
def warc(source_id: int):
    """Download the snapshot as a WARC file (gzipped records)."""
    data = snapshots.warc_of(get_session(), source_id)
    return Response(data, mimetype="application/warc", headers={
        "Content-Disposition": f'attachment; filename="source-{source_id}.warc.gz"',
        "X-Content-Type-Options": "nosniff"})


def _risk_json(item: evidence.AtRisk) -> dict:
    return {"claim_id": item.claim.id, "statement": item.claim.statement,
            "verdict": item.claim.verdict, "article": item.article_title,
            "approved_at": iso(item.claim.approved_at), "reason": item.reason,
            "sources": [{"id": s.id, "url": s.url, "title": s.title, "stance": s.stance,
                         "health": snap.health if snap else None,
                         "change": snap.change if snap else None,
                         "moved_to": snap.moved_to if snap else ""}
                        for s, snap in item.sources]}


@bp.route("/sources/at-risk")
@requires("read")
def at_risk():
    """List the published claims whose sources changed or went, worst first."""
    items, total = evidence.at_risk(get_session())
    if request.args.get("format") == "json":
        return jsonify({"items": [_risk_json(i) for i in items], "total": total})
    return render("sources/at_risk.html", items=items, total=total,
                  gate=evidence.gate_on(get_session()))


@bp.route("/admin/evidence")
@requires("admin")
def gate_settings():
    """Show the publishing gate's setting."""
    on = evidence.gate_on(get_session())
    if request.args.get("format") == "json":
        return jsonify({"gate": on})
    return render("sources/gate.html", gate=on)


@bp.route("/admin/evidence", methods=["POST"])
@requires("admin")
def set_gate():
    """Turn the publishing gate on or off."""
    on = request.form.get("gate") == "on"

    def done(_old):
        flash("Approval now needs a source archived with its quote found." if on
              else "Approval no longer needs an archived source.", "info")
        return redirect(url_for("sources.gate_settings"), 303)
    return attempt(lambda s: evidence.set_gate(s, on),
                   flash_back(url_for("sources.gate_settings")), done)
