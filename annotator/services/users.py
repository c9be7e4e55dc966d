"""Accounts: create, authenticate, passwords (Argon2id) and API tokens."""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlmodel import Session, select

from annotator.models import ROLES, ApiToken, User, utcnow
from annotator.services.errors import Invalid, NotFound

_hasher = PasswordHasher()
USERNAME_RE = re.compile(r"^[A-Za-z0-9_.-]{2,64}$")
MIN_PASSWORD = 8
# Verifying against a dummy hash keeps the time of a failed login the same for unknown users.
_DUMMY_HASH = _hasher.hash(secrets.token_hex(8))


def hash_password(password: str) -> str:
    """Hash a password with Argon2id."""
    return _hasher.hash(password)


def check_password(user: User | None, password: str) -> bool:
    """Tell whether password is the user's; take the same time when the user is unknown."""
    try:
        return _hasher.verify(user.password_hash if user else _DUMMY_HASH, password) and bool(user)
    except (VerificationError, InvalidHashError):
        return False


def validate_password(password: str) -> None:
    """Refuse a password that is too short."""
    if len(password or "") < MIN_PASSWORD:
        raise Invalid(f"The password must have at least {MIN_PASSWORD} characters.")


def create_user(
    session: Session, username: str, role: str, password: str, display_name: str = ""
) -> User:
    """Create an account; the username must be new."""
    username = (username or "").strip()
    if not USERNAME_RE.match(username):
        raise Invalid("A username has 2 to 64 letters, digits, dots, dashes or underscores.")
    if role not in ROLES:
        raise Invalid(f"Unknown role {role!r}; choose one of {', '.join(ROLES)}.")
    validate_password(password)
    if session.exec(select(User).where(User.username == username)).first():
        raise Invalid(f"The username {username!r} is taken.")
    user = User(
        username=username,
        role=role,
        display_name=(display_name or username).strip()[:120],
        password_hash=hash_password(password),
    )
    session.add(user)
    session.flush()
    return user


def authenticate(session: Session, username: str, password: str) -> User | None:
    """Return the active user with this username and password, else None."""
    user = session.exec(select(User).where(User.username == (username or "").strip())).first()
    if check_password(user, password or "") and user.active:
        return user
    return None


def get_user(session: Session, user_id: int) -> User:
    """Return a user by id."""
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("No such user.")
    return user


def user_by_name(session: Session, username: str) -> User | None:
    """Return the user with this username, or None."""
    return session.exec(select(User).where(User.username == username)).first()


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(
    session: Session, user: User, name: str = "", expires_at: datetime | None = None
) -> tuple[ApiToken, str]:
    """Create an API token; return the row and the secret, which is shown once only."""
    secret = "ann_" + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=user.id, name=name.strip()[:120], token_hash=_digest(secret), expires_at=expires_at
    )
    session.add(token)
    session.flush()
    return token, secret


def user_for_token(session: Session, secret: str) -> User | None:
    """Return the active user a valid, unexpired, unrevoked token belongs to."""
    token = session.exec(select(ApiToken).where(ApiToken.token_hash == _digest(secret))).first()
    if token is None or token.revoked_at is not None:
        return None
    if token.expires_at is not None and token.expires_at <= utcnow():
        return None
    user = session.get(User, token.user_id)
    return user if user is not None and user.active else None
