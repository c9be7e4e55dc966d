"""Login throttling that slows guessing without locking anyone else out.

Failed sign-ins live in the LoginAttempt table (every app server sees the same ones):

- per (account, address): the first ``free`` failures cost nothing; after that each try
  waits twice as long as the one before (2 s, 4 s, 8 s ... at most ``max_delay``). The
  owner, from another address, is never slowed by someone else's guessing;
- per account: only past a high threshold (``account_lock`` failures in the window, default
  50 an hour) is the account locked, and even then the right password from an address that
  has not failed gets in;
- per address: a generous cap (``per_address``) against one machine spraying guesses over
  many accounts.

The account is named as sign-in matches it: NFKC, then case-folded (``key``), before any
other check, so every spelling of a name ("ｒｅｖ１", "REV1") shares one bucket.

Counting is atomic: ``begin`` counts and records the attempt in one short write transaction,
serialised per account. The attempt is *pending* while its password is checked (no lock is
held meanwhile) and counts as a failure only once ``fail`` says the check failed; ``succeed``
removes it. At most as many attempts as there are tries left may be pending at once per
account and address (``begin`` returns None for the others, who wait their turn), so twenty
parallel guesses get the same number of tries as twenty in a row, while several correct
sign-ins at the same moment are never failures. As many again may wait (``queue`` holds
their places, which are neither running nor failed); the rest are refused at once with
"try again in a moment", since each waiter holds a server thread that reviewers need. A
pending attempt older than ``STALE`` (its worker died) counts as a failure.
"""

from __future__ import annotations

import math
import threading
import unicodedata
import zlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, delete, func, or_, text, update
from sqlmodel import Session, select

from annotator.engine import lock_for_write
from annotator.models import LoginAttempt, utcnow
from annotator.services.errors import ServiceError


@dataclass(frozen=True)
class Limits:
    """The throttle's settings."""

    free: int = 3
    max_delay: timedelta = timedelta(minutes=15)
    account_lock: int = 50
    per_address: int = 200
    window: timedelta = timedelta(hours=1)

    @classmethod
    def from_config(cls, config) -> Limits:
        """Read LOGIN_FREE_TRIES, LOGIN_MAX_DELAY_SECONDS, LOGIN_ACCOUNT_LOCK,
        LOGIN_MAX_PER_ADDRESS and LOGIN_WINDOW_MINUTES."""
        return cls(free=int(config.get("LOGIN_FREE_TRIES", 3)),
                   max_delay=timedelta(seconds=float(config.get("LOGIN_MAX_DELAY_SECONDS",
                                                                900))),
                   account_lock=int(config.get("LOGIN_ACCOUNT_LOCK", 50)),
                   per_address=int(config.get("LOGIN_MAX_PER_ADDRESS", 200)),
                   window=timedelta(minutes=float(config.get("LOGIN_WINDOW_MINUTES", 60))))

    def delay(self, failures: int) -> timedelta:
        """Return how long to wait after this many failures of one account from one address."""
        if failures < self.free:
            return timedelta(0)
        steps = min(failures - self.free + 1, 30)
        return min(timedelta(seconds=2 ** steps), self.max_delay)


class Throttled(ServiceError):
    """Too many recent failures; detail is the number of seconds to wait."""

    status = 429


# A password check that has not answered in this long has died with its worker.
STALE = timedelta(minutes=2)
# A place in the queue for a turn that was not given back in this long was left by a worker
# that died (a waiter gives up after seconds).
WAIT_STALE = timedelta(seconds=30)
BUSY = "Other sign-ins to this account are being checked; try again in a moment."


def key(username: str) -> str:
    """Return the account's bucket: the name as sign-in compares it (NFKC, case-folded)."""
    return unicodedata.normalize("NFKC", username or "").strip().casefold()[:64]


_key = key


def _failed(now: datetime):
    # A failure is a finished check that failed, or a check that never finished; a place in
    # the queue for a turn is neither.
    return and_(LoginAttempt.waiting.is_(False),
                or_(LoginAttempt.pending.is_(False), LoginAttempt.created_at < now - STALE))


def _running() -> tuple:
    return LoginAttempt.pending.is_(True), LoginAttempt.waiting.is_(False)


def _aware(moment: datetime | None, now: datetime) -> datetime | None:
    if moment is not None and moment.tzinfo is None:  # SQLite hands back naive UTC
        return moment.replace(tzinfo=now.tzinfo)
    return moment


@dataclass(frozen=True)
class _Tally:
    """What the throttle knows of one account at one address, read in one query."""

    failures: int  # the account's failures from this address in the window
    last: datetime | None  # the latest of them
    from_here: int  # failures from this address in the window, any account
    running: int  # the account's checks running from this address
    waiting: int  # ... and the places held in the queue for a turn

    def may_run(self, limits: Limits) -> int:
        """How many checks may run at once (and as many wait): the tries left, at least 1."""
        return max(limits.free - self.failures, 1)

    def turns_taken(self, limits: Limits) -> bool:
        """Every check that may run is running: a new one must wait."""
        return self.running >= self.may_run(limits)

    def places_taken(self, limits: Limits) -> bool:
        """Every place in the queue is held: a new attempt is refused ("try again")."""
        return self.waiting >= self.may_run(limits)


def _tally(session: Session, key: str, address: str, limits: Limits,
           now: datetime) -> _Tally:
    # One round trip: under a flood of guesses, every statement inside the account's lock
    # keeps the next guess (and the server thread it holds) waiting for it.
    window = LoginAttempt.created_at > now - limits.window
    mine = LoginAttempt.username == key
    failed = and_(window, _failed(now))
    running = and_(mine, LoginAttempt.created_at > now - STALE, *_running())
    waiting = and_(mine, LoginAttempt.created_at > now - WAIT_STALE,
                   LoginAttempt.waiting.is_(True))
    oldest = min(now - limits.window, now - STALE, now - WAIT_STALE)
    row = session.exec(select(
        func.count().filter(and_(mine, failed)),
        func.max(LoginAttempt.created_at).filter(and_(mine, failed)),
        func.count().filter(failed),
        func.count().filter(running),
        func.count().filter(waiting),
    ).where(LoginAttempt.address == address, LoginAttempt.created_at > oldest)).one()
    return _Tally(failures=row[0], last=_aware(row[1], now), from_here=row[2],
                  running=row[3], waiting=row[4])


def _serialise(session: Session, key: str) -> None:
    # SQLite takes its write lock now (one writer at a time); PostgreSQL a lock per account.
    lock_for_write(session)
    if session.get_bind().dialect.name == "postgresql":
        session.exec(text("SELECT pg_advisory_xact_lock(:k)"),
                     params={"k": zlib.crc32(key.encode()) - 2**31})


def begin(session: Session, username: str, address: str, limits: Limits,
          now: datetime | None = None, *, queued: bool = False) -> int | None:
    """Count and record one sign-in attempt before the password is looked at.

    Raise ``Throttled`` when this account must wait at this address, or the address is over
    its cap. Return None when as many checks as there are tries left are running already
    for this account and address: try again in a moment. Otherwise return the attempt's id
    (pending: call ``fail`` or ``succeed`` once the check answers). Call in its own short
    write transaction. An attempt that holds no place in the queue (``queued`` False) and
    would find every place taken is refused here, as ``queue`` would refuse it, without a
    second turn at the lock.
    """
    now = now or utcnow()
    key, address = _key(username), (address or "")[:64]
    _serialise(session, key)
    tally = _tally(session, key, address, limits, now)
    _refuse_if_throttled(tally, limits, now)
    if tally.turns_taken(limits):
        if not queued and tally.places_taken(limits):
            raise Throttled(BUSY, 1)
        return None
    session.exec(delete(LoginAttempt).where(LoginAttempt.username == key,
                                            LoginAttempt.created_at <= now - limits.window))
    attempt = LoginAttempt(username=key, address=address, created_at=now, pending=True)
    session.add(attempt)
    session.flush()
    return attempt.id


def refuse_if_throttled(session: Session, username: str, address: str, limits: Limits,
                        now: datetime | None = None) -> None:
    """Raise ``Throttled`` if ``begin`` would, reading only (no write lock, no queue).

    Called first, so a flood of guesses at a throttled account is refused without each one
    taking the write lock (SQLite) or the account's lock (PostgreSQL) in turn while other
    people's saves wait behind them. Failures only accumulate, so a refusal read a moment
    early is the one ``begin`` would give; an attempt it lets through is counted by ``begin``.
    The same goes for an account whose checks all run and whose queue is full (``queue``'s
    "try again in a moment"): twenty parallel guesses queue for the lock only until the
    first few are counted, not twenty deep.
    """
    now = now or utcnow()
    tally = _tally(session, _key(username), (address or "")[:64], limits, now)
    _refuse_if_throttled(tally, limits, now)
    if tally.turns_taken(limits) and tally.places_taken(limits):
        raise Throttled(BUSY, 1)


def _refuse_if_throttled(tally: _Tally, limits: Limits, now: datetime) -> None:
    """Raise ``Throttled`` when the account must wait here or the address is over its cap."""
    wait = limits.delay(tally.failures)
    last = tally.last
    if wait and last is not None and now < last + wait:
        seconds = max(1, int((last + wait - now).total_seconds() + 0.999))
        raise Throttled(f"Too many failed sign-ins for this account from here. Wait "
                        f"{_words(seconds)} and try again.", seconds)
    if tally.from_here >= limits.per_address:
        raise Throttled("Too many failed sign-ins from your network. Wait a while and try "
                        "again.", int(limits.window.total_seconds()))


def turn_free(session: Session, username: str, address: str, limits: Limits,
              now: datetime | None = None) -> bool:
    """Tell, reading only, whether ``begin`` may now start a check (or has a refusal to give).

    For those waiting their turn: they look without the write lock, and call ``begin`` only
    once a check has finished, so twenty waiters do not queue for the lock twenty times a
    second each while other people's saves wait behind them.
    """
    now = now or utcnow()
    tally = _tally(session, _key(username), (address or "")[:64], limits, now)
    return not tally.turns_taken(limits)


def queue(session: Session, username: str, address: str, limits: Limits,
          now: datetime | None = None) -> int:
    """Hold a place in the queue for a check that must wait its turn (``begin`` said None).

    At most as many wait as may run at once for this account and address; past that, raise
    ``Throttled`` at once (one second), so parallel guesses do not each hold a server thread
    while they wait. Several correct sign-ins at once still all get in. Call in a short
    write transaction (``begin``'s will do); ``leave`` the place once the turn has come or
    the wait has ended. Return the place's id.
    """
    now = now or utcnow()
    key, address = _key(username), (address or "")[:64]
    _serialise(session, key)
    tally = _tally(session, key, address, limits, now)
    if tally.places_taken(limits):
        raise Throttled(BUSY, 1)
    place = LoginAttempt(username=key, address=address, created_at=now, waiting=True)
    session.add(place)
    session.flush()
    return place.id


def leave(session: Session, place_id: int) -> None:
    """Give back a place in the queue (the turn came, or the wait ended)."""
    session.exec(delete(LoginAttempt).where(LoginAttempt.id == place_id,
                                            LoginAttempt.waiting.is_(True)))


def fail(session: Session, attempt_id: int, now: datetime | None = None) -> None:
    """Count a pending attempt as failed, from now (its check said no)."""
    session.exec(update(LoginAttempt).where(LoginAttempt.id == attempt_id)
                 .values(pending=False, created_at=now or utcnow()))


def succeed(session: Session, attempt_id: int, username: str, address: str, limits: Limits,
            now: datetime | None = None) -> None:
    """Accept a right password, unless the account is locked and this address has failed.

    Raise ``Throttled`` when the account is past ``account_lock`` failures and this address
    is among those that failed; the attempt then stays counted. Otherwise forget this
    attempt and this address's failures for the account.
    """
    now = now or utcnow()
    key, address = _key(username), (address or "")[:64]
    failures, here = session.exec(select(
        func.count(), func.count().filter(LoginAttempt.address == address),
    ).where(LoginAttempt.username == key, LoginAttempt.id != attempt_id, _failed(now),
            LoginAttempt.created_at > now - limits.window)).one()
    if failures >= limits.account_lock and here:
        raise Throttled("This account is locked after many failed sign-ins. Sign in "
                        "from another network, or ask an admin to reset the password.",
                        int(limits.window.total_seconds()))
    session.exec(delete(LoginAttempt).where(LoginAttempt.username == key,
                                            LoginAttempt.address == address,
                                            LoginAttempt.waiting.is_(False)))
    session.exec(delete(LoginAttempt).where(LoginAttempt.id == attempt_id))


# How long one server process answers a refusal from memory (never past its Retry-After).
REMEMBER_SECONDS = 1.0


class Refusals:
    """The refusals one server process has just given, per account and address.

    Twenty guesses at one account sent at once would each read the throttle (and most
    queue for the account's lock) to be told what the first few were told. A refusal is
    remembered for ``REMEMBER_SECONDS`` at most, and never past the wait it announced: the
    database stays the one record, and a refusal given from memory is one the database gave
    this process a moment ago. Kept in memory only, bounded (the oldest entries go first),
    shared by the process's threads (its changes take a lock). ``clock``: seconds, as
    ``time.monotonic`` gives them.
    """

    def __init__(self, clock, limit: int = 10_000):
        self._clock, self._limit = clock, limit
        self._lock = threading.Lock()
        # key -> (remembered until, the announced wait's end, the message)
        self._until: dict[tuple[str, str], tuple[float, float, str]] = {}

    @staticmethod
    def key(username: str, address: str) -> tuple[str, str]:
        """Return the memory's key: the account's bucket and the address, as stored."""
        return _key(username), (address or "")[:64]

    def remember(self, key: tuple[str, str], refusal: Throttled) -> None:
        """Note a refusal the database has just given for this key."""
        now = self._clock()
        wait = float(refusal.detail or 0)
        if wait <= 0 or getattr(refusal, "from_memory", False):
            return  # one given from memory does not renew it: the database is asked again
        with self._lock:
            if len(self._until) >= self._limit:
                self._until = {k: v for k, v in self._until.items() if v[0] > now}
                while len(self._until) >= self._limit:
                    self._until.pop(next(iter(self._until)))
            self._until[key] = (now + min(REMEMBER_SECONDS, wait), now + wait, refusal.message)

    def recall(self, key: tuple[str, str]) -> Throttled | None:
        """Return the refusal given for this key a moment ago, if it still holds.

        A new ``Throttled`` each time (threads raise their own), its Retry-After what is
        left of the announced wait, at least a second.
        """
        found = self._until.get(key)
        now = self._clock()
        if found is None or found[0] <= now:
            if found is not None:
                with self._lock:
                    self._until.pop(key, None)
            return None
        refusal = Throttled(found[2], max(1, math.ceil(found[1] - now)))
        refusal.from_memory = True
        return refusal

    def forget(self, key: tuple[str, str]) -> None:
        """Drop what is remembered for this key (a sign-in there has just succeeded)."""
        with self._lock:
            self._until.pop(key, None)


def _words(seconds: int) -> str:
    if seconds < 90:
        return f"{seconds} seconds"
    return f"{round(seconds / 60)} minutes"
