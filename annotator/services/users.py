"""Accounts: create, authenticate, roles, deactivation, passwords (Argon2id) and API tokens.

Every administrative change records an Event (``user_*`` and ``token_*`` actions) with the
old and new values. Events never hold a password, a hash or a token secret.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, or_, update
from sqlmodel import Session, select

from annotator.models import ROLES, ApiToken, User, utcnow
from annotator.priority import LowPriorityPool
from annotator.services import events, queries, sessions
from annotator.services.errors import Invalid, NotFound

# Argon2id with the first of OWASP's recommended settings (Password Storage Cheat Sheet:
# 19 MiB of memory, two passes, one lane), which OWASP rates as strong as its others.
# argon2-cffi's own default (RFC 9106's low-memory profile: 64 MiB, three passes, four
# lanes) took 155 ms of CPU per check on a two-core server, against 18 ms for these: three
# sign-ins at once held the cores for half a second, and reviewers' saves waited behind
# them (issue 19). A hash made with other settings still verifies, and is renewed at the
# next sign-in (``renewed_hash``).
ARGON2 = {"time_cost": 2, "memory_cost": 19 * 1024, "parallelism": 1}
_hasher = PasswordHasher(**ARGON2)
# Argon2 is slow on purpose (milliseconds of CPU, and memory): at most HASH_CONCURRENCY
# run at once per worker process, on threads at niceness HASH_NICE, so a burst of password
# attempts queues here and yields the cores to the server's other requests instead of
# starving them (issue 19; annotator/priority.py says where that ends). A sign-in waits
# longer while the desk is busy.
HASH_CONCURRENCY = 2
HASH_NICE = 19
_hashing = LowPriorityPool(HASH_CONCURRENCY, HASH_NICE, "annotator-argon2")
# Matched with fullmatch: "editor1\n" is no username (``$`` would let the newline through).
USERNAME_RE = re.compile(r"[A-Za-z0-9_.-]{2,64}")
MIN_PASSWORD = 10
# Verifying against a dummy hash keeps the time of a failed login the same for unknown users.
_DUMMY_HASH = _hasher.hash(secrets.token_hex(8))


def hash_password(password: str) -> str:
    """Hash a password with Argon2id."""
    return _hashing.run(_hasher.hash, password)


def check_password(user: User | None, password: str) -> bool:
    """Tell whether password is the user's; take the same time for every username.

    An unknown user, or one with no usable password (imported, never given one), is
    checked against a dummy hash, so the answer takes as long as for anyone else.
    """
    stored = user.password_hash if user else ""
    usable = stored.startswith("$argon2")
    try:
        return _hashing.run(_hasher.verify, stored if usable else _DUMMY_HASH, password) and usable
    except (VerificationError, InvalidHashError):
        return False


def renewed_hash(user: User, password: str) -> str | None:
    """Return a new hash of the user's password if theirs was made with other settings.

    Call it only once ``check_password`` has said the password is right; None when the
    stored hash is current (or not an Argon2 hash at all).
    """
    stored = user.password_hash or ""
    if not stored.startswith("$argon2"):
        return None
    try:
        if not _hasher.check_needs_rehash(stored):
            return None
    except InvalidHashError:
        return None
    return hash_password(password)


def store_renewed_hash(session: Session, user: User, new_hash: str) -> bool:
    """Put a renewed hash (``renewed_hash``) in place of ``user``'s; return whether it was.

    Only if the stored hash is still the one ``user`` was checked against: a password
    changed meanwhile is kept.
    The same password, so no session ends; the history records that the hash was renewed
    and with which settings, never the hash.
    """
    done = session.exec(update(User).where(User.id == user.id,
                                           User.password_hash == user.password_hash)
                        .values(password_hash=new_hash)
                        .execution_options(synchronize_session=False)).rowcount == 1
    if done:
        events.record(session, "user_password_rehash", actor=user,
                      new={**_who(user), "kdf": "argon2id", "time_cost": _hasher.time_cost,
                           "memory_cost": _hasher.memory_cost,
                           "parallelism": _hasher.parallelism})
    return done


@lru_cache(maxsize=1)
def _common_passwords() -> frozenset[str]:
    # zxcvbn's list of the 30,000 most common passwords (from real leaks), lower case.
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"])


def validate_password(password: str) -> None:
    """Refuse a password that is short, only white space, or among the most common ones."""
    password = password or ""
    if len(password) < MIN_PASSWORD:
        raise Invalid(f"The password must have at least {MIN_PASSWORD} characters.")
    if not password.strip():
        raise Invalid("The password cannot be only spaces.")
    if "\x00" in password or len(password) > 1024:
        raise Invalid("The password has a character or a length this desk cannot take.")
    if password.lower() in _common_passwords() or len(set(password)) < 3:
        raise Invalid("That password is one of the most common ones; choose another.")


def normalize_username(username: str) -> str:
    """Return a username as stored and compared: NFKC, without surrounding spaces.

    Uniqueness ignores case: "Rev1" and "rev1" are the same person.
    """
    return unicodedata.normalize("NFKC", username or "").strip()


def create_user(
    session: Session, username: str, role: str, password: str, display_name: str = "",
    *, actor: User | None = None, audit: bool = False,
) -> User:
    """Create an account; the username must be new.

    Record a ``user_create`` event when an actor is given or ``audit`` is set (the CLI);
    fixtures and first-run setup create users without one.
    """
    username = normalize_username(username)
    if not USERNAME_RE.fullmatch(username):
        raise Invalid("A username has 2 to 64 letters, digits, dots, dashes or underscores.")
    if role not in ROLES:
        raise Invalid(f"Unknown role {role!r}; choose one of {', '.join(ROLES)}.")
    validate_password(password)
    if user_by_name(session, username) is not None:
        raise Invalid(f"The username {username!r} is taken.")
    user = User(
        username=username,
        role=role,
        display_name=(display_name or username).strip()[:120],
        password_hash=hash_password(password),
    )
    session.add(user)
    session.flush()
    if audit or actor is not None:
        events.record(session, "user_create", actor=actor,
                      new={**_who(user), "role": user.role, "display_name": user.display_name})
    return user


def authenticate(session: Session, username: str, password: str) -> User | None:
    """Return the active user with this username and password, else None."""
    user = user_by_name(session, username)
    if check_password(user, password or "") and user.active:
        return user
    return None


def get_user(session: Session, user_id: int) -> User:
    """Return a user by id."""
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("No such user.")
    return user


def user_or_none(session: Session, user_id: int) -> User | None:
    """Return a user by id, or None."""
    return session.get(User, user_id)


def user_by_name(session: Session, username: str) -> User | None:
    """Return the user with this username (case and width ignored), or None."""
    name = normalize_username(username)
    if not name or len(name) > 64:
        return None
    return session.exec(select(User).where(func.lower(User.username) == name.lower())
                        .order_by(User.id)).first()


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(
    session: Session, user: User, name: str = "", expires_at: datetime | None = None,
    *, actor: User | None = None, audit: bool = False,
) -> tuple[ApiToken, str]:
    """Create an API token; return the row and the secret, which is shown once only.

    Record a ``token_create`` event when an actor is given or ``audit`` is set.
    """
    if not user.active:
        raise Invalid(f"{user.username} is deactivated; reactivate them before making a token.")
    secret = "ann_" + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=user.id, name=(name or "").strip()[:120], token_hash=_digest(secret),
        expires_at=expires_at,
    )
    session.add(token)
    session.flush()
    if audit or actor is not None:
        events.record(session, "token_create", actor=actor, new=_token_facts(token, user))
    return token, secret


def token_for_secret(session: Session, secret: str) -> ApiToken | None:
    """Return the valid, unexpired, unrevoked token with this secret, if any."""
    token = session.exec(select(ApiToken).where(ApiToken.token_hash == _digest(secret))).first()
    if token is None or token_status(token) != "active":
        return None
    return token


def token_owner(session: Session, token: ApiToken | None) -> User | None:
    """Return the user a token acts as: its owner, while they are active."""
    if token is None:
        return None
    user = session.get(User, token.user_id)
    return user if user is not None and user.active else None


TOKEN_TOUCH_SECONDS = 60


def touch_token(session: Session, token_id: int) -> None:
    """Record that a token was used, at most once a minute so reads stay cheap."""
    now = utcnow()
    session.exec(
        update(ApiToken)
        .where(ApiToken.id == token_id,
               or_(ApiToken.last_used_at.is_(None),
                   ApiToken.last_used_at < now - timedelta(seconds=TOKEN_TOUCH_SECONDS)))
        .values(last_used_at=now))


# -- administration -----------------------------------------------------------------------

MAX_TOKEN_DAYS = 3650


def _who(user: User) -> dict:
    return {"user_id": user.id, "user": user.username}


def _stamp(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _token_facts(token: ApiToken, owner: User) -> dict:
    # Name and dates only: the secret is never stored, and its hash never leaves the table.
    return {"token_id": token.id, **_who(owner), "name": token.name,
            "expires_at": _stamp(token.expires_at)}


def everyone_by_id(session: Session) -> dict[int, User]:
    """Return every person by id (the queue shows who submitted, asked and mentioned)."""
    return {u.id: u for u in session.exec(select(User)).all()}


def list_users(session: Session) -> list[User]:
    """Return every user, active ones first, then by username (the CLI's whole list)."""
    return list(session.exec(select(User).order_by(User.active.desc(), User.username)).all())


@dataclass
class Page:
    """One page of an admin list: its rows, the total (capped) and the next page's cursor."""

    rows: list
    total: int
    total_exact: bool
    page: int
    per_page: int
    next_cursor: list | None


def _paged(session: Session, statement, counted, page: int, per_page: int,
           cursor: list | None, key) -> Page:
    """Read one page (offset unless a cursor narrowed it) and count only when it is not all."""
    offset = 0 if cursor is not None else (page - 1) * per_page
    found = list(session.exec(statement.offset(offset).limit(per_page + 1)).all())
    has_next, rows = len(found) > per_page, found[:per_page]
    if page == 1 and cursor is None and not has_next:
        total, exact = len(rows), True
    else:
        total, exact = queries.count_capped(session, counted)
    next_cursor = queries.encode_cursor(key(rows[-1])) if has_next else None
    return Page(rows, total, exact, page, per_page, next_cursor)


def _bounds(per_page: int, after: list | None) -> tuple[int, list | None]:
    return (max(1, min(per_page, queries.MAX_PER_PAGE)),
            queries.decode_cursor(after) if after else None)


def page_users(session: Session, q: str = "", active: bool | None = None, *, page: int = 1,
               per_page: int = queries.PER_PAGE, after: list | None = None) -> Page:
    """Return a page of users by username, keyset-paged on the username's unique index.

    ``q`` keeps users whose username, display name or a word of it starts with the text;
    ``active`` keeps only active (True) or deactivated (False) users.
    """
    per_page, cursor = _bounds(per_page, after)
    conds = [] if active is None else [User.active == active]
    text = normalize_username(q)[:64].lower()
    if text:
        start = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        name = func.lower(User.display_name)
        conds.append(or_(func.lower(User.username).like(start, escape="\\"),
                         name.like(start, escape="\\"), name.like("% " + start, escape="\\")))
    statement = select(User).where(*conds)
    if cursor is not None and isinstance(cursor[0], str):
        statement = statement.where(User.username > cursor[0])
    else:
        cursor = None  # not a cursor of this list: start from the offset
    return _paged(session, statement.order_by(User.username), select(User.id).where(*conds),
                  page, per_page, cursor, lambda u: [u.username, u.id])


def find_user(session: Session, username: str) -> User:
    """Return the user with this username, or raise NotFound."""
    user = user_by_name(session, (username or "").strip())
    if user is None:
        raise NotFound(f"No user called {username!r}.")
    return user


def _other_active_admins(session: Session, user: User) -> int:
    query = select(User).where(User.role == "admin", User.active, User.id != user.id)
    return len(session.exec(query).all())


def _keep_an_admin(session: Session, user: User, doing: str) -> None:
    """Refuse to leave the desk without an active admin."""
    if user.role == "admin" and user.active and _other_active_admins(session, user) == 0:
        raise Invalid(f"{user.username} is the last active admin and cannot be {doing}; "
                      "make someone else an admin first.")


def change_role(session: Session, actor: User | None, user: User, role: str) -> User:
    """Give a user another role; the last active admin keeps theirs."""
    role = (role or "").strip()
    if role not in ROLES:
        raise Invalid(f"Unknown role {role!r}; choose one of {', '.join(ROLES)}.")
    if role == user.role:
        return user
    if role != "admin":
        _keep_an_admin(session, user, "demoted")
    old = user.role
    user.role = role
    user.session_version += 1
    sessions.end_all(session, user)
    session.add(user)
    events.record(session, "user_role", actor=actor, old={**_who(user), "role": old},
                  new={**_who(user), "role": role})
    return user


def deactivate(session: Session, actor: User | None, user: User) -> User:
    """Stop a user signing in and their tokens working; their history stays."""
    if not user.active:
        return user
    _keep_an_admin(session, user, "deactivated")
    user.active = False
    # Signed-in sessions end now: reactivating later does not revive them.
    user.session_version += 1
    sessions.end_all(session, user)
    session.add(user)
    events.record(session, "user_deactivate", actor=actor, old={**_who(user), "active": True},
                  new={**_who(user), "active": False})
    return user


def reactivate(session: Session, actor: User | None, user: User) -> User:
    """Let a deactivated user sign in again; their unrevoked tokens work again too."""
    if user.active:
        return user
    user.active = True
    session.add(user)
    events.record(session, "user_reactivate", actor=actor, old={**_who(user), "active": False},
                  new={**_who(user), "active": True})
    return user


def reset_password(session: Session, actor: User | None, user: User, password: str) -> User:
    """Set a new password for a user (an admin does this; the old one is not needed)."""
    validate_password(password)
    user.password_hash = hash_password(password)
    user.session_version += 1
    sessions.end_all(session, user)
    session.add(user)
    # Whoever knew the old password may have made tokens with it: they stop working too.
    revoked = revoke_all_tokens(session, actor, user)
    events.record(session, "user_password_reset", actor=actor,
                  new={**_who(user), "tokens_revoked": revoked})
    return user


def change_own_password(session: Session, user: User, current: str, new: str,
                        confirm: str | None = None, *, current_checked: bool = False) -> User:
    """Change the user's own password; the current one must be given.

    ``current_checked``: the caller has just checked it (under the sign-in throttle).
    Every hash is worked out before the first write, so no write lock is held meanwhile.
    """
    if not current_checked and not check_password(user, current or ""):
        raise Invalid("The current password is wrong.")
    if confirm is not None and confirm != new:
        raise Invalid("The new password and its confirmation differ.")
    validate_password(new)
    if check_password(user, new):
        raise Invalid("The new password is the same as the current one.")
    user.password_hash = hash_password(new)
    # Every other signed-in session of this user ends; the caller renews its own.
    user.session_version += 1
    sessions.end_all(session, user)
    session.add(user)
    events.record(session, "user_password", actor=user, new=_who(user))
    return user


def update_display_name(session: Session, actor: User | None, user: User, name: str) -> User:
    """Change the name shown for a user; an empty name falls back to the username."""
    name = " ".join((name or "").split())
    if len(name) > 120:
        raise Invalid("A display name has at most 120 characters.")
    name = name or user.username
    if name == user.display_name:
        return user
    old = user.display_name
    user.display_name = name
    session.add(user)
    events.record(session, "user_name", actor=actor, old={**_who(user), "display_name": old},
                  new={**_who(user), "display_name": name})
    return user


def expiry_in_days(days: int | str | None) -> datetime | None:
    """Turn a number of days from now into an expiry time; empty means never."""
    if days is None or (isinstance(days, str) and not days.strip()):
        return None
    try:
        count = int(days)
    except (TypeError, ValueError):
        raise Invalid("Give the expiry as a whole number of days, or leave it empty.") from None
    if not 1 <= count <= MAX_TOKEN_DAYS:
        raise Invalid(f"A token expires after 1 to {MAX_TOKEN_DAYS} days, or never.")
    return utcnow() + timedelta(days=count)


def token_status(token: ApiToken, now: datetime | None = None) -> str:
    """Say whether a token is active, expired or revoked."""
    now = now or utcnow()
    if token.revoked_at is not None:
        return "revoked"
    expires = token.expires_at
    if expires is not None:
        # SQLite hands back naive datetimes; they were stored as UTC.
        if expires.tzinfo is None:
            expires = expires.replace(tzinfo=now.tzinfo)
        if expires <= now:
            return "expired"
    return "active"


def list_tokens(session: Session, user: User | None = None) -> list[tuple[ApiToken, User]]:
    """Return tokens with their owners, newest first; only one user's when given."""
    query = select(ApiToken, User).join(User, User.id == ApiToken.user_id)
    if user is not None:
        query = query.where(ApiToken.user_id == user.id)
    return list(session.exec(query.order_by(ApiToken.id.desc())).all())


def page_tokens(session: Session, user: User | None = None, *, page: int = 1,
                per_page: int = queries.PER_PAGE, after: list | None = None) -> Page:
    """Return a page of tokens with their owners, newest first, keyset-paged on the id."""
    per_page, cursor = _bounds(per_page, after)
    conds = [ApiToken.user_id == user.id] if user is not None else []
    statement = (select(ApiToken, User).join(User, User.id == ApiToken.user_id).where(*conds)
                 .order_by(ApiToken.id.desc()))
    if cursor is not None:
        statement = statement.where(ApiToken.id < cursor[1])
    return _paged(session, statement, select(ApiToken.id).where(*conds), page, per_page,
                  cursor, lambda row: [row[0].id, row[0].id])


def revoke_token(session: Session, actor: User | None, token_id: int,
                 *, owner: User | None = None) -> ApiToken:
    """Revoke a token; with an owner, only a token of theirs (the account page's case)."""
    token = session.get(ApiToken, token_id)
    if token is None or (owner is not None and token.user_id != owner.id):
        raise NotFound("No such token.")
    if token.revoked_at is not None:
        return token
    token.revoked_at = utcnow()
    session.add(token)
    holder = session.get(User, token.user_id)
    events.record(session, "token_revoke", actor=actor,
                  old={**_token_facts(token, holder), "revoked_at": None},
                  new={**_token_facts(token, holder), "revoked_at": _stamp(token.revoked_at)})
    return token


def revoke_all_tokens(session: Session, actor: User | None, user: User) -> int:
    """Revoke every live API token of a user (after a password reset); return how many."""
    live = session.exec(select(ApiToken).where(ApiToken.user_id == user.id,
                                               ApiToken.revoked_at.is_(None))).all()
    for token in live:
        revoke_token(session, actor, token.id)
    return len(live)
