"""Engines and sessions: SQLite (WAL, busy timeout, immediate write transactions) or PostgreSQL.

No Flask here: services, jobs, the CLI and benchmarks open sessions through this module;
`annotator.db` adds the per-request session on top.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import sqlite3
import threading
import time
import weakref
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path

import orjson
from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DisconnectionError
from sqlmodel import Session, create_engine

# Long enough that a burst of reviewers queues instead of failing with "database is locked".
SQLITE_BUSY_MS = 30_000
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


@lru_cache(maxsize=8)
def get_engine(url: str) -> Engine:
    """Return the one engine for this database URL, configured for concurrent use."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_MS / 1000}
        )
        _configure_sqlite(engine)
        return engine
    engine = create_engine(url, pool_size=5, max_overflow=10)
    _configure_postgresql(engine)
    return engine


# A pooled PostgreSQL connection back in the pool for longer than this is checked (an empty
# query) before it is handed out again; one returned more recently is not. SQLAlchemy's
# pool_pre_ping checks every checkout: a write and the page drawn after its commit check out
# twice, so two of a save's 25 round trips were pings of a connection used a millisecond
# before, and each round trip gives up the interpreter lock and waits to win it back behind
# the server's other threads (issue 19). A server restart or a dropped idle connection
# leaves a connection unused for longer than this, so it is still caught before use.
PING_AFTER_IDLE_SECONDS = 1.0


def _configure_postgresql(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        # psycopg parses json/jsonb columns itself; orjson does it several times faster than
        # the standard library (an export reads hundreds of thousands of them).
        from psycopg.types.json import set_json_loads

        set_json_loads(orjson.loads, dbapi_conn)

    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_conn, record):
        if record is not None:
            record.info[_RETURNED_AT] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_conn, record, _proxy):
        returned = record.info.get(_RETURNED_AT)
        if returned is not None and time.monotonic() - returned < PING_AFTER_IDLE_SECONDS:
            return
        try:
            engine.dialect.do_ping(dbapi_conn)
        except Exception as exc:
            # The pool drops this connection and hands out a fresh one (PoolEvents.checkout).
            record.info.pop(_RETURNED_AT, None)
            raise DisconnectionError(f"a pooled connection was dead: {exc}") from exc


_RETURNED_AT = "annotator.returned_at"


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        # Let SQLAlchemy, not pysqlite, decide when transactions begin (see "begin" below).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_MS}")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        # A write transaction takes the write lock with BEGIN IMMEDIATE (a deferred one that
        # reads and then writes can fail at once with SQLITE_BUSY, which the busy timeout
        # never covers), but only at its first write (issue 19): until then its reads run
        # one statement at a time, as PostgreSQL's read committed does, so hashing,
        # fetching, extracting or training before the first write holds no lock.
        write = bool(conn.get_execution_options().get("write"))
        conn.info[_PENDING_WRITE] = write
        if not write:
            conn.exec_driver_sql("BEGIN")

    @event.listens_for(engine, "before_cursor_execute")
    def _before_execute(conn, cursor, statement, _params, _context, _many):
        if not conn.info.get(_PENDING_WRITE) or _reads_only(statement):
            return
        conn.info[_PENDING_WRITE] = False
        turns.take(conn.connection.info)
        if statement.lstrip()[:5].upper() != "BEGIN":
            cursor.execute("BEGIN IMMEDIATE")

    @event.listens_for(engine, "commit")
    @event.listens_for(engine, "rollback")
    def _on_end(conn):
        conn.info[_PENDING_WRITE] = False
        with contextlib.suppress(Exception):  # an invalidated connection has none to give
            turns.give_back(conn.connection.info)

    # However a connection goes back to the pool or away, its turn goes with it.
    @event.listens_for(engine, "checkin")
    @event.listens_for(engine, "close")
    def _on_checkin(_dbapi_conn, record):
        turns.give_back(record.info)

    @event.listens_for(engine, "reset")
    def _on_reset(_dbapi_conn, record, _reset_state):
        turns.give_back(record.info)

    @event.listens_for(engine, "invalidate")
    def _on_invalidate(_dbapi_conn, record, _exception):
        turns.give_back(record.info)

    turns = _turns_of[engine] = WriterTurns(engine.url.database)


def writer_turns(engine: Engine) -> WriterTurns | None:
    """Return the queue for a SQLite engine's write lock (None on PostgreSQL)."""
    return _turns_of.get(engine)


class WriterTurns:
    """Writers to one SQLite file take their turn for its write lock in a queue.

    SQLite lets one transaction write at a time. A writer that finds the lock taken polls
    for it, sleeping longer each time it misses (up to 100 ms a try), and newcomers may take
    it first: behind a storm of short writes (twenty password guesses, each counted in its
    own transaction) a reviewer's save lost the race again and again, 150 to 260 ms in all,
    while each write held the lock for a few milliseconds. So before ``BEGIN IMMEDIATE``
    each write transaction takes an exclusive ``flock`` on ``<database>-writers``, in every
    process alike (web, worker, CLI): the kernel wakes a waiter the moment the lock is let
    go, a process that dies lets go of it, and SQLite's own wait remains the fallback. The
    turn is given back when the transaction ends (commit, rollback, or the connection going
    back to the pool). A thread already holding a turn (another of its connections is
    writing) does not queue again; a turn not had within ``wait`` seconds is not waited for
    any longer, and ``BEGIN IMMEDIATE`` then waits as it always did.
    """

    HELD = "annotator_writer_turn"

    def __init__(self, database: str | None, wait: float = SQLITE_BUSY_MS / 1000):
        self.path = (f"{database}-writers" if database and database != ":memory:"
                     and not database.startswith("file:") else None)
        self.wait = wait
        self._mine = threading.local()

    def take(self, info: dict) -> None:
        """Wait for this connection's turn to write (up to ``wait`` seconds)."""
        mine = self._held_here()
        if self.path is None or info.get(self.HELD) is not None or mine[0]:
            return  # (a thread writing on another connection already does not queue again)
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        except OSError:
            return  # a folder we cannot write to: SQLite's own wait only
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if not _wait_for_flock(fd, self.wait):
                return  # _wait_for_flock closes it
        except OSError:
            os.close(fd)
            return
        info[self.HELD] = (fd, mine)
        mine[0] += 1

    def give_back(self, info: dict) -> None:
        """Let the next writer go (closing the descriptor lets go of the flock)."""
        held = info.pop(self.HELD, None)
        if held is None:
            return
        fd, owner = held
        os.close(fd)
        owner[0] = max(owner[0] - 1, 0)

    def _held_here(self) -> list[int]:
        state = getattr(self._mine, "held", None)
        if state is None:
            state = self._mine.held = [0]
        return state


def _wait_for_flock(fd: int, seconds: float) -> bool:
    """Block until ``fd`` has its exclusive flock, at most ``seconds``; False (and ``fd``
    closed) when it did not come in time.

    ``flock`` has no timeout, so a helper thread waits in it; if the caller stops waiting,
    the helper closes the descriptor as soon as it has the lock (or at once if it already
    has), and nobody holds a turn for a caller who has gone.
    """
    got = threading.Event()
    guard = threading.Lock()
    gave_up = [False]

    def wait() -> None:
        with contextlib.suppress(OSError):  # (no flock here: SQLite's own wait decides)
            fcntl.flock(fd, fcntl.LOCK_EX)
        with guard:
            if gave_up[0]:
                os.close(fd)
            else:
                got.set()

    threading.Thread(target=wait, name="sqlite-writer-turn", daemon=True).start()
    if got.wait(seconds):
        return True
    with guard:
        if got.is_set():
            return True
        gave_up[0] = True
    return False


_PENDING_WRITE = "annotator_write_lock_pending"
_turns_of: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_WRITES = re.compile(r"\b(INSERT|UPDATE|DELETE|REPLACE)\b", re.IGNORECASE)


def _reads_only(statement: str) -> bool:
    head = statement.lstrip()[:7].upper()
    if head.startswith("SELECT") or head.startswith("EXPLAIN"):
        return True
    return head.startswith("WITH") and not _WRITES.search(statement)


def lock_for_write(session: Session) -> None:
    """Take SQLite's write lock now, not at the first write (PostgreSQL: nothing to do).

    For the few read-then-write steps that must run alone (counting sign-in attempts).
    """
    connection = session.connection()
    if connection.info.get(_PENDING_WRITE):
        connection.exec_driver_sql("BEGIN IMMEDIATE")


# SQLite's write-ahead log starts again from its beginning only at a moment when no reader
# still uses it. Under a steady stream of readers and writers (a busy desk, the feed
# pipeline's imports) that moment may never come: the log then grows without bound, and every
# read gets slower with it, as each page is looked up in the whole log's index. So after a
# write commits, a log past WAL_RESET_BYTES is checkpointed without waiting (PASSIVE); when
# all but the newest frames could be copied, it is truncated (TRUNCATE), waiting at most
# WAL_RESET_WAIT_MS for the readers of the moment to move on. That step holds the write lock,
# so it is tried at most once a second per process; when a long reader (an export) keeps
# older frames in use, it is not tried, and not again for WAL_RESET_BACKOFF seconds.
WAL_RESET_BYTES = 64 * 1024 * 1024
WAL_RESET_WAIT_MS = 100
WAL_RESET_BACKOFF = 30.0
# Under steady writes the newest frames are always in use by someone for a moment: up to this
# many left over (16 MiB of 4 KiB pages) are the readers of the moment, not a long reader.
WAL_RESET_LEFT_FRAMES = 4096
_wal_reset_lock = threading.Lock()
_wal_reset_next = [0.0]


def reset_wal_if_large(engine: Engine, limit: int = WAL_RESET_BYTES) -> bool | None:
    """Checkpoint and truncate a SQLite WAL over ``limit`` bytes; None when not tried.

    Return True when the log was reset, False when a reader kept it (tried again later).
    """
    database = engine.url.database if engine.dialect.name == "sqlite" else None
    if not database or database == ":memory:":
        return None
    try:
        if os.path.getsize(f"{database}-wal") < limit:
            return None
    except OSError:
        return None
    now = time.monotonic()
    if now < _wal_reset_next[0] or not _wal_reset_lock.acquire(blocking=False):
        return None
    try:
        _wal_reset_next[0] = now + 1.0
        with engine.connect() as connection:
            raw = connection.connection.dbapi_connection
            # First copy what can be copied without waiting for anyone (no write lock). If
            # frames are left, a reader still needs an older state of the database (a long
            # export, say): starting the log over would only keep writers waiting for it.
            busy, frames, copied = raw.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
            if not busy and frames - copied <= WAL_RESET_LEFT_FRAMES:
                raw.execute(f"PRAGMA busy_timeout={WAL_RESET_WAIT_MS}")
                try:
                    busy, _, _ = raw.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
                except sqlite3.OperationalError:  # locked past the wait: as good as busy
                    busy = 1
                finally:
                    raw.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_MS}")
            else:
                busy = 1
        if busy:
            _wal_reset_next[0] = time.monotonic() + WAL_RESET_BACKOFF
        return not busy
    finally:
        _wal_reset_lock.release()


def new_session(engine: Engine, *, write: bool = False) -> Session:
    """Open a session; a write session takes SQLite's write lock when it begins."""
    if not write:
        return Session(engine, expire_on_commit=False)
    session = Session(engine.execution_options(write=True), expire_on_commit=False)
    session.info["read_engine"] = engine
    # Views commit once; what they read afterwards (the page or fragment they answer with)
    # needs no write lock, so other writers need not wait while it renders.
    event.listen(session, "after_commit", _read_from_now_on)
    return session


def _read_from_now_on(session: Session) -> None:
    session.bind = session.info["read_engine"]
    reset_wal_if_large(session.bind)


@contextlib.contextmanager
def session_scope(engine: Engine, *, write: bool = True) -> Iterator[Session]:
    """Run one transaction outside a request (CLI, jobs): commit on success, else roll back."""
    session = new_session(engine, write=write)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
