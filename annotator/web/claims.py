"""The claim panel: edit, sources, notes, workflow actions. Each POST answers with the panel.

A refused form comes back inside the panel with what was typed and the reason beside the
field; a save confirms in place ("Saved · v5").
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, url_for

from annotator.db import get_session
from annotator.permissions import requires
from annotator.sanitize import bounded_int
from annotator.services import blind, params, spans
from annotator.services import claims as claim_service
from annotator.services.errors import Conflict, Invalid, ServiceError
from annotator.web.helpers import attempt, field_of, form_dict, hx_response, is_htmx, render, user
from annotator.web.workspace import article_page, panel_context

bp = Blueprint("claims", __name__)


def _panel(claim_id: int, status: int = 200, **extra):
    db = get_session()
    claim = claim_service.read_claim(db, claim_id)
    if is_htmx():
        # The list entry is swapped out of band, so its state and verdict stay current.
        return render("claims/_panel.html", status=status, oob_item=True,
                      **panel_context(claim, **extra))
    return article_page(claim.article_id, claim_id, status=status, **extra)


def _after_write(claim_id: int, message: str, reload: bool = False, form: str | None = None):
    if is_htmx() and reload:
        # Spans moved: the whole page (highlights and list) must be drawn again.
        flash(message, "info")
        return hx_response("", 204, redirect=url_for("claims.show", claim_id=claim_id))
    if is_htmx():
        # `saved_form` names the form that was saved: the panel marks it, not the message.
        return _panel(claim_id, saved=message, saved_form=form)
    flash(message, "info")
    return redirect(url_for("claims.show", claim_id=claim_id), 303)


def _run(claim_id: int, action, message, *, form: str | None = None,
         draft: dict | None = None, reload: bool = False):
    """Run one service call in the request's transaction and answer with the panel.

    ``message`` is the confirmation, or a function of the action's result giving it.
    """
    def refused(exc: ServiceError):
        if isinstance(exc, Conflict) and form == "claim":
            return _panel(claim_id, status=409, draft=draft, failed=form,
                          conflict={"message": exc.message, "mine": draft})
        return _panel(claim_id, status=exc.status, error=exc.message, draft=draft,
                      failed=form, field=field_of(exc))

    def done(result):
        return _after_write(claim_id, message(result) if callable(message) else message,
                            reload, form)

    return attempt(action, refused, done)


@bp.route("/claims/<int:claim_id>")
@requires("read")
def show(claim_id: int):
    """Show a claim: its panel for htmx, else the article page with the panel open."""
    return _panel(claim_id)


@bp.route("/claims/<int:claim_id>", methods=["POST"])
@requires("review")
def update(claim_id: int):
    """Save statement, claimant, verdict and conclusion against the version it was loaded at."""
    form = form_dict()
    changes = {k: form[k] for k in claim_service.EDITABLE if k in form}
    return _run(claim_id, lambda db: claim_service.update_claim(
        db, user(), claim_id, form.get("version"), changes),
        lambda claim: f"Saved · v{claim.version}", form="claim", draft=changes)


@bp.route("/claims/<int:claim_id>/rewrite/<int:index>/undo", methods=["POST"])
@requires("review")
def undo_step(claim_id: int, index: int):
    """Undo one named rewrite step of the statement: an edit, with its event (issue 20)."""
    from annotator.services import rewrite as rewrite_service

    version = form_dict().get("version")
    return _run(claim_id, lambda db: rewrite_service.undo_step(db, user(), claim_id, index,
                                                                version),
                lambda claim: f"Step undone · v{claim.version}")


@bp.route("/claims/<int:claim_id>/sources", methods=["POST"])
@requires("review")
def add_source(claim_id: int):
    """Attach a source."""
    form = form_dict()
    return _run(claim_id, lambda db: claim_service.add_source(db, user(), claim_id, form),
                "Source added.", form="source", draft=form)


@bp.route("/claims/<int:claim_id>/sources/<int:source_id>", methods=["POST"])
@requires("review")
def update_source(claim_id: int, source_id: int):
    """Change a source."""
    form = form_dict()
    return _run(claim_id, lambda db: claim_service.update_source(
        db, user(), claim_id, source_id, form), "Source saved.", form=f"source-{source_id}",
        draft=form)


@bp.route("/claims/<int:claim_id>/sources/<int:source_id>/delete", methods=["POST"])
@requires("review")
def remove_source(claim_id: int, source_id: int):
    """Remove a source (its content stays in the history)."""
    return _run(claim_id, lambda db: claim_service.remove_source(
        db, user(), claim_id, source_id), "Source removed.", form="action")


@bp.route("/claims/<int:claim_id>/notes", methods=["POST"])
@requires("review")
def add_note(claim_id: int):
    """Add a note to the thread."""
    form = form_dict()
    return _run(claim_id, lambda db: claim_service.add_note(
        db, user(), claim_id, form.get("body", "")), "Note added.", form="note", draft=form)


@bp.route("/claims/<int:claim_id>/transitions", methods=["POST"])
@requires("review")
def transition(claim_id: int):
    """Take a workflow action."""
    form = form_dict()
    assignee = form.get("assignee", "").strip()
    assignee_id = params.to_int(assignee, "assignee", low=1) if assignee else None

    action = form.get("action", "")
    return _run(claim_id, lambda db: claim_service.transition(
        db, user(), claim_id, action, comment=form.get("comment"),
        assignee_id=assignee_id, version=form.get("version")),
        f"Done: {action.replace('_', ' ')}.", form="action", draft=form)


@bp.route("/claims/<int:claim_id>/blind", methods=["POST"])
@requires("review")
def record_blind(claim_id: int):
    """Record an independent second verdict without seeing the first."""
    form = form_dict()
    return _run(claim_id, lambda db: blind.record(db, user(), claim_id, form.get("verdict", ""),
                                                  form.get("conclusion", "")),
                "Your independent verdict is recorded.", form="blind", draft=form)


@bp.route("/claims/<int:claim_id>/merge", methods=["POST"])
@requires("review")
def merge(claim_id: int):
    """Merge the next claim (or the one named) into this one."""
    form = form_dict()

    def run(db):
        other = form.get("other", "")
        if bounded_int(other, low=1) is None:
            following = spans.next_claim(db, claim_service.get_claim(db, claim_id))
            if following is None:
                raise Invalid("There is no following claim to merge with.")
            other = following.id
        spans.merge(db, user(), claim_id, int(other), form.get("version"))

    return _run(claim_id, run, "Claims merged.", form="action", reload=True)


@bp.route("/claims/<int:claim_id>/split", methods=["POST"])
@requires("review")
def split(claim_id: int):
    """Split this claim in two at the chosen point."""
    form = form_dict()
    return _run(claim_id, lambda db: spans.split(db, user(), claim_id, form.get("at"),
                                                 form.get("version")), "Claim split in two.",
                form="action", reload=True)
