"""Server-side login sessions: a cookie is good only while its row here says so.

The browser's (signed) cookie carries a random secret; the LoginSession table keeps its
SHA-256 digest. A session ends on logout, and every session of a user ends when they are
deactivated, their role or password changes, or an admin resets their password: a copy of
the cookie replayed afterwards gets the login page. A session also ends after
``SESSION_IDLE_HOURS`` without a request and ``SESSION_LIFETIME_DAYS`` after sign-in.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlmodel import Session, select

from annotator.models import LoginSession, User, utcnow

# How often a session's last use is written: more often would make every request a write.
TOUCH_EVERY = timedelta(minutes=1)


@dataclass(frozen=True)
class Lifetimes:
    """How long a session lasts idle, and at most."""

    idle: timedelta = timedelta(hours=12)
    absolute: timedelta = timedelta(days=14)

    @classmethod
    def from_config(cls, config) -> Lifetimes:
        """Read SESSION_IDLE_HOURS and SESSION_LIFETIME_DAYS."""
        return cls(idle=timedelta(hours=float(config.get("SESSION_IDLE_HOURS", 12))),
                   absolute=timedelta(days=float(config.get("SESSION_LIFETIME_DAYS", 14))))


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=utcnow().tzinfo)


def start(session: Session, user: User) -> str:
    """Open a session for a user who just signed in; return the secret for the cookie."""
    secret = secrets.token_urlsafe(32)
    session.add(LoginSession(user_id=user.id, secret_hash=_digest(secret)))
    session.flush()
    return secret


def find(session: Session, secret: str | None, user_id: int, lifetimes: Lifetimes,
         now: datetime | None = None) -> tuple[LoginSession, User] | None:
    """Return the live session this cookie's secret names for this user, with the user.

    The user comes in the same query, one round trip fewer on every request. The caller
    keeps it: the ORM's identity map holds its objects weakly, so a later ``session.get``
    would find it gone and read it again.
    """
    if not secret or not isinstance(secret, str) or len(secret) > 200:
        return None
    found = session.exec(select(LoginSession, User).join(User, User.id == LoginSession.user_id)
                         .where(LoginSession.secret_hash == _digest(secret))).first()
    if found is None:
        return None
    row, user = found
    if row.user_id != user_id or row.ended_at is not None:
        return None
    now = now or utcnow()
    if now - _aware(row.created_at) > lifetimes.absolute:
        return None
    if now - _aware(row.last_seen_at) > lifetimes.idle:
        return None
    return row, user


def needs_touch(row: LoginSession, now: datetime | None = None) -> bool:
    """Tell whether the session's last use is old enough to be written again."""
    return (now or utcnow()) - _aware(row.last_seen_at) >= TOUCH_EVERY


def touch(session: Session, session_id: int, now: datetime | None = None) -> None:
    """Record that the session was used now (keeps it from going idle)."""
    session.exec(update(LoginSession).where(LoginSession.id == session_id)
                 .values(last_seen_at=now or utcnow()))


def end(session: Session, secret: str | None) -> None:
    """End the session this secret names (logout)."""
    if secret and isinstance(secret, str):
        session.exec(update(LoginSession).where(
            LoginSession.secret_hash == _digest(secret), LoginSession.ended_at.is_(None))
            .values(ended_at=utcnow()))


def end_all(session: Session, user: User) -> int:
    """End every session of a user; return how many were live."""
    result = session.exec(update(LoginSession).where(
        LoginSession.user_id == user.id, LoginSession.ended_at.is_(None))
        .values(ended_at=utcnow()))
    return result.rowcount or 0
