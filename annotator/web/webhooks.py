"""Admin page for webhooks: endpoints (URL, events, a secret shown once) and delivery logs."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, jsonify, redirect, request, url_for

from annotator.db import get_session
from annotator.permissions import requires
from annotator.presenters import iso
from annotator.services import webhooks
from annotator.web.helpers import attempt, flash_back, render, user

bp = Blueprint("webhooks", __name__, url_prefix="/admin/webhooks")


def _endpoint_json(endpoint) -> dict:
    return {"id": endpoint.id, "url": endpoint.url, "events": endpoint.events,
            "active": endpoint.active, "created_at": iso(endpoint.created_at)}


def _page(status: int = 200, error: str | None = None, form=None, secret: str | None = None,
          field: str | None = None):
    found = webhooks.list_endpoints(get_session())
    return render("admin/webhooks.html", status=status, endpoints=found, error=error,
                  form=form or {}, secret=secret, field=field, events=webhooks.EVENTS)


@bp.get("")
@requires("admin")
def index():
    """List the endpoints, with the form to add one (JSON twin: ?format=json)."""
    if request.args.get("format") == "json":
        found = webhooks.list_endpoints(get_session())
        return jsonify({"items": [_endpoint_json(e) for e in found], "total": len(found)})
    return _page()


@bp.post("")
@requires("admin")
def add():
    """Register an endpoint; the page shows its secret this once."""
    url = request.form.get("url", "")
    chosen = request.form.getlist("events")
    form = {"url": url, "events": chosen}
    allow = bool(current_app.config.get("ALLOW_PRIVATE_URLS"))
    return attempt(
        lambda db: webhooks.add_endpoint(db, user(), url, chosen, allow_private=allow),
        lambda exc: _page(exc.status, exc.message, form, field=getattr(exc, "field", None)),
        lambda endpoint: _page(201, secret=endpoint.secret))


@bp.get("/<int:endpoint_id>")
@requires("admin")
def show(endpoint_id: int):
    """One endpoint's latest deliveries, each try with its time, status, duration, error."""
    db = get_session()
    endpoint = webhooks.get_endpoint(db, endpoint_id)
    found = webhooks.deliveries(db, endpoint_id)
    tries = webhooks.attempts_of(db, [d.id for d in found])
    if request.args.get("format") == "json":
        return jsonify({**_endpoint_json(endpoint), "deliveries": {"total": len(found), "items": [
            {"id": d.id, "event": d.event, "webhook_id": d.msg_id, "status": d.status,
             "attempts": [{"at": iso(a.at), "status_code": a.status_code,
                           "duration_ms": a.duration_ms, "error": a.error}
                          for a in tries[d.id]]} for d in found]}})
    return render("admin/webhook.html", endpoint=endpoint, deliveries=found, tries=tries)


@bp.post("/<int:endpoint_id>/active")
@requires("admin")
def set_active(endpoint_id: int):
    """Pause or resume an endpoint."""
    active = request.form.get("active") == "1"
    back = url_for("webhooks.show", endpoint_id=endpoint_id)

    def done(endpoint):
        flash("Endpoint resumed." if endpoint.active else "Endpoint paused: no new deliveries.",
              "info")
        return redirect(back, 303)

    return attempt(lambda db: webhooks.set_active(db, user(), endpoint_id, active),
                   flash_back(back), done)


@bp.post("/deliveries/<int:delivery_id>/resend")
@requires("admin")
def resend(delivery_id: int):
    """Send a delivery again from the log."""
    def done(delivery):
        flash(f"Delivery {delivery.id} ({delivery.event}) is being sent again.", "info")
        return redirect(url_for("webhooks.show", endpoint_id=delivery.endpoint_id), 303)

    return attempt(lambda db: webhooks.resend(db, user(), delivery_id),
                   flash_back(url_for("webhooks.index")), done)
