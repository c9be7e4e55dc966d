"""An approved claim's public fact-check page, and setting where the desk published it."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from markupsafe import Markup

from annotator.db import get_session
from annotator.exports.claimreview import dumps, single_claimreview
from annotator.permissions import requires
from annotator.services import publish
from annotator.web.helpers import attempt, flash_back, is_htmx, user

bp = Blueprint("public", __name__)

# The public page runs no script at all; its JSON-LD is a data block, which CSP does not
# execute or block. Stricter than the app's policy: nothing but our stylesheet loads.
PUBLIC_CSP = ("default-src 'none'; style-src 'self'; img-src 'self' data:; base-uri 'none'; "
              "form-action 'none'; frame-ancestors 'none'")


@bp.get("/claims/<int:claim_id>/public")
@requires("public")
def claim(claim_id: int):
    """Show an approved claim's fact-check to anyone, when PUBLIC_PAGES is on (else 404)."""
    if not current_app.config.get("PUBLIC_PAGES"):
        abort(404)
    db = get_session()
    published = publish.public_claim(db, claim_id)
    if published is None:
        abort(404, description="No published fact-check here.")
    found, article, sources, verdict = published
    doc = single_claimreview(db, found, base_url=current_app.config["PUBLIC_BASE_URL"],
                             desk_name=current_app.config["DESK_NAME"])
    # dumps escapes <, > and &, so the JSON cannot close its <script> element.
    jsonld = Markup(dumps(doc)) if doc else None  # noqa: S704 - HTML-safe JSON by construction
    response = current_app.make_response(render_template(
        "public/claim.html", claim=found, article=article, sources=sources, verdict=verdict,
        jsonld=jsonld, desk_name=current_app.config["DESK_NAME"]))
    response.headers["Content-Security-Policy"] = PUBLIC_CSP
    return response


@bp.post("/claims/<int:claim_id>/publish")
@requires("review")
def publish_url(claim_id: int):
    """Record where the desk published an approved claim's fact-check (editors)."""
    back = url_for("claims.show", claim_id=claim_id)

    def done(_claim):
        if is_htmx():
            from flask_htmx import make_response as hx_response

            return hx_response(redirect=back)
        return redirect(back, 303)

    return attempt(lambda db: publish.set_published_url(
        db, user(), claim_id, request.form.get("published_url", ""),
        request.form.get("version")), flash_back(back), done)
