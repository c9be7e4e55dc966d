"""Login throttling: failed sign-ins counted per account and per address, in the database.

The counts live in the LoginAttempt table, not in process memory, so every app server
behind the proxy sees the same ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func
from sqlmodel import Session, select

from annotator.models import LoginAttempt, utcnow
from annotator.services.errors import ServiceError


@dataclass(frozen=True)
class Limits:
    """How many failures, per account and per address, a window may hold."""

    per_account: int = 5
    per_address: int = 20
    window: timedelta = timedelta(minutes=15)

    @classmethod
    def from_config(cls, config) -> Limits:
        """Read LOGIN_MAX_PER_ACCOUNT, LOGIN_MAX_PER_ADDRESS and LOGIN_WINDOW_MINUTES."""
        return cls(per_account=int(config.get("LOGIN_MAX_PER_ACCOUNT", 5)),
                   per_address=int(config.get("LOGIN_MAX_PER_ADDRESS", 20)),
                   window=timedelta(minutes=float(config.get("LOGIN_WINDOW_MINUTES", 15))))


class Throttled(ServiceError):
    """Too many recent failures; detail is the number of seconds to wait."""

    status = 429


def _key(username: str) -> str:
    return (username or "").strip()[:64]


def _count(session: Session, column, value: str, since: datetime) -> tuple[int, datetime | None]:
    row = session.exec(select(func.count(), func.min(LoginAttempt.created_at))
                       .where(column == value, LoginAttempt.created_at > since)).one()
    return row[0], row[1]


def _wait(oldest, limits: Limits, now: datetime) -> int:
    # The lock lifts when the oldest failure that counts leaves the window.
    if oldest is None:
        return int(limits.window.total_seconds())
    if oldest.tzinfo is None:  # SQLite hands back naive UTC through some paths
        oldest = oldest.replace(tzinfo=now.tzinfo)
    return max(1, int((oldest + limits.window - now).total_seconds()) + 1)


def check(session: Session, username: str, address: str, limits: Limits,
          now: datetime | None = None) -> None:
    """Refuse, before any password is checked, when the account or address is over its limit."""
    now = now or utcnow()
    since = now - limits.window
    count, oldest = _count(session, LoginAttempt.username, _key(username), since)
    if count >= limits.per_account:
        minutes = _minutes(limits)
        raise Throttled(f"Too many failed sign-ins for this account. Wait {minutes} minutes "
                        "and try again, or ask an admin to reset the password.",
                        _wait(oldest, limits, now))
    count, oldest = _count(session, LoginAttempt.address, address or "", since)
    if count >= limits.per_address:
        raise Throttled(f"Too many failed sign-ins from your network. Wait {_minutes(limits)} "
                        "minutes and try again.", _wait(oldest, limits, now))


def _minutes(limits: Limits) -> int:
    return max(1, round(limits.window.total_seconds() / 60))


def record_failure(session: Session, username: str, address: str, limits: Limits,
                   now: datetime | None = None) -> None:
    """Count one failed sign-in, and forget this account's and address's expired ones."""
    now = now or utcnow()
    cutoff = now - limits.window
    key = _key(username)
    session.exec(delete(LoginAttempt).where(LoginAttempt.username == key,
                                            LoginAttempt.created_at <= cutoff))
    session.exec(delete(LoginAttempt).where(LoginAttempt.address == (address or ""),
                                            LoginAttempt.created_at <= cutoff))
    session.add(LoginAttempt(username=key, address=(address or "")[:64], created_at=now))
    session.flush()


def clear(session: Session, username: str) -> None:
    """Forget an account's failures after it signs in; the address's count stays."""
    session.exec(delete(LoginAttempt).where(LoginAttempt.username == _key(username)))
