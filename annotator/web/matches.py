"""Checked before? The claim panel's matches fragment, linking or rejecting a match, loading
fact-checks."""

from __future__ import annotations

from flask import Blueprint, jsonify, redirect, request, url_for

from annotator import review
from annotator.db import get_session
from annotator.permissions import requires
from annotator.services import factchecks, jobs, matching
from annotator.services.errors import NotFound
from annotator.web.helpers import attempt, flash_back, is_htmx, render, user

bp = Blueprint("matches", __name__)


def _context(claim_id: int, message: str = "") -> dict:
    return {**matching.panel(get_session(), claim_id), "message": message,
            "may_link": review.may(user().role, "review") and user().active}


@bp.get("/claims/<int:claim_id>/matches")
@requires("read")
def panel(claim_id: int):
    """Show the earlier fact-checks that look like this claim (a fragment for htmx)."""
    context = _context(claim_id)
    if request.accept_mimetypes.best == "application/json":
        return jsonify({"items": context["matches"], "total": len(context["matches"]),
                        "linked": context["linked"]})
    return render("claims/matches.html", "claims/_matches.html", **context)


@bp.post("/claims/<int:claim_id>/matches/link")
@requires("review")
def link(claim_id: int):
    """Record "same claim as ..." for one of the matches."""
    return _judge(claim_id, matching.link_match, "Linked: recorded in the claim's history.")


@bp.post("/claims/<int:claim_id>/matches/reject")
@requires("review")
def reject(claim_id: int):
    """Record "not the same claim" for one of the matches; it is hidden from then on."""
    return _judge(claim_id, matching.reject_match,
                  "Marked not the same claim: hidden, and recorded in the history.")


def _judge(claim_id: int, record, message: str):
    """Record the reviewer's judgement of the match the form names; answer with the box."""
    kind = request.form.get("kind", "")
    ref = request.form.get("ref", "")

    def done(_value):
        if is_htmx():
            return render("claims/matches.html", "claims/_matches.html",
                          **_context(claim_id, message))
        return redirect(url_for("claims.show", claim_id=claim_id), 303)

    return attempt(lambda db: record(db, user(), claim_id, kind, ref),
                   flash_back(url_for("claims.show", claim_id=claim_id)), done)


# -- other outlets' fact-checks (admin) ------------------------------------------------------

def _admin_context(**extra) -> dict:
    return {**matching.archive(get_session(), factchecks.JOB_FORMAT), **extra}


@bp.get("/admin/factchecks")
@requires("admin")
def factchecks_page():
    """Show how many external fact-checks are loaded, and the upload form."""
    return render("factchecks/admin.html", **_admin_context())


@bp.post("/admin/factchecks")
@requires("admin")
def load_factchecks():
    """Start loading an uploaded ClaimReview file in the background; show its progress."""
    upload = request.files.get("file")
    data = upload.read() if upload else b""
    name = (upload.filename if upload else "") or "factchecks.json"

    def refused(exc):
        return render("factchecks/admin.html", status=exc.status,
                      **_admin_context(error=exc.message))

    def done(job):
        jobs.enqueue_job(job.id)
        return redirect(url_for("matches.factcheck_job", job_id=job.id), 303)

    return attempt(lambda db: factchecks.create_job(db, user(), name, data), refused, done)


@bp.get("/admin/factchecks/jobs/<int:job_id>")
@requires("admin")
def factcheck_job(job_id: int):
    """Show a load's progress; the fragment polls itself until the job finishes."""
    job = factchecks.job_of(get_session(), job_id)
    if job is None:
        raise NotFound("No such fact-check load.")
    if request.accept_mimetypes.best == "application/json":
        return jsonify({"id": job.id, "status": job.status, "done": job.done,
                        "total": job.total, "result": job.result, "error": job.error})
    return render("factchecks/job.html", "factchecks/_job.html", job=job)


