"""Sign in and out."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import login_user, logout_user

from annotator.db import get_session
from annotator.services import users

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
        db = get_session()
        user = users.authenticate(db, request.form.get("username", ""),
                                  request.form.get("password", ""))
        if user is not None:
            # A fresh session on sign-in, so a planted session id is worth nothing.
            session.clear()
            login_user(user)
            return redirect(_safe_next(request.args.get("next")), 303)
        flash("Wrong username or password, or the account is deactivated.", "error")
        return render_template("auth/login.html", username=request.form.get("username", "")), 401
    return render_template("auth/login.html", username="")


@bp.route("/logout", methods=["POST"])
def logout():
    """Sign out."""
    logout_user()
    session.clear()
    flash("You are signed out.", "info")
    return redirect(url_for("auth.login"), 303)
