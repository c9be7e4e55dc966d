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

from annotator import review
from annotator.db import engine_for, get_session, new_session, session_scope
from annotator.permissions import requires
from annotator.services import sessions, throttle, users

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str:
    # Only same-site paths: an open redirect after login is a phishing tool.
    if target and target.startswith("/") and not target.startswith("//"):
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc:
            return target
    return url_for("articles.index")


def _home(user) -> str:
    # Reviewers start from their queue; editors, who share out the work, from the articles.
    if review.may(user.role, "review") and not review.may(user.role, "assign"):
        return url_for("work.queue")
    return url_for("articles.index")


@bp.route("/login", methods=["GET", "POST"])
@requires("public")
def login():
    """Show the sign-in form and sign the user in."""
    if request.method == "POST":
        username = request.form.get("username", "")[:200]
        password = request.form.get("password", "")[:1024]
        address = request.remote_addr or ""
        limits = throttle.Limits.from_config(current_app.config)
        engine = engine_for(current_app)
        # Hold no transaction of this request's while counting in a short one of its own.
        get_session().rollback()
        try:
            # Count and record the attempt first, in its own short transaction: parallel
            # guesses are counted one by one, and a guesser learns nothing more.
            with session_scope(engine) as counter:
                attempt = throttle.begin(counter, username, address, limits)
            # Hashing takes a while: no write lock is held meanwhile.
            reader = new_session(engine)
            try:
                user = users.authenticate(reader, username, password)
            finally:
                reader.close()
            if user is not None:
                with session_scope(engine) as counter:
                    throttle.succeed(counter, attempt, username, address, limits)
        except throttle.Throttled as exc:
            flash(exc.message, "error")
            page = render_template("auth/login.html", username=username)
            return page, 429, {"Retry-After": str(exc.detail)}
        if user is not None:
            db = get_session()
            # A fresh session on sign-in, so a planted session id is worth nothing.
            session.clear()
            session["sid"] = sessions.start(db, user)
            db.commit()
            login_user(user)
            session["sv"] = user.session_version
            return redirect(_safe_next(request.args.get("next")) if request.args.get("next")
                            else _home(user), 303)
        flash("Wrong username or password, or the account is deactivated.", "error")
        return render_template("auth/login.html", username=username), 401
    return render_template("auth/login.html", username="")


@bp.route("/logout", methods=["POST"])
@requires("public")
def logout():
    """Sign out: this session ends on the server too, so a copied cookie is worth nothing."""
    db = get_session()
    sessions.end(db, session.get("sid"))
    db.commit()
    logout_user()
    session.clear()
    flash("You are signed out.", "info")
    return redirect(url_for("auth.login"), 303)


def session_is_live(user) -> bool:
    """Tell whether this request's cookie names a live server-side session of ``user``.

    Called by the user loader on every request. The session's last use is written at most
    once a minute (within a write request's own transaction, else in a short one).
    """
    db = get_session()
    row = sessions.find(db, session.get("sid"), user.id,
                        sessions.Lifetimes.from_config(current_app.config))
    if row is None:
        return False
    if sessions.needs_touch(row):
        if request.method in ("GET", "HEAD", "OPTIONS"):
            with session_scope(engine_for(current_app)) as writer:
                sessions.touch(writer, row.id)
        else:
            sessions.touch(db, row.id)
    return True
