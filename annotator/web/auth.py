"""Sign in and out."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from contextlib import contextmanager
from typing import Any
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
from annotator.models import User
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
        # Normalised before anything else: every spelling of a name is the same account.
        username = users.normalize_username(request.form.get("username", "")[:200])
        password = request.form.get("password", "")[:1024]
        engine = engine_for(current_app)

        def check():
            reader = new_session(engine)
            try:
                return users.authenticate(reader, username, password)
            finally:
                reader.close()

        try:
            user = throttled_check(username, check)
        except throttle.Throttled as exc:
            flash(exc.message, "error")
            page = render_template("auth/login.html", username=username)
            return page, 429, {"Retry-After": str(exc.detail)}
        if user is not None:
            # A hash made with older Argon2 settings is renewed now, while the password is
            # at hand; worked out before the first write, so no write lock waits on it.
            renewed = users.renewed_hash(user, password)
            db = get_session()
            if renewed:
                users.store_renewed_hash(db, user, renewed)
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


# How long a password check waits for its turn while others for the account are running.
TURN_WAIT_SECONDS = 5.0


def throttled_check(username: str, check: Callable[[], Any]) -> Any:
    """Run a password check under the sign-in throttle; raise ``throttle.Throttled``.

    Sign-in, password change and any other form that checks a password go through here:
    the attempt is counted first, in a short transaction of its own (parallel guesses are
    counted one by one), the check runs with no transaction and no write lock held, and it
    counts as failed only if ``check`` answers falsy (or raises). While as many checks for
    the account run as it has tries left, the attempt waits its turn (up to
    TURN_WAIT_SECONDS) with a place in the queue; once as many wait as may run, more are
    refused at once (429, one second), so parallel guesses never hold every server thread.

    Within one server process, the attempts of one account from one address take that
    first count one at a time, and a refusal the database gave one of them answers the
    others for up to ``throttle.REMEMBER_SECONDS`` (issue 19): twenty guesses sent at once
    cost a few reads and counts, not twenty each, while reviewers wait for the threads.
    """
    address = request.remote_addr or ""
    limits = throttle.Limits.from_config(current_app.config)
    engine = engine_for(current_app)
    db = get_session()
    refusals, turns = _memory()
    key = throttle.Refusals.key(username, address)
    deadline = time.monotonic() + TURN_WAIT_SECONDS
    place = None  # our place in the queue for a turn, once we have to wait
    try:
        try:
            _refuse_from_memory(refusals, key)
            with turns.turn(key, deadline - time.monotonic()):
                _refuse_from_memory(refusals, key)  # given while this one waited its turn
                # A throttled account is refused on a read, before any lock is queued for.
                # The read is the request's own (it has written nothing: no lock is held),
                # so the page a refusal answers with reads on in the same transaction, its
                # user still loaded.
                throttle.refuse_if_throttled(db, username, address, limits)
                # Hold no transaction of this request's while counting in one of its own.
                db.rollback()
                attempt, place = _count(engine, username, address, limits, place)
            while attempt is None:
                _wait_for_turn(engine, username, address, limits, deadline)
                attempt, place = _count(engine, username, address, limits, place)
        except throttle.Throttled as exc:
            refusals.remember(key, exc)
            raise
    finally:
        if place is not None:  # refused, or the wait ended: give the place back
            with session_scope(engine) as counter:
                throttle.leave(counter, place)
    try:
        result = check()
    except BaseException:
        with session_scope(engine) as counter:
            throttle.fail(counter, attempt)
        raise
    if not result:
        with session_scope(engine) as counter:
            throttle.fail(counter, attempt)
        return result
    try:
        with session_scope(engine) as counter:
            throttle.succeed(counter, attempt, username, address, limits)
    except throttle.Throttled:
        with session_scope(engine) as counter:
            throttle.fail(counter, attempt)
        raise
    refusals.forget(key)
    return result


def _count(engine, username: str, address: str, limits: throttle.Limits,
           place: int | None) -> tuple[int | None, int | None]:
    """Count the attempt in a short transaction: (its id, or None to wait; our place)."""
    with session_scope(engine) as counter:
        attempt = throttle.begin(counter, username, address, limits, queued=place is not None)
        if attempt is None and place is None:
            place = throttle.queue(counter, username, address, limits)
        elif attempt is not None and place is not None:
            throttle.leave(counter, place)
            place = None
    return attempt, place


def _refuse_from_memory(refusals: throttle.Refusals, key: tuple[str, str]) -> None:
    refused = refusals.recall(key)
    if refused is not None:
        raise refused


class _Turns:
    """One thread at a time per key through a short section, within this process."""

    def __init__(self):
        self._guard = threading.Lock()
        self._locks: dict[tuple[str, str], list] = {}  # key -> [lock, threads using it]

    @contextmanager
    def turn(self, key: tuple[str, str], timeout: float):
        """Hold the key's turn; refuse as busy (one second) if it does not come in time."""
        with self._guard:
            entry = self._locks.setdefault(key, [threading.Lock(), 0])
            entry[1] += 1
        try:
            if not entry[0].acquire(timeout=max(timeout, 0.0)):
                raise throttle.Throttled(throttle.BUSY, 1)
            try:
                yield
            finally:
                entry[0].release()
        finally:
            with self._guard:
                entry[1] -= 1
                if not entry[1]:
                    del self._locks[key]


def _memory() -> tuple[throttle.Refusals, _Turns]:
    """Return this app's (in this process) refusals memory and turns, made on first use."""
    found = current_app.extensions.get(_MEMORY)
    if found is None:
        found = current_app.extensions.setdefault(
            _MEMORY, (throttle.Refusals(time.monotonic), _Turns()))
    return found


_MEMORY = "annotator.sign_in_memory"


def _wait_for_turn(engine, username: str, address: str, limits: throttle.Limits,
                   deadline: float) -> None:
    """Others' checks for this account are running: look (a read, no write lock), less and
    less often, until one has finished; raise ``Throttled`` once the deadline has passed."""
    pause = 0.05
    while True:
        if time.monotonic() > deadline:
            raise throttle.Throttled(throttle.BUSY, 1)
        time.sleep(pause)
        pause = min(pause * 2, 0.4)
        with session_scope(engine, write=False) as looking:
            if throttle.turn_free(looking, username, address, limits):
                return


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


def live_session_user(user_id: int) -> User | None:
    """Return the user if this request's cookie names a live server-side session of theirs.

    Called by the user loader on every request: one query reads the session and its user.
    The session's last use is written at most once a minute, always in a short transaction
    of its own: the user loader never writes inside the request's transaction, which so
    takes no write lock before the view's first write (issue 19).
    """
    db = get_session()
    found = sessions.find(db, session.get("sid"), user_id,
                          sessions.Lifetimes.from_config(current_app.config))
    if found is None:
        return None
    row, user = found
    if sessions.needs_touch(row):
        with session_scope(engine_for(current_app)) as writer:
            sessions.touch(writer, row.id)
    return user
