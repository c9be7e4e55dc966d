"""Sign in and out."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import login_user, logout_user

from annotator.db import engine_for, get_session, new_session
from annotator.services import throttle, users

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str:
    # Only same-site paths: an open redirect after login is a phishing tool.
    if target and target.startswith("/") and not target.startswith("//"):
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc:
            return target
    return url_for("articles.index")


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Show the sign-in form and sign the user in."""
    if request.method == "POST":
        username = request.form.get("username", "")
        address = request.remote_addr or ""
        limits = throttle.Limits.from_config(current_app.config)
        # Check in a read-only session: hashing the password takes a while, and SQLite's
        # write lock must not be held meanwhile. Only the bookkeeping below writes.
        reader = new_session(engine_for(current_app))
        try:
            # Before the password is even looked at: a guesser learns nothing more.
            throttle.check(reader, username, address, limits)
            user = users.authenticate(reader, username, request.form.get("password", ""))
        except throttle.Throttled as exc:
            flash(exc.message, "error")
            page = render_template("auth/login.html", username=username)
            return page, 429, {"Retry-After": str(exc.detail)}
        finally:
            reader.close()
        db = get_session()
        if user is not None:
            throttle.clear(db, username)
            db.commit()
            # A fresh session on sign-in, so a planted session id is worth nothing.
            session.clear()
            login_user(user)
            session["sv"] = user.session_version
            return redirect(_safe_next(request.args.get("next")), 303)
        throttle.record_failure(db, username, address, limits)
        db.commit()
        flash("Wrong username or password, or the account is deactivated.", "error")
        return render_template("auth/login.html", username=username), 401
    return render_template("auth/login.html", username="")


@bp.route("/logout", methods=["POST"])
def logout():
    """Sign out."""
    logout_user()
    session.clear()
    flash("You are signed out.", "info")
    return redirect(url_for("auth.login"), 303)
